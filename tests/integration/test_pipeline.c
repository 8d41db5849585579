/*
 * Requests pipelined on one connection, with handshakes running in the
 * handshake pool or on the event loops (the "threads" and
 * "handshake_threads" settings): every response comes back once, with its
 * request's id, in the order they complete; a request naming a context
 * busy in the pool waits for it; a client that leaves while its handshakes
 * are in the pool leaves nothing behind.  Only steps of credentials with
 * an RSA key go to the pool, so the "client" credential here has one.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdaemon.h"

#define PIPELINED	40

static void
start_with_threads(struct xdaemon *d, const char *threads)
{
	char	text[2048];

	snprintf(text, sizeof(text), "{\"socket\": \"@SOCK@\", %s"
	    "\"credentials\": ["
	    "{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", "
	    "\"private_key\": \"@PKI@/server.key\", \"uids\": [@UID@]},"
	    "{\"name\": \"server-rsa\", "
	    "\"certificate\": \"@PKI@/server-rsa.pem\", "
	    "\"private_key\": \"@PKI@/server-rsa.key\", \"uids\": [@UID@]},"
	    "{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", "
	    "\"certificate\": \"@PKI@/server-rsa.pem\", "
	    "\"private_key\": \"@PKI@/server-rsa.key\", \"uids\": [@UID@]},"
	    "{\"name\": \"client-nokey\", \"ca_file\": \"@PKI@/ca.pem\", "
	    "\"uids\": [@UID@]}]}", threads);
	xd_start(d, "pipeline", text);
}

/*
 * Handshakes (which may run in the pool) and quick calls alternate, all
 * sent before any response is read: every one is answered once, with its
 * id and the result of its own request, in whatever order they end.
 */
static void
pipeline_on(struct xdaemon *d)
{
	struct xd_resp	r;
	struct xd_stats	st;
	char		cred[17], buf[256];
	int		fd, i, seen[PIPELINED + 1];

	fd = xd_hello(d->socket);
	xd_acquire(fd, "client", "outbound", cred);
	for (i = 1; i <= PIPELINED; i++) {
		if (i % 2)
			snprintf(buf, sizeof(buf), "{\"op\":\"initialize\","
			    "\"id\":%d,\"cred\":\"%s\",\"target\":"
			    "\"localhost\"}", 100 + i, cred);
		else
			snprintf(buf, sizeof(buf), "{\"op\":\"query_context\","
			    "\"id\":%d,\"ctx\":\"00000000000000aa\"}",
			    100 + i);
		xd_send_header(fd, buf);
	}
	memset(seen, 0, sizeof(seen));
	for (i = 1; i <= PIPELINED; i++) {
		assert_int_equal(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS), 1);
		assert_true(r.id > 100 && r.id <= 100 + PIPELINED);
		assert_int_equal(seen[r.id - 100]++, 0);
		if ((r.id - 100) % 2) {
			assert_status(r.status, SEC_I_CONTINUE_NEEDED);
			/* A ClientHello, one whole record. */
			assert_true(r.plen > TLS_HEADER_LEN);
			assert_int_equal(r.payload[0], TLS_HANDSHAKE);
			assert_int_equal(harness_record_missing(r.payload,
			    r.plen), 0);
		} else
			assert_status(r.status, SEC_E_INVALID_HANDLE);
		xd_resp_free(&r);
	}
	xd_stats(d->socket, &st);
	assert_int_equal(st.contexts, PIPELINED / 2);
	close(fd);
}

static void
pipelined_in_order(const char *threads)
{
	struct xdaemon	d;

	start_with_threads(&d, threads);
	pipeline_on(&d);
	xd_stop(&d);
}

static void
test_pool(void **state)
{
	(void)state;
	pipelined_in_order("\"threads\": 2, \"handshake_threads\": 2, ");
}

static void
test_one_loop_no_pool(void **state)
{
	(void)state;
	pipelined_in_order("\"threads\": 1, \"handshake_threads\": 0, ");
}

static void
test_more_loops_than_cores(void **state)
{
	(void)state;
	pipelined_in_order("\"threads\": 5, \"handshake_threads\": 3, ");
}

/*
 * A request naming a context whose step is in the pool waits for it: the
 * step fails (garbage input) and deletes the context, so the query after it
 * finds no such handle, and is answered after the step.
 */
static void
test_request_waits_for_its_context(void **state)
{
	struct xdaemon	d;
	struct xd_resp	r;
	char		cred[17], ctx[17], buf[256];
	static const char garbage[] = "\x16\x03\x03\x00\x05hello";
	int		fd, round;

	(void)state;
	start_with_threads(&d, "\"threads\": 1, \"handshake_threads\": 2, ");
	fd = xd_hello(d.socket);
	xd_acquire(fd, "client", "outbound", cred);
	for (round = 0; round < 20; round++) {
		xd_new_context(fd, cred, ctx);
		snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":1,"
		    "\"ctx\":\"%s\"}", ctx);
		xd_send_frame(fd, buf, strlen(buf), garbage,
		    sizeof(garbage) - 1);
		snprintf(buf, sizeof(buf), "{\"op\":\"query_context\","
		    "\"id\":2,\"ctx\":\"%s\"}", ctx);
		xd_send_header(fd, buf);
		assert_int_equal(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS), 1);
		assert_int_equal(r.id, 1);
		assert_true(SECCTX_FAILED(r.status));
		xd_resp_free(&r);
		assert_int_equal(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS), 1);
		assert_int_equal(r.id, 2);
		assert_status(r.status, SEC_E_INVALID_HANDLE);
		xd_resp_free(&r);
	}
	close(fd);
	xd_stop(&d);
}

/*
 * Clients that send handshakes and go at once, several at a time: their
 * jobs finish after they left, and every context is freed.
 */
static void
test_leave_during_handshakes(void **state)
{
	struct xdaemon	d;
	struct xd_stats	st;
	char		cred[17], buf[256];
	int		fd[8], i, j;

	(void)state;
	start_with_threads(&d, "\"threads\": 2, \"handshake_threads\": 2, ");
	for (j = 0; j < 8; j++) {
		fd[j] = xd_hello(d.socket);
		xd_acquire(fd[j], "client", "outbound", cred);
		for (i = 0; i < 20; i++) {
			snprintf(buf, sizeof(buf), "{\"op\":\"initialize\","
			    "\"id\":%d,\"cred\":\"%s\",\"target\":"
			    "\"localhost\"}", i + 1, cred);
			xd_send_header(fd[j], buf);
		}
	}
	for (j = 0; j < 8; j++)
		close(fd[j]);
	for (i = 0; i < 100; i++) {
		xd_stats(d.socket, &st);
		if (st.contexts == 0 && st.connections == 1)
			break;
		usleep(20000);
	}
	assert_int_equal(st.contexts, 0);
	assert_int_equal(st.connections, 1);
	/* And the daemon still serves. */
	pipeline_on(&d);
	xd_stop(&d);
}

/*
 * The library sends deletes without waiting for their answers and reads
 * them later: many deletes in a row (more than it keeps track of), then a
 * call that waits gets its own answer, and the daemon freed them all.
 */
static void
test_library_deletes_without_waiting(void **state)
{
	struct secctx_options	 opt = { .target = "localhost" };
	struct secctx_token	 tok;
	struct secctx_info	 info;
	struct xdaemon		 d;
	secctx_conn		*conn;
	secctx_cred		*cred;
	secctx_ctx		*ctx[150], *last = NULL;
	int			 i;

	(void)state;
	start_with_threads(&d, "");
	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
	assert_status(secctx_cred_acquire(conn, "client", SECCTX_OUTBOUND,
	    &cred), SEC_E_OK);
	for (i = 0; i < 150; i++) {
		ctx[i] = NULL;
		memset(&tok, 0, sizeof(tok));
		assert_status(secctx_initialize(cred, &ctx[i], &opt, &tok),
		    SEC_I_CONTINUE_NEEDED);
		secctx_free(tok.out);
	}
	for (i = 0; i < 150; i++)
		assert_status(secctx_delete(ctx[i]), SEC_E_OK);
	memset(&tok, 0, sizeof(tok));
	assert_status(secctx_initialize(cred, &last, &opt, &tok),
	    SEC_I_CONTINUE_NEEDED);
	secctx_free(tok.out);
	assert_status(secctx_query_info(last, &info), SEC_E_OK);
	assert_int_equal(info.handshake_done, 0);
	xd_wait_contexts(d.socket, 1, 2000);
	assert_status(secctx_delete(last), SEC_E_OK);
	xd_wait_contexts(d.socket, 0, 2000);
	secctx_cred_free(cred);
	secctx_disconnect(conn);
	xd_stop(&d);
}

/*
 * Which steps go to the pool: of a credential with an RSA key, the one
 * step that may sign (the server's answer to the ClientHello, the
 * client's answer to the server's flight); an EC key's steps, a keyless
 * client's, and the other steps run on the loop (the stats count them).
 */
static void
test_pool_for_slow_keys(void **state)
{
	struct xdaemon		 d;
	struct xd_stats		 before, after;
	secctx_conn		*cc, *sc;
	struct harness_pair	*p;

	(void)state;
	start_with_threads(&d, "\"threads\": 2, \"handshake_threads\": 2, ");
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);

	/* EC server key, keyless client: nothing in the pool. */
	xd_stats(d.socket, &before);
	p = harness_pair_open(cc, "client-nokey", sc, "server");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_pair_close(p);
	xd_stats(d.socket, &after);
	assert_int_equal(after.pool_steps, before.pool_steps);

	/* RSA server key: the server's first step only (of two). */
	p = harness_pair_open(cc, "client-nokey", sc, "server-rsa");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	before = after;
	xd_stats(d.socket, &after);
	assert_int_equal(p->server.calls, 2);
	assert_int_equal(after.pool_steps - before.pool_steps, 1);
	harness_pair_close(p);

	/* The same in TLS 1.2: the server's flight ends at ServerHelloDone. */
	p = harness_pair_open(cc, "client-nokey", sc, "server-rsa");
	p->client.opt.max_version = SECCTX_TLS1_2;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	before = after;
	xd_stats(d.socket, &after);
	assert_int_equal(p->server.calls, 2);
	assert_int_equal(after.pool_steps - before.pool_steps, 1);
	harness_pair_close(p);

	/* RSA client key: the client's second step only (of two). */
	p = harness_pair_open(cc, "client", sc, "server");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	before = after;
	xd_stats(d.socket, &after);
	assert_int_equal(p->client.calls, 2);
	assert_int_equal(after.pool_steps - before.pool_steps, 1);
	harness_pair_close(p);

	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_pool),
		xd_test(test_one_loop_no_pool),
		xd_test(test_more_loops_than_cores),
		xd_test(test_request_waits_for_its_context),
		xd_test(test_leave_during_handshakes),
		xd_test(test_library_deletes_without_waiting),
		xd_test(test_pool_for_slow_keys),
	};

	return (harness_run("pipeline", tests));
}
