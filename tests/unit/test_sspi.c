/*
 * The SSPI layer without a daemon: package queries, argument checks made
 * before any connection, and handle validation.  Linked against the shared
 * libsecctx, so it also checks that the Windows names are exported.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "secctx/sspi.h"

#define assert_status(a, e)	assert_int_equal((uint32_t)(a), (uint32_t)(e))

static int
no_daemon(void **state)
{
	(void)state;
	return (setenv("SECCTX_SOCKET", "/nonexistent/secctx-test.sock", 1));
}

static void
test_package_info(void **state)
{
	PSecPkgInfoA	pi = NULL;

	(void)state;
	assert_status(QuerySecurityPackageInfoA(UNISP_NAME_A, &pi), SEC_E_OK);
	assert_non_null(pi);
	assert_string_equal(pi->Name, UNISP_NAME_A);
	assert_int_equal(pi->wRPCID, UNISP_RPC_ID);
	assert_int_equal(pi->wVersion, 1);
	assert_true(pi->cbMaxToken >= 16384 + 2048);
	assert_true(pi->fCapabilities & SECPKG_FLAG_STREAM);
	assert_true(pi->fCapabilities & SECPKG_FLAG_CONNECTION);
	assert_true(pi->fCapabilities & SECPKG_FLAG_PRIVACY);
	assert_true(strlen(pi->Comment) > 0);
	assert_status(FreeContextBuffer(pi), SEC_E_OK);

	/* Package names are case-insensitive, as on Windows. */
	assert_status(QuerySecurityPackageInfoA("schannel", &pi), SEC_E_OK);
	assert_string_equal(pi->Name, SCHANNEL_NAME_A);
	assert_status(FreeContextBuffer(pi), SEC_E_OK);
}

static void
test_package_info_w(void **state)
{
	PSecPkgInfoW	pi = NULL;

	(void)state;
	assert_status(QuerySecurityPackageInfoW(UNISP_NAME_W, &pi), SEC_E_OK);
	assert_non_null(pi);
	assert_int_equal(wcscmp(pi->Name, UNISP_NAME_W), 0);
	assert_int_equal(pi->wRPCID, UNISP_RPC_ID);
	assert_status(FreeContextBuffer(pi), SEC_E_OK);
	assert_status(QuerySecurityPackageInfoW(SCHANNEL_NAME_W, &pi),
	    SEC_E_OK);
	assert_int_equal(wcscmp(pi->Name, SCHANNEL_NAME_W), 0);
	assert_status(FreeContextBuffer(pi), SEC_E_OK);
}

static void
test_package_unknown(void **state)
{
	PSecPkgInfoA	pi = (PSecPkgInfoA)1;
	PSecPkgInfoW	piw = (PSecPkgInfoW)1;

	(void)state;
	assert_status(QuerySecurityPackageInfoA("Kerberos", &pi),
	    SEC_E_SECPKG_NOT_FOUND);
	assert_null(pi);
	assert_status(QuerySecurityPackageInfoA(NULL, &pi),
	    SEC_E_SECPKG_NOT_FOUND);
	assert_status(QuerySecurityPackageInfoW(L"Negotiate", &piw),
	    SEC_E_SECPKG_NOT_FOUND);
	assert_null(piw);
	assert_status(FreeContextBuffer(NULL), SEC_E_OK);
}

static SECURITY_STATUS
acquire(LPSTR package, ULONG use, void *auth, PCredHandle h)
{
	return (AcquireCredentialsHandleA(NULL, package, use, NULL, auth,
	    NULL, NULL, h, NULL));
}

/* Arguments are checked before the daemon is contacted. */
static void
test_acquire_arguments(void **state)
{
	CredHandle	h = { 0, 0 };
	SCHANNEL_CRED	sc;
	SCH_CREDENTIALS	sch;
	TLS_PARAMETERS	tp;
	DWORD		bogus[8] = { 3 };

	(void)state;
	assert_status(acquire("Kerberos", SECPKG_CRED_OUTBOUND, NULL, &h),
	    SEC_E_SECPKG_NOT_FOUND);
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_BOTH, NULL, &h),
	    SEC_E_UNSUPPORTED_FUNCTION);
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_OUTBOUND, NULL, NULL),
	    SEC_E_INVALID_PARAMETER);
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_OUTBOUND, bogus, &h),
	    SEC_E_UNKNOWN_CREDENTIALS);

	/* Only TLS 1.0 enabled: nothing secctx can speak. */
	memset(&sc, 0, sizeof(sc));
	sc.dwVersion = SCHANNEL_CRED_VERSION;
	sc.grbitEnabledProtocols = SP_PROT_TLS1_0_CLIENT;
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_OUTBOUND, &sc, &h),
	    SEC_E_ALGORITHM_MISMATCH);
	/* Client bits only, for a server credential. */
	sc.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT;
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_INBOUND, &sc, &h),
	    SEC_E_ALGORITHM_MISMATCH);
	sc.grbitEnabledProtocols = 0;
	sc.cSupportedAlgs = 1;
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_OUTBOUND, &sc, &h),
	    SEC_E_UNSUPPORTED_FUNCTION);

	/* SCH_CREDENTIALS disabling both TLS 1.2 and 1.3. */
	memset(&sch, 0, sizeof(sch));
	memset(&tp, 0, sizeof(tp));
	sch.dwVersion = SCH_CREDENTIALS_VERSION;
	sch.cTlsParameters = 1;
	sch.pTlsParameters = &tp;
	tp.grbitDisabledProtocols = SP_PROT_TLS1_2 | SP_PROT_TLS1_3;
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_OUTBOUND, &sch, &h),
	    SEC_E_ALGORITHM_MISMATCH);
	sch.pTlsParameters = NULL;
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_OUTBOUND, &sch, &h),
	    SEC_E_INVALID_PARAMETER);
}

/* Valid arguments and no daemon: the native API's status comes through. */
static void
test_acquire_no_daemon(void **state)
{
	CredHandle	h = { 0, 0 };
	SCHANNEL_CRED	sc;

	(void)state;
	memset(&sc, 0, sizeof(sc));
	sc.dwVersion = SCHANNEL_CRED_VERSION;
	sc.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT | SP_PROT_TLS1_3_CLIENT;
	sc.dwFlags = SCH_CRED_NO_DEFAULT_CREDS | SCH_CRED_MANUAL_CRED_VALIDATION;
	assert_status(acquire(UNISP_NAME_A, SECPKG_CRED_OUTBOUND, &sc, &h),
	    SEC_E_NO_AUTHENTICATING_AUTHORITY);
	assert_status(FreeCredentialsHandle(&h), SEC_E_INVALID_HANDLE);
}

static void
test_invalid_handles(void **state)
{
	SecHandle	zero = { 0, 0 }, junk = { 0x1234, 0x5678 };
	SecHandle	inval;

	(void)state;
	SecInvalidateHandle(&inval);
	assert_status(FreeCredentialsHandle(NULL), SEC_E_INVALID_HANDLE);
	assert_status(FreeCredentialsHandle(&zero), SEC_E_INVALID_HANDLE);
	assert_status(FreeCredentialsHandle(&junk), SEC_E_INVALID_HANDLE);
	assert_status(FreeCredentialsHandle(&inval), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(NULL), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&zero), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&junk), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&inval), SEC_E_INVALID_HANDLE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_package_info),
		cmocka_unit_test(test_package_info_w),
		cmocka_unit_test(test_package_unknown),
		cmocka_unit_test(test_acquire_arguments),
		cmocka_unit_test(test_acquire_no_daemon),
		cmocka_unit_test(test_invalid_handles),
	};

	return (cmocka_run_group_tests(tests, no_daemon, NULL));
}
