/*
 * SSPI security contexts: InitializeSecurityContext, AcceptSecurityContext,
 * ApplyControlToken, CompleteAuthToken and DeleteSecurityContext over
 * secctx_initialize / secctx_accept / secctx_shutdown / secctx_delete.
 * This file only translates: SecBuffers to a secctx_token and back,
 * request flags to options, the native context to a CtxtHandle.  The
 * buffer conventions are those of Schannel; where they differ, the
 * difference is stated in docs/sspi.md.
 */

#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "client.h"
#include "sspi-internal.h"

/* The handshake message type of a CertificateRequest (RFC 5246 7.4). */

/* ALPN protocol names of a SECBUFFER_APPLICATION_PROTOCOLS buffer. */
struct sspi_alpn {
	char	*names[32];
	size_t	 count;
};

/* What every TLS stream context provides, asked for or not. */
#define SSPI_ISC_ALWAYS		(ISC_RET_REPLAY_DETECT | \
	ISC_RET_SEQUENCE_DETECT | ISC_RET_CONFIDENTIALITY | ISC_RET_STREAM)
#define SSPI_ASC_ALWAYS		(ASC_RET_REPLAY_DETECT | \
	ASC_RET_SEQUENCE_DETECT | ASC_RET_CONFIDENTIALITY | ASC_RET_STREAM)
/* The requests that, asked for, are reported back (same bit values). */
#define SSPI_ISC_ECHOED		(ISC_REQ_MUTUAL_AUTH | \
	ISC_REQ_EXTENDED_ERROR | ISC_REQ_USE_SUPPLIED_CREDS | \
	ISC_REQ_MANUAL_CRED_VALIDATION)
#define SSPI_ASC_ECHOED		(ASC_REQ_MUTUAL_AUTH | ASC_REQ_EXTENDED_ERROR)

/* The plaintext alert record of an unfinished handshake: TLS 1.2 form. */
#define SSPI_ALERT_RECORD_LEN	7

/* The buffers of one call. */
struct sspi_bufs {
	SecBuffer	*in;		/* input TOKEN */
	SecBuffer	*in_extra;	/* EMPTY after it: EXTRA or MISSING */
	SecBuffer	*out;		/* output TOKEN */
	SecBuffer	*alert;		/* output ALERT */
	SecBuffer	*protocols;	/* input APPLICATION_PROTOCOLS */
	int		 allocate;	/* ..._REQ_ALLOCATE_MEMORY */
	int		 extended;	/* ..._REQ_EXTENDED_ERROR */
	int		 ran;		/* the call reached the context */
	int		 allocated;	/* this call allocated an output */
};

SecBuffer *
sspi_find(PSecBufferDesc d, ULONG type, ULONG from)
{
	ULONG	i;

	if (d == NULL || d->pBuffers == NULL)
		return (NULL);
	for (i = from; i < d->cBuffers; i++)
		if ((d->pBuffers[i].BufferType & ~SECBUFFER_ATTRMASK) == type)
			return (&d->pBuffers[i]);
	return (NULL);
}

/*
 * Find the buffers.  The input token is required except on a client's
 * first call; the output token always.
 */
static SECURITY_STATUS
sspi_find_buffers(PSecBufferDesc pInput, PSecBufferDesc pOutput,
    int need_input, struct sspi_bufs *b)
{
	ULONG	i;

	b->in = sspi_find(pInput, SECBUFFER_TOKEN, 0);
	b->in_extra = NULL;
	if (b->in != NULL) {
		i = (ULONG)(b->in - pInput->pBuffers) + 1;
		b->in_extra = sspi_find(pInput, SECBUFFER_EMPTY, i);
	}
	b->protocols = sspi_find(pInput, SECBUFFER_APPLICATION_PROTOCOLS, 0);
	b->out = sspi_find(pOutput, SECBUFFER_TOKEN, 0);
	b->alert = sspi_find(pOutput, SECBUFFER_ALERT, 0);
	if ((need_input && b->in == NULL) || b->out == NULL)
		return (SEC_E_INVALID_TOKEN);
	if (b->in != NULL && b->in->pvBuffer == NULL && b->in->cbBuffer > 0)
		return (SEC_E_INVALID_TOKEN);
	if (b->protocols != NULL && b->protocols->pvBuffer == NULL &&
	    b->protocols->cbBuffer > 0)
		return (SEC_E_INVALID_TOKEN);
	if (!b->allocate && b->out->pvBuffer == NULL && b->out->cbBuffer > 0)
		return (SEC_E_INVALID_TOKEN);
	/* As Schannel: an EMPTY input with a size, an ALERT with no room. */
	if (b->in_extra != NULL && b->in_extra->cbBuffer != 0)
		return (SEC_E_INVALID_TOKEN);
	if (b->alert != NULL && !b->allocate && b->alert->cbBuffer == 0)
		return (SEC_E_INSUFFICIENT_MEMORY);
	return (SEC_E_OK);
}

/*
 * Whether the input token starts like TLS (a record header's content type
 * and major version, as far as the bytes go) and holds its first record
 * whole.  Until it does, no daemon call is made and nothing is created;
 * SECBUFFER_MISSING says how many bytes are short.
 */
static SECURITY_STATUS
sspi_check_record(struct sspi_bufs *b)
{
	const uint8_t	*p = b->in->pvBuffer;
	size_t		 len = b->in->cbBuffer, need;

	if ((len >= 1 && (p[0] < REC_CHANGE_CIPHER_SPEC ||
	    p[0] > REC_APPLICATION_DATA)) || (len >= 2 && p[1] != 3)) {
		if (b->allocate)
			b->out->pvBuffer = NULL;
		b->out->cbBuffer = 0;
		return (SEC_E_INVALID_TOKEN);
	}
	need = REC_HEADER_LEN;
	if (len >= REC_HEADER_LEN)
		need += (size_t)p[3] << 8 | p[4];
	if (len >= need)
		return (SEC_E_OK);
	if (b->in_extra != NULL) {
		b->in_extra->BufferType = SECBUFFER_MISSING;
		b->in_extra->cbBuffer = (ULONG)(need - len);
		b->in_extra->pvBuffer = NULL;
	}
	return (SEC_E_INCOMPLETE_MESSAGE);
}

/*
 * Put len bytes into buf: a new block when allocating (FreeContextBuffer),
 * else a copy into the caller's memory.  'owned' is taken over when
 * allocating.  SEC_E_INSUFFICIENT_MEMORY when the caller's buffer is too
 * small.
 */
static SECURITY_STATUS
sspi_deliver(SecBuffer *buf, int allocate, void **owned, const void *data,
    size_t len)
{
	if (allocate) {
		buf->pvBuffer = NULL;
		buf->cbBuffer = 0;
		if (len == 0)
			return (SEC_E_OK);
		if (owned != NULL && *owned != NULL) {
			buf->pvBuffer = *owned;
			*owned = NULL;
		} else if ((buf->pvBuffer = malloc(len)) == NULL)
			return (SEC_E_INSUFFICIENT_MEMORY);
		else
			memcpy(buf->pvBuffer, data, len);
		buf->cbBuffer = (ULONG)len;
		return (SEC_E_OK);
	}
	if (len > buf->cbBuffer) {
		buf->cbBuffer = 0;
		return (SEC_E_INSUFFICIENT_MEMORY);
	}
	if (len > 0)
		memcpy(buf->pvBuffer, data, len);
	buf->cbBuffer = (ULONG)len;
	return (SEC_E_OK);
}

/*
 * The ALPN lists of a SEC_APPLICATION_PROTOCOLS buffer: ProtocolListsSize,
 * then lists of { ProtoNegoExt (4 bytes), ProtocolListSize (2 bytes), the
 * protocol names in ALPN wire form }.  Only the ALPN list is used.
 */
static SECURITY_STATUS
sspi_alpn_parse(const SecBuffer *b, struct sspi_alpn *a)
{
	const uint8_t	*p = b->pvBuffer, *list;
	uint32_t	 total, ext;
	uint16_t	 size;
	size_t		 off, i, n;

	memset(a, 0, sizeof(*a));
	if (b->cbBuffer < 4)
		return (SEC_E_INVALID_TOKEN);
	memcpy(&total, p, 4);
	if (total > b->cbBuffer - 4)
		return (SEC_E_INVALID_TOKEN);
	for (off = 4; off < 4 + (size_t)total; off += 6 + size) {
		if (4 + (size_t)total - off < 6)
			return (SEC_E_INVALID_TOKEN);
		memcpy(&ext, p + off, 4);
		memcpy(&size, p + off + 4, 2);
		if (size > 4 + (size_t)total - off - 6)
			return (SEC_E_INVALID_TOKEN);
		if (ext != SecApplicationProtocolNegotiationExt_ALPN)
			continue;
		list = p + off + 6;
		for (i = 0; i < size; i += 1 + n) {
			n = list[i];
			if (n == 0 || n > size - i - 1 ||
			    a->count == sizeof(a->names) / sizeof(a->names[0]))
				return (SEC_E_INVALID_TOKEN);
			if ((a->names[a->count] = strndup((const char *)
			    list + i + 1, n)) == NULL)
				return (SEC_E_INSUFFICIENT_MEMORY);
			a->count++;
		}
	}
	return (SEC_E_OK);
}

static void
sspi_alpn_free(struct sspi_alpn *a)
{
	size_t	i;

	for (i = 0; i < a->count; i++)
		free(a->names[i]);
	a->count = 0;
}

/* The options of a context's first native call. */
static void
sspi_options(const struct sspi_ctx *x, ULONG req, const struct sspi_alpn *a,
    struct secctx_options *o)
{
	memset(o, 0, sizeof(*o));
	o->target = x->target;
	o->min_version = x->cred->min_version;
	o->max_version = x->cred->max_version;
	if (a->count > 0) {
		o->alpn = (const char *const *)a->names;
		o->alpn_count = a->count;
	}
	/* Mutual authentication: the client must present a certificate. */
	if (x->server && (req & ASC_REQ_MUTUAL_AUTH))
		o->client_cert = SECCTX_CLIENT_CERT_REQUIRED;
	/* The application validates the server's chain itself (sspi.c). */
	if (!x->server && (x->cred->manual_validation ||
	    (req & ISC_REQ_MANUAL_CRED_VALIDATION)))
		o->skip_validation = 1;
	/* Schannel offers no post-handshake authentication. */
	o->no_post_handshake_auth = 1;
}

/* A caller's ALERT buffer that receives nothing: cbBuffer 0. */
static void
sspi_no_alert(struct sspi_bufs *b)
{
	if (b->alert == NULL)
		return;
	if (b->allocate)
		b->alert->pvBuffer = NULL;
	b->alert->cbBuffer = 0;
}

/* After a failure: the alert goes where the caller asked for it. */
static void
sspi_failed(struct sspi_bufs *b, struct secctx_token *tok)
{
	void	*none = NULL;

	if (b->alert != NULL &&
	    sspi_deliver(b->alert, b->allocate, &none, tok->out,
	    tok->out_len) != SEC_E_OK)
		sspi_no_alert(b);
	if (b->extended && tok->out_len > 0)
		(void)sspi_deliver(b->out, b->allocate, &tok->out, tok->out,
		    tok->out_len);
}

/* One native handshake call and its results in the SecBuffers. */
static SECURITY_STATUS
sspi_call(struct sspi_ctx *x, ULONG req, struct sspi_bufs *b)
{
	struct secctx_options	 opt;
	struct secctx_token	 tok;
	struct sspi_alpn	 alpn;
	secctx_cred		*cred = x->ctx == NULL ? x->cred->cred : NULL;
	SECURITY_STATUS		 st, dst;

	memset(&tok, 0, sizeof(tok));
	memset(&alpn, 0, sizeof(alpn));
	if (b->in != NULL) {
		tok.in = b->in->pvBuffer;
		tok.in_len = b->in->cbBuffer;
	}
	/*
	 * After SEC_I_INCOMPLETE_CREDENTIALS the caller passes the same input
	 * again, as Schannel consumed none of it: the daemon did.
	 */
	if (x->consumed > 0) {
		if (tok.in_len < x->consumed) {
			st = SEC_E_INVALID_TOKEN;
			goto out;
		}
		tok.in = (const uint8_t *)tok.in + x->consumed;
		tok.in_len -= x->consumed;
		x->consumed = 0;
	}
	if (x->ctx == NULL && b->protocols != NULL &&
	    (st = sspi_alpn_parse(b->protocols, &alpn)) != SEC_E_OK) {
		x->dead = 1;
		goto out;
	}
	sspi_options(x, req, &alpn, &opt);
	b->ran = 1;
	if (x->server)
		st = secctx_accept(cred, &x->ctx, &opt, &tok);
	else
		st = client_initialize(cred, &x->ctx, &opt, 1, &tok);

	/*
	 * The server asks for a certificate this credential does not have:
	 * the caller may acquire another credential, or call again to go on
	 * without one.  Nothing to send yet, no EXTRA.
	 */
	if (st == SEC_I_INCOMPLETE_CREDENTIALS) {
		x->cred_asked = 1;
		x->consumed = b->in->cbBuffer - tok.extra;
		if (b->allocate)
			b->out->pvBuffer = NULL;
		b->out->cbBuffer = 0;
		sspi_no_alert(b);
		goto out;
	}

	/* Incomplete: the output buffers are left as they were. */
	if (st == SEC_E_INCOMPLETE_MESSAGE) {
		if (b->in_extra != NULL) {
			b->in_extra->BufferType = SECBUFFER_MISSING;
			b->in_extra->cbBuffer = (ULONG)tok.missing;
			b->in_extra->pvBuffer = NULL;
		}
		goto out;
	}
	if (b->allocate) {
		b->out->pvBuffer = NULL;
		b->out->cbBuffer = 0;
	}
	if (SECCTX_FAILED(st)) {
		x->dead = 1;
		if (!b->extended)
			b->out->cbBuffer = 0;
		sspi_failed(b, &tok);
		goto out;
	}
	sspi_no_alert(b);
	dst = sspi_deliver(b->out, b->allocate, &tok.out, tok.out,
	    tok.out_len);
	if (dst != SEC_E_OK) {
		/* The token is lost: the handshake cannot go on. */
		sspi_ctx_failed(x);
		st = dst;
		goto out;
	}
	/*
	 * The stream sizes, now: EncryptMessage and DecryptMessage of a
	 * mapped context then never need the daemon, even after it restarts.
	 */
	if (st == SEC_E_OK) {
		x->done = 1;
		(void)sspi_ctx_sizes(x);
	}
	if (tok.extra > 0 && b->in_extra != NULL) {
		b->in_extra->BufferType = SECBUFFER_EXTRA;
		b->in_extra->cbBuffer = (ULONG)tok.extra;
		b->in_extra->pvBuffer = (uint8_t *)b->in->pvBuffer +
		    (b->in->cbBuffer - tok.extra);
	}
out:
	sspi_alpn_free(&alpn);
	secctx_free(tok.out);
	return (st);
}

/*
 * A call on an established context.  After ApplyControlToken(SHUTDOWN) the
 * output token is our close_notify; otherwise it is whatever must be sent
 * before the next record (normally nothing), and all input is left for
 * DecryptMessage as SECBUFFER_EXTRA.
 */
static SECURITY_STATUS
sspi_call_established(struct sspi_ctx *x, struct sspi_bufs *b)
{
	SECURITY_STATUS	 st;
	void		*out = NULL;
	size_t		 out_len = 0;

	b->ran = 1;
	if (x->shutdown) {
		x->shutdown = 0;
		if ((st = secctx_shutdown(x->ctx, &out, &out_len)) != SEC_E_OK)
			return (st);
		if ((st = sspi_ctx_pend(x, out, out_len)) != SEC_E_OK) {
			secctx_free(out);
			return (st);
		}
		secctx_free(out);
	}
	/* Allocating takes the pending block over; a copy leaves it. */
	st = sspi_deliver(b->out, b->allocate, (void **)&x->pending,
	    x->pending, x->pending_len);
	if (st != SEC_E_OK)
		return (st);
	free(x->pending);
	x->pending = NULL;
	x->pending_len = 0;
	if (b->in != NULL && b->in->cbBuffer > 0 && b->in_extra != NULL) {
		b->in_extra->BufferType = SECBUFFER_EXTRA;
		b->in_extra->cbBuffer = b->in->cbBuffer;
		b->in_extra->pvBuffer = b->in->pvBuffer;
	}
	return (SEC_E_OK);
}

/* A new context object from a credential handle. */
static SECURITY_STATUS
sspi_ctx_new(PCredHandle phCredential, int server, const char *target,
    struct sspi_ctx **xp)
{
	struct sspi_ctx	*x;

	*xp = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	if (target != NULL && (x->target = strdup(target)) == NULL) {
		free(x);
		return (SEC_E_INSUFFICIENT_MEMORY);
	}
	if ((x->cred = sspi_cred_hold(phCredential)) == NULL) {
		free(x->target);
		free(x);
		return (SEC_E_INVALID_HANDLE);
	}
	pthread_mutex_init(&x->lock, NULL);
	x->server = server;
	*xp = x;
	return (SEC_E_OK);
}

static void
sspi_ctx_free(struct sspi_ctx *x)
{
	secctx_delete(x->ctx);
	sspi_cred_release(x->cred);
	pthread_mutex_destroy(&x->lock);
	free(x->target);
	free(x->pending);
	free(x->km_label);
	free(x->km_context);
	free(x);
}

struct sspi_ctx *
sspi_ctx_lookup(PCtxtHandle h)
{
	struct sspi_ctx	*x;

	x = (struct sspi_ctx *)sspi_lookup(h, SSPI_KIND_CTX);
	return (x == NULL || x->dead ? NULL : x);
}

void
sspi_ctx_failed(struct sspi_ctx *x)
{
	secctx_delete(x->ctx);
	x->ctx = NULL;
	x->dead = 1;
}

SECURITY_STATUS
sspi_ctx_sizes(struct sspi_ctx *x)
{
	struct secctx_info	*info;
	SECURITY_STATUS		 st;

	if (x->max_message > 0)
		return (SEC_E_OK);
	if (!x->done)
		return (SEC_E_INVALID_HANDLE);
	if ((info = malloc(sizeof(*info))) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	if ((st = secctx_query_info(x->ctx, info)) == SEC_E_OK) {
		x->header = info->stream_header;
		x->trailer = info->stream_trailer;
		x->max_message = info->stream_max_message;
		x->block_size = info->stream_block_size;
		if (x->max_message == 0)
			st = SEC_E_INTERNAL_ERROR;
	}
	free(info);
	return (st);
}

SECURITY_STATUS
sspi_ctx_pend(struct sspi_ctx *x, const void *p, size_t len)
{
	uint8_t	*n;

	if (len == 0)
		return (SEC_E_OK);
	if ((n = realloc(x->pending, x->pending_len + len)) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	memcpy(n + x->pending_len, p, len);
	x->pending = n;
	x->pending_len += len;
	return (SEC_E_OK);
}

/*
 * ApplyControlToken(SHUTDOWN or ALERT) on an unfinished handshake: the
 * alert as a plaintext record, and the handshake is over.
 */
static SECURITY_STATUS
sspi_call_alert(struct sspi_ctx *x, struct sspi_bufs *b)
{
	uint8_t		rec[SSPI_ALERT_RECORD_LEN];
	SECURITY_STATUS	st;

	b->ran = 1;
	rec[0] = REC_ALERT;
	rec[1] = REC_VERSION_12 >> 8;
	rec[2] = REC_VERSION_12 & 0xff;
	rec[3] = 0;
	rec[4] = 2;
	rec[5] = x->alert_level;
	rec[6] = x->alert_desc;
	sspi_no_alert(b);
	if ((st = sspi_deliver(b->out, b->allocate, NULL, rec,
	    sizeof(rec))) != SEC_E_OK)
		return (st);
	x->alert = 0;
	x->closed = 1;
	secctx_delete(x->ctx);
	x->ctx = NULL;
	return (SEC_E_OK);
}

/* What the context provides, as *pfContextAttr reports it. */
static ULONG
sspi_attrs(int server, ULONG req, const struct sspi_bufs *b)
{
	if (server)
		return (SSPI_ASC_ALWAYS | (req & SSPI_ASC_ECHOED) |
		    (b->allocated ? ASC_RET_ALLOCATED_MEMORY : 0));
	return (SSPI_ISC_ALWAYS | (req & SSPI_ISC_ECHOED) |
	    (b->allocated ? ISC_RET_ALLOCATED_MEMORY : 0));
}

/*
 * A first call.  Only a context that can go on gets a handle: one that
 * failed or still waits for its first record leaves nothing behind, in
 * the library or in the daemon.
 */
static SECURITY_STATUS
sspi_first(int server, PCredHandle phCredential, const char *target,
    ULONG req, PSecBufferDesc pInput, PCtxtHandle phNewContext,
    PSecBufferDesc pOutput, struct sspi_bufs *b)
{
	struct sspi_ctx	*x;
	SECURITY_STATUS	 st;

	if ((st = sspi_find_buffers(pInput, pOutput, server, b)) != SEC_E_OK)
		return (st);
	if (server && (st = sspi_check_record(b)) != SEC_E_OK)
		return (st);
	if ((st = sspi_ctx_new(phCredential, server, target, &x)) != SEC_E_OK)
		return (st);
	st = sspi_call(x, req, b);
	if (x->dead || x->ctx == NULL || st == SEC_E_INCOMPLETE_MESSAGE) {
		sspi_ctx_free(x);
		return (st);
	}
	sspi_register(&x->obj, SSPI_KIND_CTX, phNewContext);
	return (st);
}

/* A later call, with x->lock held. */
static SECURITY_STATUS
sspi_next(struct sspi_ctx *x, ULONG req, PSecBufferDesc pInput,
    PSecBufferDesc pOutput, struct sspi_bufs *b)
{
	SECURITY_STATUS	st;

	/* A control token's alert goes out whatever the input. */
	if (x->alert) {
		if ((st = sspi_find_buffers(NULL, pOutput, 0, b)) != SEC_E_OK)
			return (st);
		return (sspi_call_alert(x, b));
	}
	if (x->done || x->shutdown) {
		if ((st = sspi_find_buffers(pInput, pOutput, 0, b)) != SEC_E_OK)
			return (st);
		return (sspi_call_established(x, b));
	}
	/* Nothing received: as Schannel, wait for it, touching nothing. */
	if (pInput == NULL)
		return (SEC_E_INCOMPLETE_MESSAGE);
	if (x->closed)
		return (SEC_E_CONTEXT_EXPIRED);
	if ((st = sspi_find_buffers(pInput, pOutput, 1, b)) != SEC_E_OK ||
	    (st = sspi_check_record(b)) != SEC_E_OK)
		return (st);
	return (sspi_call(x, req, b));
}

/* Both directions: a new context when phContext is NULL, else a step. */
static SECURITY_STATUS
sspi_step(int server, PCredHandle phCredential, PCtxtHandle phContext,
    const char *target, ULONG req, PSecBufferDesc pInput,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, ULONG *pfContextAttr,
    PTimeStamp ptsExpiry)
{
	struct sspi_bufs	 b;
	struct sspi_ctx		*x = NULL;
	SECURITY_STATUS		 st;

	if (pfContextAttr != NULL)
		*pfContextAttr = 0;
	memset(&b, 0, sizeof(b));
	b.allocate = (req & (server ? ASC_REQ_ALLOCATE_MEMORY :
	    ISC_REQ_ALLOCATE_MEMORY)) != 0;
	b.extended = (req & (server ? ASC_REQ_EXTENDED_ERROR :
	    ISC_REQ_EXTENDED_ERROR)) != 0;
	if (phContext != NULL) {
		x = sspi_ctx_lookup(phContext);
		if (x == NULL || x->server != server)
			return (SEC_E_INVALID_HANDLE);
	} else if (phNewContext == NULL)
		return (SEC_E_INVALID_PARAMETER);
	else if (sspi_lookup(phCredential, SSPI_KIND_CRED) == NULL)
		return (SEC_E_INVALID_HANDLE);

	if (x == NULL)
		st = sspi_first(server, phCredential, target, req, pInput,
		    phNewContext, pOutput, &b);
	else {
		pthread_mutex_lock(&x->lock);
		st = sspi_next(x, req, pInput, pOutput, &b);
		pthread_mutex_unlock(&x->lock);
		/* No call that fails or waits for input writes a handle. */
		if (!SECCTX_FAILED(st) && phNewContext != NULL &&
		    phNewContext != phContext)
			*phNewContext = *phContext;
	}
	if (!b.ran)
		return (st);
	b.allocated = b.allocate && st != SEC_E_INCOMPLETE_MESSAGE &&
	    ((b.out != NULL && b.out->pvBuffer != NULL) ||
	    (b.alert != NULL && b.alert->pvBuffer != NULL));
	if (pfContextAttr != NULL)
		*pfContextAttr = sspi_attrs(server, req, &b);
	if (ptsExpiry != NULL) {
		ptsExpiry->LowPart = 0xFFFFFFFFu;
		ptsExpiry->HighPart = 0x7FFFFFFF;
	}
	return (st);
}

SECURITY_STATUS SEC_ENTRY
InitializeSecurityContextA(PCredHandle phCredential, PCtxtHandle phContext,
    SEC_CHAR *pszTargetName, ULONG fContextReq, ULONG Reserved1,
    ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, ULONG *pfContextAttr,
    PTimeStamp ptsExpiry)
{
	(void)Reserved1;
	(void)TargetDataRep;
	(void)Reserved2;
	return (sspi_step(0, phCredential, phContext, pszTargetName,
	    fContextReq, pInput, phNewContext, pOutput, pfContextAttr,
	    ptsExpiry));
}

/* UTF-8 of a wide string (UTF-32 on Linux); free() it.  NULL if invalid. */
static char *
sspi_utf8(const wchar_t *w)
{
	size_t		 n = wcslen(w), i, j = 0;
	uint32_t	 c;
	char		*s;

	if ((s = malloc(n * 4 + 1)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		c = (uint32_t)w[i];
		if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
			free(s);
			return (NULL);
		}
		if (c < 0x80)
			s[j++] = (char)c;
		else if (c < 0x800) {
			s[j++] = (char)(0xC0 | (c >> 6));
			s[j++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			s[j++] = (char)(0xE0 | (c >> 12));
			s[j++] = (char)(0x80 | ((c >> 6) & 0x3F));
			s[j++] = (char)(0x80 | (c & 0x3F));
		} else {
			s[j++] = (char)(0xF0 | (c >> 18));
			s[j++] = (char)(0x80 | ((c >> 12) & 0x3F));
			s[j++] = (char)(0x80 | ((c >> 6) & 0x3F));
			s[j++] = (char)(0x80 | (c & 0x3F));
		}
	}
	s[j] = '\0';
	return (s);
}

SECURITY_STATUS SEC_ENTRY
InitializeSecurityContextW(PCredHandle phCredential, PCtxtHandle phContext,
    SEC_WCHAR *pszTargetName, ULONG fContextReq, ULONG Reserved1,
    ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, ULONG *pfContextAttr,
    PTimeStamp ptsExpiry)
{
	SECURITY_STATUS	 st;
	char		*target = NULL;

	if (pszTargetName != NULL && (target = sspi_utf8(pszTargetName)) ==
	    NULL)
		return (SEC_E_TARGET_UNKNOWN);
	st = InitializeSecurityContextA(phCredential, phContext, target,
	    fContextReq, Reserved1, TargetDataRep, pInput, Reserved2,
	    phNewContext, pOutput, pfContextAttr, ptsExpiry);
	free(target);
	return (st);
}

SECURITY_STATUS SEC_ENTRY
AcceptSecurityContext(PCredHandle phCredential, PCtxtHandle phContext,
    PSecBufferDesc pInput, ULONG fContextReq, ULONG TargetDataRep,
    PCtxtHandle phNewContext, PSecBufferDesc pOutput, ULONG *pfContextAttr,
    PTimeStamp ptsExpiry)
{
	(void)TargetDataRep;
	return (sspi_step(1, phCredential, phContext, NULL, fContextReq,
	    pInput, phNewContext, pOutput, pfContextAttr, ptsExpiry));
}

SECURITY_STATUS SEC_ENTRY
DeleteSecurityContext(PCtxtHandle phContext)
{
	struct sspi_ctx	*x;

	x = (struct sspi_ctx *)sspi_unregister(phContext, SSPI_KIND_CTX);
	if (x == NULL)
		return (SEC_E_INVALID_HANDLE);
	sspi_ctx_free(x);
	return (SEC_E_OK);
}

/*
 * The token of an ApplyControlToken descriptor, checked as Schannel checks
 * it: exactly one SECBUFFER_TOKEN buffer, long enough for its type.
 */
static SECURITY_STATUS
sspi_control_token(PSecBufferDesc d, SCHANNEL_ALERT_TOKEN *t)
{
	SecBuffer	*b;

	if (d == NULL)
		return (SEC_E_INTERNAL_ERROR);
	if (d->cBuffers != 1 || d->pBuffers == NULL)
		return (SEC_E_INVALID_TOKEN);
	b = &d->pBuffers[0];
	if ((b->BufferType & ~SECBUFFER_ATTRMASK) != SECBUFFER_TOKEN ||
	    (b->pvBuffer == NULL && b->cbBuffer > 0))
		return (SEC_E_INVALID_TOKEN);
	memset(t, 0, sizeof(*t));
	if (b->cbBuffer < sizeof(t->dwTokenType))
		return (SEC_E_UNSUPPORTED_FUNCTION);
	memcpy(&t->dwTokenType, b->pvBuffer, sizeof(t->dwTokenType));
	switch (t->dwTokenType) {
	case SCHANNEL_SHUTDOWN:
		t->dwAlertType = TLS1_ALERT_WARNING;
		t->dwAlertNumber = TLS1_ALERT_CLOSE_NOTIFY;
		return (SEC_E_OK);
	case SCHANNEL_ALERT:
		if (b->cbBuffer < sizeof(*t))
			return (SEC_E_UNSUPPORTED_FUNCTION);
		memcpy(t, b->pvBuffer, sizeof(*t));
		if ((t->dwAlertType != TLS1_ALERT_WARNING &&
		    t->dwAlertType != TLS1_ALERT_FATAL) ||
		    t->dwAlertNumber > 255)
			return (SEC_E_INVALID_TOKEN);
		return (SEC_E_OK);
	default:
		return (SEC_E_UNSUPPORTED_FUNCTION);
	}
}

/*
 * SCHANNEL_SHUTDOWN and SCHANNEL_ALERT: the next handshake call returns
 * the alert.  An established context sends close_notify only: its
 * records are protected, and the daemon makes no other alert for it.
 */
SECURITY_STATUS SEC_ENTRY
ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput)
{
	SCHANNEL_ALERT_TOKEN	 t;
	struct sspi_ctx		*x;
	SECURITY_STATUS		 st;

	if ((x = sspi_ctx_lookup(phContext)) == NULL)
		return (SEC_E_INVALID_HANDLE);
	if ((st = sspi_control_token(pInput, &t)) != SEC_E_OK)
		return (st);
	pthread_mutex_lock(&x->lock);
	if (x->done) {
		if (t.dwAlertNumber == TLS1_ALERT_CLOSE_NOTIFY)
			x->shutdown = 1;
		else
			st = SEC_E_UNSUPPORTED_FUNCTION;
	} else {
		x->alert = 1;
		x->alert_level = (uint8_t)t.dwAlertType;
		x->alert_desc = (uint8_t)t.dwAlertNumber;
	}
	pthread_mutex_unlock(&x->lock);
	return (st);
}

SECURITY_STATUS SEC_ENTRY
CompleteAuthToken(PCtxtHandle phContext, PSecBufferDesc pToken)
{
	(void)pToken;
	return (sspi_ctx_lookup(phContext) == NULL ? SEC_E_INVALID_HANDLE :
	    SEC_E_OK);
}
