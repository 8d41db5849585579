/*
 * A second secctxd for tests that need a configuration of their own
 * (limits, callers, credential policies), next to the harness's daemon and
 * using its PKI; and the raw protocol helpers those tests share: frames
 * built by hand, responses read back, the daemon's counters ("stats").
 *
 * Tests that start one use xd_test() instead of harness_test(), so that a
 * failed test still stops its daemon.
 */
#ifndef SECCTX_TEST_XDAEMON_H
#define SECCTX_TEST_XDAEMON_H

#include "harness.h"

#include <jansson.h>

#define xd_test(f)	cmocka_unit_test_teardown(f, xd_teardown)

struct xdaemon {
	pid_t	pid;
	char	socket[128];
	char	config[128];
	char	log[128];
};

/*
 * Write the configuration text with "@PKI@" replaced by the harness's PKI
 * directory, "@SOCK@" by this daemon's socket and "@UID@" by getuid(),
 * start secctxd on it and wait for its socket (asserting).
 */
void		 xd_start(struct xdaemon *, const char *name, const char *text);
/* SIGTERM; assert that it exits 0. */
void		 xd_stop(struct xdaemon *);
/*
 * Send sig to the daemon.  SIGSTOP returns once every thread of it is
 * stopped.  SIGKILL also reaps it and forgets it (its socket file stays):
 * xd_start() with the same name and text starts it again on the same
 * socket.
 */
void		 xd_signal(struct xdaemon *, int sig);
/*
 * Point the SSPI layer ($SECCTX_SOCKET) at this daemon; NULL: back at the
 * harness's.
 */
void		 xd_sspi_socket(const struct xdaemon *);
/* Kill every daemon still running, then the harness's test teardown. */
int		 xd_teardown(void **);
/* The daemon's log; free() it.  And how often needle occurs in it. */
char		*xd_log(const struct xdaemon *);
int		 xd_log_count(const struct xdaemon *, const char *needle);
/* Wait until the log contains needle; fails on timeout. */
void		 xd_wait_log(const struct xdaemon *, const char *needle,
		    int timeout_ms);

/* The monotonic clock in milliseconds. */
int64_t		 xd_now_ms(void);

/* Raw frames. */
int		 xd_raw_connect(const char *socket);
void		 xd_send_frame(int fd, const char *header, size_t hlen,
		    const void *payload, size_t plen);
void		 xd_send_header(int fd, const char *header);
/* The same without asserting (the daemon may have closed): 0 or -1. */
int		 xd_try_send_header(int fd, const char *header);

struct xd_resp {
	json_t		*hdr;
	uint8_t		*payload;
	size_t		 plen;
	secctx_status	 status;
	int64_t		 id;
};

/* Read one response (checking its form); 0 if the daemon closed first. */
int		 xd_read_resp(int fd, struct xd_resp *, int timeout_ms);
void		 xd_resp_free(struct xd_resp *);
/* Send a header, read the response, assert its id and status. */
void		 xd_expect(int fd, const char *header, int64_t id,
		    secctx_status);
/* Fail unless the daemon closes the connection. */
void		 xd_assert_closed(int fd);
/* Connect and say hello. */
int		 xd_hello(const char *socket);
/* A handle field of a response. */
void		 xd_handle(const struct xd_resp *, const char *key,
		    char out[17]);
/* acquire_credentials on a raw connection; the handle. */
void		 xd_acquire(int fd, const char *name, const char *direction,
		    char out[17]);
/* The first initialize step on a raw connection: one context. */
void		 xd_new_context(int fd, const char *cred, char ctx[17]);

/* The daemon's counters, read on a connection of their own. */
struct xd_stats {
	int64_t	connections;	/* including the one asking */
	int64_t	contexts;
	int64_t	buffered;
	int64_t	pool_steps;	/* handshake steps run in the pool */
	int64_t	mapped;		/* contexts mapped since the start */
};

void		 xd_stats(const char *socket, struct xd_stats *);
/* Wait until the daemon holds n contexts; fails on timeout. */
void		 xd_wait_contexts(const char *socket, int64_t n,
		    int timeout_ms);

/* A full in-memory handshake through libsecctx on that daemon. */
void		 xd_handshake_works(const char *socket, const char *ccred,
		    const char *scred);

#endif
