/*
 * The connection to secctxd: connect and hello, the thread's last error, and
 * one blocking request/response round trip at a time.
 */

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "frame.h"
#include "msg.h"

/* Request ids stay below 2^53 (PROTOCOL.md). */
#define CONN_MAX_ID	((int64_t)1 << 53)

static _Thread_local char last_error[CLIENT_ERRLEN];

const char *
secctx_last_error(void)
{
	return (last_error);
}

secctx_status
client_seterr(secctx_status status, const char *fmt, ...)
{
	const char	*name = secctx_status_name(status);
	va_list		 ap;
	int		 n;

	if (name != NULL)
		n = snprintf(last_error, sizeof(last_error), "%s: ", name);
	else
		n = snprintf(last_error, sizeof(last_error), "0x%08X: ",
		    (unsigned int)status);
	if (n < 0 || (size_t)n >= sizeof(last_error))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(last_error + n, sizeof(last_error) - n, fmt, ap);
	va_end(ap);
	return (status);
}

void
client_error_save(char buf[CLIENT_ERRLEN])
{
	memcpy(buf, last_error, CLIENT_ERRLEN);
}

void
client_error_restore(const char buf[CLIENT_ERRLEN])
{
	memcpy(last_error, buf, CLIENT_ERRLEN);
}

void
secctx_free(void *p)
{
	free(p);
}

void
conn_ref(secctx_conn *conn)
{
	pthread_mutex_lock(&conn->lock);
	conn->refs++;
	pthread_mutex_unlock(&conn->lock);
}

void
conn_unref(secctx_conn *conn)
{
	unsigned int	refs;

	pthread_mutex_lock(&conn->lock);
	refs = --conn->refs;
	pthread_mutex_unlock(&conn->lock);
	if (refs != 0)
		return;
	if (conn->fd != -1)
		close(conn->fd);
	pthread_mutex_destroy(&conn->lock);
	free(conn);
}

/*
 * The stream can no longer be trusted: close it, remember why for later
 * requests, and set the last error.  Called with the lock held.
 */
static secctx_status
conn_fail(secctx_conn *conn, secctx_status status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(conn->closed_why, sizeof(conn->closed_why), fmt, ap);
	va_end(ap);
	if (conn->fd != -1) {
		close(conn->fd);
		conn->fd = -1;
	}
	return (client_seterr(status, "%s", conn->closed_why));
}

/* Write every byte of iov, restarting after signals and partial writes. */
static secctx_status
conn_send_all(secctx_conn *conn, struct iovec *iov, int iovcnt)
{
	struct msghdr	msg;
	ssize_t		n;

	while (iovcnt > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = iovcnt;
		n = sendmsg(conn->fd, &msg, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY,
			    "cannot write to secctxd at %s: %s", conn->path,
			    strerror(errno)));
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return (SEC_E_OK);
}

/* Read exactly len bytes. */
static secctx_status
conn_recv_all(secctx_conn *conn, void *buf, size_t len)
{
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = recv(conn->fd, p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY,
			    "cannot read from secctxd at %s: %s", conn->path,
			    strerror(errno)));
		if (n == 0)
			return (conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY,
			    "secctxd at %s closed the connection", conn->path));
		p += n;
		len -= n;
	}
	return (SEC_E_OK);
}

/* Write one request frame: prefix, {"op", "id", fields of req}, payload. */
static secctx_status
conn_send_request(secctx_conn *conn, const char *op, int64_t id,
    json_t *req, const void *payload, size_t len)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	struct iovec	 iov[3];
	json_t		*hdr;
	char		*text = NULL;
	size_t		 tlen = 0;
	secctx_status	 st;

	hdr = json_pack("{s:s, s:I}", "op", op, "id", (json_int_t)id);
	if (hdr == NULL || (req != NULL && json_object_update(hdr, req) != 0) ||
	    (text = frame_header_dump(hdr, &tlen)) == NULL) {
		st = client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the '%s' request", op);
		goto out;
	}
	if (tlen > FRAME_MAX_HEADER) {
		st = client_seterr(SEC_E_INVALID_PARAMETER,
		    "the '%s' request header is too long", op);
		goto out;
	}
	frame_prefix_put(prefix, tlen, len);
	iov[0].iov_base = prefix;
	iov[0].iov_len = sizeof(prefix);
	iov[1].iov_base = text;
	iov[1].iov_len = tlen;
	iov[2].iov_base = (void *)payload;
	iov[2].iov_len = len;
	st = conn_send_all(conn, iov, len > 0 ? 3 : 2);
out:
	free(text);
	json_decref(hdr);
	return (st);
}

/* Read one response frame, within the protocol's limits. */
static secctx_status
conn_recv_reply(secctx_conn *conn, struct conn_reply *reply)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	uint32_t	 hlen, plen;
	struct sc_err	 err;
	char		*text = NULL;
	secctx_status	 st;

	if ((st = conn_recv_all(conn, prefix, sizeof(prefix))) != SEC_E_OK)
		return (st);
	if (frame_prefix_parse(prefix, FRAME_MAX_PAYLOAD, &hlen, &plen,
	    &err) != SEC_E_OK)
		return (conn_fail(conn, SEC_E_INTERNAL_ERROR,
		    "invalid response from secctxd: %s", err.msg));
	if ((text = malloc(hlen)) == NULL ||
	    (plen > 0 && (reply->payload = malloc(plen)) == NULL)) {
		st = conn_fail(conn, SEC_E_INSUFFICIENT_MEMORY,
		    "no memory for a response of %u bytes", hlen + plen);
		goto out;
	}
	if ((st = conn_recv_all(conn, text, hlen)) != SEC_E_OK ||
	    (st = conn_recv_all(conn, reply->payload, plen)) != SEC_E_OK)
		goto out;
	reply->payload_len = plen;
	if (frame_header_parse(text, hlen, &reply->hdr, &err) != SEC_E_OK)
		st = conn_fail(conn, SEC_E_INTERNAL_ERROR,
		    "invalid response from secctxd: %s", err.msg);
out:
	free(text);
	return (st);
}

/*
 * Match the response to request id and return its status.  A response with
 * id 0 and an error status answers a request the daemon could not read.
 */
static secctx_status
conn_check_reply(secctx_conn *conn, int64_t id, struct conn_reply *reply)
{
	struct sc_err	 err;
	int64_t		 rid = 0;
	const char	*message = NULL;
	secctx_status	 st;

	if (msg_get_int(reply->hdr, "id", MSG_REQUIRED, 0, CONN_MAX_ID - 1,
	    &rid, &err) != SEC_E_OK)
		goto bad;
	sc_clearerr(&err);
	st = msg_response_status(reply->hdr, &err);
	if (err.status != SEC_E_OK)
		goto bad;
	if (rid != id && !(rid == 0 && SECCTX_FAILED(st)))
		return (conn_fail(conn, SEC_E_INTERNAL_ERROR,
		    "secctxd answered request %lld with id %lld",
		    (long long)id, (long long)rid));
	if (!SECCTX_FAILED(st))
		return (st);
	if (msg_get_string(reply->hdr, "message", MSG_OPTIONAL, 4096,
	    &message, &err) != SEC_E_OK || message == NULL)
		message = secctx_status_text(st);
	return (client_seterr(st, "%s", message));
bad:
	return (conn_fail(conn, SEC_E_INTERNAL_ERROR,
	    "invalid response from secctxd: %s", err.msg));
}

void
conn_reply_free(struct conn_reply *reply)
{
	json_decref(reply->hdr);
	free(reply->payload);
	memset(reply, 0, sizeof(*reply));
}

secctx_status
conn_request(secctx_conn *conn, const char *op, json_t *req,
    const void *payload, size_t len, struct conn_reply *reply)
{
	secctx_status	st;
	int64_t		id;

	memset(reply, 0, sizeof(*reply));
	pthread_mutex_lock(&conn->lock);
	if (conn->fd == -1) {
		st = client_seterr(SEC_E_NO_AUTHENTICATING_AUTHORITY, "%s",
		    conn->closed_why);
		goto out;
	}
	if (len > conn->max_payload) {
		st = client_seterr(SEC_E_INVALID_PARAMETER,
		    "%zu bytes exceed the daemon's limit of %u", len,
		    conn->max_payload);
		goto out;
	}
	id = conn->next_id;
	conn->next_id = id + 1 < CONN_MAX_ID ? id + 1 : 1;
	if ((st = conn_send_request(conn, op, id, req, payload,
	    len)) != SEC_E_OK)
		goto out;
	if ((st = conn_recv_reply(conn, reply)) == SEC_E_OK)
		st = conn_check_reply(conn, id, reply);
out:
	/* A reply is only handed back when the stream is still sound. */
	if (conn->fd == -1)
		conn_reply_free(reply);
	pthread_mutex_unlock(&conn->lock);
	return (st);
}

/* The socket send buffer asked for: a large request in one write. */
#define CONN_SNDBUF	(1024 * 1024)

/* Open the Unix socket and connect it to conn->path. */
static secctx_status
conn_open(secctx_conn *conn)
{
	struct sockaddr_un	sun;
	int			sndbuf = CONN_SNDBUF;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, conn->path, sizeof(sun.sun_path));
	conn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (conn->fd == -1)
		return (conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY,
		    "cannot create a socket for secctxd at %s: %s", conn->path,
		    strerror(errno)));
	/* Room for a large request in one go (best effort). */
	(void)setsockopt(conn->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf));
	while (connect(conn->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EISCONN)
			break;
		return (conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY,
		    "cannot connect to secctxd at %s: %s", conn->path,
		    strerror(errno)));
	}
	return (SEC_E_OK);
}

/* Open the session: hello with version 1, and learn the daemon's limits. */
static secctx_status
conn_hello(secctx_conn *conn)
{
	struct conn_reply	 reply;
	struct sc_err		 err;
	json_t			*req;
	int64_t			 version = 0, max = FRAME_MAX_PAYLOAD;
	secctx_status		 st;

	if ((req = json_pack("{s:i}", "version", PROTO_VERSION)) == NULL)
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the hello request"));
	st = conn_request(conn, "hello", req, NULL, 0, &reply);
	json_decref(req);
	if (st != SEC_E_OK)
		goto out;
	if (msg_get_int(reply.hdr, "version", MSG_REQUIRED, 0, INT64_MAX,
	    &version, &err) != SEC_E_OK ||
	    msg_get_int(reply.hdr, "max_payload", MSG_OPTIONAL, 0, INT64_MAX,
	    &max, &err) != SEC_E_OK) {
		st = client_seterr(SEC_E_INTERNAL_ERROR,
		    "invalid hello response from secctxd at %s: %s",
		    conn->path, err.msg);
		goto out;
	}
	if (version != PROTO_VERSION) {
		st = client_seterr(SEC_E_UNSUPPORTED_FUNCTION,
		    "secctxd at %s speaks protocol version %lld, not %d",
		    conn->path, (long long)version, PROTO_VERSION);
		goto out;
	}
	if (max < (int64_t)conn->max_payload)
		conn->max_payload = max;
out:
	conn_reply_free(&reply);
	return (st);
}

secctx_status
secctx_connect(const char *path, secctx_conn **connp)
{
	secctx_conn	*conn;
	secctx_status	 st;

	if (connp == NULL)
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "no connection pointer"));
	*connp = NULL;
	if (path == NULL && (path = getenv("SECCTX_SOCKET")) != NULL &&
	    *path == '\0')
		path = NULL;
	if (path == NULL)
		path = SECCTX_DEFAULT_SOCKET;
	if (*path == '\0' || strlen(path) >= sizeof(conn->path))
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "invalid socket path for secctxd: '%s'", path));
	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot allocate a connection"));
	if (pthread_mutex_init(&conn->lock, NULL) != 0) {
		free(conn);
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot create a lock"));
	}
	conn->fd = -1;
	conn->refs = 1;
	conn->next_id = 1;
	conn->max_payload = FRAME_MAX_PAYLOAD;
	memcpy(conn->path, path, strlen(path) + 1);
	if ((st = conn_open(conn)) != SEC_E_OK ||
	    (st = conn_hello(conn)) != SEC_E_OK) {
		conn_unref(conn);
		return (st);
	}
	*connp = conn;
	return (SEC_E_OK);
}

void
secctx_disconnect(secctx_conn *conn)
{
	if (conn == NULL)
		return;
	pthread_mutex_lock(&conn->lock);
	if (conn->fd != -1) {
		close(conn->fd);
		conn->fd = -1;
	}
	snprintf(conn->closed_why, sizeof(conn->closed_why),
	    "the connection to secctxd at %s was closed", conn->path);
	pthread_mutex_unlock(&conn->lock);
	conn_unref(conn);
}
