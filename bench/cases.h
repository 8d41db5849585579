/* The benchmark cases and how one is run. */
#ifndef CASES_H
#define CASES_H

#include "bench.h"

enum case_type {
	CASE_FULL,		/* full handshakes per second */
	CASE_RESUME,		/* resumed handshakes per second */
	CASE_BULK,		/* protected data, MB/s */
	CASE_LAT_IDLE,		/* one small call, idle */
	CASE_LAT_LOAD,		/* one small call, handshakes beside */
	CASE_SCALE		/* idle established contexts */
};

struct bench_case {
	const char		*id;
	const char		*title;
	enum case_type		 type;
	struct tls_profile	 profile;
	size_t			 size;		/* bulk: bytes per write */
	double			 goal;		/* ratio, p99 us or KiB */
};

extern const struct bench_case	bench_cases[];
extern const int		bench_ncases;

void	 case_run(const struct bench_case *bc, const struct bench_opts *o,
	    const struct pki *pki, const char *dir, struct bench_result *r);

#endif
