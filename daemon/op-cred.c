/* Credential handles: acquire and free. */

#include <stdlib.h>

#include "secctxd.h"
#include "escape.h"
#include "msg.h"

#define CRED_NAME_MAX	64
#define CRED_SUBJECT_MAX	512

/*
 * The "subject" field: the RFC 2253 subject of the certificate the
 * credential presents in direction dir, absent when it presents none.
 */
static int
acquire_subject(const struct cred *cred, int dir, json_t *fields)
{
	SSL_CTX	*ctx;
	X509	*cert;
	char	 subject[CRED_SUBJECT_MAX];

	ctx = dir == DIR_INBOUND ? cred->server_ctx : cred->client_ctx;
	if (ctx == NULL || (cert = SSL_CTX_get0_certificate(ctx)) == NULL)
		return (0);
	tls_name_string(X509_get_subject_name(cert), subject, sizeof(subject));
	return (json_object_set_new(fields, "subject", json_string(subject)));
}

secctx_status
op_acquire(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct cred_handle	*ch;
	struct cred		*cred;
	const char		*name = NULL;
	char			 ename[CRED_NAME_MAX * 6 + 1];
	uint64_t		 h;
	int			 dir = 0;

	if (msg_get_string(req->hdr, "name", MSG_REQUIRED, CRED_NAME_MAX,
	    &name, err) != SEC_E_OK ||
	    msg_get_enum(req->hdr, "direction", direction_names, &dir,
	    err) != SEC_E_OK)
		return (err->status);
	if (dir == 0)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "field 'direction' must be \"outbound\" or \"inbound\""));
	sc_escape_str(ename, sizeof(ename), name);
	if ((cred = config_find_cred(config, name)) == NULL)
		return (sc_seterr(err, SEC_E_UNKNOWN_CREDENTIALS,
		    "no credential named '%s'", ename));
	if (policy_check_cred(cred, &c->peer, dir, err) != SEC_E_OK) {
		log_warn("refused: pid %ld uid %lu gid %lu credential '%s' "
		    "%s: %s", (long)c->peer.pid, (unsigned long)c->peer.uid,
		    (unsigned long)c->peer.gid, ename, direction_names[dir],
		    err->msg);
		return (err->status);
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
	if (msg_set_handle(r->fields, "cred", h) != 0 ||
	    acquire_subject(cred, dir, r->fields) != 0) {
		handles_remove(&c->handles, h, HANDLE_CRED);
		goto nomem;
	}
	return (SEC_E_OK);
nomem:
	cred_unref(ch->cred);
	free(ch);
	return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory"));
}

secctx_status
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

