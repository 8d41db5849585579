/*
 * Typed access to the fields of request and response headers.  Every getter
 * checks presence and type and names the field in its error.
 */
#ifndef SECCTX_MSG_H
#define SECCTX_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#define MSG_OPTIONAL	0
#define MSG_REQUIRED	1

/* Most entries accepted in a string list (ALPN protocols). */
#define MSG_MAX_LIST	32

/*
 * Each getter leaves *out untouched when an optional field is absent and
 * returns SEC_E_OK; a present field of the wrong type or range is
 * SEC_E_INVALID_PARAMETER.
 */
secctx_status	msg_get_string(const json_t *, const char *key, int required,
		    size_t maxlen, const char **out, struct sc_err *);
secctx_status	msg_get_int(const json_t *, const char *key, int required,
		    int64_t min, int64_t max, int64_t *out, struct sc_err *);
secctx_status	msg_get_bool(const json_t *, const char *key, int *out,
		    struct sc_err *);
secctx_status	msg_get_handle(const json_t *, const char *key, int required,
		    uint64_t *out, struct sc_err *);
/* A list of non-empty strings, each at most maxlen bytes. */
secctx_status	msg_get_strings(const json_t *, const char *key,
		    size_t maxlen, const char **out, size_t *count,
		    struct sc_err *);
/* One of the strings of names (NULL-terminated); *out is its index. */
secctx_status	msg_get_enum(const json_t *, const char *key,
		    const char *const *names, int *out, struct sc_err *);

/* Handles are 16 lowercase hex digits on the wire; 0 is never a handle. */
#define MSG_HANDLE_LEN	16
void		msg_handle_format(uint64_t, char buf[MSG_HANDLE_LEN + 1]);
int		msg_handle_parse(const char *, uint64_t *);

/* Set a string, integer or handle field; return -1 on allocation failure. */
int		msg_set_string(json_t *, const char *key, const char *value);
int		msg_set_int(json_t *, const char *key, int64_t value);
int		msg_set_handle(json_t *, const char *key, uint64_t value);

/*
 * A response header: {"id": id, "status": name, "code": value} plus
 * "message" when message is not NULL.
 */
json_t	       *msg_response(int64_t id, secctx_status, const char *message);

/* The status of a response header, from its "code" field. */
secctx_status	msg_response_status(const json_t *, struct sc_err *);

#endif
