/*
 * Unit tests for client-lib/mapped.c: the record reader and writer of a
 * mapped context, against a peer made of two record directions of
 * proto/record.c keyed with the mirror image of the context's state.
 * Every bad record gets its exact status and alert.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keymem.h"
#include "mapped.h"
#include "record.h"

#define SUITE_13	0x1301	/* TLS_AES_128_GCM_SHA256 */
#define SUITE_12	0xc02f	/* ECDHE-RSA-AES128-GCM-SHA256 */

/* The context under test and its peer. */
struct fix {
	struct mapped	*m;
	struct rec_dir	 pw;	/* the peer's writes: what m opens */
	struct rec_dir	 pr;	/* the peer's reads: what m seals */
	uint8_t		 buf[65536];
	size_t		 len;	/* records the peer sealed into buf */
};

static void
state_make(struct rec_state *s, uint16_t version, uint64_t wseq,
    uint64_t rseq)
{
	int	i;

	memset(s, 0, sizeof(*s));
	s->version = version;
	s->suite = version == REC_VERSION_13 ? SUITE_13 : SUITE_12;
	for (i = 0; i < 2; i++) {
		if (version == REC_VERSION_13) {
			s->dir[i].secret_len = 32;
			memset(s->dir[i].secret, 0x40 + i, 32);
		} else {
			s->dir[i].key_len = 16;
			memset(s->dir[i].key, 0x50 + i, 16);
			s->dir[i].iv_len = 4;
			memset(s->dir[i].iv, 0x60 + i, 4);
		}
	}
	s->dir[REC_WRITE].seq = wseq;
	s->dir[REC_READ].seq = rseq;
}

static void
fix_open(struct fix *f, uint16_t version, uint64_t wseq, uint64_t rseq)
{
	struct rec_state	s;
	uint8_t			packed[REC_STATE_PACKED_MAX];
	size_t			len;

	memset(f, 0, sizeof(*f));
	state_make(&s, version, wseq, rseq);
	len = rec_state_pack(&s, packed);
	assert_non_null(f->m = mapped_new(packed, len));
	/* The peer seals with our read side and opens with our write side. */
	assert_int_equal(rec_dir_init_state(&f->pw, &s, REC_READ, 1), 0);
	assert_int_equal(rec_dir_init_state(&f->pr, &s, REC_WRITE, 0), 0);
	rec_state_cleanse(&s);
}

static void
fix_close(struct fix *f)
{
	mapped_free(f->m);
	rec_dir_clear(&f->pw);
	rec_dir_clear(&f->pr);
}

/* The peer seals one record into f->buf. */
static void
peer_seal(struct fix *f, uint8_t type, const void *p, size_t len)
{
	assert_true(f->len + rec_sealed_len(&f->pw, len) <= sizeof(f->buf));
	assert_int_equal(rec_seal(&f->pw, type, p, len, f->buf + f->len),
	    REC_OK);
	f->len += rec_sealed_len(&f->pw, len);
}

static secctx_status
decrypt(struct fix *f, const uint8_t *in, size_t len, size_t max,
    struct mapped_read *r)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->in_len = len;
	r->max_records = max;
	return (mapped_decrypt(f->m, r));
}

/* The peer opens the next record of ours at *p; its type and content. */
static size_t
peer_open(struct fix *f, const uint8_t **p, size_t *left, uint8_t *type,
    uint8_t *out)
{
	size_t	reclen, plen;

	assert_int_equal(rec_header(*p, *left, &reclen), 0);
	assert_true(reclen <= *left);
	assert_int_equal(rec_open(&f->pr, *p, reclen, out, type, &plen),
	    REC_OK);
	*p += reclen;
	*left -= reclen;
	return (plen);
}

/* Our output is exactly one fatal alert 'desc', and the context ended. */
static void
assert_alert_sent(struct fix *f, struct mapped_read *r, uint8_t desc)
{
	const uint8_t	*p = r->out;
	size_t		 left = r->out_len;
	uint8_t		 type, a[64];

	assert_int_equal(peer_open(f, &p, &left, &type, a), 2);
	assert_int_equal(type, REC_ALERT);
	assert_int_equal(a[0], 2);
	assert_int_equal(a[1], desc);
	assert_int_equal(left, 0);
	assert_true(mapped_failed(f->m));
}

static void
test_encrypt_splits_records(void **state)
{
	struct fix	 f;
	uint8_t		*out, data[40000], got[REC_MAX_PLAIN + 256], type;
	const uint8_t	*p;
	size_t		 out_len, left, n, off = 0;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	for (n = 0; n < sizeof(data); n++)
		data[n] = (uint8_t)(n * 7);
	assert_int_equal(mapped_encrypt(f.m, data, sizeof(data), &out,
	    &out_len), SEC_E_OK);
	p = out;
	left = out_len;
	while (left > 0) {
		n = peer_open(&f, &p, &left, &type, got);
		assert_int_equal(type, REC_APPLICATION_DATA);
		assert_true(n <= REC_MAX_PLAIN);
		assert_memory_equal(got, data + off, n);
		off += n;
	}
	assert_int_equal(off, sizeof(data));
	assert_int_equal(f.pr.seq, 3);
	free(out);
	fix_close(&f);
}

static void
test_decrypt_records_and_extra(void **state)
{
	struct mapped_read	r;
	struct fix		f;
	size_t			first;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_APPLICATION_DATA, "hello ", 6);
	peer_seal(&f, REC_APPLICATION_DATA, "world", 5);
	first = f.len;
	peer_seal(&f, REC_APPLICATION_DATA, "next", 4);
	/* The third record is cut: it stays as extra bytes. */
	assert_int_equal(decrypt(&f, f.buf, f.len - 3, 0, &r), SEC_E_OK);
	assert_int_equal(r.data_len, 11);
	assert_memory_equal(r.data, "hello world", 11);
	assert_int_equal(r.extra, f.len - 3 - first);
	assert_int_equal(r.out_len, 0);
	mapped_read_free(&r);
	assert_int_equal(decrypt(&f, f.buf + first, f.len - first, 0, &r),
	    SEC_E_OK);
	assert_memory_equal(r.data, "next", 4);
	assert_int_equal(r.extra, 0);
	mapped_read_free(&r);
	fix_close(&f);
}

static void
test_decrypt_incomplete(void **state)
{
	struct mapped_read	r;
	struct fix		f;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_APPLICATION_DATA, "0123456789", 10);
	assert_int_equal(decrypt(&f, f.buf, 0, 0, &r),
	    SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(r.missing, 5);
	assert_int_equal(decrypt(&f, f.buf, 3, 0, &r),
	    SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(r.missing, 2);
	assert_int_equal(r.extra, 3);
	assert_int_equal(decrypt(&f, f.buf, f.len - 1, 0, &r),
	    SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(r.missing, 1);
	assert_null(r.data);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_memory_equal(r.data, "0123456789", 10);
	assert_int_equal(r.missing, 0);
	mapped_read_free(&r);
	fix_close(&f);
}

/* TLS 1.3 padding (zeros after the type) and zero-length records. */
static void
test_decrypt_padding_and_empty(void **state)
{
	struct mapped_read	r;
	struct fix		f;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	/* Type 0 after "abc", 23, 0, 0: content "abc", 23, four zeros. */
	peer_seal(&f, 0, "abc\x17\0\0", 6);
	peer_seal(&f, REC_APPLICATION_DATA, "", 0);
	peer_seal(&f, REC_APPLICATION_DATA, "def", 3);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_int_equal(r.data_len, 6);
	assert_memory_equal(r.data, "abcdef", 6);
	mapped_read_free(&r);
	fix_close(&f);

	/* max_records counts the records that carried data. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_APPLICATION_DATA, "", 0);
	peer_seal(&f, REC_APPLICATION_DATA, "one", 3);
	peer_seal(&f, REC_APPLICATION_DATA, "two", 3);
	assert_int_equal(decrypt(&f, f.buf, f.len, 1, &r), SEC_E_OK);
	assert_int_equal(r.data_len, 3);
	assert_memory_equal(r.data, "one", 3);
	assert_int_equal(r.extra, rec_sealed_len(&f.pw, 3));
	mapped_read_free(&r);
	fix_close(&f);
}

static void
test_decrypt_bad_tag(void **state)
{
	struct mapped_read	r;
	struct fix		f;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_APPLICATION_DATA, "secret", 6);
	f.buf[f.len - 1] ^= 1;
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_DECRYPT_FAILURE);
	assert_null(r.data);
	assert_alert_sent(&f, &r, REC_BAD_RECORD_MAC);
	mapped_read_free(&r);
	/* The context is ended: every later call says so. */
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_INVALID_HANDLE);
	mapped_read_free(&r);
	fix_close(&f);
}

/* A record longer than TLS allows is refused from its header alone. */
static void
test_decrypt_overflow(void **state)
{
	struct mapped_read	r;
	struct fix		f;
	uint8_t			hdr[5] = { 23, 3, 3, 0, 0 };
	size_t			len = REC_MAX_CIPHER_13 + 1;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	hdr[3] = len >> 8;
	hdr[4] = len & 0xff;
	assert_int_equal(decrypt(&f, hdr, sizeof(hdr), 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, REC_RECORD_OVERFLOW);
	mapped_read_free(&r);
	fix_close(&f);
}

static void
test_decrypt_unexpected_types(void **state)
{
	struct mapped_read	r;
	struct fix		f;
	uint8_t			junk[16] = "GET / HTTP/1.1\r\n";

	(void)state;
	/* change_cipher_spec inside a protected record. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_CHANGE_CIPHER_SPEC, "\x01", 1);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, REC_UNEXPECTED_MESSAGE);
	mapped_read_free(&r);
	fix_close(&f);

	/* No content type at all: zeros only. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, 0, "\0\0", 2);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, REC_UNEXPECTED_MESSAGE);
	mapped_read_free(&r);
	fix_close(&f);

	/* Not TLS. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	assert_int_equal(decrypt(&f, junk, sizeof(junk), 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, REC_UNEXPECTED_MESSAGE);
	mapped_read_free(&r);
	fix_close(&f);

	/* An empty handshake record. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_HANDSHAKE, "", 0);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, REC_UNEXPECTED_MESSAGE);
	mapped_read_free(&r);
	fix_close(&f);
}

static void
test_decrypt_alerts(void **state)
{
	struct mapped_read	r;
	struct fix		f;

	(void)state;
	/* close_notify: the data before it, then expired for good. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_APPLICATION_DATA, "bye", 3);
	peer_seal(&f, REC_ALERT, "\x01\x00", 2);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_I_CONTEXT_EXPIRED);
	assert_memory_equal(r.data, "bye", 3);
	assert_int_equal(r.out_len, 0);
	mapped_read_free(&r);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_I_CONTEXT_EXPIRED);
	mapped_read_free(&r);
	assert_false(mapped_failed(f.m));
	fix_close(&f);

	/* A fatal alert from the peer: its status, no alert back. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_ALERT, "\x02\x28", 2);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_ALGORITHM_MISMATCH);
	assert_int_equal(r.out_len, 0);
	assert_true(mapped_failed(f.m));
	mapped_read_free(&r);
	fix_close(&f);

	/* A TLS 1.2 warning is ignored; an alert of 3 bytes is not. */
	fix_open(&f, REC_VERSION_12, 1, 1);
	peer_seal(&f, REC_ALERT, "\x01\x64", 2);
	peer_seal(&f, REC_APPLICATION_DATA, "ok", 2);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_memory_equal(r.data, "ok", 2);
	mapped_read_free(&r);
	f.len = 0;
	peer_seal(&f, REC_ALERT, "\x01\x64\x00", 3);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, 50);
	mapped_read_free(&r);
	fix_close(&f);
}

static const uint8_t ku_not_requested[5] = { 24, 0, 0, 1, 0 };
static const uint8_t ku_requested[5] = { 24, 0, 0, 1, 1 };

static void
test_key_update_received(void **state)
{
	struct mapped_read	 r;
	struct fix		 f;
	const uint8_t		*p;
	uint8_t			 type, got[64], *out;
	size_t			 left, out_len;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	peer_seal(&f, REC_HANDSHAKE, ku_not_requested, 5);
	assert_int_equal(rec_dir_update(&f.pw), 0);
	peer_seal(&f, REC_APPLICATION_DATA, "new key", 7);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_memory_equal(r.data, "new key", 7);
	assert_int_equal(r.out_len, 0);
	assert_int_equal(r.hs_len, 0);
	mapped_read_free(&r);

	/* Asked for ours: it comes out, and our next records use it. */
	f.len = 0;
	peer_seal(&f, REC_HANDSHAKE, ku_requested, 5);
	assert_int_equal(rec_dir_update(&f.pw), 0);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	p = r.out;
	left = r.out_len;
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 5);
	assert_int_equal(type, REC_HANDSHAKE);
	assert_memory_equal(got, ku_not_requested, 5);
	assert_int_equal(left, 0);
	assert_int_equal(rec_dir_update(&f.pr), 0);
	mapped_read_free(&r);
	assert_int_equal(mapped_encrypt(f.m, "after", 5, &out, &out_len),
	    SEC_E_OK);
	p = out;
	left = out_len;
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 5);
	assert_memory_equal(got, "after", 5);
	free(out);
	fix_close(&f);
}

static void
test_key_update_malformed(void **state)
{
	struct mapped_read	r;
	struct fix		f;
	uint8_t			two[10];

	(void)state;
	/* Not at the end of its record. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	memcpy(two, ku_not_requested, 5);
	memcpy(two + 5, ku_not_requested, 5);
	peer_seal(&f, REC_HANDSHAKE, two, sizeof(two));
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, REC_UNEXPECTED_MESSAGE);
	mapped_read_free(&r);
	fix_close(&f);

	/* A request value that is neither. */
	fix_open(&f, REC_VERSION_13, 0, 0);
	memcpy(two, ku_not_requested, 5);
	two[4] = 2;
	peer_seal(&f, REC_HANDSHAKE, two, 5);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, 47);
	mapped_read_free(&r);
	fix_close(&f);
}

static void
test_key_update_sent(void **state)
{
	struct fix	 f;
	const uint8_t	*p;
	uint8_t		*out, type, got[64];
	size_t		 out_len, left;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	assert_int_equal(mapped_key_update(f.m, 1, &out, &out_len), SEC_E_OK);
	p = out;
	left = out_len;
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 5);
	assert_int_equal(type, REC_HANDSHAKE);
	assert_memory_equal(got, ku_requested, 5);
	free(out);
	assert_int_equal(rec_dir_update(&f.pr), 0);
	assert_int_equal(mapped_encrypt(f.m, "x", 1, &out, &out_len),
	    SEC_E_OK);
	p = out;
	left = out_len;
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 1);
	free(out);
	fix_close(&f);

	/* TLS 1.2 has none. */
	fix_open(&f, REC_VERSION_12, 1, 1);
	assert_int_equal(mapped_key_update(f.m, 0, &out, &out_len),
	    SEC_E_UNSUPPORTED_FUNCTION);
	assert_null(out);
	fix_close(&f);
}

/* At the AES-GCM usage limit the key is updated before the record. */
static void
test_key_update_at_limit(void **state)
{
	struct fix	 f;
	const uint8_t	*p;
	uint8_t		*out, type, got[64];
	size_t		 out_len, left;
	uint64_t	 limit;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	limit = f.pr.limit;
	fix_close(&f);
	assert_true(limit < UINT64_MAX);
	fix_open(&f, REC_VERSION_13, limit - 1, 0);
	assert_int_equal(mapped_encrypt(f.m, "x", 1, &out, &out_len),
	    SEC_E_OK);
	p = out;
	left = out_len;
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 5);
	assert_int_equal(type, REC_HANDSHAKE);
	assert_memory_equal(got, ku_not_requested, 5);
	assert_int_equal(rec_dir_update(&f.pr), 0);
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 1);
	assert_int_equal(type, REC_APPLICATION_DATA);
	assert_int_equal(left, 0);
	free(out);
	fix_close(&f);
}

/* TLS 1.2 cannot renew its key: used-up sequence numbers end writing. */
static void
test_sequence_exhausted(void **state)
{
	struct mapped_read	r;
	struct fix		f;
	uint8_t			*out;
	size_t			 out_len;

	(void)state;
	fix_open(&f, REC_VERSION_12, UINT64_MAX, 1);
	assert_int_equal(mapped_encrypt(f.m, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	assert_null(out);
	/* Reading still works. */
	peer_seal(&f, REC_APPLICATION_DATA, "in", 2);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_memory_equal(r.data, "in", 2);
	mapped_read_free(&r);
	fix_close(&f);

	/* The peer's numbers used up: the record cannot be opened. */
	fix_open(&f, REC_VERSION_12, 1, UINT64_MAX);
	f.pw.seq = UINT64_MAX - 1;
	peer_seal(&f, REC_APPLICATION_DATA, "in", 2);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_INTERNAL_ERROR);
	assert_true(mapped_failed(f.m));
	mapped_read_free(&r);
	fix_close(&f);
}

/* Messages for the daemon, gathered across records. */
static void
test_handshake_messages_gathered(void **state)
{
	struct mapped_read	 r;
	struct fix		 f;
	uint8_t			*msg;
	size_t			 len = 4 + 20000, i;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	assert_non_null(msg = malloc(len));
	msg[0] = 4;	/* NewSessionTicket */
	msg[1] = 0;
	msg[2] = 20000 >> 8;
	msg[3] = 20000 & 0xff;
	for (i = 4; i < len; i++)
		msg[i] = (uint8_t)i;
	peer_seal(&f, REC_HANDSHAKE, msg, REC_MAX_PLAIN);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_int_equal(r.hs_len, 0);
	mapped_read_free(&r);
	f.len = 0;
	peer_seal(&f, REC_HANDSHAKE, msg + REC_MAX_PLAIN, len - REC_MAX_PLAIN);
	peer_seal(&f, REC_APPLICATION_DATA, "data", 4);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_int_equal(r.hs_len, len);
	assert_memory_equal(r.hs, msg, len);
	assert_true(r.hs_tickets_only);
	assert_memory_equal(r.data, "data", 4);
	mapped_read_free(&r);

	/* A CertificateRequest is not a ticket. */
	f.len = 0;
	peer_seal(&f, REC_HANDSHAKE, "\x0d\x00\x00\x00", 4);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_int_equal(r.hs_len, 4);
	assert_false(r.hs_tickets_only);
	mapped_read_free(&r);

	/* Application data inside a message. */
	f.len = 0;
	peer_seal(&f, REC_HANDSHAKE, msg, 100);
	peer_seal(&f, REC_APPLICATION_DATA, "data", 4);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r),
	    SEC_E_ILLEGAL_MESSAGE);
	assert_alert_sent(&f, &r, REC_UNEXPECTED_MESSAGE);
	mapped_read_free(&r);
	free(msg);
	fix_close(&f);
}

static void
test_shutdown(void **state)
{
	struct mapped_read	 r;
	struct fix		 f;
	const uint8_t		*p;
	uint8_t			*out, type, got[64];
	size_t			 out_len, left;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	assert_int_equal(mapped_shutdown(f.m, &out, &out_len), SEC_E_OK);
	p = out;
	left = out_len;
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 2);
	assert_int_equal(type, REC_ALERT);
	assert_memory_equal(got, "\x01\x00", 2);
	free(out);
	/* Once only. */
	assert_int_equal(mapped_shutdown(f.m, &out, &out_len), SEC_E_OK);
	assert_int_equal(out_len, 0);
	assert_int_equal(mapped_encrypt(f.m, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	/* The peer's records are still read. */
	peer_seal(&f, REC_APPLICATION_DATA, "late", 4);
	assert_int_equal(decrypt(&f, f.buf, f.len, 0, &r), SEC_E_OK);
	assert_memory_equal(r.data, "late", 4);
	mapped_read_free(&r);
	fix_close(&f);
}

/* The daemon's plaintext records, sealed; malformed ones refused. */
static void
test_seal_plaintext(void **state)
{
	struct fix	 f;
	const uint8_t	 recs[] = { 22, 3, 3, 0, 2, 'h', 's',
				    21, 3, 3, 0, 2, 1, 100 };
	const uint8_t	*p;
	uint8_t		*out = NULL, type, got[64];
	size_t		 out_len = 0, left;

	(void)state;
	fix_open(&f, REC_VERSION_13, 0, 0);
	assert_int_equal(mapped_seal_plaintext(f.m, recs, sizeof(recs), &out,
	    &out_len), SEC_E_OK);
	p = out;
	left = out_len;
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 2);
	assert_int_equal(type, REC_HANDSHAKE);
	assert_memory_equal(got, "hs", 2);
	assert_int_equal(peer_open(&f, &p, &left, &type, got), 2);
	assert_int_equal(type, REC_ALERT);
	assert_int_equal(left, 0);
	assert_int_equal(mapped_seal_plaintext(f.m, recs, 6, &out, &out_len),
	    SEC_E_INTERNAL_ERROR);
	free(out);
	fix_close(&f);
}

static void
test_bad_state_refused(void **state)
{
	uint8_t	junk[8] = { 1, 3, 4, 0x13, 1, 0, 0, 0 };

	(void)state;
	assert_null(mapped_new(junk, sizeof(junk)));
	assert_null(mapped_new(junk, 0));
}

/* The VmFlags of the mapping that holds p, from /proc/self/smaps. */
static void
vm_flags(const void *p, char *flags, size_t size)
{
	FILE		*f;
	char		 line[512];
	unsigned long	 lo, hi, a = (unsigned long)p;
	int		 inside = 0;

	flags[0] = '\0';
	assert_non_null(f = fopen("/proc/self/smaps", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			inside = a >= lo && a < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			snprintf(flags, size, "%s", line + 8);
			break;
		}
	}
	fclose(f);
}

/* Key memory: out of core dumps, cleansed when given back. */
static void
test_key_memory(void **state)
{
	struct mapped_keys_probe {
		unsigned char	bytes[2 * sizeof(struct rec_dir)];
	}		*k;
	char		 flags[512];
	size_t		 i;

	(void)state;
	assert_non_null(k = keymem_alloc(sizeof(*k)));
	vm_flags(k, flags, sizeof(flags));
	assert_non_null(strstr(flags, " dd"));
	memset(k->bytes, 0xa5, sizeof(k->bytes));
	keymem_free(k);
	/* The first word holds the free list's link; the rest is zero. */
	for (i = sizeof(void *); i < sizeof(k->bytes); i++)
		assert_int_equal(k->bytes[i], 0);
	/* Another size than the one slot size is refused. */
	assert_null(keymem_alloc(sizeof(*k) + 64));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encrypt_splits_records),
		cmocka_unit_test(test_decrypt_records_and_extra),
		cmocka_unit_test(test_decrypt_incomplete),
		cmocka_unit_test(test_decrypt_padding_and_empty),
		cmocka_unit_test(test_decrypt_bad_tag),
		cmocka_unit_test(test_decrypt_overflow),
		cmocka_unit_test(test_decrypt_unexpected_types),
		cmocka_unit_test(test_decrypt_alerts),
		cmocka_unit_test(test_key_update_received),
		cmocka_unit_test(test_key_update_malformed),
		cmocka_unit_test(test_key_update_sent),
		cmocka_unit_test(test_key_update_at_limit),
		cmocka_unit_test(test_sequence_exhausted),
		cmocka_unit_test(test_handshake_messages_gathered),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_seal_plaintext),
		cmocka_unit_test(test_bad_state_refused),
		cmocka_unit_test(test_key_memory),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
