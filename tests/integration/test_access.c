/*
 * Who may use which credential, and that a refusal harms nothing: the
 * daemon keeps serving the same and new connections.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* A full in-memory handshake on the given connections (NULL: new ones). */
static void
handshake_works(secctx_conn *cconn, secctx_conn *sconn)
{
	struct harness_pair	*p;

	p = harness_pair_open(cconn, "client-nocert", sconn, "server");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_pair_close(p);
}

static void
test_not_owner(void **state)
{
	secctx_conn	*conn;
	secctx_cred	*cred = NULL;

	(void)state;
	conn = harness_connect();
	/* "forbidden" is allowed only to getuid() + 1. */
	assert_status(secctx_cred_acquire(conn, "forbidden", SECCTX_INBOUND,
	    &cred), SEC_E_NOT_OWNER);
	assert_null(cred);
	assert_true(strlen(secctx_last_error()) > 0);
	print_message("    NOT_OWNER: \"%s\"\n", secctx_last_error());
	assert_status(secctx_cred_acquire(conn, "forbidden", SECCTX_OUTBOUND,
	    &cred), SEC_E_NOT_OWNER);
	assert_null(cred);

	/* The same connection and a new one still work. */
	handshake_works(conn, conn);
	handshake_works(NULL, NULL);
	secctx_disconnect(conn);
}

static void
test_unknown_credentials(void **state)
{
	secctx_conn	*conn;
	secctx_cred	*cred = NULL;

	(void)state;
	conn = harness_connect();
	assert_status(secctx_cred_acquire(conn, "no-such-credential",
	    SECCTX_OUTBOUND, &cred), SEC_E_UNKNOWN_CREDENTIALS);
	assert_null(cred);
	assert_true(strlen(secctx_last_error()) > 0);
	/* Names are exact. */
	assert_status(secctx_cred_acquire(conn, "Server", SECCTX_INBOUND,
	    &cred), SEC_E_UNKNOWN_CREDENTIALS);
	assert_null(cred);
	handshake_works(conn, conn);
	handshake_works(NULL, NULL);
	secctx_disconnect(conn);
}

static void
test_no_credentials_for_direction(void **state)
{
	secctx_conn	*conn;
	secctx_cred	*cred = NULL;

	(void)state;
	conn = harness_connect();
	/* Without a certificate and key, no server side. */
	assert_status(secctx_cred_acquire(conn, "client-nocert",
	    SECCTX_INBOUND, &cred), SEC_E_NO_CREDENTIALS);
	assert_null(cred);
	assert_true(strlen(secctx_last_error()) > 0);
	/* The same credential serves the client side. */
	cred = harness_cred(conn, "client-nocert", SECCTX_OUTBOUND);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	/* A certificate and key serve both directions. */
	cred = harness_cred(conn, "client", SECCTX_INBOUND);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	cred = harness_cred(conn, "server", SECCTX_OUTBOUND);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
}

static void
test_last_error_per_failure(void **state)
{
	secctx_conn	*conn;
	secctx_cred	*cred = NULL;
	char		 first[256];

	(void)state;
	conn = harness_connect();
	assert_status(secctx_cred_acquire(conn, "forbidden", SECCTX_INBOUND,
	    &cred), SEC_E_NOT_OWNER);
	snprintf(first, sizeof(first), "%s", secctx_last_error());
	assert_status(secctx_cred_acquire(conn, "no-such-credential",
	    SECCTX_INBOUND, &cred), SEC_E_UNKNOWN_CREDENTIALS);
	/* Each failure has its own reason. */
	assert_string_not_equal(first, secctx_last_error());
	secctx_disconnect(conn);
}

static void
test_socket_from_environment(void **state)
{
	secctx_conn	*conn = NULL;
	secctx_cred	*cred;

	(void)state;
	/* The harness exported SECCTX_SOCKET. */
	assert_string_equal(getenv("SECCTX_SOCKET"), harness.socket);
	assert_status(secctx_connect(NULL, &conn), SEC_E_OK);
	assert_non_null(conn);
	cred = harness_cred(conn, "server", SECCTX_INBOUND);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
}

static void
test_no_daemon(void **state)
{
	secctx_conn	*conn = NULL;
	char		 path[160];

	(void)state;
	snprintf(path, sizeof(path), "%s/nobody-listens.sock", harness.dir);
	assert_status(secctx_connect(path, &conn),
	    SEC_E_NO_AUTHENTICATING_AUTHORITY);
	assert_null(conn);
	assert_true(strlen(secctx_last_error()) > 0);
	/* An argument overrides the environment. */
	setenv("SECCTX_SOCKET", harness.socket, 1);
	assert_status(secctx_connect(path, &conn),
	    SEC_E_NO_AUTHENTICATING_AUTHORITY);
}

static void
test_many_connections(void **state)
{
	secctx_conn	*conns[16];
	secctx_cred	*cred;
	size_t		 i;

	(void)state;
	for (i = 0; i < 16; i++)
		conns[i] = harness_connect();
	/* Refusals on every connection, then each still works. */
	for (i = 0; i < 16; i++) {
		assert_status(secctx_cred_acquire(conns[i], "forbidden",
		    SECCTX_OUTBOUND, &cred), SEC_E_NOT_OWNER);
	}
	for (i = 0; i < 16; i++) {
		cred = harness_cred(conns[i], "client-nocert",
		    SECCTX_OUTBOUND);
		assert_status(secctx_cred_free(cred), SEC_E_OK);
	}
	handshake_works(conns[3], conns[12]);
	for (i = 0; i < 16; i++)
		secctx_disconnect(conns[i]);
	handshake_works(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_not_owner),
		harness_test(test_unknown_credentials),
		harness_test(test_no_credentials_for_direction),
		harness_test(test_last_error_per_failure),
		harness_test(test_socket_from_environment),
		harness_test(test_no_daemon),
		harness_test(test_many_connections),
	};

	return (harness_run("access", tests));
}
