/*
 * SSPI handshake calls and control tokens as Schannel answers them
 * (Microsoft's documentation and Wine's conformance tests, which run on
 * Windows):
 *
 *  - a first AcceptSecurityContext that returns SEC_E_INCOMPLETE_MESSAGE
 *    creates nothing: a Windows-style server fed a ClientHello one byte at
 *    a time, retrying with a NULL handle, ends with one context in the
 *    daemon (its "contexts" counter);
 *  - no call that returns SEC_E_INCOMPLETE_MESSAGE writes phNewContext or
 *    the output; pInput NULL on a later call is SEC_E_INCOMPLETE_MESSAGE;
 *  - an EMPTY input with a size, a caller's ALERT buffer of size 0, input
 *    that is not TLS: the parameter error, and the context goes on;
 *  - *pfContextAttr: what a TLS stream provides;
 *  - ASC_REQ_MUTUAL_AUTH requires a client certificate; a TLS 1.2 client
 *    without one gets SEC_I_INCOMPLETE_CREDENTIALS once;
 *  - ApplyControlToken: the descriptor checks, SCHANNEL_SHUTDOWN and
 *    SCHANNEL_ALERT on an unfinished handshake (a plaintext alert record).
 */

#include <stdlib.h>
#include <string.h>

#include "sspi-peers.h"
#include "xdaemon.h"

#define OUT_SIZE	16384
#define UNTOUCHED	0xdeadbeef

static const char daemon_text[] = "{\"socket\": \"@SOCK@\", "
    "\"credentials\": ["
    "{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", "
    "\"private_key\": \"@PKI@/server.key\", \"ca_file\": \"@PKI@/ca.pem\", "
    "\"uids\": [@UID@]}]}";

/* Caller-supplied buffers: an input TOKEN + EMPTY, an output TOKEN + ALERT. */
struct calls {
	SecBuffer	in[2], out[2];
	SecBufferDesc	ind, outd;
	uint8_t		token[OUT_SIZE], alert[512];
	CtxtHandle	new;
	ULONG		attrs;
};

static void
calls_reset(struct calls *k, uint8_t *in, size_t in_len)
{
	k->ind.ulVersion = k->outd.ulVersion = SECBUFFER_VERSION;
	k->ind.cBuffers = k->outd.cBuffers = 2;
	k->ind.pBuffers = k->in;
	k->outd.pBuffers = k->out;
	k->in[0].BufferType = SECBUFFER_TOKEN;
	k->in[0].pvBuffer = in;
	k->in[0].cbBuffer = (ULONG)in_len;
	k->in[1].BufferType = SECBUFFER_EMPTY;
	k->in[1].pvBuffer = NULL;
	k->in[1].cbBuffer = 0;
	k->out[0].BufferType = SECBUFFER_TOKEN;
	k->out[0].pvBuffer = k->token;
	k->out[0].cbBuffer = sizeof(k->token);
	k->out[1].BufferType = SECBUFFER_ALERT;
	k->out[1].pvBuffer = k->alert;
	k->out[1].cbBuffer = sizeof(k->alert);
	k->new.dwLower = k->new.dwUpper = UNTOUCHED;
	k->attrs = 0;
}

/* A later client call with caller buffers, asking for supplied creds. */
static SECURITY_STATUS
isc(struct sspi_side *c, struct calls *k, PSecBufferDesc in)
{
	return (InitializeSecurityContextA(NULL, &c->ctx, NULL,
	    ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM |
	    ISC_REQ_USE_SUPPLIED_CREDS, 0, 0, in, 0, &k->new, &k->outd,
	    &k->attrs, NULL));
}

static void
assert_untouched(const struct calls *k)
{
	assert_int_equal(k->new.dwLower, UNTOUCHED);
	assert_int_equal(k->new.dwUpper, UNTOUCHED);
	assert_int_equal(k->out[0].BufferType, SECBUFFER_TOKEN);
	assert_ptr_equal(k->out[0].pvBuffer, k->token);
	assert_int_equal(k->out[0].cbBuffer, sizeof(k->token));
}

/* Client and server sides; the client has sent its ClientHello. */
static void
open_pair(struct sspi_side **c, struct sspi_side **s, const char *ccred,
    DWORD protocols)
{
	*c = sspi_side_open(0, ccred);
	*s = sspi_side_open(1, "server");
	if (protocols != 0) {
		assert_status(FreeCredentialsHandle(&(*c)->cred), SEC_E_OK);
		sspi_acquire(ccred, SECPKG_CRED_OUTBOUND, protocols,
		    &(*c)->cred);
	}
	sspi_side_step(*c, *s, 0);
}

/*
 * A server loop as Windows programs write it, on a daemon of its own: the
 * ClientHello one byte at a time, AcceptSecurityContext with a NULL
 * handle until a call makes one.  Every incomplete call leaves the handle
 * unwritten and says exactly what is missing; the daemon ends with the
 * one context that the handshake goes on with.
 */
static void
test_first_call_incomplete_makes_nothing(void **state)
{
	struct sspi_side	*c, *s;
	struct xdaemon		 d;
	struct xd_stats		 stats;
	struct calls		 k;
	SECURITY_STATUS		 st;
	size_t			 give, hello;

	(void)state;
	c = sspi_side_open(0, "client-nocert");
	xd_start(&d, "calls", daemon_text);
	xd_sspi_socket(&d);
	s = sspi_side_open(1, "server");
	sspi_side_step(c, s, 0);
	hello = s->in_len;
	assert_true(hello > TLS_HEADER_LEN);

	for (give = 0; give < hello; give++) {
		calls_reset(&k, s->in, give);
		st = AcceptSecurityContext(&s->cred, NULL, &k.ind,
		    SSPI_SERVER_FLAGS & ~(ULONG)ASC_REQ_ALLOCATE_MEMORY, 0,
		    &k.new, &k.outd, &k.attrs, NULL);
		assert_status(st, SEC_E_INCOMPLETE_MESSAGE);
		assert_untouched(&k);
		assert_int_equal(k.in[1].BufferType, SECBUFFER_MISSING);
		assert_int_equal(k.in[1].cbBuffer,
		    harness_record_missing(s->in, give));
	}
	xd_stats(d.socket, &stats);
	assert_int_equal(stats.contexts, 0);
	/* The whole ClientHello: one context, and the handshake goes on. */
	sspi_side_run_from_client(c, s);
	xd_stats(d.socket, &stats);
	assert_int_equal(stats.contexts, 1);

	sspi_side_close(c);
	sspi_side_close(s);
	xd_sspi_socket(NULL);
	xd_stop(&d);
}

/* Later calls without input, or with less than a record header. */
static void
test_incomplete_touches_nothing(void **state)
{
	struct sspi_side	*c, *s;
	struct calls		 k;

	(void)state;
	open_pair(&c, &s, "client-nocert", 0);
	sspi_side_step(s, c, 0);

	calls_reset(&k, c->in, 0);
	assert_status(isc(c, &k, NULL), SEC_E_INCOMPLETE_MESSAGE);
	assert_untouched(&k);

	/* 0, 4 and 5 bytes: the header's 5, then 1, then the body. */
	calls_reset(&k, c->in, 0);
	assert_status(isc(c, &k, &k.ind), SEC_E_INCOMPLETE_MESSAGE);
	assert_untouched(&k);
	assert_int_equal(k.in[1].BufferType, SECBUFFER_MISSING);
	assert_int_equal(k.in[1].cbBuffer, TLS_HEADER_LEN);
	calls_reset(&k, c->in, 4);
	assert_status(isc(c, &k, &k.ind), SEC_E_INCOMPLETE_MESSAGE);
	assert_untouched(&k);
	assert_int_equal(k.in[1].cbBuffer, 1);
	calls_reset(&k, c->in, TLS_HEADER_LEN);
	assert_status(isc(c, &k, &k.ind), SEC_E_INCOMPLETE_MESSAGE);
	assert_untouched(&k);
	assert_int_equal(k.in[1].cbBuffer,
	    harness_record_missing(c->in, TLS_HEADER_LEN));

	sspi_side_run_from_client(c, s);
	sspi_side_close(c);
	sspi_side_close(s);
}

/*
 * Parameter errors leave the context as it was: the correct call after
 * them completes the handshake.  Caller buffers, no ALLOCATE_MEMORY.
 */
static void
test_parameter_errors_keep_context(void **state)
{
	struct sspi_side	*c, *s;
	struct calls		 k;
	SECURITY_STATUS		 st;

	(void)state;
	open_pair(&c, &s, "client-nocert", 0);
	sspi_side_step(s, c, 0);

	/* An EMPTY input buffer that claims a size. */
	calls_reset(&k, c->in, c->in_len);
	k.in[1].cbBuffer = UNTOUCHED;
	assert_status(isc(c, &k, &k.ind), SEC_E_INVALID_TOKEN);
	assert_int_equal(k.new.dwLower, UNTOUCHED);

	/* A caller's ALERT buffer with no room. */
	calls_reset(&k, c->in, c->in_len);
	k.out[1].cbBuffer = 0;
	assert_status(isc(c, &k, &k.ind), SEC_E_INSUFFICIENT_MEMORY);
	assert_int_equal(k.new.dwLower, UNTOUCHED);

	/* The correct call: the ALERT that received nothing has size 0. */
	calls_reset(&k, c->in, c->in_len);
	st = isc(c, &k, &k.ind);
	assert_true(st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED);
	assert_int_equal(k.out[1].BufferType, SECBUFFER_ALERT);
	assert_int_equal(k.out[1].cbBuffer, 0);
	assert_memory_equal(&k.new, &c->ctx, sizeof(k.new));
	assert_int_equal(k.attrs, SSPI_ISC_ALWAYS |
	    ISC_RET_USED_SUPPLIED_CREDS);
	assert_true(k.out[0].cbBuffer > TLS_HEADER_LEN);
	memcpy(s->in + s->in_len, k.token, k.out[0].cbBuffer);
	s->in_len += k.out[0].cbBuffer;
	if (k.in[1].BufferType == SECBUFFER_EXTRA) {
		memmove(c->in, c->in + c->in_len - k.in[1].cbBuffer,
		    k.in[1].cbBuffer);
		c->in_len = k.in[1].cbBuffer;
	} else
		c->in_len = 0;
	c->done = st == SEC_E_OK;
	sspi_side_continue(c, s, 0);
	sspi_side_close(c);
	sspi_side_close(s);
}

/* 8 KiB of zeros: not TLS, SEC_E_INVALID_TOKEN and no output. */
static void
test_not_tls(void **state)
{
	struct sspi_side	*c, *s;
	struct calls		 k;
	uint8_t			*zeros;

	(void)state;
	zeros = calloc(1, 8192);
	assert_non_null(zeros);
	open_pair(&c, &s, "client-nocert", 0);
	calls_reset(&k, zeros, 8192);
	assert_status(isc(c, &k, &k.ind), SEC_E_INVALID_TOKEN);
	assert_int_equal(k.out[0].cbBuffer, 0);
	assert_int_equal(k.new.dwLower, UNTOUCHED);

	/* A server's first call: no handle. */
	calls_reset(&k, zeros, 8192);
	assert_status(AcceptSecurityContext(&s->cred, NULL, &k.ind,
	    ASC_REQ_STREAM, 0, &k.new, &k.outd, &k.attrs, NULL),
	    SEC_E_INVALID_TOKEN);
	assert_int_equal(k.out[0].cbBuffer, 0);
	assert_int_equal(k.new.dwLower, UNTOUCHED);

	/* The client's context went on: the server's flight completes it. */
	sspi_side_run_from_client(c, s);
	sspi_side_close(c);
	sspi_side_close(s);
	free(zeros);
}

/* One AcceptSecurityContext on what the server received; its status. */
static SECURITY_STATUS
server_call(struct sspi_side *s)
{
	struct calls	k;

	calls_reset(&k, s->in, s->in_len);
	return (AcceptSecurityContext(&s->cred, &s->ctx, &k.ind,
	    ASC_REQ_STREAM | ASC_REQ_MUTUAL_AUTH, 0, NULL, &k.outd, &k.attrs,
	    NULL));
}

/*
 * ASC_REQ_MUTUAL_AUTH requires a certificate.  A client without one gets
 * SEC_I_INCOMPLETE_CREDENTIALS once, consuming nothing (TLS 1.3 too: the
 * daemon pauses at the encrypted request), then goes on when called again
 * with the same input; the server then refuses the handshake.
 */
static void
mutual_auth_no_cert(DWORD protocols, int asked)
{
	struct sspi_side	*c, *s;
	size_t			 in_len;

	open_pair(&c, &s, "client-nocert", protocols);
	s->flags |= ASC_REQ_MUTUAL_AUTH;
	sspi_side_step(s, c, 0);
	in_len = c->in_len;
	sspi_side_step(c, s, 0);
	if (asked) {
		assert_status(c->status, SEC_I_INCOMPLETE_CREDENTIALS);
		assert_int_equal(c->in_len, in_len);
		assert_int_equal(s->in_len, 0);
		sspi_side_step(c, s, 0);
	}
	assert_true(c->status == SEC_E_OK ||
	    c->status == SEC_I_CONTINUE_NEEDED);
	assert_int_equal(c->incomplete_creds, asked);
	assert_status(server_call(s), SEC_E_INCOMPLETE_CREDENTIALS);
	sspi_side_close(c);
	assert_status(DeleteSecurityContext(&s->ctx), SEC_E_OK);
	s->started = 0;
	sspi_side_close(s);
}

static void
test_mutual_auth_requires_cert(void **state)
{
	struct sspi_side	*c, *s;

	(void)state;
	mutual_auth_no_cert(SP_PROT_TLS1_2_CLIENT, 1);
	mutual_auth_no_cert(SP_PROT_TLS1_3_CLIENT, 1);
	/* With a certificate: no question, and the handshake completes. */
	open_pair(&c, &s, "client", SP_PROT_TLS1_2_CLIENT);
	s->flags |= ASC_REQ_MUTUAL_AUTH;
	sspi_side_run_from_client(c, s);
	assert_int_equal(c->incomplete_creds, 0);
	sspi_side_close(c);
	sspi_side_close(s);
}

/* ApplyControlToken with a one-buffer descriptor holding p. */
static SECURITY_STATUS
control(PCtxtHandle h, ULONG type, const void *p, ULONG len)
{
	uint8_t		copy[64];
	SecBuffer	b = { len, type, copy };
	SecBufferDesc	d = { SECBUFFER_VERSION, 1, &b };

	memcpy(copy, p, len);
	return (ApplyControlToken(h, &d));
}

/* A handshake call that must return this alert record. */
static void
expect_alert(struct sspi_side *c, const uint8_t rec[7])
{
	struct calls	k;

	calls_reset(&k, c->in, c->in_len);
	k.out[0].cbBuffer = 1000;
	assert_status(isc(c, &k, &k.ind), SEC_E_OK);
	assert_memory_equal(&k.new, &c->ctx, sizeof(k.new));
	assert_int_equal(k.out[0].cbBuffer, 7);
	assert_memory_equal(k.token, rec, 7);
}

static void
test_control_tokens(void **state)
{
	static const uint8_t	 close_notify[7] = {
		0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00
	};
	static const uint8_t	 bad_cert[7] = {
		0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x2a
	};
	SCHANNEL_ALERT_TOKEN	 alert = { SCHANNEL_ALERT, TLS1_ALERT_FATAL,
				    TLS1_ALERT_BAD_CERTIFICATE };
	DWORD			 shutdown[2] = { SCHANNEL_SHUTDOWN, 0 };
	DWORD			 renegotiate = SCHANNEL_RENEGOTIATE;
	struct sspi_side	*c, *s, *c2, *s2;
	struct calls		 k;
	SecBuffer		 two[2] = {
		{ 4, SECBUFFER_TOKEN, shutdown },
		{ 0, SECBUFFER_EMPTY, NULL }
	};
	SecBufferDesc		 d = { SECBUFFER_VERSION, 2, two };

	(void)state;
	open_pair(&c, &s, "client-nocert", 0);

	/* The descriptor: one TOKEN buffer, long enough for its type. */
	assert_status(ApplyControlToken(&c->ctx, &d), SEC_E_INVALID_TOKEN);
	assert_status(ApplyControlToken(&c->ctx, NULL), SEC_E_INTERNAL_ERROR);
	assert_status(ApplyControlToken(NULL, &d), SEC_E_INVALID_HANDLE);
	assert_status(control(&c->ctx, SECBUFFER_ALERT, shutdown, 4),
	    SEC_E_INVALID_TOKEN);
	assert_status(control(&c->ctx, SECBUFFER_DATA, shutdown, 4),
	    SEC_E_INVALID_TOKEN);
	assert_status(control(&c->ctx, SECBUFFER_TOKEN, shutdown, 2),
	    SEC_E_UNSUPPORTED_FUNCTION);
	assert_status(control(&c->ctx, SECBUFFER_TOKEN, &renegotiate, 4),
	    SEC_E_UNSUPPORTED_FUNCTION);
	assert_status(control(&c->ctx, SECBUFFER_TOKEN, &alert, 8),
	    SEC_E_UNSUPPORTED_FUNCTION);

	/* SHUTDOWN mid-handshake: close_notify in the clear, whatever came. */
	assert_status(control(&c->ctx, SECBUFFER_TOKEN, shutdown, 5),
	    SEC_E_OK);
	assert_status(control(&c->ctx, SECBUFFER_TOKEN, shutdown, 4),
	    SEC_E_OK);
	sspi_side_step(s, c, 0);
	expect_alert(c, close_notify);
	/* Then the next call waits for input, touching nothing. */
	calls_reset(&k, c->in, c->in_len);
	assert_status(isc(c, &k, NULL), SEC_E_INCOMPLETE_MESSAGE);
	assert_untouched(&k);
	/* Input no longer continues a handshake. */
	assert_status(isc(c, &k, &k.ind), SEC_E_CONTEXT_EXPIRED);
	assert_status(control(&c->ctx, SECBUFFER_TOKEN, shutdown, 4),
	    SEC_E_OK);
	expect_alert(c, close_notify);
	assert_status(control(&c->ctx, SECBUFFER_TOKEN, &alert,
	    sizeof(alert)), SEC_E_OK);
	expect_alert(c, bad_cert);
	sspi_side_close(c);
	assert_status(DeleteSecurityContext(&s->ctx), SEC_E_OK);
	s->started = 0;
	sspi_side_close(s);

	/* Established: SHUTDOWN yes, other alerts are not made. */
	c2 = sspi_side_open(0, "client-nocert");
	s2 = sspi_side_open(1, "server");
	sspi_side_run(c2, s2, 0);
	assert_status(control(&c2->ctx, SECBUFFER_TOKEN, &alert,
	    sizeof(alert)), SEC_E_UNSUPPORTED_FUNCTION);
	assert_status(control(&c2->ctx, SECBUFFER_TOKEN, shutdown, 4),
	    SEC_E_OK);
	sspi_side_close(c2);
	sspi_side_close(s2);
	harness_assert_daemon_alive();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_first_call_incomplete_makes_nothing),
		xd_test(test_incomplete_touches_nothing),
		xd_test(test_parameter_errors_keep_context),
		xd_test(test_not_tls),
		xd_test(test_mutual_auth_requires_cert),
		xd_test(test_control_tokens),
	};

	return (harness_run("sspi_calls", tests));
}
