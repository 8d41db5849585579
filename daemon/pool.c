/*
 * The handshake pool: threads that run the slow steps (handshakes, with
 * their private key operations) away from the event loops, so that one
 * client's RSA signature never delays another client's small call.  A job
 * runs on a pool thread (holding the configuration read lock) and is then
 * posted back to the loop of its connection, which finishes it.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "secctxd.h"

static pthread_mutex_t		 pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 pool_cond = PTHREAD_COND_INITIALIZER;
static TAILQ_HEAD(, job)	 pool_jobs = TAILQ_HEAD_INITIALIZER(pool_jobs);
static pthread_t		*pool_threads;
static size_t			 pool_nthreads;
static int			 pool_stopping;
static uint64_t			 pool_nsteps;	/* jobs submitted, for stats */

static void *
pool_main(void *arg)
{
	struct job	*j;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pool_lock);
		while ((j = TAILQ_FIRST(&pool_jobs)) == NULL && !pool_stopping)
			pthread_cond_wait(&pool_cond, &pool_lock);
		if (j != NULL)
			TAILQ_REMOVE(&pool_jobs, j, entry);
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

void
pool_submit(struct job *j)
{
	pthread_mutex_lock(&pool_lock);
	pool_nsteps++;
	TAILQ_INSERT_TAIL(&pool_jobs, j, entry);
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_lock);
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
