/*
 * The operations table.  Every request's id, op and session state are
 * checked here once before its handler runs; every response leaves here.
 * A handshake step may run in the handshake pool (op-context.c) and be
 * answered later; meanwhile the connection's other requests go on, except
 * those naming that context, which wait for it, and its next handshake
 * step once POOL_JOBS_PER_CONN of its steps are in the pool.
 */

#include <stdlib.h>
#include <string.h>

#include "secctxd.h"
#include "escape.h"
#include "frame.h"
#include "msg.h"

#define ID_MAX		((int64_t)1 << 53)
#define OP_NAME_MAX	64

const char *const direction_names[] = { "", "outbound", "inbound", NULL };

static op_fn	op_hello;

/* Row flags. */
#define OP_STEP		0x01	/* a handshake step: may go to the pool */

static const struct op {
	const char	*name;
	op_fn		*fn;
	int		 flags;
} ops[] = {
	{ "hello", op_hello, 0 },
	{ "acquire_credentials", op_acquire, 0 },
	{ "free_credentials", op_free_cred, 0 },
	{ "initialize", op_initialize, OP_STEP },
	{ "accept", op_accept, OP_STEP },
	{ "delete_context", op_delete, 0 },
	{ "query_context", op_query, 0 },
	{ "encrypt", op_encrypt, 0 },
	{ "decrypt", op_decrypt, 0 },
	{ "shutdown", op_shutdown, 0 },
	{ "post_handshake", op_post_handshake, 0 },
	{ "request_client_cert", op_request_client_cert, 0 },
	{ "key_update", op_key_update, 0 },
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
	    r != NULL ? RESPONSE_IOV : 0, r != NULL ? r->secret : 0) != 0) {
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

/* Run the handler and answer, unless it answers later (r.deferred). */
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
	if (!r.deferred)
		dispatch_respond(c, req->id, st, err.msg, &r);
	json_decref(r.fields);
}

/* Send a handler's response and release what it left. */
void
dispatch_respond(struct conn *c, int64_t id, secctx_status st,
    const char *msg, struct response *r)
{
	respond(c, id, st, msg, r);
	if (r->ctx != NULL) {
		if (r->free_ctx)
			context_free(r->ctx);
		else
			context_output_done(r->ctx);
	}
	if (r->close)
		conn_close_after_write(c);
	free(r->owned);
	r->owned = NULL;
}

/*
 * Whether the request must wait (its frame stays unread) until a pool job
 * of its connection is answered: it names a context the job is using, or
 * it is a handshake step while the connection has its share of the pool.
 */
static int
dispatch_must_wait(struct conn *c, const json_t *hdr, const struct op *op)
{
	struct tls_context	*ctx;
	struct sc_err		 err;
	uint64_t		 h = 0;

	if ((op->flags & OP_STEP) && c->njobs >= POOL_JOBS_PER_CONN)
		return (1);
	if (c->njobs == 0 || json_object_get(hdr, "ctx") == NULL)
		return (0);
	if (msg_get_handle(hdr, "ctx", MSG_OPTIONAL, &h, &err) != SEC_E_OK ||
	    (ctx = handles_get(&c->handles, h, HANDLE_CTX)) == NULL)
		return (0);
	return (context_busy(ctx));
}

/*
 * Answer one request, now or (handshake steps in the pool) later.  0 when
 * it must wait for a job of its connection to end: the caller keeps the
 * frame and offers it again.
 */
int
dispatch(struct conn *c, struct request *req)
{
	struct sc_err	 err;
	char		 op[OP_NAME_MAX * 6 + 1];
	size_t		 i;

	sc_clearerr(&err);
	if (msg_get_int(req->hdr, "id", MSG_REQUIRED, 0, ID_MAX - 1, &req->id,
	    &err) != SEC_E_OK) {
		dispatch_error(c, 0, &err);
		return (1);
	}
	if (msg_get_string(req->hdr, "op", MSG_REQUIRED, OP_NAME_MAX,
	    &req->op, &err) != SEC_E_OK) {
		dispatch_error(c, req->id, &err);
		return (1);
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(ops[i].name, req->op) == 0)
			break;
	}
	if (i == sizeof(ops) / sizeof(ops[0])) {
		sc_escape_str(op, sizeof(op), req->op);
		sc_seterr(&err, SEC_E_UNSUPPORTED_FUNCTION,
		    "unknown operation '%s'", op);
		dispatch_error(c, req->id, &err);
		return (1);
	}
	if (!c->hello_done && ops[i].fn != op_hello) {
		sc_seterr(&err, SEC_E_OUT_OF_SEQUENCE, "'%s' before 'hello'",
		    ops[i].name);
		dispatch_error(c, req->id, &err);
		return (1);
	}
	if (dispatch_must_wait(c, req->hdr, &ops[i]))
		return (0);
	dispatch_run(c, req, &ops[i]);
	return (1);
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

