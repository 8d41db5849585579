/*
 * SSPI handshakes: InitializeSecurityContext and AcceptSecurityContext
 * loops written as Windows programs write them (Microsoft's "Creating an
 * Schannel Security Context" and the classic WebClient / WebServer
 * samples) against openssl s_server / s_client and against each other in
 * memory; then the buffer-level cases: one byte at a time
 * (SECBUFFER_MISSING), caller-supplied output buffers, alerts, invalid
 * handles and missing buffers.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sspi-peers.h"

static void
client_against_s_server(const char *version, DWORD protocols)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), version, NULL
	};
	struct harness_child	*s_server;
	CredHandle		 cred;
	CtxtHandle		 ctx;
	ULONG			 attrs = 0;
	SecBuffer		 extra;
	int			 port, fd;

	s_server = harness_s_server(&port, args);
	sspi_acquire("client-nocert", SECPKG_CRED_OUTBOUND, protocols, &cred);
	fd = harness_tcp_connect(port);
	assert_status(sspi_client_handshake(fd, &cred, "localhost", NULL, &ctx,
	    &attrs, &extra), SEC_E_OK);
	/* What a TLS stream provides; ALLOCATED only with an output. */
	assert_int_equal(attrs & ~(ULONG)ISC_RET_ALLOCATED_MEMORY,
	    SSPI_CLIENT_ATTRS);
	assert_int_equal(extra.cbBuffer, 0);
	/* s_server finished its side of the handshake too. */
	harness_child_wait_output(s_server, "CIPHER is", 5000);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_INVALID_HANDLE);
	assert_status(FreeCredentialsHandle(&cred), SEC_E_OK);
	close(fd);
	harness_assert_daemon_alive();
}

static void
test_client_tls12(void **state)
{
	(void)state;
	client_against_s_server("-tls1_2", SP_PROT_TLS1_2_CLIENT);
}

static void
test_client_tls13(void **state)
{
	(void)state;
	client_against_s_server("-tls1_3", SP_PROT_TLS1_3_CLIENT);
}

static char *
server_against_s_client(const char *version, DWORD flags,
    const char *const extra_args[])
{
	struct harness_child	*s_client;
	char			*out;
	CredHandle		 cred;
	CtxtHandle		 ctx;
	SecBuffer		 extra;
	ULONG			 attrs = 0;
	int			 lfd, fd, port;

	lfd = harness_tcp_listen(&port);
	s_client = harness_s_client(port, version, extra_args);
	sspi_acquire("server", SECPKG_CRED_INBOUND, 0, &cred);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	assert_status(sspi_server_handshake(fd, &cred, flags, &ctx, &attrs,
	    &extra), SEC_E_OK);
	free(extra.pvBuffer);
	assert_int_equal(attrs & ~(ULONG)ASC_RET_ALLOCATED_MEMORY,
	    SSPI_SERVER_ATTRS | (flags & ASC_REQ_MUTUAL_AUTH));
	harness_child_wait_output(s_client, "Verify return code", 5000);
	harness_child_close_stdin(s_client);
	harness_child_wait(s_client, HARNESS_TIMEOUT_MS);
	out = harness_child_output(s_client);
	assert_contains(out, "Verify return code: 0 (ok)");
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&cred), SEC_E_OK);
	close(fd);
	harness_assert_daemon_alive();
	return (out);
}

static void
test_server_tls12(void **state)
{
	char	*out;

	(void)state;
	out = server_against_s_client("-tls1_2", SSPI_SERVER_FLAGS, NULL);
	/* No certificate request without ASC_REQ_MUTUAL_AUTH. */
	assert_null(strstr(out, "Client Certificate Types"));
	free(out);
}

/* ASC_REQ_MUTUAL_AUTH: s_client sees a certificate request and answers. */
static void
test_server_mutual_auth(void **state)
{
	const char *const	 args[] = {
		"-cert", harness_pki("client.pem"), "-key",
		harness_pki("client.key"), NULL
	};
	char			*out;

	(void)state;
	out = server_against_s_client("-tls1_2",
	    SSPI_SERVER_FLAGS | ASC_REQ_MUTUAL_AUTH, args);
	assert_contains(out, "Client Certificate Types");
	free(out);
}

static void
test_server_tls13(void **state)
{
	(void)state;
	free(server_against_s_client("-tls1_3", SSPI_SERVER_FLAGS, NULL));
}

static void
test_memory_pair(void **state)
{
	struct sspi_side	*c = sspi_side_open(0, "client-nocert");
	struct sspi_side	*s = sspi_side_open(1, "server");

	(void)state;
	sspi_side_run(c, s, 0);
	assert_int_equal(c->incomplete + s->incomplete, 0);
	sspi_side_close(c);
	sspi_side_close(s);
}

/*
 * ASC_REQ_MUTUAL_AUTH requires a certificate; without one the handshake
 * fails (test_sspi_calls.c).
 */
static void
test_mutual_auth(void **state)
{
	struct sspi_side	*c = sspi_side_open(0, "client");
	struct sspi_side	*s = sspi_side_open(1, "server");

	(void)state;
	s->flags |= ASC_REQ_MUTUAL_AUTH;
	sspi_side_run(c, s, 0);
	assert_int_equal(c->incomplete_creds, 0);
	sspi_side_close(c);
	sspi_side_close(s);
}

/* Windows lets a credential go before its contexts; so does secctx. */
static void
test_credential_freed_first(void **state)
{
	struct sspi_side	*c = sspi_side_open(0, "client-nocert");
	struct sspi_side	*s = sspi_side_open(1, "server");

	(void)state;
	sspi_side_step(c, s, 0);
	sspi_side_step(s, c, 0);
	assert_status(FreeCredentialsHandle(&c->cred), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&s->cred), SEC_E_OK);
	sspi_side_run_from_client(c, s);
	assert_status(FreeCredentialsHandle(&c->cred), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&c->ctx), SEC_E_OK);
	assert_status(DeleteSecurityContext(&s->ctx), SEC_E_OK);
	free(c);
	free(s);
	harness_assert_daemon_alive();
}

static void
test_one_byte_at_a_time(void **state)
{
	struct sspi_side	*c = sspi_side_open(0, "client-nocert");
	struct sspi_side	*s = sspi_side_open(1, "server");

	(void)state;
	sspi_side_run(c, s, 1);
	/* Every record header and body came in pieces. */
	assert_true(s->incomplete > 10);
	assert_true(c->incomplete > 10);
	sspi_side_close(c);
	sspi_side_close(s);
}

static void
test_caller_buffers(void **state)
{
	CredHandle	cred;
	CtxtHandle	ctx, bad = { 0, 0 };
	uint8_t		small[10], big[16384];
	SecBuffer	out[1];
	SecBufferDesc	outd = { SECBUFFER_VERSION, 1, out };
	ULONG		attrs = 0xdead;

	(void)state;
	sspi_acquire("client-nocert", SECPKG_CRED_OUTBOUND, 0, &cred);
	out[0].BufferType = SECBUFFER_TOKEN;
	out[0].pvBuffer = small;
	out[0].cbBuffer = sizeof(small);
	ctx = bad;
	assert_status(InitializeSecurityContextA(&cred, NULL, "localhost",
	    ISC_REQ_STREAM, 0, 0, NULL, 0, &ctx, &outd, &attrs, NULL),
	    SEC_E_INSUFFICIENT_MEMORY);
	/* A failed first call issues no handle. */
	assert_memory_equal(&ctx, &bad, sizeof(ctx));
	assert_int_equal(attrs, SSPI_ISC_ALWAYS);

	out[0].pvBuffer = big;
	out[0].cbBuffer = sizeof(big);
	assert_status(InitializeSecurityContextA(&cred, NULL, "localhost",
	    ISC_REQ_STREAM | ISC_REQ_CONFIDENTIALITY, 0, 0, NULL, 0, &ctx,
	    &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
	/* What a TLS stream provides, asked for or not. */
	assert_int_equal(attrs, SSPI_ISC_ALWAYS);
	assert_ptr_equal(out[0].pvBuffer, big);
	assert_true(out[0].cbBuffer > TLS_HEADER_LEN);
	assert_true(out[0].cbBuffer < sizeof(big));
	assert_int_equal(big[0], TLS_HANDSHAKE);
	assert_int_equal(harness_record_missing(big, out[0].cbBuffer), 0);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);

	/* The wide form, as UNICODE programs call it. */
	out[0].cbBuffer = sizeof(big);
	assert_status(InitializeSecurityContextW(&cred, NULL, L"localhost",
	    ISC_REQ_STREAM, 0, 0, NULL, 0, &ctx, &outd, &attrs, NULL),
	    SEC_I_CONTINUE_NEEDED);
	assert_int_equal(big[0], TLS_HANDSHAKE);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&cred), SEC_E_OK);
}

/* A failed step: the alert in SECBUFFER_ALERT, a dead handle. */
static void
test_alert_and_dead_handle(void **state)
{
	struct sspi_side	*c = sspi_side_open(0, "client-nocert");
	struct sspi_side	*s = sspi_side_open(1, "server");
	SecBuffer	in[2], out[2];
	SecBufferDesc	ind = { SECBUFFER_VERSION, 2, in };
	SecBufferDesc	outd = { SECBUFFER_VERSION, 2, out };
	SECURITY_STATUS	st;
	ULONG		attrs;
	uint8_t		garbage[64];

	(void)state;
	sspi_side_step(c, s, 0);			/* ClientHello to the server */
	sspi_side_step(s, c, 0);			/* the server's flight */
	/* Corrupt the server's first record's body: the client must fail. */
	memset(garbage, 0x5a, sizeof(garbage));
	memcpy(c->in + TLS_HEADER_LEN + 4, garbage, sizeof(garbage));
	in[0].BufferType = SECBUFFER_TOKEN;
	in[0].pvBuffer = c->in;
	in[0].cbBuffer = (ULONG)c->in_len;
	in[1].BufferType = SECBUFFER_EMPTY;
	in[1].pvBuffer = NULL;
	in[1].cbBuffer = 0;
	out[0].BufferType = SECBUFFER_TOKEN;
	out[0].pvBuffer = NULL;
	out[0].cbBuffer = 0;
	out[1].BufferType = SECBUFFER_ALERT;
	out[1].pvBuffer = NULL;
	out[1].cbBuffer = 0;
	st = InitializeSecurityContextA(NULL, &c->ctx, NULL, SSPI_CLIENT_FLAGS, 0,
	    0, &ind, 0, NULL, &outd, &attrs, NULL);
	assert_true(SECCTX_FAILED(st) && st != SEC_E_INCOMPLETE_MESSAGE);
	assert_true(attrs & ISC_RET_EXTENDED_ERROR);
	assert_true(out[1].cbBuffer > TLS_HEADER_LEN);
	assert_int_equal(((uint8_t *)out[1].pvBuffer)[0], TLS_ALERT);
	/* With EXTENDED_ERROR the token carries the alert too. */
	assert_int_equal(out[0].cbBuffer, out[1].cbBuffer);
	assert_memory_equal(out[0].pvBuffer, out[1].pvBuffer,
	    out[1].cbBuffer);
	FreeContextBuffer(out[0].pvBuffer);
	FreeContextBuffer(out[1].pvBuffer);
	/* The context is dead: only DeleteSecurityContext remains. */
	assert_status(InitializeSecurityContextA(NULL, &c->ctx, NULL,
	    SSPI_CLIENT_FLAGS, 0, 0, &ind, 0, NULL, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	sspi_side_close(c);
	sspi_side_close(s);
	harness_assert_daemon_alive();
}

static void
test_invalid_handles_and_buffers(void **state)
{
	CredHandle	cred, made_up = { 0x1000, 0x2000 };
	CtxtHandle	ctx, new;
	uint8_t		data[16] = { 0x16, 0x03, 0x01 };
	SecBuffer	in[2], out[1];
	SecBufferDesc	ind = { SECBUFFER_VERSION, 2, in };
	SecBufferDesc	outd = { SECBUFFER_VERSION, 1, out };
	SecBufferDesc	no_token = { SECBUFFER_VERSION, 1, &in[1] };
	ULONG		attrs;

	(void)state;
	in[0].BufferType = SECBUFFER_TOKEN;
	in[0].pvBuffer = data;
	in[0].cbBuffer = sizeof(data);
	in[1].BufferType = SECBUFFER_EMPTY;
	in[1].pvBuffer = NULL;
	in[1].cbBuffer = 0;
	out[0].BufferType = SECBUFFER_TOKEN;
	out[0].pvBuffer = NULL;
	out[0].cbBuffer = 0;

	/* Handles that were never issued. */
	assert_status(InitializeSecurityContextA(&made_up, NULL, "localhost",
	    SSPI_CLIENT_FLAGS, 0, 0, NULL, 0, &new, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(InitializeSecurityContextA(NULL, &made_up, NULL,
	    SSPI_CLIENT_FLAGS, 0, 0, &ind, 0, NULL, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(AcceptSecurityContext(&made_up, NULL, &ind,
	    SSPI_SERVER_FLAGS, 0, &new, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&made_up), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(NULL), SEC_E_INVALID_HANDLE);

	/* A credential handle is not a context handle, nor the reverse. */
	sspi_acquire("server", SECPKG_CRED_INBOUND, 0, &cred);
	assert_status(AcceptSecurityContext(NULL, &cred, &ind, SSPI_SERVER_FLAGS,
	    0, NULL, &outd, &attrs, NULL), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&cred), SEC_E_INVALID_HANDLE);

	/* Missing buffers: no input, no input token, no output token. */
	assert_status(AcceptSecurityContext(&cred, NULL, NULL, SSPI_SERVER_FLAGS,
	    0, &new, &outd, &attrs, NULL), SEC_E_INVALID_TOKEN);
	assert_status(AcceptSecurityContext(&cred, NULL, &no_token,
	    SSPI_SERVER_FLAGS, 0, &new, &outd, &attrs, NULL), SEC_E_INVALID_TOKEN);
	assert_status(AcceptSecurityContext(&cred, NULL, &ind, SSPI_SERVER_FLAGS,
	    0, &new, NULL, &attrs, NULL), SEC_E_INVALID_TOKEN);

	/* A partial record on the first call makes no handle. */
	in[0].cbBuffer = 3;
	ctx.dwLower = ctx.dwUpper = 0x1234;
	assert_status(AcceptSecurityContext(&cred, NULL, &ind, SSPI_SERVER_FLAGS,
	    0, &ctx, &outd, &attrs, NULL), SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(in[1].BufferType, SECBUFFER_MISSING);
	assert_int_equal(in[1].cbBuffer, 2);
	assert_int_equal(ctx.dwLower, 0x1234);
	assert_int_equal(ctx.dwUpper, 0x1234);
	/* The whole record header and body (a ClientHello cut short). */
	in[0].cbBuffer = sizeof(data);
	in[1].BufferType = SECBUFFER_EMPTY;
	in[1].cbBuffer = 0;
	data[4] = sizeof(data) - TLS_HEADER_LEN;
	assert_true(SECCTX_FAILED(AcceptSecurityContext(&cred, NULL, &ind,
	    SSPI_SERVER_FLAGS, 0, &ctx, &outd, &attrs, NULL)));
	assert_int_equal(ctx.dwLower, 0x1234);
	FreeContextBuffer(out[0].pvBuffer);
	out[0].pvBuffer = NULL;
	out[0].cbBuffer = 0;
	/* A handle to go on with. */
	sspi_acquire("client-nocert", SECPKG_CRED_OUTBOUND, 0, &made_up);
	assert_status(InitializeSecurityContextA(&made_up, NULL, "localhost",
	    SSPI_CLIENT_FLAGS, 0, 0, NULL, 0, &new, &outd, &attrs, NULL),
	    SEC_I_CONTINUE_NEEDED);
	in[0].pvBuffer = out[0].pvBuffer;
	in[0].cbBuffer = out[0].cbBuffer;
	out[0].pvBuffer = NULL;
	out[0].cbBuffer = 0;
	assert_status(AcceptSecurityContext(&cred, NULL, &ind, SSPI_SERVER_FLAGS,
	    0, &ctx, &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
	FreeContextBuffer(in[0].pvBuffer);
	FreeContextBuffer(out[0].pvBuffer);
	assert_status(DeleteSecurityContext(&new), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&made_up), SEC_E_OK);
	/* Later calls without input wait for it. */
	assert_status(AcceptSecurityContext(NULL, &ctx, NULL, SSPI_SERVER_FLAGS,
	    0, NULL, &outd, &attrs, NULL), SEC_E_INCOMPLETE_MESSAGE);
	/* A server context is not a client context. */
	assert_status(InitializeSecurityContextA(NULL, &ctx, NULL,
	    SSPI_CLIENT_FLAGS, 0, 0, &ind, 0, NULL, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_INVALID_HANDLE);
	assert_status(FreeCredentialsHandle(&cred), SEC_E_OK);
	harness_assert_daemon_alive();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_client_tls12),
		harness_test(test_client_tls13),
		harness_test(test_server_tls12),
		harness_test(test_server_tls13),
		harness_test(test_server_mutual_auth),
		harness_test(test_memory_pair),
		harness_test(test_credential_freed_first),
		harness_test(test_mutual_auth),
		harness_test(test_one_byte_at_a_time),
		harness_test(test_caller_buffers),
		harness_test(test_alert_and_dead_handle),
		harness_test(test_invalid_handles_and_buffers),
	};

	return (harness_run("sspi_handshake", tests));
}
