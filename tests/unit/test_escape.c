/*
 * Unit tests for proto/escape.c (the one escaping rule) and the message cut
 * of proto/error.c: exact outputs for chosen inputs, then the promises of
 * escape.h over many random byte strings and buffer sizes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "escape.h"
#include "escape-check.h"

/* sc_escape of len bytes into dstlen bytes must be exactly want. */
static void
expect(const char *src, size_t len, size_t dstlen, const char *want)
{
	char		buf[513];
	const char	*why;
	size_t		n;

	assert_true(dstlen < sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	n = sc_escape(buf, dstlen, src, len);
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(buf[dstlen], 'Z');	/* nothing past dstlen */
	why = escape_check(buf, n, dstlen, src, len, 0);
	if (why != NULL)
		fail_msg("%s", why);
}

#define EXPECT(lit, want) expect(lit, sizeof(lit) - 1, 512, want)

static void
test_kept(void **state)
{
	(void)state;
	EXPECT("", "");
	EXPECT("db.example.com:443 ~!#$%&'()*+,-./;<=>?@[]^_`{|}",
	    "db.example.com:443 ~!#$%&'()*+,-./;<=>?@[]^_`{|}");
	EXPECT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad");
	/* The last of each length: U+07FF, U+FFFF, U+10FFFF; and U+00A0. */
	EXPECT("\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf\xc2\xa0",
	    "\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf\xc2\xa0");
}

static void
test_escaped(void **state)
{
	(void)state;
	EXPECT("a\"b\\c", "a\\\"b\\\\c");
	EXPECT("\n\r\t", "\\n\\r\\t");
	EXPECT("\x00\x01\x1b\x1f\x7f", "\\x00\\x01\\x1b\\x1f\\x7f");
	EXPECT("a\0b", "a\\x00b");
	/* C1 controls, line separators, bidirectional formatting. */
	EXPECT("\xc2\x80\xc2\x85\xc2\x9f", "\\u0080\\u0085\\u009f");
	EXPECT("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
	EXPECT("\xe2\x80\xaa\xe2\x80\xae\xe2\x81\xa6\xe2\x81\xa9",
	    "\\u202a\\u202e\\u2066\\u2069");
	/* A forged log line stays on one line. */
	EXPECT("/tmp/x\n<6>audit: context established uid=0",
	    "/tmp/x\\n<6>audit: context established uid=0");
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	EXPECT("\xff\xfe", "\\xff\\xfe");
	EXPECT("\x80x\xbf", "\\x80x\\xbf");	/* lone continuations */
	EXPECT("\xc0\xaf\xc1\xbf", "\\xc0\\xaf\\xc1\\xbf"); /* overlong 2 */
	EXPECT("\xe0\x80\xaf", "\\xe0\\x80\\xaf");	/* overlong 3 */
	EXPECT("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf"); /* overlong 4 */
	EXPECT("\xed\xa0\x80\xed\xbf\xbf", "\\xed\\xa0\\x80\\xed\\xbf\\xbf");
	EXPECT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
	EXPECT("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
	/* Truncated sequences: each byte, then decoding goes on. */
	EXPECT("\xe2\x82" "A", "\\xe2\\x82A");
	EXPECT("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	EXPECT("\xe2\xe2\x82\xac", "\\xe2\xe2\x82\xac");
}

static void
test_cut(void **state)
{
	(void)state;
	expect("abcdefghij", 10, 11, "abcdefghij");
	expect("abcdefghij", 10, 10, "abcdef...");
	/* A cut inside a 3-byte character: "ab\xe2\x82" would be 8 bytes. */
	expect("ab\xe2\x82\xac\xe2\x82\xac", 8, 9,
	    "ab\xe2\x82\xac\xe2\x82\xac");
	expect("ab\xe2\x82\xac\xe2\x82\xac" "c", 9, 9, "ab\xe2\x82\xac...");
	expect("ab\xe2\x82\xac\xe2\x82\xac" "c", 9, 8, "ab...");
	/* Inside a 4-byte character. */
	expect("x\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 9, 9,
	    "x\xf0\x9f\x98\x80...");
	expect("x\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 9, 8, "x...");
	/* Never inside an escape. */
	expect("ab\n\n\n", 5, 8, "ab\\n...");
	expect("a\xff", 2, 6, "a\\xff");
	expect("ab\xff", 3, 6, "ab...");
	expect("a\xc2\x85", 3, 11, "a\\u0085");
	expect("a\xc2\x85" "b", 4, 8, "a...");
	/* No room for the mark: whole units only. */
	expect("abcdef", 6, 3, "ab");
	expect("\xe2\x82\xac\xe2\x82\xac", 6, 4, "...");
	expect("\xe2\x82\xac\xe2\x82\xac", 6, 3, "");
	expect("abc", 3, 1, "");
}

static void
test_edges(void **state)
{
	char	buf[16] = "untouched";

	(void)state;
	assert_int_equal(sc_escape(buf, 0, "abc", 3), 0);
	assert_string_equal(buf, "untouched");
	assert_int_equal(sc_escape(buf, sizeof(buf), NULL, 0), 0);
	assert_string_equal(buf, "");
	assert_int_equal(sc_escape_str(buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "");
	assert_int_equal(sc_escape_str(buf, sizeof(buf), "a\"b"), 4);
	assert_string_equal(buf, "a\\\"b");
}

/* The net for whole lines keeps quotes, backslashes and escaped text. */
static void
test_line(void **state)
{
	char	esc[64], line[64];

	(void)state;
	sc_escape_line(line, sizeof(line), "a \"q\" \\ b\nc\xff\xc2\x85");
	assert_string_equal(line, "a \"q\" \\ b\\nc\\xff\\u0085");
	sc_escape(esc, sizeof(esc), "x\"\n\xff\xe2\x80\xae", 7);
	sc_escape_line(line, sizeof(line), esc);
	assert_string_equal(line, esc);
	sc_escape_line(line, 8, "abc\xe2\x82\xac\xe2\x82\xac");
	assert_string_equal(line, "abc...");
}

/* Messages are cut on a character boundary and escaped by the net. */
static void
test_seterr(void **state)
{
	struct sc_err	err;
	char		target[256];
	size_t		i, len;

	(void)state;
	/* 8 bytes of "target '" and 2-byte characters: 255 is inside one. */
	for (i = 0; i < 127; i++)
		memcpy(target + 2 * i, "\xc3\xa9", 2);
	target[254] = '\0';
	sc_seterr(&err, SEC_E_TARGET_UNKNOWN, "target '%s' is not among the "
	    "targets this caller may reach", target);
	assert_int_equal(err.status, SEC_E_TARGET_UNKNOWN);
	len = strlen(err.msg);
	assert_true(len < SC_ERR_MSGLEN);
	assert_true(escape_check_utf8((unsigned char *)err.msg, len));
	assert_string_equal(err.msg + len - 3, "...");
	assert_int_equal(strncmp(err.msg, "target '\xc3\xa9", 10), 0);
	/* Invalid UTF-8 and controls in a formatted message are escaped. */
	sc_seterr(&err, SEC_E_INVALID_PARAMETER, "bad %s", "\xff\nx\"");
	assert_string_equal(err.msg, "bad \\xff\\nx\"");
	/* A message may be made from the one it replaces. */
	sc_seterr(&err, SEC_E_ENCRYPT_FAILURE, "%s", err.msg);
	assert_string_equal(err.msg, "bad \\xff\\nx\"");
	assert_int_equal(sc_seterr(NULL, SEC_E_OK, "x"), SEC_E_OK);
}

/* Random bytes: mostly the interesting ones. */
static unsigned char
random_byte(void)
{
	static const unsigned char pick[] = { 0x00, '\n', '\t', 0x1b, 0x7f,
	    '"', '\\', 'a', ' ', 0x80, 0x85, 0x9f, 0xa0, 0xa8, 0xae, 0xbf,
	    0xc0, 0xc2, 0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff,
	    0x81 };
	int	r = rand();

	if (r % 3 == 0)
		return (r >> 8);
	return (pick[(r >> 8) % sizeof(pick)]);
}

static void
test_random(void **state)
{
	unsigned char	 src[96];
	char		 out[700];
	const char	*why;
	size_t		 len, dstlen, n, i;
	int		 round, ascii;

	(void)state;
	srand(14);
	for (round = 0; round < 200000; round++) {
		ascii = round % 8 == 0;
		len = rand() % sizeof(src);
		for (i = 0; i < len; i++)
			src[i] = ascii ? ' ' + rand() % 95 : random_byte();
		dstlen = round % 4 == 0 ? sizeof(out) : (size_t)rand() % 64;
		n = sc_escape(out, dstlen, src, len);
		if ((why = escape_check(out, n, dstlen, src, len,
		    0)) != NULL)
			fail_msg("sc_escape round %d: %s", round, why);
		/* The line net takes a C string. */
		for (i = 0; i < len; i++)
			src[i] = src[i] == 0 ? 'n' : src[i];
		src[len] = '\0';
		n = sc_escape_line(out, dstlen, (char *)src);
		if ((why = escape_check(out, n, dstlen, src, len,
		    1)) != NULL)
			fail_msg("sc_escape_line round %d: %s", round, why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_seterr),
		cmocka_unit_test(test_random),
	};

	return (cmocka_run_group_tests_name("escape", tests, NULL, NULL));
}
