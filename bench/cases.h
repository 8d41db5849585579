/*
 * The benchmark cases and how one is run: cases.c (one case: its daemon,
 * its environment), case-streams.c (what a stream of each side does),
 * case-rate.c, case-latency.c, case-scale.c (the measurements).
 */
#ifndef CASES_H
#define CASES_H

#include <stdatomic.h>

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
	double			 goal;		/* ratio, p99 us or KiB, of
						   records in process */
};

extern const struct bench_case	bench_cases[];
extern const int		bench_ncases;

/* What the streams of one case share. */
struct case_env {
	const struct bench_case		*bc;
	const struct tls_profile	*p;
	const struct bench_opts		*o;
	struct ip_env			 ip;
	const char			*socket;
	pid_t				 daemon_pid;
	enum rec_mode			 mode;	/* the mediated side's */
	const unsigned char		*data;	/* bulk: the bytes written */
	size_t				 size;
	int				 resume;
	int				 sample_every;
	atomic_long			 in_sampled, in_resumed;
	atomic_long			 d_sampled, d_resumed;
	char				 in_what[128];
	char				 d_what[128];
};

/* case-streams.c: one stream of each side, for run.c. */
struct ip_stream {
	struct case_env	*env;
	struct ip_pair	 pp;
	SSL_SESSION	*sess;
	unsigned char	*sink;
};

struct md_stream_state {
	struct case_env		*env;
	struct md_stream	 ms;
	struct md_pair		 pp;
	long			 n;
};

void	*ip_setup(void *arg, int idx, char *err);
int	 ip_hs_op(void *arg, char *err);
int	 ip_bulk_op(void *arg, char *err);
void	 ip_teardown(void *arg);
void	*md_setup(void *arg, int idx, char *err);
int	 md_hs_op(void *arg, char *err);
int	 md_bulk_op(void *arg, char *err);
void	 md_teardown(void *arg);

/* cases.c */
int	 case_moves_records(const struct bench_case *bc);
int	 case_check_mode(struct case_env *env, char *err);
void	 case_run(const struct bench_case *bc, const struct bench_opts *o,
	    const struct pki *pki, const char *dir, struct bench_result *r);

/* The measurements. */
void	 rate_case(struct case_env *env, struct bench_result *r);
void	 latency_case(struct case_env *env, struct case_env *load,
	    struct bench_result *r);
void	 scale_case(struct case_env *env, pid_t daemon,
	    struct bench_result *r);

#endif
