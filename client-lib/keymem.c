/*
 * Memory for traffic keys: kept out of core dumps (MADV_DONTDUMP), never
 * moved by a realloc, cleansed when freed.  Slots of one size are cut from
 * chunks mapped for the purpose; a chunk is kept for reuse once mapped.
 */

#include <sys/mman.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/crypto.h>

#include "keymem.h"

#define KEYMEM_CHUNK	(64 * 1024)

struct keymem_free {
	struct keymem_free	*next;
};

static pthread_mutex_t	 keymem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct keymem_free *keymem_list;
static size_t		 keymem_slot;	/* the one slot size */

/* Map a chunk and cut it into slots on the free list; -1 on failure. */
static int
keymem_grow(void)
{
	unsigned char	*p;
	size_t		 off;

	p = mmap(NULL, KEYMEM_CHUNK, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	if (madvise(p, KEYMEM_CHUNK, MADV_DONTDUMP) != 0) {
		munmap(p, KEYMEM_CHUNK);
		return (-1);
	}
	for (off = 0; off + keymem_slot <= KEYMEM_CHUNK; off += keymem_slot) {
		struct keymem_free *f = (struct keymem_free *)(p + off);

		f->next = keymem_list;
		keymem_list = f;
	}
	return (0);
}

/*
 * A zeroed slot of size bytes, or NULL.  Every caller asks for the same
 * size (one structure); another size is refused.
 */
void *
keymem_alloc(size_t size)
{
	struct keymem_free	*f = NULL;

	size = (size + 63) & ~(size_t)63;
	pthread_mutex_lock(&keymem_lock);
	if (keymem_slot == 0 && size <= KEYMEM_CHUNK)
		keymem_slot = size;
	if (size != keymem_slot)
		goto out;
	if (keymem_list == NULL && keymem_grow() != 0)
		goto out;
	f = keymem_list;
	keymem_list = f->next;
	f->next = NULL;
out:
	pthread_mutex_unlock(&keymem_lock);
	return (f);
}

/* Cleanse the slot and give it back. */
void
keymem_free(void *p)
{
	struct keymem_free	*f = p;

	if (p == NULL)
		return;
	OPENSSL_cleanse(p, keymem_slot);
	pthread_mutex_lock(&keymem_lock);
	f->next = keymem_list;
	keymem_list = f;
	pthread_mutex_unlock(&keymem_lock);
}
