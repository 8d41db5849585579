/*
 * SSPI protected messages: EncryptMessage and DecryptMessage over
 * secctx_encrypt / secctx_decrypt, in place in the caller's SecBuffers as
 * Schannel does them: one record per call.
 */

#include <stdlib.h>
#include <string.h>

#include "sspi-internal.h"

/* The most short-record bytes EncryptMessage sends ahead of a record. */
static size_t
sspi_short_room(const struct sspi_ctx *x)
{
	return (SSPI_SHORT_RECORDS * (x->header + SSPI_SHORT_RECORD_DATA +
	    x->trailer));
}

/* The cbTrailer that SECPKG_ATTR_STREAM_SIZES reports. */
size_t
sspi_stream_trailer(const struct sspi_ctx *x)
{
	return (x->trailer + sspi_short_room(x));
}

/*
 * Spread len bytes over header, data and trailer, in that order: the
 * header and data buffers take their sizes, the trailer the rest.
 */
static void
sspi_spread(const uint8_t *p, size_t len, SecBuffer *hdr, SecBuffer *data,
    SecBuffer *trl)
{
	memcpy(hdr->pvBuffer, p, hdr->cbBuffer);
	if (data->cbBuffer > 0)
		memcpy(data->pvBuffer, p + hdr->cbBuffer, data->cbBuffer);
	trl->cbBuffer = (ULONG)(len - hdr->cbBuffer - data->cbBuffer);
	memcpy(trl->pvBuffer, p + hdr->cbBuffer + data->cbBuffer,
	    trl->cbBuffer);
}

/*
 * Encrypt the SECBUFFER_DATA buffer (at most cbMaximumMessage bytes) into
 * one record: the record, preceded by any short record TLS requires first,
 * is spread over the STREAM_HEADER, DATA and STREAM_TRAILER buffers, whose
 * cbBuffer say how many bytes of each to send.
 */
static SECURITY_STATUS
sspi_encrypt(struct sspi_ctx *x, PSecBufferDesc m)
{
	SecBuffer	*hdr, *data, *trl;
	SECURITY_STATUS	 st;
	uint8_t		*rec = NULL, *all;
	size_t		 rec_len = 0, len;

	hdr = sspi_find(m, SECBUFFER_STREAM_HEADER, 0);
	data = sspi_find(m, SECBUFFER_DATA, 0);
	trl = sspi_find(m, SECBUFFER_STREAM_TRAILER, 0);
	if (hdr == NULL || data == NULL || trl == NULL ||
	    (data->pvBuffer == NULL && data->cbBuffer > 0) ||
	    hdr->pvBuffer == NULL || trl->pvBuffer == NULL)
		return (SEC_E_INVALID_TOKEN);
	if ((st = sspi_ctx_sizes(x)) != SEC_E_OK)
		return (st);
	if (data->cbBuffer > x->max_message)
		return (SEC_E_ENCRYPT_FAILURE);
	if (hdr->cbBuffer < x->header ||
	    trl->cbBuffer < x->trailer + x->pending_len)
		return (SEC_E_BUFFER_TOO_SMALL);

	st = secctx_encrypt(x->ctx, data->pvBuffer, data->cbBuffer,
	    (void **)&rec, &rec_len);
	if (st != SEC_E_OK)
		return (st);
	len = x->pending_len + rec_len;
	hdr->cbBuffer = (ULONG)x->header;
	if (len < (size_t)hdr->cbBuffer + data->cbBuffer ||
	    len - hdr->cbBuffer - data->cbBuffer > trl->cbBuffer) {
		/* The record is not the size the stream sizes promise. */
		secctx_free(rec);
		return (SEC_E_INTERNAL_ERROR);
	}
	all = rec;
	if (x->pending_len > 0) {
		if ((all = malloc(len)) == NULL) {
			secctx_free(rec);
			return (SEC_E_INSUFFICIENT_MEMORY);
		}
		memcpy(all, x->pending, x->pending_len);
		memcpy(all + x->pending_len, rec, rec_len);
		secctx_free(rec);
		free(x->pending);
		x->pending = NULL;
		x->pending_len = 0;
	}
	sspi_spread(all, len, hdr, data, trl);
	free(all);
	return (SEC_E_OK);
}

SECURITY_STATUS SEC_ENTRY
EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
    ULONG MessageSeqNo)
{
	struct sspi_ctx	*x;
	SECURITY_STATUS	 st;

	(void)MessageSeqNo;
	if ((x = sspi_ctx_lookup(phContext)) == NULL)
		return (SEC_E_INVALID_HANDLE);
	if (fQOP & SECQOP_WRAP_OOB_DATA)
		return (SEC_E_UNSUPPORTED_FUNCTION);
	if (pMessage == NULL || pMessage->pBuffers == NULL)
		return (SEC_E_INVALID_TOKEN);
	pthread_mutex_lock(&x->lock);
	st = sspi_encrypt(x, pMessage);
	pthread_mutex_unlock(&x->lock);
	return (st);
}

/* The buffers of one DecryptMessage call. */
struct sspi_dec {
	SecBuffer	*in;		/* the DATA buffer */
	SecBuffer	*empty[3];	/* the EMPTY buffers, in order */
	size_t		 nempty;
};

/* The SECBUFFER_DATA buffer and the EMPTY ones that receive the results. */
static SECURITY_STATUS
sspi_dec_buffers(PSecBufferDesc m, struct sspi_dec *d)
{
	ULONG	i;

	memset(d, 0, sizeof(*d));
	if (m == NULL || m->pBuffers == NULL ||
	    (d->in = sspi_find(m, SECBUFFER_DATA, 0)) == NULL ||
	    (d->in->pvBuffer == NULL && d->in->cbBuffer > 0))
		return (SEC_E_INVALID_TOKEN);
	for (i = 0; i < m->cBuffers && d->nempty < 3; i++)
		if (m->pBuffers[i].BufferType == SECBUFFER_EMPTY)
			d->empty[d->nempty++] = &m->pBuffers[i];
	if (d->nempty < 3)
		return (SEC_E_INVALID_TOKEN);
	return (SEC_E_OK);
}

static void
sspi_set(SecBuffer *b, ULONG type, void *p, size_t len)
{
	b->BufferType = type;
	b->pvBuffer = p;
	b->cbBuffer = (ULONG)len;
}

/*
 * Lay the decrypted record out in place: the consumed input becomes
 * STREAM_HEADER, DATA (the plaintext) and STREAM_TRAILER, and the
 * unconsumed rest EXTRA.  The DATA input buffer becomes the header; the
 * EMPTY buffers become data, trailer and extra.
 */
static void
sspi_dec_layout(struct sspi_ctx *x, struct sspi_dec *d,
    const struct secctx_message *msg)
{
	uint8_t	*p = d->in->pvBuffer;
	size_t	 used = d->in->cbBuffer - msg->extra, h;

	h = used - msg->data_len;
	if (h > x->header)
		h = x->header;
	if (msg->data_len > 0)
		memmove(p + h, msg->data, msg->data_len);
	sspi_set(d->in, SECBUFFER_STREAM_HEADER, p, h);
	sspi_set(d->empty[0], SECBUFFER_DATA, p + h, msg->data_len);
	sspi_set(d->empty[1], SECBUFFER_STREAM_TRAILER, p + h + msg->data_len,
	    used - h - msg->data_len);
	if (msg->extra > 0)
		sspi_set(d->empty[2], SECBUFFER_EXTRA, p + used, msg->extra);
}

static SECURITY_STATUS
sspi_decrypt(struct sspi_ctx *x, PSecBufferDesc m, struct sspi_dec *d)
{
	struct secctx_message	msg;
	SECURITY_STATUS		st;

	if ((st = sspi_ctx_sizes(x)) != SEC_E_OK)
		return (st);
	memset(&msg, 0, sizeof(msg));
	msg.in = d->in->pvBuffer;
	msg.in_len = d->in->cbBuffer;
	msg.max_records = 1;
	st = secctx_decrypt(x->ctx, &msg);
	/* As Schannel: the first buffer says what is missing, its data kept. */
	if (st == SEC_E_INCOMPLETE_MESSAGE) {
		m->pBuffers[0].BufferType = SECBUFFER_MISSING;
		m->pBuffers[0].cbBuffer = (ULONG)msg.missing;
		goto out;
	}
	/* Lost with the daemon's connection: it stays, and says so. */
	if (st == SEC_E_CONTEXT_EXPIRED)
		goto out;
	if (SECCTX_FAILED(st)) {
		/* The native context is gone; its alert cannot be sent. */
		sspi_ctx_failed(x);
		goto out;
	}
	if (msg.out_len > 0 &&
	    (st = sspi_ctx_pend(x, msg.out, msg.out_len)) != SEC_E_OK) {
		sspi_ctx_failed(x);
		goto out;
	}
	sspi_dec_layout(x, d, &msg);
out:
	secctx_free(msg.data);
	secctx_free(msg.out);
	return (st);
}

SECURITY_STATUS SEC_ENTRY
DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage,
    ULONG MessageSeqNo, PULONG pfQOP)
{
	struct sspi_dec	 d;
	struct sspi_ctx	*x;
	SECURITY_STATUS	 st;

	(void)MessageSeqNo;
	if (pfQOP != NULL)
		*pfQOP = 0;
	if ((x = sspi_ctx_lookup(phContext)) == NULL)
		return (SEC_E_INVALID_HANDLE);
	if ((st = sspi_dec_buffers(pMessage, &d)) != SEC_E_OK)
		return (st);
	pthread_mutex_lock(&x->lock);
	st = sspi_decrypt(x, pMessage, &d);
	pthread_mutex_unlock(&x->lock);
	return (st);
}
