/*
 * The handshake pool: threads that run the slow steps (handshakes, with
 * their private key operations) away from the event loops, so that one
 * client's RSA signature never delays another client's small call.  A job
 * runs on a pool thread (holding the configuration read lock) and is then
 * posted back to the loop of its connection, which finishes it.
 *
 * The uids take turns: each uid with work waiting has a queue, the queues
 * form a ring, and a free thread takes the first job of the next queue in
 * the ring.  A uid that floods the pool waits behind its own jobs; any
 * other uid's job waits for at most one job of each uid ahead of it.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "secctxd.h"

#define POOL_BITS	8

/* The jobs of one uid waiting for a thread. */
struct pool_queue {
	uid_t			 uid;
	TAILQ_HEAD(, job)	 jobs;
	TAILQ_ENTRY(pool_queue)	 ring;
	struct pool_queue	*next;		/* in its bucket */
};

static pthread_mutex_t		 pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 pool_cond = PTHREAD_COND_INITIALIZER;
static TAILQ_HEAD(, pool_queue)	 pool_ring = TAILQ_HEAD_INITIALIZER(pool_ring);
static struct pool_queue	*pool_buckets[1 << POOL_BITS];
static pthread_t		*pool_threads;
static size_t			 pool_nthreads;
static int			 pool_stopping;
static uint64_t			 pool_nsteps;	/* jobs submitted, for stats */

static struct pool_queue **
pool_bucket(uid_t uid)
{
	return (&pool_buckets[uids_hash(uid, POOL_BITS)]);
}

/* The next job in turn, with pool_lock held; NULL when none waits. */
static struct job *
pool_next(void)
{
	struct pool_queue	*q, **qp;
	struct job		*j;

	if ((q = TAILQ_FIRST(&pool_ring)) == NULL)
		return (NULL);
	j = TAILQ_FIRST(&q->jobs);
	TAILQ_REMOVE(&q->jobs, j, entry);
	TAILQ_REMOVE(&pool_ring, q, ring);
	if (!TAILQ_EMPTY(&q->jobs)) {
		TAILQ_INSERT_TAIL(&pool_ring, q, ring);
		return (j);
	}
	for (qp = pool_bucket(q->uid); *qp != q; qp = &(*qp)->next)
		;
	*qp = q->next;
	free(q);
	return (j);
}

static void *
pool_main(void *arg)
{
	struct job	*j;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pool_lock);
		while ((j = pool_next()) == NULL && !pool_stopping)
			pthread_cond_wait(&pool_cond, &pool_lock);
		pthread_mutex_unlock(&pool_lock);
		if (j == NULL)
			return (NULL);
		config_rdlock();
		j->run(j);
		config_unlock();
		shard_post(j->shard, j);
	}
}

int
pool_start(size_t n, struct sc_err *err)
{
	if (n == 0)
		return (0);
	if ((pool_threads = calloc(n, sizeof(*pool_threads))) == NULL) {
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		return (-1);
	}
	for (pool_nthreads = 0; pool_nthreads < n; pool_nthreads++) {
		if ((errno = pthread_create(&pool_threads[pool_nthreads], NULL,
		    pool_main, NULL)) != 0) {
			sc_seterr(err, SEC_E_INTERNAL_ERROR, "cannot start "
			    "handshake thread: %s", strerror(errno));
			return (-1);
		}
	}
	return (0);
}

int
pool_enabled(void)
{
	return (pool_nthreads > 0);
}

/* Queue j behind the other jobs of its uid; -1 out of memory. */
int
pool_submit(struct job *j)
{
	struct pool_queue	**bp = pool_bucket(j->uid), *q;

	pthread_mutex_lock(&pool_lock);
	for (q = *bp; q != NULL && q->uid != j->uid; q = q->next)
		;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL) {
			pthread_mutex_unlock(&pool_lock);
			return (-1);
		}
		q->uid = j->uid;
		TAILQ_INIT(&q->jobs);
		q->next = *bp;
		*bp = q;
		TAILQ_INSERT_TAIL(&pool_ring, q, ring);
	}
	pool_nsteps++;
	TAILQ_INSERT_TAIL(&q->jobs, j, entry);
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	return (0);
}

uint64_t
pool_steps(void)
{
	uint64_t	n;

	pthread_mutex_lock(&pool_lock);
	n = pool_nsteps;
	pthread_mutex_unlock(&pool_lock);
	return (n);
}

/* Run what is queued, then stop every thread. */
void
pool_stop(void)
{
	size_t	i;

	pthread_mutex_lock(&pool_lock);
	pool_stopping = 1;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
	for (i = 0; i < pool_nthreads; i++)
		pthread_join(pool_threads[i], NULL);
	free(pool_threads);
	pool_threads = NULL;
	pool_nthreads = 0;
}
