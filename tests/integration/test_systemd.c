/*
 * The daemon under systemd's protocols, with systemd's own tool: started by
 * systemd-socket-activate (Debian's systemd package) on the first
 * connection, it serves a handshake on the passed socket and tells
 * $NOTIFY_SOCKET, here an abstract name, READY=1; on SIGHUP RELOADING=1
 * then READY=1; on SIGTERM STOPPING=1, and it exits 0 leaving the socket
 * file to its owner.
 */

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef SECCTX_SOCKET_ACTIVATE
#error "SECCTX_SOCKET_ACTIVATE must name systemd-socket-activate, or be empty"
#endif

static pid_t	activator;
static int	notify_fd = -1;

/* A datagram socket bound to the abstract name; its $NOTIFY_SOCKET form. */
static int
notify_bind(char *env, size_t len)
{
	struct sockaddr_un	sun;
	socklen_t		slen;
	int			fd;

	snprintf(env, len, "@secctx-test-notify-%ld", (long)getpid());
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + 1, env + 1, strlen(env + 1));
	slen = offsetof(struct sockaddr_un, sun_path) + strlen(env);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, slen), 0);
	return (fd);
}

/* The next notification; fails unless it contains want. */
static void
notify_expect(const char *want)
{
	struct pollfd	pfd = { .fd = notify_fd, .events = POLLIN };
	char		buf[4096];
	ssize_t		n;

	if (poll(&pfd, 1, HARNESS_TIMEOUT_MS) != 1)
		fail_msg("no notification from secctxd (expected \"%s\")",
		    want);
	n = recv(notify_fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_contains(buf, want);
}

/* Connect to path, retrying while the activator has not bound it yet. */
static secctx_conn *
connect_retry(const char *path)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	secctx_conn	*conn = NULL;
	int		 i;

	for (i = 0; i < 500; i++) {
		if (secctx_connect(path, &conn) == SEC_E_OK)
			return (conn);
		nanosleep(&ts, NULL);
	}
	fail_msg("nothing listens on %s", path);
	return (NULL);
}

static void
test_socket_activate(void **state)
{
	const char		*daemon = getenv("SECCTX_TEST_DAEMON");
	struct secctx_options	 opt = { .target = "localhost" };
	secctx_conn		*conn;
	secctx_cred		*cc, *sc;
	secctx_ctx		*cctx = NULL, *sctx = NULL;
	char			 sock[128], log[128], env[128], notify[160];
	int			 fd, status;

	(void)state;
	if (SECCTX_SOCKET_ACTIVATE[0] == '\0')
		skip();		/* no systemd-socket-activate here */
	assert_non_null(daemon);
	snprintf(sock, sizeof(sock), "%s/activated.sock", harness.dir);
	snprintf(log, sizeof(log), "%s/activated.log", harness.dir);
	notify_fd = notify_bind(env, sizeof(env));
	snprintf(notify, sizeof(notify), "NOTIFY_SOCKET=%s", env);
	if ((activator = fork()) == 0) {
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		/* Only -E variables reach the daemon. */
		execl(SECCTX_SOCKET_ACTIVATE, "systemd-socket-activate", "-l",
		    sock, "-E", notify, "-E", "ASAN_OPTIONS", "-E",
		    "UBSAN_OPTIONS", "-E", "LSAN_OPTIONS", daemon, "-c",
		    harness.config, (char *)NULL);
		_exit(127);
	}
	assert_true(activator > 0);

	/* The first connection starts the daemon, which then serves it. */
	conn = connect_retry(sock);
	cc = harness_cred(conn, "client-nocert", SECCTX_OUTBOUND);
	sc = harness_cred(conn, "server", SECCTX_INBOUND);
	notify_expect("READY=1");
	assert_status(harness_raw_handshake(cc, sc, &opt, &cctx, &sctx),
	    SEC_E_OK);
	secctx_delete(cctx);
	secctx_delete(sctx);

	/* The activator exec'd the daemon: same pid. */
	assert_int_equal(kill(activator, SIGHUP), 0);
	notify_expect("RELOADING=1");
	notify_expect("READY=1");
	cctx = sctx = NULL;
	assert_status(harness_raw_handshake(cc, sc, &opt, &cctx, &sctx),
	    SEC_E_OK);
	secctx_delete(cctx);
	secctx_delete(sctx);
	secctx_cred_free(cc);
	secctx_cred_free(sc);
	secctx_disconnect(conn);

	assert_int_equal(kill(activator, SIGTERM), 0);
	notify_expect("STOPPING=1");
	assert_int_equal(waitpid(activator, &status, 0), activator);
	activator = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *text = harness_read_file(log, NULL);

		fail_msg("secctxd: wait status 0x%x; log:\n%s", status,
		    text != NULL ? text : "");
	}
	/* The socket belongs to the activator: the daemon left it. */
	assert_int_equal(access(sock, F_OK), 0);
}

static int
teardown(void **state)
{
	if (activator > 0) {
		kill(activator, SIGKILL);
		waitpid(activator, NULL, 0);
		activator = 0;
	}
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
	return (harness_test_teardown(state));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_socket_activate, teardown),
	};

	return (harness_run("systemd", tests));
}
