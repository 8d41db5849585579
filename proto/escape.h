/*
 * The one escaping rule for strings from outside (clients, peers, the
 * file system): every such string goes through sc_escape() on its way into
 * a log line or a message.
 *
 * The input is bytes (a length, so NUL is an ordinary byte).  It is read as
 * UTF-8, one character or one byte at a time:
 *
 *   - '"' and '\' become \" and \\;
 *   - newline, carriage return and tab become \n, \r and \t;
 *   - the other C0 controls (NUL included) and DEL become \xNN;
 *   - the C1 controls U+0080..U+009F, the line and paragraph separators
 *     U+2028 and U+2029, and the bidirectional formatting characters
 *     U+202A..U+202E and U+2066..U+2069 become \uNNNN;
 *   - every byte that does not start a valid UTF-8 character (a lone
 *     continuation byte, a truncated sequence, an overlong form, a
 *     surrogate, a value above U+10FFFF, the bytes 0xc0, 0xc1, 0xf5..0xff)
 *     becomes \xNN, and decoding goes on at the next byte;
 *   - every other character (valid UTF-8, printable ASCII) is kept as is.
 *
 * Hex digits are lowercase.  The output is valid UTF-8 without control
 * characters, in which '"' and '\' occur only as part of an escape.  When
 * the whole does not fit in dstlen - 1 bytes, the output holds as many
 * whole characters and escapes as fit followed by "..." (when dstlen - 1 is
 * at least 3): a character or an escape is never cut.
 */
#ifndef SECCTX_ESCAPE_H
#define SECCTX_ESCAPE_H

#include <stddef.h>

/*
 * Escape srclen bytes of src into dst, always NUL-terminated when dstlen is
 * not 0.  Returns the length of the output (without the NUL).
 */
size_t	sc_escape(char *dst, size_t dstlen, const void *src,
	    size_t srclen);

/* sc_escape() of a C string; NULL is "". */
size_t	sc_escape_str(char *dst, size_t dstlen, const char *src);

/*
 * The same rule for a whole line that is already formatted (a log line, a
 * message): '"' and '\' are kept, everything else is as sc_escape().  The
 * output of sc_escape() passes through unchanged, so a string escaped once
 * is not escaped again; what is left of control characters and invalid
 * UTF-8 is.
 */
size_t	sc_escape_line(char *dst, size_t dstlen, const char *src);

#endif
