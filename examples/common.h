/*
 * What secctx-client and secctx-server share: TCP sockets, option parsing
 * and the handshake loop.
 */
#ifndef SECCTX_EXAMPLES_COMMON_H
#define SECCTX_EXAMPLES_COMMON_H

#include <stddef.h>

#include <secctx.h>

#define ERRLEN	512

/* Split "HOST:PORT" or "[V6ADDR]:PORT"; host and port are malloc'd. */
int		 hostport_split(const char *arg, char **host, char **port);

/* "ADDR:PORT", or "[ADDR]:PORT" for IPv6, of a socket address. */
void		 addr_format(const void *sa, size_t salen, char *buf,
		    size_t len);

/* Connect over TCP to host and port; -1 with a reason in err. */
int		 tcp_connect(const char *host, const char *port, char *err,
		    size_t errlen);

/* Listen on addr and port ("0": ephemeral); -1 with a reason in err. */
int		 tcp_listen(const char *addr, const char *port, char *err,
		    size_t errlen);

/*
 * Split a comma-separated ALPN list into options->alpn; the strings point
 * into the copy kept in *storage.  -1 on an empty entry or too many.
 */
int		 alpn_parse(const char *list, struct secctx_options *options,
		    char **storage);
void		 alpn_free(struct secctx_options *options, char *storage);

/* The handshake's side and parameters. */
struct handshake {
	secctx_cred			*cred;
	int				 server;	/* accept, not init */
	const struct secctx_options	*options;
};

/*
 * Run the handshake over the TCP socket fd: feed what the peer sends to the
 * daemon, send what the daemon returns.  On success *ctxp holds the
 * complete context; on failure it is NULL and err holds a one-line reason
 * (the alert token, if any, has been sent to the peer).
 */
int		 handshake_run(int fd, const struct handshake *,
		    secctx_ctx **ctxp, char *err, size_t errlen);

#endif
