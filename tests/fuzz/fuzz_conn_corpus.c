/*
 * fuzz_conn's corpus maker (included by fuzz_conn.c): sessions written in
 * the harness's input format, each run once through the daemon while the
 * frames sent and received are recorded.  Each session gives
 *
 *   corpus/fuzz_conn/NAME      the session (tokens and all)
 *   corpus/fuzz_conn/NAME.wire the bytes the client really sent: real
 *                              ClientHellos, server flights and records in
 *                              the payloads, and handles that a later run
 *                              will not know (SEC_E_INVALID_HANDLE paths)
 *   corpus/fuzz_frame/NAME.N   each request and response frame
 */

struct seed_frame {
	const char	*hdr;
	const char	*payload;	/* text, or NULL */
};

#define F(h)		{ h, NULL }
#define FP(h, p)	{ h, p }
#define HELLO		F("{\"op\":\"hello\",\"id\":1,\"version\":1}")
#define ACQ_CLIENT	F("{\"op\":\"acquire_credentials\",\"id\":2," \
			    "\"name\":\"client\",\"direction\":\"outbound\"}")
#define ACQ_SERVER	F("{\"op\":\"acquire_credentials\",\"id\":3," \
			    "\"name\":\"server\",\"direction\":\"inbound\"}")
#define END		{ NULL, NULL }

/* @0 client cred, @1 server cred, @2 client ctx, @3 server ctx. */
static const struct seed_frame s_tls13[] = {
	HELLO, ACQ_CLIENT, ACQ_SERVER,
	F("{\"op\":\"initialize\",\"id\":4,\"cred\":\"@0\","
	    "\"target\":\"localhost\",\"alpn\":[\"h2\",\"http/1.1\"]}"),
	F("{\"op\":\"accept\",\"id\":5,\"cred\":\"@1\",\"alpn\":[\"http/1.1\"],"
	    "\"in\":\"@P\"}"),
	F("{\"op\":\"initialize\",\"id\":6,\"cred\":\"@0\",\"ctx\":\"@2\","
	    "\"in\":\"@P\"}"),
	F("{\"op\":\"accept\",\"id\":7,\"ctx\":\"@3\",\"in\":\"@P\"}"),
	F("{\"op\":\"decrypt\",\"id\":8,\"ctx\":\"@2\",\"in\":\"@P\"}"),
	FP("{\"op\":\"encrypt\",\"id\":9,\"ctx\":\"@2\"}",
	    "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
	F("{\"op\":\"decrypt\",\"id\":10,\"ctx\":\"@3\",\"max_records\":1,"
	    "\"in\":\"@P\"}"),
	F("{\"op\":\"query_context\",\"id\":11,\"ctx\":\"@3\"}"),
	F("{\"op\":\"export_keying_material\",\"id\":12,\"ctx\":\"@2\","
	    "\"label\":\"EXPERIMENTAL-fuzz\",\"length\":32}"),
	FP("{\"op\":\"export_keying_material\",\"id\":13,\"ctx\":\"@3\","
	    "\"label\":\"EXPERIMENTAL-fuzz\",\"length\":16,"
	    "\"use_context\":true}", "context"),
	F("{\"op\":\"channel_binding\",\"id\":14,\"ctx\":\"@2\","
	    "\"type\":\"tls-server-end-point\"}"),
	F("{\"op\":\"channel_binding\",\"id\":15,\"ctx\":\"@3\","
	    "\"type\":\"tls-exporter\"}"),
	F("{\"op\":\"peer_certificates\",\"id\":16,\"ctx\":\"@2\"}"),
	F("{\"op\":\"shutdown\",\"id\":17,\"ctx\":\"@2\"}"),
	F("{\"op\":\"decrypt\",\"id\":18,\"ctx\":\"@3\",\"in\":\"@P\"}"),
	FP("{\"op\":\"encrypt\",\"id\":19,\"ctx\":\"@2\"}", "late"),
	F("{\"op\":\"delete_context\",\"id\":20,\"ctx\":\"@3\"}"),
	F("{\"op\":\"free_credentials\",\"id\":21,\"cred\":\"@0\"}"),
	F("{\"op\":\"stats\",\"id\":22}"),
	END
};

/* TLS 1.2, a required client certificate, the pool answering late. */
static const struct seed_frame s_tls12_cert[] = {
	HELLO,
	F("{\"op\":\"acquire_credentials\",\"id\":2,\"name\":\"client-cert\","
	    "\"direction\":\"outbound\"}"),
	ACQ_SERVER,
	F("{\"op\":\"initialize\",\"id\":4,\"cred\":\"@0\","
	    "\"target\":\"localhost\",\"max_version\":\"TLSv1.2\","
	    "\"no_resume\":true}"),
	F("{\"op\":\"accept\",\"id\":5,\"cred\":\"@1\","
	    "\"client_cert\":\"required\",\"min_version\":\"TLSv1.2\","
	    "\"in\":\"@P\"}"),
	F("{\"op\":\"initialize\",\"id\":6,\"ctx\":\"@2\",\"in\":\"@P@A\"}"),
	F("{\"op\":\"query_context\",\"id\":7,\"ctx\":\"@2\",\"x\":\"@A\"}"),
	F("{\"op\":\"stats\",\"id\":8}"),
	F("{\"op\":\"accept\",\"id\":9,\"ctx\":\"@3\",\"in\":\"@P\"}"),
	F("{\"op\":\"initialize\",\"id\":10,\"ctx\":\"@2\",\"in\":\"@P\"}"),
	FP("{\"op\":\"encrypt\",\"id\":11,\"ctx\":\"@3\"}", "pong"),
	F("{\"op\":\"decrypt\",\"id\":12,\"ctx\":\"@2\",\"in\":\"@P\"}"),
	F("{\"op\":\"peer_certificates\",\"id\":13,\"ctx\":\"@3\"}"),
	F("{\"op\":\"query_context\",\"id\":14,\"ctx\":\"@2\"}"),
	END
};

/* Failures: a wrong name, a refused credential, validation, garbage. */
static const struct seed_frame s_failures[] = {
	HELLO, ACQ_CLIENT,
	F("{\"op\":\"acquire_credentials\",\"id\":3,\"name\":\"other\","
	    "\"direction\":\"inbound\"}"),
	F("{\"op\":\"acquire_credentials\",\"id\":4,\"name\":\"forbidden\","
	    "\"direction\":\"outbound\"}"),
	F("{\"op\":\"acquire_credentials\",\"id\":5,\"name\":\"nosuch\","
	    "\"direction\":\"outbound\"}"),
	F("{\"op\":\"initialize\",\"id\":6,\"cred\":\"@0\","
	    "\"target\":\"localhost\"}"),
	F("{\"op\":\"accept\",\"id\":7,\"cred\":\"@1\",\"in\":\"@P\"}"),
	F("{\"op\":\"initialize\",\"id\":8,\"ctx\":\"@2\",\"in\":\"@P\"}"),
	FP("{\"op\":\"accept\",\"id\":9,\"cred\":\"@1\"}",
	    "\x16\x03\x01\x00\x05hello"),
	FP("{\"op\":\"initialize\",\"id\":10,\"cred\":\"@0\","
	    "\"skip_validation\":true,\"target\":\"127.0.0.1\"}", "\x16\x03"),
	F("{\"op\":\"decrypt\",\"id\":11,\"ctx\":\"@2\"}"),
	F("{\"op\":\"encrypt\",\"id\":12,\"ctx\":\"0123456789abcdef\"}"),
	F("{\"op\":\"delete_context\",\"id\":13,\"ctx\":\"@9\"}"),
	F("{\"op\":\"initialize\",\"id\":14,\"cred\":\"@1\"}"),
	F("{\"op\":\"initialize\",\"id\":15,\"cred\":\"@0\",\"alpn\":[\"\"]}"),
	F("{\"op\":\"initialize\",\"id\":16,\"cred\":\"@0\","
	    "\"min_version\":\"TLSv1.3\",\"max_version\":\"TLSv1.2\"}"),
	F("{\"op\":\"accept\",\"id\":17,\"cred\":\"@1\","
	    "\"client_cert\":\"sometimes\"}"),
	END
};

/* Protocol errors: before hello, unknown op, bad JSON, a second hello. */
static const struct seed_frame s_protocol[] = {
	F("{\"op\":\"stats\",\"id\":1}"),
	F("{\"op\":\"nosuch\",\"id\":2}"),
	F("[\"not an object\"]"),
	F("{\"op\":\"hello\",\"id\":3,\"version\":1,\"version\":2}"),
	F("{\"op\":\"hello\",\"id\":9007199254740992,\"version\":1}"),
	F("{\"op\":\"hello\",\"id\":4,\"version\":1}"),
	F("{\"op\":\"hello\",\"id\":5,\"version\":1}"),
	F("{\"id\":6}"),
	F("{\"op\":7,\"id\":7}"),
	F("{\"op\":\"hello\",\"id\":8,\"version\":2}"),
	END
};

/* Limits: more contexts than one connection may hold. */
static const struct seed_frame s_limits[] = {
	HELLO, ACQ_CLIENT,
	F("{\"op\":\"initialize\",\"id\":3,\"cred\":\"@0\",\"x\":\"@A\"}"),
	F("{\"op\":\"initialize\",\"id\":4,\"cred\":\"@0\",\"x\":\"@A\"}"),
	F("{\"op\":\"initialize\",\"id\":5,\"cred\":\"@0\",\"x\":\"@A\"}"),
	F("{\"op\":\"initialize\",\"id\":6,\"cred\":\"@0\",\"x\":\"@A\"}"),
	F("{\"op\":\"initialize\",\"id\":7,\"cred\":\"@0\",\"x\":\"@A\"}"),
	F("{\"op\":\"initialize\",\"id\":8,\"cred\":\"@0\",\"x\":\"@A\"}"),
	F("{\"op\":\"initialize\",\"id\":9,\"cred\":\"@0\",\"x\":\"@A\"}"),
	F("{\"op\":\"initialize\",\"id\":10,\"cred\":\"@0\",\"x\":\"@A\"}"),
	F("{\"op\":\"initialize\",\"id\":11,\"cred\":\"@0\"}"),
	F("{\"op\":\"export_keying_material\",\"id\":12,\"ctx\":\"@1\","
	    "\"label\":\"x\",\"length\":16384}"),
	END
};

static const struct {
	const char		*name;
	const struct seed_frame	*frames;
	const char		*tail;		/* raw bytes after the frames */
	size_t			 tail_len;
} sessions[] = {
	{ "tls13", s_tls13, NULL, 0 },
	{ "tls12-client-cert", s_tls12_cert, NULL, 0 },
	{ "failures", s_failures, NULL, 0 },
	{ "protocol", s_protocol, NULL, 0 },
	{ "limits", s_limits, NULL, 0 },
	/* A prefix over the limits; a frame cut short; a lone byte. */
	{ "bad-prefix", s_protocol + 5, "\0\x01\0\x01\0\0\0\0{}", 10 },
	{ "partial-frame", s_protocol + 5, "\0\0\0\x20\0\0\0\x10{\"op\":", 14 },
	{ "short-prefix", s_protocol + 5, "\0", 1 },
};

/* The session in the input format. */
static unsigned char *
session_bytes(const struct seed_frame *fr, const char *tail, size_t tail_len,
    size_t *len)
{
	unsigned char	*buf, *p;
	size_t		 i, cap = tail_len;

	for (i = 0; fr[i].hdr != NULL; i++)
		cap += FRAME_PREFIX_LEN + strlen(fr[i].hdr) +
		    (fr[i].payload != NULL ? strlen(fr[i].payload) : 0);
	if ((buf = malloc(cap + 1)) == NULL)
		abort();
	p = buf;
	for (i = 0; fr[i].hdr != NULL; i++) {
		size_t	h = strlen(fr[i].hdr);
		size_t	n = fr[i].payload != NULL ? strlen(fr[i].payload) : 0;

		frame_prefix_put(p, h, n);
		memcpy(p + FRAME_PREFIX_LEN, fr[i].hdr, h);
		if (n > 0)
			memcpy(p + FRAME_PREFIX_LEN + h, fr[i].payload, n);
		p += FRAME_PREFIX_LEN + h + n;
	}
	if (tail_len > 0)
		memcpy(p, tail, tail_len);
	*len = cap;
	return (buf);
}

/* Split a recorded stream into frames for fuzz_frame's corpus. */
static void
frame_seeds(const char *dir, const char *name, const char *what,
    const unsigned char *buf, size_t len)
{
	char		 fname[128];
	size_t		 off = 0, total;
	int		 n = 0;

	while (len - off >= FRAME_PREFIX_LEN) {
		total = FRAME_PREFIX_LEN + (size_t)get_be32(buf + off) +
		    get_be32(buf + off + 4);
		if (total > len - off)
			total = len - off;
		/* Every frame of the first session, a few of the others. */
		if (strcmp(name, "tls13") == 0 || n % 8 == 4) {
			snprintf(fname, sizeof(fname), "%s-%s.%d", name, what,
			    n);
			fuzz_write_file(dir, fname, buf + off, total);
		}
		off += total;
		n++;
	}
}

static void
make_corpus(const char *dir)
{
	char		 conn_dir[512], frame_dir[512], name[128];
	unsigned char	*in;
	char		*wire, *resp;
	size_t		 i, len, wire_len, resp_len;
	FILE		*rin, *rout;

	snprintf(conn_dir, sizeof(conn_dir), "%s/fuzz_conn", dir);
	snprintf(frame_dir, sizeof(frame_dir), "%s/fuzz_frame", dir);
	for (i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++) {
		in = session_bytes(sessions[i].frames, sessions[i].tail,
		    sessions[i].tail_len, &len);
		fuzz_write_file(conn_dir, sessions[i].name, in, len);
		wire = resp = NULL;
		if ((rin = open_memstream(&wire, &wire_len)) == NULL ||
		    (rout = open_memstream(&resp, &resp_len)) == NULL)
			abort();
		run_connection(in, len, rin, rout);
		fclose(rin);
		fclose(rout);
		snprintf(name, sizeof(name), "%s.wire", sessions[i].name);
		fuzz_write_file(conn_dir, name, wire, wire_len);
		frame_seeds(frame_dir, sessions[i].name, "request",
		    (unsigned char *)wire, wire_len);
		frame_seeds(frame_dir, sessions[i].name, "response",
		    (unsigned char *)resp, resp_len);
		free(wire);
		free(resp);
		free(in);
	}
}
