/*
 * openssl s_client against a server through libsecctx: the test listens on
 * a TCP port, accepts, and drives secctx_accept; with and without a client
 * certificate.
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

struct served {
	struct harness_child	*s_client;
	struct harness_hs	 hs;
	struct secctx_info	 info;
	char			*output;	/* s_client's output */
	int			 exit_status;	/* its wait status */
};

/*
 * Start s_client with the version and extra arguments, accept it, and run
 * the server side with the credential cred_name and the given client
 * certificate request.  On success wait for s_client to print its verify
 * result, then close its stdin so that it ends the connection and exits.
 */
static secctx_status
serve_as(const char *cred_name, const char *version,
    const char *const extra[], enum secctx_client_cert client_cert,
    struct served *sv)
{
	struct secctx_options	 opt = { .client_cert = client_cert };
	secctx_conn		*conn;
	secctx_cred		*cred;
	int			 lfd, fd, port;

	memset(sv, 0, sizeof(*sv));
	lfd = harness_tcp_listen(&port);
	sv->s_client = harness_s_client(port, version, extra);

	conn = harness_connect();
	cred = harness_cred(conn, cred_name, SECCTX_INBOUND);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	harness_handshake(fd, cred, 1, &opt, &sv->hs);
	if (sv->hs.status == SEC_E_OK) {
		harness_info(sv->hs.ctx, &sv->info);
		harness_child_wait_output(sv->s_client, "Verify return code",
		    5000);
		harness_child_close_stdin(sv->s_client);
	} else {
		/* The alert is sent: end the connection. */
		shutdown(fd, SHUT_WR);
	}
	sv->exit_status = harness_child_wait(sv->s_client, HARNESS_TIMEOUT_MS);
	sv->output = harness_child_output(sv->s_client);
	close(fd);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
	return (sv->hs.status);
}

/* The same with the "server" credential. */
static secctx_status
serve(const char *version, const char *const extra[],
    enum secctx_client_cert client_cert, struct served *sv)
{
	return (serve_as("server", version, extra, client_cert, sv));
}

static void
served_free(struct served *sv)
{
	harness_hs_free(&sv->hs);
	free(sv->output);
}

static void
assert_s_client_ok(const struct served *sv, const char *protocol)
{
	char	expect[64];

	assert_contains(sv->output, "Verify return code: 0 (ok)");
	snprintf(expect, sizeof(expect), "Protocol  : %s", protocol);
	if (strstr(sv->output, expect) == NULL) {
		/* TLS 1.3 sessions print "New, TLSv1.3, Cipher is ...". */
		snprintf(expect, sizeof(expect), "New, %s,", protocol);
		assert_contains(sv->output, expect);
	}
	if (!WIFEXITED(sv->exit_status) || WEXITSTATUS(sv->exit_status) != 0)
		fail_msg("s_client ended with status 0x%x:\n%s",
		    sv->exit_status, sv->output);
}

static void
no_client_cert(const char *version, const char *protocol)
{
	struct served	sv;

	assert_status(serve(version, NULL, SECCTX_CLIENT_CERT_NONE, &sv),
	    SEC_E_OK);
	assert_string_equal(sv.info.protocol, protocol);
	assert_string_equal(sv.info.peer_subject, "");
	assert_string_equal(sv.info.sni, "localhost");
	assert_string_equal(sv.info.credential, "server");
	assert_int_equal(sv.info.handshake_done, 1);
	assert_s_client_ok(&sv, protocol);
	/* s_client saw our certificate. */
	assert_contains(sv.output, "CN = localhost");
	served_free(&sv);
}

static void
test_tls12_no_client_cert(void **state)
{
	(void)state;
	no_client_cert("-tls1_2", "TLSv1.2");
}

static void
test_tls13_no_client_cert(void **state)
{
	(void)state;
	no_client_cert("-tls1_3", "TLSv1.3");
}

static void
client_cert_required(const char *version, const char *protocol)
{
	const char *const	extra[] = {
		"-cert", harness_pki("client.pem"),
		"-key", harness_pki("client.key"), NULL
	};
	struct served		sv;

	assert_status(serve(version, extra, SECCTX_CLIENT_CERT_REQUIRED, &sv),
	    SEC_E_OK);
	assert_string_equal(sv.info.protocol, protocol);
	assert_contains(sv.info.peer_subject, "CN=secctx test client");
	assert_contains(sv.info.peer_issuer, "CN=secctx test CA");
	assert_s_client_ok(&sv, protocol);
	served_free(&sv);
}

static void
test_tls12_client_cert_required(void **state)
{
	(void)state;
	client_cert_required("-tls1_2", "TLSv1.2");
}

static void
test_tls13_client_cert_required(void **state)
{
	(void)state;
	client_cert_required("-tls1_3", "TLSv1.3");
}

static void
test_client_cert_optional_none_sent(void **state)
{
	struct served	sv;

	(void)state;
	assert_status(serve("-tls1_3", NULL, SECCTX_CLIENT_CERT_OPTIONAL, &sv),
	    SEC_E_OK);
	assert_string_equal(sv.info.peer_subject, "");
	assert_s_client_ok(&sv, "TLSv1.3");
	served_free(&sv);
}

static void
test_client_cert_optional_sent(void **state)
{
	const char *const	extra[] = {
		"-cert", harness_pki("client.pem"),
		"-key", harness_pki("client.key"), NULL
	};
	struct served		sv;

	(void)state;
	assert_status(serve("-tls1_2", extra, SECCTX_CLIENT_CERT_OPTIONAL,
	    &sv), SEC_E_OK);
	assert_contains(sv.info.peer_subject, "CN=secctx test client");
	served_free(&sv);
}

/*
 * A required client certificate that the client does not send: the accept
 * fails with an error status (the contract does not name which one; the
 * test prints it) and an alert reaches s_client.
 */
static void
missing_client_cert(const char *version)
{
	struct served	sv;
	secctx_status	st;

	st = serve(version, NULL, SECCTX_CLIENT_CERT_REQUIRED, &sv);
	print_message("    %s, required client certificate not sent: %s "
	    "(\"%s\"), alert of %zu bytes, type %u\n", version,
	    harness_status_name(st), sv.hs.error, sv.hs.alert_len,
	    sv.hs.alert_type);
	assert_true(SECCTX_FAILED(st));
	assert_int_not_equal(st, SEC_E_INCOMPLETE_MESSAGE);
	assert_false(sv.hs.eof);
	assert_null(sv.hs.ctx);
	assert_true(strlen(sv.hs.error) > 0);
	assert_true(sv.hs.alert_len > 0);
	assert_true(sv.hs.alert_type == TLS_ALERT ||
	    sv.hs.alert_type == TLS_APPLICATION_DATA);
	/* s_client reports the alert it received. */
	assert_contains(sv.output, "alert");
	served_free(&sv);
}

static void
test_tls12_client_cert_missing(void **state)
{
	(void)state;
	missing_client_cert("-tls1_2");
}

static void
test_tls13_client_cert_missing(void **state)
{
	(void)state;
	missing_client_cert("-tls1_3");
}

static void
test_client_cert_untrusted(void **state)
{
	/* A certificate from "other CA", which the "server" credential does
	 * not trust. */
	const char *const	extra[] = {
		"-cert", harness_pki("other-server.pem"),
		"-key", harness_pki("other-server.key"), NULL
	};
	struct served		sv;

	(void)state;
	assert_status(serve("-tls1_3", extra, SECCTX_CLIENT_CERT_REQUIRED,
	    &sv), SEC_E_UNTRUSTED_ROOT);
	assert_null(sv.hs.ctx);
	assert_true(sv.hs.alert_len > 0);
	served_free(&sv);
}

/*
 * A credential's algorithm policy decides what a default s_client gets:
 * the one TLS 1.3 suite allowed, and P-384 after a HelloRetryRequest (its
 * key share was X25519, which the policy leaves out); the one TLS 1.2
 * cipher.
 */
static void
test_policy_chooses(void **state)
{
	struct served	sv;

	(void)state;
	assert_status(serve_as("strict-server", "-tls1_3", NULL,
	    SECCTX_CLIENT_CERT_NONE, &sv), SEC_E_OK);
	assert_string_equal(sv.info.cipher, "TLS_CHACHA20_POLY1305_SHA256");
	assert_string_equal(sv.info.group, "secp384r1");
	assert_s_client_ok(&sv, "TLSv1.3");
	assert_contains(sv.output, "TLS_CHACHA20_POLY1305_SHA256");
	served_free(&sv);
	assert_status(serve_as("strict-server", "-tls1_2", NULL,
	    SECCTX_CLIENT_CERT_NONE, &sv), SEC_E_OK);
	assert_string_equal(sv.info.cipher, "ECDHE-ECDSA-CHACHA20-POLY1305");
	assert_s_client_ok(&sv, "TLSv1.2");
	assert_contains(sv.output, "Cipher    : ECDHE-ECDSA-CHACHA20-POLY1305");
	served_free(&sv);
}

/* A client offering only what the policy leaves out is refused. */
static void
test_policy_refuses(void **state)
{
	const char *const	suites[] = { "-ciphersuites",
				    "TLS_AES_256_GCM_SHA384", NULL };
	const char *const	ciphers[] = { "-cipher",
				    "ECDHE-ECDSA-AES256-GCM-SHA384", NULL };
	const char *const	groups[] = { "-groups", "X25519", NULL };
	const char *const	*which[] = { suites, ciphers, groups };
	const char		*versions[] = { "-tls1_3", "-tls1_2",
				    "-tls1_3" };
	struct served		 sv;
	size_t			 i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_true(SECCTX_FAILED(serve_as("strict-server", versions[i],
		    which[i], SECCTX_CLIENT_CERT_NONE, &sv)));
		print_message("    %s %s: %s\n", which[i][0], which[i][1],
		    sv.hs.error);
		assert_true(strlen(sv.hs.error) > 0);
		assert_true(sv.hs.alert_len > 0);
		assert_contains(sv.output, "alert handshake failure");
		served_free(&sv);
	}
	/* The same clients are served by the default credential. */
	for (i = 0; i < 3; i++) {
		assert_status(serve(versions[i], which[i],
		    SECCTX_CLIENT_CERT_NONE, &sv), SEC_E_OK);
		served_free(&sv);
	}
}

/*
 * A credential without "ciphers" refuses a TLS 1.2 client that offers only
 * RSA key exchange or CBC suites: SEC_E_ALGORITHM_MISMATCH, and s_client
 * hears handshake_failure.  With an ECDSA and with an RSA certificate, so
 * that the suites' authentication is never what fails.
 */
static void
test_default_refuses_legacy(void **state)
{
	static const struct {
		const char	*cred;
		const char	*cipher;
	} cases[] = {
		{ "rsa-server", "AES128-SHA" },
		{ "rsa-server", "ECDHE-RSA-AES128-SHA" },
		{ "rsa-server", "AES128-GCM-SHA256" },
		{ "server", "ECDHE-ECDSA-AES128-SHA" },
		{ "server", "ECDHE-ECDSA-AES128-SHA256" },
	};
	const char	*extra[] = { "-cipher", NULL, NULL };
	struct served	 sv;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		extra[1] = cases[i].cipher;
		assert_status(serve_as(cases[i].cred, "-tls1_2", extra,
		    SECCTX_CLIENT_CERT_NONE, &sv), SEC_E_ALGORITHM_MISMATCH);
		print_message("    %s %s: %s\n", cases[i].cred,
		    cases[i].cipher, sv.hs.error);
		assert_true(sv.hs.alert_len > 0);
		assert_contains(sv.output, "alert handshake failure");
		served_free(&sv);
	}
	/* What it does offer: ECDHE with an AEAD. */
	extra[1] = "ECDHE-RSA-AES128-GCM-SHA256";
	assert_status(serve_as("rsa-server", "-tls1_2", extra,
	    SECCTX_CLIENT_CERT_NONE, &sv), SEC_E_OK);
	assert_string_equal(sv.info.cipher, "ECDHE-RSA-AES128-GCM-SHA256");
	assert_s_client_ok(&sv, "TLSv1.2");
	served_free(&sv);
}

/* A credential that names the older suites still negotiates them. */
static void
test_legacy_named(void **state)
{
	const char	*ciphers[] = { "AES128-SHA", "ECDHE-RSA-AES128-SHA" };
	const char	*extra[] = { "-cipher", NULL, NULL };
	struct served	 sv;
	size_t		 i;

	(void)state;
	for (i = 0; i < 2; i++) {
		extra[1] = ciphers[i];
		assert_status(serve_as("legacy-server", "-tls1_2", extra,
		    SECCTX_CLIENT_CERT_NONE, &sv), SEC_E_OK);
		assert_string_equal(sv.info.cipher, ciphers[i]);
		assert_s_client_ok(&sv, "TLSv1.2");
		served_free(&sv);
	}
}

/*
 * A credential with a CRL: a client certificate it lists is refused with
 * CRYPT_E_REVOKED and s_client hears "certificate revoked"; one it does not
 * list is accepted.  The credential without a CRL accepts both.
 */
static void
crl_client_cert(const char *version)
{
	const char *const	good[] = {
		"-cert", harness_pki("client.pem"),
		"-key", harness_pki("client.key"), NULL
	};
	const char *const	revoked[] = {
		"-cert", harness_pki("revoked-client.pem"),
		"-key", harness_pki("revoked-client.key"), NULL
	};
	struct served		sv;

	assert_status(serve_as("crl-server", version, good,
	    SECCTX_CLIENT_CERT_REQUIRED, &sv), SEC_E_OK);
	assert_contains(sv.info.peer_subject, "CN=secctx test client");
	served_free(&sv);
	assert_status(serve_as("crl-server", version, revoked,
	    SECCTX_CLIENT_CERT_REQUIRED, &sv), CRYPT_E_REVOKED);
	assert_contains(sv.hs.error, "revoked");
	assert_true(sv.hs.alert_len > 0);
	assert_contains(sv.output, "certificate revoked");
	served_free(&sv);
	assert_status(serve(version, revoked, SECCTX_CLIENT_CERT_REQUIRED,
	    &sv), SEC_E_OK);
	assert_contains(sv.info.peer_subject, "CN=secctx revoked client");
	served_free(&sv);
}

static void
test_tls12_crl_client_cert(void **state)
{
	(void)state;
	crl_client_cert("-tls1_2");
}

static void
test_tls13_crl_client_cert(void **state)
{
	(void)state;
	crl_client_cert("-tls1_3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_tls12_no_client_cert),
		harness_test(test_tls13_no_client_cert),
		harness_test(test_tls12_client_cert_required),
		harness_test(test_tls13_client_cert_required),
		harness_test(test_client_cert_optional_none_sent),
		harness_test(test_client_cert_optional_sent),
		harness_test(test_tls12_client_cert_missing),
		harness_test(test_tls13_client_cert_missing),
		harness_test(test_client_cert_untrusted),
		harness_test(test_policy_chooses),
		harness_test(test_policy_refuses),
		harness_test(test_default_refuses_legacy),
		harness_test(test_legacy_named),
		harness_test(test_tls12_crl_client_cert),
		harness_test(test_tls13_crl_client_cert),
	};

	return (harness_run("server_openssl", tests));
}
