/*
 * One TLS connection over a TCP socket, its handshake and records going
 * through secctxd: what secctx-client and secctx-server do with a peer.
 *
 * Bytes read from the peer accumulate in 'in'; after every call the daemon
 * says how many trailing bytes it did not consume ('extra'), and only those
 * are kept.  Bytes to send wait in 'out' until session_flush().
 */
#ifndef SECCTX_EXAMPLES_SESSION_H
#define SECCTX_EXAMPLES_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <secctx.h>

#include "common.h"

struct session {
	int		 fd;		/* the TCP socket (owned) */
	secctx_ctx	*ctx;		/* NULL before, or after a failure */
	uint8_t		*in;		/* received, not consumed */
	size_t		 in_len;
	size_t		 in_size;
	size_t		 need;		/* decrypt once in_len >= need */
	uint8_t		*out;		/* to send, not yet sent */
	size_t		 out_len;
	size_t		 out_size;
	int		 closed;	/* the peer sent close_notify */
	int		 eof;		/* the peer closed the TCP connection */
	int		 shut;		/* we sent (queued) close_notify */
	char		 err[ERRLEN];	/* the reason after a failure */
};

/* The handshake's side and parameters. */
struct handshake {
	secctx_cred			*cred;
	int				 server;	/* accept, not init */
	const struct secctx_options	*options;
};

/* Start a session on a connected socket, which it then owns. */
void		 session_init(struct session *, int fd);

/*
 * Run the handshake: feed what the peer sends to the daemon, send what the
 * daemon returns.  -1 with a reason in s->err (an alert, if any, has been
 * sent to the peer).  Bytes the peer sent after its last handshake message
 * stay in s->in for session_recv().
 */
int		 session_handshake(struct session *, const struct handshake *);

/*
 * 1 when session_recv() has whole records to decrypt without reading from
 * the socket (e.g. data that came with the end of the handshake).
 */
int		 session_pending(const struct session *);

/*
 * Read once from the socket (unless session_pending()) and decrypt the
 * whole records received.  *data gets the plaintext, possibly none
 * (free() it).  Sets s->closed on close_notify, s->eof at end of file.
 * Bytes the daemon wants sent (a KeyUpdate answer) are queued.  -1 with
 * a reason in s->err; when a record failed, the context is deleted
 * (s->ctx is NULL) and its alert queued.
 */
int		 session_recv(struct session *, void **data, size_t *len);

/* Encrypt len bytes and queue the records.  -1 with a reason in s->err. */
int		 session_send(struct session *, const void *data, size_t len);

/*
 * Queue our close_notify (once; nothing once the context failed).  -1 with
 * a reason in s->err.
 */
int		 session_shutdown(struct session *);

/*
 * Send queued bytes: all of them, or with 'nowait' what the socket takes
 * now.  -1 with a reason in s->err.
 */
int		 session_flush(struct session *, int nowait);

/*
 * After our close_notify or alert: half-close the socket and drain what
 * the peer sends until it closes, timeout_ms pass or 256 KiB came, so that
 * bytes left unread do not turn our close into a reset that loses what we
 * sent.
 */
void		 session_linger(struct session *, int timeout_ms);

/*
 * End the connection, after success or failure: queue our close_notify
 * unless the context failed (its alert is queued then) or the peer is gone,
 * send everything queued, then session_linger().  -1 with a reason in
 * s->err when close_notify could not be made or sent.
 */
int		 session_close(struct session *, int timeout_ms);

/* Delete the context, close the socket, free the buffers. */
void		 session_free(struct session *);

#endif
