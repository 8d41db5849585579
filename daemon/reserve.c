/*
 * The allocator of jansson and libevent in the daemon: malloc, with a
 * small reserve of blocks for when malloc fails.
 *
 * jansson 2.14 ignores some allocation failures and goes on with broken
 * state (found by tests/fault/test_failmalloc.c): its lexer ignores a
 * failure to grow its token buffer (lex_save() drops the byte) and then
 * decodes the string token up to a closing quote that may be the byte it
 * dropped, writing past the end of the copy it allocated: a heap overflow
 * while a request header is parsed.  libevent's allocations (events, the
 * output evbuffers) take the same path, so that neither library sees a
 * failure the reserve can cover.  The reserve's
 * blocks come from malloc at start (so free() releases them wherever they
 * end up); a block handed out is replaced at the next allocation that
 * succeeds.  Under lasting memory exhaustion the reserve runs out and
 * jansson's own handling applies again.
 */

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "secctxd.h"

#define RESERVE_CLASSES	14	/* 16 bytes to 128 KiB, powers of two */
#define RESERVE_EACH	2

static void		*reserve[RESERVE_CLASSES][RESERVE_EACH];
static int		 reserve_short;		/* blocks handed out (atomic) */
static pthread_mutex_t	 reserve_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t
class_size(int c)
{
	return ((size_t)16 << c);
}

/* Replace the blocks handed out; called with the lock held. */
static void
reserve_fill(void)
{
	int	c, i;

	for (c = 0; c < RESERVE_CLASSES; c++) {
		for (i = 0; i < RESERVE_EACH; i++) {
			if (reserve[c][i] == NULL &&
			    (reserve[c][i] = malloc(class_size(c))) != NULL)
				__atomic_sub_fetch(&reserve_short, 1,
				    __ATOMIC_RELAXED);
		}
	}
}

static void
reserve_refill(void)
{
	if (__atomic_load_n(&reserve_short, __ATOMIC_RELAXED) > 0) {
		pthread_mutex_lock(&reserve_lock);
		reserve_fill();
		pthread_mutex_unlock(&reserve_lock);
	}
}

/* A block of at least n bytes from the reserve, or NULL. */
static void *
reserve_take(size_t n)
{
	void	*p = NULL;
	int	 c, i;

	pthread_mutex_lock(&reserve_lock);
	for (c = 0; c < RESERVE_CLASSES && p == NULL; c++) {
		if (class_size(c) < n)
			continue;
		for (i = 0; i < RESERVE_EACH && p == NULL; i++) {
			if ((p = reserve[c][i]) != NULL) {
				reserve[c][i] = NULL;
				__atomic_add_fetch(&reserve_short, 1,
				    __ATOMIC_RELAXED);
			}
		}
	}
	pthread_mutex_unlock(&reserve_lock);
	return (p);
}

static void *
reserve_malloc(size_t n)
{
	void	*p;

	if ((p = malloc(n)) != NULL) {
		reserve_refill();
		return (p);
	}
	return (reserve_take(n));
}

static void *
reserve_realloc(void *old, size_t n)
{
	void	*p;
	size_t	 have;

	if (old == NULL)
		return (reserve_malloc(n));
	if ((p = realloc(old, n)) != NULL || n == 0) {
		reserve_refill();
		return (p);
	}
	if ((p = reserve_take(n)) != NULL) {
		have = malloc_usable_size(old);
		memcpy(p, old, have < n ? have : n);
		free(old);
	}
	return (p);
}

/* Before any other use of jansson or libevent. */
void
reserve_init(void)
{
	pthread_mutex_lock(&reserve_lock);
	__atomic_store_n(&reserve_short, RESERVE_CLASSES * RESERVE_EACH,
	    __ATOMIC_RELAXED);
	reserve_fill();
	pthread_mutex_unlock(&reserve_lock);
	json_set_alloc_funcs(reserve_malloc, free);
	event_set_mem_functions(reserve_malloc, reserve_realloc, free);
}

void
reserve_cleanup(void)
{
	int	c, i;

	pthread_mutex_lock(&reserve_lock);
	for (c = 0; c < RESERVE_CLASSES; c++) {
		for (i = 0; i < RESERVE_EACH; i++) {
			free(reserve[c][i]);
			reserve[c][i] = NULL;
		}
	}
	pthread_mutex_unlock(&reserve_lock);
}
