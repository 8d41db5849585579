/*
 * Session resumption through the daemon: a second context from the same
 * credential, uid and target resumes (TLS 1.3 tickets, TLS 1.2); other
 * targets and contexts that opt out do not.  A session resumes only on the
 * server credential that made it, and only until a reload, also for names
 * longer than OpenSSL's 32-byte session id context.
 */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
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

/* A daemon of a test's own, beside the harness's. */
struct own_daemon {
	pid_t	pid;
	char	socket[128];
	char	config[128];
	char	log[128];	/* its stderr */
	int	reloads;
};

static struct own_daemon	*own_running;

/*
 * Start secctxd on "{ "socket": SOCKET" followed by text, in name.json,
 * its socket name.sock, its stderr in name.log; wait for its socket.
 */
static void
own_start(struct own_daemon *d, const char *name, const char *text)
{
	const char	*daemon = getenv("SECCTX_TEST_DAEMON");
	secctx_conn	*conn;
	FILE		*f;
	int		 i, fd;

	assert_non_null(daemon);
	memset(d, 0, sizeof(*d));
	snprintf(d->config, sizeof(d->config), "%s/%s.json", harness.dir, name);
	snprintf(d->socket, sizeof(d->socket), "%s/%s.sock", harness.dir, name);
	snprintf(d->log, sizeof(d->log), "%s/%s.log", harness.dir, name);
	assert_non_null(f = fopen(d->config, "w"));
	fprintf(f, "{ \"socket\": \"%s\"%s", d->socket, text);
	assert_int_equal(fclose(f), 0);
	unlink(d->socket);
	if ((d->pid = fork()) == 0) {
		/* Gone with the test, even when the test fails first. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC,
		    0644)) == -1)
			_exit(126);
		dup2(fd, STDERR_FILENO);
		harness_exec_daemon(daemon, (const char *const[]){ "secctxd",
		    "-c", d->config, NULL });
		_exit(127);
	}
	assert_true(d->pid > 0);
	own_running = d;
	for (i = 0; i < 100 && secctx_connect(d->socket, &conn) != SEC_E_OK;
	    i++)
		usleep(50000);
	assert_true(i < 100);
	secctx_disconnect(conn);
}

/* SIGHUP; wait until the reload is done. */
static void
own_reload(struct own_daemon *d)
{
	assert_int_equal(kill(d->pid, SIGHUP), 0);
	harness_wait_file_count(d->log, "configuration reloaded",
	    ++d->reloads);
}

static void
own_stop(struct own_daemon *d)
{
	int	status;

	assert_int_equal(kill(d->pid, SIGTERM), 0);
	assert_int_equal(waitpid(d->pid, &status, 0), d->pid);
	d->pid = 0;
	own_running = NULL;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A failed test's daemon goes too. */
static int
own_teardown(void **state)
{
	if (own_running != NULL && own_running->pid > 0) {
		kill(own_running->pid, SIGKILL);
		waitpid(own_running->pid, NULL, 0);
	}
	own_running = NULL;
	return (harness_test_teardown(state));
}

/* A daemon whose ticket key rotates every second, configured as the harness's. */
static void
rotating_daemon(struct own_daemon *d)
{
	char	*text, *p, *conf;

	text = harness_read_file(harness.config, NULL);
	assert_non_null(text);
	assert_non_null(p = strstr(text, harness.socket));
	/* The same file with another socket and the rotation period. */
	assert_true(asprintf(&conf, ", \"ticket_key_rotation\": 1%s",
	    p + strlen(harness.socket) + 1) > 0);
	own_start(d, "rotating", conf);
	free(conf);
	free(text);
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
	struct own_daemon	 d;
	secctx_conn		*conn;

	(void)state;
	/* Timed (a key a second): not with a daemon under valgrind. */
	if (getenv("SECCTX_TEST_WRAPPER") != NULL)
		skip();
	rotating_daemon(&d);
	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
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
	own_stop(&d);
}

/*
 * Two server credentials whose names are longer than 32 bytes and differ
 * only after it: LONG_A trusts the test CA, which issued the client's
 * certificate, LONG_B only "other CA".  A session of LONG_A resumed on
 * LONG_B would give B a client certificate it never verified.
 */
#define LONG_A	"secctx-credential-with-a-name-longer-than-32-bytes-a"
#define LONG_B	"secctx-credential-with-a-name-longer-than-32-bytes-b"

static void
long_daemon(struct own_daemon *d)
{
	char	*text;

	assert_true(asprintf(&text, ", \"credentials\": [\n"
	    "  {\"name\": \"" LONG_A "\", \"certificate\": \"%s/server.pem\", "
	    "\"private_key\": \"%s/server.key\", \"ca_file\": \"%s/ca.pem\", "
	    "\"uids\": [%u]},\n"
	    "  {\"name\": \"" LONG_B "\", \"certificate\": \"%s/server.pem\", "
	    "\"private_key\": \"%s/server.key\", "
	    "\"ca_file\": \"%s/other-ca.pem\", \"uids\": [%u]},\n"
	    "  {\"name\": \"client\", \"certificate\": \"%s/client.pem\", "
	    "\"private_key\": \"%s/client.key\", \"ca_file\": \"%s/ca.pem\", "
	    "\"uids\": [%u]}\n]}\n", harness.pki, harness.pki, harness.pki,
	    (unsigned)getuid(), harness.pki, harness.pki, harness.pki,
	    (unsigned)getuid(), harness.pki, harness.pki, harness.pki,
	    (unsigned)getuid()) > 0);
	own_start(d, "long", text);
	free(text);
}

/*
 * On conn, "client" to server, which asks for a client certificate as cc;
 * the server's status, what it negotiated in si.
 */
static secctx_status
long_connect(secctx_conn *conn, const char *server, enum secctx_version v,
    enum secctx_client_cert cc, struct secctx_info *si)
{
	struct harness_pair	*p;
	struct secctx_info	 ci;
	secctx_status		 status;

	p = harness_pair_open(conn, "client", conn, server);
	p->client.opt.min_version = p->client.opt.max_version = v;
	p->client.opt.no_resume = 0;
	p->server.opt.client_cert = cc;
	harness_pair_run(p);
	if ((status = p->server.status) == SEC_E_OK) {
		assert_status(p->client.status, SEC_E_OK);
		client_reads_tickets(&p->client);
		harness_info(p->client.ctx, &ci);
		harness_info(p->server.ctx, si);
		assert_int_equal(ci.resumed, si->resumed);
		assert_string_equal(si->credential, server);
	}
	harness_pair_close(p);
	return (status);
}

/*
 * With no session cached, the client makes one with LONG_A and offers it
 * to LONG_B, which asks for no client certificate: a full handshake, and
 * no client certificate; then B's own session to A, which requires one: a
 * full handshake that verifies it.
 */
static void
long_no_cross(secctx_conn *conn, enum secctx_version v)
{
	struct secctx_info	si;

	assert_status(long_connect(conn, LONG_A, v,
	    SECCTX_CLIENT_CERT_REQUIRED, &si), SEC_E_OK);
	assert_false(si.resumed);
	assert_contains(si.peer_subject, "CN=secctx test client");
	assert_status(long_connect(conn, LONG_B, v, SECCTX_CLIENT_CERT_NONE,
	    &si), SEC_E_OK);
	assert_false(si.resumed);
	assert_string_equal(si.peer_subject, "");
	/* B resumes its own session. */
	assert_status(long_connect(conn, LONG_B, v, SECCTX_CLIENT_CERT_NONE,
	    &si), SEC_E_OK);
	assert_true(si.resumed);
	assert_string_equal(si.peer_subject, "");
	assert_status(long_connect(conn, LONG_A, v,
	    SECCTX_CLIENT_CERT_REQUIRED, &si), SEC_E_OK);
	assert_false(si.resumed);
	assert_contains(si.peer_subject, "CN=secctx test client");
}

/* LONG_A, which requires the client's certificate, resumes its session. */
static void
long_a_resumes(secctx_conn *conn, enum secctx_version v)
{
	struct secctx_info	si;
	int			i;

	for (i = 0; i < 2; i++) {
		assert_status(long_connect(conn, LONG_A, v,
		    SECCTX_CLIENT_CERT_REQUIRED, &si), SEC_E_OK);
		assert_true(si.resumed);
		assert_contains(si.peer_subject, "CN=secctx test client");
	}
}

/* Before and after a reload, which clears the client's sessions. */
static void
long_names(enum secctx_version v)
{
	struct own_daemon	 d;
	secctx_conn		*conn;

	long_daemon(&d);
	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
	long_no_cross(conn, v);
	long_a_resumes(conn, v);
	own_reload(&d);
	long_no_cross(conn, v);
	long_a_resumes(conn, v);
	secctx_disconnect(conn);
	own_stop(&d);
}

static void
test_long_names_tls12(void **state)
{
	(void)state;
	long_names(SECCTX_TLS1_2);
}

static void
test_long_names_tls13(void **state)
{
	(void)state;
	long_names(SECCTX_TLS1_3);
}

/*
 * openssl s_client to the daemon's server credential cred over TCP, with
 * the version option and extra arguments; the server's status, what it
 * negotiated in si and whether s_client says "Reused".
 */
static secctx_status
long_serve(const struct own_daemon *d, const char *cred,
    const char *const argv[], enum secctx_client_cert cc,
    struct secctx_info *si, int *reused)
{
	struct secctx_options	 opt = { .client_cert = cc };
	struct harness_child	*s_client;
	struct harness_hs	 hs;
	secctx_conn		*conn;
	secctx_cred		*sc;
	char			*out;
	const char		*sess_out = NULL;
	int			 lfd, fd, port, i;

	memset(&hs, 0, sizeof(hs));
	for (i = 0; argv[i] != NULL; i++)
		if (strcmp(argv[i], "-sess_out") == 0)
			sess_out = argv[i + 1];
	if (sess_out != NULL)
		unlink(sess_out);
	lfd = harness_tcp_listen(&port);
	s_client = harness_s_client(port, argv[0], argv + 1);
	assert_status(secctx_connect(d->socket, &conn), SEC_E_OK);
	assert_status(secctx_cred_acquire(conn, cred, SECCTX_INBOUND, &sc),
	    SEC_E_OK);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	harness_handshake(fd, sc, 1, &opt, &hs);
	if (hs.status == SEC_E_OK) {
		harness_info(hs.ctx, si);
		harness_child_wait_output(s_client, "Verify return code", 5000);
		/* A TLS 1.3 session is written when its ticket arrives. */
		if (sess_out != NULL)
			harness_wait_file_count(sess_out, "-----BEGIN SSL "
			    "SESSION PARAMETERS-----", 1);
		harness_child_close_stdin(s_client);
	} else
		shutdown(fd, SHUT_WR);
	harness_child_wait(s_client, HARNESS_TIMEOUT_MS);
	out = harness_child_output(s_client);
	*reused = strstr(out, "\nReused, ") != NULL;
	if (hs.status == SEC_E_OK) {
		assert_int_equal(*reused, si->resumed);
		if (!*reused)
			assert_contains(out, "\nNew, ");
	}
	free(out);
	close(fd);
	harness_hs_free(&hs);
	assert_status(secctx_cred_free(sc), SEC_E_OK);
	secctx_disconnect(conn);
	return (hs.status);
}

/*
 * A session of LONG_A, made with version (and -no_ticket), in a file:
 * s_client offers it to B (a full handshake, no client certificate) and to
 * A (resumed, with A's client certificate); after a reload neither resumes
 * it, and a session made then behaves as before.
 */
static void
long_s_client(const char *version, int no_ticket)
{
	const char		*sess = harness_test_file("long-a.sess");
	const char		*out[] = { version, "-cert", NULL, "-key", NULL,
				    "-sess_out", sess, NULL, NULL };
	const char		*in[] = { version, "-cert", NULL, "-key", NULL,
				    "-sess_in", sess, NULL, NULL };
	struct own_daemon	 d;
	struct secctx_info	 si;
	char			 cert[160], key[160];
	int			 reused, round;

	/* harness_pki()'s buffers are reused: copies. */
	snprintf(cert, sizeof(cert), "%s", harness_pki("client.pem"));
	snprintf(key, sizeof(key), "%s", harness_pki("client.key"));
	out[2] = in[2] = cert;
	out[4] = in[4] = key;
	out[7] = in[7] = no_ticket ? "-no_ticket" : NULL;
	long_daemon(&d);
	for (round = 0; round < 2; round++) {
		assert_status(long_serve(&d, LONG_A, out,
		    SECCTX_CLIENT_CERT_REQUIRED, &si, &reused), SEC_E_OK);
		assert_false(reused);
		assert_contains(si.peer_subject, "CN=secctx test client");
		assert_status(long_serve(&d, LONG_B, in,
		    SECCTX_CLIENT_CERT_NONE, &si, &reused), SEC_E_OK);
		assert_false(reused);
		assert_string_equal(si.peer_subject, "");
		assert_status(long_serve(&d, LONG_A, in,
		    SECCTX_CLIENT_CERT_REQUIRED, &si, &reused), SEC_E_OK);
		assert_true(reused);
		assert_contains(si.peer_subject, "CN=secctx test client");
		own_reload(&d);
		/* The session of before the reload: on neither. */
		assert_status(long_serve(&d, LONG_B, in,
		    SECCTX_CLIENT_CERT_NONE, &si, &reused), SEC_E_OK);
		assert_false(reused);
		assert_status(long_serve(&d, LONG_A, in,
		    SECCTX_CLIENT_CERT_REQUIRED, &si, &reused), SEC_E_OK);
		assert_false(reused);
	}
	own_stop(&d);
}

static void
test_long_s_client_tls12_id(void **state)
{
	(void)state;
	long_s_client("-tls1_2", 1);
}

static void
test_long_s_client_tls12_ticket(void **state)
{
	(void)state;
	long_s_client("-tls1_2", 0);
}

static void
test_long_s_client_tls13(void **state)
{
	(void)state;
	long_s_client("-tls1_3", 0);
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
		cmocka_unit_test_teardown(test_ticket_rotation, own_teardown),
		cmocka_unit_test_teardown(test_long_names_tls12, own_teardown),
		cmocka_unit_test_teardown(test_long_names_tls13, own_teardown),
		cmocka_unit_test_teardown(test_long_s_client_tls12_id,
		    own_teardown),
		cmocka_unit_test_teardown(test_long_s_client_tls12_ticket,
		    own_teardown),
		cmocka_unit_test_teardown(test_long_s_client_tls13,
		    own_teardown),
	};

	return (harness_run("resume", tests));
}
