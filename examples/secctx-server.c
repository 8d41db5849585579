/*
 * secctx-server: accept TCP connections, complete each TLS handshake through
 * secctxd in its own thread, print one line with what was negotiated, and
 * close the connection.
 *
 *   secctx-server [-1] [-b ADDR] [-c CRED] [-a ALPN,...]
 *       [--verify optional|required] [--tls1.2|--tls1.3] PORT
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

/* How long a silent peer may hold its connection. */
#define PEER_TIMEOUT	30

struct server {
	const char		*bind_addr;
	const char		*cred_name;
	const char		*port;
	int			 once;
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
	fprintf(stderr, "usage: secctx-server [-1] [-b ADDR] [-c CRED] "
	    "[-a ALPN,...] [--verify optional|required] [--tls1.2|--tls1.3] "
	    "PORT\n");
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

static void
server_args(struct server *srv, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verify", required_argument, NULL, 'v' },
		{ "tls1.2", no_argument, NULL, '2' },
		{ "tls1.3", no_argument, NULL, '3' },
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
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	srv->port = argv[optind];
}

/* Handshake with one peer and report it; 0 when the handshake completed. */
static int
peer_serve(struct peer *p)
{
	struct handshake	 hs;
	struct secctx_info	 info;
	secctx_ctx		*ctx;
	char			 err[ERRLEN];
	int			 rc = -1;

	hs.cred = p->srv->cred;
	hs.server = 1;
	hs.options = &p->srv->options;
	if (handshake_run(p->fd, &hs, &ctx, err, sizeof(err)) == -1) {
		fprintf(stderr, "secctx-server: %s: handshake failed: %s\n",
		    p->addr, err);
		return (-1);
	}
	if (secctx_query_info(ctx, &info) != SEC_E_OK) {
		fprintf(stderr, "secctx-server: %s: %s\n", p->addr,
		    secctx_last_error());
		goto out;
	}
	/* One call per line, so lines from several threads never mix. */
	printf("%s protocol=%s cipher=%s sni=%s alpn=%s peer_subject=%s\n",
	    p->addr, info.protocol, info.cipher, info.sni, info.alpn,
	    info.peer_subject);
	fflush(stdout);
	rc = 0;
out:
	secctx_delete(ctx);
	return (rc);
}

static void
peer_free(struct peer *p)
{
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
