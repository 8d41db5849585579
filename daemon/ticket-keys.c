/*
 * Session ticket keys for the server side (RFC 5077 format, as OpenSSL
 * seals tickets: AES-256-CBC and HMAC-SHA256).  The daemon makes a fresh
 * key when the current one is older than the rotation period and still
 * opens tickets of the previous key, asking for a renewed ticket; older
 * tickets fall back to a full handshake.  Keys live only in memory and are
 * cleansed when dropped.  OpenSSL calls back from any loop or pool thread:
 * one mutex guards the keys.
 */

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "secctxd.h"

static int	ticket_rotation = TICKET_ROTATION_DEFAULT;

struct ticket_key {
	unsigned char	name[16];
	unsigned char	aes[32];
	unsigned char	hmac[32];
	time_t		created;	/* 0: no key */
};

static struct ticket_key	ticket_current, ticket_previous;
static pthread_mutex_t		ticket_lock = PTHREAD_MUTEX_INITIALIZER;

static int
ticket_rotate(time_t now)
{
	struct ticket_key	k;

	if (RAND_bytes(k.name, sizeof(k.name)) != 1 ||
	    RAND_priv_bytes(k.aes, sizeof(k.aes)) != 1 ||
	    RAND_priv_bytes(k.hmac, sizeof(k.hmac)) != 1) {
		OPENSSL_cleanse(&k, sizeof(k));
		return (-1);
	}
	k.created = now;
	OPENSSL_cleanse(&ticket_previous, sizeof(ticket_previous));
	ticket_previous = ticket_current;
	ticket_current = k;
	OPENSSL_cleanse(&k, sizeof(k));
	log_debug("session ticket key rotated");
	return (0);
}

static int
ticket_mac_init(EVP_MAC_CTX *hctx, struct ticket_key *k)
{
	OSSL_PARAM	params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	return (EVP_MAC_init(hctx, k->hmac, sizeof(k->hmac), params));
}

/* With ticket_lock held. */
static int
ticket_key_locked(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	struct ticket_key	*k;
	time_t			 now = time(NULL);

	if (ticket_current.created == 0 ||
	    now - ticket_current.created >= ticket_rotation)
		if (ticket_rotate(now) != 0)
			return (-1);
	if (enc) {
		k = &ticket_current;
		memcpy(name, k->name, sizeof(k->name));
		if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1 ||
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
		    iv) != 1 || ticket_mac_init(hctx, k) != 1)
			return (-1);
		return (1);
	}
	if (memcmp(name, ticket_current.name, sizeof(ticket_current.name)) ==
	    0)
		k = &ticket_current;
	else if (ticket_previous.created != 0 && memcmp(name,
	    ticket_previous.name, sizeof(ticket_previous.name)) == 0)
		k = &ticket_previous;
	else
		return (0);
	if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
	    iv) != 1 || ticket_mac_init(hctx, k) != 1)
		return (-1);
	/*
	 * Renew tickets of the previous key, and every TLS 1.3 ticket: the
	 * client spends one per connection and needs a fresh one.
	 */
	return (k == &ticket_current && SSL_version(ssl) < TLS1_3_VERSION ?
	    1 : 2);
}

/* OpenSSL's ticket key callback: 1 ok, 2 ok and renew, 0 unknown, -1 err. */
static int
ticket_key_cb(SSL *ssl, unsigned char *name, unsigned char *iv,
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	int	rc;

	pthread_mutex_lock(&ticket_lock);
	rc = ticket_key_locked(ssl, name, iv, cctx, hctx, enc);
	pthread_mutex_unlock(&ticket_lock);
	return (rc);
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

void
ticket_keys_attach(SSL_CTX *sctx)
{
	SSL_CTX_set_tlsext_ticket_key_evp_cb(sctx, ticket_key_cb);
	SSL_CTX_set_timeout(sctx, 2 * ticket_rotation);
}

void
ticket_keys_clear(void)
{
	pthread_mutex_lock(&ticket_lock);
	OPENSSL_cleanse(&ticket_current, sizeof(ticket_current));
	OPENSSL_cleanse(&ticket_previous, sizeof(ticket_previous));
	pthread_mutex_unlock(&ticket_lock);
}
