/*
 * The service manager's notification protocol (sd_notify(3)) without
 * libsystemd: one datagram of newline-separated assignments ("READY=1",
 * "RELOADING=1", "STOPPING=1", "STATUS=...") to the AF_UNIX socket named
 * by $NOTIFY_SOCKET, a path or, with a leading '@', an abstract name.
 * Without $NOTIFY_SOCKET every call does nothing.
 */

#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "secctxd.h"

#define NOTIFY_MAX	1024

static struct sockaddr_un	notify_sun;
static socklen_t		notify_len;
static int			notify_fd = -1;

/* Read $NOTIFY_SOCKET once; a bad value is logged and ignored. */
void
notify_init(void)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 len;

	if (path == NULL || *path == '\0')
		return;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    len >= sizeof(notify_sun.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s: not a socket path or @name; not "
		    "notifying the service manager", path);
		return;
	}
	memset(&notify_sun, 0, sizeof(notify_sun));
	notify_sun.sun_family = AF_UNIX;
	memcpy(notify_sun.sun_path, path, len);
	notify_len = offsetof(struct sockaddr_un, sun_path) + len;
	if (path[0] == '@')
		notify_sun.sun_path[0] = '\0';	/* abstract: no trailing NUL */
	else
		notify_len++;
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd == -1)
		log_warn("NOTIFY_SOCKET: socket: %s", strerror(errno));
}

/*
 * Send the assignments (e.g. "READY=1") and, with fmt, a STATUS= line in
 * which control characters become spaces, so that no text from a file can
 * add an assignment of its own.
 */
void
notify_send(const char *assign, const char *fmt, ...)
{
	char	msg[NOTIFY_MAX];
	va_list	ap;
	size_t	len, i;
	int	n;

	if (notify_fd == -1)
		return;
	n = snprintf(msg, sizeof(msg), "%s%s", assign,
	    fmt != NULL ? "\nSTATUS=" : "");
	if (n < 0 || (size_t)n >= sizeof(msg))
		return;
	len = n;
	if (fmt != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		for (i = len; msg[i] != '\0'; i++) {
			if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
				msg[i] = ' ';
		}
		len = strlen(msg);
	}
	if (sendto(notify_fd, msg, len, MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_sun, notify_len) == -1)
		log_warn("NOTIFY_SOCKET: %s", strerror(errno));
}

/* RELOADING=1 with the time the reload began, as systemd asks. */
void
notify_reloading(void)
{
	struct timespec	ts;
	char		assign[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(assign, sizeof(assign), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(assign, "reloading the configuration");
}

void
notify_close(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}
