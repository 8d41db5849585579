/*
 * SSPI peers for the tests, written as Windows programs write them: the
 * handshake loops of Microsoft's "Creating an Schannel Security Context"
 * and of the classic WebClient / WebServer samples, over a socket; and an
 * in-memory pair of contexts stepped against each other.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sspi-peers.h"

void
sspi_acquire(const char *name, ULONG use, DWORD protocols, PCredHandle h)
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
 * input (or pFirstInput: SECBUFFER_APPLICATION_PROTOCOLS), then
 * ClientHandshakeLoop.  Bytes after the handshake go to pExtraData, a copy
 * to free().
 */
SECURITY_STATUS
sspi_client_handshake(int fd, PCredHandle phCreds, const char *server,
    PSecBufferDesc pFirstInput, CtxtHandle *phContext, ULONG *attrs,
    SecBuffer *pExtraData)
{
	SecBufferDesc	 OutBuffer, InBuffer;
	SecBuffer	 InBuffers[2], OutBuffers[1];
	DWORD		 dwSSPIFlags = SSPI_CLIENT_FLAGS, cbIoBuffer = 0;
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
	    dwSSPIFlags, 0, SECURITY_NATIVE_DREP, pFirstInput, 0, phContext,
	    &OutBuffer, &dwSSPIOutFlags, &tsExpiry);
	if (scRet != SEC_I_CONTINUE_NEEDED)
		return (scRet);
	if (OutBuffers[0].cbBuffer != 0 && OutBuffers[0].pvBuffer != NULL) {
		harness_send_all(fd, OutBuffers[0].pvBuffer,
		    OutBuffers[0].cbBuffer);
		FreeContextBuffer(OutBuffers[0].pvBuffer);
		OutBuffers[0].pvBuffer = NULL;
	}

	IoBuffer = malloc(SSPI_IO_BUFFER_SIZE);
	assert_non_null(IoBuffer);
	pExtraData->pvBuffer = NULL;
	pExtraData->cbBuffer = 0;
	pExtraData->BufferType = SECBUFFER_EMPTY;
	while (scRet == SEC_I_CONTINUE_NEEDED ||
	    scRet == SEC_E_INCOMPLETE_MESSAGE ||
	    scRet == SEC_I_INCOMPLETE_CREDENTIALS) {
		if (cbIoBuffer == 0 || scRet == SEC_E_INCOMPLETE_MESSAGE) {
			if (fDoRead) {
				cbData = harness_recv(fd, IoBuffer + cbIoBuffer,
				    SSPI_IO_BUFFER_SIZE - cbIoBuffer,
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
			/* Keep what followed the handshake for decrypting. */
			if (InBuffers[1].BufferType == SECBUFFER_EXTRA) {
				pExtraData->pvBuffer = malloc(
				    InBuffers[1].cbBuffer);
				assert_non_null(pExtraData->pvBuffer);
				memcpy(pExtraData->pvBuffer, IoBuffer +
				    (cbIoBuffer - InBuffers[1].cbBuffer),
				    InBuffers[1].cbBuffer);
				pExtraData->cbBuffer = InBuffers[1].cbBuffer;
				pExtraData->BufferType = SECBUFFER_TOKEN;
			}
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
SECURITY_STATUS
sspi_server_handshake(int fd, PCredHandle phCred, DWORD dwSSPIFlags,
    CtxtHandle *phContext, ULONG *attrs, SecBuffer *pExtraData)
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

	IoBuffer = malloc(SSPI_IO_BUFFER_SIZE);
	assert_non_null(IoBuffer);
	pExtraData->pvBuffer = NULL;
	pExtraData->cbBuffer = 0;
	pExtraData->BufferType = SECBUFFER_EMPTY;
	while (scRet == SEC_I_CONTINUE_NEEDED ||
	    scRet == SEC_E_INCOMPLETE_MESSAGE ||
	    scRet == SEC_I_INCOMPLETE_CREDENTIALS) {
		if (cbIoBuffer == 0 || scRet == SEC_E_INCOMPLETE_MESSAGE) {
			cbData = harness_recv(fd, IoBuffer + cbIoBuffer,
			    SSPI_IO_BUFFER_SIZE - cbIoBuffer, HARNESS_TIMEOUT_MS);
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
		/* An incomplete first call made no handle: again with NULL. */
		if (scRet != SEC_E_INCOMPLETE_MESSAGE)
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
		if (scRet == SEC_E_OK) {
			if (InBuffers[1].BufferType == SECBUFFER_EXTRA) {
				pExtraData->pvBuffer = malloc(
				    InBuffers[1].cbBuffer);
				assert_non_null(pExtraData->pvBuffer);
				memcpy(pExtraData->pvBuffer, IoBuffer +
				    (cbIoBuffer - InBuffers[1].cbBuffer),
				    InBuffers[1].cbBuffer);
				pExtraData->cbBuffer = InBuffers[1].cbBuffer;
				pExtraData->BufferType = SECBUFFER_TOKEN;
			}
			break;
		}
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


/*
 * One call with what the side received (with trickle, only 'give' bytes
 * of it, growing by one on each SEC_E_INCOMPLETE_MESSAGE); the output goes
 * to the peer, EXTRA stays.
 */
void
sspi_side_step(struct sspi_side *s, struct sspi_side *peer, int trickle)
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
	if (s->status == SEC_E_INCOMPLETE_MESSAGE) {
		/* Nothing made, no handle written, the output as it was. */
		s->incomplete++;
		assert_int_equal(in[1].BufferType, SECBUFFER_MISSING);
		assert_true(in[1].cbBuffer >= 1);
		assert_int_equal(out[0].cbBuffer, 0);
		assert_null(out[0].pvBuffer);
		s->give = len + 1;
		return;
	}
	/* Nothing consumed: the same input goes in again. */
	if (s->status == SEC_I_INCOMPLETE_CREDENTIALS) {
		s->incomplete_creds++;
		assert_int_equal(out[0].cbBuffer, 0);
		return;
	}
	if (s->status != SEC_E_OK && s->status != SEC_I_CONTINUE_NEEDED)
		fail_msg("%s: %s", s->server ? "ASC" : "ISC",
		    harness_status_name(s->status));
	s->started = 1;
	/* ALLOCATED_MEMORY only when the call allocated (TLS 1.2's last). */
	assert_int_equal(attrs, (s->server ? SSPI_ASC_ALWAYS :
	    SSPI_ISC_ALWAYS) | (s->flags & (s->server ? ASC_REQ_EXTENDED_ERROR |
	    ASC_REQ_MUTUAL_AUTH : ISC_REQ_EXTENDED_ERROR |
	    ISC_REQ_MUTUAL_AUTH)) |
	    (out[0].cbBuffer > 0 ? ISC_RET_ALLOCATED_MEMORY : 0));
	if (out[0].cbBuffer > 0) {
		assert_non_null(out[0].pvBuffer);
		assert_true(peer->in_len + out[0].cbBuffer <= SSPI_IO_BUFFER_SIZE);
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
void
sspi_side_continue(struct sspi_side *c, struct sspi_side *s, int trickle)
{
	int	i;

	for (i = 0; i < 10000 && !(c->done && s->done); i++) {
		if (!s->done && s->in_len > 0)
			sspi_side_step(s, c, trickle);
		if (!c->done && c->in_len > 0)
			sspi_side_step(c, s, trickle);
	}
	assert_true(c->done && s->done);
	/* What is left is for DecryptMessage: TLS 1.3 session tickets. */
	if (c->in_len > 0)
		assert_int_equal(c->in[0], TLS_APPLICATION_DATA);
	assert_int_equal(s->in_len, 0);
}

void
sspi_side_run(struct sspi_side *c, struct sspi_side *s, int trickle)
{
	sspi_side_step(c, s, trickle);
	sspi_side_continue(c, s, trickle);
}

void
sspi_side_run_from_client(struct sspi_side *c, struct sspi_side *s)
{
	sspi_side_continue(c, s, 0);
}

struct sspi_side *
sspi_side_open(int server, const char *cred)
{
	struct sspi_side	*s;

	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->server = server;
	s->flags = server ? SSPI_SERVER_FLAGS : SSPI_CLIENT_FLAGS;
	sspi_acquire(cred, server ? SECPKG_CRED_INBOUND : SECPKG_CRED_OUTBOUND,
	    0, &s->cred);
	return (s);
}

void
sspi_side_close(struct sspi_side *s)
{
	assert_status(FreeCredentialsHandle(&s->cred), SEC_E_OK);
	if (s->started)
		assert_status(DeleteSecurityContext(&s->ctx), SEC_E_OK);
	free(s);
}

/* EncryptMessage of "hello" in block; the record's length in *len. */
SECURITY_STATUS
sspi_hello_encrypt(PCtxtHandle h, uint8_t *block, size_t *len)
{
	SecBuffer	b[4];
	SecBufferDesc	d = { SECBUFFER_VERSION, 4, b };
	SECURITY_STATUS	st;

	memset(b, 0, sizeof(b));
	memcpy(block + 64, "hello", 5);
	b[0].BufferType = SECBUFFER_STREAM_HEADER;
	b[0].pvBuffer = block;
	b[0].cbBuffer = 64;
	b[1].BufferType = SECBUFFER_DATA;
	b[1].pvBuffer = block + 64;
	b[1].cbBuffer = 5;
	b[2].BufferType = SECBUFFER_STREAM_TRAILER;
	b[2].pvBuffer = block + 69;
	b[2].cbBuffer = 256;
	b[3].BufferType = SECBUFFER_EMPTY;
	st = EncryptMessage(h, 0, &d, 0);
	if (st == SEC_E_OK) {
		/* Header, data and trailer end to end. */
		memmove(block + b[0].cbBuffer, b[1].pvBuffer, b[1].cbBuffer);
		memmove(block + b[0].cbBuffer + b[1].cbBuffer, b[2].pvBuffer,
		    b[2].cbBuffer);
		*len = b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer;
	}
	return (st);
}

/* DecryptMessage of one record. */
SECURITY_STATUS
sspi_record_decrypt(PCtxtHandle h, uint8_t *in, size_t len)
{
	SecBuffer	b[4];
	SecBufferDesc	d = { SECBUFFER_VERSION, 4, b };

	memset(b, 0, sizeof(b));
	b[0].BufferType = SECBUFFER_DATA;
	b[0].pvBuffer = in;
	b[0].cbBuffer = (ULONG)len;
	b[1].BufferType = b[2].BufferType = b[3].BufferType = SECBUFFER_EMPTY;
	return (DecryptMessage(h, &d, 0, NULL));
}
