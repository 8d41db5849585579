/*
 * Session resumption through the daemon: a second context from the same
 * credential, uid and target resumes (TLS 1.3 tickets, TLS 1.2); other
 * targets and contexts that opt out do not.
 */

#include <sys/prctl.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Let the client open what the server sent after the handshake (tickets). */
static void
client_reads_tickets(struct harness_side *s)
{
	struct secctx_message	m;

	while (s->in_len > 0) {
		memset(&m, 0, sizeof(m));
		m.in = s->in;
		m.in_len = s->in_len;
		assert_status(secctx_decrypt(s->ctx, &m), SEC_E_OK);
		assert_int_equal(m.data_len, 0);
		assert_true(m.extra < s->in_len);
		memmove(s->in, s->in + s->in_len - m.extra, m.extra);
		s->in_len = m.extra;
	}
}

/* One full exchange; whether both ends say the session was resumed. */
static int
connect_as(const char *client, const char *server,
    enum secctx_version version, const char *target, int no_resume)
{
	struct harness_pair	*p;
	struct secctx_info	 ci, si;

	p = harness_pair_open(NULL, client, NULL, server);
	p->client.opt.min_version = p->client.opt.max_version = version;
	p->client.opt.target = target;
	p->client.opt.no_resume = no_resume;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	client_reads_tickets(&p->client);
	harness_info(p->client.ctx, &ci);
	harness_info(p->server.ctx, &si);
	assert_int_equal(ci.resumed, si.resumed);
	/* A resumed session still names the server it authenticated. */
	assert_contains(ci.peer_subject, "CN=localhost");
	harness_pair_close(p);
	return (ci.resumed);
}

static int
connect_once(enum secctx_version version, const char *target, int no_resume)
{
	return (connect_as("client-nocert", "server", version, target,
	    no_resume));
}

/*
 * In a child running as another uid: one handshake with the shared
 * credentials, without cmocka.  Exit 0: not resumed; 1: resumed; 2: error.
 */
static void
other_uid_child(void)
{
	struct secctx_options	 copt = { .target = "localhost",
				    .max_version = SECCTX_TLS1_2 };
	struct secctx_info	 info;
	secctx_conn		*conn;
	secctx_cred		*cc, *sc;
	secctx_ctx		*cctx = NULL, *sctx = NULL;

	if (setgid(HARNESS_OTHER_UID) != 0 || setuid(HARNESS_OTHER_UID) != 0 ||
	    secctx_connect(harness.socket, &conn) != SEC_E_OK ||
	    secctx_cred_acquire(conn, "shared-client", SECCTX_OUTBOUND,
	    &cc) != SEC_E_OK ||
	    secctx_cred_acquire(conn, "shared-server", SECCTX_INBOUND,
	    &sc) != SEC_E_OK ||
	    harness_raw_handshake(cc, sc, &copt, &cctx, &sctx) != SEC_E_OK ||
	    secctx_query_info(cctx, &info) != SEC_E_OK)
		_exit(2);
	_exit(info.resumed ? 1 : 0);
}

/* A session made by one uid is never offered to another. */
static void
test_other_uid(void **state)
{
	pid_t	pid;
	int	status;

	(void)state;
	if (getuid() != 0)
		skip();
	assert_false(connect_as("shared-client", "shared-server",
	    SECCTX_TLS1_2, "localhost", 0));
	assert_true(connect_as("shared-client", "shared-server",
	    SECCTX_TLS1_2, "localhost", 0));
	if ((pid = fork()) == 0)
		other_uid_child();
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* 0: the other uid made a full handshake. */
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The first uid's session is still there for it. */
	assert_true(connect_as("shared-client", "shared-server",
	    SECCTX_TLS1_2, "localhost", 0));
}

/*
 * A second daemon whose ticket key rotates every second, configured like
 * the harness's; its pid, its socket in sock.
 */
static pid_t
rotating_daemon(char *sock, size_t len)
{
	const char	*daemon = getenv("SECCTX_TEST_DAEMON");
	char		*text, conf[128], *p;
	FILE		*f;
	pid_t		 pid;
	int		 i;

	assert_non_null(daemon);
	text = harness_read_file(harness.config, NULL);
	assert_non_null(text);
	assert_non_null(p = strstr(text, harness.socket));
	snprintf(conf, sizeof(conf), "%s/rotating.json", harness.dir);
	snprintf(sock, len, "%s/rotating.sock", harness.dir);
	assert_non_null(f = fopen(conf, "w"));
	/* The same file with another socket and the rotation period. */
	fprintf(f, "{ \"ticket_key_rotation\": 1, \"socket\": \"%s\"%s",
	    sock, p + strlen(harness.socket) + 1);
	assert_int_equal(fclose(f), 0);
	free(text);
	if ((pid = fork()) == 0) {
		/* Gone with the test, even when the test fails first. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		harness_exec_daemon(daemon, (const char *const[]){ "secctxd",
		    "-c", conf, NULL });
		_exit(127);
	}
	assert_true(pid > 0);
	for (i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		usleep(50000);
	assert_int_equal(access(sock, F_OK), 0);
	return (pid);
}

static int
connect_via(secctx_conn *conn, int no_resume)
{
	struct harness_pair	*p;
	struct secctx_info	 ci;

	p = harness_pair_open(conn, "client-nocert", conn, "server");
	p->client.opt.max_version = SECCTX_TLS1_2;
	p->client.opt.no_resume = no_resume;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	harness_pair_close(p);
	return (ci.resumed);
}

/* Tickets of the previous key resume; older ones do not. */
static void
test_ticket_rotation(void **state)
{
	secctx_conn	*conn;
	char		 sock[128];
	pid_t		 pid;
	int		 status;

	(void)state;
	/* Timed (a key a second): not with a daemon under valgrind. */
	if (getenv("SECCTX_TEST_WRAPPER") != NULL)
		skip();
	pid = rotating_daemon(sock, sizeof(sock));
	assert_status(secctx_connect(sock, &conn), SEC_E_OK);
	assert_false(connect_via(conn, 0));	/* ticket under key 1 */
	usleep(1200000);
	assert_true(connect_via(conn, 0));	/* key 2; key 1 previous */
	usleep(1200000);
	assert_false(connect_via(conn, 1));	/* key 3; key 2 previous */
	usleep(1200000);
	/* Key 4: the newest ticket, under key 2, is no longer opened. */
	assert_false(connect_via(conn, 0));
	/* The full handshake left a ticket under the current key. */
	assert_true(connect_via(conn, 0));
	secctx_disconnect(conn);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
resumes(enum secctx_version version)
{
	/* A full handshake leaves a session; each resumption a fresh one. */
	assert_false(connect_once(version, "localhost", 0));
	assert_true(connect_once(version, "localhost", 0));
	assert_true(connect_once(version, "localhost", 0));
	assert_true(connect_once(version, "localhost", 0));
	assert_true(connect_once(version, "localhost", 0));
	/* Another target name has no session of its own yet. */
	assert_false(connect_once(version, "127.0.0.1", 0));
	/* Opting out neither resumes nor spends a session. */
	assert_false(connect_once(version, "localhost", 1));
	assert_true(connect_once(version, "localhost", 0));
}

static void
test_resume_tls13(void **state)
{
	(void)state;
	resumes(SECCTX_TLS1_3);
}

static void
test_resume_tls12(void **state)
{
	(void)state;
	resumes(SECCTX_TLS1_2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_resume_tls13),
		harness_test(test_resume_tls12),
		harness_test(test_other_uid),
		harness_test(test_ticket_rotation),
	};

	return (harness_run("resume", tests));
}
