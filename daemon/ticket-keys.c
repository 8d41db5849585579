/*
 * Session ticket keys for the server side (RFC 5077 format, as OpenSSL
 * seals tickets: AES-256-CBC and HMAC-SHA256).  The daemon makes a fresh
 * secret when the current one is older than the rotation period and still
 * opens tickets of the previous secret, asking for a renewed ticket; older
 * tickets fall back to a full handshake.
 *
 * Each server credential seals its tickets under keys of its own: the key
 * name, the cipher key and the MAC key are HKDF-SHA256 of the secret with
 * the credential's session id context (a digest of its name and of the
 * configuration's generation, creds.c) as info.  A ticket of one
 * credential, or of the credential before a reload, carries a key name no
 * other context knows, so it is not even decrypted there: a full
 * handshake.  Secrets live only in memory; they and the keys derived from
 * them are cleansed when dropped.  OpenSSL calls back from any loop or
 * pool thread: one mutex guards the secrets.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "secctxd.h"

/* The HKDF salt: keys of this daemon's tickets, nothing else. */
#define TICKET_SALT	"secctx session ticket keys"

static int	ticket_rotation = TICKET_ROTATION_DEFAULT;

struct ticket_secret {
	unsigned char	secret[32];
	time_t		created;	/* 0: no secret */
};

/* One credential's keys under one secret. */
struct ticket_key {
	unsigned char	name[16];
	unsigned char	aes[32];
	unsigned char	hmac[32];
};

/* What a server context derives its keys with: its sid context. */
struct ticket_info {
	unsigned char	sid[SSL_MAX_SID_CTX_LENGTH];
	size_t		sidlen;
};

static struct ticket_secret	ticket_current, ticket_previous;
static pthread_mutex_t		ticket_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t		ticket_once = PTHREAD_ONCE_INIT;
static int			ticket_index = -1;

static int
ticket_rotate(time_t now)
{
	struct ticket_secret	s;

	if (RAND_priv_bytes(s.secret, sizeof(s.secret)) != 1) {
		OPENSSL_cleanse(&s, sizeof(s));
		return (-1);
	}
	s.created = now;
	OPENSSL_cleanse(&ticket_previous, sizeof(ticket_previous));
	ticket_previous = ticket_current;
	ticket_current = s;
	OPENSSL_cleanse(&s, sizeof(s));
	log_debug("session ticket secret rotated");
	return (0);
}

/* Copies of the secrets in force, rotated first if due; -1 on error. */
static int
ticket_secrets(struct ticket_secret *cur, struct ticket_secret *prev)
{
	time_t	now = time(NULL);
	int	rc = 0;

	pthread_mutex_lock(&ticket_lock);
	if (ticket_current.created == 0 ||
	    now - ticket_current.created >= ticket_rotation)
		rc = ticket_rotate(now);
	*cur = ticket_current;
	*prev = ticket_previous;
	pthread_mutex_unlock(&ticket_lock);
	return (rc);
}

/* The keys of the context with info under secret s; -1 on error. */
static int
ticket_derive(const struct ticket_secret *s, const struct ticket_info *ti,
    struct ticket_key *k)
{
	unsigned char	 out[sizeof(k->name) + sizeof(k->aes) +
			    sizeof(k->hmac)];
	OSSL_PARAM	 params[5];
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*kctx = NULL;
	int		 rc = -1;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)s->secret, sizeof(s->secret));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)TICKET_SALT, sizeof(TICKET_SALT) - 1);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)ti->sid, ti->sidlen);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, sizeof(out), params) != 1)
		goto out;
	memcpy(k->name, out, sizeof(k->name));
	memcpy(k->aes, out + sizeof(k->name), sizeof(k->aes));
	memcpy(k->hmac, out + sizeof(k->name) + sizeof(k->aes),
	    sizeof(k->hmac));
	rc = 0;
out:
	OPENSSL_cleanse(out, sizeof(out));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return (rc);
}

static int
ticket_mac_init(EVP_MAC_CTX *hctx, const struct ticket_key *k)
{
	OSSL_PARAM	params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	return (EVP_MAC_init(hctx, k->hmac, sizeof(k->hmac), params));
}

/* A new ticket under the current secret: 1, or -1 on error. */
static int
ticket_seal(const struct ticket_key *k, unsigned char *name,
    unsigned char *iv, EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx)
{
	memcpy(name, k->name, sizeof(k->name));
	if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
	    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
	    iv) != 1 || ticket_mac_init(hctx, k) != 1)
		return (-1);
	return (1);
}

/* Whether name is that of the keys under s: 1 (in k), 0 no, -1 error. */
static int
ticket_match(const struct ticket_secret *s, const struct ticket_info *ti,
    const unsigned char *name, struct ticket_key *k)
{
	if (s->created == 0)
		return (0);
	if (ticket_derive(s, ti, k) != 0)
		return (-1);
	return (memcmp(name, k->name, sizeof(k->name)) == 0);
}

/*
 * Open a ticket named name: 1 ok, 2 ok and renew, 0 not one of this
 * context's keys (a full handshake), -1 on error.
 */
static int
ticket_open(SSL *ssl, const struct ticket_secret *cur,
    const struct ticket_secret *prev, const struct ticket_info *ti,
    const unsigned char *name, const unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx)
{
	struct ticket_key	k;
	int			rc, renew = 0;

	if ((rc = ticket_match(cur, ti, name, &k)) == 0) {
		renew = 1;
		rc = ticket_match(prev, ti, name, &k);
	}
	if (rc != 1)
		goto out;
	if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes,
	    iv) != 1 || ticket_mac_init(hctx, &k) != 1) {
		rc = -1;
		goto out;
	}
	/*
	 * Renew tickets of the previous secret, and every TLS 1.3 ticket:
	 * the client spends one per connection and needs a fresh one.
	 */
	rc = renew || SSL_version(ssl) >= TLS1_3_VERSION ? 2 : 1;
out:
	OPENSSL_cleanse(&k, sizeof(k));
	return (rc);
}

/* OpenSSL's ticket key callback: 1 ok, 2 ok and renew, 0 unknown, -1 err. */
static int
ticket_key_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	const struct ticket_info	*ti;
	struct ticket_secret		 cur, prev;
	struct ticket_key		 k;
	int				 rc = -1;

	ti = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ticket_index);
	if (ti == NULL || ticket_secrets(&cur, &prev) != 0)
		goto out;
	if (!enc)
		rc = ticket_open(ssl, &cur, &prev, ti, name, iv, cctx, hctx);
	else if (ticket_derive(&cur, ti, &k) == 0) {
		rc = ticket_seal(&k, name, iv, cctx, hctx);
		OPENSSL_cleanse(&k, sizeof(k));
	}
out:
	OPENSSL_cleanse(&cur, sizeof(cur));
	OPENSSL_cleanse(&prev, sizeof(prev));
	return (rc);
}

static void
ticket_info_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

static void
ticket_index_init(void)
{
	ticket_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
	    ticket_info_free);
}

/* Set before the first credential is attached. */
void
ticket_keys_set_rotation(int seconds)
{
	ticket_rotation = seconds;
}

/* The rotation in force, so that a failed reload can put it back. */
int
ticket_keys_rotation(void)
{
	return (ticket_rotation);
}

/*
 * Seal sctx's tickets under keys of its own, derived with its session id
 * context sid; at load, before any thread uses sctx.
 */
secctx_status
ticket_keys_attach(SSL_CTX *sctx, const unsigned char *sid, size_t sidlen,
    struct sc_err *err)
{
	struct ticket_info	*ti;

	pthread_once(&ticket_once, ticket_index_init);
	if (ticket_index < 0 || sidlen == 0 || sidlen > sizeof(ti->sid) ||
	    (ti = calloc(1, sizeof(*ti))) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "session tickets: out of memory"));
	memcpy(ti->sid, sid, sidlen);
	ti->sidlen = sidlen;
	if (SSL_CTX_set_ex_data(sctx, ticket_index, ti) != 1) {
		free(ti);
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "session tickets: %s", ssl_reason()));
	}
	if (SSL_CTX_set_tlsext_ticket_key_evp_cb(sctx, ticket_key_cb) != 1)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR,
		    "session tickets: %s", ssl_reason()));
	SSL_CTX_set_timeout(sctx, 2 * ticket_rotation);
	return (SEC_E_OK);
}

void
ticket_keys_clear(void)
{
	pthread_mutex_lock(&ticket_lock);
	OPENSSL_cleanse(&ticket_current, sizeof(ticket_current));
	OPENSSL_cleanse(&ticket_previous, sizeof(ticket_previous));
	pthread_mutex_unlock(&ticket_lock);
}
