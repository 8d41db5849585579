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
 * until the last of them is released; once the socket is closed every
 * request fails with SEC_E_NO_AUTHENTICATING_AUTHORITY.
 */
struct secctx_conn {
	pthread_mutex_t	 lock;
	int		 fd;		/* -1 once closed */
	unsigned int	 refs;
	int64_t		 next_id;
	uint32_t	 max_payload;	/* the daemon's limit, from hello */
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		 closed_why[256]; /* why fd is -1 */
};

struct secctx_cred {
	secctx_conn	*conn;
	uint64_t	 handle;
};

struct secctx_ctx {
	secctx_conn	*conn;
	uint64_t	 handle;
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
 */
secctx_status	 conn_request(secctx_conn *, const char *op, json_t *req,
		    const void *payload, size_t len, struct conn_reply *reply);
void		 conn_reply_free(struct conn_reply *);

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
