/*
 * The client-side session cache: sessions from earlier outbound contexts,
 * keyed by credential name, caller uid and target name, so a later context
 * to the same target resumes and one uid never resumes another's session.
 * A TLS 1.3 ticket is used once; a TLS 1.2 session may be reused until it
 * expires.  Every loop and pool thread uses it: one mutex guards it.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secctxd.h"

#define SESSION_CACHE_MAX	4096

struct session_entry {
	char			*cred;
	char			*target;
	uid_t			 uid;
	SSL_SESSION		*sess;
	TAILQ_ENTRY(session_entry) entry;
};

static TAILQ_HEAD(session_entries, session_entry) sessions =
    TAILQ_HEAD_INITIALIZER(sessions);
static size_t			session_count;
static pthread_mutex_t		session_lock = PTHREAD_MUTEX_INITIALIZER;

static void
session_remove(struct session_entry *e)
{
	TAILQ_REMOVE(&sessions, e, entry);
	session_count--;
	SSL_SESSION_free(e->sess);
	free(e->cred);
	free(e->target);
	free(e);
}

static int
session_expired(SSL_SESSION *sess, time_t now)
{
	return (SSL_SESSION_get_time(sess) + SSL_SESSION_get_timeout(sess) <=
	    now || !SSL_SESSION_is_resumable(sess));
}

/* Keep sess (a reference is taken) for cred, uid and target. */
void
session_cache_put(const char *cred, uid_t uid, const char *target,
    SSL_SESSION *sess)
{
	struct session_entry	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->cred = strdup(cred)) == NULL ||
	    (e->target = strdup(target)) == NULL) {
		if (e != NULL)
			free(e->cred);
		free(e);
		return;
	}
	e->uid = uid;
	e->sess = sess;
	SSL_SESSION_up_ref(sess);
	pthread_mutex_lock(&session_lock);
	TAILQ_INSERT_HEAD(&sessions, e, entry);
	if (++session_count > SESSION_CACHE_MAX)
		session_remove(TAILQ_LAST(&sessions, session_entries));
	pthread_mutex_unlock(&session_lock);
}

/* The newest usable session for cred, uid and target, or NULL. */
SSL_SESSION *
session_cache_get(const char *cred, uid_t uid, const char *target)
{
	struct session_entry	*e, *next;
	SSL_SESSION		*sess = NULL;
	time_t			 now = time(NULL);

	pthread_mutex_lock(&session_lock);
	for (e = TAILQ_FIRST(&sessions); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (session_expired(e->sess, now)) {
			session_remove(e);
			continue;
		}
		if (e->uid != uid || strcmp(e->cred, cred) != 0 ||
		    strcmp(e->target, target) != 0)
			continue;
		sess = e->sess;
		SSL_SESSION_up_ref(sess);
		if (SSL_SESSION_get_protocol_version(sess) >= TLS1_3_VERSION)
			session_remove(e);
		break;
	}
	pthread_mutex_unlock(&session_lock);
	return (sess);
}

void
session_cache_clear(void)
{
	pthread_mutex_lock(&session_lock);
	while (!TAILQ_EMPTY(&sessions))
		session_remove(TAILQ_FIRST(&sessions));
	pthread_mutex_unlock(&session_lock);
}
