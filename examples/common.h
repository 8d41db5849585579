/*
 * What secctx-client and secctx-server share: TCP sockets and option
 * parsing.  The TLS connection itself is in session.h.
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

/* "1.2", "1.3", "TLSv1.2" or "TLSv1.3"; -1 for anything else. */
int		 version_parse(const char *arg, enum secctx_version *v);

#endif
