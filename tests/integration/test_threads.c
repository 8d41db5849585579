/*
 * Thread safety: several threads share one connection to the daemon (and
 * its credentials), each running handshakes and protected messages.
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define THREADS		8
#define ROUNDS		10

struct worker {
	pthread_t	 thread;
	secctx_cred	*cc;
	secctx_cred	*sc;
	int		 id;
	int		 ok;		/* rounds that went through */
	char		 error[256];
};

/* One round: handshake, a message each way, delete. */
static int
worker_round(struct worker *w, int round)
{
	struct secctx_options	 opt = { .target = "localhost",
				    .no_resume = 1 };
	struct secctx_message	 m;
	secctx_ctx		*cctx = NULL, *sctx = NULL;
	char			 text[64];
	void			*rec = NULL;
	size_t			 rec_len;
	int			 ok = 0;

	snprintf(text, sizeof(text), "thread %d round %d", w->id, round);
	if (harness_raw_handshake(w->cc, w->sc, &opt, &cctx, &sctx) !=
	    SEC_E_OK || cctx == NULL || sctx == NULL)
		goto out;
	if (secctx_encrypt(cctx, text, strlen(text), &rec, &rec_len) !=
	    SEC_E_OK)
		goto out;
	memset(&m, 0, sizeof(m));
	m.in = rec;
	m.in_len = rec_len;
	if (secctx_decrypt(sctx, &m) != SEC_E_OK)
		goto out;
	ok = m.data_len == strlen(text) && memcmp(m.data, text,
	    m.data_len) == 0 && m.extra == 0;
	secctx_free(m.data);
out:
	if (!ok)
		snprintf(w->error, sizeof(w->error), "%s: %s", text,
		    secctx_last_error());
	secctx_free(rec);
	secctx_delete(cctx);
	secctx_delete(sctx);
	return (ok);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	int		 i;

	for (i = 0; i < ROUNDS; i++)
		w->ok += worker_round(w, i);
	return (NULL);
}

static void
test_shared_connection(void **state)
{
	struct worker	 w[THREADS];
	secctx_conn	*conn = harness_connect();
	secctx_cred	*cc = harness_cred(conn, "client-nocert",
			    SECCTX_OUTBOUND);
	secctx_cred	*sc = harness_cred(conn, "server", SECCTX_INBOUND);
	int		 i;

	(void)state;
	memset(w, 0, sizeof(w));
	for (i = 0; i < THREADS; i++) {
		w[i].cc = cc;
		w[i].sc = sc;
		w[i].id = i;
		assert_int_equal(pthread_create(&w[i].thread, NULL,
		    worker_main, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
	for (i = 0; i < THREADS; i++) {
		if (w[i].ok != ROUNDS)
			fail_msg("thread %d: %d of %d rounds; last error %s",
			    i, w[i].ok, ROUNDS, w[i].error);
	}
	assert_status(secctx_cred_free(cc), SEC_E_OK);
	assert_status(secctx_cred_free(sc), SEC_E_OK);
	secctx_disconnect(conn);
	harness_assert_daemon_alive();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_shared_connection),
	};

	return (harness_run("threads", tests));
}
