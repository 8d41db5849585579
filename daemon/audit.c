/*
 * The audit log: one line per context established or refused, with the
 * caller (uid, pid), the credential, the direction, the target and peer,
 * what was negotiated and the result.  Client-supplied and certificate
 * strings are quoted with control characters and quotes replaced, so a
 * line is always one line.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "secctxd.h"

/* s, printable and without '"', in buf. */
static const char *
audit_clean(const char *s, char *buf, size_t len)
{
	size_t	i;

	if (s == NULL)
		s = "";
	for (i = 0; s[i] != '\0' && i + 1 < len; i++)
		buf[i] = (s[i] < 0x20 || s[i] == 0x7f || s[i] == '"' ||
		    s[i] == '\\') ? '?' : s[i];
	buf[i] = '\0';
	return (buf);
}

void
audit_context(const struct audit *a, secctx_status st, const char *reason)
{
	struct ctx_info	 info;
	const char	*status = secctx_status_name(st);
	char		 target[256], peer[512], why[300], verify[160];

	memset(&info, 0, sizeof(info));
	if (a->ctx != NULL)
		context_info(a->ctx, &info);
	verify[0] = '\0';
	if (a->skip_validation && a->ctx == NULL)
		snprintf(verify, sizeof(verify), " validation=skip-requested");
	else if (a->skip_validation)
		snprintf(verify, sizeof(verify), " validation=skipped "
		    "verify_result=\"%s\"",
		    X509_verify_cert_error_string(info.verify_result));
	audit_clean(a->target != NULL ? a->target : info.sni, target,
	    sizeof(target));
	audit_clean(info.peer_subject, peer, sizeof(peer));
	audit_clean(reason, why, sizeof(why));
	log_info("audit: context %s uid=%lu pid=%ld credential=\"%s\" "
	    "direction=%s target=\"%s\" peer=\"%s\" protocol=%s cipher=%s%s "
	    "result=%s%s%s%s", st == SEC_E_OK ? "established" : "refused",
	    (unsigned long)a->conn->peer.uid, (long)a->conn->peer.pid,
	    a->credential != NULL ? a->credential : "",
	    a->dir == DIR_INBOUND ? "inbound" : "outbound", target, peer,
	    info.protocol != NULL && *info.protocol != '\0' ? info.protocol :
	    "-", info.cipher != NULL && *info.cipher != '\0' ? info.cipher :
	    "-", verify, status != NULL ? status : "?",
	    st != SEC_E_OK ? " reason=\"" : "", st != SEC_E_OK ? why : "",
	    st != SEC_E_OK ? "\"" : "");
}
