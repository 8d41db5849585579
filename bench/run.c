/*
 * Streams: one thread each, set up, released together, running one
 * operation in a loop until the time is up or a count is reached.
 */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "bench.h"

struct run_thread {
	struct run_handle	*h;
	pthread_t		 tid;
	int			 idx;
	long			 ops;
	double			 begin;		/* when its loop began */
	double			 end;		/* when its loop ended */
	int			 failed;
	char			 error[BENCH_ERRLEN];
};

struct run_handle {
	const struct runner	*r;
	struct run_result	*res;
	struct run_thread	 t[BENCH_MAX_THREADS];
	pthread_barrier_t	 ready;
	atomic_int		 stop;
	double			 start;
};

double
now_sec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

void
seterr(char *err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, BENCH_ERRLEN, fmt, ap);
	va_end(ap);
}

/* OpenSSL's last error, for messages; clears the queue. */
const char *
ssl_errstr(void)
{
	static _Thread_local char	buf[160];
	unsigned long			e = ERR_peek_last_error();

	if (e == 0)
		return ("no OpenSSL error");
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return (buf);
}

static void *
run_thread(void *arg)
{
	struct run_thread	*t = arg;
	struct run_handle	*h = t->h;
	const struct runner	*r = h->r;
	void			*stream;

	stream = r->setup(r->arg, t->idx, t->error);
	if (stream == NULL) {
		t->failed = 1;
		atomic_store(&h->stop, 1);
	}
	pthread_barrier_wait(&h->ready);
	if (stream == NULL)
		return (NULL);
	t->begin = now_sec();
	while (!atomic_load_explicit(&h->stop, memory_order_relaxed) &&
	    (r->max_ops == 0 || t->ops < r->max_ops)) {
		if (r->op(stream, t->error) != 0) {
			t->failed = 1;
			atomic_store(&h->stop, 1);
			break;
		}
		t->ops++;
	}
	t->end = now_sec();
	r->teardown(stream);
	return (NULL);
}

struct run_handle *
run_start(const struct runner *r, struct run_result *res)
{
	struct run_handle	*h;
	int			 i, n = r->threads;

	memset(res, 0, sizeof(*res));
	if (n < 1 || n > BENCH_MAX_THREADS || (h = calloc(1,
	    sizeof(*h))) == NULL) {
		res->failed = 1;
		seterr(res->error, "cannot run %d threads", n);
		return (NULL);
	}
	h->r = r;
	h->res = res;
	atomic_init(&h->stop, 0);
	pthread_barrier_init(&h->ready, NULL, n + 1);
	for (i = 0; i < n; i++) {
		h->t[i].h = h;
		h->t[i].idx = i;
		if (pthread_create(&h->t[i].tid, NULL, run_thread,
		    &h->t[i]) != 0) {
			fprintf(stderr, "secctx-bench: pthread_create: %s\n",
			    strerror(errno));
			exit(1);
		}
	}
	pthread_barrier_wait(&h->ready);
	h->start = now_sec();
	return (h);
}

/* Join the threads; the elapsed time ends when the last loop ended. */
static void
run_collect(struct run_handle *h)
{
	struct run_result	*res = h->res;
	double			 begin = h->start, end = h->start;
	int			 i;

	for (i = 0; i < h->r->threads; i++)
		pthread_join(h->t[i].tid, NULL);
	for (i = 0; i < h->r->threads; i++) {
		res->ops += h->t[i].ops;
		if (h->t[i].begin > 0 && h->t[i].begin < begin)
			begin = h->t[i].begin;
		if (h->t[i].end > end)
			end = h->t[i].end;
		if (h->t[i].failed && !res->failed) {
			res->failed = 1;
			memcpy(res->error, h->t[i].error, BENCH_ERRLEN);
		}
	}
	res->elapsed = end - begin;
	pthread_barrier_destroy(&h->ready);
	free(h);
}

void
run_stop(struct run_handle *h)
{
	atomic_store(&h->stop, 1);
	run_collect(h);
}

/* Run to completion: for r->seconds, or until every thread did max_ops. */
int
run_streams(const struct runner *r, struct run_result *res)
{
	struct run_handle	*h;
	struct timespec		 ts = { 0, 5 * 1000 * 1000 };
	double			 end;

	if ((h = run_start(r, res)) == NULL)
		return (-1);
	if (r->max_ops > 0) {
		run_collect(h);
		return (res->failed ? -1 : 0);
	}
	end = h->start + r->seconds;
	while (now_sec() < end && !atomic_load(&h->stop))
		nanosleep(&ts, NULL);
	run_stop(h);
	return (res->failed ? -1 : 0);
}

struct par_thread {
	pthread_t	 tid;
	int		 t;
	int		 n;
	int		 rc;
	void		*arg;
	int		(*fn)(void *, int, int, char *);
	char		 error[BENCH_ERRLEN];
};

static void *
par_thread(void *arg)
{
	struct par_thread	*p = arg;

	p->rc = p->fn(p->arg, p->t, p->n, p->error);
	return (NULL);
}

/* fn(arg, t, n) in n threads at once; the first error is returned. */
int
run_parallel(int n, int (*fn)(void *, int, int, char *), void *arg,
    char *err)
{
	struct par_thread	p[BENCH_MAX_THREADS];
	int			i, rc = 0;

	memset(p, 0, sizeof(p));
	for (i = 0; i < n; i++) {
		p[i].t = i;
		p[i].n = n;
		p[i].arg = arg;
		p[i].fn = fn;
		if (pthread_create(&p[i].tid, NULL, par_thread, &p[i]) != 0) {
			fprintf(stderr, "secctx-bench: pthread_create: %s\n",
			    strerror(errno));
			exit(1);
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(p[i].tid, NULL);
		if (p[i].rc != 0 && rc == 0) {
			rc = -1;
			memcpy(err, p[i].error, BENCH_ERRLEN);
		}
	}
	return (rc);
}
