/*
 * The configuration file: a JSON object with the socket and the named
 * credentials (docs/configuration.md).  Every error names the file, the key
 * and the problem.
 */

#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"

#include "secctxd.h"

#define CRED_NAME_MAX	64

static const char *const config_keys[] = {
	"socket", "socket_mode", "ticket_key_rotation", "threads",
	"handshake_threads", "credentials", "limits", "callers", NULL
};
static const char *const cred_keys[] = {
	"name", "certificate", "private_key", "ca_file", "crl_file",
	"system_trust",
	"uids", "gids", "executables", "directions", "allow_insecure_key_file",
	"ciphers", "ciphersuites", "groups", "signature_algorithms", "records",
	"allow_skip_validation", NULL
};
static const char *const limit_keys[] = {
	"max_header", "max_payload", "contexts_per_connection",
	"contexts_per_uid", "connections_per_uid", "total_contexts",
	"buffer_per_connection", "buffer_per_uid", "frame_timeout", "idle_timeout", "handshake_timeout", NULL
};
static const char *const caller_keys[] = {
	"uids", "gids", "min_version", "targets", "skip_validation", NULL
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
get_bool(const json_t *obj, const char *key, const char *where, int *out,
    struct sc_err *err)
{
	const json_t	*v = json_object_get(obj, key);

	if (v == NULL)
		return (SEC_E_OK);
	if (!json_is_boolean(v))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%s%s: must be true or false", where, key));
	*out = json_is_true(v);
	return (SEC_E_OK);
}

void
strings_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

/* A list of non-empty strings; paths != 0: absolute paths. */
static secctx_status
parse_strings(const json_t *list, const char *key, int paths,
    const char *where, char ***out, size_t *count, struct sc_err *err)
{
	const json_t	*v;
	size_t		 i;
	char		**s, resolved[PATH_MAX];

	*out = NULL;
	*count = 0;
	if (list == NULL)
		return (SEC_E_OK);
	if (!json_is_array(list))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%s%s: must be a list", where, key));
	if ((s = calloc(json_array_size(list) + 1, sizeof(*s))) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) >= PATH_MAX ||
		    (paths && json_string_value(v)[0] != '/')) {
			strings_free(s, i);
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "%s%s[%zu]: must be a non-empty string%s", where,
			    key, i, paths ? " holding an absolute path" : ""));
		}
		/* Paths compare as the kernel names them: resolved. */
		if (paths && realpath(json_string_value(v), resolved) != NULL)
			s[i] = strdup(resolved);
		else
			s[i] = strdup(json_string_value(v));
		if (s[i] == NULL) {
			strings_free(s, i);
			return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
			    "out of memory"));
		}
	}
	*out = s;
	*count = json_array_size(list);
	return (SEC_E_OK);
}

/* "directions": ["inbound", "outbound"] as DIR_* bits; absent: 0 (both). */
static secctx_status
parse_directions(const json_t *list, const char *where, int *out,
    struct sc_err *err)
{
	const json_t	*v;
	const char	*s;
	size_t		 i;

	*out = 0;
	if (list == NULL)
		return (SEC_E_OK);
	if (!json_is_array(list) || json_array_size(list) == 0)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%sdirections: must be a non-empty list", where));
	json_array_foreach(list, i, v) {
		s = json_string_value(v);
		if (s != NULL && strcmp(s, "outbound") == 0)
			*out |= DIR_OUTBOUND;
		else if (s != NULL && strcmp(s, "inbound") == 0)
			*out |= DIR_INBOUND;
		else
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "%sdirections[%zu]: must be \"inbound\" or "
			    "\"outbound\"", where, i));
	}
	return (SEC_E_OK);
}

/* "records": "process" (the default) or "daemon". */
static secctx_status
parse_records(const json_t *v, const char *where, enum records *out,
    struct sc_err *err)
{
	const char	*s = json_string_value(v);

	*out = RECORDS_PROCESS;
	if (v == NULL || (s != NULL && strcmp(s, "process") == 0))
		return (SEC_E_OK);
	if (s != NULL && strcmp(s, "daemon") == 0) {
		*out = RECORDS_DAEMON;
		return (SEC_E_OK);
	}
	return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "%srecords: must be "
	    "\"process\" or \"daemon\"", where));
}

static secctx_status
parse_cred(const json_t *obj, size_t idx, struct cred **credp,
    struct sc_err *err)
{
	struct cred_source	 src = { 0 };
	struct sc_err		 e;
	struct cred		*c = NULL;
	unsigned		*uids = NULL, *gids = NULL;
	size_t			 nuids, ngids, nexes = 0;
	char			 where[128], **exes = NULL;
	int			 directions = 0;

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
	    get_string(obj, "ca_file", where, &src.ca_file, err) != SEC_E_OK ||
	    get_string(obj, "crl_file", where, &src.crl_file, err) != SEC_E_OK ||
	    get_string(obj, "ciphers", where, &src.ciphers, err) != SEC_E_OK ||
	    get_string(obj, "ciphersuites", where, &src.ciphersuites,
	    err) != SEC_E_OK ||
	    get_string(obj, "groups", where, &src.groups, err) != SEC_E_OK ||
	    get_string(obj, "signature_algorithms", where,
	    &src.signature_algorithms, err) != SEC_E_OK)
		return (err->status);
	if ((src.certificate == NULL) != (src.private_key == NULL))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "%s"
		    "certificate and private_key must be given together",
		    where));
	src.allow_skip_validation = 1;
	if (get_bool(obj, "system_trust", where, &src.system_trust,
	    err) != SEC_E_OK ||
	    get_bool(obj, "allow_insecure_key_file", where,
	    &src.allow_insecure_key_file, err) != SEC_E_OK ||
	    get_bool(obj, "allow_skip_validation", where,
	    &src.allow_skip_validation, err) != SEC_E_OK ||
	    parse_directions(json_object_get(obj, "directions"), where,
	    &directions, err) != SEC_E_OK ||
	    parse_records(json_object_get(obj, "records"), where,
	    &src.records, err) != SEC_E_OK)
		return (err->status);
	if (src.crl_file != NULL && src.ca_file == NULL && !src.system_trust)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "%scrl_file "
		    "needs trust anchors (ca_file or system_trust)", where));
	if (parse_ids(json_object_get(obj, "uids"), 0, where, &uids, &nuids,
	    err) != SEC_E_OK ||
	    parse_ids(json_object_get(obj, "gids"), 1, where, &gids, &ngids,
	    err) != SEC_E_OK ||
	    parse_strings(json_object_get(obj, "executables"), "executables",
	    1, where, &exes, &nexes, err) != SEC_E_OK)
		goto fail;
	if (cred_load(&src, &c, &e) != SEC_E_OK) {
		sc_seterr(err, e.status, "%s%s", where, e.msg);
		goto fail;
	}
	c->uids = uids;
	c->nuids = nuids;
	c->gids = gids;
	c->ngids = ngids;
	c->executables = exes;
	c->nexecutables = nexes;
	c->directions = directions;
	if (nuids == 0 && ngids == 0)
		log_warn("credential '%s' lists no uids or gids: nobody may "
		    "use it", c->name);
	*credp = c;
	return (SEC_E_OK);
fail:
	free(uids);
	free(gids);
	strings_free(exes, nexes);
	return (err->status);
}

/* A number of seconds as milliseconds, from 0.05 to a day; 0 if zero_ok. */
static secctx_status
get_seconds(const json_t *obj, const char *key, int zero_ok, int *ms,
    struct sc_err *err)
{
	const json_t	*v = json_object_get(obj, key);
	double		 d;

	if (v == NULL)
		return (SEC_E_OK);
	d = json_is_number(v) ? json_number_value(v) : -1;
	if ((d == 0 && zero_ok) || (d >= 0.05 && d <= 86400)) {
		*ms = (int)(d * 1000 + 0.5);
		return (SEC_E_OK);
	}
	return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "limits: %s: must be "
	    "seconds from 0.05 to 86400%s", key, zero_ok ? ", or 0" : ""));
}

static secctx_status
get_count(const json_t *obj, const char *key, size_t min, size_t max,
    size_t *out, struct sc_err *err)
{
	const json_t	*v = json_object_get(obj, key);

	if (v == NULL)
		return (SEC_E_OK);
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
	    (uint64_t)json_integer_value(v) > max)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "limits: %s: "
		    "must be an integer from %zu to %zu", key, min, max));
	*out = (size_t)json_integer_value(v);
	return (SEC_E_OK);
}

/* The defaults of docs/configuration.md. */
void
limits_default(struct limits *l)
{
	l->max_header = FRAME_MAX_HEADER;
	l->max_payload = FRAME_MAX_PAYLOAD;
	l->contexts_per_connection = 1024;
	l->contexts_per_uid = 4096;
	l->connections_per_uid = 64;
	l->total_contexts = 16384;
	l->buffer_per_connection = 2 * (FRAME_PREFIX_LEN + FRAME_MAX_HEADER +
	    FRAME_MAX_PAYLOAD);
	l->buffer_per_uid = 8 * l->buffer_per_connection;
	l->frame_timeout_ms = 10000;
	l->idle_timeout_ms = 0;
	l->handshake_timeout_ms = 60000;
}

/*
 * The defaults that follow from the values given, then the rules that keep
 * the limits from contradicting each other (docs/configuration.md).
 */
static secctx_status
check_limits(const json_t *obj, struct limits *l, size_t frame,
    struct sc_err *err)
{
	if (json_object_get(obj, "buffer_per_connection") == NULL)
		l->buffer_per_connection = 2 * frame;
	if (json_object_get(obj, "buffer_per_uid") == NULL)
		l->buffer_per_uid = 8 * l->buffer_per_connection;
	if (json_object_get(obj, "contexts_per_uid") == NULL)
		l->contexts_per_uid = l->total_contexts >= 4 ?
		    l->total_contexts / 4 : 1;
	if (json_object_get(obj, "contexts_per_connection") == NULL &&
	    l->contexts_per_connection > l->contexts_per_uid)
		l->contexts_per_connection = l->contexts_per_uid;
	/* A whole frame must fit, or a connection could never progress. */
	if (l->buffer_per_connection < frame)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "limits: buffer_per_connection: must be at least one "
		    "whole frame, 8 + max_header + max_payload = %zu bytes",
		    frame));
	if (l->buffer_per_uid < l->buffer_per_connection)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "limits: buffer_per_uid (%zu) is below "
		    "buffer_per_connection (%zu): no connection could fill "
		    "its own buffer", l->buffer_per_uid,
		    l->buffer_per_connection));
	if (l->contexts_per_connection > l->contexts_per_uid)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "limits: contexts_per_connection (%zu) exceeds "
		    "contexts_per_uid (%zu): a connection could never reach "
		    "its limit", l->contexts_per_connection,
		    l->contexts_per_uid));
	if (l->contexts_per_uid > (l->total_contexts + 1) / 2)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "limits: contexts_per_uid (%zu) exceeds half of "
		    "total_contexts (%zu): no uid may hold more than half "
		    "of the contexts the others leave free, so that one uid "
		    "never locks the others out", l->contexts_per_uid,
		    l->total_contexts));
	return (SEC_E_OK);
}

static secctx_status
parse_limits(const json_t *obj, struct limits *l, struct sc_err *err)
{
	size_t	hdr, pay;

	limits_default(l);
	if (obj == NULL)
		return (SEC_E_OK);
	if (!json_is_object(obj))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "limits: must be an object"));
	hdr = l->max_header;
	pay = l->max_payload;
	if (check_keys(obj, limit_keys, "limits: ", err) != SEC_E_OK ||
	    get_count(obj, "max_header", 256, FRAME_MAX_HEADER, &hdr,
	    err) != SEC_E_OK ||
	    get_count(obj, "max_payload", 4096, FRAME_MAX_PAYLOAD, &pay,
	    err) != SEC_E_OK ||
	    get_count(obj, "contexts_per_connection", 1, 1 << 20,
	    &l->contexts_per_connection, err) != SEC_E_OK ||
	    get_count(obj, "contexts_per_uid", 1, 1 << 24,
	    &l->contexts_per_uid, err) != SEC_E_OK ||
	    get_count(obj, "connections_per_uid", 1, 1 << 20,
	    &l->connections_per_uid, err) != SEC_E_OK ||
	    get_count(obj, "total_contexts", 1, 1 << 24, &l->total_contexts,
	    err) != SEC_E_OK ||
	    get_count(obj, "buffer_per_connection", 0, (size_t)1 << 30,
	    &l->buffer_per_connection, err) != SEC_E_OK ||
	    get_count(obj, "buffer_per_uid", 0, SIZE_MAX / 4,
	    &l->buffer_per_uid, err) != SEC_E_OK ||
	    get_seconds(obj, "frame_timeout", 0, &l->frame_timeout_ms,
	    err) != SEC_E_OK ||
	    get_seconds(obj, "idle_timeout", 1, &l->idle_timeout_ms,
	    err) != SEC_E_OK ||
	    get_seconds(obj, "handshake_timeout", 0,
	    &l->handshake_timeout_ms, err) != SEC_E_OK)
		return (err->status);
	l->max_header = hdr;
	l->max_payload = pay;
	return (check_limits(obj, l, FRAME_PREFIX_LEN + hdr + pay, err));
}

static secctx_status
parse_caller(const json_t *obj, size_t idx, struct caller_policy *cp,
    struct sc_err *err)
{
	static const char *const versions[] = { "TLSv1.2", "TLSv1.3", NULL };
	static const int version_values[] = { TLS1_2_VERSION, TLS1_3_VERSION };
	const json_t	*v;
	unsigned	*ids;
	char		 where[64];
	int		 i;

	snprintf(where, sizeof(where), "callers[%zu]: ", idx);
	cp->index = idx;
	cp->min_version = TLS1_2_VERSION;
	if (!json_is_object(obj))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "%smust be an object", where));
	if (check_keys(obj, caller_keys, where, err) != SEC_E_OK)
		return (err->status);
	if (parse_ids(json_object_get(obj, "uids"), 0, where, &ids,
	    &cp->nuids, err) != SEC_E_OK)
		return (err->status);
	cp->uids = ids;
	if (parse_ids(json_object_get(obj, "gids"), 1, where, &ids,
	    &cp->ngids, err) != SEC_E_OK)
		return (err->status);
	cp->gids = ids;
	if ((v = json_object_get(obj, "min_version")) != NULL) {
		for (i = 0; versions[i] != NULL; i++) {
			if (json_is_string(v) && strcmp(json_string_value(v),
			    versions[i]) == 0)
				break;
		}
		if (versions[i] == NULL)
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "%smin_version: must be \"TLSv1.2\" or "
			    "\"TLSv1.3\"", where));
		cp->min_version = version_values[i];
	}
	if (parse_strings(json_object_get(obj, "targets"), "targets", 0, where,
	    &cp->targets, &cp->ntargets, err) != SEC_E_OK ||
	    get_bool(obj, "skip_validation", where, &cp->skip_validation,
	    err) != SEC_E_OK)
		return (err->status);
	return (SEC_E_OK);
}

static secctx_status
parse_callers(const json_t *list, struct config *cf, struct sc_err *err)
{
	const json_t	*v;
	size_t		 i;

	if (list == NULL)
		return (SEC_E_OK);
	if (!json_is_array(list))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "callers: must be a list"));
	if ((cf->callers = calloc(json_array_size(list) + 1,
	    sizeof(*cf->callers))) == NULL)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	json_array_foreach(list, i, v) {
		cf->ncallers++;
		if (parse_caller(v, i, &cf->callers[i], err) != SEC_E_OK)
			return (err->status);
	}
	return (SEC_E_OK);
}

/* CPUs this process may run on (its affinity mask: cpusets, CPUAffinity=). */
static long
usable_cpus(void)
{
	cpu_set_t	set;
	long		n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (n = CPU_COUNT(&set)) > 0)
		return (n);
	return (sysconf(_SC_NPROCESSORS_ONLN));
}

/*
 * A thread count: "auto" or absent is per_cpu per usable CPU; else min to
 * THREADS_MAX.
 */
static secctx_status
get_threads(const json_t *root, const char *key, int min, int per_cpu,
    int *out, struct sc_err *err)
{
	const json_t	*v = json_object_get(root, key);
	long		 n;

	if (v == NULL || (json_is_string(v) &&
	    strcmp(json_string_value(v), "auto") == 0)) {
		n = usable_cpus() * per_cpu;
		*out = n < 1 ? 1 : n > THREADS_MAX ? THREADS_MAX : (int)n;
		return (SEC_E_OK);
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > THREADS_MAX)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "%s: must be "
		    "\"auto\" or a number from %d to %d", key, min,
		    THREADS_MAX));
	*out = (int)json_integer_value(v);
	return (SEC_E_OK);
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
	/*
	 * Two event loops per CPU: a loop busy with a handshake step of an
	 * EC key (op-context.c) then leaves another runnable on every CPU.
	 */
	if (get_threads(root, "threads", 1, 2, &cf->threads, err) !=
	    SEC_E_OK ||
	    get_threads(root, "handshake_threads", 0, 1,
	    &cf->handshake_threads, err) != SEC_E_OK)
		return (err->status);
	/* Before the credentials, whose server contexts take it. */
	ticket_keys_set_rotation(v != NULL ? (int)json_integer_value(v) :
	    TICKET_ROTATION_DEFAULT);
	if (parse_limits(json_object_get(root, "limits"), &cf->limits,
	    err) != SEC_E_OK ||
	    parse_callers(json_object_get(root, "callers"), cf,
	    err) != SEC_E_OK)
		return (err->status);
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
	for (i = 0; i < cf->ncallers; i++) {
		free(cf->callers[i].uids);
		free(cf->callers[i].gids);
		strings_free(cf->callers[i].targets, cf->callers[i].ntargets);
	}
	free(cf->callers);
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

/*
 * The configuration lock: every loop callback and pool job reads the
 * configuration under the read lock; a reload takes the write lock.
 * Writers come first, so a reload is not starved by a busy daemon; a
 * thread may take the read lock again while it holds it.
 */
static pthread_rwlock_t	config_lock;
static __thread int	config_depth;

void
config_lock_init(void)
{
	pthread_rwlockattr_t	attr;

	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&config_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

void
config_rdlock(void)
{
	if (config_depth++ == 0)
		pthread_rwlock_rdlock(&config_lock);
}

void
config_wrlock(void)
{
	pthread_rwlock_wrlock(&config_lock);
	config_depth++;
}

void
config_unlock(void)
{
	if (--config_depth == 0)
		pthread_rwlock_unlock(&config_lock);
}
