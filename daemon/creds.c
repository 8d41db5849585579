/*
 * Credentials: a certificate chain, its private key and trust anchors,
 * loaded once into one OpenSSL context per direction.  The private key is
 * read into memory the daemon owns and the copy is cleansed after parsing.
 */

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "secctxd.h"

#define KEY_FILE_MAX	(256 * 1024)
/* What the session id context digest starts with, its NUL included. */
#define SID_LABEL	"secctx session id context"

static unsigned	cred_generation;

/* The reason of OpenSSL's last error, for a message; clears the queue. */
const char *
ssl_reason(void)
{
	unsigned long	e = ERR_peek_last_error();
	const char	*r = ERR_reason_error_string(e);

	ERR_clear_error();
	return (r != NULL ? r : "unknown OpenSSL error");
}

static secctx_status
load_chain(const char *path, X509 **leafp, STACK_OF(X509) **chainp,
    struct sc_err *err)
{
	STACK_OF(X509)	*chain = NULL;
	X509		*leaf = NULL, *x;
	BIO		*bio;

	if ((bio = BIO_new_file(path, "r")) == NULL)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "%s: %s", path,
		    strerror(errno)));
	if ((leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
		sc_seterr(err, SEC_E_NO_CREDENTIALS,
		    "%s: no PEM certificate: %s", path, ssl_reason());
		goto out;
	}
	if ((chain = sk_X509_new_null()) == NULL)
		goto nomem;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			goto nomem;
		}
	}
	ERR_clear_error();	/* the end of the file */
	*leafp = leaf;
	*chainp = chain;
	BIO_free(bio);
	return (SEC_E_OK);
nomem:
	sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "%s: out of memory", path);
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	BIO_free(bio);
	return (err->status);
}

/*
 * A private key file must be private: owned by the daemon's user or root,
 * neither readable nor writable by group or others.
 */
static secctx_status
check_key_file(const char *path, const struct stat *st, struct sc_err *err)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "%s: owned by "
		    "uid %lu, neither the daemon's uid %lu nor root (set "
		    "allow_insecure_key_file to accept it)", path,
		    (unsigned long)st->st_uid, (unsigned long)geteuid()));
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "%s: mode %04o "
		    "lets group or others read or write the private key "
		    "(chmod 600 it, or set allow_insecure_key_file)", path,
		    (unsigned)(st->st_mode & 07777)));
	return (SEC_E_OK);
}

static secctx_status
load_key(const char *path, int insecure_ok, EVP_PKEY **keyp,
    struct sc_err *err)
{
	struct stat	 st;
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	BIO		*bio = NULL;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "%s: %s", path,
		    strerror(errno)));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > KEY_FILE_MAX) {
		sc_seterr(err, SEC_E_NO_CREDENTIALS,
		    "%s: not a regular file of at most %d bytes", path,
		    KEY_FILE_MAX);
		goto out;
	}
	if (!insecure_ok && check_key_file(path, &st, err) != SEC_E_OK)
		goto out;
	if ((buf = OPENSSL_secure_malloc(st.st_size + 1)) == NULL) {
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "%s: out of memory",
		    path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			sc_seterr(err, SEC_E_NO_CREDENTIALS, "%s: %s", path,
			    n == 0 ? "short read" : strerror(errno));
			goto out;
		}
		len += n;
	}
	if ((bio = BIO_new_mem_buf(buf, len)) == NULL ||
	    (*keyp = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL)
		sc_seterr(err, SEC_E_NO_CREDENTIALS,
		    "%s: no PEM private key: %s", path, ssl_reason());
	else
		sc_clearerr(err);
out:
	BIO_free(bio);
	if (buf != NULL)
		OPENSSL_secure_clear_free(buf, st.st_size + 1);
	close(fd);
	return (err->status);
}

static secctx_status
ssl_ctx_new(enum direction dir, SSL_CTX **ctxp, struct sc_err *err)
{
	SSL_CTX	*ctx;

	ctx = SSL_CTX_new(dir == DIR_INBOUND ? TLS_server_method() :
	    TLS_client_method());
	if (ctx == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "TLS context: %s", ssl_reason()));
	*ctxp = ctx;
	context_init_ssl_ctx(ctx, dir);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "TLS context: "
		    "no TLS 1.2 minimum: %s", ssl_reason()));
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Send the chain the certificate file holds, nothing more. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_NO_AUTO_CHAIN);
	return (SEC_E_OK);
}

/*
 * The generation of the configuration being loaded: a reload counts it up
 * before it loads the file, so that no session of the running credentials
 * is taken for one of the new (reload.c).
 */
void
cred_next_generation(void)
{
	cred_generation++;
}

/*
 * The server context's session id context, SHA-256 over the generation and
 * the name: of the size OpenSSL takes whatever the name's length, distinct
 * per credential and per generation.  A session, cached or in a ticket,
 * resumes only on the context whose id context it holds; the ticket keys
 * are derived from it too (ticket-keys.c).
 */
static secctx_status
cred_session_init(struct cred *c, struct sc_err *err)
{
	unsigned char	 sid[SHA256_DIGEST_LENGTH];
	unsigned int	 len = 0;
	EVP_MD_CTX	*md;
	unsigned char	 gen[4];
	int		 ok;

	gen[0] = cred_generation >> 24;
	gen[1] = cred_generation >> 16;
	gen[2] = cred_generation >> 8;
	gen[3] = cred_generation;
	if ((md = EVP_MD_CTX_new()) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, SID_LABEL, sizeof(SID_LABEL)) == 1 &&
	    EVP_DigestUpdate(md, gen, sizeof(gen)) == 1 &&
	    EVP_DigestUpdate(md, c->name, strlen(c->name)) == 1 &&
	    EVP_DigestFinal_ex(md, sid, &len) == 1 && len == sizeof(sid);
	EVP_MD_CTX_free(md);
	if (!ok || SSL_CTX_set_session_id_context(c->server_ctx, sid,
	    len) != 1)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "session id "
		    "context: %s", ssl_reason()));
	return (ticket_keys_attach(c->server_ctx, sid, len, err));
}

static secctx_status
ctx_use_identity(SSL_CTX *ctx, X509 *leaf, STACK_OF(X509) *chain,
    EVP_PKEY *key, const struct cred_source *src, struct sc_err *err)
{
	int	i;

	if (SSL_CTX_use_certificate(ctx, leaf) != 1)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "certificate: %s: "
		    "%s", src->certificate, ssl_reason()));
	for (i = 0; i < sk_X509_num(chain); i++) {
		if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)) != 1)
			return (sc_seterr(err, SEC_E_NO_CREDENTIALS,
			    "certificate: %s: %s", src->certificate,
			    ssl_reason()));
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "private_key: %s: "
		    "%s", src->private_key, ssl_reason()));
	return (SEC_E_OK);
}

/*
 * The CRLs of crl_file into ctx's store, and the check of the peer's own
 * certificate against its issuer's CRL, which must be there and current.
 */
static secctx_status
ctx_use_crls(SSL_CTX *ctx, const char *path, struct sc_err *err)
{
	X509_STORE	*store = SSL_CTX_get_cert_store(ctx);
	X509_CRL	*crl;
	BIO		*bio;
	int		 n = 0, ok = 1;

	ERR_clear_error();
	if ((bio = BIO_new_file(path, "r")) == NULL)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "crl_file: %s: %s",
		    path, strerror(errno)));
	while (ok && (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL,
	    NULL)) != NULL) {
		ok = X509_STORE_add_crl(store, crl) == 1;
		X509_CRL_free(crl);
		n++;
	}
	BIO_free(bio);
	if (!ok)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "crl_file: %s: %s",
		    path, ssl_reason()));
	/* The end of the file, or something that is not a CRL. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE ||
	    n == 0)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "crl_file: %s: "
		    "%s", path, n == 0 ? "no PEM CRL" : ssl_reason()));
	ERR_clear_error();
	if (X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx),
	    X509_V_FLAG_CRL_CHECK) != 1)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "crl_file: %s: "
		    "no CRL check: %s", path, ssl_reason()));
	return (SEC_E_OK);
}

static secctx_status
ctx_use_trust(SSL_CTX *ctx, const struct cred_source *src, int server,
    struct sc_err *err)
{
	STACK_OF(X509_NAME)	*names;

	if (src->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, src->ca_file,
		    NULL) != 1)
			return (sc_seterr(err, SEC_E_NO_CREDENTIALS,
			    "ca_file: %s: %s", src->ca_file, ssl_reason()));
		if (server) {
			if ((names = SSL_load_client_CA_file(src->ca_file)) ==
			    NULL)
				return (sc_seterr(err, SEC_E_NO_CREDENTIALS,
				    "ca_file: %s: %s", src->ca_file,
				    ssl_reason()));
			SSL_CTX_set_client_CA_list(ctx, names);
		}
	}
	if (src->system_trust && SSL_CTX_set_default_verify_paths(ctx) != 1)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS,
		    "system_trust: %s", ssl_reason()));
	if (src->crl_file != NULL)
		return (ctx_use_crls(ctx, src->crl_file, err));
	return (SEC_E_OK);
}

static secctx_status
cred_build(struct cred *c, const struct cred_source *src, struct sc_err *err)
{
	STACK_OF(X509)	*chain = NULL;
	X509		*leaf = NULL;
	EVP_PKEY	*key = NULL;

	c->has_trust = src->ca_file != NULL || src->system_trust;
	c->records = src->records;
	c->skip_ok = src->allow_skip_validation;
	if (src->certificate != NULL) {
		if (load_chain(src->certificate, &leaf, &chain, err) !=
		    SEC_E_OK ||
		    load_key(src->private_key, src->allow_insecure_key_file,
		    &key, err) != SEC_E_OK)
			goto out;
		if (ssl_ctx_new(DIR_INBOUND, &c->server_ctx, err) != SEC_E_OK ||
		    ctx_use_identity(c->server_ctx, leaf, chain, key, src,
		    err) != SEC_E_OK ||
		    ctx_use_trust(c->server_ctx, src, 1, err) != SEC_E_OK ||
		    tls_policy_apply(c->server_ctx, src, err) != SEC_E_OK ||
		    cred_session_init(c, err) != SEC_E_OK)
			goto out;
	}
	if (c->has_trust || key != NULL) {
		if (ssl_ctx_new(DIR_OUTBOUND, &c->client_ctx, err) != SEC_E_OK)
			goto out;
		if (key != NULL && ctx_use_identity(c->client_ctx, leaf, chain,
		    key, src, err) != SEC_E_OK)
			goto out;
		if (ctx_use_trust(c->client_ctx, src, 0, err) != SEC_E_OK ||
		    tls_policy_apply(c->client_ctx, src, err) != SEC_E_OK)
			goto out;
	}
	sc_clearerr(err);
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(key);
	return (err->status);
}

secctx_status
cred_load(const struct cred_source *src, struct cred **credp,
    struct sc_err *err)
{
	struct cred	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->name = strdup(src->name)) == NULL) {
		free(c);
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	}
	c->refs = 1;
	if (cred_build(c, src, err) != SEC_E_OK) {
		cred_unref(c);
		return (err->status);
	}
	*credp = c;
	return (SEC_E_OK);
}

/* Contexts on every loop and pool thread hold credentials: atomic. */
struct cred *
cred_ref(struct cred *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return (c);
}

void
cred_unref(struct cred *c)
{
	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	SSL_CTX_free(c->server_ctx);
	SSL_CTX_free(c->client_ctx);
	free(c->uids);
	free(c->gids);
	strings_free(c->executables, c->nexecutables);
	free(c->name);
	free(c);
}

secctx_status
cred_check_direction(const struct cred *c, enum direction dir,
    struct sc_err *err)
{
	if (dir == DIR_INBOUND && c->server_ctx == NULL)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS,
		    "credential '%s' has no certificate and key for the "
		    "inbound direction", c->name));
	if (dir == DIR_OUTBOUND && !c->has_trust)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS,
		    "credential '%s' has no trust anchors to verify servers",
		    c->name));
	return (SEC_E_OK);
}
