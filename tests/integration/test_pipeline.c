/*
 * Requests pipelined on one connection, with handshakes running in the
 * handshake pool or on the event loops (the "threads" and
 * "handshake_threads" settings): every response comes back once, with its
 * request's id, in the order they complete; a request naming a context
 * busy in the pool waits for it; a client that leaves while its handshakes
 * are in the pool leaves nothing behind.  Only steps that sign with an
 * RSA key go to the pool: a server's answer to a ClientHello with the
 * "server-rsa" credential, a client's answer to the server's flight with
 * "client" (which has that key too).
 */

#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "xdaemon.h"

#define PIPELINED	40

static void
start_named(struct xdaemon *d, const char *name, const char *threads)
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
	xd_start(d, name, text);
}

static void
start_with_threads(struct xdaemon *d, const char *threads)
{
	start_named(d, "pipeline", threads);
}

/* A ClientHello for "localhost", made on a connection of its own. */
static struct xd_resp
client_hello(struct xdaemon *d)
{
	struct xd_resp	r;
	char		cred[17], buf[128];
	int		fd;

	fd = xd_hello(d->socket);
	xd_acquire(fd, "client-nokey", "outbound", cred);
	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":1,"
	    "\"cred\":\"%s\",\"target\":\"localhost\"}", cred);
	xd_send_header(fd, buf);
	assert_int_equal(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS), 1);
	assert_status(r.status, SEC_I_CONTINUE_NEEDED);
	assert_true(r.plen > TLS_HEADER_LEN);
	close(fd);
	return (r);
}

/*
 * Server handshake steps that sign with an RSA key (in the pool when there
 * is one) and quick calls alternate, all sent before any response is
 * read: every one is answered once, with its id and the result of its own
 * request, in whatever order they end.
 */
static void
pipeline_on(struct xdaemon *d, int pooled)
{
	struct xd_resp	r, ch = client_hello(d);
	struct xd_stats	before, after;
	char		cred[17], buf[256];
	int		fd, i, seen[PIPELINED + 1];

	xd_stats(d->socket, &before);
	fd = xd_hello(d->socket);
	xd_acquire(fd, "server-rsa", "inbound", cred);
	for (i = 1; i <= PIPELINED; i++) {
		if (i % 2) {
			snprintf(buf, sizeof(buf), "{\"op\":\"accept\","
			    "\"id\":%d,\"cred\":\"%s\"}", 100 + i, cred);
			xd_send_frame(fd, buf, strlen(buf), ch.payload,
			    ch.plen);
			continue;
		}
		snprintf(buf, sizeof(buf), "{\"op\":\"query_context\","
		    "\"id\":%d,\"ctx\":\"00000000000000aa\"}", 100 + i);
		xd_send_header(fd, buf);
	}
	memset(seen, 0, sizeof(seen));
	for (i = 1; i <= PIPELINED; i++) {
		assert_int_equal(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS), 1);
		assert_true(r.id > 100 && r.id <= 100 + PIPELINED);
		assert_int_equal(seen[r.id - 100]++, 0);
		if ((r.id - 100) % 2) {
			assert_status(r.status, SEC_I_CONTINUE_NEEDED);
			/* The server's flight, whole records. */
			assert_true(r.plen > TLS_HEADER_LEN);
			assert_int_equal(r.payload[0], TLS_HANDSHAKE);
			assert_int_equal(harness_record_missing(r.payload,
			    r.plen), 0);
		} else
			assert_status(r.status, SEC_E_INVALID_HANDLE);
		xd_resp_free(&r);
	}
	xd_stats(d->socket, &after);
	assert_int_equal(after.contexts, PIPELINED / 2);
	/*
	 * With a pool, at least the first 16 went there (a connection has at
	 * most 16 steps in the pool at once; a step beyond runs on the loop).
	 */
	if (pooled) {
		assert_true(after.pool_steps - before.pool_steps >= 16);
		assert_true(after.pool_steps - before.pool_steps <=
		    PIPELINED / 2);
	} else
		assert_int_equal(after.pool_steps, before.pool_steps);
	xd_resp_free(&ch);
	close(fd);
}

static void
pipelined_in_order(const char *threads, int pooled)
{
	struct xdaemon	d;

	start_with_threads(&d, threads);
	pipeline_on(&d, pooled);
	xd_stop(&d);
}

static void
test_pool(void **state)
{
	(void)state;
	pipelined_in_order("\"threads\": 2, \"handshake_threads\": 2, ", 1);
}

static void
test_one_loop_no_pool(void **state)
{
	(void)state;
	pipelined_in_order("\"threads\": 1, \"handshake_threads\": 0, ", 0);
}

static void
test_more_loops_than_cores(void **state)
{
	(void)state;
	pipelined_in_order("\"threads\": 5, \"handshake_threads\": 3, ", 1);
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
	struct xd_stats	before, st;
	struct xd_resp	ch;
	char		cred[17], buf[256];
	int		fd[8], i, j;

	(void)state;
	start_with_threads(&d, "\"threads\": 2, \"handshake_threads\": 2, ");
	ch = client_hello(&d);
	xd_stats(d.socket, &before);
	for (j = 0; j < 8; j++) {
		fd[j] = xd_hello(d.socket);
		xd_acquire(fd[j], "server-rsa", "inbound", cred);
		for (i = 0; i < 20; i++) {
			snprintf(buf, sizeof(buf), "{\"op\":\"accept\","
			    "\"id\":%d,\"cred\":\"%s\"}", i + 1, cred);
			xd_send_frame(fd[j], buf, strlen(buf), ch.payload,
			    ch.plen);
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
	/* Their steps did go to the pool. */
	assert_true(st.pool_steps > before.pool_steps);
	xd_resp_free(&ch);
	/* And the daemon still serves. */
	pipeline_on(&d, 1);
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
 * A full handshake between the two credentials (at most TLS version max,
 * 0: any) and the handshake steps it ran in the pool; the server made two
 * calls (the client two in TLS 1.3, three in TLS 1.2).
 */
static int64_t
pool_steps_of(struct xdaemon *d, secctx_conn *cc, const char *ccred,
    secctx_conn *sc, const char *scred, enum secctx_version max)
{
	struct xd_stats		 before, after;
	struct harness_pair	*p;

	xd_stats(d->socket, &before);
	p = harness_pair_open(cc, ccred, sc, scred);
	p->client.opt.max_version = max;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	assert_int_equal(p->client.calls, max == SECCTX_TLS1_2 ? 3 : 2);
	assert_int_equal(p->server.calls, 2);
	harness_pair_close(p);
	xd_stats(d->socket, &after);
	return (after.pool_steps - before.pool_steps);
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
	struct xdaemon	 d;
	secctx_conn	*cc, *sc;

	(void)state;
	start_with_threads(&d, "\"threads\": 2, \"handshake_threads\": 2, ");
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	/* EC server key, keyless client: nothing in the pool. */
	assert_int_equal(pool_steps_of(&d, cc, "client-nokey", sc, "server",
	    SECCTX_VERSION_DEFAULT), 0);
	/* RSA server key: the server's first step only. */
	assert_int_equal(pool_steps_of(&d, cc, "client-nokey", sc,
	    "server-rsa", SECCTX_VERSION_DEFAULT), 1);
	/* The same in TLS 1.2: the server's flight ends at ServerHelloDone. */
	assert_int_equal(pool_steps_of(&d, cc, "client-nokey", sc,
	    "server-rsa", SECCTX_TLS1_2), 1);
	/* RSA client key: the client's second step only. */
	assert_int_equal(pool_steps_of(&d, cc, "client", sc, "server",
	    SECCTX_VERSION_DEFAULT), 1);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_stop(&d);
}

/*
 * After a HelloRetryRequest the server signs in its second step: that one
 * goes to the pool too.  The server's daemon offers only P-256 (OpenSSL's
 * system configuration), the client's sends an X25519 key share first.
 */
static void
test_pool_after_hello_retry(void **state)
{
	struct xdaemon		 cd, sd;
	struct xd_stats		 before, after;
	struct harness_pair	*p;
	struct secctx_info	 info;
	secctx_conn		*cc, *sc;
	char			 conf[256];
	FILE			*f;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/p256.cnf", harness.dir);
	assert_non_null(f = fopen(conf, "w"));
	fprintf(f, "openssl_conf = init\n[init]\nssl_conf = ssl\n"
	    "[ssl]\nsystem_default = sys\n[sys]\nGroups = P-256\n");
	assert_int_equal(fclose(f), 0);
	assert_int_equal(setenv("OPENSSL_CONF", conf, 1), 0);
	start_named(&sd, "pipeline-p256", "\"threads\": 1, ");
	assert_int_equal(unsetenv("OPENSSL_CONF"), 0);
	start_named(&cd, "pipeline-any", "\"threads\": 1, ");
	assert_status(secctx_connect(cd.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(sd.socket, &sc), SEC_E_OK);
	xd_stats(sd.socket, &before);
	p = harness_pair_open(cc, "client-nokey", sc, "server-rsa");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	/* ClientHello, second ClientHello, Finished. */
	assert_int_equal(p->server.calls, 3);
	harness_info(p->client.ctx, &info);
	assert_string_equal(info.group, "secp256r1");
	xd_stats(sd.socket, &after);
	assert_int_equal(after.pool_steps - before.pool_steps, 2);
	harness_pair_close(p);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_stop(&cd);
	xd_stop(&sd);
}

/* One raw request and its answer: the status, the payload kept. */
static void
raw_step(int fd, const char *hdr, const void *in, size_t len,
    secctx_status want, struct xd_resp *r)
{
	xd_send_frame(fd, hdr, strlen(hdr), in, len);
	assert_int_equal(xd_read_resp(fd, r, HARNESS_TIMEOUT_MS), 1);
	assert_status(r->status, want);
}

/* A client and a server context on one raw connection, established. */
static void
raw_pair(int fd, char cctx[17], char sctx[17])
{
	struct xd_resp	ch, sf, cf, tk;
	char		ccred[17], scred[17], buf[256];

	xd_acquire(fd, "client-nokey", "outbound", ccred);
	xd_acquire(fd, "server", "inbound", scred);
	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":1,\"cred\":"
	    "\"%s\",\"target\":\"localhost\",\"no_resume\":true}", ccred);
	raw_step(fd, buf, NULL, 0, SEC_I_CONTINUE_NEEDED, &ch);
	xd_handle(&ch, "ctx", cctx);
	snprintf(buf, sizeof(buf), "{\"op\":\"accept\",\"id\":2,\"cred\":"
	    "\"%s\"}", scred);
	raw_step(fd, buf, ch.payload, ch.plen, SEC_I_CONTINUE_NEEDED, &sf);
	xd_handle(&sf, "ctx", sctx);
	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":3,\"ctx\":"
	    "\"%s\"}", cctx);
	raw_step(fd, buf, sf.payload, sf.plen, SEC_E_OK, &cf);
	snprintf(buf, sizeof(buf), "{\"op\":\"accept\",\"id\":4,\"ctx\":"
	    "\"%s\"}", sctx);
	raw_step(fd, buf, cf.payload, cf.plen, SEC_E_OK, &tk);
	/* The client takes the server's tickets. */
	snprintf(buf, sizeof(buf), "{\"op\":\"decrypt\",\"id\":5,\"ctx\":"
	    "\"%s\"}", cctx);
	xd_resp_free(&ch);
	raw_step(fd, buf, tk.payload, tk.plen, SEC_E_OK, &ch);
	assert_int_equal(json_integer_value(json_object_get(ch.hdr,
	    "data_len")), 0);
	xd_resp_free(&ch);
	xd_resp_free(&sf);
	xd_resp_free(&cf);
	xd_resp_free(&tk);
}

#define BIG_REQUESTS	8
#define BIG_LEN		(1024 * 1024)

struct big_writer {
	int		 fd;
	const char	*ctx;
	unsigned char	*data;
	int		 failed;
};

/* Send every encrypt request without reading (no cmocka off the main thread). */
static void *
big_writer_main(void *arg)
{
	struct big_writer	*w = arg;
	uint8_t			 prefix[FRAME_PREFIX_LEN];
	char			 hdr[128];
	struct iovec		 iov[3];
	struct msghdr		 msg;
	ssize_t			 n;
	int			 i, len;

	for (i = 0; i < BIG_REQUESTS && !w->failed; i++) {
		len = snprintf(hdr, sizeof(hdr), "{\"op\":\"encrypt\","
		    "\"id\":%d,\"ctx\":\"%s\"}", 100 + i, w->ctx);
		frame_prefix_put(prefix, len, BIG_LEN);
		iov[0] = (struct iovec){ prefix, sizeof(prefix) };
		iov[1] = (struct iovec){ hdr, (size_t)len };
		iov[2] = (struct iovec){ w->data + i, BIG_LEN };
		while (iov[2].iov_len > 0) {
			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = iov;
			msg.msg_iovlen = 3;
			if ((n = sendmsg(w->fd, &msg, MSG_NOSIGNAL)) == -1 &&
			    errno == EINTR)
				continue;
			if (n <= 0) {
				w->failed = 1;
				break;
			}
			for (int k = 0; k < 3; k++) {
				size_t take = (size_t)n < iov[k].iov_len ?
				    (size_t)n : iov[k].iov_len;
				iov[k].iov_base = (uint8_t *)iov[k].iov_base +
				    take;
				iov[k].iov_len -= take;
				n -= take;
			}
		}
	}
	return (NULL);
}

/*
 * Large responses to pipelined requests: eight encrypts of 1 MiB sent
 * without reading, so the daemon's writes stop part way through a
 * payload and it stops reading at its buffer limit.  Every answer comes,
 * whole and in order, and its records decrypt to the data sent.
 */
static void
test_large_responses_pipelined(void **state)
{
	struct xdaemon		 d;
	struct xd_resp		 r[BIG_REQUESTS], p;
	struct big_writer	 w;
	pthread_t		 t;
	char			 cctx[17], sctx[17], buf[128];
	unsigned char		*data;
	size_t			 i;
	int			 fd, k;

	(void)state;
	start_with_threads(&d, "\"threads\": 1, ");
	fd = xd_hello(d.socket);
	raw_pair(fd, cctx, sctx);
	assert_non_null(data = malloc(BIG_LEN + BIG_REQUESTS));
	for (i = 0; i < BIG_LEN + BIG_REQUESTS; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	w.fd = fd;
	w.ctx = sctx;
	w.data = data;
	w.failed = 0;
	assert_int_equal(pthread_create(&t, NULL, big_writer_main, &w), 0);
	/* Not reading yet: the daemon's output fills up to its limit. */
	xd_wait_log(&d, "not reading until the client reads", 5000);
	for (k = 0; k < BIG_REQUESTS; k++) {
		assert_int_equal(xd_read_resp(fd, &r[k], HARNESS_TIMEOUT_MS),
		    1);
		assert_int_equal(r[k].id, 100 + k);
		assert_status(r[k].status, SEC_E_OK);
		assert_true(r[k].plen > BIG_LEN);
	}
	pthread_join(t, NULL);
	assert_int_equal(w.failed, 0);
	/* The client context opens them, in order, to the data sent. */
	for (k = 0; k < BIG_REQUESTS; k++) {
		snprintf(buf, sizeof(buf), "{\"op\":\"decrypt\",\"id\":%d,"
		    "\"ctx\":\"%s\"}", 200 + k, cctx);
		xd_send_frame(fd, buf, strlen(buf), r[k].payload, r[k].plen);
		assert_int_equal(xd_read_resp(fd, &p, HARNESS_TIMEOUT_MS), 1);
		assert_int_equal(p.id, 200 + k);
		assert_status(p.status, SEC_E_OK);
		assert_int_equal(json_integer_value(json_object_get(p.hdr,
		    "extra")), 0);
		assert_int_equal(p.plen, BIG_LEN);
		assert_memory_equal(p.payload, data + k, BIG_LEN);
		xd_resp_free(&p);
		xd_resp_free(&r[k]);
	}
	free(data);
	close(fd);
	xd_wait_contexts(d.socket, 0, 2000);
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
		xd_test(test_pool_after_hello_retry),
		xd_test(test_large_responses_pipelined),
	};

	return (harness_run("pipeline", tests));
}
