/*
 * secctx-client: connect to a TLS server over TCP, complete the handshake
 * through secctxd, and print what was negotiated.
 *
 *   secctx-client [-c CRED] [-n SERVERNAME] [-a ALPN,...] [--tls1.2|--tls1.3]
 *       HOST:PORT
 */

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

struct client {
	const char		*cred_name;
	const char		*target;
	char			*host;
	char			*port;
	struct secctx_options	 options;
	char			*alpn_storage;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: secctx-client [-c CRED] [-n SERVERNAME] "
	    "[-a ALPN,...] [--tls1.2|--tls1.3] HOST:PORT\n");
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

static void
client_args(struct client *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tls1.2", no_argument, NULL, '2' },
		{ "tls1.3", no_argument, NULL, '3' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	c->cred_name = "client";
	while ((ch = getopt_long(argc, argv, "a:c:hn:", longopts,
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
		case '2':
		case '3':
			c->options.min_version = c->options.max_version =
			    ch == '2' ? SECCTX_TLS1_2 : SECCTX_TLS1_3;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (hostport_split(argv[optind], &c->host, &c->port) == -1)
		fatal("expected HOST:PORT, not %s", argv[optind]);
	c->options.target = c->target != NULL ? c->target : c->host;
}

static void
client_print(const struct secctx_info *info)
{
	printf("protocol: %s\n", info->protocol);
	printf("cipher: %s\n", info->cipher);
	printf("group: %s\n", info->group);
	printf("alpn: %s\n", info->alpn);
	printf("peer_subject: %s\n", info->peer_subject);
	printf("peer_issuer: %s\n", info->peer_issuer);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct client		 c = { 0 };
	struct handshake	 hs;
	struct secctx_info	 info;
	secctx_conn		*conn;
	secctx_cred		*cred;
	secctx_ctx		*ctx;
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
	hs.cred = cred;
	hs.server = 0;
	hs.options = &c.options;
	if (handshake_run(fd, &hs, &ctx, err, sizeof(err)) == -1)
		fatal("handshake failed: %s", err);
	if (secctx_query_info(ctx, &info) != SEC_E_OK)
		fatal("%s", secctx_last_error());
	client_print(&info);

	secctx_delete(ctx);
	close(fd);
	secctx_cred_free(cred);
	secctx_disconnect(conn);
	alpn_free(&c.options, c.alpn_storage);
	free(c.host);
	free(c.port);
	return (0);
}
