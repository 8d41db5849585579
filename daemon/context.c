/*
 * The TLS state machine of one security context: OpenSSL over the BIOs of
 * tls-bio.c, which read the caller's input in place and collect the output.
 * Input is taken one whole TLS record at a time, so the bytes the context
 * did not consume are always a suffix of the caller's input.  This file
 * knows nothing of sockets or of the wire protocol.
 *
 * A mapped context hands its record state to the application when the
 * handshake completes (context-map.c) and protects no record itself
 * afterwards; its SSL object still answers what follows the handshake, the
 * peer's handshake messages and our certificate request, through the
 * record directions of context-map.c.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "secctxd.h"
#include "escape.h"
#include "record.h"

/* What a record adds to its data, a bound for AEAD ciphers. */
#define RECORD_OVERHEAD		64

struct tls_context {
	SSL		*ssl;
	BIO		*rbio;
	BIO		*wbio;
	struct cred	*cred;
	enum direction	 dir;
	int		 done;		/* handshake complete */
	int		 shut;		/* our close_notify was produced */
	int		 failed;	/* an operation failed */
	unsigned char	*alpn;		/* server: supported list, wire format */
	size_t		 alpn_len;
	char		*target;
	uid_t		 uid;		/* the caller's, for the session cache */
	int		 no_resume;
	int		 busy;		/* a pool thread runs a step */
	int64_t		 started_ms;	/* made at (context_now_ms()) */
	struct ctx_map	*map;		/* may be mapped, or is; else NULL */
	int		 mapped;	/* the application protects records */
	unsigned char	*plain;		/* a mapped context's output opened */
	uint64_t	 client_updates; /* the client's KeyUpdates replayed */
	int		 ask_credentials; /* pause once at a certificate
					    request the credential cannot
					    answer */
};

static int	context_index = -1;
static uint64_t	contexts_mapped;	/* __atomic */

static int	alpn_select(SSL *, const unsigned char **, unsigned char *,
		    const unsigned char *, unsigned int, void *);

/* At start, before any thread; -1 out of memory. */
int
context_global_init(void)
{
	context_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return (context_index >= 0 && tls_bio_init() ? 0 : -1);
}

void
context_global_cleanup(void)
{
	tls_bio_cleanup();
}

/* A new session for an outbound context: keep it for a later one. */
static int
session_new(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_context	*c = SSL_get_ex_data(ssl, context_index);

	if (c != NULL && !c->no_resume && c->target != NULL)
		session_cache_put(c->cred->name, c->uid, c->target, sess);
	return (0);
}

/* OpenSSL's key log: the traffic secrets of a context that may be mapped. */
static void
keylog(const SSL *ssl, const char *line)
{
	struct tls_context	*c = SSL_get_ex_data(ssl, context_index);

	if (c != NULL && c->map != NULL && !c->mapped)
		ctx_map_keylog(c->map, line);
}

/*
 * The server asks for a certificate and the credential has none: with
 * ask_credentials, the handshake pauses once (SEC_I_INCOMPLETE_CREDENTIALS,
 * as Schannel), and goes on without one at the next step.
 */
static int
client_cert_missing(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
	struct tls_context	*c = SSL_get_ex_data(ssl, context_index);

	(void)x509;
	(void)pkey;
	if (c == NULL || !c->ask_credentials)
		return (0);
	c->ask_credentials = 0;
	return (-1);
}

void
context_init_ssl_ctx(SSL_CTX *sctx, enum direction dir)
{
	SSL_CTX_set_keylog_callback(sctx, keylog);
	if (dir == DIR_INBOUND) {
		/* Tickets and session id contexts: creds.c, at load. */
		SSL_CTX_set_alpn_select_cb(sctx, alpn_select, NULL);
		SSL_CTX_sess_set_cache_size(sctx, 1024);
		return;
	}
	SSL_CTX_set_session_cache_mode(sctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(sctx, session_new);
	SSL_CTX_set_client_cert_cb(sctx, client_cert_missing);
}

/* RFC 7301 3.2: the server's preference wins; no overlap is fatal. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tls_context	*c = SSL_get_ex_data(ssl, context_index);
	unsigned char		*sel;

	(void)arg;
	if (c == NULL || c->alpn == NULL)
		return (SSL_TLSEXT_ERR_NOACK);
	if (SSL_select_next_proto(&sel, outlen, c->alpn, c->alpn_len, in,
	    inlen) != OPENSSL_NPN_NEGOTIATED)
		return (SSL_TLSEXT_ERR_ALERT_FATAL);
	*out = sel;
	return (SSL_TLSEXT_ERR_OK);
}

static secctx_status
bad_target(const char *target, struct sc_err *err)
{
	char	name[SC_ERR_MSGLEN];

	sc_escape_str(name, sizeof(name), target);
	return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "target name '%s' "
	    "is not a valid host name", name));
}

static secctx_status
context_configure(struct tls_context *c, const struct ctx_params *p,
    struct sc_err *err)
{
	SSL_SESSION	*sess;
	SSL		*ssl = c->ssl;
	int		 mode;

	if ((p->min_version != 0 && !SSL_set_min_proto_version(ssl,
	    p->min_version)) || (p->max_version != 0 &&
	    !SSL_set_max_proto_version(ssl, p->max_version)))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "unsupported protocol version bounds"));
	if (c->dir == DIR_OUTBOUND) {
		SSL_set_connect_state(ssl);
		/* Skipped validation still verifies; it does not fail. */
		SSL_set_verify(ssl, p->skip_validation ? SSL_VERIFY_NONE :
		    SSL_VERIFY_PEER, NULL);
		/* Answer a TLS 1.3 server's later certificate request. */
		SSL_set_post_handshake_auth(ssl, !p->no_pha);
		c->ask_credentials = p->ask_credentials;
		if (p->alpn != NULL && SSL_set_alpn_protos(ssl, p->alpn,
		    p->alpn_len) != 0)
			goto nomem;
		if (p->target == NULL)
			return (SEC_E_OK);
		if ((c->target = strdup(p->target)) == NULL)
			goto nomem;
		if (!c->no_resume && (sess = session_cache_get(c->cred->name,
		    c->uid, c->target)) != NULL) {
			SSL_set_session(ssl, sess);
			SSL_SESSION_free(sess);
		}
		/* An IP address is checked but never sent as SNI (RFC 6066). */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    p->target) == 1)
			return (SEC_E_OK);
		if (!SSL_set_tlsext_host_name(ssl, p->target) ||
		    !SSL_set1_host(ssl, p->target))
			return (bad_target(p->target, err));
		return (SEC_E_OK);
	}
	SSL_set_accept_state(ssl);
	if (p->client_cert != 0) {
		if (!c->cred->has_trust)
			return (sc_seterr(err, SEC_E_NO_CREDENTIALS,
			    "credential '%s' has no trust anchors to verify "
			    "client certificates", c->cred->name));
		mode = SSL_VERIFY_PEER;
		if (p->client_cert == 2)
			mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		SSL_set_verify(ssl, mode, NULL);
	}
	if (p->alpn != NULL) {
		if ((c->alpn = malloc(p->alpn_len)) == NULL)
			goto nomem;
		memcpy(c->alpn, p->alpn, p->alpn_len);
		c->alpn_len = p->alpn_len;
	}
	return (SEC_E_OK);
nomem:
	return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory"));
}

secctx_status
context_new(struct cred *cred, enum direction dir, const struct ctx_params *p,
    struct tls_context **cp, struct sc_err *err)
{
	struct tls_context	*c;
	SSL_CTX			*sctx;

	if (cred_check_direction(cred, dir, err) != SEC_E_OK)
		return (err->status);
	sctx = dir == DIR_INBOUND ? cred->server_ctx : cred->client_ctx;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	c->dir = dir;
	c->started_ms = context_now_ms();
	c->cred = cred_ref(cred);
	c->uid = p->uid;
	c->no_resume = p->no_resume;
	if ((p->mapped && cred->records == RECORDS_PROCESS &&
	    (c->map = ctx_map_new()) == NULL) ||
	    (c->ssl = SSL_new(sctx)) == NULL ||
	    (c->rbio = tls_bio_input_new()) == NULL ||
	    (c->wbio = tls_bio_output_new()) == NULL) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		c->rbio = c->wbio = NULL;
		context_free(c);
		ERR_clear_error();
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_ex_data(c->ssl, context_index, c);
	if (context_configure(c, p, err) != SEC_E_OK) {
		context_free(c);
		return (err->status);
	}
	*cp = c;
	return (SEC_E_OK);
}

enum record_state {
	RECORD_WHOLE,
	RECORD_PARTIAL,
	RECORD_INVALID
};

/* Look at the record at the start of buf: whole, partial or not TLS. */
static enum record_state
record_take(const unsigned char *buf, size_t avail, size_t *reclen,
    size_t *missing)
{
	size_t	len;

	if (avail < REC_HEADER_LEN) {
		*missing = REC_HEADER_LEN - avail;
		return (RECORD_PARTIAL);
	}
	(void)rec_header(buf, avail, &len);
	if (!rec_header_plausible(buf) || len > REC_HEADER_LEN +
	    REC_MAX_CIPHER_12)
		return (RECORD_INVALID);
	if (avail < len) {
		*missing = len - avail;
		return (RECORD_PARTIAL);
	}
	*reclen = len;
	return (RECORD_WHOLE);
}

/* Caller input handed to OpenSSL one whole record at a time. */
struct feed {
	const unsigned char	*in;
	size_t			 len;
	size_t			 off;		/* bytes handed over */
	size_t			 missing;	/* the next record lacks */
	int			 invalid;	/* the input was not TLS */
};

/*
 * Hand the next whole record to OpenSSL: 1 done, 0 when the next record is
 * not whole.  Input that does not start with a record header is handed
 * over whole, so that OpenSSL answers it with an alert.
 */
static int
feed_record(struct tls_context *c, struct feed *f)
{
	size_t	reclen = 0;

	switch (record_take(f->in + f->off, f->len - f->off, &reclen,
	    &f->missing)) {
	case RECORD_WHOLE:
		break;
	case RECORD_INVALID:
		reclen = f->len - f->off;
		f->invalid = 1;
		break;
	case RECORD_PARTIAL:
		return (0);
	}
	tls_bio_input_extend(c->rbio, reclen);
	f->off += reclen;
	return (1);
}

static void
context_output(struct tls_context *c, struct step_result *res)
{
	tls_bio_output_get(c->wbio, &res->out, &res->out_len);
}

/* The output was sent: free it; the packed record state is cleansed. */
void
context_output_done(struct tls_context *c)
{
	tls_bio_output_reset(c->wbio);
	free(c->plain);
	c->plain = NULL;
	if (c->map != NULL)
		ctx_map_packed_clear(c->map);
}

void
context_set_busy(struct tls_context *c, int busy)
{
	c->busy = busy;
}

int
context_busy(const struct tls_context *c)
{
	return (c->busy);
}

/*
 * Whether signing with the key takes long enough to delay other clients
 * (RSA: about a millisecond at 2048 bits, eight times that at 4096);
 * ECDSA up to P-384 and EdDSA take tens of microseconds.
 */
static int
key_is_slow(const EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		return (EVP_PKEY_get_bits(key) > 384);
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return (0);
	default:
		return (1);
	}
}

/*
 * Whether the next handshake step may sign with the context's own key, and
 * that key is slow to use.  A server signs in the flight that answers the
 * ClientHello (after a HelloRetryRequest, the second one), so not once it
 * has sent that flight: its Finished (TLS 1.3, resumed TLS 1.2) or
 * ServerHelloDone (TLS 1.2).  A client signs only in answer to the
 * server's flight, never in its ClientHello.
 */
int
context_step_signs_slowly(const struct tls_context *c)
{
	unsigned char	 fin[EVP_MAX_MD_SIZE];
	EVP_PKEY	*key = SSL_get_privatekey(c->ssl);

	if (c->done || key == NULL || !key_is_slow(key))
		return (0);
	if (c->dir == DIR_OUTBOUND)
		return (SSL_get_state(c->ssl) != TLS_ST_BEFORE);
	return (SSL_get_state(c->ssl) != TLS_ST_SW_SRVR_DONE &&
	    SSL_get_finished(c->ssl, fin, sizeof(fin)) == 0);
}

/* Not while a pool thread runs a step of it. */
int
context_established(const struct tls_context *c)
{
	return (c->done);
}

int64_t
context_started_ms(const struct tls_context *c)
{
	return (c->started_ms);
}

/* The monotonic clock in milliseconds. */
int64_t
context_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static secctx_status
handshake_run(struct tls_context *c, const unsigned char *in, size_t len,
    struct step_result *res, struct sc_err *err)
{
	struct feed	f = { in, len, 0, 0, 0 };
	int		r;

	for (;;) {
		r = SSL_do_handshake(c->ssl);
		if (r == 1) {
			c->done = 1;
			break;
		}
		if (SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_X509_LOOKUP) {
			context_output(c, res);
			res->extra = len - f.off;
			return (sc_seterr(err, SEC_I_INCOMPLETE_CREDENTIALS,
			    "the server asks for a certificate and credential "
			    "'%s' has none: call again to go on without one",
			    c->cred->name));
		}
		if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
			context_output(c, res);
			return (tls_error(c->ssl, err));
		}
		if (f.invalid) {
			context_output(c, res);
			return (sc_seterr(err, SEC_E_ILLEGAL_MESSAGE,
			    "the input is not a TLS record"));
		}
		if (feed_record(c, &f) == 0)
			break;
	}
	context_output(c, res);
	res->extra = len - f.off;
	if (c->done)
		return (SEC_E_OK);
	if (f.off == 0 && res->out_len == 0) {
		res->missing = f.missing;
		return (sc_seterr(err, SEC_E_INCOMPLETE_MESSAGE,
		    "the input ends inside a TLS record: %zu more bytes needed",
		    f.missing));
	}
	return (SEC_I_CONTINUE_NEEDED);
}

/*
 * The handshake completed: map the context when it was asked to and its
 * suite allows, else leave it to protect its records here.  The output
 * (a server's session tickets, a client's Finished) is not sent when
 * mapping fails.
 */
static secctx_status
context_map(struct tls_context *c, struct step_result *res,
    struct sc_err *err)
{
	int	mapped;

	if (ctx_map_capture(c->map, c->ssl, c->dir, res->out, res->out_len,
	    &mapped, err) != SEC_E_OK) {
		c->failed = 1;
		res->out = NULL;
		res->out_len = 0;
		return (err->status);
	}
	if (!mapped) {
		ctx_map_free(c->map);
		c->map = NULL;
		return (SEC_E_OK);
	}
	c->mapped = 1;
	__atomic_add_fetch(&contexts_mapped, 1, __ATOMIC_RELAXED);
	ctx_map_packed(c->map, &res->mapped, &res->mapped_len);
	return (SEC_E_OK);
}

/* Contexts mapped since the start. */
uint64_t
context_mapped_count(void)
{
	return (__atomic_load_n(&contexts_mapped, __ATOMIC_RELAXED));
}

secctx_status
context_handshake(struct tls_context *c, const unsigned char *in, size_t len,
    struct step_result *res, struct sc_err *err)
{
	secctx_status	st;

	memset(res, 0, sizeof(*res));
	if (c->done)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "the handshake is already complete"));
	ERR_clear_error();
	tls_bio_input_set(c->rbio, in);
	st = handshake_run(c, in, len, res, err);
	tls_bio_input_set(c->rbio, NULL);
	if (st == SEC_E_OK && c->map != NULL)
		st = context_map(c, res, err);
	return (st);
}

static secctx_status
mapped_refused(struct sc_err *err)
{
	return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE, "the context is mapped: "
	    "the application protects its records"));
}

secctx_status
context_encrypt(struct tls_context *c, const unsigned char *in, size_t len,
    struct step_result *res, struct sc_err *err)
{
	size_t	written;

	memset(res, 0, sizeof(*res));
	if (!c->done)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "the handshake is not complete"));
	if (c->mapped)
		return (mapped_refused(err));
	if (c->shut)
		return (sc_seterr(err, SEC_E_CONTEXT_EXPIRED,
		    "the context was shut down"));
	ERR_clear_error();
	/* The records in one buffer: a hint (it grows if need be). */
	if (len > 0)
		(void)tls_bio_output_reserve(c->wbio, len +
		    (len / SSL3_RT_MAX_PLAIN_LENGTH + 1) * RECORD_OVERHEAD);
	if (len > 0 && SSL_write_ex(c->ssl, in, len, &written) != 1) {
		c->failed = 1;
		context_output(c, res);
		tls_error(c->ssl, err);
		return (sc_seterr(err, SEC_E_ENCRYPT_FAILURE, "%s", err->msg));
	}
	context_output(c, res);
	return (SEC_E_OK);
}

/*
 * Read the plaintext of the records in rbio into data.  1: the peer closed,
 * 0: more input needed, -1: failure.
 */
static int
context_read(struct tls_context *c, unsigned char *data, size_t cap,
    size_t *len)
{
	size_t	n;
	int	r;

	for (;;) {
		r = SSL_read_ex(c->ssl, data + *len, cap - *len, &n);
		if (r == 1) {
			*len += n;
			if (*len == cap)
				return (0);
			continue;
		}
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			return (0);
		case SSL_ERROR_ZERO_RETURN:
			return (1);
		default:
			return (-1);
		}
	}
}

static secctx_status
decrypt_run(struct tls_context *c, const unsigned char *in, size_t len,
    size_t max_records, struct decrypt_result *res, struct sc_err *err)
{
	struct feed	f = { in, len, 0, 0, 0 };
	size_t		before;
	int		r = 0;

	while (max_records == 0 || res->records < max_records) {
		if (feed_record(c, &f) == 0)
			break;
		before = res->data_len;
		r = context_read(c, res->data, res->data_cap, &res->data_len);
		if (res->data_len > before)
			res->records++;
		if (r != 0)
			break;
		if (f.invalid || BIO_ctrl_pending(c->rbio) > 0) {
			r = -1;
			break;
		}
	}
	/*
	 * A KeyUpdate that asked for ours only marks it pending; schedule it
	 * (which re-enters the state machine) and write it now.
	 */
	if (r == 0 && SSL_get_key_update_type(c->ssl) != SSL_KEY_UPDATE_NONE &&
	    SSL_key_update(c->ssl, SSL_KEY_UPDATE_NOT_REQUESTED) == 1)
		SSL_do_handshake(c->ssl);
	context_output(c, &res->step);
	res->step.extra = len - f.off;
	if (r == 1)
		return (sc_seterr(err, SEC_I_CONTEXT_EXPIRED,
		    "the peer closed the connection"));
	if (r == -1) {
		c->failed = 1;
		if (ERR_peek_error() == 0)
			return (sc_seterr(err, SEC_E_ILLEGAL_MESSAGE,
			    "the input is not a TLS record"));
		return (tls_error(c->ssl, err));
	}
	if (f.off == 0) {
		res->step.missing = f.missing;
		return (sc_seterr(err, SEC_E_INCOMPLETE_MESSAGE,
		    "the input ends inside a TLS record: %zu more bytes needed",
		    f.missing));
	}
	return (SEC_E_OK);
}

secctx_status
context_decrypt(struct tls_context *c, const unsigned char *in, size_t len,
    size_t max_records, struct decrypt_result *res, struct sc_err *err)
{
	secctx_status	st;

	memset(&res->step, 0, sizeof(res->step));
	res->data_len = 0;
	if (!c->done)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "the handshake is not complete"));
	if (c->mapped)
		return (mapped_refused(err));
	ERR_clear_error();
	tls_bio_input_set(c->rbio, in);
	st = decrypt_run(c, in, len, max_records, res, err);
	tls_bio_input_set(c->rbio, NULL);
	return (st);
}

secctx_status
context_shutdown(struct tls_context *c, struct step_result *res,
    struct sc_err *err)
{
	int	oom;

	memset(res, 0, sizeof(*res));
	if (c->mapped)
		return (mapped_refused(err));
	if (!c->shut) {
		ERR_clear_error();
		if (SSL_shutdown(c->ssl) < 0) {
			oom = ERR_GET_REASON(ERR_peek_last_error()) ==
			    ERR_R_MALLOC_FAILURE;
			ERR_clear_error();
			if (!c->done)
				return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
				    "the handshake is not complete"));
			/* Not shut: saying so without close_notify lies. */
			return (sc_seterr(err, oom ?
			    SEC_E_INSUFFICIENT_MEMORY : SEC_E_INTERNAL_ERROR,
			    "cannot make the close_notify alert"));
		}
		c->shut = 1;
	}
	context_output(c, res);
	return (SEC_E_OK);
}

/*
 * What the SSL object wrote after the handshake: the records to send, or,
 * for a mapped context, their plaintext as TLSPlaintext records, which
 * the application seals under its current keys.
 */
static secctx_status
context_written(struct tls_context *c, struct step_result *res,
    struct sc_err *err)
{
	size_t	len;

	context_output(c, res);
	if (!c->mapped || res->out_len == 0)
		return (SEC_E_OK);
	if ((c->plain = malloc(res->out_len)) == NULL) {
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		goto fail;
	}
	if (ctx_map_open(c->map, res->out, res->out_len, c->plain, &len,
	    err) != SEC_E_OK)
		goto fail;
	tls_bio_output_reset(c->wbio);
	res->out = c->plain;
	res->out_len = len;
	return (SEC_E_OK);
fail:
	c->failed = 1;
	res->out = NULL;
	res->out_len = 0;
	return (err->status);
}

/*
 * Read the peer's sealed handshake records in rbio, to the end: no
 * application data can come out of them.
 */
static secctx_status
post_handshake_read(struct tls_context *c, struct sc_err *err)
{
	unsigned char	byte;
	size_t		n;
	int		r;

	if ((r = SSL_read_ex(c->ssl, &byte, 1, &n)) == 1)
		return (sc_seterr(err, SEC_E_ILLEGAL_MESSAGE,
		    "application data among handshake messages"));
	if (SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_READ)
		return (SEC_E_OK);
	return (tls_error(c->ssl, err));
}

/* The most KeyUpdates one request may ask the SSL object to catch up. */
#define CLIENT_UPDATES_MAX	4096

/* One KeyUpdate of the client's, replayed on the SSL object. */
static secctx_status
client_update_one(struct tls_context *c, struct sc_err *err)
{
	static const unsigned char	 ku[] = { 24, 0, 0, 1, 0 };
	const unsigned char		*out;
	unsigned char			*buf;
	size_t				 len, plain_len;
	secctx_status			 st;
	int				 r;

	ERR_clear_error();
	if (c->dir == DIR_INBOUND) {
		/* The client's KeyUpdate, as the SSL object reads it. */
		if (ctx_map_seal(c->map, ku, sizeof(ku), &buf, &len,
		    err) != SEC_E_OK)
			return (err->status);
		tls_bio_input_set(c->rbio, buf);
		tls_bio_input_extend(c->rbio, len);
		st = post_handshake_read(c, err);
		tls_bio_input_set(c->rbio, NULL);
		free(buf);
		if (st != SEC_E_OK)
			return (st);
		return (ctx_map_update(c->map, 1, err));
	}
	/* Ours: the SSL object writes it, and it goes nowhere. */
	if (SSL_key_update(c->ssl, SSL_KEY_UPDATE_NOT_REQUESTED) != 1 ||
	    ((r = SSL_do_handshake(c->ssl)) != 1 &&
	    SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ))
		return (tls_error(c->ssl, err));
	tls_bio_output_get(c->wbio, &out, &len);
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	st = ctx_map_open(c->map, out, len, buf, &plain_len, err);
	OPENSSL_clear_free(buf, len > 0 ? len : 1);
	tls_bio_output_reset(c->wbio);
	if (st != SEC_E_OK)
		return (st);
	return (ctx_map_update(c->map, 0, err));
}

/*
 * The application of a mapped TLS 1.3 context updates its keys alone; the
 * client's 'updates' KeyUpdates so far are replayed on the SSL object
 * before a post-handshake message, since the Finished of post-handshake
 * authentication is keyed from the client's current traffic secret
 * (RFC 8446 4.4).
 */
static secctx_status
client_updates_sync(struct tls_context *c, uint64_t updates,
    struct sc_err *err)
{
	if (!c->mapped || SSL_version(c->ssl) != TLS1_3_VERSION ||
	    updates == c->client_updates)
		return (SEC_E_OK);
	if (updates < c->client_updates ||
	    updates - c->client_updates > CLIENT_UPDATES_MAX)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "the client's "
		    "KeyUpdate count goes from %llu to %llu",
		    (unsigned long long)c->client_updates,
		    (unsigned long long)updates));
	while (c->client_updates < updates) {
		if (client_update_one(c, err) != SEC_E_OK) {
			c->failed = 1;
			return (err->status);
		}
		c->client_updates++;
	}
	return (SEC_E_OK);
}

/* The SSL object failed: the alert it wrote goes out with the status. */
static secctx_status
context_post_failed(struct tls_context *c, struct step_result *res,
    secctx_status st)
{
	struct sc_err	ignored;

	c->failed = 1;
	(void)context_written(c, res, &ignored);
	return (st);
}

/*
 * A mapped context: handshake messages the peer sent after the handshake
 * (len > 0 bytes), sealed as the SSL object expects them.  Its answer, if
 * any, or the alert of a failure, is the plaintext of res.
 */
secctx_status
context_post_handshake(struct tls_context *c, const unsigned char *in,
    size_t len, uint64_t client_updates, struct step_result *res,
    struct sc_err *err)
{
	unsigned char	*sealed;
	size_t		 sealed_len;
	secctx_status	 st;

	memset(res, 0, sizeof(*res));
	if (!c->mapped)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE, "the context is "
		    "not mapped: its records go through decrypt"));
	if (client_updates_sync(c, client_updates, err) != SEC_E_OK)
		return (err->status);
	ERR_clear_error();
	if (ctx_map_seal(c->map, in, len, &sealed, &sealed_len,
	    err) != SEC_E_OK) {
		c->failed = 1;
		return (err->status);
	}
	tls_bio_input_set(c->rbio, sealed);
	tls_bio_input_extend(c->rbio, sealed_len);
	st = post_handshake_read(c, err);
	tls_bio_input_set(c->rbio, NULL);
	free(sealed);
	if (st != SEC_E_OK)
		return (context_post_failed(c, res, st));
	return (context_written(c, res, err));
}

/* A message of ours after the handshake ('what', TLS 1.3 only). */
static secctx_status
post_handshake_allowed(struct tls_context *c, const char *what,
    struct sc_err *err)
{
	if (!c->done)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "the handshake is not complete"));
	if (c->shut)
		return (sc_seterr(err, SEC_E_CONTEXT_EXPIRED,
		    "the context was shut down"));
	if (SSL_version(c->ssl) != TLS1_3_VERSION)
		return (sc_seterr(err, SEC_E_UNSUPPORTED_FUNCTION,
		    "%s needs TLS 1.3", what));
	return (SEC_E_OK);
}

/* SSL_verify_client_post_handshake() refused: why, as a status. */
static secctx_status
pha_refused(struct sc_err *err)
{
	switch (ERR_GET_REASON(ERR_peek_last_error())) {
	case SSL_R_EXTENSION_NOT_RECEIVED:
		ERR_clear_error();
		return (sc_seterr(err, SEC_E_UNSUPPORTED_FUNCTION, "the client "
		    "did not offer post-handshake authentication"));
	case SSL_R_REQUEST_PENDING:
	case SSL_R_REQUEST_SENT:
		ERR_clear_error();
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE, "a certificate "
		    "request is already pending"));
	default:
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "cannot request "
		    "a certificate: %s", ssl_reason()));
	}
}

/*
 * A server's request for the client's certificate (TLS 1.3 post-handshake
 * authentication): its CertificateRequest in res, as records or, mapped,
 * as plaintext.  The client's answer comes in decrypt or post_handshake.
 */
secctx_status
context_request_client_cert(struct tls_context *c, uint64_t client_updates,
    struct step_result *res, struct sc_err *err)
{
	int	r;

	memset(res, 0, sizeof(*res));
	if (c->dir != DIR_INBOUND)
		return (sc_seterr(err, SEC_E_UNSUPPORTED_FUNCTION, "a client "
		    "context cannot request a client certificate"));
	if (post_handshake_allowed(c, "a certificate request after the "
	    "handshake", err) != SEC_E_OK)
		return (err->status);
	if (!c->cred->has_trust)
		return (sc_seterr(err, SEC_E_NO_CREDENTIALS, "credential '%s' "
		    "has no trust anchors to verify client certificates",
		    c->cred->name));
	if (client_updates_sync(c, client_updates, err) != SEC_E_OK)
		return (err->status);
	if (!(SSL_get_verify_mode(c->ssl) & SSL_VERIFY_PEER))
		SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
	ERR_clear_error();
	if (SSL_verify_client_post_handshake(c->ssl) != 1)
		return (pha_refused(err));
	if ((r = SSL_do_handshake(c->ssl)) != 1 &&
	    SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ)
		return (context_post_failed(c, res, tls_error(c->ssl, err)));
	return (context_written(c, res, err));
}

/*
 * Our KeyUpdate (TLS 1.3) on a context whose records the daemon protects:
 * its record in res; with request_peer the peer is asked for its own.  A
 * mapped context's application updates its keys itself.
 */
secctx_status
context_key_update(struct tls_context *c, int request_peer,
    struct step_result *res, struct sc_err *err)
{
	int	r;

	memset(res, 0, sizeof(*res));
	if (c->mapped)
		return (mapped_refused(err));
	if (post_handshake_allowed(c, "a KeyUpdate", err) != SEC_E_OK)
		return (err->status);
	ERR_clear_error();
	if (SSL_key_update(c->ssl, request_peer ? SSL_KEY_UPDATE_REQUESTED :
	    SSL_KEY_UPDATE_NOT_REQUESTED) != 1) {
		ERR_clear_error();
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "a KeyUpdate is already pending"));
	}
	if ((r = SSL_do_handshake(c->ssl)) != 1 &&
	    SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ)
		return (context_post_failed(c, res, tls_error(c->ssl, err)));
	context_output(c, res);
	return (SEC_E_OK);
}

enum direction
context_direction(const struct tls_context *c)
{
	return (c->dir);
}

const struct cred *
context_cred(const struct tls_context *c)
{
	return (c->cred);
}

/* An outbound context whose certificate validation the caller skipped. */
int
context_skips_validation(const struct tls_context *c)
{
	return (c->dir == DIR_OUTBOUND &&
	    SSL_get_verify_mode(c->ssl) == SSL_VERIFY_NONE);
}

void
context_free(struct tls_context *c)
{
	if (c == NULL)
		return;
	/*
	 * Closing without close_notify is the application's choice, not a
	 * failure: keep the session resumable, as OpenSSL would not.
	 */
	if (c->done && !c->failed)
		SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN |
		    SSL_RECEIVED_SHUTDOWN);
	SSL_free(c->ssl);
	cred_unref(c->cred);
	ctx_map_free(c->map);
	free(c->plain);
	free(c->alpn);
	free(c->target);
	free(c);
}

void
context_info(struct tls_context *c, struct ctx_info *info)
{
	tls_info(c->ssl, info);
	info->credential = c->cred->name;
	info->handshake_done = c->done;
	info->verify_result = SSL_get_verify_result(c->ssl);
}

secctx_status
context_export(struct tls_context *c, const char *label,
    const unsigned char *context, size_t context_len, int use_context,
    unsigned char *out, size_t len, struct sc_err *err)
{
	if (!c->done)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "the handshake is not complete"));
	if (SSL_export_keying_material(c->ssl, out, len, label,
	    strlen(label), context, context_len, use_context) != 1) {
		ERR_clear_error();
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "keying material export failed"));
	}
	return (SEC_E_OK);
}

/* RFC 5929 4.1: the hash of the server certificate. */
secctx_status
context_server_end_point(struct tls_context *c, unsigned char *out,
    size_t *len, struct sc_err *err)
{
	const EVP_MD	*md;
	X509		*cert;
	unsigned int	 n;
	int		 nid = NID_undef;

	if (!c->done)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "the handshake is not complete"));
	cert = c->dir == DIR_OUTBOUND ? SSL_get0_peer_certificate(c->ssl) :
	    SSL_get_certificate(c->ssl);
	if (cert == NULL || !X509_get_signature_info(cert, &nid, NULL, NULL,
	    NULL))
		return (sc_seterr(err, SEC_E_UNSUPPORTED_FUNCTION,
		    "the server certificate has no usable signature hash"));
	if (nid == NID_md5 || nid == NID_sha1 || nid == NID_undef)
		nid = NID_sha256;
	if ((md = EVP_get_digestbynid(nid)) == NULL ||
	    X509_digest(cert, md, out, &n) != 1)
		return (sc_seterr(err, SEC_E_UNSUPPORTED_FUNCTION,
		    "cannot hash the server certificate"));
	*len = n;
	return (SEC_E_OK);
}

/*
 * RFC 5929 3.1: the first Finished message of the latest handshake, the
 * client's in a full handshake and the server's in a resumed one.  TLS 1.3
 * defines no tls-unique (RFC 8446 C.5).
 */
secctx_status
context_tls_unique(struct tls_context *c, unsigned char *out, size_t *len,
    struct sc_err *err)
{
	int	ours;

	if (!c->done)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "the handshake is not complete"));
	if (SSL_version(c->ssl) != TLS1_2_VERSION)
		return (sc_seterr(err, SEC_E_UNSUPPORTED_FUNCTION,
		    "tls-unique is defined for TLS 1.2 only"));
	ours = (c->dir == DIR_OUTBOUND) != (SSL_session_reused(c->ssl) != 0);
	*len = ours ? SSL_get_finished(c->ssl, out, *len) :
	    SSL_get_peer_finished(c->ssl, out, *len);
	if (*len == 0)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR,
		    "no Finished message to bind to"));
	return (SEC_E_OK);
}

static int
chain_add(BIO *out, X509 *x, size_t *lens, size_t *n)
{
	size_t	before = BIO_ctrl_pending(out);

	if (i2d_X509_bio(out, x) != 1)
		return (-1);
	lens[(*n)++] = BIO_ctrl_pending(out) - before;
	return (0);
}

/* The peer's certificate chain, leaf first, as DER in a memory BIO. */
secctx_status
context_peer_chain(struct tls_context *c, BIO *out, size_t *lens,
    size_t *count, struct sc_err *err)
{
	STACK_OF(X509)	*chain = SSL_get_peer_cert_chain(c->ssl);
	X509		*leaf = SSL_get0_peer_certificate(c->ssl), *x;
	size_t		 n = 0, max = *count;
	int		 i;

	*count = 0;
	if (leaf == NULL || max == 0)
		return (SEC_E_OK);
	if (chain_add(out, leaf, lens, &n) != 0)
		goto nomem;
	/* A client's view of the chain starts with the leaf; a server's not. */
	for (i = 0; i < sk_X509_num(chain) && n < max; i++) {
		x = sk_X509_value(chain, i);
		if (X509_cmp(x, leaf) != 0 && chain_add(out, x, lens, &n) != 0)
			goto nomem;
	}
	*count = n;
	return (SEC_E_OK);
nomem:
	return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory"));
}
