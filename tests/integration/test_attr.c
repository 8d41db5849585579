/*
 * Byte attributes of a context: exported keying material, channel bindings
 * and the peer's certificate chain, checked across both ends and against
 * openssl s_server and the PKI files.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"

static struct harness_pair *
pair_up(const char *client_cred, enum secctx_version version)
{
	struct harness_pair	*p;

	p = harness_pair_open(NULL, client_cred, NULL, "server");
	p->client.opt.max_version = version;
	p->server.opt.client_cert = SECCTX_CLIENT_CERT_OPTIONAL;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	return (p);
}

/* The DER of a PEM certificate file from the test PKI. */
static unsigned char *
pki_der(const char *file, int *lenp)
{
	FILE		*fp = fopen(harness_pki(file), "r");
	X509		*x;
	unsigned char	*der = NULL;

	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	*lenp = i2d_X509(x, &der);
	assert_true(*lenp > 0);
	X509_free(x);
	return (der);
}

static void
exporter(enum secctx_version version)
{
	struct harness_pair	*p = pair_up("client-nocert", version);
	unsigned char		 a[48], b[48], c[48];

	assert_status(secctx_export_keying_material(p->client.ctx,
	    "EXPERIMENTAL-secctx", "ctx", 3, a, sizeof(a)), SEC_E_OK);
	assert_status(secctx_export_keying_material(p->server.ctx,
	    "EXPERIMENTAL-secctx", "ctx", 3, b, sizeof(b)), SEC_E_OK);
	assert_memory_equal(a, b, sizeof(a));
	/* Another context value gives other bytes. */
	assert_status(secctx_export_keying_material(p->server.ctx,
	    "EXPERIMENTAL-secctx", "ctx2", 4, c, sizeof(c)), SEC_E_OK);
	assert_memory_not_equal(a, c, sizeof(a));
	harness_pair_close(p);
}

static void
test_exporter_tls12(void **state)
{
	(void)state;
	exporter(SECCTX_TLS1_2);
}

static void
test_exporter_tls13(void **state)
{
	(void)state;
	exporter(SECCTX_TLS1_3);
}

static void
test_channel_bindings(void **state)
{
	struct harness_pair	*p = pair_up("client-nocert", SECCTX_TLS1_3);
	unsigned char		 want[EVP_MAX_MD_SIZE], *der;
	unsigned int		 want_len;
	void			*a, *b;
	size_t			 a_len, b_len;
	int			 der_len;

	(void)state;
	/* tls-server-end-point: SHA-256 of the server certificate. */
	der = pki_der("server.pem", &der_len);
	assert_int_equal(EVP_Digest(der, der_len, want, &want_len,
	    EVP_sha256(), NULL), 1);
	OPENSSL_free(der);
	assert_status(secctx_channel_binding(p->client.ctx,
	    "tls-server-end-point", &a, &a_len), SEC_E_OK);
	assert_status(secctx_channel_binding(p->server.ctx,
	    "tls-server-end-point", &b, &b_len), SEC_E_OK);
	assert_int_equal(a_len, want_len);
	assert_memory_equal(a, want, want_len);
	assert_int_equal(b_len, want_len);
	assert_memory_equal(b, want, want_len);
	secctx_free(a);
	secctx_free(b);
	/* tls-exporter: 32 bytes, the same at both ends. */
	assert_status(secctx_channel_binding(p->client.ctx, "tls-exporter",
	    &a, &a_len), SEC_E_OK);
	assert_status(secctx_channel_binding(p->server.ctx, "tls-exporter",
	    &b, &b_len), SEC_E_OK);
	assert_int_equal(a_len, 32);
	assert_int_equal(b_len, 32);
	assert_memory_equal(a, b, 32);
	secctx_free(a);
	secctx_free(b);
	assert_status(secctx_channel_binding(p->client.ctx, "tls-unique-x",
	    &a, &a_len), SEC_E_INVALID_PARAMETER);
	harness_pair_close(p);
}

/*
 * tls-unique of a TLS 1.2 pair, no_resume as given: 12 bytes (the Finished
 * of TLS 1.2's PRF), the same at both ends; whether it resumed.
 */
static int
tls_unique_pair(int no_resume)
{
	struct harness_pair	*p;
	struct secctx_info	 ci, si;
	void			*a, *b;
	size_t			 a_len, b_len;

	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.min_version = p->client.opt.max_version = SECCTX_TLS1_2;
	p->client.opt.no_resume = no_resume;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	harness_info(p->server.ctx, &si);
	assert_int_equal(ci.resumed, si.resumed);
	assert_status(secctx_channel_binding(p->client.ctx, "tls-unique", &a,
	    &a_len), SEC_E_OK);
	assert_status(secctx_channel_binding(p->server.ctx, "tls-unique", &b,
	    &b_len), SEC_E_OK);
	assert_int_equal(a_len, 12);
	assert_int_equal(b_len, 12);
	assert_memory_equal(a, b, 12);
	secctx_free(a);
	secctx_free(b);
	harness_pair_close(p);
	return (ci.resumed);
}

/*
 * tls-unique (RFC 5929): the first Finished, the client's in a full TLS 1.2
 * handshake and the server's in a resumed one; TLS 1.3 has none.
 */
static void
test_tls_unique(void **state)
{
	struct harness_pair	*p;
	void			*a = NULL;
	size_t			 a_len = 0;

	(void)state;
	assert_false(tls_unique_pair(1));
	tls_unique_pair(0);
	assert_true(tls_unique_pair(0));

	p = pair_up("client-nocert", SECCTX_TLS1_3);
	assert_status(secctx_channel_binding(p->client.ctx, "tls-unique", &a,
	    &a_len), SEC_E_UNSUPPORTED_FUNCTION);
	assert_status(secctx_channel_binding(p->server.ctx, "tls-unique", &a,
	    &a_len), SEC_E_UNSUPPORTED_FUNCTION);
	assert_null(a);
	harness_pair_close(p);
}

static void
test_peer_certificates(void **state)
{
	struct harness_pair	*p = pair_up("client", SECCTX_TLS1_3);
	unsigned char		*want;
	void			*der;
	size_t			 der_len, lens[4], count = 4;
	int			 want_len;

	(void)state;
	want = pki_der("server.pem", &want_len);
	assert_status(secctx_peer_certificates(p->client.ctx, &der, &der_len,
	    lens, &count), SEC_E_OK);
	assert_int_equal(count, 1);
	assert_int_equal(lens[0], want_len);
	assert_int_equal(der_len, want_len);
	assert_memory_equal(der, want, want_len);
	secctx_free(der);
	OPENSSL_free(want);
	want = pki_der("client.pem", &want_len);
	count = 4;
	assert_status(secctx_peer_certificates(p->server.ctx, &der, &der_len,
	    lens, &count), SEC_E_OK);
	assert_int_equal(count, 1);
	assert_memory_equal(der, want, want_len);
	secctx_free(der);
	/* No room: the count is still reported. */
	count = 0;
	assert_status(secctx_peer_certificates(p->server.ctx, &der, &der_len,
	    lens, &count), SEC_E_BUFFER_TOO_SMALL);
	assert_int_equal(count, 1);
	OPENSSL_free(want);
	harness_pair_close(p);
}

/* Our exporter output equals what openssl s_server derives. */
static void
test_exporter_against_s_server(void **state)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-keymatexport",
		"EXPERIMENTAL-secctx", "-keymatexportlen", "20", NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct harness_child	*srv;
	struct harness_hs	 hs;
	secctx_conn		*conn;
	secctx_cred		*cred;
	unsigned char		 km[20];
	char			 hex[41], want[64];
	int			 port, fd, i;

	(void)state;
	srv = harness_s_server(&port, args);
	conn = harness_connect();
	cred = harness_cred(conn, "client-nocert", SECCTX_OUTBOUND);
	fd = harness_tcp_connect(port);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(fd, cred, 0, &opt, &hs), SEC_E_OK);
	assert_status(secctx_export_keying_material(hs.ctx,
	    "EXPERIMENTAL-secctx", NULL, 0, km, sizeof(km)), SEC_E_OK);
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02X", km[i]);
	snprintf(want, sizeof(want), "Keying material: %s", hex);
	harness_child_wait_output(srv, want, HARNESS_TIMEOUT_MS);
	harness_hs_free(&hs);
	close(fd);
	secctx_cred_free(cred);
	secctx_disconnect(conn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_exporter_tls12),
		harness_test(test_exporter_tls13),
		harness_test(test_channel_bindings),
		harness_test(test_tls_unique),
		harness_test(test_peer_certificates),
		harness_test(test_exporter_against_s_server),
	};

	return (harness_run("attr", tests));
}
