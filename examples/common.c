/*
 * What the examples share: TCP sockets and the parsing of ALPN lists and
 * protocol versions.
 */

#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

int
version_parse(const char *arg, enum secctx_version *v)
{
	if (strncasecmp(arg, "TLSv", 4) == 0)
		arg += 4;
	if (strcmp(arg, "1.2") == 0)
		*v = SECCTX_TLS1_2;
	else if (strcmp(arg, "1.3") == 0)
		*v = SECCTX_TLS1_3;
	else
		return (-1);
	return (0);
}
