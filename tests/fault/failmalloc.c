/*
 * failmalloc.so: an allocation-failure injector for secctxd, preloaded
 * (LD_PRELOAD) into the daemon by tests/fault/test_failmalloc.c.
 *
 * It wraps malloc, calloc, realloc, free, strdup, strndup, posix_memalign,
 * aligned_alloc and memalign; glibc's own allocations (fopen, asprintf,
 * ...) call malloc through the PLT, and OpenSSL, libevent and jansson
 * allocate with malloc, so every allocation the daemon makes passes here.
 * The control block (failmalloc.h) lives in the file $FAILMALLOC_CTL,
 * shared with the test: once the test arms it, allocations are counted and
 * the fail_at'th one (or each with probability prob_ppm / 10^6) returns
 * NULL with errno ENOMEM.  'live' counts the blocks not yet freed, so the
 * test sees a leak without waiting for the daemon to exit.
 *
 * The real functions come from dlsym(RTLD_NEXT): glibc's, or those of a
 * sanitizer runtime loaded as a shared library after this one (gcc's
 * -fsanitize=address, with ASAN_OPTIONS=verify_asan_link_order=0).  A
 * binary with a static sanitizer runtime (clang's default) defines malloc
 * itself and cannot be interposed: the test sees count stay 0 and skips.
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "failmalloc.h"

#define EXPORT	__attribute__((visibility("default")))

static void	*(*real_malloc)(size_t);
static void	*(*real_calloc)(size_t, size_t);
static void	*(*real_realloc)(void *, size_t);
static void	 (*real_free)(void *);
static int	 (*real_posix_memalign)(void **, size_t, size_t);
static void	*(*real_aligned_alloc)(size_t, size_t);
static void	*(*real_memalign)(size_t, size_t);

static struct failmalloc_ctl	*ctl;
static int			 resolving;
static int			 want_backtrace;

/* What dlsym() allocates while the real functions are being looked up. */
static _Alignas(max_align_t) char	boot[8192];
static size_t				boot_used;

static int
in_boot(const void *p)
{
	return ((const char *)p >= boot && (const char *)p < boot +
	    sizeof(boot));
}

static void *
boot_alloc(size_t n)
{
	void	*p;

	n = (n + 15) & ~(size_t)15;
	if (n > sizeof(boot) - boot_used)
		return (NULL);
	p = boot + boot_used;
	boot_used += n;
	return (p);		/* static storage: already zero */
}

static void
resolve(void)
{
	if (real_malloc != NULL || resolving)
		return;
	resolving = 1;
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT,
	    "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(
	    RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT,
	    "aligned_alloc");
	real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT,
	    "memalign");
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	resolving = 0;
}

__attribute__((constructor)) static void
failmalloc_init(void)
{
	const char	*path;
	void		*p;
	int		 fd;

	resolve();
	if (getenv("FAILMALLOC_BACKTRACE") != NULL) {
		/* The first backtrace() loads libgcc: not while failing. */
		backtrace(&p, 1);
		want_backtrace = 1;
	}
	if ((path = getenv("FAILMALLOC_CTL")) == NULL)
		return;
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return;
	p = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	close(fd);
	if (p == MAP_FAILED)
		return;
	ctl = p;
	__atomic_store_n(&ctl->magic, FAILMALLOC_MAGIC, __ATOMIC_SEQ_CST);
}

/* Whether this allocation is to fail; counts it when armed. */
static int
should_fail(void)
{
	uint64_t	x;
	int64_t		n;

	if (ctl == NULL || !__atomic_load_n(&ctl->armed, __ATOMIC_ACQUIRE))
		return (0);
	n = __atomic_add_fetch(&ctl->count, 1, __ATOMIC_ACQ_REL);
	if (ctl->fail_at > 0 && n == ctl->fail_at)
		goto fail;
	if (ctl->prob_ppm > 0) {
		/* xorshift64; a racy update only changes which ones fail. */
		x = ctl->rng != 0 ? ctl->rng : 0x9e3779b97f4a7c15ULL;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ctl->rng = x;
		if (x % 1000000 < ctl->prob_ppm)
			goto fail;
	}
	return (0);
fail:
	__atomic_add_fetch(&ctl->failed, 1, __ATOMIC_ACQ_REL);
	if (want_backtrace) {
		void	*frames[32];
		int	 depth = backtrace(frames, 32);

		(void)!write(STDERR_FILENO, "failmalloc: failing:\n", 21);
		backtrace_symbols_fd(frames, depth, STDERR_FILENO);
	}
	errno = ENOMEM;
	return (1);
}

static void *
track(void *p)
{
	if (p != NULL && ctl != NULL)
		__atomic_add_fetch(&ctl->live, 1, __ATOMIC_RELAXED);
	return (p);
}

EXPORT void *
malloc(size_t n)
{
	resolve();
	if (real_malloc == NULL)
		return (boot_alloc(n));
	if (should_fail())
		return (NULL);
	return (track(real_malloc(n)));
}

EXPORT void *
calloc(size_t n, size_t size)
{
	resolve();
	if (real_calloc == NULL) {
		if (size != 0 && n > SIZE_MAX / size)
			return (NULL);
		return (boot_alloc(n * size));
	}
	if (should_fail())
		return (NULL);
	return (track(real_calloc(n, size)));
}

EXPORT void
free(void *p)
{
	if (p == NULL || in_boot(p))
		return;
	resolve();
	if (ctl != NULL)
		__atomic_sub_fetch(&ctl->live, 1, __ATOMIC_RELAXED);
	real_free(p);
}

EXPORT void *
realloc(void *p, size_t n)
{
	void	*q;

	resolve();
	if (p == NULL)
		return (malloc(n));
	if (in_boot(p)) {
		if ((q = malloc(n)) != NULL)
			memcpy(q, p, n < (size_t)(boot + sizeof(boot) -
			    (char *)p) ? n : (size_t)(boot + sizeof(boot) -
			    (char *)p));
		return (q);
	}
	if (n == 0) {
		free(p);
		return (NULL);
	}
	if (should_fail())
		return (NULL);
	return (real_realloc(p, n));
}

EXPORT char *
strdup(const char *s)
{
	size_t	 n = strlen(s) + 1;
	char	*p;

	if ((p = malloc(n)) != NULL)
		memcpy(p, s, n);
	return (p);
}

EXPORT char *
strndup(const char *s, size_t max)
{
	size_t	 n = strnlen(s, max);
	char	*p;

	if ((p = malloc(n + 1)) != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return (p);
}

EXPORT int
posix_memalign(void **pp, size_t align, size_t n)
{
	int	rc;

	resolve();
	if (should_fail())
		return (ENOMEM);
	if ((rc = real_posix_memalign(pp, align, n)) == 0)
		track(*pp);
	return (rc);
}

EXPORT void *
aligned_alloc(size_t align, size_t n)
{
	resolve();
	if (should_fail())
		return (NULL);
	return (track(real_aligned_alloc(align, n)));
}

EXPORT void *
memalign(size_t align, size_t n)
{
	resolve();
	if (should_fail())
		return (NULL);
	return (track(real_memalign(align, n)));
}
