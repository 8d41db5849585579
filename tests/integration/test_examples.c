/*
 * The example programs against real peers: secctx-server --www under curl,
 * secctx-client against openssl s_server, and the two together echoing
 * bytes, one client with 100 KiB and 20 clients at once.
 */

#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#ifndef SECCTX_EXAMPLE_CLIENT
#error "SECCTX_EXAMPLE_CLIENT must name the secctx-client binary"
#endif
#ifndef SECCTX_EXAMPLE_SERVER
#error "SECCTX_EXAMPLE_SERVER must name the secctx-server binary"
#endif

#define ECHO_LEN	(100 * 1024)
#define ECHO_CLIENTS	20

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
write_pattern(const char *path, size_t len, unsigned seed)
{
	FILE		*f;
	uint32_t	 x = seed * 2654435761u + 1;
	size_t		 i;

	assert_non_null(f = fopen(path, "wb"));
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		fputc(x & 0xff, f);
	}
	assert_int_equal(fclose(f), 0);
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
	};

	return (harness_run("examples", tests));
}
