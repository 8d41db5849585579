/*
 * The error value passed down the call chain: the SSPI status and a
 * human-readable reason.  Functions that can fail take a struct sc_err * and
 * return the status they stored in it.
 */
#ifndef SECCTX_ERROR_H
#define SECCTX_ERROR_H

#include "secctx/status.h"

#define SC_ERR_MSGLEN 256

struct sc_err {
	secctx_status	status;
	char		msg[SC_ERR_MSGLEN];
};

/*
 * Store status and message in err (which may be NULL); return status.  The
 * message is valid UTF-8 without control characters (sc_escape_line() of
 * escape.h), cut between two characters; the arguments may include
 * err->msg.
 */
secctx_status sc_seterr(struct sc_err *err, secctx_status status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reset err to SEC_E_OK with an empty message. */
void sc_clearerr(struct sc_err *err);

#endif
