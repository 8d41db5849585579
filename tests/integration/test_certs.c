/*
 * Certificate verification failures on the client side: wrong name,
 * unknown CA, expired certificate; against openssl s_server and against a
 * server through libsecctx.  Each time the library returns an alert token
 * to send and the context is gone.
 */

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* The alert token: a record of type alert, or encrypted under TLS 1.3. */
static void
assert_alert(size_t len, uint8_t type)
{
	if (len == 0)
		fail_msg("no alert token");
	if (type != TLS_ALERT && type != TLS_APPLICATION_DATA)
		fail_msg("alert token starts with %u", type);
}

static void
against_s_server(const char *cert, const char *key, const char *version,
    const char *target, secctx_status expect)
{
	const char *const	 args[] = {
		"-cert", harness_pki(cert), "-key", harness_pki(key), version,
		NULL
	};
	struct secctx_options	 opt = { .target = target };
	struct harness_child	*c;
	struct harness_hs	 hs;
	secctx_conn		*conn;
	secctx_cred		*cred;
	int			 port, fd;

	c = harness_s_server(&port, args);
	conn = harness_connect();
	cred = harness_cred(conn, "client-nocert", SECCTX_OUTBOUND);
	fd = harness_tcp_connect(port);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(fd, cred, 0, &opt, &hs), expect);
	assert_null(hs.ctx);
	assert_false(hs.eof);
	assert_true(strlen(hs.error) > 0);
	assert_alert(hs.alert_len, hs.alert_type);
	if (strcmp(version, "-tls1_2") == 0)
		assert_int_equal(hs.alert_type, TLS_ALERT);
	print_message("    %s %s: %s \"%s\"\n", cert, version,
	    harness_status_name(hs.status), hs.error);
	/* s_server understood the alert. */
	shutdown(fd, SHUT_WR);
	harness_child_wait_output(c, "alert", 5000);
	close(fd);
	harness_child_kill(c);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
}

static void
test_wrong_principal(void **state)
{
	(void)state;
	against_s_server("server.pem", "server.key", "-tls1_2",
	    "wrong.example", SEC_E_WRONG_PRINCIPAL);
	against_s_server("server.pem", "server.key", "-tls1_3",
	    "wrong.example", SEC_E_WRONG_PRINCIPAL);
}

static void
test_wrong_ip_address(void **state)
{
	(void)state;
	/* The certificate names 127.0.0.1, not 127.0.0.2. */
	against_s_server("server.pem", "server.key", "-tls1_3", "127.0.0.2",
	    SEC_E_WRONG_PRINCIPAL);
}

static void
test_untrusted_root(void **state)
{
	(void)state;
	against_s_server("other-server.pem", "other-server.key", "-tls1_2",
	    "localhost", SEC_E_UNTRUSTED_ROOT);
	against_s_server("other-server.pem", "other-server.key", "-tls1_3",
	    "localhost", SEC_E_UNTRUSTED_ROOT);
}

static void
test_cert_expired(void **state)
{
	(void)state;
	against_s_server("expired.pem", "expired.key", "-tls1_2", "localhost",
	    SEC_E_CERT_EXPIRED);
	against_s_server("expired.pem", "expired.key", "-tls1_3", "localhost",
	    SEC_E_CERT_EXPIRED);
}

/*
 * The same failures between two libsecctx contexts: the server then gets
 * the client's alert and fails too.
 */
static void
in_pair(const char *server_cred, const char *target, enum secctx_version v,
    secctx_status expect, const char *alert)
{
	struct harness_pair	*p;

	p = harness_pair_open(NULL, "client-nocert", NULL, server_cred);
	p->client.opt.target = target;
	p->client.opt.min_version = p->client.opt.max_version = v;
	harness_pair_run(p);
	assert_status(p->client.status, expect);
	assert_null(p->client.ctx);
	assert_alert(p->client.alert_len, p->client.alert_type);
	assert_int_equal(p->server.in_len, p->client.alert_len);

	assert_false(p->server.failed);
	harness_side_step(&p->server, &p->client);
	print_message("    %s/%s: client %s, server then %s \"%s\"\n",
	    server_cred, target, harness_status_name(p->client.status),
	    harness_status_name(p->server.status), p->server.error);
	/* PROTOCOL.md: SEC_E_CERT_UNKNOWN naming the alert the peer sent. */
	assert_status(p->server.status, SEC_E_CERT_UNKNOWN);
	assert_null(p->server.ctx);
	assert_contains(p->server.error, alert);
	harness_pair_close(p);
}

static void
test_pair_wrong_principal(void **state)
{
	(void)state;
	in_pair("server", "wrong.example", SECCTX_TLS1_2,
	    SEC_E_WRONG_PRINCIPAL, "bad certificate");
	in_pair("server", "wrong.example", SECCTX_TLS1_3,
	    SEC_E_WRONG_PRINCIPAL, "bad certificate");
}

static void
test_pair_untrusted_root(void **state)
{
	(void)state;
	in_pair("other-server", "localhost", SECCTX_TLS1_2,
	    SEC_E_UNTRUSTED_ROOT, "unknown CA");
	in_pair("other-server", "localhost", SECCTX_TLS1_3,
	    SEC_E_UNTRUSTED_ROOT, "unknown CA");
}

static void
test_pair_cert_expired(void **state)
{
	(void)state;
	in_pair("expired-server", "localhost", SECCTX_TLS1_2,
	    SEC_E_CERT_EXPIRED, "certificate expired");
	in_pair("expired-server", "localhost", SECCTX_TLS1_3,
	    SEC_E_CERT_EXPIRED, "certificate expired");
}

static void
test_pair_rsa_trusted(void **state)
{
	struct harness_pair	*p;
	struct secctx_info	ci;

	(void)state;
	/* The control: the same checks pass for a good certificate. */
	p = harness_pair_open(NULL, "client-nocert", NULL, "rsa-server");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	assert_contains(ci.peer_subject, "CN=localhost");
	harness_pair_close(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_wrong_principal),
		harness_test(test_wrong_ip_address),
		harness_test(test_untrusted_root),
		harness_test(test_cert_expired),
		harness_test(test_pair_wrong_principal),
		harness_test(test_pair_untrusted_root),
		harness_test(test_pair_cert_expired),
		harness_test(test_pair_rsa_trusted),
	};

	return (harness_run("certs", tests));
}
