/* secctxd: the types and functions shared by the daemon's files. */
#ifndef SECCTXD_H
#define SECCTXD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "error.h"

#define SECCTXD_NAME		"secctxd"
#define SECCTXD_VERSION		"0.1.0"
#define SECCTXD_CONFIG		"/etc/secctx/secctxd.json"
#define SECCTXD_SOCKET		"/run/secctxd/secctxd.sock"

/* reserve.c: jansson's and libevent's allocator, with a reserve */
void	reserve_init(void);
void	reserve_cleanup(void);

/* log.c */
void	log_init(int verbose);
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));

/* The identity of a connected client, from SO_PEERCRED. */
struct peer {
	pid_t	pid;
	uid_t	uid;
	gid_t	gid;
	gid_t	*groups;	/* supplementary groups (SO_PEERGROUPS) */
	size_t	 ngroups;
	char	*exe;		/* /proc/PID/exe at connect, or NULL */
	struct uid_acct *acct;	/* uids.c: what its uid holds */
};

/* uids.c: per-uid connections, contexts and buffered bytes. */
struct uid_acct;
struct uid_acct	*uids_connect(uid_t, size_t max, size_t *held);
void		 uids_disconnect(struct uid_acct *);
unsigned	 uids_hash(uid_t, unsigned bits);
size_t		 uids_contexts_add(struct uid_acct *, long delta);
size_t		 uids_buffered_add(struct uid_acct *, long delta);
size_t		 uids_buffered(const struct uid_acct *);

enum direction {
	DIR_OUTBOUND = 1,	/* client side: initialize */
	DIR_INBOUND = 2		/* server side: accept */
};

/*
 * Who protects the records of a context once its handshake is complete:
 * the application's process, when it asks to (a mapped context), or
 * always the daemon.
 */
enum records {
	RECORDS_PROCESS = 0,
	RECORDS_DAEMON = 1
};

/* creds.c: a named credential, loaded once. */
struct cred {
	char		*name;
	SSL_CTX		*server_ctx;	/* NULL without certificate and key */
	SSL_CTX		*client_ctx;	/* NULL without trust anchors */
	int		 has_trust;	/* ca_file or system_trust given */
	uid_t		*uids;
	size_t		 nuids;
	gid_t		*gids;
	size_t		 ngids;
	int		 refs;
	char		**executables;	/* absolute paths; none: any */
	size_t		 nexecutables;
	int		 directions;	/* DIR_* bits allowed; 0: both */
	enum records	 records;	/* who protects established records */
	int		 skip_ok;	/* its contexts may skip validation,
					   for callers allowed to */
};

struct cred_source {
	const char	*name;
	const char	*certificate;
	const char	*private_key;
	const char	*ca_file;
	const char	*crl_file;	/* CRLs checked for the peer's leaf */
	int		 system_trust;
	int		 allow_insecure_key_file; /* skip the key file checks */
	const char	*ciphers;	/* TLS 1.2 cipher string; NULL: default */
	const char	*ciphersuites;	/* TLS 1.3 suites */
	const char	*groups;	/* key exchange groups */
	const char	*signature_algorithms;
	enum records	 records;
	int		 allow_skip_validation;
};

/* creds.c */
const char	*ssl_reason(void);
secctx_status	 cred_load(const struct cred_source *, struct cred **,
		    struct sc_err *);
void		 cred_next_generation(void);
struct cred	*cred_ref(struct cred *);
void		 cred_unref(struct cred *);
secctx_status	 cred_check_direction(const struct cred *, enum direction,
		    struct sc_err *);
/* tls-policy.c: a credential's algorithm lists on one of its contexts. */
secctx_status	 tls_policy_apply(SSL_CTX *, const struct cred_source *,
		    struct sc_err *);

/* config.c: the "limits" object (docs/configuration.md). */
struct limits {
	uint32_t	 max_header;		/* frame header bytes */
	uint32_t	 max_payload;		/* frame payload bytes */
	size_t		 contexts_per_connection;
	size_t		 contexts_per_uid;
	size_t		 connections_per_uid;
	size_t		 total_contexts;
	size_t		 buffer_per_connection;	/* read ahead; unread output */
	size_t		 buffer_per_uid;	/* all its connections' */
	int		 frame_timeout_ms;	/* first byte to whole frame */
	int		 idle_timeout_ms;	/* no request; 0: none */
	int		 handshake_timeout_ms;	/* first step to established */
};

/* config.c: one entry of "callers": what a caller may ask for. */
struct caller_policy {
	uid_t		*uids;
	size_t		 nuids;
	gid_t		*gids;
	size_t		 ngids;
	int		 min_version;		/* TLS1_2_VERSION, ... */
	char		**targets;		/* fnmatch(3); none: all */
	size_t		 ntargets;
	int		 skip_validation;	/* may ask to skip it */
	size_t		 index;			/* in "callers"; -1: default */
};

struct config {
	char		*socket_path;
	mode_t		 socket_mode;
	struct cred	**creds;
	size_t		 ncreds;
	struct limits	 limits;
	struct caller_policy *callers;
	size_t		 ncallers;
	int		 threads;		/* event loops (at start) */
	int		 handshake_threads;	/* pool threads (at start) */
};

#define THREADS_MAX	256

void		 config_lock_init(void);
void		 config_rdlock(void);
void		 config_wrlock(void);
void		 config_unlock(void);

secctx_status	 config_load(const char *path, struct config **,
		    struct sc_err *);
void		 config_free(struct config *);
struct cred	*config_find_cred(const struct config *, const char *name);
void		 strings_free(char **, size_t);

/* policy.c: every access decision. */
int		 policy_may_use(const struct cred *, const struct peer *);
secctx_status	 policy_check_cred(const struct cred *, const struct peer *,
		    enum direction, struct sc_err *);
const struct caller_policy *policy_caller(const struct config *,
		    const struct peer *);
struct ctx_params;
secctx_status	 policy_check_context(const struct caller_policy *,
		    enum direction, struct ctx_params *, struct sc_err *);
secctx_status	 policy_check_skip(const struct cred *,
		    const struct ctx_params *, struct sc_err *);
int		 policy_may_read_stats(const struct peer *);

/* tls-bio.c: the BIOs under a context's SSL object. */
int		 tls_bio_init(void);
void		 tls_bio_cleanup(void);
BIO		*tls_bio_input_new(void);
BIO		*tls_bio_output_new(void);
void		 tls_bio_input_set(BIO *, const unsigned char *);
void		 tls_bio_input_extend(BIO *, size_t);
int		 tls_bio_output_reserve(BIO *, size_t);
void		 tls_bio_output_get(BIO *, const unsigned char **, size_t *);
void		 tls_bio_output_reset(BIO *);

/* context.c: the TLS state machine.  It knows no sockets and no JSON. */
struct tls_context;

struct ctx_params {
	const char		*target;
	const unsigned char	*alpn;		/* wire format, or NULL */
	size_t			 alpn_len;
	int			 min_version;	/* 0 or TLS1_2_VERSION, ... */
	int			 max_version;
	int			 client_cert;	/* 0 none, 1 optional, 2 required */
	uid_t			 uid;		/* the caller */
	int			 no_resume;	/* no cached session */
	int			 no_pha;	/* client: refuse post-handshake
						   certificate requests */
	int			 skip_validation; /* client: verify, but do
						   not fail the handshake */
	int			 mapped;	/* the caller may protect the
						   records itself */
	int			 ask_credentials; /* client: pause when asked
						   for a certificate it lacks */
};

struct step_result {
	const unsigned char	*out;		/* bytes to send, owned by ctx */
	size_t			 out_len;
	size_t			 extra;
	size_t			 missing;
	const unsigned char	*mapped;	/* the packed record state of a
						   context mapped by this step,
						   owned by ctx: keys */
	size_t			 mapped_len;
};

struct decrypt_result {
	struct step_result	 step;		/* reply to send, extra, missing */
	unsigned char		*data;		/* plaintext, caller's buffer */
	size_t			 data_cap;
	size_t			 data_len;
	size_t			 records;	/* records that held data */
};

/*
 * Strings from the peer are escaped (proto/escape.h): ALPN and SNI by
 * sc_escape() (255 bytes, at most 4 each), the names in RFC 2253 form.
 */
#define CTX_INFO_PEER_MAX	(255 * 4 + 1)

struct ctx_info {
	const char	*protocol;
	const char	*cipher;
	const char	*cipher_iana;
	const char	*group;
	const char	*signature;
	char		 peer_subject[512];
	char		 peer_issuer[512];
	char		 alpn[CTX_INFO_PEER_MAX];
	char		 sni[CTX_INFO_PEER_MAX];
	const char	*credential;
	char		 session_id[65];	/* hex, "" if none */
	int		 resumed;
	int		 handshake_done;
	int		 stream_header;
	int		 stream_trailer;
	int		 stream_max_message;
	int		 stream_block_size;
	long		 verify_result;	/* X509_V_OK, or why not */
};

secctx_status	 context_new(struct cred *, enum direction,
		    const struct ctx_params *, struct tls_context **,
		    struct sc_err *);
secctx_status	 context_handshake(struct tls_context *, const unsigned char *,
		    size_t, struct step_result *, struct sc_err *);
secctx_status	 context_encrypt(struct tls_context *, const unsigned char *,
		    size_t, struct step_result *, struct sc_err *);
secctx_status	 context_decrypt(struct tls_context *, const unsigned char *,
		    size_t, size_t max_records, struct decrypt_result *,
		    struct sc_err *);
secctx_status	 context_shutdown(struct tls_context *, struct step_result *,
		    struct sc_err *);
/* client_updates: the client's TLS 1.3 KeyUpdates since the mapping. */
secctx_status	 context_post_handshake(struct tls_context *,
		    const unsigned char *, size_t, uint64_t client_updates,
		    struct step_result *, struct sc_err *);
secctx_status	 context_key_update(struct tls_context *, int request_peer,
		    struct step_result *, struct sc_err *);
secctx_status	 context_request_client_cert(struct tls_context *,
		    uint64_t client_updates, struct step_result *,
		    struct sc_err *);
secctx_status	 context_export(struct tls_context *, const char *label,
		    const unsigned char *context, size_t context_len,
		    int use_context, unsigned char *out, size_t len,
		    struct sc_err *);
secctx_status	 context_server_end_point(struct tls_context *,
		    unsigned char *out, size_t *len, struct sc_err *);
secctx_status	 context_tls_unique(struct tls_context *,
		    unsigned char *out, size_t *len, struct sc_err *);
secctx_status	 context_peer_chain(struct tls_context *, BIO *out,
		    size_t *lens, size_t *count, struct sc_err *);
void		 context_output_done(struct tls_context *);
/* A handshake step of the context runs in the pool. */
void		 context_set_busy(struct tls_context *, int);
int		 context_busy(const struct tls_context *);
/* Whether the handshake completed; when the context was made (ms). */
int		 context_established(const struct tls_context *);
uint64_t	 context_mapped_count(void);
int		 context_step_signs_slowly(const struct tls_context *);
int64_t		 context_started_ms(const struct tls_context *);
int64_t		 context_now_ms(void);
enum direction	 context_direction(const struct tls_context *);
const struct cred *context_cred(const struct tls_context *);
int		 context_skips_validation(const struct tls_context *);
void		 context_info(struct tls_context *, struct ctx_info *);
void		 context_free(struct tls_context *);
int		 context_global_init(void);
void		 context_global_cleanup(void);
void		 context_init_ssl_ctx(SSL_CTX *, enum direction);

/*
 * context-map.c: the record state a mapped context hands to the
 * application, and the daemon's own directions toward its SSL object.
 */
struct ctx_map;
struct ctx_map	*ctx_map_new(void);
void		 ctx_map_free(struct ctx_map *);
void		 ctx_map_keylog(struct ctx_map *, const char *line);
secctx_status	 ctx_map_capture(struct ctx_map *, SSL *, enum direction,
		    const unsigned char *out, size_t out_len, int *mapped,
		    struct sc_err *);
void		 ctx_map_packed(const struct ctx_map *, const unsigned char **,
		    size_t *);
void		 ctx_map_packed_clear(struct ctx_map *);
secctx_status	 ctx_map_seal(struct ctx_map *, const unsigned char *, size_t,
		    unsigned char **out, size_t *out_len, struct sc_err *);
secctx_status	 ctx_map_update(struct ctx_map *, int to_ssl, struct sc_err *);
secctx_status	 ctx_map_open(struct ctx_map *, const unsigned char *, size_t,
		    unsigned char *out, size_t *out_len, struct sc_err *);

/* session-cache.c: client sessions by credential, uid and target. */
void		 session_cache_put(const char *, uid_t, const char *,
		    SSL_SESSION *);
SSL_SESSION	*session_cache_get(const char *, uid_t, const char *);
void		 session_cache_clear(void);

/* ticket-keys.c: the server's session ticket keys. */
#define TICKET_ROTATION_DEFAULT	3600
void		 ticket_keys_set_rotation(int seconds);
int		 ticket_keys_rotation(void);
/* Tickets of sctx under keys of its own, derived from its sid context. */
secctx_status	 ticket_keys_attach(SSL_CTX *sctx, const unsigned char *sid,
		    size_t sidlen, struct sc_err *);
void		 ticket_keys_clear(void);

/* tls-error.c: an OpenSSL failure as an SSPI status and message. */
secctx_status	 tls_error(SSL *, struct sc_err *);

/* tls-info.c: what a TLS connection negotiated. */
void		 tls_info(SSL *, struct ctx_info *);
/* A certificate name in RFC 2253 form, escaped for a log line or a message. */
void		 tls_name_string(const X509_NAME *, char *buf, size_t len);

/* handles.c: the handles one connection holds. */
enum handle_type {
	HANDLE_CRED = 1,
	HANDLE_CTX = 2
};

struct handle_slot {
	uint64_t	 key;	/* 0: empty; 1: deleted */
	int		 type;
	void		*ptr;
};

struct handles {
	struct handle_slot	*slots;
	size_t			 cap;
	size_t			 used;	/* live and deleted slots */
	size_t			 count;	/* live slots */
};

void		 handles_init(struct handles *);
int		 handles_add(struct handles *, int type, void *, uint64_t *);
void		*handles_get(struct handles *, uint64_t, int type);
void		*handles_remove(struct handles *, uint64_t, int type);
/* Call fn for each live handle of a type; fn may remove that handle. */
void		 handles_each(struct handles *, int type,
		    void (*fn)(uint64_t, void *, void *), void *arg);
void		 handles_clear(struct handles *,
		    void (*)(int type, void *));

/* A credential handle: the credential and the direction acquired for. */
struct cred_handle {
	struct cred	*cred;
	enum direction	 direction;
};

/* conn.c: one connected client. */
struct conn {
	uint64_t		 serial;
	struct peer		 peer;
	struct shard		*shard;		/* the loop that serves it */
	int			 fd;
	struct event		*rev;		/* readable (while reading) */
	struct event		*wev;		/* writable (output pending) */
	struct event		*turn;		/* its next turn on the loop */
	int			 reading;	/* rev is added */
	int			 broken;	/* the socket failed */
	unsigned char		*in;		/* bytes read, not yet taken */
	size_t			 in_start, in_end, in_cap;
	struct evbuffer		*out;		/* what the socket did not take */
	struct handles		 handles;
	int			 hello_done;
	int			 closing;
	TAILQ_ENTRY(conn)	 entry;
	struct event		*timer;		/* frame, idle, linger */
	int			 timer_kind;	/* enum conn_timer */
	size_t			 nctx;		/* contexts it holds */
	unsigned		 limits_logged;	/* LIMIT_* bits logged */
	int			 paused;	/* output over the limit */
	/* Handshake steps of its contexts in the pool (pool.c). */
	int			 njobs;
	int			 stalled;	/* a request waits for one */
	int			 dead;		/* went away meanwhile */
	size_t			 buffered;	/* for stats (__atomic) */
	size_t			 held;		/* counted for its uid */
	/* deadline.c: the handshake deadline's timer, contexts it deleted. */
	struct event		*deadline_timer;
	uint64_t		 expired[16];
	unsigned		 expired_next;
};

void		 conn_accept(struct shard *, int fd, const struct peer *);
void		 conn_close_all(void);
int		 conn_send(struct conn *, json_t *hdr, const struct iovec *,
		    int, unsigned secret);
void		 conn_close_after_write(struct conn *);
int		 conn_job_start(struct conn *);
void		 conn_job_end(struct conn *);

/*
 * pool.c and shard.c: work that leaves a loop.  A job runs on a pool
 * thread, then its connection's loop finishes it.
 */
struct job {
	TAILQ_ENTRY(job)	 entry;
	uid_t			 uid;		/* whose turn it takes */
	struct shard		*shard;
	void			(*run)(struct job *);	/* pool thread */
	void			(*done)(struct job *);	/* the loop */
};

/* Handshake steps one connection may have in the pool at once. */
#define POOL_JOBS_PER_CONN	16

int		 pool_start(size_t threads, struct sc_err *);
int		 pool_enabled(void);
uint64_t	 pool_steps(void);
int		 pool_submit(struct job *);
void		 pool_stop(void);

int		 shards_start(size_t loops, struct sc_err *);
void		 shards_assign(int fd, const struct peer *);
void		 shards_halt(void);
void		 shards_free(void);
struct event_base *shard_base(struct shard *);
void		 shard_post(struct shard *, struct job *);

/* dispatch.c: the operations table. */
struct request {
	json_t			*hdr;
	int64_t			 id;
	const char		*op;
	const unsigned char	*payload;
	size_t			 plen;
};

/* What a handler leaves for the response besides its header fields. */
#define RESPONSE_IOV	2
struct response {
	json_t			*fields;
	struct iovec		 payload[RESPONSE_IOV];	/* sent in turn */
	unsigned		 secret;	/* bit i: payload[i] holds keys */
	void			*owned;		/* freed after sending */
	struct tls_context	*ctx;		/* output to release */
	int			 free_ctx;	/* the context failed */
	int			 close;		/* close after the response */
	int			 deferred;	/* answered later (pool) */
};

typedef secctx_status op_fn(struct conn *, struct request *,
    struct response *, struct sc_err *);

int		 dispatch(struct conn *, struct request *);
void		 dispatch_respond(struct conn *, int64_t id, secctx_status,
		    const char *msg, struct response *);
void		 dispatch_error(struct conn *, int64_t id, const struct sc_err *);

/* "outbound", "inbound" as in requests; index 0 is "". */
extern const char *const direction_names[];

/* op-cred.c */
op_fn		 op_acquire, op_free_cred;

/* op-context.c */
op_fn		 op_initialize, op_accept, op_delete, op_query;
struct tls_context *context_get(struct conn *, const json_t *, uint64_t *,
		    struct sc_err *);
void		 context_audit(struct conn *, struct tls_context *,
		    secctx_status, const struct sc_err *);
void		 context_failed(struct conn *, uint64_t, struct tls_context *,
		    struct response *);

/* op-attr.c */
op_fn		 op_export, op_channel_binding, op_peer_certificates;

/* op-message.c */
op_fn		 op_encrypt, op_decrypt, op_shutdown, op_post_handshake,
		 op_request_client_cert, op_key_update;

/* limits.c: the limits of docs/configuration.md and the counters. */
enum limit {
	LIMIT_CONTEXTS_PER_CONN = 1 << 1,
	LIMIT_TOTAL_CONTEXTS = 1 << 3,
	LIMIT_BUFFER = 1 << 4,
	LIMIT_FRAME_TIMEOUT = 1 << 5,
	LIMIT_IDLE_TIMEOUT = 1 << 6,
	LIMIT_HANDSHAKE_TIMEOUT = 1 << 7,
	LIMIT_MEMORY = 1 << 8,		/* the daemon ran short of memory */
	LIMIT_CONTEXTS_PER_UID = 1 << 9,
	LIMIT_UID_SHARE = 1 << 10,	/* half of what others leave free */
	LIMIT_BUFFER_PER_UID = 1 << 11
};

struct stats {
	size_t		 connections;
	size_t		 contexts;
	size_t		 buffered;	/* bytes in all connection buffers */
	uint64_t	 pool_steps;	/* handshake steps run in the pool */
	uint64_t	 mapped;	/* contexts mapped */
};

void		 limits_default(struct limits *);
const struct limits *limits_get(void);
void		 limits_log_once(struct conn *, enum limit, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
secctx_status	 limits_context_add(struct conn *, struct sc_err *);
void		 limits_context_removed(struct conn *);
size_t		 limits_total_contexts(void);

void		 conn_stats(struct stats *);

/*
 * deadline.c: limits.handshake_timeout.  A context whose handshake is not
 * complete that long after it was made is deleted: at its next step, or by
 * a timer on its connection's loop.  Requests naming it afterwards are
 * answered SEC_E_CONTEXT_EXPIRED (the last handles deleted so are kept).
 */
void		 deadline_start(struct conn *);
secctx_status	 deadline_check(struct conn *, struct tls_context *, uint64_t,
		    struct sc_err *);
int		 deadline_expired(struct conn *, uint64_t, struct sc_err *);
int		 deadline_forget(struct conn *, uint64_t);
void		 deadline_stop(struct conn *);

/* audit.c: one line per context established or refused. */
struct audit {
	const struct conn	*conn;
	const char		*credential;
	enum direction		 dir;
	const char		*target;	/* requested, or NULL */
	struct tls_context	*ctx;		/* NULL when refused early */
	int			 skip_validation;
};
void		 audit_context(const struct audit *, secctx_status,
		    const char *reason);

/* op-stats.c */
op_fn		 op_stats;

/* server.c */
int		 server_listen(const char *path, mode_t mode, struct sc_err *);
int		 server_start(struct event_base *, int fd, struct sc_err *);
void		 server_stop(void);

/* notify.c: readiness and state for the service manager (sd_notify). */
void		 notify_init(void);
void		 notify_send(const char *assignments, const char *status_fmt,
		    ...) __attribute__((format(printf, 2, 3)));
void		 notify_reloading(void);
void		 notify_close(void);

/*
 * reload.c: SIGHUP.  A credential kept by a reload takes the new contents
 * in place (reload.c swaps every field but name and refs), so every field
 * of struct cred must be owned by the credential and freed by cred_unref().
 */
secctx_status	 reload_config(const char *path, struct sc_err *);

/* main.c */
extern struct event_base	*base;
extern struct config		*config;

#endif
