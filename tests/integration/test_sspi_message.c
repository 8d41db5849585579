/*
 * SSPI protected messages and attributes: a client written like the
 * classic Schannel WebClient sample fetches a page from openssl s_server
 * -www; EncryptMessage / DecryptMessage in place between two SSPI contexts
 * (two records in one input, one byte at a time, buffer errors, a tampered
 * record, shutdown both ways); a TLS 1.3 KeyUpdate from s_server absorbed
 * and answered; QueryContextAttributes compared with what the peer saw.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sspi-peers.h"

/* SecBufferDesc of n buffers, all EMPTY. */
static void
empty_buffers(SecBufferDesc *d, SecBuffer *b, ULONG n)
{
	memset(b, 0, n * sizeof(*b));
	d->ulVersion = SECBUFFER_VERSION;
	d->cBuffers = n;
	d->pBuffers = b;
}

static SecBuffer *
find(SecBufferDesc *d, ULONG type)
{
	ULONG	i;

	for (i = 0; i < d->cBuffers; i++)
		if (d->pBuffers[i].BufferType == type)
			return (&d->pBuffers[i]);
	return (NULL);
}

/*
 * EncryptMessage as the WebClient sample does it: header, data and trailer
 * in one block sized from STREAM_SIZES; the bytes to send go to *out.
 */
static SECURITY_STATUS
encrypt_block(PCtxtHandle ctx, const void *data, size_t len, uint8_t **out,
    size_t *out_len)
{
	SecPkgContext_StreamSizes	 sizes;
	SecBufferDesc			 Message;
	SecBuffer			 Buffers[4];
	SECURITY_STATUS			 st;
	uint8_t				*block;

	*out = NULL;
	*out_len = 0;
	assert_status(QueryContextAttributesA(ctx, SECPKG_ATTR_STREAM_SIZES,
	    &sizes), SEC_E_OK);
	block = malloc(sizes.cbHeader + len + sizes.cbTrailer);
	assert_non_null(block);
	memcpy(block + sizes.cbHeader, data, len);
	empty_buffers(&Message, Buffers, 4);
	Buffers[0].pvBuffer = block;
	Buffers[0].cbBuffer = sizes.cbHeader;
	Buffers[0].BufferType = SECBUFFER_STREAM_HEADER;
	Buffers[1].pvBuffer = block + sizes.cbHeader;
	Buffers[1].cbBuffer = (ULONG)len;
	Buffers[1].BufferType = SECBUFFER_DATA;
	Buffers[2].pvBuffer = block + sizes.cbHeader + len;
	Buffers[2].cbBuffer = sizes.cbTrailer;
	Buffers[2].BufferType = SECBUFFER_STREAM_TRAILER;
	st = EncryptMessage(ctx, 0, &Message, 0);
	if (st != SEC_E_OK) {
		free(block);
		return (st);
	}
	/* Contiguous: the three parts are sent as one. */
	assert_int_equal(Buffers[0].cbBuffer, sizes.cbHeader);
	assert_int_equal(Buffers[1].cbBuffer, len);
	assert_true(Buffers[2].cbBuffer <= sizes.cbTrailer);
	*out_len = Buffers[0].cbBuffer + Buffers[1].cbBuffer +
	    Buffers[2].cbBuffer;
	*out = block;
	return (SEC_E_OK);
}

/*
 * One DecryptMessage over in[0..*len) as the WebClient sample calls it:
 * the plaintext is appended to 'plain', the EXTRA bytes moved to the front
 * of 'in'.
 */
static SECURITY_STATUS
decrypt_once(PCtxtHandle ctx, uint8_t *in, size_t *len, uint8_t *plain,
    size_t *plain_len, size_t *missing)
{
	SecBufferDesc	 Message;
	SecBuffer	 Buffers[4], *data, *extra, *miss;
	SECURITY_STATUS	 st;

	empty_buffers(&Message, Buffers, 4);
	Buffers[0].pvBuffer = in;
	Buffers[0].cbBuffer = (ULONG)*len;
	Buffers[0].BufferType = SECBUFFER_DATA;
	st = DecryptMessage(ctx, &Message, 0, NULL);
	if (st == SEC_E_INCOMPLETE_MESSAGE) {
		/* As Schannel: in the first buffer, whose data stays. */
		miss = &Buffers[0];
		assert_int_equal(miss->BufferType, SECBUFFER_MISSING);
		assert_ptr_equal(miss->pvBuffer, in);
		assert_int_equal(Buffers[1].BufferType, SECBUFFER_EMPTY);
		*missing = miss->cbBuffer;
		return (st);
	}
	if (st != SEC_E_OK && st != SEC_I_CONTEXT_EXPIRED)
		return (st);
	assert_int_equal(Buffers[0].BufferType, SECBUFFER_STREAM_HEADER);
	assert_ptr_equal(Buffers[0].pvBuffer, in);
	data = find(&Message, SECBUFFER_DATA);
	assert_non_null(data);
	assert_non_null(find(&Message, SECBUFFER_STREAM_TRAILER));
	/* In place: the plaintext lies inside the input. */
	assert_true((uint8_t *)data->pvBuffer >= in &&
	    (uint8_t *)data->pvBuffer + data->cbBuffer <= in + *len);
	memcpy(plain + *plain_len, data->pvBuffer, data->cbBuffer);
	*plain_len += data->cbBuffer;
	if ((extra = find(&Message, SECBUFFER_EXTRA)) != NULL) {
		assert_ptr_equal(extra->pvBuffer, in + *len - extra->cbBuffer);
		memmove(in, extra->pvBuffer, extra->cbBuffer);
		*len = extra->cbBuffer;
	} else
		*len = 0;
	return (st);
}

/* ApplyControlToken(SCHANNEL_SHUTDOWN), then the close_notify to send. */
static void
shutdown_token(PCredHandle cred, PCtxtHandle ctx, int server, uint8_t **out,
    size_t *out_len)
{
	DWORD		 dwType = SCHANNEL_SHUTDOWN;
	SecBufferDesc	 OutBuffer;
	SecBuffer	 OutBuffers[1];
	ULONG		 attrs;

	empty_buffers(&OutBuffer, OutBuffers, 1);
	OutBuffers[0].pvBuffer = &dwType;
	OutBuffers[0].BufferType = SECBUFFER_TOKEN;
	OutBuffers[0].cbBuffer = sizeof(dwType);
	assert_status(ApplyControlToken(ctx, &OutBuffer), SEC_E_OK);
	OutBuffers[0].pvBuffer = NULL;
	OutBuffers[0].cbBuffer = 0;
	if (server)
		assert_status(AcceptSecurityContext(cred, ctx, NULL,
		    SSPI_SERVER_FLAGS, 0, NULL, &OutBuffer, &attrs, NULL),
		    SEC_E_OK);
	else
		assert_status(InitializeSecurityContextA(cred, ctx, NULL,
		    SSPI_CLIENT_FLAGS, 0, 0, NULL, 0, NULL, &OutBuffer, &attrs,
		    NULL), SEC_E_OK);
	/* One protected record: an alert in TLS 1.2, hidden in TLS 1.3. */
	assert_non_null(OutBuffers[0].pvBuffer);
	assert_true(((uint8_t *)OutBuffers[0].pvBuffer)[0] == TLS_ALERT ||
	    ((uint8_t *)OutBuffers[0].pvBuffer)[0] == TLS_APPLICATION_DATA);
	assert_int_equal(harness_record_missing(OutBuffers[0].pvBuffer,
	    OutBuffers[0].cbBuffer), 0);
	*out = malloc(OutBuffers[0].cbBuffer);
	assert_non_null(*out);
	memcpy(*out, OutBuffers[0].pvBuffer, OutBuffers[0].cbBuffer);
	*out_len = OutBuffers[0].cbBuffer;
	FreeContextBuffer(OutBuffers[0].pvBuffer);
}

/* The WebClient sample against s_server -www: the page, checked. */
static void
web_client(const char *version, DWORD protocols, const char *protocol_line)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-www", "-no_ticket", version, NULL
	};
	static const char	 request[] = "GET / HTTP/1.0\r\n\r\n";
	struct harness_child	*s_server;
	SecPkgContext_ConnectionInfo ci;
	SecPkgContext_SessionInfo si;
	SecBuffer		 ExtraData;
	CredHandle		 cred;
	CtxtHandle		 ctx;
	SECURITY_STATUS		 st = SEC_E_OK;
	ULONG			 attrs;
	uint8_t			*io, *page, *msg;
	size_t			 io_len, page_len = 0, msg_len, n, missing;
	char			 line[128];
	int			 port, fd, expired = 0;

	s_server = harness_s_server(&port, args);
	sspi_acquire("client-nocert", SECPKG_CRED_OUTBOUND, protocols, &cred);
	fd = harness_tcp_connect(port);
	assert_status(sspi_client_handshake(fd, &cred, "localhost", NULL, &ctx,
	    &attrs, &ExtraData), SEC_E_OK);

	assert_status(encrypt_block(&ctx, request, strlen(request), &msg,
	    &msg_len), SEC_E_OK);
	harness_send_all(fd, msg, msg_len);
	free(msg);

	/* ReadDecrypt: read, decrypt, keep EXTRA, until the server closes. */
	io = malloc(SSPI_IO_BUFFER_SIZE);
	page = malloc(1 << 20);
	assert_non_null(io);
	assert_non_null(page);
	io_len = ExtraData.cbBuffer;
	if (io_len > 0)
		memcpy(io, ExtraData.pvBuffer, io_len);
	free(ExtraData.pvBuffer);
	for (;;) {
		if (io_len == 0 || st == SEC_E_INCOMPLETE_MESSAGE) {
			n = harness_recv(fd, io + io_len,
			    SSPI_IO_BUFFER_SIZE - io_len, HARNESS_TIMEOUT_MS);
			if (n == 0)
				break;
			io_len += n;
		}
		st = decrypt_once(&ctx, io, &io_len, page, &page_len,
		    &missing);
		if (st == SEC_E_INCOMPLETE_MESSAGE) {
			assert_true(missing >= 1);
			continue;
		}
		if (st == SEC_I_CONTEXT_EXPIRED) {
			expired = 1;
			break;
		}
		assert_status(st, SEC_E_OK);
	}
	page[page_len] = '\0';
	/* s_server -www ends the page with close_notify. */
	assert_true(expired);
	assert_int_equal(memcmp(page, "HTTP/1.0 200 ok\r\n", 17), 0);
	assert_contains((char *)page, "Content-type: text/html");
	assert_contains((char *)page, protocol_line);
	assert_contains((char *)page, "no client certificate available");
	assert_non_null(strstr((char *)page + page_len - 26,
	    "</pre></BODY></HTML>\r\n"));

	/* CONNECTION_INFO agrees with the cipher the page names. */
	assert_status(QueryContextAttributesA(&ctx, SECPKG_ATTR_CONNECTION_INFO,
	    &ci), SEC_E_OK);
	assert_int_equal(ci.dwProtocol, protocols);
	snprintf(line, sizeof(line), "%s", strstr((char *)page,
	    "Cipher is ") + 10);
	line[strcspn(line, "\r\n")] = '\0';
	if (strstr(line, "AES256") != NULL || strstr(line, "AES_256") != NULL)
		assert_int_equal(ci.aiCipher, CALG_AES_256);
	else
		fail_msg("unexpected cipher %s", line);
	assert_int_equal(ci.aiHash, CALG_SHA_384);
	assert_int_equal(ci.aiExch, CALG_ECDH_EPHEM);

	/*
	 * TLS 1.2 without tickets: SESSION_INFO holds the session id the page
	 * shows.
	 */
	assert_status(QueryContextAttributesA(&ctx, SECPKG_ATTR_SESSION_INFO,
	    &si), SEC_E_OK);
	assert_int_equal(si.dwFlags, 0);
	if (protocols == SP_PROT_TLS1_2_CLIENT) {
		assert_int_equal(si.cbSessionId, 32);
		for (n = 0; n < si.cbSessionId; n++)
			snprintf(line + 2 * n, 3, "%02X", si.rgbSessionId[n]);
		assert_contains((char *)page, line);
	}

	/* Our close_notify, as DisconnectFromServer sends it. */
	shutdown_token(&cred, &ctx, 0, &msg, &msg_len);
	(void)send(fd, msg, msg_len, MSG_NOSIGNAL);
	free(msg);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&cred), SEC_E_OK);
	free(io);
	free(page);
	close(fd);
	harness_child_kill(s_server);
	harness_assert_daemon_alive();
}

static void
test_web_client_tls13(void **state)
{
	(void)state;
	web_client("-tls1_3", SP_PROT_TLS1_3_CLIENT,
	    "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384");
}

static void
test_web_client_tls12(void **state)
{
	(void)state;
	web_client("-tls1_2", SP_PROT_TLS1_2_CLIENT,
	    "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384");
}

/* An established in-memory pair; the client's leftovers decrypted. */
static void
pair_open(struct sspi_side **cp, struct sspi_side **sp)
{
	uint8_t	plain[64];
	size_t	plain_len = 0, missing;

	*cp = sspi_side_open(0, "client-nocert");
	*sp = sspi_side_open(1, "server");
	sspi_side_run(*cp, *sp, 0);
	/*
	 * TLS 1.3 session tickets: absorbed, never SEC_I_RENEGOTIATE, and no
	 * data.
	 */
	while ((*cp)->in_len > 0)
		assert_status(decrypt_once(&(*cp)->ctx, (*cp)->in,
		    &(*cp)->in_len, plain, &plain_len, &missing), SEC_E_OK);
	assert_int_equal(plain_len, 0);
}

static void
pair_close(struct sspi_side *c, struct sspi_side *s)
{
	sspi_side_close(c);
	sspi_side_close(s);
	harness_assert_daemon_alive();
}

static void
fill(uint8_t *p, size_t len, unsigned seed)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

/* Two records in one input: the first, then the second from EXTRA. */
static void
test_two_records_one_input(void **state)
{
	struct sspi_side	*c, *s;
	uint8_t			 a[100], b[3000], in[8192], plain[4096];
	uint8_t			*r1, *r2;
	size_t			 l1, l2, len, plain_len = 0, missing;

	(void)state;
	pair_open(&c, &s);
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	assert_status(encrypt_block(&c->ctx, a, sizeof(a), &r1, &l1),
	    SEC_E_OK);
	assert_status(encrypt_block(&c->ctx, b, sizeof(b), &r2, &l2),
	    SEC_E_OK);
	memcpy(in, r1, l1);
	memcpy(in + l1, r2, l2);
	len = l1 + l2;
	assert_status(decrypt_once(&s->ctx, in, &len, plain, &plain_len,
	    &missing), SEC_E_OK);
	assert_int_equal(plain_len, sizeof(a));
	assert_memory_equal(plain, a, sizeof(a));
	/* EXTRA was exactly the second record. */
	assert_int_equal(len, l2);
	assert_memory_equal(in, r2, l2);
	plain_len = 0;
	assert_status(decrypt_once(&s->ctx, in, &len, plain, &plain_len,
	    &missing), SEC_E_OK);
	assert_int_equal(len, 0);
	assert_int_equal(plain_len, sizeof(b));
	assert_memory_equal(plain, b, sizeof(b));
	free(r1);
	free(r2);
	pair_close(c, s);
}

/* A record offered one byte more per call: MISSING never over-asks. */
static void
test_one_byte_at_a_time(void **state)
{
	struct sspi_side	*c, *s;
	uint8_t			 a[500], in[1024], plain[1024], *r;
	size_t			 l, give, len, plain_len = 0, missing;
	SECURITY_STATUS		 st;

	(void)state;
	pair_open(&c, &s);
	fill(a, sizeof(a), 3);
	assert_status(encrypt_block(&s->ctx, a, sizeof(a), &r, &l), SEC_E_OK);
	for (give = 1; give < l; give++) {
		memcpy(in, r, give);
		len = give;
		st = decrypt_once(&c->ctx, in, &len, plain, &plain_len,
		    &missing);
		assert_status(st, SEC_E_INCOMPLETE_MESSAGE);
		assert_true(missing >= 1 && give + missing <= l);
		/* Past the header the count is exact. */
		if (give >= TLS_HEADER_LEN)
			assert_int_equal(give + missing, l);
	}
	memcpy(in, r, l);
	len = l;
	assert_status(decrypt_once(&c->ctx, in, &len, plain, &plain_len,
	    &missing), SEC_E_OK);
	assert_int_equal(plain_len, sizeof(a));
	assert_memory_equal(plain, a, sizeof(a));
	free(r);
	pair_close(c, s);
}

/* Sizes: cbMaximumMessage fits in one record, one more byte does not. */
static void
test_stream_sizes_and_limits(void **state)
{
	SecPkgContext_StreamSizes	 sizes;
	struct sspi_side		*c, *s;
	SecBufferDesc			 m;
	SecBuffer			 b[4];
	uint8_t				*big, *r, hdr[64], trl[256];
	size_t				 l;

	(void)state;
	pair_open(&c, &s);
	assert_status(QueryContextAttributesA(&c->ctx,
	    SECPKG_ATTR_STREAM_SIZES, &sizes), SEC_E_OK);
	assert_int_equal(sizes.cbHeader, TLS_HEADER_LEN);
	assert_int_equal(sizes.cbMaximumMessage, 16384);
	assert_int_equal(sizes.cBuffers, 4);
	assert_int_equal(sizes.cbBlockSize, 1);
	assert_true(sizes.cbTrailer >= 17);
	big = malloc(sizes.cbMaximumMessage + 1);
	assert_non_null(big);
	fill(big, sizes.cbMaximumMessage + 1, 4);
	assert_status(encrypt_block(&c->ctx, big, sizes.cbMaximumMessage, &r,
	    &l), SEC_E_OK);
	/* One record: its header's length covers everything. */
	assert_int_equal(harness_record_missing(r, l), 0);
	assert_int_equal(((size_t)r[3] << 8 | r[4]) + TLS_HEADER_LEN, l);
	free(r);
	/* One byte more than a record holds: Schannel's status. */
	assert_status(encrypt_block(&c->ctx, big, sizes.cbMaximumMessage + 1,
	    &r, &l), SEC_E_ENCRYPT_FAILURE);

	/* Header or trailer smaller than STREAM_SIZES says. */
	empty_buffers(&m, b, 4);
	b[0].BufferType = SECBUFFER_STREAM_HEADER;
	b[0].pvBuffer = hdr;
	b[0].cbBuffer = sizes.cbHeader - 1;
	b[1].BufferType = SECBUFFER_DATA;
	b[1].pvBuffer = big;
	b[1].cbBuffer = 10;
	b[2].BufferType = SECBUFFER_STREAM_TRAILER;
	b[2].pvBuffer = trl;
	b[2].cbBuffer = sizes.cbTrailer;
	assert_status(EncryptMessage(&c->ctx, 0, &m, 0),
	    SEC_E_BUFFER_TOO_SMALL);
	b[0].cbBuffer = sizes.cbHeader;
	b[2].cbBuffer = 4;
	assert_status(EncryptMessage(&c->ctx, 0, &m, 0),
	    SEC_E_BUFFER_TOO_SMALL);
	/* No DATA buffer; no header buffer. */
	b[2].cbBuffer = sizes.cbTrailer;
	b[1].BufferType = SECBUFFER_EMPTY;
	assert_status(EncryptMessage(&c->ctx, 0, &m, 0), SEC_E_INVALID_TOKEN);
	b[1].BufferType = SECBUFFER_DATA;
	b[0].BufferType = SECBUFFER_EMPTY;
	assert_status(EncryptMessage(&c->ctx, 0, &m, 0), SEC_E_INVALID_TOKEN);
	assert_status(EncryptMessage(&c->ctx, 0, NULL, 0), SEC_E_INVALID_TOKEN);
	/* The context survives refused calls. */
	assert_status(encrypt_block(&c->ctx, big, 10, &r, &l), SEC_E_OK);
	free(r);
	free(big);
	pair_close(c, s);
}

static void
test_decrypt_buffer_errors(void **state)
{
	struct sspi_side	*c, *s;
	SecBufferDesc		 m;
	SecBuffer		 b[4];
	uint8_t			 rec[64] = { TLS_APPLICATION_DATA, 3, 3 };
	CtxtHandle		 made_up = { 0x1234, 0x5678 };

	(void)state;
	pair_open(&c, &s);
	/* No DATA buffer. */
	empty_buffers(&m, b, 4);
	assert_status(DecryptMessage(&c->ctx, &m, 0, NULL),
	    SEC_E_INVALID_TOKEN);
	/* Too few EMPTY buffers for the results. */
	empty_buffers(&m, b, 2);
	b[0].BufferType = SECBUFFER_DATA;
	b[0].pvBuffer = rec;
	b[0].cbBuffer = sizeof(rec);
	assert_status(DecryptMessage(&c->ctx, &m, 0, NULL),
	    SEC_E_INVALID_TOKEN);
	assert_status(DecryptMessage(&c->ctx, NULL, 0, NULL),
	    SEC_E_INVALID_TOKEN);
	/* Handles never issued, or of the wrong kind. */
	empty_buffers(&m, b, 4);
	b[0].BufferType = SECBUFFER_DATA;
	b[0].pvBuffer = rec;
	b[0].cbBuffer = sizeof(rec);
	assert_status(DecryptMessage(&made_up, &m, 0, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(DecryptMessage(&c->cred, &m, 0, NULL),
	    SEC_E_INVALID_HANDLE);
	assert_status(EncryptMessage(&made_up, 0, &m, 0),
	    SEC_E_INVALID_HANDLE);
	assert_status(QueryContextAttributesA(&made_up,
	    SECPKG_ATTR_STREAM_SIZES, rec), SEC_E_INVALID_HANDLE);
	assert_status(ApplyControlToken(&made_up, &m), SEC_E_INVALID_HANDLE);
	assert_status(CompleteAuthToken(&made_up, &m), SEC_E_INVALID_HANDLE);
	assert_status(CompleteAuthToken(&c->ctx, &m), SEC_E_OK);
	/* An attribute secctx does not answer; a token it does not take. */
	assert_status(QueryContextAttributesA(&c->ctx,
	    SECPKG_ATTR_LOCAL_CERT_CONTEXT, rec), SEC_E_UNSUPPORTED_FUNCTION);
	assert_status(ApplyControlToken(&c->ctx, &m), SEC_E_INVALID_TOKEN);
	pair_close(c, s);
}

/* SECPKG_ATTR_UNIQUE_BINDINGS of one side: "tls-unique:" and 12 bytes. */
static void
unique_bindings(PCtxtHandle h, uint8_t *data)
{
	SecPkgContext_Bindings	b;

	assert_status(QueryContextAttributesA(h, SECPKG_ATTR_UNIQUE_BINDINGS,
	    &b), SEC_E_OK);
	assert_int_equal(b.BindingsLength, sizeof(SEC_CHANNEL_BINDINGS) + 23);
	assert_int_equal(b.Bindings->cbApplicationDataLength, 23);
	assert_int_equal(b.Bindings->dwApplicationDataOffset,
	    sizeof(SEC_CHANNEL_BINDINGS));
	assert_int_equal(b.Bindings->cbInitiatorLength, 0);
	assert_int_equal(b.Bindings->cbAcceptorLength, 0);
	assert_memory_equal((uint8_t *)b.Bindings +
	    b.Bindings->dwApplicationDataOffset, "tls-unique:", 11);
	memcpy(data, (uint8_t *)b.Bindings +
	    b.Bindings->dwApplicationDataOffset + 11, 12);
	assert_status(FreeContextBuffer(b.Bindings), SEC_E_OK);
}

/* tls-unique: TLS 1.2 contexts, the same at both ends; not TLS 1.3. */
static void
test_unique_bindings(void **state)
{
	struct sspi_side	*c, *s;
	SecPkgContext_Bindings	 b = { 0, NULL };
	uint8_t			 cu[12], su[12];

	(void)state;
	c = sspi_side_open(0, "client-nocert");
	s = sspi_side_open(1, "server");
	assert_status(FreeCredentialsHandle(&c->cred), SEC_E_OK);
	sspi_acquire("client-nocert", SECPKG_CRED_OUTBOUND,
	    SP_PROT_TLS1_2_CLIENT, &c->cred);
	sspi_side_run(c, s, 0);
	unique_bindings(&c->ctx, cu);
	unique_bindings(&s->ctx, su);
	assert_memory_equal(cu, su, 12);
	pair_close(c, s);

	pair_open(&c, &s);
	assert_status(QueryContextAttributesA(&c->ctx,
	    SECPKG_ATTR_UNIQUE_BINDINGS, &b), SEC_E_UNSUPPORTED_FUNCTION);
	assert_status(QueryContextAttributesA(&s->ctx,
	    SECPKG_ATTR_UNIQUE_BINDINGS, &b), SEC_E_UNSUPPORTED_FUNCTION);
	assert_null(b.Bindings);
	pair_close(c, s);
}

/*
 * A program that handles SEC_I_RENEGOTIATE calls the handshake function
 * again with the input it holds.  secctx never asks for that, and such a
 * call on an established context consumes nothing: SEC_E_OK, no token, the
 * whole input back as EXTRA, which then decrypts as usual.
 */
static void
test_handshake_call_when_established(void **state)
{
	struct sspi_side	*c, *s;
	SecBufferDesc		 ind, outd;
	SecBuffer		 in[2], out[1];
	uint8_t			 a[30], plain[64], *r;
	size_t			 l, plain_len = 0, missing;
	ULONG			 attrs;

	(void)state;
	pair_open(&c, &s);
	fill(a, sizeof(a), 7);
	assert_status(encrypt_block(&c->ctx, a, sizeof(a), &r, &l), SEC_E_OK);
	empty_buffers(&ind, in, 2);
	in[0].BufferType = SECBUFFER_TOKEN;
	in[0].pvBuffer = r;
	in[0].cbBuffer = (ULONG)l;
	empty_buffers(&outd, out, 1);
	out[0].BufferType = SECBUFFER_TOKEN;
	assert_status(AcceptSecurityContext(NULL, &s->ctx, &ind,
	    SSPI_SERVER_FLAGS, 0, NULL, &outd, &attrs, NULL), SEC_E_OK);
	assert_int_equal(out[0].cbBuffer, 0);
	assert_null(out[0].pvBuffer);
	assert_int_equal(in[1].BufferType, SECBUFFER_EXTRA);
	assert_int_equal(in[1].cbBuffer, l);
	assert_status(decrypt_once(&s->ctx, r, &l, plain, &plain_len,
	    &missing), SEC_E_OK);
	assert_int_equal(plain_len, sizeof(a));
	assert_memory_equal(plain, a, sizeof(a));
	free(r);
	pair_close(c, s);
}

/* A tampered record: SEC_E_DECRYPT_FAILURE, then a dead handle. */
static void
test_tampered_record(void **state)
{
	struct sspi_side	*c, *s;
	uint8_t			 a[40], plain[64], *r;
	size_t			 l, plain_len = 0, missing;
	SECURITY_STATUS		 st;

	(void)state;
	pair_open(&c, &s);
	fill(a, sizeof(a), 5);
	assert_status(encrypt_block(&c->ctx, a, sizeof(a), &r, &l), SEC_E_OK);
	r[l - 3] ^= 0x40;
	st = decrypt_once(&s->ctx, r, &l, plain, &plain_len, &missing);
	assert_status(st, SEC_E_DECRYPT_FAILURE);
	assert_int_equal(plain_len, 0);
	assert_status(decrypt_once(&s->ctx, r, &l, plain, &plain_len,
	    &missing), SEC_E_INVALID_HANDLE);
	free(r);
	pair_close(c, s);
}

/* close_notify both ways, through ApplyControlToken. */
static void
test_shutdown_both_ways(void **state)
{
	struct sspi_side	*c, *s;
	uint8_t			 a[20], plain[64], *r, *notify;
	size_t			 l, nl, plain_len = 0, missing;

	(void)state;
	pair_open(&c, &s);
	fill(a, sizeof(a), 6);
	/* Data, then the client's close_notify, in one input. */
	assert_status(encrypt_block(&c->ctx, a, sizeof(a), &r, &l), SEC_E_OK);
	shutdown_token(&c->cred, &c->ctx, 0, &notify, &nl);
	r = realloc(r, l + nl);
	assert_non_null(r);
	memcpy(r + l, notify, nl);
	free(notify);
	l += nl;
	assert_status(decrypt_once(&s->ctx, r, &l, plain, &plain_len,
	    &missing), SEC_E_OK);
	assert_int_equal(plain_len, sizeof(a));
	assert_int_equal(l, nl);
	assert_status(decrypt_once(&s->ctx, r, &l, plain, &plain_len,
	    &missing), SEC_I_CONTEXT_EXPIRED);
	free(r);
	/* The client no longer encrypts. */
	assert_status(encrypt_block(&c->ctx, a, sizeof(a), &r, &l),
	    SEC_E_CONTEXT_EXPIRED);
	/* The server answers with its own close_notify. */
	shutdown_token(&s->cred, &s->ctx, 1, &notify, &nl);
	plain_len = 0;
	assert_status(decrypt_once(&c->ctx, notify, &nl, plain, &plain_len,
	    &missing), SEC_I_CONTEXT_EXPIRED);
	assert_int_equal(plain_len, 0);
	free(notify);
	pair_close(c, s);
}

/*
 * s_server sends a KeyUpdate asking for ours: DecryptMessage absorbs it
 * (SEC_E_OK, no data) and the next EncryptMessage carries our KeyUpdate
 * ahead of the record; both directions keep working.
 */
static void
test_key_update_from_s_server(void **state)
{
	const char		*msgs = harness_test_file("ku.msg");
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-tls1_3", "-msg", "-msgfile", msgs,
		NULL
	};
	struct harness_child	*s_server;
	SecBuffer		 ExtraData;
	CredHandle		 cred;
	CtxtHandle		 ctx;
	SECURITY_STATUS		 st = SEC_E_OK;
	ULONG			 attrs;
	uint8_t			 io[4096], plain[256], *msg;
	size_t			 io_len, plain_len = 0, msg_len, missing, n;
	int			 port, fd;

	(void)state;
	s_server = harness_s_server(&port, args);
	sspi_acquire("client-nocert", SECPKG_CRED_OUTBOUND, 0, &cred);
	fd = harness_tcp_connect(port);
	assert_status(sspi_client_handshake(fd, &cred, "localhost", NULL, &ctx,
	    &attrs, &ExtraData), SEC_E_OK);
	harness_child_wait_output(s_server, "CIPHER is", 5000);
	io_len = ExtraData.cbBuffer;
	if (io_len > 0)
		memcpy(io, ExtraData.pvBuffer, io_len);
	free(ExtraData.pvBuffer);

	harness_child_write(s_server, "K\n");
	harness_wait_file_count(msgs, HARNESS_KU_SENT, 1);
	/* Decrypt the tickets and the KeyUpdate: no data. */
	do {
		if (io_len == 0 || st == SEC_E_INCOMPLETE_MESSAGE) {
			n = harness_recv(fd, io + io_len, sizeof(io) - io_len,
			    HARNESS_TIMEOUT_MS);
			assert_true(n > 0);
			io_len += n;
		}
		st = decrypt_once(&ctx, io, &io_len, plain, &plain_len,
		    &missing);
		assert_true(st == SEC_E_OK || st == SEC_E_INCOMPLETE_MESSAGE);
	} while (io_len > 0 || st == SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(plain_len, 0);

	/* Our next record carries our KeyUpdate ahead of it. */
	assert_status(encrypt_block(&ctx, "after update\n", 13, &msg,
	    &msg_len), SEC_E_OK);
	assert_true(msg_len > 13 + 5 + 17);
	harness_send_all(fd, msg, msg_len);
	free(msg);
	harness_child_wait_output(s_server, "after update", 5000);
	assert_int_equal(harness_file_count(msgs, HARNESS_KU_RECEIVED), 1);
	/* s_server's data under its new keys. */
	harness_child_write(s_server, "from server\n");
	while (plain_len < 12) {
		n = harness_recv(fd, io + io_len, sizeof(io) - io_len,
		    HARNESS_TIMEOUT_MS);
		assert_true(n > 0);
		io_len += n;
		while (io_len > 0) {
			st = decrypt_once(&ctx, io, &io_len, plain,
			    &plain_len, &missing);
			if (st == SEC_E_INCOMPLETE_MESSAGE)
				break;
			assert_status(st, SEC_E_OK);
		}
	}
	assert_memory_equal(plain, "from server\n", 12);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&cred), SEC_E_OK);
	close(fd);
	harness_child_kill(s_server);
	harness_assert_daemon_alive();
}

/* The DER of a PEM certificate file. */
static unsigned char *
pem_der(const char *path, int *len)
{
	unsigned char	*der = NULL;
	X509		*x;
	FILE		*f;

	f = fopen(path, "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	*len = i2d_X509(x, &der);
	assert_true(*len > 0);
	X509_free(x);
	return (der);
}

/* A SEC_APPLICATION_PROTOCOLS buffer offering the ALPN names given. */
static size_t
alpn_buffer(uint8_t *buf, const char *const names[])
{
	uint32_t	total, ext = SecApplicationProtocolNegotiationExt_ALPN;
	uint16_t	size = 0;
	size_t		i, n;

	for (i = 0; names[i] != NULL; i++) {
		n = strlen(names[i]);
		buf[10 + size] = (uint8_t)n;
		memcpy(buf + 11 + size, names[i], n);
		size += (uint16_t)(1 + n);
	}
	total = 6 + size;
	memcpy(buf, &total, 4);
	memcpy(buf + 4, &ext, 4);
	memcpy(buf + 8, &size, 2);
	return (10 + size);
}

/*
 * Against s_server: ALPN from SECBUFFER_APPLICATION_PROTOCOLS, the remote
 * certificate, endpoint bindings, keying material compared with what
 * s_server exports, and SESSION_INFO across a resumption.
 */
static void
attributes_against_s_server(int resume)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-tls1_3", "-alpn", "h2,http/1.1",
		"-keymatexport", "EXPERIMENTAL-secctx", "-keymatexportlen",
		"32", NULL
	};
	const char *const	 offer[] = { "spdy/1", "http/1.1", NULL };
	struct harness_child	*s_server;
	SecPkgContext_ApplicationProtocol	 ap;
	SecPkgContext_KeyingMaterialInfo	 kmi;
	SecPkgContext_KeyingMaterial		 km;
	SecPkgContext_Bindings			 bind;
	SecPkgContext_SessionInfo		 si;
	PCCERT_CONTEXT		 cert = NULL;
	SecBufferDesc		 first;
	SecBuffer		 protos, ExtraData;
	CredHandle		 cred;
	CtxtHandle		 ctx;
	ULONG			 attrs;
	uint8_t			 alpn[64], hash[EVP_MAX_MD_SIZE];
	unsigned char		*der;
	unsigned int		 hash_len;
	char			 hex[80], *out;
	size_t			 i;
	int			 port, fd, der_len, round;

	s_server = harness_s_server(&port, args);
	sspi_acquire("client-nocert", SECPKG_CRED_OUTBOUND, 0, &cred);
	for (round = 0; round < 1 + resume; round++) {
		protos.BufferType = SECBUFFER_APPLICATION_PROTOCOLS;
		protos.pvBuffer = alpn;
		protos.cbBuffer = (ULONG)alpn_buffer(alpn, offer);
		first.ulVersion = SECBUFFER_VERSION;
		first.cBuffers = 1;
		first.pBuffers = &protos;
		fd = harness_tcp_connect(port);
		assert_status(sspi_client_handshake(fd, &cred, "localhost",
		    &first, &ctx, &attrs, &ExtraData), SEC_E_OK);
		assert_status(QueryContextAttributesA(&ctx,
		    SECPKG_ATTR_SESSION_INFO, &si), SEC_E_OK);
		assert_int_equal(si.dwFlags, round > 0 ?
		    SSL_SESSION_RECONNECT : 0);
		assert_true(si.cbSessionId <= 32);
		if (round == 0 && resume) {
			/* Decrypt the tickets so the next round resumes. */
			uint8_t	io[4096], plain[16];
			size_t	len, pl = 0, missing;

			len = ExtraData.cbBuffer;
			if (len > 0)
				memcpy(io, ExtraData.pvBuffer, len);
			else
				len = harness_recv(fd, io, sizeof(io),
				    HARNESS_TIMEOUT_MS);
			while (len > 0 && decrypt_once(&ctx, io, &len, plain,
			    &pl, &missing) == SEC_E_OK)
				;
			assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
			close(fd);
		}
		free(ExtraData.pvBuffer);
	}

	assert_status(QueryContextAttributesA(&ctx,
	    SECPKG_ATTR_APPLICATION_PROTOCOL, &ap), SEC_E_OK);
	assert_int_equal(ap.ProtoNegoStatus,
	    SecApplicationProtocolNegotiationStatus_Success);
	assert_int_equal(ap.ProtoNegoExt,
	    SecApplicationProtocolNegotiationExt_ALPN);
	assert_int_equal(ap.ProtocolIdSize, 8);
	assert_memory_equal(ap.ProtocolId, "http/1.1", 8);

	/* The remote certificate: server.pem's DER. */
	assert_status(QueryContextAttributesA(&ctx,
	    SECPKG_ATTR_REMOTE_CERT_CONTEXT, &cert), SEC_E_OK);
	der = pem_der(harness_pki("server.pem"), &der_len);
	assert_non_null(cert);
	assert_int_equal(cert->cbCertEncoded, der_len);
	assert_memory_equal(cert->pbCertEncoded, der, der_len);
	assert_true(CertFreeCertificateContext(cert));

	/* tls-server-end-point: SHA-256 of that DER (an ECDSA-SHA256 cert). */
	assert_status(QueryContextAttributesA(&ctx,
	    SECPKG_ATTR_ENDPOINT_BINDINGS, &bind), SEC_E_OK);
	assert_true(EVP_Digest(der, der_len, hash, &hash_len, EVP_sha256(),
	    NULL));
	assert_int_equal(bind.Bindings->cbApplicationDataLength,
	    21 + hash_len);
	assert_int_equal(bind.BindingsLength,
	    sizeof(SEC_CHANNEL_BINDINGS) + 21 + hash_len);
	assert_memory_equal((uint8_t *)bind.Bindings +
	    bind.Bindings->dwApplicationDataOffset,
	    "tls-server-end-point:", 21);
	assert_memory_equal((uint8_t *)bind.Bindings +
	    bind.Bindings->dwApplicationDataOffset + 21, hash, hash_len);
	FreeContextBuffer(bind.Bindings);
	OPENSSL_free(der);

	/* RFC 5705 material, as s_server printed it. */
	assert_status(QueryContextAttributesA(&ctx,
	    SECPKG_ATTR_KEYING_MATERIAL, &km), SEC_E_INVALID_PARAMETER);
	memset(&kmi, 0, sizeof(kmi));
	kmi.pszLabel = "EXPERIMENTAL-secctx";
	kmi.cbLabel = (WORD)strlen(kmi.pszLabel) + 1;
	kmi.cbKeyingMaterial = 32;
	assert_status(SetContextAttributesA(&ctx,
	    SECPKG_ATTR_KEYING_MATERIAL_INFO, &kmi, sizeof(kmi)), SEC_E_OK);
	assert_status(QueryContextAttributesA(&ctx,
	    SECPKG_ATTR_KEYING_MATERIAL, &km), SEC_E_OK);
	assert_int_equal(km.cbKeyingMaterial, 32);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", km.pbKeyingMaterial[i]);
	FreeContextBuffer(km.pbKeyingMaterial);
	/* The label and the value may come in two writes: wait for both. */
	harness_child_wait_output(s_server, hex, 5000);
	out = harness_child_output(s_server);
	assert_contains(out, hex);
	free(out);

	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&cred), SEC_E_OK);
	close(fd);
	harness_child_kill(s_server);
	harness_assert_daemon_alive();
}

static void
test_attributes_against_s_server(void **state)
{
	(void)state;
	attributes_against_s_server(0);
}

static void
test_session_info_resumed(void **state)
{
	(void)state;
	attributes_against_s_server(1);
}

/*
 * The server side: ALPN chosen from AcceptSecurityContext's
 * SECBUFFER_APPLICATION_PROTOCOLS, the client's certificate as
 * REMOTE_CERT_CONTEXT, data both ways with s_client.
 */
static void
test_server_attributes_with_s_client(void **state)
{
	const char *const	 extra[] = {
		"-alpn", "http/1.1", "-cert", harness_pki("client.pem"),
		"-key", harness_pki("client.key"), NULL
	};
	const char *const	 supported[] = { "h2", "http/1.1", NULL };
	SecPkgContext_ApplicationProtocol ap;
	SecPkgContext_ConnectionInfo ci;
	struct harness_child	*s_client;
	PCCERT_CONTEXT		 cert = NULL;
	SecBufferDesc		 ind, outd;
	SecBuffer		 in[3], out[1];
	CredHandle		 cred;
	CtxtHandle		 ctx;
	SECURITY_STATUS		 st = SEC_I_CONTINUE_NEEDED;
	ULONG			 attrs;
	uint8_t			 io[16384], alpn[64], plain[256], *msg;
	unsigned char		*der;
	size_t			 io_len = 0, plain_len = 0, msg_len, missing, n;
	int			 lfd, fd, port, first = 1, der_len;

	(void)state;
	lfd = harness_tcp_listen(&port);
	s_client = harness_s_client(port, "-tls1_3", extra);
	sspi_acquire("server", SECPKG_CRED_INBOUND, 0, &cred);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	/* The server loop, with the protocols on every call (as curl). */
	while (st == SEC_I_CONTINUE_NEEDED || st == SEC_E_INCOMPLETE_MESSAGE) {
		if (io_len == 0 || st == SEC_E_INCOMPLETE_MESSAGE) {
			n = harness_recv(fd, io + io_len, sizeof(io) - io_len,
			    HARNESS_TIMEOUT_MS);
			assert_true(n > 0);
			io_len += n;
		}
		empty_buffers(&ind, in, 3);
		in[0].BufferType = SECBUFFER_TOKEN;
		in[0].pvBuffer = io;
		in[0].cbBuffer = (ULONG)io_len;
		in[2].BufferType = SECBUFFER_APPLICATION_PROTOCOLS;
		in[2].pvBuffer = alpn;
		in[2].cbBuffer = (ULONG)alpn_buffer(alpn, supported);
		empty_buffers(&outd, out, 1);
		out[0].BufferType = SECBUFFER_TOKEN;
		st = AcceptSecurityContext(&cred, first ? NULL : &ctx, &ind,
		    SSPI_SERVER_FLAGS | ASC_REQ_MUTUAL_AUTH, 0,
		    first ? &ctx : NULL, &outd, &attrs, NULL);
		first = 0;
		if (out[0].cbBuffer > 0) {
			harness_send_all(fd, out[0].pvBuffer, out[0].cbBuffer);
			FreeContextBuffer(out[0].pvBuffer);
		}
		if (st == SEC_E_INCOMPLETE_MESSAGE)
			continue;
		assert_true(st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED);
		if (in[1].BufferType == SECBUFFER_EXTRA) {
			memmove(io, io + io_len - in[1].cbBuffer,
			    in[1].cbBuffer);
			io_len = in[1].cbBuffer;
		} else
			io_len = 0;
	}
	assert_status(QueryContextAttributesA(&ctx,
	    SECPKG_ATTR_APPLICATION_PROTOCOL, &ap), SEC_E_OK);
	assert_int_equal(ap.ProtocolIdSize, 8);
	assert_memory_equal(ap.ProtocolId, "http/1.1", 8);
	assert_status(QueryContextAttributesA(&ctx,
	    SECPKG_ATTR_CONNECTION_INFO, &ci), SEC_E_OK);
	assert_int_equal(ci.dwProtocol, SP_PROT_TLS1_3_SERVER);
	assert_status(QueryContextAttributesA(&ctx,
	    SECPKG_ATTR_REMOTE_CERT_CONTEXT, &cert), SEC_E_OK);
	der = pem_der(harness_pki("client.pem"), &der_len);
	assert_int_equal(cert->cbCertEncoded, der_len);
	assert_memory_equal(cert->pbCertEncoded, der, der_len);
	CertFreeCertificateContext(cert);
	OPENSSL_free(der);
	harness_child_wait_output(s_client, "ALPN protocol: http/1.1", 5000);

	/* Data both ways. */
	assert_status(encrypt_block(&ctx, "to client\n", 10, &msg, &msg_len),
	    SEC_E_OK);
	harness_send_all(fd, msg, msg_len);
	free(msg);
	harness_child_wait_output(s_client, "to client", 5000);
	harness_child_write(s_client, "to server\n");
	while (plain_len < 10) {
		if (io_len == 0 || st == SEC_E_INCOMPLETE_MESSAGE) {
			n = harness_recv(fd, io + io_len, sizeof(io) - io_len,
			    HARNESS_TIMEOUT_MS);
			assert_true(n > 0);
			io_len += n;
		}
		st = decrypt_once(&ctx, io, &io_len, plain, &plain_len,
		    &missing);
		assert_true(st == SEC_E_OK || st == SEC_E_INCOMPLETE_MESSAGE);
	}
	assert_memory_equal(plain, "to server\n", 10);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&cred), SEC_E_OK);
	close(fd);
	harness_child_kill(s_client);
	harness_assert_daemon_alive();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_web_client_tls13),
		harness_test(test_web_client_tls12),
		harness_test(test_two_records_one_input),
		harness_test(test_one_byte_at_a_time),
		harness_test(test_stream_sizes_and_limits),
		harness_test(test_decrypt_buffer_errors),
		harness_test(test_unique_bindings),
		harness_test(test_handshake_call_when_established),
		harness_test(test_tampered_record),
		harness_test(test_shutdown_both_ways),
		harness_test(test_key_update_from_s_server),
		harness_test(test_attributes_against_s_server),
		harness_test(test_session_info_resumed),
		harness_test(test_server_attributes_with_s_client),
	};

	return (harness_run("sspi_message", tests));
}
