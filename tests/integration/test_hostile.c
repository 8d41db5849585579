/*
 * Hostile clients on the raw protocol: malformed frames of every kind, and
 * clients that vanish in the middle of a handshake or a message.  Each gets
 * the answer PROTOCOL.md documents, the connection is kept or closed as it
 * says, the daemon stays up, and the counters return to zero.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdaemon.h"

#include "frame.h"

static struct xdaemon	d;

static void
start(void)
{
	xd_start(&d, "hostile", "{\"socket\": \"@SOCK@\", "
	    "\"limits\": {\"frame_timeout\": 1}, \"credentials\": ["
	    "{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", "
	    "\"private_key\": \"@PKI@/server.key\", \"ca_file\": "
	    "\"@PKI@/ca.pem\", \"uids\": [@UID@]},"
	    "{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", "
	    "\"uids\": [@UID@]}]}");
}

/* After the abuse: the daemon serves, and holds nothing of it. */
static void
finish(void)
{
	xd_handshake_works(d.socket, "client", "server");
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

/* Send raw bytes; expect an id 0 error with status st and the close. */
static void
expect_fatal(const void *bytes, size_t len, secctx_status st)
{
	struct xd_resp	r;
	int		fd = xd_hello(d.socket);

	harness_send_all(fd, bytes, len);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, st);
	assert_int_equal(r.id, 0);
	xd_resp_free(&r);
	xd_assert_closed(fd);
	close(fd);
}

/* A header the daemon answers with st; the connection stays usable. */
static void
expect_kept(int fd, const char *header, size_t hlen, int64_t id,
    secctx_status st)
{
	struct xd_resp	r;

	xd_send_frame(fd, header, hlen, NULL, 0);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, st);
	assert_int_equal(r.id, id);
	xd_resp_free(&r);
	xd_expect(fd, "{\"op\":\"nope\",\"id\":77}", 77,
	    SEC_E_UNSUPPORTED_FUNCTION);
}

static void
test_truncated(void **state)
{
	struct xd_resp	r;
	uint8_t		prefix[FRAME_PREFIX_LEN];
	char		cred[17], ctx[17];
	int		fd;

	(void)state;
	start();
	/* Half a prefix, then nothing: the frame timeout closes it. */
	fd = xd_hello(d.socket);
	xd_acquire(fd, "client", "outbound", cred);
	xd_new_context(fd, cred, ctx);
	harness_send_all(fd, "\0\0\0", 3);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_CONTEXT_EXPIRED);
	assert_int_equal(r.id, 0);
	xd_resp_free(&r);
	xd_assert_closed(fd);
	close(fd);
	/* A payload shorter than its length says: the same. */
	fd = xd_hello(d.socket);
	frame_prefix_put(prefix, 20, 100);
	harness_send_all(fd, prefix, sizeof(prefix));
	harness_send_all(fd, "{\"op\":\"nope\",\"id\":5}", 20);
	harness_send_all(fd, "only ten b", 10);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_CONTEXT_EXPIRED);
	xd_resp_free(&r);
	xd_assert_closed(fd);
	close(fd);
	finish();
}

static void
test_oversized_and_lying_lengths(void **state)
{
	uint8_t	buf[64];

	(void)state;
	start();
	/* Header over the protocol limit; payload over it; empty header. */
	frame_prefix_put(buf, FRAME_MAX_HEADER + 1, 0);
	expect_fatal(buf, FRAME_PREFIX_LEN, SEC_E_INVALID_PARAMETER);
	frame_prefix_put(buf, 16, FRAME_MAX_PAYLOAD + 1);
	expect_fatal(buf, FRAME_PREFIX_LEN, SEC_E_INVALID_PARAMETER);
	frame_prefix_put(buf, 0, 0);
	expect_fatal(buf, FRAME_PREFIX_LEN, SEC_E_INVALID_PARAMETER);
	frame_prefix_put(buf, UINT32_MAX, UINT32_MAX);
	expect_fatal(buf, FRAME_PREFIX_LEN, SEC_E_INVALID_PARAMETER);
	/*
	 * A payload longer than its length says: the rest is read as the
	 * next prefix ("AAAA" = 1094795585 bytes of header) and refused.
	 */
	frame_prefix_put(buf, 20, 0);
	memcpy(buf + FRAME_PREFIX_LEN, "{\"op\":\"nope\",\"id\":5}", 20);
	memset(buf + FRAME_PREFIX_LEN + 20, 'A', 16);
	{
		struct xd_resp	r;
		int		fd = xd_hello(d.socket);

		harness_send_all(fd, buf, FRAME_PREFIX_LEN + 36);
		assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
		assert_status(r.status, SEC_E_UNSUPPORTED_FUNCTION);
		assert_int_equal(r.id, 5);
		xd_resp_free(&r);
		assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
		assert_status(r.status, SEC_E_INVALID_PARAMETER);
		assert_int_equal(r.id, 0);
		xd_resp_free(&r);
		xd_assert_closed(fd);
		close(fd);
	}
	finish();
}

static void
test_bad_headers(void **state)
{
	static const char	nul[] = "{\"op\":\"he\0llo\",\"id\":4}";
	static const char	latin1[] = "{\"op\":\"h\xe9llo\",\"id\":4}";
	const char		*bad_json[] = {
		"{\"op\":\"hello\",\"id\":4",	/* truncated JSON */
		"{op:hello}",
		"[\"hello\",4]",		/* not an object */
		"\"hello\"",
		"null",
		"{\"op\":\"a\",\"id\":4,\"id\":5}",	/* duplicate keys */
		"{\"op\":\"a\",\"id\":4} {}",	/* two values */
	};
	int			 fd;
	size_t			 i;

	(void)state;
	start();
	fd = xd_hello(d.socket);
	for (i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++)
		expect_kept(fd, bad_json[i], strlen(bad_json[i]), 0,
		    SEC_E_INVALID_PARAMETER);
	expect_kept(fd, nul, sizeof(nul) - 1, 0, SEC_E_INVALID_PARAMETER);
	expect_kept(fd, latin1, sizeof(latin1) - 1, 0,
	    SEC_E_INVALID_PARAMETER);
	close(fd);
	finish();
}

static void
test_wrong_types(void **state)
{
	const struct {
		const char	*hdr;
		int64_t		 id;
		secctx_status	 st;
	} cases[] = {
		{ "{\"op\":\"nope\"}", 0, SEC_E_INVALID_PARAMETER },
		{ "{\"op\":\"nope\",\"id\":\"7\"}", 0,
		    SEC_E_INVALID_PARAMETER },
		{ "{\"op\":\"nope\",\"id\":-1}", 0, SEC_E_INVALID_PARAMETER },
		{ "{\"op\":\"nope\",\"id\":9007199254740992}", 0,
		    SEC_E_INVALID_PARAMETER },
		{ "{\"op\":\"nope\",\"id\":1.5}", 0, SEC_E_INVALID_PARAMETER },
		{ "{\"op\":7,\"id\":8}", 8, SEC_E_INVALID_PARAMETER },
		{ "{\"id\":8}", 8, SEC_E_INVALID_PARAMETER },
		{ "{\"op\":\"launch_missiles\",\"id\":9}", 9,
		    SEC_E_UNSUPPORTED_FUNCTION },
		{ "{\"op\":\"acquire_credentials\",\"id\":10,\"name\":[],"
		    "\"direction\":\"outbound\"}", 10,
		    SEC_E_INVALID_PARAMETER },
		{ "{\"op\":\"acquire_credentials\",\"id\":11,\"name\":"
		    "\"client\",\"direction\":1}", 11,
		    SEC_E_INVALID_PARAMETER },
		{ "{\"op\":\"initialize\",\"id\":12,\"cred\":12}", 12,
		    SEC_E_INVALID_HANDLE },
		{ "{\"op\":\"initialize\",\"id\":13,\"cred\":"
		    "\"zzzzzzzzzzzzzzzz\"}", 13, SEC_E_INVALID_HANDLE },
		{ "{\"op\":\"hello\",\"id\":14,\"version\":\"1\"}", 14,
		    SEC_E_OUT_OF_SEQUENCE },
		{ "{\"op\":\"query_context\",\"id\":15,\"ctx\":"
		    "\"0123456789abcdef\"}", 15, SEC_E_INVALID_HANDLE },
		{ "{\"op\":\"stats\",\"id\":16,\"extra\":{\"a\":[1,2]}}", 16,
		    SEC_E_OK },
	};
	int	fd;
	size_t	i;

	(void)state;
	start();
	fd = xd_hello(d.socket);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_kept(fd, cases[i].hdr, strlen(cases[i].hdr),
		    cases[i].id, cases[i].st);
	close(fd);
	finish();
}

/* JSON nested deeper than jansson's limit (2048) is refused, not a crash. */
static void
test_deep_nesting(void **state)
{
	char	*hdr;
	size_t	 depth, i, len;
	int	 fd;

	(void)state;
	start();
	fd = xd_hello(d.socket);
	for (depth = 1000; depth <= 30000; depth += 29000) {
		assert_non_null(hdr = malloc(2 * depth + 64));
		len = (size_t)sprintf(hdr, "{\"op\":\"nope\",\"id\":3,\"x\":");
		for (i = 0; i < depth; i++)
			hdr[len++] = '[';
		for (i = 0; i < depth; i++)
			hdr[len++] = ']';
		hdr[len++] = '}';
		if (depth < 2048)
			expect_kept(fd, hdr, len, 3,
			    SEC_E_UNSUPPORTED_FUNCTION);
		else
			expect_kept(fd, hdr, len, 0, SEC_E_INVALID_PARAMETER);
		free(hdr);
	}
	close(fd);
	finish();
}

/* Clients gone mid-handshake: their contexts are freed. */
static void
test_disconnect_mid_handshake(void **state)
{
	secctx_conn		*cc, *sc;
	struct harness_pair	*p;
	struct xd_stats		 st;

	(void)state;
	start();
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	p = harness_pair_open(cc, "client", sc, "server");
	/* ClientHello, then the server's first flight: both mid-way. */
	assert_status(harness_side_step(&p->client, &p->server),
	    SEC_I_CONTINUE_NEEDED);
	assert_status(harness_side_step(&p->server, &p->client),
	    SEC_I_CONTINUE_NEEDED);
	xd_stats(d.socket, &st);
	assert_int_equal(st.contexts, 2);
	/* Both applications vanish without deleting anything. */
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_wait_contexts(d.socket, 0, 2000);
	/* (What the library still holds is freed locally.) */
	harness_pair_close(p);
	finish();
}

/* A client gone in the middle of sending a message frame. */
static void
test_disconnect_mid_message(void **state)
{
	secctx_conn		*cc, *sc;
	struct harness_pair	*p;
	uint8_t			 prefix[FRAME_PREFIX_LEN];
	char			 cred[17], ctx[17];
	int			 fd;

	(void)state;
	start();
	/* An established pair whose client vanishes (library). */
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	p = harness_pair_open(cc, "client", sc, "server");
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	secctx_disconnect(cc);
	xd_wait_contexts(d.socket, 1, 2000);
	harness_pair_close(p);
	secctx_disconnect(sc);
	xd_wait_contexts(d.socket, 0, 2000);
	/* Raw: half an encrypt frame, then gone. */
	fd = xd_hello(d.socket);
	xd_acquire(fd, "client", "outbound", cred);
	xd_new_context(fd, cred, ctx);
	frame_prefix_put(prefix, 40, 4096);
	harness_send_all(fd, prefix, sizeof(prefix));
	harness_send_all(fd, "{\"op\":\"encrypt\",\"id\":4,", 23);
	close(fd);
	xd_wait_contexts(d.socket, 0, 2000);
	finish();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_truncated),
		xd_test(test_oversized_and_lying_lengths),
		xd_test(test_bad_headers),
		xd_test(test_wrong_types),
		xd_test(test_deep_nesting),
		xd_test(test_disconnect_mid_handshake),
		xd_test(test_disconnect_mid_message),
	};

	return (harness_run("hostile", tests));
}
