/*
 * Partial input: flights fed one byte at a time, and flights cut after a
 * whole record.  Every call whose input ends inside a record must return
 * SEC_E_INCOMPLETE_MESSAGE with 'missing' equal to what that record still
 * needs, computed here from the 5-byte record header.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct feed_stats {
	int	incomplete;	/* calls that returned INCOMPLETE_MESSAGE */
	int	records;	/* calls that completed a record */
};

/*
 * Give side s the bytes of wire one at a time, keeping the unconsumed
 * input as an application would, and check every answer.
 */
static void
feed_bytewise(struct harness_side *s, struct harness_side *peer,
    const uint8_t *wire, size_t len, struct feed_stats *stats)
{
	struct secctx_token	 tok;
	secctx_status		 st;
	uint8_t			*acc;
	size_t			 acc_len = 0, need, i;

	if ((acc = malloc(len + 1)) == NULL)
		fail();
	for (i = 0; i < len; i++) {
		acc[acc_len++] = wire[i];
		need = harness_record_missing(acc, acc_len);
		st = harness_side_call(s, acc, acc_len, &tok);
		if (need > 0) {
			if (st != SEC_E_INCOMPLETE_MESSAGE)
				fail_msg("%s: byte %zu of %zu (%zu buffered, "
				    "record needs %zu more): %s, expected "
				    "SEC_E_INCOMPLETE_MESSAGE", s->role, i + 1,
				    len, acc_len, need,
				    harness_status_name(st));
			if (tok.missing != need)
				fail_msg("%s: %zu bytes buffered: missing %zu, "
				    "expected %zu", s->role, acc_len,
				    tok.missing, need);
			assert_int_equal(tok.out_len, 0);
			/* Nothing was consumed. */
			assert_int_equal(tok.extra, acc_len);
			stats->incomplete++;
			continue;
		}
		/* The record is whole: it is consumed. */
		if (st != SEC_I_CONTINUE_NEEDED && st != SEC_E_OK)
			fail_msg("%s: whole record of %zu bytes (type %u): %s "
			    "(\"%s\")", s->role, acc_len, acc[0],
			    harness_status_name(st), s->error);
		assert_int_equal(tok.extra, 0);
		assert_int_equal(tok.missing, 0);
		harness_side_give(peer, tok.out, tok.out_len);
		secctx_free(tok.out);
		stats->records++;
		acc_len = 0;
		if (st == SEC_E_OK && i + 1 != len)
			fail_msg("%s: done with %zu bytes of the flight left",
			    s->role, len - i - 1);
	}
	assert_int_equal(acc_len, 0);
	free(acc);
}

/* Feed side "to" everything it has received, one byte at a time. */
static void
deliver_bytewise(struct harness_side *to, struct harness_side *peer,
    struct feed_stats *stats)
{
	uint8_t	*wire;
	size_t	 len;

	wire = harness_side_take(to, &len);
	assert_true(len > 0);
	feed_bytewise(to, peer, wire, len, stats);
	free(wire);
}

static void
bytewise(enum secctx_version v)
{
	struct harness_pair	*p;
	struct feed_stats	cs = { 0, 0 }, ss = { 0, 0 };
	struct secctx_info	ci;
	int			rounds;

	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.min_version = p->client.opt.max_version = v;
	assert_status(harness_side_step(&p->client, &p->server),
	    SEC_I_CONTINUE_NEEDED);
	/* The ClientHello, then every flight, one byte at a time. */
	for (rounds = 0; rounds < 4 && !(p->client.done && p->server.done);
	    rounds++) {
		if (!p->server.done)
			deliver_bytewise(&p->server, &p->client, &ss);
		if (!p->client.done)
			deliver_bytewise(&p->client, &p->server, &cs);
	}
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_info(p->client.ctx, &ci);
	assert_int_equal(ci.protocol[6], v == SECCTX_TLS1_2 ? '2' : '3');
	/* At least 5 calls for each record's header and one per record. */
	assert_true(cs.records >= 3);
	assert_true(cs.incomplete >= 5 * cs.records);
	assert_true(ss.records >= 2);
	assert_true(ss.incomplete >= 5 * ss.records);
	print_message("    %s: client %d records in %d incomplete calls, "
	    "server %d records in %d incomplete calls\n", ci.protocol,
	    cs.records, cs.incomplete, ss.records, ss.incomplete);
	harness_pair_close(p);
}

static void
test_tls12_bytewise(void **state)
{
	(void)state;
	bytewise(SECCTX_TLS1_2);
}

static void
test_tls13_bytewise(void **state)
{
	(void)state;
	bytewise(SECCTX_TLS1_3);
}

/*
 * The server's flight with its last byte missing: INCOMPLETE with missing
 * 1, or, when whole records precede the cut, CONTINUE with 'extra' the
 * bytes of the cut record.
 */
static void
test_flight_cut(void **state)
{
	struct harness_pair	*p;
	struct secctx_token	 tok;
	secctx_status		 st;
	uint8_t			*flight;
	size_t			 len, first, off;

	(void)state;
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.max_version = SECCTX_TLS1_2;
	harness_side_step(&p->client, &p->server);
	assert_status(harness_side_step(&p->server, &p->client),
	    SEC_I_CONTINUE_NEEDED);
	flight = harness_side_take(&p->client, &len);
	first = TLS_HEADER_LEN + ((size_t)flight[3] << 8 | flight[4]);
	/* TLS 1.2: ServerHello, Certificate, ... in several records. */
	assert_true(first < len);

	/* The first record without its last byte. */
	st = harness_side_call(&p->client, flight, first - 1, &tok);
	assert_status(st, SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(tok.missing, 1);
	assert_non_null(p->client.ctx);

	/* The first record and 3 bytes of the second: header incomplete. */
	st = harness_side_call(&p->client, flight, first + 3, &tok);
	assert_status(st, SEC_I_CONTINUE_NEEDED);
	assert_int_equal(tok.extra, 3);
	assert_int_equal(tok.out_len, 0);

	/* The rest, starting with the 3 extra bytes, all but one byte. */
	off = first;
	st = harness_side_call(&p->client, flight + off, len - off - 1, &tok);
	if (st == SEC_E_INCOMPLETE_MESSAGE) {
		/* Only one record was left and it is cut. */
		assert_int_equal(tok.missing, 1);
	} else {
		assert_status(st, SEC_I_CONTINUE_NEEDED);
		assert_int_equal(tok.out_len, 0);
		off = len - 1 - tok.extra;
		/* What is left is the start of the last record. */
		assert_int_equal(harness_record_missing(flight + off,
		    len - 1 - off), 1);
		st = harness_side_call(&p->client, flight + off, len - 1 - off,
		    &tok);
		assert_status(st, SEC_E_INCOMPLETE_MESSAGE);
		assert_int_equal(tok.missing, 1);
	}

	/* The whole last record: the client answers. */
	st = harness_side_call(&p->client, flight + off, len - off, &tok);
	assert_status(st, SEC_I_CONTINUE_NEEDED);
	assert_int_equal(tok.extra, 0);
	assert_true(tok.out_len > 0);
	harness_side_give(&p->server, tok.out, tok.out_len);
	secctx_free(tok.out);
	free(flight);

	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_pair_close(p);
}

static void
test_first_call_incomplete(void **state)
{
	struct harness_pair	*p;
	struct secctx_token	 tok;
	uint8_t			*hello;
	size_t			 len;

	(void)state;
	/* The server gets 1 byte, then 5, then all but one of the hello. */
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	harness_side_step(&p->client, &p->server);
	hello = harness_side_take(&p->server, &len);
	assert_status(harness_side_call(&p->server, hello, 1, &tok),
	    SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(tok.missing, 4);
	assert_status(harness_side_call(&p->server, hello, 5, &tok),
	    SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(tok.missing, len - 5);
	assert_status(harness_side_call(&p->server, hello, len - 1, &tok),
	    SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(tok.missing, 1);
	harness_side_give(&p->server, hello, len);
	free(hello);
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_pair_close(p);
}

/*
 * secctx.h: "With every status, 'extra' is the count of trailing input
 * bytes that were not consumed: keep them, they start the next call's
 * input."  SEC_E_INCOMPLETE_MESSAGE consumes nothing, so 'extra' is the
 * whole input (PROTOCOL.md says so too): an application that keeps the
 * last 'extra' bytes after every call must not lose the partial record.
 */
static void
test_incomplete_extra_is_whole_input(void **state)
{
	struct harness_pair	*p;
	struct secctx_token	 tok;
	uint8_t			*hello;
	size_t			 len;

	(void)state;
	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	harness_side_step(&p->client, &p->server);
	hello = harness_side_take(&p->server, &len);
	/* Given back to the side, so that the teardown frees it. */
	harness_side_give(&p->server, hello, len);
	free(hello);
	hello = p->server.in;
	assert_status(harness_side_call(&p->server, hello, 3, &tok),
	    SEC_E_INCOMPLETE_MESSAGE);
	if (tok.extra != 3)
		fail_msg("SEC_E_INCOMPLETE_MESSAGE on 3 input bytes: extra is "
		    "%zu, expected 3", tok.extra);
	assert_status(harness_side_call(&p->server, hello, len - 1, &tok),
	    SEC_E_INCOMPLETE_MESSAGE);
	assert_int_equal(tok.extra, len - 1);
	harness_pair_close(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_tls12_bytewise),
		harness_test(test_tls13_bytewise),
		harness_test(test_flight_cut),
		harness_test(test_first_call_incomplete),
		harness_test(test_incomplete_extra_is_whole_input),
	};

	return (harness_run("partial", tests));
}
