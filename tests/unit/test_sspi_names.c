/*
 * A program written for Windows Schannel, with only its include line
 * changed, builds and links against libsecctx: the SDK names Schannel
 * samples use (the list below) exist with their Windows values and types.
 * Without a daemon, the calls fail as Windows' would without a credential.
 *
 * The values were typed from the SDK's schannel.h, sspi.h and winerror.h.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <secctx/sspi.h>

struct value {
	const char	*name;
	uint64_t	 got;
	uint64_t	 want;
};

#define V(name, want)	{ #name, (uint64_t)(uint32_t)(name), (want) }

/* The names, each with its SDK value. */
static const struct value names[] = {
	V(SP_PROT_PCT1_SERVER,			0x00000001),
	V(SP_PROT_PCT1_CLIENT,			0x00000002),
	V(SP_PROT_PCT1,				0x00000003),
	V(SP_PROT_SSL2,				0x0000000c),
	V(SP_PROT_SSL3,				0x00000030),
	V(SP_PROT_TLS1_CLIENT,			0x00000080),
	V(SP_PROT_TLS1_2_CLIENT,		0x00000800),
	V(SP_PROT_TLS1_3_SERVER,		0x00001000),
	V(SP_PROT_DTLS_SERVER,			0x00010000),
	V(SP_PROT_DTLS_CLIENT,			0x00020000),
	V(SP_PROT_DTLS,				0x00030000),
	V(SP_PROT_DTLS1_0_SERVER,		0x00010000),
	V(SP_PROT_DTLS1_0_CLIENT,		0x00020000),
	V(SP_PROT_DTLS1_0,			0x00030000),
	V(SP_PROT_DTLS1_2_SERVER,		0x00040000),
	V(SP_PROT_DTLS1_2_CLIENT,		0x00080000),
	V(SP_PROT_DTLS1_2,			0x000c0000),
	V(SP_PROT_DTLS1_X_SERVER,		0x00050000),
	V(SP_PROT_DTLS1_X_CLIENT,		0x000a0000),
	V(SP_PROT_DTLS1_X,			0x000f0000),
	V(SP_PROT_UNI_SERVER,			0x40000000),
	V(SP_PROT_UNI_CLIENT,			0x80000000),
	V(SP_PROT_UNI,				0xc0000000),
	V(SP_PROT_ALL,				0xffffffff),
	V(SP_PROT_NONE,				0),
	V(SP_PROT_CLIENTS,			0x800000aa),
	V(SP_PROT_SERVERS,			0x40000055),
	V(SP_PROT_SSL3TLS1_CLIENTS,		0x000000a0),
	V(SP_PROT_SSL3TLS1_SERVERS,		0x00000050),
	V(SP_PROT_SSL3TLS1,			0x000000f0),
	V(SP_PROT_TLS1_1PLUS_SERVER,		0x00001500),
	V(SP_PROT_TLS1_1PLUS_CLIENT,		0x00002a00),
	V(SP_PROT_TLS1_1PLUS,			0x00003f00),
	V(SP_PROT_TLS1_3PLUS_SERVER,		0x00001000),
	V(SP_PROT_TLS1_3PLUS_CLIENT,		0x00002000),
	V(SP_PROT_TLS1_3PLUS,			0x00003000),
	V(SP_PROT_TLS1_X_SERVER,		0x00001540),
	V(SP_PROT_TLS1_X_CLIENT,		0x00002a80),
	V(SP_PROT_TLS1_X,			0x00003fc0),
	V(SP_PROT_SSL3TLS1_X_CLIENTS,		0x00002aa0),
	V(SP_PROT_SSL3TLS1_X_SERVERS,		0x00001550),
	V(SP_PROT_SSL3TLS1_X,			0x00003ff0),
	V(SP_PROT_X_CLIENTS,			0x800a2aaa),
	V(SP_PROT_X_SERVERS,			0x40051555),
	V(SCHANNEL_ALERT,			2),
	V(TLS1_ALERT_WARNING,			1),
	V(TLS1_ALERT_FATAL,			2),
	V(TLS1_ALERT_CLOSE_NOTIFY,		0),
	V(TLS1_ALERT_UNEXPECTED_MESSAGE,	10),
	V(TLS1_ALERT_BAD_RECORD_MAC,		20),
	V(TLS1_ALERT_DECRYPTION_FAILED,		21),
	V(TLS1_ALERT_RECORD_OVERFLOW,		22),
	V(TLS1_ALERT_DECOMPRESSION_FAIL,	30),
	V(TLS1_ALERT_HANDSHAKE_FAILURE,		40),
	V(TLS1_ALERT_BAD_CERTIFICATE,		42),
	V(TLS1_ALERT_UNSUPPORTED_CERT,		43),
	V(TLS1_ALERT_CERTIFICATE_REVOKED,	44),
	V(TLS1_ALERT_CERTIFICATE_EXPIRED,	45),
	V(TLS1_ALERT_CERTIFICATE_UNKNOWN,	46),
	V(TLS1_ALERT_ILLEGAL_PARAMETER,		47),
	V(TLS1_ALERT_UNKNOWN_CA,		48),
	V(TLS1_ALERT_ACCESS_DENIED,		49),
	V(TLS1_ALERT_DECODE_ERROR,		50),
	V(TLS1_ALERT_DECRYPT_ERROR,		51),
	V(TLS1_ALERT_EXPORT_RESTRICTION,	60),
	V(TLS1_ALERT_PROTOCOL_VERSION,		70),
	V(TLS1_ALERT_INSUFFIENT_SECURITY,	71),
	V(TLS1_ALERT_INTERNAL_ERROR,		80),
	V(TLS1_ALERT_USER_CANCELED,		90),
	V(TLS1_ALERT_NO_RENEGOTIATION,		100),
	V(TLS1_ALERT_UNSUPPORTED_EXT,		110),
	V(TLS1_ALERT_UNKNOWN_PSK_IDENTITY,	115),
	V(TLS1_ALERT_NO_APP_PROTOCOL,		120),
	V(SECPKG_CRED_ATTR_NAMES,		1),
	V(SECPKG_ATTR_SUPPORTED_PROTOCOLS,	0x58),
	V(SECPKG_ATTR_UNIQUE_BINDINGS,		25),
};

/*
 * The opening of a Schannel client as the samples write it: credentials
 * for any TLS version, then their protocols and name.
 */
static SECURITY_STATUS
windows_client(CredHandle *cred, DWORD *protocols)
{
	SCHANNEL_CRED			sc;
	SecPkgCred_SupportedProtocols	sp;
	SecPkgCredentials_Names		names;
	TimeStamp			expiry;
	SECURITY_STATUS			status;

	memset(&sc, 0, sizeof(sc));
	sc.dwVersion = SCHANNEL_CRED_VERSION;
	sc.grbitEnabledProtocols = SP_PROT_TLS1_X_CLIENT;
	sc.dwFlags = SCH_CRED_NO_DEFAULT_CREDS | SCH_USE_STRONG_CRYPTO;
	status = AcquireCredentialsHandle(NULL, UNISP_NAME,
	    SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, cred, &expiry);
	if (FAILED(status))
		return (status);
	status = QueryCredentialsAttributes(cred,
	    SECPKG_ATTR_SUPPORTED_PROTOCOLS, &sp);
	if (SUCCEEDED(status))
		*protocols = sp.grbitProtocol;
	status = QueryCredentialsAttributes(cred, SECPKG_CRED_ATTR_NAMES,
	    &names);
	if (SUCCEEDED(status))
		FreeContextBuffer(names.sUserName);
	return (status);
}

static void
test_values(void **state)
{
	size_t	i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].got != names[i].want) {
			print_error("%s = 0x%llx, Windows has 0x%llx\n",
			    names[i].name, (unsigned long long)names[i].got,
			    (unsigned long long)names[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* FAILED and SUCCEEDED as winerror.h defines them, on SECURITY_STATUS. */
static void
test_failed_succeeded(void **state)
{
	(void)state;
	assert_int_equal(sizeof(HRESULT), 4);
	assert_true((HRESULT)-1 < 0);
	assert_true(FAILED(SEC_E_INTERNAL_ERROR));
	assert_true(FAILED(SEC_E_INCOMPLETE_MESSAGE));
	assert_true(FAILED(0x80090308));
	assert_false(FAILED(SEC_E_OK));
	assert_false(FAILED(SEC_I_CONTINUE_NEEDED));
	assert_false(FAILED(SEC_I_CONTEXT_EXPIRED));
	assert_true(SUCCEEDED(SEC_E_OK));
	assert_true(SUCCEEDED(SEC_I_CONTINUE_NEEDED));
	assert_true(SUCCEEDED(SEC_I_INCOMPLETE_CREDENTIALS));
	assert_false(SUCCEEDED(SEC_E_INVALID_TOKEN));
}

/* The structures' layouts on a 64-bit Windows compiler. */
static void
test_layouts(void **state)
{
	SCHANNEL_ALERT_TOKEN	t = { SCHANNEL_ALERT, TLS1_ALERT_FATAL,
	    TLS1_ALERT_HANDSHAKE_FAILURE };

	(void)state;
	assert_int_equal(sizeof(SCHANNEL_ALERT_TOKEN), 12);
	assert_int_equal(offsetof(SCHANNEL_ALERT_TOKEN, dwTokenType), 0);
	assert_int_equal(offsetof(SCHANNEL_ALERT_TOKEN, dwAlertType), 4);
	assert_int_equal(offsetof(SCHANNEL_ALERT_TOKEN, dwAlertNumber), 8);
	assert_int_equal(t.dwAlertNumber, 40);
	assert_int_equal(sizeof(SecPkgCred_SupportedProtocols), 4);
	assert_int_equal(sizeof(SecPkgCredentials_NamesA), 8);
	assert_int_equal(sizeof(SecPkgCredentials_NamesW), 8);
#ifndef UNICODE
	assert_int_equal(sizeof(SecPkgCredentials_Names),
	    sizeof(SecPkgCredentials_NamesA));
#endif
}

/* No daemon: the sample stops at AcquireCredentialsHandle. */
static void
test_windows_client(void **state)
{
	CredHandle			cred;
	SecPkgCred_SupportedProtocols	sp = { 0 };
	SecPkgCredentials_NamesW	nw = { NULL };
	DWORD				protocols = 0;

	(void)state;
	assert_true(FAILED(windows_client(&cred, &protocols)));
	assert_int_equal(protocols, 0);
	SecInvalidateHandle(&cred);
	assert_int_equal(QueryCredentialsAttributesA(&cred,
	    SECPKG_ATTR_SUPPORTED_PROTOCOLS, &sp), SEC_E_INVALID_HANDLE);
	assert_int_equal(QueryCredentialsAttributesW(&cred,
	    SECPKG_CRED_ATTR_NAMES, &nw), SEC_E_INVALID_HANDLE);
}

static int
no_daemon(void **state)
{
	(void)state;
	return (setenv("SECCTX_SOCKET", "/nonexistent/secctx-test.sock", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_failed_succeeded),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_windows_client),
	};

	return (cmocka_run_group_tests(tests, no_daemon, NULL));
}
