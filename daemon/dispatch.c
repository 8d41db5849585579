/*
 * The operations table.  Every request is checked here once: its id and
 * op, the session state, and the handles it names, before the handler runs.
 */

#include <stdlib.h>
#include <string.h>

#include "secctxd.h"
#include "frame.h"
#include "msg.h"

#define ID_MAX		((int64_t)1 << 53)
#define NAME_MAX_LEN	64
#define TARGET_MAX_LEN	255
#define ALPN_MAX_LEN	255

/* What a handler leaves for the response besides its header fields. */
struct response {
	json_t			*fields;
	const unsigned char	*payload;
	size_t			 plen;
	struct tls_context	*ctx;		/* output to release */
	int			 free_ctx;	/* the context failed */
	int			 close;		/* close after the response */
};

typedef secctx_status (*op_fn)(struct conn *, struct request *,
    struct response *, struct sc_err *);

static secctx_status	op_hello(struct conn *, struct request *,
			    struct response *, struct sc_err *);
static secctx_status	op_acquire(struct conn *, struct request *,
			    struct response *, struct sc_err *);
static secctx_status	op_free_cred(struct conn *, struct request *,
			    struct response *, struct sc_err *);
static secctx_status	op_initialize(struct conn *, struct request *,
			    struct response *, struct sc_err *);
static secctx_status	op_accept(struct conn *, struct request *,
			    struct response *, struct sc_err *);
static secctx_status	op_delete(struct conn *, struct request *,
			    struct response *, struct sc_err *);
static secctx_status	op_query(struct conn *, struct request *,
			    struct response *, struct sc_err *);

static const struct op {
	const char	*name;
	op_fn		 fn;
} ops[] = {
	{ "hello", op_hello },
	{ "acquire_credentials", op_acquire },
	{ "free_credentials", op_free_cred },
	{ "initialize", op_initialize },
	{ "accept", op_accept },
	{ "delete_context", op_delete },
	{ "query_context", op_query },
};

static const char *const direction_names[] = { "", "outbound", "inbound",
    NULL };
static const char *const version_names[] = { "TLSv1.2", "TLSv1.3", NULL };
static const int version_values[] = { TLS1_2_VERSION, TLS1_3_VERSION };
static const char *const client_cert_names[] = { "none", "optional",
    "required", NULL };

static void
respond(struct conn *c, int64_t id, secctx_status status, const char *msg,
    struct response *r)
{
	json_t	*hdr;

	hdr = msg_response(id, status, SECCTX_FAILED(status) ? msg : NULL);
	if (hdr == NULL || (r != NULL && r->fields != NULL &&
	    json_object_update(hdr, r->fields) != 0) ||
	    conn_send(c, hdr, r != NULL ? r->payload : NULL,
	    r != NULL ? r->plen : 0) != 0) {
		log_err("connection %llu: cannot queue a response; closing",
		    (unsigned long long)c->serial);
		conn_close_after_write(c);
	}
	json_decref(hdr);
}

void
dispatch_error(struct conn *c, int64_t id, const struct sc_err *err)
{
	respond(c, id, err->status, err->msg, NULL);
}

void
dispatch(struct conn *c, struct request *req)
{
	struct response	 r;
	struct sc_err	 err;
	secctx_status	 st;
	size_t		 i;

	memset(&r, 0, sizeof(r));
	sc_clearerr(&err);
	if (msg_get_int(req->hdr, "id", MSG_REQUIRED, 0, ID_MAX - 1, &req->id,
	    &err) != SEC_E_OK) {
		dispatch_error(c, 0, &err);
		return;
	}
	if (msg_get_string(req->hdr, "op", MSG_REQUIRED, NAME_MAX_LEN,
	    &req->op, &err) != SEC_E_OK) {
		dispatch_error(c, req->id, &err);
		return;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].name, req->op) == 0)
			break;
	}
	if (i == sizeof(ops) / sizeof(ops[0]))
		st = sc_seterr(&err, SEC_E_UNSUPPORTED_FUNCTION,
		    "unknown operation '%s'", req->op);
	else if (!c->hello_done && ops[i].fn != op_hello)
		st = sc_seterr(&err, SEC_E_OUT_OF_SEQUENCE,
		    "'%s' before 'hello'", req->op);
	else if ((r.fields = json_object()) == NULL)
		st = sc_seterr(&err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory");
	else
		st = ops[i].fn(c, req, &r, &err);
	respond(c, req->id, st, err.msg, &r);
	if (r.ctx != NULL) {
		if (r.free_ctx)
			context_free(r.ctx);
		else
			context_output_done(r.ctx);
	}
	if (r.close)
		conn_close_after_write(c);
	json_decref(r.fields);
}

static secctx_status
op_hello(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	int64_t	version = 0;

	if (c->hello_done)
		return (sc_seterr(err, SEC_E_OUT_OF_SEQUENCE,
		    "'hello' was already sent"));
	if (msg_get_int(req->hdr, "version", MSG_REQUIRED, 0, INT32_MAX,
	    &version, err) != SEC_E_OK)
		return (err->status);
	if (version != PROTO_VERSION) {
		r->close = 1;
		return (sc_seterr(err, SEC_E_UNSUPPORTED_FUNCTION,
		    "protocol version %lld is not supported (this daemon "
		    "speaks version %d)", (long long)version, PROTO_VERSION));
	}
	if (msg_set_int(r->fields, "version", PROTO_VERSION) != 0 ||
	    msg_set_int(r->fields, "max_header", FRAME_MAX_HEADER) != 0 ||
	    msg_set_int(r->fields, "max_payload", FRAME_MAX_PAYLOAD) != 0 ||
	    msg_set_string(r->fields, "server",
	    SECCTXD_NAME " " SECCTXD_VERSION) != 0)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	c->hello_done = 1;
	return (SEC_E_OK);
}

static secctx_status
op_acquire(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct cred_handle	*ch;
	struct cred		*cred;
	const char		*name = NULL;
	uint64_t		 h;
	int			 dir = 0;

	if (msg_get_string(req->hdr, "name", MSG_REQUIRED, NAME_MAX_LEN,
	    &name, err) != SEC_E_OK ||
	    msg_get_enum(req->hdr, "direction", direction_names, &dir,
	    err) != SEC_E_OK)
		return (err->status);
	if (dir == 0)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "field 'direction' must be \"outbound\" or \"inbound\""));
	if ((cred = config_find_cred(config, name)) == NULL)
		return (sc_seterr(err, SEC_E_UNKNOWN_CREDENTIALS,
		    "no credential named '%s'", name));
	if (!policy_may_use(cred, &c->peer)) {
		log_warn("refused: pid %ld uid %lu gid %lu may not use "
		    "credential '%s'", (long)c->peer.pid,
		    (unsigned long)c->peer.uid, (unsigned long)c->peer.gid,
		    name);
		return (sc_seterr(err, SEC_E_NOT_OWNER, "uid %lu (gid %lu) "
		    "may not use credential '%s'", (unsigned long)c->peer.uid,
		    (unsigned long)c->peer.gid, name));
	}
	if (cred_check_direction(cred, dir, err) != SEC_E_OK)
		return (err->status);
	if ((ch = malloc(sizeof(*ch))) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	ch->cred = cred_ref(cred);
	ch->direction = dir;
	if (handles_add(&c->handles, HANDLE_CRED, ch, &h) != 0)
		goto nomem;
	if (msg_set_handle(r->fields, "cred", h) != 0) {
		handles_remove(&c->handles, h, HANDLE_CRED);
		goto nomem;
	}
	return (SEC_E_OK);
nomem:
	cred_unref(ch->cred);
	free(ch);
	return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory"));
}

static secctx_status
op_free_cred(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct cred_handle	*ch;
	uint64_t		 h = 0;

	(void)r;
	if (msg_get_handle(req->hdr, "cred", MSG_REQUIRED, &h, err) != SEC_E_OK)
		return (err->status);
	if ((ch = handles_remove(&c->handles, h, HANDLE_CRED)) == NULL)
		return (sc_seterr(err, SEC_E_INVALID_HANDLE,
		    "no such credential handle"));
	cred_unref(ch->cred);
	free(ch);
	return (SEC_E_OK);
}

/* The ALPN list of a request in wire format (RFC 7301 3.1). */
static secctx_status
get_alpn(const json_t *hdr, unsigned char *wire, size_t *len,
    struct sc_err *err)
{
	const char	*names[MSG_MAX_LIST];
	size_t		 i, n, l;

	*len = 0;
	if (msg_get_strings(hdr, "alpn", ALPN_MAX_LEN, names, &n,
	    err) != SEC_E_OK)
		return (err->status);
	for (i = 0; i < n; i++) {
		l = strlen(names[i]);
		wire[(*len)++] = l;
		memcpy(wire + *len, names[i], l);
		*len += l;
	}
	return (SEC_E_OK);
}

static secctx_status
get_params(const json_t *hdr, enum direction dir, struct ctx_params *p,
    unsigned char *alpn, struct sc_err *err)
{
	int	min = -1, max = -1, cc = 0;

	memset(p, 0, sizeof(*p));
	if ((dir == DIR_OUTBOUND && msg_get_string(hdr, "target",
	    MSG_OPTIONAL, TARGET_MAX_LEN, &p->target, err) != SEC_E_OK) ||
	    get_alpn(hdr, alpn, &p->alpn_len, err) != SEC_E_OK ||
	    msg_get_enum(hdr, "min_version", version_names, &min,
	    err) != SEC_E_OK ||
	    msg_get_enum(hdr, "max_version", version_names, &max,
	    err) != SEC_E_OK ||
	    (dir == DIR_INBOUND && msg_get_enum(hdr, "client_cert",
	    client_cert_names, &cc, err) != SEC_E_OK))
		return (err->status);
	if (p->alpn_len > 0)
		p->alpn = alpn;
	p->min_version = min >= 0 ? version_values[min] : 0;
	p->max_version = max >= 0 ? version_values[max] : 0;
	if (min >= 0 && max >= 0 && min > max)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "min_version is above max_version"));
	p->client_cert = cc;
	return (SEC_E_OK);
}

/* The credential handle of a request, acquired for direction dir. */
static secctx_status
get_cred(struct conn *c, const json_t *hdr, int required, enum direction dir,
    struct cred_handle **chp, struct sc_err *err)
{
	uint64_t	h = 0;

	*chp = NULL;
	if (msg_get_handle(hdr, "cred", required, &h, err) != SEC_E_OK)
		return (err->status);
	if (h == 0)
		return (SEC_E_OK);
	if ((*chp = handles_get(&c->handles, h, HANDLE_CRED)) == NULL)
		return (sc_seterr(err, SEC_E_INVALID_HANDLE,
		    "no such credential handle"));
	if ((*chp)->direction != dir)
		return (sc_seterr(err, SEC_E_WRONG_CREDENTIAL_HANDLE,
		    "the credential handle was acquired for %s use",
		    direction_names[(*chp)->direction]));
	return (SEC_E_OK);
}

static secctx_status
context_create(struct conn *c, struct request *req, enum direction dir,
    struct tls_context **ctxp, uint64_t *hp, struct sc_err *err)
{
	struct cred_handle	*ch;
	struct ctx_params	 p;
	unsigned char		 alpn[MSG_MAX_LIST * (ALPN_MAX_LEN + 1)];

	if (get_cred(c, req->hdr, MSG_REQUIRED, dir, &ch, err) != SEC_E_OK ||
	    get_params(req->hdr, dir, &p, alpn, err) != SEC_E_OK ||
	    context_new(ch->cred, dir, &p, ctxp, err) != SEC_E_OK)
		return (err->status);
	if (handles_add(&c->handles, HANDLE_CTX, *ctxp, hp) != 0) {
		context_free(*ctxp);
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	}
	return (SEC_E_OK);
}

static secctx_status
context_lookup(struct conn *c, struct request *req, enum direction dir,
    struct tls_context **ctxp, uint64_t h, struct sc_err *err)
{
	struct cred_handle	*ch;

	if ((*ctxp = handles_get(&c->handles, h, HANDLE_CTX)) == NULL)
		return (sc_seterr(err, SEC_E_INVALID_HANDLE,
		    "no such context handle"));
	if (context_direction(*ctxp) != dir)
		return (sc_seterr(err, SEC_E_INVALID_HANDLE,
		    "the context is a %s context", dir == DIR_INBOUND ?
		    "client" : "server"));
	if (get_cred(c, req->hdr, MSG_OPTIONAL, dir, &ch, err) != SEC_E_OK)
		return (err->status);
	if (ch != NULL && ch->cred != context_cred(*ctxp))
		return (sc_seterr(err, SEC_E_WRONG_CREDENTIAL_HANDLE,
		    "the context was made from another credential"));
	return (SEC_E_OK);
}

static void
audit(struct conn *c, struct tls_context *ctx, secctx_status st,
    const struct sc_err *err)
{
	struct ctx_info	info;

	context_info(ctx, &info);
	if (st == SEC_E_OK)
		log_info("established: pid %ld uid %lu credential '%s' %s "
		    "peer '%s' %s %s", (long)c->peer.pid,
		    (unsigned long)c->peer.uid, info.credential,
		    direction_names[context_direction(ctx)],
		    info.peer_subject, info.protocol, info.cipher);
	else
		log_info("failed: pid %ld uid %lu credential '%s' %s: %s: %s",
		    (long)c->peer.pid, (unsigned long)c->peer.uid,
		    info.credential, direction_names[context_direction(ctx)],
		    secctx_status_name(st), err->msg);
}

static secctx_status
op_handshake(struct conn *c, struct request *req, struct response *r,
    enum direction dir, struct sc_err *err)
{
	struct tls_context	*ctx;
	struct step_result	 res;
	secctx_status		 st;
	uint64_t		 h = 0;

	if (msg_get_handle(req->hdr, "ctx", MSG_OPTIONAL, &h, err) != SEC_E_OK)
		return (err->status);
	if (h == 0)
		st = context_create(c, req, dir, &ctx, &h, err);
	else
		st = context_lookup(c, req, dir, &ctx, h, err);
	if (st != SEC_E_OK)
		return (st);
	st = context_handshake(ctx, req->payload, req->plen, &res, err);
	r->ctx = ctx;
	r->payload = res.out;
	r->plen = res.out_len;
	if (SECCTX_FAILED(st) && st != SEC_E_INCOMPLETE_MESSAGE) {
		audit(c, ctx, st, err);
		handles_remove(&c->handles, h, HANDLE_CTX);
		r->free_ctx = 1;
		return (st);
	}
	if (st == SEC_E_OK)
		audit(c, ctx, st, err);
	if (msg_set_handle(r->fields, "ctx", h) != 0 ||
	    msg_set_int(r->fields, "extra", res.extra) != 0 ||
	    msg_set_int(r->fields, "missing", res.missing) != 0) {
		handles_remove(&c->handles, h, HANDLE_CTX);
		r->free_ctx = 1;
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	}
	return (st);
}

static secctx_status
op_initialize(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	return (op_handshake(c, req, r, DIR_OUTBOUND, err));
}

static secctx_status
op_accept(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	return (op_handshake(c, req, r, DIR_INBOUND, err));
}

static secctx_status
op_delete(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	uint64_t		 h = 0;

	(void)r;
	if (msg_get_handle(req->hdr, "ctx", MSG_REQUIRED, &h, err) != SEC_E_OK)
		return (err->status);
	if ((ctx = handles_remove(&c->handles, h, HANDLE_CTX)) == NULL)
		return (sc_seterr(err, SEC_E_INVALID_HANDLE,
		    "no such context handle"));
	context_free(ctx);
	return (SEC_E_OK);
}

static secctx_status
op_query(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	struct ctx_info		 info;
	json_t			*v;
	uint64_t		 h = 0;
	int			 rc;

	if (msg_get_handle(req->hdr, "ctx", MSG_REQUIRED, &h, err) != SEC_E_OK)
		return (err->status);
	if ((ctx = handles_get(&c->handles, h, HANDLE_CTX)) == NULL)
		return (sc_seterr(err, SEC_E_INVALID_HANDLE,
		    "no such context handle"));
	context_info(ctx, &info);
	v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:b, s:b}",
	    "protocol", info.protocol, "cipher", info.cipher,
	    "cipher_iana", info.cipher_iana, "group", info.group,
	    "signature", info.signature, "peer_subject", info.peer_subject,
	    "peer_issuer", info.peer_issuer, "alpn", info.alpn,
	    "sni", info.sni, "credential", info.credential,
	    "resumed", info.resumed, "handshake_done", info.handshake_done);
	rc = v != NULL ? json_object_update(r->fields, v) : -1;
	json_decref(v);
	if (rc != 0)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	return (SEC_E_OK);
}
