/*
 * Context attributes carried as bytes: exported keying material (RFC 5705,
 * RFC 8446 7.5), channel bindings (RFC 5929, RFC 9266) and the peer's
 * certificate chain.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "secctxd.h"
#include "msg.h"

#define LABEL_MAX	255
#define EXPORT_MAX	16384
#define BINDING_LEN	32
#define CHAIN_MAX	16

static const char *const binding_names[] = { "tls-server-end-point",
    "tls-exporter", "tls-unique", NULL };

secctx_status
op_export(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	const char		*label = NULL;
	unsigned char		*out;
	int64_t			 len = 0;
	int			 use_context = 0;
	uint64_t		 h;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL ||
	    msg_get_string(req->hdr, "label", MSG_REQUIRED, LABEL_MAX, &label,
	    err) != SEC_E_OK ||
	    msg_get_int(req->hdr, "length", MSG_REQUIRED, 1, EXPORT_MAX, &len,
	    err) != SEC_E_OK ||
	    msg_get_bool(req->hdr, "use_context", &use_context, err) !=
	    SEC_E_OK)
		return (err->status);
	if ((out = malloc(len)) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	r->owned = out;
	if (context_export(ctx, label, req->payload, req->plen,
	    use_context || req->plen > 0, out, len, err) != SEC_E_OK)
		return (err->status);
	r->payload[0].iov_base = out;
	r->payload[0].iov_len = len;
	return (SEC_E_OK);
}

secctx_status
op_channel_binding(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	unsigned char		*out;
	size_t			 len = EVP_MAX_MD_SIZE;
	uint64_t		 h;
	int			 type = -1;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL ||
	    msg_get_enum(req->hdr, "type", binding_names, &type, err) !=
	    SEC_E_OK)
		return (err->status);
	if (type < 0)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "field 'type' is missing"));
	if ((out = malloc(EVP_MAX_MD_SIZE)) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	r->owned = out;
	if (type == 0 && context_server_end_point(ctx, out, &len, err) !=
	    SEC_E_OK)
		return (err->status);
	if (type == 1) {
		len = BINDING_LEN;
		if (context_export(ctx, "EXPORTER-Channel-Binding", NULL, 0, 0,
		    out, len, err) != SEC_E_OK)
			return (err->status);
	}
	if (type == 2 && context_tls_unique(ctx, out, &len, err) != SEC_E_OK)
		return (err->status);
	r->payload[0].iov_base = out;
	r->payload[0].iov_len = len;
	return (SEC_E_OK);
}

secctx_status
op_peer_certificates(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct tls_context	*ctx;
	json_t			*lens;
	size_t			 len[CHAIN_MAX], count = CHAIN_MAX, i;
	BIO			*bio;
	char			*data;
	long			 n;
	uint64_t		 h;

	if ((ctx = context_get(c, req->hdr, &h, err)) == NULL)
		return (err->status);
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	if (context_peer_chain(ctx, bio, len, &count, err) != SEC_E_OK)
		goto out;
	if ((lens = json_array()) == NULL ||
	    json_object_set_new(r->fields, "lengths", lens) != 0)
		goto nomem;
	for (i = 0; i < count; i++) {
		if (json_array_append_new(lens, json_integer(len[i])) != 0)
			goto nomem;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n > 0) {
		if ((r->owned = malloc(n)) == NULL)
			goto nomem;
		memcpy(r->owned, data, n);
		r->payload[0].iov_base = r->owned;
		r->payload[0].iov_len = n;
	}
	sc_clearerr(err);
	goto out;
nomem:
	sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
out:
	BIO_free(bio);
	return (err->status);
}
