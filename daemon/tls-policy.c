/*
 * A credential's algorithm policy: the TLS 1.2 cipher string, the TLS 1.3
 * cipher suites, the key exchange groups and the signature algorithms, each
 * given to OpenSSL as is.  Every value is checked when the configuration is
 * read, so that a typo is an error rather than a silently weaker or empty
 * list.  Without a "ciphers" key TLS 1.2 offers forward-secret AEAD suites
 * only; the TLS 1.3 suites are OpenSSL's default, all three AEAD.
 */

#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "secctxd.h"

/*
 * ECDHE with AES-GCM or ChaCha20-Poly1305: no RSA key exchange, no finite
 * field DHE, no CBC.  The others are there for a credential that names them.
 */
#define TLS12_CIPHERS_DEFAULT	"ECDHE+AESGCM:ECDHE+CHACHA20"

/* Whether ctx's cipher list, set to one TLS 1.3 suite, holds that suite. */
static int
suite_known(SSL_CTX *ctx, const char *name)
{
	STACK_OF(SSL_CIPHER)	*sk;
	const SSL_CIPHER	*c;
	int			 i;

	if (SSL_CTX_set_ciphersuites(ctx, name) != 1)
		return (0);
	sk = SSL_CTX_get_ciphers(ctx);
	for (i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		c = sk_SSL_CIPHER_value(sk, i);
		if (strcmp(SSL_CIPHER_get_version(c), "TLSv1.3") == 0 &&
		    strcmp(SSL_CIPHER_get_name(c), name) == 0)
			return (1);
	}
	return (0);
}

/* The TLS 1.3 suites: every name must be one OpenSSL knows. */
static secctx_status
policy_suites(SSL_CTX *ctx, const char *list, struct sc_err *err)
{
	char		 name[64];
	const char	*p = list, *end;
	size_t		 len;

	do {
		end = strchr(p, ':');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(name))
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "ciphersuites: \"%s\": must be TLS 1.3 cipher "
			    "suite names separated by ':'", list));
		memcpy(name, p, len);
		name[len] = '\0';
		if (!suite_known(ctx, name)) {
			ERR_clear_error();
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "ciphersuites: \"%s\" is not a TLS 1.3 cipher "
			    "suite", name));
		}
		p = end != NULL ? end + 1 : NULL;
	} while (p != NULL);
	if (SSL_CTX_set_ciphersuites(ctx, list) != 1)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "ciphersuites: \"%s\": %s", list, ssl_reason()));
	return (SEC_E_OK);
}

secctx_status
tls_policy_apply(SSL_CTX *ctx, const struct cred_source *src,
    struct sc_err *err)
{
	const char	*ciphers = src->ciphers != NULL ? src->ciphers :
			    TLS12_CIPHERS_DEFAULT;

	ERR_clear_error();
	if (src->ciphersuites != NULL &&
	    policy_suites(ctx, src->ciphersuites, err) != SEC_E_OK)
		return (err->status);
	/* OpenSSL refuses a string that leaves no TLS 1.2 cipher. */
	if (SSL_CTX_set_cipher_list(ctx, ciphers) != 1)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "ciphers: \"%s\": %s", ciphers, ssl_reason()));
	if (src->groups != NULL &&
	    SSL_CTX_set1_groups_list(ctx, src->groups) != 1)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "groups: \"%s\": %s", src->groups, ssl_reason()));
	if (src->signature_algorithms != NULL &&
	    SSL_CTX_set1_sigalgs_list(ctx, src->signature_algorithms) != 1)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "signature_algorithms: \"%s\": %s",
		    src->signature_algorithms, ssl_reason()));
	return (SEC_E_OK);
}
