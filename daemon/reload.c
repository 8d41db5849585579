/*
 * Reloading the configuration (SIGHUP, the unit's ExecReload).  The file
 * is read and every credential loaded again; only when all of it loads
 * does it replace the running configuration.  Otherwise the daemon keeps
 * what it runs and logs why.
 *
 * A credential keeps its identity across a reload: when the new file names
 * it again, the existing struct cred takes the new contents (certificate,
 * key, trust, uids, gids, ...) in place.  So a credential handle acquired
 * before the reload makes its next contexts with the new files, and
 * established contexts carry on unchanged: each holds its own reference to
 * the OpenSSL context it was made from, which lives until the last of them
 * is freed.  A credential the new file no longer names is emptied: handles
 * to it make no new context (SEC_E_NO_CREDENTIALS) and acquiring it fails.
 *
 * Nothing resumes across a reload, so that a session authenticated under
 * the old files is never taken for one under the new: the client session
 * cache is cleared, contexts of the old files no longer add to it, and the
 * new credentials are loaded under a new generation (creds.c): their
 * session id contexts and ticket keys are new, so sessions and tickets
 * issued before the reload fall back to a full handshake.
 *
 * The listening socket (socket, socket_mode, -s) is not changed by a
 * reload; it takes a restart.
 */

#include <stdlib.h>
#include <string.h>

#include "secctxd.h"

/* Exchange the contents of two credentials; each keeps name and refs. */
static void
cred_swap(struct cred *a, struct cred *b)
{
	struct cred	 tmp = *a;
	char		*aname = a->name, *bname = b->name;
	int		 arefs = a->refs, brefs = b->refs;

	*a = *b;
	*b = tmp;
	a->name = aname;
	a->refs = arefs;
	b->name = bname;
	b->refs = brefs;
}

/*
 * Drop the reload's reference to contents swapped out; contexts still
 * using their OpenSSL contexts no longer feed the session cache.
 */
static void
cred_retire(struct cred *c)
{
	if (c->client_ctx != NULL)
		SSL_CTX_sess_set_new_cb(c->client_ctx, NULL);
	cred_unref(c);
}

/* Empty credentials for those of the running file the new one drops. */
static secctx_status
prepare_removed(const struct config *nc, struct cred ***emptyp,
    size_t *countp, struct sc_err *err)
{
	struct cred_source	 src;
	struct cred		**empty;
	size_t			 i, n = 0;

	*emptyp = NULL;
	*countp = 0;
	if ((empty = calloc(config->ncreds + 1, sizeof(*empty))) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	for (i = 0; i < config->ncreds; i++) {
		if (config_find_cred(nc, config->creds[i]->name) != NULL)
			continue;
		memset(&src, 0, sizeof(src));
		src.name = config->creds[i]->name;
		if (cred_load(&src, &empty[n], err) != SEC_E_OK)
			goto fail;
		n++;
	}
	*emptyp = empty;
	*countp = n;
	return (SEC_E_OK);
fail:
	while (n > 0)
		cred_unref(empty[--n]);
	free(empty);
	return (err->status);
}

/* Put nc in place of the running configuration; it cannot fail. */
static void
commit(struct config *nc, struct cred **empty, size_t nempty)
{
	struct cred	*old;
	size_t		 i, j = 0;

	for (i = 0; i < nc->ncreds; i++) {
		if ((old = config_find_cred(config, nc->creds[i]->name)) ==
		    NULL)
			continue;
		cred_swap(old, nc->creds[i]);
		cred_retire(nc->creds[i]);
		nc->creds[i] = cred_ref(old);
	}
	for (i = 0; i < config->ncreds && j < nempty; i++) {
		old = config->creds[i];
		if (config_find_cred(nc, old->name) != NULL)
			continue;
		log_warn("credential '%s' is no longer configured: its handles "
		    "make no new contexts", old->name);
		cred_swap(old, empty[j]);
		cred_retire(empty[j++]);
	}
	config_free(config);
	config = nc;
	session_cache_clear();
}

static void
warn_socket(const struct config *nc)
{
	if (strcmp(nc->socket_path, config->socket_path) != 0 ||
	    nc->socket_mode != config->socket_mode)
		log_warn("socket and socket_mode are not changed by a reload; "
		    "they take effect at the next start");
}

/*
 * SIGHUP: SEC_E_OK when the new configuration runs; otherwise the running
 * one stays, and err says why.
 */
secctx_status
reload_config(const char *path, struct sc_err *err)
{
	struct config	*nc = NULL;
	struct cred	**empty = NULL;
	size_t		 nempty = 0;
	int		 rotation = ticket_keys_rotation();

	notify_reloading();
	log_info("reloading %s", path);
	cred_next_generation();
	if (config_load(path, &nc, err) != SEC_E_OK ||
	    prepare_removed(nc, &empty, &nempty, err) != SEC_E_OK)
		goto fail;
	warn_socket(nc);
	commit(nc, empty, nempty);
	free(empty);
	log_info("configuration reloaded: %zu credentials", config->ncreds);
	notify_send("READY=1", "serving %zu credentials (reloaded)",
	    config->ncreds);
	return (SEC_E_OK);
fail:
	ticket_keys_set_rotation(rotation);
	config_free(nc);
	log_err("reload failed, the running configuration stays: %s",
	    err->msg);
	notify_send("READY=1", "reload failed, running the previous "
	    "configuration: %s", err->msg);
	return (err->status);
}
