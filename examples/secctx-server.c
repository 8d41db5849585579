/*
 * secctx-server: accept TCP connections and complete each TLS handshake
 * through secctxd in a thread of its own; print one line with what was
 * negotiated; then echo what the client sends until it closes, or with
 * --www answer one HTTP request with a page describing the connection (like
 * `openssl s_server -www`); then send close_notify, or an alert after an
 * error, and close without a reset.
 *
 *   secctx-server [-1] [--www] [-b ADDR] [-c CRED] [-a ALPN,...]
 *       [--verify optional|required] [--tls1.2|--tls1.3] [--min VER]
 *       [--max VER] PORT
 */

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "session.h"

/* How long a silent peer may hold its connection: handshake, echo. */
#define PEER_TIMEOUT	30
#define IDLE_TIMEOUT	600
/* The longest HTTP request head taken with --www: one whole record. */
#define WWW_MAX_REQUEST	(16 * 1024)
/* How long to drain the peer after our close_notify or alert. */
#define LINGER_MS	2000

struct server {
	const char		*bind_addr;
	const char		*cred_name;
	const char		*port;
	int			 once;
	int			 www;
	struct secctx_options	 options;
	char			*alpn_storage;
	secctx_cred		*cred;
};

/* One accepted connection, handed to its thread. */
struct peer {
	struct server	*srv;
	int		 fd;
	char		 addr[80];
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: secctx-server [-1] [--www] [-b ADDR] [-c CRED] "
	    "[-a ALPN,...]\n"
	    "           [--verify optional|required] [--tls1.2|--tls1.3] "
	    "[--min VER] [--max VER] PORT\n"
	    "Echoes what each client sends; with --www answers an HTTP "
	    "request with a page\n"
	    "about the connection.  -1: serve one connection and exit.\n");
	exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "secctx-server: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
server_verify(struct server *srv, const char *arg)
{
	if (strcmp(arg, "optional") == 0)
		srv->options.client_cert = SECCTX_CLIENT_CERT_OPTIONAL;
	else if (strcmp(arg, "required") == 0)
		srv->options.client_cert = SECCTX_CLIENT_CERT_REQUIRED;
	else if (strcmp(arg, "none") == 0)
		srv->options.client_cert = SECCTX_CLIENT_CERT_NONE;
	else
		fatal("--verify takes none, optional or required, not %s",
		    arg);
}

static enum secctx_version
server_version(const char *opt, const char *arg)
{
	enum secctx_version	v;

	if (version_parse(arg, &v) == -1)
		fatal("%s takes 1.2 or 1.3, not %s", opt, arg);
	return (v);
}

static void
server_args(struct server *srv, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verify", required_argument, NULL, 'v' },
		{ "tls1.2", no_argument, NULL, '2' },
		{ "tls1.3", no_argument, NULL, '3' },
		{ "min", required_argument, NULL, 'm' },
		{ "max", required_argument, NULL, 'M' },
		{ "www", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	srv->bind_addr = "127.0.0.1";
	srv->cred_name = "server";
	while ((ch = getopt_long(argc, argv, "1a:b:c:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '1':
			srv->once = 1;
			break;
		case 'a':
			alpn_free(&srv->options, srv->alpn_storage);
			if (alpn_parse(optarg, &srv->options,
			    &srv->alpn_storage) == -1)
				fatal("invalid ALPN list: %s", optarg);
			break;
		case 'b':
			srv->bind_addr = optarg;
			break;
		case 'c':
			srv->cred_name = optarg;
			break;
		case 'v':
			server_verify(srv, optarg);
			break;
		case '2':
		case '3':
			srv->options.min_version = srv->options.max_version =
			    ch == '2' ? SECCTX_TLS1_2 : SECCTX_TLS1_3;
			break;
		case 'm':
			srv->options.min_version = server_version("--min",
			    optarg);
			break;
		case 'M':
			srv->options.max_version = server_version("--max",
			    optarg);
			break;
		case 'W':
			srv->www = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (srv->options.min_version != 0 && srv->options.max_version != 0 &&
	    srv->options.min_version > srv->options.max_version)
		fatal("the minimum version is above the maximum");
	srv->port = argv[optind];
}

/* One line to stderr about a peer; a single call, so lines never mix. */
static void __attribute__((format(printf, 2, 3)))
peer_log(const struct peer *p, const char *fmt, ...)
{
	char	line[ERRLEN + 128];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "secctx-server: %s: %s\n", p->addr, line);
}

/* Echo whatever the peer sends until it closes. */
static int
peer_echo(struct peer *p, struct session *s)
{
	struct timeval	 tv = { IDLE_TIMEOUT, 0 };
	void		*data;
	size_t		 len;
	int		 rc;

	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		if ((rc = session_recv(s, &data, &len)) == 0)
			rc = session_send(s, data, len);
		free(data);
		if (rc == 0)
			rc = session_flush(s, 0);
		if (rc == -1) {
			peer_log(p, "%s", s->err);
			return (-1);
		}
		if (s->closed || s->eof)
			return (0);
	}
}

/* The page that answers GET: what this connection negotiated. */
static int
www_page(const struct peer *p, const struct secctx_info *info, char *buf,
    size_t len)
{
	return (snprintf(buf, len,
	    "secctx-server: a TLS connection through secctxd\n"
	    "client: %s\n"
	    "protocol: %s\n"
	    "cipher: %s (%s)\n"
	    "group: %s\n"
	    "peer_subject: %s\n"
	    "peer_issuer: %s\n"
	    "sni: %s\n"
	    "alpn: %s\n"
	    "resumed: %s\n"
	    "credential: %s\n",
	    p->addr, info->protocol, info->cipher, info->cipher_iana,
	    info->group, info->peer_subject, info->peer_issuer, info->sni,
	    info->alpn, info->resumed ? "yes" : "no", info->credential));
}

/*
 * Read one HTTP request head of at most WWW_MAX_REQUEST bytes into req,
 * which has room for one more; 1 when it is whole, 0 when the peer closed
 * first, -1 on error.
 */
static int
www_read_request(struct peer *p, struct session *s, char *req)
{
	void	*data;
	size_t	 len, have = 0, from = 0;

	req[0] = '\0';
	while (strstr(req + from, "\r\n\r\n") == NULL &&
	    strstr(req + from, "\n\n") == NULL) {
		if (s->closed || s->eof)
			return (0);
		if (session_recv(s, &data, &len) == -1) {
			peer_log(p, "%s", s->err);
			return (-1);
		}
		if (len == 0) {	/* post-handshake messages, a partial record */
			free(data);
			continue;
		}
		if (len > WWW_MAX_REQUEST - have ||
		    memchr(data, '\0', len) != NULL) {
			free(data);
			peer_log(p, "the request is too long or not text");
			return (-1);
		}
		memcpy(req + have, data, len);
		free(data);
		/* The end of the head may straddle two reads. */
		from = have > 3 ? have - 3 : 0;
		have += len;
		req[have] = '\0';
	}
	return (1);
}

/*
 * Answer one HTTP request (GET or HEAD) with a page about the connection,
 * head and page in one record as s_server -www sends them: some TLS test
 * tools read one record and then expect the close.
 */
static int
peer_www(struct peer *p, struct session *s, const struct secctx_info *info)
{
	char		 req[WWW_MAX_REQUEST + 1], page[8192];
	char		 reply[sizeof(page) + 256];
	const char	*status = "200 OK";
	int		 rc, len, body = 1;

	if ((rc = www_read_request(p, s, req)) != 1)
		return (rc);
	len = www_page(p, info, page, sizeof(page));
	if (strncmp(req, "HEAD ", 5) == 0)
		body = 0;
	else if (strncmp(req, "GET ", 4) != 0) {
		status = "405 Method Not Allowed";
		len = snprintf(page, sizeof(page), "GET or HEAD only\n");
	}
	snprintf(reply, sizeof(reply), "HTTP/1.0 %s\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: %d\r\n"
	    "Connection: close\r\n\r\n%s", status, len, body ? page : "");
	if (session_send(s, reply, strlen(reply)) == -1 ||
	    session_flush(s, 0) == -1) {
		peer_log(p, "%s", s->err);
		return (-1);
	}
	return (0);
}

/* Handshake with one peer, report it and serve it; 0 when all went well. */
static int
peer_serve(struct peer *p)
{
	struct handshake	 hs;
	struct secctx_info	 info;
	struct session		 s;
	int			 rc = -1;

	session_init(&s, p->fd);
	p->fd = -1;
	hs.cred = p->srv->cred;
	hs.server = 1;
	hs.options = &p->srv->options;
	if (session_handshake(&s, &hs) == -1) {
		peer_log(p, "handshake failed: %s", s.err);
		goto out;
	}
	if (secctx_query_info(s.ctx, &info) != SEC_E_OK) {
		peer_log(p, "%s", secctx_last_error());
		goto out;
	}
	/* One call per line, so lines from several threads never mix. */
	printf("%s protocol=%s cipher=%s sni=%s alpn=%s resumed=%s "
	    "peer_subject=%s\n", p->addr, info.protocol, info.cipher,
	    info.sni, info.alpn, info.resumed ? "yes" : "no",
	    info.peer_subject);
	fflush(stdout);
	if (p->srv->www)
		rc = peer_www(p, &s, &info);
	else
		rc = peer_echo(p, &s);
out:
	/*
	 * Every way out: our close_notify (also in answer to the peer's) or
	 * the alert of a failure, then our FIN, and what the peer sent
	 * drained so that closing does not reset the connection.
	 */
	if (session_close(&s, LINGER_MS) == -1 && rc == 0) {
		peer_log(p, "%s", s.err);
		rc = -1;
	}
	session_free(&s);
	return (rc);
}

static void
peer_free(struct peer *p)
{
	if (p->fd != -1)
		close(p->fd);
	free(p);
}

static void *
peer_thread(void *arg)
{
	struct peer	*p = arg;

	peer_serve(p);
	peer_free(p);
	return (NULL);
}

/* Wait for the next connection; NULL after a transient failure. */
static struct peer *
peer_accept(struct server *srv, int lfd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	struct timeval		 tv = { PEER_TIMEOUT, 0 };
	struct peer		*p;
	int			 fd;

	fd = accept4(lfd, (struct sockaddr *)&ss, &sslen, SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EINTR && errno != ECONNABORTED) {
			fprintf(stderr, "secctx-server: accept: %s\n",
			    strerror(errno));
			usleep(100 * 1000);
		}
		return (NULL);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		close(fd);
		return (NULL);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	p->srv = srv;
	p->fd = fd;
	addr_format(&ss, sslen, p->addr, sizeof(p->addr));
	return (p);
}

/* Serve every connection in a detached thread of its own. */
static void __attribute__((noreturn))
server_loop(struct server *srv, int lfd)
{
	pthread_attr_t	 attr;
	pthread_t	 tid;
	struct peer	*p;
	int		 error;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		if ((p = peer_accept(srv, lfd)) == NULL)
			continue;
		if ((error = pthread_create(&tid, &attr, peer_thread,
		    p)) != 0) {
			fprintf(stderr, "secctx-server: %s: %s\n", p->addr,
			    strerror(error));
			peer_free(p);
		}
	}
}

/* Print where we listen, with the real port when PORT was 0. */
static void
server_announce(int lfd)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);
	char			addr[80];

	if (getsockname(lfd, (struct sockaddr *)&ss, &sslen) == -1)
		fatal("getsockname: %s", strerror(errno));
	addr_format(&ss, sslen, addr, sizeof(addr));
	printf("listening on %s\n", addr);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct server	 srv = { 0 };
	struct peer	*p;
	secctx_conn	*conn;
	char		 err[ERRLEN];
	int		 lfd, rc;

	signal(SIGPIPE, SIG_IGN);
	server_args(&srv, argc, argv);
	if (secctx_connect(NULL, &conn) != SEC_E_OK)
		fatal("%s", secctx_last_error());
	if (secctx_cred_acquire(conn, srv.cred_name, SECCTX_INBOUND,
	    &srv.cred) != SEC_E_OK)
		fatal("credential %s: %s", srv.cred_name, secctx_last_error());
	if ((lfd = tcp_listen(srv.bind_addr, srv.port, err,
	    sizeof(err))) == -1)
		fatal("%s", err);
	server_announce(lfd);
	if (!srv.once)
		server_loop(&srv, lfd);

	while ((p = peer_accept(&srv, lfd)) == NULL)
		continue;
	close(lfd);
	rc = peer_serve(p);
	peer_free(p);
	secctx_cred_free(srv.cred);
	secctx_disconnect(conn);
	alpn_free(&srv.options, srv.alpn_storage);
	return (rc == 0 ? 0 : 1);
}
