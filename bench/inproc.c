/*
 * The baseline: what an application linking OpenSSL does, with both ends in
 * this process.  Each pair is a client SSL and a server SSL joined by two
 * memory BIOs (one per direction, each shared by the writer and the
 * reader), so no byte is copied between them beyond what OpenSSL does.  The
 * SSL_CTX settings are the daemon's (creds.c, context.c): release buffers,
 * no auto chain, no renegotiation, server cipher preference, peer
 * verification against the CA with the host name checked, post-handshake
 * authentication offered; plus the forced version, cipher and group.
 */

#include <string.h>

#include <openssl/err.h>

#include "bench.h"

static SSL_CTX *
ctx_new(int server, const struct tls_profile *p, const struct pki *pki,
    char *err)
{
	STACK_OF(X509_NAME)	*names;
	SSL_CTX			*ctx;
	const char		*cert, *key;

	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(ctx, p->version) ||
	    !SSL_CTX_set_max_proto_version(ctx, p->version) ||
	    !SSL_CTX_set1_groups_list(ctx, p->groups))
		goto fail;
	if (p->version == TLS1_3_VERSION ?
	    !SSL_CTX_set_ciphersuites(ctx, p->cipher) :
	    !SSL_CTX_set_cipher_list(ctx, p->cipher))
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Not SSL_MODE_RELEASE_BUFFERS: an application keeps its buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
	if (server) {
		cert = p->rsa ? pki->rsa_cert : pki->ec_cert;
		key = p->rsa ? pki->rsa_key : pki->ec_key;
	} else {
		cert = pki->client_cert;
		key = pki->client_key;
	}
	if (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_load_verify_locations(ctx, pki->ca, NULL) != 1)
		goto fail;
	if (server) {
		if ((names = SSL_load_client_CA_file(pki->ca)) == NULL)
			goto fail;
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_session_id_context(ctx,
		    (const unsigned char *)"bench", 5);
		if (p->client_cert)
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
			    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	} else
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return (ctx);
fail:
	seterr(err, "in-process %s SSL_CTX: %s", server ? "server" : "client",
	    ssl_errstr());
	SSL_CTX_free(ctx);
	return (NULL);
}

int
ip_env_init(struct ip_env *env, const struct tls_profile *p,
    const struct pki *pki, char *err)
{
	memset(env, 0, sizeof(*env));
	env->profile = p;
	if ((env->client = ctx_new(0, p, pki, err)) == NULL ||
	    (env->server = ctx_new(1, p, pki, err)) == NULL) {
		ip_env_free(env);
		return (-1);
	}
	return (0);
}

void
ip_env_free(struct ip_env *env)
{
	SSL_CTX_free(env->client);
	SSL_CTX_free(env->server);
	memset(env, 0, sizeof(*env));
}

static int
pair_new(struct ip_env *env, struct ip_pair *pp, SSL_SESSION *sess)
{
	memset(pp, 0, sizeof(*pp));
	if ((pp->c = SSL_new(env->client)) == NULL ||
	    (pp->s = SSL_new(env->server)) == NULL ||
	    (pp->c2s = BIO_new(BIO_s_mem())) == NULL ||
	    (pp->s2c = BIO_new(BIO_s_mem())) == NULL) {
		BIO_free(pp->c2s);
		BIO_free(pp->s2c);
		pp->c2s = pp->s2c = NULL;
		return (-1);
	}
	BIO_set_mem_eof_return(pp->c2s, -1);
	BIO_set_mem_eof_return(pp->s2c, -1);
	/* Each SSL owns one reference to each BIO. */
	BIO_up_ref(pp->c2s);
	BIO_up_ref(pp->s2c);
	SSL_set_bio(pp->c, pp->s2c, pp->c2s);
	SSL_set_bio(pp->s, pp->c2s, pp->s2c);
	SSL_set_connect_state(pp->c);
	SSL_set_accept_state(pp->s);
	if (!SSL_set_tlsext_host_name(pp->c, "localhost") ||
	    !SSL_set1_host(pp->c, "localhost"))
		return (-1);
	SSL_set_post_handshake_auth(pp->c, 1);
	if (sess != NULL && !SSL_set_session(pp->c, sess))
		return (-1);
	return (0);
}

/* One handshake step of one end: 1 done, 0 wants input, -1 failed. */
static int
step(SSL *ssl)
{
	int	r = SSL_do_handshake(ssl);

	if (r == 1)
		return (1);
	return (SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ ? 0 : -1);
}

/*
 * A new pair, handshaken; the client then reads what the server sent last
 * (TLS 1.3 session tickets), as the application would.
 */
int
ip_pair_establish(struct ip_env *env, struct ip_pair *pp, SSL_SESSION *sess,
    char *err)
{
	unsigned char	 b;
	size_t		 n;
	int		 cdone = 0, sdone = 0, i, r;

	if (pair_new(env, pp, sess) != 0) {
		seterr(err, "in-process SSL: %s", ssl_errstr());
		ip_pair_free(pp);
		return (-1);
	}
	for (i = 0; i < 16 && !(cdone && sdone); i++) {
		if (!cdone && (r = step(pp->c)) != 0) {
			if (r < 0)
				goto fail;
			cdone = 1;
		}
		if (!sdone && (r = step(pp->s)) != 0) {
			if (r < 0)
				goto fail;
			sdone = 1;
		}
	}
	if (!(cdone && sdone))
		goto fail;
	if (BIO_ctrl_pending(pp->s2c) > 0 &&
	    (SSL_read_ex(pp->c, &b, 1, &n) == 1 ||
	    SSL_get_error(pp->c, 0) != SSL_ERROR_WANT_READ)) {
		seterr(err, "in-process: unexpected data after the handshake");
		ip_pair_free(pp);
		return (-1);
	}
	return (0);
fail:
	seterr(err, "in-process handshake: %s (verify: %s)", ssl_errstr(),
	    X509_verify_cert_error_string(SSL_get_verify_result(pp->c)));
	ip_pair_free(pp);
	return (-1);
}

void
ip_pair_free(struct ip_pair *pp)
{
	/* No close_notify: the session stays resumable. */
	if (pp->c != NULL)
		SSL_set_shutdown(pp->c, SSL_SENT_SHUTDOWN |
		    SSL_RECEIVED_SHUTDOWN);
	if (pp->s != NULL)
		SSL_set_shutdown(pp->s, SSL_SENT_SHUTDOWN |
		    SSL_RECEIVED_SHUTDOWN);
	SSL_free(pp->c);
	SSL_free(pp->s);
	memset(pp, 0, sizeof(*pp));
}

int
ip_check_negotiated(struct ip_pair *pp, const struct tls_profile *p,
    char *what, size_t len, char *err)
{
	const SSL_CIPHER	*c = SSL_get_current_cipher(pp->c);
	const char		*cipher = c != NULL ? SSL_CIPHER_get_name(c) :
				    "?";
	const char		*group = SSL_group_to_name(pp->c,
				    SSL_get_negotiated_group(pp->c));

	if (group == NULL)
		group = "?";
	snprintf(what, len, "%s %s %s", SSL_get_version(pp->c), cipher,
	    group);
	if (SSL_version(pp->c) != p->version || strcmp(cipher,
	    p->cipher) != 0 || strcasecmp(group, p->group) != 0) {
		seterr(err, "in-process negotiated %s, not %s %s", what,
		    p->cipher, p->group);
		return (-1);
	}
	return (0);
}

/* Encrypt a small message and take the record out, as to send it. */
int
ip_encrypt_small(struct ip_pair *pp, const void *data, size_t len, char *err)
{
	unsigned char	buf[1024];
	size_t		w;

	if (SSL_write_ex(pp->c, data, len, &w) != 1 || w != len) {
		seterr(err, "in-process SSL_write: %s", ssl_errstr());
		return (-1);
	}
	while (BIO_read(pp->c2s, buf, sizeof(buf)) > 0)
		;
	return (0);
}

/* len bytes from client to server: encrypt on one end, decrypt on the other. */
int
ip_transfer(struct ip_pair *pp, const unsigned char *data, size_t len,
    unsigned char *sink, char *err)
{
	size_t	w, got = 0, n;

	if (SSL_write_ex(pp->c, data, len, &w) != 1 || w != len) {
		seterr(err, "in-process SSL_write: %s", ssl_errstr());
		return (-1);
	}
	while (got < len) {
		if (SSL_read_ex(pp->s, sink + got, len - got, &n) != 1) {
			seterr(err, "in-process SSL_read after %zu of %zu "
			    "bytes: %s", got, len, ssl_errstr());
			return (-1);
		}
		got += n;
	}
	return (0);
}
