/*
 * What proto/escape.h promises, checked on one result against a reference
 * written from the rule's text (byte ranges of RFC 3629 and Unicode table
 * 3-7, not code points), plus properties that need no reference: valid
 * UTF-8, no control character, escapes well formed, decoding back to the
 * input.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "escape-check.h"

/* The length of the valid UTF-8 sequence at s, or 0. */
static size_t
seq_len(const unsigned char *s, size_t n)
{
	unsigned char	b = s[0], lo = 0x80, hi = 0xbf;
	size_t		k, more;

	if (b <= 0x7f)
		return (1);
	if (b >= 0xc2 && b <= 0xdf)
		more = 1;
	else if (b >= 0xe0 && b <= 0xef) {
		more = 2;
		if (b == 0xe0)
			lo = 0xa0;
		if (b == 0xed)
			hi = 0x9f;
	} else if (b >= 0xf0 && b <= 0xf4) {
		more = 3;
		if (b == 0xf0)
			lo = 0x90;
		if (b == 0xf4)
			hi = 0x8f;
	} else
		return (0);
	if (n < more + 1 || s[1] < lo || s[1] > hi)
		return (0);
	for (k = 2; k <= more; k++) {
		if (s[k] < 0x80 || s[k] > 0xbf)
			return (0);
	}
	return (more + 1);
}

int
escape_check_utf8(const unsigned char *s, size_t len)
{
	size_t	i, k;

	for (i = 0; i < len; i += k) {
		if ((k = seq_len(s + i, len - i)) == 0)
			return (0);
	}
	return (1);
}

/* A character that must not appear in the output: its length, or 0. */
static size_t
forbidden(const unsigned char *s, size_t n)
{
	if (s[0] < 0x20 || s[0] == 0x7f)
		return (1);
	if (n >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return (2);
	if (n >= 3 && s[0] == 0xe2 && ((s[1] == 0x80 && s[2] >= 0xa8 &&
	    s[2] <= 0xae) || (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)))
		return (3);
	return (0);
}

/* The reference: the output for the unit at s in out; *used bytes. */
static size_t
ref_unit(const unsigned char *s, size_t n, int line, char *out,
    size_t *used)
{
	size_t	k = seq_len(s, n);

	*used = k != 0 ? k : 1;
	if (k == 0)
		return (sprintf(out, "\\x%02x", s[0]));
	if (!line && (s[0] == '"' || s[0] == '\\'))
		return (sprintf(out, "\\%c", s[0]));
	if (s[0] == '\n' || s[0] == '\r' || s[0] == '\t')
		return (sprintf(out, "\\%c", s[0] == '\n' ? 'n' :
		    s[0] == '\r' ? 'r' : 't'));
	if (k == 1 && forbidden(s, n))
		return (sprintf(out, "\\x%02x", s[0]));
	if (k == 2 && forbidden(s, n))
		return (sprintf(out, "\\u%04x", s[1]));
	if (k == 3 && forbidden(s, n))
		return (sprintf(out, "\\u%02x%02x", 0x20,
		    ((s[1] & 0x3f) << 6 | (s[2] & 0x3f)) & 0xff));
	memcpy(out, s, k);
	return (k);
}

/* The whole reference output in ref (6 * srclen + 1), unit ends in ends. */
static size_t
ref_escape(const unsigned char *src, size_t srclen, int line, char *ref,
    size_t *ends, size_t *nunits)
{
	size_t	i, used, len = 0;

	*nunits = 0;
	for (i = 0; i < srclen; i += used) {
		len += ref_unit(src + i, srclen - i, line, ref + len, &used);
		ends[(*nunits)++] = len;
	}
	ref[len] = '\0';
	return (len);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Decode an sc_escape() output into dec; its length, or -1 if malformed. */
static long
decode(const char *s, size_t len, unsigned char *dec)
{
	size_t		i, n = 0;
	unsigned long	v;
	int		d, j, digits;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			return (-1);
		if (s[i] != '\\') {
			dec[n++] = s[i];
			continue;
		}
		if (++i == len)
			return (-1);
		switch (s[i]) {
		case '"': case '\\': dec[n++] = s[i]; continue;
		case 'n': dec[n++] = '\n'; continue;
		case 'r': dec[n++] = '\r'; continue;
		case 't': dec[n++] = '\t'; continue;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		default: return (-1);
		}
		for (v = 0, j = 0; j < digits; j++) {
			if (++i == len || (d = hexval(s[i])) < 0)
				return (-1);
			v = v << 4 | d;
		}
		if (digits == 2)
			dec[n++] = v;
		else if (v < 0x800) {
			dec[n++] = 0xc0 | v >> 6;
			dec[n++] = 0x80 | (v & 0x3f);
		} else {
			dec[n++] = 0xe0 | v >> 12;
			dec[n++] = 0x80 | ((v >> 6) & 0x3f);
			dec[n++] = 0x80 | (v & 0x3f);
		}
	}
	return (n);
}

/* The properties that need no reference. */
static const char *
check_form(const char *out, size_t ret, size_t dstlen)
{
	const unsigned char	*u = (const unsigned char *)out;
	size_t			 i;
	char			*again;
	const char		*why = NULL;

	if (ret >= dstlen || strlen(out) != ret)
		return ("length");
	if (!escape_check_utf8(u, ret))
		return ("not valid UTF-8");
	for (i = 0; i < ret; i++) {
		if (forbidden(u + i, ret - i))
			return ("a control character");
	}
	if ((again = malloc(ret * 6 + 1)) == NULL)
		abort();
	if (sc_escape_line(again, ret * 6 + 1, out) != ret ||
	    strcmp(again, out) != 0)
		why = "changed by sc_escape_line";
	free(again);
	return (why);
}

static const char *
check_whole(const char *out, size_t ret, const unsigned char *src,
    size_t srclen, int line)
{
	unsigned char	*dec;
	long		 n;
	size_t		 i;
	int		 plain = 1;
	const char	*why = NULL;

	for (i = 0; i < srclen; i++) {
		if (src[i] < 0x20 || src[i] > 0x7e ||
		    (!line && (src[i] == '"' || src[i] == '\\')))
			plain = 0;
	}
	if (plain && (ret != srclen || memcmp(out, src, srclen) != 0))
		return ("safe ASCII changed");
	if (line)
		return (NULL);
	if ((dec = malloc(ret + 1)) == NULL)
		abort();
	n = decode(out, ret, dec);
	if (n < 0)
		why = "a malformed escape or a bare '\"'";
	else if ((size_t)n != srclen || memcmp(dec, src, srclen) != 0)
		why = "does not decode to the input";
	free(dec);
	return (why);
}

const char *
escape_check(const char *out, size_t ret, size_t dstlen, const void *src,
    size_t srclen, int line)
{
	char		*ref, *want;
	size_t		*ends, len, nunits, room, j, wlen;
	const char	*why;

	if (dstlen == 0)
		return (ret == 0 ? NULL : "length");
	if ((why = check_form(out, ret, dstlen)) != NULL)
		return (why);
	if ((ref = malloc(srclen * 6 + 4)) == NULL ||
	    (want = malloc(srclen * 6 + 4)) == NULL ||
	    (ends = calloc(srclen + 1, sizeof(*ends))) == NULL)
		abort();
	len = ref_escape(src, srclen, line, ref, ends, &nunits);
	if (len <= dstlen - 1) {
		memcpy(want, ref, len + 1);
		wlen = len;
	} else {
		room = dstlen - 1 >= 3 ? dstlen - 4 : dstlen - 1;
		for (j = 0; j < nunits && ends[j] <= room; j++)
			;
		wlen = j > 0 ? ends[j - 1] : 0;
		memcpy(want, ref, wlen);
		if (dstlen - 1 >= 3) {
			memcpy(want + wlen, "...", 3);
			wlen += 3;
		}
		want[wlen] = '\0';
	}
	if (ret != wlen || memcmp(out, want, wlen) != 0)
		why = "differs from the reference";
	else if (len <= dstlen - 1)
		why = check_whole(out, ret, src, srclen, line);
	free(ref);
	free(want);
	free(ends);
	return (why);
}
