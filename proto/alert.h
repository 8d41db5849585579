/*
 * TLS alerts (RFC 8446 6, RFC 5246 7.2): their names and the SSPI status
 * an alert from the peer stands for.
 */
#ifndef SECCTX_ALERT_H
#define SECCTX_ALERT_H

#include "secctx/status.h"

#define ALERT_WARNING		1
#define ALERT_FATAL		2

#define ALERT_CLOSE_NOTIFY	0
#define ALERT_USER_CANCELED	90
#define ALERT_DECODE_ERROR	50
#define ALERT_ILLEGAL_PARAMETER	47

/* "bad_record_mac"; "unknown" for a value RFC 8446 does not name. */
const char	*sc_alert_name(int desc);
/* The status of a fatal alert the peer sent. */
secctx_status	 sc_alert_status(int desc);

#endif
