/*
 * TLS 1.3 post-handshake client authentication: openssl s_server asks for a
 * certificate after the handshake ("c" on its stdin); the daemon answers
 * inside decrypt, the reply comes back as bytes to send, and data keeps
 * flowing.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Decrypt what arrives until reply bytes come out; send them. */
static void
answer_request(int fd, secctx_ctx *ctx)
{
	struct secctx_message	 m;
	uint8_t			 buf[65536];
	size_t			 len = 0, n;
	int			 tries;

	for (tries = 0; tries < 20; tries++) {
		n = harness_recv(fd, buf + len, sizeof(buf) - len,
		    HARNESS_TIMEOUT_MS);
		assert_true(n > 0);
		len += n;
		memset(&m, 0, sizeof(m));
		m.in = buf;
		m.in_len = len;
		if (secctx_decrypt(ctx, &m) == SEC_E_INCOMPLETE_MESSAGE)
			continue;
		assert_int_equal(m.data_len, 0);
		memmove(buf, buf + len - m.extra, m.extra);
		len = m.extra;
		if (m.out_len > 0) {
			/* Certificate, CertificateVerify, Finished. */
			harness_send_all(fd, m.out, m.out_len);
			secctx_free(m.out);
			assert_int_equal(len, 0);
			return;
		}
	}
	fail_msg("no answer to the certificate request");
}

/*
 * A handshake with s_server, then its certificate request: answered when
 * the client offered post-handshake authentication, impossible for
 * s_server when it did not.  Data flows either way.
 */
static void
post_handshake_auth(int offer, int update)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-CAfile", harness_pki("ca.pem"),
		"-tls1_3", "-num_tickets", "0", NULL
	};
	struct secctx_options	 opt = { .target = "localhost",
		.no_post_handshake_auth = !offer };
	struct harness_child	*srv;
	struct harness_hs	 hs;
	secctx_conn		*conn;
	secctx_cred		*cred;
	void			*rec;
	size_t			 rec_len;
	char			*out;
	int			 port, fd;

	srv = harness_s_server(&port, args);
	conn = harness_connect();
	cred = harness_cred(conn, "client", SECCTX_OUTBOUND);
	fd = harness_tcp_connect(port);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(fd, cred, 0, &opt, &hs), SEC_E_OK);
	harness_child_wait_output(srv, "CIPHER is", HARNESS_TIMEOUT_MS);
	if (update) {
		/*
		 * Our key moves on first: the Finished of our answer is keyed
		 * from our current traffic secret (RFC 8446 4.4).
		 */
		assert_status(secctx_key_update(hs.ctx, 0, &rec, &rec_len),
		    SEC_E_OK);
		harness_send_all(fd, rec, rec_len);
		secctx_free(rec);
		assert_status(secctx_encrypt(hs.ctx, "updated\n", 8, &rec,
		    &rec_len), SEC_E_OK);
		harness_send_all(fd, rec, rec_len);
		secctx_free(rec);
		harness_child_wait_output(srv, "updated\n", HARNESS_TIMEOUT_MS);
	}
	harness_child_write(srv, "c\n");
	if (offer)
		answer_request(fd, hs.ctx);
	else
		harness_child_wait_output(srv, "extension not received",
		    HARNESS_TIMEOUT_MS);
	assert_status(secctx_encrypt(hs.ctx, "after-pha\n", 10, &rec,
	    &rec_len), SEC_E_OK);
	harness_send_all(fd, rec, rec_len);
	secctx_free(rec);
	harness_child_wait_output(srv, "after-pha", HARNESS_TIMEOUT_MS);
	out = harness_child_output(srv);
	/* s_server verified the certificate and stayed up. */
	if (strstr(out, "ERROR") != NULL)
		fail_msg("s_server failed:\n%s", out);
	free(out);
	harness_hs_free(&hs);
	close(fd);
	secctx_cred_free(cred);
	secctx_disconnect(conn);
}

static void
test_post_handshake_auth(void **state)
{
	(void)state;
	post_handshake_auth(1, 0);
}

/* no_post_handshake_auth: the extension is not offered. */
static void
test_no_post_handshake_auth(void **state)
{
	(void)state;
	post_handshake_auth(0, 0);
}

/* Our KeyUpdate before the request: our answer's Finished still verifies. */
static void
test_post_handshake_auth_after_key_update(void **state)
{
	(void)state;
	post_handshake_auth(1, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_post_handshake_auth),
		harness_test(test_no_post_handshake_auth),
		harness_test(test_post_handshake_auth_after_key_update),
	};

	return (harness_run("pha", tests));
}
