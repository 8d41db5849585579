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

#include "harness.h"
#include "secctx/sspi.h"

#define IO_BUFFER_SIZE	0x10000

#define CLIENT_FLAGS	(ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | \
	ISC_REQ_CONFIDENTIALITY | ISC_REQ_EXTENDED_ERROR | \
	ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM)
#define SERVER_FLAGS	(ASC_REQ_SEQUENCE_DETECT | ASC_REQ_REPLAY_DETECT | \
	ASC_REQ_CONFIDENTIALITY | ASC_REQ_EXTENDED_ERROR | \
	ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM)

static void
acquire(const char *name, ULONG use, DWORD protocols, PCredHandle h)
{
	SCHANNEL_CRED	sc;

	memset(&sc, 0, sizeof(sc));
	sc.dwVersion = SCHANNEL_CRED_VERSION;
	sc.grbitEnabledProtocols = protocols;
	sc.dwFlags = SCH_CRED_NO_DEFAULT_CREDS;
	assert_status(AcquireCredentialsHandleA((LPSTR)name, UNISP_NAME_A,
	    use, NULL, &sc, NULL, NULL, h, NULL), SEC_E_OK);
}

/*
 * The client handshake as WebClient.c writes it: a first call without
 * input, then ClientHandshakeLoop.  Leftover bytes after the handshake go
 * to *extra.
 */
static SECURITY_STATUS
client_handshake(int fd, PCredHandle phCreds, const char *server,
    CtxtHandle *phContext, ULONG *attrs, size_t *extra)
{
	SecBufferDesc	 OutBuffer, InBuffer;
	SecBuffer	 InBuffers[2], OutBuffers[1];
	DWORD		 dwSSPIFlags = CLIENT_FLAGS, cbIoBuffer = 0;
	ULONG		 dwSSPIOutFlags = 0;
	TimeStamp	 tsExpiry;
	SECURITY_STATUS	 scRet;
	uint8_t		*IoBuffer;
	size_t		 cbData;
	int		 fDoRead = 1;

	OutBuffers[0].pvBuffer = NULL;
	OutBuffers[0].BufferType = SECBUFFER_TOKEN;
	OutBuffers[0].cbBuffer = 0;
	OutBuffer.cBuffers = 1;
	OutBuffer.pBuffers = OutBuffers;
	OutBuffer.ulVersion = SECBUFFER_VERSION;
	scRet = InitializeSecurityContextA(phCreds, NULL, (SEC_CHAR *)server,
	    dwSSPIFlags, 0, SECURITY_NATIVE_DREP, NULL, 0, phContext,
	    &OutBuffer, &dwSSPIOutFlags, &tsExpiry);
	if (scRet != SEC_I_CONTINUE_NEEDED)
		return (scRet);
	if (OutBuffers[0].cbBuffer != 0 && OutBuffers[0].pvBuffer != NULL) {
		harness_send_all(fd, OutBuffers[0].pvBuffer,
		    OutBuffers[0].cbBuffer);
		FreeContextBuffer(OutBuffers[0].pvBuffer);
		OutBuffers[0].pvBuffer = NULL;
	}

	IoBuffer = malloc(IO_BUFFER_SIZE);
	assert_non_null(IoBuffer);
	*extra = 0;
	while (scRet == SEC_I_CONTINUE_NEEDED ||
	    scRet == SEC_E_INCOMPLETE_MESSAGE ||
	    scRet == SEC_I_INCOMPLETE_CREDENTIALS) {
		if (cbIoBuffer == 0 || scRet == SEC_E_INCOMPLETE_MESSAGE) {
			if (fDoRead) {
				cbData = harness_recv(fd, IoBuffer + cbIoBuffer,
				    IO_BUFFER_SIZE - cbIoBuffer,
				    HARNESS_TIMEOUT_MS);
				if (cbData == 0) {
					scRet = SEC_E_INTERNAL_ERROR;
					break;
				}
				cbIoBuffer += cbData;
			} else
				fDoRead = 1;
		}
		InBuffers[0].pvBuffer = IoBuffer;
		InBuffers[0].cbBuffer = cbIoBuffer;
		InBuffers[0].BufferType = SECBUFFER_TOKEN;
		InBuffers[1].pvBuffer = NULL;
		InBuffers[1].cbBuffer = 0;
		InBuffers[1].BufferType = SECBUFFER_EMPTY;
		InBuffer.cBuffers = 2;
		InBuffer.pBuffers = InBuffers;
		InBuffer.ulVersion = SECBUFFER_VERSION;
		OutBuffers[0].pvBuffer = NULL;
		OutBuffers[0].BufferType = SECBUFFER_TOKEN;
		OutBuffers[0].cbBuffer = 0;

		scRet = InitializeSecurityContextA(phCreds, phContext, NULL,
		    dwSSPIFlags, 0, SECURITY_NATIVE_DREP, &InBuffer, 0, NULL,
		    &OutBuffer, &dwSSPIOutFlags, &tsExpiry);

		if (scRet == SEC_E_OK || scRet == SEC_I_CONTINUE_NEEDED ||
		    (SECCTX_FAILED(scRet) &&
		    (dwSSPIOutFlags & ISC_RET_EXTENDED_ERROR))) {
			if (OutBuffers[0].cbBuffer != 0 &&
			    OutBuffers[0].pvBuffer != NULL) {
				harness_send_all(fd, OutBuffers[0].pvBuffer,
				    OutBuffers[0].cbBuffer);
				FreeContextBuffer(OutBuffers[0].pvBuffer);
				OutBuffers[0].pvBuffer = NULL;
			}
		}
		if (scRet == SEC_E_INCOMPLETE_MESSAGE)
			continue;
		if (scRet == SEC_E_OK) {
			if (InBuffers[1].BufferType == SECBUFFER_EXTRA)
				*extra = InBuffers[1].cbBuffer;
			break;
		}
		if (SECCTX_FAILED(scRet))
			break;
		if (scRet == SEC_I_INCOMPLETE_CREDENTIALS) {
			fDoRead = 0;
			scRet = SEC_I_CONTINUE_NEEDED;
			continue;
		}
		if (InBuffers[1].BufferType == SECBUFFER_EXTRA) {
			memmove(IoBuffer, IoBuffer + (cbIoBuffer -
			    InBuffers[1].cbBuffer), InBuffers[1].cbBuffer);
			cbIoBuffer = InBuffers[1].cbBuffer;
		} else
			cbIoBuffer = 0;
	}
	if (SECCTX_FAILED(scRet))
		assert_status(DeleteSecurityContext(phContext), SEC_E_OK);
	*attrs = dwSSPIOutFlags;
	free(IoBuffer);
	return (scRet);
}

/*
 * The server handshake as the Schannel server samples write it: one loop,
 * AcceptSecurityContext with a NULL context on the first pass only.
 */
static SECURITY_STATUS
server_handshake(int fd, PCredHandle phCred, DWORD dwSSPIFlags,
    CtxtHandle *phContext, ULONG *attrs)
{
	SecBufferDesc	 InBuffer, OutBuffer;
	SecBuffer	 InBuffers[2], OutBuffers[1];
	DWORD		 cbIoBuffer = 0;
	ULONG		 dwSSPIOutFlags = 0;
	TimeStamp	 tsExpiry;
	SECURITY_STATUS	 scRet = SEC_I_CONTINUE_NEEDED;
	uint8_t		*IoBuffer;
	size_t		 cbData;
	int		 fInitContext = 1;

	IoBuffer = malloc(IO_BUFFER_SIZE);
	assert_non_null(IoBuffer);
	while (scRet == SEC_I_CONTINUE_NEEDED ||
	    scRet == SEC_E_INCOMPLETE_MESSAGE ||
	    scRet == SEC_I_INCOMPLETE_CREDENTIALS) {
		if (cbIoBuffer == 0 || scRet == SEC_E_INCOMPLETE_MESSAGE) {
			cbData = harness_recv(fd, IoBuffer + cbIoBuffer,
			    IO_BUFFER_SIZE - cbIoBuffer, HARNESS_TIMEOUT_MS);
			if (cbData == 0) {
				scRet = SEC_E_INTERNAL_ERROR;
				break;
			}
			cbIoBuffer += cbData;
		}
		InBuffers[0].pvBuffer = IoBuffer;
		InBuffers[0].cbBuffer = cbIoBuffer;
		InBuffers[0].BufferType = SECBUFFER_TOKEN;
		InBuffers[1].pvBuffer = NULL;
		InBuffers[1].cbBuffer = 0;
		InBuffers[1].BufferType = SECBUFFER_EMPTY;
		InBuffer.cBuffers = 2;
		InBuffer.pBuffers = InBuffers;
		InBuffer.ulVersion = SECBUFFER_VERSION;
		OutBuffers[0].pvBuffer = NULL;
		OutBuffers[0].BufferType = SECBUFFER_TOKEN;
		OutBuffers[0].cbBuffer = 0;
		OutBuffer.cBuffers = 1;
		OutBuffer.pBuffers = OutBuffers;
		OutBuffer.ulVersion = SECBUFFER_VERSION;

		scRet = AcceptSecurityContext(phCred,
		    fInitContext ? NULL : phContext, &InBuffer, dwSSPIFlags,
		    SECURITY_NATIVE_DREP, fInitContext ? phContext : NULL,
		    &OutBuffer, &dwSSPIOutFlags, &tsExpiry);
		fInitContext = 0;

		if (scRet == SEC_E_OK || scRet == SEC_I_CONTINUE_NEEDED ||
		    (SECCTX_FAILED(scRet) &&
		    (dwSSPIOutFlags & ASC_RET_EXTENDED_ERROR))) {
			if (OutBuffers[0].cbBuffer != 0 &&
			    OutBuffers[0].pvBuffer != NULL) {
				harness_send_all(fd, OutBuffers[0].pvBuffer,
				    OutBuffers[0].cbBuffer);
				FreeContextBuffer(OutBuffers[0].pvBuffer);
				OutBuffers[0].pvBuffer = NULL;
			}
		}
		if (scRet == SEC_E_OK)
			break;
		if (SECCTX_FAILED(scRet) && scRet != SEC_E_INCOMPLETE_MESSAGE)
			break;
		if (scRet != SEC_E_INCOMPLETE_MESSAGE &&
		    scRet != SEC_I_INCOMPLETE_CREDENTIALS) {
			if (InBuffers[1].BufferType == SECBUFFER_EXTRA) {
				memmove(IoBuffer, IoBuffer + (cbIoBuffer -
				    InBuffers[1].cbBuffer),
				    InBuffers[1].cbBuffer);
				cbIoBuffer = InBuffers[1].cbBuffer;
			} else
				cbIoBuffer = 0;
		}
	}
	*attrs = dwSSPIOutFlags;
	free(IoBuffer);
	return (scRet);
}

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
	size_t			 extra = 0;
	int			 port, fd;

	s_server = harness_s_server(&port, args);
	acquire("client-nocert", SECPKG_CRED_OUTBOUND, protocols, &cred);
	fd = harness_tcp_connect(port);
	assert_status(client_handshake(fd, &cred, "localhost", &ctx, &attrs,
	    &extra), SEC_E_OK);
	assert_int_equal(attrs, CLIENT_FLAGS);
	assert_int_equal(extra, 0);
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
server_against_s_client(const char *version, DWORD flags)
{
	struct harness_child	*s_client;
	char			*out;
	CredHandle		 cred;
	CtxtHandle		 ctx;
	ULONG			 attrs = 0;
	int			 lfd, fd, port;

	lfd = harness_tcp_listen(&port);
	s_client = harness_s_client(port, version, NULL);
	acquire("server", SECPKG_CRED_INBOUND, 0, &cred);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	assert_status(server_handshake(fd, &cred, flags, &ctx, &attrs),
	    SEC_E_OK);
	assert_int_equal(attrs, flags);
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
	out = server_against_s_client("-tls1_2", SERVER_FLAGS);
	/* No certificate request without ASC_REQ_MUTUAL_AUTH. */
	assert_null(strstr(out, "Client Certificate Types"));
	free(out);
}

/* ASC_REQ_MUTUAL_AUTH: s_client sees a certificate request. */
static void
test_server_mutual_auth(void **state)
{
	char	*out;

	(void)state;
	out = server_against_s_client("-tls1_2",
	    SERVER_FLAGS | ASC_REQ_MUTUAL_AUTH);
	assert_contains(out, "Client Certificate Types");
	free(out);
}

static void
test_server_tls13(void **state)
{
	(void)state;
	free(server_against_s_client("-tls1_3", SERVER_FLAGS));
}

/* One end of an in-memory SSPI pair. */
struct mem_side {
	int		 server;
	CredHandle	 cred;
	CtxtHandle	 ctx;
	int		 started;
	uint8_t		 in[IO_BUFFER_SIZE];
	size_t		 in_len;
	size_t		 give;		/* trickle: bytes offered this call */
	SECURITY_STATUS	 status;
	int		 done;
	int		 incomplete;	/* SEC_E_INCOMPLETE_MESSAGE results */
	ULONG		 flags;		/* fContextReq */
};

/*
 * One call with what the side received (with trickle, only 'give' bytes
 * of it, growing by one on each SEC_E_INCOMPLETE_MESSAGE); the output goes
 * to the peer, EXTRA stays.
 */
static void
mem_step(struct mem_side *s, struct mem_side *peer, int trickle)
{
	SecBuffer	in[2], out[1];
	SecBufferDesc	ind = { SECBUFFER_VERSION, 2, in };
	SecBufferDesc	outd = { SECBUFFER_VERSION, 1, out };
	ULONG		attrs = 0;
	size_t		len = s->in_len, consumed;

	if (trickle) {
		if (s->give == 0)
			s->give = 1;
		len = s->give < s->in_len ? s->give : s->in_len;
	}
	in[0].BufferType = SECBUFFER_TOKEN;
	in[0].pvBuffer = s->in;
	in[0].cbBuffer = (ULONG)len;
	in[1].BufferType = SECBUFFER_EMPTY;
	in[1].pvBuffer = NULL;
	in[1].cbBuffer = 0;
	out[0].BufferType = SECBUFFER_TOKEN;
	out[0].pvBuffer = NULL;
	out[0].cbBuffer = 0;
	if (s->server)
		s->status = AcceptSecurityContext(&s->cred,
		    s->started ? &s->ctx : NULL, &ind, s->flags,
		    SECURITY_NATIVE_DREP, s->started ? NULL : &s->ctx, &outd,
		    &attrs, NULL);
	else
		s->status = InitializeSecurityContextA(&s->cred,
		    s->started ? &s->ctx : NULL, "localhost", s->flags,
		    0, SECURITY_NATIVE_DREP, s->started ? &ind : NULL, 0,
		    s->started ? NULL : &s->ctx, &outd, &attrs, NULL);
	s->started = 1;
	if (s->status == SEC_E_INCOMPLETE_MESSAGE) {
		s->incomplete++;
		assert_int_equal(in[1].BufferType, SECBUFFER_MISSING);
		assert_true(in[1].cbBuffer >= 1);
		assert_int_equal(out[0].cbBuffer, 0);
		assert_null(out[0].pvBuffer);
		s->give = len + 1;
		return;
	}
	if (s->status != SEC_E_OK && s->status != SEC_I_CONTINUE_NEEDED)
		fail_msg("%s: %s", s->server ? "ASC" : "ISC",
		    harness_status_name(s->status));
	assert_int_equal(attrs, s->flags);
	if (out[0].cbBuffer > 0) {
		assert_non_null(out[0].pvBuffer);
		assert_true(peer->in_len + out[0].cbBuffer <= IO_BUFFER_SIZE);
		memcpy(peer->in + peer->in_len, out[0].pvBuffer,
		    out[0].cbBuffer);
		peer->in_len += out[0].cbBuffer;
		FreeContextBuffer(out[0].pvBuffer);
	}
	consumed = len;
	if (in[1].BufferType == SECBUFFER_EXTRA) {
		assert_true(in[1].cbBuffer <= len);
		assert_ptr_equal(in[1].pvBuffer, s->in + len - in[1].cbBuffer);
		consumed = len - in[1].cbBuffer;
	}
	memmove(s->in, s->in + consumed, s->in_len - consumed);
	s->in_len -= consumed;
	s->give = 0;
	s->done = s->status == SEC_E_OK;
}

/* Step both sides until both are done, the client first. */
static void
mem_continue(struct mem_side *c, struct mem_side *s, int trickle)
{
	int	i;

	for (i = 0; i < 10000 && !(c->done && s->done); i++) {
		if (!s->done && s->in_len > 0)
			mem_step(s, c, trickle);
		if (!c->done && c->in_len > 0)
			mem_step(c, s, trickle);
	}
	assert_true(c->done && s->done);
	/* What is left is for DecryptMessage: TLS 1.3 session tickets. */
	if (c->in_len > 0)
		assert_int_equal(c->in[0], TLS_APPLICATION_DATA);
	assert_int_equal(s->in_len, 0);
}

static void
mem_run(struct mem_side *c, struct mem_side *s, int trickle)
{
	mem_step(c, s, trickle);
	mem_continue(c, s, trickle);
}

static void
mem_run_from_client(struct mem_side *c, struct mem_side *s)
{
	mem_continue(c, s, 0);
}

static struct mem_side *
mem_open(int server, const char *cred)
{
	struct mem_side	*s;

	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->server = server;
	s->flags = server ? SERVER_FLAGS : CLIENT_FLAGS;
	acquire(cred, server ? SECPKG_CRED_INBOUND : SECPKG_CRED_OUTBOUND,
	    0, &s->cred);
	return (s);
}

static void
mem_close(struct mem_side *s)
{
	assert_status(FreeCredentialsHandle(&s->cred), SEC_E_OK);
	if (s->started)
		assert_status(DeleteSecurityContext(&s->ctx), SEC_E_OK);
	free(s);
}

static void
test_memory_pair(void **state)
{
	struct mem_side	*c = mem_open(0, "client-nocert");
	struct mem_side	*s = mem_open(1, "server");

	(void)state;
	mem_run(c, s, 0);
	assert_int_equal(c->incomplete + s->incomplete, 0);
	mem_close(c);
	mem_close(s);
}

/* ASC_REQ_MUTUAL_AUTH asks for a certificate, with or without one sent. */
static void
mutual_auth(const char *client_cred)
{
	struct mem_side	*c = mem_open(0, client_cred);
	struct mem_side	*s = mem_open(1, "server");

	s->flags |= ASC_REQ_MUTUAL_AUTH;
	mem_run(c, s, 0);
	mem_close(c);
	mem_close(s);
}

static void
test_mutual_auth(void **state)
{
	(void)state;
	mutual_auth("client");
	mutual_auth("client-nocert");
}

/* Windows lets a credential go before its contexts; so does secctx. */
static void
test_credential_freed_first(void **state)
{
	struct mem_side	*c = mem_open(0, "client-nocert");
	struct mem_side	*s = mem_open(1, "server");

	(void)state;
	mem_step(c, s, 0);
	mem_step(s, c, 0);
	assert_status(FreeCredentialsHandle(&c->cred), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&s->cred), SEC_E_OK);
	mem_run_from_client(c, s);
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
	struct mem_side	*c = mem_open(0, "client-nocert");
	struct mem_side	*s = mem_open(1, "server");

	(void)state;
	mem_run(c, s, 1);
	/* Every record header and body came in pieces. */
	assert_true(s->incomplete > 10);
	assert_true(c->incomplete > 10);
	mem_close(c);
	mem_close(s);
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
	acquire("client-nocert", SECPKG_CRED_OUTBOUND, 0, &cred);
	out[0].BufferType = SECBUFFER_TOKEN;
	out[0].pvBuffer = small;
	out[0].cbBuffer = sizeof(small);
	ctx = bad;
	assert_status(InitializeSecurityContextA(&cred, NULL, "localhost",
	    ISC_REQ_STREAM, 0, 0, NULL, 0, &ctx, &outd, &attrs, NULL),
	    SEC_E_INSUFFICIENT_MEMORY);
	/* A failed first call issues no handle. */
	assert_memory_equal(&ctx, &bad, sizeof(ctx));
	assert_int_equal(attrs, 0);

	out[0].pvBuffer = big;
	out[0].cbBuffer = sizeof(big);
	assert_status(InitializeSecurityContextA(&cred, NULL, "localhost",
	    ISC_REQ_STREAM | ISC_REQ_CONFIDENTIALITY, 0, 0, NULL, 0, &ctx,
	    &outd, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
	assert_int_equal(attrs, ISC_RET_STREAM | ISC_RET_CONFIDENTIALITY);
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
	struct mem_side	*c = mem_open(0, "client-nocert");
	struct mem_side	*s = mem_open(1, "server");
	SecBuffer	in[2], out[2];
	SecBufferDesc	ind = { SECBUFFER_VERSION, 2, in };
	SecBufferDesc	outd = { SECBUFFER_VERSION, 2, out };
	SECURITY_STATUS	st;
	ULONG		attrs;
	uint8_t		garbage[64];

	(void)state;
	mem_step(c, s, 0);			/* ClientHello to the server */
	mem_step(s, c, 0);			/* the server's flight */
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
	st = InitializeSecurityContextA(NULL, &c->ctx, NULL, CLIENT_FLAGS, 0,
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
	    CLIENT_FLAGS, 0, 0, &ind, 0, NULL, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	mem_close(c);
	mem_close(s);
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
	    CLIENT_FLAGS, 0, 0, NULL, 0, &new, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(InitializeSecurityContextA(NULL, &made_up, NULL,
	    CLIENT_FLAGS, 0, 0, &ind, 0, NULL, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(AcceptSecurityContext(&made_up, NULL, &ind,
	    SERVER_FLAGS, 0, &new, &outd, &attrs, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&made_up), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(NULL), SEC_E_INVALID_HANDLE);

	/* A credential handle is not a context handle, nor the reverse. */
	acquire("server", SECPKG_CRED_INBOUND, 0, &cred);
	assert_status(AcceptSecurityContext(NULL, &cred, &ind, SERVER_FLAGS,
	    0, NULL, &outd, &attrs, NULL), SEC_E_INVALID_HANDLE);
	assert_status(DeleteSecurityContext(&cred), SEC_E_INVALID_HANDLE);

	/* Missing buffers: no input, no input token, no output token. */
	assert_status(AcceptSecurityContext(&cred, NULL, NULL, SERVER_FLAGS,
	    0, &new, &outd, &attrs, NULL), SEC_E_INVALID_TOKEN);
	assert_status(AcceptSecurityContext(&cred, NULL, &no_token,
	    SERVER_FLAGS, 0, &new, &outd, &attrs, NULL), SEC_E_INVALID_TOKEN);
	assert_status(AcceptSecurityContext(&cred, NULL, &ind, SERVER_FLAGS,
	    0, &new, NULL, &attrs, NULL), SEC_E_INVALID_TOKEN);

	/* A partial record on the first call already makes a handle. */
	in[0].cbBuffer = 3;
	assert_status(AcceptSecurityContext(&cred, NULL, &ind, SERVER_FLAGS,
	    0, &ctx, &outd, &attrs, NULL), SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(in[1].BufferType, SECBUFFER_MISSING);
	assert_true(in[1].cbBuffer >= 2);
	/* Later calls need their input too. */
	assert_status(AcceptSecurityContext(NULL, &ctx, NULL, SERVER_FLAGS,
	    0, NULL, &outd, &attrs, NULL), SEC_E_INVALID_TOKEN);
	/* A server context is not a client context. */
	assert_status(InitializeSecurityContextA(NULL, &ctx, NULL,
	    CLIENT_FLAGS, 0, 0, &ind, 0, NULL, &outd, &attrs, NULL),
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
