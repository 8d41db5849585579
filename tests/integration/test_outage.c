/*
 * Mapped contexts without the daemon: secctxd killed with SIGKILL during
 * a 1 GiB transfer between two mapped contexts.  The transfer completes
 * and decrypts to the data sent; a new handshake during the outage fails
 * with a clear status within a second; once the daemon is back, the
 * credential handles acquired before the kill make new contexts.
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "xdaemon.h"

#define TRANSFER	(1024ull * 1024 * 1024)
#define CHUNK		(1024 * 1024)
/* How soon a call must notice a killed daemon. */
#define LOST_MS		1000

static const char daemon_text[] = "{\"socket\": \"@SOCK@\", "
    "\"credentials\": ["
    "{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", "
    "\"private_key\": \"@PKI@/server.key\", \"ca_file\": \"@PKI@/ca.pem\", "
    "\"uids\": [@UID@]},"
    "{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", "
    "\"uids\": [@UID@]}]}";

/* The bytes of the transfer at offset off: 64-bit words that name it. */
static void
pattern(uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t	w;
	size_t		i;

	for (i = 0; i < len; i += sizeof(w)) {
		w = (off + i) * 0x9e3779b97f4a7c15ull;
		memcpy(buf + i, &w, sizeof(w));
	}
}

/* Encrypt one chunk on from, decrypt it on to; the plaintext matches. */
static void
move_chunk(secctx_ctx *from, secctx_ctx *to, uint8_t *buf, uint64_t off)
{
	struct secctx_message	 m;
	void			*rec;
	size_t			 rec_len;

	pattern(buf, CHUNK, off);
	assert_status(secctx_encrypt(from, buf, CHUNK, &rec, &rec_len),
	    SEC_E_OK);
	memset(&m, 0, sizeof(m));
	m.in = rec;
	m.in_len = rec_len;
	assert_status(secctx_decrypt(to, &m), SEC_E_OK);
	assert_int_equal(m.extra, 0);
	assert_int_equal(m.out_len, 0);
	assert_int_equal(m.data_len, CHUNK);
	assert_memory_equal(m.data, buf, CHUNK);
	secctx_free(m.data);
	secctx_free(rec);
}

/* A new handshake while the daemon is away: a clear status, at once. */
static void
handshake_refused(secctx_cred *cred)
{
	struct secctx_options	 opt = { .target = "localhost" };
	struct secctx_token	 tok;
	secctx_ctx		*ctx = NULL;
	int64_t			 t0 = xd_now_ms();

	memset(&tok, 0, sizeof(tok));
	assert_status(secctx_initialize(cred, &ctx, &opt, &tok),
	    SEC_E_NO_AUTHENTICATING_AUTHORITY);
	assert_true(xd_now_ms() - t0 < LOST_MS);
	assert_null(ctx);
	assert_true(strlen(secctx_last_error()) > 0);
}

static void
test_transfer_survives_kill(void **state)
{
	struct secctx_options	 opt = { .target = "localhost",
				    .no_resume = 1 };
	struct secctx_info	 info;
	struct xdaemon		 d;
	secctx_conn		*conn;
	secctx_cred		*cc, *sc;
	secctx_ctx		*cctx = NULL, *sctx = NULL, *c2 = NULL,
				*s2 = NULL;
	uint8_t			*buf;
	uint64_t		 off;

	(void)state;
	xd_start(&d, "outage", daemon_text);
	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
	assert_status(secctx_cred_acquire(conn, "client", SECCTX_OUTBOUND,
	    &cc), SEC_E_OK);
	assert_status(secctx_cred_acquire(conn, "server", SECCTX_INBOUND,
	    &sc), SEC_E_OK);
	assert_status(harness_raw_handshake(cc, sc, &opt, &cctx, &sctx),
	    SEC_E_OK);
	assert_non_null(buf = malloc(CHUNK));

	for (off = 0; off < TRANSFER; off += CHUNK) {
		if (off == TRANSFER / 8) {
			xd_signal(&d, SIGKILL);
			handshake_refused(cc);
		}
		move_chunk(cctx, sctx, buf, off);
	}
	/* What needs the daemon's half of a context is gone with it. */
	assert_status(secctx_query_info(cctx, &info), SEC_E_CONTEXT_EXPIRED);

	xd_start(&d, "outage", daemon_text);
	assert_status(harness_raw_handshake(cc, sc, &opt, &c2, &s2),
	    SEC_E_OK);
	move_chunk(c2, s2, buf, 0);
	move_chunk(cctx, sctx, buf, TRANSFER);
	free(buf);
	secctx_delete(c2);
	secctx_delete(s2);
	secctx_delete(cctx);
	secctx_delete(sctx);
	secctx_cred_free(cc);
	secctx_cred_free(sc);
	secctx_disconnect(conn);
	xd_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_transfer_survives_kill),
	};

	return (harness_run("outage", tests));
}
