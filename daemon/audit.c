/*
 * The audit log: one line per context established or refused, with the
 * caller (uid, pid), the credential, the direction, the target and peer,
 * what was negotiated and the result.  Every quoted value is escaped by
 * sc_escape() (proto/escape.h), so a value cannot end its quotes and a line
 * is always one line.  The SNI and the peer's name are the attribute values
 * query_context gives (escaped once already, PROTOCOL.md), escaped again
 * like any other value.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "secctxd.h"
#include "escape.h"

void
audit_context(const struct audit *a, secctx_status st, const char *reason)
{
	struct ctx_info	 info;
	const char	*status = secctx_status_name(st);
	char		 cred[256], target[1024], peer[1024], why[512];
	char		 verify[160];

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
	sc_escape_str(cred, sizeof(cred), a->credential);
	sc_escape_str(target, sizeof(target), a->target != NULL ? a->target :
	    info.sni);
	sc_escape_str(peer, sizeof(peer), info.peer_subject);
	sc_escape_str(why, sizeof(why), reason);
	log_info("audit: context %s uid=%lu pid=%ld credential=\"%s\" "
	    "direction=%s target=\"%s\" peer=\"%s\" protocol=%s cipher=%s%s "
	    "result=%s%s%s%s", st == SEC_E_OK ? "established" : "refused",
	    (unsigned long)a->conn->peer.uid, (long)a->conn->peer.pid, cred,
	    a->dir == DIR_INBOUND ? "inbound" : "outbound", target, peer,
	    info.protocol != NULL && *info.protocol != '\0' ? info.protocol :
	    "-", info.cipher != NULL && *info.cipher != '\0' ? info.cipher :
	    "-", verify, status != NULL ? status : "?",
	    st != SEC_E_OK ? " reason=\"" : "", st != SEC_E_OK ? why : "",
	    st != SEC_E_OK ? "\"" : "");
}
