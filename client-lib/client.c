/*
 * The connection to secctxd: connect and hello, the thread's last error, and
 * one blocking request/response round trip at a time, bounded by the
 * connection's timeout.  When the daemon goes away the next request that
 * names no context opens a new session, and acquires the credentials it
 * names again; contexts of the old session are lost.
 */

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "client.h"
#include "escape.h"
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

/*
 * The message goes through the line net of proto/escape.h, as the daemon's
 * do: cut between two characters, whatever the daemon or the system said.
 */
secctx_status
client_seterr(secctx_status status, const char *fmt, ...)
{
	const char	*name = secctx_status_name(status);
	va_list		 ap;
	char		 text[CLIENT_ERRLEN * 2];
	int		 n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (name != NULL)
		n = snprintf(last_error, sizeof(last_error), "%s: ", name);
	else
		n = snprintf(last_error, sizeof(last_error), "0x%08X: ",
		    (unsigned int)status);
	if (n < 0 || (size_t)n >= sizeof(last_error))
		n = 0;
	sc_escape_line(last_error + n, sizeof(last_error) - n, text);
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
	conn->timed_out = 0;
	if (conn->fd != -1) {
		close(conn->fd);
		conn->fd = -1;
	}
	conn->roff = conn->rlen = 0;
	conn->sent = 0;
	conn->hungup = 0;
	conn->nunanswered = 0;
	return (client_seterr(status, "%s", conn->closed_why));
}

/* Now on the monotonic clock, in milliseconds. */
static int64_t
conn_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The request deadline from now (0: none), with the lock held. */
static int64_t
conn_deadline(secctx_conn *conn)
{
	return (conn->timeout_ms > 0 ? conn_now_ms() + conn->timeout_ms : 0);
}

/*
 * Wait until the socket is ready for 'events' or the request's deadline
 * (0: none) passes.  A daemon that does not answer in time (stopped,
 * hung) costs the session: a late answer could not be told from the next.
 */
static secctx_status
conn_wait(secctx_conn *conn, short events, int64_t deadline)
{
	struct pollfd	pfd = { conn->fd, events, 0 };
	int64_t		left;
	int		n;

	for (;;) {
		left = deadline == 0 ? -1 : deadline - conn_now_ms();
		if (deadline != 0 && left <= 0)
			break;
		n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n > 0)
			return (SEC_E_OK);
		if (n == -1 && errno != EINTR)
			return (conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY,
			    "cannot wait for secctxd at %s: %s", conn->path,
			    strerror(errno)));
	}
	conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY, "secctxd at %s did "
	    "not answer within %d ms (the request timeout); the connection "
	    "was closed", conn->path, conn->timeout_ms);
	conn->timed_out = 1;
	return (SEC_E_NO_AUTHENTICATING_AUTHORITY);
}

/* Write every byte of iov, restarting after signals and partial writes. */
static secctx_status
conn_send_all(secctx_conn *conn, struct iovec *iov, int iovcnt,
    int64_t deadline)
{
	struct msghdr	msg;
	secctx_status	st;
	ssize_t		n;

	while (iovcnt > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = iovcnt;
		n = sendmsg(conn->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((st = conn_wait(conn, POLLOUT, deadline)) !=
			    SEC_E_OK)
				return (st);
			continue;
		}
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET)) {
			/*
			 * The daemon answered and closed (a refused
			 * connection, a frame it could not take): the
			 * answer is read as any other.
			 */
			conn->hungup = 1;
			break;
		}
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
	conn->sent = 1;
	return (SEC_E_OK);
}

/*
 * Read exactly len bytes: first what was read ahead, then, for a large
 * rest, straight into buf, else a read ahead into rbuf.  The socket is
 * waited for (until the deadline) when it has nothing, and before the
 * first read after a request, whose answer cannot have come yet.
 */
static secctx_status
conn_recv_all(secctx_conn *conn, void *buf, size_t len, int64_t deadline)
{
	uint8_t		*p = buf;
	secctx_status	 st;
	ssize_t		 n;
	size_t		 take;

	while (len > 0) {
		if (conn->roff < conn->rlen) {
			take = conn->rlen - conn->roff;
			if (take > len)
				take = len;
			memcpy(p, conn->rbuf + conn->roff, take);
			/* A response may carry a mapped context's keys. */
			OPENSSL_cleanse(conn->rbuf + conn->roff, take);
			conn->roff += take;
			p += take;
			len -= take;
			continue;
		}
		if (conn->sent) {
			conn->sent = 0;
			if ((st = conn_wait(conn, POLLIN, deadline)) !=
			    SEC_E_OK)
				return (st);
		}
		if (len < sizeof(conn->rbuf)) {
			n = recv(conn->fd, conn->rbuf, sizeof(conn->rbuf),
			    MSG_DONTWAIT);
			if (n > 0) {
				conn->roff = 0;
				conn->rlen = n;
				continue;
			}
		} else
			n = recv(conn->fd, p, len, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((st = conn_wait(conn, POLLIN, deadline)) !=
			    SEC_E_OK)
				return (st);
			continue;
		}
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
    json_t *req, const void *payload, size_t len, int64_t deadline)
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
	st = conn_send_all(conn, iov, len > 0 ? 3 : 2, deadline);
out:
	free(text);
	json_decref(hdr);
	return (st);
}

/* Read one response frame, within the protocol's limits. */
static secctx_status
conn_recv_reply(secctx_conn *conn, struct conn_reply *reply,
    int64_t deadline)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	uint32_t	 hlen, plen;
	struct sc_err	 err;
	char		*text = NULL;
	secctx_status	 st;

	if ((st = conn_recv_all(conn, prefix, sizeof(prefix), deadline)) !=
	    SEC_E_OK)
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
	if ((st = conn_recv_all(conn, text, hlen, deadline)) != SEC_E_OK ||
	    (st = conn_recv_all(conn, reply->payload, plen,
	    deadline)) != SEC_E_OK)
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
	/* The daemon timed the connection out and is closing it. */
	if (rid == 0 && st == SEC_E_CONTEXT_EXPIRED)
		return (conn_fail(conn, st, "secctxd at %s closed the "
		    "connection: %s", conn->path, message));
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

/*
 * Whether the reply answers a request sent without waiting (its answer is
 * dropped); it is then removed from those.
 */
static int
conn_unanswered(secctx_conn *conn, const struct conn_reply *reply)
{
	json_t	*v = json_object_get(reply->hdr, "id");
	int64_t	 id;
	size_t	 i;

	if (!json_is_integer(v) || (id = json_integer_value(v)) == 0)
		return (0);
	for (i = 0; i < conn->nunanswered; i++) {
		if (conn->unanswered[i] == id) {
			conn->unanswered[i] =
			    conn->unanswered[--conn->nunanswered];
			return (1);
		}
	}
	return (0);
}

/* The next reply somebody waits for. */
static secctx_status
conn_recv_answer(secctx_conn *conn, struct conn_reply *reply,
    int64_t deadline)
{
	secctx_status	st;

	for (;;) {
		if ((st = conn_recv_reply(conn, reply, deadline)) != SEC_E_OK ||
		    !conn_unanswered(conn, reply))
			return (st);
		conn_reply_free(reply);
	}
}

/* One round trip on the open session, with the lock held. */
static secctx_status
conn_roundtrip(secctx_conn *conn, const char *op, json_t *req,
    const void *payload, size_t len, struct conn_reply *reply)
{
	secctx_status	st;
	int64_t		id, deadline;

	memset(reply, 0, sizeof(*reply));
	if (len > conn->max_payload)
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "%zu bytes exceed the daemon's limit of %u", len,
		    conn->max_payload));
	deadline = conn_deadline(conn);
	id = conn->next_id;
	conn->next_id = id + 1 < CONN_MAX_ID ? id + 1 : 1;
	if ((st = conn_send_request(conn, op, id, req, payload, len,
	    deadline)) == SEC_E_OK &&
	    (st = conn_recv_answer(conn, reply, deadline)) == SEC_E_OK)
		st = conn_check_reply(conn, id, reply);
	/* The session ends with the daemon's last answer. */
	if (conn->hungup && conn->fd != -1 && SECCTX_FAILED(st))
		conn_fail(conn, st, "%s", secctx_last_error());
	else if (conn->hungup && conn->fd != -1)
		st = conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY,
		    "secctxd at %s closed the connection", conn->path);
	/* A reply is only handed back when the stream is still sound. */
	if (conn->fd == -1)
		conn_reply_free(reply);
	return (st);
}

/* The socket send buffer asked for: a large request in one write. */
#define CONN_SNDBUF	(1024 * 1024)

/*
 * Open the Unix socket and connect it to conn->path.  A daemon that does
 * not accept (stopped, its backlog full) is waited for until the deadline.
 */
static secctx_status
conn_open(secctx_conn *conn, int64_t deadline)
{
	struct sockaddr_un	sun;
	struct timespec		ts = { 0, 10 * 1000000 };
	int			sndbuf = CONN_SNDBUF;

	conn->roff = conn->rlen = 0;
	conn->sent = 0;
	conn->nunanswered = 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, conn->path, sizeof(sun.sun_path));
	conn->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
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
		if (errno == EAGAIN && (deadline == 0 ||
		    conn_now_ms() < deadline)) {
			nanosleep(&ts, NULL);
			continue;
		}
		return (conn_fail(conn, SEC_E_NO_AUTHENTICATING_AUTHORITY,
		    "cannot connect to secctxd at %s: %s", conn->path,
		    errno == EAGAIN ? "it accepts no connection" :
		    strerror(errno)));
	}
	return (SEC_E_OK);
}

/* Say hello with version 1 and learn the daemon's limits (lock held). */
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
	st = conn_roundtrip(conn, "hello", req, NULL, 0, &reply);
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

/* Open a new session, with the lock held: connect and hello. */
static secctx_status
conn_session_open(secctx_conn *conn)
{
	secctx_status	st;

	conn->max_payload = FRAME_MAX_PAYLOAD;
	if ((st = conn_open(conn, conn_deadline(conn))) != SEC_E_OK)
		return (st);
	if ((st = conn_hello(conn)) != SEC_E_OK) {
		if (conn->fd != -1) {
			close(conn->fd);
			conn->fd = -1;
			snprintf(conn->closed_why, sizeof(conn->closed_why),
			    "%s", secctx_last_error());
		}
		return (st);
	}
	conn->session++;
	return (SEC_E_OK);
}

/* Acquire a credential of an earlier session again (lock held). */
static secctx_status
conn_cred_renew(secctx_conn *conn, secctx_cred *cred)
{
	struct conn_reply	 reply;
	struct sc_err		 err;
	json_t			*req;
	uint64_t		 h = 0;
	secctx_status		 st;

	req = json_pack("{s:s, s:s}", "name", cred->name, "direction",
	    cred->direction == SECCTX_INBOUND ? "inbound" : "outbound");
	if (req == NULL)
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the acquire_credentials request"));
	st = conn_roundtrip(conn, "acquire_credentials", req, NULL, 0, &reply);
	json_decref(req);
	if (st == SEC_E_OK && msg_get_handle(reply.hdr, "cred", MSG_REQUIRED,
	    &h, &err) != SEC_E_OK)
		st = client_seterr(SEC_E_INTERNAL_ERROR, "invalid "
		    "'acquire_credentials' response from secctxd: %s",
		    err.msg);
	if (st == SEC_E_OK) {
		cred->handle = h;
		cred->session = conn->session;
	}
	conn_reply_free(&reply);
	return (st);
}

/* A request naming a context of a session that is gone. */
static secctx_status
conn_lost(secctx_conn *conn)
{
	return (client_seterr(SEC_E_CONTEXT_EXPIRED, "the context was lost "
	    "with its connection to secctxd: %s", conn->closed_why));
}

/* One attempt at a request (lock held); see conn_request_bound(). */
static secctx_status
conn_request_once(secctx_conn *conn, uint64_t ctx_session,
    struct conn_bind *bind, const char *op, json_t *req,
    const void *payload, size_t len, struct conn_reply *reply)
{
	secctx_cred	*cred = bind->cred;
	secctx_status	 st;

	if (conn->closed)
		return (client_seterr(SEC_E_NO_AUTHENTICATING_AUTHORITY, "%s",
		    conn->closed_why));
	if (ctx_session != 0 && (conn->fd == -1 ||
	    conn->session != ctx_session))
		return (conn_lost(conn));
	/* Nothing to free in the daemon: it went with its session. */
	if (bind->drop_stale && cred != NULL && (conn->fd == -1 ||
	    cred->session != conn->session))
		return (SEC_E_OK);
	if (conn->fd == -1 && (st = conn_session_open(conn)) != SEC_E_OK)
		return (st);
	if (cred != NULL && cred->session != conn->session &&
	    (st = conn_cred_renew(conn, cred)) != SEC_E_OK)
		return (st);
	if (cred != NULL && msg_set_handle(req, "cred", cred->handle) != 0)
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the '%s' request", op));
	bind->session = conn->session;
	st = conn_roundtrip(conn, op, req, payload, len, reply);
	if (ctx_session != 0 && conn->fd == -1)
		return (conn_lost(conn));
	return (st);
}

/*
 * Whether a request that names no context may go again on a new session:
 * the session it went to failed (not by a timeout: the daemon would be as
 * slow again).  Whatever the request did in the daemon went with its
 * connection, so sending it again cannot do it twice.
 */
static int
conn_may_retry(secctx_conn *conn, uint64_t ctx_session, int was_open,
    secctx_status st)
{
	return (ctx_session == 0 && was_open && conn->fd == -1 &&
	    !conn->closed && !conn->timed_out &&
	    (st == SEC_E_NO_AUTHENTICATING_AUTHORITY ||
	    st == SEC_E_CONTEXT_EXPIRED));
}

secctx_status
conn_request_bound(secctx_conn *conn, struct conn_bind *bind,
    const char *op, json_t *req, const void *payload, size_t len,
    struct conn_reply *reply)
{
	struct conn_bind	none = { 0, NULL, 0 };
	uint64_t		ctx_session;
	secctx_status		st;
	int			was_open;

	memset(reply, 0, sizeof(*reply));
	if (bind == NULL)
		bind = &none;
	ctx_session = bind->session;
	pthread_mutex_lock(&conn->lock);
	was_open = conn->fd != -1;
	st = conn_request_once(conn, ctx_session, bind, op, req, payload, len,
	    reply);
	if (conn_may_retry(conn, ctx_session, was_open, st))
		st = conn_request_once(conn, ctx_session, bind, op, req,
		    payload, len, reply);
	pthread_mutex_unlock(&conn->lock);
	return (st);
}

/*
 * Send a request naming a context of session ctx_session without waiting
 * for its answer, which is read and dropped before a later one.  Nothing
 * is sent for a context lost with its session.  With too many such
 * requests outstanding this one is a plain round trip.
 */
secctx_status
conn_request_nowait(secctx_conn *conn, uint64_t ctx_session, const char *op,
    json_t *req)
{
	struct conn_reply	reply;
	secctx_status		st = SEC_E_OK;
	int64_t			id;

	pthread_mutex_lock(&conn->lock);
	if (conn->closed || conn->fd == -1 || conn->session != ctx_session)
		goto out;
	if (conn->nunanswered == CONN_UNANSWERED_MAX) {
		st = conn_roundtrip(conn, op, req, NULL, 0, &reply);
		conn_reply_free(&reply);
		goto out;
	}
	id = conn->next_id;
	conn->next_id = id + 1 < CONN_MAX_ID ? id + 1 : 1;
	if ((st = conn_send_request(conn, op, id, req, NULL, 0,
	    conn_deadline(conn))) == SEC_E_OK)
		conn->unanswered[conn->nunanswered++] = id;
out:
	pthread_mutex_unlock(&conn->lock);
	return (st);
}

int
conn_session_live(secctx_conn *conn, uint64_t session)
{
	int	live;

	pthread_mutex_lock(&conn->lock);
	live = !conn->closed && conn->fd != -1 && conn->session == session;
	pthread_mutex_unlock(&conn->lock);
	return (live);
}

/* $SECCTX_TIMEOUT_MS, or the default. */
static int
conn_default_timeout(void)
{
	const char	*s = getenv("SECCTX_TIMEOUT_MS");
	char		*end;
	long		 v;

	if (s == NULL || *s == '\0')
		return (SECCTX_DEFAULT_TIMEOUT_MS);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT32_MAX)
		return (SECCTX_DEFAULT_TIMEOUT_MS);
	return ((int)v);
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
	conn->timeout_ms = conn_default_timeout();
	memcpy(conn->path, path, strlen(path) + 1);
	if ((st = conn_session_open(conn)) != SEC_E_OK) {
		conn_unref(conn);
		return (st);
	}
	*connp = conn;
	return (SEC_E_OK);
}

secctx_status
secctx_set_timeout(secctx_conn *conn, unsigned int timeout_ms)
{
	if (conn == NULL || timeout_ms > INT32_MAX)
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "no connection, or a timeout over %d ms", INT32_MAX));
	pthread_mutex_lock(&conn->lock);
	conn->timeout_ms = (int)timeout_ms;
	pthread_mutex_unlock(&conn->lock);
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
	conn->closed = 1;
	snprintf(conn->closed_why, sizeof(conn->closed_why),
	    "the connection to secctxd at %s was closed", conn->path);
	pthread_mutex_unlock(&conn->lock);
	conn_unref(conn);
}
