/* Filling in struct sc_err. */

#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "escape.h"

/*
 * The message goes through the line net of escape.h: whatever a caller
 * left unescaped (a control character, invalid UTF-8) is escaped, and a
 * message too long is cut between two characters and marked "...", so that
 * every message can be sent as a JSON string and logged as one line.  The
 * text is formatted twice as long as it may be stored: every byte takes at
 * least one, so the cut always falls before the formatted text's end.
 */
secctx_status
sc_seterr(struct sc_err *err, secctx_status status, const char *fmt, ...)
{
	va_list	ap;
	char	text[SC_ERR_MSGLEN * 2];

	if (err == NULL)
		return (status);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	err->status = status;
	sc_escape_line(err->msg, sizeof(err->msg), text);
	return (status);
}

void
sc_clearerr(struct sc_err *err)
{
	err->status = SEC_E_OK;
	err->msg[0] = '\0';
}
