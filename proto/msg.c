/* Typed header fields. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "msg.h"

#define ENUM_MAX_LEN	64	/* bytes of an enumerated value */

static secctx_status
field(const json_t *m, const char *key, int required, const json_t **out,
    struct sc_err *err)
{
	*out = json_object_get(m, key);
	if (*out == NULL && required)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "field '%s' is missing", key));
	return (SEC_E_OK);
}

static secctx_status
wrong_type(const char *key, const char *what, struct sc_err *err)
{
	return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
	    "field '%s' must be %s", key, what));
}

secctx_status
msg_get_string(const json_t *m, const char *key, int required, size_t maxlen,
    const char **out, struct sc_err *err)
{
	const json_t	*v;

	if (field(m, key, required, &v, err) != SEC_E_OK)
		return (err->status);
	if (v == NULL)
		return (SEC_E_OK);
	if (!json_is_string(v))
		return (wrong_type(key, "a string", err));
	if (json_string_length(v) > maxlen ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "field '%s' must be a string of at most %zu bytes "
		    "without NUL", key, maxlen));
	*out = json_string_value(v);
	return (SEC_E_OK);
}

secctx_status
msg_get_int(const json_t *m, const char *key, int required, int64_t min,
    int64_t max, int64_t *out, struct sc_err *err)
{
	const json_t	*v;
	json_int_t	 n;

	if (field(m, key, required, &v, err) != SEC_E_OK)
		return (err->status);
	if (v == NULL)
		return (SEC_E_OK);
	if (!json_is_integer(v))
		return (wrong_type(key, "an integer", err));
	n = json_integer_value(v);
	if (n < min || n > max)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "field '%s' is %" PRId64 ", outside %" PRId64 "..%" PRId64,
		    key, (int64_t)n, min, max));
	*out = n;
	return (SEC_E_OK);
}

secctx_status
msg_get_bool(const json_t *m, const char *key, int *out, struct sc_err *err)
{
	const json_t	*v = json_object_get(m, key);

	if (v == NULL)
		return (SEC_E_OK);
	if (!json_is_boolean(v))
		return (wrong_type(key, "true or false", err));
	*out = json_is_true(v);
	return (SEC_E_OK);
}

secctx_status
msg_get_handle(const json_t *m, const char *key, int required, uint64_t *out,
    struct sc_err *err)
{
	const json_t	*v;

	if (field(m, key, required, &v, err) != SEC_E_OK)
		return (err->status);
	if (v == NULL)
		return (SEC_E_OK);
	if (!json_is_string(v) || !msg_handle_parse(json_string_value(v), out))
		return (sc_seterr(err, SEC_E_INVALID_HANDLE,
		    "field '%s' is not a handle (16 hex digits)", key));
	return (SEC_E_OK);
}

secctx_status
msg_get_strings(const json_t *m, const char *key, size_t maxlen,
    const char **out, size_t *count, struct sc_err *err)
{
	const json_t	*v, *s;
	size_t		 i;

	*count = 0;
	if ((v = json_object_get(m, key)) == NULL)
		return (SEC_E_OK);
	if (!json_is_array(v) || json_array_size(v) > MSG_MAX_LIST)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "field '%s' must be a list of at most %d strings", key,
		    MSG_MAX_LIST));
	json_array_foreach(v, i, s) {
		if (!json_is_string(s) || json_string_length(s) == 0 ||
		    json_string_length(s) > maxlen ||
		    strlen(json_string_value(s)) != json_string_length(s))
			return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
			    "field '%s' entry %zu must be a string of 1 to %zu "
			    "bytes", key, i, maxlen));
		out[i] = json_string_value(s);
	}
	*count = json_array_size(v);
	return (SEC_E_OK);
}

secctx_status
msg_get_enum(const json_t *m, const char *key, const char *const *names,
    int *out, struct sc_err *err)
{
	const char	*s = NULL;
	char		 value[ENUM_MAX_LEN * 6 + 1];
	int		 i;

	if (msg_get_string(m, key, MSG_OPTIONAL, ENUM_MAX_LEN, &s,
	    err) != SEC_E_OK)
		return (err->status);
	if (s == NULL)
		return (SEC_E_OK);
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return (SEC_E_OK);
		}
	}
	sc_escape_str(value, sizeof(value), s);
	return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
	    "field '%s' has an unknown value '%s'", key, value));
}

void
msg_handle_format(uint64_t h, char buf[MSG_HANDLE_LEN + 1])
{
	snprintf(buf, MSG_HANDLE_LEN + 1, "%016" PRIx64, h);
}

int
msg_handle_parse(const char *s, uint64_t *out)
{
	uint64_t	h = 0;
	int		i, c;

	for (i = 0; i < MSG_HANDLE_LEN; i++) {
		c = s[i];
		if (c >= '0' && c <= '9')
			h = h << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			h = h << 4 | (uint64_t)(c - 'a' + 10);
		else
			return (0);
	}
	if (s[i] != '\0' || h == 0)
		return (0);
	*out = h;
	return (1);
}

int
msg_set_string(json_t *m, const char *key, const char *value)
{
	return (json_object_set_new(m, key, json_string(value)));
}

int
msg_set_int(json_t *m, const char *key, int64_t value)
{
	return (json_object_set_new(m, key, json_integer(value)));
}

int
msg_set_handle(json_t *m, const char *key, uint64_t value)
{
	char	buf[MSG_HANDLE_LEN + 1];

	msg_handle_format(value, buf);
	return (msg_set_string(m, key, buf));
}

json_t *
msg_response(int64_t id, secctx_status status, const char *message)
{
	const char	*name = secctx_status_name(status);
	json_t		*m;

	m = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)id,
	    "status", name != NULL ? name : "UNKNOWN",
	    "code", (json_int_t)(uint32_t)status);
	if (m != NULL && message != NULL && msg_set_string(m, "message",
	    message) != 0) {
		json_decref(m);
		return (NULL);
	}
	return (m);
}

secctx_status
msg_response_status(const json_t *m, struct sc_err *err)
{
	int64_t	code = 0;

	if (msg_get_int(m, "code", MSG_REQUIRED, 0, UINT32_MAX, &code,
	    err) != SEC_E_OK)
		return (err->status);
	return (SECCTX_STATUS(code));
}
