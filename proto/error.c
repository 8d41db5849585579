/* Filling in struct sc_err. */

#include <stdarg.h>
#include <stdio.h>

#include "error.h"

secctx_status
sc_seterr(struct sc_err *err, secctx_status status, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return (status);
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return (status);
}

void
sc_clearerr(struct sc_err *err)
{
	err->status = SEC_E_OK;
	err->msg[0] = '\0';
}
