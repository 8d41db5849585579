/*
 * fuzz_mapped: the record reader of a mapped context (client-lib/mapped.c
 * over proto/record.c), as an application drives it.
 *
 * The context and a peer share fixed keys.  The input builds the byte
 * stream the peer sends: a first byte (bit 0: TLS 1.2 instead of 1.3; the
 * rest: the size of the reads), then operations of 3 bytes (op, 16-bit
 * length) followed by that many bytes:
 *
 *   op 0  the peer seals a record: content type = the first byte, content
 *         = the rest (any type, any content, so padding and empty or
 *         unknown types too);
 *   op 1  raw bytes, as they are;
 *   op 2  flip: xor byte 2 into the stream at the position of bytes 0-1;
 *   op 3  the peer updates its key (TLS 1.3): a KeyUpdate record, with
 *         update_requested from bit 0 of byte 0.
 *
 * The stream is then read as an application reads a socket: a few bytes
 * more each time, every call given what the last one left over.  Each
 * answer must be consistent: extra never above the input, data never above
 * it, a failure ends the context, and what the context sends opens on the
 * peer's side.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mapped.h"
#include "record.h"

#define STREAM_MAX	(256 * 1024)

static void
state_make(struct rec_state *s, int tls12)
{
	int	i;

	memset(s, 0, sizeof(*s));
	s->version = tls12 ? REC_VERSION_12 : REC_VERSION_13;
	s->suite = tls12 ? 0xcca8 : 0x1303;
	for (i = 0; i < 2; i++) {
		if (tls12) {
			s->dir[i].key_len = 32;
			memset(s->dir[i].key, 0x30 + i, 32);
			s->dir[i].iv_len = 12;
			memset(s->dir[i].iv, 0x20 + i, 12);
			s->dir[i].seq = 1;
		} else {
			s->dir[i].secret_len = 32;
			memset(s->dir[i].secret, 0x10 + i, 32);
		}
	}
}

/* Build the peer's stream from the operations; its length. */
static size_t
build(struct rec_dir *pw, int tls12, const uint8_t *p, size_t len,
    uint8_t *out)
{
	uint8_t	ku[5] = { 24, 0, 0, 1, 0 };
	size_t	off = 0, n, pos, total = 0;

	while (len - off >= 3) {
		n = (size_t)p[off + 1] << 8 | p[off + 2];
		if (n > len - off - 3)
			n = len - off - 3;
		switch (p[off] % 4) {
		case 0:
			if (n == 0 || n - 1 > REC_MAX_PLAIN ||
			    total + rec_sealed_len(pw, n - 1) > STREAM_MAX ||
			    rec_seal(pw, p[off + 3], p + off + 4, n - 1,
			    out + total) != REC_OK)
				break;
			total += rec_sealed_len(pw, n - 1);
			break;
		case 1:
			if (total + n > STREAM_MAX)
				break;
			memcpy(out + total, p + off + 3, n);
			total += n;
			break;
		case 2:
			if (n < 3 || total == 0)
				break;
			pos = ((size_t)p[off + 3] << 8 | p[off + 4]) % total;
			out[pos] ^= p[off + 5];
			break;
		case 3:
			if (tls12 || n < 1 ||
			    total + rec_sealed_len(pw, 5) > STREAM_MAX)
				break;
			ku[4] = p[off + 3] & 1;
			if (rec_seal(pw, 22, ku, 5, out + total) != REC_OK)
				break;
			total += rec_sealed_len(pw, 5);
			(void)rec_dir_update(pw);
			break;
		}
		off += 3 + n;
	}
	return (total);
}

/* What the context sent must open on the peer's side, record by record. */
static void
check_sent(struct rec_dir *pr, const uint8_t *p, size_t len)
{
	uint8_t	 buf[REC_MAX_CIPHER_12], type;
	size_t	 reclen, plen;

	while (len > 0) {
		if (rec_header(p, len, &reclen) != 0 || reclen > len ||
		    reclen - REC_HEADER_LEN > sizeof(buf) ||
		    rec_open(pr, p, reclen, buf, &type, &plen) != REC_OK)
			abort();
		if (type == 22 && plen == 5 && buf[0] == 24)
			(void)rec_dir_update(pr);
		p += reclen;
		len -= reclen;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t		 stream[STREAM_MAX];
	struct rec_state	 s;
	struct rec_dir		 pw, pr;
	struct mapped_read	 r;
	struct mapped		*m;
	uint8_t			 packed[REC_STATE_PACKED_MAX];
	size_t			 len, start = 0, avail, step;
	secctx_status		 st;
	int			 tls12;

	if (size < 1)
		return (0);
	tls12 = data[0] & 1;
	step = (size_t)(data[0] >> 1) * 61 + 1;
	state_make(&s, tls12);
	m = mapped_new(packed, rec_state_pack(&s, packed));
	if (m == NULL || rec_dir_init_state(&pw, &s, REC_READ, 1) != 0 ||
	    rec_dir_init_state(&pr, &s, REC_WRITE, 0) != 0)
		abort();
	len = build(&pw, tls12, data + 1, size - 1, stream);
	avail = len < step ? len : step;
	for (;;) {
		memset(&r, 0, sizeof(r));
		r.in = stream + start;
		r.in_len = avail - start;
		st = mapped_decrypt(m, &r);
		if (r.extra > r.in_len || r.data_len > r.in_len)
			abort();
		check_sent(&pr, r.out, r.out_len);
		mapped_read_free(&r);
		if (st != SEC_E_OK && st != SEC_E_INCOMPLETE_MESSAGE) {
			if (SECCTX_FAILED(st) != mapped_failed(m) &&
			    st != SEC_I_CONTEXT_EXPIRED)
				abort();
			break;
		}
		start += r.in_len - r.extra;
		if (avail == len)
			break;
		avail = len - avail < step ? len : avail + step;
	}
	mapped_free(m);
	rec_dir_clear(&pw);
	rec_dir_clear(&pr);
	rec_state_cleanse(&s);
	return (0);
}
