/*
 * secctx-bench: every case, daemon-mediated (the cases that move records
 * once with records protected in the process, once in the daemon) against
 * in-process OpenSSL in the same run.  See bench/README.md.
 *
 *   secctx-bench [--smoke] [--json] [-j N] [--time S] [--case ID,...]
 *                [--scale-contexts N] [--scale-conns N] [--daemon PATH]
 *                [--keep] [--list]
 */

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cases.h"

#ifndef SECCTX_DAEMON
#error "SECCTX_DAEMON must name the secctxd binary"
#endif

#define P13(rsa, cc)	{ TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", "X25519", \
			  "X25519", rsa, cc }
#define PCHACHA		{ TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", \
			  "X25519", "X25519", 0, 0 }
/*
 * TLS 1.2 can use an ECDSA P-256 certificate only with a client that offers
 * P-256 among its groups; X25519 is still the one negotiated.
 */
#define P12		{ TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", \
			  "X25519", "X25519:P-256", 0, 0 }

const struct bench_case bench_cases[] = {
	{ "hs-ecdsa", "full handshakes, TLS 1.3 ECDSA P-256", CASE_FULL,
	  P13(0, 0), 0, 0.90 },
	{ "hs-rsa", "full handshakes, TLS 1.3 RSA-2048", CASE_FULL,
	  P13(1, 0), 0, 0.90 },
	{ "hs-client-cert", "full handshakes, TLS 1.3 ECDSA P-256, client "
	  "certificate required", CASE_FULL, P13(0, 1), 0, 0.90 },
	{ "hs-tls12", "full handshakes, TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
	  CASE_FULL, P12, 0, 0.90 },
	{ "resume", "resumed handshakes, TLS 1.3 tickets, ECDSA P-256",
	  CASE_RESUME, P13(0, 0), 0, 0.80 },
	{ "bulk-aes-1k", "bulk AES-128-GCM, 1 KiB writes", CASE_BULK,
	  P13(0, 0), 1024, 0.90 },
	{ "bulk-aes-16k", "bulk AES-128-GCM, 16 KiB writes", CASE_BULK,
	  P13(0, 0), 16384, 0.90 },
	{ "bulk-aes-256k", "bulk AES-128-GCM, 256 KiB writes", CASE_BULK,
	  P13(0, 0), 262144, 0.90 },
	{ "bulk-chacha-1k", "bulk ChaCha20-Poly1305, 1 KiB writes", CASE_BULK,
	  PCHACHA, 1024, 0.90 },
	{ "bulk-chacha-16k", "bulk ChaCha20-Poly1305, 16 KiB writes",
	  CASE_BULK, PCHACHA, 16384, 0.90 },
	{ "bulk-chacha-256k", "bulk ChaCha20-Poly1305, 256 KiB writes",
	  CASE_BULK, PCHACHA, 262144, 0.90 },
	{ "lat-idle", "latency of encrypt(64 B), idle", CASE_LAT_IDLE,
	  P13(0, 0), 0, 3 },
	{ "lat-load", "latency of encrypt(64 B), RSA handshakes beside",
	  CASE_LAT_LOAD, P13(0, 0), 0, 3 },
	{ "scale", "idle established contexts", CASE_SCALE, P13(0, 0), 0,
	  24 },
};
const int bench_ncases = sizeof(bench_cases) / sizeof(bench_cases[0]);

static char	tmpdir[256];

static void
usage(void)
{
	fprintf(stderr, "usage: secctx-bench [--smoke] [--json] [-j N] "
	    "[--time S] [--case ID,...]\n"
	    "                    [--scale-contexts N] [--scale-conns N] "
	    "[--daemon PATH] [--keep] [--list]\n");
	exit(2);
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

static void
cleanup(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
selected(const struct bench_opts *o, const char *id)
{
	const char	*p = o->only;
	size_t		 n = strlen(id);

	if (p == NULL)
		return (1);
	while (*p != '\0') {
		if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return (1);
		p = strchr(p, ',');
		if (p == NULL)
			break;
		p++;
	}
	return (0);
}

/* Room for both ends of every scale connection, and the daemon's. */
static void
raise_nofile(const struct bench_opts *o)
{
	struct rlimit	rl;
	rlim_t		need = 2 * (rlim_t)o->scale_conns + 200;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ?
	    need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
		fprintf(stderr, "secctx-bench: RLIMIT_NOFILE is %lu, the "
		    "scale case needs %lu\n", (unsigned long)rl.rlim_cur,
		    (unsigned long)need);
}

static void
describe_machine(char *buf, size_t len)
{
	struct utsname	 u;
	double		 load[3] = { 0, 0, 0 };
	FILE		*f;

	uname(&u);
	if ((f = fopen("/proc/loadavg", "r")) != NULL) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1],
		    &load[2]) != 3)
			load[0] = load[1] = load[2] = 0;
		fclose(f);
	}
	snprintf(buf, len, "%ld online cores, %s %s %s, %s, load average "
	    "%.2f %.2f %.2f at start", sysconf(_SC_NPROCESSORS_ONLN),
	    u.sysname, u.release, u.machine, OpenSSL_version(OPENSSL_VERSION),
	    load[0], load[1], load[2]);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "smoke", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'J' },
		{ "threads", required_argument, NULL, 'j' },
		{ "time", required_argument, NULL, 't' },
		{ "case", required_argument, NULL, 'c' },
		{ "scale-contexts", required_argument, NULL, 'N' },
		{ "scale-conns", required_argument, NULL, 'C' },
		{ "daemon", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct bench_opts	 o;
	struct bench_result	 results[32];
	struct pki		 pki;
	char			 err[BENCH_ERRLEN], machine[256], pkidir[300];
	char			 scale_title[128];
	FILE			*lines;
	int			 ch, i, n = 0, time_set = 0, nc = 0, nx = 0;

	memset(&o, 0, sizeof(o));
	o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	o.seconds = 3;
	o.daemon = getenv("SECCTX_BENCH_DAEMON");
	if (o.daemon == NULL || *o.daemon == '\0')
		o.daemon = SECCTX_DAEMON;
	while ((ch = getopt_long(argc, argv, "j:t:c:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			o.smoke = 1;
			break;
		case 'J':
			o.json = 1;
			break;
		case 'j':
			o.threads = atoi(optarg);
			break;
		case 't':
			o.seconds = atof(optarg);
			time_set = 1;
			break;
		case 'c':
			o.only = optarg;
			break;
		case 'N':
			nx = atoi(optarg);
			break;
		case 'C':
			nc = atoi(optarg);
			break;
		case 'd':
			o.daemon = optarg;
			break;
		case 'k':
			o.keep = 1;
			break;
		case 'l':
			for (i = 0; i < bench_ncases; i++)
				printf("%-17s %s\n", bench_cases[i].id,
				    bench_cases[i].title);
			return (0);
		default:
			usage();
		}
	}
	if (optind != argc || o.threads < 1 ||
	    o.threads > BENCH_MAX_THREADS / 2 || o.seconds <= 0)
		usage();
	if (o.smoke && !time_set)
		o.seconds = 0.2;
	o.scale_contexts = nx > 0 ? nx : o.smoke ? 200 : 10000;
	o.scale_conns = nc > 0 ? nc : o.smoke ? 20 : 1000;
	if (o.scale_conns > o.scale_contexts)
		o.scale_conns = o.scale_contexts;
	snprintf(scale_title, sizeof(scale_title), "%d idle established "
	    "contexts over %d client connections", o.scale_contexts,
	    o.scale_conns);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(&o);
	describe_machine(machine, sizeof(machine));
	lines = o.json ? stderr : stdout;

	snprintf(tmpdir, sizeof(tmpdir), "%s/secctx-bench.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "secctx-bench: mkdtemp %s: %s\n", tmpdir,
		    strerror(errno));
		return (1);
	}
	if (o.keep)
		fprintf(stderr, "secctx-bench: keeping %s\n", tmpdir);
	else
		atexit(cleanup);
	snprintf(pkidir, sizeof(pkidir), "%s/pki", tmpdir);
	if (mkdir(pkidir, 0700) != 0 || pki_generate(pkidir, &pki,
	    err) != 0) {
		fprintf(stderr, "secctx-bench: PKI: %s\n", err);
		return (1);
	}
	fprintf(lines, "secctx-bench: %s; daemon %s; %d stream%s per side, "
	    "%s\n", machine, o.daemon, o.threads, o.threads == 1 ? "" : "s",
	    o.smoke ? "smoke mode" : "");
	for (i = 0; i < bench_ncases; i++) {
		if (!selected(&o, bench_cases[i].id))
			continue;
		case_run(&bench_cases[i], &o, &pki, tmpdir, &results[n]);
		if (bench_cases[i].type == CASE_SCALE)
			results[n].title = scale_title;
		report_line(lines, &results[n]);
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "secctx-bench: no case matches '%s' "
		    "(--list)\n", o.only);
		return (2);
	}
	if (o.json)
		report_json(results, n, &o, machine);
	else
		report_summary(results, n, &o, machine);
	for (i = 0; i < n; i++)
		if (results[i].failed)
			return (1);
	return (0);
}
