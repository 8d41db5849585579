/*
 * The benchmark cases, each measured on both sides in the same run: the
 * in-process baseline (inproc.c) first, then the daemon-mediated side
 * (mediated.c) against a private secctxd started for the case.
 */

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cases.h"

/* What the streams of one case share. */
struct case_env {
	const struct bench_case		*bc;
	const struct tls_profile	*p;
	const struct bench_opts		*o;
	struct ip_env			 ip;
	const char			*socket;
	pid_t				 daemon_pid;
	const unsigned char		*data;	/* bulk: the bytes written */
	size_t				 size;
	int				 resume;
	int				 sample_every;
	atomic_long			 in_sampled, in_resumed;
	atomic_long			 d_sampled, d_resumed;
	char				 in_what[128];
	char				 d_what[128];
};

/* ---- in-process streams ---- */

struct ip_stream {
	struct case_env	*env;
	struct ip_pair	 pp;
	SSL_SESSION	*sess;
	unsigned char	*sink;
};

static void *
ip_setup(void *arg, int idx, char *err)
{
	struct case_env	*env = arg;
	struct ip_stream *s;
	char		 what[128];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		seterr(err, "out of memory");
		return (NULL);
	}
	s->env = env;
	if (ip_pair_establish(&env->ip, &s->pp, NULL, err) != 0)
		goto fail;
	if (ip_check_negotiated(&s->pp, env->p, what, sizeof(what),
	    err) != 0)
		goto fail;
	if (idx == 0)
		snprintf(env->in_what, sizeof(env->in_what), "%s", what);
	if (env->size > 0) {
		if ((s->sink = malloc(env->size)) == NULL) {
			seterr(err, "out of memory");
			goto fail;
		}
		return (s);	/* bulk: keep the pair */
	}
	if (env->resume)
		s->sess = SSL_get1_session(s->pp.c);
	ip_pair_free(&s->pp);
	return (s);
fail:
	ip_pair_free(&s->pp);
	free(s);
	return (NULL);
}

static int
ip_hs_op(void *arg, char *err)
{
	struct ip_stream	*s = arg;
	struct case_env		*env = s->env;
	struct ip_pair		 pp;

	if (ip_pair_establish(&env->ip, &pp, s->sess, err) != 0)
		return (-1);
	if (env->resume) {
		atomic_fetch_add(&env->in_sampled, 1);
		if (SSL_session_reused(pp.c))
			atomic_fetch_add(&env->in_resumed, 1);
		SSL_SESSION_free(s->sess);
		s->sess = SSL_get1_session(pp.c);
	}
	ip_pair_free(&pp);
	return (0);
}

static int
ip_bulk_op(void *arg, char *err)
{
	struct ip_stream	*s = arg;

	return (ip_transfer(&s->pp, s->env->data, s->env->size, s->sink, err));
}

static void
ip_teardown(void *arg)
{
	struct ip_stream	*s = arg;

	ip_pair_free(&s->pp);
	SSL_SESSION_free(s->sess);
	free(s->sink);
	free(s);
}

/* ---- daemon-mediated streams ---- */

struct md_stream_state {
	struct case_env		*env;
	struct md_stream	 ms;
	struct md_pair		 pp;
	long			 n;
};

static void *
md_setup(void *arg, int idx, char *err)
{
	struct case_env		*env = arg;
	struct md_stream_state	*s;
	char			 what[128];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		seterr(err, "out of memory");
		return (NULL);
	}
	s->env = env;
	if (md_stream_open(&s->ms, env->socket, env->p, err) != 0) {
		free(s);
		return (NULL);
	}
	/* A first handshake: checks what is negotiated, fills the cache. */
	if (md_pair_establish(&s->ms, &s->pp, env->resume, err) != 0 ||
	    md_check_negotiated(&s->pp, env->p, what, sizeof(what), NULL,
	    err) != 0)
		goto fail;
	if (idx == 0)
		snprintf(env->d_what, sizeof(env->d_what), "%s", what);
	if (env->size == 0)
		md_pair_free(&s->pp);
	return (s);
fail:
	md_pair_free(&s->pp);
	md_stream_close(&s->ms);
	free(s);
	return (NULL);
}

static int
md_hs_op(void *arg, char *err)
{
	struct md_stream_state	*s = arg;
	struct case_env		*env = s->env;
	struct md_pair		 pp;
	int			 resumed = 0, rc = 0;

	if (md_pair_establish(&s->ms, &pp, env->resume, err) != 0)
		return (-1);
	/* The resumed flag costs a round trip: ask on a sample. */
	if (env->resume && ++s->n % env->sample_every == 0) {
		rc = md_check_negotiated(&pp, env->p, NULL, 0, &resumed, err);
		atomic_fetch_add(&env->d_sampled, 1);
		if (resumed)
			atomic_fetch_add(&env->d_resumed, 1);
	}
	md_pair_free(&pp);
	return (rc);
}

static int
md_bulk_op(void *arg, char *err)
{
	struct md_stream_state	*s = arg;

	return (md_transfer(&s->pp, s->env->data, s->env->size, err));
}

static void
md_teardown(void *arg)
{
	struct md_stream_state	*s = arg;

	md_pair_free(&s->pp);
	md_stream_close(&s->ms);
	free(s);
}

/* ---- rate cases: handshakes and bulk ---- */

static long
smoke_ops(const struct bench_case *bc, int threads)
{
	long	total;

	if (bc->type == CASE_BULK)
		total = (1L << 20) / (long)bc->size;
	else
		total = 20;
	total = (total + threads - 1) / threads;
	return (total > 0 ? total : 1);
}

static void
rate_case(struct case_env *env, struct bench_result *r)
{
	const struct bench_opts	*o = env->o;
	const struct bench_case	*bc = env->bc;
	struct run_result	 res;
	struct runner		 run;
	double			 scale = bc->type == CASE_BULK ?
				    (double)bc->size / 1e6 : 1;
	int			 bulk = bc->type == CASE_BULK;
	double			 c0, c1, d0, d1;

	memset(&run, 0, sizeof(run));
	run.threads = o->threads;
	run.seconds = o->seconds;
	run.max_ops = o->smoke ? smoke_ops(bc, o->threads) : 0;
	run.arg = env;
	run.setup = ip_setup;
	run.op = bulk ? ip_bulk_op : ip_hs_op;
	run.teardown = ip_teardown;
	c0 = proc_cpu_sec(getpid());
	if (run_streams(&run, &res) != 0) {
		r->failed = 1;
		seterr(r->error, "in-process: %s", res.error);
		return;
	}
	c1 = proc_cpu_sec(getpid());
	r->in_rate = res.ops * scale / res.elapsed;
	r->in_ops = res.ops / res.elapsed;
	r->in_cores = res.elapsed < 1 ? -1 : (c1 - c0) / res.elapsed;
	run.setup = md_setup;
	run.op = bulk ? md_bulk_op : md_hs_op;
	run.teardown = md_teardown;
	c0 = proc_cpu_sec(getpid());
	d0 = proc_cpu_sec(env->daemon_pid);
	if (run_streams(&run, &res) != 0) {
		r->failed = 1;
		seterr(r->error, "daemon: %s", res.error);
		return;
	}
	c1 = proc_cpu_sec(getpid());
	d1 = proc_cpu_sec(env->daemon_pid);
	r->d_rate = res.ops * scale / res.elapsed;
	r->d_ops = res.ops / res.elapsed;
	r->d_cores = (d1 - d0) / res.elapsed;
	r->dc_cores = (c1 - c0) / res.elapsed;
	/* CPU times tick at 10 ms: meaningless over a smoke run. */
	if (res.elapsed < 1 || r->in_cores < 0)
		r->in_cores = r->d_cores = r->dc_cores = -1;
	if (env->resume)
		snprintf(r->note, sizeof(r->note), "%s; resumed: in-process "
		    "%ld/%ld, daemon %ld/%ld sampled (%.1f%%)", env->d_what,
		    atomic_load(&env->in_resumed),
		    atomic_load(&env->in_sampled),
		    atomic_load(&env->d_resumed), atomic_load(&env->d_sampled),
		    atomic_load(&env->d_sampled) > 0 ? 100.0 *
		    atomic_load(&env->d_resumed) /
		    atomic_load(&env->d_sampled) : 0.0);
	else
		snprintf(r->note, sizeof(r->note), "%s", env->d_what);
}

/* ---- latency of one small call ---- */

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static void
percentiles(double *v, long n, double p[3])
{
	static const double	q[3] = { 0.50, 0.99, 0.999 };
	long			i, k;

	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < 3; i++) {
		k = (long)ceil(q[i] * n) - 1;
		if (k < 0)
			k = 0;
		if (k >= n)
			k = n - 1;
		p[i] = n > 0 ? v[k] : 0;
	}
}

/*
 * Time back-to-back 64-byte encrypts on one established context, with
 * (load != NULL) threads doing RSA full handshakes beside it.
 */
static int
latency_side(struct case_env *env, int daemon, struct case_env *load,
    double p[3], long *np, double *load_rate, char *err)
{
	const struct bench_opts	*o = env->o;
	unsigned char		 msg[64];
	struct run_handle	*h = NULL;
	struct run_result	 lres;
	struct runner		 lrun;
	void			*s;
	double			*v, t0, end;
	long			 n = 0, max = o->smoke ? 200 : 2000000, i;
	int			 rc = -1;

	memset(msg, 'x', sizeof(msg));
	if ((v = malloc(max * sizeof(*v))) == NULL) {
		seterr(err, "out of memory");
		return (-1);
	}
	env->size = sizeof(msg);	/* keep the pair after setup */
	s = daemon ? md_setup(env, 0, err) : ip_setup(env, 0, err);
	if (s == NULL)
		goto out;
	if (load != NULL) {
		memset(&lrun, 0, sizeof(lrun));
		lrun.threads = o->threads;
		lrun.arg = load;
		lrun.setup = daemon ? md_setup : ip_setup;
		lrun.op = daemon ? md_hs_op : ip_hs_op;
		lrun.teardown = daemon ? md_teardown : ip_teardown;
		if ((h = run_start(&lrun, &lres)) == NULL) {
			seterr(err, "load: %s", lres.error);
			goto teardown;
		}
	}
	for (i = 0; i < 100; i++) {
		if ((daemon ? md_encrypt_small(&((struct md_stream_state *)
		    s)->pp, msg, sizeof(msg), err) : ip_encrypt_small(
		    &((struct ip_stream *)s)->pp, msg, sizeof(msg), err)) != 0)
			goto stop;
	}
	end = now_sec() + o->seconds;
	while (n < max && (o->smoke || now_sec() < end)) {
		t0 = now_sec();
		if ((daemon ? md_encrypt_small(&((struct md_stream_state *)
		    s)->pp, msg, sizeof(msg), err) : ip_encrypt_small(
		    &((struct ip_stream *)s)->pp, msg, sizeof(msg), err)) != 0)
			goto stop;
		v[n++] = (now_sec() - t0) * 1e6;
	}
	rc = 0;
stop:
	if (h != NULL) {
		run_stop(h);
		*load_rate = lres.elapsed > 0 ? lres.ops / lres.elapsed : 0;
		if (lres.failed && rc == 0) {
			seterr(err, "load: %s", lres.error);
			rc = -1;
		}
	}
teardown:
	if (daemon)
		md_teardown(s);
	else
		ip_teardown(s);
out:
	percentiles(v, n, p);
	*np = n;
	free(v);
	return (rc);
}

static void
latency_case(struct case_env *env, struct case_env *load,
    struct bench_result *r)
{
	char	err[BENCH_ERRLEN];

	if (latency_side(env, 0, load, r->in_p, &r->in_n, &r->in_load_rate,
	    err) != 0) {
		r->failed = 1;
		seterr(r->error, "in-process: %s", err);
		return;
	}
	if (latency_side(env, 1, load, r->d_p, &r->d_n, &r->load_rate,
	    err) != 0) {
		r->failed = 1;
		seterr(r->error, "daemon: %s", err);
		return;
	}
	if (load != NULL)
		snprintf(r->note, sizeof(r->note), "%s; %d threads of RSA "
		    "handshakes beside: in-process %.0f/s, daemon %.0f/s",
		    env->d_what, env->o->threads, r->in_load_rate,
		    r->load_rate);
	else
		snprintf(r->note, sizeof(r->note), "%s", env->d_what);
}

/* ---- scale: many idle established contexts ---- */

struct scale_state {
	struct case_env		*env;
	struct md_stream	*streams;	/* conns pairs of connections */
	struct md_pair		*dpairs;	/* contexts pairs */
	struct ip_pair		*ipairs;
	long			 conns;
	long			 contexts;
};

static int
scale_connect(void *arg, int t, int n, char *err)
{
	struct scale_state	*st = arg;
	long			 i;

	for (i = t; i < st->conns; i += n)
		if (md_stream_open(&st->streams[i], st->env->socket,
		    st->env->p, err) != 0)
			return (-1);
	return (0);
}

/* Context k lives on connection pair k % conns. */
static int
scale_establish(void *arg, int t, int n, char *err)
{
	struct scale_state	*st = arg;
	long			 c, k;

	for (c = t; c < st->conns; c += n)
		for (k = c; k < st->contexts; k += st->conns)
			if (md_pair_establish(&st->streams[c],
			    &st->dpairs[k], 0, err) != 0)
				return (-1);
	return (0);
}

static int
scale_inproc(void *arg, int t, int n, char *err)
{
	struct scale_state	*st = arg;
	long			 k;

	for (k = t; k < st->contexts; k += n)
		if (ip_pair_establish(&st->env->ip, &st->ipairs[k], NULL,
		    err) != 0)
			return (-1);
	return (0);
}

static void
scale_case(struct case_env *env, pid_t daemon, struct bench_result *r)
{
	const struct bench_opts	*o = env->o;
	struct scale_state	 st;
	long			 rss0, rss1, rss2, i;
	double			 t0, t1, t2, d0;
	char			 err[BENCH_ERRLEN];

	memset(&st, 0, sizeof(st));
	st.env = env;
	st.conns = o->scale_conns;
	st.contexts = o->scale_contexts;
	r->contexts = 2 * st.contexts;		/* both ends in the daemon */
	r->conns = 2 * st.conns;
	r->goal_kib = 24;
	if ((st.streams = calloc(st.conns, sizeof(*st.streams))) == NULL ||
	    (st.dpairs = calloc(st.contexts, sizeof(*st.dpairs))) == NULL ||
	    (st.ipairs = calloc(st.contexts, sizeof(*st.ipairs))) == NULL) {
		r->failed = 1;
		seterr(r->error, "out of memory");
		goto out;
	}
	/* In-process: the same pairs in this process. */
	rss0 = proc_rss_kib(getpid());
	t0 = now_sec();
	if (run_parallel(o->threads, scale_inproc, &st, err) != 0) {
		r->failed = 1;
		seterr(r->error, "in-process: %s", err);
		goto out;
	}
	r->in_establish_secs = now_sec() - t0;
	rss1 = proc_rss_kib(getpid());
	if (ip_check_negotiated(&st.ipairs[0], env->p, env->in_what,
	    sizeof(env->in_what), err) != 0) {
		r->failed = 1;
		seterr(r->error, "%s", err);
		goto out;
	}
	r->in_kib_per_ssl = (double)(rss1 - rss0) / (2.0 * st.contexts);
	for (i = 0; i < st.contexts; i++)
		ip_pair_free(&st.ipairs[i]);

	rss0 = r->d_rss_before = proc_rss_kib(daemon);
	t0 = now_sec();
	if (run_parallel(o->threads, scale_connect, &st, err) != 0) {
		r->failed = 1;
		seterr(r->error, "daemon connections: %s", err);
		goto out;
	}
	t1 = now_sec();
	rss1 = r->d_rss_conns = proc_rss_kib(daemon);
	d0 = proc_cpu_sec(daemon);
	if (run_parallel(o->threads, scale_establish, &st, err) != 0) {
		r->failed = 1;
		seterr(r->error, "daemon contexts: %s", err);
		goto out;
	}
	t2 = now_sec();
	rss2 = r->d_rss_after = proc_rss_kib(daemon);
	r->d_cores = t2 - t1 < 1 ? -1 : (proc_cpu_sec(daemon) - d0) / (t2 - t1);
	if (md_check_negotiated(&st.dpairs[0], env->p, env->d_what,
	    sizeof(env->d_what), NULL, err) != 0) {
		r->failed = 1;
		seterr(r->error, "%s", err);
		goto out;
	}
	r->d_fds = proc_fd_count(daemon);
	r->d_conn_secs = t1 - t0;
	r->d_establish_secs = t2 - t1;
	r->d_kib_per_conn = (double)(rss1 - rss0) / r->conns;
	r->d_kib_per_ctx = (double)(rss2 - rss1) / r->contexts;
	r->in_rate = st.contexts / r->in_establish_secs;
	r->d_rate = st.contexts / r->d_establish_secs;
	snprintf(r->note, sizeof(r->note), "%s; %ld pairs, both ends in the "
	    "daemon: %ld contexts on %ld connections", env->d_what,
	    st.contexts, r->contexts, r->conns);
	if (r->d_cores >= 0)
		snprintf(r->note + strlen(r->note), sizeof(r->note) -
		    strlen(r->note), "; secctxd busy %.2f cores while "
		    "establishing", r->d_cores);
out:
	/* Closing the connections frees their contexts in the daemon. */
	for (i = 0; st.streams != NULL && i < st.conns; i++) {
		if (st.streams[i].cconn != NULL)
			secctx_disconnect(st.streams[i].cconn);
		if (st.streams[i].sconn != NULL)
			secctx_disconnect(st.streams[i].sconn);
		st.streams[i].cconn = st.streams[i].sconn = NULL;
	}
	for (i = 0; st.dpairs != NULL && i < st.contexts; i++)
		md_pair_free(&st.dpairs[i]);
	for (i = 0; st.streams != NULL && i < st.conns; i++)
		md_stream_close(&st.streams[i]);
	free(st.streams);
	free(st.dpairs);
	free(st.ipairs);
}

/* ---- one case ---- */

static const struct tls_profile rsa_load = {
	TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", "X25519", "X25519", 1, 0
};

static int
env_init(struct case_env *env, const struct bench_case *bc,
    const struct tls_profile *p, const struct bench_opts *o,
    const struct pki *pki, const char *socket, char *err)
{
	memset(env, 0, sizeof(*env));
	env->bc = bc;
	env->p = p;
	env->o = o;
	env->socket = socket;
	env->resume = bc->type == CASE_RESUME;
	env->sample_every = o->smoke ? 1 : 16;
	atomic_init(&env->in_sampled, 0);
	atomic_init(&env->in_resumed, 0);
	atomic_init(&env->d_sampled, 0);
	atomic_init(&env->d_resumed, 0);
	return (ip_env_init(&env->ip, p, pki, err));
}

void
case_run(const struct bench_case *bc, const struct bench_opts *o,
    const struct pki *pki, const char *dir, struct bench_result *r)
{
	struct case_env	 env, load;
	struct daemon	 d;
	unsigned char	*data = NULL;
	char		 err[BENCH_ERRLEN];
	int		 have_load = 0;

	memset(r, 0, sizeof(*r));
	r->id = bc->id;
	r->title = bc->title;
	r->goal_ratio = bc->goal;
	switch (bc->type) {
	case CASE_LAT_IDLE:
	case CASE_LAT_LOAD:
		r->kind = KIND_LATENCY;
		r->unit = "us";
		r->goal_p99_us = bc->goal;
		r->goal_ratio = 0;
		break;
	case CASE_SCALE:
		r->kind = KIND_SCALE;
		r->unit = "KiB/context";
		r->goal_ratio = 0;
		break;
	case CASE_BULK:
		r->kind = KIND_RATE;
		r->unit = "MB/s";
		break;
	default:
		r->kind = KIND_RATE;
		r->unit = "handshakes/s";
		break;
	}
	if (daemon_start(&d, o->daemon, dir, pki, &bc->profile, err) != 0) {
		r->failed = 1;
		seterr(r->error, "%s", err);
		return;
	}
	if (env_init(&env, bc, &bc->profile, o, pki, d.socket, err) != 0) {
		r->failed = 1;
		seterr(r->error, "%s", err);
		goto out;
	}
	env.daemon_pid = d.pid;
	switch (bc->type) {
	case CASE_FULL:
	case CASE_RESUME:
		rate_case(&env, r);
		break;
	case CASE_BULK:
		if ((data = malloc(bc->size)) == NULL ||
		    RAND_bytes(data, bc->size) != 1) {
			r->failed = 1;
			seterr(r->error, "no random data");
			break;
		}
		env.data = data;
		env.size = bc->size;
		rate_case(&env, r);
		break;
	case CASE_LAT_IDLE:
		latency_case(&env, NULL, r);
		break;
	case CASE_LAT_LOAD:
		if (env_init(&load, bc, &rsa_load, o, pki, d.socket,
		    err) != 0) {
			r->failed = 1;
			seterr(r->error, "%s", err);
			break;
		}
		load.daemon_pid = d.pid;
		have_load = 1;
		latency_case(&env, &load, r);
		break;
	case CASE_SCALE:
		scale_case(&env, d.pid, r);
		break;
	}
	if (r->failed)
		daemon_log_tail(&d, 5);
	ip_env_free(&env.ip);
	if (have_load)
		ip_env_free(&load.ip);
out:
	free(data);
	daemon_stop(&d);
}
