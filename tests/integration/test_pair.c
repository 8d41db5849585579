/*
 * Both ends through libsecctx against each other, exchanging tokens in
 * memory: versions, ALPN, client certificates, what each side reports.
 */

#include <stdio.h>
#include <string.h>

#include "harness.h"

static const char *const offer[] = { "h2", "http/1.1" };
static const char *const supported[] = { "http/1.1" };

static void
pair_versions(struct harness_pair *p, enum secctx_version v)
{
	p->client.opt.min_version = p->client.opt.max_version = v;
	p->server.opt.min_version = p->server.opt.max_version = v;
}

static void
alpn_agreed(enum secctx_version v, const char *protocol)
{
	struct harness_pair	*p;
	struct secctx_info	ci, si;

	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	pair_versions(p, v);
	p->client.opt.alpn = offer;
	p->client.opt.alpn_count = 2;
	p->server.opt.alpn = supported;
	p->server.opt.alpn_count = 1;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);

	harness_info(p->client.ctx, &ci);
	harness_info(p->server.ctx, &si);
	assert_string_equal(ci.alpn, "http/1.1");
	assert_string_equal(si.alpn, "http/1.1");
	assert_string_equal(ci.protocol, protocol);
	assert_string_equal(si.protocol, protocol);
	assert_string_equal(ci.cipher, si.cipher);
	assert_string_equal(ci.cipher_iana, si.cipher_iana);
	assert_contains(ci.peer_subject, "CN=localhost");
	assert_string_equal(si.peer_subject, "");
	assert_string_equal(si.sni, "localhost");
	assert_string_equal(ci.credential, "client-nocert");
	assert_string_equal(si.credential, "server");
	assert_int_equal(ci.handshake_done, 1);
	assert_int_equal(si.handshake_done, 1);
	assert_int_equal(ci.resumed, 0);
	harness_pair_close(p);
}

static void
test_tls12_alpn(void **state)
{
	(void)state;
	alpn_agreed(SECCTX_TLS1_2, "TLSv1.2");
}

static void
test_tls13_alpn(void **state)
{
	(void)state;
	alpn_agreed(SECCTX_TLS1_3, "TLSv1.3");
}

static void
test_alpn_server_preference(void **state)
{
	static const char *const server_order[] = { "http/1.1", "h2" };
	struct harness_pair	*p;
	struct secctx_info	 ci, si;

	(void)state;
	/* The client prefers h2, the server http/1.1: the server decides. */
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.alpn = offer;
	p->client.opt.alpn_count = 2;
	p->server.opt.alpn = server_order;
	p->server.opt.alpn_count = 2;
	harness_pair_run(p);
	assert_status(p->server.status, SEC_E_OK);
	assert_status(p->client.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	harness_info(p->server.ctx, &si);
	assert_string_equal(si.alpn, "http/1.1");
	assert_string_equal(ci.alpn, "http/1.1");
	harness_pair_close(p);
}

static void
alpn_mismatch(enum secctx_version v)
{
	static const char *const only_h2[] = { "h2" };
	struct harness_pair	*p;

	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	pair_versions(p, v);
	p->client.opt.alpn = only_h2;
	p->client.opt.alpn_count = 1;
	p->server.opt.alpn = supported;
	p->server.opt.alpn_count = 1;
	harness_pair_run(p);
	assert_status(p->server.status, SEC_E_APPLICATION_PROTOCOL_MISMATCH);
	assert_null(p->server.ctx);
	assert_true(strlen(p->server.error) > 0);
	/*
	 * The alert, in plaintext since no keys exist yet: fatal (2)
	 * no_application_protocol (120), now waiting for the client.
	 */
	assert_int_equal(p->client.in_len, 7);
	assert_int_equal(p->client.in[0], TLS_ALERT);
	assert_int_equal(p->client.in[3], 0);
	assert_int_equal(p->client.in[4], 2);
	assert_int_equal(p->client.in[5], 2);
	assert_int_equal(p->client.in[6], 120);

	/* The client fails on it and its context is gone. */
	harness_side_step(&p->client, &p->server);
	assert_true(p->client.failed);
	assert_null(p->client.ctx);
	assert_true(strlen(p->client.error) > 0);
	harness_pair_close(p);
}

static void
test_tls12_alpn_mismatch(void **state)
{
	(void)state;
	alpn_mismatch(SECCTX_TLS1_2);
}

static void
test_tls13_alpn_mismatch(void **state)
{
	(void)state;
	alpn_mismatch(SECCTX_TLS1_3);
}

static void
test_alpn_one_side_only(void **state)
{
	struct harness_pair	*p;
	struct secctx_info	ci, si;

	(void)state;
	/* Only the client offers: nothing is negotiated, no error. */
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.alpn = offer;
	p->client.opt.alpn_count = 2;
	harness_pair_run(p);
	assert_status(p->server.status, SEC_E_OK);
	assert_status(p->client.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	harness_info(p->server.ctx, &si);
	assert_string_equal(ci.alpn, "");
	assert_string_equal(si.alpn, "");
	harness_pair_close(p);

	/* Only the server supports some: the same. */
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->server.opt.alpn = supported;
	p->server.opt.alpn_count = 1;
	harness_pair_run(p);
	assert_status(p->server.status, SEC_E_OK);
	assert_status(p->client.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	assert_string_equal(ci.alpn, "");
	harness_pair_close(p);
}

static void
test_default_is_tls13(void **state)
{
	struct harness_pair	*p;
	struct secctx_info	ci, si;

	(void)state;
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	harness_info(p->server.ctx, &si);
	assert_string_equal(ci.protocol, "TLSv1.3");
	assert_string_equal(si.protocol, "TLSv1.3");
	/* TLS 1.3: the client is done after one round trip. */
	assert_int_equal(p->client.calls, 2);
	assert_int_equal(p->server.calls, 2);
	harness_pair_close(p);
}

static void
test_tls12_round_trips(void **state)
{
	struct harness_pair	*p;

	(void)state;
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	pair_versions(p, SECCTX_TLS1_2);
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	/* ClientHello; Finished; done: and the server answers twice. */
	assert_int_equal(p->client.calls, 3);
	assert_int_equal(p->server.calls, 2);
	/* Nothing is left over on either side. */
	assert_int_equal(p->client.in_len, 0);
	assert_int_equal(p->server.in_len, 0);
	harness_pair_close(p);
}

static void
test_version_mismatch(void **state)
{
	struct harness_pair	*p;

	(void)state;
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.max_version = SECCTX_TLS1_2;
	p->server.opt.min_version = SECCTX_TLS1_3;
	harness_pair_run(p);
	assert_status(p->server.status, SEC_E_ALGORITHM_MISMATCH);
	assert_null(p->server.ctx);
	assert_true(p->server.alert_len > 0);
	assert_int_equal(p->server.alert_type, TLS_ALERT);
	harness_side_step(&p->client, &p->server);
	assert_true(p->client.failed);
	harness_pair_close(p);
}

static void
test_client_certificate(void **state)
{
	struct harness_pair	*p;
	struct secctx_info	ci, si;

	(void)state;
	p = harness_pair_open(NULL, "client", NULL, "server");
	p->server.opt.client_cert = SECCTX_CLIENT_CERT_REQUIRED;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	harness_info(p->server.ctx, &si);
	assert_contains(si.peer_subject, "CN=secctx test client");
	assert_contains(si.peer_issuer, "CN=secctx test CA");
	assert_contains(ci.peer_subject, "CN=localhost");
	assert_string_equal(ci.credential, "client");
	harness_pair_close(p);
}

static void
test_client_certificate_missing(void **state)
{
	struct harness_pair	*p;

	(void)state;
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->server.opt.client_cert = SECCTX_CLIENT_CERT_REQUIRED;
	harness_pair_run(p);
	print_message("    required client certificate not sent: server %s "
	    "(\"%s\")\n", harness_status_name(p->server.status),
	    p->server.error);
	assert_true(p->server.failed);
	assert_int_not_equal(p->server.status, SEC_E_INCOMPLETE_MESSAGE);
	assert_null(p->server.ctx);
	assert_true(p->server.alert_len > 0);
	harness_pair_close(p);
}

static void
test_same_connection(void **state)
{
	struct harness_pair	*p;
	secctx_conn		*conn;

	(void)state;
	/* Client and server contexts on one daemon connection. */
	conn = harness_connect();
	p = harness_pair_open(conn, "client-nocert", conn, "server");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_pair_close(p);
	secctx_disconnect(conn);
}

static void
test_info_before_done(void **state)
{
	struct harness_pair	*p;
	struct secctx_info	ci;

	(void)state;
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	assert_status(harness_side_step(&p->client, &p->server),
	    SEC_I_CONTINUE_NEEDED);
	/* A ClientHello was produced; the context exists but is not done. */
	assert_true(p->server.in_len > TLS_HEADER_LEN);
	assert_int_equal(p->server.in[0], TLS_HANDSHAKE);
	assert_int_equal(p->server.in[TLS_HEADER_LEN], 1);
	harness_info(p->client.ctx, &ci);
	assert_int_equal(ci.handshake_done, 0);
	assert_string_equal(ci.credential, "client-nocert");

	/* Deleting an unfinished context works and forgets it. */
	assert_status(secctx_delete(p->client.ctx), SEC_E_OK);
	p->client.ctx = NULL;
	harness_pair_close(p);
}

/* Input that is not TLS, or not a ClientHello, is an illegal message. */
static void
illegal_first_input(const void *in, size_t len)
{
	struct harness_pair	*p;
	struct secctx_token	 tok;

	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	harness_side_call(&p->server, in, len, &tok);
	assert_status(p->server.status, SEC_E_ILLEGAL_MESSAGE);
	assert_null(p->server.ctx);
	assert_true(strlen(p->server.error) > 0);
	secctx_free(tok.out);
	harness_pair_close(p);
}

static void
test_illegal_input(void **state)
{
	static const char	http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t	appdata[] = {
		0x17, 0x03, 0x03, 0x00, 0x04, 1, 2, 3, 4
	};
	static const uint8_t	bad_hello[] = {
		0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, 0xff,
		0xff
	};

	(void)state;
	illegal_first_input(http, sizeof(http) - 1);
	illegal_first_input(appdata, sizeof(appdata));
	illegal_first_input(bad_hello, sizeof(bad_hello));
}

static void
test_many_pairs(void **state)
{
	struct harness_pair	*p;
	int			i;

	(void)state;
	/* Contexts are freed: many sequential handshakes keep working. */
	for (i = 0; i < 20; i++) {
		p = harness_pair_open(NULL, "client-nocert", NULL, "server");
		pair_versions(p, i % 2 ? SECCTX_TLS1_2 : SECCTX_TLS1_3);
		harness_pair_run(p);
		assert_status(p->client.status, SEC_E_OK);
		assert_status(p->server.status, SEC_E_OK);
		harness_pair_close(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_tls12_alpn),
		harness_test(test_tls13_alpn),
		harness_test(test_alpn_server_preference),
		harness_test(test_tls12_alpn_mismatch),
		harness_test(test_tls13_alpn_mismatch),
		harness_test(test_alpn_one_side_only),
		harness_test(test_default_is_tls13),
		harness_test(test_tls12_round_trips),
		harness_test(test_version_mismatch),
		harness_test(test_client_certificate),
		harness_test(test_client_certificate_missing),
		harness_test(test_same_connection),
		harness_test(test_info_before_done),
		harness_test(test_illegal_input),
		harness_test(test_many_pairs),
	};

	return (harness_run("pair", tests));
}
