/*
 * The numeric values and layouts of <secctx/sspi.h> against Windows.
 *
 * Every expected value below was typed from Microsoft's documentation
 * (learn.microsoft.com: winerror/SSPI status codes, SecBuffer,
 * SecBufferDesc, SCHANNEL_CRED, SCH_CREDENTIALS, TLS_PARAMETERS,
 * InitializeSecurityContext (Schannel), AcceptSecurityContext (Schannel),
 * QueryContextAttributes (Schannel), ApplyControlToken and the
 * SecPkgContext_* structures), not taken from the header under test, so a
 * typo on either side shows up as a mismatch.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "secctx/sspi.h"

struct value {
	const char	*name;
	uint64_t	 got;
	uint64_t	 want;
};

#define V(name, want)	{ #name, (uint64_t)(uint32_t)(name), (want) }

/* Status codes (SECURITY_STATUS, winerror.h). */
static const struct value statuses[] = {
	V(SEC_E_OK,				0x00000000),
	V(SEC_I_CONTINUE_NEEDED,		0x00090312),
	V(SEC_I_COMPLETE_NEEDED,		0x00090313),
	V(SEC_I_COMPLETE_AND_CONTINUE,		0x00090314),
	V(SEC_I_CONTEXT_EXPIRED,		0x00090317),
	V(SEC_I_INCOMPLETE_CREDENTIALS,		0x00090320),
	V(SEC_I_RENEGOTIATE,			0x00090321),
	V(SEC_I_NO_RENEGOTIATION,		0x00090360),
	V(SEC_E_INSUFFICIENT_MEMORY,		0x80090300),
	V(SEC_E_INVALID_HANDLE,			0x80090301),
	V(SEC_E_UNSUPPORTED_FUNCTION,		0x80090302),
	V(SEC_E_TARGET_UNKNOWN,			0x80090303),
	V(SEC_E_INTERNAL_ERROR,			0x80090304),
	V(SEC_E_SECPKG_NOT_FOUND,		0x80090305),
	V(SEC_E_NOT_OWNER,			0x80090306),
	V(SEC_E_INVALID_TOKEN,			0x80090308),
	V(SEC_E_LOGON_DENIED,			0x8009030C),
	V(SEC_E_UNKNOWN_CREDENTIALS,		0x8009030D),
	V(SEC_E_NO_CREDENTIALS,			0x8009030E),
	V(SEC_E_MESSAGE_ALTERED,		0x8009030F),
	V(SEC_E_OUT_OF_SEQUENCE,		0x80090310),
	V(SEC_E_NO_AUTHENTICATING_AUTHORITY,	0x80090311),
	V(SEC_E_CONTEXT_EXPIRED,		0x80090317),
	V(SEC_E_INCOMPLETE_MESSAGE,		0x80090318),
	V(SEC_E_INCOMPLETE_CREDENTIALS,		0x80090320),
	V(SEC_E_BUFFER_TOO_SMALL,		0x80090321),
	V(SEC_E_WRONG_PRINCIPAL,		0x80090322),
	V(SEC_E_TIME_SKEW,			0x80090324),
	V(SEC_E_UNTRUSTED_ROOT,			0x80090325),
	V(SEC_E_ILLEGAL_MESSAGE,		0x80090326),
	V(SEC_E_CERT_UNKNOWN,			0x80090327),
	V(SEC_E_CERT_EXPIRED,			0x80090328),
	V(SEC_E_ENCRYPT_FAILURE,		0x80090329),
	V(SEC_E_DECRYPT_FAILURE,		0x80090330),
	V(SEC_E_ALGORITHM_MISMATCH,		0x80090331),
	V(SEC_E_UNFINISHED_CONTEXT_DELETED,	0x80090333),
	V(SEC_E_WRONG_CREDENTIAL_HANDLE,	0x80090336),
	V(SEC_E_SHUTDOWN_IN_PROGRESS,		0x8009033F),
	V(SEC_E_CERT_WRONG_USAGE,		0x80090349),
	V(SEC_E_ISSUING_CA_UNTRUSTED,		0x80090352),
	V(SEC_E_INVALID_PARAMETER,		0x8009035D),
	V(SEC_E_NO_CONTEXT,			0x80090361),
	V(SEC_E_MUTUAL_AUTH_FAILED,		0x80090363),
	V(SEC_E_APPLICATION_PROTOCOL_MISMATCH,	0x80090367),
	V(SEC_E_INSUFFICIENT_BUFFERS,		0x8009036B),
	V(CRYPT_E_REVOKED,			0x80092010),
	V(CRYPT_E_NO_REVOCATION_CHECK,		0x80092012),
	V(CRYPT_E_REVOCATION_OFFLINE,		0x80092013),
};

/* Buffers, data representation, control tokens. */
static const struct value buffers[] = {
	V(SECBUFFER_VERSION,			0),
	V(SECBUFFER_EMPTY,			0),
	V(SECBUFFER_DATA,			1),
	V(SECBUFFER_TOKEN,			2),
	V(SECBUFFER_PKG_PARAMS,			3),
	V(SECBUFFER_MISSING,			4),
	V(SECBUFFER_EXTRA,			5),
	V(SECBUFFER_STREAM_TRAILER,		6),
	V(SECBUFFER_STREAM_HEADER,		7),
	V(SECBUFFER_ALERT,			17),
	V(SECBUFFER_APPLICATION_PROTOCOLS,	18),
	V(SECBUFFER_ATTRMASK,			0xF0000000),
	V(SECBUFFER_READONLY,			0x80000000),
	V(SECBUFFER_READONLY_WITH_CHECKSUM,	0x10000000),
	V(SECURITY_NATIVE_DREP,			0x10),
	V(SECURITY_NETWORK_DREP,		0),
	V(SCHANNEL_RENEGOTIATE,			0),
	V(SCHANNEL_SHUTDOWN,			1),
	V(SCHANNEL_ALERT,			2),
	V(SCHANNEL_SESSION,			3),
	V(UNISP_RPC_ID,				14),
};

/* Credentials: use, versions, formats, protocols, flags. */
static const struct value creds[] = {
	V(SECPKG_CRED_INBOUND,			0x1),
	V(SECPKG_CRED_OUTBOUND,			0x2),
	V(SECPKG_CRED_BOTH,			0x3),
	V(SCHANNEL_CRED_VERSION,		4),
	V(SCH_CREDENTIALS_VERSION,		5),
	V(SCH_CRED_FORMAT_CERT_CONTEXT,		0),
	V(SCH_CRED_FORMAT_CERT_HASH,		1),
	V(SCH_CRED_FORMAT_CERT_HASH_STORE,	2),
	V(SCH_CRED_MAX_SUPPORTED_ALPN_IDS,	16),
	V(SCH_CRED_MAX_SUPPORTED_CRYPTO_SETTINGS, 16),
	V(TLS_PARAMS_OPTIONAL,			0x1),
	V(X509_ASN_ENCODING,			0x1),
	V(PKCS_7_ASN_ENCODING,			0x10000),
	V(SP_PROT_NONE,				0),
	V(SP_PROT_SSL2_SERVER,			0x4),
	V(SP_PROT_SSL2_CLIENT,			0x8),
	V(SP_PROT_SSL2,				0xC),
	V(SP_PROT_SSL3_SERVER,			0x10),
	V(SP_PROT_SSL3_CLIENT,			0x20),
	V(SP_PROT_SSL3,				0x30),
	V(SP_PROT_TLS1_SERVER,			0x40),
	V(SP_PROT_TLS1_CLIENT,			0x80),
	V(SP_PROT_TLS1,				0xC0),
	V(SP_PROT_TLS1_0_SERVER,		0x40),
	V(SP_PROT_TLS1_0_CLIENT,		0x80),
	V(SP_PROT_TLS1_0,			0xC0),
	V(SP_PROT_TLS1_1_SERVER,		0x100),
	V(SP_PROT_TLS1_1_CLIENT,		0x200),
	V(SP_PROT_TLS1_1,			0x300),
	V(SP_PROT_TLS1_2_SERVER,		0x400),
	V(SP_PROT_TLS1_2_CLIENT,		0x800),
	V(SP_PROT_TLS1_2,			0xC00),
	V(SP_PROT_TLS1_3_SERVER,		0x1000),
	V(SP_PROT_TLS1_3_CLIENT,		0x2000),
	V(SP_PROT_TLS1_3,			0x3000),
	V(SCH_CRED_NO_SYSTEM_MAPPER,		0x2),
	V(SCH_CRED_NO_SERVERNAME_CHECK,		0x4),
	V(SCH_CRED_MANUAL_CRED_VALIDATION,	0x8),
	V(SCH_CRED_NO_DEFAULT_CREDS,		0x10),
	V(SCH_CRED_AUTO_CRED_VALIDATION,	0x20),
	V(SCH_CRED_USE_DEFAULT_CREDS,		0x40),
	V(SCH_CRED_DISABLE_RECONNECTS,		0x80),
	V(SCH_CRED_REVOCATION_CHECK_END_CERT,	0x100),
	V(SCH_CRED_REVOCATION_CHECK_CHAIN,	0x200),
	V(SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT, 0x400),
	V(SCH_CRED_IGNORE_NO_REVOCATION_CHECK,	0x800),
	V(SCH_CRED_IGNORE_REVOCATION_OFFLINE,	0x1000),
	V(SCH_CRED_RESTRICTED_ROOTS,		0x2000),
	V(SCH_CRED_REVOCATION_CHECK_CACHE_ONLY,	0x4000),
	V(SCH_CRED_CACHE_ONLY_URL_RETRIEVAL,	0x8000),
	V(SCH_CRED_MEMORY_STORE_CERT,		0x10000),
	V(SCH_CRED_CACHE_ONLY_URL_RETRIEVAL_ON_CREATE, 0x20000),
	V(SCH_SEND_ROOT_CERT,			0x40000),
	V(SCH_CRED_SNI_CREDENTIAL,		0x80000),
	V(SCH_CRED_SNI_ENABLE_OCSP,		0x100000),
	V(SCH_SEND_AUX_RECORD,			0x200000),
	V(SCH_USE_STRONG_CRYPTO,		0x400000),
};

/* Package capabilities (SecPkgInfo.fCapabilities). */
static const struct value pkgflags[] = {
	V(SECPKG_FLAG_INTEGRITY,		0x1),
	V(SECPKG_FLAG_PRIVACY,			0x2),
	V(SECPKG_FLAG_TOKEN_ONLY,		0x4),
	V(SECPKG_FLAG_DATAGRAM,			0x8),
	V(SECPKG_FLAG_CONNECTION,		0x10),
	V(SECPKG_FLAG_MULTI_REQUIRED,		0x20),
	V(SECPKG_FLAG_CLIENT_ONLY,		0x40),
	V(SECPKG_FLAG_EXTENDED_ERROR,		0x80),
	V(SECPKG_FLAG_IMPERSONATION,		0x100),
	V(SECPKG_FLAG_ACCEPT_WIN32_NAME,	0x200),
	V(SECPKG_FLAG_STREAM,			0x400),
	V(SECPKG_FLAG_MUTUAL_AUTH,		0x10000),
};

/* InitializeSecurityContext requirements and returned attributes. */
static const struct value isc[] = {
	V(ISC_REQ_DELEGATE,			0x1),
	V(ISC_REQ_MUTUAL_AUTH,			0x2),
	V(ISC_REQ_REPLAY_DETECT,		0x4),
	V(ISC_REQ_SEQUENCE_DETECT,		0x8),
	V(ISC_REQ_CONFIDENTIALITY,		0x10),
	V(ISC_REQ_USE_SESSION_KEY,		0x20),
	V(ISC_REQ_PROMPT_FOR_CREDS,		0x40),
	V(ISC_REQ_USE_SUPPLIED_CREDS,		0x80),
	V(ISC_REQ_ALLOCATE_MEMORY,		0x100),
	V(ISC_REQ_USE_DCE_STYLE,		0x200),
	V(ISC_REQ_DATAGRAM,			0x400),
	V(ISC_REQ_CONNECTION,			0x800),
	V(ISC_REQ_CALL_LEVEL,			0x1000),
	V(ISC_REQ_FRAGMENT_SUPPLIED,		0x2000),
	V(ISC_REQ_EXTENDED_ERROR,		0x4000),
	V(ISC_REQ_STREAM,			0x8000),
	V(ISC_REQ_INTEGRITY,			0x10000),
	V(ISC_REQ_IDENTIFY,			0x20000),
	V(ISC_REQ_NULL_SESSION,			0x40000),
	V(ISC_REQ_MANUAL_CRED_VALIDATION,	0x80000),
	V(ISC_REQ_RESERVED1,			0x100000),
	V(ISC_REQ_FRAGMENT_TO_FIT,		0x200000),
	V(ISC_REQ_FORWARD_CREDENTIALS,		0x400000),
	V(ISC_REQ_NO_INTEGRITY,			0x800000),
	V(ISC_REQ_USE_HTTP_STYLE,		0x1000000),
	V(ISC_REQ_UNVERIFIED_TARGET_NAME,	0x20000000),
	V(ISC_REQ_CONFIDENTIALITY_ONLY,		0x40000000),
	V(ISC_RET_DELEGATE,			0x1),
	V(ISC_RET_MUTUAL_AUTH,			0x2),
	V(ISC_RET_REPLAY_DETECT,		0x4),
	V(ISC_RET_SEQUENCE_DETECT,		0x8),
	V(ISC_RET_CONFIDENTIALITY,		0x10),
	V(ISC_RET_USE_SESSION_KEY,		0x20),
	V(ISC_RET_USED_COLLECTED_CREDS,		0x40),
	V(ISC_RET_USED_SUPPLIED_CREDS,		0x80),
	V(ISC_RET_ALLOCATED_MEMORY,		0x100),
	V(ISC_RET_USED_DCE_STYLE,		0x200),
	V(ISC_RET_DATAGRAM,			0x400),
	V(ISC_RET_CONNECTION,			0x800),
	V(ISC_RET_INTERMEDIATE_RETURN,		0x1000),
	V(ISC_RET_CALL_LEVEL,			0x2000),
	V(ISC_RET_EXTENDED_ERROR,		0x4000),
	V(ISC_RET_STREAM,			0x8000),
	V(ISC_RET_INTEGRITY,			0x10000),
	V(ISC_RET_IDENTIFY,			0x20000),
	V(ISC_RET_NULL_SESSION,			0x40000),
	V(ISC_RET_MANUAL_CRED_VALIDATION,	0x80000),
	V(ISC_RET_RESERVED1,			0x100000),
	V(ISC_RET_FRAGMENT_ONLY,		0x200000),
	V(ISC_RET_FORWARD_CREDENTIALS,		0x400000),
	V(ISC_RET_USED_HTTP_STYLE,		0x1000000),
	V(ISC_RET_NO_ADDITIONAL_TOKEN,		0x2000000),
	V(ISC_RET_REAUTHENTICATION,		0x8000000),
	V(ISC_RET_CONFIDENTIALITY_ONLY,		0x40000000),
};

/* AcceptSecurityContext requirements and returned attributes. */
static const struct value asc[] = {
	V(ASC_REQ_DELEGATE,			0x1),
	V(ASC_REQ_MUTUAL_AUTH,			0x2),
	V(ASC_REQ_REPLAY_DETECT,		0x4),
	V(ASC_REQ_SEQUENCE_DETECT,		0x8),
	V(ASC_REQ_CONFIDENTIALITY,		0x10),
	V(ASC_REQ_USE_SESSION_KEY,		0x20),
	V(ASC_REQ_SESSION_TICKET,		0x40),
	V(ASC_REQ_ALLOCATE_MEMORY,		0x100),
	V(ASC_REQ_USE_DCE_STYLE,		0x200),
	V(ASC_REQ_DATAGRAM,			0x400),
	V(ASC_REQ_CONNECTION,			0x800),
	V(ASC_REQ_CALL_LEVEL,			0x1000),
	V(ASC_REQ_FRAGMENT_SUPPLIED,		0x2000),
	V(ASC_REQ_EXTENDED_ERROR,		0x8000),
	V(ASC_REQ_STREAM,			0x10000),
	V(ASC_REQ_INTEGRITY,			0x20000),
	V(ASC_REQ_LICENSING,			0x40000),
	V(ASC_REQ_IDENTIFY,			0x80000),
	V(ASC_REQ_ALLOW_NULL_SESSION,		0x100000),
	V(ASC_REQ_ALLOW_NON_USER_LOGONS,	0x200000),
	V(ASC_REQ_ALLOW_CONTEXT_REPLAY,		0x400000),
	V(ASC_REQ_FRAGMENT_TO_FIT,		0x800000),
	V(ASC_REQ_NO_TOKEN,			0x1000000),
	V(ASC_REQ_PROXY_BINDINGS,		0x4000000),
	V(ASC_REQ_ALLOW_MISSING_BINDINGS,	0x10000000),
	V(ASC_RET_DELEGATE,			0x1),
	V(ASC_RET_MUTUAL_AUTH,			0x2),
	V(ASC_RET_REPLAY_DETECT,		0x4),
	V(ASC_RET_SEQUENCE_DETECT,		0x8),
	V(ASC_RET_CONFIDENTIALITY,		0x10),
	V(ASC_RET_USE_SESSION_KEY,		0x20),
	V(ASC_RET_SESSION_TICKET,		0x40),
	V(ASC_RET_ALLOCATED_MEMORY,		0x100),
	V(ASC_RET_USED_DCE_STYLE,		0x200),
	V(ASC_RET_DATAGRAM,			0x400),
	V(ASC_RET_CONNECTION,			0x800),
	V(ASC_RET_CALL_LEVEL,			0x2000),
	V(ASC_RET_THIRD_LEG_FAILED,		0x4000),
	V(ASC_RET_EXTENDED_ERROR,		0x8000),
	V(ASC_RET_STREAM,			0x10000),
	V(ASC_RET_INTEGRITY,			0x20000),
	V(ASC_RET_LICENSING,			0x40000),
	V(ASC_RET_IDENTIFY,			0x80000),
	V(ASC_RET_NULL_SESSION,			0x100000),
	V(ASC_RET_ALLOW_NON_USER_LOGONS,	0x200000),
	V(ASC_RET_ALLOW_CONTEXT_REPLAY,		0x400000),
	V(ASC_RET_FRAGMENT_ONLY,		0x800000),
	V(ASC_RET_NO_TOKEN,			0x1000000),
	V(ASC_RET_NO_ADDITIONAL_TOKEN,		0x2000000),
};

/* QueryContextAttributes ids and the constants of their structures. */
static const struct value attrs[] = {
	V(SECPKG_ATTR_SIZES,			0),
	V(SECQOP_WRAP_NO_ENCRYPT,		0x80000001),
	V(SECQOP_WRAP_OOB_DATA,			0x40000000),
	V(CALG_AES_128,				0x0000660e),
	V(CALG_AES_256,				0x00006610),
	V(CALG_SHA_256,				0x0000800c),
	V(CALG_SHA_384,				0x0000800d),
	V(CALG_RSA_KEYX,			0x0000a400),
	V(CALG_DH_EPHEM,			0x0000aa02),
	V(CALG_ECDH_EPHEM,			0x0000ae06),
	V(SECPKG_ATTR_STREAM_SIZES,		4),
	V(SECPKG_ATTR_UNIQUE_BINDINGS,		25),
	V(SECPKG_ATTR_ENDPOINT_BINDINGS,	26),
	V(SECPKG_ATTR_APPLICATION_PROTOCOL,	35),
	V(SECPKG_ATTR_REMOTE_CERT_CONTEXT,	0x53),
	V(SECPKG_ATTR_LOCAL_CERT_CONTEXT,	0x54),
	V(SECPKG_ATTR_CONNECTION_INFO,		0x5a),
	V(SECPKG_ATTR_SESSION_INFO,		0x5d),
	V(SECPKG_ATTR_KEYING_MATERIAL_INFO,	0x6a),
	V(SECPKG_ATTR_KEYING_MATERIAL,		0x6b),
	V(SSL_SESSION_RECONNECT,		1),
	V(MAX_PROTOCOL_ID_SIZE,			0xff),
	V(SecApplicationProtocolNegotiationExt_None, 0),
	V(SecApplicationProtocolNegotiationExt_NPN, 1),
	V(SecApplicationProtocolNegotiationExt_ALPN, 2),
	V(SecApplicationProtocolNegotiationStatus_None, 0),
	V(SecApplicationProtocolNegotiationStatus_Success, 1),
	V(SecApplicationProtocolNegotiationStatus_SelectedClientOnly, 2),
	V(TlsParametersCngAlgUsageKeyExchange,	0),
	V(TlsParametersCngAlgUsageSignature,	1),
	V(TlsParametersCngAlgUsageCipher,	2),
	V(TlsParametersCngAlgUsageDigest,	3),
	V(TlsParametersCngAlgUsageCertSig,	4),
};

static void
check_table(const struct value *t, size_t n)
{
	size_t	i, bad = 0;

	for (i = 0; i < n; i++) {
		if (t[i].got != t[i].want) {
			print_error("%s = 0x%llx, Windows has 0x%llx\n",
			    t[i].name, (unsigned long long)t[i].got,
			    (unsigned long long)t[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

#define TABLE(t)	check_table(t, sizeof(t) / sizeof(t[0]))

static void test_statuses(void **state) { (void)state; TABLE(statuses); }
static void test_buffers(void **state) { (void)state; TABLE(buffers); }
static void test_creds(void **state) { (void)state; TABLE(creds); }
static void test_pkgflags(void **state) { (void)state; TABLE(pkgflags); }
static void test_isc(void **state) { (void)state; TABLE(isc); }
static void test_asc(void **state) { (void)state; TABLE(asc); }
static void test_attrs(void **state) { (void)state; TABLE(attrs); }

/* SECURITY_STATUS is a signed 32-bit value: errors are negative. */
static void
test_status_type(void **state)
{
	(void)state;
	assert_int_equal(sizeof(SECURITY_STATUS), 4);
	assert_true(SEC_E_INVALID_HANDLE < 0);
	assert_true(SEC_I_CONTINUE_NEEDED > 0);
	assert_true(SECCTX_FAILED(SEC_E_INCOMPLETE_MESSAGE));
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(UNISP_NAME_A,
	    "Microsoft Unified Security Protocol Provider");
	assert_string_equal(SCHANNEL_NAME_A, "Schannel");
	assert_int_equal(wcscmp(UNISP_NAME_W,
	    L"Microsoft Unified Security Protocol Provider"), 0);
	assert_int_equal(wcscmp(SCHANNEL_NAME_W, L"Schannel"), 0);
#ifndef UNICODE
	assert_string_equal(UNISP_NAME, UNISP_NAME_A);
	assert_true(sizeof(SecPkgInfo) == sizeof(SecPkgInfoA));
#endif
}

/* The integer types have their Windows widths (LONG is 32-bit on Windows). */
static void
test_base_types(void **state)
{
	(void)state;
	assert_int_equal(sizeof(ULONG), 4);
	assert_int_equal(sizeof(LONG), 4);
	assert_int_equal(sizeof(DWORD), 4);
	assert_int_equal(sizeof(WORD), 2);
	assert_int_equal(sizeof(USHORT), 2);
	assert_int_equal(sizeof(BYTE), 1);
	assert_int_equal(sizeof(ALG_ID), 4);
	assert_int_equal(sizeof(ULONG_PTR), sizeof(void *));
	assert_true((LONG)-1 < 0);
	assert_true((ULONG)-1 > 0);
}

#define OFF(type, member, want) \
	assert_int_equal(offsetof(type, member), (want))

/*
 * Layouts on LP64, as a Windows x64 compiler lays the same members out
 * (32-bit ULONG, 8-byte pointers aligned to 8).
 */
static void
test_layouts(void **state)
{
	(void)state;
	assert_int_equal(sizeof(void *), 8);

	assert_int_equal(sizeof(SecHandle), 16);
	OFF(SecHandle, dwLower, 0);
	OFF(SecHandle, dwUpper, 8);
	assert_int_equal(sizeof(CredHandle), 16);
	assert_int_equal(sizeof(CtxtHandle), 16);

	assert_int_equal(sizeof(TimeStamp), 8);
	OFF(SECURITY_INTEGER, LowPart, 0);
	OFF(SECURITY_INTEGER, HighPart, 4);

	assert_int_equal(sizeof(SecBuffer), 16);
	OFF(SecBuffer, cbBuffer, 0);
	OFF(SecBuffer, BufferType, 4);
	OFF(SecBuffer, pvBuffer, 8);

	assert_int_equal(sizeof(SecBufferDesc), 16);
	OFF(SecBufferDesc, ulVersion, 0);
	OFF(SecBufferDesc, cBuffers, 4);
	OFF(SecBufferDesc, pBuffers, 8);

	assert_int_equal(sizeof(SecPkgInfoA), 32);
	OFF(SecPkgInfoA, fCapabilities, 0);
	OFF(SecPkgInfoA, wVersion, 4);
	OFF(SecPkgInfoA, wRPCID, 6);
	OFF(SecPkgInfoA, cbMaxToken, 8);
	OFF(SecPkgInfoA, Name, 16);
	OFF(SecPkgInfoA, Comment, 24);
	assert_int_equal(sizeof(SecPkgInfoW), 32);

	assert_int_equal(sizeof(SecPkgContext_StreamSizes), 20);
	OFF(SecPkgContext_StreamSizes, cbHeader, 0);
	OFF(SecPkgContext_StreamSizes, cbTrailer, 4);
	OFF(SecPkgContext_StreamSizes, cbMaximumMessage, 8);
	OFF(SecPkgContext_StreamSizes, cBuffers, 12);
	OFF(SecPkgContext_StreamSizes, cbBlockSize, 16);

	assert_int_equal(sizeof(SecPkgContext_ConnectionInfo), 28);
	OFF(SecPkgContext_ConnectionInfo, dwProtocol, 0);
	OFF(SecPkgContext_ConnectionInfo, aiCipher, 4);
	OFF(SecPkgContext_ConnectionInfo, dwCipherStrength, 8);
	OFF(SecPkgContext_ConnectionInfo, aiHash, 12);
	OFF(SecPkgContext_ConnectionInfo, dwHashStrength, 16);
	OFF(SecPkgContext_ConnectionInfo, aiExch, 20);
	OFF(SecPkgContext_ConnectionInfo, dwExchStrength, 24);

	OFF(SecPkgContext_ApplicationProtocol, ProtoNegoStatus, 0);
	OFF(SecPkgContext_ApplicationProtocol, ProtoNegoExt, 4);
	OFF(SecPkgContext_ApplicationProtocol, ProtocolIdSize, 8);
	OFF(SecPkgContext_ApplicationProtocol, ProtocolId, 9);
	assert_int_equal(sizeof(SecPkgContext_ApplicationProtocol), 264);

	OFF(SEC_APPLICATION_PROTOCOL_LIST, ProtoNegoExt, 0);
	OFF(SEC_APPLICATION_PROTOCOL_LIST, ProtocolListSize, 4);
	OFF(SEC_APPLICATION_PROTOCOL_LIST, ProtocolList, 6);
	OFF(SEC_APPLICATION_PROTOCOLS, ProtocolListsSize, 0);
	OFF(SEC_APPLICATION_PROTOCOLS, ProtocolLists, 4);

	assert_int_equal(sizeof(SEC_CHANNEL_BINDINGS), 32);
	OFF(SEC_CHANNEL_BINDINGS, cbApplicationDataLength, 24);
	OFF(SEC_CHANNEL_BINDINGS, dwApplicationDataOffset, 28);
	assert_int_equal(sizeof(SecPkgContext_Bindings), 16);
	OFF(SecPkgContext_Bindings, Bindings, 8);

	assert_int_equal(sizeof(SecPkgContext_SessionInfo), 40);
	OFF(SecPkgContext_SessionInfo, cbSessionId, 4);
	OFF(SecPkgContext_SessionInfo, rgbSessionId, 8);

	assert_int_equal(sizeof(SecPkgContext_KeyingMaterialInfo), 40);
	OFF(SecPkgContext_KeyingMaterialInfo, cbLabel, 0);
	OFF(SecPkgContext_KeyingMaterialInfo, pszLabel, 8);
	OFF(SecPkgContext_KeyingMaterialInfo, cbContextValue, 16);
	OFF(SecPkgContext_KeyingMaterialInfo, pbContextValue, 24);
	OFF(SecPkgContext_KeyingMaterialInfo, cbKeyingMaterial, 32);
	assert_int_equal(sizeof(SecPkgContext_KeyingMaterial), 16);
	OFF(SecPkgContext_KeyingMaterial, pbKeyingMaterial, 8);

	OFF(CERT_CONTEXT, dwCertEncodingType, 0);
	OFF(CERT_CONTEXT, pbCertEncoded, 8);
	OFF(CERT_CONTEXT, cbCertEncoded, 16);
	OFF(CERT_CONTEXT, pCertInfo, 24);
	OFF(CERT_CONTEXT, hCertStore, 32);
	assert_int_equal(sizeof(CERT_CONTEXT), 40);
}

/* Member order of the credential descriptions, as documented. */
static void
test_cred_layouts(void **state)
{
	(void)state;
	OFF(SCHANNEL_CRED, dwVersion, 0);
	OFF(SCHANNEL_CRED, cCreds, 4);
	OFF(SCHANNEL_CRED, paCred, 8);
	OFF(SCHANNEL_CRED, hRootStore, 16);
	OFF(SCHANNEL_CRED, cMappers, 24);
	OFF(SCHANNEL_CRED, aphMappers, 32);
	OFF(SCHANNEL_CRED, cSupportedAlgs, 40);
	OFF(SCHANNEL_CRED, palgSupportedAlgs, 48);
	OFF(SCHANNEL_CRED, grbitEnabledProtocols, 56);
	OFF(SCHANNEL_CRED, dwMinimumCipherStrength, 60);
	OFF(SCHANNEL_CRED, dwMaximumCipherStrength, 64);
	OFF(SCHANNEL_CRED, dwSessionLifespan, 68);
	OFF(SCHANNEL_CRED, dwFlags, 72);
	OFF(SCHANNEL_CRED, dwCredFormat, 76);
	assert_int_equal(sizeof(SCHANNEL_CRED), 80);

	OFF(SCH_CREDENTIALS, dwVersion, 0);
	OFF(SCH_CREDENTIALS, dwCredFormat, 4);
	OFF(SCH_CREDENTIALS, cCreds, 8);
	OFF(SCH_CREDENTIALS, paCred, 16);
	OFF(SCH_CREDENTIALS, hRootStore, 24);
	OFF(SCH_CREDENTIALS, cMappers, 32);
	OFF(SCH_CREDENTIALS, aphMappers, 40);
	OFF(SCH_CREDENTIALS, dwSessionLifespan, 48);
	OFF(SCH_CREDENTIALS, dwFlags, 52);
	OFF(SCH_CREDENTIALS, cTlsParameters, 56);
	OFF(SCH_CREDENTIALS, pTlsParameters, 64);
	assert_int_equal(sizeof(SCH_CREDENTIALS), 72);

	OFF(TLS_PARAMETERS, cAlpnIds, 0);
	OFF(TLS_PARAMETERS, rgstrAlpnIds, 8);
	OFF(TLS_PARAMETERS, grbitDisabledProtocols, 16);
	OFF(TLS_PARAMETERS, cDisabledCrypto, 20);
	OFF(TLS_PARAMETERS, pDisabledCrypto, 24);
	OFF(TLS_PARAMETERS, dwFlags, 32);
	assert_int_equal(sizeof(TLS_PARAMETERS), 40);

	OFF(UNICODE_STRING, Length, 0);
	OFF(UNICODE_STRING, MaximumLength, 2);
	OFF(UNICODE_STRING, Buffer, 8);
	assert_int_equal(sizeof(UNICODE_STRING), 16);
}

/* The handle macros Windows programs use. */
static void
test_handle_macros(void **state)
{
	CtxtHandle	h = { 1, 2 };

	(void)state;
	assert_true(SecIsValidHandle(&h));
	SecInvalidateHandle(&h);
	assert_false(SecIsValidHandle(&h));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_creds),
		cmocka_unit_test(test_pkgflags),
		cmocka_unit_test(test_isc),
		cmocka_unit_test(test_asc),
		cmocka_unit_test(test_attrs),
		cmocka_unit_test(test_status_type),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_base_types),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_cred_layouts),
		cmocka_unit_test(test_handle_macros),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
