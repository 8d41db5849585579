/*
 * Access policy: per credential (uids, gids with supplementary groups,
 * executables, directions) and per caller (minimum version, targets,
 * skipping certificate validation), each allowed and refused, on a daemon
 * whose configuration says so; and the audit lines they leave.
 */

#include <sys/wait.h>

#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdaemon.h"

#define GROUP_SUPP	4242	/* a supplementary group of the child */
#define GROUP_PRIMARY	4243	/* a primary group of the child */

static struct xdaemon	d;

/* Root (the test) is restricted; HARNESS_OTHER_UID may skip validation. */
static void
start_policy_daemon(void)
{
	char	exe[PATH_MAX], text[8192];
	ssize_t	n;

	assert_true((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0);
	exe[n] = '\0';
	snprintf(text, sizeof(text), "{\"socket\": \"@SOCK@\", "
	    "\"callers\": ["
	    " {\"uids\": [@UID@], \"min_version\": \"TLSv1.3\", "
	    "  \"targets\": [\"localhost\", \"*.example.com\"]},"
	    " {\"uids\": [%d], \"skip_validation\": true}],"
	    "\"credentials\": ["
	    "{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", "
	    " \"private_key\": \"@PKI@/server.key\", \"ca_file\": "
	    " \"@PKI@/ca.pem\", \"uids\": [@UID@, %d]},"
	    "{\"name\": \"other-server\", \"certificate\": "
	    " \"@PKI@/other-server.pem\", \"private_key\": "
	    " \"@PKI@/other-server.key\", \"uids\": [@UID@, %d]},"
	    "{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", "
	    " \"uids\": [@UID@, %d]},"
	    "{\"name\": \"root-only\", \"ca_file\": \"@PKI@/ca.pem\", "
	    " \"uids\": [@UID@]},"
	    "{\"name\": \"by-group\", \"ca_file\": \"@PKI@/ca.pem\", "
	    " \"gids\": [%d]},"
	    "{\"name\": \"by-primary-group\", \"ca_file\": \"@PKI@/ca.pem\", "
	    " \"gids\": [%d]},"
	    "{\"name\": \"this-exe\", \"ca_file\": \"@PKI@/ca.pem\", "
	    " \"uids\": [@UID@], \"executables\": [\"%s\"]},"
	    "{\"name\": \"other-exe\", \"ca_file\": \"@PKI@/ca.pem\", "
	    " \"uids\": [@UID@], \"executables\": [\"/bin/true\"]},"
	    "{\"name\": \"inbound-only\", \"certificate\": "
	    " \"@PKI@/server.pem\", \"private_key\": \"@PKI@/server.key\", "
	    " \"ca_file\": \"@PKI@/ca.pem\", \"uids\": [@UID@], "
	    " \"directions\": [\"inbound\"]}]}", HARNESS_OTHER_UID,
	    HARNESS_OTHER_UID, HARNESS_OTHER_UID, HARNESS_OTHER_UID,
	    GROUP_SUPP, GROUP_PRIMARY, exe);
	xd_start(&d, "policy", text);
}

static secctx_status
acquire(const char *name, enum secctx_direction dir)
{
	secctx_conn	*conn;
	secctx_cred	*cred = NULL;
	secctx_status	 st;

	if ((st = secctx_connect(d.socket, &conn)) != SEC_E_OK)
		return (st);
	st = secctx_cred_acquire(conn, name, dir, &cred);
	if (cred != NULL)
		secctx_cred_free(cred);
	secctx_disconnect(conn);
	return (st);
}

/*
 * In a child: become uid HARNESS_OTHER_UID with primary group gid and the
 * supplementary groups given, acquire name; the exit status says which
 * status it got (0 OK, 1 NOT_OWNER, 2 other, 3 setup).
 */
static int
child_acquire(gid_t gid, const gid_t *groups, size_t ngroups,
    const char *name)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0) {
		secctx_status	st;

		if (setgroups(ngroups, groups) != 0 || setgid(gid) != 0 ||
		    setuid(HARNESS_OTHER_UID) != 0)
			_exit(3);
		st = acquire(name, SECCTX_OUTBOUND);
		_exit(st == SEC_E_OK ? 0 : st == SEC_E_NOT_OWNER ? 1 : 2);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

static void
test_uids(void **state)
{
	(void)state;
	if (getuid() != 0)
		skip();
	start_policy_daemon();
	assert_status(acquire("root-only", SECCTX_OUTBOUND), SEC_E_OK);
	assert_int_equal(child_acquire(HARNESS_OTHER_UID, NULL, 0,
	    "root-only"), 1);
	assert_int_equal(child_acquire(HARNESS_OTHER_UID, NULL, 0, "client"),
	    0);
	xd_stop(&d);
}

static void
test_groups(void **state)
{
	gid_t	supp[2] = { 100, GROUP_SUPP };

	(void)state;
	if (getuid() != 0)
		skip();
	start_policy_daemon();
	/* A supplementary group (from SO_PEERGROUPS) admits. */
	assert_int_equal(child_acquire(HARNESS_OTHER_UID, supp, 2,
	    "by-group"), 0);
	assert_int_equal(child_acquire(HARNESS_OTHER_UID, supp, 1,
	    "by-group"), 1);
	assert_int_equal(child_acquire(HARNESS_OTHER_UID, NULL, 0,
	    "by-group"), 1);
	/* So does the primary group. */
	assert_int_equal(child_acquire(GROUP_PRIMARY, NULL, 0,
	    "by-primary-group"), 0);
	assert_int_equal(child_acquire(HARNESS_OTHER_UID, supp, 2,
	    "by-primary-group"), 1);
	/* Root is in neither. */
	assert_status(acquire("by-group", SECCTX_OUTBOUND), SEC_E_NOT_OWNER);
	xd_stop(&d);
}

static void
test_executables(void **state)
{
	(void)state;
	start_policy_daemon();
	assert_status(acquire("this-exe", SECCTX_OUTBOUND), SEC_E_OK);
	assert_status(acquire("other-exe", SECCTX_OUTBOUND), SEC_E_NOT_OWNER);
	assert_contains(secctx_last_error(), "executable");
	xd_stop(&d);
}

static void
test_directions(void **state)
{
	(void)state;
	start_policy_daemon();
	assert_status(acquire("inbound-only", SECCTX_INBOUND), SEC_E_OK);
	assert_status(acquire("inbound-only", SECCTX_OUTBOUND),
	    SEC_E_NOT_OWNER);
	assert_contains(secctx_last_error(), "outbound");
	xd_stop(&d);
}

/* The first initialize step with these options; its status. */
static secctx_status
first_step(const struct secctx_options *opt)
{
	struct secctx_token	 tok = { 0 };
	secctx_conn		*conn;
	secctx_cred		*cred;
	secctx_ctx		*ctx = NULL;
	secctx_status		 st;

	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
	cred = harness_cred(conn, "client", SECCTX_OUTBOUND);
	st = secctx_initialize(cred, &ctx, opt, &tok);
	secctx_free(tok.out);
	if (ctx != NULL)
		secctx_delete(ctx);
	secctx_cred_free(cred);
	secctx_disconnect(conn);
	return (st);
}

static void
test_targets(void **state)
{
	struct secctx_options	opt = { .target = "localhost" };

	(void)state;
	start_policy_daemon();
	assert_status(first_step(&opt), SEC_I_CONTINUE_NEEDED);
	opt.target = "DB.Example.COM";
	assert_status(first_step(&opt), SEC_I_CONTINUE_NEEDED);
	opt.target = "example.com.evil.org";
	assert_status(first_step(&opt), SEC_E_TARGET_UNKNOWN);
	assert_contains(secctx_last_error(), "example.com.evil.org");
	opt.target = "127.0.0.1";
	assert_status(first_step(&opt), SEC_E_TARGET_UNKNOWN);
	opt.target = NULL;
	assert_status(first_step(&opt), SEC_E_TARGET_UNKNOWN);
	assert_int_equal(xd_log_count(&d, "result=SEC_E_TARGET_UNKNOWN"), 3);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

static void
test_min_version(void **state)
{
	struct secctx_options	 opt = { .target = "localhost",
				    .max_version = SECCTX_TLS1_2 };
	secctx_conn		*conn;
	struct harness_pair	*p;
	struct secctx_info	 info;

	(void)state;
	start_policy_daemon();
	/* A downgrade below the caller's minimum is refused. */
	assert_status(first_step(&opt), SEC_E_ALGORITHM_MISMATCH);
	assert_contains(secctx_last_error(), "TLSv1.3");
	/* A lower min_version is raised: TLS 1.3 even if asked for 1.2+. */
	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
	p = harness_pair_open(conn, "client", conn, "server");
	p->client.opt.min_version = SECCTX_TLS1_2;
	p->server.opt.max_version = SECCTX_TLS1_2;
	harness_pair_run(p);
	assert_true(SECCTX_FAILED(p->client.status) ||
	    SECCTX_FAILED(p->server.status));
	harness_pair_close(p);
	p = harness_pair_open(conn, "client", conn, "server");
	p->client.opt.min_version = SECCTX_TLS1_2;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	harness_info(p->client.ctx, &info);
	assert_string_equal(info.protocol, "TLSv1.3");
	harness_pair_close(p);
	secctx_disconnect(conn);
	assert_true(xd_log_count(&d, "result=SEC_E_ALGORITHM_MISMATCH") >= 1);
	xd_stop(&d);
}

/*
 * In a child as HARNESS_OTHER_UID, whose policy allows skipping: a
 * handshake against "other-server" (a CA the client does not trust).
 * Exit 0: established; 1: UNTRUSTED_ROOT; 2: other; 3: setup.
 */
static int
child_skip(int skip)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0) {
		struct secctx_options opt = { .target = "localhost",
		    .no_resume = 1, .skip_validation = skip };
		secctx_conn	*conn;
		secctx_cred	*cc, *sc;
		secctx_ctx	*cctx = NULL, *sctx = NULL;
		secctx_status	 st;

		if (setgroups(0, NULL) != 0 ||
		    setgid(HARNESS_OTHER_UID) != 0 ||
		    setuid(HARNESS_OTHER_UID) != 0 ||
		    secctx_connect(d.socket, &conn) != SEC_E_OK ||
		    secctx_cred_acquire(conn, "client", SECCTX_OUTBOUND,
		    &cc) != SEC_E_OK ||
		    secctx_cred_acquire(conn, "other-server", SECCTX_INBOUND,
		    &sc) != SEC_E_OK)
			_exit(3);
		st = harness_raw_handshake(cc, sc, &opt, &cctx, &sctx);
		_exit(st == SEC_E_OK ? 0 : st == SEC_E_UNTRUSTED_ROOT ? 1 : 2);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

static void
test_skip_validation(void **state)
{
	struct secctx_options	opt = { .target = "localhost",
				    .skip_validation = 1 };

	(void)state;
	start_policy_daemon();
	/* Root's policy does not allow it. */
	assert_status(first_step(&opt), SEC_E_NOT_OWNER);
	assert_contains(secctx_last_error(), "skip");
	if (getuid() == 0) {
		/* The other uid's does: the untrusted server is accepted. */
		assert_int_equal(child_skip(0), 1);
		assert_int_equal(child_skip(1), 0);
		assert_int_equal(xd_log_count(&d, "validation=skipped"), 1);
		assert_int_equal(xd_log_count(&d, "validation=skipped "
		    "verify_result=\"ok\""), 0);
	}
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

/* Every context established or refused leaves one complete audit line. */
static void
test_audit(void **state)
{
	struct secctx_options	 opt = { .target = "nowhere.org" };
	char			*log, *line, *end;

	(void)state;
	start_policy_daemon();
	xd_handshake_works(d.socket, "client", "server");
	assert_status(first_step(&opt), SEC_E_TARGET_UNKNOWN);
	assert_int_equal(xd_log_count(&d, "audit: context established"), 2);
	assert_int_equal(xd_log_count(&d, "audit: context refused"), 1);
	log = xd_log(&d);
	line = strstr(log, "audit: context established");
	end = strchr(line, '\n');
	*end = '\0';
	assert_contains(line, "uid=");
	assert_contains(line, "pid=");
	assert_contains(line, "credential=\"");
	assert_contains(line, "direction=");
	assert_contains(line, "target=\"localhost\"");
	assert_contains(line, "protocol=TLSv1.3");
	assert_contains(line, "cipher=TLS_");
	assert_contains(line, "result=SEC_E_OK");
	line = strstr(end + 1, "audit: context refused");
	assert_non_null(line);
	assert_contains(line, "credential=\"client\" direction=outbound "
	    "target=\"nowhere.org\"");
	assert_contains(line, "reason=\"");
	free(log);
	xd_stop(&d);
}

static void
test_stats_root_only(void **state)
{
	pid_t	pid;
	int	status;

	(void)state;
	if (getuid() != 0)
		skip();
	start_policy_daemon();
	if ((pid = fork()) == 0) {
		struct xd_resp	r;
		int		fd;

		if (setgroups(0, NULL) != 0 ||
		    setgid(HARNESS_OTHER_UID) != 0 ||
		    setuid(HARNESS_OTHER_UID) != 0)
			_exit(3);
		fd = xd_hello(d.socket);
		xd_send_header(fd, "{\"op\":\"stats\",\"id\":9}");
		if (!xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS))
			_exit(2);
		_exit(r.status == SEC_E_NOT_OWNER ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	xd_wait_contexts(d.socket, 0, 1000);
	xd_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_uids),
		xd_test(test_groups),
		xd_test(test_executables),
		xd_test(test_directions),
		xd_test(test_targets),
		xd_test(test_min_version),
		xd_test(test_skip_validation),
		xd_test(test_audit),
		xd_test(test_stats_root_only),
	};

	return (harness_run("policy", tests));
}
