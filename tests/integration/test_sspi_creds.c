/*
 * SSPI credential handles against a real daemon: the principal name picks
 * the daemon's credential, handles are freed once, and the native API's
 * refusals come through with their Windows statuses.
 */

#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_acquire_and_free),
		harness_test(test_acquire_wide),
		harness_test(test_acquire_refused),
	};

	return (harness_run("sspi_creds", tests));
}
