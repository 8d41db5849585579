/*
 * SSPI credential handles against a real daemon: the principal name picks
 * the daemon's credential, handles are freed once, and the native API's
 * refusals come through with their Windows statuses.
 */

#include <string.h>
#include <wchar.h>

#include "harness.h"
#include "secctx/sspi.h"

static void
test_acquire_and_free(void **state)
{
	CredHandle	c, s;
	TimeStamp	exp = { 0, 0 };
	SCHANNEL_CRED	sc;

	(void)state;
	memset(&sc, 0, sizeof(sc));
	sc.dwVersion = SCHANNEL_CRED_VERSION;
	sc.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT;
	sc.dwFlags = SCH_CRED_NO_DEFAULT_CREDS;
	assert_status(AcquireCredentialsHandleA("client-nocert", UNISP_NAME_A,
	    SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, &c, &exp), SEC_E_OK);
	assert_true(SecIsValidHandle(&c));
	assert_true(exp.HighPart > 0);

	/* NULL principal: the credential called "server" for INBOUND. */
	assert_status(AcquireCredentialsHandleA(NULL, SCHANNEL_NAME_A,
	    SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &s, NULL), SEC_E_OK);

	assert_status(FreeCredentialsHandle(&c), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&c), SEC_E_INVALID_HANDLE);
	assert_status(FreeCredentialsHandle(&s), SEC_E_OK);
	harness_assert_daemon_alive();
}

static void
test_acquire_wide(void **state)
{
	CredHandle	c;

	(void)state;
	assert_status(AcquireCredentialsHandleW(L"client", UNISP_NAME_W,
	    SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &c, NULL), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&c), SEC_E_OK);
}

static void
test_acquire_refused(void **state)
{
	CredHandle	c = { 0, 0 };

	(void)state;
	assert_status(AcquireCredentialsHandleA("no-such-credential",
	    UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &c,
	    NULL), SEC_E_UNKNOWN_CREDENTIALS);
	assert_status(AcquireCredentialsHandleA("forbidden", UNISP_NAME_A,
	    SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &c, NULL),
	    SEC_E_NOT_OWNER);
	/* A client-only credential cannot serve. */
	assert_status(AcquireCredentialsHandleA("client-nocert", UNISP_NAME_A,
	    SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &c, NULL),
	    SEC_E_NO_CREDENTIALS);
	assert_status(FreeCredentialsHandle(&c), SEC_E_INVALID_HANDLE);
	harness_assert_daemon_alive();
}

/* An SCHANNEL_CRED that enables 'protocols'. */
static SCHANNEL_CRED
protocols_cred(DWORD protocols)
{
	SCHANNEL_CRED	sc;

	memset(&sc, 0, sizeof(sc));
	sc.dwVersion = SCHANNEL_CRED_VERSION;
	sc.grbitEnabledProtocols = protocols;
	return (sc);
}

/* SP_PROT bits the handle was acquired for, for its direction. */
static DWORD
supported_protocols(const char *name, ULONG use, DWORD enabled)
{
	CredHandle			c;
	SCHANNEL_CRED			sc = protocols_cred(enabled);
	SecPkgCred_SupportedProtocols	p = { 0xdeadbeef };

	assert_status(AcquireCredentialsHandleA((LPSTR)name, UNISP_NAME_A, use,
	    NULL, &sc, NULL, NULL, &c, NULL), SEC_E_OK);
	assert_status(QueryCredentialsAttributesA(&c,
	    SECPKG_ATTR_SUPPORTED_PROTOCOLS, &p), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&c), SEC_E_OK);
	return (p.grbitProtocol);
}

static void
test_query_protocols(void **state)
{
	CredHandle			c;
	SecPkgCred_SupportedProtocols	p = { 0 };

	(void)state;
	assert_int_equal(supported_protocols("client", SECPKG_CRED_OUTBOUND,
	    SP_PROT_TLS1_2_CLIENT), SP_PROT_TLS1_2_CLIENT);
	assert_int_equal(supported_protocols("client", SECPKG_CRED_OUTBOUND,
	    SP_PROT_TLS1_3_CLIENT), SP_PROT_TLS1_3_CLIENT);
	assert_int_equal(supported_protocols("client", SECPKG_CRED_OUTBOUND,
	    SP_PROT_TLS1_X_CLIENT),
	    SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT);
	assert_int_equal(supported_protocols("server", SECPKG_CRED_INBOUND,
	    SP_PROT_TLS1_2_SERVER), SP_PROT_TLS1_2_SERVER);
	assert_int_equal(supported_protocols("server", SECPKG_CRED_INBOUND,
	    SP_PROT_TLS1_2 | SP_PROT_TLS1_3),
	    SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_3_SERVER);

	/* No pAuthData: what secctx enables by default. */
	assert_status(AcquireCredentialsHandleA(NULL, UNISP_NAME_A,
	    SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &c, NULL), SEC_E_OK);
	assert_status(QueryCredentialsAttributesW(&c,
	    SECPKG_ATTR_SUPPORTED_PROTOCOLS, &p), SEC_E_OK);
	assert_int_equal(p.grbitProtocol,
	    SP_PROT_TLS1_2_SERVER | SP_PROT_TLS1_3_SERVER);

	assert_status(QueryCredentialsAttributesA(&c,
	    SECPKG_ATTR_SUPPORTED_PROTOCOLS, NULL), SEC_E_INTERNAL_ERROR);
	assert_status(QueryCredentialsAttributesA(&c,
	    SECPKG_ATTR_CONNECTION_INFO, &p), SEC_E_UNSUPPORTED_FUNCTION);
	assert_status(FreeCredentialsHandle(&c), SEC_E_OK);
	assert_status(QueryCredentialsAttributesA(&c,
	    SECPKG_ATTR_SUPPORTED_PROTOCOLS, &p), SEC_E_INVALID_HANDLE);
	assert_status(QueryCredentialsAttributesA(NULL,
	    SECPKG_ATTR_SUPPORTED_PROTOCOLS, &p), SEC_E_INVALID_HANDLE);
}

static void
test_query_names(void **state)
{
	CredHandle			s, c, n;
	SecPkgCredentials_NamesA	na = { NULL };
	SecPkgCredentials_NamesW	nw = { NULL };

	(void)state;
	assert_status(AcquireCredentialsHandleA("server", UNISP_NAME_A,
	    SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &s, NULL), SEC_E_OK);
	assert_status(QueryCredentialsAttributesA(&s, SECPKG_CRED_ATTR_NAMES,
	    &na), SEC_E_OK);
	assert_string_equal(na.sUserName, "CN=localhost");
	assert_status(FreeContextBuffer(na.sUserName), SEC_E_OK);
	assert_status(QueryCredentialsAttributesW(&s, SECPKG_CRED_ATTR_NAMES,
	    &nw), SEC_E_OK);
	assert_int_equal(wcscmp(nw.sUserName, L"CN=localhost"), 0);
	assert_status(FreeContextBuffer(nw.sUserName), SEC_E_OK);
	assert_status(QueryCredentialsAttributesA(&s, SECPKG_CRED_ATTR_NAMES,
	    NULL), SEC_E_INTERNAL_ERROR);

	/* A client credential with a certificate names it too. */
	assert_status(AcquireCredentialsHandleA("client", UNISP_NAME_A,
	    SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &c, NULL), SEC_E_OK);
	assert_status(QueryCredentialsAttributesA(&c, SECPKG_CRED_ATTR_NAMES,
	    &na), SEC_E_OK);
	assert_string_equal(na.sUserName, "CN=secctx test client");
	assert_status(FreeContextBuffer(na.sUserName), SEC_E_OK);

	/* No certificate, no name. */
	assert_status(AcquireCredentialsHandleA("client-nocert", UNISP_NAME_A,
	    SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &n, NULL), SEC_E_OK);
	na.sUserName = (SEC_CHAR *)"unchanged";
	assert_status(QueryCredentialsAttributesA(&n, SECPKG_CRED_ATTR_NAMES,
	    &na), SEC_E_NO_CREDENTIALS);
	assert_null(na.sUserName);

	assert_status(FreeCredentialsHandle(&s), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&c), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&n), SEC_E_OK);
	harness_assert_daemon_alive();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_acquire_and_free),
		harness_test(test_acquire_wide),
		harness_test(test_acquire_refused),
		harness_test(test_query_protocols),
		harness_test(test_query_names),
	};

	return (harness_run("sspi_creds", tests));
}
