/*
 * Protected messages between two libsecctx ends (in-memory pair): round
 * trips of many sizes, partial records, several records in one input,
 * tampering, close_notify and shutdown.
 */

#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Deterministic bytes, different for every offset and seed. */
static uint8_t *
pattern(size_t len, unsigned seed)
{
	uint8_t	*p = malloc(len + 1);
	size_t	 i;
	uint32_t x = seed * 2654435761u + 1;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x;
	}
	return (p);
}

static struct harness_pair *
pair_up(enum secctx_version version)
{
	struct harness_pair	*p;

	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.min_version = p->client.opt.max_version = version;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	return (p);
}

static void
encrypt_to(struct harness_side *from, struct harness_side *to,
    const uint8_t *data, size_t len)
{
	void	*rec;
	size_t	 rec_len;

	assert_status(secctx_encrypt(from->ctx, data, len, &rec, &rec_len),
	    SEC_E_OK);
	if (len == 0)
		assert_int_equal(rec_len, 0);
	else
		/* At most 16 KiB per record, each with some overhead. */
		assert_true(rec_len > len + (len + 16383) / 16384 * 5);
	harness_side_give(to, rec, rec_len);
	secctx_free(rec);
}

/*
 * Decrypt everything side s has received; return the plaintext.  Only
 * records of post-handshake messages may yield no data.
 */
static uint8_t *
decrypt_all(struct harness_side *s, size_t *lenp)
{
	struct secctx_message	 m;
	uint8_t			*all = NULL;
	size_t			 len = 0;
	int			 calls = 0;

	while (s->in_len > 0) {
		memset(&m, 0, sizeof(m));
		m.in = s->in;
		m.in_len = s->in_len;
		assert_status(secctx_decrypt(s->ctx, &m), SEC_E_OK);
		assert_int_equal(m.out_len, 0);
		assert_true(m.extra < s->in_len);
		all = realloc(all, len + m.data_len + 1);
		assert_non_null(all);
		if (m.data_len > 0)
			memcpy(all + len, m.data, m.data_len);
		len += m.data_len;
		secctx_free(m.data);
		memmove(s->in, s->in + s->in_len - m.extra, m.extra);
		s->in_len = m.extra;
		assert_true(++calls < 64);
	}
	*lenp = len;
	return (all);
}

static void
round_trip(struct harness_pair *p, size_t len, unsigned seed)
{
	uint8_t	*data, *got;
	size_t	 got_len;

	data = pattern(len, seed);
	encrypt_to(&p->client, &p->server, data, len);
	got = decrypt_all(&p->server, &got_len);
	assert_int_equal(got_len, len);
	if (len > 0)
		assert_memory_equal(got, data, len);
	free(got);
	encrypt_to(&p->server, &p->client, data, len);
	got = decrypt_all(&p->client, &got_len);
	assert_int_equal(got_len, len);
	if (len > 0)
		assert_memory_equal(got, data, len);
	free(got);
	free(data);
}

static void
sizes(enum secctx_version version)
{
	static const size_t	 lens[] = { 0, 1, 16384, 16385, 1048576,
	    1048576 + 16385 };
	struct harness_pair	*p = pair_up(version);
	size_t			 i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		round_trip(p, lens[i], i + 1);
	harness_pair_close(p);
}

static void
test_sizes_tls12(void **state)
{
	(void)state;
	sizes(SECCTX_TLS1_2);
}

static void
test_sizes_tls13(void **state)
{
	(void)state;
	sizes(SECCTX_TLS1_3);
}

/* One record, one byte at a time: INCOMPLETE with the exact count. */
static void
test_record_bytewise(void **state)
{
	struct harness_pair	*p = pair_up(SECCTX_TLS1_3);
	struct secctx_message	 m;
	uint8_t			*data = pattern(300, 7), *wire, *got;
	size_t			 wire_len, i, got_len;

	(void)state;
	/* The client first takes in the server's tickets. */
	got = decrypt_all(&p->client, &got_len);
	assert_int_equal(got_len, 0);
	free(got);
	encrypt_to(&p->server, &p->client, data, 300);
	wire = harness_side_take(&p->client, &wire_len);
	assert_int_equal(wire_len, TLS_HEADER_LEN + 300 + 1 + 16);
	for (i = 1; i < wire_len; i++) {
		memset(&m, 0, sizeof(m));
		m.in = wire;
		m.in_len = i;
		assert_status(secctx_decrypt(p->client.ctx, &m),
		    SEC_E_INCOMPLETE_MESSAGE);
		assert_int_equal(m.missing, harness_record_missing(wire, i));
		assert_int_equal(m.extra, i);
		assert_int_equal(m.data_len, 0);
	}
	memset(&m, 0, sizeof(m));
	m.in = wire;
	m.in_len = wire_len;
	assert_status(secctx_decrypt(p->client.ctx, &m), SEC_E_OK);
	assert_int_equal(m.data_len, 300);
	assert_memory_equal(m.data, data, 300);
	assert_int_equal(m.extra, 0);
	secctx_free(m.data);
	free(wire);
	free(data);
	harness_pair_close(p);
}

/* Three records in one input: one call each, extra walks through them. */
static void
test_three_records(void **state)
{
	struct harness_pair	*p = pair_up(SECCTX_TLS1_2);
	struct secctx_message	 m;
	uint8_t			*wire, *off;
	size_t			 wire_len, left, i, rec[3];
	static const char	*msgs[] = { "one", "second", "third record" };

	(void)state;
	for (i = 0; i < 3; i++) {
		encrypt_to(&p->client, &p->server, (const uint8_t *)msgs[i],
		    strlen(msgs[i]));
		/* TLS 1.2 AES-GCM: header, explicit nonce, data, tag. */
		rec[i] = TLS_HEADER_LEN + 8 + strlen(msgs[i]) + 16;
	}
	wire = harness_side_take(&p->server, &wire_len);
	assert_int_equal(wire_len, rec[0] + rec[1] + rec[2]);
	off = wire;
	left = wire_len;
	for (i = 0; i < 3; i++) {
		memset(&m, 0, sizeof(m));
		m.in = off;
		m.in_len = left;
		m.max_records = 1;
		assert_status(secctx_decrypt(p->server.ctx, &m), SEC_E_OK);
		assert_int_equal(m.data_len, strlen(msgs[i]));
		assert_memory_equal(m.data, msgs[i], m.data_len);
		assert_int_equal(m.extra, left - rec[i]);
		secctx_free(m.data);
		off += rec[i];
		left = m.extra;
	}
	assert_int_equal(left, 0);

	/* Without a limit, one call opens all three. */
	for (i = 0; i < 3; i++)
		encrypt_to(&p->client, &p->server, (const uint8_t *)msgs[i],
		    strlen(msgs[i]));
	free(wire);
	wire = harness_side_take(&p->server, &wire_len);
	memset(&m, 0, sizeof(m));
	m.in = wire;
	m.in_len = wire_len;
	assert_status(secctx_decrypt(p->server.ctx, &m), SEC_E_OK);
	assert_int_equal(m.data_len, strlen("onesecondthird record"));
	assert_memory_equal(m.data, "onesecondthird record", m.data_len);
	assert_int_equal(m.extra, 0);
	secctx_free(m.data);
	free(wire);
	harness_pair_close(p);
}

/* A flipped bit: the record fails, the context dies, others carry on. */
static void
tamper(enum secctx_version version)
{
	struct harness_pair	*p = pair_up(version), *q = pair_up(version);
	struct secctx_message	 m;
	uint8_t			*data = pattern(1000, 3), *wire;
	size_t			 wire_len;
	void			*rec;
	size_t			 rec_len;
	secctx_status		 st;

	encrypt_to(&p->client, &p->server, data, 1000);
	wire = harness_side_take(&p->server, &wire_len);
	wire[wire_len / 2] ^= 0x08;
	memset(&m, 0, sizeof(m));
	m.in = wire;
	m.in_len = wire_len;
	st = secctx_decrypt(p->server.ctx, &m);
	if (st != SEC_E_DECRYPT_FAILURE && st != SEC_E_MESSAGE_ALTERED)
		fail_msg("tampered record: %s (%s)", harness_status_name(st),
		    secctx_last_error());
	assert_int_equal(m.data_len, 0);
	/* The alert to send: bad_record_mac. */
	assert_true(m.out_len > 0);
	secctx_free(m.out);
	/* The context is gone: further use is an invalid handle. */
	assert_status(secctx_encrypt(p->server.ctx, "x", 1, &rec, &rec_len),
	    SEC_E_INVALID_HANDLE);
	/* The other pair is unaffected. */
	round_trip(q, 5000, 9);
	harness_assert_daemon_alive();
	free(wire);
	free(data);
	harness_pair_close(p);
	harness_pair_close(q);
}

static void
test_tamper_tls12(void **state)
{
	(void)state;
	tamper(SECCTX_TLS1_2);
}

static void
test_tamper_tls13(void **state)
{
	(void)state;
	tamper(SECCTX_TLS1_3);
}

/* Shutdown: close_notify reaches the peer as SEC_I_CONTEXT_EXPIRED. */
static void
shutdown_case(enum secctx_version version)
{
	struct harness_pair	*p = pair_up(version);
	struct secctx_message	 m;
	uint8_t			*wire;
	size_t			 wire_len, out_len;
	void			*out;

	/* Data then close_notify in one input: both arrive. */
	encrypt_to(&p->client, &p->server, (const uint8_t *)"bye", 3);
	assert_status(secctx_shutdown(p->client.ctx, &out, &out_len),
	    SEC_E_OK);
	assert_true(out_len > 0);
	harness_side_give(&p->server, out, out_len);
	secctx_free(out);
	assert_status(secctx_encrypt(p->client.ctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	wire = harness_side_take(&p->server, &wire_len);
	memset(&m, 0, sizeof(m));
	m.in = wire;
	m.in_len = wire_len;
	assert_status(secctx_decrypt(p->server.ctx, &m), SEC_I_CONTEXT_EXPIRED);
	assert_int_equal(m.data_len, 3);
	assert_memory_equal(m.data, "bye", 3);
	assert_int_equal(m.extra, 0);
	secctx_free(m.data);
	secctx_free(m.out);
	free(wire);
	harness_pair_close(p);
}

static void
test_shutdown_tls12(void **state)
{
	(void)state;
	shutdown_case(SECCTX_TLS1_2);
}

static void
test_shutdown_tls13(void **state)
{
	(void)state;
	shutdown_case(SECCTX_TLS1_3);
}

/* Stream sizes describe the records exactly (AEAD ciphers). */
static void
stream_sizes(enum secctx_version version, size_t header, size_t trailer)
{
	struct harness_pair	*p = pair_up(version);
	struct secctx_info	 info;
	uint8_t			*data = pattern(2 * 16384 + 1, 5);
	void			*rec;
	size_t			 rec_len;

	harness_info(p->client.ctx, &info);
	assert_int_equal(info.stream_header, header);
	assert_int_equal(info.stream_trailer, trailer);
	assert_int_equal(info.stream_max_message, 16384);
	assert_int_equal(info.stream_block_size, 1);
	assert_status(secctx_encrypt(p->client.ctx, data, 100, &rec,
	    &rec_len), SEC_E_OK);
	assert_int_equal(rec_len, header + 100 + trailer);
	secctx_free(rec);
	/* Three records: two full ones and one byte. */
	assert_status(secctx_encrypt(p->client.ctx, data, 2 * 16384 + 1, &rec,
	    &rec_len), SEC_E_OK);
	assert_int_equal(rec_len, 3 * (header + trailer) + 2 * 16384 + 1);
	secctx_free(rec);
	free(data);
	harness_pair_close(p);
}

static void
test_stream_sizes(void **state)
{
	(void)state;
	/* AES-GCM: 8-byte explicit nonce in 1.2; content type byte in 1.3. */
	stream_sizes(SECCTX_TLS1_2, 5 + 8, 16);
	stream_sizes(SECCTX_TLS1_3, 5, 16 + 1);
}

/* Garbage where records belong. */
static void
test_garbage(void **state)
{
	struct harness_pair	*p = pair_up(SECCTX_TLS1_3);
	struct secctx_message	 m;
	static const char	 junk[] = "GET / HTTP/1.0\r\n\r\n";
	secctx_status		 st;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.in = junk;
	m.in_len = sizeof(junk) - 1;
	st = secctx_decrypt(p->server.ctx, &m);
	if (!SECCTX_FAILED(st) || st == SEC_E_INCOMPLETE_MESSAGE)
		fail_msg("garbage: %s", harness_status_name(st));
	secctx_free(m.out);
	harness_assert_daemon_alive();
	harness_pair_close(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_sizes_tls12),
		harness_test(test_sizes_tls13),
		harness_test(test_record_bytewise),
		harness_test(test_three_records),
		harness_test(test_tamper_tls12),
		harness_test(test_tamper_tls13),
		harness_test(test_shutdown_tls12),
		harness_test(test_shutdown_tls13),
		harness_test(test_garbage),
		harness_test(test_stream_sizes),
	};

	return (harness_run("message", tests));
}
