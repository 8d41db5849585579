/*
 * What proto/escape.h promises, checked on one result: shared by the unit
 * test (tests/unit/test_escape.c) and the fuzz target
 * (tests/fuzz/fuzz_escape.c).
 */
#ifndef SECCTX_TEST_ESCAPE_CHECK_H
#define SECCTX_TEST_ESCAPE_CHECK_H

#include <stddef.h>

/* Is s[0..len) valid UTF-8 (RFC 3629: no overlong form, no surrogate)? */
int		 escape_check_utf8(const unsigned char *s, size_t len);

/*
 * Check out, what sc_escape() (line 0) or sc_escape_line() (line 1) of
 * src[0..srclen) into a buffer of dstlen bytes returned (ret): NULL when it
 * keeps every promise, else which one it breaks.
 *
 *  - ret is strlen(out) and below dstlen;
 *  - out is valid UTF-8 without C0, DEL, C1, U+2028/9 or bidi controls;
 *  - (sc_escape) '"' and '\' only in well-formed escapes;
 *  - out is, but for a final "...", a prefix of the whole escaping that
 *    ends between two escapes or characters, and as long as dstlen allows;
 *  - (sc_escape) uncut, it decodes back to src exactly, and printable
 *    ASCII other than '"' and '\' is unchanged;
 *  - sc_escape_line() leaves it unchanged.
 */
const char	*escape_check(const char *out, size_t ret, size_t dstlen,
		    const void *src, size_t srclen, int line);

#endif
