/*
 * Security context operations: the handshake steps (initialize, accept),
 * delete and query.
 */

#include <stdlib.h>
#include <string.h>

#include "secctxd.h"
#include "msg.h"

#define TARGET_MAX_LEN	255
#define ALPN_MAX_LEN	255

static const char *const version_names[] = { "TLSv1.2", "TLSv1.3", NULL };
static const int version_values[] = { TLS1_2_VERSION, TLS1_3_VERSION };
static const char *const client_cert_names[] = { "none", "optional",
    "required", NULL };

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
	    client_cert_names, &cc, err) != SEC_E_OK) ||
	    msg_get_bool(hdr, "no_resume", &p->no_resume, err) != SEC_E_OK ||
	    (dir == DIR_OUTBOUND && msg_get_bool(hdr,
	    "no_post_handshake_auth", &p->no_pha, err) != SEC_E_OK) ||
	    (dir == DIR_OUTBOUND && msg_get_bool(hdr, "skip_validation",
	    &p->skip_validation, err) != SEC_E_OK) ||
	    (dir == DIR_OUTBOUND && msg_get_bool(hdr, "ask_credentials",
	    &p->ask_credentials, err) != SEC_E_OK) ||
	    msg_get_bool(hdr, "mapped", &p->mapped, err) != SEC_E_OK)
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

/*
 * A new context: the caller's policy (the credential's, checked again in
 * case a reload changed it, and the caller's own), the limits, then the
 * context.  Every refusal after the credential handle is known is audited.
 */
static secctx_status
context_create(struct conn *c, struct request *req, enum direction dir,
    struct tls_context **ctxp, uint64_t *hp, struct sc_err *err)
{
	struct cred_handle	*ch;
	struct ctx_params	 p;
	struct audit		 a;
	unsigned char		 alpn[MSG_MAX_LIST * (ALPN_MAX_LEN + 1)];

	if (get_cred(c, req->hdr, MSG_REQUIRED, dir, &ch, err) != SEC_E_OK)
		return (err->status);
	memset(&a, 0, sizeof(a));
	a.conn = c;
	a.credential = ch->cred->name;
	a.dir = dir;
	if (get_params(req->hdr, dir, &p, alpn, err) != SEC_E_OK)
		goto refused;
	a.target = p.target;
	a.skip_validation = p.skip_validation;
	p.uid = c->peer.uid;
	/* An emptied credential (reload.c) says so before the policy. */
	if (cred_check_direction(ch->cred, dir, err) != SEC_E_OK ||
	    policy_check_cred(ch->cred, &c->peer, dir, err) != SEC_E_OK ||
	    policy_check_context(policy_caller(config, &c->peer), dir, &p,
	    err) != SEC_E_OK ||
	    policy_check_skip(ch->cred, &p, err) != SEC_E_OK ||
	    limits_context_add(c, err) != SEC_E_OK)
		goto refused;
	if (context_new(ch->cred, dir, &p, ctxp, err) != SEC_E_OK) {
		limits_context_removed(c);
		goto refused;
	}
	if (handles_add(&c->handles, HANDLE_CTX, *ctxp, hp) != 0) {
		context_free(*ctxp);
		limits_context_removed(c);
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		goto refused;
	}
	deadline_start(c);
	return (SEC_E_OK);
refused:
	audit_context(&a, err->status, err->msg);
	return (err->status);
}

/* The context named by the request's "ctx" field. */
struct tls_context *
context_get(struct conn *c, const json_t *hdr, uint64_t *hp,
    struct sc_err *err)
{
	struct tls_context	*ctx;

	*hp = 0;
	if (msg_get_handle(hdr, "ctx", MSG_REQUIRED, hp, err) != SEC_E_OK)
		return (NULL);
	if ((ctx = handles_get(&c->handles, *hp, HANDLE_CTX)) == NULL &&
	    !deadline_expired(c, *hp, err))
		sc_seterr(err, SEC_E_INVALID_HANDLE, "no such context handle");
	return (ctx);
}

/* The context failed: its handle goes now, the context once answered. */
void
context_failed(struct conn *c, uint64_t h, struct tls_context *ctx,
    struct response *r)
{
	if (handles_remove(&c->handles, h, HANDLE_CTX) != NULL)
		limits_context_removed(c);
	r->ctx = ctx;
	r->free_ctx = 1;
}

static secctx_status
context_lookup(struct conn *c, struct request *req, enum direction dir,
    struct tls_context **ctxp, uint64_t *hp, struct sc_err *err)
{
	struct cred_handle	*ch;

	if ((*ctxp = context_get(c, req->hdr, hp, err)) == NULL)
		return (err->status);
	if (context_direction(*ctxp) != dir)
		return (sc_seterr(err, SEC_E_INVALID_HANDLE,
		    "the context is a %s context", dir == DIR_INBOUND ?
		    "client" : "server"));
	if (get_cred(c, req->hdr, MSG_OPTIONAL, dir, &ch, err) != SEC_E_OK)
		return (err->status);
	if (ch != NULL && ch->cred != context_cred(*ctxp))
		return (sc_seterr(err, SEC_E_WRONG_CREDENTIAL_HANDLE,
		    "the context was made from another credential"));
	return (deadline_check(c, *ctxp, *hp, err));
}

/* The audit line of a handshake that ended: established or failed. */
void
context_audit(struct conn *c, struct tls_context *ctx, secctx_status st,
    const struct sc_err *err)
{
	struct audit	a;

	memset(&a, 0, sizeof(a));
	a.conn = c;
	a.credential = context_cred(ctx)->name;
	a.dir = context_direction(ctx);
	a.ctx = ctx;
	a.skip_validation = context_skips_validation(ctx);
	audit_context(&a, st, err->msg);
}

/*
 * The response to a handshake step: its output, extra and missing; for a
 * context it mapped, the packed record state after the output.
 */
static secctx_status
handshake_answer(struct conn *c, struct tls_context *ctx, uint64_t h,
    secctx_status st, const struct step_result *res, struct response *r,
    struct sc_err *err)
{
	r->ctx = ctx;
	r->payload[0].iov_base = (void *)res->out;
	r->payload[0].iov_len = res->out_len;
	if (SECCTX_FAILED(st) && st != SEC_E_INCOMPLETE_MESSAGE) {
		context_audit(c, ctx, st, err);
		context_failed(c, h, ctx, r);
		return (st);
	}
	if (st == SEC_E_OK)
		context_audit(c, ctx, st, err);
	if (msg_set_handle(r->fields, "ctx", h) != 0 ||
	    msg_set_int(r->fields, "extra", res->extra) != 0 ||
	    msg_set_int(r->fields, "missing", res->missing) != 0 ||
	    (res->mapped_len > 0 && msg_set_int(r->fields, "mapped",
	    res->mapped_len) != 0)) {
		context_failed(c, h, ctx, r);
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	}
	r->payload[1].iov_base = (void *)res->mapped;
	r->payload[1].iov_len = res->mapped_len;
	r->secret = 1U << 1;
	return (st);
}

/* A handshake step on its way through the pool. */
struct handshake_job {
	struct job		 job;		/* first */
	struct conn		*c;
	struct tls_context	*ctx;
	uint64_t		 h;
	int64_t			 id;
	secctx_status		 st;
	struct step_result	 res;
	struct sc_err		 err;
	size_t			 plen;
	unsigned char		 payload[];
};

/* On a pool thread: only the context is touched. */
static void
handshake_job_run(struct job *j)
{
	struct handshake_job	*hj = (struct handshake_job *)j;

	hj->st = context_handshake(hj->ctx, hj->payload, hj->plen, &hj->res,
	    &hj->err);
}

/* Back on the connection's loop: answer, unless the client left. */
static void
handshake_job_done(struct job *j)
{
	struct handshake_job	*hj = (struct handshake_job *)j;
	struct conn		*c = hj->c;
	struct response		 r;
	secctx_status		 st;

	context_set_busy(hj->ctx, 0);
	if (!c->dead) {
		memset(&r, 0, sizeof(r));
		r.fields = json_object();
		st = handshake_answer(c, hj->ctx, hj->h, hj->st, &hj->res, &r,
		    &hj->err);
		dispatch_respond(c, hj->id, st, hj->err.msg, &r);
		json_decref(r.fields);
	}
	free(hj);
	conn_job_end(c);
}

/*
 * Send the step to the pool: 1 when it went, 0 to run it here, -1 out of
 * memory.  Only steps that may sign with a private key that is slow to use
 * go, and they always do, so that no loop serving other clients signs with
 * one: any other step, or one with an EC or EdDSA key, costs less than the
 * two thread hand-offs would.  (A connection with POOL_JOBS_PER_CONN steps
 * in the pool sends no step before one ends: dispatch.c.)
 */
static int
handshake_defer(struct conn *c, struct request *req, struct tls_context *ctx,
    uint64_t h)
{
	struct handshake_job	*hj;

	if (!pool_enabled() || !context_step_signs_slowly(ctx))
		return (0);
	if ((hj = calloc(1, sizeof(*hj) + req->plen)) == NULL)
		return (-1);
	hj->c = c;
	hj->ctx = ctx;
	hj->h = h;
	hj->id = req->id;
	hj->plen = req->plen;
	if (req->plen > 0)
		memcpy(hj->payload, req->payload, req->plen);
	hj->job.uid = c->peer.uid;
	hj->job.shard = c->shard;
	hj->job.run = handshake_job_run;
	hj->job.done = handshake_job_done;
	if (pool_submit(&hj->job) != 0) {
		free(hj);
		return (-1);
	}
	context_set_busy(ctx, 1);
	conn_job_start(c);
	return (1);
}

/*
 * One handshake step: in the pool when there is one (answered when it is
 * done; the connection's other requests go on meanwhile), else here.
 */
static secctx_status
op_handshake(struct conn *c, struct request *req, struct response *r,
    enum direction dir, struct sc_err *err)
{
	struct tls_context	*ctx;
	struct step_result	 res;
	secctx_status		 st;
	uint64_t		 h = 0;

	if (json_object_get(req->hdr, "ctx") == NULL)
		st = context_create(c, req, dir, &ctx, &h, err);
	else
		st = context_lookup(c, req, dir, &ctx, &h, err);
	if (st != SEC_E_OK)
		return (st);
	switch (handshake_defer(c, req, ctx, h)) {
	case 1:
		r->deferred = 1;
		return (SEC_E_OK);
	case 0:
		st = context_handshake(ctx, req->payload, req->plen, &res,
		    err);
		break;
	default:
		memset(&res, 0, sizeof(res));
		st = sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		break;
	}
	return (handshake_answer(c, ctx, h, st, &res, r, err));
}

secctx_status
op_initialize(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	return (op_handshake(c, req, r, DIR_OUTBOUND, err));
}

secctx_status
op_accept(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	return (op_handshake(c, req, r, DIR_INBOUND, err));
}

secctx_status
op_delete(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	uint64_t		 h;

	(void)r;
	/* One the handshake deadline deleted: as good as done. */
	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL)
		return (deadline_forget(c, h) ? SEC_E_OK : err->status);
	handles_remove(&c->handles, h, HANDLE_CTX);
	limits_context_removed(c);
	context_free(ctx);
	return (SEC_E_OK);
}

secctx_status
op_query(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	struct ctx_info		 info;
	json_t			*v;
	uint64_t		 h;
	int			 rc;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL)
		return (err->status);
	context_info(ctx, &info);
	v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:b, s:b}",
	    "protocol", info.protocol, "cipher", info.cipher,
	    "cipher_iana", info.cipher_iana, "group", info.group,
	    "signature", info.signature, "peer_subject", info.peer_subject,
	    "peer_issuer", info.peer_issuer, "alpn", info.alpn,
	    "sni", info.sni, "credential", info.credential,
	    "resumed", info.resumed, "handshake_done", info.handshake_done);
	if (v != NULL && json_object_update_missing_new(v, json_pack(
	    "{s:s, s:i, s:i, s:i, s:i}", "session_id", info.session_id,
	    "stream_header", info.stream_header,
	    "stream_trailer", info.stream_trailer, "stream_max_message",
	    info.stream_max_message, "stream_block_size",
	    info.stream_block_size)) != 0) {
		json_decref(v);
		v = NULL;
	}
	rc = v != NULL ? json_object_update(r->fields, v) : -1;
	json_decref(v);
	if (rc != 0)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	return (SEC_E_OK);
}
