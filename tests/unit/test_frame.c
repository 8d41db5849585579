/* Unit tests for proto/frame.c: the 8-byte prefix and the JSON header. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

/* Parse a prefix built from hlen and plen, with the full payload limit. */
static secctx_status
parse(uint32_t hlen, uint32_t plen, uint32_t max_payload, uint32_t *h,
    uint32_t *p, struct sc_err *err)
{
	uint8_t	prefix[FRAME_PREFIX_LEN];

	frame_prefix_put(prefix, hlen, plen);
	return (frame_prefix_parse(prefix, max_payload, h, p, err));
}

static void
test_prefix_put_is_big_endian(void **state)
{
	uint8_t		prefix[FRAME_PREFIX_LEN];
	const uint8_t	expect[FRAME_PREFIX_LEN] = {
		0x00, 0x00, 0x00, 0x1f, 0x01, 0x02, 0x03, 0x04
	};

	(void)state;
	frame_prefix_put(prefix, 0x1f, 0x01020304);
	assert_memory_equal(prefix, expect, sizeof(expect));
}

static void
test_prefix_limits_in_protocol(void **state)
{
	(void)state;
	/* PROTOCOL.md: 1 <= H <= 65536, 0 <= P <= 1179648. */
	assert_int_equal(FRAME_PREFIX_LEN, 8);
	assert_int_equal(FRAME_MAX_HEADER, 65536);
	assert_int_equal(FRAME_MAX_PAYLOAD, 1179648);
}

static void
test_prefix_exact_limits_accepted(void **state)
{
	struct sc_err	err;
	uint32_t	h = 0, p = 0;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(parse(FRAME_MAX_HEADER, FRAME_MAX_PAYLOAD,
	    FRAME_MAX_PAYLOAD, &h, &p, &err), SEC_E_OK);
	assert_int_equal(h, FRAME_MAX_HEADER);
	assert_int_equal(p, FRAME_MAX_PAYLOAD);

	assert_int_equal(parse(1, 0, FRAME_MAX_PAYLOAD, &h, &p, &err),
	    SEC_E_OK);
	assert_int_equal(h, 1);
	assert_int_equal(p, 0);

	/* A lower payload limit chosen by the caller is inclusive too. */
	assert_int_equal(parse(10, 4096, 4096, &h, &p, &err), SEC_E_OK);
	assert_int_equal(p, 4096);
}

static void
test_prefix_empty_header(void **state)
{
	struct sc_err	err;
	uint32_t	h = 77, p = 77;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(parse(0, 0, FRAME_MAX_PAYLOAD, &h, &p, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_int_equal(err.status, SEC_E_INVALID_PARAMETER);
	assert_true(strlen(err.msg) > 0);
	/* Outputs are untouched on failure. */
	assert_int_equal(h, 77);
	assert_int_equal(p, 77);
}

static void
test_prefix_oversized_header(void **state)
{
	struct sc_err	err;
	uint32_t	h = 0, p = 0;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(parse(FRAME_MAX_HEADER + 1, 0, FRAME_MAX_PAYLOAD,
	    &h, &p, &err), SEC_E_INVALID_PARAMETER);
	assert_int_equal(err.status, SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "header"));
	assert_int_equal(parse(UINT32_MAX, 0, FRAME_MAX_PAYLOAD, &h, &p,
	    &err), SEC_E_INVALID_PARAMETER);
}

static void
test_prefix_oversized_payload(void **state)
{
	struct sc_err	err;
	uint32_t	h = 0, p = 0;

	(void)state;
	sc_clearerr(&err);
	assert_int_equal(parse(2, FRAME_MAX_PAYLOAD + 1, FRAME_MAX_PAYLOAD,
	    &h, &p, &err), SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "payload"));
	assert_int_equal(parse(2, UINT32_MAX, FRAME_MAX_PAYLOAD, &h, &p,
	    &err), SEC_E_INVALID_PARAMETER);
	/* The caller's lower limit applies. */
	assert_int_equal(parse(2, 4097, 4096, &h, &p, &err),
	    SEC_E_INVALID_PARAMETER);
}

static void
test_prefix_null_err(void **state)
{
	uint32_t	h, p;

	(void)state;
	/* err may be NULL: the status is still returned. */
	assert_int_equal(parse(0, 0, FRAME_MAX_PAYLOAD, &h, &p, NULL),
	    SEC_E_INVALID_PARAMETER);
}

static secctx_status
header(const char *buf, size_t len, json_t **out, struct sc_err *err)
{
	*out = NULL;
	sc_clearerr(err);
	return (frame_header_parse(buf, len, out, err));
}

static void
test_header_object(void **state)
{
	const char	*s = "{\"op\":\"hello\",\"id\":1,\"version\":1}";
	struct sc_err	 err;
	json_t		*j;

	(void)state;
	assert_int_equal(header(s, strlen(s), &j, &err), SEC_E_OK);
	assert_non_null(j);
	assert_true(json_is_object(j));
	assert_string_equal(json_string_value(json_object_get(j, "op")),
	    "hello");
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 1);
	json_decref(j);
}

static void
test_header_length_is_exact(void **state)
{
	/* Only the first len bytes are parsed: trailing bytes are ignored. */
	const char	*s = "{\"a\":1}garbage";
	struct sc_err	 err;
	json_t		*j;

	(void)state;
	assert_int_equal(header(s, 7, &j, &err), SEC_E_OK);
	json_decref(j);
	/* But garbage within len is refused. */
	assert_int_equal(header(s, strlen(s), &j, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_null(j);
}

static void
test_header_invalid_json(void **state)
{
	const char	*bad[] = {
		"{", "{\"a\":}", "{'a':1}", "not json", "{\"a\":1,}",
		"{\"a\":1}{\"b\":2}", " ", "\xff\xfe{}"
	};
	struct sc_err	 err;
	json_t		*j;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(header(bad[i], strlen(bad[i]), &j, &err),
		    SEC_E_INVALID_PARAMETER);
		assert_null(j);
		assert_int_equal(err.status, SEC_E_INVALID_PARAMETER);
		assert_true(strlen(err.msg) > 0);
	}
}

static void
test_header_not_object(void **state)
{
	const char	*bad[] = { "[]", "[1,2]", "1", "\"op\"", "null", "true" };
	struct sc_err	 err;
	json_t		*j;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(header(bad[i], strlen(bad[i]), &j, &err),
		    SEC_E_INVALID_PARAMETER);
		assert_null(j);
	}
	/* Valid JSON, but an array: the reason says so. */
	assert_int_equal(header("[1,2]", 5, &j, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "object"));
}

static void
test_header_nul_byte(void **state)
{
	const char	 s[] = "{\"op\":\"he\0llo\"}";
	const char	 t[] = "{\"op\":1}\0";
	struct sc_err	 err;
	json_t		*j;

	(void)state;
	assert_int_equal(header(s, sizeof(s) - 1, &j, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_null(j);
	assert_non_null(strstr(err.msg, "NUL"));
	/* A NUL right after an otherwise valid object is refused too. */
	assert_int_equal(header(t, sizeof(t) - 1, &j, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_null(j);
}

static void
test_header_duplicate_keys(void **state)
{
	const char	*s = "{\"id\":1,\"op\":\"hello\",\"id\":2}";
	const char	*nested = "{\"a\":{\"b\":1,\"b\":2}}";
	struct sc_err	 err;
	json_t		*j;

	(void)state;
	assert_int_equal(header(s, strlen(s), &j, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_null(j);
	assert_int_equal(header(nested, strlen(nested), &j, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_null(j);
}

static void
test_header_dump_round_trip(void **state)
{
	json_t		*j, *back;
	struct sc_err	 err;
	char		*s;
	size_t		 len = 0;

	(void)state;
	j = json_pack("{s:s, s:I}", "op", "hello", "id", (json_int_t)42);
	assert_non_null(j);
	s = frame_header_dump(j, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	/* Compact: no spaces. */
	assert_null(strchr(s, ' '));
	assert_int_equal(header(s, len, &back, &err), SEC_E_OK);
	assert_true(json_equal(j, back));
	json_decref(back);
	json_decref(j);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_put_is_big_endian),
		cmocka_unit_test(test_prefix_limits_in_protocol),
		cmocka_unit_test(test_prefix_exact_limits_accepted),
		cmocka_unit_test(test_prefix_empty_header),
		cmocka_unit_test(test_prefix_oversized_header),
		cmocka_unit_test(test_prefix_oversized_payload),
		cmocka_unit_test(test_prefix_null_err),
		cmocka_unit_test(test_header_object),
		cmocka_unit_test(test_header_length_is_exact),
		cmocka_unit_test(test_header_invalid_json),
		cmocka_unit_test(test_header_not_object),
		cmocka_unit_test(test_header_nul_byte),
		cmocka_unit_test(test_header_duplicate_keys),
		cmocka_unit_test(test_header_dump_round_trip),
	};

	return (cmocka_run_group_tests_name("frame", tests, NULL, NULL));
}
