/*
 * Where records are protected, per credential ("records"), and what a
 * mapped context does without the daemon:
 *
 *  - "process" credentials map their contexts, "daemon" ones do not, and
 *    a CBC suite stays in the daemon whatever the credential says (the
 *    daemon's "mapped" counter, and data both ways with s_server: AES-GCM
 *    and AES-CCM in TLS 1.2 and 1.3), and so does a context with a
 *    negotiated maximum fragment length;
 *  - secctxd killed with SIGKILL during a 1 GiB transfer between two
 *    mapped contexts: the transfer completes and decrypts to the data
 *    sent; a new handshake during the outage fails with a clear status
 *    within a second; once the daemon is back, the credential handles
 *    acquired before the kill make new contexts.  The SSPI layer's
 *    EncryptMessage and DecryptMessage go on the same way.
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sspi-peers.h"
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
    "\"uids\": [@UID@]},"
    "{\"name\": \"client-daemon\", \"ca_file\": \"@PKI@/ca.pem\", "
    "\"records\": \"daemon\", \"uids\": [@UID@]},"
    "{\"name\": \"client-cbc\", \"ca_file\": \"@PKI@/ca.pem\", "
    "\"ciphers\": \"ECDHE-ECDSA-AES128-SHA256\", \"uids\": [@UID@]},"
    "{\"name\": \"client-ccm\", \"ca_file\": \"@PKI@/ca.pem\", "
    "\"ciphers\": \"ECDHE-ECDSA-AES128-CCM8:ECDHE-ECDSA-AES256-CCM\", "
    "\"ciphersuites\": \"TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256\", "
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
	xd_start(&d, "records", daemon_text);
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

	xd_start(&d, "records", daemon_text);
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

/* Decrypt what arrives on fd until 'want' came out; the peer's tickets too. */
static void
receive(int fd, secctx_ctx *ctx, const char *want)
{
	struct secctx_message	 m;
	uint8_t			 buf[65536];
	char			 got[256];
	size_t			 len = 0, have = 0;
	secctx_status		 st;

	while (have < strlen(want)) {
		len += harness_recv(fd, buf + len, sizeof(buf) - len,
		    HARNESS_TIMEOUT_MS);
		memset(&m, 0, sizeof(m));
		m.in = buf;
		m.in_len = len;
		if ((st = secctx_decrypt(ctx, &m)) == SEC_E_INCOMPLETE_MESSAGE)
			continue;
		assert_status(st, SEC_E_OK);
		assert_true(have + m.data_len < sizeof(got));
		if (m.data_len > 0)
			memcpy(got + have, m.data, m.data_len);
		have += m.data_len;
		assert_int_equal(m.out_len, 0);
		secctx_free(m.data);
		memmove(buf, buf + len - m.extra, m.extra);
		len = m.extra;
	}
	assert_int_equal(have, strlen(want));
	assert_memory_equal(got, want, have);
}

/*
 * A client of credential 'cred' against s_server offering only 'cipher'
 * at 'version': data goes both ways; the daemon's count of mapped
 * contexts grows by 'mapped'.
 */
static void
records_where(const char *cred, enum secctx_version version,
    const char *cipher, int64_t mapped)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"),
		version == SECCTX_TLS1_2 ? "-tls1_2" : "-tls1_3",
		version == SECCTX_TLS1_2 ? "-cipher" : "-ciphersuites", cipher,
		NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct secctx_info	 info;
	struct harness_child	*srv;
	struct harness_hs	 hs;
	struct xd_stats		 before, after;
	struct xdaemon		 d;
	secctx_conn		*conn;
	secctx_cred		*cc;
	void			*rec;
	size_t			 rec_len;
	int			 port, fd;

	opt.min_version = opt.max_version = version;
	xd_start(&d, "records", daemon_text);
	xd_stats(d.socket, &before);
	srv = harness_s_server(&port, args);
	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
	assert_status(secctx_cred_acquire(conn, cred, SECCTX_OUTBOUND, &cc),
	    SEC_E_OK);
	fd = harness_tcp_connect(port);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(fd, cc, 0, &opt, &hs), SEC_E_OK);
	harness_info(hs.ctx, &info);
	assert_true(strcmp(info.cipher, cipher) == 0 ||
	    strcmp(info.cipher_iana, cipher) == 0);
	assert_int_equal(hs.extra_len, 0);
	assert_status(secctx_encrypt(hs.ctx, "through\n", 8, &rec, &rec_len),
	    SEC_E_OK);
	harness_send_all(fd, rec, rec_len);
	secctx_free(rec);
	harness_child_wait_output(srv, "through\n", HARNESS_TIMEOUT_MS);
	harness_child_write(srv, "and back\n");
	receive(fd, hs.ctx, "and back\n");
	xd_stats(d.socket, &after);
	assert_int_equal(after.mapped - before.mapped, mapped);
	harness_hs_free(&hs);
	close(fd);
	secctx_cred_free(cc);
	secctx_disconnect(conn);
	harness_child_kill(srv);
	xd_stop(&d);
}

static void
test_process_records_mapped(void **state)
{
	(void)state;
	records_where("client", SECCTX_TLS1_2, "ECDHE-ECDSA-AES128-GCM-SHA256",
	    1);
	records_where("client", SECCTX_TLS1_3, "TLS_AES_256_GCM_SHA384", 1);
}

static void
test_daemon_records_not_mapped(void **state)
{
	(void)state;
	records_where("client-daemon", SECCTX_TLS1_2,
	    "ECDHE-ECDSA-AES128-GCM-SHA256", 0);
	records_where("client-daemon", SECCTX_TLS1_3,
	    "TLS_AES_128_GCM_SHA256", 0);
}

static void
test_cbc_stays_in_daemon(void **state)
{
	(void)state;
	records_where("client-cbc", SECCTX_TLS1_2, "ECDHE-ECDSA-AES128-SHA256",
	    0);
}

/* AES-CCM, which a credential must ask for, is mapped too. */
static void
test_ccm_mapped(void **state)
{
	(void)state;
	records_where("client-ccm", SECCTX_TLS1_3, "TLS_AES_128_CCM_SHA256", 1);
	records_where("client-ccm", SECCTX_TLS1_3, "TLS_AES_128_CCM_8_SHA256",
	    1);
	records_where("client-ccm", SECCTX_TLS1_2, "ECDHE-ECDSA-AES128-CCM8",
	    1);
	records_where("client-ccm", SECCTX_TLS1_2, "ECDHE-ECDSA-AES256-CCM",
	    1);
}

/*
 * A maximum fragment length (s_client -maxfraglen) binds both sides'
 * records: the context keeps its records in the daemon, which cuts them
 * to that length, and data goes both ways.
 */
static void
test_max_fragment_length_stays_in_daemon(void **state)
{
	const char *const	 extra[] = { "-maxfraglen", "512", NULL };
	struct secctx_info	 info;
	struct harness_child	*cli;
	struct harness_hs	 hs;
	struct xd_stats		 before, after;
	struct xdaemon		 d;
	secctx_conn		*conn;
	secctx_cred		*sc;
	char			 data[2001];
	void			*rec;
	size_t			 rec_len;
	int			 lfd, port, fd;

	(void)state;
	xd_start(&d, "records", daemon_text);
	xd_stats(d.socket, &before);
	lfd = harness_tcp_listen(&port);
	cli = harness_s_client(port, "-tls1_3", extra);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
	assert_status(secctx_cred_acquire(conn, "server", SECCTX_INBOUND,
	    &sc), SEC_E_OK);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(fd, sc, 1, NULL, &hs), SEC_E_OK);
	harness_info(hs.ctx, &info);
	assert_int_equal(info.stream_max_message, 512);
	xd_stats(d.socket, &after);
	assert_int_equal(after.mapped, before.mapped);
	memset(data, 'm', sizeof(data) - 2);
	data[sizeof(data) - 2] = '\n';
	data[sizeof(data) - 1] = '\0';
	assert_status(secctx_encrypt(hs.ctx, data, sizeof(data) - 1, &rec,
	    &rec_len), SEC_E_OK);
	/* Four records of at most 512 bytes each (TLS 1.3 AES-GCM). */
	assert_int_equal(rec_len, 4 * (5 + 17) + 2000);
	harness_send_all(fd, rec, rec_len);
	secctx_free(rec);
	harness_child_wait_output(cli, data, HARNESS_TIMEOUT_MS);
	harness_child_write(cli, "from s_client\n");
	receive(fd, hs.ctx, "from s_client\n");
	harness_hs_free(&hs);
	close(fd);
	secctx_cred_free(sc);
	secctx_disconnect(conn);
	harness_child_kill(cli);
	xd_stop(&d);
}

/*
 * SSPI: EncryptMessage and DecryptMessage of mapped contexts go on while
 * the daemon is away and after it is back (their stream sizes were taken
 * when the handshake completed).
 */
static void
test_sspi_survives_kill(void **state)
{
	struct xdaemon		 d;
	struct sspi_side	*c, *s, *c2;
	uint8_t			 block[512];
	size_t			 len = 0;

	(void)state;
	xd_start(&d, "records", daemon_text);
	xd_sspi_socket(&d);
	c = sspi_side_open(0, "client");
	s = sspi_side_open(1, "server");
	sspi_side_run(c, s, 0);

	xd_signal(&d, SIGKILL);
	assert_status(sspi_hello_encrypt(&c->ctx, block, &len), SEC_E_OK);
	assert_status(sspi_record_decrypt(&s->ctx, block, len), SEC_E_OK);
	assert_status(sspi_hello_encrypt(&c->ctx, block, &len), SEC_E_OK);
	assert_status(sspi_record_decrypt(&s->ctx, block, len), SEC_E_OK);

	xd_start(&d, "records", daemon_text);
	c2 = sspi_side_open(0, "client");
	sspi_side_close(c2);
	assert_status(sspi_hello_encrypt(&c->ctx, block, &len), SEC_E_OK);
	assert_status(sspi_record_decrypt(&s->ctx, block, len), SEC_E_OK);
	sspi_side_close(c);
	sspi_side_close(s);
	xd_sspi_socket(NULL);
	xd_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_process_records_mapped),
		xd_test(test_daemon_records_not_mapped),
		xd_test(test_cbc_stays_in_daemon),
		xd_test(test_ccm_mapped),
		xd_test(test_max_fragment_length_stays_in_daemon),
		xd_test(test_transfer_survives_kill),
		xd_test(test_sspi_survives_kill),
	};

	return (harness_run("records", tests));
}
