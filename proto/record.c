/*
 * TLS record protection with AEAD suites (record.h): the suites, keying a
 * direction, sealing and opening one record.
 *
 * A direction's EVP_CIPHER_CTX is keyed once; each record only sets its
 * nonce, as libssl does.  AES-CCM needs more per record than the other
 * modes: the total length before the AAD, and all the data in one update
 * (EVP_EncryptInit(3), "CCM Mode").
 */

#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "record.h"

#define NONCE_LEN	12
#define EXPLICIT_LEN	8
#define AAD_LEN_12	13
#define TAG_LEN		16
#define TAG_LEN_CCM8	8

enum mode {
	MODE_GCM,
	MODE_CHACHA,
	MODE_CCM
};

/* The AEAD algorithms; rec_dir.aead indexes this table. */
static const struct aead {
	const char	*name;		/* EVP_CIPHER_fetch() */
	enum mode	 mode;
	size_t		 key_len;
} aeads[] = {
#define AEAD_AES_128_GCM	0
	{ "AES-128-GCM", MODE_GCM, 16 },
#define AEAD_AES_256_GCM	1
	{ "AES-256-GCM", MODE_GCM, 32 },
#define AEAD_CHACHA20_POLY1305	2
	{ "ChaCha20-Poly1305", MODE_CHACHA, 32 },
#define AEAD_AES_128_CCM	3
	{ "AES-128-CCM", MODE_CCM, 16 },
#define AEAD_AES_256_CCM	4
	{ "AES-256-CCM", MODE_CCM, 32 },
};

/*
 * The suites: the five of TLS 1.3, and every TLS 1.2 suite with AES-GCM,
 * ChaCha20-Poly1305 or AES-CCM records that OpenSSL 3.0 implements (the
 * key exchange does not change the records).
 */
static const struct suite {
	uint16_t	 version;
	uint16_t	 id;
	int		 aead;
	size_t		 tag_len;
	const char	*md;		/* TLS 1.3: the key schedule's hash */
	size_t		 md_len;
} suites[] = {
	{ REC_VERSION_13, 0x1301, AEAD_AES_128_GCM, TAG_LEN, "SHA256", 32 },
	{ REC_VERSION_13, 0x1302, AEAD_AES_256_GCM, TAG_LEN, "SHA384", 48 },
	{ REC_VERSION_13, 0x1303, AEAD_CHACHA20_POLY1305, TAG_LEN, "SHA256",
	    32 },
	{ REC_VERSION_13, 0x1304, AEAD_AES_128_CCM, TAG_LEN, "SHA256", 32 },
	{ REC_VERSION_13, 0x1305, AEAD_AES_128_CCM, TAG_LEN_CCM8, "SHA256",
	    32 },

	/* AES-128-GCM: ECDHE-ECDSA, ECDHE-RSA, DHE-RSA, DHE-DSS, ADH, RSA,
	 * PSK, DHE-PSK, RSA-PSK. */
	{ REC_VERSION_12, 0xc02b, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc02f, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x009e, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00a2, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00a6, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x009c, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00a8, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00aa, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00ac, AEAD_AES_128_GCM, TAG_LEN, NULL, 0 },

	/* AES-256-GCM, the same key exchanges. */
	{ REC_VERSION_12, 0xc02c, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc030, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x009f, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00a3, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00a7, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x009d, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00a9, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00ab, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0x00ad, AEAD_AES_256_GCM, TAG_LEN, NULL, 0 },

	/* ChaCha20-Poly1305 (RFC 7905): ECDHE-RSA, ECDHE-ECDSA, DHE-RSA,
	 * PSK, ECDHE-PSK, DHE-PSK, RSA-PSK. */
	{ REC_VERSION_12, 0xcca8, AEAD_CHACHA20_POLY1305, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xcca9, AEAD_CHACHA20_POLY1305, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xccaa, AEAD_CHACHA20_POLY1305, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xccab, AEAD_CHACHA20_POLY1305, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xccac, AEAD_CHACHA20_POLY1305, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xccad, AEAD_CHACHA20_POLY1305, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xccae, AEAD_CHACHA20_POLY1305, TAG_LEN, NULL, 0 },

	/* AES-CCM and AES-CCM-8 (RFC 6655, RFC 7251): RSA, DHE-RSA, PSK,
	 * DHE-PSK, ECDHE-ECDSA. */
	{ REC_VERSION_12, 0xc09c, AEAD_AES_128_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc09d, AEAD_AES_256_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc09e, AEAD_AES_128_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc09f, AEAD_AES_256_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc0a0, AEAD_AES_128_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0a1, AEAD_AES_256_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0a2, AEAD_AES_128_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0a3, AEAD_AES_256_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0a4, AEAD_AES_128_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc0a5, AEAD_AES_256_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc0a6, AEAD_AES_128_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc0a7, AEAD_AES_256_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc0a8, AEAD_AES_128_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0a9, AEAD_AES_256_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0aa, AEAD_AES_128_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0ab, AEAD_AES_256_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0ac, AEAD_AES_128_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc0ad, AEAD_AES_256_CCM, TAG_LEN, NULL, 0 },
	{ REC_VERSION_12, 0xc0ae, AEAD_AES_128_CCM, TAG_LEN_CCM8, NULL, 0 },
	{ REC_VERSION_12, 0xc0af, AEAD_AES_256_CCM, TAG_LEN_CCM8, NULL, 0 },
};

static const struct suite *
suite_find(uint16_t version, uint16_t id)
{
	size_t	i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (suites[i].version == version && suites[i].id == id)
			return (&suites[i]);
	}
	return (NULL);
}

int
rec_suite_supported(uint16_t version, uint16_t suite)
{
	return (suite_find(version, suite) != NULL);
}

int
rec_suite_sizes(uint16_t version, uint16_t suite, size_t *secret_len,
    size_t *key_len, size_t *iv_len)
{
	const struct suite	*s;

	if ((s = suite_find(version, suite)) == NULL)
		return (-1);
	if (version == REC_VERSION_13) {
		*secret_len = s->md_len;
		*key_len = *iv_len = 0;
	} else {
		*secret_len = 0;
		*key_len = aeads[s->aead].key_len;
		*iv_len = aeads[s->aead].mode == MODE_CHACHA ? NONCE_LEN : 4;
	}
	return (0);
}

/* HKDF-Expand-Label(secret, label, "", len) of RFC 8446 7.1. */
static int
expand_label(const char *md, const unsigned char *secret, size_t secret_len,
    const char *label, unsigned char *out, size_t len)
{
	OSSL_PARAM	 params[6];
	EVP_KDF_CTX	*kctx = NULL;
	EVP_KDF		*kdf;
	int		 mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, rv = -1;

	if ((kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_3_KDF, NULL)) == NULL)
		goto out;
	if ((kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)md, 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)secret, secret_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX,
	    (void *)"tls13 ", 6);
	params[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL,
	    (void *)label, strlen(label));
	params[5] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, len, params) == 1)
		rv = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return (rv);
}

/* TLS 1.3: the key and iv of d's traffic secret (RFC 8446 7.3). */
static int
derive_key_iv(struct rec_dir *d, const struct suite *s)
{
	size_t	key_len = aeads[s->aead].key_len;

	if (expand_label(s->md, d->secret, d->secret_len, "key", d->key,
	    key_len) != 0 || expand_label(s->md, d->secret, d->secret_len,
	    "iv", d->iv, NONCE_LEN) != 0)
		return (-1);
	d->key_len = key_len;
	d->iv_len = NONCE_LEN;
	return (0);
}

/* A new cipher context for d, keyed; CCM's lengths come before the key. */
static int
cipher_new(struct rec_dir *d)
{
	const struct aead	*a = &aeads[d->aead];
	EVP_CIPHER_CTX		*ctx = NULL;
	EVP_CIPHER		*cipher;
	int			 rv = -1;

	if ((cipher = EVP_CIPHER_fetch(NULL, a->name, NULL)) == NULL)
		goto out;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (!EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, d->seal))
		goto out;
	if (a->mode == MODE_CCM && (EVP_CIPHER_CTX_ctrl(ctx,
	    EVP_CTRL_AEAD_SET_IVLEN, NONCE_LEN, NULL) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)d->tag_len,
	    NULL) <= 0))
		goto out;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, d->key, NULL, d->seal))
		goto out;
	d->cctx = ctx;
	ctx = NULL;
	rv = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return (rv);
}

int
rec_dir_init(struct rec_dir *d, uint16_t version, uint16_t suite, int seal,
    const unsigned char *secret, size_t secret_len, const unsigned char *key,
    size_t key_len, const unsigned char *iv, size_t iv_len, uint64_t seq)
{
	const struct suite	*s;
	size_t			 want_secret, want_key, want_iv;

	memset(d, 0, sizeof(*d));
	if ((s = suite_find(version, suite)) == NULL)
		return (-1);
	rec_suite_sizes(version, suite, &want_secret, &want_key, &want_iv);
	d->version = version;
	d->suite = suite;
	d->seal = seal != 0;
	d->aead = s->aead;
	d->tag_len = s->tag_len;
	d->seq = seq;
	if (version == REC_VERSION_13) {
		if (secret == NULL || secret_len != want_secret)
			goto fail;
		memcpy(d->secret, secret, secret_len);
		d->secret_len = secret_len;
		if (derive_key_iv(d, s) != 0)
			goto fail;
		switch (aeads[s->aead].mode) {
		case MODE_GCM:
			d->limit = (uint64_t)1 << 24;
			break;
		case MODE_CCM:
			d->limit = (uint64_t)1 << 23;
			break;
		case MODE_CHACHA:
			d->limit = UINT64_MAX;
			break;
		}
	} else {
		if (key == NULL || iv == NULL || key_len != want_key ||
		    iv_len != want_iv)
			goto fail;
		memcpy(d->key, key, key_len);
		d->key_len = key_len;
		memcpy(d->iv, iv, iv_len);
		d->iv_len = iv_len;
		if (aeads[s->aead].mode != MODE_CHACHA)
			d->explicit_len = EXPLICIT_LEN;
		d->limit = UINT64_MAX;
	}
	if (cipher_new(d) != 0)
		goto fail;
	return (0);
fail:
	rec_dir_clear(d);
	return (-1);
}

int
rec_dir_update(struct rec_dir *d)
{
	const struct suite	*s;
	unsigned char		 next[REC_SECRET_MAX];
	int			 rv = -1;

	/* A direction that a failed update left unusable stays so. */
	if (d->cctx == NULL || d->version != REC_VERSION_13 ||
	    d->seq == UINT64_MAX ||
	    (s = suite_find(d->version, d->suite)) == NULL)
		return (-1);
	if (expand_label(s->md, d->secret, d->secret_len, "traffic upd", next,
	    d->secret_len) != 0)
		goto out;
	memcpy(d->secret, next, d->secret_len);
	if (derive_key_iv(d, s) != 0 ||
	    !EVP_CipherInit_ex(d->cctx, NULL, NULL, d->key, NULL, d->seal))
		goto out;
	d->seq = 0;
	rv = 0;
out:
	/* Half updated, the direction seals and opens nothing more. */
	if (rv != 0)
		d->seq = UINT64_MAX;
	OPENSSL_cleanse(next, sizeof(next));
	return (rv);
}

void
rec_dir_clear(struct rec_dir *d)
{
	EVP_CIPHER_CTX_free(d->cctx);
	OPENSSL_cleanse(d, sizeof(*d));
}

size_t
rec_sealed_len(const struct rec_dir *d, size_t len)
{
	return (REC_HEADER_LEN + d->explicit_len + len +
	    (d->version == REC_VERSION_13) + d->tag_len);
}

int
rec_header(const unsigned char *buf, size_t avail, size_t *len)
{
	if (avail < REC_HEADER_LEN)
		return (-1);
	*len = REC_HEADER_LEN + ((size_t)buf[3] << 8 | buf[4]);
	return (0);
}

int
rec_header_plausible(const unsigned char *buf)
{
	return (buf[0] >= REC_CHANGE_CIPHER_SPEC &&
	    buf[0] <= REC_APPLICATION_DATA && buf[1] == 3);
}

static void
put_be64(unsigned char *p, uint64_t v)
{
	int	i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (56 - 8 * i);
}

static void
put_header(unsigned char *p, uint8_t type, size_t len)
{
	p[0] = type;
	p[1] = REC_VERSION_12 >> 8;
	p[2] = REC_VERSION_12 & 0xff;
	p[3] = len >> 8;
	p[4] = len & 0xff;
}

/*
 * The nonce of record seq: the 1.2 AES-GCM and AES-CCM salt and explicit
 * part (RFC 5288 3), otherwise the iv XOR the padded seq (RFC 8446 5.3,
 * RFC 7905 2).
 */
static void
nonce_make(const struct rec_dir *d, uint64_t seq, const unsigned char *explicit,
    unsigned char *nonce)
{
	int	i;

	if (d->explicit_len != 0) {
		memcpy(nonce, d->iv, NONCE_LEN - EXPLICIT_LEN);
		memcpy(nonce + NONCE_LEN - EXPLICIT_LEN, explicit, EXPLICIT_LEN);
		return;
	}
	memcpy(nonce, d->iv, NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[NONCE_LEN - 8 + i] ^= seq >> (56 - 8 * i);
}

/*
 * Start one record: its nonce, the tag to check when opening, CCM's total
 * length (len), the AAD.
 */
static int
aead_begin(struct rec_dir *d, const unsigned char *nonce,
    const unsigned char *aad, size_t aad_len, size_t len,
    const unsigned char *tag)
{
	EVP_CIPHER_CTX	*ctx = d->cctx;
	int		 n;

	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, d->seal))
		return (-1);
	if (!d->seal && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
	    (int)d->tag_len, (void *)tag) <= 0)
		return (-1);
	if (aeads[d->aead].mode == MODE_CCM &&
	    !EVP_CipherUpdate(ctx, NULL, &n, NULL, (int)len))
		return (-1);
	if (!EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
		return (-1);
	return (0);
}

/*
 * Encrypt or decrypt len bytes.  An empty update is skipped except with
 * CCM, whose one update also computes or checks the tag; CCM reads a NULL
 * input as the final call, hence a valid pointer for an empty one.
 */
static int
aead_update(struct rec_dir *d, unsigned char *out, const unsigned char *in,
    size_t len)
{
	static const unsigned char	 empty[1];
	int				 n;

	if (len == 0 && aeads[d->aead].mode != MODE_CCM)
		return (0);
	if (in == NULL)
		in = empty;
	if (!EVP_CipherUpdate(d->cctx, out, &n, in, (int)len) ||
	    (size_t)n != len)
		return (-1);
	return (0);
}

/* End one record: the tag computed into tag, or checked. */
static int
aead_end(struct rec_dir *d, unsigned char *out, unsigned char *tag)
{
	int	n;

	if (!EVP_CipherFinal_ex(d->cctx, out, &n) || n != 0)
		return (-1);
	if (d->seal && EVP_CIPHER_CTX_ctrl(d->cctx, EVP_CTRL_AEAD_GET_TAG,
	    (int)d->tag_len, tag) <= 0)
		return (-1);
	return (0);
}

/* TLS 1.3: content || type, no padding, in an application_data record. */
static int
seal_13(struct rec_dir *d, uint8_t type, const unsigned char *in, size_t len,
    unsigned char *out)
{
	unsigned char	 nonce[NONCE_LEN], *ct = out + REC_HEADER_LEN;

	put_header(out, REC_APPLICATION_DATA, len + 1 + d->tag_len);
	nonce_make(d, d->seq, NULL, nonce);
	if (aead_begin(d, nonce, out, REC_HEADER_LEN, len + 1, NULL) != 0)
		return (-1);
	if (aeads[d->aead].mode == MODE_CCM) {
		if (len > 0)
			memcpy(ct, in, len);
		ct[len] = type;
		if (aead_update(d, ct, ct, len + 1) != 0)
			return (-1);
	} else if (aead_update(d, ct, in, len) != 0 ||
	    aead_update(d, ct + len, &type, 1) != 0)
		return (-1);
	return (aead_end(d, ct + len + 1, ct + len + 1));
}

/* TLS 1.2: the explicit nonce (AES-GCM, AES-CCM), the ciphertext, tag. */
static int
seal_12(struct rec_dir *d, uint8_t type, const unsigned char *in, size_t len,
    unsigned char *out)
{
	unsigned char	 nonce[NONCE_LEN], aad[AAD_LEN_12], *ct;

	put_header(out, type, d->explicit_len + len + d->tag_len);
	if (d->explicit_len != 0)
		put_be64(out + REC_HEADER_LEN, d->seq);
	ct = out + REC_HEADER_LEN + d->explicit_len;
	nonce_make(d, d->seq, out + REC_HEADER_LEN, nonce);
	put_be64(aad, d->seq);
	put_header(aad + 8, type, len);
	if (aead_begin(d, nonce, aad, sizeof(aad), len, NULL) != 0 ||
	    aead_update(d, ct, in, len) != 0)
		return (-1);
	return (aead_end(d, ct + len, ct + len));
}

int
rec_seal(struct rec_dir *d, uint8_t type, const unsigned char *in, size_t len,
    unsigned char *out)
{
	int	rv;

	if (d->cctx == NULL || !d->seal || d->seq == UINT64_MAX ||
	    len > REC_MAX_PLAIN)
		return (REC_INTERNAL_ERROR);
	if (d->version == REC_VERSION_13)
		rv = seal_13(d, type, in, len, out);
	else
		rv = seal_12(d, type, in, len, out);
	if (rv != 0)
		return (REC_INTERNAL_ERROR);
	d->seq++;
	return (REC_OK);
}

/*
 * Decrypt len bytes at ct into out with the tag at ct + len.  Nothing of
 * what did not verify stays in out, nor in the thread's OpenSSL error
 * queue (the providers raise "cipher operation failed"), where it would
 * confuse the next SSL_get_error() of the caller's.
 */
static int
aead_open(struct rec_dir *d, const unsigned char *nonce,
    const unsigned char *aad, size_t aad_len, const unsigned char *ct,
    size_t len, unsigned char *out)
{
	if (aead_begin(d, nonce, aad, aad_len, len, ct + len) != 0)
		return (REC_INTERNAL_ERROR);
	ERR_set_mark();
	if (aead_update(d, out, ct, len) != 0 ||
	    aead_end(d, out + len, NULL) != 0) {
		ERR_pop_to_mark();
		OPENSSL_cleanse(out, len);
		return (REC_BAD_RECORD_MAC);
	}
	ERR_clear_last_mark();
	return (REC_OK);
}

/* Whether [a, a + alen) and [b, b + blen) share a byte. */
static int
overlap(const void *a, size_t alen, const void *b, size_t blen)
{
	uintptr_t	pa = (uintptr_t)a, pb = (uintptr_t)b;

	return (pa < pb + blen && pb < pa + alen);
}

/*
 * TLS 1.3 (RFC 8446 5.2, 5.4): an application_data record; the content
 * type is the last non-zero byte of the plaintext.
 */
static int
open_13(struct rec_dir *d, const unsigned char *rec, size_t len,
    unsigned char *out, uint8_t *type, size_t *plain_len)
{
	const unsigned char	*ct = rec + REC_HEADER_LEN;
	unsigned char		 nonce[NONCE_LEN];
	size_t			 clen = len - REC_HEADER_LEN, n;
	int			 rv;

	if (rec[0] != REC_APPLICATION_DATA)
		return (REC_UNEXPECTED_MESSAGE);
	if (clen > REC_MAX_CIPHER_13)
		return (REC_RECORD_OVERFLOW);
	if (clen < d->tag_len + 1)
		return (REC_BAD_RECORD_MAC);
	n = clen - d->tag_len;
	if (out != ct && overlap(out, n, rec, len))
		return (REC_INTERNAL_ERROR);
	nonce_make(d, d->seq, NULL, nonce);
	if ((rv = aead_open(d, nonce, rec, REC_HEADER_LEN, ct, n, out)) !=
	    REC_OK)
		return (rv);
	while (n > 0 && out[n - 1] == 0)
		n--;
	if (n == 0)
		return (REC_UNEXPECTED_MESSAGE);
	if (n - 1 > REC_MAX_PLAIN)
		return (REC_RECORD_OVERFLOW);
	*type = out[n - 1];
	*plain_len = n - 1;
	return (REC_OK);
}

/*
 * TLS 1.2 (RFC 5246 6.2.3.3).  In place, AES-GCM and AES-CCM decrypt the
 * ciphertext where it is and move the plaintext over the explicit nonce:
 * OpenSSL's ciphers take the same or separate buffers, nothing between.
 */
static int
open_12(struct rec_dir *d, const unsigned char *rec, size_t len,
    unsigned char *out, uint8_t *type, size_t *plain_len)
{
	const unsigned char	*ct = rec + REC_HEADER_LEN + d->explicit_len;
	unsigned char		 nonce[NONCE_LEN], aad[AAD_LEN_12], *dst = out;
	size_t			 clen = len - REC_HEADER_LEN, n;
	int			 rv;

	if (rec[1] != REC_VERSION_12 >> 8 || rec[2] != (REC_VERSION_12 & 0xff))
		return (REC_PROTOCOL_VERSION);
	if (clen > REC_MAX_CIPHER_12)
		return (REC_RECORD_OVERFLOW);
	if (clen < d->explicit_len + d->tag_len)
		return (REC_BAD_RECORD_MAC);
	n = clen - d->explicit_len - d->tag_len;
	if (n > REC_MAX_PLAIN)
		return (REC_RECORD_OVERFLOW);
	if (out == rec + REC_HEADER_LEN)
		dst = out + d->explicit_len;
	else if (overlap(out, n, rec, len))
		return (REC_INTERNAL_ERROR);
	nonce_make(d, d->seq, rec + REC_HEADER_LEN, nonce);
	put_be64(aad, d->seq);
	put_header(aad + 8, rec[0], n);
	if ((rv = aead_open(d, nonce, aad, sizeof(aad), ct, n, dst)) != REC_OK)
		return (rv);
	if (dst != out)
		memmove(out, dst, n);
	*type = rec[0];
	*plain_len = n;
	return (REC_OK);
}

int
rec_open(struct rec_dir *d, const unsigned char *rec, size_t len,
    unsigned char *out, uint8_t *type, size_t *plain_len)
{
	size_t	reclen;
	int	rv;

	if (d->cctx == NULL || d->seal || d->seq == UINT64_MAX ||
	    rec_header(rec, len, &reclen) != 0 || reclen != len)
		return (REC_INTERNAL_ERROR);
	if (d->version == REC_VERSION_13)
		rv = open_13(d, rec, len, out, type, plain_len);
	else
		rv = open_12(d, rec, len, out, type, plain_len);
	if (rv == REC_OK)
		d->seq++;
	return (rv);
}
