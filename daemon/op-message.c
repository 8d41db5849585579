/*
 * Messages on an established context: the protected ones (encrypt,
 * decrypt, shutdown), and the handshake messages after the handshake (the
 * peer's to a mapped context, a server's certificate request).  A failure
 * of the TLS connection deletes the context, as for the handshake; a call
 * the context's state does not allow leaves it be.
 */

#include <stdlib.h>

#include "secctxd.h"
#include "frame.h"
#include "msg.h"

/* The context survives these: the call came at the wrong time. */
static int
context_survives(secctx_status st)
{
	return (!SECCTX_FAILED(st) || st == SEC_E_INCOMPLETE_MESSAGE ||
	    st == SEC_E_CONTEXT_EXPIRED || st == SEC_E_OUT_OF_SEQUENCE ||
	    st == SEC_E_UNSUPPORTED_FUNCTION || st == SEC_E_NO_CREDENTIALS);
}

/* Answer with the context's output; delete the context if it failed. */
static secctx_status
message_done(struct conn *c, uint64_t h, struct tls_context *ctx,
    struct response *r, const struct step_result *res, secctx_status st)
{
	r->ctx = ctx;
	r->payload[0].iov_base = (void *)res->out;
	r->payload[0].iov_len = res->out_len;
	if (!context_survives(st))
		context_failed(c, h, ctx, r);
	return (st);
}

/* The records of the request's plaintext. */
secctx_status
op_encrypt(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	struct step_result	 res;
	secctx_status		 st;
	uint64_t		 h;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL)
		return (err->status);
	if (req->plen > PROTO_MAX_MESSAGE)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%zu bytes of data exceed the limit of %u per call",
		    req->plen, PROTO_MAX_MESSAGE));
	st = context_encrypt(ctx, req->payload, req->plen, &res, err);
	return (message_done(c, h, ctx, r, &res, st));
}

/*
 * The plaintext of the request's records, then any bytes the context must
 * send in reply (a KeyUpdate, an alert).
 */
secctx_status
op_decrypt(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	struct decrypt_result	 res = { 0 };
	secctx_status		 st;
	uint64_t		 h;
	int64_t			 max_records = 0;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL ||
	    msg_get_int(req->hdr, "max_records", MSG_OPTIONAL, 0, INT32_MAX,
	    &max_records, err) != SEC_E_OK)
		return (err->status);
	if (req->plen > 0 && (res.data = malloc(req->plen)) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	res.data_cap = req->plen;
	st = context_decrypt(ctx, req->payload, req->plen, max_records, &res,
	    err);
	r->owned = res.data;
	r->ctx = ctx;
	r->payload[0].iov_base = res.data;
	r->payload[0].iov_len = res.data_len;
	r->payload[1].iov_base = (void *)res.step.out;
	r->payload[1].iov_len = res.step.out_len;
	if (msg_set_int(r->fields, "data_len", res.data_len) != 0 ||
	    msg_set_int(r->fields, "reply_len", res.step.out_len) != 0 ||
	    msg_set_int(r->fields, "extra", res.step.extra) != 0 ||
	    msg_set_int(r->fields, "missing", res.step.missing) != 0)
		st = sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
	if (!context_survives(st))
		context_failed(c, h, ctx, r);
	return (st);
}

/* Our close_notify. */
secctx_status
op_shutdown(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	struct step_result	 res;
	secctx_status		 st;
	uint64_t		 h;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL)
		return (err->status);
	st = context_shutdown(ctx, &res, err);
	return (message_done(c, h, ctx, r, &res, st));
}

/*
 * The client's TLS 1.3 KeyUpdates that the application of a mapped context
 * made ("our_updates") or received ("peer_updates").
 */
static secctx_status
client_updates(struct request *req, struct tls_context *ctx,
    uint64_t *updates, struct sc_err *err)
{
	int64_t	ours = 0, peers = 0;

	if (msg_get_int(req->hdr, "our_updates", MSG_OPTIONAL, 0, INT64_MAX,
	    &ours, err) != SEC_E_OK ||
	    msg_get_int(req->hdr, "peer_updates", MSG_OPTIONAL, 0, INT64_MAX,
	    &peers, err) != SEC_E_OK)
		return (err->status);
	*updates = context_direction(ctx) == DIR_OUTBOUND ? (uint64_t)ours :
	    (uint64_t)peers;
	return (SEC_E_OK);
}

/*
 * A mapped context: the handshake messages the peer sent after the
 * handshake.  The payload of the answer is the SSL object's answer, as
 * TLSPlaintext records for the application to seal.
 */
secctx_status
op_post_handshake(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	struct step_result	 res;
	secctx_status		 st;
	uint64_t		 h, updates;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL ||
	    client_updates(req, ctx, &updates, err) != SEC_E_OK)
		return (err->status);
	if (req->plen == 0)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "no handshake message"));
	st = context_post_handshake(ctx, req->payload, req->plen, updates,
	    &res, err);
	return (message_done(c, h, ctx, r, &res, st));
}

/* A server context asks for the client's certificate (TLS 1.3). */
secctx_status
op_request_client_cert(struct conn *c, struct request *req,
    struct response *r, struct sc_err *err)
{
	struct tls_context	*ctx;
	struct step_result	 res;
	secctx_status		 st;
	uint64_t		 h, updates;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL ||
	    client_updates(req, ctx, &updates, err) != SEC_E_OK)
		return (err->status);
	st = context_request_client_cert(ctx, updates, &res, err);
	return (message_done(c, h, ctx, r, &res, st));
}

/* Our KeyUpdate, on a context whose records the daemon protects. */
secctx_status
op_key_update(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	struct step_result	 res;
	secctx_status		 st;
	uint64_t		 h;
	int			 request_peer = 0;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL ||
	    msg_get_bool(req->hdr, "request_peer", &request_peer,
	    err) != SEC_E_OK)
		return (err->status);
	st = context_key_update(ctx, request_peer, &res, err);
	return (message_done(c, h, ctx, r, &res, st));
}
