/*
 * secctx status codes.
 *
 * Every fallible call in secctx returns a secctx_status: the SSPI
 * SECURITY_STATUS value Windows Schannel would return for the same
 * situation, with the same name and the same numeric value.  Values with the
 * high bit set are errors; the others are success or continuation codes.
 */
#ifndef SECCTX_STATUS_H
#define SECCTX_STATUS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t secctx_status;

#define SECCTX_STATUS(v) ((secctx_status)(uint32_t)(v))

/* Success and continuation codes. */
#define SEC_E_OK                          SECCTX_STATUS(0x00000000)
#define SEC_I_CONTINUE_NEEDED             SECCTX_STATUS(0x00090312)
#define SEC_I_COMPLETE_NEEDED             SECCTX_STATUS(0x00090313)
#define SEC_I_COMPLETE_AND_CONTINUE       SECCTX_STATUS(0x00090314)
#define SEC_I_CONTEXT_EXPIRED             SECCTX_STATUS(0x00090317)
#define SEC_I_INCOMPLETE_CREDENTIALS      SECCTX_STATUS(0x00090320)
#define SEC_I_RENEGOTIATE                 SECCTX_STATUS(0x00090321)
#define SEC_I_NO_RENEGOTIATION            SECCTX_STATUS(0x00090360)

/* Errors. */
#define SEC_E_INSUFFICIENT_MEMORY         SECCTX_STATUS(0x80090300)
#define SEC_E_INVALID_HANDLE              SECCTX_STATUS(0x80090301)
#define SEC_E_UNSUPPORTED_FUNCTION        SECCTX_STATUS(0x80090302)
#define SEC_E_TARGET_UNKNOWN              SECCTX_STATUS(0x80090303)
#define SEC_E_INTERNAL_ERROR              SECCTX_STATUS(0x80090304)
#define SEC_E_SECPKG_NOT_FOUND            SECCTX_STATUS(0x80090305)
#define SEC_E_NOT_OWNER                   SECCTX_STATUS(0x80090306)
#define SEC_E_INVALID_TOKEN               SECCTX_STATUS(0x80090308)
#define SEC_E_LOGON_DENIED                SECCTX_STATUS(0x8009030C)
#define SEC_E_UNKNOWN_CREDENTIALS         SECCTX_STATUS(0x8009030D)
#define SEC_E_NO_CREDENTIALS              SECCTX_STATUS(0x8009030E)
#define SEC_E_MESSAGE_ALTERED             SECCTX_STATUS(0x8009030F)
#define SEC_E_OUT_OF_SEQUENCE             SECCTX_STATUS(0x80090310)
#define SEC_E_NO_AUTHENTICATING_AUTHORITY SECCTX_STATUS(0x80090311)
#define SEC_E_CONTEXT_EXPIRED             SECCTX_STATUS(0x80090317)
#define SEC_E_INCOMPLETE_MESSAGE          SECCTX_STATUS(0x80090318)
#define SEC_E_INCOMPLETE_CREDENTIALS      SECCTX_STATUS(0x80090320)
#define SEC_E_BUFFER_TOO_SMALL            SECCTX_STATUS(0x80090321)
#define SEC_E_WRONG_PRINCIPAL             SECCTX_STATUS(0x80090322)
#define SEC_E_TIME_SKEW                   SECCTX_STATUS(0x80090324)
#define SEC_E_UNTRUSTED_ROOT              SECCTX_STATUS(0x80090325)
#define SEC_E_ILLEGAL_MESSAGE             SECCTX_STATUS(0x80090326)
#define SEC_E_CERT_UNKNOWN                SECCTX_STATUS(0x80090327)
#define SEC_E_CERT_EXPIRED                SECCTX_STATUS(0x80090328)
#define SEC_E_ENCRYPT_FAILURE             SECCTX_STATUS(0x80090329)
#define SEC_E_DECRYPT_FAILURE             SECCTX_STATUS(0x80090330)
#define SEC_E_ALGORITHM_MISMATCH          SECCTX_STATUS(0x80090331)
#define SEC_E_UNFINISHED_CONTEXT_DELETED  SECCTX_STATUS(0x80090333)
#define SEC_E_WRONG_CREDENTIAL_HANDLE     SECCTX_STATUS(0x80090336)
#define SEC_E_SHUTDOWN_IN_PROGRESS        SECCTX_STATUS(0x8009033F)
#define SEC_E_CERT_WRONG_USAGE            SECCTX_STATUS(0x80090349)
#define SEC_E_ISSUING_CA_UNTRUSTED        SECCTX_STATUS(0x80090352)
#define SEC_E_INVALID_PARAMETER           SECCTX_STATUS(0x8009035D)
#define SEC_E_NO_CONTEXT                  SECCTX_STATUS(0x80090361)
#define SEC_E_MUTUAL_AUTH_FAILED          SECCTX_STATUS(0x80090363)
#define SEC_E_APPLICATION_PROTOCOL_MISMATCH SECCTX_STATUS(0x80090367)
#define SEC_E_INSUFFICIENT_BUFFERS        SECCTX_STATUS(0x8009036B)
#define CRYPT_E_REVOKED                   SECCTX_STATUS(0x80092010)
#define CRYPT_E_NO_REVOCATION_CHECK       SECCTX_STATUS(0x80092012)
#define CRYPT_E_REVOCATION_OFFLINE        SECCTX_STATUS(0x80092013)

/* True for the error codes (severity bit set). */
#define SECCTX_FAILED(s)    ((s) < 0)

/*
 * The status name ("SEC_E_WRONG_PRINCIPAL"), or NULL for a value secctx
 * never returns.
 */
const char *secctx_status_name(secctx_status);

/* A one-line description of the status; never NULL. */
const char *secctx_status_text(secctx_status);

/* The status whose name is 'name', or 0 with *found = 0. */
secctx_status secctx_status_from_name(const char *name, int *found);

#ifdef __cplusplus
}
#endif

#endif
