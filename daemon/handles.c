/*
 * The handles of one connection: an open-addressing table keyed by random
 * 64-bit values, so a handle can be neither guessed nor reused by another
 * connection.
 */

#include <stdlib.h>

#include <openssl/rand.h>

#include "secctxd.h"

#define SLOT_EMPTY	0
#define SLOT_DELETED	1
#define HANDLES_MINCAP	8

void
handles_init(struct handles *h)
{
	h->slots = NULL;
	h->cap = h->used = h->count = 0;
}

static struct handle_slot *
handles_find(struct handles *h, uint64_t key)
{
	size_t	i, mask = h->cap - 1;

	if (h->cap == 0 || key <= SLOT_DELETED)
		return (NULL);
	for (i = key & mask;; i = (i + 1) & mask) {
		if (h->slots[i].key == key)
			return (&h->slots[i]);
		if (h->slots[i].key == SLOT_EMPTY)
			return (NULL);
	}
}

static void
handles_insert(struct handle_slot *slots, size_t cap, uint64_t key, int type,
    void *ptr)
{
	size_t	i, mask = cap - 1;

	for (i = key & mask; slots[i].key > SLOT_DELETED; i = (i + 1) & mask)
		;
	slots[i].key = key;
	slots[i].type = type;
	slots[i].ptr = ptr;
}

static int
handles_grow(struct handles *h)
{
	struct handle_slot	*slots;
	size_t			 cap, i;

	/* A power of two, so that the probe can wrap with a mask. */
	for (cap = HANDLES_MINCAP; cap < h->count * 4; cap *= 2)
		;
	if ((slots = calloc(cap, sizeof(*slots))) == NULL)
		return (-1);
	for (i = 0; i < h->cap; i++) {
		if (h->slots[i].key > SLOT_DELETED)
			handles_insert(slots, cap, h->slots[i].key,
			    h->slots[i].type, h->slots[i].ptr);
	}
	free(h->slots);
	h->slots = slots;
	h->cap = cap;
	h->used = h->count;
	return (0);
}

int
handles_add(struct handles *h, int type, void *ptr, uint64_t *keyp)
{
	uint64_t	key;

	if ((h->used + 1) * 2 > h->cap && handles_grow(h) != 0)
		return (-1);
	do {
		if (RAND_bytes((unsigned char *)&key, sizeof(key)) != 1)
			return (-1);
	} while (key <= SLOT_DELETED || handles_find(h, key) != NULL);
	handles_insert(h->slots, h->cap, key, type, ptr);
	h->used++;
	h->count++;
	*keyp = key;
	return (0);
}

void *
handles_get(struct handles *h, uint64_t key, int type)
{
	struct handle_slot	*s = handles_find(h, key);

	if (s == NULL || s->type != type)
		return (NULL);
	return (s->ptr);
}

void *
handles_remove(struct handles *h, uint64_t key, int type)
{
	struct handle_slot	*s = handles_find(h, key);
	void			*ptr;

	if (s == NULL || s->type != type)
		return (NULL);
	ptr = s->ptr;
	s->key = SLOT_DELETED;
	s->ptr = NULL;
	h->count--;
	return (ptr);
}

void
handles_each(struct handles *h, int type,
    void (*fn)(uint64_t, void *, void *), void *arg)
{
	size_t	i;

	/* Removing marks a slot deleted and moves nothing: safe here. */
	for (i = 0; i < h->cap; i++) {
		if (h->slots[i].key > SLOT_DELETED && h->slots[i].type == type)
			fn(h->slots[i].key, h->slots[i].ptr, arg);
	}
}

void
handles_clear(struct handles *h, void (*release)(int, void *))
{
	size_t	i;

	for (i = 0; i < h->cap; i++) {
		if (h->slots[i].key > SLOT_DELETED)
			release(h->slots[i].type, h->slots[i].ptr);
	}
	free(h->slots);
	handles_init(h);
}
