/* The one escaping rule for strings from outside (escape.h). */

#include <stdint.h>
#include <string.h>

#include "escape.h"

#define ESC_QUOTES	0x1	/* '"' and '\' too (sc_escape) */
#define ESC_UNIT_MAX	6	/* the longest escape: \uNNNN */

static const char hexdigits[] = "0123456789abcdef";

/*
 * The length of the valid UTF-8 character at s (n > 0 bytes available) and
 * its code point in *cp; 0 when s does not start one.
 */
static size_t
utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t	c;
	size_t		len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	if (s[0] < 0xc2)
		return (0);	/* a continuation, or an overlong 2 bytes */
	if (s[0] < 0xe0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] < 0xf5) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return (0);
	if (n < len)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return (0);
	*cp = c;
	return (len);
}

static size_t
hex_escape(char *out, char kind, uint32_t v, int digits)
{
	int	i;

	out[0] = '\\';
	out[1] = kind;
	for (i = 0; i < digits; i++)
		out[2 + i] = hexdigits[(v >> (4 * (digits - 1 - i))) & 0xf];
	return (2 + digits);
}

/* Characters that are valid but escaped as \uNNNN. */
static int
escaped_char(uint32_t c)
{
	return ((c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069));
}

/*
 * The output for the character or byte at s (n > 0 bytes left) in out; its
 * length.  *used: the input bytes it stands for.
 */
static size_t
escape_unit(const unsigned char *s, size_t n, int flags,
    char out[ESC_UNIT_MAX], size_t *used)
{
	uint32_t	c = 0;
	size_t		len;

	if ((len = utf8_char(s, n, &c)) == 0) {
		*used = 1;
		return (hex_escape(out, 'x', s[0], 2));
	}
	*used = len;
	if ((c == '"' || c == '\\') && (flags & ESC_QUOTES)) {
		out[0] = '\\';
		out[1] = c;
		return (2);
	}
	if (c == '\n' || c == '\r' || c == '\t') {
		out[0] = '\\';
		out[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		return (2);
	}
	if (c < 0x20 || c == 0x7f)
		return (hex_escape(out, 'x', c, 2));
	if (escaped_char(c))
		return (hex_escape(out, 'u', c, 4));
	memcpy(out, s, len);
	return (len);
}

/* The length of the whole output, counted up to limit at most. */
static size_t
escape_length(const unsigned char *s, size_t n, int flags, size_t limit)
{
	char	unit[ESC_UNIT_MAX];
	size_t	i, used, total = 0;

	for (i = 0; i < n && total <= limit; i += used)
		total += escape_unit(s + i, n - i, flags, unit, &used);
	return (total);
}

static size_t
escape(char *dst, size_t dstlen, const unsigned char *s, size_t n,
    int flags)
{
	char	unit[ESC_UNIT_MAX];
	size_t	i, used, len, pos = 0, room;
	int	cut;

	if (dstlen == 0)
		return (0);
	room = dstlen - 1;
	cut = escape_length(s, n, flags, room) > room;
	if (cut && room >= 3)
		room -= 3;
	for (i = 0; i < n; i += used) {
		len = escape_unit(s + i, n - i, flags, unit, &used);
		if (len > room - pos)
			break;
		memcpy(dst + pos, unit, len);
		pos += len;
	}
	if (cut && dstlen - 1 - pos >= 3) {
		memcpy(dst + pos, "...", 3);
		pos += 3;
	}
	dst[pos] = '\0';
	return (pos);
}

size_t
sc_escape(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	return (escape(dst, dstlen, src, srclen, ESC_QUOTES));
}

size_t
sc_escape_str(char *dst, size_t dstlen, const char *src)
{
	if (src == NULL)
		src = "";
	return (escape(dst, dstlen, (const unsigned char *)src, strlen(src),
	    ESC_QUOTES));
}

size_t
sc_escape_line(char *dst, size_t dstlen, const char *src)
{
	return (escape(dst, dstlen, (const unsigned char *)src, strlen(src),
	    0));
}
