/* The table of status codes: value, name, description. */

#include <stddef.h>
#include <string.h>

#include "secctx/status.h"

struct status_entry {
	secctx_status	 code;
	const char	*name;
	const char	*text;
};

#define S(c, t) { c, #c, t }
static const struct status_entry status_table[] = {
	S(SEC_E_OK, "the operation completed"),
	S(SEC_I_CONTINUE_NEEDED,
	    "send the output token to the peer and call again with its reply"),
	S(SEC_I_COMPLETE_NEEDED, "the token must be completed"),
	S(SEC_I_COMPLETE_AND_CONTINUE,
	    "the token must be completed and the exchange continued"),
	S(SEC_I_CONTEXT_EXPIRED, "the peer closed the connection"),
	S(SEC_I_INCOMPLETE_CREDENTIALS,
	    "the peer asked for a certificate the credential does not have"),
	S(SEC_I_RENEGOTIATE, "the peer started a new handshake"),
	S(SEC_I_NO_RENEGOTIATION, "the peer refused to renegotiate"),
	S(SEC_E_INSUFFICIENT_MEMORY, "not enough memory"),
	S(SEC_E_INVALID_HANDLE, "the handle is not valid"),
	S(SEC_E_UNSUPPORTED_FUNCTION, "the operation is not supported"),
	S(SEC_E_TARGET_UNKNOWN, "the target is unknown"),
	S(SEC_E_INTERNAL_ERROR, "internal error"),
	S(SEC_E_SECPKG_NOT_FOUND, "the security package was not found"),
	S(SEC_E_NOT_OWNER, "the caller may not use this credential"),
	S(SEC_E_INVALID_TOKEN, "the token is not valid"),
	S(SEC_E_LOGON_DENIED, "the peer refused the credentials"),
	S(SEC_E_UNKNOWN_CREDENTIALS, "no credential of that name"),
	S(SEC_E_NO_CREDENTIALS, "no credentials are available"),
	S(SEC_E_MESSAGE_ALTERED, "the message was altered"),
	S(SEC_E_OUT_OF_SEQUENCE, "the call is out of sequence"),
	S(SEC_E_NO_AUTHENTICATING_AUTHORITY,
	    "the daemon could not be reached"),
	S(SEC_E_CONTEXT_EXPIRED, "the context has expired"),
	S(SEC_E_INCOMPLETE_MESSAGE,
	    "the input holds a partial record: read more and call again"),
	S(SEC_E_INCOMPLETE_CREDENTIALS, "the credentials are incomplete"),
	S(SEC_E_BUFFER_TOO_SMALL, "the buffer is too small"),
	S(SEC_E_WRONG_PRINCIPAL,
	    "the certificate does not match the target name"),
	S(SEC_E_TIME_SKEW, "the clocks differ too much"),
	S(SEC_E_UNTRUSTED_ROOT,
	    "the certificate chain ends in an untrusted root"),
	S(SEC_E_ILLEGAL_MESSAGE, "the peer sent an illegal message"),
	S(SEC_E_CERT_UNKNOWN, "the certificate could not be verified"),
	S(SEC_E_CERT_EXPIRED, "the certificate has expired"),
	S(SEC_E_ENCRYPT_FAILURE, "encryption failed"),
	S(SEC_E_DECRYPT_FAILURE, "decryption failed"),
	S(SEC_E_ALGORITHM_MISMATCH,
	    "the peers have no protocol version or cipher in common"),
	S(SEC_E_UNFINISHED_CONTEXT_DELETED,
	    "the context was deleted before it was complete"),
	S(SEC_E_WRONG_CREDENTIAL_HANDLE,
	    "the credential handle does not match the context"),
	S(SEC_E_SHUTDOWN_IN_PROGRESS, "the context is shutting down"),
	S(SEC_E_CERT_WRONG_USAGE,
	    "the certificate is not valid for the requested usage"),
	S(SEC_E_ISSUING_CA_UNTRUSTED, "the issuing CA is not trusted"),
	S(SEC_E_INVALID_PARAMETER, "a parameter is not valid"),
	S(SEC_E_NO_CONTEXT, "no such context"),
	S(SEC_E_MUTUAL_AUTH_FAILED, "the peer did not authenticate"),
	S(SEC_E_APPLICATION_PROTOCOL_MISMATCH,
	    "no application protocol in common"),
	S(SEC_E_INSUFFICIENT_BUFFERS, "not enough buffers were supplied"),
	S(CRYPT_E_REVOKED, "the certificate has been revoked"),
	S(CRYPT_E_NO_REVOCATION_CHECK,
	    "the revocation of the certificate could not be checked"),
	S(CRYPT_E_REVOCATION_OFFLINE,
	    "the revocation list is out of date"),
};
#undef S

#define STATUS_COUNT (sizeof(status_table) / sizeof(status_table[0]))

static const struct status_entry *
status_find(secctx_status code)
{
	size_t	i;

	for (i = 0; i < STATUS_COUNT; i++) {
		if (status_table[i].code == code)
			return (&status_table[i]);
	}
	return (NULL);
}

const char *
secctx_status_name(secctx_status code)
{
	const struct status_entry	*e = status_find(code);

	return (e != NULL ? e->name : NULL);
}

const char *
secctx_status_text(secctx_status code)
{
	const struct status_entry	*e = status_find(code);

	if (e != NULL)
		return (e->text);
	return (SECCTX_FAILED(code) ? "unknown error" : "unknown status");
}

secctx_status
secctx_status_from_name(const char *name, int *found)
{
	size_t	i;

	for (i = 0; i < STATUS_COUNT; i++) {
		if (strcmp(status_table[i].name, name) == 0) {
			*found = 1;
			return (status_table[i].code);
		}
	}
	*found = 0;
	return (SEC_E_OK);
}
