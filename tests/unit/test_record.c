/*
 * Unit tests for proto/record.c and proto/record-state.c: the records of
 * RFC 8448, OpenSSL's own TLS stack in process on the other end, and the
 * failures with the exact alert each one calls for.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "record.h"

/* Bytes from hex with any spaces between them; the number of bytes. */
static size_t
unhex(const char *s, unsigned char *out, size_t max)
{
	size_t		n = 0;
	unsigned int	v;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		assert_true(n < max);
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (unsigned char)v;
		s += 2;
	}
	return (n);
}

/*
 * RFC 8448 section 3, "Simple 1-RTT Handshake" (TLS_AES_128_GCM_SHA256).
 * The application traffic secrets, from "{server} derive secret
 * "tls13 c ap traffic"" and "... "tls13 s ap traffic"".
 */
static const char *rfc_c_ap_secret =
    "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
    "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";
static const char *rfc_s_ap_secret =
    "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
    "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";
/* Section 3, "{server} derive write traffic keys for application data". */
static const char *rfc_s_ap_key =
    "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56";
static const char *rfc_s_ap_iv = "cf 78 2b 88 dd 83 54 9a ad f1 e9 84";
/* Section 3, "{server} derive read traffic keys for application data". */
static const char *rfc_c_ap_key =
    "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51";
static const char *rfc_c_ap_iv = "5b 78 92 3d ee 08 57 90 33 e5 23 d9";

/* Section 3, "{server} construct a NewSessionTicket handshake message". */
static const char *rfc_nst =
    "04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2 2c 03 5d 82 93 59"
    "ee 5f f7 af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c 8a 34 cb 33 fa"
    "90 bf 1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78 5a bc 55 cd 22 60"
    "97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64 e8 61 be 7f"
    "d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2 9e e0 37"
    "25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c 5b"
    "3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64 6f"
    "ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88"
    "e9 33 43 69 40 93 93 4a e4 d3 57 00 08 00 2a 00 04 00 00 04 00";
/* Section 3, "{server} send handshake record": the NewSessionTicket. */
static const char *rfc_nst_rec =
    "17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b"
    "24 0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db"
    "28 9a 01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53"
    "ad 8e f1 70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3"
    "d0 3f 75 e0 9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99"
    "ce 13 06 46 15 13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84"
    "00 25 db 2f 0a 77 f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51 9d"
    "86 cb ee ac 87 aa c3 47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52"
    "ca 49 fe 51 37 12 1c 74 bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc"
    "e1 86 96 12 9c 81 53 55 6b 3b 6c 67 79 b3 7b f1 59 85 68 4f";
/*
 * Section 3, "{client} send application_data record" and "{server} send
 * application_data record": both carry the 50 bytes 00 01 ... 31.
 */
static const char *rfc_c_app_rec =
    "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac"
    "ea 42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44"
    "1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69"
    "49 15 e4";
static const char *rfc_s_app_rec =
    "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32"
    "fc 32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a"
    "59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67"
    "c2 95 5d";
/* Section 3, "{client} send alert record" and "{server} send alert record". */
static const char *rfc_c_alert_rec =
    "17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0"
    "e3";
static const char *rfc_s_alert_rec =
    "17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64"
    "a9";
/* The close_notify alert of both alert records. */
static const unsigned char close_notify[] = { 0x01, 0x00 };

/* Key a TLS 1.3 direction of TLS_AES_128_GCM_SHA256 from an RFC secret. */
static void
rfc_dir(struct rec_dir *d, const char *secret_hex, int seal, uint64_t seq)
{
	unsigned char	secret[32];

	assert_int_equal(unhex(secret_hex, secret, sizeof(secret)), 32);
	assert_int_equal(rec_dir_init(d, REC_VERSION_13, 0x1301, seal, secret,
	    32, NULL, 0, NULL, 0, seq), 0);
}

/* The RFC's 50 application data bytes. */
static void
rfc_payload(unsigned char *p)
{
	int	i;

	for (i = 0; i < 50; i++)
		p[i] = (unsigned char)i;
}

static void
test_rfc8448_keys(void **state)
{
	struct rec_dir	d;
	unsigned char	want[32];

	(void)state;
	rfc_dir(&d, rfc_s_ap_secret, 1, 0);
	assert_int_equal(d.key_len, unhex(rfc_s_ap_key, want, sizeof(want)));
	assert_memory_equal(d.key, want, d.key_len);
	assert_int_equal(d.iv_len, unhex(rfc_s_ap_iv, want, sizeof(want)));
	assert_memory_equal(d.iv, want, d.iv_len);
	assert_int_equal(d.tag_len, 16);
	assert_int_equal(d.explicit_len, 0);
	assert_int_equal(d.limit, (uint64_t)1 << 24);
	rec_dir_clear(&d);

	rfc_dir(&d, rfc_c_ap_secret, 0, 0);
	assert_int_equal(d.key_len, unhex(rfc_c_ap_key, want, sizeof(want)));
	assert_memory_equal(d.key, want, d.key_len);
	assert_int_equal(d.iv_len, unhex(rfc_c_ap_iv, want, sizeof(want)));
	assert_memory_equal(d.iv, want, d.iv_len);
	rec_dir_clear(&d);
	assert_null(d.cctx);
	assert_int_equal(d.key[0] | d.secret[0] | d.iv[0], 0);
}

/*
 * Open the RFC record rec_hex with d, into a separate buffer or in place,
 * and check its type and plaintext.
 */
static void
rfc_open(struct rec_dir *d, const char *rec_hex, int in_place,
    uint8_t want_type, const unsigned char *want, size_t want_len)
{
	unsigned char	rec[512], sep[512], *out;
	size_t		len, plen = 0;
	uint8_t		type = 0;

	len = unhex(rec_hex, rec, sizeof(rec));
	out = in_place ? rec + REC_HEADER_LEN : sep;
	assert_int_equal(rec_open(d, rec, len, out, &type, &plen), REC_OK);
	assert_int_equal(type, want_type);
	assert_int_equal(plen, want_len);
	assert_memory_equal(out, want, want_len);
}

/* Seal with d and compare with the RFC record rec_hex, byte for byte. */
static void
rfc_seal(struct rec_dir *d, uint8_t type, const unsigned char *in,
    size_t len, const char *rec_hex)
{
	unsigned char	want[512], out[512];
	size_t		want_len;

	want_len = unhex(rec_hex, want, sizeof(want));
	assert_int_equal(rec_sealed_len(d, len), want_len);
	assert_int_equal(rec_seal(d, type, in, len, out), REC_OK);
	assert_memory_equal(out, want, want_len);
}

/*
 * The server's records under server_application_traffic_secret_0: the
 * NewSessionTicket (seq 0), the application data (1), the alert (2).
 */
static void
test_rfc8448_server_records(void **state)
{
	unsigned char	nst[256], app[50];
	size_t		nst_len;
	struct rec_dir	d;
	int		in_place;

	(void)state;
	nst_len = unhex(rfc_nst, nst, sizeof(nst));
	assert_int_equal(nst_len, 205);
	rfc_payload(app);
	for (in_place = 0; in_place < 2; in_place++) {
		rfc_dir(&d, rfc_s_ap_secret, 0, 0);
		rfc_open(&d, rfc_nst_rec, in_place, REC_HANDSHAKE, nst,
		    nst_len);
		rfc_open(&d, rfc_s_app_rec, in_place, REC_APPLICATION_DATA,
		    app, sizeof(app));
		rfc_open(&d, rfc_s_alert_rec, in_place, REC_ALERT,
		    close_notify, sizeof(close_notify));
		assert_int_equal(d.seq, 3);
		rec_dir_clear(&d);
	}

	rfc_dir(&d, rfc_s_ap_secret, 1, 0);
	rfc_seal(&d, REC_HANDSHAKE, nst, nst_len, rfc_nst_rec);
	rfc_seal(&d, REC_APPLICATION_DATA, app, sizeof(app), rfc_s_app_rec);
	rfc_seal(&d, REC_ALERT, close_notify, sizeof(close_notify),
	    rfc_s_alert_rec);
	assert_int_equal(d.seq, 3);
	rec_dir_clear(&d);
}

/* The client's: the application data (seq 0), the alert (1). */
static void
test_rfc8448_client_records(void **state)
{
	unsigned char	app[50];
	struct rec_dir	d;
	int		in_place;

	(void)state;
	rfc_payload(app);
	for (in_place = 0; in_place < 2; in_place++) {
		rfc_dir(&d, rfc_c_ap_secret, 0, 0);
		rfc_open(&d, rfc_c_app_rec, in_place, REC_APPLICATION_DATA,
		    app, sizeof(app));
		rfc_open(&d, rfc_c_alert_rec, in_place, REC_ALERT,
		    close_notify, sizeof(close_notify));
		rec_dir_clear(&d);
	}

	rfc_dir(&d, rfc_c_ap_secret, 1, 0);
	rfc_seal(&d, REC_APPLICATION_DATA, app, sizeof(app), rfc_c_app_rec);
	rfc_seal(&d, REC_ALERT, close_notify, sizeof(close_notify),
	    rfc_c_alert_rec);
	rec_dir_clear(&d);

	/* A record opened at the wrong sequence number does not verify. */
	rfc_dir(&d, rfc_c_ap_secret, 0, 1);
	{
		unsigned char	rec[128], out[128];
		size_t		len, plen = 0;
		uint8_t		type = 0;

		len = unhex(rfc_c_app_rec, rec, sizeof(rec));
		assert_int_equal(rec_open(&d, rec, len, out, &type, &plen),
		    REC_BAD_RECORD_MAC);
		assert_int_equal(d.seq, 1);
	}
	rec_dir_clear(&d);
}

/*
 * HKDF-Expand-Label (RFC 8446 7.1) built by hand on plain HKDF-Expand:
 * the reference rec_dir_update() is checked against.
 */
static void
hkdf_label(const char *md, const unsigned char *secret, size_t secret_len,
    const char *label, unsigned char *out, size_t len)
{
	unsigned char	 info[64];
	size_t		 llen = strlen(label), ilen = 0;
	int		 mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM	 params[5];
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*kctx;

	info[ilen++] = (unsigned char)(len >> 8);
	info[ilen++] = (unsigned char)len;
	info[ilen++] = (unsigned char)(6 + llen);
	memcpy(info + ilen, "tls13 ", 6);
	ilen += 6;
	memcpy(info + ilen, label, llen);
	ilen += llen;
	info[ilen++] = 0;

	assert_non_null(kdf = EVP_KDF_fetch(NULL, "HKDF", NULL));
	assert_non_null(kctx = EVP_KDF_CTX_new(kdf));
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)md, 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)secret, secret_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    info, ilen);
	params[4] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_KDF_derive(kctx, out, len, params), 1);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
}

/* KeyUpdate from the RFC's client secret, against plain HKDF. */
static void
test_rfc8448_key_update(void **state)
{
	struct rec_dir	s, o;
	unsigned char	secret[32], next[32], key[16], iv[12], rec[64];
	unsigned char	out[64];
	size_t		plen = 0;
	uint8_t		type = 0;

	(void)state;
	unhex(rfc_c_ap_secret, secret, sizeof(secret));
	hkdf_label("SHA256", secret, 32, "traffic upd", next, 32);
	hkdf_label("SHA256", next, 32, "key", key, 16);
	hkdf_label("SHA256", next, 32, "iv", iv, 12);

	rfc_dir(&s, rfc_c_ap_secret, 1, 5);
	rfc_dir(&o, rfc_c_ap_secret, 0, 5);
	assert_int_equal(rec_dir_update(&s), 0);
	assert_int_equal(rec_dir_update(&o), 0);
	assert_int_equal(s.seq, 0);
	assert_int_equal(s.secret_len, 32);
	assert_memory_equal(s.secret, next, 32);
	assert_memory_equal(s.key, key, 16);
	assert_memory_equal(s.iv, iv, 12);
	assert_memory_equal(o.key, key, 16);

	assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA,
	    (const unsigned char *)"upd", 3, rec), REC_OK);
	assert_int_equal(rec_open(&o, rec, rec_sealed_len(&s, 3), out, &type,
	    &plen), REC_OK);
	assert_int_equal(plen, 3);
	assert_memory_equal(out, "upd", 3);
	rec_dir_clear(&s);
	rec_dir_clear(&o);
}

/*
 * Differential: OpenSSL's TLS stack on the other end, in process, over
 * memory BIOs.  The record layer speaks for the client once the handshake
 * is over: what it seals the server's SSL_read() reads, what the server's
 * SSL_write() writes it opens.
 */
struct diff_case {
	const char	*name;		/* suite (1.3) or cipher (1.2) */
	int		 tls13;
	uint16_t	 suite;
};

struct peer {
	SSL_CTX		*cctx, *sctx;
	SSL		*c, *s;
	BIO		*c_in, *c_out, *s_in, *s_out;
	unsigned char	 c_secret[REC_SECRET_MAX], s_secret[REC_SECRET_MAX];
	size_t		 c_secret_len, s_secret_len;
};

static EVP_PKEY	*test_key;
static X509	*test_cert;

/* A throwaway self-signed P-256 certificate for the server. */
static int
group_setup(void **state)
{
	X509_NAME	*name;

	(void)state;
	if ((test_key = EVP_EC_gen("P-256")) == NULL ||
	    (test_cert = X509_new()) == NULL)
		return (-1);
	name = X509_get_subject_name(test_cert);
	if (!X509_set_version(test_cert, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(test_cert), 1) ||
	    X509_gmtime_adj(X509_getm_notBefore(test_cert), -60) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(test_cert), 3600) == NULL ||
	    !X509_set_pubkey(test_cert, test_key) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"record test", -1, -1, 0) ||
	    !X509_set_issuer_name(test_cert, name) ||
	    X509_sign(test_cert, test_key, EVP_sha256()) == 0)
		return (-1);
	return (0);
}

static int
group_teardown(void **state)
{
	(void)state;
	X509_free(test_cert);
	EVP_PKEY_free(test_key);
	return (0);
}

static size_t
keylog_hex(const char *hex, unsigned char *out)
{
	size_t	n = 0;

	while (hex[0] != '\0' && hex[1] != '\0' && n < REC_SECRET_MAX) {
		assert_int_equal(sscanf(hex, "%2hhx", &out[n]), 1);
		hex += 2;
		n++;
	}
	return (n);
}

/* "LABEL <client random> <secret>": the TLS 1.3 traffic secrets. */
static void
keylog(const SSL *ssl, const char *line)
{
	struct peer	*p = SSL_get_app_data(ssl);
	const char	*sp;

	if ((sp = strrchr(line, ' ')) == NULL)
		return;
	if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0)
		p->c_secret_len = keylog_hex(sp + 1, p->c_secret);
	else if (strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0)
		p->s_secret_len = keylog_hex(sp + 1, p->s_secret);
}

/* Move what one side wrote to the other side's input. */
static void
pump(BIO *from, BIO *to)
{
	char	buf[4096];
	int	n;

	while ((n = BIO_read(from, buf, sizeof(buf))) > 0)
		assert_int_equal(BIO_write(to, buf, n), n);
}

static void
peer_handshake(struct peer *p, const struct diff_case *dc)
{
	int	cdone = 0, sdone = 0, i, r = 0;

	assert_non_null(p->cctx = SSL_CTX_new(TLS_client_method()));
	assert_non_null(p->sctx = SSL_CTX_new(TLS_server_method()));
	assert_int_equal(SSL_CTX_use_certificate(p->sctx, test_cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->sctx, test_key), 1);
	SSL_CTX_set_keylog_callback(p->cctx, keylog);
	SSL_CTX_set_options(p->sctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(p->sctx, 0);
	if (dc->tls13) {
		assert_int_equal(SSL_CTX_set_min_proto_version(p->cctx,
		    TLS1_3_VERSION), 1);
		assert_int_equal(SSL_CTX_set_ciphersuites(p->cctx, dc->name),
		    1);
		assert_int_equal(SSL_CTX_set_ciphersuites(p->sctx, dc->name),
		    1);
	} else {
		assert_int_equal(SSL_CTX_set_max_proto_version(p->cctx,
		    TLS1_2_VERSION), 1);
		assert_int_equal(SSL_CTX_set_cipher_list(p->cctx, dc->name), 1);
		assert_int_equal(SSL_CTX_set_cipher_list(p->sctx, dc->name), 1);
	}
	assert_non_null(p->c = SSL_new(p->cctx));
	assert_non_null(p->s = SSL_new(p->sctx));
	SSL_set_app_data(p->c, p);
	p->c_in = BIO_new(BIO_s_mem());
	p->c_out = BIO_new(BIO_s_mem());
	p->s_in = BIO_new(BIO_s_mem());
	p->s_out = BIO_new(BIO_s_mem());
	assert_true(p->c_in && p->c_out && p->s_in && p->s_out);
	SSL_set_bio(p->c, p->c_in, p->c_out);
	SSL_set_bio(p->s, p->s_in, p->s_out);
	SSL_set_connect_state(p->c);
	SSL_set_accept_state(p->s);

	for (i = 0; i < 20 && !(cdone && sdone); i++) {
		if (!cdone && (r = SSL_do_handshake(p->c)) != 1)
			assert_int_equal(SSL_get_error(p->c, r),
			    SSL_ERROR_WANT_READ);
		cdone = cdone || r == 1;
		pump(p->c_out, p->s_in);
		if (!sdone && (r = SSL_do_handshake(p->s)) != 1)
			assert_int_equal(SSL_get_error(p->s, r),
			    SSL_ERROR_WANT_READ);
		sdone = sdone || r == 1;
		pump(p->s_out, p->c_in);
	}
	assert_true(cdone && sdone);
	assert_int_equal(SSL_version(p->s), dc->tls13 ? TLS1_3_VERSION :
	    TLS1_2_VERSION);
	assert_int_equal(SSL_CIPHER_get_protocol_id(
	    SSL_get_current_cipher(p->s)), dc->suite);
	/* Nothing in flight: the records that follow are ours. */
	assert_int_equal(BIO_ctrl_pending(p->c_in), 0);
	assert_int_equal(BIO_ctrl_pending(p->s_in), 0);
}

static void
peer_free(struct peer *p)
{
	SSL_free(p->c);
	SSL_free(p->s);
	SSL_CTX_free(p->cctx);
	SSL_CTX_free(p->sctx);
}

/* The TLS 1.2 PRF (RFC 5246 5) with the suite's handshake digest. */
static void
prf_12(const EVP_MD *md, const unsigned char *secret, size_t secret_len,
    const unsigned char *seed, size_t seed_len, unsigned char *out,
    size_t len)
{
	OSSL_PARAM	 params[4];
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*kctx;

	assert_non_null(kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL));
	assert_non_null(kctx = EVP_KDF_CTX_new(kdf));
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
	    (void *)secret, secret_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
	    (void *)seed, seed_len);
	params[3] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_KDF_derive(kctx, out, len, params), 1);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
}

/*
 * Key the two directions that stand in for the client: w seals what the
 * client would write, r opens what the server writes.
 */
static void
peer_keys(struct peer *p, const struct diff_case *dc, struct rec_dir *w,
    struct rec_dir *r)
{
	const SSL_CIPHER	*cipher = SSL_get_current_cipher(p->c);
	unsigned char		 master[SSL_MAX_MASTER_KEY_LENGTH];
	unsigned char		 seed[13 + 2 * SSL3_RANDOM_SIZE], block[128];
	size_t			 mlen, klen, ivlen;
	int			 nid = SSL_CIPHER_get_cipher_nid(cipher);

	if (dc->tls13) {
		assert_int_not_equal(p->c_secret_len, 0);
		assert_int_not_equal(p->s_secret_len, 0);
		assert_int_equal(rec_dir_init(w, REC_VERSION_13, dc->suite, 1,
		    p->c_secret, p->c_secret_len, NULL, 0, NULL, 0, 0), 0);
		assert_int_equal(rec_dir_init(r, REC_VERSION_13, dc->suite, 0,
		    p->s_secret, p->s_secret_len, NULL, 0, NULL, 0, 0), 0);
		return;
	}
	klen = EVP_CIPHER_get_key_length(EVP_get_cipherbynid(nid));
	ivlen = nid == NID_chacha20_poly1305 ? 12 : 4;
	mlen = SSL_SESSION_get_master_key(SSL_get_session(p->c), master,
	    sizeof(master));
	assert_int_not_equal(mlen, 0);
	memcpy(seed, "key expansion", 13);
	assert_int_equal(SSL_get_server_random(p->c, seed + 13,
	    SSL3_RANDOM_SIZE), SSL3_RANDOM_SIZE);
	assert_int_equal(SSL_get_client_random(p->c, seed + 13 +
	    SSL3_RANDOM_SIZE, SSL3_RANDOM_SIZE), SSL3_RANDOM_SIZE);
	prf_12(SSL_CIPHER_get_handshake_digest(cipher), master, mlen, seed,
	    sizeof(seed), block, 2 * (klen + ivlen));
	/* client key, server key, client IV, server IV; Finished was 0. */
	assert_int_equal(rec_dir_init(w, REC_VERSION_12, dc->suite, 1, NULL,
	    0, block, klen, block + 2 * klen, ivlen, 1), 0);
	assert_int_equal(rec_dir_init(r, REC_VERSION_12, dc->suite, 0, NULL,
	    0, block + klen, klen, block + 2 * klen + ivlen, ivlen, 1), 0);
}

static void
fill(unsigned char *p, size_t len, unsigned int salt)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 31 + salt * 7 + (i >> 8));
}

/* Seal records of these lengths; the server must read them all. */
static void
client_to_server(struct peer *p, struct rec_dir *w, const size_t *lens,
    size_t n, unsigned int salt)
{
	unsigned char	*data, *got, rec[REC_MAX_PLAIN + REC_OVERHEAD_MAX];
	size_t		 total = 0, off = 0, i, rlen;
	int		 k;

	for (i = 0; i < n; i++)
		total += lens[i];
	assert_non_null(data = malloc(total + 1));
	assert_non_null(got = malloc(total + 1));
	fill(data, total, salt);
	for (i = 0; i < n; i++) {
		rlen = rec_sealed_len(w, lens[i]);
		assert_int_equal(rec_seal(w, REC_APPLICATION_DATA, data + off,
		    lens[i], rec), REC_OK);
		assert_int_equal(BIO_write(p->s_in, rec, (int)rlen),
		    (int)rlen);
		off += lens[i];
	}
	off = 0;
	while (off < total) {
		k = SSL_read(p->s, got + off, (int)(total - off));
		if (k <= 0)
			fail_msg("SSL_read: %d, error %d, %s", k,
			    SSL_get_error(p->s, k),
			    ERR_reason_error_string(ERR_peek_error()));
		off += (size_t)k;
	}
	assert_memory_equal(got, data, total);
	assert_int_equal(BIO_ctrl_pending(p->s_in), 0);
	assert_int_equal(BIO_ctrl_pending(p->s_out), 0);
	free(data);
	free(got);
}

/*
 * Open the records in the server's output, alternating a separate buffer
 * and in place; the types and the plaintext concatenated.
 */
static size_t
open_all(struct peer *p, struct rec_dir *r, unsigned char *plain,
    size_t max, uint8_t want_type)
{
	unsigned char	*buf, sep[REC_MAX_CIPHER_12], *out;
	size_t		 len, off = 0, total = 0, reclen, plen;
	uint8_t		 type;
	long		 n;
	char		*mem;
	int		 i = 0;

	n = BIO_get_mem_data(p->s_out, &mem);
	assert_true(n > 0);
	len = (size_t)n;
	assert_non_null(buf = malloc(len));
	memcpy(buf, mem, len);
	(void)BIO_reset(p->s_out);
	while (off < len) {
		assert_int_equal(rec_header(buf + off, len - off, &reclen), 0);
		assert_true(reclen <= len - off);
		out = i++ % 2 ? buf + off + REC_HEADER_LEN : sep;
		assert_int_equal(rec_open(r, buf + off, reclen, out, &type,
		    &plen), REC_OK);
		assert_int_equal(type, want_type);
		assert_true(total + plen <= max);
		memcpy(plain + total, out, plen);
		total += plen;
		off += reclen;
	}
	free(buf);
	return (total);
}

/* The server writes these lengths; the record layer opens them. */
static void
server_to_client(struct peer *p, struct rec_dir *r, const size_t *lens,
    size_t n, unsigned int salt)
{
	unsigned char	*data, *got;
	size_t		 total = 0, off = 0, i;

	for (i = 0; i < n; i++)
		total += lens[i];
	assert_non_null(data = malloc(total));
	assert_non_null(got = malloc(total));
	fill(data, total, salt);
	for (i = 0; i < n; i++) {
		assert_int_equal(SSL_write(p->s, data + off, (int)lens[i]),
		    (int)lens[i]);
		off += lens[i];
	}
	assert_int_equal(open_all(p, r, got, total, REC_APPLICATION_DATA),
	    total);
	assert_memory_equal(got, data, total);
	free(data);
	free(got);
}

/*
 * TLS 1.3 KeyUpdate both ways: the server's (SSL_key_update()) opened and
 * followed with rec_dir_update(); ours sealed, and read by the server.
 */
static void
key_update(struct peer *p, struct rec_dir *w, struct rec_dir *r)
{
	static const unsigned char	 ku[] = { 0x18, 0x00, 0x00, 0x01,
					    0x00 };
	static const char		 after[] = "after the key update";
	unsigned char			 buf[256], rec[64], got[64];
	size_t				 plen, len, reclen;
	uint8_t				 type;
	long				 n;
	char				*mem;

	assert_int_equal(SSL_key_update(p->s, SSL_KEY_UPDATE_NOT_REQUESTED),
	    1);
	assert_int_equal(SSL_write(p->s, after, sizeof(after)),
	    sizeof(after));
	n = BIO_get_mem_data(p->s_out, &mem);
	assert_true(n > 0 && (size_t)n <= sizeof(buf));
	len = (size_t)n;
	memcpy(buf, mem, len);
	(void)BIO_reset(p->s_out);

	assert_int_equal(rec_header(buf, len, &reclen), 0);
	assert_int_equal(rec_open(r, buf, reclen, got, &type, &plen), REC_OK);
	assert_int_equal(type, REC_HANDSHAKE);
	assert_int_equal(plen, sizeof(ku));
	assert_memory_equal(got, ku, sizeof(ku));
	assert_int_equal(rec_dir_update(r), 0);
	assert_int_equal(r->seq, 0);
	assert_int_equal(rec_open(r, buf + reclen, len - reclen, got, &type,
	    &plen), REC_OK);
	assert_int_equal(type, REC_APPLICATION_DATA);
	assert_int_equal(plen, sizeof(after));
	assert_memory_equal(got, after, sizeof(after));

	assert_int_equal(rec_seal(w, REC_HANDSHAKE, ku, sizeof(ku), rec),
	    REC_OK);
	assert_int_equal(BIO_write(p->s_in, rec, (int)rec_sealed_len(w,
	    sizeof(ku))), (int)rec_sealed_len(w, sizeof(ku)));
	assert_int_equal(rec_dir_update(w), 0);
	assert_int_equal(w->seq, 0);
	assert_int_equal(rec_seal(w, REC_APPLICATION_DATA,
	    (const unsigned char *)after, sizeof(after), buf), REC_OK);
	assert_int_equal(BIO_write(p->s_in, buf, (int)rec_sealed_len(w,
	    sizeof(after))), (int)rec_sealed_len(w, sizeof(after)));
	assert_int_equal(SSL_read(p->s, got, sizeof(got)), sizeof(after));
	assert_memory_equal(got, after, sizeof(after));
	/* Not requested: the server answers nothing. */
	assert_int_equal(BIO_ctrl_pending(p->s_out), 0);
}

static void
test_differential(void **state)
{
	const struct diff_case	*dc = *state;
	static const size_t	 c_lens[] = { 0, 1, 2, 15, 16, 17, 255, 256,
				    1000, 4096, 16383, 16384, 0, 0, 7, 16384,
				    12345, 1, 0, 100 };
	static const size_t	 s_lens[] = { 1, 100, 16384, 20000, 5, 3000,
				    16383, 17, 1 };
	struct peer		 p;
	struct rec_dir		 w, r;

	memset(&p, 0, sizeof(p));
	peer_handshake(&p, dc);
	peer_keys(&p, dc, &w, &r);
	assert_int_equal(w.seq, dc->tls13 ? 0 : 1);

	client_to_server(&p, &w, c_lens, sizeof(c_lens) / sizeof(c_lens[0]),
	    1);
	server_to_client(&p, &r, s_lens, sizeof(s_lens) / sizeof(s_lens[0]),
	    2);
	assert_int_equal(w.seq, (dc->tls13 ? 0 : 1) +
	    sizeof(c_lens) / sizeof(c_lens[0]));
	if (dc->tls13) {
		key_update(&p, &w, &r);
		client_to_server(&p, &w, c_lens, 6, 3);
		server_to_client(&p, &r, s_lens, 4, 4);
	}
	rec_dir_clear(&w);
	rec_dir_clear(&r);
	peer_free(&p);
}

static const struct diff_case diff_cases[] = {
	{ "TLS_AES_128_GCM_SHA256", 1, 0x1301 },
	{ "TLS_AES_256_GCM_SHA384", 1, 0x1302 },
	{ "TLS_CHACHA20_POLY1305_SHA256", 1, 0x1303 },
	{ "TLS_AES_128_CCM_SHA256", 1, 0x1304 },
	{ "TLS_AES_128_CCM_8_SHA256", 1, 0x1305 },
	{ "ECDHE-ECDSA-AES128-GCM-SHA256", 0, 0xc02b },
	{ "ECDHE-ECDSA-AES256-GCM-SHA384", 0, 0xc02c },
	{ "ECDHE-ECDSA-CHACHA20-POLY1305", 0, 0xcca9 },
	{ "ECDHE-ECDSA-AES128-CCM", 0, 0xc0ac },
	{ "ECDHE-ECDSA-AES256-CCM", 0, 0xc0ad },
	{ "ECDHE-ECDSA-AES128-CCM8", 0, 0xc0ae },
	{ "ECDHE-ECDSA-AES256-CCM8", 0, 0xc0af },
};

/*
 * A sealing and an opening direction with the same fixed keys, for the
 * failure cases.
 */
static void
pair(uint16_t version, uint16_t suite, uint64_t seq, struct rec_dir *s,
    struct rec_dir *o)
{
	unsigned char	secret[REC_SECRET_MAX], key[REC_KEY_MAX], iv[REC_IV_MAX];
	size_t		secret_len, key_len, iv_len;

	assert_int_equal(rec_suite_sizes(version, suite, &secret_len, &key_len,
	    &iv_len), 0);
	memset(secret, 0x42, sizeof(secret));
	memset(key, 0x24, sizeof(key));
	memset(iv, 0x17, sizeof(iv));
	assert_int_equal(rec_dir_init(s, version, suite, 1,
	    secret_len ? secret : NULL, secret_len, key_len ? key : NULL,
	    key_len, iv_len ? iv : NULL, iv_len, seq), 0);
	assert_int_equal(rec_dir_init(o, version, suite, 0,
	    secret_len ? secret : NULL, secret_len, key_len ? key : NULL,
	    key_len, iv_len ? iv : NULL, iv_len, seq), 0);
}

static void
pair_clear(struct rec_dir *s, struct rec_dir *o)
{
	rec_dir_clear(s);
	rec_dir_clear(o);
}

static const struct {
	uint16_t	version;
	uint16_t	suite;
} every_aead[] = {
	{ REC_VERSION_13, 0x1301 }, { REC_VERSION_13, 0x1302 },
	{ REC_VERSION_13, 0x1303 }, { REC_VERSION_13, 0x1304 },
	{ REC_VERSION_13, 0x1305 }, { REC_VERSION_12, 0xc02b },
	{ REC_VERSION_12, 0xc030 }, { REC_VERSION_12, 0xcca8 },
	{ REC_VERSION_12, 0xc0ac }, { REC_VERSION_12, 0xc0af },
};
#define EVERY_AEAD	(sizeof(every_aead) / sizeof(every_aead[0]))

/*
 * Every ciphertext bit that changes, and every header byte in the AAD,
 * fails the tag; the sequence number stays, so the record then opens.
 */
static void
test_open_tampered(void **state)
{
	static const unsigned char	 msg[] = "tamper with me";
	struct rec_dir			 s, o;
	unsigned char			 rec[128], bad[128], out[128];
	size_t				 len, i, plen = 0;
	uint8_t				 type = 0;
	unsigned int			 k;

	(void)state;
	for (k = 0; k < EVERY_AEAD; k++) {
		pair(every_aead[k].version, every_aead[k].suite, 9, &s, &o);
		len = rec_sealed_len(&s, sizeof(msg));
		assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA, msg,
		    sizeof(msg), rec), REC_OK);
		for (i = 0; i < len; i++) {
			if (i == 3 || i == 4)
				continue;	/* the length: another record */
			/* The 1.3 type and the 1.2 version are checked. */
			if (i == 0 && s.version == REC_VERSION_13)
				continue;
			if ((i == 1 || i == 2) && s.version == REC_VERSION_12)
				continue;
			memcpy(bad, rec, len);
			bad[i] ^= 0x01;
			assert_int_equal(rec_open(&o, bad, len, out, &type,
			    &plen), REC_BAD_RECORD_MAC);
			assert_int_equal(o.seq, 9);
		}
		assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
		    REC_OK);
		assert_int_equal(o.seq, 10);
		assert_int_equal(plen, sizeof(msg));
		assert_memory_equal(out, msg, sizeof(msg));
		pair_clear(&s, &o);
	}
}

/* A record of len bytes whose header says len - 5 and type. */
static unsigned char *
blank_record(uint8_t type, uint16_t version, size_t len)
{
	unsigned char	*rec;

	assert_non_null(rec = calloc(1, len));
	rec[0] = type;
	rec[1] = version >> 8;
	rec[2] = version & 0xff;
	rec[3] = (len - REC_HEADER_LEN) >> 8;
	rec[4] = (len - REC_HEADER_LEN) & 0xff;
	return (rec);
}

static void
test_open_overflow(void **state)
{
	struct rec_dir	 s, o;
	unsigned char	*rec, *out;
	size_t		 plen = 0, len;
	uint8_t		 type = 0;

	(void)state;
	assert_non_null(out = malloc(REC_MAX_CIPHER_12 + 1));

	pair(REC_VERSION_13, 0x1301, 0, &s, &o);
	len = REC_HEADER_LEN + REC_MAX_CIPHER_13 + 1;
	rec = blank_record(REC_APPLICATION_DATA, REC_VERSION_12, len);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_RECORD_OVERFLOW);
	/* At the limit it is the tag that fails. */
	assert_int_equal(rec_open(&o, rec, len - 1, out, &type, &plen),
	    REC_INTERNAL_ERROR);		/* len is not the header's */
	rec[4]--;
	assert_int_equal(rec_open(&o, rec, len - 1, out, &type, &plen),
	    REC_BAD_RECORD_MAC);
	assert_int_equal(o.seq, 0);
	free(rec);
	pair_clear(&s, &o);

	pair(REC_VERSION_12, 0xc02b, 0, &s, &o);
	len = REC_HEADER_LEN + REC_MAX_CIPHER_12 + 1;
	rec = blank_record(REC_APPLICATION_DATA, REC_VERSION_12, len);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_RECORD_OVERFLOW);
	free(rec);
	/* The ciphertext fits, the plaintext (2^14 + 1) does not. */
	len = REC_HEADER_LEN + 8 + REC_MAX_PLAIN + 1 + 16;
	rec = blank_record(REC_APPLICATION_DATA, REC_VERSION_12, len);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_RECORD_OVERFLOW);
	free(rec);
	len--;
	rec = blank_record(REC_APPLICATION_DATA, REC_VERSION_12, len);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_BAD_RECORD_MAC);
	assert_int_equal(o.seq, 0);
	free(rec);
	pair_clear(&s, &o);
	free(out);
}

/*
 * A TLS 1.3 record sealed by hand with AES-128-GCM from o's key and iv:
 * inner is the whole TLSInnerPlaintext, padding and type included.
 */
static size_t
raw_seal_13(const struct rec_dir *o, uint64_t seq, const unsigned char *inner,
    size_t inner_len, unsigned char *out)
{
	EVP_CIPHER_CTX	*ctx;
	unsigned char	 nonce[12];
	size_t		 clen = inner_len + 16;
	int		 n, i;

	assert_int_equal(o->suite, 0x1301);
	memcpy(nonce, o->iv, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] ^= (unsigned char)(seq >> (56 - 8 * i));
	out[0] = REC_APPLICATION_DATA;
	out[1] = 0x03;
	out[2] = 0x03;
	out[3] = (unsigned char)(clen >> 8);
	out[4] = (unsigned char)clen;
	assert_non_null(ctx = EVP_CIPHER_CTX_new());
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL,
	    o->key, nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &n, out, 5), 1);
	assert_int_equal(EVP_EncryptUpdate(ctx, out + 5, &n, inner,
	    (int)inner_len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(ctx, out + 5 + n, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
	    out + 5 + inner_len), 1);
	EVP_CIPHER_CTX_free(ctx);
	return (REC_HEADER_LEN + clen);
}

static void
test_open_13_inner(void **state)
{
	struct rec_dir	 s, o;
	unsigned char	*inner, *rec, *out;
	size_t		 len, plen = 0;
	uint8_t		 type = 0;

	(void)state;
	assert_non_null(inner = calloc(1, REC_MAX_CIPHER_13));
	assert_non_null(rec = malloc(REC_HEADER_LEN + REC_MAX_CIPHER_13));
	assert_non_null(out = malloc(REC_MAX_CIPHER_13));
	pair(REC_VERSION_13, 0x1301, 0, &s, &o);

	/* No content type: all zeros. */
	len = raw_seal_13(&o, 0, inner, 10, rec);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_UNEXPECTED_MESSAGE);
	assert_int_equal(o.seq, 0);

	/* Padding is removed: "abc", type 23, five zeros. */
	memcpy(inner, "abc\x17\0\0\0\0\0", 9);
	len = raw_seal_13(&o, 0, inner, 9, rec);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen), REC_OK);
	assert_int_equal(type, REC_APPLICATION_DATA);
	assert_int_equal(plen, 3);
	assert_memory_equal(out, "abc", 3);

	/* 2^14 bytes of content and 200 of padding are fine... */
	memset(inner, 'x', REC_MAX_PLAIN);
	inner[REC_MAX_PLAIN] = REC_APPLICATION_DATA;
	memset(inner + REC_MAX_PLAIN + 1, 0, 200);
	len = raw_seal_13(&o, 1, inner, REC_MAX_PLAIN + 201, rec);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen), REC_OK);
	assert_int_equal(plen, REC_MAX_PLAIN);
	/* ... 2^14 + 1 of content is not. */
	inner[REC_MAX_PLAIN] = 'x';
	inner[REC_MAX_PLAIN + 1] = REC_APPLICATION_DATA;
	len = raw_seal_13(&o, 2, inner, REC_MAX_PLAIN + 2, rec);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_RECORD_OVERFLOW);
	assert_int_equal(o.seq, 2);

	/* No room for a content type: the tag alone. */
	len = raw_seal_13(&o, 2, inner, 0, rec);
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_BAD_RECORD_MAC);

	pair_clear(&s, &o);
	free(inner);
	free(rec);
	free(out);
}

static void
test_open_13_outer_type(void **state)
{
	struct rec_dir	s, o;
	unsigned char	rec[64], out[64];
	size_t		len, plen = 0;
	uint8_t		type = 0;

	(void)state;
	pair(REC_VERSION_13, 0x1303, 0, &s, &o);
	len = rec_sealed_len(&s, 4);
	assert_int_equal(rec_seal(&s, REC_HANDSHAKE,
	    (const unsigned char *)"abcd", 4, rec), REC_OK);
	assert_int_equal(rec[0], REC_APPLICATION_DATA);
	rec[0] = REC_HANDSHAKE;
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_UNEXPECTED_MESSAGE);
	rec[0] = REC_CHANGE_CIPHER_SPEC;
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_UNEXPECTED_MESSAGE);
	assert_int_equal(o.seq, 0);
	/* The legacy version is not checked (it is in the AAD). */
	rec[0] = REC_APPLICATION_DATA;
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen), REC_OK);
	assert_int_equal(type, REC_HANDSHAKE);
	pair_clear(&s, &o);
}

static void
test_open_12_version(void **state)
{
	struct rec_dir	s, o;
	unsigned char	rec[64], out[64];
	size_t		len, plen = 0;
	uint8_t		type = 0;

	(void)state;
	pair(REC_VERSION_12, 0xc02b, 1, &s, &o);
	len = rec_sealed_len(&s, 4);
	assert_int_equal(len, REC_HEADER_LEN + 8 + 4 + 16);
	assert_int_equal(rec_seal(&s, REC_ALERT,
	    (const unsigned char *)"\x01\x00", 2, rec), REC_OK);
	len = rec_sealed_len(&s, 2);
	assert_int_equal(rec[0], REC_ALERT);
	/* The explicit nonce is the sequence number. */
	assert_memory_equal(rec + 5, "\0\0\0\0\0\0\0\x01", 8);
	rec[2] = 0x02;
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_PROTOCOL_VERSION);
	rec[1] = 0x02;
	rec[2] = 0x03;
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
	    REC_PROTOCOL_VERSION);
	assert_int_equal(o.seq, 1);
	rec[1] = 0x03;
	assert_int_equal(rec_open(&o, rec, len, out, &type, &plen), REC_OK);
	assert_int_equal(type, REC_ALERT);
	assert_int_equal(plen, 2);
	pair_clear(&s, &o);
}

/* Shorter than what every record holds. */
static void
test_open_short(void **state)
{
	struct rec_dir	 s, o;
	unsigned char	*rec, out[64];
	size_t		 plen = 0, len;
	uint8_t		 type = 0;
	unsigned int	 k;

	(void)state;
	for (k = 0; k < EVERY_AEAD; k++) {
		pair(every_aead[k].version, every_aead[k].suite, 0, &s, &o);
		/* The smallest record minus one byte, down to nothing. */
		for (len = rec_sealed_len(&s, 0) - 1; len >= REC_HEADER_LEN;
		    len--) {
			rec = blank_record(REC_APPLICATION_DATA,
			    REC_VERSION_12, len);
			assert_int_equal(rec_open(&o, rec, len, out, &type,
			    &plen), REC_BAD_RECORD_MAC);
			free(rec);
		}
		rec = blank_record(REC_APPLICATION_DATA, REC_VERSION_12, 5);
		for (len = 0; len < REC_HEADER_LEN; len++)
			assert_int_equal(rec_open(&o, rec, len, out, &type,
			    &plen), REC_INTERNAL_ERROR);
		free(rec);
		assert_int_equal(o.seq, 0);
		pair_clear(&s, &o);
	}
}

/* The sequence number never wraps, and moves on success only. */
static void
test_seq_exhausted(void **state)
{
	struct rec_dir	s, o;
	unsigned char	rec[64], out[64];
	size_t		len, plen = 0;
	uint8_t		type = 0;
	unsigned int	k;

	(void)state;
	for (k = 0; k < EVERY_AEAD; k++) {
		pair(every_aead[k].version, every_aead[k].suite, UINT64_MAX,
		    &s, &o);
		assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA,
		    (const unsigned char *)"x", 1, rec), REC_INTERNAL_ERROR);
		assert_int_equal(s.seq, UINT64_MAX);
		pair_clear(&s, &o);

		pair(every_aead[k].version, every_aead[k].suite,
		    UINT64_MAX - 1, &s, &o);
		len = rec_sealed_len(&s, 1);
		assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA,
		    (const unsigned char *)"x", 1, rec), REC_OK);
		assert_int_equal(s.seq, UINT64_MAX);
		assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA,
		    (const unsigned char *)"y", 1, rec + 32),
		    REC_INTERNAL_ERROR);
		assert_int_equal(s.seq, UINT64_MAX);
		assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
		    REC_OK);
		assert_int_equal(o.seq, UINT64_MAX);
		assert_int_equal(plen, 1);
		assert_int_equal(out[0], 'x');
		assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
		    REC_INTERNAL_ERROR);
		assert_int_equal(o.seq, UINT64_MAX);
		pair_clear(&s, &o);
	}
}

/* Sealing and opening, every suite kind, empty to the largest record. */
static void
test_round_trip(void **state)
{
	static const size_t	 lens[] = { 0, 1, 16, 1000, REC_MAX_PLAIN };
	struct rec_dir		 s, o;
	unsigned char		*in, *rec, *out;
	size_t			 len, plen = 0, i;
	uint8_t			 type = 0;
	unsigned int		 k;

	(void)state;
	assert_non_null(in = malloc(REC_MAX_PLAIN));
	assert_non_null(rec = malloc(REC_MAX_PLAIN + REC_OVERHEAD_MAX));
	assert_non_null(out = malloc(REC_MAX_PLAIN + REC_OVERHEAD_MAX));
	fill(in, REC_MAX_PLAIN, 5);
	for (k = 0; k < EVERY_AEAD; k++) {
		pair(every_aead[k].version, every_aead[k].suite, 0, &s, &o);
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			len = rec_sealed_len(&s, lens[i]);
			assert_true(len <= lens[i] + REC_OVERHEAD_MAX);
			assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA, in,
			    lens[i], rec), REC_OK);
			assert_int_equal(rec_header(rec, len, &plen), 0);
			assert_int_equal(plen, len);
			/* Every other one in place. */
			if (i % 2 == 0) {
				assert_int_equal(rec_open(&o, rec, len, out,
				    &type, &plen), REC_OK);
				assert_memory_equal(out, in, lens[i]);
			} else {
				assert_int_equal(rec_open(&o, rec, len,
				    rec + REC_HEADER_LEN, &type, &plen),
				    REC_OK);
				assert_memory_equal(rec + REC_HEADER_LEN, in,
				    lens[i]);
			}
			assert_int_equal(plen, lens[i]);
			assert_int_equal(type, REC_APPLICATION_DATA);
		}
		assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA, in,
		    REC_MAX_PLAIN + 1, rec), REC_INTERNAL_ERROR);
		/* A direction does only what it was keyed for. */
		assert_int_equal(rec_seal(&o, REC_APPLICATION_DATA, in, 1, rec),
		    REC_INTERNAL_ERROR);
		len = rec_sealed_len(&s, 1);
		assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA, in, 1, rec),
		    REC_OK);
		assert_int_equal(rec_open(&s, rec, len, out, &type, &plen),
		    REC_INTERNAL_ERROR);
		/* Overlapping, but not in place. */
		assert_int_equal(rec_open(&o, rec, len, rec + 1, &type, &plen),
		    REC_INTERNAL_ERROR);
		assert_int_equal(o.seq, sizeof(lens) / sizeof(lens[0]));
		pair_clear(&s, &o);
	}
	free(in);
	free(rec);
	free(out);
}

/* What a failed tag check leaves: no plaintext, no OpenSSL error. */
static void
test_open_failure_leaves_nothing(void **state)
{
	static const unsigned char	 msg[] = "secret plaintext";
	struct rec_dir			 s, o;
	unsigned char			 rec[64], out[64], zero[64];
	size_t				 len, plen = 0;
	uint8_t				 type = 0;
	unsigned int			 k;

	(void)state;
	memset(zero, 0, sizeof(zero));
	for (k = 0; k < EVERY_AEAD; k++) {
		pair(every_aead[k].version, every_aead[k].suite, 0, &s, &o);
		len = rec_sealed_len(&s, sizeof(msg));
		assert_int_equal(rec_seal(&s, REC_APPLICATION_DATA, msg,
		    sizeof(msg), rec), REC_OK);
		rec[len - 1] ^= 0x80;
		memset(out, 0xaa, sizeof(out));
		ERR_clear_error();
		assert_int_equal(rec_open(&o, rec, len, out, &type, &plen),
		    REC_BAD_RECORD_MAC);
		assert_memory_equal(out, zero, sizeof(msg));
		assert_int_equal(ERR_peek_error(), 0);
		pair_clear(&s, &o);
	}
}

static void
test_sealed_len_and_limits(void **state)
{
	struct rec_dir	s, o;

	(void)state;
	pair(REC_VERSION_13, 0x1301, 0, &s, &o);
	assert_int_equal(rec_sealed_len(&s, 100), 5 + 100 + 1 + 16);
	assert_int_equal(s.limit, (uint64_t)1 << 24);
	pair_clear(&s, &o);
	pair(REC_VERSION_13, 0x1302, 0, &s, &o);
	assert_int_equal(s.secret_len, 48);
	assert_int_equal(s.key_len, 32);
	assert_int_equal(s.limit, (uint64_t)1 << 24);
	pair_clear(&s, &o);
	pair(REC_VERSION_13, 0x1303, 0, &s, &o);
	assert_int_equal(s.limit, UINT64_MAX);
	pair_clear(&s, &o);
	pair(REC_VERSION_13, 0x1304, 0, &s, &o);
	assert_int_equal(s.limit, (uint64_t)1 << 23);
	pair_clear(&s, &o);
	pair(REC_VERSION_13, 0x1305, 0, &s, &o);
	assert_int_equal(rec_sealed_len(&s, 100), 5 + 100 + 1 + 8);
	assert_int_equal(s.limit, (uint64_t)1 << 23);
	pair_clear(&s, &o);

	pair(REC_VERSION_12, 0xc02f, 0, &s, &o);
	assert_int_equal(rec_sealed_len(&s, 100), 5 + 8 + 100 + 16);
	assert_int_equal(s.iv_len, 4);
	assert_int_equal(s.explicit_len, 8);
	assert_int_equal(s.limit, UINT64_MAX);
	pair_clear(&s, &o);
	pair(REC_VERSION_12, 0xcca8, 0, &s, &o);
	assert_int_equal(rec_sealed_len(&s, 100), 5 + 100 + 16);
	assert_int_equal(s.iv_len, 12);
	assert_int_equal(s.explicit_len, 0);
	pair_clear(&s, &o);
	pair(REC_VERSION_12, 0xc0a3, 0, &s, &o);
	assert_int_equal(rec_sealed_len(&s, 100), 5 + 8 + 100 + 8);
	assert_int_equal(s.key_len, 32);
	pair_clear(&s, &o);
	/* The most any record adds. */
	assert_int_equal(REC_OVERHEAD_MAX, 5 + 8 + 16 + 1);
}

static void
test_suite_supported(void **state)
{
	static const uint16_t	yes13[] = { 0x1301, 0x1302, 0x1303, 0x1304,
				    0x1305 };
	static const uint16_t	yes12[] = { 0xc02b, 0xc02f, 0xc02c, 0xc030,
				    0xcca9, 0xcca8, 0x009e, 0x009f, 0xccaa,
				    0xc0ac, 0xc0ad, 0xc0ae, 0xc0af, 0xc09e,
				    0xc09f, 0xc0a2, 0xc0a3 };
	/* CBC, RC4-free legacy, ARIA-GCM, SCSV, unknown. */
	static const uint16_t	no12[] = { 0xc009, 0xc013, 0x002f, 0x003c,
				    0xc027, 0xc05c, 0x00ff, 0x1301, 0x0000,
				    0xffff };
	size_t			i, a, b, c;

	(void)state;
	for (i = 0; i < sizeof(yes13) / sizeof(yes13[0]); i++) {
		assert_true(rec_suite_supported(REC_VERSION_13, yes13[i]));
		assert_false(rec_suite_supported(REC_VERSION_12, yes13[i]));
		assert_int_equal(rec_suite_sizes(REC_VERSION_13, yes13[i], &a,
		    &b, &c), 0);
		assert_int_equal(a, yes13[i] == 0x1302 ? 48 : 32);
		assert_int_equal(b + c, 0);
	}
	for (i = 0; i < sizeof(yes12) / sizeof(yes12[0]); i++) {
		assert_true(rec_suite_supported(REC_VERSION_12, yes12[i]));
		assert_false(rec_suite_supported(REC_VERSION_13, yes12[i]));
	}
	for (i = 0; i < sizeof(no12) / sizeof(no12[0]); i++)
		assert_false(rec_suite_supported(REC_VERSION_12, no12[i]));
	assert_false(rec_suite_supported(0x0302, 0xc02b));
	assert_false(rec_suite_supported(REC_VERSION_13, 0x1306));
	assert_int_equal(rec_suite_sizes(REC_VERSION_12, 0xc027, &a, &b, &c),
	    -1);
	assert_int_equal(rec_suite_sizes(REC_VERSION_12, 0xc030, &a, &b, &c),
	    0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 32);
	assert_int_equal(c, 4);
}

static void
test_dir_init_refuses(void **state)
{
	unsigned char	k[64];
	struct rec_dir	d;

	(void)state;
	memset(k, 1, sizeof(k));
	assert_int_equal(rec_dir_init(&d, REC_VERSION_12, 0xc027, 1, NULL, 0,
	    k, 16, k, 4, 0), -1);
	assert_null(d.cctx);
	assert_int_equal(rec_dir_init(&d, REC_VERSION_13, 0xc02b, 1, k, 32,
	    NULL, 0, NULL, 0, 0), -1);
	assert_int_equal(rec_dir_init(&d, 0x0302, 0xc02b, 1, NULL, 0, k, 16,
	    k, 4, 0), -1);
	/* Lengths other than the suite's. */
	assert_int_equal(rec_dir_init(&d, REC_VERSION_13, 0x1301, 1, k, 48,
	    NULL, 0, NULL, 0, 0), -1);
	assert_int_equal(rec_dir_init(&d, REC_VERSION_13, 0x1302, 1, k, 32,
	    NULL, 0, NULL, 0, 0), -1);
	assert_int_equal(rec_dir_init(&d, REC_VERSION_13, 0x1301, 1, NULL, 32,
	    NULL, 0, NULL, 0, 0), -1);
	assert_int_equal(rec_dir_init(&d, REC_VERSION_12, 0xc02b, 1, NULL, 0,
	    k, 32, k, 4, 0), -1);
	assert_int_equal(rec_dir_init(&d, REC_VERSION_12, 0xc02b, 1, NULL, 0,
	    k, 16, k, 12, 0), -1);
	assert_int_equal(rec_dir_init(&d, REC_VERSION_12, 0xcca9, 1, NULL, 0,
	    k, 32, k, 4, 0), -1);
	assert_int_equal(rec_dir_init(&d, REC_VERSION_12, 0xc02b, 1, NULL, 0,
	    NULL, 16, k, 4, 0), -1);
	assert_null(d.cctx);
	assert_int_equal(d.key[0], 0);

	/* KeyUpdate is TLS 1.3's. */
	assert_int_equal(rec_dir_init(&d, REC_VERSION_12, 0xc02b, 1, NULL, 0,
	    k, 16, k, 4, 7), 0);
	assert_int_equal(rec_dir_update(&d), -1);
	assert_int_equal(d.seq, 7);
	rec_dir_clear(&d);
}

static void
test_header(void **state)
{
	static const unsigned char	 hdr[] = { 0x17, 0x03, 0x03, 0x12,
					    0x34 };
	static const unsigned char	 max[] = { 0x00, 0x00, 0x00, 0xff,
					    0xff };
	size_t				 avail, len;

	(void)state;
	for (avail = 0; avail < REC_HEADER_LEN; avail++) {
		len = 99;
		assert_int_equal(rec_header(hdr, avail, &len), -1);
		assert_int_equal(len, 99);
	}
	assert_int_equal(rec_header(hdr, 5, &len), 0);
	assert_int_equal(len, 5 + 0x1234);
	assert_int_equal(rec_header(max, 5, &len), 0);
	assert_int_equal(len, 5 + 0xffff);
}

/* A state of the version and suite, with distinct bytes in each field. */
static void
state_make(struct rec_state *st, uint16_t version, uint16_t suite)
{
	size_t	secret_len, key_len, iv_len;
	int	i;

	memset(st, 0, sizeof(*st));
	st->version = version;
	st->suite = suite;
	assert_int_equal(rec_suite_sizes(version, suite, &secret_len, &key_len,
	    &iv_len), 0);
	for (i = 0; i < 2; i++) {
		st->dir[i].secret_len = secret_len;
		memset(st->dir[i].secret, 0x10 + i, secret_len);
		st->dir[i].key_len = key_len;
		memset(st->dir[i].key, 0x20 + i, key_len);
		st->dir[i].iv_len = iv_len;
		memset(st->dir[i].iv, 0x30 + i, iv_len);
		st->dir[i].seq = 0x0102030405060708ULL + (uint64_t)i;
	}
}

static void
state_equal(const struct rec_state *a, const struct rec_state *b)
{
	int	i;

	assert_int_equal(a->version, b->version);
	assert_int_equal(a->suite, b->suite);
	for (i = 0; i < 2; i++) {
		assert_int_equal(a->dir[i].secret_len, b->dir[i].secret_len);
		assert_memory_equal(a->dir[i].secret, b->dir[i].secret,
		    a->dir[i].secret_len);
		assert_int_equal(a->dir[i].key_len, b->dir[i].key_len);
		assert_memory_equal(a->dir[i].key, b->dir[i].key,
		    a->dir[i].key_len);
		assert_int_equal(a->dir[i].iv_len, b->dir[i].iv_len);
		assert_memory_equal(a->dir[i].iv, b->dir[i].iv,
		    a->dir[i].iv_len);
		assert_int_equal(a->dir[i].seq, b->dir[i].seq);
	}
}

static void
test_state_round_trip(void **state)
{
	static const struct {
		uint16_t	version, suite;
		size_t		packed;
	} cases[] = {
		{ REC_VERSION_13, 0x1301, 5 + 2 * (3 + 32 + 8) },
		{ REC_VERSION_13, 0x1302, 5 + 2 * (3 + 48 + 8) },
		{ REC_VERSION_12, 0xc02b, 5 + 2 * (3 + 16 + 4 + 8) },
		{ REC_VERSION_12, 0xcca9, 5 + 2 * (3 + 32 + 12 + 8) },
		{ REC_VERSION_12, 0xc0af, 5 + 2 * (3 + 32 + 4 + 8) },
	};
	unsigned char		 buf[REC_STATE_PACKED_MAX], rec[64], out[64];
	struct rec_state	 st, back;
	struct rec_dir		 w, r;
	size_t			 len, plen = 0, i;
	uint8_t			 type = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		state_make(&st, cases[i].version, cases[i].suite);
		len = rec_state_pack(&st, buf);
		assert_int_equal(len, cases[i].packed);
		assert_true(len <= REC_STATE_PACKED_MAX);
		assert_int_equal(buf[0], 1);
		assert_int_equal(buf[1] << 8 | buf[2], cases[i].version);
		assert_int_equal(buf[3] << 8 | buf[4], cases[i].suite);
		assert_int_equal(rec_state_unpack(&back, buf, len), 0);
		state_equal(&st, &back);

		/* What one side's write direction seals, it opens. */
		assert_int_equal(rec_dir_init_state(&w, &back, REC_WRITE, 1),
		    0);
		assert_int_equal(rec_dir_init_state(&r, &back, REC_WRITE, 0),
		    0);
		assert_int_equal(w.seq, st.dir[REC_WRITE].seq);
		assert_int_equal(rec_seal(&w, REC_APPLICATION_DATA,
		    (const unsigned char *)"state", 5, rec), REC_OK);
		assert_int_equal(rec_open(&r, rec, rec_sealed_len(&w, 5), out,
		    &type, &plen), REC_OK);
		assert_int_equal(plen, 5);
		rec_dir_clear(&r);
		/* The other side's does not. */
		assert_int_equal(rec_dir_init_state(&r, &back, REC_READ, 0),
		    0);
		assert_int_equal(r.seq, st.dir[REC_READ].seq);
		r.seq = st.dir[REC_WRITE].seq;
		assert_int_equal(rec_open(&r, rec, rec_sealed_len(&w, 5), out,
		    &type, &plen), REC_BAD_RECORD_MAC);
		rec_dir_clear(&w);
		rec_dir_clear(&r);
		assert_int_equal(rec_dir_init_state(&w, &back, 2, 1), -1);
		assert_null(w.cctx);

		rec_state_cleanse(&back);
		assert_int_equal(back.version | back.suite, 0);
		assert_int_equal(back.dir[0].key[0] | back.dir[1].secret[0], 0);
	}
	/* A length over its maximum is not packed. */
	state_make(&st, REC_VERSION_12, 0xc02b);
	st.dir[REC_READ].iv_len = REC_IV_MAX + 1;
	assert_int_equal(rec_state_pack(&st, buf), 0);
}

/* Unpack must refuse buf with byte i set to v. */
static void
unpack_refuses(const unsigned char *good, size_t len, size_t i,
    unsigned char v)
{
	unsigned char		buf[REC_STATE_PACKED_MAX + 1];
	struct rec_state	st;

	memcpy(buf, good, len);
	buf[i] = v;
	assert_int_equal(rec_state_unpack(&st, buf, len), -1);
	assert_int_equal(st.version | st.suite, 0);
	assert_int_equal(st.dir[0].secret_len | st.dir[0].key_len, 0);
}

static void
test_state_unpack_refuses(void **state)
{
	unsigned char		good13[REC_STATE_PACKED_MAX + 1];
	unsigned char		good12[REC_STATE_PACKED_MAX + 1];
	struct rec_state	st;
	size_t			len13, len12, n;

	(void)state;
	state_make(&st, REC_VERSION_13, 0x1301);
	len13 = rec_state_pack(&st, good13);
	state_make(&st, REC_VERSION_12, 0xc02b);
	len12 = rec_state_pack(&st, good12);

	/* Truncated anywhere, or a byte too many. */
	for (n = 0; n < len13; n++)
		assert_int_equal(rec_state_unpack(&st, good13, n), -1);
	for (n = 0; n < len12; n++)
		assert_int_equal(rec_state_unpack(&st, good12, n), -1);
	good13[len13] = 0;
	assert_int_equal(rec_state_unpack(&st, good13, len13 + 1), -1);

	unpack_refuses(good13, len13, 0, 0);		/* format */
	unpack_refuses(good13, len13, 0, 2);
	unpack_refuses(good13, len13, 2, 0x03);		/* 0x0303 */
	unpack_refuses(good13, len13, 2, 0x02);		/* 0x0302 */
	unpack_refuses(good13, len13, 4, 0x06);		/* 0x1306 */
	unpack_refuses(good12, len12, 3, 0x13);		/* 0x132b */
	unpack_refuses(good12, len12, 4, 0x27);		/* CBC 0xc027 */

	/* Lengths: over the maximum, not the suite's, a 1.3 key. */
	unpack_refuses(good13, len13, 5, REC_SECRET_MAX + 1);
	unpack_refuses(good13, len13, 5, 0xff);
	unpack_refuses(good13, len13, 5, 31);
	unpack_refuses(good13, len13, 5 + 1 + 32, 1);	/* key_len */
	unpack_refuses(good13, len13, 5 + 1 + 32 + 1, 12); /* iv_len */
	unpack_refuses(good12, len12, 5, 16);		/* secret_len */
	unpack_refuses(good12, len12, 6, 32);		/* key_len */
	unpack_refuses(good12, len12, 6, REC_KEY_MAX + 1);
	unpack_refuses(good12, len12, 6 + 1 + 16, 12);	/* iv_len */
	unpack_refuses(good12, len12, 6 + 1 + 16, REC_IV_MAX + 1);
	/* The read direction's too (the write one takes 31 bytes). */
	unpack_refuses(good12, len12, 5 + 31, 1);	/* its secret_len */
	unpack_refuses(good12, len12, 5 + 31 + 1, 0);	/* its key_len */

	/* The unchanged bytes are fine. */
	assert_int_equal(rec_state_unpack(&st, good13, len13), 0);
	assert_int_equal(rec_state_unpack(&st, good12, len12), 0);
	rec_state_cleanse(&st);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_rfc8448_keys),
		cmocka_unit_test(test_rfc8448_server_records),
		cmocka_unit_test(test_rfc8448_client_records),
		cmocka_unit_test(test_rfc8448_key_update),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[0]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[1]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[2]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[3]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[4]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[5]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[6]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[7]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[8]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[9]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[10]),
		cmocka_unit_test_prestate(test_differential,
		    (void *)&diff_cases[11]),
		cmocka_unit_test(test_open_tampered),
		cmocka_unit_test(test_open_overflow),
		cmocka_unit_test(test_open_13_inner),
		cmocka_unit_test(test_open_13_outer_type),
		cmocka_unit_test(test_open_12_version),
		cmocka_unit_test(test_open_short),
		cmocka_unit_test(test_seq_exhausted),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_open_failure_leaves_nothing),
		cmocka_unit_test(test_sealed_len_and_limits),
		cmocka_unit_test(test_suite_supported),
		cmocka_unit_test(test_dir_init_refuses),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_unpack_refuses),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
