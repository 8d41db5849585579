/*
 * The configuration file: a JSON object with the socket and the named
 * credentials (docs/configuration.md).  Every error names the file, the key
 * and the problem.
 */

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "secctxd.h"

#define CRED_NAME_MAX	64

static const char *const config_keys[] = {
	"socket", "socket_mode", "ticket_key_rotation", "credentials", NULL
};
static const char *const cred_keys[] = {
	"name", "certificate", "private_key", "ca_file", "system_trust",
	"uids", "gids", NULL
};

static secctx_status
check_keys(const json_t *obj, const char *const *known, const char *where,
    struct sc_err *err)
{
	const char	*key;
	json_t		*v;
	int		 i;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; known[i] != NULL; i++) {
			if (strcmp(key, known[i]) == 0)
				break;
		}
		if (known[i] == NULL)
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "%sunknown key '%s'", where, key));
	}
	return (SEC_E_OK);
}

static int
cred_name_valid(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > CRED_NAME_MAX)
		return (0);
	for (i = 0; i < n; i++) {
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", s[i]) == NULL)
			return (0);
	}
	return (1);
}

/* A list of ids given as numbers or names; group != 0 resolves groups. */
static secctx_status
parse_ids(const json_t *list, int group, const char *where, unsigned **out,
    size_t *count, struct sc_err *err)
{
	struct passwd	*pw;
	struct group	*gr;
	const json_t	*v;
	const char	*key = group ? "gids" : "uids";
	size_t		 i;
	unsigned	*ids;

	*out = NULL;
	*count = 0;
	if (list == NULL)
		return (SEC_E_OK);
	if (!json_is_array(list))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%s%s: must be a list", where, key));
	if ((ids = calloc(json_array_size(list) + 1, sizeof(*ids))) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	json_array_foreach(list, i, v) {
		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) < (json_int_t)UINT32_MAX)
			ids[i] = json_integer_value(v);
		else if (json_is_string(v) && !group &&
		    (pw = getpwnam(json_string_value(v))) != NULL)
			ids[i] = pw->pw_uid;
		else if (json_is_string(v) && group &&
		    (gr = getgrnam(json_string_value(v))) != NULL)
			ids[i] = gr->gr_gid;
		else {
			free(ids);
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "%s%s[%zu]: not a known %s name or id", where, key,
			    i, group ? "group" : "user"));
		}
	}
	*out = ids;
	*count = json_array_size(list);
	return (SEC_E_OK);
}

static secctx_status
get_string(const json_t *obj, const char *key, const char *where,
    const char **out, struct sc_err *err)
{
	const json_t	*v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL)
		return (SEC_E_OK);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%s%s: must be a non-empty string", where, key));
	*out = json_string_value(v);
	return (SEC_E_OK);
}

static secctx_status
parse_cred(const json_t *obj, size_t idx, struct cred **credp,
    struct sc_err *err)
{
	struct cred_source	 src = { 0 };
	struct sc_err		 e;
	const json_t		*v;
	struct cred		*c = NULL;
	unsigned		*uids = NULL, *gids = NULL;
	size_t			 nuids, ngids;
	char			 where[128];

	snprintf(where, sizeof(where), "credentials[%zu]: ", idx);
	if (!json_is_object(obj))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%smust be an object", where));
	if (get_string(obj, "name", where, &src.name, err) != SEC_E_OK)
		return (err->status);
	if (src.name == NULL || !cred_name_valid(src.name))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "%sname: must "
		    "be 1 to %d characters of A-Za-z0-9._-", where,
		    CRED_NAME_MAX));
	snprintf(where, sizeof(where), "credentials[%zu] \"%s\": ", idx,
	    src.name);
	if (check_keys(obj, cred_keys, where, err) != SEC_E_OK ||
	    get_string(obj, "certificate", where, &src.certificate,
	    err) != SEC_E_OK ||
	    get_string(obj, "private_key", where, &src.private_key,
	    err) != SEC_E_OK ||
	    get_string(obj, "ca_file", where, &src.ca_file, err) != SEC_E_OK)
		return (err->status);
	if ((src.certificate == NULL) != (src.private_key == NULL))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "%s"
		    "certificate and private_key must be given together",
		    where));
	if ((v = json_object_get(obj, "system_trust")) != NULL) {
		if (!json_is_boolean(v))
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "%ssystem_trust: must be true or false", where));
		src.system_trust = json_is_true(v);
	}
	if (parse_ids(json_object_get(obj, "uids"), 0, where, &uids, &nuids,
	    err) != SEC_E_OK ||
	    parse_ids(json_object_get(obj, "gids"), 1, where, &gids, &ngids,
	    err) != SEC_E_OK)
		goto fail;
	if (cred_load(&src, &c, &e) != SEC_E_OK) {
		sc_seterr(err, e.status, "%s%s", where, e.msg);
		goto fail;
	}
	c->uids = uids;
	c->nuids = nuids;
	c->gids = gids;
	c->ngids = ngids;
	if (nuids == 0 && ngids == 0)
		log_warn("credential '%s' lists no uids or gids: nobody may "
		    "use it", c->name);
	*credp = c;
	return (SEC_E_OK);
fail:
	free(uids);
	free(gids);
	return (err->status);
}

static secctx_status
parse_config(const json_t *root, struct config *cf, struct sc_err *err)
{
	const json_t	*creds, *v;
	const char	*s;
	char		*end;
	size_t		 i, j;

	if (!json_is_object(root))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "must be a JSON object"));
	if (check_keys(root, config_keys, "", err) != SEC_E_OK ||
	    get_string(root, "socket", "", &s, err) != SEC_E_OK)
		return (err->status);
	if ((cf->socket_path = strdup(s != NULL ? s : SECCTXD_SOCKET)) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	if (get_string(root, "socket_mode", "", &s, err) != SEC_E_OK)
		return (err->status);
	cf->socket_mode = 0666;
	if (s != NULL) {
		cf->socket_mode = strtoul(s, &end, 8);
		if (*end != '\0' || cf->socket_mode > 0777)
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "socket_mode: must be octal permission bits like "
			    "\"0660\""));
	}
	v = json_object_get(root, "ticket_key_rotation");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 7 * 86400))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "ticket_key_rotation: must be seconds from 1 to 604800"));
	/* Before the credentials, whose server contexts take it. */
	ticket_keys_set_rotation(v != NULL ? (int)json_integer_value(v) :
	    TICKET_ROTATION_DEFAULT);
	creds = json_object_get(root, "credentials");
	if (!json_is_array(creds) || json_array_size(creds) == 0)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "credentials: must be a non-empty list"));
	if ((cf->creds = calloc(json_array_size(creds),
	    sizeof(*cf->creds))) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	json_array_foreach(creds, i, v) {
		if (parse_cred(v, i, &cf->creds[i], err) != SEC_E_OK)
			return (err->status);
		cf->ncreds++;
		for (j = 0; j < i; j++) {
			if (strcmp(cf->creds[j]->name, cf->creds[i]->name) ==
			    0)
				return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
				    "credentials[%zu]: name '%s' is already "
				    "used by credentials[%zu]", i,
				    cf->creds[i]->name, j));
		}
	}
	return (SEC_E_OK);
}

secctx_status
config_load(const char *path, struct config **cfp, struct sc_err *err)
{
	struct config	*cf;
	json_error_t	 jerr;
	json_t		*root;
	struct sc_err	 e;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%s: line %d: %s", path, jerr.line, jerr.text));
	if ((cf = calloc(1, sizeof(*cf))) == NULL) {
		json_decref(root);
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	}
	if (parse_config(root, cf, &e) != SEC_E_OK) {
		sc_seterr(err, e.status, "%s: %s", path, e.msg);
		config_free(cf);
		json_decref(root);
		return (err->status);
	}
	json_decref(root);
	*cfp = cf;
	return (SEC_E_OK);
}

void
config_free(struct config *cf)
{
	size_t	i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->ncreds; i++)
		cred_unref(cf->creds[i]);
	free(cf->creds);
	free(cf->socket_path);
	free(cf);
}

struct cred *
config_find_cred(const struct config *cf, const char *name)
{
	size_t	i;

	for (i = 0; i < cf->ncreds; i++) {
		if (strcmp(cf->creds[i]->name, name) == 0)
			return (cf->creds[i]);
	}
	return (NULL);
}
