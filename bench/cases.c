/*
 * One case: a private secctxd started for it, the environment its streams
 * share, and its measurement (case-rate.c, case-latency.c,
 * case-scale.c): the in-process baseline (inproc.c) first, then the
 * daemon-mediated side (mediated.c), once per records mode for the cases
 * that move records.
 */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cases.h"

/*
 * Where the records of a context from env->mode's credentials are
 * protected, seen from the daemon: 64 encrypts of 64 bytes make secctxd
 * read 4 KiB and more when they go through it, nothing when the context
 * is mapped.  Without /proc/PID/io it goes unchecked.
 */
int
case_check_mode(struct case_env *env, char *err)
{
	struct md_stream	ms;
	struct md_pair		pp;
	unsigned char		msg[64];
	long			r0, r1;
	int			i, through, rc = -1;

	memset(msg, 'x', sizeof(msg));
	memset(&pp, 0, sizeof(pp));
	if (md_stream_open(&ms, env->socket, env->p, env->mode, err) != 0)
		return (-1);
	if (md_pair_establish(&ms, &pp, 0, err) != 0)
		goto out;
	r0 = proc_read_bytes(env->daemon_pid);
	for (i = 0; i < 64; i++)
		if (md_encrypt_small(&pp, msg, sizeof(msg), err) != 0)
			goto out;
	r1 = proc_read_bytes(env->daemon_pid);
	through = r1 - r0 >= 64 * (long)sizeof(msg);
	if (r0 >= 0 && r1 >= 0 && through != (env->mode == MODE_DAEMON)) {
		seterr(err, "records of \"%s\" credentials are protected in "
		    "the %s (secctxd read %ld bytes for 64 encrypts)",
		    mode_name(env->mode), through ? "daemon" : "process",
		    r1 - r0);
		goto out;
	}
	rc = 0;
out:
	md_pair_free(&pp);
	md_stream_close(&ms);
	return (rc);
}

/* The cases that move records run in both records modes. */
int
case_moves_records(const struct bench_case *bc)
{
	return (bc->type == CASE_BULK || bc->type == CASE_LAT_IDLE ||
	    bc->type == CASE_LAT_LOAD);
}

static const struct tls_profile rsa_load = {
	TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", "X25519", "X25519", 1, 0
};

static int
env_init(struct case_env *env, const struct bench_case *bc,
    const struct tls_profile *p, const struct bench_opts *o,
    const struct pki *pki, const char *socket, char *err)
{
	memset(env, 0, sizeof(*env));
	env->bc = bc;
	env->p = p;
	env->o = o;
	env->socket = socket;
	env->resume = bc->type == CASE_RESUME;
	env->sample_every = o->smoke ? 1 : 16;
	atomic_init(&env->in_sampled, 0);
	atomic_init(&env->in_resumed, 0);
	atomic_init(&env->d_sampled, 0);
	atomic_init(&env->d_resumed, 0);
	return (ip_env_init(&env->ip, p, pki, err));
}

void
case_run(const struct bench_case *bc, const struct bench_opts *o,
    const struct pki *pki, const char *dir, struct bench_result *r)
{
	struct case_env	 env, load;
	struct daemon	 d;
	unsigned char	*data = NULL;
	char		 err[BENCH_ERRLEN];
	int		 have_load = 0;

	memset(r, 0, sizeof(*r));
	r->id = bc->id;
	r->title = bc->title;
	r->goal_ratio = bc->goal;
	r->nmodes = case_moves_records(bc) ? NMODES : 1;
	switch (bc->type) {
	case CASE_LAT_IDLE:
	case CASE_LAT_LOAD:
		r->kind = KIND_LATENCY;
		r->unit = "us";
		r->goal_p99_us = bc->goal;
		r->goal_ratio = 0;
		break;
	case CASE_SCALE:
		r->kind = KIND_SCALE;
		r->unit = "KiB/context";
		r->goal_ratio = 0;
		break;
	case CASE_BULK:
		r->kind = KIND_RATE;
		r->unit = "MB/s";
		break;
	default:
		r->kind = KIND_RATE;
		r->unit = "handshakes/s";
		break;
	}
	if (daemon_start(&d, o->daemon, dir, pki, &bc->profile, err) != 0) {
		r->failed = 1;
		seterr(r->error, "%s", err);
		return;
	}
	if (env_init(&env, bc, &bc->profile, o, pki, d.socket, err) != 0) {
		r->failed = 1;
		seterr(r->error, "%s", err);
		goto out;
	}
	env.daemon_pid = d.pid;
	switch (bc->type) {
	case CASE_FULL:
	case CASE_RESUME:
		rate_case(&env, r);
		break;
	case CASE_BULK:
		if ((data = malloc(bc->size)) == NULL ||
		    RAND_bytes(data, bc->size) != 1) {
			r->failed = 1;
			seterr(r->error, "no random data");
			break;
		}
		env.data = data;
		env.size = bc->size;
		rate_case(&env, r);
		break;
	case CASE_LAT_IDLE:
		latency_case(&env, NULL, r);
		break;
	case CASE_LAT_LOAD:
		if (env_init(&load, bc, &rsa_load, o, pki, d.socket,
		    err) != 0) {
			r->failed = 1;
			seterr(r->error, "%s", err);
			break;
		}
		load.daemon_pid = d.pid;
		have_load = 1;
		latency_case(&env, &load, r);
		break;
	case CASE_SCALE:
		scale_case(&env, d.pid, r);
		break;
	}
	if (r->failed)
		daemon_log_tail(&d, 5);
	ip_env_free(&env.ip);
	if (have_load)
		ip_env_free(&load.ip);
out:
	free(data);
	daemon_stop(&d);
}
