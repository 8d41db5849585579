/*
 * Scale: many idle established contexts, the daemon's memory and
 * descriptors for them against the same pairs in this process.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"

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
		    st->env->p, st->env->mode, err) != 0)
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

void
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
	r->d[MODE_PROCESS].cores = t2 - t1 < 1 ? -1 :
	    (proc_cpu_sec(daemon) - d0) / (t2 - t1);
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
	r->d[MODE_PROCESS].rate = st.contexts / r->d_establish_secs;
	snprintf(r->note, sizeof(r->note), "%s; %ld pairs, both ends in the "
	    "daemon: %ld contexts on %ld connections", env->d_what,
	    st.contexts, r->contexts, r->conns);
	if (r->d[MODE_PROCESS].cores >= 0)
		snprintf(r->note + strlen(r->note), sizeof(r->note) -
		    strlen(r->note), "; secctxd busy %.2f cores while "
		    "establishing", r->d[MODE_PROCESS].cores);
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
