/* Unit tests for proto/msg.c: typed header fields and handles. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "msg.h"

/* A request header from JSON text; fails the test if the text is bad. */
static json_t *
load(const char *text)
{
	json_error_t	 jerr;
	json_t		*j;

	j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, jerr.text);
	return (j);
}

static void
test_string(void **state)
{
	json_t		*j = load("{\"s\":\"abc\",\"n\":1,\"z\":\"a\\u0000b\"}");
	struct sc_err	 err;
	const char	*out = "untouched";

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(msg_get_string(j, "s", MSG_REQUIRED, 3, &out, &err),
	    SEC_E_OK);
	assert_string_equal(out, "abc");

	/* Missing: optional leaves *out alone, required fails. */
	out = "untouched";
	assert_int_equal(msg_get_string(j, "x", MSG_OPTIONAL, 64, &out, &err),
	    SEC_E_OK);
	assert_string_equal(out, "untouched");
	assert_int_equal(msg_get_string(j, "x", MSG_REQUIRED, 64, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "'x'"));
	assert_string_equal(out, "untouched");

	/* Wrong type. */
	assert_int_equal(msg_get_string(j, "n", MSG_OPTIONAL, 64, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "'n'"));

	/* Too long by one byte. */
	assert_int_equal(msg_get_string(j, "s", MSG_REQUIRED, 2, &out, &err),
	    SEC_E_INVALID_PARAMETER);

	/* An embedded NUL (\u0000) is refused. */
	assert_int_equal(msg_get_string(j, "z", MSG_REQUIRED, 64, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_string_equal(out, "untouched");
	json_decref(j);
}

static void
test_int(void **state)
{
	json_t		*j = load("{\"id\":7,\"big\":9007199254740992,"
	    "\"neg\":-1,\"f\":1.5,\"s\":\"7\",\"t\":true,\"nul\":null}");
	struct sc_err	 err;
	int64_t		 out = -99;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(msg_get_int(j, "id", MSG_REQUIRED, 0, 10, &out, &err),
	    SEC_E_OK);
	assert_int_equal(out, 7);

	/* Range bounds are inclusive. */
	assert_int_equal(msg_get_int(j, "id", MSG_REQUIRED, 7, 7, &out, &err),
	    SEC_E_OK);
	assert_int_equal(msg_get_int(j, "id", MSG_REQUIRED, 8, 10, &out,
	    &err), SEC_E_INVALID_PARAMETER);
	assert_int_equal(msg_get_int(j, "id", MSG_REQUIRED, 0, 6, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(out, 7);

	/* Request ids: 0 <= id < 2^53. */
	assert_int_equal(msg_get_int(j, "big", MSG_REQUIRED, 0,
	    (INT64_C(1) << 53) - 1, &out, &err), SEC_E_INVALID_PARAMETER);
	assert_int_equal(msg_get_int(j, "neg", MSG_REQUIRED, 0, 10, &out,
	    &err), SEC_E_INVALID_PARAMETER);
	assert_int_equal(out, 7);

	/* Wrong types: real, string, boolean, null. */
	assert_int_equal(msg_get_int(j, "f", MSG_REQUIRED, 0, 10, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(msg_get_int(j, "s", MSG_REQUIRED, 0, 10, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(msg_get_int(j, "t", MSG_REQUIRED, 0, 10, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(msg_get_int(j, "nul", MSG_OPTIONAL, 0, 10, &out,
	    &err), SEC_E_INVALID_PARAMETER);

	/* Missing. */
	assert_int_equal(msg_get_int(j, "x", MSG_OPTIONAL, 0, 10, &out, &err),
	    SEC_E_OK);
	assert_int_equal(out, 7);
	assert_int_equal(msg_get_int(j, "x", MSG_REQUIRED, 0, 10, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "missing"));
	json_decref(j);
}

static void
test_bool(void **state)
{
	json_t		*j = load("{\"t\":true,\"f\":false,\"n\":1}");
	struct sc_err	 err;
	int		 out = 5;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(msg_get_bool(j, "t", &out, &err), SEC_E_OK);
	assert_int_equal(out, 1);
	assert_int_equal(msg_get_bool(j, "f", &out, &err), SEC_E_OK);
	assert_int_equal(out, 0);
	out = 5;
	assert_int_equal(msg_get_bool(j, "x", &out, &err), SEC_E_OK);
	assert_int_equal(out, 5);
	assert_int_equal(msg_get_bool(j, "n", &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(out, 5);
	json_decref(j);
}

static void
test_handle_parse(void **state)
{
	uint64_t	h = 0;

	(void)state;
	assert_int_equal(msg_handle_parse("5f0c8e0a9b3d1c22", &h), 1);
	assert_true(h == UINT64_C(0x5f0c8e0a9b3d1c22));
	assert_int_equal(msg_handle_parse("0000000000000001", &h), 1);
	assert_true(h == 1);
	assert_int_equal(msg_handle_parse("ffffffffffffffff", &h), 1);
	assert_true(h == UINT64_MAX);

	h = 42;
	/* Uppercase hex digits are not a handle. */
	assert_int_equal(msg_handle_parse("5F0C8E0A9B3D1C22", &h), 0);
	assert_int_equal(msg_handle_parse("5f0c8e0a9b3d1c2A", &h), 0);
	/* Wrong length. */
	assert_int_equal(msg_handle_parse("5f0c8e0a9b3d1c2", &h), 0);
	assert_int_equal(msg_handle_parse("5f0c8e0a9b3d1c223", &h), 0);
	assert_int_equal(msg_handle_parse("", &h), 0);
	/* Zero is never a handle. */
	assert_int_equal(msg_handle_parse("0000000000000000", &h), 0);
	/* Non-hex characters, signs, spaces, prefixes. */
	assert_int_equal(msg_handle_parse("5f0c8e0a9b3d1cg2", &h), 0);
	assert_int_equal(msg_handle_parse("-f0c8e0a9b3d1c22", &h), 0);
	assert_int_equal(msg_handle_parse(" 5f0c8e0a9b3d1c2", &h), 0);
	assert_int_equal(msg_handle_parse("0x5f0c8e0a9b3d1c", &h), 0);
	assert_true(h == 42);
}

static void
test_handle_format_round_trip(void **state)
{
	const uint64_t	values[] = {
		1, 0xabcdef, UINT64_C(0x8000000000000000), UINT64_MAX,
		UINT64_C(0x0123456789abcdef)
	};
	char		buf[MSG_HANDLE_LEN + 1];
	uint64_t	h;
	size_t		i;

	(void)state;
	msg_handle_format(0xabcdef, buf);
	assert_string_equal(buf, "0000000000abcdef");
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		msg_handle_format(values[i], buf);
		assert_int_equal(strlen(buf), MSG_HANDLE_LEN);
		assert_int_equal(msg_handle_parse(buf, &h), 1);
		assert_true(h == values[i]);
	}
}

static void
test_get_handle(void **state)
{
	json_t		*j = load("{\"ok\":\"00000000000000ff\","
	    "\"upper\":\"00000000000000FF\",\"short\":\"ff\","
	    "\"zero\":\"0000000000000000\",\"num\":255}");
	struct sc_err	 err;
	uint64_t	 h = 0;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(msg_get_handle(j, "ok", MSG_REQUIRED, &h, &err),
	    SEC_E_OK);
	assert_true(h == 0xff);
	h = 7;
	assert_int_equal(msg_get_handle(j, "upper", MSG_REQUIRED, &h, &err),
	    SEC_E_INVALID_HANDLE);
	assert_int_equal(msg_get_handle(j, "short", MSG_REQUIRED, &h, &err),
	    SEC_E_INVALID_HANDLE);
	assert_int_equal(msg_get_handle(j, "zero", MSG_REQUIRED, &h, &err),
	    SEC_E_INVALID_HANDLE);
	assert_int_equal(msg_get_handle(j, "num", MSG_REQUIRED, &h, &err),
	    SEC_E_INVALID_HANDLE);
	assert_true(h == 7);
	/* A missing required handle is a parameter error, not a handle one. */
	assert_int_equal(msg_get_handle(j, "ctx", MSG_REQUIRED, &h, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(msg_get_handle(j, "ctx", MSG_OPTIONAL, &h, &err),
	    SEC_E_OK);
	assert_true(h == 7);
	json_decref(j);
}

static void
test_strings(void **state)
{
	json_t		*j = load("{\"alpn\":[\"h2\",\"http/1.1\"],"
	    "\"empty\":[],\"blank\":[\"\"],\"num\":[1],\"str\":\"h2\"}");
	json_t		*many;
	struct sc_err	 err;
	const char	*out[MSG_MAX_LIST + 1];
	size_t		 n = 99, i;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(msg_get_strings(j, "alpn", 255, out, &n, &err),
	    SEC_E_OK);
	assert_int_equal(n, 2);
	assert_string_equal(out[0], "h2");
	assert_string_equal(out[1], "http/1.1");
	assert_int_equal(msg_get_strings(j, "missing", 255, out, &n, &err),
	    SEC_E_OK);
	assert_int_equal(n, 0);
	assert_int_equal(msg_get_strings(j, "empty", 255, out, &n, &err),
	    SEC_E_OK);
	assert_int_equal(n, 0);
	assert_int_equal(msg_get_strings(j, "blank", 255, out, &n, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(msg_get_strings(j, "num", 255, out, &n, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(msg_get_strings(j, "str", 255, out, &n, &err),
	    SEC_E_INVALID_PARAMETER);
	/* Entry longer than maxlen. */
	assert_int_equal(msg_get_strings(j, "alpn", 7, out, &n, &err),
	    SEC_E_INVALID_PARAMETER);

	/* Exactly MSG_MAX_LIST entries pass; one more does not. */
	many = json_array();
	for (i = 0; i < MSG_MAX_LIST; i++)
		json_array_append_new(many, json_string("p"));
	json_object_set_new(j, "many", many);
	assert_int_equal(msg_get_strings(j, "many", 255, out, &n, &err),
	    SEC_E_OK);
	assert_int_equal(n, MSG_MAX_LIST);
	json_array_append_new(many, json_string("p"));
	assert_int_equal(msg_get_strings(j, "many", 255, out, &n, &err),
	    SEC_E_INVALID_PARAMETER);
	json_decref(j);
}

static void
test_enum(void **state)
{
	static const char *const names[] = {
		"none", "optional", "required", NULL
	};
	json_t		*j = load("{\"cc\":\"required\",\"bad\":\"always\","
	    "\"num\":2}");
	struct sc_err	 err;
	int		 out = -1;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(msg_get_enum(j, "cc", names, &out, &err), SEC_E_OK);
	assert_int_equal(out, 2);
	out = -1;
	assert_int_equal(msg_get_enum(j, "x", names, &out, &err), SEC_E_OK);
	assert_int_equal(out, -1);
	assert_int_equal(msg_get_enum(j, "bad", names, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "always"));
	assert_int_equal(msg_get_enum(j, "num", names, &out, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(out, -1);
	json_decref(j);
}

static void
test_setters(void **state)
{
	json_t		*j = json_object();
	struct sc_err	 err;
	const char	*s = NULL;
	int64_t		 n = 0;
	uint64_t	 h = 0;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(msg_set_string(j, "s", "v"), 0);
	assert_int_equal(msg_set_int(j, "n", -5), 0);
	assert_int_equal(msg_set_handle(j, "h", 0x1234), 0);
	assert_int_equal(msg_get_string(j, "s", MSG_REQUIRED, 8, &s, &err),
	    SEC_E_OK);
	assert_string_equal(s, "v");
	assert_int_equal(msg_get_int(j, "n", MSG_REQUIRED, -10, 10, &n, &err),
	    SEC_E_OK);
	assert_int_equal(n, -5);
	assert_string_equal(json_string_value(json_object_get(j, "h")),
	    "0000000000001234");
	assert_int_equal(msg_get_handle(j, "h", MSG_REQUIRED, &h, &err),
	    SEC_E_OK);
	assert_true(h == 0x1234);
	json_decref(j);
}

static void
test_response(void **state)
{
	json_t		*r;
	struct sc_err	 err;

	(void)state;
	sc_clearerr(&err);
	r = msg_response(3, SEC_I_CONTINUE_NEEDED, NULL);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 3);
	assert_string_equal(json_string_value(json_object_get(r, "status")),
	    "SEC_I_CONTINUE_NEEDED");
	assert_int_equal(json_integer_value(json_object_get(r, "code")),
	    590610);
	assert_null(json_object_get(r, "message"));
	assert_int_equal(msg_response_status(r, &err), SEC_I_CONTINUE_NEEDED);
	json_decref(r);

	/* Errors carry the unsigned code and the message. */
	r = msg_response(0, SEC_E_INCOMPLETE_MESSAGE, "need more");
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "code")),
	    INT64_C(2148074264));
	assert_string_equal(json_string_value(json_object_get(r, "message")),
	    "need more");
	assert_int_equal(msg_response_status(r, &err),
	    SEC_E_INCOMPLETE_MESSAGE);
	json_decref(r);
}

static void
test_response_status_bad(void **state)
{
	json_t		*r;
	struct sc_err	 err;

	(void)state;
	sc_clearerr(&err);
	r = load("{\"id\":1,\"status\":\"SEC_E_OK\"}");
	assert_int_equal(msg_response_status(r, &err),
	    SEC_E_INVALID_PARAMETER);
	json_decref(r);
	r = load("{\"id\":1,\"code\":4294967296}");
	assert_int_equal(msg_response_status(r, &err),
	    SEC_E_INVALID_PARAMETER);
	json_decref(r);
	r = load("{\"id\":1,\"code\":-1}");
	assert_int_equal(msg_response_status(r, &err),
	    SEC_E_INVALID_PARAMETER);
	json_decref(r);
	r = load("{\"id\":1,\"code\":\"0\"}");
	assert_int_equal(msg_response_status(r, &err),
	    SEC_E_INVALID_PARAMETER);
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_bool),
		cmocka_unit_test(test_handle_parse),
		cmocka_unit_test(test_handle_format_round_trip),
		cmocka_unit_test(test_get_handle),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_setters),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_response_status_bad),
	};

	return (cmocka_run_group_tests_name("msg", tests, NULL, NULL));
}
