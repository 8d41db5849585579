/*
 * Context attributes that are bytes: exported keying material, channel
 * bindings and the peer's certificate chain.
 */

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "msg.h"

/* Send op with the context handle and fields; the reply's payload. */
static secctx_status
attr_request(secctx_ctx *ctx, const char *op, json_t *req, const void *in,
    size_t in_len, struct conn_reply *reply)
{
	struct conn_bind	bind = { 0, NULL, 0 };
	secctx_status		st;

	memset(reply, 0, sizeof(*reply));
	if (req == NULL)
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the request"));
	if (ctx == NULL || ctx->handle == 0) {
		json_decref(req);
		return (client_seterr(SEC_E_INVALID_HANDLE,
		    "the context was deleted"));
	}
	bind.session = ctx->session;
	if (msg_set_handle(req, "ctx", ctx->handle) != 0)
		st = client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "cannot build the request");
	else
		st = conn_request_bound(ctx->conn, &bind, op, req, in,
		    in_len, reply);
	json_decref(req);
	return (st);
}

secctx_status
secctx_export_keying_material(secctx_ctx *ctx, const char *label,
    const void *context, size_t context_len, void *out, size_t len)
{
	struct conn_reply	reply;
	secctx_status		st;

	if (label == NULL || out == NULL || len == 0)
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "a label and an output buffer are needed"));
	st = attr_request(ctx, "export_keying_material", json_pack(
	    "{s:s, s:I, s:b}", "label", label, "length", (json_int_t)len,
	    "use_context", context != NULL), context, context_len, &reply);
	if (st == SEC_E_OK && reply.payload_len != len)
		st = client_seterr(SEC_E_INTERNAL_ERROR,
		    "secctxd returned %zu bytes, not %zu", reply.payload_len,
		    len);
	if (st == SEC_E_OK)
		memcpy(out, reply.payload, len);
	conn_reply_free(&reply);
	return (st);
}

secctx_status
secctx_channel_binding(secctx_ctx *ctx, const char *type, void **out,
    size_t *out_len)
{
	struct conn_reply	reply;
	secctx_status		st;

	*out = NULL;
	*out_len = 0;
	if (type == NULL)
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "a channel binding type is needed"));
	st = attr_request(ctx, "channel_binding", json_pack("{s:s}", "type",
	    type), NULL, 0, &reply);
	if (st == SEC_E_OK) {
		*out = reply.payload;
		*out_len = reply.payload_len;
		reply.payload = NULL;
	}
	conn_reply_free(&reply);
	return (st);
}

secctx_status
secctx_peer_certificates(secctx_ctx *ctx, void **der, size_t *der_len,
    size_t *lens, size_t *count)
{
	struct conn_reply	 reply;
	const json_t		*list, *v;
	secctx_status		 st;
	size_t			 i, total = 0;

	*der = NULL;
	*der_len = 0;
	st = attr_request(ctx, "peer_certificates", json_object(), NULL, 0,
	    &reply);
	if (st != SEC_E_OK)
		goto out;
	list = json_object_get(reply.hdr, "lengths");
	if (!json_is_array(list))
		goto bad;
	json_array_foreach(list, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    (size_t)json_integer_value(v) > reply.payload_len - total)
			goto bad;
		if (i < *count)
			lens[i] = json_integer_value(v);
		total += json_integer_value(v);
	}
	if (total != reply.payload_len)
		goto bad;
	if (json_array_size(list) > *count)
		st = client_seterr(SEC_E_BUFFER_TOO_SMALL, "the chain has %zu "
		    "certificates, room for %zu", json_array_size(list),
		    *count);
	*count = json_array_size(list);
	if (st == SEC_E_OK) {
		*der = reply.payload;
		*der_len = reply.payload_len;
		reply.payload = NULL;
	}
	goto out;
bad:
	st = client_seterr(SEC_E_INTERNAL_ERROR,
	    "invalid 'peer_certificates' response from secctxd");
out:
	conn_reply_free(&reply);
	return (st);
}
