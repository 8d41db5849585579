/*
 * Reload (SIGHUP): a daemon of its own per test, with a credential "rot"
 * whose certificate and key the test replaces on disk, and $NOTIFY_SOCKET
 * so that the test knows when a reload is done (RELOADING=1, READY=1).
 *
 *  - new contexts present the new certificate, from new handles and from
 *    handles acquired before the reload; an established context keeps
 *    working on the old one;
 *  - a configuration that does not load (a key that does not match, bad
 *    JSON) keeps the running one;
 *  - a credential dropped from the file, or no longer allowed to the
 *    caller, makes no new context from a handle acquired before, while
 *    established contexts continue;
 *  - the socket stays where it was;
 *  - nothing resumes across a reload;
 *  - a CRL replaced on disk revokes from the reload on.
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define RELOADED_SUBJECT	"O=reloaded"

static struct {
	pid_t	pid;
	int	notify;
	char	notify_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char	socket[128];
	char	config[128];
	char	log[128];
	char	cert[128];
	char	key[128];
} rd = { .notify = -1 };

static void
path(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "%s/%s", harness.dir, file);
}

static void
run(const char *cmd)
{
	int	status = system(cmd);

	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("failed (status 0x%x): %s", status, cmd);
}

/* The next notification containing needle; free() it.  Fails on timeout. */
static char *
notify_wait(const char *needle)
{
	struct pollfd	 pfd = { .fd = rd.notify, .events = POLLIN };
	char		 buf[4096];
	ssize_t		 n;

	for (;;) {
		if (poll(&pfd, 1, harness_daemon_wait_ms(HARNESS_TIMEOUT_MS)) !=
		    1) {
			harness_print_log_tail(20);
			fail_msg("no \"%s\" notification from secctxd", needle);
		}
		if ((n = recv(rd.notify, buf, sizeof(buf) - 1, 0)) < 0)
			fail_msg("recv: %s", strerror(errno));
		buf[n] = '\0';
		if (strstr(buf, needle) != NULL)
			return (strdup(buf));
	}
}

/*
 * Two credentials, "rot" for rot_uid and "client", or only "client"
 * without rot; socket as the file's socket; or text as it is.
 */
static void
write_config_full(int with_rot, uid_t rot_uid, const char *socket,
    const char *text)
{
	FILE	*f;

	assert_non_null(f = fopen(rd.config, "w"));
	if (text != NULL)
		fputs(text, f);
	else {
		fprintf(f, "{\"socket\": \"%s\", \"credentials\": [\n",
		    socket);
		if (with_rot)
			fprintf(f, "  {\"name\": \"rot\", \"certificate\": "
			    "\"%s\", \"private_key\": \"%s\", \"ca_file\": "
			    "\"%s\", \"uids\": [%u]},\n", rd.cert, rd.key,
			    harness_pki("ca.pem"), (unsigned)rot_uid);
		fprintf(f, "  {\"name\": \"client\", \"ca_file\": \"%s\", "
		    "\"uids\": [%u]}\n]}\n", harness_pki("ca.pem"),
		    (unsigned)getuid());
	}
	assert_int_equal(fclose(f), 0);
}

static void
write_config(int with_rot, const char *text)
{
	write_config_full(with_rot, getuid(), rd.socket, text);
}

/* rot.pem and rot.key: the harness's server certificate. */
static void
install_first_cert(void)
{
	char	cmd[512];

	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s %s && chmod 600 %s",
	    harness_pki("server.pem"), rd.cert, harness_pki("server.key"),
	    rd.key, rd.key);
	run(cmd);
}

/*
 * A new key and a certificate for it, O=reloaded, CN=localhost, from the
 * test CA, renamed over rot.pem and rot.key as a deployment would.  With
 * key_only, only the key is replaced: the pair no longer matches.
 */
static void
install_new_cert(int key_only)
{
	char	cnf[160], cmd[2048];
	FILE	*f;

	path(cnf, sizeof(cnf), "reload-openssl.cnf");
	assert_non_null(f = fopen(cnf, "w"));
	fprintf(f, "[req]\ndistinguished_name = dn\nprompt = no\n"
	    "[dn]\nO = reloaded\nCN = localhost\n[ext]\n"
	    "basicConstraints = critical, CA:FALSE\n"
	    "keyUsage = critical, digitalSignature\n"
	    "extendedKeyUsage = serverAuth\n"
	    "subjectAltName = DNS:localhost\n");
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd),
	    "set -e; cd %s; umask 077; "
	    "openssl req -config %s -new -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout new.key -out new.csr "
	    "2>/dev/null; "
	    "openssl x509 -req -in new.csr -CA %s -CAkey %s -CAcreateserial "
	    "-days 30 -extfile %s -extensions ext -out new.pem 2>/dev/null; "
	    "chmod 600 new.key; mv new.key %s; %s",
	    harness.dir, cnf, harness_pki("ca.pem"), harness_pki("ca.key"),
	    cnf, rd.key, key_only ? "rm new.pem" : "mv new.pem rot.pem");
	run(cmd);
}

static void
start_daemon(void)
{
	const char		*daemon = getenv("SECCTX_TEST_DAEMON");
	struct sockaddr_un	 sun;
	char			*msg;
	int			 fd;

	assert_non_null(daemon);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", rd.notify_path);
	unlink(rd.notify_path);
	rd.notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(rd.notify >= 0);
	assert_int_equal(bind(rd.notify, (struct sockaddr *)&sun,
	    sizeof(sun)), 0);
	if ((rd.pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((fd = open(rd.log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		setenv("NOTIFY_SOCKET", rd.notify_path, 1);
		harness_exec_daemon(daemon, (const char *const[]){ "secctxd",
		    "-v", "-c", rd.config, "-s", rd.socket, NULL });
		_exit(127);
	}
	assert_true(rd.pid > 0);
	msg = notify_wait("READY=1");
	assert_contains(msg, "STATUS=serving");
	free(msg);
}

/* SIGHUP and wait until the daemon is ready again; its message. */
static char *
reload(void)
{
	char	*msg;

	assert_int_equal(kill(rd.pid, SIGHUP), 0);
	msg = notify_wait("RELOADING=1");
	assert_contains(msg, "MONOTONIC_USEC=");
	free(msg);
	return (notify_wait("READY=1"));
}

static void
stop_daemon(void)
{
	int	status;

	if (rd.pid > 0) {
		kill(rd.pid, SIGTERM);
		assert_int_equal(waitpid(rd.pid, &status, 0), rd.pid);
		rd.pid = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			harness_print_log_tail(20);
			fail_msg("secctxd: wait status 0x%x", status);
		}
	}
	if (rd.notify != -1)
		close(rd.notify);
	rd.notify = -1;
}

static int
setup(void **state)
{
	(void)state;
	path(rd.notify_path, sizeof(rd.notify_path), "reload-notify.sock");
	path(rd.socket, sizeof(rd.socket), "reload.sock");
	path(rd.config, sizeof(rd.config), "reload.json");
	path(rd.log, sizeof(rd.log), "reload.log");
	path(rd.cert, sizeof(rd.cert), "rot.pem");
	path(rd.key, sizeof(rd.key), "rot.key");
	return (0);
}

static int
teardown(void **state)
{
	int	status;

	if (rd.pid > 0) {
		kill(rd.pid, SIGKILL);
		waitpid(rd.pid, &status, 0);
		rd.pid = 0;
	}
	if (rd.notify != -1)
		close(rd.notify);
	rd.notify = -1;
	return (harness_test_teardown(state));
}

static secctx_conn *
connect_daemon(void)
{
	secctx_conn	*conn = NULL;

	assert_status(secctx_connect(rd.socket, &conn), SEC_E_OK);
	return (conn);
}

/* A pair on conn, both ends done, the server's tickets read. */
static struct harness_pair *
pair_run(secctx_conn *conn, int resume)
{
	struct harness_pair	*p;
	struct secctx_message	 m;
	struct harness_side	*c;

	p = harness_pair_open(conn, "client", conn, "rot");
	p->client.opt.no_resume = !resume;
	harness_pair_run(p);
	assert_true(p->client.done && p->server.done);
	c = &p->client;
	while (c->in_len > 0) {
		memset(&m, 0, sizeof(m));
		m.in = c->in;
		m.in_len = c->in_len;
		assert_status(secctx_decrypt(c->ctx, &m), SEC_E_OK);
		assert_int_equal(m.data_len, 0);
		assert_true(m.extra < c->in_len);
		memmove(c->in, c->in + c->in_len - m.extra, m.extra);
		c->in_len = m.extra;
	}
	return (p);
}

static void
peer_subject(secctx_ctx *ctx, char *buf, size_t len)
{
	struct secctx_info	info;

	harness_info(ctx, &info);
	snprintf(buf, len, "%s", info.peer_subject);
}

/* One record from -> to, opened intact. */
static void
send_text(secctx_ctx *from, secctx_ctx *to, const char *text)
{
	struct secctx_message	 m;
	void			*rec = NULL;
	size_t			 rec_len = 0;

	assert_status(secctx_encrypt(from, text, strlen(text), &rec,
	    &rec_len), SEC_E_OK);
	memset(&m, 0, sizeof(m));
	m.in = rec;
	m.in_len = rec_len;
	assert_status(secctx_decrypt(to, &m), SEC_E_OK);
	assert_int_equal(m.extra, 0);
	assert_int_equal(m.data_len, strlen(text));
	assert_memory_equal(m.data, text, m.data_len);
	secctx_free(m.data);
	secctx_free(m.out);
	secctx_free(rec);
}

/* An established pair keeps working: records both ways. */
static void
round_trip(struct harness_pair *p)
{
	send_text(p->client.ctx, p->server.ctx, "client to server");
	send_text(p->server.ctx, p->client.ctx, "server to client");
}

static void
test_new_certificate(void **state)
{
	struct harness_pair	*before, *after;
	struct secctx_options	 opt = { .target = "localhost",
				    .no_resume = 1 };
	secctx_conn		*conn;
	secctx_cred		*cc, *sc;
	secctx_ctx		*cctx = NULL, *sctx = NULL;
	char			 subject[512], *msg;

	(void)state;
	install_first_cert();
	write_config(1, NULL);
	start_daemon();
	conn = connect_daemon();
	cc = harness_cred(conn, "client", SECCTX_OUTBOUND);
	sc = harness_cred(conn, "rot", SECCTX_INBOUND);
	before = pair_run(conn, 0);
	peer_subject(before->client.ctx, subject, sizeof(subject));
	assert_contains(subject, "CN=localhost");
	assert_null(strstr(subject, RELOADED_SUBJECT));

	install_new_cert(0);
	msg = reload();
	assert_contains(msg, "STATUS=serving 2 credentials (reloaded)");
	free(msg);

	/* New handles: the new certificate. */
	after = pair_run(conn, 0);
	peer_subject(after->client.ctx, subject, sizeof(subject));
	assert_contains(subject, RELOADED_SUBJECT);
	/* Handles acquired before the reload: the new certificate too. */
	assert_status(harness_raw_handshake(cc, sc, &opt, &cctx, &sctx),
	    SEC_E_OK);
	peer_subject(cctx, subject, sizeof(subject));
	assert_contains(subject, RELOADED_SUBJECT);
	/* The context established before: still the old one, working. */
	peer_subject(before->client.ctx, subject, sizeof(subject));
	assert_null(strstr(subject, RELOADED_SUBJECT));
	round_trip(before);
	round_trip(after);

	secctx_delete(cctx);
	secctx_delete(sctx);
	harness_pair_close(before);
	harness_pair_close(after);
	secctx_cred_free(cc);
	secctx_cred_free(sc);
	secctx_disconnect(conn);
	stop_daemon();
}

static void
test_failed_reload_keeps_running(void **state)
{
	struct harness_pair	*before, *p;
	secctx_conn		*conn;
	char			 subject[512], other[128], *msg, *log;

	(void)state;
	install_first_cert();
	write_config(1, NULL);
	start_daemon();
	conn = connect_daemon();
	before = pair_run(conn, 0);

	/* A new key without its certificate: the pair does not match. */
	install_new_cert(1);
	msg = reload();
	assert_contains(msg, "STATUS=reload failed, running the previous "
	    "configuration");
	assert_contains(msg, "private_key");
	free(msg);
	p = pair_run(conn, 0);
	peer_subject(p->client.ctx, subject, sizeof(subject));
	assert_contains(subject, "CN=localhost");
	assert_null(strstr(subject, RELOADED_SUBJECT));
	harness_pair_close(p);

	/* A file that is not JSON. */
	write_config(1, "{\"credentials\": [\n");
	msg = reload();
	assert_contains(msg, "STATUS=reload failed");
	free(msg);
	p = pair_run(conn, 0);
	peer_subject(p->client.ctx, subject, sizeof(subject));
	assert_null(strstr(subject, RELOADED_SUBJECT));
	harness_pair_close(p);
	round_trip(before);

	/* Fixed: the next reload takes, but not the new socket path. */
	install_new_cert(0);
	path(other, sizeof(other), "elsewhere.sock");
	write_config_full(1, getuid(), other, NULL);
	msg = reload();
	assert_contains(msg, "(reloaded)");
	free(msg);
	assert_int_equal(access(other, F_OK), -1);
	secctx_disconnect(connect_daemon());
	p = pair_run(conn, 0);
	peer_subject(p->client.ctx, subject, sizeof(subject));
	assert_contains(subject, RELOADED_SUBJECT);
	harness_pair_close(p);
	round_trip(before);

	log = harness_read_file(rd.log, NULL);
	assert_contains(log, "reload failed, the running configuration "
	    "stays");
	assert_contains(log, "socket and socket_mode are not changed by a "
	    "reload");
	free(log);
	harness_pair_close(before);
	secctx_disconnect(conn);
	stop_daemon();
}

static void
test_removed_credential(void **state)
{
	struct harness_pair	*before;
	struct secctx_options	 opt = { .target = "localhost",
				    .no_resume = 1 };
	secctx_conn		*conn;
	struct secctx_token	 hello, tok;
	secctx_cred		*cc, *sc, *again = NULL;
	secctx_ctx		*cctx = NULL, *sctx = NULL;
	char			*msg;

	(void)state;
	install_first_cert();
	write_config(1, NULL);
	start_daemon();
	conn = connect_daemon();
	cc = harness_cred(conn, "client", SECCTX_OUTBOUND);
	sc = harness_cred(conn, "rot", SECCTX_INBOUND);
	before = pair_run(conn, 0);

	write_config(0, NULL);
	msg = reload();
	assert_contains(msg, "STATUS=serving 1 credentials (reloaded)");
	free(msg);
	assert_status(secctx_cred_acquire(conn, "rot", SECCTX_INBOUND,
	    &again), SEC_E_UNKNOWN_CREDENTIALS);
	assert_null(again);
	/* The handle is still there, but makes no new context. */
	memset(&hello, 0, sizeof(hello));
	assert_status(secctx_initialize(cc, &cctx, &opt, &hello),
	    SEC_I_CONTINUE_NEEDED);
	memset(&tok, 0, sizeof(tok));
	tok.in = hello.out;
	tok.in_len = hello.out_len;
	assert_status(secctx_accept(sc, &sctx, NULL, &tok),
	    SEC_E_NO_CREDENTIALS);
	assert_null(sctx);
	assert_contains(secctx_last_error(), "'rot'");
	secctx_free(hello.out);
	secctx_free(tok.out);
	secctx_delete(cctx);
	round_trip(before);

	harness_pair_close(before);
	secctx_cred_free(cc);
	secctx_cred_free(sc);
	secctx_disconnect(conn);
	stop_daemon();
}

/* The caller's uid leaves the credential: its handle makes no context. */
static void
test_revoked_uid(void **state)
{
	struct harness_pair	*before;
	struct secctx_options	 opt = { .target = "localhost",
				    .no_resume = 1 };
	struct secctx_token	 hello, tok;
	secctx_conn		*conn;
	secctx_cred		*cc, *sc, *again = NULL;
	secctx_ctx		*cctx = NULL, *sctx = NULL;
	char			*msg;

	(void)state;
	install_first_cert();
	write_config(1, NULL);
	start_daemon();
	conn = connect_daemon();
	cc = harness_cred(conn, "client", SECCTX_OUTBOUND);
	sc = harness_cred(conn, "rot", SECCTX_INBOUND);
	before = pair_run(conn, 0);

	write_config_full(1, getuid() + 1, rd.socket, NULL);
	msg = reload();
	assert_contains(msg, "(reloaded)");
	free(msg);
	assert_status(secctx_cred_acquire(conn, "rot", SECCTX_INBOUND,
	    &again), SEC_E_NOT_OWNER);
	memset(&hello, 0, sizeof(hello));
	assert_status(secctx_initialize(cc, &cctx, &opt, &hello),
	    SEC_I_CONTINUE_NEEDED);
	memset(&tok, 0, sizeof(tok));
	tok.in = hello.out;
	tok.in_len = hello.out_len;
	assert_status(secctx_accept(sc, &sctx, NULL, &tok), SEC_E_NOT_OWNER);
	assert_null(sctx);
	secctx_free(hello.out);
	secctx_free(tok.out);
	secctx_delete(cctx);
	/* What was established before stays. */
	round_trip(before);

	harness_pair_close(before);
	secctx_cred_free(cc);
	secctx_cred_free(sc);
	secctx_disconnect(conn);
	stop_daemon();
}

static void
test_no_resumption_across_reload(void **state)
{
	struct harness_pair	*p;
	struct secctx_info	 info;
	secctx_conn		*conn;
	char			*msg;

	(void)state;
	install_first_cert();
	write_config(1, NULL);
	start_daemon();
	conn = connect_daemon();
	harness_pair_close(pair_run(conn, 1));
	p = pair_run(conn, 1);
	harness_info(p->client.ctx, &info);
	assert_int_equal(info.resumed, 1);
	harness_pair_close(p);

	msg = reload();		/* the same files */
	assert_contains(msg, "(reloaded)");
	free(msg);
	p = pair_run(conn, 1);
	harness_info(p->client.ctx, &info);
	assert_int_equal(info.resumed, 0);
	harness_pair_close(p);
	/* Sessions made after the reload resume again. */
	p = pair_run(conn, 1);
	harness_info(p->client.ctx, &info);
	assert_int_equal(info.resumed, 1);
	harness_pair_close(p);

	secctx_disconnect(conn);
	stop_daemon();
}

/*
 * A CRL published by replacing the file and reloading: the server's
 * certificate, accepted before, is refused after (CRYPT_E_REVOKED), also
 * for a session the client could have resumed; an established pair goes
 * on.
 */
static void
test_crl_reload(void **state)
{
	struct harness_pair	*before, *p;
	struct secctx_info	 info;
	secctx_conn		*conn;
	char			 crl[160], cmd[1024], text[2048], *msg;

	(void)state;
	path(crl, sizeof(crl), "reload-crl.pem");
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s %s && chmod 600 %s && "
	    "cp %s %s", harness_pki("revoked-server.pem"), rd.cert,
	    harness_pki("revoked-server.key"), rd.key, rd.key,
	    harness_pki("crl-none.pem"), crl);
	run(cmd);
	snprintf(text, sizeof(text), "{\"socket\": \"%s\", \"credentials\": "
	    "[{\"name\": \"rot\", \"certificate\": \"%s\", "
	    "\"private_key\": \"%s\", \"uids\": [%u]}, {\"name\": "
	    "\"client\", \"ca_file\": \"%s\", \"crl_file\": \"%s\", "
	    "\"uids\": [%u]}]}\n", rd.socket, rd.cert, rd.key,
	    (unsigned)getuid(), harness_pki("ca.pem"), crl, (unsigned)getuid());
	write_config(0, text);
	start_daemon();
	conn = connect_daemon();
	before = pair_run(conn, 1);	/* not yet listed; its session cached */

	snprintf(cmd, sizeof(cmd), "cp %s %s.new && mv %s.new %s",
	    harness_pki("crl.pem"), crl, crl, crl);
	run(cmd);
	msg = reload();
	assert_contains(msg, "(reloaded)");
	free(msg);
	p = harness_pair_open(conn, "client", conn, "rot");
	harness_pair_run(p);
	assert_status(p->client.status, CRYPT_E_REVOKED);
	assert_contains(p->client.error, "revoked");
	harness_pair_close(p);
	/* Established before: unchanged. */
	harness_info(before->client.ctx, &info);
	assert_int_equal(info.handshake_done, 1);
	round_trip(before);
	harness_pair_close(before);

	secctx_disconnect(conn);
	stop_daemon();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_certificate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_reload_keeps_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_credential,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_uid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_resumption_across_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_reload, setup,
		    teardown),
	};

	return (harness_run("reload", tests));
}
