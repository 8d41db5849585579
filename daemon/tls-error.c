/*
 * OpenSSL failures as SSPI statuses: certificate verification results,
 * alerts received from the peer, and local handshake errors.
 */

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "secctxd.h"
#include "alert.h"

static secctx_status
verify_status(long result)
{
	switch (result) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return (SEC_E_CERT_EXPIRED);
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return (SEC_E_WRONG_PRINCIPAL);
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_CERT_UNTRUSTED:
		return (SEC_E_UNTRUSTED_ROOT);
	case X509_V_ERR_CERT_REVOKED:
		return (CRYPT_E_REVOKED);
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
		return (CRYPT_E_NO_REVOCATION_CHECK);
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
		return (CRYPT_E_REVOCATION_OFFLINE);
	case X509_V_ERR_INVALID_PURPOSE:
		return (SEC_E_CERT_WRONG_USAGE);
	default:
		return (SEC_E_CERT_UNKNOWN);
	}
}

static secctx_status
local_status(int reason)
{
	switch (reason) {
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_VERSION_TOO_HIGH:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_KEY_SHARE:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
	case SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS:
	case SSL_R_WRONG_CIPHER_RETURNED:
		return (SEC_E_ALGORITHM_MISMATCH);
	case SSL_R_NO_APPLICATION_PROTOCOL:
		return (SEC_E_APPLICATION_PROTOCOL_MISMATCH);
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return (SEC_E_INCOMPLETE_CREDENTIALS);
	case SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC:
	case SSL_R_DECRYPTION_FAILED:
		return (SEC_E_DECRYPT_FAILURE);
	default:
		return (SEC_E_ILLEGAL_MESSAGE);
	}
}

static void
peer_name(SSL *ssl, char *buf, size_t len)
{
	X509	*x = SSL_get0_peer_certificate(ssl);

	buf[0] = '\0';
	if (x != NULL)
		X509_NAME_oneline(X509_get_subject_name(x), buf, len);
}

/* The first error OpenSSL's TLS layer queued, else the first of all. */
static unsigned long
first_error(void)
{
	unsigned long	e, first = 0;

	while ((e = ERR_get_error()) != 0) {
		if (first == 0 || (ERR_GET_LIB(first) != ERR_LIB_SSL &&
		    ERR_GET_LIB(e) == ERR_LIB_SSL))
			first = e;
	}
	return (first);
}

secctx_status
tls_error(SSL *ssl, struct sc_err *err)
{
	unsigned long	 e = first_error();
	long		 vr = SSL_get_verify_result(ssl);
	int		 reason = ERR_GET_REASON(e);
	const char	*text;
	char		 subject[256];

	if (e == 0)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR,
		    "TLS failed without an error report"));
	if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK) {
		peer_name(ssl, subject, sizeof(subject));
		return (sc_seterr(err, verify_status(vr), "certificate "
		    "verification failed: %s (peer %s)",
		    X509_verify_cert_error_string(vr),
		    subject[0] != '\0' ? subject : "unknown"));
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET &&
	    reason < SSL_AD_REASON_OFFSET + 256)
		return (sc_seterr(err, sc_alert_status(reason -
		    SSL_AD_REASON_OFFSET), "the peer sent a fatal alert: %s",
		    SSL_alert_desc_string_long(reason -
		    SSL_AD_REASON_OFFSET)));
	if (ERR_GET_LIB(e) != ERR_LIB_SSL)
		return (sc_seterr(err, SEC_E_INTERNAL_ERROR, "TLS failed: %s",
		    (text = ERR_reason_error_string(e)) != NULL ? text :
		    "unknown error"));
	text = ERR_reason_error_string(e);
	return (sc_seterr(err, local_status(reason), "TLS handshake failed: "
	    "%s", text != NULL ? text : "unknown error"));
}
