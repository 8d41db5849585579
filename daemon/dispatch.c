/*
 * The operations table.  Every request's id, op and session state are
 * checked here once before its handler runs; every response leaves here.
 * The slow operations (handshakes) run in the handshake pool when there is
 * one: their connection reads no further request until they are answered.
 */

#include <stdlib.h>
#include <string.h>

#include "secctxd.h"
#include "frame.h"
#include "msg.h"

#define ID_MAX		((int64_t)1 << 53)
#define OP_NAME_MAX	64

const char *const direction_names[] = { "", "outbound", "inbound", NULL };

static op_fn	op_hello;

static const struct op {
	const char	*name;
	op_fn		*fn;
	int		 slow;		/* runs in the handshake pool */
} ops[] = {
	{ "hello", op_hello, 0 },
	{ "acquire_credentials", op_acquire, 0 },
	{ "free_credentials", op_free_cred, 0 },
	{ "initialize", op_initialize, 1 },
	{ "accept", op_accept, 1 },
	{ "delete_context", op_delete, 0 },
	{ "query_context", op_query, 0 },
	{ "encrypt", op_encrypt, 0 },
	{ "decrypt", op_decrypt, 0 },
	{ "shutdown", op_shutdown, 0 },
	{ "export_keying_material", op_export, 0 },
	{ "channel_binding", op_channel_binding, 0 },
	{ "peer_certificates", op_peer_certificates, 0 },
	{ "stats", op_stats, 0 },
};

static void
respond(struct conn *c, int64_t id, secctx_status status, const char *msg,
    struct response *r)
{
	json_t	*hdr;

	hdr = msg_response(id, status, SECCTX_FAILED(status) ? msg : NULL);
	if (hdr == NULL || (r != NULL && r->fields != NULL &&
	    json_object_update(hdr, r->fields) != 0) ||
	    conn_send(c, hdr, r != NULL ? r->payload : NULL,
	    r != NULL ? 2 : 0) != 0) {
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

/* Run the handler and answer. */
static void
dispatch_run(struct conn *c, struct request *req, const struct op *op)
{
	struct response	 r;
	struct sc_err	 err;
	secctx_status	 st;

	memset(&r, 0, sizeof(r));
	sc_clearerr(&err);
	if ((r.fields = json_object()) == NULL)
		st = sc_seterr(&err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory");
	else
		st = op->fn(c, req, &r, &err);
	respond(c, req->id, st, err.msg, &r);
	if (r.ctx != NULL) {
		if (r.free_ctx)
			context_free(r.ctx);
		else
			context_output_done(r.ctx);
	}
	if (r.close)
		conn_close_after_write(c);
	free(r.owned);
	json_decref(r.fields);
}

/* A slow request on its way through the pool. */
struct dispatch_job {
	struct job	 job;		/* first */
	struct conn	*c;
	struct request	 req;
	const struct op	*op;
};

static void
dispatch_job_run(struct job *j)
{
	struct dispatch_job	*dj = (struct dispatch_job *)j;

	dispatch_run(dj->c, &dj->req, dj->op);
}

static void
dispatch_job_done(struct job *j)
{
	struct dispatch_job	*dj = (struct dispatch_job *)j;
	struct conn		*c = dj->c;

	json_decref(dj->req.hdr);
	free(dj);
	conn_job_done(c);
}

/*
 * Hand the request to the pool: its header is kept and its payload copied
 * (the input buffer moves on).  0 when it went, -1 to run it here.
 */
static int
dispatch_defer(struct conn *c, struct request *req, const struct op *op)
{
	struct dispatch_job	*dj;

	if ((dj = calloc(1, sizeof(*dj) + req->plen)) == NULL ||
	    conn_job_begin(c) != 0) {
		free(dj);
		return (-1);
	}
	dj->c = c;
	dj->op = op;
	dj->req = *req;
	dj->req.hdr = json_incref(req->hdr);
	dj->req.payload = (unsigned char *)(dj + 1);
	if (req->plen > 0)
		memcpy(dj + 1, req->payload, req->plen);
	dj->job.shard = c->shard;
	dj->job.run = dispatch_job_run;
	dj->job.done = dispatch_job_done;
	pool_submit(&dj->job);
	return (0);
}

void
dispatch(struct conn *c, struct request *req)
{
	struct sc_err	 err;
	size_t		 i;

	sc_clearerr(&err);
	if (msg_get_int(req->hdr, "id", MSG_REQUIRED, 0, ID_MAX - 1, &req->id,
	    &err) != SEC_E_OK) {
		dispatch_error(c, 0, &err);
		return;
	}
	if (msg_get_string(req->hdr, "op", MSG_REQUIRED, OP_NAME_MAX,
	    &req->op, &err) != SEC_E_OK) {
		dispatch_error(c, req->id, &err);
		return;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].name, req->op) == 0)
			break;
	}
	if (i == sizeof(ops) / sizeof(ops[0])) {
		sc_seterr(&err, SEC_E_UNSUPPORTED_FUNCTION,
		    "unknown operation '%s'", req->op);
		dispatch_error(c, req->id, &err);
		return;
	}
	if (!c->hello_done && ops[i].fn != op_hello) {
		sc_seterr(&err, SEC_E_OUT_OF_SEQUENCE, "'%s' before 'hello'",
		    req->op);
		dispatch_error(c, req->id, &err);
		return;
	}
	if (ops[i].slow && pool_enabled() && dispatch_defer(c, req,
	    &ops[i]) == 0)
		return;
	dispatch_run(c, req, &ops[i]);
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
	    msg_set_int(r->fields, "max_header",
	    limits_get()->max_header) != 0 ||
	    msg_set_int(r->fields, "max_payload",
	    limits_get()->max_payload) != 0 ||
	    msg_set_string(r->fields, "server",
	    SECCTXD_NAME " " SECCTXD_VERSION) != 0)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	c->hello_done = 1;
	return (SEC_E_OK);
}

