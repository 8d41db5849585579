/*
 * Rate cases: handshakes or bulk transfers per second, streams on each
 * side in turn (in-process, then mediated in each records mode the case
 * runs in), with the CPU each side used.
 */

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"

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

/* The mediated side of a rate case in env->mode. */
static int
md_rate(struct case_env *env, struct runner *run, double scale,
    struct md_result *d, char *err)
{
	struct run_result	res;
	double			c0, c1, d0, d1;

	if (env->size > 0 && case_check_mode(env, err) != 0)
		return (-1);
	run->setup = md_setup;
	run->op = env->size > 0 ? md_bulk_op : md_hs_op;
	run->teardown = md_teardown;
	c0 = proc_cpu_sec(getpid());
	d0 = proc_cpu_sec(env->daemon_pid);
	if (run_streams(run, &res) != 0) {
		seterr(err, "%s", res.error);
		return (-1);
	}
	c1 = proc_cpu_sec(getpid());
	d1 = proc_cpu_sec(env->daemon_pid);
	d->rate = res.ops * scale / res.elapsed;
	d->ops = res.ops / res.elapsed;
	d->cores = (d1 - d0) / res.elapsed;
	d->client_cores = (c1 - c0) / res.elapsed;
	/* CPU times tick at 10 ms: meaningless over a smoke run. */
	if (res.elapsed < 1)
		d->cores = d->client_cores = -1;
	return (0);
}

void
rate_case(struct case_env *env, struct bench_result *r)
{
	const struct bench_opts	*o = env->o;
	const struct bench_case	*bc = env->bc;
	struct run_result	 res;
	struct runner		 run;
	double			 scale = bc->type == CASE_BULK ?
				    (double)bc->size / 1e6 : 1;
	double			 c0, c1;
	char			 err[BENCH_ERRLEN];
	int			 m;

	memset(&run, 0, sizeof(run));
	run.threads = o->threads;
	run.seconds = o->seconds;
	run.max_ops = o->smoke ? smoke_ops(bc, o->threads) : 0;
	run.arg = env;
	run.setup = ip_setup;
	run.op = bc->type == CASE_BULK ? ip_bulk_op : ip_hs_op;
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
	for (m = 0; m < r->nmodes; m++) {
		env->mode = m;
		if (md_rate(env, &run, scale, &r->d[m], err) != 0) {
			r->failed = 1;
			seterr(r->error, "mediated(%s): %s", mode_name(m), err);
			return;
		}
	}
	if (env->resume)
		snprintf(r->note, sizeof(r->note), "%s; resumed: in-process "
		    "%ld/%ld, mediated %ld/%ld sampled (%.1f%%)", env->d_what,
		    atomic_load(&env->in_resumed),
		    atomic_load(&env->in_sampled),
		    atomic_load(&env->d_resumed), atomic_load(&env->d_sampled),
		    atomic_load(&env->d_sampled) > 0 ? 100.0 *
		    atomic_load(&env->d_resumed) /
		    atomic_load(&env->d_sampled) : 0.0);
	else
		snprintf(r->note, sizeof(r->note), "%s", env->d_what);
}
