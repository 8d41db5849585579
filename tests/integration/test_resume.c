/*
 * Session resumption through the daemon: a second context from the same
 * credential, uid and target resumes (TLS 1.3 tickets, TLS 1.2); other
 * targets and contexts that opt out do not.
 */

#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Let the client open what the server sent after the handshake (tickets). */
static void
client_reads_tickets(struct harness_side *s)
{
	struct secctx_message	m;

	while (s->in_len > 0) {
		memset(&m, 0, sizeof(m));
		m.in = s->in;
		m.in_len = s->in_len;
		assert_status(secctx_decrypt(s->ctx, &m), SEC_E_OK);
		assert_int_equal(m.data_len, 0);
		assert_true(m.extra < s->in_len);
		memmove(s->in, s->in + s->in_len - m.extra, m.extra);
		s->in_len = m.extra;
	}
}

/* One full exchange; whether both ends say the session was resumed. */
static int
connect_once(enum secctx_version version, const char *target, int no_resume)
{
	struct harness_pair	*p;
	struct secctx_info	 ci, si;

	p = harness_pair_open(NULL, "client-nocert", NULL, "server");
	p->client.opt.min_version = p->client.opt.max_version = version;
	p->client.opt.target = target;
	p->client.opt.no_resume = no_resume;
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	client_reads_tickets(&p->client);
	harness_info(p->client.ctx, &ci);
	harness_info(p->server.ctx, &si);
	assert_int_equal(ci.resumed, si.resumed);
	/* A resumed session still names the server it authenticated. */
	assert_contains(ci.peer_subject, "CN=localhost");
	harness_pair_close(p);
	return (ci.resumed);
}

static void
resumes(enum secctx_version version)
{
	/* A full handshake leaves sessions (two TLS 1.3 tickets). */
	assert_false(connect_once(version, "localhost", 0));
	assert_true(connect_once(version, "localhost", 0));
	/* Another target name has no session of its own yet. */
	assert_false(connect_once(version, "127.0.0.1", 0));
	/* Opting out neither resumes nor spends a session. */
	assert_false(connect_once(version, "localhost", 1));
	assert_true(connect_once(version, "localhost", 0));
}

static void
test_resume_tls13(void **state)
{
	(void)state;
	resumes(SECCTX_TLS1_3);
}

static void
test_resume_tls12(void **state)
{
	(void)state;
	resumes(SECCTX_TLS1_2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_resume_tls13),
		harness_test(test_resume_tls12),
	};

	return (harness_run("resume", tests));
}
