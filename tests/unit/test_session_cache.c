/*
 * The client session cache: sessions are found only by the same
 * credential, uid and target; TLS 1.3 sessions are handed out once.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "secctxd.h"

static SSL_SESSION *
session(int version)
{
	SSL_SESSION		*s = SSL_SESSION_new();
	static unsigned char	 id[32] = { 1, 2, 3 };

	assert_non_null(s);
	id[31]++;
	assert_int_equal(SSL_SESSION_set1_id(s, id, sizeof(id)), 1);
	assert_int_equal(SSL_SESSION_set_protocol_version(s, version), 1);
	SSL_SESSION_set_time(s, time(NULL));
	SSL_SESSION_set_timeout(s, 300);
	return (s);
}

static void
test_keys(void **state)
{
	SSL_SESSION	*s12 = session(TLS1_2_VERSION), *got;

	(void)state;
	session_cache_put("cred", 1000, "example.org", s12);
	/* Another uid, credential or target finds nothing. */
	assert_null(session_cache_get("cred", 1001, "example.org"));
	assert_null(session_cache_get("other", 1000, "example.org"));
	assert_null(session_cache_get("cred", 1000, "example.com"));
	/* A TLS 1.2 session is found again and again. */
	got = session_cache_get("cred", 1000, "example.org");
	assert_ptr_equal(got, s12);
	SSL_SESSION_free(got);
	got = session_cache_get("cred", 1000, "example.org");
	assert_ptr_equal(got, s12);
	SSL_SESSION_free(got);
	session_cache_clear();
	assert_null(session_cache_get("cred", 1000, "example.org"));
	SSL_SESSION_free(s12);
}

static void
test_tls13_once(void **state)
{
	SSL_SESSION	*a = session(TLS1_3_VERSION), *b = session(TLS1_3_VERSION);
	SSL_SESSION	*got;

	(void)state;
	session_cache_put("cred", 7, "h", a);
	session_cache_put("cred", 7, "h", b);
	/* Newest first, each once. */
	got = session_cache_get("cred", 7, "h");
	assert_ptr_equal(got, b);
	SSL_SESSION_free(got);
	got = session_cache_get("cred", 7, "h");
	assert_ptr_equal(got, a);
	SSL_SESSION_free(got);
	assert_null(session_cache_get("cred", 7, "h"));
	SSL_SESSION_free(a);
	SSL_SESSION_free(b);
}

static void
test_expired(void **state)
{
	SSL_SESSION	*s = session(TLS1_2_VERSION);

	(void)state;
	SSL_SESSION_set_time(s, time(NULL) - 600);
	session_cache_put("cred", 7, "h", s);
	assert_null(session_cache_get("cred", 7, "h"));
	SSL_SESSION_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_tls13_once),
		cmocka_unit_test(test_expired),
	};

	log_init(0);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
