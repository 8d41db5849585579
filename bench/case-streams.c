/*
 * What one stream does on each side of a case, for run.c: set up (a pair
 * of contexts, checked for what was negotiated), one operation (a
 * handshake or a bulk transfer), tear down.  In-process over inproc.c,
 * mediated over mediated.c in the case's records mode.
 */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"

/* ---- in-process ---- */

void *
ip_setup(void *arg, int idx, char *err)
{
	struct case_env	*env = arg;
	struct ip_stream *s;
	char		 what[128];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		seterr(err, "out of memory");
		return (NULL);
	}
	s->env = env;
	if (ip_pair_establish(&env->ip, &s->pp, NULL, err) != 0)
		goto fail;
	if (ip_check_negotiated(&s->pp, env->p, what, sizeof(what),
	    err) != 0)
		goto fail;
	if (idx == 0)
		snprintf(env->in_what, sizeof(env->in_what), "%s", what);
	if (env->size > 0) {
		if ((s->sink = malloc(env->size)) == NULL) {
			seterr(err, "out of memory");
			goto fail;
		}
		return (s);	/* bulk: keep the pair */
	}
	if (env->resume)
		s->sess = SSL_get1_session(s->pp.c);
	ip_pair_free(&s->pp);
	return (s);
fail:
	ip_pair_free(&s->pp);
	free(s);
	return (NULL);
}

int
ip_hs_op(void *arg, char *err)
{
	struct ip_stream	*s = arg;
	struct case_env		*env = s->env;
	struct ip_pair		 pp;

	if (ip_pair_establish(&env->ip, &pp, s->sess, err) != 0)
		return (-1);
	if (env->resume) {
		atomic_fetch_add(&env->in_sampled, 1);
		if (SSL_session_reused(pp.c))
			atomic_fetch_add(&env->in_resumed, 1);
		SSL_SESSION_free(s->sess);
		s->sess = SSL_get1_session(pp.c);
	}
	ip_pair_free(&pp);
	return (0);
}

int
ip_bulk_op(void *arg, char *err)
{
	struct ip_stream	*s = arg;

	return (ip_transfer(&s->pp, s->env->data, s->env->size, s->sink, err));
}

void
ip_teardown(void *arg)
{
	struct ip_stream	*s = arg;

	ip_pair_free(&s->pp);
	SSL_SESSION_free(s->sess);
	free(s->sink);
	free(s);
}

/* ---- daemon-mediated ---- */

void *
md_setup(void *arg, int idx, char *err)
{
	struct case_env		*env = arg;
	struct md_stream_state	*s;
	char			 what[128];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		seterr(err, "out of memory");
		return (NULL);
	}
	s->env = env;
	if (md_stream_open(&s->ms, env->socket, env->p, env->mode,
	    err) != 0) {
		free(s);
		return (NULL);
	}
	/* A first handshake: checks what is negotiated, fills the cache. */
	if (md_pair_establish(&s->ms, &s->pp, env->resume, err) != 0 ||
	    md_check_negotiated(&s->pp, env->p, what, sizeof(what), NULL,
	    err) != 0)
		goto fail;
	if (idx == 0)
		snprintf(env->d_what, sizeof(env->d_what), "%s", what);
	if (env->size == 0)
		md_pair_free(&s->pp);
	return (s);
fail:
	md_pair_free(&s->pp);
	md_stream_close(&s->ms);
	free(s);
	return (NULL);
}

int
md_hs_op(void *arg, char *err)
{
	struct md_stream_state	*s = arg;
	struct case_env		*env = s->env;
	struct md_pair		 pp;
	int			 resumed = 0, rc = 0;

	if (md_pair_establish(&s->ms, &pp, env->resume, err) != 0)
		return (-1);
	/* The resumed flag costs a round trip: ask on a sample. */
	if (env->resume && ++s->n % env->sample_every == 0) {
		rc = md_check_negotiated(&pp, env->p, NULL, 0, &resumed, err);
		atomic_fetch_add(&env->d_sampled, 1);
		if (resumed)
			atomic_fetch_add(&env->d_resumed, 1);
	}
	md_pair_free(&pp);
	return (rc);
}

int
md_bulk_op(void *arg, char *err)
{
	struct md_stream_state	*s = arg;

	return (md_transfer(&s->pp, s->env->data, s->env->size, err));
}

void
md_teardown(void *arg)
{
	struct md_stream_state	*s = arg;

	md_pair_free(&s->pp);
	md_stream_close(&s->ms);
	free(s);
}
