/* Unit tests for proto/status.c: the SSPI status table. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "secctx/status.h"

struct named {
	secctx_status	 code;
	const char	*name;
};

/* Every status defined in secctx/status.h. */
#define S(c) { c, #c }
static const struct named all[] = {
	S(SEC_E_OK),
	S(SEC_I_CONTINUE_NEEDED),
	S(SEC_I_COMPLETE_NEEDED),
	S(SEC_I_COMPLETE_AND_CONTINUE),
	S(SEC_I_CONTEXT_EXPIRED),
	S(SEC_I_INCOMPLETE_CREDENTIALS),
	S(SEC_I_RENEGOTIATE),
	S(SEC_I_NO_RENEGOTIATION),
	S(SEC_E_INSUFFICIENT_MEMORY),
	S(SEC_E_INVALID_HANDLE),
	S(SEC_E_UNSUPPORTED_FUNCTION),
	S(SEC_E_TARGET_UNKNOWN),
	S(SEC_E_INTERNAL_ERROR),
	S(SEC_E_SECPKG_NOT_FOUND),
	S(SEC_E_NOT_OWNER),
	S(SEC_E_INVALID_TOKEN),
	S(SEC_E_LOGON_DENIED),
	S(SEC_E_UNKNOWN_CREDENTIALS),
	S(SEC_E_NO_CREDENTIALS),
	S(SEC_E_MESSAGE_ALTERED),
	S(SEC_E_OUT_OF_SEQUENCE),
	S(SEC_E_NO_AUTHENTICATING_AUTHORITY),
	S(SEC_E_CONTEXT_EXPIRED),
	S(SEC_E_INCOMPLETE_MESSAGE),
	S(SEC_E_INCOMPLETE_CREDENTIALS),
	S(SEC_E_BUFFER_TOO_SMALL),
	S(SEC_E_WRONG_PRINCIPAL),
	S(SEC_E_TIME_SKEW),
	S(SEC_E_UNTRUSTED_ROOT),
	S(SEC_E_ILLEGAL_MESSAGE),
	S(SEC_E_CERT_UNKNOWN),
	S(SEC_E_CERT_EXPIRED),
	S(SEC_E_ENCRYPT_FAILURE),
	S(SEC_E_DECRYPT_FAILURE),
	S(SEC_E_ALGORITHM_MISMATCH),
	S(SEC_E_UNFINISHED_CONTEXT_DELETED),
	S(SEC_E_WRONG_CREDENTIAL_HANDLE),
	S(SEC_E_SHUTDOWN_IN_PROGRESS),
	S(SEC_E_CERT_WRONG_USAGE),
	S(SEC_E_ISSUING_CA_UNTRUSTED),
	S(SEC_E_INVALID_PARAMETER),
	S(SEC_E_NO_CONTEXT),
	S(SEC_E_MUTUAL_AUTH_FAILED),
	S(SEC_E_APPLICATION_PROTOCOL_MISMATCH),
	S(SEC_E_INSUFFICIENT_BUFFERS),
	S(CRYPT_E_REVOKED),
	S(CRYPT_E_NO_REVOCATION_CHECK),
	S(CRYPT_E_REVOCATION_OFFLINE),
};
#undef S
#define NALL (sizeof(all) / sizeof(all[0]))

static void
test_every_name_round_trips(void **state)
{
	secctx_status	 code;
	const char	*name;
	size_t		 i;
	int		 found;

	(void)state;
	for (i = 0; i < NALL; i++) {
		name = secctx_status_name(all[i].code);
		if (name == NULL)
			fail_msg("%s has no name", all[i].name);
		assert_string_equal(name, all[i].name);
		found = -1;
		code = secctx_status_from_name(all[i].name, &found);
		assert_int_equal(found, 1);
		if (code != all[i].code)
			fail_msg("%s maps back to 0x%08x", all[i].name,
			    (unsigned)code);
	}
}

static void
test_every_status_has_text(void **state)
{
	const char	*text;
	size_t		 i, j;

	(void)state;
	for (i = 0; i < NALL; i++) {
		text = secctx_status_text(all[i].code);
		assert_non_null(text);
		assert_true(strlen(text) > 0);
		assert_string_not_equal(text, "unknown error");
		assert_string_not_equal(text, "unknown status");
		/* Values are distinct. */
		for (j = i + 1; j < NALL; j++) {
			if (all[i].code == all[j].code)
				fail_msg("%s and %s share 0x%08x",
				    all[i].name, all[j].name,
				    (unsigned)all[i].code);
		}
	}
}

static void
test_known_values(void **state)
{
	(void)state;
	assert_true(SEC_E_OK == 0);
	assert_true(SEC_I_CONTINUE_NEEDED == 0x00090312);
	assert_true(SEC_I_CONTINUE_NEEDED == 590610);
	assert_true(SEC_E_INCOMPLETE_MESSAGE == (int32_t)0x80090318);
	assert_true((uint32_t)SEC_E_INCOMPLETE_MESSAGE == 2148074264u);
	assert_true(SEC_E_INVALID_HANDLE == (int32_t)0x80090301);
	assert_true(SEC_E_UNSUPPORTED_FUNCTION == (int32_t)0x80090302);
	assert_true(SEC_E_NOT_OWNER == (int32_t)0x80090306);
	assert_true(SEC_E_UNKNOWN_CREDENTIALS == (int32_t)0x8009030D);
	assert_true(SEC_E_NO_CREDENTIALS == (int32_t)0x8009030E);
	assert_true(SEC_E_OUT_OF_SEQUENCE == (int32_t)0x80090310);
	assert_true(SEC_E_WRONG_PRINCIPAL == (int32_t)0x80090322);
	assert_true(SEC_E_UNTRUSTED_ROOT == (int32_t)0x80090325);
	assert_true(SEC_E_ILLEGAL_MESSAGE == (int32_t)0x80090326);
	assert_true(SEC_E_CERT_EXPIRED == (int32_t)0x80090328);
	assert_true(SEC_E_ALGORITHM_MISMATCH == (int32_t)0x80090331);
	assert_true(SEC_E_INVALID_PARAMETER == (int32_t)0x8009035D);
	assert_true(SEC_E_APPLICATION_PROTOCOL_MISMATCH ==
	    (int32_t)0x80090367);
	assert_true(CRYPT_E_REVOKED == (int32_t)0x80092010);
	assert_true(CRYPT_E_NO_REVOCATION_CHECK == (int32_t)0x80092012);
	assert_true(CRYPT_E_REVOCATION_OFFLINE == (int32_t)0x80092013);
	assert_true(sizeof(secctx_status) == 4);
}

static void
test_failed_is_the_severity_bit(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < NALL; i++) {
		int	high = ((uint32_t)all[i].code & 0x80000000u) != 0;

		assert_int_equal(SECCTX_FAILED(all[i].code) ? 1 : 0, high);
		/* The name prefix agrees with the severity. */
		if (high)
			assert_true(strncmp(all[i].name, "SEC_E_", 6) == 0 ||
			    strncmp(all[i].name, "CRYPT_E_", 8) == 0);
		else
			assert_true(strncmp(all[i].name, "SEC_I_", 6) == 0 ||
			    all[i].code == SEC_E_OK);
	}
	assert_false(SECCTX_FAILED(SEC_I_CONTINUE_NEEDED));
	assert_true(SECCTX_FAILED(SEC_E_INCOMPLETE_MESSAGE));
}

static void
test_unknown_values_and_names(void **state)
{
	secctx_status	code;
	int		found = -1;

	(void)state;
	assert_null(secctx_status_name(SECCTX_STATUS(0x80091234)));
	assert_null(secctx_status_name(SECCTX_STATUS(0x00000001)));
	assert_string_equal(secctx_status_text(SECCTX_STATUS(0x80091234)),
	    "unknown error");
	assert_string_equal(secctx_status_text(SECCTX_STATUS(0x00000001)),
	    "unknown status");

	code = secctx_status_from_name("SEC_E_NOSUCH", &found);
	assert_int_equal(found, 0);
	assert_int_equal(code, 0);
	found = -1;
	/* Names are matched exactly: case and prefix matter. */
	secctx_status_from_name("sec_e_ok", &found);
	assert_int_equal(found, 0);
	secctx_status_from_name("SEC_E_O", &found);
	assert_int_equal(found, 0);
	secctx_status_from_name("", &found);
	assert_int_equal(found, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_name_round_trips),
		cmocka_unit_test(test_every_status_has_text),
		cmocka_unit_test(test_known_values),
		cmocka_unit_test(test_failed_is_the_severity_bit),
		cmocka_unit_test(test_unknown_values_and_names),
	};

	return (cmocka_run_group_tests_name("status", tests, NULL, NULL));
}
