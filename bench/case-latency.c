/*
 * Latency of one small call: back-to-back encrypt(64 B) on an established
 * context, idle or with RSA handshakes beside it, p50/p99/p99.9.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

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

void
latency_case(struct case_env *env, struct case_env *load,
    struct bench_result *r)
{
	struct md_result	*d;
	char			 err[BENCH_ERRLEN];
	size_t			 off;
	int			 m;

	if (latency_side(env, 0, load, r->in_p, &r->in_n, &r->in_load_rate,
	    err) != 0) {
		r->failed = 1;
		seterr(r->error, "in-process: %s", err);
		return;
	}
	for (m = 0; m < r->nmodes; m++) {
		d = &r->d[m];
		env->mode = m;
		if (load != NULL)
			load->mode = m;
		if (case_check_mode(env, err) != 0 || latency_side(env, 1, load,
		    d->p, &d->n, &d->load_rate, err) != 0) {
			r->failed = 1;
			seterr(r->error, "mediated(%s): %s", mode_name(m), err);
			return;
		}
	}
	snprintf(r->note, sizeof(r->note), "%s", env->d_what);
	if (load == NULL)
		return;
	off = strlen(r->note);
	off += snprintf(r->note + off, sizeof(r->note) - off, "; %d threads "
	    "of RSA handshakes beside: in-process %.0f/s", env->o->threads,
	    r->in_load_rate);
	for (m = 0; m < r->nmodes && off < sizeof(r->note); m++)
		off += snprintf(r->note + off, sizeof(r->note) - off,
		    ", mediated(%s) %.0f/s", mode_name(m), r->d[m].load_rate);
}
