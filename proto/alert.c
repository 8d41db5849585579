/*
 * TLS alerts: names and statuses.
 */

#include <stddef.h>

#include "alert.h"

static const struct {
	int		 desc;
	const char	*name;
} alert_names[] = {
	{ 0, "close_notify" },
	{ 10, "unexpected_message" },
	{ 20, "bad_record_mac" },
	{ 22, "record_overflow" },
	{ 40, "handshake_failure" },
	{ 42, "bad_certificate" },
	{ 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },
	{ 45, "certificate_expired" },
	{ 46, "certificate_unknown" },
	{ 47, "illegal_parameter" },
	{ 48, "unknown_ca" },
	{ 49, "access_denied" },
	{ 50, "decode_error" },
	{ 51, "decrypt_error" },
	{ 70, "protocol_version" },
	{ 71, "insufficient_security" },
	{ 80, "internal_error" },
	{ 86, "inappropriate_fallback" },
	{ 90, "user_canceled" },
	{ 100, "no_renegotiation" },
	{ 109, "missing_extension" },
	{ 110, "unsupported_extension" },
	{ 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 115, "unknown_psk_identity" },
	{ 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

const char *
sc_alert_name(int desc)
{
	size_t	i;

	for (i = 0; i < sizeof(alert_names) / sizeof(alert_names[0]); i++)
		if (alert_names[i].desc == desc)
			return (alert_names[i].name);
	return ("unknown");
}

secctx_status
sc_alert_status(int desc)
{
	switch (desc) {
	case 40:	/* handshake_failure */
	case 70:	/* protocol_version */
	case 71:	/* insufficient_security */
		return (SEC_E_ALGORITHM_MISMATCH);
	case 120:	/* no_application_protocol */
		return (SEC_E_APPLICATION_PROTOCOL_MISMATCH);
	case 116:	/* certificate_required */
		return (SEC_E_INCOMPLETE_CREDENTIALS);
	case 112:	/* unrecognized_name */
		return (SEC_E_TARGET_UNKNOWN);
	case 42: case 43: case 44: case 45: case 46: case 48: case 49:
		return (SEC_E_CERT_UNKNOWN);
	case 20:	/* bad_record_mac */
	case 51:	/* decrypt_error */
		return (SEC_E_DECRYPT_FAILURE);
	case 0:		/* close_notify */
		return (SEC_E_CONTEXT_EXPIRED);
	default:
		return (SEC_E_ILLEGAL_MESSAGE);
	}
}
