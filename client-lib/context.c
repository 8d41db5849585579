/*
 * Credentials and security contexts: each call is one request to the daemon
 * (PROTOCOL.md); the library objects hold the connection, the daemon's
 * handle and the session it belongs to.  A credential also keeps its name
 * and direction, so that it can be acquired again in a later session
 * (client.c); a context of an earlier session is lost.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "client.h"
#include "mapped.h"
#include "msg.h"

/* The longest ALPN protocol name (RFC 7301). */
#define ALPN_MAX_LEN	255
/* The longest certificate subject the daemon sends. */
#define CRED_SUBJECT_MAX	512

static secctx_status
invalid(const char *what)
{
	return (client_seterr(SEC_E_INVALID_PARAMETER, "%s", what));
}

static secctx_status
no_memory(void)
{
	return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
	    "cannot build the request"));
}

/* A response that lacks what the operation promises. */
static secctx_status
bad_reply(const char *op, const struct sc_err *err)
{
	return (client_seterr(SEC_E_INTERNAL_ERROR,
	    "invalid '%s' response from secctxd: %s", op, err->msg));
}

/* Set a string field; a value that is not UTF-8 cannot travel in JSON. */
static secctx_status
put_string(json_t *req, const char *key, const char *value)
{
	json_t	*v;

	if ((v = json_string(value)) == NULL)
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "'%s' is not valid UTF-8", key));
	if (json_object_set_new(req, key, v) != 0)
		return (no_memory());
	return (SEC_E_OK);
}

static secctx_status
put_handle(json_t *req, const char *key, uint64_t handle)
{
	if (msg_set_handle(req, key, handle) != 0)
		return (no_memory());
	return (SEC_E_OK);
}

/* A request naming one context, e.g. delete_context. */
static secctx_status
ctx_request(secctx_ctx *ctx, const char *op, struct conn_reply *reply)
{
	struct conn_bind	 bind = { ctx->session, NULL, 0 };
	json_t			*req;
	secctx_status		 st;

	memset(reply, 0, sizeof(*reply));
	if ((req = json_object()) == NULL)
		return (no_memory());
	if ((st = put_handle(req, "ctx", ctx->handle)) == SEC_E_OK)
		st = conn_request_bound(ctx->conn, &bind, op, req, NULL, 0,
		    reply);
	json_decref(req);
	return (st);
}

static void
cred_destroy(secctx_cred *cred)
{
	if (cred == NULL)
		return;
	free(cred->name);
	free(cred->subject);
	free(cred);
}

/* Keep the optional "subject" of an acquire_credentials response. */
static secctx_status
cred_subject_keep(secctx_cred *cred, const json_t *hdr)
{
	struct sc_err	 err;
	const char	*subject = NULL;

	if (msg_get_string(hdr, "subject", MSG_OPTIONAL, CRED_SUBJECT_MAX,
	    &subject, &err) != SEC_E_OK)
		return (bad_reply("acquire_credentials", &err));
	if (subject != NULL && (cred->subject = strdup(subject)) == NULL)
		return (client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	return (SEC_E_OK);
}

secctx_status
secctx_cred_acquire(secctx_conn *conn, const char *name,
    enum secctx_direction direction, secctx_cred **credp)
{
	struct conn_reply	 reply;
	struct conn_bind	 bind = { 0, NULL, 0 };
	struct sc_err		 err;
	secctx_cred		*cred = NULL;
	json_t			*req = NULL;
	const char		*dir;
	secctx_status		 st;

	memset(&reply, 0, sizeof(reply));
	if (credp == NULL || conn == NULL || name == NULL)
		return (invalid("no connection, name or credential pointer"));
	*credp = NULL;
	if (direction == SECCTX_OUTBOUND)
		dir = "outbound";
	else if (direction == SECCTX_INBOUND)
		dir = "inbound";
	else
		return (invalid("the direction must be inbound or outbound"));
	if ((cred = calloc(1, sizeof(*cred))) == NULL ||
	    (cred->name = strdup(name)) == NULL ||
	    (req = json_pack("{s:s}", "direction", dir)) == NULL) {
		st = no_memory();
		goto out;
	}
	cred->direction = direction;
	if ((st = put_string(req, "name", name)) != SEC_E_OK)
		goto out;
	st = conn_request_bound(conn, &bind, "acquire_credentials", req, NULL,
	    0, &reply);
	if (SECCTX_FAILED(st))
		goto out;
	if (msg_get_handle(reply.hdr, "cred", MSG_REQUIRED, &cred->handle,
	    &err) != SEC_E_OK) {
		st = bad_reply("acquire_credentials", &err);
		goto out;
	}
	if ((st = cred_subject_keep(cred, reply.hdr)) != SEC_E_OK)
		goto out;
	cred->session = bind.session;
	conn_ref(conn);
	cred->conn = conn;
	*credp = cred;
	cred = NULL;
out:
	conn_reply_free(&reply);
	json_decref(req);
	cred_destroy(cred);
	return (st);
}

secctx_status
secctx_cred_free(secctx_cred *cred)
{
	struct conn_reply	 reply;
	struct conn_bind	 bind = { 0, cred, 1 };
	json_t			*req;
	secctx_status		 st;

	if (cred == NULL)
		return (SEC_E_OK);
	if ((req = json_object()) == NULL)
		st = no_memory();
	else
		st = conn_request_bound(cred->conn, &bind, "free_credentials",
		    req, NULL, 0, &reply);
	json_decref(req);
	conn_reply_free(&reply);
	conn_unref(cred->conn);
	cred_destroy(cred);
	return (st);
}

secctx_status
secctx_cred_subject(const secctx_cred *cred, const char **subject)
{
	if (cred == NULL || subject == NULL)
		return (invalid("no credential or subject pointer"));
	*subject = cred->subject;
	if (cred->subject == NULL)
		return (client_seterr(SEC_E_NO_CREDENTIALS,
		    "the credential '%s' presents no certificate", cred->name));
	return (SEC_E_OK);
}

/* "TLSv1.2" or "TLSv1.3" for a version bound; nothing for the default. */
static secctx_status
put_version(json_t *req, const char *key, enum secctx_version version)
{
	switch (version) {
	case SECCTX_VERSION_DEFAULT:
		return (SEC_E_OK);
	case SECCTX_TLS1_2:
		return (put_string(req, key, "TLSv1.2"));
	case SECCTX_TLS1_3:
		return (put_string(req, key, "TLSv1.3"));
	}
	return (client_seterr(SEC_E_INVALID_PARAMETER,
	    "%s: unknown TLS version 0x%04x", key, (unsigned int)version));
}

static secctx_status
put_alpn(json_t *req, const char *const *alpn, size_t count)
{
	json_t		*list;
	size_t		 i, len;

	if (count == 0)
		return (SEC_E_OK);
	if (alpn == NULL || count > MSG_MAX_LIST)
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "alpn: give 1 to %d protocols", MSG_MAX_LIST));
	if ((list = json_array()) == NULL ||
	    json_object_set_new(req, "alpn", list) != 0)
		return (no_memory());
	for (i = 0; i < count; i++) {
		len = alpn[i] != NULL ? strlen(alpn[i]) : 0;
		if (len == 0 || len > ALPN_MAX_LEN)
			return (client_seterr(SEC_E_INVALID_PARAMETER,
			    "alpn: protocol %zu must be 1 to %d bytes", i,
			    ALPN_MAX_LEN));
		if (json_array_append_new(list, json_string(alpn[i])) != 0)
			return (client_seterr(SEC_E_INVALID_PARAMETER,
			    "alpn: protocol %zu is not valid UTF-8", i));
	}
	return (SEC_E_OK);
}

static secctx_status
put_client_cert(json_t *req, enum secctx_client_cert cc)
{
	switch (cc) {
	case SECCTX_CLIENT_CERT_NONE:
		return (put_string(req, "client_cert", "none"));
	case SECCTX_CLIENT_CERT_OPTIONAL:
		return (put_string(req, "client_cert", "optional"));
	case SECCTX_CLIENT_CERT_REQUIRED:
		return (put_string(req, "client_cert", "required"));
	}
	return (invalid("client_cert must be none, optional or required"));
}

/*
 * The first call's options: target, no_resume and no_post_handshake_auth
 * (initialize) or client_cert (accept).
 */
static secctx_status
put_options(json_t *req, int accept, const struct secctx_options *o)
{
	secctx_status	st;

	if (o == NULL)
		return (SEC_E_OK);
	if (!accept && o->target != NULL &&
	    (st = put_string(req, "target", o->target)) != SEC_E_OK)
		return (st);
	if ((st = put_alpn(req, o->alpn, o->alpn_count)) != SEC_E_OK ||
	    (st = put_version(req, "min_version", o->min_version)) != SEC_E_OK ||
	    (st = put_version(req, "max_version", o->max_version)) != SEC_E_OK)
		return (st);
	if (accept)
		return (put_client_cert(req, o->client_cert));
	if (o->no_resume && json_object_set_new(req, "no_resume",
	    json_true()) != 0)
		return (no_memory());
	if (o->no_post_handshake_auth && json_object_set_new(req,
	    "no_post_handshake_auth", json_true()) != 0)
		return (no_memory());
	if (o->skip_validation && json_object_set_new(req,
	    "skip_validation", json_true()) != 0)
		return (no_memory());
	return (SEC_E_OK);
}

/* Build an initialize or accept request. */
static secctx_status
step_request(int accept, secctx_cred *cred, secctx_ctx *ctx,
    const struct secctx_options *options, json_t **reqp)
{
	json_t	*req;

	if ((*reqp = req = json_object()) == NULL)
		return (no_memory());
	if (cred != NULL && ctx != NULL && cred->conn != ctx->conn)
		return (client_seterr(SEC_E_WRONG_CREDENTIAL_HANDLE,
		    "the credential and the context belong to different "
		    "connections"));
	/* The credential's handle is put in by conn_request_bound(). */
	if (ctx != NULL)
		return (put_handle(req, "ctx", ctx->handle));
	/* This library protects records itself when the credential allows. */
	if (json_object_set_new(req, "mapped", json_true()) != 0)
		return (no_memory());
	return (put_options(req, accept, options));
}

/*
 * The record state the daemon appended to the last token (PROTOCOL.md,
 * "mapped"): install it, and cleanse it from the reply.
 */
static secctx_status
step_map(const char *op, secctx_ctx *ctx, struct conn_reply *reply,
    int64_t len)
{
	uint8_t	*state;

	if (ctx == NULL || (size_t)len > reply->payload_len)
		return (client_seterr(SEC_E_INTERNAL_ERROR,
		    "invalid '%s' response from secctxd: a record state "
		    "without a context", op));
	state = reply->payload + reply->payload_len - len;
	ctx->mapped = mapped_new(state, len);
	OPENSSL_cleanse(state, len);
	reply->payload_len -= len;
	if (reply->payload_len == 0) {
		free(reply->payload);
		reply->payload = NULL;
	}
	return (ctx->mapped != NULL ? SEC_E_OK : SEC_E_INTERNAL_ERROR);
}

/*
 * Fill the token from a response and, on the first call, create the context
 * object for the handle the daemon returned.
 */
static secctx_status
step_reply(const char *op, secctx_conn *conn, uint64_t session,
    secctx_ctx **ctxp, secctx_status st, struct conn_reply *reply,
    struct secctx_token *token)
{
	struct sc_err	 err;
	int64_t		 extra = 0, missing = 0, mapped = 0;
	uint64_t	 handle = 0;
	int		 created;

	if (msg_get_int(reply->hdr, "mapped", MSG_OPTIONAL, 0,
	    (int64_t)reply->payload_len, &mapped, &err) != SEC_E_OK ||
	    msg_get_int(reply->hdr, "extra", MSG_OPTIONAL, 0,
	    (int64_t)token->in_len, &extra, &err) != SEC_E_OK ||
	    msg_get_int(reply->hdr, "missing", MSG_OPTIONAL, 0, INT64_MAX,
	    &missing, &err) != SEC_E_OK ||
	    msg_get_handle(reply->hdr, "ctx", MSG_OPTIONAL, &handle,
	    &err) != SEC_E_OK)
		return (bad_reply(op, &err));
	/* Without an error, or while waiting for input, the context lives. */
	created = *ctxp == NULL &&
	    (!SECCTX_FAILED(st) || st == SEC_E_INCOMPLETE_MESSAGE);
	if (created && handle == 0 && st != SEC_E_INCOMPLETE_MESSAGE) {
		sc_seterr(&err, st, "field 'ctx' is missing");
		return (bad_reply(op, &err));
	}
	if (created && handle != 0) {
		if ((*ctxp = calloc(1, sizeof(**ctxp))) == NULL)
			return (no_memory());
		conn_ref(conn);
		(*ctxp)->conn = conn;
		(*ctxp)->handle = handle;
		(*ctxp)->session = session;
	}
	if (mapped > 0 && st == SEC_E_OK &&
	    (st = step_map(op, *ctxp, reply, mapped)) != SEC_E_OK)
		return (st);
	token->out = reply->payload;
	token->out_len = reply->payload_len;
	reply->payload = NULL;
	token->extra = extra;
	token->missing = missing;
	return (st);
}

/* Release the context object; delete it in the daemon unless it was. */
static void
context_lost(secctx_ctx **ctxp, int deleted)
{
	struct conn_reply	reply;
	char			saved[CLIENT_ERRLEN];

	if (!deleted && conn_session_live((*ctxp)->conn,
	    (*ctxp)->session)) {
		client_error_save(saved);
		(void)ctx_request(*ctxp, "delete_context", &reply);
		conn_reply_free(&reply);
		client_error_restore(saved);
	}
	mapped_free((*ctxp)->mapped);
	conn_unref((*ctxp)->conn);
	free(*ctxp);
	*ctxp = NULL;
}

static secctx_status
context_step(int accept, secctx_cred *cred, secctx_ctx **ctxp,
    const struct secctx_options *options, int ask_credentials,
    struct secctx_token *token)
{
	const char		*op = accept ? "accept" : "initialize";
	struct conn_reply	 reply;
	struct conn_bind	 bind = { 0, cred, 0 };
	secctx_conn		*conn;
	json_t			*req = NULL;
	secctx_status		 st;
	int			 deleted = 0;

	memset(&reply, 0, sizeof(reply));
	if (ctxp == NULL || token == NULL ||
	    (token->in == NULL && token->in_len > 0))
		return (invalid("no context pointer, token or input"));
	token->out = NULL;
	token->out_len = token->extra = token->missing = 0;
	if (cred == NULL && *ctxp == NULL)
		return (invalid("a credential is needed to create a context"));
	conn = *ctxp != NULL ? (*ctxp)->conn : cred->conn;
	if ((st = step_request(accept, cred, *ctxp, options,
	    &req)) != SEC_E_OK)
		goto out;
	if (ask_credentials && *ctxp == NULL &&
	    json_object_set_new(req, "ask_credentials", json_true()) != 0) {
		st = no_memory();
		goto out;
	}
	if (*ctxp != NULL)
		bind.session = (*ctxp)->session;
	st = conn_request_bound(conn, &bind, op, req, token->in,
	    token->in_len, &reply);
	if (reply.hdr == NULL) {
		/* A lost context is gone from the daemon already. */
		deleted = st == SEC_E_CONTEXT_EXPIRED;
		goto out;
	}
	deleted = SECCTX_FAILED(st);
	st = step_reply(op, conn, bind.session, ctxp, st, &reply, token);
out:
	if (SECCTX_FAILED(st) && st != SEC_E_INCOMPLETE_MESSAGE &&
	    *ctxp != NULL)
		context_lost(ctxp, deleted);
	conn_reply_free(&reply);
	json_decref(req);
	return (st);
}

secctx_status
secctx_initialize(secctx_cred *cred, secctx_ctx **ctxp,
    const struct secctx_options *options, struct secctx_token *token)
{
	return (context_step(0, cred, ctxp, options, 0, token));
}

secctx_status
client_initialize(secctx_cred *cred, secctx_ctx **ctxp,
    const struct secctx_options *options, int ask_credentials,
    struct secctx_token *token)
{
	return (context_step(0, cred, ctxp, options, ask_credentials, token));
}

secctx_status
secctx_accept(secctx_cred *cred, secctx_ctx **ctxp,
    const struct secctx_options *options, struct secctx_token *token)
{
	return (context_step(1, cred, ctxp, options, 0, token));
}

secctx_status
secctx_delete(secctx_ctx *ctx)
{
	json_t		*req;
	secctx_status	 st;

	if (ctx == NULL)
		return (SEC_E_OK);
	st = SEC_E_OK;
	/*
	 * Handle 0: an operation failed and the daemon deleted it already.
	 * A context of an earlier session went with it.  Nothing waits for
	 * the answer: a delete of our own handle cannot fail in a way the
	 * caller could act on.
	 */
	if (ctx->handle != 0) {
		if ((req = json_object()) == NULL)
			st = no_memory();
		else if ((st = put_handle(req, "ctx", ctx->handle)) ==
		    SEC_E_OK)
			st = conn_request_nowait(ctx->conn, ctx->session,
			    "delete_context", req);
		json_decref(req);
	}
	mapped_free(ctx->mapped);
	conn_unref(ctx->conn);
	free(ctx);
	return (st);
}

/* The string fields of query_context and where they go. */
#define INFO_FIELD(f) { #f, offsetof(struct secctx_info, f), \
	sizeof(((struct secctx_info *)0)->f) }
static const struct info_field {
	const char	*key;
	size_t		 offset;
	size_t		 size;
} info_fields[] = {
	INFO_FIELD(protocol),
	INFO_FIELD(cipher),
	INFO_FIELD(cipher_iana),
	INFO_FIELD(group),
	INFO_FIELD(signature),
	INFO_FIELD(peer_subject),
	INFO_FIELD(peer_issuer),
	INFO_FIELD(alpn),
	INFO_FIELD(sni),
	INFO_FIELD(credential),
	INFO_FIELD(session_id),
};
#undef INFO_FIELD

/* Copy src into dst of size bytes, truncating at a UTF-8 boundary. */
static void
info_copy(char *dst, size_t size, const char *src)
{
	size_t	len = strlen(src);

	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static secctx_status
info_size(const json_t *hdr, const char *key, size_t *out, struct sc_err *err)
{
	int64_t	v = 0;

	if (msg_get_int(hdr, key, MSG_OPTIONAL, 0, INT32_MAX, &v, err) !=
	    SEC_E_OK)
		return (err->status);
	*out = v;
	return (SEC_E_OK);
}

static secctx_status
info_fill(const json_t *hdr, struct secctx_info *info)
{
	const struct info_field	*f;
	const char		*s;
	struct sc_err		 err;
	size_t			 i;

	for (i = 0; i < sizeof(info_fields) / sizeof(info_fields[0]); i++) {
		f = &info_fields[i];
		s = "";
		if (msg_get_string(hdr, f->key, MSG_OPTIONAL, SIZE_MAX, &s,
		    &err) != SEC_E_OK)
			return (bad_reply("query_context", &err));
		info_copy((char *)info + f->offset, f->size, s);
	}
	if (msg_get_bool(hdr, "resumed", &info->resumed, &err) != SEC_E_OK ||
	    msg_get_bool(hdr, "handshake_done", &info->handshake_done,
	    &err) != SEC_E_OK ||
	    info_size(hdr, "stream_header", &info->stream_header,
	    &err) != SEC_E_OK ||
	    info_size(hdr, "stream_trailer", &info->stream_trailer,
	    &err) != SEC_E_OK ||
	    info_size(hdr, "stream_max_message", &info->stream_max_message,
	    &err) != SEC_E_OK ||
	    info_size(hdr, "stream_block_size", &info->stream_block_size,
	    &err) != SEC_E_OK)
		return (bad_reply("query_context", &err));
	return (SEC_E_OK);
}

secctx_status
secctx_query_info(secctx_ctx *ctx, struct secctx_info *info)
{
	struct conn_reply	reply;
	secctx_status		st;

	if (ctx == NULL || info == NULL)
		return (invalid("no context or info structure"));
	memset(info, 0, sizeof(*info));
	st = ctx_request(ctx, "query_context", &reply);
	if (!SECCTX_FAILED(st) && (st = info_fill(reply.hdr,
	    info)) != SEC_E_OK)
		memset(info, 0, sizeof(*info));
	conn_reply_free(&reply);
	return (st);
}
