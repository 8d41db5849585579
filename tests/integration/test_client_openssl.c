/*
 * A client through libsecctx against openssl s_server: TLS 1.2 and 1.3,
 * an EC and an RSA server certificate, a client certificate the server
 * requires, and what secctx_query_info reports.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness.h"

/*
 * Start s_server with cert/key and the extra arguments (at most 4), connect,
 * handshake as a client with the "client-nocert" credential and the given
 * options.
 */
/*
 * The same with the credential cred_name; its status.  On success info
 * holds what was negotiated; on failure hs->error says why.
 */
static secctx_status
handshake_as(const char *cred_name, const char *cert, const char *key,
    const char *const extra[], const struct secctx_options *opt,
    struct harness_hs *hs, struct secctx_info *info)
{
	const char		*args[9] = {
		"-cert", harness_pki(cert), "-key", harness_pki(key)
	};
	secctx_conn		*conn;
	secctx_cred		*cred;
	secctx_status		 st;
	int			 port, fd, i;

	for (i = 0; extra[i] != NULL && i < 4; i++)
		args[4 + i] = extra[i];
	harness_s_server(&port, args);
	conn = harness_connect();
	cred = harness_cred(conn, cred_name, SECCTX_OUTBOUND);
	fd = harness_tcp_connect(port);
	memset(hs, 0, sizeof(*hs));
	memset(info, 0, sizeof(*info));
	st = harness_handshake(fd, cred, 0, opt, hs);
	if (st == SEC_E_OK) {
		assert_false(hs->eof);
		harness_info(hs->ctx, info);
	}
	harness_hs_free(hs);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	close(fd);
	secctx_disconnect(conn);
	return (st);
}

static void
connect_to_s_server_with(const char *cert, const char *key,
    const char *const extra[], const struct secctx_options *opt,
    struct harness_hs *hs, struct secctx_info *info)
{
	assert_status(handshake_as("client-nocert", cert, key, extra, opt, hs,
	    info), SEC_E_OK);
}

/* The same with a version option (-tls1_2, -tls1_3) only. */
static void
connect_to_s_server(const char *cert, const char *key, const char *version,
    const struct secctx_options *opt, struct harness_hs *hs,
    struct secctx_info *info)
{
	const char *const	extra[] = { version, NULL };

	connect_to_s_server_with(cert, key, extra, opt, hs, info);
}

/*
 * A server that takes only P-256 answers the X25519 key share with a
 * HelloRetryRequest: the second ClientHello completes on P-256.
 */
static void
test_tls13_hello_retry(void **state)
{
	const char *const	extra[] = { "-tls1_3", "-groups", "P-256", NULL };
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;
	struct harness_hs	hs;

	(void)state;
	connect_to_s_server_with("server-rsa.pem", "server-rsa.key", extra,
	    &opt, &hs, &info);
	assert_string_equal(info.protocol, "TLSv1.3");
	assert_string_equal(info.group, "secp256r1");
	/* ClientHello, the second ClientHello, the client's Finished. */
	assert_true(hs.calls >= 3);
}

static void
test_tls12_ec(void **state)
{
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;
	struct harness_hs	hs;

	(void)state;
	connect_to_s_server("server.pem", "server.key", "-tls1_2", &opt, &hs,
	    &info);
	assert_string_equal(info.protocol, "TLSv1.2");
	assert_contains(info.peer_subject, "CN=localhost");
	assert_contains(info.peer_issuer, "CN=secctx test CA");
	assert_contains(info.cipher, "ECDSA");
	assert_true(strlen(info.cipher_iana) > 0);
	assert_string_equal(info.credential, "client-nocert");
	assert_string_equal(info.alpn, "");
	assert_int_equal(info.handshake_done, 1);
	assert_int_equal(info.resumed, 0);
	/* A TLS 1.2 full handshake takes two round trips. */
	assert_true(hs.calls >= 3);
}

static void
test_tls13_ec(void **state)
{
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;
	struct harness_hs	hs;

	(void)state;
	connect_to_s_server("server.pem", "server.key", "-tls1_3", &opt, &hs,
	    &info);
	assert_string_equal(info.protocol, "TLSv1.3");
	assert_contains(info.peer_subject, "CN=localhost");
	assert_contains(info.cipher_iana, "TLS_");
	assert_true(strlen(info.group) > 0);
	assert_true(strlen(info.signature) > 0);
	assert_int_equal(info.handshake_done, 1);
	assert_true(hs.calls >= 2);
}

static void
test_tls12_rsa(void **state)
{
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;
	struct harness_hs	hs;

	(void)state;
	connect_to_s_server("server-rsa.pem", "server-rsa.key", "-tls1_2",
	    &opt, &hs, &info);
	assert_string_equal(info.protocol, "TLSv1.2");
	assert_contains(info.peer_subject, "CN=localhost");
	assert_contains(info.cipher, "RSA");
	assert_null(strstr(info.cipher, "ECDSA"));
}

static void
test_tls13_rsa(void **state)
{
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;
	struct harness_hs	hs;

	(void)state;
	connect_to_s_server("server-rsa.pem", "server-rsa.key", "-tls1_3",
	    &opt, &hs, &info);
	assert_string_equal(info.protocol, "TLSv1.3");
	assert_contains(info.peer_subject, "CN=localhost");
	assert_true(strcasestr(info.signature, "rsa") != NULL);
}

static void
test_ip_address_target(void **state)
{
	struct secctx_options	opt = { .target = "127.0.0.1" };
	struct secctx_info	info;
	struct harness_hs	hs;

	(void)state;
	/* The certificate has IP:127.0.0.1 in its subjectAltName. */
	connect_to_s_server("server.pem", "server.key", "-tls1_3", &opt, &hs,
	    &info);
	assert_string_equal(info.protocol, "TLSv1.3");
}

static void
test_version_bounds(void **state)
{
	struct secctx_options	opt = {
		.target = "localhost",
		.min_version = SECCTX_TLS1_2,
		.max_version = SECCTX_TLS1_2
	};
	struct secctx_info	info;
	struct harness_hs	hs;

	(void)state;
	/* s_server allows both; the client's bound decides. */
	connect_to_s_server("server.pem", "server.key", "-no_ssl3", &opt, &hs,
	    &info);
	assert_string_equal(info.protocol, "TLSv1.2");
}

/*
 * s_server with an EC certificate by default and an RSA one for clients
 * whose SNI says "localhost"; any other SNI is refused with an alert.
 * Connect with target and return the negotiated (TLS 1.2) cipher.
 */
static void
sni_cipher(const char *target, char *cipher, size_t len)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"),
		"-key", harness_pki("server.key"), "-tls1_2",
		"-servername", "localhost",
		"-cert2", harness_pki("server-rsa.pem"),
		"-key2", harness_pki("server-rsa.key"),
		"-servername_fatal", NULL
	};
	struct secctx_options	 opt = { .target = target };
	struct secctx_info	 info;
	struct harness_hs	 hs;
	secctx_conn		*conn;
	secctx_cred		*cred;
	int			 port, fd;

	harness_s_server(&port, args);
	conn = harness_connect();
	cred = harness_cred(conn, "client-nocert", SECCTX_OUTBOUND);
	fd = harness_tcp_connect(port);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(fd, cred, 0, &opt, &hs), SEC_E_OK);
	harness_info(hs.ctx, &info);
	snprintf(cipher, len, "%s", info.cipher);
	harness_hs_free(&hs);
	close(fd);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
}

static void
test_sni_sent(void **state)
{
	char	cipher[64];

	(void)state;
	/* The target went out as SNI: s_server chose the RSA certificate. */
	sni_cipher("localhost", cipher, sizeof(cipher));
	assert_contains(cipher, "RSA");
	assert_null(strstr(cipher, "ECDSA"));
}

static void
test_no_sni_for_ip_address(void **state)
{
	char	cipher[64];

	(void)state;
	/* No SNI for an IP address target: the default EC certificate. */
	sni_cipher("127.0.0.1", cipher, sizeof(cipher));
	assert_contains(cipher, "ECDSA");
}

/*
 * Our client with a certificate ("client") against s_server requiring one
 * (-Verify, -verify_return_error): the handshake completes and s_server
 * verified our certificate.
 */
static void
client_cert_to_s_server(const char *version, const char *protocol)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), version, "-Verify", "2",
		"-CAfile", harness_pki("ca.pem"), "-verify_return_error", NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct secctx_info	 info;
	struct harness_child	*srv;
	struct harness_hs	 hs;
	secctx_conn		*conn;
	secctx_cred		*cred;
	void			*rec = NULL;
	size_t			 rec_len = 0;
	int			 port, fd;

	srv = harness_s_server(&port, args);
	conn = harness_connect();
	cred = harness_cred(conn, "client", SECCTX_OUTBOUND);
	fd = harness_tcp_connect(port);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(fd, cred, 0, &opt, &hs), SEC_E_OK);
	harness_info(hs.ctx, &info);
	assert_string_equal(info.protocol, protocol);
	/* Data after the handshake: s_server has accepted our certificate. */
	assert_status(secctx_encrypt(hs.ctx, "ping\n", 5, &rec, &rec_len),
	    SEC_E_OK);
	harness_send_all(fd, rec, rec_len);
	secctx_free(rec);
	harness_child_wait_output(srv, "ping", HARNESS_TIMEOUT_MS);
	harness_child_wait_output(srv, "CN = secctx test client",
	    HARNESS_TIMEOUT_MS);
	harness_hs_free(&hs);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	close(fd);
	secctx_disconnect(conn);
}

static void
test_tls12_client_cert(void **state)
{
	(void)state;
	client_cert_to_s_server("-tls1_2", "TLSv1.2");
}

static void
test_tls13_client_cert(void **state)
{
	(void)state;
	client_cert_to_s_server("-tls1_3", "TLSv1.3");
}

/*
 * A credential's algorithm policy decides what the client offers: s_server
 * takes the one TLS 1.3 suite and TLS 1.2 cipher allowed, and the first
 * group (P-384).
 */
static void
test_policy_offers(void **state)
{
	const char *const	tls13[] = { "-tls1_3", NULL };
	const char *const	tls12[] = { "-tls1_2", NULL };
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;
	struct harness_hs	hs;

	(void)state;
	assert_status(handshake_as("strict-client", "server.pem", "server.key",
	    tls13, &opt, &hs, &info), SEC_E_OK);
	assert_string_equal(info.cipher, "TLS_AES_128_GCM_SHA256");
	assert_string_equal(info.group, "secp384r1");
	assert_string_equal(info.signature, "ecdsa_secp256r1_sha256");
	assert_status(handshake_as("strict-client", "server.pem", "server.key",
	    tls12, &opt, &hs, &info), SEC_E_OK);
	assert_string_equal(info.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
	assert_string_equal(info.group, "secp384r1");
}

/*
 * The policy allows ECDSA signatures only: a server with an RSA key cannot
 * sign for this client (the default credential accepts it).
 */
static void
test_policy_refuses_rsa_server(void **state)
{
	const char *const	tls13[] = { "-tls1_3", NULL };
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;
	struct harness_hs	hs;
	secctx_status		st;

	(void)state;
	st = handshake_as("strict-client", "server-rsa.pem", "server-rsa.key",
	    tls13, &opt, &hs, &info);
	print_message("    strict-client to an RSA server: %s (\"%s\")\n",
	    harness_status_name(st), hs.error);
	assert_true(SECCTX_FAILED(st));
	assert_true(strlen(hs.error) > 0);
	assert_status(handshake_as("client-nocert", "server-rsa.pem",
	    "server-rsa.key", tls13, &opt, &hs, &info), SEC_E_OK);
}

/*
 * Revocation of the server's certificate, by the client credential's CRL
 * file: listed (CRYPT_E_REVOKED), not listed, a list past its next update
 * (CRYPT_E_REVOCATION_OFFLINE), no list of the server's CA
 * (CRYPT_E_NO_REVOCATION_CHECK); without a CRL file nothing is checked.
 */
static void
crl_server_cert(const char *version)
{
	static const struct {
		const char	*cred, *cert, *key;
		secctx_status	 status;
		const char	*error;
	} cases[] = {
		{ "crl-client", "server.pem", "server.key", SEC_E_OK, "" },
		{ "crl-client", "revoked-server.pem", "revoked-server.key",
		    CRYPT_E_REVOKED, "revoked" },
		{ "crl-expired-client", "server.pem", "server.key",
		    CRYPT_E_REVOCATION_OFFLINE, "CRL has expired" },
		{ "crl-other-client", "server.pem", "server.key",
		    CRYPT_E_NO_REVOCATION_CHECK, "unable to get certificate CRL" },
		{ "client-nocert", "revoked-server.pem", "revoked-server.key",
		    SEC_E_OK, "" },
	};
	const char *const	extra[] = { version, NULL };
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;
	struct harness_hs	hs;
	size_t			i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_status(handshake_as(cases[i].cred, cases[i].cert,
		    cases[i].key, extra, &opt, &hs, &info), cases[i].status);
		assert_contains(hs.error, cases[i].error);
	}
}

static void
test_tls12_crl_server_cert(void **state)
{
	(void)state;
	crl_server_cert("-tls1_2");
}

static void
test_tls13_crl_server_cert(void **state)
{
	(void)state;
	crl_server_cert("-tls1_3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_tls12_ec),
		harness_test(test_tls13_ec),
		harness_test(test_tls12_rsa),
		harness_test(test_tls13_rsa),
		harness_test(test_tls13_hello_retry),
		harness_test(test_ip_address_target),
		harness_test(test_version_bounds),
		harness_test(test_sni_sent),
		harness_test(test_no_sni_for_ip_address),
		harness_test(test_tls12_client_cert),
		harness_test(test_tls13_client_cert),
		harness_test(test_policy_offers),
		harness_test(test_policy_refuses_rsa_server),
		harness_test(test_tls12_crl_server_cert),
		harness_test(test_tls13_crl_server_cert),
	};

	return (harness_run("client_openssl", tests));
}
