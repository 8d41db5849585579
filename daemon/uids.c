/*
 * What each uid holds: its connections, contexts and buffered bytes, for
 * the per-uid limits (limits.c, conn.c, server.c).  One record per uid
 * with a connection, found by hashing the uid; it lives while the uid has
 * a connection.  The connection count changes under uids_lock (the
 * listener admits, every loop releases); contexts and bytes are atomic,
 * changed by the loop and pool thread that own them.
 */

#include <pthread.h>
#include <stdlib.h>

#include "secctxd.h"

#define UIDS_BITS	10

struct uid_acct {
	uid_t			 uid;
	size_t			 conns;		/* under uids_lock */
	size_t			 contexts;	/* __atomic */
	size_t			 buffered;	/* __atomic */
	struct uid_acct		*next;		/* in its bucket */
};

static pthread_mutex_t	 uids_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uid_acct	*uids_table[1 << UIDS_BITS];

/* A bucket of 2^bits for uid: consecutive uids spread over them. */
unsigned
uids_hash(uid_t uid, unsigned bits)
{
	return (((uint32_t)uid * 2654435769u) >> (32 - bits));
}

static struct uid_acct **
uids_bucket(uid_t uid)
{
	return (&uids_table[uids_hash(uid, UIDS_BITS)]);
}

/*
 * Count a new connection of uid, unless it has max already: then NULL,
 * with *held its count (or 0 when out of memory).
 */
struct uid_acct *
uids_connect(uid_t uid, size_t max, size_t *held)
{
	struct uid_acct	**bp = uids_bucket(uid), *a;

	pthread_mutex_lock(&uids_lock);
	for (a = *bp; a != NULL && a->uid != uid; a = a->next)
		;
	if (a == NULL && (a = calloc(1, sizeof(*a))) != NULL) {
		a->uid = uid;
		a->next = *bp;
		*bp = a;
	}
	*held = a != NULL ? a->conns : 0;
	if (a != NULL && a->conns >= max)
		a = NULL;
	else if (a != NULL)
		a->conns++;
	pthread_mutex_unlock(&uids_lock);
	return (a);
}

/* The connection closed: the record goes with the uid's last one. */
void
uids_disconnect(struct uid_acct *a)
{
	struct uid_acct	**bp;

	pthread_mutex_lock(&uids_lock);
	if (--a->conns == 0) {
		for (bp = uids_bucket(a->uid); *bp != a; bp = &(*bp)->next)
			;
		*bp = a->next;
		free(a);
	}
	pthread_mutex_unlock(&uids_lock);
}

/* Add delta (which may be negative) to the uid's contexts; the new count. */
size_t
uids_contexts_add(struct uid_acct *a, long delta)
{
	return (__atomic_add_fetch(&a->contexts, (size_t)delta,
	    __ATOMIC_RELAXED));
}

size_t
uids_buffered_add(struct uid_acct *a, long delta)
{
	return (__atomic_add_fetch(&a->buffered, (size_t)delta,
	    __ATOMIC_RELAXED));
}

size_t
uids_buffered(const struct uid_acct *a)
{
	return (__atomic_load_n(&a->buffered, __ATOMIC_RELAXED));
}
