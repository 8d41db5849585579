/*
 * The example programs against real peers: secctx-server --www under curl,
 * secctx-client against openssl s_server, and the two together echoing
 * bytes, one client with 100 KiB and 20 clients at once.  A raw client
 * checks that secctx-server behaves as s_server does: one record for a
 * page, an alert and a FIN (never a reset) when it closes on an error,
 * requests as large as a record, echo whatever the split.
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#ifndef SECCTX_EXAMPLE_CLIENT
#error "SECCTX_EXAMPLE_CLIENT must name the secctx-client binary"
#endif
#ifndef SECCTX_EXAMPLE_SERVER
#error "SECCTX_EXAMPLE_SERVER must name the secctx-server binary"
#endif

#define ECHO_LEN	(100 * 1024)
#define ECHO_CLIENTS	20
/* Over one record of data, so that records of 16 KiB split it too. */
#define ECHO_SPLIT_LEN	20000

/* Fail unless the child exited with status 0, showing its output. */
static void
assert_exit_ok(struct harness_child *c)
{
	char	*out;
	int	 status;

	status = harness_child_wait(c, HARNESS_TIMEOUT_MS);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		out = harness_read_file(c->out, NULL);
		fail_msg("%s: wait status 0x%x; output:\n%s", c->name, status,
		    out != NULL ? out : "");
	}
}

/* Start secctx-server on an ephemeral port with extra arguments. */
static struct harness_child *
server_start(int *portp, const char *const args[])
{
	const char		*argv[16];
	struct harness_child	*c;
	char			*out, *p;
	int			 i = 0, j;

	argv[i++] = SECCTX_EXAMPLE_SERVER;
	for (j = 0; args[j] != NULL && i < 14; j++)
		argv[i++] = args[j];
	argv[i++] = "0";
	argv[i] = NULL;
	c = harness_spawn(argv);
	harness_child_wait_output(c, "listening on 127.0.0.1:", 5000);
	out = harness_child_output(c);
	p = strstr(out, "listening on 127.0.0.1:");
	*portp = atoi(p + strlen("listening on 127.0.0.1:"));
	free(out);
	assert_true(*portp > 0);
	return (c);
}

/* A file in the test directory; 4 rotating buffers. */
static const char *
test_file(const char *fmt, int n)
{
	static char	bufs[4][160];
	static int	next;
	char		name[64], *b = bufs[next++ % 4];

	snprintf(name, sizeof(name), fmt, n);
	snprintf(b, sizeof(bufs[0]), "%s/%s", harness.dir, name);
	return (b);
}

/* Deterministic bytes, different for every seed. */
static void
fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
	uint32_t	x = seed * 2654435761u + 1;
	size_t		i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x & 0xff;
	}
}

static void
write_pattern(const char *path, size_t len, unsigned seed)
{
	FILE	*f;
	uint8_t	*buf;

	assert_non_null(buf = malloc(len));
	fill_pattern(buf, len, seed);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(buf);
}

static void
assert_same_file(const char *a, const char *b)
{
	char	*x, *y;
	size_t	 xlen, ylen;

	assert_non_null(x = harness_read_file(a, &xlen));
	assert_non_null(y = harness_read_file(b, &ylen));
	if (xlen != ylen || memcmp(x, y, xlen) != 0)
		fail_msg("%s (%zu bytes) and %s (%zu bytes) differ", a, xlen,
		    b, ylen);
	free(x);
	free(y);
}

/* curl against secctx-server --www: the page names the protocol. */
static void
www_fetch(const char *tls_max, const char *version)
{
	const char *const	 args[] = { "--www", "-a", "http/1.1", NULL };
	char			 url[64], page_line[64], log_line[64], *out;
	struct harness_child	*srv, *curl;
	int			 port;

#ifndef SECCTX_CURL
	skip();
#else
	snprintf(page_line, sizeof(page_line), "\nprotocol: %s\n", version);
	snprintf(log_line, sizeof(log_line), " protocol=%s ", version);
	srv = server_start(&port, args);
	snprintf(url, sizeof(url), "https://localhost:%d/", port);
	{
		const char *const argv[] = {
			SECCTX_CURL, "-sS", "--cacert", harness_pki("ca.pem"),
			"--tls-max", tls_max, url, NULL
		};

		curl = harness_spawn(argv);
	}
	assert_exit_ok(curl);
	out = harness_child_output(curl);
	assert_contains(out, page_line);
	assert_contains(out, "sni: localhost");
	assert_contains(out, "alpn: http/1.1");
	assert_contains(out, "resumed: no");
	free(out);
	harness_child_wait_output(srv, log_line, 2000);
	harness_child_kill(srv);
#endif
}

static void
test_www_curl_tls13(void **state)
{
	(void)state;
	www_fetch("1.3", "TLSv1.3");
}

static void
test_www_curl_tls12(void **state)
{
	(void)state;
	www_fetch("1.2", "TLSv1.2");
}

/* With --verify required the page names the client certificate. */
static void
www_client_cert(const char *version, const char *protocol)
{
	const char *const	 args[] = { "--www", "--verify", "required",
				     version, NULL };
	char			 url[64], *out;
	struct harness_child	*srv, *curl;
	int			 port;

#ifndef SECCTX_CURL
	(void)protocol;
	skip();
#else
	srv = server_start(&port, args);
	snprintf(url, sizeof(url), "https://localhost:%d/", port);
	{
		const char *const argv[] = {
			SECCTX_CURL, "-sS", "--cacert", harness_pki("ca.pem"),
			"--cert", harness_pki("client.pem"),
			"--key", harness_pki("client.key"), url, NULL
		};

		curl = harness_spawn(argv);
	}
	assert_exit_ok(curl);
	out = harness_child_output(curl);
	assert_contains(out, protocol);
	assert_contains(out, "peer_subject: CN=secctx test client");
	assert_contains(out, "peer_issuer: CN=secctx test CA");
	free(out);
	harness_child_kill(srv);
#endif
}

static void
test_www_client_cert(void **state)
{
	(void)state;
	www_client_cert("--tls1.3", "protocol: TLSv1.3");
}

static void
test_www_client_cert_tls12(void **state)
{
	(void)state;
	www_client_cert("--tls1.2", "protocol: TLSv1.2");
}

/*
 * secctx-client and openssl s_server: bytes both ways, a KeyUpdate that
 * asks for ours, then a clean end.
 */
static void
test_client_s_server(void **state)
{
	const char *const	 s_args[] = {
		"-cert", harness_pki("server.pem"),
		"-key", harness_pki("server.key"), "-msg", NULL
	};
	char			 target[32];
	struct harness_child	*srv, *cli;
	int			 port;

	(void)state;
	srv = harness_s_server(&port, s_args);
	snprintf(target, sizeof(target), "localhost:%d", port);
	{
		const char *const argv[] = {
			SECCTX_EXAMPLE_CLIENT, "-c", "client-nocert", target,
			NULL
		};

		cli = harness_spawn(argv);
	}
	/* The negotiated lines go to stderr, here into the same file. */
	harness_child_wait_output(cli, "protocol: TLSv1.3", 5000);
	harness_child_write(cli, "stdin of secctx-client\n");
	harness_child_wait_output(srv, "stdin of secctx-client\n", 5000);
	harness_child_write(srv, "stdin of s_server\n");
	harness_child_wait_output(cli, "stdin of s_server\n", 5000);
	/*
	 * s_server's "K": a KeyUpdate requesting one back, which must not
	 * disturb the client; ours goes out by the next write at the latest.
	 */
	harness_child_write(srv, "K\n");
	harness_child_wait_output(srv, ">>> TLS 1.3, Handshake [length 0005], "
	    "KeyUpdate", 5000);
	harness_child_write(srv, "after the key update\n");
	harness_child_wait_output(cli, "after the key update\n", 5000);
	harness_child_write(cli, "new keys\n");
	harness_child_wait_output(srv, "new keys\n", 5000);
	harness_child_wait_output(srv, "<<< TLS 1.3, Handshake [length 0005], "
	    "KeyUpdate", 5000);
	/* At the end of stdin: close_notify, which s_server reports. */
	harness_child_close_stdin(cli);
	assert_exit_ok(cli);
	harness_child_wait_output(srv, "DONE", 5000);
	harness_child_kill(srv);
}

/*
 * s_server's "c": a TLS 1.3 certificate request after the handshake, which
 * the client answers with what the daemon hands back from decrypt.
 */
static void
test_client_post_handshake_auth(void **state)
{
	const char *const	 s_args[] = {
		"-cert", harness_pki("server.pem"),
		"-key", harness_pki("server.key"),
		"-CAfile", harness_pki("ca.pem"), NULL
	};
	char			 target[32];
	struct harness_child	*srv, *cli;
	int			 port;

	(void)state;
	srv = harness_s_server(&port, s_args);
	snprintf(target, sizeof(target), "localhost:%d", port);
	{
		const char *const argv[] = {
			SECCTX_EXAMPLE_CLIENT, "-c", "client", "--tls1.3",
			target, NULL
		};

		cli = harness_spawn(argv);
	}
	harness_child_wait_output(cli, "protocol: TLSv1.3", 5000);
	harness_child_write(srv, "c\n");
	harness_child_wait_output(srv, "depth=0 CN = secctx test client\n"
	    "verify return:1\n", 5000);
	harness_child_write(cli, "certified\n");
	harness_child_wait_output(srv, "certified\n", 5000);
	harness_child_close_stdin(cli);
	assert_exit_ok(cli);
	harness_child_kill(srv);
}

/* -q: stdout and stderr carry nothing but the server's bytes. */
static void
test_client_quiet_tls12(void **state)
{
	const char *const	 s_args[] = {
		"-cert", harness_pki("server.pem"),
		"-key", harness_pki("server.key"), NULL
	};
	char			 target[32], *out;
	struct harness_child	*srv, *cli;
	int			 port;

	(void)state;
	srv = harness_s_server(&port, s_args);
	snprintf(target, sizeof(target), "localhost:%d", port);
	{
		const char *const argv[] = {
			SECCTX_EXAMPLE_CLIENT, "-q", "--tls1.2", target, NULL
		};

		cli = harness_spawn(argv);
	}
	harness_child_wait_output(srv, "CIPHER is ECDHE", 5000);
	harness_child_write(srv, "only this\n");
	harness_child_wait_output(cli, "only this\n", 5000);
	harness_child_close_stdin(cli);
	assert_exit_ok(cli);
	out = harness_child_output(cli);
	assert_string_equal(out, "only this\n");
	free(out);
	harness_child_kill(srv);
}

/* The shell line that runs secctx-client on file 'in' into file 'out'. */
static void
client_line(char *buf, size_t len, int port, const char *in,
    const char *out, const char *hold)
{
	snprintf(buf, len, "(cat '%s'%s) | '%s' -q localhost:%d >'%s'", in,
	    hold, SECCTX_EXAMPLE_CLIENT, port, out);
}

/* 100 KiB through secctx-client, secctx-server's echo and back. */
static void
test_echo_100k(void **state)
{
	const char *const	 args[] = { NULL };
	char			 cmd[512];
	struct harness_child	*srv, *sh;
	int			 port;

	(void)state;
	srv = server_start(&port, args);
	write_pattern(test_file("echo.in", 0), ECHO_LEN, 1);
	client_line(cmd, sizeof(cmd), port, test_file("echo.in", 0),
	    test_file("echo.out", 0), "");
	{
		const char *const argv[] = { "/bin/sh", "-c", cmd, NULL };

		sh = harness_spawn(argv);
	}
	assert_exit_ok(sh);
	assert_same_file(test_file("echo.in", 0), test_file("echo.out", 0));
	harness_child_wait_output(srv, "protocol=TLSv1.3", 2000);
	harness_child_kill(srv);
}

/*
 * secctx-server --www, and openssl s_client (commands on) connected to it
 * with the version option, past its certificate check.
 */
static struct harness_child *
www_s_client(const char *version, struct harness_child **srv)
{
	const char *const	 args[] = { "--www", NULL };
	struct harness_child	*cli;
	char			 addr[32];
	int			 port;

	*srv = server_start(&port, args);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	{
		const char *const argv[] = { "openssl", "s_client", "-msg",
		    version, "-connect", addr, "-servername", "localhost",
		    "-CAfile", harness_pki("ca.pem"), "-verify_return_error",
		    NULL };

		cli = harness_spawn(argv);
	}
	harness_child_wait_output(cli, "Verify return code: 0 (ok)", 5000);
	return (cli);
}

/*
 * A TLS 1.2 client asks to renegotiate before its request: the server,
 * with nothing to write, refuses at once (the no_renegotiation warning
 * the daemon made, sent as soon as secctx_decrypt hands it out).
 */
static void
test_www_renegotiation_refused(void **state)
{
	struct harness_child	*srv, *cli;

	(void)state;
	cli = www_s_client("-tls1_2", &srv);
	harness_child_write(cli, "R\n");
	harness_child_wait_output(cli, "RENEGOTIATING", 2000);
	harness_child_wait_output(cli, "warning no_renegotiation", 2000);
	harness_child_kill(cli);
	harness_child_kill(srv);
}

/*
 * A TLS 1.3 client updates its keys and asks for ours before its request:
 * the server's KeyUpdate arrives at once, and the request is answered
 * under the new keys.
 */
static void
test_www_key_update(void **state)
{
	const char		*theirs = "<<< TLS 1.3, Handshake "
				    "[length 0005], KeyUpdate";
	struct harness_child	*srv, *cli;
	char			*out, *p;

	(void)state;
	cli = www_s_client("-tls1_3", &srv);
	harness_child_write(cli, "K\n");
	harness_child_wait_output(cli, ">>> TLS 1.3, Handshake [length 0005], "
	    "KeyUpdate", 2000);
	harness_child_wait_output(cli, theirs, 2000);
	harness_child_write(cli, "GET / HTTP/1.0\r\n\r\n");
	harness_child_wait_output(cli, "\nprotocol: TLSv1.3\n", 2000);
	out = harness_child_output(cli);
	assert_non_null(p = strstr(out, theirs));
	assert_true(p < strstr(out, "\nprotocol: TLSv1.3\n"));
	free(out);
	harness_child_kill(cli);
	harness_child_kill(srv);
}

/*
 * 20 clients at once, each with its own bytes, each holding its
 * connection open for a second after its input: all 20 are served at the
 * same time, and none gets another's bytes.
 */
static void
test_echo_concurrent(void **state)
{
	const char *const	 args[] = { NULL };
	char			 line[512], *script, *out, *p;
	struct harness_child	*srv, *sh;
	size_t			 size = ECHO_CLIENTS * 600 + 256;
	int			 port, i, n;

	(void)state;
	/* Timed (each client waits 2 s for its echo): not under valgrind. */
	if (getenv("SECCTX_TEST_WRAPPER") != NULL)
		skip();
	srv = server_start(&port, args);
	assert_non_null(script = malloc(size));
	snprintf(script, size, "pids=;");
	for (i = 0; i < ECHO_CLIENTS; i++) {
		write_pattern(test_file("many.%d.in", i), 8192 + i * 997,
		    100 + i);
		client_line(line, sizeof(line), port,
		    test_file("many.%d.in", i), test_file("many.%d.out", i),
		    "; sleep 1");
		snprintf(script + strlen(script), size - strlen(script),
		    " %s & pids=\"$pids $!\";", line);
	}
	snprintf(script + strlen(script), size - strlen(script),
	    " rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc");
	{
		const char *const argv[] = { "/bin/sh", "-c", script, NULL };

		sh = harness_spawn(argv);
	}
	assert_exit_ok(sh);
	free(script);
	for (i = 0; i < ECHO_CLIENTS; i++)
		assert_same_file(test_file("many.%d.in", i),
		    test_file("many.%d.out", i));
	out = harness_child_output(srv);
	for (n = 0, p = out; (p = strstr(p, " protocol=")) != NULL; p++)
		n++;
	free(out);
	assert_int_equal(n, ECHO_CLIENTS);
	harness_child_kill(srv);
}

/* Errors are one line, named after the program, with exit status 1. */
static void
assert_fails(const char *const argv[], const char *message)
{
	struct harness_child	*c;
	char			*out;
	int			 status;

	c = harness_spawn(argv);
	status = harness_child_wait(c, HARNESS_TIMEOUT_MS);
	out = harness_child_output(c);
	assert_contains(out, message);
	if (strchr(out, '\n') != strrchr(out, '\n'))
		fail_msg("more than one line:\n%s", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	free(out);
}

static void
test_errors(void **state)
{
	const char *const	 args[] = { "--verify", "required", NULL };
	const char *const	 nocred[] = { SECCTX_EXAMPLE_CLIENT, "-c",
				     "nosuch", "localhost:1", NULL };
	const char *const	 badver[] = { SECCTX_EXAMPLE_SERVER, "--min",
				     "1.3", "--max", "1.2", "0", NULL };
	const char *const	 badverify[] = { SECCTX_EXAMPLE_SERVER,
				     "--verify", "maybe", "0", NULL };
	char			 target[32];
	struct harness_child	*srv;
	int			 port;

	(void)state;
	assert_fails(nocred, "secctx-client: credential nosuch: ");
	assert_fails(badver, "secctx-server: the minimum version is above "
	    "the maximum\n");
	assert_fails(badverify, "secctx-server: --verify takes none, "
	    "optional or required, not maybe\n");
	/* A server that requires a certificate, a client without one. */
	srv = server_start(&port, args);
	snprintf(target, sizeof(target), "localhost:%d", port);
	{
		const char *const argv[] = { SECCTX_EXAMPLE_CLIENT, "-q", "-c",
			"client-nocert", "--tls1.2", target, NULL };

		assert_fails(argv, "secctx-client: handshake failed: ");
	}
	harness_child_wait_output(srv, "handshake failed", 5000);
	harness_child_kill(srv);
}

/* The SSPI web client against s_server -www: the page, both versions. */
static void
sspi_webclient(const char *version)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-www", NULL
	};
	struct harness_child	*srv, *cli;
	char			 port[16], *out;
	int			 p;
	const char		*argv[] = { SECCTX_EXAMPLE_SSPI, "-c",
		"client-nocert", "-p", port, version, "localhost", "/", NULL };

	srv = harness_s_server(&p, args);
	snprintf(port, sizeof(port), "%d", p);
	cli = harness_spawn(argv);
	assert_exit_ok(cli);
	out = harness_read_file(cli->out, NULL);
	assert_non_null(out);
	assert_int_equal(strncmp(out, "HTTP/1.0 200 ok\r\n", 17), 0);
	assert_contains(out, strcmp(version, "-2") == 0 ?
	    "New, TLSv1.2, Cipher is" : "New, TLSv1.3, Cipher is");
	assert_contains(out, "</pre></BODY></HTML>");
	free(out);
	harness_child_kill(srv);
}

static void
test_sspi_webclient(void **state)
{
	(void)state;
	sspi_webclient("-2");
	sspi_webclient("-3");
}

/*
 * A TLS client of secctx-server made with libsecctx over a raw socket, so
 * that a test chooses how its bytes are split and sees every byte and the
 * way the server closes.
 */
struct raw_client {
	secctx_conn		*conn;
	secctx_cred		*cred;
	struct harness_hs	 hs;
	int			 fd;
	uint8_t			*in;		/* received, not decrypted */
	size_t			 in_len;
	size_t			 in_size;
	int			 end;		/* 0 (FIN) or ECONNRESET */
};

static void
raw_client_keep(struct raw_client *c, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (c->in_size - c->in_len < len) {
		c->in_size = (c->in_len + len) * 2;
		assert_non_null(c->in = realloc(c->in, c->in_size));
	}
	memcpy(c->in + c->in_len, data, len);
	c->in_len += len;
}

/* Connect to port without a handshake. */
static void
raw_client_connect(struct raw_client *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->fd = harness_tcp_connect(port);
}

/* Connect and complete a handshake with version v. */
static void
raw_client_open(struct raw_client *c, int port, enum secctx_version v)
{
	struct secctx_options	opt = { .target = "localhost", .no_resume = 1,
				    .min_version = v, .max_version = v };

	raw_client_connect(c, port);
	c->conn = harness_connect();
	c->cred = harness_cred(c->conn, "client-nocert", SECCTX_OUTBOUND);
	assert_status(harness_handshake(c->fd, c->cred, 0, &opt, &c->hs),
	    SEC_E_OK);
	raw_client_keep(c, c->hs.extra, c->hs.extra_len);
}

/* Keep what the server sent so far, without waiting. */
static void
raw_client_poll(struct raw_client *c)
{
	uint8_t	buf[16384];
	ssize_t	n;

	while ((n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		raw_client_keep(c, buf, (size_t)n);
}

/* Send bytes in pieces of at most 'piece', keeping what comes back. */
static void
raw_client_write(struct raw_client *c, const void *data, size_t len,
    size_t piece)
{
	const uint8_t	*p = data;
	size_t		 n;

	while (len > 0) {
		n = len < piece ? len : piece;
		harness_send_all(c->fd, p, n);
		raw_client_poll(c);
		p += n;
		len -= n;
	}
}

/* Encrypt data in records of at most 'piece' bytes. */
static uint8_t *
raw_client_seal(struct raw_client *c, const uint8_t *data, size_t len,
    size_t piece, size_t *outlen)
{
	uint8_t	*all = NULL;
	void	*rec;
	size_t	 n, reclen, off;

	*outlen = 0;
	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		assert_status(secctx_encrypt(c->hs.ctx, data + off, n, &rec,
		    &reclen), SEC_E_OK);
		assert_non_null(all = realloc(all, *outlen + reclen));
		memcpy(all + *outlen, rec, reclen);
		*outlen += reclen;
		secctx_free(rec);
	}
	return (all);
}

/*
 * Read until the server closes the connection, within the harness's
 * timeout; c->end says whether it ended with a FIN or a reset.
 */
static void
raw_client_read_to_close(struct raw_client *c)
{
	struct pollfd	pfd = { .fd = c->fd, .events = POLLIN };
	uint8_t		buf[16384];
	ssize_t		n;

	for (;;) {
		if (poll(&pfd, 1, HARNESS_TIMEOUT_MS) != 1)
			fail_msg("the server did not close the connection");
		if ((n = recv(c->fd, buf, sizeof(buf), 0)) > 0) {
			raw_client_keep(c, buf, (size_t)n);
			continue;
		}
		if (n == 0 || errno == ECONNRESET) {
			c->end = n == 0 ? 0 : ECONNRESET;
			return;
		}
		if (errno != EINTR)
			fail_msg("recv: %s", strerror(errno));
	}
}

/*
 * Decrypt what was received, stopping after max_records records that
 * carried data (0: all); the plaintext (secctx_free() it) and the status.
 */
static secctx_status
raw_client_decrypt(struct raw_client *c, size_t max_records, uint8_t **data,
    size_t *len)
{
	struct secctx_message	m;
	secctx_status		st;

	memset(&m, 0, sizeof(m));
	m.in = c->in;
	m.in_len = c->in_len;
	m.max_records = max_records;
	st = secctx_decrypt(c->hs.ctx, &m);
	if (st == SEC_E_OK || st == SEC_I_CONTEXT_EXPIRED) {
		memmove(c->in, c->in + c->in_len - m.extra, m.extra);
		c->in_len = m.extra;
	}
	secctx_free(m.out);
	*data = m.data;
	*len = m.data_len;
	return (st);
}

static void
raw_client_close(struct raw_client *c)
{
	harness_hs_free(&c->hs);
	close(c->fd);
	free(c->in);
	if (c->cred != NULL)
		secctx_cred_free(c->cred);
	if (c->conn != NULL)
		secctx_disconnect(c->conn);
}

/*
 * --www answers a GET with one record, head and page together, then
 * close_notify and a FIN, as s_server -www does: a tool that reads one
 * record and then expects the close gets the whole page.
 */
static void
www_one_record(enum secctx_version v)
{
	const char *const	 args[] = { "--www", NULL };
	const char		 req[] = "GET / HTTP/1.0\r\n\r\n";
	struct harness_child	*srv;
	struct raw_client	 c;
	uint8_t			*rec, *data;
	size_t			 rec_len, len;
	char			*page, *body;
	int			 port;

	srv = server_start(&port, args);
	raw_client_open(&c, port, v);
	rec = raw_client_seal(&c, (const uint8_t *)req, strlen(req),
	    sizeof(req), &rec_len);
	raw_client_write(&c, rec, rec_len, rec_len);
	free(rec);
	raw_client_read_to_close(&c);
	assert_int_equal(c.end, 0);
	assert_status(raw_client_decrypt(&c, 1, &data, &len), SEC_E_OK);
	assert_non_null(page = strndup((char *)data, len));
	secctx_free(data);
	assert_int_equal(strncmp(page, "HTTP/1.0 200 OK\r\n", 17), 0);
	assert_non_null(body = strstr(page, "\r\n\r\n"));
	body += 4;
	assert_contains(page, "Content-Length: ");
	assert_int_equal(atoi(strstr(page, "Content-Length: ") + 16),
	    strlen(body));
	assert_contains(body, "credential: server\n");
	free(page);
	/* Nothing after that record but close_notify. */
	assert_status(raw_client_decrypt(&c, 0, &data, &len),
	    SEC_I_CONTEXT_EXPIRED);
	assert_int_equal(len, 0);
	secctx_free(data);
	assert_int_equal(c.in_len, 0);
	raw_client_close(&c);
	harness_child_kill(srv);
}

static void
test_www_one_record(void **state)
{
	(void)state;
	www_one_record(SECCTX_TLS1_3);
	www_one_record(SECCTX_TLS1_2);
}

/* Bytes that are not TLS, more than the server reads before it fails. */
#define GARBAGE_LEN	(128 * 1024)

/*
 * A ClientHello that offers only a suite no server enables, with garbage
 * after it in the same write: the server answers with a handshake_failure
 * alert, then a FIN, and drains the garbage; no reset takes the alert
 * away.
 */
static void
test_alert_after_failed_handshake(void **state)
{
	static const uint8_t	 hello[] = {
		0x16, 0x03, 0x01, 0x00, 0x2d,	/* handshake record */
		0x01, 0x00, 0x00, 0x29,		/* ClientHello */
		0x03, 0x03,			/* TLS 1.2 */
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
		31, 32,				/* random */
		0x00,				/* no session id */
		0x00, 0x02, 0x00, 0x02,		/* TLS_RSA_WITH_NULL_SHA */
		0x01, 0x00			/* no compression */
	};
	const char *const	 args[] = { NULL };
	struct harness_child	*srv;
	struct raw_client	 c;
	uint8_t			*garbage;
	int			 port;

	(void)state;
	srv = server_start(&port, args);
	raw_client_connect(&c, port);
	assert_non_null(garbage = calloc(1, GARBAGE_LEN));
	memcpy(garbage, hello, sizeof(hello));
	raw_client_write(&c, garbage, GARBAGE_LEN, GARBAGE_LEN);
	free(garbage);
	raw_client_read_to_close(&c);
	assert_int_equal(c.end, 0);
	/* A fatal (2) handshake_failure (40) alert record, alone. */
	assert_int_equal(c.in_len, 7);
	assert_int_equal(c.in[0], TLS_ALERT);
	assert_int_equal(c.in[5], 2);
	assert_int_equal(c.in[6], 40);
	harness_child_wait_output(srv, "handshake failed", 5000);
	raw_client_close(&c);
	harness_child_kill(srv);
}

/*
 * After a TLS 1.2 handshake, a record that fails its integrity check, with
 * garbage after it in the same write: the server's alert record, then a
 * FIN, not a reset.
 */
static void
test_alert_after_bad_record(void **state)
{
	const char *const	 args[] = { NULL };
	struct harness_child	*srv;
	struct raw_client	 c;
	uint8_t			*garbage;
	int			 port;

	(void)state;
	srv = server_start(&port, args);
	raw_client_open(&c, port, SECCTX_TLS1_2);
	/* An application data record of 48 bytes that decrypt to nothing. */
	assert_non_null(garbage = calloc(1, GARBAGE_LEN));
	memcpy(garbage, "\x17\x03\x03\x00\x30", 5);
	memset(garbage + 5, 0x42, 48);
	raw_client_write(&c, garbage, GARBAGE_LEN, GARBAGE_LEN);
	free(garbage);
	raw_client_read_to_close(&c);
	assert_int_equal(c.end, 0);
	assert_true(c.in_len > TLS_HEADER_LEN);
	assert_int_equal(c.in[0], TLS_ALERT);
	assert_int_equal(c.in_len, TLS_HEADER_LEN + (c.in[3] << 8 | c.in[4]));
	raw_client_close(&c);
	harness_child_kill(srv);
}

/*
 * --www takes a request head of 16,384 bytes, the most one record
 * carries; one byte more is refused with close_notify, then a FIN.
 */
static void
www_request(int port, size_t size, int answered)
{
	const char		 head[] = "GET /", tail[] = " HTTP/1.0\r\n\r\n";
	struct raw_client	 c;
	uint8_t			*req, *rec, *data;
	size_t			 rec_len, len;

	assert_non_null(req = malloc(size));
	memset(req, 'a', size);
	memcpy(req, head, strlen(head));
	memcpy(req + size - strlen(tail), tail, strlen(tail));
	raw_client_open(&c, port, SECCTX_TLS1_3);
	rec = raw_client_seal(&c, req, size, size, &rec_len);
	raw_client_write(&c, rec, rec_len, rec_len);
	free(rec);
	free(req);
	raw_client_read_to_close(&c);
	assert_int_equal(c.end, 0);
	assert_status(raw_client_decrypt(&c, 0, &data, &len),
	    SEC_I_CONTEXT_EXPIRED);
	if (answered) {
		assert_true(len > 17);
		assert_memory_equal(data, "HTTP/1.0 200 OK\r\n", 17);
	} else
		assert_int_equal(len, 0);
	secctx_free(data);
	raw_client_close(&c);
}

static void
test_www_largest_request(void **state)
{
	const char *const	 args[] = { "--www", NULL };
	struct harness_child	*srv;
	int			 port;

	(void)state;
	srv = server_start(&port, args);
	www_request(port, 16384, 1);
	www_request(port, 16385, 0);
	harness_child_wait_output(srv, "the request is too long", 5000);
	harness_child_kill(srv);
}

/*
 * Read and decrypt until len bytes of data came back, within the
 * harness's timeout; the data (free() it).
 */
static uint8_t *
raw_client_read_data(struct raw_client *c, size_t len)
{
	struct pollfd	 pfd = { .fd = c->fd, .events = POLLIN };
	uint8_t		*all, *data;
	size_t		 have = 0, n;
	secctx_status	 st;

	assert_non_null(all = malloc(len));
	for (;;) {
		st = raw_client_decrypt(c, 0, &data, &n);
		if (st != SEC_E_INCOMPLETE_MESSAGE)
			assert_status(st, SEC_E_OK);
		if (n > len - have)
			fail_msg("more data came back than was sent");
		if (n > 0)
			memcpy(all + have, data, n);
		secctx_free(data);
		if ((have += n) == len)
			return (all);
		if (poll(&pfd, 1, HARNESS_TIMEOUT_MS) != 1)
			fail_msg("%zu of %zu bytes came back", have, len);
		raw_client_poll(c);
	}
}

/*
 * Echo of the same bytes sent in records of 1, 7 and 16,384 bytes and
 * written in TCP pieces of 1, 7 and 16,384 bytes or all at once: all of
 * it comes back before the client closes, byte for byte, then
 * close_notify in answer to ours and a FIN.
 */
static void
test_echo_splits(void **state)
{
	/* Records of one byte cost a daemon call each: fewer of them. */
	const struct {
		size_t	len;		/* bytes echoed */
		size_t	record;		/* data bytes per record */
		size_t	piece;		/* bytes per write; SIZE_MAX: one */
	} splits[] = {
		{ 2000, 1, 1 }, { 2000, 1, SIZE_MAX },
		{ ECHO_SPLIT_LEN, 7, 7 }, { ECHO_SPLIT_LEN, 7, 16384 },
		{ ECHO_SPLIT_LEN, 16384, 1 }, { ECHO_SPLIT_LEN, 16384, 7 },
		{ ECHO_SPLIT_LEN, 16384, 16384 }
	};
	const char *const	 args[] = { NULL };
	struct harness_child	*srv;
	struct raw_client	 c;
	uint8_t			 sent[ECHO_SPLIT_LEN], *rec, *back, *data;
	void			*cn;
	size_t			 i, rec_len, len, cn_len;
	int			 port;

	(void)state;
	fill_pattern(sent, sizeof(sent), 7);
	srv = server_start(&port, args);
	for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
		raw_client_open(&c, port, SECCTX_TLS1_3);
		rec = raw_client_seal(&c, sent, splits[i].len,
		    splits[i].record, &rec_len);
		raw_client_write(&c, rec, rec_len, splits[i].piece);
		free(rec);
		back = raw_client_read_data(&c, splits[i].len);
		if (memcmp(back, sent, splits[i].len) != 0)
			fail_msg("records of %zu in pieces of %zu: other bytes "
			    "came back", splits[i].record, splits[i].piece);
		free(back);
		assert_status(secctx_shutdown(c.hs.ctx, &cn, &cn_len),
		    SEC_E_OK);
		raw_client_write(&c, cn, cn_len, cn_len);
		secctx_free(cn);
		raw_client_read_to_close(&c);
		assert_int_equal(c.end, 0);
		assert_status(raw_client_decrypt(&c, 0, &data, &len),
		    SEC_I_CONTEXT_EXPIRED);
		assert_int_equal(len, 0);
		secctx_free(data);
		raw_client_close(&c);
	}
	harness_child_kill(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_www_curl_tls13),
		harness_test(test_www_curl_tls12),
		harness_test(test_www_client_cert),
		harness_test(test_www_client_cert_tls12),
		harness_test(test_client_s_server),
		harness_test(test_client_post_handshake_auth),
		harness_test(test_client_quiet_tls12),
		harness_test(test_echo_100k),
		harness_test(test_echo_concurrent),
		harness_test(test_www_renegotiation_refused),
		harness_test(test_www_key_update),
		harness_test(test_errors),
		harness_test(test_sspi_webclient),
		harness_test(test_www_one_record),
		harness_test(test_alert_after_failed_handshake),
		harness_test(test_alert_after_bad_record),
		harness_test(test_www_largest_request),
		harness_test(test_echo_splits),
	};

	return (harness_run("examples", tests));
}
