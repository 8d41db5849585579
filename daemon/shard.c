/*
 * The event loops that serve connections: one thread and one event base
 * each.  The listener (on the main loop) gives every accepted connection
 * to one loop, in turn, and that loop alone reads, dispatches and writes
 * for it.  A loop also receives the jobs the handshake pool finished for
 * its connections (pool.c).
 *
 * Every callback a loop runs holds the configuration read lock
 * (config_rdlock), so a reload never changes credentials under it.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secctxd.h"

/* A connection on its way from the listener to its loop. */
struct shard_new {
	TAILQ_ENTRY(shard_new)	 entry;
	int			 fd;
	struct peer		 peer;
};

struct shard {
	pthread_t			 thread;
	struct event_base		*base;
	pthread_mutex_t			 lock;		/* the two queues */
	TAILQ_HEAD(, shard_new)		 incoming;
	TAILQ_HEAD(, job)		 finished;
	struct event			*wake;
	int				 started;
};

static struct shard	*shards;
static size_t		 nshards, next_shard;

/* Take the new connections and the finished jobs, in that order. */
static void
shard_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct shard	*s = arg;
	struct shard_new *n;
	struct job	*j;

	(void)fd;
	(void)what;
	config_rdlock();
	for (;;) {
		pthread_mutex_lock(&s->lock);
		if ((n = TAILQ_FIRST(&s->incoming)) != NULL)
			TAILQ_REMOVE(&s->incoming, n, entry);
		pthread_mutex_unlock(&s->lock);
		if (n == NULL)
			break;
		conn_accept(s, n->fd, &n->peer);
		free(n);
	}
	for (;;) {
		pthread_mutex_lock(&s->lock);
		if ((j = TAILQ_FIRST(&s->finished)) != NULL)
			TAILQ_REMOVE(&s->finished, j, entry);
		pthread_mutex_unlock(&s->lock);
		if (j == NULL)
			break;
		j->done(j);
	}
	config_unlock();
}

static void *
shard_main(void *arg)
{
	struct shard	*s = arg;

	event_base_loop(s->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return (NULL);
}

int
shards_start(size_t n, struct sc_err *err)
{
	struct shard	*s;
	size_t		 i;

	if ((shards = calloc(n, sizeof(*shards))) == NULL) {
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		return (-1);
	}
	nshards = n;
	for (i = 0; i < n; i++) {
		s = &shards[i];
		pthread_mutex_init(&s->lock, NULL);
		TAILQ_INIT(&s->incoming);
		TAILQ_INIT(&s->finished);
		if ((s->base = event_base_new()) == NULL ||
		    (s->wake = event_new(s->base, -1, 0, shard_wake_cb,
		    s)) == NULL) {
			sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
			    "cannot create event loop %zu", i);
			return (-1);
		}
		if ((errno = pthread_create(&s->thread, NULL, shard_main,
		    s)) != 0) {
			sc_seterr(err, SEC_E_INTERNAL_ERROR, "cannot start "
			    "event loop %zu: %s", i, strerror(errno));
			return (-1);
		}
		s->started = 1;
	}
	return (0);
}

struct event_base *
shard_base(struct shard *s)
{
	return (s->base);
}

/* From the listener: the next loop in turn takes the connection. */
void
shards_assign(int fd, const struct peer *peer)
{
	struct shard_new	*n;
	struct shard		*s = &shards[next_shard++ % nshards];

	if ((n = malloc(sizeof(*n))) == NULL) {
		log_err("connection from pid %ld: out of memory",
		    (long)peer->pid);
		close(fd);
		uids_disconnect(peer->acct);
		free(peer->groups);
		free(peer->exe);
		return;
	}
	n->fd = fd;
	n->peer = *peer;
	pthread_mutex_lock(&s->lock);
	TAILQ_INSERT_TAIL(&s->incoming, n, entry);
	pthread_mutex_unlock(&s->lock);
	event_active(s->wake, 0, 0);
}

/* From a pool thread: the job is done; its loop finishes it. */
void
shard_post(struct shard *s, struct job *j)
{
	pthread_mutex_lock(&s->lock);
	TAILQ_INSERT_TAIL(&s->finished, j, entry);
	pthread_mutex_unlock(&s->lock);
	event_active(s->wake, 0, 0);
}

/* Stop every loop and wait for it: no new job is submitted after this. */
void
shards_halt(void)
{
	struct shard	*s;
	size_t		 i;

	for (i = 0; i < nshards; i++) {
		s = &shards[i];
		if (s->started) {
			event_base_loopbreak(s->base);
			pthread_join(s->thread, NULL);
			s->started = 0;
		}
	}
}

/*
 * After the pool stopped: finish the jobs posted to the loops (with no
 * pool, what they start runs here), then free every connection.
 */
void
shards_free(void)
{
	struct shard	*s;
	size_t		 i;

	for (i = 0; i < nshards; i++)
		shard_wake_cb(-1, 0, &shards[i]);
	conn_close_all();
	for (i = 0; i < nshards; i++) {
		s = &shards[i];
		if (s->wake != NULL)
			event_free(s->wake);
		if (s->base != NULL)
			event_base_free(s->base);
		pthread_mutex_destroy(&s->lock);
	}
	free(shards);
	shards = NULL;
	nshards = 0;
}
