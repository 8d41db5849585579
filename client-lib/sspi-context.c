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

#include "sspi-internal.h"

/* ALPN protocol names of a SECBUFFER_APPLICATION_PROTOCOLS buffer. */
struct sspi_alpn {
	char	*names[32];
	size_t	 count;
};

/*
 * The requests this layer honours; the ISC_RET_* / ASC_RET_* bit of each
 * has the value of its ISC_REQ_* / ASC_REQ_* bit.
 */
#define SSPI_ISC_HONOURED	(ISC_REQ_MUTUAL_AUTH | ISC_REQ_REPLAY_DETECT | \
	ISC_REQ_SEQUENCE_DETECT | ISC_REQ_CONFIDENTIALITY | \
	ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_EXTENDED_ERROR | ISC_REQ_STREAM)
#define SSPI_ASC_HONOURED	(ASC_REQ_MUTUAL_AUTH | ASC_REQ_REPLAY_DETECT | \
	ASC_REQ_SEQUENCE_DETECT | ASC_REQ_CONFIDENTIALITY | \
	ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_EXTENDED_ERROR | ASC_REQ_STREAM)

/* The buffers of one call. */
struct sspi_bufs {
	SecBuffer	*in;		/* input TOKEN */
	SecBuffer	*in_extra;	/* EMPTY after it: EXTRA or MISSING */
	SecBuffer	*out;		/* output TOKEN */
	SecBuffer	*alert;		/* output ALERT */
	SecBuffer	*protocols;	/* input APPLICATION_PROTOCOLS */
	int		 allocate;	/* ..._REQ_ALLOCATE_MEMORY */
	int		 extended;	/* ..._REQ_EXTENDED_ERROR */
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
	return (SEC_E_OK);
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
	if (x->server && (req & ASC_REQ_MUTUAL_AUTH))
		o->client_cert = SECCTX_CLIENT_CERT_OPTIONAL;
	/* Schannel offers no post-handshake authentication. */
	o->no_post_handshake_auth = 1;
}

/* After a failure: the alert goes where the caller asked for it. */
static void
sspi_failed(struct sspi_bufs *b, struct secctx_token *tok)
{
	void	*none = NULL;

	if (b->alert != NULL &&
	    sspi_deliver(b->alert, b->allocate, &none, tok->out,
	    tok->out_len) != SEC_E_OK)
		b->alert->cbBuffer = 0;
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
	if (x->ctx == NULL && b->protocols != NULL &&
	    (st = sspi_alpn_parse(b->protocols, &alpn)) != SEC_E_OK) {
		x->dead = 1;
		goto out;
	}
	sspi_options(x, req, &alpn, &opt);
	if (x->server)
		st = secctx_accept(cred, &x->ctx, &opt, &tok);
	else
		st = secctx_initialize(cred, &x->ctx, &opt, &tok);

	if (b->allocate) {
		b->out->pvBuffer = NULL;
		b->out->cbBuffer = 0;
	}
	if (st == SEC_E_INCOMPLETE_MESSAGE) {
		b->out->cbBuffer = 0;
		if (b->in_extra != NULL) {
			b->in_extra->BufferType = SECBUFFER_MISSING;
			b->in_extra->cbBuffer = (ULONG)tok.missing;
			b->in_extra->pvBuffer = NULL;
		}
		goto out;
	}
	if (SECCTX_FAILED(st)) {
		x->dead = 1;
		if (!b->extended)
			b->out->cbBuffer = 0;
		sspi_failed(b, &tok);
		goto out;
	}
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
	ULONG			 honoured;

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
	st = sspi_find_buffers(pInput, pOutput, (server || phContext != NULL) &&
	    (x == NULL || !(x->done || x->shutdown)), &b);
	if (st != SEC_E_OK)
		return (st);
	if (x == NULL &&
	    (st = sspi_ctx_new(phCredential, server, target, &x)) != SEC_E_OK)
		return (st);

	pthread_mutex_lock(&x->lock);
	if (x->done || x->shutdown)
		st = sspi_call_established(x, &b);
	else
		st = sspi_call(x, req, &b);
	pthread_mutex_unlock(&x->lock);

	if (phContext == NULL) {
		if (x->dead) {
			sspi_ctx_free(x);
			return (st);
		}
		sspi_register(&x->obj, SSPI_KIND_CTX, phNewContext);
	} else if (phNewContext != NULL && phNewContext != phContext)
		*phNewContext = *phContext;
	honoured = server ? SSPI_ASC_HONOURED : SSPI_ISC_HONOURED;
	if (pfContextAttr != NULL)
		*pfContextAttr = req & honoured;
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

SECURITY_STATUS SEC_ENTRY
ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput)
{
	struct sspi_ctx	*x;
	SecBuffer	*b;
	DWORD		 type;

	if ((x = sspi_ctx_lookup(phContext)) == NULL)
		return (SEC_E_INVALID_HANDLE);
	b = sspi_find(pInput, SECBUFFER_TOKEN, 0);
	if (b == NULL || b->pvBuffer == NULL || b->cbBuffer < sizeof(type))
		return (SEC_E_INVALID_TOKEN);
	memcpy(&type, b->pvBuffer, sizeof(type));
	if (type != SCHANNEL_SHUTDOWN)
		return (SEC_E_UNSUPPORTED_FUNCTION);
	pthread_mutex_lock(&x->lock);
	x->shutdown = 1;
	pthread_mutex_unlock(&x->lock);
	return (SEC_E_OK);
}

SECURITY_STATUS SEC_ENTRY
CompleteAuthToken(PCtxtHandle phContext, PSecBufferDesc pToken)
{
	(void)pToken;
	return (sspi_ctx_lookup(phContext) == NULL ? SEC_E_INVALID_HANDLE :
	    SEC_E_OK);
}
