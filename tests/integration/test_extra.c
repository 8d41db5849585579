/*
 * The last handshake flight and the first application data in one input:
 * the call returns SEC_E_OK and 'extra' covers exactly the application
 * data record, which the application must keep for decryption.
 *
 * Over TCP the peer is openssl with a forced AES-128-GCM suite, so the
 * record size is known: "hello\n" (6 bytes) is
 *   TLS 1.3: 5 header + 6 data + 1 content type + 16 tag = 28 bytes;
 *   TLS 1.2: 5 header + 8 explicit nonce + 6 data + 16 tag = 35 bytes.
 *
 * In TLS 1.3 the client sends data right after its Finished, so the server
 * side sees both together (s_client against our server).  In a TLS 1.2
 * full handshake the server finishes last, so it is the client side that
 * sees the server's Finished and data together (our client against
 * s_server).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/*
 * Check that the extra bytes are exactly one application data record, and
 * that it decrypts to what the peer sent.
 */
static void
assert_one_record(const struct harness_hs *hs, size_t expect)
{
	struct secctx_message	m;

	assert_non_null(hs->extra);
	if (hs->extra_len != expect)
		fail_msg("extra is %zu bytes, expected %zu (last input %zu "
		    "bytes, %d calls)", hs->extra_len, expect, hs->last_in_len,
		    hs->calls);
	/* The last call also consumed the end of the handshake. */
	assert_true(hs->last_in_len > hs->extra_len);
	assert_int_equal(hs->extra[0], TLS_APPLICATION_DATA);
	assert_int_equal(hs->extra[1], 3);
	assert_int_equal(hs->extra[2], 3);
	assert_int_equal(harness_record_missing(hs->extra, hs->extra_len), 0);
	assert_int_equal(TLS_HEADER_LEN +
	    ((size_t)hs->extra[3] << 8 | hs->extra[4]), hs->extra_len);

	memset(&m, 0, sizeof(m));
	m.in = hs->extra;
	m.in_len = hs->extra_len;
	assert_status(secctx_decrypt(hs->ctx, &m), SEC_E_OK);
	assert_int_equal(m.data_len, 6);
	assert_memory_equal(m.data, "hello\n", 6);
	assert_int_equal(m.extra, 0);
	secctx_free(m.data);
	secctx_free(m.out);
}

static void
test_tls13_server_finished_and_data(void **state)
{
	struct secctx_options	 opt = { .min_version = SECCTX_TLS1_3 };
	struct harness_hs	 hs;
	struct harness_child	*c;
	secctx_conn		*conn;
	secctx_cred		*cred;
	char			 connect[32];
	int			 lfd, fd, port;

	(void)state;
	lfd = harness_tcp_listen(&port);
	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	{
		const char *const argv[] = {
			"openssl", "s_client", "-connect", connect,
			"-servername", "localhost", "-quiet", "-tls1_3",
			"-ciphersuites", "TLS_AES_128_GCM_SHA256", NULL
		};

		c = harness_spawn(argv);
	}
	/*
	 * s_client reads its stdin once its side of the handshake is done,
	 * so the data follows its Finished at once; reading 300 ms late
	 * makes both arrive in one input.
	 */
	harness_child_write(c, "hello\n");
	conn = harness_connect();
	cred = harness_cred(conn, "server", SECCTX_INBOUND);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	memset(&hs, 0, sizeof(hs));
	hs.read_delay_ms = 300;
	assert_status(harness_handshake(fd, cred, 1, &opt, &hs), SEC_E_OK);
	assert_one_record(&hs, 5 + 6 + 1 + 16);

	harness_hs_free(&hs);
	close(fd);
	close(lfd);
	harness_child_kill(c);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
}

static void
test_tls12_client_finished_and_data(void **state)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"),
		"-key", harness_pki("server.key"), "-tls1_2",
		"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", NULL
	};
	struct secctx_options	 opt = {
		.target = "localhost", .max_version = SECCTX_TLS1_2
	};
	struct harness_hs	 hs;
	struct harness_child	*c;
	struct secctx_info	 info;
	secctx_conn		*conn;
	secctx_cred		*cred;
	int			 fd, port;

	(void)state;
	c = harness_s_server(&port, args);
	/* s_server writes its stdin to the connection once it has one. */
	harness_child_write(c, "hello\n");
	conn = harness_connect();
	cred = harness_cred(conn, "client-nocert", SECCTX_OUTBOUND);
	fd = harness_tcp_connect(port);
	memset(&hs, 0, sizeof(hs));
	hs.read_delay_ms = 300;
	assert_status(harness_handshake(fd, cred, 0, &opt, &hs), SEC_E_OK);
	harness_info(hs.ctx, &info);
	assert_string_equal(info.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
	assert_one_record(&hs, 5 + 8 + 6 + 16);

	harness_hs_free(&hs);
	close(fd);
	harness_child_kill(c);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
}

/*
 * In memory: the client's last flight followed by bytes the handshake
 * must not touch, a whole record or a partial one.
 */
static void
trailing(enum secctx_version v, const uint8_t *tail, size_t tail_len)
{
	struct harness_pair	*p;

	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.min_version = p->client.opt.max_version = v;
	harness_side_step(&p->client, &p->server);
	harness_side_step(&p->server, &p->client);
	harness_side_step(&p->client, &p->server);
	if (v == SECCTX_TLS1_3)
		assert_status(p->client.status, SEC_E_OK);
	else
		assert_status(p->client.status, SEC_I_CONTINUE_NEEDED);
	harness_side_give(&p->server, tail, tail_len);
	assert_status(harness_side_step(&p->server, &p->client), SEC_E_OK);
	/* What is left is exactly the tail. */
	assert_int_equal(p->server.in_len, tail_len);
	assert_memory_equal(p->server.in, tail, tail_len);
	harness_pair_close(p);
}

static const uint8_t	record[] = {
	0x17, 0x03, 0x03, 0x00, 0x05, 0xde, 0xad, 0xbe, 0xef, 0x00
};

static void
test_tls13_trailing_record(void **state)
{
	(void)state;
	trailing(SECCTX_TLS1_3, record, sizeof(record));
}

static void
test_tls13_trailing_partial(void **state)
{
	(void)state;
	trailing(SECCTX_TLS1_3, record, 3);
	trailing(SECCTX_TLS1_3, record, 7);
}

static void
test_tls12_trailing_record(void **state)
{
	(void)state;
	trailing(SECCTX_TLS1_2, record, sizeof(record));
	trailing(SECCTX_TLS1_2, record, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_tls13_server_finished_and_data),
		harness_test(test_tls12_client_finished_and_data),
		harness_test(test_tls13_trailing_record),
		harness_test(test_tls13_trailing_partial),
		harness_test(test_tls12_trailing_record),
	};

	return (harness_run("extra", tests));
}
