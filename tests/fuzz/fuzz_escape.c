/*
 * fuzz_escape: the escaping rule (proto/escape.c).
 *
 * Input: 2 bytes of buffer size (big-endian, modulo 2048: 0 included),
 * then the string.  Both sc_escape() of the bytes and sc_escape_line() of
 * the bytes up to the first NUL are checked against every promise of
 * proto/escape.h by tests/unit/escape-check.c (a reference written from
 * the rule's text, and the properties: valid UTF-8, no control character,
 * never longer than the buffer, whole characters and escapes only, decoding
 * back to the input); the first one broken aborts.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "escape-check.h"

#define DST_MAX	2048

static void
check(const char *what, const char *out, size_t ret, size_t dstlen,
    const uint8_t *src, size_t len, int line)
{
	const char	*why;

	if ((why = escape_check(out, ret, dstlen, src, len, line)) != NULL) {
		fprintf(stderr, "fuzz_escape: %s into %zu bytes: %s\n", what,
		    dstlen, why);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*dst, *line;
	size_t	 dstlen, len, ret;

	if (size < 2)
		return (0);
	dstlen = ((size_t)data[0] << 8 | data[1]) % DST_MAX;
	data += 2;
	size -= 2;
	/* Exactly dstlen bytes, so ASan sees a write past the end. */
	if ((dst = malloc(dstlen > 0 ? dstlen : 1)) == NULL ||
	    (line = malloc(size + 1)) == NULL)
		abort();
	ret = sc_escape(dst, dstlen, data, size);
	check("sc_escape", dst, ret, dstlen, data, size, 0);
	len = strnlen((const char *)data, size);
	memcpy(line, data, len);
	line[len] = '\0';
	ret = sc_escape_line(dst, dstlen, line);
	check("sc_escape_line", dst, ret, dstlen, (const uint8_t *)line, len,
	    1);
	free(line);
	free(dst);
	return (0);
}
