/*
 * The listening socket: created from a path or received from systemd, and
 * the accept loop that identifies each caller by SO_PEERCRED.  A caller
 * over limits.connections_per_uid is answered and closed here, before it
 * costs a loop, its groups or its executable anything.  Out of
 * descriptors, the listener refuses the connection it cannot take with a
 * spare descriptor kept for that, rather than pausing for everyone.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>

#include "secctxd.h"
#include "frame.h"
#include "msg.h"

static struct evconnlistener	*listener;
static struct event		*resume_ev;	/* re-enables accept */
static char			*server_path;	/* socket file we made */
static int			 spare_fd = -1;	/* given up to refuse one */

/* How long accepting pauses when not even the spare descriptor helps. */
#define SERVER_PAUSE_MS	10

/* Whether something accepts connections on the socket file. */
static int
server_in_use(const struct sockaddr_un *sun)
{
	int	fd, used;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	used = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return (used);
}

int
server_listen(const char *path, mode_t mode, struct sc_err *err)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "socket path %s is too long", path);
		return (-1);
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "%s exists and is not a socket", path);
			return (-1);
		}
		if (server_in_use(&sun)) {
			sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "%s: another daemon is listening there", path);
			return (-1);
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, mode) == -1 || listen(fd, SOMAXCONN) == -1) {
		sc_seterr(err, SEC_E_INTERNAL_ERROR, "socket %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if ((server_path = strdup(path)) == NULL) {
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		close(fd);
		return (-1);
	}
	return (fd);
}

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS	59	/* Linux 4.13 */
#endif

/*
 * The /proc/PID/status "Groups:" line, for kernels without SO_PEERGROUPS.
 * The pid may have exited and been reused since connect(): racy, and only
 * a fallback.
 */
static int
peer_groups_proc(struct peer *peer)
{
	char	 path[64], line[4096], *p, *end;
	FILE	*f;
	size_t	 n = 0;
	gid_t	*g = NULL;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)peer->pid);
	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		if ((g = calloc(sizeof(line) / 2, sizeof(*g))) == NULL)
			break;
		for (p = line + 7; n < sizeof(line) / 2; p = end) {
			unsigned long v = strtoul(p, &end, 10);
			if (end == p)
				break;
			g[n++] = v;
		}
		break;
	}
	fclose(f);
	peer->groups = g;
	peer->ngroups = n;
	return (g != NULL ? 0 : -1);
}

/* The caller's supplementary groups as of connect(), from the kernel. */
static int
peer_groups(int fd, struct peer *peer)
{
	socklen_t	 len = 64 * sizeof(gid_t);
	gid_t		*g = NULL, *ng;

	for (;;) {
		if ((ng = realloc(g, len > 0 ? len : 1)) == NULL)
			break;
		g = ng;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0) {
			peer->groups = g;
			peer->ngroups = len / sizeof(gid_t);
			return (0);
		}
		if (errno != ERANGE)
			break;
	}
	free(g);
	if (errno == ENOPROTOOPT)
		return (peer_groups_proc(peer));
	return (-1);
}

/* The caller's executable, advisory: see docs/SECURITY.md. */
static void
peer_exe(struct peer *peer)
{
	char	path[64], exe[PATH_MAX];
	ssize_t	n;

	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)peer->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	peer->exe = strdup(exe);
}

/*
 * Answer a connection that is not taken with id 0 and err, and close it.
 * A new socket's buffer takes the small frame whole; the client reads it
 * even after the close (libsecctx does, also when its hello fails to go).
 */
static void
server_refuse(int fd, const struct sc_err *err)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	struct iovec	 iov[2];
	struct msghdr	 msg;
	json_t		*hdr;
	char		*text = NULL;
	size_t		 len = 0;

	if ((hdr = msg_response(0, err->status, err->msg)) != NULL &&
	    (text = frame_header_dump(hdr, &len)) != NULL) {
		frame_prefix_put(prefix, len, 0);
		iov[0].iov_base = prefix;
		iov[0].iov_len = sizeof(prefix);
		iov[1].iov_base = text;
		iov[1].iov_len = len;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = 2;
		(void)sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	free(text);
	json_decref(hdr);
	close(fd);
}

/* Over connections_per_uid: logged once a second at most per daemon. */
static void
server_refuse_uid(int fd, const struct ucred *uc, size_t held)
{
	static time_t	 logged;
	static uint64_t	 unlogged;
	struct sc_err	 err;
	time_t		 now = time(NULL);

	sc_seterr(&err, SEC_E_INSUFFICIENT_MEMORY, "uid %lu already has %zu "
	    "connections, the most allowed (limits.connections_per_uid)",
	    (unsigned long)uc->uid, held);
	server_refuse(fd, &err);
	if (now == logged) {
		unlogged++;
		return;
	}
	log_warn("limit: pid %ld uid %lu: uid already has %zu connections; "
	    "refused (and %llu more refusals in the last second)",
	    (long)uc->pid, (unsigned long)uc->uid, held,
	    (unsigned long long)unlogged);
	logged = now;
	unlogged = 0;
}

static void
server_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct ucred	uc;
	struct peer	peer;
	struct sc_err	err;
	socklen_t	len = sizeof(uc);
	size_t		held;

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("accept: SO_PEERCRED: %s", strerror(errno));
		close(fd);
		return;
	}
	memset(&peer, 0, sizeof(peer));
	peer.pid = uc.pid;
	peer.uid = uc.uid;
	peer.gid = uc.gid;
	if ((peer.acct = uids_connect(uc.uid,
	    limits_get()->connections_per_uid, &held)) == NULL) {
		if (held > 0) {
			server_refuse_uid(fd, &uc, held);
			return;
		}
		sc_seterr(&err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		server_refuse(fd, &err);
		return;
	}
	if (peer_groups(fd, &peer) != 0) {
		log_warn("accept: pid %ld: supplementary groups: %s",
		    (long)peer.pid, strerror(errno));
		uids_disconnect(peer.acct);
		close(fd);
		return;
	}
	peer_exe(&peer);
	shards_assign(fd, &peer);
}

static int
server_spare_open(void)
{
	if (spare_fd == -1)
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return (spare_fd);
}

static void
server_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	server_spare_open();
	evconnlistener_enable(listener);
}

/*
 * Out of descriptors: give up the spare one to take the connection
 * waiting, refuse it, and take the spare again.  Accepting pauses only
 * when that fails too (out of memory, or the spare is gone).
 */
static void
server_error_cb(struct evconnlistener *l, void *arg)
{
	static time_t	 logged;
	struct timeval	 tv = { 0, SERVER_PAUSE_MS * 1000 };
	struct sc_err	 err;
	time_t		 now = time(NULL);
	int		 error = errno, fd;

	(void)arg;
	if (now != logged)
		log_err("accept: %s", strerror(error));
	logged = now;
	if ((error == EMFILE || error == ENFILE) && spare_fd != -1) {
		close(spare_fd);
		spare_fd = -1;
		fd = accept4(evconnlistener_get_fd(l), NULL, NULL,
		    SOCK_CLOEXEC);
		if (fd != -1) {
			sc_seterr(&err, SEC_E_INSUFFICIENT_MEMORY, "secctxd "
			    "is out of file descriptors; try again later");
			server_refuse(fd, &err);
		}
		if (server_spare_open() != -1 && fd != -1)
			return;
	}
	evconnlistener_disable(l);
	evtimer_add(resume_ev, &tv);
}

int
server_start(struct event_base *evb, int fd, struct sc_err *err)
{
	listener = evconnlistener_new(evb, server_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (listener == NULL) {
		sc_seterr(err, SEC_E_INTERNAL_ERROR, "cannot listen: %s",
		    strerror(errno));
		return (-1);
	}
	if ((resume_ev = evtimer_new(evb, server_resume_cb, NULL)) == NULL) {
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		return (-1);
	}
	evconnlistener_set_error_cb(listener, server_error_cb);
	server_spare_open();
	return (0);
}

void
server_stop(void)
{
	if (resume_ev != NULL)
		event_free(resume_ev);
	resume_ev = NULL;
	if (listener != NULL)
		evconnlistener_free(listener);
	listener = NULL;
	if (spare_fd != -1)
		close(spare_fd);
	spare_fd = -1;
	if (server_path != NULL)
		unlink(server_path);
	free(server_path);
	server_path = NULL;
}
