/*
 * The allocation-failure injector's control block (failmalloc.c).
 *
 * failmalloc.so is preloaded into secctxd only (LD_PRELOAD in the daemon's
 * environment, never the test's).  Its constructor maps the file named by
 * $FAILMALLOC_CTL, which the test maps too: the test arms and disarms the
 * injector by writing this block, and reads back what it counted.  Nothing
 * fails until the test arms it, so the daemon starts normally.
 */
#ifndef SECCTX_FAILMALLOC_H
#define SECCTX_FAILMALLOC_H

#include <stdint.h>

#define FAILMALLOC_MAGIC	0x6661696c6d616c31ULL	/* "failmal1" */

struct failmalloc_ctl {
	uint64_t	magic;		/* set by the shim once mapped */
	/* Written by the test. */
	int64_t		armed;		/* 0: count nothing, fail nothing */
	int64_t		fail_at;	/* fail the Nth allocation after
					   arming (1-based); 0: only count */
	uint64_t	prob_ppm;	/* or fail each one with p = ppm/1e6 */
	/* Written by the shim. */
	int64_t		count;		/* allocations since arming */
	int64_t		failed;		/* allocations made to fail */
	int64_t		live;		/* blocks allocated and not freed,
					   since the shim was loaded */
	uint64_t	rng;		/* state of the probability mode */
};

#endif
