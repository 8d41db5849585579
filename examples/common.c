/*
 * What the examples share: TCP sockets, ALPN list parsing and the one
 * handshake loop both sides run.
 */

#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

/* The most ALPN protocols the daemon accepts. */
#define ALPN_MAX	32

int
hostport_split(const char *arg, char **host, char **port)
{
	const char	*colon, *end;

	*host = *port = NULL;
	if (arg[0] == '[') {
		if ((end = strchr(arg, ']')) == NULL || end[1] != ':')
			return (-1);
		colon = end + 1;
		arg++;
	} else {
		if ((colon = strrchr(arg, ':')) == NULL ||
		    memchr(arg, ':', colon - arg) != NULL)
			return (-1);
		end = colon;
	}
	if (end == arg || colon[1] == '\0')
		return (-1);
	if ((*host = strndup(arg, end - arg)) == NULL ||
	    (*port = strdup(colon + 1)) == NULL) {
		free(*host);
		*host = NULL;
		return (-1);
	}
	return (0);
}

void
addr_format(const void *sa, size_t salen, char *buf, size_t len)
{
	char	host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	if (strchr(host, ':') != NULL)
		snprintf(buf, len, "[%s]:%s", host, serv);
	else
		snprintf(buf, len, "%s:%s", host, serv);
}

int
tcp_connect(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, error, saved = ECONNREFUSED;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s port %s: %s", host, port,
		    gai_strerror(error));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "cannot connect to %s port %s: %s", host,
		    port, strerror(saved));
	return (fd);
}

/* Bind and listen on one address. */
static int
tcp_listen_one(const struct addrinfo *ai)
{
	int	fd, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return (-1);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		on = errno;
		close(fd);
		errno = on;
		return (-1);
	}
	return (fd);
}

int
tcp_listen(const char *addr, const char *port, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, error, saved = EADDRNOTAVAIL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((error = getaddrinfo(addr, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s port %s: %s", addr, port,
		    gai_strerror(error));
		return (-1);
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		if ((fd = tcp_listen_one(ai)) == -1)
			saved = errno;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "cannot listen on %s port %s: %s", addr,
		    port, strerror(saved));
	return (fd);
}

int
alpn_parse(const char *list, struct secctx_options *options, char **storage)
{
	const char	**names;
	char		 *copy, *p, *comma;
	size_t		  n = 0;

	options->alpn = NULL;
	options->alpn_count = 0;
	if ((copy = strdup(list)) == NULL ||
	    (names = calloc(ALPN_MAX, sizeof(*names))) == NULL) {
		free(copy);
		return (-1);
	}
	for (p = copy; p != NULL; p = comma) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma++ = '\0';
		if (*p == '\0' || n == ALPN_MAX) {
			free(names);
			free(copy);
			return (-1);
		}
		names[n++] = p;
	}
	options->alpn = names;
	options->alpn_count = n;
	*storage = copy;
	return (0);
}

void
alpn_free(struct secctx_options *options, char *storage)
{
	free((void *)options->alpn);
	options->alpn = NULL;
	options->alpn_count = 0;
	free(storage);
}

/*
 * The handshake loop.  Input read from the peer accumulates in a buffer; after
 * each step only the 'extra' bytes the daemon did not consume are kept.
 */

#define HS_READ		(16 * 1024)	/* bytes asked for per read */
#define HS_MAX_INPUT	(256 * 1024)	/* most unconsumed input kept */

struct hs_input {
	uint8_t	*buf;
	size_t	 len;
	size_t	 size;
};

/* Read until the input holds at least 'want' bytes (and at least once). */
static int
hs_read(int fd, struct hs_input *in, size_t want, char *err, size_t errlen)
{
	uint8_t	*p;
	ssize_t	 n;

	do {
		if (in->size - in->len < HS_READ) {
			if (in->len + HS_READ > HS_MAX_INPUT) {
				snprintf(err, errlen, "the peer sent more than "
				    "%d bytes the handshake cannot use",
				    HS_MAX_INPUT);
				return (-1);
			}
			if ((p = realloc(in->buf, in->len + HS_READ)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return (-1);
			}
			in->buf = p;
			in->size = in->len + HS_READ;
		}
		n = recv(fd, in->buf + in->len, in->size - in->len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "cannot read from the peer: %s",
			    errno == EAGAIN ? "timed out" : strerror(errno));
			return (-1);
		}
		if (n == 0) {
			snprintf(err, errlen, "the peer closed the connection");
			return (-1);
		}
		in->len += n;
	} while (in->len < want);
	return (0);
}

static int
send_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		p += n;
		len -= n;
	}
	return (0);
}

/*
 * Send a step's output token.  After an error it is an alert, sent on a
 * best-effort basis; when the server is done, it is at most session tickets,
 * which a client that already hung up does not need.
 */
static int
hs_send(int fd, const struct handshake *hs, secctx_status st,
    const struct secctx_token *tok, char *err, size_t errlen)
{
	if (tok->out_len == 0 || send_all(fd, tok->out, tok->out_len) == 0)
		return (0);
	if (SECCTX_FAILED(st) || (st == SEC_E_OK && hs->server))
		return (0);
	snprintf(err, errlen, "cannot write to the peer: %s", strerror(errno));
	return (-1);
}

static secctx_status
hs_step(const struct handshake *hs, secctx_ctx **ctxp,
    struct secctx_token *tok)
{
	if (hs->server)
		return (secctx_accept(hs->cred, ctxp, hs->options, tok));
	return (secctx_initialize(hs->cred, ctxp, hs->options, tok));
}

int
handshake_run(int fd, const struct handshake *hs, secctx_ctx **ctxp,
    char *err, size_t errlen)
{
	struct hs_input		in = { NULL, 0, 0 };
	struct secctx_token	tok;
	secctx_status		st;
	size_t			want = hs->server ? 1 : 0;
	int			rc = -1, sent, starved;

	*ctxp = NULL;
	for (;;) {
		if (want > 0 && hs_read(fd, &in, want, err, errlen) == -1)
			goto out;
		memset(&tok, 0, sizeof(tok));
		tok.in = in.buf;
		tok.in_len = in.len;
		st = hs_step(hs, ctxp, &tok);
		sent = hs_send(fd, hs, st, &tok, err, errlen);
		secctx_free(tok.out);
		if (sent == -1)
			goto out;
		if (st == SEC_E_INCOMPLETE_MESSAGE) {
			want = in.len + (tok.missing > 0 ? tok.missing : 1);
			continue;
		}
		if (SECCTX_FAILED(st)) {
			snprintf(err, errlen, "%s", secctx_last_error());
			goto out;
		}
		/* Nothing left, or nothing consumed: the peer must speak. */
		starved = tok.extra == 0 || tok.extra == in.len;
		if (tok.extra > 0)
			memmove(in.buf, in.buf + in.len - tok.extra, tok.extra);
		in.len = tok.extra;
		want = starved ? in.len + 1 : 0;
		if (st == SEC_E_OK) {
			rc = 0;
			goto out;
		}
		if (st != SEC_I_CONTINUE_NEEDED) {
			snprintf(err, errlen, "unexpected status %s",
			    secctx_status_name(st) != NULL ?
			    secctx_status_name(st) : "(unknown)");
			goto out;
		}
	}
out:
	if (rc == -1 && *ctxp != NULL) {
		secctx_delete(*ctxp);
		*ctxp = NULL;
	}
	free(in.buf);
	return (rc);
}
