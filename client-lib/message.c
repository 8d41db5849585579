/*
 * Protected messages on an established context: encrypt, decrypt and
 * shutdown.  A mapped context protects its records in this process
 * (mapped.c) and asks the daemon only about post-handshake messages; any
 * other context sends its records to the daemon, large buffers split into
 * requests of at most SECCTX_MAX_MESSAGE bytes.
 */

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "mapped.h"
#include "msg.h"
#include "record.h"

/*
 * Whether the daemon kept its half of the context after a failed request:
 * a status that says the call came at the wrong time or was refused, as
 * context_survives() decides in the daemon, or a request error.
 */
static int
daemon_kept(secctx_status st)
{
	return (!SECCTX_FAILED(st) || st == SEC_E_INCOMPLETE_MESSAGE ||
	    st == SEC_E_CONTEXT_EXPIRED || st == SEC_E_OUT_OF_SEQUENCE ||
	    st == SEC_E_UNSUPPORTED_FUNCTION || st == SEC_E_NO_CREDENTIALS ||
	    st == SEC_E_INVALID_PARAMETER || st == SEC_E_INVALID_HANDLE);
}

/* A request with the context handle, a payload and max_records if not 0. */
static secctx_status
message_request(secctx_ctx *ctx, const char *op, const void *payload,
    size_t len, size_t max_records, struct conn_reply *reply)
{
	struct conn_bind	 bind = { 0, NULL, 0 };
	json_t			*req;
	secctx_status		 st;

	memset(reply, 0, sizeof(*reply));
	if (ctx == NULL || ctx->handle == 0)
		return (client_seterr(SEC_E_INVALID_HANDLE,
		    "the context was deleted"));
	if ((req = json_object()) == NULL ||
	    msg_set_handle(req, "ctx", ctx->handle) != 0 ||
	    (max_records > 0 && msg_set_int(req, "max_records",
	    max_records > INT32_MAX ? INT32_MAX : (int64_t)max_records) != 0)) {
		json_decref(req);
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the request"));
	}
	bind.session = ctx->session;
	st = conn_request_bound(ctx->conn, &bind, op, req, payload, len,
	    reply);
	json_decref(req);
	/* The daemon deletes a context whose connection failed. */
	if (reply->hdr != NULL && !daemon_kept(st))
		ctx->handle = 0;
	return (st);
}

/*
 * A mapped context that a failure ended: its half in the daemon goes too
 * (unless the daemon deleted it already, or went away with it).
 */
static void
mapped_ended(secctx_ctx *ctx, int deleted)
{
	char	 saved[CLIENT_ERRLEN];
	json_t	*req;

	if (ctx->handle == 0)
		return;
	if (!deleted) {
		client_error_save(saved);
		if ((req = json_object()) != NULL &&
		    msg_set_handle(req, "ctx", ctx->handle) == 0)
			(void)conn_request_nowait(ctx->conn, ctx->session,
			    "delete_context", req);
		json_decref(req);
		client_error_restore(saved);
	}
	ctx->handle = 0;
}

/*
 * A request naming a context and, for a mapped one, the KeyUpdates the
 * library made and received: the daemon's TLS object catches up on the
 * client's before a post-handshake message (RFC 8446 4.4: the Finished
 * of post-handshake authentication is keyed from the client's current
 * traffic secret).
 */
static json_t *
updates_request(secctx_ctx *ctx)
{
	uint64_t	 sent, received;
	json_t		*req;

	if ((req = json_object()) == NULL ||
	    msg_set_handle(req, "ctx", ctx->handle) != 0)
		goto fail;
	if (ctx->mapped != NULL) {
		mapped_updates(ctx->mapped, &sent, &received);
		if (sent > INT64_MAX || received > INT64_MAX ||
		    msg_set_int(req, "our_updates", (int64_t)sent) != 0 ||
		    msg_set_int(req, "peer_updates", (int64_t)received) != 0)
			goto fail;
	}
	return (req);
fail:
	json_decref(req);
	return (NULL);
}

/*
 * Hand the peer's post-handshake messages to the daemon's TLS object and
 * seal its answer into r->out.  A daemon that cannot be asked loses the
 * tickets (a client may ignore them); any other message needs it.
 */
static secctx_status
post_handshake(secctx_ctx *ctx, struct mapped_read *r)
{
	struct conn_reply	 reply;
	struct conn_bind	 bind = { ctx->session, NULL, 0 };
	char			 why[CLIENT_ERRLEN];
	secctx_status		 st, sealed;
	json_t			*req;

	if ((req = updates_request(ctx)) == NULL) {
		mapped_fail(ctx->mapped, REC_INTERNAL_ERROR, &r->out,
		    &r->out_len);
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the request"));
	}
	memset(&reply, 0, sizeof(reply));
	st = conn_request_bound(ctx->conn, &bind, "post_handshake", req,
	    r->hs, r->hs_len, &reply);
	json_decref(req);
	if (reply.hdr == NULL) {
		if (r->hs_tickets_only)
			return (SEC_E_OK);
		client_error_save(why);
		mapped_fail(ctx->mapped, REC_INTERNAL_ERROR, &r->out,
		    &r->out_len);
		return (client_seterr(SEC_E_NO_AUTHENTICATING_AUTHORITY,
		    "the peer sent a post-handshake message that only secctxd "
		    "can answer: %s", why));
	}
	sealed = mapped_seal_plaintext(ctx->mapped, reply.payload,
	    reply.payload_len, &r->out, &r->out_len);
	conn_reply_free(&reply);
	if (SECCTX_FAILED(st)) {
		/*
		 * A TLS failure deleted the daemon's half, and its alert is in
		 * r->out; after a refusal that left it, it goes with ours.
		 */
		mapped_fail(ctx->mapped, -1, &r->out, &r->out_len);
		if (!daemon_kept(st))
			ctx->handle = 0;
		return (st);
	}
	return (sealed);
}

static secctx_status
decrypt_mapped(secctx_ctx *ctx, struct secctx_message *m)
{
	struct mapped_read	r;
	secctx_status		st, hs;

	memset(&r, 0, sizeof(r));
	r.in = m->in;
	r.in_len = m->in_len;
	r.max_records = m->max_records;
	st = mapped_decrypt(ctx->mapped, &r);
	if (r.hs_len > 0 && !SECCTX_FAILED(st) &&
	    (hs = post_handshake(ctx, &r)) != SEC_E_OK)
		st = hs;
	if (SECCTX_FAILED(st) && mapped_failed(ctx->mapped))
		mapped_ended(ctx, 0);
	m->data = r.data;
	m->data_len = r.data_len;
	m->out = r.out;
	m->out_len = r.out_len;
	m->extra = r.extra;
	m->missing = r.missing;
	free(r.hs);
	return (st);
}

secctx_status
secctx_encrypt(secctx_ctx *ctx, const void *data, size_t len, void **outp,
    size_t *out_len)
{
	struct conn_reply	 reply;
	const unsigned char	*p = data;
	unsigned char		*out = NULL, *grown;
	size_t			 off = 0, n, total = 0;
	secctx_status		 st = SEC_E_OK;

	*outp = NULL;
	*out_len = 0;
	if (data == NULL && len > 0)
		return (client_seterr(SEC_E_INVALID_PARAMETER, "no data"));
	if (ctx != NULL && ctx->mapped != NULL)
		return (mapped_encrypt(ctx->mapped, data, len,
		    (uint8_t **)outp, out_len));
	do {
		n = len - off < SECCTX_MAX_MESSAGE ? len - off :
		    SECCTX_MAX_MESSAGE;
		st = message_request(ctx, "encrypt", p + off, n, 0, &reply);
		if (st != SEC_E_OK) {
			conn_reply_free(&reply);
			break;
		}
		if (out == NULL) {
			/* The first request's records, as they came. */
			out = reply.payload;
			total = reply.payload_len;
			reply.payload = NULL;
			conn_reply_free(&reply);
			off += n;
			continue;
		}
		if ((grown = realloc(out, total + reply.payload_len)) ==
		    NULL && total + reply.payload_len > 0) {
			conn_reply_free(&reply);
			st = client_seterr(SEC_E_INSUFFICIENT_MEMORY,
			    "no memory for %zu bytes of records",
			    total + reply.payload_len);
			break;
		}
		out = grown;
		if (reply.payload_len > 0)
			memcpy(out + total, reply.payload, reply.payload_len);
		total += reply.payload_len;
		conn_reply_free(&reply);
		off += n;
	} while (off < len);
	if (st != SEC_E_OK) {
		free(out);
		return (st);
	}
	*outp = out;
	*out_len = total;
	return (SEC_E_OK);
}

secctx_status
secctx_decrypt(secctx_ctx *ctx, struct secctx_message *m)
{
	struct conn_reply	 reply;
	struct sc_err		 err;
	secctx_status		 st;
	size_t			 len;
	int64_t			 data_len = 0, reply_len = 0, extra = 0,
				 missing = 0;

	m->data = m->out = NULL;
	m->data_len = m->out_len = m->extra = m->missing = 0;
	if (m->in == NULL && m->in_len > 0)
		return (client_seterr(SEC_E_INVALID_PARAMETER, "no input"));
	if (ctx != NULL && ctx->mapped != NULL)
		return (decrypt_mapped(ctx, m));
	/* The rest is left over, as if the daemon had not consumed it. */
	len = m->in_len < SECCTX_MAX_MESSAGE ? m->in_len : SECCTX_MAX_MESSAGE;
	st = message_request(ctx, "decrypt", m->in, len, m->max_records,
	    &reply);
	if (reply.hdr == NULL)
		return (st);
	if (msg_get_int(reply.hdr, "data_len", MSG_OPTIONAL, 0,
	    (int64_t)reply.payload_len, &data_len, &err) != SEC_E_OK ||
	    msg_get_int(reply.hdr, "reply_len", MSG_OPTIONAL, 0,
	    (int64_t)reply.payload_len, &reply_len, &err) != SEC_E_OK ||
	    msg_get_int(reply.hdr, "extra", MSG_OPTIONAL, 0, (int64_t)len,
	    &extra, &err) != SEC_E_OK ||
	    msg_get_int(reply.hdr, "missing", MSG_OPTIONAL, 0, INT64_MAX,
	    &missing, &err) != SEC_E_OK ||
	    (size_t)(data_len + reply_len) != reply.payload_len) {
		conn_reply_free(&reply);
		return (client_seterr(SEC_E_INTERNAL_ERROR,
		    "invalid 'decrypt' response from secctxd"));
	}
	if (reply_len > 0) {
		if ((m->out = malloc(reply_len)) == NULL) {
			conn_reply_free(&reply);
			return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
			    "no memory for the reply"));
		}
		memcpy(m->out, reply.payload + data_len, reply_len);
		m->out_len = reply_len;
	}
	if (data_len > 0) {
		m->data = reply.payload;
		m->data_len = data_len;
		reply.payload = NULL;
	}
	m->extra = extra + (m->in_len - len);
	m->missing = missing;
	conn_reply_free(&reply);
	return (st);
}

secctx_status
secctx_shutdown(secctx_ctx *ctx, void **outp, size_t *out_len)
{
	struct conn_reply	reply;
	secctx_status		st;

	*outp = NULL;
	*out_len = 0;
	if (ctx != NULL && ctx->mapped != NULL)
		return (mapped_shutdown(ctx->mapped, (uint8_t **)outp,
		    out_len));
	st = message_request(ctx, "shutdown", NULL, 0, 0, &reply);
	if (st == SEC_E_OK) {
		*outp = reply.payload;
		*out_len = reply.payload_len;
		reply.payload = NULL;
	}
	conn_reply_free(&reply);
	return (st);
}

/*
 * A request whose answer is records to send: for a mapped context the
 * daemon answers with plaintext records, sealed here.
 */
static secctx_status
records_request(secctx_ctx *ctx, const char *op, json_t *fields,
    void **outp, size_t *out_len)
{
	struct conn_reply	 reply;
	struct conn_bind	 bind = { 0, NULL, 0 };
	secctx_status		 st;
	json_t			*req;

	*outp = NULL;
	*out_len = 0;
	memset(&reply, 0, sizeof(reply));
	if (ctx == NULL || ctx->handle == 0) {
		json_decref(fields);
		return (client_seterr(SEC_E_INVALID_HANDLE,
		    "the context was deleted"));
	}
	if (fields == NULL || (req = updates_request(ctx)) == NULL ||
	    json_object_update(req, fields) != 0) {
		json_decref(fields);
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the request"));
	}
	json_decref(fields);
	bind.session = ctx->session;
	st = conn_request_bound(ctx->conn, &bind, op, req, NULL, 0, &reply);
	json_decref(req);
	/* A TLS failure deleted the context (PROTOCOL.md, key_update). */
	if (reply.hdr != NULL && !daemon_kept(st)) {
		ctx->handle = 0;
		if (ctx->mapped != NULL)
			mapped_fail(ctx->mapped, -1, (uint8_t **)outp,
			    out_len);
	}
	if (st == SEC_E_OK && ctx->mapped != NULL &&
	    (st = mapped_seal_plaintext(ctx->mapped, reply.payload,
	    reply.payload_len, (uint8_t **)outp, out_len)) != SEC_E_OK) {
		free(*outp);
		*outp = NULL;
		*out_len = 0;
		mapped_ended(ctx, 0);
	} else if (st == SEC_E_OK && ctx->mapped == NULL) {
		*outp = reply.payload;
		*out_len = reply.payload_len;
		reply.payload = NULL;
	}
	conn_reply_free(&reply);
	return (st);
}

secctx_status
secctx_key_update(secctx_ctx *ctx, int request_peer, void **outp,
    size_t *out_len)
{
	if (ctx != NULL && ctx->mapped != NULL)
		return (mapped_key_update(ctx->mapped, request_peer,
		    (uint8_t **)outp, out_len));
	return (records_request(ctx, "key_update", json_pack("{s:b}",
	    "request_peer", request_peer != 0), outp, out_len));
}

secctx_status
secctx_request_client_cert(secctx_ctx *ctx, void **outp, size_t *out_len)
{
	return (records_request(ctx, "request_client_cert", json_object(),
	    outp, out_len));
}
