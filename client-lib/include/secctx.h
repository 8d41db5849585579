/*
 * libsecctx: TLS security contexts held by the secctxd daemon.
 *
 * The application keeps its own sockets.  It passes the bytes it read from
 * its peer to the daemon and gets back the bytes to send, with an SSPI
 * status that says what to do next:
 *
 *   SEC_E_OK                  the handshake is complete;
 *   SEC_I_CONTINUE_NEEDED     send the output token, read the peer's reply
 *                             and call again;
 *   SEC_E_INCOMPLETE_MESSAGE  the input ends inside a record: read at least
 *                             'missing' more bytes and call again with all
 *                             unconsumed input;
 *   any other error           the context has been deleted; the output token
 *                             may hold an alert to send to the peer.
 *
 * SEC_E_INCOMPLETE_MESSAGE has the error bit set (SECCTX_FAILED() is true)
 * but the context lives on: test for it before treating a status as fatal.
 *
 * With every status, 'extra' is the count of trailing input bytes that were
 * not consumed: keep them, they start the next call's input.
 *
 * Every function returns a secctx_status.  After a failure,
 * secctx_last_error() gives a one-line reason for the calling thread.
 *
 * All objects are safe to use from several threads; calls on one connection
 * are serialized.  One thread may decrypt while another encrypts on the
 * same context; but the bytes a call gives to send must reach the peer in
 * the order the calls made them: a decrypt's 'out' (a KeyUpdate that
 * answers the peer's, say) before the records of any later encrypt.  An
 * application that sends from two threads sends each call's bytes under
 * the lock it holds across the call.
 *
 * An established context is normally mapped: its records are protected
 * in this process (the daemon handed over its traffic keys), so
 * secctx_encrypt(), secctx_decrypt(), secctx_shutdown() and
 * secctx_key_update() make no request to the daemon, and go on working
 * while the daemon is away.  A credential configured with "records":
 * "daemon", and a CBC cipher suite, keep every record in the daemon.
 *
 * When the daemon goes away (killed, restarted) or does not answer within
 * the connection's timeout (secctx_set_timeout()), no call hangs:
 *
 *   SEC_E_CONTEXT_EXPIRED     a call that needs the daemon's half of a
 *                             context of the lost connection (any call on
 *                             an unmapped context; the attributes of a
 *                             mapped one), the one waiting when it was
 *                             lost and every later one: an unmapped
 *                             context is lost, only secctx_delete()
 *                             remains, and succeeds;
 *   SEC_E_NO_AUTHENTICATING_AUTHORITY
 *                             any other call while the daemon cannot be
 *                             reached or does not answer in time.
 *
 * The connection object survives: the next call that names no context
 * (secctx_cred_acquire(), the first secctx_initialize() or
 * secctx_accept() of a context) connects again and says hello, and a
 * credential acquired before is acquired again by its name and direction,
 * so the application goes on with the same secctx_conn and secctx_cred
 * once the daemon is back.  A request that failed because its connection
 * was lost (not by a timeout) and named no context is sent once more on
 * the new connection: nothing it did in the daemon outlived the old one.
 */
#ifndef SECCTX_H
#define SECCTX_H

#include <stddef.h>
#include <stdint.h>

#include <secctx/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The daemon's socket when neither an argument nor SECCTX_SOCKET names one. */
#define SECCTX_DEFAULT_SOCKET	"/run/secctxd/secctxd.sock"

typedef struct secctx_conn	secctx_conn;	/* a connection to secctxd */
typedef struct secctx_cred	secctx_cred;	/* a credential handle */
typedef struct secctx_ctx	secctx_ctx;	/* a security context */

/*
 * The longest a call waits for the daemon's answer, in milliseconds, unless
 * $SECCTX_TIMEOUT_MS (a number of milliseconds; 0: no limit) or
 * secctx_set_timeout() says otherwise.
 */
#define SECCTX_DEFAULT_TIMEOUT_MS	30000

/*
 * Connect to the daemon at 'path', or when path is NULL at $SECCTX_SOCKET,
 * or else at SECCTX_DEFAULT_SOCKET.  SEC_E_NO_AUTHENTICATING_AUTHORITY when
 * the daemon cannot be reached.
 */
secctx_status	 secctx_connect(const char *path, secctx_conn **connp);

/*
 * How long each call on the connection waits for the daemon (sending the
 * request and reading the answer), in milliseconds; 0: no limit.  A call
 * that runs out of time closes the connection, since a late answer could
 * not be told from the next one: every context on it is lost
 * (SEC_E_CONTEXT_EXPIRED), and the call that timed out returns
 * SEC_E_NO_AUTHENTICATING_AUTHORITY unless it named a context.  A call
 * may also wait for the calls of other threads on the same connection.
 */
secctx_status	 secctx_set_timeout(secctx_conn *conn, unsigned int timeout_ms);

/*
 * Close the connection; the daemon frees its credentials and contexts.
 * Library objects still held may be freed afterwards; any other call on
 * them fails with SEC_E_NO_AUTHENTICATING_AUTHORITY.
 */
void		 secctx_disconnect(secctx_conn *conn);

/* The reason for the last failure in this thread ("" if none). */
const char	*secctx_last_error(void);

enum secctx_direction {
	SECCTX_OUTBOUND = 1,	/* client side: initialize contexts */
	SECCTX_INBOUND = 2	/* server side: accept contexts */
};

/*
 * Acquire the daemon's credential called 'name' for one direction.
 * SEC_E_UNKNOWN_CREDENTIALS: no credential of that name;
 * SEC_E_NOT_OWNER: the caller's uid/gid may not use it;
 * SEC_E_NO_CREDENTIALS: it cannot serve that direction.
 */
secctx_status	 secctx_cred_acquire(secctx_conn *conn, const char *name,
		    enum secctx_direction direction, secctx_cred **credp);

/* Release a credential; contexts made from it stay usable. */
secctx_status	 secctx_cred_free(secctx_cred *cred);

/*
 * The subject of the certificate the credential presents, in RFC 2253 form
 * with bytes outside printable ASCII written \XX, in *subject (valid until
 * secctx_cred_free()).  SEC_E_NO_CREDENTIALS: it presents no certificate.
 */
secctx_status	 secctx_cred_subject(const secctx_cred *cred,
		    const char **subject);

/* TLS protocol versions, for the version bounds below. */
enum secctx_version {
	SECCTX_VERSION_DEFAULT = 0,
	SECCTX_TLS1_2 = 0x0303,
	SECCTX_TLS1_3 = 0x0304
};

/* Client certificate request on the server side. */
enum secctx_client_cert {
	SECCTX_CLIENT_CERT_NONE = 0,
	SECCTX_CLIENT_CERT_OPTIONAL = 1,
	SECCTX_CLIENT_CERT_REQUIRED = 2
};

/*
 * Options for a new context; read on the first call only.  A NULL options
 * pointer means all defaults.
 */
struct secctx_options {
	/* Client: server name for SNI and certificate name checks. */
	const char		*target;
	/* ALPN protocols, in preference order (client offers, server picks). */
	const char *const	*alpn;
	size_t			 alpn_count;
	/* Version bounds; 0 is the daemon's default (TLS 1.2 to 1.3). */
	enum secctx_version	 min_version;
	enum secctx_version	 max_version;
	/* Server: whether to ask the client for a certificate. */
	enum secctx_client_cert	 client_cert;
	/*
	 * Client: do not resume a cached session, nor cache this one.  By
	 * default the daemon resumes sessions to the same target made with
	 * the same credential by the same uid.
	 */
	int			 no_resume;
	/*
	 * Client: do not offer TLS 1.3 post-handshake authentication, so the
	 * server cannot ask for a certificate after the handshake (whose
	 * answer decrypt would return in 'out').
	 */
	int			 no_post_handshake_auth;
	/*
	 * Client: complete the handshake even when the server's certificate
	 * does not verify (the daemon still verifies and logs the result).
	 * Only for callers whose policy allows it: SEC_E_NOT_OWNER otherwise.
	 * Such sessions are never cached for resumption.
	 */
	int			 skip_validation;
};

/*
 * One step of the handshake.  The caller fills 'in'; the call fills the
 * rest.  'out' is allocated by the library (NULL when there is nothing to
 * send) and released with secctx_free().
 */
struct secctx_token {
	const void	*in;		/* bytes received from the peer */
	size_t		 in_len;
	void		*out;		/* bytes to send to the peer */
	size_t		 out_len;
	size_t		 extra;		/* trailing input bytes not consumed */
	size_t		 missing;	/* INCOMPLETE_MESSAGE: bytes needed */
};

/*
 * Client side.  On the first call *ctxp is NULL and a context is created;
 * later calls pass it back (cred may then be NULL).  When the call fails the
 * context is deleted and *ctxp set to NULL.
 */
secctx_status	 secctx_initialize(secctx_cred *cred, secctx_ctx **ctxp,
		    const struct secctx_options *options,
		    struct secctx_token *token);

/* Server side, as secctx_initialize(). */
secctx_status	 secctx_accept(secctx_cred *cred, secctx_ctx **ctxp,
		    const struct secctx_options *options,
		    struct secctx_token *token);

/* The most data one encrypt or decrypt request carries. */
#define SECCTX_MAX_MESSAGE	(1024 * 1024)

/*
 * Encrypt len bytes of application data into TLS records (at most 16 KiB of
 * data each), returned in *out (release with secctx_free()).  After
 * secctx_shutdown(): SEC_E_CONTEXT_EXPIRED.
 */
secctx_status	 secctx_encrypt(secctx_ctx *ctx, const void *data, size_t len,
		    void **out, size_t *out_len);

/* One decrypt call.  The caller fills 'in'; the call fills the rest. */
struct secctx_message {
	const void	*in;		/* bytes received from the peer */
	size_t		 in_len;
	size_t		 max_records;	/* 0: all whole records; n: stop after
					   n records that carried data */
	void		*data;		/* plaintext (secctx_free()) */
	size_t		 data_len;
	void		*out;		/* bytes to send to the peer, rarely */
	size_t		 out_len;
	size_t		 extra;		/* trailing input bytes not consumed */
	size_t		 missing;	/* INCOMPLETE_MESSAGE: bytes needed */
};

/*
 * Decrypt the whole records at the start of 'in':
 *   SEC_E_OK                  data holds their plaintext (maybe none: the
 *                             records were post-handshake messages: a
 *                             KeyUpdate, or tickets and certificate
 *                             requests, which the daemon handles); keep
 *                             the last 'extra' input bytes for the next
 *                             call;
 *   SEC_E_INCOMPLETE_MESSAGE  'in' starts with a partial record: read at
 *                             least 'missing' more bytes and call again;
 *   SEC_I_CONTEXT_EXPIRED     the peer sent close_notify; data holds what
 *                             came before it;
 *   other errors              the record failed (SEC_E_DECRYPT_FAILURE...);
 *                             'out' holds the alert to send; the context is
 *                             dead and only secctx_delete() remains.  A
 *                             mapped context whose peer asks for a client
 *                             certificate while the daemon is away fails
 *                             with SEC_E_NO_AUTHENTICATING_AUTHORITY;
 *                             tickets arriving then are dropped.
 * Whenever out_len > 0, send 'out' to the peer.
 */
secctx_status	 secctx_decrypt(secctx_ctx *ctx, struct secctx_message *m);

/*
 * Produce our close_notify in *out (send it; release with secctx_free()).
 * Encrypting afterwards fails with SEC_E_CONTEXT_EXPIRED.
 */
secctx_status	 secctx_shutdown(secctx_ctx *ctx, void **out, size_t *out_len);

/*
 * TLS 1.3 KeyUpdate (RFC 8446 4.6.3): protect our next records under a new
 * key and, with request_peer, ask the peer to do the same.  *out holds the
 * KeyUpdate to send before any record encrypted afterwards (release with
 * secctx_free()).  A mapped context also updates its key by itself before
 * the cipher's usage limit (RFC 8446 5.5).  SEC_E_UNSUPPORTED_FUNCTION
 * for TLS 1.2; SEC_E_CONTEXT_EXPIRED after secctx_shutdown().
 */
secctx_status	 secctx_key_update(secctx_ctx *ctx, int request_peer,
		    void **out, size_t *out_len);

/*
 * Server side, TLS 1.3: ask the client for a certificate after the
 * handshake (post-handshake authentication, RFC 8446 4.6.2).  *out holds
 * the CertificateRequest to send; the client's answer arrives through
 * secctx_decrypt(), after which secctx_query_info() names the client.
 * The client must have offered post-handshake authentication and the
 * credential must have trust anchors: SEC_E_UNSUPPORTED_FUNCTION otherwise.
 */
secctx_status	 secctx_request_client_cert(secctx_ctx *ctx, void **out,
		    size_t *out_len);

/*
 * Delete a context at any point, freeing it in the daemon.  The request is
 * sent without waiting for the daemon's answer (read and dropped later),
 * so it costs no round trip; errors are local ones (no memory, no
 * connection).  A context lost with its connection is just released.
 */
secctx_status	 secctx_delete(secctx_ctx *ctx);

/* Release memory returned by the library. */
void		 secctx_free(void *p);

/* What a context negotiated.  Strings are empty when not applicable. */
struct secctx_info {
	char	protocol[16];		/* "TLSv1.3" */
	char	cipher[64];		/* OpenSSL name */
	char	cipher_iana[64];	/* IANA name */
	char	group[32];		/* key exchange group */
	char	signature[48];		/* peer's signature scheme */
	char	peer_subject[512];	/* RFC 2253 form */
	char	peer_issuer[512];
	char	alpn[256];		/* negotiated ALPN protocol */
	char	sni[256];		/* server: name the client asked for */
	char	credential[128];	/* the local credential's name */
	char	session_id[65];		/* TLS session id in hex, or "" */
	int	resumed;		/* 1 if the session was resumed */
	int	handshake_done;		/* 1 once SEC_E_OK was returned */
	/*
	 * Stream sizes, as Schannel's SECPKG_ATTR_STREAM_SIZES: one record
	 * carries at most stream_max_message bytes of data between at most
	 * stream_header and stream_trailer bytes of overhead.  0 before the
	 * handshake is complete.
	 */
	size_t	stream_header;
	size_t	stream_trailer;
	size_t	stream_max_message;
	size_t	stream_block_size;
};

secctx_status	 secctx_query_info(secctx_ctx *ctx, struct secctx_info *info);

/*
 * Keying material exporter (RFC 5705; RFC 8446 7.5): len bytes into out
 * for 'label' and, unless context is NULL, the context value.
 */
secctx_status	 secctx_export_keying_material(secctx_ctx *ctx,
		    const char *label, const void *context, size_t context_len,
		    void *out, size_t len);

/*
 * Channel binding data of 'type': "tls-server-end-point" (RFC 5929),
 * "tls-unique" (RFC 5929: the first Finished message; TLS 1.2 only, else
 * SEC_E_UNSUPPORTED_FUNCTION) or "tls-exporter" (RFC 9266), in *out
 * (release with secctx_free()).
 */
secctx_status	 secctx_channel_binding(secctx_ctx *ctx, const char *type,
		    void **out, size_t *out_len);

/*
 * The peer's certificate chain, leaf first: the DER certificates one after
 * the other in *der (release with secctx_free()), their lengths in lens.
 * *count is the room in lens on entry and the chain's length on return;
 * SEC_E_BUFFER_TOO_SMALL when the room was too small.
 */
secctx_status	 secctx_peer_certificates(secctx_ctx *ctx, void **der,
		    size_t *der_len, size_t *lens, size_t *count);

#ifdef __cplusplus
}
#endif

#endif
