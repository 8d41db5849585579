/*
 * The record state of a mapped context: when its handshake completes, the
 * traffic secrets (TLS 1.3) or keys and IVs (TLS 1.2) and sequence numbers
 * that let the application's process protect the context's records itself
 * (proto/record.h), packed for the library.  The daemon's SSL object stays
 * at those first keys: this file also keeps the two directions through
 * which the daemon speaks to it afterwards, sealing the peer's
 * post-handshake messages as the peer would and opening what the SSL object
 * writes, each at the sequence number the SSL object is at.  It knows no
 * sockets and no JSON, and logs nothing.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "secctxd.h"
#include "record.h"

#define LABEL_CLIENT	"CLIENT_TRAFFIC_SECRET_0 "
#define LABEL_SERVER	"SERVER_TRAFFIC_SECRET_0 "
#define KEY_EXPANSION	"key expansion"		/* RFC 5246 6.3 */

struct ctx_map {
	/* TLS 1.3: the first application traffic secrets (keylog). */
	unsigned char	 client_secret[REC_SECRET_MAX];
	size_t		 client_secret_len;
	unsigned char	 server_secret[REC_SECRET_MAX];
	size_t		 server_secret_len;
	/* Once mapped: toward the SSL object, and from it. */
	int		 keyed;
	struct rec_dir	 to_ssl;	/* seals as the peer */
	struct rec_dir	 from_ssl;	/* opens what the SSL object wrote */
	/* The packed state, until it is sent. */
	unsigned char	 packed[REC_STATE_PACKED_MAX];
	size_t		 packed_len;
};

struct ctx_map *
ctx_map_new(void)
{
	return (calloc(1, sizeof(struct ctx_map)));
}

void
ctx_map_free(struct ctx_map *m)
{
	if (m == NULL)
		return;
	if (m->keyed) {
		rec_dir_clear(&m->to_ssl);
		rec_dir_clear(&m->from_ssl);
	}
	OPENSSL_clear_free(m, sizeof(*m));
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* The hex at s, up to its end, into out; its length, or 0 if not hex. */
static size_t
hex_decode(const char *s, unsigned char *out, size_t cap)
{
	size_t	n = 0;
	int	hi, lo;

	while (*s != '\0') {
		if (n == cap || (hi = hex_value(s[0])) < 0 ||
		    (lo = hex_value(s[1])) < 0) {
			OPENSSL_cleanse(out, cap);
			return (0);
		}
		out[n++] = hi << 4 | lo;
		s += 2;
	}
	return (n);
}

/*
 * A line of OpenSSL's key log ("LABEL <client random> <secret>", hex):
 * only the first application traffic secrets are kept.
 */
void
ctx_map_keylog(struct ctx_map *m, const char *line)
{
	const char	*p;

	if (strncmp(line, LABEL_CLIENT, strlen(LABEL_CLIENT)) == 0 &&
	    (p = strchr(line + strlen(LABEL_CLIENT), ' ')) != NULL)
		m->client_secret_len = hex_decode(p + 1, m->client_secret,
		    sizeof(m->client_secret));
	else if (strncmp(line, LABEL_SERVER, strlen(LABEL_SERVER)) == 0 &&
	    (p = strchr(line + strlen(LABEL_SERVER), ' ')) != NULL)
		m->server_secret_len = hex_decode(p + 1, m->server_secret,
		    sizeof(m->server_secret));
}

/* The number of whole records in buf; -1 if it does not hold records. */
static long
records_count(const unsigned char *buf, size_t len)
{
	size_t	off = 0, reclen;
	long	n = 0;

	while (off < len) {
		if (rec_header(buf + off, len - off, &reclen) != 0 ||
		    reclen > len - off)
			return (-1);
		off += reclen;
		n++;
	}
	return (n);
}

/*
 * TLS 1.3: the traffic secrets.  Neither side has read an application
 * record, nor has a client written one; a server has written the session
 * tickets of the step that completed its handshake, under its first key.
 */
static secctx_status
state_13(struct ctx_map *m, enum direction dir, const unsigned char *out,
    size_t out_len, struct rec_state *st, struct sc_err *err)
{
	struct rec_state_dir	*client, *server;
	long			 written = 0;

	if (m->client_secret_len == 0 || m->server_secret_len == 0)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "the traffic "
		    "secrets of the handshake are missing"));
	if (dir == DIR_INBOUND && (written = records_count(out,
	    out_len)) < 0)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "the handshake's "
		    "last output is not whole records"));
	client = &st->dir[dir == DIR_OUTBOUND ? REC_WRITE : REC_READ];
	server = &st->dir[dir == DIR_OUTBOUND ? REC_READ : REC_WRITE];
	memcpy(client->secret, m->client_secret, m->client_secret_len);
	client->secret_len = m->client_secret_len;
	memcpy(server->secret, m->server_secret, m->server_secret_len);
	server->secret_len = m->server_secret_len;
	st->dir[REC_WRITE].seq = (uint64_t)written;
	st->dir[REC_READ].seq = 0;
	return (SEC_E_OK);
}

/* The TLS 1.2 PRF with the suite's digest (RFC 5246 5). */
static int
prf_12(const EVP_MD *md, const unsigned char *secret, size_t secret_len,
    const unsigned char *seed, size_t seed_len, unsigned char *out,
    size_t len)
{
	OSSL_PARAM	 params[4];
	EVP_KDF_CTX	*kctx = NULL;
	EVP_KDF		*kdf;
	int		 ok = 0;

	if ((kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL)) == NULL)
		goto out;
	if ((kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
	    (void *)secret, secret_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
	    (void *)seed, seed_len);
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, len, params) == 1;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return (ok);
}

/*
 * TLS 1.2 (AEAD suites, RFC 5246 6.3): the key block from the master
 * secret, the client's and the server's write keys and implicit IVs, no
 * MAC keys.  Each side has sent and read one record under them: Finished.
 */
static secctx_status
state_12(SSL *ssl, const SSL_CIPHER *cipher, enum direction dir,
    struct rec_state *st, struct sc_err *err)
{
	unsigned char		 master[SSL_MAX_MASTER_KEY_LENGTH];
	unsigned char		 seed[sizeof(KEY_EXPANSION) - 1 +
				    2 * SSL3_RANDOM_SIZE];
	unsigned char		 block[2 * (REC_KEY_MAX + REC_IV_MAX)];
	const EVP_MD		*md = SSL_CIPHER_get_handshake_digest(cipher);
	struct rec_state_dir	*client, *server;
	size_t			 mlen, slen, klen, ivlen, off;

	off = sizeof(KEY_EXPANSION) - 1;
	memcpy(seed, KEY_EXPANSION, off);
	if (md == NULL || rec_suite_sizes(st->version, st->suite, &slen,
	    &klen, &ivlen) != 0 || klen > REC_KEY_MAX || ivlen > REC_IV_MAX ||
	    (mlen = SSL_SESSION_get_master_key(SSL_get_session(ssl), master,
	    sizeof(master))) == 0 ||
	    SSL_get_server_random(ssl, seed + off, SSL3_RANDOM_SIZE) !=
	    SSL3_RANDOM_SIZE ||
	    SSL_get_client_random(ssl, seed + off + SSL3_RANDOM_SIZE,
	    SSL3_RANDOM_SIZE) != SSL3_RANDOM_SIZE) {
		sc_seterr(err, SEC_E_INTERNAL_ERROR, "the keys of the "
		    "handshake are missing");
		goto out;
	}
	if (!prf_12(md, master, mlen, seed, sizeof(seed), block,
	    2 * (klen + ivlen))) {
		sc_seterr(err, SEC_E_INTERNAL_ERROR, "the key expansion "
		    "failed: %s", ssl_reason());
		goto out;
	}
	client = &st->dir[dir == DIR_OUTBOUND ? REC_WRITE : REC_READ];
	server = &st->dir[dir == DIR_OUTBOUND ? REC_READ : REC_WRITE];
	memcpy(client->key, block, klen);
	memcpy(server->key, block + klen, klen);
	memcpy(client->iv, block + 2 * klen, ivlen);
	memcpy(server->iv, block + 2 * klen + ivlen, ivlen);
	client->key_len = server->key_len = klen;
	client->iv_len = server->iv_len = ivlen;
	client->seq = server->seq = 1;
	sc_clearerr(err);
out:
	OPENSSL_cleanse(master, sizeof(master));
	OPENSSL_cleanse(block, sizeof(block));
	return (err->status);
}

/*
 * At the end of the handshake: the record state, packed for the
 * application (ctx_map_packed()), and the daemon's own two directions.
 * *mapped 0 when the suite is not one the record layer protects (nothing
 * is held then).
 */
secctx_status
ctx_map_capture(struct ctx_map *m, SSL *ssl, enum direction dir,
    const unsigned char *out, size_t out_len, int *mapped,
    struct sc_err *err)
{
	const SSL_CIPHER	*cipher = SSL_get_current_cipher(ssl);
	struct rec_state	 st;

	*mapped = 0;
	memset(&st, 0, sizeof(st));
	sc_clearerr(err);
	if (cipher == NULL)
		goto out;
	st.version = SSL_version(ssl) == TLS1_3_VERSION ? REC_VERSION_13 :
	    REC_VERSION_12;
	st.suite = SSL_CIPHER_get_protocol_id(cipher);
	/*
	 * A negotiated maximum fragment length (RFC 6066 4) binds both
	 * sides' records: such a context keeps its records here.
	 */
	if ((SSL_version(ssl) != TLS1_3_VERSION &&
	    SSL_version(ssl) != TLS1_2_VERSION) ||
	    !rec_suite_supported(st.version, st.suite) ||
	    SSL_SESSION_get_max_fragment_length(SSL_get_session(ssl)) !=
	    TLSEXT_max_fragment_length_DISABLED)
		goto out;
	if ((st.version == REC_VERSION_13 ? state_13(m, dir, out, out_len,
	    &st, err) : state_12(ssl, cipher, dir, &st, err)) != SEC_E_OK)
		goto out;
	if (rec_dir_init_state(&m->to_ssl, &st, REC_READ, 1) != 0) {
		sc_seterr(err, SEC_E_INTERNAL_ERROR, "cannot key the record "
		    "layer");
		goto out;
	}
	if (rec_dir_init_state(&m->from_ssl, &st, REC_WRITE, 0) != 0) {
		rec_dir_clear(&m->to_ssl);
		sc_seterr(err, SEC_E_INTERNAL_ERROR, "cannot key the record "
		    "layer");
		goto out;
	}
	m->keyed = 1;
	m->packed_len = rec_state_pack(&st, m->packed);
	*mapped = 1;
out:
	rec_state_cleanse(&st);
	OPENSSL_cleanse(m->client_secret, sizeof(m->client_secret));
	OPENSSL_cleanse(m->server_secret, sizeof(m->server_secret));
	m->client_secret_len = m->server_secret_len = 0;
	return (err->status);
}

/* The packed state until ctx_map_packed_clear(); len 0 once cleared. */
void
ctx_map_packed(const struct ctx_map *m, const unsigned char **p, size_t *len)
{
	*p = m->packed_len > 0 ? m->packed : NULL;
	*len = m->packed_len;
}

void
ctx_map_packed_clear(struct ctx_map *m)
{
	OPENSSL_cleanse(m->packed, sizeof(m->packed));
	m->packed_len = 0;
}

/*
 * The peer's handshake messages (len > 0 bytes) as the records the SSL
 * object expects next: handshake records of at most REC_MAX_PLAIN bytes,
 * sealed in a new buffer at *out.
 */
secctx_status
ctx_map_seal(struct ctx_map *m, const unsigned char *in, size_t len,
    unsigned char **out, size_t *out_len, struct sc_err *err)
{
	unsigned char	*buf;
	size_t		 off, n, total = 0;

	*out = NULL;
	*out_len = 0;
	for (off = 0; off < len; off += n) {
		n = len - off < REC_MAX_PLAIN ? len - off : REC_MAX_PLAIN;
		total += rec_sealed_len(&m->to_ssl, n);
	}
	if ((buf = malloc(total)) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	total = 0;
	for (off = 0; off < len; off += n) {
		n = len - off < REC_MAX_PLAIN ? len - off : REC_MAX_PLAIN;
		if (rec_seal(&m->to_ssl, REC_HANDSHAKE, in + off, n,
		    buf + total) != REC_OK) {
			free(buf);
			return (sc_seterr(err, SEC_E_INTERNAL_ERROR,
			    "cannot seal a handshake record"));
		}
		total += rec_sealed_len(&m->to_ssl, n);
	}
	*out = buf;
	*out_len = total;
	return (SEC_E_OK);
}

/*
 * The records the SSL object wrote (in, len bytes), opened into out (room
 * for len bytes) as TLSPlaintext records: type, version 0x0303, length,
 * the plaintext.
 */
secctx_status
ctx_map_open(struct ctx_map *m, const unsigned char *in, size_t len,
    unsigned char *out, size_t *out_len, struct sc_err *err)
{
	size_t	off = 0, reclen, plain_len;
	uint8_t	type;
	int	alert;

	*out_len = 0;
	while (off < len) {
		if (rec_header(in + off, len - off, &reclen) != 0 ||
		    reclen > len - off)
			return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "the TLS "
			    "output is not whole records"));
		if ((alert = rec_open(&m->from_ssl, in + off, reclen,
		    out + *out_len + REC_HEADER_LEN, &type,
		    &plain_len)) != REC_OK)
			return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "cannot "
			    "open the TLS output (alert %d)", alert));
		out[*out_len] = type;
		out[*out_len + 1] = REC_VERSION_12 >> 8;
		out[*out_len + 2] = REC_VERSION_12 & 0xff;
		out[*out_len + 3] = plain_len >> 8;
		out[*out_len + 4] = plain_len & 0xff;
		*out_len += REC_HEADER_LEN + plain_len;
		off += reclen;
	}
	return (SEC_E_OK);
}

/*
 * TLS 1.3 KeyUpdate of one of the daemon's directions: to_ssl (the peer's
 * key, as the SSL object reads it) or not (the key it writes with).
 */
secctx_status
ctx_map_update(struct ctx_map *m, int to_ssl, struct sc_err *err)
{
	if (rec_dir_update(to_ssl ? &m->to_ssl : &m->from_ssl) != 0)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR,
		    "cannot update a traffic key"));
	return (SEC_E_OK);
}
