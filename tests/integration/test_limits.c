/*
 * Each limit of the "limits" configuration object, exceeded on a daemon of
 * its own: answered with its status (where an answer is possible), logged
 * once, another client on the same daemon unaffected, and the daemon's
 * context count back to zero once the offender is gone.
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdaemon.h"

#include "frame.h"

/* A configuration with the limits given (a JSON object's members). */
static void
start_with_limits(struct xdaemon *d, const char *limits)
{
	char	text[2048];

	snprintf(text, sizeof(text), "{\"socket\": \"@SOCK@\", "
	    "\"limits\": {%s}, \"credentials\": ["
	    "{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", "
	    "\"private_key\": \"@PKI@/server.key\", \"ca_file\": "
	    "\"@PKI@/ca.pem\", \"uids\": [@UID@, %d]},"
	    "{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", "
	    "\"uids\": [@UID@, %d]}]}", limits, HARNESS_OTHER_UID,
	    HARNESS_OTHER_UID);
	xd_start(d, "limits", text);
}

static void
test_contexts_per_connection(void **state)
{
	struct xdaemon	d;
	char		cred[17], ctx[17], buf[256];
	int		fd, i;

	(void)state;
	start_with_limits(&d, "\"contexts_per_connection\": 2");
	fd = xd_hello(d.socket);
	xd_acquire(fd, "client", "outbound", cred);
	xd_new_context(fd, cred, ctx);
	xd_new_context(fd, cred, ctx);
	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":7,"
	    "\"cred\":\"%s\",\"target\":\"localhost\"}", cred);
	for (i = 0; i < 3; i++)
		xd_expect(fd, buf, 7, SEC_E_INSUFFICIENT_MEMORY);
	/* Deleting one makes room again. */
	snprintf(buf, sizeof(buf), "{\"op\":\"delete_context\",\"id\":8,"
	    "\"ctx\":\"%s\"}", ctx);
	xd_expect(fd, buf, 8, SEC_E_OK);
	xd_new_context(fd, cred, ctx);
	assert_int_equal(xd_log_count(&d, "most one connection may hold"), 1);
	/* Another client is not affected; the offender's contexts go. */
	xd_handshake_works(d.socket, "client", "server");
	xd_wait_contexts(d.socket, 2, 1000);
	close(fd);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

/*
 * contexts_per_uid holds across the uid's connections; the daemon-wide
 * total and the share of it one uid may take are tested with several
 * uids in test_hostile_users.c.
 */
static void
test_contexts_per_uid(void **state)
{
	struct xdaemon	d;
	char		cred[17], ctx[17], buf[256];
	int		a, b;

	(void)state;
	start_with_limits(&d, "\"total_contexts\": 8, "
	    "\"contexts_per_uid\": 3");
	a = xd_hello(d.socket);
	xd_acquire(a, "client", "outbound", cred);
	xd_new_context(a, cred, ctx);
	xd_new_context(a, cred, ctx);
	b = xd_hello(d.socket);
	xd_acquire(b, "client", "outbound", cred);
	xd_new_context(b, cred, ctx);
	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":7,"
	    "\"cred\":\"%s\",\"target\":\"localhost\"}", cred);
	xd_expect(b, buf, 7, SEC_E_INSUFFICIENT_MEMORY);
	xd_expect(b, buf, 7, SEC_E_INSUFFICIENT_MEMORY);
	/* Logged once per connection; audited every time. */
	assert_int_equal(xd_log_count(&d, "the most one uid may hold"), 1);
	assert_int_equal(xd_log_count(&d, "(limits.contexts_per_uid)"), 2);
	/* The uid's count frees up with the connection that held them. */
	close(a);
	xd_wait_contexts(d.socket, 1, 2000);
	xd_new_context(b, cred, ctx);
	close(b);
	xd_handshake_works(d.socket, "client", "server");
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

/* As HARNESS_OTHER_UID: connect and handshake.  Exit 0 when both work. */
static void
other_uid_handshake(const char *path)
{
	secctx_conn	*conn;
	secctx_cred	*cc, *sc;
	secctx_ctx	*cctx = NULL, *sctx = NULL;
	struct secctx_options opt = { .target = "localhost", .no_resume = 1 };

	if (setgid(HARNESS_OTHER_UID) != 0 || setuid(HARNESS_OTHER_UID) != 0 ||
	    secctx_connect(path, &conn) != SEC_E_OK ||
	    secctx_cred_acquire(conn, "client", SECCTX_OUTBOUND,
	    &cc) != SEC_E_OK ||
	    secctx_cred_acquire(conn, "server", SECCTX_INBOUND,
	    &sc) != SEC_E_OK ||
	    harness_raw_handshake(cc, sc, &opt, &cctx, &sctx) != SEC_E_OK)
		_exit(1);
	_exit(0);
}

static void
test_connections_per_uid(void **state)
{
	struct xdaemon	 d;
	secctx_conn	*conns[3], *extra = NULL;
	struct xd_resp	 r;
	pid_t		 pid;
	int		 i, fd, status;

	(void)state;
	start_with_limits(&d, "\"connections_per_uid\": 3");
	for (i = 0; i < 3; i++)
		assert_status(secctx_connect(d.socket, &conns[i]), SEC_E_OK);
	/* The fourth: the library reports the daemon's answer. */
	assert_status(secctx_connect(d.socket, &extra),
	    SEC_E_INSUFFICIENT_MEMORY);
	assert_null(extra);
	assert_contains(secctx_last_error(), "connections_per_uid");
	/* On the wire: an answer with id 0 at once, then the close. */
	fd = xd_raw_connect(d.socket);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_INSUFFICIENT_MEMORY);
	assert_int_equal(r.id, 0);
	xd_resp_free(&r);
	xd_assert_closed(fd);
	close(fd);
	/* Refusals are logged once a second at most. */
	assert_in_range(xd_log_count(&d, "connections; refused"), 1, 2);
	/* Another uid is not affected. */
	if (getuid() == 0) {
		if ((pid = fork()) == 0)
			other_uid_handshake(d.socket);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	/* One closed: room for one more. */
	secctx_disconnect(conns[0]);
	for (i = 0; i < 100; i++) {
		if (secctx_connect(d.socket, &extra) == SEC_E_OK)
			break;
		usleep(20000);
	}
	assert_non_null(extra);
	secctx_disconnect(extra);
	secctx_disconnect(conns[1]);
	secctx_disconnect(conns[2]);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

static void
test_frame_size(void **state)
{
	struct xdaemon	 d;
	struct xd_resp	 r;
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	char		 hdr[1100], *payload;
	int		 fd;

	(void)state;
	start_with_limits(&d, "\"max_header\": 1024, \"max_payload\": 4096");
	/* hello reports the limits. */
	fd = xd_raw_connect(d.socket);
	xd_send_header(fd, "{\"op\":\"hello\",\"id\":1,\"version\":1}");
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_int_equal(json_integer_value(json_object_get(r.hdr,
	    "max_header")), 1024);
	assert_int_equal(json_integer_value(json_object_get(r.hdr,
	    "max_payload")), 4096);
	xd_resp_free(&r);
	/* At the limits: answered. */
	assert_non_null(payload = calloc(1, 4097));
	xd_send_frame(fd, "{\"op\":\"nope\",\"id\":2}", 20, payload, 4096);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_UNSUPPORTED_FUNCTION);
	xd_resp_free(&r);
	memset(hdr, ' ', sizeof(hdr));
	memcpy(hdr, "{\"op\":\"nope\",\"id\":6}", 20);
	xd_send_frame(fd, hdr, 1024, NULL, 0);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_UNSUPPORTED_FUNCTION);
	assert_int_equal(r.id, 6);
	xd_resp_free(&r);
	/*
	 * A payload over the limit: id 0, then the connection closes.  The
	 * prefix decides (the rest would meet a closed socket).
	 */
	frame_prefix_put(prefix, 20, 4097);
	harness_send_all(fd, prefix, sizeof(prefix));
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_INVALID_PARAMETER);
	assert_int_equal(r.id, 0);
	assert_contains(json_string_value(json_object_get(r.hdr, "message")),
	    "4096");
	xd_resp_free(&r);
	xd_assert_closed(fd);
	close(fd);
	/* A header over the limit. */
	fd = xd_hello(d.socket);
	frame_prefix_put(prefix, 1025, 0);
	harness_send_all(fd, prefix, sizeof(prefix));
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_INVALID_PARAMETER);
	assert_int_equal(r.id, 0);
	xd_resp_free(&r);
	xd_assert_closed(fd);
	close(fd);
	free(payload);
	xd_handshake_works(d.socket, "client", "server");
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

#define FLOOD	3000

/*
 * A client that sends many requests and reads no response: the daemon
 * stops reading it at the buffer limit, others go on, and it resumes when
 * the client reads.
 */
static void
test_buffer_per_connection(void **state)
{
	struct xdaemon	 d;
	struct xd_stats	 st;
	struct xd_resp	 r;
	struct pollfd	 pfd;
	char		 cred[17], ctx[17], one[128], *flood;
	size_t		 len = 0, sent = 0, n, got = 0;
	ssize_t		 w;
	int		 fd, i;

	(void)state;
	start_with_limits(&d, "\"max_header\": 1024, \"max_payload\": 4096, "
	    "\"buffer_per_connection\": 8192, \"frame_timeout\": 20");
	fd = xd_hello(d.socket);
	xd_acquire(fd, "client", "outbound", cred);
	xd_new_context(fd, cred, ctx);
	/* FLOOD query_context frames: each answer is some 10 times longer. */
	assert_non_null(flood = malloc(FLOOD * 128));
	for (i = 0; i < FLOOD; i++) {
		n = snprintf(one, sizeof(one), "{\"op\":\"query_context\","
		    "\"id\":%d,\"ctx\":\"%s\"}", 100 + i, ctx);
		frame_prefix_put((uint8_t *)flood + len, n, 0);
		memcpy(flood + len + FRAME_PREFIX_LEN, one, n);
		len += FRAME_PREFIX_LEN + n;
	}
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while (sent < len && (w = send(fd, flood + sent, len - sent,
	    MSG_NOSIGNAL)) > 0)
		sent += w;
	/* The daemon stops at the limit, logs it once, bounds its buffers. */
	xd_wait_log(&d, "not reading until the client reads", 5000);
	xd_stats(d.socket, &st);
	assert_true(st.buffered <= 3 * 8192);
	assert_int_equal(st.contexts, 1);
	/* Another client is served meanwhile. */
	xd_handshake_works(d.socket, "client", "server");
	/* Reading the answers resumes it: every one comes, in order. */
	assert_int_equal(fcntl(fd, F_SETFL, 0), 0);
	while (got < FLOOD) {
		pfd.fd = fd;
		pfd.events = POLLIN | (sent < len ? POLLOUT : 0);
		assert_true(poll(&pfd, 1, HARNESS_TIMEOUT_MS) > 0);
		if ((pfd.revents & POLLOUT) && (w = send(fd, flood + sent,
		    len - sent, MSG_NOSIGNAL | MSG_DONTWAIT)) > 0)
			sent += w;
		if (!(pfd.revents & POLLIN))
			continue;
		assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
		assert_status(r.status, SEC_E_OK);
		assert_int_equal(r.id, 100 + (int64_t)got);
		xd_resp_free(&r);
		got++;
	}
	assert_int_equal(xd_log_count(&d, "not reading until"), 1);
	free(flood);
	close(fd);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

/* A frame that never completes: answered, closed, its contexts freed. */
static void
test_frame_timeout(void **state)
{
	struct xdaemon	 d;
	struct xd_resp	 r;
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	char		 cred[17], ctx[17];
	int		 fd;

	(void)state;
	start_with_limits(&d, "\"frame_timeout\": 0.5");
	fd = xd_hello(d.socket);
	xd_acquire(fd, "client", "outbound", cred);
	xd_new_context(fd, cred, ctx);
	frame_prefix_put(prefix, 40, 0);
	harness_send_all(fd, prefix, sizeof(prefix));
	harness_send_all(fd, "{\"op\":", 6);
	/* Another client is served meanwhile. */
	xd_handshake_works(d.socket, "client", "server");
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_CONTEXT_EXPIRED);
	assert_int_equal(r.id, 0);
	assert_contains(json_string_value(json_object_get(r.hdr, "message")),
	    "frame_timeout");
	xd_resp_free(&r);
	xd_assert_closed(fd);
	close(fd);
	xd_wait_contexts(d.socket, 0, 2000);
	assert_int_equal(xd_log_count(&d, "no progress for"), 1);
	xd_stop(&d);
}

/* An idle connection is closed; a busy one is not. */
static void
test_idle_timeout(void **state)
{
	struct xdaemon	 d;
	struct xd_resp	 r;
	char		 cred[17], ctx[17], buf[128];
	int		 idle, busy, i;

	(void)state;
	start_with_limits(&d, "\"idle_timeout\": 1");
	idle = xd_hello(d.socket);
	xd_acquire(idle, "client", "outbound", cred);
	xd_new_context(idle, cred, ctx);
	busy = xd_hello(d.socket);
	xd_acquire(busy, "client", "outbound", cred);
	xd_new_context(busy, cred, ctx);
	snprintf(buf, sizeof(buf), "{\"op\":\"query_context\",\"id\":5,"
	    "\"ctx\":\"%s\"}", ctx);
	for (i = 0; i < 8; i++) {
		usleep(250000);
		xd_expect(busy, buf, 5, SEC_E_OK);
	}
	assert_true(xd_read_resp(idle, &r, 100));
	assert_status(r.status, SEC_E_CONTEXT_EXPIRED);
	assert_contains(json_string_value(json_object_get(r.hdr, "message")),
	    "idle_timeout");
	xd_resp_free(&r);
	xd_assert_closed(idle);
	close(idle);
	xd_wait_contexts(d.socket, 1, 2000);
	close(busy);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_contexts_per_connection),
		xd_test(test_contexts_per_uid),
		xd_test(test_connections_per_uid),
		xd_test(test_frame_size),
		xd_test(test_buffer_per_connection),
		xd_test(test_frame_timeout),
		xd_test(test_idle_timeout),
	};

	return (harness_run("limits", tests));
}
