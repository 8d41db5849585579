/*
 * secctx-bench: the daemon-mediated TLS path, with records protected in
 * the process and in the daemon, against in-process OpenSSL doing the same
 * work in the same run.  Shared types.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include <secctx.h>

#define BENCH_ERRLEN	256
#define BENCH_MAX_THREADS	64

/* What the command line asked for. */
struct bench_opts {
	int		 threads;	/* concurrent streams per side (-j) */
	double		 seconds;	/* per measurement (--time) */
	int		 smoke;		/* tiny amounts of work (--smoke) */
	int		 json;		/* --json */
	int		 scale_contexts;	/* --scale-contexts */
	int		 scale_conns;	/* --scale-conns */
	const char	*only;		/* --case id,id,... */
	const char	*daemon;	/* the secctxd binary (--daemon) */
	int		 keep;		/* keep the temporary directory */
};

/* The generated PKI: file paths in the temporary directory. */
struct pki {
	char	ca[512];
	char	ec_cert[512], ec_key[512];
	char	rsa_cert[512], rsa_key[512];
	char	client_cert[512], client_key[512];
};

/* What both sides are forced to negotiate. */
struct tls_profile {
	int		 version;	/* TLS1_3_VERSION or TLS1_2_VERSION */
	const char	*cipher;	/* OpenSSL name of the suite or cipher */
	const char	*group;		/* the key exchange group expected */
	const char	*groups;	/* the groups offered, group first */
	int		 rsa;		/* server certificate RSA-2048 (else EC) */
	int		 client_cert;	/* server requires a client certificate */
};

/*
 * Where a mediated context's records are protected: the credential's
 * "records" in the daemon's configuration.  The daemon holds every
 * credential twice, once per mode; the "daemon" copies carry the suffix.
 */
enum rec_mode {
	MODE_PROCESS,		/* "process": mapped into libsecctx */
	MODE_DAEMON		/* "daemon": every record through secctxd */
};
#define NMODES			2
#define DAEMON_RECORDS_SUFFIX	"-daemon-records"

/* A private secctxd. */
struct daemon {
	pid_t	pid;
	char	socket[512];
	char	config[512];
	char	log[512];
	char	sslconf[512];
};

/* pki.c */
int	 pki_generate(const char *dir, struct pki *pki, char *err);

/* daemon.c */
const char *mode_name(enum rec_mode m);		/* "process", "daemon" */
void	 cred_name(char *buf, size_t len, const char *base, enum rec_mode m);
int	 daemon_start(struct daemon *d, const char *binary, const char *dir,
	    const struct pki *pki, const struct tls_profile *p, char *err);
void	 daemon_stop(struct daemon *d);
long	 proc_rss_kib(pid_t pid);		/* VmRSS, -1 if unknown */
int	 proc_fd_count(pid_t pid);
double	 proc_cpu_sec(pid_t pid);		/* user + system */
long	 proc_read_bytes(pid_t pid);		/* rchar, -1 if unknown */
void	 daemon_log_tail(const struct daemon *d, int lines);

/* run.c: threads running one operation in a loop. */
struct runner {
	int	  threads;
	double	  seconds;		/* run for this long ... */
	long	  max_ops;		/* ... or this many ops per thread */
	void	*(*setup)(void *arg, int idx, char *err);
	int	 (*op)(void *stream, char *err);
	void	 (*teardown)(void *stream);
	void	 *arg;
};

struct run_result {
	long	ops;
	double	elapsed;		/* seconds */
	int	failed;
	char	error[BENCH_ERRLEN];
};

struct run_handle;

double	 now_sec(void);
int	 run_streams(const struct runner *r, struct run_result *res);
struct run_handle *run_start(const struct runner *r, struct run_result *res);
void	 run_stop(struct run_handle *h);
int	 run_parallel(int n, int (*fn)(void *, int, int, char *), void *arg,
	    char *err);

/* inproc.c: one application linking OpenSSL, both ends in memory. */
struct ip_env {
	SSL_CTX				*client;
	SSL_CTX				*server;
	const struct tls_profile	*profile;
};

struct ip_pair {
	SSL	*c;
	SSL	*s;
	BIO	*c2s;
	BIO	*s2c;
};

int	 ip_env_init(struct ip_env *env, const struct tls_profile *p,
	    const struct pki *pki, char *err);
void	 ip_env_free(struct ip_env *env);
int	 ip_pair_establish(struct ip_env *env, struct ip_pair *pp,
	    SSL_SESSION *sess, char *err);
void	 ip_pair_free(struct ip_pair *pp);
int	 ip_check_negotiated(struct ip_pair *pp, const struct tls_profile *p,
	    char *what, size_t len, char *err);
int	 ip_encrypt_small(struct ip_pair *pp, const void *data, size_t len,
	    char *err);
int	 ip_transfer(struct ip_pair *pp, const unsigned char *data, size_t len,
	    unsigned char *sink, char *err);

/* mediated.c: both ends through libsecctx and one secctxd. */
struct md_stream {
	secctx_conn			*cconn;
	secctx_conn			*sconn;
	secctx_cred			*ccred;
	secctx_cred			*scred;
	const struct tls_profile	*profile;
};

struct md_pair {
	secctx_ctx	*c;
	secctx_ctx	*s;
};

int	 md_stream_open(struct md_stream *ms, const char *socket,
	    const struct tls_profile *p, enum rec_mode mode, char *err);
void	 md_stream_close(struct md_stream *ms);
int	 md_pair_establish(struct md_stream *ms, struct md_pair *pp,
	    int resume, char *err);
void	 md_pair_free(struct md_pair *pp);
int	 md_check_negotiated(struct md_pair *pp, const struct tls_profile *p,
	    char *what, size_t len, int *resumed, char *err);
int	 md_encrypt_small(struct md_pair *pp, const void *data, size_t len,
	    char *err);
int	 md_transfer(struct md_pair *pp, const unsigned char *data, size_t len,
	    char *err);

/* report.c */
enum result_kind {
	KIND_RATE,		/* higher is better; ratio = mediated / in-process */
	KIND_LATENCY,		/* p50/p99/p99.9 in microseconds */
	KIND_SCALE		/* memory and fds per idle context */
};

/* The daemon-mediated side of a case in one records mode. */
struct md_result {
	/* KIND_RATE; KIND_SCALE: pairs per second and CPU establishing */
	double		 rate;
	double		 ops;			/* operations per second */
	double		 cores, client_cores;	/* secctxd, its clients */
	/* KIND_LATENCY */
	double		 p[3];			/* p50, p99, p99.9 */
	long		 n;
	double		 load_rate;		/* handshakes/s beside */
};

struct bench_result {
	const char	*id;
	const char	*title;
	enum result_kind kind;
	const char	*unit;
	int		 failed;
	char		 error[BENCH_ERRLEN];
	char		 note[BENCH_ERRLEN];	/* what was negotiated, etc. */
	/*
	 * d[MODE_PROCESS], and d[MODE_DAEMON] where the case moves records
	 * (nmodes 2).  Goals are for MODE_PROCESS.
	 */
	int		 nmodes;
	struct md_result d[NMODES];
	/* KIND_RATE */
	double		 in_rate;
	double		 goal_ratio;		/* 0: none */
	double		 in_ops;		/* operations per second */
	double		 in_cores;		/* CPU used, in cores */
	/* KIND_LATENCY */
	double		 in_p[3];		/* p50, p99, p99.9 */
	long		 in_n;
	double		 goal_p99_us;
	double		 in_load_rate;
	/* KIND_SCALE */
	long		 contexts;		/* daemon contexts held */
	long		 conns;			/* daemon connections */
	double		 d_kib_per_ctx, d_kib_per_conn;
	long		 d_rss_before, d_rss_conns, d_rss_after;	/* KiB */
	int		 d_fds;
	double		 d_conn_secs, d_establish_secs;
	double		 in_kib_per_ssl, in_establish_secs;
	double		 goal_kib;
};

void	 report_line(FILE *out, const struct bench_result *r);
void	 report_summary(const struct bench_result *r, int n,
	    const struct bench_opts *o, const char *machine);
void	 report_json(const struct bench_result *r, int n,
	    const struct bench_opts *o, const char *machine);
int	 result_goal_met(const struct bench_result *r);

void	 seterr(char *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
const char *ssl_errstr(void);

#endif
