/*
 * secctx-client: connect to a TLS server over TCP, complete the handshake
 * through secctxd, then send what arrives on stdin and write what the
 * server sends to stdout, like a small `openssl s_client -quiet`.
 *
 *   secctx-client [-q] [-c CRED] [-n SERVERNAME] [-a ALPN,...]
 *       [--tls1.2|--tls1.3] [--min VER] [--max VER] [--no-resume]
 *       [-w SECONDS] HOST:PORT
 *
 * stdout carries only the server's data; what was negotiated goes to
 * stderr (not with -q).  At the end of stdin the client sends close_notify
 * and reads on until the server closes or -w seconds (2) pass.  Exit 0 when
 * the connection ended cleanly, 1 on any error, including a server that
 * closed the connection without close_notify before we sent ours.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "session.h"

#define STDIN_CHUNK	(16 * 1024)	/* bytes read from stdin at once */

struct client {
	const char		*cred_name;
	const char		*target;
	char			*host;
	char			*port;
	int			 quiet;
	int			 linger_ms;	/* after our close_notify */
	struct secctx_options	 options;
	char			*alpn_storage;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: secctx-client [-q] [-c CRED] [-n SERVERNAME] "
	    "[-a ALPN,...] [--tls1.2|--tls1.3]\n"
	    "           [--min VER] [--max VER] [--no-resume] [-w SECONDS] "
	    "HOST:PORT\n"
	    "Sends stdin to the server and writes what it sends to stdout;\n"
	    "what was negotiated goes to stderr unless -q.\n");
	exit(1);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "secctx-client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static enum secctx_version
client_version(const char *opt, const char *arg)
{
	enum secctx_version	v;

	if (version_parse(arg, &v) == -1)
		fatal("%s takes 1.2 or 1.3, not %s", opt, arg);
	return (v);
}

static void
client_args(struct client *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tls1.2", no_argument, NULL, '2' },
		{ "tls1.3", no_argument, NULL, '3' },
		{ "min", required_argument, NULL, 'm' },
		{ "max", required_argument, NULL, 'M' },
		{ "no-resume", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char	*end;
	long	 secs;
	int	 ch;

	c->cred_name = "client";
	c->linger_ms = 2000;
	while ((ch = getopt_long(argc, argv, "a:c:hn:qw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			alpn_free(&c->options, c->alpn_storage);
			if (alpn_parse(optarg, &c->options,
			    &c->alpn_storage) == -1)
				fatal("invalid ALPN list: %s", optarg);
			break;
		case 'c':
			c->cred_name = optarg;
			break;
		case 'n':
			c->target = optarg;
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'w':
			secs = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || secs < 0 ||
			    secs > INT_MAX / 1000)
				fatal("-w takes a number of seconds, not %s",
				    optarg);
			c->linger_ms = (int)secs * 1000;
			break;
		case '2':
		case '3':
			c->options.min_version = c->options.max_version =
			    ch == '2' ? SECCTX_TLS1_2 : SECCTX_TLS1_3;
			break;
		case 'm':
			c->options.min_version = client_version("--min",
			    optarg);
			break;
		case 'M':
			c->options.max_version = client_version("--max",
			    optarg);
			break;
		case 'R':
			c->options.no_resume = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (c->options.min_version != 0 && c->options.max_version != 0 &&
	    c->options.min_version > c->options.max_version)
		fatal("the minimum version is above the maximum");
	if (hostport_split(argv[optind], &c->host, &c->port) == -1)
		fatal("expected HOST:PORT, not %s", argv[optind]);
	c->options.target = c->target != NULL ? c->target : c->host;
}

static void
client_print(const struct client *c, const struct secctx_info *info)
{
	if (c->quiet)
		return;
	fprintf(stderr, "connected to %s port %s\n", c->host, c->port);
	fprintf(stderr, "protocol: %s\n", info->protocol);
	fprintf(stderr, "cipher: %s\n", info->cipher);
	fprintf(stderr, "group: %s\n", info->group);
	fprintf(stderr, "alpn: %s\n", info->alpn);
	fprintf(stderr, "peer_subject: %s\n", info->peer_subject);
	fprintf(stderr, "peer_issuer: %s\n", info->peer_issuer);
	fprintf(stderr, "resumed: %s\n", info->resumed ? "yes" : "no");
}

static void
write_stdout(const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(STDOUT_FILENO, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal("cannot write to stdout: %s", strerror(errno));
		p += n;
		len -= n;
	}
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Read stdin once: encrypt and queue what came, or at its end queue our
 * close_notify.  0 at the end of stdin.
 */
static int
client_stdin(struct session *s)
{
	char	buf[STDIN_CHUNK];
	ssize_t	n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) == -1 &&
	    errno == EINTR)
		;
	if (n == -1)
		fatal("cannot read stdin: %s", strerror(errno));
	if (n == 0) {
		if (session_shutdown(s) == -1)
			fatal("shutdown: %s", s->err);
		return (0);
	}
	if (session_send(s, buf, n) == -1)
		fatal("encrypt: %s", s->err);
	return (1);
}

/*
 * Decrypt what the server sent and write it out.  1 once the server has
 * closed the connection.
 */
static int
client_socket(struct session *s)
{
	void	*data;
	size_t	 len;

	if (session_recv(s, &data, &len) == -1)
		fatal("%s", s->err);
	write_stdout(data, len);
	free(data);
	if (s->closed) {
		/* Answer the server's close_notify with ours. */
		if (!s->shut && session_shutdown(s) == 0)
			session_flush(s, 1);
		return (1);
	}
	if (s->eof) {
		if (!s->shut)
			fatal("the server closed the connection without "
			    "close_notify");
		return (1);
	}
	return (0);
}

/*
 * Relay until the server closes, or the linger time after the end of stdin
 * has passed.
 */
static void
client_loop(struct client *c, struct session *s)
{
	struct pollfd	 pfd[2];
	long long	 deadline = 0;
	int		 stdin_open = 1, timeout, n;

	for (;;) {
		if (session_pending(s)) {
			if (client_socket(s))
				return;
			continue;
		}
		if (session_flush(s, 1) == -1)
			fatal("%s", s->err);
		if (!stdin_open && deadline == 0)
			deadline = now_ms() + c->linger_ms;
		timeout = -1;
		if (deadline != 0) {
			if (now_ms() >= deadline)
				return;
			timeout = (int)(deadline - now_ms());
		}
		/* Take no more from stdin until the socket took the last. */
		pfd[0].fd = stdin_open && s->out_len == 0 ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->fd;
		pfd[1].events = POLLIN | (s->out_len > 0 ? POLLOUT : 0);
		pfd[0].revents = pfd[1].revents = 0;
		if ((n = poll(pfd, 2, timeout)) == -1 && errno != EINTR)
			fatal("poll: %s", strerror(errno));
		if (n <= 0)
			continue;
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (client_socket(s))
				return;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			stdin_open = client_stdin(s);
	}
}

int
main(int argc, char **argv)
{
	struct client		 c = { 0 };
	struct handshake	 hs;
	struct secctx_info	 info;
	struct session		 s;
	secctx_conn		*conn;
	secctx_cred		*cred;
	char			 err[ERRLEN];
	int			 fd;

	signal(SIGPIPE, SIG_IGN);
	client_args(&c, argc, argv);
	if (secctx_connect(NULL, &conn) != SEC_E_OK)
		fatal("%s", secctx_last_error());
	if (secctx_cred_acquire(conn, c.cred_name, SECCTX_OUTBOUND,
	    &cred) != SEC_E_OK)
		fatal("credential %s: %s", c.cred_name, secctx_last_error());
	if ((fd = tcp_connect(c.host, c.port, err, sizeof(err))) == -1)
		fatal("%s", err);
	session_init(&s, fd);
	hs.cred = cred;
	hs.server = 0;
	hs.options = &c.options;
	if (session_handshake(&s, &hs) == -1)
		fatal("handshake failed: %s", s.err);
	if (secctx_query_info(s.ctx, &info) != SEC_E_OK)
		fatal("%s", secctx_last_error());
	client_print(&c, &info);

	client_loop(&c, &s);

	session_free(&s);
	secctx_cred_free(cred);
	secctx_disconnect(conn);
	alpn_free(&c.options, c.alpn_storage);
	free(c.host);
	free(c.port);
	return (0);
}
