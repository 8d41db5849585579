/*
 * One TLS connection through secctxd: the handshake loop, then protected
 * records in both directions, then close_notify.
 */

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session.h"

#define READ_SIZE	(64 * 1024)	/* bytes asked for per read */
#define MAX_INPUT	(256 * 1024)	/* most unconsumed input kept */
#define LINGER_MAX	(256 * 1024)	/* most bytes drained at the close */

void
session_init(struct session *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->need = 1;
}

static const char *
status_name(secctx_status st)
{
	const char	*name = secctx_status_name(st);

	return (name != NULL ? name : "(unknown status)");
}

/* Read once from the socket, appending to s->in; 0 at end of file. */
static ssize_t
session_read(struct session *s)
{
	uint8_t	*p;
	ssize_t	 n;

	if (s->in_size - s->in_len < READ_SIZE) {
		if (s->in_len + READ_SIZE > MAX_INPUT) {
			snprintf(s->err, sizeof(s->err), "the peer sent more "
			    "than %d bytes that make no record", MAX_INPUT);
			return (-1);
		}
		if ((p = realloc(s->in, s->in_len + READ_SIZE)) == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			return (-1);
		}
		s->in = p;
		s->in_size = s->in_len + READ_SIZE;
	}
	while ((n = recv(s->fd, s->in + s->in_len, s->in_size - s->in_len,
	    0)) == -1 && errno == EINTR)
		;
	if (n == -1) {
		if (errno == ECONNRESET) {
			s->eof = 1;
			return (0);
		}
		snprintf(s->err, sizeof(s->err), "cannot read from the peer: "
		    "%s", errno == EAGAIN ? "timed out" : strerror(errno));
		return (-1);
	}
	if (n == 0)
		s->eof = 1;
	s->in_len += n;
	return (n);
}

/* Keep the last 'extra' bytes of the input. */
static void
session_consume(struct session *s, size_t extra)
{
	if (extra > s->in_len)
		extra = s->in_len;
	if (extra > 0)
		memmove(s->in, s->in + s->in_len - extra, extra);
	s->in_len = extra;
}

/* Append to the output queue. */
static int
session_queue(struct session *s, const void *data, size_t len)
{
	uint8_t	*p;
	size_t	 size;

	if (len == 0)
		return (0);
	if (s->out_size - s->out_len < len) {
		size = s->out_len + len;
		if ((p = realloc(s->out, size)) == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			return (-1);
		}
		s->out = p;
		s->out_size = size;
	}
	memcpy(s->out + s->out_len, data, len);
	s->out_len += len;
	return (0);
}

int
session_flush(struct session *s, int nowait)
{
	size_t	off = 0;
	ssize_t	n;
	int	rc = 0;

	while (off < s->out_len) {
		n = send(s->fd, s->out + off, s->out_len - off,
		    MSG_NOSIGNAL | (nowait ? MSG_DONTWAIT : 0));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && nowait && (errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			break;
		if (n == -1) {
			snprintf(s->err, sizeof(s->err), "cannot write to the "
			    "peer: %s", errno == EAGAIN ? "timed out" :
			    strerror(errno));
			rc = -1;
			break;
		}
		off += n;
	}
	if (off > 0) {
		memmove(s->out, s->out + off, s->out_len - off);
		s->out_len -= off;
	}
	return (rc);
}

static secctx_status
handshake_step(struct session *s, const struct handshake *hs,
    struct secctx_token *tok)
{
	if (hs->server)
		return (secctx_accept(hs->cred, &s->ctx, hs->options, tok));
	return (secctx_initialize(hs->cred, &s->ctx, hs->options, tok));
}

/*
 * Send a step's output token.  After an error it is an alert, sent on a
 * best-effort basis; when the server is done, it is at most session tickets,
 * which a client that already hung up does not need.
 */
static int
handshake_send(struct session *s, const struct handshake *hs,
    secctx_status st, const struct secctx_token *tok)
{
	if (session_queue(s, tok->out, tok->out_len) == -1)
		return (-1);
	if (session_flush(s, 0) == 0)
		return (0);
	s->out_len = 0;
	if (SECCTX_FAILED(st) || (st == SEC_E_OK && hs->server))
		return (0);
	return (-1);
}

int
session_handshake(struct session *s, const struct handshake *hs)
{
	struct secctx_token	tok;
	secctx_status		st;
	int			sent;

	/* The client speaks first. */
	s->need = hs->server ? 1 : 0;
	for (;;) {
		while (s->in_len < s->need) {
			if (session_read(s) == -1)
				goto fail;
			if (s->eof) {
				snprintf(s->err, sizeof(s->err),
				    "the peer closed the connection");
				goto fail;
			}
		}
		memset(&tok, 0, sizeof(tok));
		tok.in = s->in;
		tok.in_len = s->in_len;
		st = handshake_step(s, hs, &tok);
		sent = handshake_send(s, hs, st, &tok);
		secctx_free(tok.out);
		if (sent == -1)
			goto fail;
		if (st == SEC_E_INCOMPLETE_MESSAGE) {
			s->need = s->in_len + (tok.missing > 0 ? tok.missing :
			    1);
			continue;
		}
		if (SECCTX_FAILED(st)) {
			snprintf(s->err, sizeof(s->err), "%s",
			    secctx_last_error());
			goto fail;
		}
		/* Nothing left, or nothing consumed: the peer must speak. */
		s->need = tok.extra == 0 || tok.extra == s->in_len ?
		    tok.extra + 1 : 0;
		session_consume(s, tok.extra);
		if (st == SEC_E_OK) {
			/* The rest are the peer's first records. */
			s->need = s->in_len > 0 ? s->in_len : 1;
			return (0);
		}
		if (st != SEC_I_CONTINUE_NEEDED) {
			snprintf(s->err, sizeof(s->err), "unexpected status %s",
			    status_name(st));
			goto fail;
		}
	}
fail:
	if (s->ctx != NULL) {
		secctx_delete(s->ctx);
		s->ctx = NULL;
	}
	return (-1);
}

int
session_pending(const struct session *s)
{
	return (s->ctx != NULL && !s->closed && s->in_len > 0 &&
	    s->in_len >= s->need);
}

int
session_recv(struct session *s, void **data, size_t *len)
{
	struct secctx_message	m;
	secctx_status		st;

	*data = NULL;
	*len = 0;
	if (s->closed || s->eof)
		return (0);
	if (s->in_len < s->need) {
		if (session_read(s) == -1)
			return (-1);
		if (s->eof || s->in_len < s->need)
			return (0);
	}
	memset(&m, 0, sizeof(m));
	m.in = s->in;
	m.in_len = s->in_len;
	st = secctx_decrypt(s->ctx, &m);
	if (session_queue(s, m.out, m.out_len) == -1) {
		secctx_free(m.out);
		secctx_free(m.data);
		return (-1);
	}
	secctx_free(m.out);
	*data = m.data;
	*len = m.data_len;
	/*
	 * An answer TLS asks for now (a KeyUpdate, the refusal of a
	 * renegotiation): the peer may be waiting for it before it sends more.
	 */
	if (!SECCTX_FAILED(st) && s->out_len > 0 && session_flush(s, 1) == -1) {
		secctx_free(m.data);
		*data = NULL;
		*len = 0;
		return (-1);
	}
	switch (st) {
	case SEC_E_OK:
		/* Every whole record was read: the rest is a part of one. */
		session_consume(s, m.extra);
		s->need = s->in_len + 1;
		return (0);
	case SEC_E_INCOMPLETE_MESSAGE:
		s->need = s->in_len + (m.missing > 0 ? m.missing : 1);
		return (0);
	case SEC_I_CONTEXT_EXPIRED:
		s->closed = 1;
		session_consume(s, m.extra);
		return (0);
	default:
		snprintf(s->err, sizeof(s->err), "%s", secctx_last_error());
		if (!SECCTX_FAILED(st))
			snprintf(s->err, sizeof(s->err), "unexpected status "
			    "%s", status_name(st));
		/* The context is dead; its alert, if any, is queued. */
		secctx_delete(s->ctx);
		s->ctx = NULL;
		session_flush(s, 1);
		return (-1);
	}
}

int
session_send(struct session *s, const void *data, size_t len)
{
	void	*out;
	size_t	 out_len;
	int	 rc;

	if (len == 0)
		return (0);
	if (secctx_encrypt(s->ctx, data, len, &out, &out_len) != SEC_E_OK) {
		snprintf(s->err, sizeof(s->err), "%s", secctx_last_error());
		return (-1);
	}
	rc = session_queue(s, out, out_len);
	secctx_free(out);
	return (rc);
}

int
session_shutdown(struct session *s)
{
	void	*out;
	size_t	 out_len;
	int	 rc;

	if (s->shut || s->ctx == NULL)
		return (0);
	if (secctx_shutdown(s->ctx, &out, &out_len) != SEC_E_OK) {
		snprintf(s->err, sizeof(s->err), "%s", secctx_last_error());
		return (-1);
	}
	s->shut = 1;
	rc = session_queue(s, out, out_len);
	secctx_free(out);
	return (rc);
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
session_linger(struct session *s, int timeout_ms)
{
	struct pollfd	 pfd = { .fd = s->fd, .events = POLLIN };
	long long	 deadline = now_ms() + timeout_ms, left;
	char		 buf[4096];
	size_t		 drained = 0;
	ssize_t		 n;

	shutdown(s->fd, SHUT_WR);
	while ((left = deadline - now_ms()) > 0 && drained < LINGER_MAX) {
		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			break;
		if (n > 0)
			drained += n;
	}
}

int
session_close(struct session *s, int timeout_ms)
{
	int	rc = 0;

	if (!s->eof && session_shutdown(s) == -1)
		rc = -1;
	if (session_flush(s, 0) == -1)
		rc = -1;
	session_linger(s, timeout_ms);
	return (rc);
}

void
session_free(struct session *s)
{
	if (s->ctx != NULL)
		secctx_delete(s->ctx);
	if (s->fd != -1)
		close(s->fd);
	free(s->in);
	free(s->out);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}
