/*
 * The operations table.  Every request's id, op and session state are
 * checked here once before its handler runs; every response leaves here.
 * A handshake step may run in the handshake pool (op-context.c) and be
 * answered later; meanwhile the connection's other requests go on, except
 * those naming that context, which wait for it.
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
} ops[] = {
	{ "hello", op_hello },
	{ "acquire_credentials", op_acquire },
	{ "free_credentials", op_free_cred },
	{ "initialize", op_initialize },
	{ "accept", op_accept },
	{ "delete_context", op_delete },
	{ "query_context", op_query },
	{ "encrypt", op_encrypt },
	{ "decrypt", op_decrypt },
	{ "shutdown", op_shutdown },
	{ "export_keying_material", op_export },
	{ "channel_binding", op_channel_binding },
	{ "peer_certificates", op_peer_certificates },
	{ "stats", op_stats },
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
	    r != NULL ? RESPONSE_IOV : 0) != 0) {
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
 * Whether the request names a context a pool job is using: then it waits
 * (the frame stays unread) until the job is answered.
 */
static int
dispatch_must_wait(struct conn *c, const json_t *hdr)
{
	struct tls_context	*ctx;
	struct sc_err		 err;
	uint64_t		 h = 0;

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
	size_t		 i;

	if (dispatch_must_wait(c, req->hdr))
		return (0);
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
		sc_seterr(&err, SEC_E_UNSUPPORTED_FUNCTION,
		    "unknown operation '%s'", req->op);
		dispatch_error(c, req->id, &err);
		return (1);
	}
	if (!c->hello_done && ops[i].fn != op_hello) {
		sc_seterr(&err, SEC_E_OUT_OF_SEQUENCE, "'%s' before 'hello'",
		    req->op);
		dispatch_error(c, req->id, &err);
		return (1);
	}
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

