/*
 * secctx/sspi.h: the Windows SSPI / Schannel names, types and values.
 *
 * A program written for Windows Schannel includes this header in place of
 * <windows.h>, <sspi.h> and <schannel.h>.  Every constant has its Windows
 * name and numeric value; every structure has its Windows name and member
 * names, with member types chosen so that the layout is the one a 64-bit
 * Windows compiler produces wherever that makes sense on LP64 Linux:
 *
 *   Windows type      here             why
 *   ULONG, DWORD      uint32_t         Windows 'unsigned long' is 32-bit
 *   LONG              int32_t          Windows 'long' is 32-bit
 *   ULONG_PTR         uintptr_t        pointer-sized, as on Windows
 *   WORD, USHORT      uint16_t
 *   BYTE, UCHAR       uint8_t
 *   SEC_WCHAR, WCHAR  wchar_t          see below
 *
 * Wide characters.  SEC_WCHAR is wchar_t, which on Linux is 32 bits (UTF-32)
 * where Windows' is 16 bits (UTF-16).  wchar_t keeps Windows sources
 * compiling unchanged: L"..." literals, wcslen(), wcscmp() and UNISP_NAME_W
 * all have the type the W functions take.  char16_t would match the Windows
 * size but would make every L"" literal a type error.  The cost is that
 * wide strings are not byte-compatible with Windows ones; nothing in SSPI
 * puts a wide string on the wire.  As on Windows, the unsuffixed names (the
 * 'default macro' of each A/W pair) select the W form when UNICODE is
 * defined and the A form otherwise.
 *
 * Status codes.  SECURITY_STATUS is secctx_status, and the SEC_E_* / SEC_I_*
 * codes are the ones <secctx/status.h> defines (one definition of each code,
 * shared with the native API).
 *
 * Certificates and stores.  Schannel names certificates with CERT_CONTEXT
 * pointers and store handles.  secctx never takes a certificate or a path
 * from its caller: the daemon holds named credentials.  The certificate
 * fields of SCHANNEL_CRED and SCH_CREDENTIALS are kept so that Windows code
 * compiles, and how they map to daemon credentials is documented with the
 * functions that read them.  CERT_CONTEXT is declared for the certificates
 * secctx returns (SECPKG_ATTR_REMOTE_CERT_CONTEXT: the DER bytes in
 * pbCertEncoded; pCertInfo and hCertStore are NULL).
 *
 * The values were written from Microsoft's documentation (learn.microsoft.com:
 * SecBuffer, SCHANNEL_CRED, SCH_CREDENTIALS, QueryContextAttributes
 * (Schannel), InitializeSecurityContext / AcceptSecurityContext (Schannel))
 * and are checked one by one by tests/unit/test_sspi_values.c.
 */
#ifndef SECCTX_SSPI_H
#define SECCTX_SSPI_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include <secctx/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Basic Windows types ---------------------------------------------- */

typedef uint8_t		BYTE, UCHAR, *PBYTE, *PUCHAR;
typedef uint16_t	WORD, USHORT, *PWORD, *PUSHORT;
typedef uint32_t	ULONG, DWORD, *PULONG, *PDWORD;
typedef int32_t		LONG, *PLONG;
typedef uintptr_t	ULONG_PTR, *PULONG_PTR;
typedef void		VOID, *PVOID, *LPVOID;
typedef char		CHAR, *LPSTR;
typedef const char	*LPCSTR;
typedef wchar_t		WCHAR, *LPWSTR, *PWSTR;
typedef const wchar_t	*LPCWSTR;
typedef uint32_t	ALG_ID;
typedef void		*HCERTSTORE;
typedef int		BOOL;

#ifndef TRUE
#define TRUE	1
#define FALSE	0
#endif

#define SEC_ENTRY
#define SEC_FAR

typedef char		SEC_CHAR;
typedef wchar_t		SEC_WCHAR;

#ifndef ANYSIZE_ARRAY
#define ANYSIZE_ARRAY	1
#endif

/* ---- Status ------------------------------------------------------------- */

/* A 32-bit HRESULT-style code: the SEC_E_* and SEC_I_* of <secctx/status.h>. */
typedef secctx_status	SECURITY_STATUS;

/* As winerror.h: a signed 32-bit code, negative (high bit set) on failure. */
typedef LONG		HRESULT;

#ifndef SUCCEEDED
#define SUCCEEDED(hr)	(((HRESULT)(hr)) >= 0)
#endif
#ifndef FAILED
#define FAILED(hr)	(((HRESULT)(hr)) < 0)
#endif

/* ---- Handles and times -------------------------------------------------- */

typedef struct _SecHandle {
	ULONG_PTR	dwLower;
	ULONG_PTR	dwUpper;
} SecHandle, *PSecHandle;

typedef SecHandle	CredHandle, *PCredHandle;
typedef SecHandle	CtxtHandle, *PCtxtHandle;

#define SecInvalidateHandle(x) \
	((PSecHandle)(x))->dwLower = ((PSecHandle)(x))->dwUpper = ((ULONG_PTR)((intptr_t)-1))
#define SecIsValidHandle(x) \
	((((PSecHandle)(x))->dwLower != ((ULONG_PTR)((intptr_t)-1))) && \
	 (((PSecHandle)(x))->dwUpper != ((ULONG_PTR)((intptr_t)-1))))

/* A 64-bit FILETIME-like count of 100 ns units, split as on Windows. */
typedef struct _SECURITY_INTEGER {
	ULONG	LowPart;
	LONG	HighPart;
} SECURITY_INTEGER, *PSECURITY_INTEGER;

typedef SECURITY_INTEGER	TimeStamp, *PTimeStamp;

/* ---- Buffers ------------------------------------------------------------ */

typedef struct _SecBuffer {
	ULONG	cbBuffer;	/* size of pvBuffer, or a count (EXTRA, MISSING) */
	ULONG	BufferType;	/* SECBUFFER_* */
	void	*pvBuffer;
} SecBuffer, *PSecBuffer;

typedef struct _SecBufferDesc {
	ULONG		ulVersion;	/* SECBUFFER_VERSION */
	ULONG		cBuffers;
	PSecBuffer	pBuffers;
} SecBufferDesc, *PSecBufferDesc;

#define SECBUFFER_VERSION			0

#define SECBUFFER_EMPTY				0
#define SECBUFFER_DATA				1
#define SECBUFFER_TOKEN				2
#define SECBUFFER_PKG_PARAMS			3
#define SECBUFFER_MISSING			4
#define SECBUFFER_EXTRA				5
#define SECBUFFER_STREAM_TRAILER		6
#define SECBUFFER_STREAM_HEADER			7
#define SECBUFFER_ALERT				17
#define SECBUFFER_APPLICATION_PROTOCOLS		18

/* Attribute bits or'ed into BufferType. */
#define SECBUFFER_ATTRMASK			0xF0000000u
#define SECBUFFER_READONLY			0x80000000u
#define SECBUFFER_READONLY_WITH_CHECKSUM	0x10000000u

/* Data representation argument of Initialize/AcceptSecurityContext. */
#define SECURITY_NATIVE_DREP			0x00000010
#define SECURITY_NETWORK_DREP			0x00000000

/* ---- Packages ----------------------------------------------------------- */

#define UNISP_NAME_A	"Microsoft Unified Security Protocol Provider"
#define UNISP_NAME_W	L"Microsoft Unified Security Protocol Provider"
#define SCHANNEL_NAME_A	"Schannel"
#define SCHANNEL_NAME_W	L"Schannel"

#ifdef UNICODE
#define UNISP_NAME	UNISP_NAME_W
#define SCHANNEL_NAME	SCHANNEL_NAME_W
#else
#define UNISP_NAME	UNISP_NAME_A
#define SCHANNEL_NAME	SCHANNEL_NAME_A
#endif

/* wRPCID of the Schannel package. */
#define UNISP_RPC_ID	14

typedef struct _SecPkgInfoA {
	ULONG		fCapabilities;	/* SECPKG_FLAG_* */
	USHORT		wVersion;
	USHORT		wRPCID;
	ULONG		cbMaxToken;
	SEC_CHAR	*Name;
	SEC_CHAR	*Comment;
} SecPkgInfoA, *PSecPkgInfoA;

typedef struct _SecPkgInfoW {
	ULONG		fCapabilities;
	USHORT		wVersion;
	USHORT		wRPCID;
	ULONG		cbMaxToken;
	SEC_WCHAR	*Name;
	SEC_WCHAR	*Comment;
} SecPkgInfoW, *PSecPkgInfoW;

#ifdef UNICODE
typedef SecPkgInfoW	SecPkgInfo, *PSecPkgInfo;
#else
typedef SecPkgInfoA	SecPkgInfo, *PSecPkgInfo;
#endif

/* SecPkgInfo.fCapabilities bits that describe Schannel. */
#define SECPKG_FLAG_INTEGRITY		0x00000001
#define SECPKG_FLAG_PRIVACY		0x00000002
#define SECPKG_FLAG_TOKEN_ONLY		0x00000004
#define SECPKG_FLAG_DATAGRAM		0x00000008
#define SECPKG_FLAG_CONNECTION		0x00000010
#define SECPKG_FLAG_MULTI_REQUIRED	0x00000020
#define SECPKG_FLAG_CLIENT_ONLY		0x00000040
#define SECPKG_FLAG_EXTENDED_ERROR	0x00000080
#define SECPKG_FLAG_IMPERSONATION	0x00000100
#define SECPKG_FLAG_ACCEPT_WIN32_NAME	0x00000200
#define SECPKG_FLAG_STREAM		0x00000400
#define SECPKG_FLAG_MUTUAL_AUTH		0x00010000

/* ---- Credentials -------------------------------------------------------- */

/* fCredentialUse of AcquireCredentialsHandle. */
#define SECPKG_CRED_INBOUND		0x00000001
#define SECPKG_CRED_OUTBOUND		0x00000002
#define SECPKG_CRED_BOTH		0x00000003

/* Protocol bits: SCHANNEL_CRED.grbitEnabledProtocols,
   TLS_PARAMETERS.grbitDisabledProtocols, ConnectionInfo.dwProtocol. */
#define SP_PROT_NONE			0x00000000
#define SP_PROT_SSL2_SERVER		0x00000004
#define SP_PROT_SSL2_CLIENT		0x00000008
#define SP_PROT_SSL2			(SP_PROT_SSL2_SERVER | SP_PROT_SSL2_CLIENT)
#define SP_PROT_SSL3_SERVER		0x00000010
#define SP_PROT_SSL3_CLIENT		0x00000020
#define SP_PROT_SSL3			(SP_PROT_SSL3_SERVER | SP_PROT_SSL3_CLIENT)
#define SP_PROT_TLS1_SERVER		0x00000040
#define SP_PROT_TLS1_CLIENT		0x00000080
#define SP_PROT_TLS1			(SP_PROT_TLS1_SERVER | SP_PROT_TLS1_CLIENT)
#define SP_PROT_TLS1_0_SERVER		SP_PROT_TLS1_SERVER
#define SP_PROT_TLS1_0_CLIENT		SP_PROT_TLS1_CLIENT
#define SP_PROT_TLS1_0			(SP_PROT_TLS1_0_SERVER | SP_PROT_TLS1_0_CLIENT)
#define SP_PROT_TLS1_1_SERVER		0x00000100
#define SP_PROT_TLS1_1_CLIENT		0x00000200
#define SP_PROT_TLS1_1			(SP_PROT_TLS1_1_SERVER | SP_PROT_TLS1_1_CLIENT)
#define SP_PROT_TLS1_2_SERVER		0x00000400
#define SP_PROT_TLS1_2_CLIENT		0x00000800
#define SP_PROT_TLS1_2			(SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_2_CLIENT)
#define SP_PROT_TLS1_3_SERVER		0x00001000
#define SP_PROT_TLS1_3_CLIENT		0x00002000
#define SP_PROT_TLS1_3			(SP_PROT_TLS1_3_SERVER | SP_PROT_TLS1_3_CLIENT)

/* The rest of the SDK's protocol bits and their unions (schannel.h).  Only
   TLS 1.2 and 1.3 are ever enabled; the others name what is refused. */
#define SP_PROT_PCT1_SERVER	0x00000001
#define SP_PROT_PCT1_CLIENT	0x00000002
#define SP_PROT_PCT1		(SP_PROT_PCT1_SERVER | SP_PROT_PCT1_CLIENT)
#define SP_PROT_DTLS_SERVER	0x00010000
#define SP_PROT_DTLS_CLIENT	0x00020000
#define SP_PROT_DTLS		(SP_PROT_DTLS_SERVER | SP_PROT_DTLS_CLIENT)
#define SP_PROT_DTLS1_0_SERVER	SP_PROT_DTLS_SERVER
#define SP_PROT_DTLS1_0_CLIENT	SP_PROT_DTLS_CLIENT
#define SP_PROT_DTLS1_0		(SP_PROT_DTLS1_0_SERVER | \
	SP_PROT_DTLS1_0_CLIENT)
#define SP_PROT_DTLS1_2_SERVER	0x00040000
#define SP_PROT_DTLS1_2_CLIENT	0x00080000
#define SP_PROT_DTLS1_2		(SP_PROT_DTLS1_2_SERVER | \
	SP_PROT_DTLS1_2_CLIENT)
#define SP_PROT_DTLS1_X_SERVER	(SP_PROT_DTLS1_0_SERVER | \
	SP_PROT_DTLS1_2_SERVER)
#define SP_PROT_DTLS1_X_CLIENT	(SP_PROT_DTLS1_0_CLIENT | \
	SP_PROT_DTLS1_2_CLIENT)
#define SP_PROT_DTLS1_X		(SP_PROT_DTLS1_X_SERVER | \
	SP_PROT_DTLS1_X_CLIENT)
#define SP_PROT_UNI_SERVER	0x40000000
#define SP_PROT_UNI_CLIENT	0x80000000
#define SP_PROT_UNI		(SP_PROT_UNI_SERVER | SP_PROT_UNI_CLIENT)
#define SP_PROT_ALL		0xffffffff
#define SP_PROT_SSL3TLS1_CLIENTS	(SP_PROT_TLS1_CLIENT | \
	SP_PROT_SSL3_CLIENT)
#define SP_PROT_SSL3TLS1_SERVERS	(SP_PROT_TLS1_SERVER | \
	SP_PROT_SSL3_SERVER)
#define SP_PROT_SSL3TLS1	(SP_PROT_SSL3 | SP_PROT_TLS1)
#define SP_PROT_CLIENTS		(SP_PROT_PCT1_CLIENT | SP_PROT_SSL2_CLIENT | \
	SP_PROT_SSL3_CLIENT | SP_PROT_UNI_CLIENT | SP_PROT_TLS1_CLIENT)
#define SP_PROT_SERVERS		(SP_PROT_PCT1_SERVER | SP_PROT_SSL2_SERVER | \
	SP_PROT_SSL3_SERVER | SP_PROT_UNI_SERVER | SP_PROT_TLS1_SERVER)
#define SP_PROT_TLS1_1PLUS_SERVER	(SP_PROT_TLS1_1_SERVER | \
	SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_3_SERVER)
#define SP_PROT_TLS1_1PLUS_CLIENT	(SP_PROT_TLS1_1_CLIENT | \
	SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT)
#define SP_PROT_TLS1_1PLUS	(SP_PROT_TLS1_1PLUS_SERVER | \
	SP_PROT_TLS1_1PLUS_CLIENT)
#define SP_PROT_TLS1_3PLUS_SERVER	SP_PROT_TLS1_3_SERVER
#define SP_PROT_TLS1_3PLUS_CLIENT	SP_PROT_TLS1_3_CLIENT
#define SP_PROT_TLS1_3PLUS	(SP_PROT_TLS1_3PLUS_SERVER | \
	SP_PROT_TLS1_3PLUS_CLIENT)
#define SP_PROT_TLS1_X_SERVER	(SP_PROT_TLS1_0_SERVER | \
	SP_PROT_TLS1_1_SERVER | SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_3_SERVER)
#define SP_PROT_TLS1_X_CLIENT	(SP_PROT_TLS1_0_CLIENT | \
	SP_PROT_TLS1_1_CLIENT | SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT)
#define SP_PROT_TLS1_X		(SP_PROT_TLS1_X_SERVER | SP_PROT_TLS1_X_CLIENT)
#define SP_PROT_SSL3TLS1_X_CLIENTS	(SP_PROT_TLS1_X_CLIENT | \
	SP_PROT_SSL3_CLIENT)
#define SP_PROT_SSL3TLS1_X_SERVERS	(SP_PROT_TLS1_X_SERVER | \
	SP_PROT_SSL3_SERVER)
#define SP_PROT_SSL3TLS1_X	(SP_PROT_SSL3 | SP_PROT_TLS1_X)
#define SP_PROT_X_CLIENTS	(SP_PROT_CLIENTS | SP_PROT_TLS1_X_CLIENT | \
	SP_PROT_DTLS1_X_CLIENT)
#define SP_PROT_X_SERVERS	(SP_PROT_SERVERS | SP_PROT_TLS1_X_SERVER | \
	SP_PROT_DTLS1_X_SERVER)

/* SCHANNEL_CRED.dwFlags and SCH_CREDENTIALS.dwFlags. */
#define SCH_CRED_NO_SYSTEM_MAPPER			0x00000002
#define SCH_CRED_NO_SERVERNAME_CHECK			0x00000004
#define SCH_CRED_MANUAL_CRED_VALIDATION			0x00000008
#define SCH_CRED_NO_DEFAULT_CREDS			0x00000010
#define SCH_CRED_AUTO_CRED_VALIDATION			0x00000020
#define SCH_CRED_USE_DEFAULT_CREDS			0x00000040
#define SCH_CRED_DISABLE_RECONNECTS			0x00000080
#define SCH_CRED_REVOCATION_CHECK_END_CERT		0x00000100
#define SCH_CRED_REVOCATION_CHECK_CHAIN			0x00000200
#define SCH_CRED_REVOCATION_CHECK_CHAIN_EXCLUDE_ROOT	0x00000400
#define SCH_CRED_IGNORE_NO_REVOCATION_CHECK		0x00000800
#define SCH_CRED_IGNORE_REVOCATION_OFFLINE		0x00001000
#define SCH_CRED_RESTRICTED_ROOTS			0x00002000
#define SCH_CRED_REVOCATION_CHECK_CACHE_ONLY		0x00004000
#define SCH_CRED_CACHE_ONLY_URL_RETRIEVAL		0x00008000
#define SCH_CRED_MEMORY_STORE_CERT			0x00010000
#define SCH_CRED_CACHE_ONLY_URL_RETRIEVAL_ON_CREATE	0x00020000
#define SCH_SEND_ROOT_CERT				0x00040000
#define SCH_CRED_SNI_CREDENTIAL				0x00080000
#define SCH_CRED_SNI_ENABLE_OCSP			0x00100000
#define SCH_SEND_AUX_RECORD				0x00200000
#define SCH_USE_STRONG_CRYPTO				0x00400000

/* dwCredFormat. */
#define SCH_CRED_FORMAT_CERT_CONTEXT	0x00000000
#define SCH_CRED_FORMAT_CERT_HASH	0x00000001
#define SCH_CRED_FORMAT_CERT_HASH_STORE	0x00000002

#define SCHANNEL_CRED_VERSION		0x00000004
#define SCH_CREDENTIALS_VERSION		0x00000005

#define SCH_CRED_MAX_SUPPORTED_ALPN_IDS		16
#define SCH_CRED_MAX_SUPPORTED_CRYPTO_SETTINGS	16

/* A certificate, as Schannel hands one out: here the DER bytes only. */
#define X509_ASN_ENCODING	0x00000001
#define PKCS_7_ASN_ENCODING	0x00010000

struct _CERT_INFO;	/* never filled in by secctx */

typedef struct _CERT_CONTEXT {
	DWORD			dwCertEncodingType;	/* X509_ASN_ENCODING */
	BYTE			*pbCertEncoded;		/* DER */
	DWORD			cbCertEncoded;
	struct _CERT_INFO	*pCertInfo;		/* NULL */
	HCERTSTORE		hCertStore;		/* NULL */
} CERT_CONTEXT, *PCERT_CONTEXT;
typedef const CERT_CONTEXT	*PCCERT_CONTEXT;

struct _HMAPPER;	/* reserved by Windows; cMappers must be 0 */

/*
 * The legacy credential description (dwVersion = SCHANNEL_CRED_VERSION).
 * secctx reads dwVersion, grbitEnabledProtocols, dwFlags and the
 * certificate fields; the cipher-suite and mapper fields must be zero.
 */
typedef struct _SCHANNEL_CRED {
	DWORD			dwVersion;
	DWORD			cCreds;
	PCCERT_CONTEXT		*paCred;
	HCERTSTORE		hRootStore;
	DWORD			cMappers;
	struct _HMAPPER		**aphMappers;
	DWORD			cSupportedAlgs;
	ALG_ID			*palgSupportedAlgs;
	DWORD			grbitEnabledProtocols;	/* SP_PROT_*; 0: default */
	DWORD			dwMinimumCipherStrength;
	DWORD			dwMaximumCipherStrength;
	DWORD			dwSessionLifespan;
	DWORD			dwFlags;		/* SCH_CRED_* */
	DWORD			dwCredFormat;
} SCHANNEL_CRED, *PSCHANNEL_CRED;

/* A counted wide string, as TLS_PARAMETERS uses for ALPN ids. */
typedef struct _UNICODE_STRING {
	USHORT	Length;		/* bytes, without a terminator */
	USHORT	MaximumLength;
	PWSTR	Buffer;
} UNICODE_STRING, *PUNICODE_STRING;

typedef enum _eTlsAlgorithmUsage {
	TlsParametersCngAlgUsageKeyExchange,
	TlsParametersCngAlgUsageSignature,
	TlsParametersCngAlgUsageCipher,
	TlsParametersCngAlgUsageDigest,
	TlsParametersCngAlgUsageCertSig
} eTlsAlgorithmUsage;

typedef struct _CRYPTO_SETTINGS {
	eTlsAlgorithmUsage	eAlgorithmUsage;
	UNICODE_STRING		strCngAlgId;
	DWORD			cChainingModes;
	PUNICODE_STRING		rgstrChainingModes;
	DWORD			dwMinBitLength;
	DWORD			dwMaxBitLength;
} CRYPTO_SETTINGS, *PCRYPTO_SETTINGS;

#define TLS_PARAMS_OPTIONAL	0x00000001

/* Restrictions of an SCH_CREDENTIALS; secctx honours grbitDisabledProtocols. */
typedef struct _TLS_PARAMETERS {
	DWORD			cAlpnIds;
	PUNICODE_STRING		rgstrAlpnIds;
	DWORD			grbitDisabledProtocols;	/* SP_PROT_* */
	DWORD			cDisabledCrypto;
	PCRYPTO_SETTINGS	pDisabledCrypto;
	DWORD			dwFlags;
} TLS_PARAMETERS, *PTLS_PARAMETERS;

/* The current credential description (dwVersion = SCH_CREDENTIALS_VERSION). */
typedef struct _SCH_CREDENTIALS {
	DWORD			dwVersion;
	DWORD			dwCredFormat;
	DWORD			cCreds;
	PCCERT_CONTEXT		*paCred;
	HCERTSTORE		hRootStore;
	DWORD			cMappers;
	struct _HMAPPER		**aphMappers;
	DWORD			dwSessionLifespan;
	DWORD			dwFlags;		/* SCH_CRED_* */
	DWORD			cTlsParameters;
	PTLS_PARAMETERS		pTlsParameters;
} SCH_CREDENTIALS, *PSCH_CREDENTIALS;

/* ---- QueryCredentialsAttributes ----------------------------------------- */

#define SECPKG_CRED_ATTR_NAMES			1
#define SECPKG_ATTR_SUPPORTED_PROTOCOLS		0x58

/* SECPKG_ATTR_SUPPORTED_PROTOCOLS: SP_PROT_* bits. */
typedef struct _SecPkgCred_SupportedProtocols {
	DWORD	grbitProtocol;
} SecPkgCred_SupportedProtocols, *PSecPkgCred_SupportedProtocols;

/* SECPKG_CRED_ATTR_NAMES: sUserName is released with FreeContextBuffer. */
typedef struct _SecPkgCredentials_NamesA {
	SEC_CHAR	*sUserName;
} SecPkgCredentials_NamesA, *PSecPkgCredentials_NamesA;

typedef struct _SecPkgCredentials_NamesW {
	SEC_WCHAR	*sUserName;
} SecPkgCredentials_NamesW, *PSecPkgCredentials_NamesW;

#ifdef UNICODE
typedef SecPkgCredentials_NamesW	SecPkgCredentials_Names,
					*PSecPkgCredentials_Names;
#else
typedef SecPkgCredentials_NamesA	SecPkgCredentials_Names,
					*PSecPkgCredentials_Names;
#endif

/* ---- Context requirements and attributes -------------------------------- */

/* fContextReq of InitializeSecurityContext. */
#define ISC_REQ_DELEGATE		0x00000001
#define ISC_REQ_MUTUAL_AUTH		0x00000002
#define ISC_REQ_REPLAY_DETECT		0x00000004
#define ISC_REQ_SEQUENCE_DETECT		0x00000008
#define ISC_REQ_CONFIDENTIALITY		0x00000010
#define ISC_REQ_USE_SESSION_KEY		0x00000020
#define ISC_REQ_PROMPT_FOR_CREDS	0x00000040
#define ISC_REQ_USE_SUPPLIED_CREDS	0x00000080
#define ISC_REQ_ALLOCATE_MEMORY		0x00000100
#define ISC_REQ_USE_DCE_STYLE		0x00000200
#define ISC_REQ_DATAGRAM		0x00000400
#define ISC_REQ_CONNECTION		0x00000800
#define ISC_REQ_CALL_LEVEL		0x00001000
#define ISC_REQ_FRAGMENT_SUPPLIED	0x00002000
#define ISC_REQ_EXTENDED_ERROR		0x00004000
#define ISC_REQ_STREAM			0x00008000
#define ISC_REQ_INTEGRITY		0x00010000
#define ISC_REQ_IDENTIFY		0x00020000
#define ISC_REQ_NULL_SESSION		0x00040000
#define ISC_REQ_MANUAL_CRED_VALIDATION	0x00080000
#define ISC_REQ_RESERVED1		0x00100000
#define ISC_REQ_FRAGMENT_TO_FIT		0x00200000
#define ISC_REQ_FORWARD_CREDENTIALS	0x00400000
#define ISC_REQ_NO_INTEGRITY		0x00800000
#define ISC_REQ_USE_HTTP_STYLE		0x01000000
#define ISC_REQ_UNVERIFIED_TARGET_NAME	0x20000000
#define ISC_REQ_CONFIDENTIALITY_ONLY	0x40000000

/* *pfContextAttr of InitializeSecurityContext. */
#define ISC_RET_DELEGATE		0x00000001
#define ISC_RET_MUTUAL_AUTH		0x00000002
#define ISC_RET_REPLAY_DETECT		0x00000004
#define ISC_RET_SEQUENCE_DETECT		0x00000008
#define ISC_RET_CONFIDENTIALITY		0x00000010
#define ISC_RET_USE_SESSION_KEY		0x00000020
#define ISC_RET_USED_COLLECTED_CREDS	0x00000040
#define ISC_RET_USED_SUPPLIED_CREDS	0x00000080
#define ISC_RET_ALLOCATED_MEMORY	0x00000100
#define ISC_RET_USED_DCE_STYLE		0x00000200
#define ISC_RET_DATAGRAM		0x00000400
#define ISC_RET_CONNECTION		0x00000800
#define ISC_RET_INTERMEDIATE_RETURN	0x00001000
#define ISC_RET_CALL_LEVEL		0x00002000
#define ISC_RET_EXTENDED_ERROR		0x00004000
#define ISC_RET_STREAM			0x00008000
#define ISC_RET_INTEGRITY		0x00010000
#define ISC_RET_IDENTIFY		0x00020000
#define ISC_RET_NULL_SESSION		0x00040000
#define ISC_RET_MANUAL_CRED_VALIDATION	0x00080000
#define ISC_RET_RESERVED1		0x00100000
#define ISC_RET_FRAGMENT_ONLY		0x00200000
#define ISC_RET_FORWARD_CREDENTIALS	0x00400000
#define ISC_RET_USED_HTTP_STYLE		0x01000000
#define ISC_RET_NO_ADDITIONAL_TOKEN	0x02000000
#define ISC_RET_REAUTHENTICATION	0x08000000
#define ISC_RET_CONFIDENTIALITY_ONLY	0x40000000

/* fContextReq of AcceptSecurityContext. */
#define ASC_REQ_DELEGATE		0x00000001
#define ASC_REQ_MUTUAL_AUTH		0x00000002
#define ASC_REQ_REPLAY_DETECT		0x00000004
#define ASC_REQ_SEQUENCE_DETECT		0x00000008
#define ASC_REQ_CONFIDENTIALITY		0x00000010
#define ASC_REQ_USE_SESSION_KEY		0x00000020
#define ASC_REQ_SESSION_TICKET		0x00000040
#define ASC_REQ_ALLOCATE_MEMORY		0x00000100
#define ASC_REQ_USE_DCE_STYLE		0x00000200
#define ASC_REQ_DATAGRAM		0x00000400
#define ASC_REQ_CONNECTION		0x00000800
#define ASC_REQ_CALL_LEVEL		0x00001000
#define ASC_REQ_FRAGMENT_SUPPLIED	0x00002000
#define ASC_REQ_EXTENDED_ERROR		0x00008000
#define ASC_REQ_STREAM			0x00010000
#define ASC_REQ_INTEGRITY		0x00020000
#define ASC_REQ_LICENSING		0x00040000
#define ASC_REQ_IDENTIFY		0x00080000
#define ASC_REQ_ALLOW_NULL_SESSION	0x00100000
#define ASC_REQ_ALLOW_NON_USER_LOGONS	0x00200000
#define ASC_REQ_ALLOW_CONTEXT_REPLAY	0x00400000
#define ASC_REQ_FRAGMENT_TO_FIT		0x00800000
#define ASC_REQ_NO_TOKEN		0x01000000
#define ASC_REQ_PROXY_BINDINGS		0x04000000
#define ASC_REQ_ALLOW_MISSING_BINDINGS	0x10000000

/* *pfContextAttr of AcceptSecurityContext. */
#define ASC_RET_DELEGATE		0x00000001
#define ASC_RET_MUTUAL_AUTH		0x00000002
#define ASC_RET_REPLAY_DETECT		0x00000004
#define ASC_RET_SEQUENCE_DETECT		0x00000008
#define ASC_RET_CONFIDENTIALITY		0x00000010
#define ASC_RET_USE_SESSION_KEY		0x00000020
#define ASC_RET_SESSION_TICKET		0x00000040
#define ASC_RET_ALLOCATED_MEMORY	0x00000100
#define ASC_RET_USED_DCE_STYLE		0x00000200
#define ASC_RET_DATAGRAM		0x00000400
#define ASC_RET_CONNECTION		0x00000800
#define ASC_RET_CALL_LEVEL		0x00002000
#define ASC_RET_THIRD_LEG_FAILED	0x00004000
#define ASC_RET_EXTENDED_ERROR		0x00008000
#define ASC_RET_STREAM			0x00010000
#define ASC_RET_INTEGRITY		0x00020000
#define ASC_RET_LICENSING		0x00040000
#define ASC_RET_IDENTIFY		0x00080000
#define ASC_RET_NULL_SESSION		0x00100000
#define ASC_RET_ALLOW_NON_USER_LOGONS	0x00200000
#define ASC_RET_ALLOW_CONTEXT_REPLAY	0x00400000
#define ASC_RET_FRAGMENT_ONLY		0x00800000
#define ASC_RET_NO_TOKEN		0x01000000
#define ASC_RET_NO_ADDITIONAL_TOKEN	0x02000000

/* ---- ApplyControlToken -------------------------------------------------- */

/* dwTokenType of SCHANNEL_SHUTDOWN and friends (first DWORD of the token). */
#define SCHANNEL_RENEGOTIATE	0
#define SCHANNEL_SHUTDOWN	1
#define SCHANNEL_ALERT		2
#define SCHANNEL_SESSION	3

/* ApplyControlToken(SCHANNEL_ALERT): the alert the next
   InitializeSecurityContext or AcceptSecurityContext sends. */
typedef struct _SCHANNEL_ALERT_TOKEN {
	DWORD	dwTokenType;	/* SCHANNEL_ALERT */
	DWORD	dwAlertType;	/* TLS1_ALERT_WARNING or TLS1_ALERT_FATAL */
	DWORD	dwAlertNumber;	/* TLS1_ALERT_* */
} SCHANNEL_ALERT_TOKEN;

#define TLS1_ALERT_WARNING		1
#define TLS1_ALERT_FATAL		2

/* The alert descriptions, as the SDK spells them (INSUFFIENT included). */
#define TLS1_ALERT_CLOSE_NOTIFY		0
#define TLS1_ALERT_UNEXPECTED_MESSAGE	10
#define TLS1_ALERT_BAD_RECORD_MAC	20
#define TLS1_ALERT_DECRYPTION_FAILED	21
#define TLS1_ALERT_RECORD_OVERFLOW	22
#define TLS1_ALERT_DECOMPRESSION_FAIL	30
#define TLS1_ALERT_HANDSHAKE_FAILURE	40
#define TLS1_ALERT_BAD_CERTIFICATE	42
#define TLS1_ALERT_UNSUPPORTED_CERT	43
#define TLS1_ALERT_CERTIFICATE_REVOKED	44
#define TLS1_ALERT_CERTIFICATE_EXPIRED	45
#define TLS1_ALERT_CERTIFICATE_UNKNOWN	46
#define TLS1_ALERT_ILLEGAL_PARAMETER	47
#define TLS1_ALERT_UNKNOWN_CA		48
#define TLS1_ALERT_ACCESS_DENIED	49
#define TLS1_ALERT_DECODE_ERROR		50
#define TLS1_ALERT_DECRYPT_ERROR	51
#define TLS1_ALERT_EXPORT_RESTRICTION	60
#define TLS1_ALERT_PROTOCOL_VERSION	70
#define TLS1_ALERT_INSUFFIENT_SECURITY	71
#define TLS1_ALERT_INTERNAL_ERROR	80
#define TLS1_ALERT_USER_CANCELED	90
#define TLS1_ALERT_NO_RENEGOTIATION	100
#define TLS1_ALERT_UNSUPPORTED_EXT	110
#define TLS1_ALERT_UNKNOWN_PSK_IDENTITY	115
#define TLS1_ALERT_NO_APP_PROTOCOL	120

/* ---- EncryptMessage / DecryptMessage ------------------------------------ */

/* *pfQOP of DecryptMessage: the message was not encrypted. */
#define SECQOP_WRAP_NO_ENCRYPT	0x80000001
/* fQOP of EncryptMessage: send an alert (not supported by secctx). */
#define SECQOP_WRAP_OOB_DATA	0x40000000

/* ---- QueryContextAttributes --------------------------------------------- */

/* The ALG_IDs SECPKG_ATTR_CONNECTION_INFO reports. */
#define CALG_AES_128		0x0000660e
#define CALG_AES_256		0x00006610
#define CALG_SHA_256		0x0000800c
#define CALG_SHA_384		0x0000800d
#define CALG_RSA_KEYX		0x0000a400
#define CALG_DH_EPHEM		0x0000aa02
#define CALG_ECDH_EPHEM		0x0000ae06

#define SECPKG_ATTR_SIZES			0
#define SECPKG_ATTR_STREAM_SIZES		4
#define SECPKG_ATTR_UNIQUE_BINDINGS		25
#define SECPKG_ATTR_ENDPOINT_BINDINGS		26
#define SECPKG_ATTR_APPLICATION_PROTOCOL	35
#define SECPKG_ATTR_REMOTE_CERT_CONTEXT		0x53
#define SECPKG_ATTR_LOCAL_CERT_CONTEXT		0x54
#define SECPKG_ATTR_CONNECTION_INFO		0x5a
#define SECPKG_ATTR_SESSION_INFO		0x5d
#define SECPKG_ATTR_KEYING_MATERIAL_INFO	0x6a
#define SECPKG_ATTR_KEYING_MATERIAL		0x6b

/* SECPKG_ATTR_STREAM_SIZES */
typedef struct _SecPkgContext_StreamSizes {
	ULONG	cbHeader;
	ULONG	cbTrailer;
	ULONG	cbMaximumMessage;
	ULONG	cBuffers;
	ULONG	cbBlockSize;
} SecPkgContext_StreamSizes, *PSecPkgContext_StreamSizes;

/* SECPKG_ATTR_CONNECTION_INFO; dwProtocol is one SP_PROT_* bit. */
typedef struct _SecPkgContext_ConnectionInfo {
	DWORD	dwProtocol;
	ALG_ID	aiCipher;
	DWORD	dwCipherStrength;
	ALG_ID	aiHash;
	DWORD	dwHashStrength;
	ALG_ID	aiExch;
	DWORD	dwExchStrength;
} SecPkgContext_ConnectionInfo, *PSecPkgContext_ConnectionInfo;

/* SECPKG_ATTR_APPLICATION_PROTOCOL and SECBUFFER_APPLICATION_PROTOCOLS. */
typedef enum _SEC_APPLICATION_PROTOCOL_NEGOTIATION_EXT {
	SecApplicationProtocolNegotiationExt_None = 0,
	SecApplicationProtocolNegotiationExt_NPN = 1,
	SecApplicationProtocolNegotiationExt_ALPN = 2
} SEC_APPLICATION_PROTOCOL_NEGOTIATION_EXT;

typedef enum _SEC_APPLICATION_PROTOCOL_NEGOTIATION_STATUS {
	SecApplicationProtocolNegotiationStatus_None = 0,
	SecApplicationProtocolNegotiationStatus_Success = 1,
	SecApplicationProtocolNegotiationStatus_SelectedClientOnly = 2
} SEC_APPLICATION_PROTOCOL_NEGOTIATION_STATUS;

#define MAX_PROTOCOL_ID_SIZE	0xff

typedef struct _SecPkgContext_ApplicationProtocol {
	SEC_APPLICATION_PROTOCOL_NEGOTIATION_STATUS	ProtoNegoStatus;
	SEC_APPLICATION_PROTOCOL_NEGOTIATION_EXT	ProtoNegoExt;
	UCHAR						ProtocolIdSize;
	UCHAR						ProtocolId[MAX_PROTOCOL_ID_SIZE];
} SecPkgContext_ApplicationProtocol, *PSecPkgContext_ApplicationProtocol;

/* One protocol list in a SECBUFFER_APPLICATION_PROTOCOLS buffer: the ALPN
   wire form (length-prefixed names), ProtocolListSize bytes of it. */
typedef struct _SEC_APPLICATION_PROTOCOL_LIST {
	SEC_APPLICATION_PROTOCOL_NEGOTIATION_EXT	ProtoNegoExt;
	USHORT						ProtocolListSize;
	UCHAR						ProtocolList[ANYSIZE_ARRAY];
} SEC_APPLICATION_PROTOCOL_LIST, *PSEC_APPLICATION_PROTOCOL_LIST;

typedef struct _SEC_APPLICATION_PROTOCOLS {
	ULONG				ProtocolListsSize;	/* bytes of ProtocolLists */
	SEC_APPLICATION_PROTOCOL_LIST	ProtocolLists[ANYSIZE_ARRAY];
} SEC_APPLICATION_PROTOCOLS, *PSEC_APPLICATION_PROTOCOLS;

/* SECPKG_ATTR_ENDPOINT_BINDINGS / UNIQUE_BINDINGS: Bindings points to a
   SEC_CHANNEL_BINDINGS followed by its application data (the binding,
   prefixed "tls-server-end-point:" or "tls-unique:"). Freed with
   FreeContextBuffer. */
typedef struct _SEC_CHANNEL_BINDINGS {
	ULONG	dwInitiatorAddrType;
	ULONG	cbInitiatorLength;
	ULONG	dwInitiatorOffset;
	ULONG	dwAcceptorAddrType;
	ULONG	cbAcceptorLength;
	ULONG	dwAcceptorOffset;
	ULONG	cbApplicationDataLength;
	ULONG	dwApplicationDataOffset;
} SEC_CHANNEL_BINDINGS, *PSEC_CHANNEL_BINDINGS;

typedef struct _SecPkgContext_Bindings {
	ULONG			BindingsLength;
	SEC_CHANNEL_BINDINGS	*Bindings;
} SecPkgContext_Bindings, *PSecPkgContext_Bindings;

/* SECPKG_ATTR_SESSION_INFO */
#define SSL_SESSION_RECONNECT	1

typedef struct _SecPkgContext_SessionInfo {
	DWORD	dwFlags;		/* SSL_SESSION_RECONNECT if resumed */
	DWORD	cbSessionId;
	BYTE	rgbSessionId[32];
} SecPkgContext_SessionInfo, *PSecPkgContext_SessionInfo;

/* SECPKG_ATTR_KEYING_MATERIAL_INFO (set with SetContextAttributes before
   the handshake) and SECPKG_ATTR_KEYING_MATERIAL (queried after it). */
typedef struct _SecPkgContext_KeyingMaterialInfo {
	WORD	cbLabel;		/* with the terminating NUL */
	LPSTR	pszLabel;
	WORD	cbContextValue;
	PBYTE	pbContextValue;
	DWORD	cbKeyingMaterial;
} SecPkgContext_KeyingMaterialInfo, *PSecPkgContext_KeyingMaterialInfo;

typedef struct _SecPkgContext_KeyingMaterial {
	DWORD	cbKeyingMaterial;
	PBYTE	pbKeyingMaterial;	/* FreeContextBuffer */
} SecPkgContext_KeyingMaterial, *PSecPkgContext_KeyingMaterial;

/* ---- Functions ---------------------------------------------------------- */

/*
 * The SSPI functions libsecctx provides, on top of the native secctx_*
 * API.  They behave as Microsoft documents them for Schannel; every
 * deliberate difference is listed in docs/sspi.md, and summarised here.
 *
 * AcquireCredentialsHandle: pszPackage is UNISP_NAME or SCHANNEL_NAME
 * (case-insensitive), else SEC_E_SECPKG_NOT_FOUND.  The credential is the
 * daemon credential named by pszPrincipal (ASCII); a NULL or empty
 * principal names "client" (SECPKG_CRED_OUTBOUND) or "server"
 * (SECPKG_CRED_INBOUND).  SECPKG_CRED_BOTH is SEC_E_UNSUPPORTED_FUNCTION.
 * pAuthData is NULL, an SCHANNEL_CRED or an SCH_CREDENTIALS (another
 * dwVersion is SEC_E_UNKNOWN_CREDENTIALS); its protocols are used (TLS 1.2
 * and 1.3; a set leaving neither is SEC_E_ALGORITHM_MISMATCH; DTLS alone is
 * SEC_E_UNSUPPORTED_FUNCTION, DTLS with TLS SEC_E_ALGORITHM_MISMATCH) and
 * its flags SCH_CRED_MANUAL_CRED_VALIDATION and SCH_CRED_NO_SERVERNAME_CHECK
 * (outbound: the handshake completes and the application validates the
 * server; the daemon's policy must allow it, else the first
 * InitializeSecurityContext is SEC_E_NOT_OWNER); the daemon's configuration
 * decides certificates, trust and revocation.
 * Non-zero cMappers or cSupportedAlgs are SEC_E_UNSUPPORTED_FUNCTION;
 * pvLogonId, pGetKeyFn and pvGetKeyArgument must be NULL.  Each credential
 * handle holds its own connection to the daemon ($SECCTX_SOCKET or
 * SECCTX_DEFAULT_SOCKET): SEC_E_NO_AUTHENTICATING_AUTHORITY when it cannot
 * be reached.
 *
 * FreeCredentialsHandle, DeleteSecurityContext: SEC_E_INVALID_HANDLE for a
 * handle that is not live.  Contexts hold their credential, so it may be
 * freed first.
 *
 * InitializeSecurityContext, AcceptSecurityContext: one handshake step.
 *  - Input: the first SECBUFFER_TOKEN of pInput (required except on a
 *    client's first call, else SEC_E_INVALID_TOKEN), and on the first call
 *    an optional SECBUFFER_APPLICATION_PROTOCOLS (ALPN list).  The first
 *    SECBUFFER_EMPTY after the token becomes SECBUFFER_EXTRA (trailing
 *    input bytes not consumed; pvBuffer points at them) or, with
 *    SEC_E_INCOMPLETE_MESSAGE, SECBUFFER_MISSING (bytes still needed).
 *  - Output: the first SECBUFFER_TOKEN of pOutput (required), allocated
 *    with ..._REQ_ALLOCATE_MEMORY (FreeContextBuffer), else copied into the
 *    caller's buffer (too small: SEC_E_INSUFFICIENT_MEMORY, and the context
 *    is dead).  On failure an alert for the peer goes into a SECBUFFER_ALERT
 *    output buffer when there is one, and into the token as well with
 *    ..._REQ_EXTENDED_ERROR.
 *  - pszTargetName: server name for SNI and the certificate check.
 *    ASC_REQ_MUTUAL_AUTH asks for a client certificate without requiring
 *    one.  *pfContextAttr: the requested bits TLS provides.
 *  - phNewContext receives the handle on the first call unless it fails.
 *    After an error the handle only answers DeleteSecurityContext.
 *  - On an established context: SEC_E_OK, our close_notify as the token
 *    after ApplyControlToken(SCHANNEL_SHUTDOWN), or else any bytes TLS must
 *    send before the next record; the input comes back as SECBUFFER_EXTRA.
 *
 * EncryptMessage: SECBUFFER_STREAM_HEADER, SECBUFFER_DATA (at most
 * cbMaximumMessage bytes) and SECBUFFER_STREAM_TRAILER buffers sized from
 * SECPKG_ATTR_STREAM_SIZES; one record, in place; send the cbBuffer bytes
 * of each, in that order.
 *
 * DecryptMessage: a SECBUFFER_DATA buffer with the received bytes and three
 * SECBUFFER_EMPTY buffers.  One record with data per call, in place: the
 * buffers become STREAM_HEADER, DATA, STREAM_TRAILER and EXTRA (the bytes
 * for the next call), or with SEC_E_INCOMPLETE_MESSAGE the first EMPTY one
 * SECBUFFER_MISSING.  SEC_E_OK with an empty DATA buffer for records
 * without data (TLS 1.3 tickets, KeyUpdate: handled by the daemon, never
 * SEC_I_RENEGOTIATE); SEC_I_CONTEXT_EXPIRED for the peer's close_notify.
 *
 * QueryContextAttributes: SECPKG_ATTR_STREAM_SIZES, CONNECTION_INFO,
 * APPLICATION_PROTOCOL, REMOTE_CERT_CONTEXT (a PCCERT_CONTEXT to release
 * with CertFreeCertificateContext), ENDPOINT_BINDINGS, UNIQUE_BINDINGS (TLS
 * 1.2 only: TLS 1.3 has no tls-unique, SEC_E_UNSUPPORTED_FUNCTION) and
 * KEYING_MATERIAL (their memory released with FreeContextBuffer),
 * SESSION_INFO; other attributes are SEC_E_UNSUPPORTED_FUNCTION.
 *
 * QueryCredentialsAttributes: SECPKG_ATTR_SUPPORTED_PROTOCOLS, the SP_PROT_*
 * bits of the handle's direction for the versions it was acquired for, and
 * SECPKG_CRED_ATTR_NAMES, the RFC 2253 subject of the credential's
 * certificate (SEC_E_NO_CREDENTIALS without one; sUserName released with
 * FreeContextBuffer); a NULL pBuffer is SEC_E_INTERNAL_ERROR, other
 * attributes SEC_E_UNSUPPORTED_FUNCTION.
 *
 * SetContextAttributes: SECPKG_ATTR_KEYING_MATERIAL_INFO, what a later
 * QueryContextAttributes(SECPKG_ATTR_KEYING_MATERIAL) exports (RFC 5705).
 *
 * ApplyControlToken: a SECBUFFER_TOKEN holding the DWORD SCHANNEL_SHUTDOWN.
 * CompleteAuthToken: SEC_E_OK (Schannel never asks for it).
 * FreeContextBuffer: releases memory the SSPI functions returned.
 * QuerySecurityPackageInfo: for UNISP_NAME or SCHANNEL_NAME, a SecPkgInfo
 * released with FreeContextBuffer.
 */
typedef void (SEC_ENTRY *SEC_GET_KEY_FN)(void *Arg, void *Principal,
    ULONG KeyVer, void **Key, SECURITY_STATUS *Status);

SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleA(LPSTR pszPrincipal,
    LPSTR pszPackage, ULONG fCredentialUse, void *pvLogonId,
    void *pAuthData, SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
    PCredHandle phCredential, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleW(LPWSTR pszPrincipal,
    LPWSTR pszPackage, ULONG fCredentialUse, void *pvLogonId,
    void *pAuthData, SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
    PCredHandle phCredential, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY FreeCredentialsHandle(PCredHandle phCredential);
SECURITY_STATUS SEC_ENTRY InitializeSecurityContextA(PCredHandle phCredential,
    PCtxtHandle phContext, SEC_CHAR *pszTargetName, ULONG fContextReq,
    ULONG Reserved1, ULONG TargetDataRep, PSecBufferDesc pInput,
    ULONG Reserved2, PCtxtHandle phNewContext, PSecBufferDesc pOutput,
    ULONG *pfContextAttr, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY InitializeSecurityContextW(PCredHandle phCredential,
    PCtxtHandle phContext, SEC_WCHAR *pszTargetName, ULONG fContextReq,
    ULONG Reserved1, ULONG TargetDataRep, PSecBufferDesc pInput,
    ULONG Reserved2, PCtxtHandle phNewContext, PSecBufferDesc pOutput,
    ULONG *pfContextAttr, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY AcceptSecurityContext(PCredHandle phCredential,
    PCtxtHandle phContext, PSecBufferDesc pInput, ULONG fContextReq,
    ULONG TargetDataRep, PCtxtHandle phNewContext, PSecBufferDesc pOutput,
    ULONG *pfContextAttr, PTimeStamp ptsExpiry);
SECURITY_STATUS SEC_ENTRY DeleteSecurityContext(PCtxtHandle phContext);
SECURITY_STATUS SEC_ENTRY FreeContextBuffer(PVOID pvContextBuffer);
SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoA(LPSTR pszPackageName,
    PSecPkgInfoA *ppPackageInfo);
SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoW(LPWSTR pszPackageName,
    PSecPkgInfoW *ppPackageInfo);
SECURITY_STATUS SEC_ENTRY CompleteAuthToken(PCtxtHandle phContext,
    PSecBufferDesc pToken);
SECURITY_STATUS SEC_ENTRY ApplyControlToken(PCtxtHandle phContext,
    PSecBufferDesc pInput);
SECURITY_STATUS SEC_ENTRY EncryptMessage(PCtxtHandle phContext, ULONG fQOP,
    PSecBufferDesc pMessage, ULONG MessageSeqNo);
SECURITY_STATUS SEC_ENTRY DecryptMessage(PCtxtHandle phContext,
    PSecBufferDesc pMessage, ULONG MessageSeqNo, PULONG pfQOP);
SECURITY_STATUS SEC_ENTRY QueryContextAttributesA(PCtxtHandle phContext,
    ULONG ulAttribute, void *pBuffer);
SECURITY_STATUS SEC_ENTRY QueryContextAttributesW(PCtxtHandle phContext,
    ULONG ulAttribute, void *pBuffer);
SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesA(PCredHandle phCredential,
    ULONG ulAttribute, void *pBuffer);
SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesW(PCredHandle phCredential,
    ULONG ulAttribute, void *pBuffer);
SECURITY_STATUS SEC_ENTRY SetContextAttributesA(PCtxtHandle phContext,
    ULONG ulAttribute, void *pBuffer, ULONG cbBuffer);
SECURITY_STATUS SEC_ENTRY SetContextAttributesW(PCtxtHandle phContext,
    ULONG ulAttribute, void *pBuffer, ULONG cbBuffer);
BOOL CertFreeCertificateContext(PCCERT_CONTEXT pCertContext);

#ifdef UNICODE
#define AcquireCredentialsHandle	AcquireCredentialsHandleW
#define QuerySecurityPackageInfo	QuerySecurityPackageInfoW
#define InitializeSecurityContext	InitializeSecurityContextW
#define QueryContextAttributes		QueryContextAttributesW
#define QueryCredentialsAttributes	QueryCredentialsAttributesW
#define SetContextAttributes		SetContextAttributesW
#else
#define AcquireCredentialsHandle	AcquireCredentialsHandleA
#define QuerySecurityPackageInfo	QuerySecurityPackageInfoA
#define InitializeSecurityContext	InitializeSecurityContextA
#define QueryContextAttributes		QueryContextAttributesA
#define QueryCredentialsAttributes	QueryCredentialsAttributesA
#define SetContextAttributes		SetContextAttributesA
#endif

#ifdef __cplusplus
}
#endif

#endif
