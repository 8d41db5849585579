/*
 * Socket activation: secctxd serves a listening socket passed as fd 3 with
 * LISTEN_FDS and LISTEN_PID, as systemd passes it, and leaves it in place
 * when it stops.
 */

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void
test_listen_fds(void **state)
{
	const char		*daemon = getenv("SECCTX_TEST_DAEMON");
	struct secctx_options	 opt = { .target = "localhost" };
	struct sockaddr_un	 sun;
	secctx_conn		*conn;
	secctx_cred		*cc, *sc;
	secctx_ctx		*cctx = NULL, *sctx = NULL;
	char			 pid[16];
	pid_t			 child;
	int			 fd, status;

	(void)state;
	assert_non_null(daemon);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/activated.sock",
	    harness.dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 16), 0);
	if ((child = fork()) == 0) {
		if (dup2(fd, 3) != 3)
			_exit(126);
		snprintf(pid, sizeof(pid), "%ld", (long)getpid());
		setenv("LISTEN_PID", pid, 1);
		setenv("LISTEN_FDS", "1", 1);
		harness_exec_daemon(daemon, (const char *const[]){ "secctxd",
		    "-c", harness.config, NULL });
		_exit(127);
	}
	assert_true(child > 0);
	close(fd);
	/* The socket already listens: no need to wait for the daemon. */
	assert_status(secctx_connect(sun.sun_path, &conn), SEC_E_OK);
	assert_status(secctx_cred_acquire(conn, "client-nocert",
	    SECCTX_OUTBOUND, &cc), SEC_E_OK);
	assert_status(secctx_cred_acquire(conn, "server", SECCTX_INBOUND,
	    &sc), SEC_E_OK);
	assert_status(harness_raw_handshake(cc, sc, &opt, &cctx, &sctx),
	    SEC_E_OK);
	secctx_delete(cctx);
	secctx_delete(sctx);
	secctx_cred_free(cc);
	secctx_cred_free(sc);
	secctx_disconnect(conn);
	assert_int_equal(kill(child, SIGTERM), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* systemd owns the socket file: the daemon left it. */
	assert_int_equal(access(sun.sun_path, F_OK), 0);
	/* The configured socket is the harness daemon's, untouched. */
	assert_int_equal(access(harness.socket, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_listen_fds),
	};

	return (harness_run("activation", tests));
}
