/*
 * The wire protocol spoken directly, without libsecctx: frames built by
 * hand on the daemon's socket, including broken ones.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdaemon.h"

#include "frame.h"
#include "msg.h"

#define CODE_OUT_OF_SEQUENCE		INT64_C(0x80090310)
#define CODE_UNSUPPORTED_FUNCTION	INT64_C(0x80090302)

static int
raw_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", harness.socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail_msg("connect %s: %s", harness.socket, strerror(errno));
	return (fd);
}


/* Read exactly len bytes; 0 if the daemon closed the connection first. */
static int
read_exact(int fd, void *buf, size_t len)
{
	uint8_t	*p = buf;
	size_t	 n;

	while (len > 0) {
		if ((n = harness_recv(fd, p, len, HARNESS_TIMEOUT_MS)) == 0)
			return (0);
		p += n;
		len -= n;
	}
	return (1);
}

/* A response from the daemon. */
struct resp {
	json_t		*hdr;
	uint8_t		*payload;
	size_t		 plen;
	secctx_status	 status;
	int64_t		 id;
};

static void
resp_free(struct resp *r)
{
	json_decref(r->hdr);
	free(r->payload);
	memset(r, 0, sizeof(*r));
}

/*
 * Read one response frame and check what every response must have: id,
 * status name and code that agree, and a message with every error.
 */
static void
read_resp(int fd, struct resp *r)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	struct sc_err	 err;
	uint32_t	 hlen, plen;
	const char	*name = NULL, *message = NULL;
	char		*hbuf;
	int		 found;

	memset(r, 0, sizeof(*r));
	sc_clearerr(&err);
	if (!read_exact(fd, prefix, sizeof(prefix)))
		fail_msg("the daemon closed the connection instead of "
		    "answering");
	assert_status(frame_prefix_parse(prefix, FRAME_MAX_PAYLOAD, &hlen,
	    &plen, &err), SEC_E_OK);
	if ((hbuf = malloc(hlen)) == NULL ||
	    (r->payload = malloc(plen + 1)) == NULL)
		fail();
	assert_true(read_exact(fd, hbuf, hlen));
	assert_true(read_exact(fd, r->payload, plen));
	r->plen = plen;
	if (frame_header_parse(hbuf, hlen, &r->hdr, &err) != SEC_E_OK)
		fail_msg("bad response header: %s", err.msg);
	free(hbuf);

	assert_status(msg_get_int(r->hdr, "id", MSG_REQUIRED, 0,
	    (INT64_C(1) << 53) - 1, &r->id, &err), SEC_E_OK);
	assert_status(msg_get_string(r->hdr, "status", MSG_REQUIRED, 64,
	    &name, &err), SEC_E_OK);
	r->status = msg_response_status(r->hdr, &err);
	found = 0;
	if (secctx_status_from_name(name, &found) != r->status || !found)
		fail_msg("status \"%s\" does not match code 0x%08x", name,
		    (unsigned)r->status);
	assert_status(msg_get_string(r->hdr, "message", MSG_OPTIONAL, 4096,
	    &message, &err), SEC_E_OK);
	if (SECCTX_FAILED(r->status) && (message == NULL || *message == '\0'))
		fail_msg("error %s without a message", name);
}

/* Fail unless the daemon closes the connection (nothing more to read). */
static void
assert_closed(int fd)
{
	uint8_t	buf[64];

	if (harness_recv(fd, buf, sizeof(buf), HARNESS_TIMEOUT_MS) != 0)
		fail_msg("the daemon sent more instead of closing");
}

static void
request(int fd, const char *header, struct resp *r)
{
	xd_send_header(fd, header);
	read_resp(fd, r);
}

static void
expect(int fd, const char *header, int64_t id, secctx_status st)
{
	struct resp	r;

	request(fd, header, &r);
	assert_status(r.status, st);
	assert_int_equal(r.id, id);
	resp_free(&r);
}

static int
hello_connect(void)
{
	int	fd = raw_connect();

	expect(fd, "{\"op\":\"hello\",\"id\":1,\"version\":1}", 1, SEC_E_OK);
	return (fd);
}

/* The handle in a response field. */
static void
get_handle(const struct resp *r, const char *key, char out[17])
{
	const char	*s = json_string_value(json_object_get(r->hdr, key));
	uint64_t	 h;

	if (s == NULL)
		fail_msg("no \"%s\" in the response", key);
	assert_int_equal(msg_handle_parse(s, &h), 1);
	snprintf(out, 17, "%s", s);
}

static void
test_hello(void **state)
{
	struct resp	 r;
	const char	*server;
	int		 fd;

	(void)state;
	fd = raw_connect();
	request(fd, "{\"op\":\"hello\",\"id\":7,\"version\":1}", &r);
	assert_status(r.status, SEC_E_OK);
	assert_int_equal(r.id, 7);
	assert_int_equal(json_integer_value(json_object_get(r.hdr, "code")),
	    0);
	assert_string_equal(json_string_value(json_object_get(r.hdr,
	    "status")), "SEC_E_OK");
	assert_int_equal(json_integer_value(json_object_get(r.hdr,
	    "version")), 1);
	assert_int_equal(json_integer_value(json_object_get(r.hdr,
	    "max_header")), 65536);
	assert_int_equal(json_integer_value(json_object_get(r.hdr,
	    "max_payload")), 1179648);
	server = json_string_value(json_object_get(r.hdr, "server"));
	assert_non_null(server);
	assert_true(strlen(server) > 0);
	assert_int_equal(r.plen, 0);
	resp_free(&r);

	/* A second hello is out of sequence. */
	request(fd, "{\"op\":\"hello\",\"id\":8,\"version\":1}", &r);
	assert_status(r.status, SEC_E_OUT_OF_SEQUENCE);
	assert_int_equal(r.id, 8);
	assert_true(json_integer_value(json_object_get(r.hdr, "code")) ==
	    CODE_OUT_OF_SEQUENCE);
	resp_free(&r);
	close(fd);
}

static void
test_request_before_hello(void **state)
{
	int	fd;

	(void)state;
	fd = raw_connect();
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":5,"
	    "\"name\":\"server\",\"direction\":\"inbound\"}", 5,
	    SEC_E_OUT_OF_SEQUENCE);
	expect(fd, "{\"op\":\"query_context\",\"id\":6,"
	    "\"ctx\":\"0123456789abcdef\"}", 6, SEC_E_OUT_OF_SEQUENCE);
	/* The session can still be opened. */
	expect(fd, "{\"op\":\"hello\",\"id\":9,\"version\":1}", 9, SEC_E_OK);
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":10,"
	    "\"name\":\"server\",\"direction\":\"inbound\"}", 10, SEC_E_OK);
	close(fd);
}

static void
test_hello_wrong_version(void **state)
{
	struct resp	r;
	int		fd;

	(void)state;
	fd = raw_connect();
	request(fd, "{\"op\":\"hello\",\"id\":3,\"version\":2}", &r);
	assert_status(r.status, SEC_E_UNSUPPORTED_FUNCTION);
	assert_int_equal(r.id, 3);
	resp_free(&r);
	assert_closed(fd);
	close(fd);
}

static void
test_unknown_op(void **state)
{
	struct resp	r;
	int		fd;

	(void)state;
	fd = hello_connect();
	request(fd, "{\"op\":\"launch_missiles\",\"id\":12}", &r);
	assert_status(r.status, SEC_E_UNSUPPORTED_FUNCTION);
	assert_int_equal(r.id, 12);
	assert_true(json_integer_value(json_object_get(r.hdr, "code")) ==
	    CODE_UNSUPPORTED_FUNCTION);
	resp_free(&r);
	/* Unknown fields are ignored; the connection goes on. */
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":13,"
	    "\"name\":\"server\",\"direction\":\"inbound\",\"color\":\"blue\"}",
	    13, SEC_E_OK);
	close(fd);
}

static void
test_bad_headers_keep_connection(void **state)
{
	static const char	nul[] = "{\"op\":\"he\0llo\",\"id\":4}";
	const char		*bad[] = {
		"{\"op\":\"hello\",\"id\":4",		/* invalid JSON */
		"[\"hello\",4]",			/* not an object */
		"42",
		"{\"op\":\"a\",\"id\":4,\"id\":5}",	/* duplicate keys */
	};
	struct resp		 r;
	size_t			 i;
	int			 fd;

	(void)state;
	fd = hello_connect();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		request(fd, bad[i], &r);
		assert_status(r.status, SEC_E_INVALID_PARAMETER);
		assert_int_equal(r.id, 0);
		resp_free(&r);
		/* Still usable. */
		expect(fd, "{\"op\":\"nope\",\"id\":20}", 20,
		    SEC_E_UNSUPPORTED_FUNCTION);
	}
	xd_send_frame(fd, nul, sizeof(nul) - 1, NULL, 0);
	read_resp(fd, &r);
	assert_status(r.status, SEC_E_INVALID_PARAMETER);
	assert_int_equal(r.id, 0);
	resp_free(&r);
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":21,"
	    "\"name\":\"server\",\"direction\":\"inbound\"}", 21, SEC_E_OK);
	close(fd);
}

static void
test_bad_fields(void **state)
{
	int	fd;

	(void)state;
	fd = hello_connect();
	/* Missing, wrong type, out of range. */
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":30,"
	    "\"direction\":\"inbound\"}", 30, SEC_E_INVALID_PARAMETER);
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":31,"
	    "\"name\":7,\"direction\":\"inbound\"}", 31,
	    SEC_E_INVALID_PARAMETER);
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":32,"
	    "\"name\":\"server\",\"direction\":\"sideways\"}", 32,
	    SEC_E_INVALID_PARAMETER);
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":33,"
	    "\"name\":\"server\"}", 33, SEC_E_INVALID_PARAMETER);
	expect(fd, "{\"op\":\"query_context\",\"id\":34}", 34,
	    SEC_E_INVALID_PARAMETER);
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":35,"
	    "\"name\":\"server\",\"direction\":\"inbound\"}", 35, SEC_E_OK);
	close(fd);
}

static void
oversized(uint32_t hlen, uint32_t plen)
{
	uint8_t		prefix[FRAME_PREFIX_LEN];
	struct resp	r;
	int		fd;

	fd = hello_connect();
	frame_prefix_put(prefix, hlen, plen);
	harness_send_all(fd, prefix, sizeof(prefix));
	read_resp(fd, &r);
	assert_status(r.status, SEC_E_INVALID_PARAMETER);
	assert_int_equal(r.id, 0);
	resp_free(&r);
	assert_closed(fd);
	close(fd);
}

static void
test_oversized_prefix(void **state)
{
	(void)state;
	oversized(FRAME_MAX_HEADER + 1, 0);
	oversized(16, FRAME_MAX_PAYLOAD + 1);
	oversized(0, 0);
	oversized(UINT32_MAX, UINT32_MAX);
}

static void
test_made_up_handles(void **state)
{
	int	fd;

	(void)state;
	fd = hello_connect();
	expect(fd, "{\"op\":\"query_context\",\"id\":40,"
	    "\"ctx\":\"0123456789abcdef\"}", 40, SEC_E_INVALID_HANDLE);
	expect(fd, "{\"op\":\"delete_context\",\"id\":41,"
	    "\"ctx\":\"0123456789abcdef\"}", 41, SEC_E_INVALID_HANDLE);
	expect(fd, "{\"op\":\"free_credentials\",\"id\":42,"
	    "\"cred\":\"00000000000000ff\"}", 42, SEC_E_INVALID_HANDLE);
	expect(fd, "{\"op\":\"initialize\",\"id\":43,"
	    "\"cred\":\"00000000000000ff\",\"target\":\"localhost\"}", 43,
	    SEC_E_INVALID_HANDLE);
	expect(fd, "{\"op\":\"accept\",\"id\":44,"
	    "\"cred\":\"00000000000000ff\"}", 44, SEC_E_INVALID_HANDLE);
	close(fd);
}

static void
test_initialize_on_the_wire(void **state)
{
	struct resp	r;
	char		cred[17], ctx[17], buf[256];
	int		fd;

	(void)state;
	fd = hello_connect();
	request(fd, "{\"op\":\"acquire_credentials\",\"id\":50,"
	    "\"name\":\"client-nocert\",\"direction\":\"outbound\"}", &r);
	assert_status(r.status, SEC_E_OK);
	get_handle(&r, "cred", cred);
	resp_free(&r);

	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":51,"
	    "\"cred\":\"%s\",\"target\":\"localhost\",\"alpn\":[\"h2\"]}",
	    cred);
	request(fd, buf, &r);
	assert_status(r.status, SEC_I_CONTINUE_NEEDED);
	assert_int_equal(r.id, 51);
	assert_int_equal(json_integer_value(json_object_get(r.hdr, "code")),
	    590610);
	get_handle(&r, "ctx", ctx);
	assert_int_equal(json_integer_value(json_object_get(r.hdr, "extra")),
	    0);
	/* The payload is the ClientHello record. */
	assert_true(r.plen > TLS_HEADER_LEN);
	assert_int_equal(r.payload[0], TLS_HANDSHAKE);
	assert_int_equal(r.payload[TLS_HEADER_LEN], 1);
	assert_int_equal(harness_record_missing(r.payload, r.plen), 0);
	resp_free(&r);

	snprintf(buf, sizeof(buf), "{\"op\":\"query_context\",\"id\":52,"
	    "\"ctx\":\"%s\"}", ctx);
	request(fd, buf, &r);
	assert_status(r.status, SEC_E_OK);
	assert_true(json_is_false(json_object_get(r.hdr, "handshake_done")));
	assert_string_equal(json_string_value(json_object_get(r.hdr,
	    "credential")), "client-nocert");
	resp_free(&r);

	/* A partial record: INCOMPLETE_MESSAGE with the count missing. */
	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":53,"
	    "\"cred\":\"%s\",\"ctx\":\"%s\"}", cred, ctx);
	xd_send_frame(fd, buf, strlen(buf), "\x16\x03\x03", 3);
	read_resp(fd, &r);
	assert_status(r.status, SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(json_integer_value(json_object_get(r.hdr,
	    "missing")), 2);
	assert_int_equal(r.plen, 0);
	resp_free(&r);

	snprintf(buf, sizeof(buf), "{\"op\":\"delete_context\",\"id\":54,"
	    "\"ctx\":\"%s\"}", ctx);
	expect(fd, buf, 54, SEC_E_OK);
	snprintf(buf, sizeof(buf), "{\"op\":\"query_context\",\"id\":55,"
	    "\"ctx\":\"%s\"}", ctx);
	expect(fd, buf, 55, SEC_E_INVALID_HANDLE);
	snprintf(buf, sizeof(buf), "{\"op\":\"free_credentials\",\"id\":56,"
	    "\"cred\":\"%s\"}", cred);
	expect(fd, buf, 56, SEC_E_OK);
	expect(fd, buf, 56, SEC_E_INVALID_HANDLE);
	close(fd);
}

static void
test_foreign_handles(void **state)
{
	struct resp	r;
	char		cred[17], ctx[17], buf[256];
	int		a, b;

	(void)state;
	a = hello_connect();
	b = hello_connect();
	request(a, "{\"op\":\"acquire_credentials\",\"id\":60,"
	    "\"name\":\"client-nocert\",\"direction\":\"outbound\"}", &r);
	assert_status(r.status, SEC_E_OK);
	get_handle(&r, "cred", cred);
	resp_free(&r);
	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":61,"
	    "\"cred\":\"%s\",\"target\":\"localhost\"}", cred);
	request(a, buf, &r);
	assert_status(r.status, SEC_I_CONTINUE_NEEDED);
	get_handle(&r, "ctx", ctx);
	resp_free(&r);

	/* B cannot use A's handles... */
	expect(b, buf, 61, SEC_E_INVALID_HANDLE);
	snprintf(buf, sizeof(buf), "{\"op\":\"query_context\",\"id\":62,"
	    "\"ctx\":\"%s\"}", ctx);
	expect(b, buf, 62, SEC_E_INVALID_HANDLE);
	snprintf(buf, sizeof(buf), "{\"op\":\"delete_context\",\"id\":63,"
	    "\"ctx\":\"%s\"}", ctx);
	expect(b, buf, 63, SEC_E_INVALID_HANDLE);
	snprintf(buf, sizeof(buf), "{\"op\":\"free_credentials\",\"id\":64,"
	    "\"cred\":\"%s\"}", cred);
	expect(b, buf, 64, SEC_E_INVALID_HANDLE);

	/* ...and they still work on A. */
	snprintf(buf, sizeof(buf), "{\"op\":\"query_context\",\"id\":65,"
	    "\"ctx\":\"%s\"}", ctx);
	expect(a, buf, 65, SEC_E_OK);
	snprintf(buf, sizeof(buf), "{\"op\":\"free_credentials\",\"id\":66,"
	    "\"cred\":\"%s\"}", cred);
	expect(a, buf, 66, SEC_E_OK);
	/* A context outlives its credential. */
	snprintf(buf, sizeof(buf), "{\"op\":\"query_context\",\"id\":67,"
	    "\"ctx\":\"%s\"}", ctx);
	expect(a, buf, 67, SEC_E_OK);
	close(a);
	close(b);
}

static void
test_pipelined_in_order(void **state)
{
	const char	*reqs[] = {
		"{\"op\":\"nope\",\"id\":70}",
		"{\"op\":\"acquire_credentials\",\"id\":71,\"name\":\"server\","
		    "\"direction\":\"inbound\"}",
		"{\"op\":\"acquire_credentials\",\"id\":72,"
		    "\"name\":\"forbidden\",\"direction\":\"inbound\"}",
		"{\"op\":\"acquire_credentials\",\"id\":73,\"name\":\"nobody\","
		    "\"direction\":\"inbound\"}",
	};
	const secctx_status expect_st[] = {
		SEC_E_UNSUPPORTED_FUNCTION, SEC_E_OK, SEC_E_NOT_OWNER,
		SEC_E_UNKNOWN_CREDENTIALS
	};
	uint8_t		 all[1024];
	size_t		 len = 0, i, n;
	struct resp	 r;
	int		 fd;

	(void)state;
	fd = hello_connect();
	/* All requests in one write. */
	for (i = 0; i < 4; i++) {
		n = strlen(reqs[i]);
		frame_prefix_put(all + len, (uint32_t)n, 0);
		memcpy(all + len + FRAME_PREFIX_LEN, reqs[i], n);
		len += FRAME_PREFIX_LEN + n;
	}
	harness_send_all(fd, all, len);
	for (i = 0; i < 4; i++) {
		read_resp(fd, &r);
		assert_int_equal(r.id, 70 + (int64_t)i);
		assert_status(r.status, expect_st[i]);
		resp_free(&r);
	}
	close(fd);
}

static void
test_frame_split_across_writes(void **state)
{
	const char	*req = "{\"op\":\"acquire_credentials\",\"id\":80,"
	    "\"name\":\"server\",\"direction\":\"inbound\"}";
	uint8_t		 frame[256];
	size_t		 len, i;
	struct resp	 r;
	int		 fd;

	(void)state;
	fd = hello_connect();
	len = strlen(req);
	frame_prefix_put(frame, (uint32_t)len, 0);
	memcpy(frame + FRAME_PREFIX_LEN, req, len);
	len += FRAME_PREFIX_LEN;
	/* One byte per write, with pauses: the daemon must reassemble. */
	for (i = 0; i < len; i++) {
		harness_send_all(fd, frame + i, 1);
		if (i % 16 == 0)
			usleep(1000);
	}
	read_resp(fd, &r);
	assert_int_equal(r.id, 80);
	assert_status(r.status, SEC_E_OK);
	resp_free(&r);
	close(fd);
}

/* One end of a handshake spoken in raw frames. */
struct raw_side {
	int		 fd;
	int		 server;
	char		 cred[17];
	char		 ctx[17];
	uint8_t		*in;		/* received, not consumed */
	size_t		 in_len;
	secctx_status	 status;
	int		 id;
};

static void
raw_give(struct raw_side *s, const uint8_t *p, size_t len)
{
	if (len == 0)
		return;
	if ((s->in = realloc(s->in, s->in_len + len)) == NULL)
		fail();
	memcpy(s->in + s->in_len, p, len);
	s->in_len += len;
}

static void
raw_open(struct raw_side *s, int server, const char *cred)
{
	struct resp	r;
	char		buf[256];

	memset(s, 0, sizeof(*s));
	s->server = server;
	s->status = SEC_I_CONTINUE_NEEDED;
	s->fd = hello_connect();
	s->id = 100;
	snprintf(buf, sizeof(buf), "{\"op\":\"acquire_credentials\","
	    "\"id\":%d,\"name\":\"%s\",\"direction\":\"%s\"}", s->id++,
	    cred, server ? "inbound" : "outbound");
	request(s->fd, buf, &r);
	assert_status(r.status, SEC_E_OK);
	get_handle(&r, "cred", s->cred);
	resp_free(&r);
}

/* One initialize or accept with everything received so far. */
static void
raw_step(struct raw_side *s, struct raw_side *peer)
{
	struct resp	r;
	char		buf[256];
	int64_t		extra;

	if (s->ctx[0] == '\0')
		snprintf(buf, sizeof(buf), "{\"op\":\"%s\",\"id\":%d,"
		    "\"cred\":\"%s\"%s}", s->server ? "accept" : "initialize",
		    s->id++, s->cred, s->server ? "" :
		    ",\"target\":\"localhost\"");
	else
		snprintf(buf, sizeof(buf), "{\"op\":\"%s\",\"id\":%d,"
		    "\"cred\":\"%s\",\"ctx\":\"%s\"}",
		    s->server ? "accept" : "initialize", s->id++, s->cred,
		    s->ctx);
	xd_send_frame(s->fd, buf, strlen(buf), s->in, s->in_len);
	read_resp(s->fd, &r);
	s->status = r.status;
	if (r.status != SEC_E_OK && r.status != SEC_I_CONTINUE_NEEDED)
		fail_msg("%s: %s", s->server ? "accept" : "initialize",
		    harness_status_name(r.status));
	if (s->ctx[0] == '\0')
		get_handle(&r, "ctx", s->ctx);
	extra = json_integer_value(json_object_get(r.hdr, "extra"));
	assert_in_range(extra, 0, s->in_len);
	if (extra > 0)
		memmove(s->in, s->in + s->in_len - extra, (size_t)extra);
	s->in_len = (size_t)extra;
	raw_give(peer, r.payload, r.plen);
	resp_free(&r);
}

/* A full handshake between two raw sessions. */
static void
raw_handshake(struct raw_side *c, struct raw_side *sv)
{
	int	i;

	raw_open(c, 0, "client-nocert");
	raw_open(sv, 1, "server");
	raw_step(c, sv);
	for (i = 0; i < 8; i++) {
		if (sv->status != SEC_E_OK && sv->in_len > 0)
			raw_step(sv, c);
		if (c->status != SEC_E_OK && c->in_len > 0)
			raw_step(c, sv);
		if (c->status == SEC_E_OK && sv->status == SEC_E_OK)
			return;
	}
	fail_msg("raw handshake stalled: client %s (%zu pending), server %s "
	    "(%zu pending)", harness_status_name(c->status), c->in_len,
	    harness_status_name(sv->status), sv->in_len);
}

static void
raw_close(struct raw_side *s)
{
	close(s->fd);
	free(s->in);
}

/* encrypt: the records for data. */
static void
raw_encrypt(struct raw_side *s, const void *data, size_t len,
    secctx_status expect, struct resp *r)
{
	char	buf[128];

	snprintf(buf, sizeof(buf), "{\"op\":\"encrypt\",\"id\":%d,"
	    "\"ctx\":\"%s\"}", s->id++, s->ctx);
	xd_send_frame(s->fd, buf, strlen(buf), data, len);
	read_resp(s->fd, r);
	assert_status(r->status, expect);
}

/* decrypt: the payload is data_len bytes of data, then the reply. */
static void
raw_decrypt(struct raw_side *s, const void *in, size_t len, int max_records,
    struct resp *r, size_t *data_len, size_t *extra)
{
	char	buf[128];
	int64_t	dl, rl;

	snprintf(buf, sizeof(buf), "{\"op\":\"decrypt\",\"id\":%d,"
	    "\"ctx\":\"%s\",\"max_records\":%d}", s->id++, s->ctx,
	    max_records);
	xd_send_frame(s->fd, buf, strlen(buf), in, len);
	read_resp(s->fd, r);
	dl = json_integer_value(json_object_get(r->hdr, "data_len"));
	rl = json_integer_value(json_object_get(r->hdr, "reply_len"));
	*extra = (size_t)json_integer_value(json_object_get(r->hdr, "extra"));
	assert_int_equal((size_t)(dl + rl), r->plen);
	assert_true(*extra <= len);
	*data_len = (size_t)dl;
}

static void
test_encrypt_decrypt_on_the_wire(void **state)
{
	struct raw_side	 c, sv;
	struct resp	 r, d;
	uint8_t		*big, *wire;
	size_t		 dlen, extra, wlen, first, i;

	(void)state;
	raw_handshake(&c, &sv);
	/* TLS 1.3: the server's NewSessionTickets wait in c.in. */

	/* Client to server: one TLS 1.3 record (header, data, type, tag). */
	raw_encrypt(&c, "ping", 4, SEC_E_OK, &r);
	assert_int_equal(r.plen, 5 + 4 + 1 + 16);
	assert_int_equal(r.payload[0], TLS_APPLICATION_DATA);
	assert_int_equal(harness_record_missing(r.payload, r.plen), 0);
	raw_decrypt(&sv, r.payload, r.plen, 0, &d, &dlen, &extra);
	assert_status(d.status, SEC_E_OK);
	assert_int_equal(dlen, 4);
	assert_memory_equal(d.payload, "ping", 4);
	assert_int_equal(extra, 0);
	resp_free(&d);

	/* The same record cut short: INCOMPLETE, the whole input is extra. */
	raw_decrypt(&sv, r.payload, r.plen - 3, 0, &d, &dlen, &extra);
	assert_status(d.status, SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(json_integer_value(json_object_get(d.hdr,
	    "missing")), 3);
	assert_int_equal(dlen, 0);
	resp_free(&d);
	resp_free(&r);

	/* Server to client: 20000 bytes take two records. */
	if ((big = malloc(20000)) == NULL)
		fail();
	for (i = 0; i < 20000; i++)
		big[i] = (uint8_t)(i * 7);
	raw_encrypt(&sv, big, 20000, SEC_E_OK, &r);
	first = TLS_HEADER_LEN + ((size_t)r.payload[3] << 8 | r.payload[4]);
	assert_true(first < r.plen);
	assert_int_equal(harness_record_missing(r.payload + first,
	    r.plen - first), 0);
	/* After the tickets the client has pending. */
	raw_give(&c, r.payload, r.plen);
	wire = c.in;
	wlen = c.in_len;
	/* One data record at most: the second stays as extra. */
	raw_decrypt(&c, wire, wlen, 1, &d, &dlen, &extra);
	assert_status(d.status, SEC_E_OK);
	assert_int_equal(dlen, 16384);
	assert_memory_equal(d.payload, big, 16384);
	assert_int_equal(extra, r.plen - first);
	resp_free(&d);
	raw_decrypt(&c, wire + wlen - extra, extra, 0, &d, &dlen, &extra);
	assert_status(d.status, SEC_E_OK);
	assert_int_equal(dlen, 20000 - 16384);
	assert_memory_equal(d.payload, big + 16384, dlen);
	assert_int_equal(extra, 0);
	resp_free(&d);
	resp_free(&r);
	free(big);

	/* A flipped bit: the record fails and the context is gone. */
	raw_encrypt(&c, "pong", 4, SEC_E_OK, &r);
	r.payload[r.plen - 1] ^= 1;
	raw_decrypt(&sv, r.payload, r.plen, 0, &d, &dlen, &extra);
	assert_true(d.status == SEC_E_DECRYPT_FAILURE ||
	    d.status == SEC_E_MESSAGE_ALTERED ||
	    d.status == SEC_E_ILLEGAL_MESSAGE);
	resp_free(&d);
	resp_free(&r);
	raw_encrypt(&sv, "x", 1, SEC_E_INVALID_HANDLE, &r);
	resp_free(&r);
	raw_close(&c);
	raw_close(&sv);
}

static void
test_shutdown_on_the_wire(void **state)
{
	struct raw_side	 c, sv;
	struct resp	 r, d;
	char		 buf[128];
	size_t		 dlen, extra;

	(void)state;
	raw_handshake(&c, &sv);
	/* Data, then close_notify, in one input. */
	raw_encrypt(&c, "bye", 3, SEC_E_OK, &r);
	raw_give(&sv, r.payload, r.plen);
	resp_free(&r);
	snprintf(buf, sizeof(buf), "{\"op\":\"shutdown\",\"id\":%d,"
	    "\"ctx\":\"%s\"}", c.id++, c.ctx);
	request(c.fd, buf, &r);
	assert_status(r.status, SEC_E_OK);
	assert_true(r.plen > 0);
	raw_give(&sv, r.payload, r.plen);
	resp_free(&r);
	/* No more data from the client after its close_notify. */
	raw_encrypt(&c, "more", 4, SEC_E_CONTEXT_EXPIRED, &r);
	resp_free(&r);

	raw_decrypt(&sv, sv.in, sv.in_len, 0, &d, &dlen, &extra);
	assert_status(d.status, SEC_I_CONTEXT_EXPIRED);
	assert_int_equal(dlen, 3);
	assert_memory_equal(d.payload, "bye", 3);
	resp_free(&d);
	/* The server's context stays until deleted. */
	snprintf(buf, sizeof(buf), "{\"op\":\"delete_context\",\"id\":%d,"
	    "\"ctx\":\"%s\"}", sv.id++, sv.ctx);
	expect(sv.fd, buf, sv.id - 1, SEC_E_OK);
	raw_close(&c);
	raw_close(&sv);
}

static void
test_still_serving(void **state)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	secctx_conn	*conn;
	secctx_cred	*cred;
	int		 fd;

	(void)state;
	/* After all the abuse above: a raw session and a library one. */
	fd = hello_connect();
	expect(fd, "{\"op\":\"acquire_credentials\",\"id\":2,"
	    "\"name\":\"server\",\"direction\":\"inbound\"}", 2, SEC_E_OK);
	close(fd);
	conn = harness_connect();
	cred = harness_cred(conn, "client-nocert", SECCTX_OUTBOUND);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
	/* A client that vanishes mid-frame does no harm either. */
	fd = raw_connect();
	frame_prefix_put(prefix, 64, 0);
	harness_send_all(fd, prefix, sizeof(prefix));
	harness_send_all(fd, "{\"op\"", 5);
	close(fd);
	fd = hello_connect();
	close(fd);
	harness_assert_daemon_alive();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_hello),
		harness_test(test_request_before_hello),
		harness_test(test_hello_wrong_version),
		harness_test(test_unknown_op),
		harness_test(test_bad_headers_keep_connection),
		harness_test(test_bad_fields),
		harness_test(test_oversized_prefix),
		harness_test(test_made_up_handles),
		harness_test(test_initialize_on_the_wire),
		harness_test(test_foreign_handles),
		harness_test(test_pipelined_in_order),
		harness_test(test_frame_split_across_writes),
		harness_test(test_encrypt_decrypt_on_the_wire),
		harness_test(test_shutdown_on_the_wire),
		harness_test(test_still_serving),
	};

	return (harness_run("protocol", tests));
}
