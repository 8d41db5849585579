/*
 * Faults: the daemon killed (SIGKILL) or stopped (SIGSTOP) under
 * its clients, mid-handshake and mid-data; the daemon started again on the
 * same socket; a client killed mid-call; and peers that stall, trickle or
 * never finish a handshake.  Each test runs a daemon of its own
 * (xdaemon.c), so that it can kill it.
 *
 * What is promised (secctx.h, PROTOCOL.md): a call naming a context of a
 * lost connection answers SEC_E_CONTEXT_EXPIRED, any other call
 * SEC_E_NO_AUTHENTICATING_AUTHORITY while the daemon is away, both within
 * a second of the daemon's death (they are timed here: a functional
 * deadline, not a benchmark); a stopped daemon costs the connection's
 * timeout; once the daemon is back the same connection and credential
 * objects work again.
 *
 * The credentials here protect records in the daemon ("records":
 * "daemon"), so that an established context is lost with it; a mapped
 * context outlives the daemon (test_outage.c).
 */

#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xdaemon.h"
#include "sspi-peers.h"

/* How soon every call must notice a killed daemon (the bound). */
#define LOST_MS		1000
/* How long a pending call is given to be stuck before the kill. */
#define PENDING_MS	200
/* A large encrypt: several requests of SECCTX_MAX_MESSAGE. */
#define BIG_LEN		(8 * 1024 * 1024)

static char	daemon_text[2048];

/* A daemon called "faults" with the limits given (JSON members). */
static void
start_daemon(struct xdaemon *d, const char *limits)
{
	snprintf(daemon_text, sizeof(daemon_text), "{\"socket\": \"@SOCK@\", "
	    "\"limits\": {%s}, \"credentials\": ["
	    "{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", "
	    "\"private_key\": \"@PKI@/server.key\", \"ca_file\": "
	    "\"@PKI@/ca.pem\", \"records\": \"daemon\", \"uids\": [@UID@]},"
	    "{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", "
	    "\"records\": \"daemon\", \"uids\": [@UID@]}]}", limits);
	xd_start(d, "faults", daemon_text);
}

/* The same daemon again, on the same socket. */
static void
restart_daemon(struct xdaemon *d)
{
	xd_start(d, "faults", daemon_text);
}

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Fail unless the call took less than ms since t0. */
#define assert_within(t0, ms) do {					\
	int64_t	el_ = xd_now_ms() - (t0);					\
	if (el_ >= (ms))						\
		fail_msg("took %lld ms, more than %d", (long long)el_,	\
		    (ms));						\
} while (0)

/* Fail unless a call took between lo and hi ms since t0. */
static void
assert_took(int64_t t0, int lo, int hi)
{
	int64_t	el = xd_now_ms() - t0;

	if (el < lo || el >= hi)
		fail_msg("took %lld ms, not %d to %d", (long long)el, lo, hi);
}

static struct secctx_options	client_opt = { .target = "localhost",
    .no_resume = 1 };

/* A handshake with these credentials must work. */
static void
handshake_works(secctx_cred *cc, secctx_cred *sc)
{
	secctx_ctx	*cctx = NULL, *sctx = NULL;

	assert_status(harness_raw_handshake(cc, sc, &client_opt, &cctx,
	    &sctx), SEC_E_OK);
	assert_status(secctx_delete(cctx), SEC_E_OK);
	assert_status(secctx_delete(sctx), SEC_E_OK);
}

/* A call running in a thread of its own, so that it can be pending. */
struct pending {
	pthread_t		 thread;
	secctx_status		 (*fn)(struct pending *);
	secctx_conn		*conn;
	secctx_ctx		**ctxp;
	const void		*in;
	size_t			 in_len;
	secctx_status		 status;
	int64_t			 done_ms;
	int			 finished;	/* __atomic */
	char			 error[512];
};

static void *
pending_main(void *arg)
{
	struct pending	*p = arg;

	p->status = p->fn(p);
	p->done_ms = xd_now_ms();
	snprintf(p->error, sizeof(p->error), "%s", secctx_last_error());
	__atomic_store_n(&p->finished, 1, __ATOMIC_SEQ_CST);
	return (NULL);
}

static void
pending_start(struct pending *p, secctx_status (*fn)(struct pending *))
{
	p->fn = fn;
	assert_int_equal(pthread_create(&p->thread, NULL, pending_main, p),
	    0);
}

static int
pending_finished(struct pending *p)
{
	return (__atomic_load_n(&p->finished, __ATOMIC_SEQ_CST));
}

/* Join the call; assert its status and that it ended by t0 + LOST_MS. */
static void
pending_end(struct pending *p, int64_t t0, secctx_status expected)
{
	assert_int_equal(pthread_join(p->thread, NULL), 0);
	if (p->status != expected)
		print_error("last error: %s\n", p->error);
	assert_status(p->status, expected);
	if (p->done_ms - t0 >= LOST_MS)
		fail_msg("the pending call ended %lld ms after the kill",
		    (long long)(p->done_ms - t0));
}

static secctx_status
call_initialize(struct pending *p)
{
	struct secctx_token	tok = { 0 };
	secctx_status		st;

	tok.in = p->in;
	tok.in_len = p->in_len;
	st = secctx_initialize(NULL, p->ctxp, NULL, &tok);
	secctx_free(tok.out);
	return (st);
}

static secctx_status
call_acquire(struct pending *p)
{
	secctx_cred	*cred = NULL;
	secctx_status	 st;

	st = secctx_cred_acquire(p->conn, "server", SECCTX_INBOUND, &cred);
	secctx_cred_free(cred);
	return (st);
}

static secctx_status
call_encrypt_big(struct pending *p)
{
	void		*out = NULL;
	size_t		 out_len = 0;
	uint8_t		*data;
	secctx_status	 st;

	if ((data = calloc(1, BIG_LEN)) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	st = secctx_encrypt(*p->ctxp, data, BIG_LEN, &out, &out_len);
	secctx_free(out);
	free(data);
	return (st);
}

static secctx_status
call_decrypt(struct pending *p)
{
	struct secctx_message	m = { 0 };
	secctx_status		st;

	m.in = p->in;
	m.in_len = p->in_len;
	st = secctx_decrypt(*p->ctxp, &m);
	secctx_free(m.data);
	secctx_free(m.out);
	return (st);
}

/* Stop the daemon, let the calls get stuck, kill it: when. */
static int64_t
kill_under(struct xdaemon *d, struct pending *a, struct pending *b)
{
	int64_t	t0;

	sleep_ms(PENDING_MS);
	assert_false(pending_finished(a));
	assert_false(pending_finished(b));
	t0 = xd_now_ms();
	xd_signal(d, SIGKILL);
	return (t0);
}

/*
 * Killed mid-handshake: the pending step on a context is lost, the pending
 * acquire finds no daemon; so are later calls; after a restart the old
 * credentials make new contexts on the same connections.
 */
static void
test_kill_mid_handshake(void **state)
{
	struct xdaemon		 d;
	struct harness_pair	*p;
	struct pending		 step, acquire;
	struct secctx_token	 tok = { 0 };
	secctx_conn		*cc, *sc;
	secctx_cred		*cred = NULL;
	secctx_ctx		*ctx = NULL;
	uint8_t			*flight;
	size_t			 flight_len;
	int64_t			 t0;

	(void)state;
	start_daemon(&d, "");
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	p = harness_pair_open(cc, "client", sc, "server");
	assert_status(harness_side_step(&p->client, &p->server),
	    SEC_I_CONTINUE_NEEDED);
	assert_status(harness_side_step(&p->server, &p->client),
	    SEC_I_CONTINUE_NEEDED);
	flight = harness_side_take(&p->client, &flight_len);

	xd_signal(&d, SIGSTOP);
	memset(&step, 0, sizeof(step));
	step.ctxp = &p->client.ctx;
	step.in = flight;
	step.in_len = flight_len;
	pending_start(&step, call_initialize);
	memset(&acquire, 0, sizeof(acquire));
	acquire.conn = sc;
	pending_start(&acquire, call_acquire);
	t0 = kill_under(&d, &step, &acquire);
	pending_end(&step, t0, SEC_E_CONTEXT_EXPIRED);
	assert_contains(step.error, "context was lost");
	assert_null(p->client.ctx);
	pending_end(&acquire, t0, SEC_E_NO_AUTHENTICATING_AUTHORITY);

	/* Later calls, with the daemon still away. */
	t0 = xd_now_ms();
	assert_status(secctx_accept(NULL, &p->server.ctx, NULL, &tok),
	    SEC_E_CONTEXT_EXPIRED);
	assert_null(p->server.ctx);
	assert_status(secctx_cred_acquire(cc, "client", SECCTX_OUTBOUND,
	    &cred), SEC_E_NO_AUTHENTICATING_AUTHORITY);
	assert_contains(secctx_last_error(), d.socket);
	assert_status(secctx_initialize(p->client.cred, &ctx, &client_opt,
	    &tok), SEC_E_NO_AUTHENTICATING_AUTHORITY);
	assert_null(ctx);
	assert_within(t0, LOST_MS);

	/* Back: the same connections and credentials work. */
	restart_daemon(&d);
	handshake_works(p->client.cred, p->server.cred);
	xd_wait_contexts(d.socket, 0, 2000);
	harness_pair_close(p);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	free(flight);
	xd_stop(&d);
}

/*
 * Killed mid-data: a large encrypt and a decrypt in flight are lost; the
 * contexts answer SEC_E_CONTEXT_EXPIRED to every later call, also once the
 * daemon is back, and secctx_delete() frees them.
 */
static void
test_kill_mid_data(void **state)
{
	struct xdaemon		 d;
	struct harness_pair	*p;
	struct pending		 enc, dec;
	struct secctx_info	 info;
	secctx_conn		*cc, *sc;
	secctx_cred		*cred = NULL;
	void			*rec = NULL, *out = NULL;
	size_t			 rec_len = 0, out_len = 0;
	int64_t			 t0;

	(void)state;
	start_daemon(&d, "");
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	p = harness_pair_open(cc, "client", sc, "server");
	harness_pair_run(p);
	assert_status(secctx_encrypt(p->client.ctx, "hello", 5, &rec,
	    &rec_len), SEC_E_OK);

	xd_signal(&d, SIGSTOP);
	memset(&enc, 0, sizeof(enc));
	enc.ctxp = &p->client.ctx;
	pending_start(&enc, call_encrypt_big);
	memset(&dec, 0, sizeof(dec));
	dec.ctxp = &p->server.ctx;
	dec.in = rec;
	dec.in_len = rec_len;
	pending_start(&dec, call_decrypt);
	t0 = kill_under(&d, &enc, &dec);
	pending_end(&enc, t0, SEC_E_CONTEXT_EXPIRED);
	pending_end(&dec, t0, SEC_E_CONTEXT_EXPIRED);

	t0 = xd_now_ms();
	assert_status(secctx_encrypt(p->client.ctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	assert_status(secctx_query_info(p->server.ctx, &info),
	    SEC_E_CONTEXT_EXPIRED);
	assert_status(secctx_shutdown(p->server.ctx, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	assert_status(secctx_cred_acquire(cc, "client", SECCTX_OUTBOUND,
	    &cred), SEC_E_NO_AUTHENTICATING_AUTHORITY);
	assert_within(t0, LOST_MS);

	/* Back: the old contexts stay lost, the credentials work. */
	restart_daemon(&d);
	assert_status(secctx_encrypt(p->client.ctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	assert_null(out);
	handshake_works(p->client.cred, p->server.cred);
	assert_status(secctx_delete(p->client.ctx), SEC_E_OK);
	assert_status(secctx_delete(p->server.ctx), SEC_E_OK);
	p->client.ctx = p->server.ctx = NULL;
	harness_pair_close(p);
	xd_wait_contexts(d.socket, 0, 2000);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	secctx_free(rec);
	xd_stop(&d);
}

/*
 * A stopped daemon: a call waits for the connection's timeout, then fails;
 * so does opening a new connection ($SECCTX_TIMEOUT_MS); once the daemon
 * runs again the same connection works.
 */
static void
test_stopped_daemon(void **state)
{
	struct xdaemon		 d;
	struct harness_pair	*p;
	secctx_conn		*cc, *sc, *other = NULL;
	secctx_cred		*cred = NULL;
	void			*out = NULL;
	size_t			 out_len = 0;
	int64_t			 t0;

	(void)state;
	start_daemon(&d, "");
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	assert_status(secctx_set_timeout(cc, 500), SEC_E_OK);
	p = harness_pair_open(cc, "client", sc, "server");
	harness_pair_run(p);

	xd_signal(&d, SIGSTOP);
	t0 = xd_now_ms();
	assert_status(secctx_encrypt(p->client.ctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	assert_took(t0, 450, 2000);
	assert_contains(secctx_last_error(), "did not answer within 500 ms");
	/* A new session: connected (the backlog), but no hello. */
	t0 = xd_now_ms();
	assert_status(secctx_cred_acquire(cc, "client", SECCTX_OUTBOUND,
	    &cred), SEC_E_NO_AUTHENTICATING_AUTHORITY);
	assert_took(t0, 450, 2000);
	setenv("SECCTX_TIMEOUT_MS", "300", 1);
	t0 = xd_now_ms();
	assert_status(secctx_connect(d.socket, &other),
	    SEC_E_NO_AUTHENTICATING_AUTHORITY);
	assert_took(t0, 250, 2000);
	unsetenv("SECCTX_TIMEOUT_MS");

	xd_signal(&d, SIGCONT);
	assert_status(secctx_encrypt(p->client.ctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	handshake_works(p->client.cred, p->server.cred);
	harness_pair_close(p);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

/*
 * A restart between calls: the first call afterwards already works (its
 * request meets the dead connection and goes again on a new one); a
 * credential acquired before is freed without trouble.
 */
static void
test_restart_between_calls(void **state)
{
	struct xdaemon		 d;
	struct xd_stats		 st;
	secctx_conn		*cc, *sc;
	secctx_cred		*ccred, *scred, *spare;
	secctx_ctx		*cctx = NULL, *sctx = NULL;
	struct secctx_message	 m = { 0 };
	void			*out = NULL;
	size_t			 out_len = 0;
	int			 i;

	(void)state;
	start_daemon(&d, "");
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	ccred = harness_cred(cc, "client", SECCTX_OUTBOUND);
	scred = harness_cred(sc, "server", SECCTX_INBOUND);
	spare = harness_cred(cc, "client", SECCTX_OUTBOUND);
	assert_status(harness_raw_handshake(ccred, scred, &client_opt, &cctx,
	    &sctx), SEC_E_OK);

	xd_signal(&d, SIGKILL);
	restart_daemon(&d);
	handshake_works(ccred, scred);
	assert_status(secctx_encrypt(cctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	assert_status(secctx_encrypt(cctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	m.in = "12345";
	m.in_len = 5;
	assert_status(secctx_decrypt(sctx, &m), SEC_E_CONTEXT_EXPIRED);
	assert_status(secctx_delete(cctx), SEC_E_OK);
	assert_status(secctx_delete(sctx), SEC_E_OK);
	assert_status(secctx_cred_free(spare), SEC_E_OK);
	/* This connection, and the two of the client (closes are seen late). */
	for (i = 0; i < 100; i++) {
		xd_stats(d.socket, &st);
		if (st.connections == 3 && st.contexts == 0)
			break;
		usleep(20000);
	}
	assert_int_equal(st.connections, 3);
	assert_int_equal(st.contexts, 0);
	assert_status(secctx_cred_free(ccred), SEC_E_OK);
	assert_status(secctx_cred_free(scred), SEC_E_OK);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_stop(&d);
}

/* Threads sharing connections and credentials through a restart. */
struct worker {
	pthread_t	 thread;
	secctx_cred	*cc;
	secctx_cred	*sc;
	int		*stop;		/* __atomic */
	int		 ok;		/* __atomic: handshakes that worked */
	int		 unexpected;	/* statuses not promised */
	secctx_status	 last;
};

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	secctx_ctx	*cctx, *sctx;
	secctx_status	 st;

	while (!__atomic_load_n(w->stop, __ATOMIC_SEQ_CST)) {
		cctx = sctx = NULL;
		st = harness_raw_handshake(w->cc, w->sc, &client_opt, &cctx,
		    &sctx);
		secctx_delete(cctx);
		secctx_delete(sctx);
		/*
		 * The client's status comes first: one still going on
		 * means the server's call failed.
		 */
		if (st == SEC_E_OK)
			__atomic_add_fetch(&w->ok, 1, __ATOMIC_SEQ_CST);
		else if (st != SEC_E_CONTEXT_EXPIRED &&
		    st != SEC_E_NO_AUTHENTICATING_AUTHORITY &&
		    !(st == SEC_I_CONTINUE_NEEDED && sctx == NULL)) {
			w->unexpected++;
			w->last = st;
		}
	}
	return (NULL);
}

static void
test_restart_under_threads(void **state)
{
	struct xdaemon	 d;
	struct worker	 w[4];
	secctx_conn	*cc, *sc;
	secctx_cred	*ccred, *scred;
	int		 stop = 0, i, before[4], waited;

	(void)state;
	start_daemon(&d, "");
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	ccred = harness_cred(cc, "client", SECCTX_OUTBOUND);
	scred = harness_cred(sc, "server", SECCTX_INBOUND);
	memset(w, 0, sizeof(w));
	for (i = 0; i < 4; i++) {
		w[i].cc = ccred;
		w[i].sc = scred;
		w[i].stop = &stop;
		assert_int_equal(pthread_create(&w[i].thread, NULL,
		    worker_main, &w[i]), 0);
	}
	sleep_ms(300);
	xd_signal(&d, SIGKILL);
	sleep_ms(100);
	restart_daemon(&d);
	for (i = 0; i < 4; i++)
		before[i] = __atomic_load_n(&w[i].ok, __ATOMIC_SEQ_CST);
	/* Every thread completes handshakes again. */
	for (i = 0, waited = 0; i < 4 && waited < HARNESS_TIMEOUT_MS;) {
		if (__atomic_load_n(&w[i].ok, __ATOMIC_SEQ_CST) > before[i])
			i++;
		else {
			sleep_ms(20);
			waited += 20;
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		if (w[i].unexpected > 0)
			fail_msg("thread %d: %d calls answered %s", i,
			    w[i].unexpected, harness_status_name(w[i].last));
		assert_true(w[i].ok > before[i]);
	}
	assert_status(secctx_cred_free(ccred), SEC_E_OK);
	assert_status(secctx_cred_free(scred), SEC_E_OK);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

/* Forget a side's context, keeping its credential handle. */
static void
sspi_side_reset(struct sspi_side *s)
{
	assert_status(DeleteSecurityContext(&s->ctx), SEC_E_OK);
	s->started = s->done = s->incomplete = 0;
	s->in_len = s->give = 0;
}

/*
 * The SSPI layer: credential handles survive a restart (they hold a
 * connection and a credential of the native API); contexts of the dead
 * daemon answer SEC_E_CONTEXT_EXPIRED.
 */
static void
test_sspi_restart(void **state)
{
	struct xdaemon		 d;
	struct sspi_side	*c, *s;
	uint8_t			 block[512], rec[512];
	size_t			 len = 0, rec_len = 0;
	int64_t			 t0;

	(void)state;
	start_daemon(&d, "");
	xd_sspi_socket(&d);
	c = sspi_side_open(0, "client");
	s = sspi_side_open(1, "server");
	sspi_side_run(c, s, 0);
	/* A record for the server to decrypt once the daemon is gone. */
	assert_status(sspi_hello_encrypt(&c->ctx, block, &len), SEC_E_OK);
	memcpy(rec, block, len);
	rec_len = len;

	xd_signal(&d, SIGKILL);
	t0 = xd_now_ms();
	assert_status(sspi_hello_encrypt(&c->ctx, block, &len),
	    SEC_E_CONTEXT_EXPIRED);
	assert_status(sspi_record_decrypt(&s->ctx, rec, rec_len),
	    SEC_E_CONTEXT_EXPIRED);
	assert_within(t0, LOST_MS);

	restart_daemon(&d);
	assert_status(sspi_hello_encrypt(&c->ctx, block, &len),
	    SEC_E_CONTEXT_EXPIRED);
	sspi_side_reset(c);
	sspi_side_reset(s);
	sspi_side_run(c, s, 0);
	assert_status(sspi_hello_encrypt(&c->ctx, block, &len), SEC_E_OK);
	sspi_side_close(c);
	sspi_side_close(s);
	xd_sspi_socket(NULL);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

enum child_work {
	CHILD_DATA,		/* large encrypts and decrypts */
	CHILD_HANDSHAKE		/* handshakes, and contexts left unfinished */
};

/* In the child: work on the daemon until killed; a byte on ready first. */
static void
child_run(const char *socket, enum child_work work, int ready)
{
	secctx_conn		*cc, *sc;
	secctx_cred		*ccred = NULL, *scred = NULL;
	secctx_ctx		*cctx = NULL, *sctx = NULL, *held[32];
	struct secctx_token	 tok;
	struct secctx_message	 m;
	uint8_t			*data;
	void			*rec;
	size_t			 rec_len, i, off;

	if (secctx_connect(socket, &cc) != SEC_E_OK ||
	    secctx_connect(socket, &sc) != SEC_E_OK ||
	    secctx_cred_acquire(cc, "client", SECCTX_OUTBOUND, &ccred) !=
	    SEC_E_OK ||
	    secctx_cred_acquire(sc, "server", SECCTX_INBOUND, &scred) !=
	    SEC_E_OK ||
	    harness_raw_handshake(ccred, scred, &client_opt, &cctx, &sctx) !=
	    SEC_E_OK || (data = calloc(1, BIG_LEN)) == NULL) {
		fprintf(stderr, "child: %s\n", secctx_last_error());
		_exit(1);
	}
	for (i = 0; work == CHILD_HANDSHAKE && i < 32; i++) {
		memset(&tok, 0, sizeof(tok));
		held[i] = NULL;
		if (secctx_initialize(ccred, &held[i], &client_opt, &tok) !=
		    SEC_I_CONTINUE_NEEDED)
			_exit(1);
		secctx_free(tok.out);
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	for (;;) {
		if (work == CHILD_HANDSHAKE) {
			secctx_delete(cctx);
			secctx_delete(sctx);
			cctx = sctx = NULL;
			(void)harness_raw_handshake(ccred, scred, &client_opt,
			    &cctx, &sctx);
			continue;
		}
		if (secctx_encrypt(cctx, data, BIG_LEN, &rec, &rec_len) !=
		    SEC_E_OK) {
			fprintf(stderr, "child: %s\n", secctx_last_error());
			_exit(1);
		}
		for (off = 0; off < rec_len; off += m.in_len - m.extra) {
			memset(&m, 0, sizeof(m));
			m.in = (uint8_t *)rec + off;
			m.in_len = rec_len - off;
			if (secctx_decrypt(sctx, &m) != SEC_E_OK) {
				fprintf(stderr, "child: %s\n",
				    secctx_last_error());
				_exit(1);
			}
			secctx_free(m.data);
			secctx_free(m.out);
		}
		secctx_free(rec);
	}
}

/* Wait until the daemon holds nothing of the client but this stats call. */
static void
wait_reclaimed(const char *socket)
{
	struct xd_stats	st;
	int		waited;

	for (waited = 0;; waited += 20) {
		xd_stats(socket, &st);
		if (st.connections == 1 && st.contexts == 0 &&
		    st.buffered == 0)
			return;
		if (waited >= 5000)
			fail_msg("the daemon still holds %lld connections, "
			    "%lld contexts, %lld bytes", (long long)
			    st.connections, (long long)st.contexts,
			    (long long)st.buffered);
		sleep_ms(20);
	}
}

static void
kill_client_mid(enum child_work work)
{
	struct xdaemon	d;
	struct pollfd	pfd;
	struct xd_stats	st;
	pid_t		pid;
	int		p[2], status;
	char		c;

	start_daemon(&d, "");
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		child_run(d.socket, work, p[1]);
		_exit(1);
	}
	assert_true(pid > 0);
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, HARNESS_TIMEOUT_MS), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	/* In the middle of its calls: it holds contexts and buffers. */
	sleep_ms(150);
	xd_stats(d.socket, &st);
	assert_true(st.contexts >= 2);
	assert_int_equal(st.connections, 3);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	wait_reclaimed(d.socket);
	harness_assert_daemon_alive();
	xd_stop(&d);
}

/* A client killed mid-call: its contexts and buffers are reclaimed. */
static void
test_client_killed_mid_data(void **state)
{
	(void)state;
	kill_client_mid(CHILD_DATA);
}

static void
test_client_killed_mid_handshake(void **state)
{
	(void)state;
	kill_client_mid(CHILD_HANDSHAKE);
}

/* The limits for the handshake deadline tests. */
#define DEADLINE_LIMITS	"\"handshake_timeout\": 1"

/*
 * A stalled handshake: both contexts are deleted about a second after they
 * were made, without another call; the next call hears why.  An
 * established context is not touched.
 */
static void
test_deadline_stalled(void **state)
{
	struct xdaemon		 d;
	struct harness_pair	*done, *p;
	struct secctx_info	 info;
	struct xd_stats		 st;
	secctx_conn		*cc, *sc;
	void			*out = NULL;
	size_t			 out_len = 0;
	int64_t			 t0;

	(void)state;
	start_daemon(&d, DEADLINE_LIMITS);
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	done = harness_pair_open(cc, "client", sc, "server");
	harness_pair_run(done);
	p = harness_pair_open(cc, "client", sc, "server");
	t0 = xd_now_ms();
	assert_status(harness_side_step(&p->client, &p->server),
	    SEC_I_CONTINUE_NEEDED);
	assert_status(harness_side_step(&p->server, &p->client),
	    SEC_I_CONTINUE_NEEDED);
	xd_wait_contexts(d.socket, 2, harness_daemon_wait_ms(3000));
	assert_took(t0, 900, harness_daemon_wait_ms(3000));

	assert_status(harness_side_step(&p->client, &p->server),
	    SEC_E_CONTEXT_EXPIRED);
	assert_contains(p->client.error, "limits.handshake_timeout");
	assert_status(secctx_query_info(p->server.ctx, &info),
	    SEC_E_CONTEXT_EXPIRED);
	assert_status(secctx_delete(p->server.ctx), SEC_E_OK);
	p->server.ctx = NULL;
	xd_wait_log(&d, "did not complete within", 1000);

	assert_status(secctx_encrypt(done->client.ctx, "x", 1, &out,
	    &out_len), SEC_E_OK);
	secctx_free(out);
	xd_stats(d.socket, &st);
	assert_int_equal(st.contexts, 2);
	harness_pair_close(done);
	harness_pair_close(p);
	xd_wait_contexts(d.socket, 0, 2000);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_stop(&d);
}

/* A ClientHello offered one more byte per call: cut at the deadline. */
static void
test_deadline_byte_per_call(void **state)
{
	struct xdaemon		 d;
	struct harness_pair	*p;
	struct secctx_token	 tok;
	secctx_conn		*cc, *sc;
	secctx_status		 st = SEC_E_INCOMPLETE_MESSAGE;
	uint8_t			*hello;
	size_t			 len, i;
	int64_t			 t0;

	(void)state;
	start_daemon(&d, DEADLINE_LIMITS);
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	p = harness_pair_open(cc, "client", sc, "server");
	assert_status(harness_side_step(&p->client, &p->server),
	    SEC_I_CONTINUE_NEEDED);
	hello = harness_side_take(&p->server, &len);
	t0 = xd_now_ms();
	for (i = 1; i < len && st == SEC_E_INCOMPLETE_MESSAGE; i++) {
		st = harness_side_call(&p->server, hello, i, &tok);
		secctx_free(tok.out);
		sleep_ms(40);
	}
	assert_status(st, SEC_E_CONTEXT_EXPIRED);
	assert_took(t0, 900, harness_daemon_wait_ms(3000));
	assert_contains(p->server.error, "limits.handshake_timeout");
	xd_wait_contexts(d.socket, 0, 3000);
	free(hello);
	harness_pair_close(p);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_stop(&d);
}

/*
 * A handshake that progresses forever: the ClientHello in records of one
 * byte each, one record per call, each answered SEC_I_CONTINUE_NEEDED,
 * until the deadline.
 */
static void
test_deadline_never_finishes(void **state)
{
	struct xdaemon		 d;
	struct harness_pair	*p;
	struct secctx_token	 tok;
	secctx_conn		*cc, *sc;
	secctx_status		 st = SEC_I_CONTINUE_NEEDED;
	uint8_t			*hello, rec[TLS_HEADER_LEN + 1];
	size_t			 len, i;
	int64_t			 t0;

	(void)state;
	start_daemon(&d, DEADLINE_LIMITS);
	assert_status(secctx_connect(d.socket, &cc), SEC_E_OK);
	assert_status(secctx_connect(d.socket, &sc), SEC_E_OK);
	p = harness_pair_open(cc, "client", sc, "server");
	assert_status(harness_side_step(&p->client, &p->server),
	    SEC_I_CONTINUE_NEEDED);
	hello = harness_side_take(&p->server, &len);
	assert_int_equal(hello[0], TLS_HANDSHAKE);
	assert_int_equal(len, TLS_HEADER_LEN + (hello[3] << 8 | hello[4]));
	memcpy(rec, hello, 3);
	rec[3] = 0;
	rec[4] = 1;
	t0 = xd_now_ms();
	for (i = TLS_HEADER_LEN; i < len && st == SEC_I_CONTINUE_NEEDED;
	    i++) {
		rec[TLS_HEADER_LEN] = hello[i];
		st = harness_side_call(&p->server, rec, sizeof(rec), &tok);
		assert_int_equal(tok.out_len, 0);
		secctx_free(tok.out);
		sleep_ms(20);
	}
	assert_status(st, SEC_E_CONTEXT_EXPIRED);
	assert_true(i < len);
	assert_took(t0, 900, harness_daemon_wait_ms(3000));
	xd_wait_contexts(d.socket, 0, 3000);
	free(hello);
	harness_pair_close(p);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
	xd_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_kill_mid_handshake),
		xd_test(test_kill_mid_data),
		xd_test(test_stopped_daemon),
		xd_test(test_restart_between_calls),
		xd_test(test_restart_under_threads),
		xd_test(test_sspi_restart),
		xd_test(test_client_killed_mid_data),
		xd_test(test_client_killed_mid_handshake),
		xd_test(test_deadline_stalled),
		xd_test(test_deadline_byte_per_call),
		xd_test(test_deadline_never_finishes),
	};

	/* A write to a killed daemon must fail, not kill the test. */
	signal(SIGPIPE, SIG_IGN);
	return (harness_run("faults", tests));
}
