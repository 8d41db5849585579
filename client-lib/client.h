/*
 * Internal declarations shared by the files of libsecctx.
 */
#ifndef SECCTX_CLIENT_H
#define SECCTX_CLIENT_H

#include <sys/un.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "secctx.h"

/*
 * A connection to the daemon.  The lock is held for a whole request and
 * response, so the stream is never shared mid-frame.  Credentials and
 * contexts hold a reference, so the structure outlives secctx_disconnect()
 * until the last of them is released.
 *
 * A session is one socket and its hello.  When the stream fails (the
 * daemon went away, or did not answer within timeout_ms) the socket is
 * closed and every context of the session is lost; the next request that
 * names no context opens a new session (client.c).  Once the application
 * called secctx_disconnect() no session is opened again.
 */
/* Read ahead: most responses arrive whole in one read. */
#define CONN_RBUF_SIZE		16384
/* Requests sent without waiting for their answers (deletes), at most. */
#define CONN_UNANSWERED_MAX	64

struct secctx_conn {
	pthread_mutex_t	 lock;
	int		 fd;		/* -1 between sessions */
	int		 closed;	/* secctx_disconnect(): no new session */
	int		 timed_out;	/* the last failure was a timeout */
	unsigned int	 refs;
	uint64_t	 session;	/* sessions opened so far */
	int		 timeout_ms;	/* per request; 0: none */
	int64_t		 next_id;
	uint32_t	 max_payload;	/* the daemon's limit, from hello */
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		 closed_why[256]; /* why fd is -1 */
	/* Bytes read from the socket and not yet taken: rbuf[roff..rlen). */
	uint8_t		 rbuf[CONN_RBUF_SIZE];
	size_t		 roff;
	size_t		 rlen;
	/* A request went out since the last read: wait before reading. */
	int		 sent;
	/* The daemon closed its end: its last answer may still be read. */
	int		 hungup;
	/* Requests of this session whose answers are read and dropped. */
	int64_t		 unanswered[CONN_UNANSWERED_MAX];
	size_t		 nunanswered;
};

/*
 * A credential: its handle in session 'session'.  In a later session the
 * library acquires it again by name and direction (conn->lock guards
 * handle and session).
 */
struct secctx_cred {
	secctx_conn		*conn;
	uint64_t		 handle;
	uint64_t		 session;
	char			*name;
	char			*subject;	/* NULL: no certificate */
	enum secctx_direction	 direction;
};

/*
 * A context lives in the session that created it, and is lost with it,
 * unless it is mapped: then its records are protected in this process
 * (mapped.c) and it keeps working without the daemon; only what needs the
 * daemon's TLS object (attributes, post-handshake messages) is lost.
 */
struct mapped;
struct secctx_ctx {
	secctx_conn	*conn;
	uint64_t	 handle;
	uint64_t	 session;
	struct mapped	*mapped;	/* NULL: records through the daemon */
};

/*
 * What a request depends on.  session: the session of the context it
 * names (0: none); a context of an earlier session is lost, and the
 * request fails with SEC_E_CONTEXT_EXPIRED without reaching the daemon.
 * On return it is the session the request went to.  cred: put its handle
 * in the "cred" field, acquiring it again first in a new session; with
 * drop_stale, a credential of an earlier session is not acquired again
 * and the request is not sent (free_credentials).
 */
struct conn_bind {
	uint64_t	 session;
	secctx_cred	*cred;
	int		 drop_stale;
};

/* A response: its header, its payload (malloc'd, NULL if empty). */
struct conn_reply {
	json_t		*hdr;
	uint8_t		*payload;
	size_t		 payload_len;
};

/*
 * Send request 'req' (its fields; "op" and "id" are added) with a payload,
 * and wait for the response.  Returns the response status, or the local
 * failure.  On an error status the thread's last error is set to
 * "<STATUS_NAME>: <message>".  *reply is filled whenever a response was
 * read, errors included, and must be released with conn_reply_free().
 * bind says what the request depends on (NULL: no context, no
 * credential).
 */
secctx_status	 conn_request_bound(secctx_conn *, struct conn_bind *,
		    const char *op, json_t *req, const void *payload,
		    size_t len, struct conn_reply *reply);
/* Whether a context of session 'session' is still in the daemon. */
int		 conn_session_live(secctx_conn *, uint64_t session);
/*
 * Send a request naming a context of session ctx_session without waiting
 * for its response, which is read and dropped later: for requests whose
 * answer changes nothing (a delete).  Nothing is sent for a lost context.
 */
secctx_status	 conn_request_nowait(secctx_conn *, uint64_t ctx_session,
		    const char *op, json_t *req);
void		 conn_reply_free(struct conn_reply *);

/*
 * secctx_initialize(); with ask_credentials (first call), a server's
 * request for a certificate the credential does not have pauses the
 * handshake once with SEC_I_INCOMPLETE_CREDENTIALS, as Schannel does (the
 * SSPI layer); the next call goes on without one.
 */
secctx_status	 client_initialize(secctx_cred *, secctx_ctx **,
		    const struct secctx_options *, int ask_credentials,
		    struct secctx_token *);

/* Take and drop a reference to the connection. */
void		 conn_ref(secctx_conn *);
void		 conn_unref(secctx_conn *);

/* Set the thread's last error to "<STATUS_NAME>: <message>"; return status. */
secctx_status	 client_seterr(secctx_status, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* Keep the last error across a cleanup request that may overwrite it. */
#define CLIENT_ERRLEN	512
void		 client_error_save(char buf[CLIENT_ERRLEN]);
void		 client_error_restore(const char buf[CLIENT_ERRLEN]);

#endif
