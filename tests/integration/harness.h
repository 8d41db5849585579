/*
 * The integration test harness: a temporary directory with a fresh PKI, a
 * running secctxd, peer processes (openssl, gnutls), TCP helpers, and two
 * ways to drive a handshake through libsecctx:
 *
 *  - harness_handshake(): over a socket, exactly as an application would;
 *  - struct harness_pair: a client and a server context exchanging tokens
 *    in memory, one call at a time, so a test decides which bytes each side
 *    gets.
 *
 * Every test program runs its tests between harness_group_setup() and
 * harness_group_teardown(), each test followed by harness_test_teardown(),
 * which kill leftover peers and close leftover pairs even when the test
 * failed.
 */
#ifndef SECCTX_TEST_HARNESS_H
#define SECCTX_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <sys/types.h>

#include <cmocka.h>

#include "secctx.h"

/* The second user of tests that need one (nobody); they run as root. */
#define HARNESS_OTHER_UID	65534

/* The algorithm policies of the strict-server and strict-client credentials. */
#define STRICT_SERVER	"\"ciphersuites\": \"TLS_CHACHA20_POLY1305_SHA256\", " \
	"\"ciphers\": \"ECDHE-ECDSA-CHACHA20-POLY1305\", " \
	"\"groups\": \"P-384:P-256\", "
#define STRICT_CLIENT	"\"ciphersuites\": \"TLS_AES_128_GCM_SHA256\", " \
	"\"ciphers\": \"ECDHE-ECDSA-AES128-GCM-SHA256:" \
	"ECDHE-RSA-AES128-GCM-SHA256\", \"groups\": \"P-384:P-256\", " \
	"\"signature_algorithms\": \"ECDSA+SHA256:ECDSA+SHA384\", "

/*
 * The legacy-server credential (an RSA certificate) names suites that the
 * default leaves out: RSA key exchange and CBC.
 */
#define LEGACY_SERVER	"\"ciphers\": \"AES128-SHA:ECDHE-RSA-AES128-SHA\", "

/* How long any single wait (read, accept, child exit) may take. */
#define HARNESS_TIMEOUT_MS	10000

/* A cmocka test with the per-test teardown. */
#define harness_test(f)	cmocka_unit_test_teardown(f, harness_test_teardown)

/*
 * Run a test program's tests with the harness around them.  Unlike
 * cmocka_run_group_tests, a failed group teardown (the daemon did not exit
 * 0 on SIGTERM) fails the program.
 */
#define harness_run(name, tests) \
	harness_run_tests(name, tests, sizeof(tests) / sizeof((tests)[0]))
int		 harness_run_tests(const char *name,
		    const struct CMUnitTest *tests, size_t count);

struct harness {
	char	dir[64];	/* the temporary directory */
	char	pki[96];	/* dir/pki: the output of gen-pki.sh */
	char	config[96];	/* dir/secctxd.json */
	char	socket[96];	/* dir/secctxd.sock */
	char	log[96];	/* dir/secctxd.log: the daemon's stderr */
	pid_t	daemon;
};

extern struct harness harness;

int		 harness_group_setup(void **);
int		 harness_group_teardown(void **);
int		 harness_test_teardown(void **);
/* In a teardown: a forked child that failed an assertion exits here. */
void		 harness_child_guard(void);

/* "process" or "daemon": where the test credentials protect records. */
const char	*harness_records(void);

/* The path of a PKI file, e.g. harness_pki("server.pem"); 8 rotating buffers. */
const char	*harness_pki(const char *file);

/*
 * Exec secctxd (the path) with argv (argv[0] included, NULL-terminated)
 * in a forked child, behind $SECCTX_TEST_WRAPPER when it is set: a command
 * split at blanks, e.g. "valgrind -q --error-exitcode=99", that runs the
 * daemon.  Returns only when exec fails.  harness_daemon_wait_ms() scales a
 * wait on the daemon (start, stop) for a slow wrapper.
 */
void		 harness_exec_daemon(const char *daemon,
		    const char *const argv[]);
int		 harness_daemon_wait_ms(int ms);

/* Fail unless the daemon is still running. */
void		 harness_assert_daemon_alive(void);
/* Print the last lines of the daemon's log to stderr. */
void		 harness_print_log_tail(int lines);

/* A whole file, NUL-terminated; free() it. */
char		*harness_read_file(const char *path, size_t *lenp);
/* How many times needle occurs in the file (0 if there is no file). */
int		 harness_file_count(const char *path, const char *needle);
/* Wait until the file holds needle at least count times; fails on timeout. */
void		 harness_wait_file_count(const char *path, const char *needle,
		    int count);
/* The path of a new file in the test directory (for -msgfile). */
const char	*harness_test_file(const char *name);
/* What openssl -msg writes for a KeyUpdate sent and received. */
#define HARNESS_KU_SENT		">>> TLS 1.3, Handshake [length 0005], KeyUpdate"
#define HARNESS_KU_RECEIVED	"<<< TLS 1.3, Handshake [length 0005], KeyUpdate"

/* Status names for messages: the name or the hexadecimal value. */
const char	*harness_status_name(secctx_status);

/* Fail the test, naming both statuses, when actual is not expected. */
#define assert_status(actual, expected) \
	harness_assert_status((actual), (expected), #actual, __FILE__, \
	    __LINE__)
void		 harness_assert_status(secctx_status actual,
		    secctx_status expected, const char *expr, const char *file,
		    int line);

/* Fail unless haystack contains needle, printing the haystack. */
#define assert_contains(haystack, needle) \
	harness_assert_contains((haystack), (needle), __FILE__, __LINE__)
void		 harness_assert_contains(const char *haystack,
		    const char *needle, const char *file, int line);

/*
 * Peer processes: stdin from a pipe, stdout and stderr to a file, or with
 * harness_spawn_split() stdout to 'out' and stderr to 'err', so that 'out'
 * holds exactly the bytes the child wrote to its standard output.
 */
struct harness_child {
	pid_t	pid;		/* 0 when the slot is free */
	int	in;		/* write end of its stdin; -1 once closed */
	char	out[128];	/* its output file */
	char	err[136];	/* its stderr file; "" when it is 'out' */
	char	name[32];
};

struct harness_child *harness_spawn(const char *const argv[]);
struct harness_child *harness_spawn_split(const char *const argv[]);
void		 harness_child_write(struct harness_child *, const char *);
void		 harness_child_close_stdin(struct harness_child *);
/* Wait for the child to exit; its wait status.  Fails on timeout. */
int		 harness_child_wait(struct harness_child *, int timeout_ms);
/* Stop the child (SIGTERM, then SIGKILL) and free its slot. */
void		 harness_child_kill(struct harness_child *);
/* What the child wrote so far; free() it. */
char		*harness_child_output(struct harness_child *);
/* Wait until the child's output contains needle; fails on timeout. */
void		 harness_child_wait_output(struct harness_child *,
		    const char *needle, int timeout_ms);

/* TCP on 127.0.0.1. */
int		 harness_free_port(void);
int		 harness_tcp_listen(int *portp);
int		 harness_tcp_accept(int lfd, int timeout_ms);
int		 harness_tcp_connect(int port);
/* Wait until something accepts connections on port. */
void		 harness_wait_port(int port, int timeout_ms);
void		 harness_send_all(int fd, const void *, size_t);
/* Read what is available (at most len); 0 at EOF.  Fails on timeout. */
size_t		 harness_recv(int fd, void *, size_t len, int timeout_ms);

/* Start openssl s_server on a free port with extra arguments; its port. */
struct harness_child *harness_s_server(int *portp, const char *const args[]);
/*
 * Start openssl s_client against 127.0.0.1:port as a verifying client of
 * "localhost" (SNI, the test CA, -verify_return_error), with the version
 * option and extra arguments (NULL for none).
 */
struct harness_child *harness_s_client(int port, const char *version,
		    const char *const extra[]);

/* libsecctx: connect to the test daemon, acquire a credential (asserting). */
secctx_conn	*harness_connect(void);
secctx_cred	*harness_cred(secctx_conn *, const char *name,
		    enum secctx_direction);
/* What a context negotiated (asserting SEC_E_OK). */
void		 harness_info(secctx_ctx *, struct secctx_info *);

/*
 * Check what libsecctx promises about one call: extra <= in_len; out is
 * NULL exactly when out_len is 0; a failed call leaves no context; a
 * successful one leaves one; SEC_E_INCOMPLETE_MESSAGE produces no output,
 * keeps the context and reports the whole input as extra.
 */
void		 harness_check_token(secctx_status, const struct secctx_token *,
		    size_t in_len, secctx_ctx *before, secctx_ctx *after);

/* The result of harness_handshake(). */
struct harness_hs {
	/* Set by the caller. */
	int		 read_delay_ms;	/* sleep before every read */
	/* Set by harness_handshake(). */
	secctx_status	 status;	/* of the last call */
	secctx_ctx	*ctx;		/* the context (NULL after an error) */
	int		 calls;
	int		 incomplete;	/* SEC_E_INCOMPLETE_MESSAGE results */
	int		 eof;		/* the peer closed the connection */
	int		 peer_closed;	/* a send failed: the peer had gone */
	uint8_t		*extra;		/* unconsumed input after the end */
	size_t		 extra_len;
	size_t		 last_in_len;	/* input length of the last call */
	size_t		 alert_len;	/* output token sent with an error */
	uint8_t		 alert_type;	/* its first byte */
	char		 error[256];	/* secctx_last_error() after an error */
};

/*
 * Drive secctx_initialize (server == 0) or secctx_accept over fd until
 * SEC_E_OK, an error, or end of file: keep the 'extra' bytes, read more on
 * SEC_E_INCOMPLETE_MESSAGE or when no input is left, send every output
 * token, send the alert token on failure.  Returns hs->status.
 */
secctx_status	 harness_handshake(int fd, secctx_cred *, int server,
		    const struct secctx_options *, struct harness_hs *);
/* Delete the context if any and free the extra bytes. */
void		 harness_hs_free(struct harness_hs *);

/* One end of an in-memory pair. */
struct harness_side {
	const char		*role;		/* "client" or "server" */
	int			 server;
	secctx_conn		*conn;
	int			 own_conn;
	secctx_cred		*cred;
	secctx_ctx		*ctx;
	struct secctx_options	 opt;		/* used on the first call */
	uint8_t			*in;		/* received, not consumed */
	size_t			 in_len;
	size_t			 in_cap;
	secctx_status		 status;	/* of the last call */
	int			 calls;
	int			 done;		/* SEC_E_OK was returned */
	int			 failed;	/* an error was returned */
	size_t			 missing;	/* of the last call */
	size_t			 alert_len;	/* output with the error */
	uint8_t			 alert_type;
	char			 error[256];	/* secctx_last_error() */
};

struct harness_pair {
	struct harness_side	client;
	struct harness_side	server;
};

/*
 * Set up a pair: the client acquires client_cred outbound, the server
 * server_cred inbound, each on the connection given or, when it is NULL, on
 * a new one.  The client's target defaults to "localhost" and no_resume to
 * 1 (full handshakes); change the options before the first step.  The pair is allocated, so that the test
 * teardown can close it after a failed test.
 */
struct harness_pair *harness_pair_open(secctx_conn *client_conn,
		    const char *client_cred, secctx_conn *server_conn,
		    const char *server_cred);
/* Delete the contexts, free the credentials, close own connections. */
void		 harness_pair_close(struct harness_pair *);

/* One raw call with exactly this input; the caller frees tok->out. */
secctx_status	 harness_side_call(struct harness_side *, const void *in,
		    size_t in_len, struct secctx_token *tok);
/*
 * One call with everything the side has received: its output goes to the
 * peer, its unconsumed input stays.  An alert is delivered to the peer too.
 */
secctx_status	 harness_side_step(struct harness_side *,
		    struct harness_side *peer);
/* Add bytes to what a side has received. */
void		 harness_side_give(struct harness_side *, const void *,
		    size_t);
/* Take everything a side has received and not consumed; free() it. */
uint8_t		*harness_side_take(struct harness_side *, size_t *lenp);
/*
 * Step both sides until both are done or one fails; fails the test if the
 * exchange stalls.
 */
void		 harness_pair_run(struct harness_pair *);

/*
 * A whole in-memory handshake between a client context from cc and a
 * server context from sc, without cmocka, so that threads and child
 * processes may use it.  SEC_E_OK when both ends completed; the contexts
 * are left in *cctx and *sctx (NULL after a failure).
 */
secctx_status	 harness_raw_handshake(secctx_cred *cc, secctx_cred *sc,
		    const struct secctx_options *copt, secctx_ctx **cctx,
		    secctx_ctx **sctx);

/* TLS record helpers: 5-byte header, content type, 16-bit length. */
#define TLS_HEADER_LEN		5
#define TLS_CHANGE_CIPHER_SPEC	20
#define TLS_ALERT		21
#define TLS_HANDSHAKE		22
#define TLS_APPLICATION_DATA	23

/* The bytes a record-aligned buffer still needs: 0 if a record is whole. */
size_t		 harness_record_missing(const uint8_t *, size_t);

#endif
