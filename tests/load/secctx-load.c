/*
 * secctx-load: hundreds of concurrent clients against one secctxd.  See
 * tests/load/README.md.
 *
 * The program makes a temporary directory with a PKI (tests/gen-pki.sh)
 * and a configuration, starts the daemon, and runs T threads, each driving
 * P slots round robin.  A slot is an application pair: a client and a
 * server connection to the daemon through libsecctx, so 2 * T * P
 * connections are open at once.  Each turn advances one slot by one call:
 *
 *   - a session (70%): a TLS 1.3 or 1.2 handshake (half of them with a
 *     required client certificate; no session cache), then a bulk transfer both ways of
 *     1 KiB to 512 KiB in chunks of up to 64 KiB, every plaintext byte
 *     compared with what was sent (and an FNV-1a checksum per stream);
 *     8% of sessions are cut mid-transfer by closing the server's
 *     connection with records in flight;
 *   - a handshake cut short (15%): both connections closed after 1 to 3
 *     handshake calls;
 *   - a hostile client (15%): a raw connection sending malformed requests
 *     (header not JSON, unknown op, made-up and malformed handles, wrong
 *     field types, a frame over the limits), each checked against the
 *     status PROTOCOL.md gives it.
 *
 * A warm-up phase runs the same load, then everything is closed; the
 * daemon's VmRSS, open descriptors and counters (the "stats" op) are taken
 * as the baseline.  After the main phase and a settle period they must be
 * back: 0 contexts, 1 connection (the one asking), 0 bytes buffered, the
 * same descriptors, VmRSS within max(10%, 8 MiB) of the baseline; every
 * byte sent in a session that was not cut arrives intact; no call fails
 * except where the test provoked it; the daemon is alive and stops
 * cleanly on SIGTERM.
 */

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "secctx.h"

#define MAX_CHUNK	(64 * 1024)
#define BUF_CAP		(MAX_CHUNK * 2 + 65536)

struct opts {
	const char	*daemon;
	const char	*gen_pki;
	double		 seconds;
	double		 warmup;
	int		 threads;
	int		 pairs;
	unsigned	 seed;
	int		 check_rss;
	int		 keep;
};

static struct opts	 o = { NULL, NULL, 20, 3, 30, 5, 1, 1, 0 };
static char		 dir[32], sock_path[96], log_path[96];
static pid_t		 daemon_pid;
static atomic_int	 stop;

/* Counters, over all threads. */
static atomic_llong	 n_sessions, n_cut_hs, n_cut_data, n_hostile;
static atomic_llong	 n_handshakes, bytes_sent, bytes_ok, n_errors;
static atomic_llong	 n_calls;

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "secctx-load: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (daemon_pid > 0)
		kill(daemon_pid, SIGKILL);
	exit(1);
}

/* An unexpected result: counted, the first ones printed. */
static void
error(const char *fmt, ...)
{
	va_list	ap;

	if (atomic_fetch_add(&n_errors, 1) >= 20)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "secctx-load: ERROR: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static uint32_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((uint32_t)(*s >> 16));
}

/* The bytes of stream 'id' at offset 'off': both ends can make them. */
static void
pattern(uint64_t id, size_t off, uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		uint64_t	x = (id * 0x9e3779b97f4a7c15ULL) ^ (off + i);

		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ULL;
		p[i] = (uint8_t)(x >> 32);
	}
}

static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (h);
}

/* The daemon's side of things. */

static long
proc_rss_kib(void)
{
	char	 path[64], line[256];
	long	 kib = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)daemon_pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	}
	fclose(f);
	return (kib);
}

static int
proc_fds(void)
{
	char		 path[64];
	struct dirent	*e;
	DIR		*dp;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)daemon_pid);
	if ((dp = opendir(path)) == NULL)
		return (-1);
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] != '.')
			n++;
	}
	closedir(dp);
	return (n);
}

static int
unix_connect(void)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
send_all(int fd, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = send(fd, b, len, MSG_NOSIGNAL)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return (-1);
		}
		b += n;
		len -= (size_t)n;
	}
	return (0);
}

static int
send_frame(int fd, const char *hdr, size_t hlen)
{
	uint8_t	pre[8];

	pre[0] = (uint8_t)(hlen >> 24);
	pre[1] = (uint8_t)(hlen >> 16);
	pre[2] = (uint8_t)(hlen >> 8);
	pre[3] = (uint8_t)hlen;
	memset(pre + 4, 0, 4);
	if (send_all(fd, pre, 8) != 0)
		return (-1);
	return (send_all(fd, hdr, hlen));
}

/* Read exactly len bytes within 10 s; 0, or -1 on EOF, error, timeout. */
static int
read_exact(int fd, void *p, size_t len)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	uint8_t		*b = p;
	ssize_t		 n;

	while (len > 0) {
		if (poll(&pfd, 1, 10000) != 1)
			return (-1);
		if ((n = read(fd, b, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return (-1);
		}
		b += n;
		len -= (size_t)n;
	}
	return (0);
}

/* One response's header (payload skipped); NULL when the daemon closed. */
static json_t *
read_resp(int fd)
{
	uint8_t		 pre[8], skip[4096];
	uint32_t	 hlen, plen;
	char		*h;
	json_t		*j;

	if (read_exact(fd, pre, 8) != 0)
		return (NULL);
	hlen = (uint32_t)pre[0] << 24 | pre[1] << 16 | pre[2] << 8 | pre[3];
	plen = (uint32_t)pre[4] << 24 | pre[5] << 16 | pre[6] << 8 | pre[7];
	if (hlen > 65536 || (h = malloc(hlen)) == NULL)
		return (NULL);
	if (read_exact(fd, h, hlen) != 0) {
		free(h);
		return (NULL);
	}
	j = json_loadb(h, hlen, 0, NULL);
	free(h);
	while (j != NULL && plen > 0) {
		size_t	n = plen < sizeof(skip) ? plen : sizeof(skip);

		if (read_exact(fd, skip, n) != 0)
			break;
		plen -= (uint32_t)n;
	}
	return (j);
}

static const char *
resp_status(json_t *j)
{
	const char	*s = json_string_value(json_object_get(j, "status"));

	return (s != NULL ? s : "?");
}

/* A raw connection that said hello; -1 on failure. */
static int
raw_hello(void)
{
	const char	*h = "{\"op\":\"hello\",\"id\":1,\"version\":1}";
	json_t		*j;
	int		 fd, ok;

	if ((fd = unix_connect()) == -1)
		return (-1);
	if (send_frame(fd, h, strlen(h)) != 0 || (j = read_resp(fd)) == NULL) {
		close(fd);
		return (-1);
	}
	ok = strcmp(resp_status(j), "SEC_E_OK") == 0;
	json_decref(j);
	if (!ok) {
		close(fd);
		return (-1);
	}
	return (fd);
}

struct stats {
	long long	connections, contexts, buffered;
};

static int
daemon_stats(struct stats *st)
{
	const char	*h = "{\"op\":\"stats\",\"id\":2}";
	json_t		*j;
	int		 fd, rc = -1;

	if ((fd = raw_hello()) == -1)
		return (-1);
	if (send_frame(fd, h, strlen(h)) == 0 && (j = read_resp(fd)) != NULL) {
		st->connections = json_integer_value(json_object_get(j,
		    "connections"));
		st->contexts = json_integer_value(json_object_get(j,
		    "contexts"));
		st->buffered = json_integer_value(json_object_get(j,
		    "buffered"));
		rc = strcmp(resp_status(j), "SEC_E_OK") == 0 ? 0 : -1;
		json_decref(j);
	}
	close(fd);
	return (rc);
}

/* The hostile client: each request and the status it must get. */
static const struct {
	const char	*hdr;
	const char	*status;	/* NULL: the daemon closes */
	int		 zero_id;	/* answered with id 0 */
} hostile[] = {
	{ "{\"op\":\"encrypt\",\"id\":5", "SEC_E_INVALID_PARAMETER", 1 },
	{ "[1,2,3]", "SEC_E_INVALID_PARAMETER", 1 },
	{ "{\"op\":\"no_such_op\",\"id\":6}", "SEC_E_UNSUPPORTED_FUNCTION",
	    0 },
	{ "{\"op\":\"encrypt\",\"id\":7,\"ctx\":\"0123456789abcdef\"}",
	    "SEC_E_INVALID_HANDLE", 0 },
	/* A handle field that is not a handle: msg_get_handle(). */
	{ "{\"op\":\"decrypt\",\"id\":8,\"ctx\":\"xyz\"}",
	    "SEC_E_INVALID_HANDLE", 0 },
	{ "{\"op\":\"delete_context\",\"id\":9,\"ctx\":12}",
	    "SEC_E_INVALID_HANDLE", 0 },
	{ "{\"op\":\"encrypt\",\"id\":13}", "SEC_E_INVALID_PARAMETER", 0 },
	{ "{\"op\":\"acquire_credentials\",\"id\":10,\"name\":\"nope\","
	    "\"direction\":\"outbound\"}", "SEC_E_UNKNOWN_CREDENTIALS", 0 },
	{ "{\"op\":\"initialize\",\"id\":11,\"cred\":\"fedcba9876543210\"}",
	    "SEC_E_INVALID_HANDLE", 0 },
	{ "{\"op\":\"hello\",\"id\":12,\"version\":1}", "SEC_E_OUT_OF_SEQUENCE",
	    0 },
};
#define NHOSTILE	(sizeof(hostile) / sizeof(hostile[0]))

static void
hostile_client(uint64_t *rs)
{
	uint8_t	 big[8] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	json_t	*j;
	size_t	 i, n = 1 + rnd(rs) % 4;
	int	 fd;

	if ((fd = raw_hello()) == -1) {
		error("hostile: hello failed");
		return;
	}
	while (n-- > 0) {
		i = rnd(rs) % NHOSTILE;
		if (send_frame(fd, hostile[i].hdr, strlen(hostile[i].hdr)) !=
		    0 || (j = read_resp(fd)) == NULL) {
			error("hostile: no answer to %s", hostile[i].hdr);
			break;
		}
		if (strcmp(resp_status(j), hostile[i].status) != 0 ||
		    (json_integer_value(json_object_get(j, "id")) == 0) !=
		    hostile[i].zero_id)
			error("hostile: %s answered %s", hostile[i].hdr,
			    resp_status(j));
		json_decref(j);
	}
	/* Sometimes a frame over the limits: an id 0 answer, then EOF. */
	if (rnd(rs) % 3 == 0 && send_all(fd, big, sizeof(big)) == 0) {
		if ((j = read_resp(fd)) == NULL ||
		    strcmp(resp_status(j), "SEC_E_INVALID_PARAMETER") != 0)
			error("hostile: oversized frame not refused");
		json_decref(j);
		if ((j = read_resp(fd)) != NULL) {
			error("hostile: not closed after an oversized frame");
			json_decref(j);
		}
	}
	close(fd);
	atomic_fetch_add(&n_hostile, 1);
}

/* A slot: one application pair. */
enum phase { P_IDLE, P_HANDSHAKE, P_TRANSFER };

struct slot {
	secctx_conn	*cc, *sc;
	secctx_cred	*ccred, *scred;
	secctx_ctx	*cctx, *sctx;
	enum phase	 phase;
	struct secctx_options copt, sopt;
	int		 turn;		/* 0 client, 1 server */
	int		 hs_calls, cut_after;	/* cut_after 0: never */
	int		 done[2];
	uint8_t		*in[2];		/* received by client, server */
	size_t		 in_len[2];
	uint64_t	 id[2];		/* stream ids: c->s, s->c */
	size_t		 total[2], sent[2], got[2];
	uint64_t	 sum_sent[2], sum_got[2];
	int		 cut_data;
};

static uint64_t	 next_id;
static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The applications go away: their connections close first (the daemon
 * frees what they held), then the library objects they still hold.
 */
static void
slot_close(struct slot *s)
{
	if (s->cc != NULL)
		secctx_disconnect(s->cc);
	if (s->sc != NULL)
		secctx_disconnect(s->sc);
	if (s->cctx != NULL)
		(void)secctx_delete(s->cctx);
	if (s->sctx != NULL)
		(void)secctx_delete(s->sctx);
	if (s->ccred != NULL)
		(void)secctx_cred_free(s->ccred);
	if (s->scred != NULL)
		(void)secctx_cred_free(s->scred);
	s->cc = s->sc = NULL;
	s->ccred = s->scred = NULL;
	s->cctx = s->sctx = NULL;
	s->phase = P_IDLE;
}

static int
slot_open(struct slot *s)
{
	secctx_status	st;

	if ((st = secctx_connect(sock_path, &s->cc)) != SEC_E_OK ||
	    (st = secctx_connect(sock_path, &s->sc)) != SEC_E_OK ||
	    (st = secctx_cred_acquire(s->cc, "client", SECCTX_OUTBOUND,
	    &s->ccred)) != SEC_E_OK ||
	    (st = secctx_cred_acquire(s->sc, "server", SECCTX_INBOUND,
	    &s->scred)) != SEC_E_OK) {
		error("open: 0x%08x: %s", (unsigned)st, secctx_last_error());
		slot_close(s);
		return (-1);
	}
	return (0);
}

static void
give(struct slot *s, int to, const void *p, size_t len)
{
	if (len > BUF_CAP - s->in_len[to]) {
		error("buffer overflow (%zu + %zu)", s->in_len[to], len);
		return;
	}
	memcpy(s->in[to] + s->in_len[to], p, len);
	s->in_len[to] += len;
}

static void
keep_extra(struct slot *s, int side, size_t extra)
{
	memmove(s->in[side], s->in[side] + s->in_len[side] - extra, extra);
	s->in_len[side] = extra;
}

static void
slot_start(struct slot *s, uint64_t *rs)
{
	uint32_t	r = rnd(rs) % 100;

	if (s->cc == NULL && slot_open(s) != 0)
		return;
	if (r < 15) {
		hostile_client(rs);
		return;
	}
	memset(&s->copt, 0, sizeof(s->copt));
	memset(&s->sopt, 0, sizeof(s->sopt));
	s->copt.target = "localhost";
	/*
	 * No session cache: the cached sessions (up to SESSION_CACHE_MAX,
	 * about 20 MiB) outlive the connections by design, and what must
	 * come back after the load is everything else.
	 */
	s->copt.no_resume = 1;
	if (rnd(rs) % 3 == 0)
		s->copt.max_version = s->sopt.max_version = SECCTX_TLS1_2;
	s->sopt.client_cert = rnd(rs) % 2 ? SECCTX_CLIENT_CERT_REQUIRED :
	    SECCTX_CLIENT_CERT_NONE;
	s->cut_after = r < 30 ? 1 + (int)(rnd(rs) % 3) : 0;
	s->phase = P_HANDSHAKE;
	s->turn = 0;
	s->hs_calls = 0;
	s->done[0] = s->done[1] = 0;
	s->in_len[0] = s->in_len[1] = 0;
	s->cctx = s->sctx = NULL;
	pthread_mutex_lock(&id_lock);
	s->id[0] = ++next_id;
	s->id[1] = ++next_id;
	pthread_mutex_unlock(&id_lock);
	s->total[0] = 1024 + rnd(rs) % (512 * 1024);
	s->total[1] = 1024 + rnd(rs) % (512 * 1024);
	s->sent[0] = s->sent[1] = s->got[0] = s->got[1] = 0;
	s->sum_sent[0] = s->sum_sent[1] = 0xcbf29ce484222325ULL;
	s->sum_got[0] = s->sum_got[1] = 0xcbf29ce484222325ULL;
	s->cut_data = rnd(rs) % 100 < 8;
}

static void
slot_handshake(struct slot *s)
{
	struct secctx_token	 tok = { 0 };
	int			 side = s->turn;
	secctx_status		 st;

	if (s->done[side]) {
		s->turn = !side;
		return;
	}
	tok.in = s->in[side];
	tok.in_len = s->in_len[side];
	if (side == 0)
		st = secctx_initialize(s->ccred, &s->cctx, &s->copt, &tok);
	else
		st = secctx_accept(s->scred, &s->sctx, &s->sopt, &tok);
	atomic_fetch_add(&n_calls, 1);
	if (tok.out_len > 0)
		give(s, !side, tok.out, tok.out_len);
	secctx_free(tok.out);
	if (SECCTX_FAILED(st) && st != SEC_E_INCOMPLETE_MESSAGE) {
		error("handshake (%s): 0x%08x: %s", side ? "server" :
		    "client", (unsigned)st, secctx_last_error());
		slot_close(s);
		return;
	}
	keep_extra(s, side, tok.extra);
	if (st == SEC_E_OK)
		s->done[side] = 1;
	s->turn = !side;
	if (++s->hs_calls == s->cut_after && !(s->done[0] && s->done[1])) {
		/* Both applications vanish mid-handshake. */
		atomic_fetch_add(&n_cut_hs, 1);
		slot_close(s);
		return;
	}
	if (s->done[0] && s->done[1]) {
		atomic_fetch_add(&n_handshakes, 1);
		s->phase = P_TRANSFER;
		s->turn = 0;
	}
}

/* Encrypt one chunk of this side's stream and decrypt it at the other. */
static void
slot_transfer(struct slot *s, uint64_t *rs)
{
	static __thread uint8_t	 data[MAX_CHUNK], want[MAX_CHUNK];
	struct secctx_message	 m = { 0 };
	int			 side = s->turn, peer = !side;
	secctx_ctx		*mine = side ? s->sctx : s->cctx;
	secctx_ctx		*theirs = side ? s->cctx : s->sctx;
	size_t			 len, out_len = 0;
	void			*out = NULL;
	secctx_status		 st;

	len = 1 + rnd(rs) % MAX_CHUNK;
	if (len > s->total[side] - s->sent[side])
		len = s->total[side] - s->sent[side];
	if (len > 0) {
		pattern(s->id[side], s->sent[side], data, len);
		st = secctx_encrypt(mine, data, len, &out, &out_len);
		atomic_fetch_add(&n_calls, 1);
		if (st != SEC_E_OK) {
			error("encrypt: 0x%08x: %s", (unsigned)st,
			    secctx_last_error());
			slot_close(s);
			return;
		}
		s->sum_sent[side] = fnv(s->sum_sent[side], data, len);
		s->sent[side] += len;
		atomic_fetch_add(&bytes_sent, (long long)len);
		give(s, peer, out, out_len);
		secctx_free(out);
	}
	if (s->cut_data && s->sent[side] * 2 > s->total[side]) {
		/* The server's application dies with records in flight. */
		atomic_fetch_add(&n_cut_data, 1);
		slot_close(s);
		return;
	}
	m.in = s->in[peer];
	m.in_len = s->in_len[peer];
	if (m.in_len == 0)
		goto next;
	st = secctx_decrypt(theirs, &m);
	atomic_fetch_add(&n_calls, 1);
	if (st != SEC_E_OK) {
		error("decrypt: 0x%08x: %s", (unsigned)st,
		    secctx_last_error());
		secctx_free(m.data);
		secctx_free(m.out);
		slot_close(s);
		return;
	}
	if (m.data_len > s->total[side] - s->got[side]) {
		error("decrypt: %zu bytes more than were sent (stream %llu "
		    "%s, %s, total %zu, sent %zu, got %zu, in %zu, extra %zu)",
		    m.data_len, (unsigned long long)s->id[side],
		    side ? "s->c" : "c->s", s->copt.max_version ? "1.2" :
		    "1.3", s->total[side], s->sent[side], s->got[side],
		    m.in_len, m.extra);
	} else if (m.data_len > 0) {
		size_t	off, n;

		for (off = 0; off < m.data_len; off += n) {
			n = m.data_len - off < MAX_CHUNK ? m.data_len - off :
			    MAX_CHUNK;
			pattern(s->id[side], s->got[side] + off, want, n);
			if (memcmp((uint8_t *)m.data + off, want, n) != 0)
				error("data corrupted in stream %llu at %zu",
				    (unsigned long long)s->id[side],
				    s->got[side] + off);
		}
		s->sum_got[side] = fnv(s->sum_got[side], m.data, m.data_len);
		s->got[side] += m.data_len;
		atomic_fetch_add(&bytes_ok, (long long)m.data_len);
	}
	if (m.out_len > 0)
		give(s, side, m.out, m.out_len);
	keep_extra(s, peer, m.extra);
	secctx_free(m.data);
	secctx_free(m.out);
next:
	s->turn = peer;
	if (s->got[0] == s->total[0] && s->got[1] == s->total[1]) {
		if (s->sum_got[0] != s->sum_sent[0] ||
		    s->sum_got[1] != s->sum_sent[1])
			error("checksum mismatch");
		atomic_fetch_add(&n_sessions, 1);
		/* Delete both contexts, or leave them to the next reuse. */
		if (secctx_delete(s->cctx) != SEC_E_OK ||
		    secctx_delete(s->sctx) != SEC_E_OK)
			error("delete: %s", secctx_last_error());
		s->cctx = s->sctx = NULL;
		s->phase = P_IDLE;
		/* Sometimes the applications restart. */
		if (rnd(rs) % 10 == 0)
			slot_close(s);
	}
}

struct worker {
	pthread_t	 t;
	int		 n;
	double		 until;
};

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct slot	*slots = calloc((size_t)o.pairs, sizeof(*slots));
	uint64_t	 rs = (uint64_t)o.seed * 1000003 + (uint64_t)w->n + 1;
	int		 i;

	for (i = 0; i < o.pairs; i++) {
		slots[i].in[0] = malloc(BUF_CAP);
		slots[i].in[1] = malloc(BUF_CAP);
		slot_open(&slots[i]);
	}
	while (now() < w->until && !atomic_load(&stop)) {
		for (i = 0; i < o.pairs; i++) {
			struct slot	*s = &slots[i];

			switch (s->phase) {
			case P_IDLE:
				slot_start(s, &rs);
				break;
			case P_HANDSHAKE:
				slot_handshake(s);
				break;
			case P_TRANSFER:
				slot_transfer(s, &rs);
				break;
			}
		}
	}
	for (i = 0; i < o.pairs; i++) {
		slot_close(&slots[i]);
		free(slots[i].in[0]);
		free(slots[i].in[1]);
	}
	free(slots);
	return (NULL);
}

static void
run_load(double seconds)
{
	struct worker	*w = calloc((size_t)o.threads, sizeof(*w));
	double		 until = now() + seconds;
	int		 i;

	for (i = 0; i < o.threads; i++) {
		w[i].n = i;
		w[i].until = until;
		if (pthread_create(&w[i].t, NULL, worker_main, &w[i]) != 0)
			die("pthread_create failed");
	}
	for (i = 0; i < o.threads; i++)
		pthread_join(w[i].t, NULL);
	free(w);
}

/* Wait for 0 contexts, 1 connection, 0 buffered; the last stats read. */
static int
settle(struct stats *st, double timeout)
{
	double	until = now() + timeout;

	for (;;) {
		if (daemon_stats(st) == 0 && st->contexts == 0 &&
		    st->connections == 1 && st->buffered == 0)
			return (0);
		if (now() > until)
			return (-1);
		usleep(100000);
	}
}

static void
run_cmd(const char *const argv[])
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0) {
		int	fd = open("/dev/null", O_WRONLY);

		dup2(fd, STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("%s failed", argv[0]);
}

static void
start_daemon(void)
{
	char	 pki[64], conf[96];
	FILE	*f;
	int	 i, fd;

	snprintf(pki, sizeof(pki), "%s/pki", dir);
	run_cmd((const char *const[]){ "/bin/sh", o.gen_pki, pki, NULL });
	snprintf(conf, sizeof(conf), "%s/secctxd.json", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/secctxd.sock", dir);
	snprintf(log_path, sizeof(log_path), "%s/secctxd.log", dir);
	if ((f = fopen(conf, "w")) == NULL)
		die("%s: %s", conf, strerror(errno));
	fprintf(f, "{\"socket\": \"%s\",\n \"limits\": {\"connections_per_uid\":"
	    " %d, \"total_contexts\": 100000},\n \"credentials\": [\n"
	    "  {\"name\": \"server\", \"certificate\": \"%s/server.pem\", "
	    "\"private_key\": \"%s/server.key\", \"ca_file\": \"%s/ca.pem\", "
	    "\"uids\": [%u]},\n"
	    "  {\"name\": \"client\", \"certificate\": \"%s/client.pem\", "
	    "\"private_key\": \"%s/client.key\", \"ca_file\": \"%s/ca.pem\", "
	    "\"uids\": [%u]}]}\n", sock_path, o.threads * (o.pairs * 2 + 2) +
	    16, pki, pki, pki, (unsigned)getuid(), pki, pki, pki,
	    (unsigned)getuid());
	fclose(f);
	if ((daemon_pid = fork()) == 0) {
		if ((fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execl(o.daemon, "secctxd", "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if ((fd = unix_connect()) != -1) {
			close(fd);
			return;
		}
		if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
			daemon_pid = 0;
			die("secctxd exited at start; see %s", log_path);
		}
		usleep(10000);
	}
	die("secctxd did not start");
}

static int
stop_daemon(void)
{
	int	status, i;

	kill(daemon_pid, SIGTERM);
	for (i = 0; i < 1000; i++) {
		if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid)
			return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
			    0 : -1);
		usleep(10000);
	}
	kill(daemon_pid, SIGKILL);
	waitpid(daemon_pid, &status, 0);
	return (-1);
}

/* The peak VmRSS during the load, sampled every 200 ms. */
static void *
sample_rss(void *arg)
{
	long	*peak = arg, kib;

	while (!atomic_load(&stop)) {
		if ((kib = proc_rss_kib()) > *peak)
			*peak = kib;
		usleep(200000);
	}
	return (NULL);
}

static void
usage(void)
{
	fprintf(stderr, "usage: secctx-load --daemon SECCTXD --gen-pki "
	    "GEN-PKI.SH [--time S] [--warmup S] [--threads T] [--pairs P] "
	    "[--seed N] [--no-rss] [--keep]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", required_argument, NULL, 'd' },
		{ "gen-pki", required_argument, NULL, 'g' },
		{ "time", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "threads", required_argument, NULL, 'j' },
		{ "pairs", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "no-rss", no_argument, NULL, 'R' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct stats	 st;
	struct rlimit	 rl;
	char		 tmpl[] = "/tmp/secctx-load.XXXXXX";
	long		 rss0, rss1, rss_peak = 0, slack;
	int		 c, fds0, fds1, failed = 0;
	double		 t0, elapsed;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o.daemon = optarg; break;
		case 'g': o.gen_pki = optarg; break;
		case 't': o.seconds = atof(optarg); break;
		case 'w': o.warmup = atof(optarg); break;
		case 'j': o.threads = atoi(optarg); break;
		case 'p': o.pairs = atoi(optarg); break;
		case 's': o.seed = (unsigned)atoi(optarg); break;
		case 'R': o.check_rss = 0; break;
		case 'k': o.keep = 1; break;
		default: usage();
		}
	}
	if (o.daemon == NULL || o.gen_pki == NULL || o.threads < 1 ||
	    o.pairs < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	/* 2 connections per slot, a hostile one per thread, and margin. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)(o.threads * (o.pairs * 2 + 2) + 64))
			die("RLIMIT_NOFILE %llu is too low",
			    (unsigned long long)rl.rlim_cur);
	}
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp: %s", strerror(errno));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	start_daemon();
	printf("secctx-load: %d threads x %d pairs = %d connections, "
	    "%.0f s (warm-up %.0f s), seed %u\n", o.threads, o.pairs,
	    o.threads * o.pairs * 2, o.seconds, o.warmup, o.seed);
	/* Warm-up: the same load, so that allocator arenas and OpenSSL's
	 * per-thread state exist before the baseline. */
	run_load(o.warmup);
	if (settle(&st, 30) != 0)
		die("no settle after the warm-up: %lld connections, %lld "
		    "contexts, %lld buffered", st.connections, st.contexts,
		    st.buffered);
	sleep(1);
	rss0 = proc_rss_kib();
	fds0 = proc_fds();
	atomic_store(&n_errors, 0);
	atomic_store(&bytes_sent, 0);
	atomic_store(&bytes_ok, 0);
	atomic_store(&n_sessions, 0);
	atomic_store(&n_handshakes, 0);
	atomic_store(&n_cut_hs, 0);
	atomic_store(&n_cut_data, 0);
	atomic_store(&n_hostile, 0);
	atomic_store(&n_calls, 0);
	t0 = now();
	{
		pthread_t	sampler;

		if (pthread_create(&sampler, NULL, sample_rss, &rss_peak) != 0)
			die("pthread_create failed");
		run_load(o.seconds);
		atomic_store(&stop, 1);
		pthread_join(sampler, NULL);
	}
	elapsed = now() - t0;
	if (settle(&st, 30) != 0) {
		fprintf(stderr, "secctx-load: FAIL: after the load: %lld "
		    "connections, %lld contexts, %lld bytes buffered\n",
		    st.connections, st.contexts, st.buffered);
		failed = 1;
	}
	sleep(2);
	rss1 = proc_rss_kib();
	fds1 = proc_fds();
	slack = rss0 / 10 > 8192 ? rss0 / 10 : 8192;
	printf("secctx-load: %.1f s: %lld sessions (%lld handshakes, %lld "
	    "cut mid-transfer), %lld cut mid-handshake, %lld hostile "
	    "clients, %lld calls (%.0f/s)\n", elapsed,
	    (long long)n_sessions, (long long)n_handshakes,
	    (long long)n_cut_data, (long long)n_cut_hs, (long long)n_hostile,
	    (long long)n_calls, n_calls / elapsed);
	printf("secctx-load: %lld bytes sent, %lld arrived intact (the "
	    "rest in sessions cut on purpose)\n", (long long)bytes_sent,
	    (long long)bytes_ok);
	printf("secctx-load: daemon after: %lld connections, %lld contexts, "
	    "%lld buffered; fds %d -> %d; VmRSS %ld -> %ld KiB (peak %ld, "
	    "limit +%ld)\n", st.connections, st.contexts, st.buffered, fds0,
	    fds1, rss0, rss1, rss_peak, slack);
	if (n_errors > 0) {
		fprintf(stderr, "secctx-load: FAIL: %lld unexpected results\n",
		    (long long)n_errors);
		failed = 1;
	}
	if (n_sessions == 0 || n_hostile == 0) {
		fprintf(stderr, "secctx-load: FAIL: no complete session\n");
		failed = 1;
	}
	if (fds1 != fds0) {
		fprintf(stderr, "secctx-load: FAIL: descriptors %d -> %d\n",
		    fds0, fds1);
		failed = 1;
	}
	if (o.check_rss && rss1 > rss0 + slack) {
		fprintf(stderr, "secctx-load: FAIL: VmRSS %ld -> %ld KiB\n",
		    rss0, rss1);
		failed = 1;
	}
	if (stop_daemon() != 0) {
		fprintf(stderr, "secctx-load: FAIL: secctxd did not exit "
		    "cleanly; see %s\n", log_path);
		failed = 1;
		o.keep = 1;
	}
	if (o.keep || failed)
		fprintf(stderr, "secctx-load: kept %s\n", dir);
	else
		run_cmd((const char *const[]){ "/bin/rm", "-rf", dir, NULL });
	printf("secctx-load: %s\n", failed ? "FAIL" : "PASS");
	return (failed);
}
