/*
 * Hostile local users: an attacker runs as another uid (a child of the
 * test that drops to it) and does its worst within the daemon's limits,
 * while root's handshakes, timed, must still complete within a bound.
 * Each test prints what it measured (docs/SECURITY.md, "Local denial of
 * service", quotes the figures).  The tests need root to change uid and
 * skip without it.
 */

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xdaemon.h"

#include "frame.h"

#define ATTACKER	HARNESS_OTHER_UID
#define ATTACKER2	(HARNESS_OTHER_UID - 1)

/* How long root's handshake may take while an attack goes on. */
#define ROOT_BOUND_MS	2000

/* How long each attack runs while root's handshakes are timed. */
#define ATTACK_MS	2500

static void
start(struct xdaemon *d, const char *limits)
{
	char	text[2048];

	snprintf(text, sizeof(text), "{\"socket\": \"@SOCK@\", "
	    "\"socket_mode\": \"0666\", \"threads\": 2, "
	    "\"handshake_threads\": 2, \"limits\": {%s}, \"credentials\": ["
	    "{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", "
	    "\"private_key\": \"@PKI@/server.key\", \"ca_file\": "
	    "\"@PKI@/ca.pem\", \"uids\": [@UID@, %d, %d]},"
	    "{\"name\": \"server-rsa\", \"certificate\": "
	    "\"@PKI@/server-rsa.pem\", \"private_key\": "
	    "\"@PKI@/server-rsa.key\", \"ca_file\": \"@PKI@/ca.pem\", "
	    "\"uids\": [@UID@, %d, %d]},"
	    "{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", "
	    "\"uids\": [@UID@, %d, %d]}]}", limits, ATTACKER, ATTACKER2,
	    ATTACKER, ATTACKER2, ATTACKER, ATTACKER2);
	xd_start(d, "hostile-users", text);
}

/* A full handshake as root between two credentials; how long it took. */
static int64_t
root_handshake_ms(const char *sock, const char *scred)
{
	int64_t	t0 = xd_now_ms();

	xd_handshake_works(sock, "client", scred);
	return (xd_now_ms() - t0);
}

/*
 * Time root's handshakes until the attacker (pid) has run for ATTACK_MS:
 * each must complete within ROOT_BOUND_MS.  The slowest, in ms.
 */
static int64_t
root_during(const char *sock, const char *scred, pid_t pid)
{
	int64_t	t, worst = 0, end = xd_now_ms() + ATTACK_MS;
	int	n = 0;

	while (xd_now_ms() < end || n == 0) {
		t = root_handshake_ms(sock, scred);
		if (t > worst)
			worst = t;
		n++;
		assert_true(waitpid(pid, NULL, WNOHANG) == 0);
	}
	printf("hostile-users: %d root handshakes (%s), the slowest %lld ms\n",
	    n, scred, (long long)worst);
	assert_true(worst < ROOT_BOUND_MS);
	return (worst);
}

/* The attacker: a child that becomes uid and reports numbers on a pipe. */
struct attacker {
	pid_t	pid;
	int	report;		/* read end: its numbers */
	int	release;	/* write end: closed to end it */
};

static void
attacker_start(struct attacker *a, uid_t uid,
    void (*fn)(const char *, int, int), const char *sock)
{
	int	rep[2], rel[2];

	assert_int_equal(pipe(rep), 0);
	assert_int_equal(pipe(rel), 0);
	if ((a->pid = fork()) == 0) {
		close(rep[0]);
		close(rel[1]);
		if (setgroups(0, NULL) != 0 || setgid(uid) != 0 ||
		    setuid(uid) != 0)
			_exit(98);
		fn(sock, rep[1], rel[0]);
		_exit(0);
	}
	assert_true(a->pid > 0);
	close(rep[1]);
	close(rel[0]);
	a->report = rep[0];
	a->release = rel[1];
}

/* One number from the attacker (it writes one line per number). */
static long long
attacker_read(struct attacker *a)
{
	char		buf[64];
	size_t		n = 0;
	struct pollfd	pfd = { a->report, POLLIN, 0 };

	while (n + 1 < sizeof(buf)) {
		assert_true(poll(&pfd, 1, 60000) == 1);
		assert_int_equal(read(a->report, buf + n, 1), 1);
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return (strtoll(buf, NULL, 10));
}

/* End it; it must have exited 0. */
static void
attacker_end(struct attacker *a)
{
	int	status;

	close(a->release);
	assert_int_equal(waitpid(a->pid, &status, 0), a->pid);
	close(a->report);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
report(int fd, long long v)
{
	char	buf[32];
	int	n = snprintf(buf, sizeof(buf), "%lld\n", v);

	if (write(fd, buf, n) != n)
		_exit(97);
}

/* Wait until the test closes its end. */
static void
wait_release(int fd)
{
	char	c;

	while (read(fd, &c, 1) > 0)
		;
}

/* In a child: connect and hello without asserting; -1 when refused. */
static int
child_hello(const char *sock)
{
	struct xd_resp	r;
	int		fd = xd_raw_connect(sock);

	if (xd_try_send_header(fd, "{\"op\":\"hello\",\"id\":1,"
	    "\"version\":1}") != 0 || !xd_read_resp(fd, &r, 10000)) {
		close(fd);
		return (-1);
	}
	if (r.status != SEC_E_OK) {
		xd_resp_free(&r);
		close(fd);
		return (-1);
	}
	xd_resp_free(&r);
	return (fd);
}

/* Contexts made on fd until refused: how many. */
static long long
fill_contexts(int fd, const char *cred)
{
	struct xd_resp	r;
	char		buf[256];
	long long	n = 0;

	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":3,"
	    "\"cred\":\"%s\",\"target\":\"localhost\"}", cred);
	for (;;) {
		xd_send_header(fd, buf);
		if (!xd_read_resp(fd, &r, 10000))
			_exit(96);
		if (r.status != SEC_I_CONTINUE_NEEDED) {
			if (r.status != SEC_E_INSUFFICIENT_MEMORY)
				_exit(95);
			xd_resp_free(&r);
			return (n);
		}
		xd_resp_free(&r);
		n++;
	}
}

#define FLOOD_CONNS	8

/* Every connection the uid may have, each filled with contexts. */
static void
flood_contexts(const char *sock, int out, int release)
{
	char		cred[17];
	long long	total = 0;
	int		fds[FLOOD_CONNS], i;

	for (i = 0; i < FLOOD_CONNS; i++) {
		if ((fds[i] = child_hello(sock)) == -1)
			_exit(94);
		xd_acquire(fds[i], "client", "outbound", cred);
		total += fill_contexts(fds[i], cred);
	}
	report(out, total);
	wait_release(release);
}

/*
 * One uid fills every connection it may have with contexts, then a second
 * uid does the same: each gets its share (contexts_per_uid, then half of
 * what the first left), and root still gets half of what both left, and
 * completes its handshakes meanwhile.
 */
static void
test_context_flood(void **state)
{
	struct xdaemon	 d;
	struct attacker	 a, b;
	struct xd_stats	 st;
	char		 cred[17];
	long long	 na, nb, nroot;
	int		 fd;

	(void)state;
	if (getuid() != 0)
		skip();
	start(&d, "\"total_contexts\": 1024, \"contexts_per_uid\": 512, "
	    "\"connections_per_uid\": 8");
	attacker_start(&a, ATTACKER, flood_contexts, d.socket);
	na = attacker_read(&a);
	attacker_start(&b, ATTACKER2, flood_contexts, d.socket);
	nb = attacker_read(&b);
	root_handshake_ms(d.socket, "server");
	fd = xd_hello(d.socket);
	xd_acquire(fd, "client", "outbound", cred);
	nroot = fill_contexts(fd, cred);
	printf("hostile-users: of 1024 contexts, uid %d took %lld, uid %d "
	    "%lld, root %lld\n", ATTACKER, na, ATTACKER2, nb, nroot);
	assert_int_equal(na, 512);
	assert_int_equal(nb, 256);
	assert_int_equal(nroot, 128);
	assert_true(xd_log_count(&d, "(limits.contexts_per_uid)") >= 1);
	assert_true(xd_log_count(&d, "left free for other uids") >= 2);
	close(fd);
	/* b holds a copy of a's pipes: b goes first. */
	attacker_end(&b);
	attacker_end(&a);
	xd_wait_contexts(d.socket, 0, 5000);
	xd_stats(d.socket, &st);
	assert_int_equal(st.contexts, 0);
	xd_stop(&d);
}

/* The daemon's open descriptors. */
static int
daemon_fds(pid_t pid)
{
	char		 path[64];
	DIR		*dir;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	assert_non_null(dir = opendir(path));
	while ((e = readdir(dir)) != NULL)
		n += e->d_name[0] != '.';
	closedir(dir);
	return (n);
}

#define HELD_MAX	4000

/*
 * The uid's connections, then as many more as it can make, each held open
 * and never read, for ATTACK_MS.  Reports the connections it made.
 */
static void
hold_refused(const char *sock, int out, int release)
{
	struct rlimit	 rl;
	int		*held, fds[FLOOD_CONNS], i, n = 0;
	long long	 made = 0;
	int64_t		 end = xd_now_ms() + ATTACK_MS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((held = calloc(HELD_MAX, sizeof(*held))) == NULL)
		_exit(93);
	for (i = 0; i < FLOOD_CONNS; i++) {
		if ((fds[i] = child_hello(sock)) == -1)
			_exit(94);
	}
	report(out, 1);
	while (xd_now_ms() < end) {
		if (n == HELD_MAX) {
			/* Let go of the oldest half and go on. */
			for (i = 0; i < HELD_MAX / 2; i++)
				close(held[i]);
			memmove(held, held + HELD_MAX / 2,
			    HELD_MAX / 2 * sizeof(*held));
			n = HELD_MAX / 2;
		}
		if ((held[n] = xd_raw_connect(sock)) != -1) {
			n++;
			made++;
		}
	}
	report(out, made);
	wait_release(release);
}

/*
 * A uid at its connections_per_uid holds thousands of refused connections
 * open: each costs the daemon nothing past its answer (its descriptors
 * stay few), and root's connects and handshakes go on.
 */
static void
test_held_refused_connections(void **state)
{
	struct xdaemon	 d;
	struct attacker	 a;
	long long	 made;
	int64_t		 t, worst = 0, end;
	int		 fds, most = 0;

	(void)state;
	if (getuid() != 0)
		skip();
	start(&d, "\"connections_per_uid\": 8");
	fds = daemon_fds(d.pid);
	attacker_start(&a, ATTACKER, hold_refused, d.socket);
	assert_int_equal(attacker_read(&a), 1);
	/* Root's handshakes while the connections pile up. */
	for (end = xd_now_ms() + ATTACK_MS; xd_now_ms() < end;) {
		t = root_handshake_ms(d.socket, "server");
		if (t > worst)
			worst = t;
		if (daemon_fds(d.pid) > most)
			most = daemon_fds(d.pid);
	}
	printf("hostile-users: held refused connections: root's slowest "
	    "handshake %lld ms\n", (long long)worst);
	assert_true(worst < ROOT_BOUND_MS);
	made = attacker_read(&a);
	printf("hostile-users: %lld refused connections made and held; the "
	    "daemon had %d descriptors at most (%d before)\n", made, most,
	    fds);
	assert_true(made > 100);
	/* Its 8 connections, root's 4 at most, a few of its own. */
	assert_true(most <= fds + FLOOD_CONNS + 4 + 4);
	attacker_end(&a);
	xd_stop(&d);
}

#define PIPELINED	64

/* PIPELINED client hellos made by the daemon on one connection. */
struct pipeline {
	int	 fd;
	char	 sc[17];
	uint8_t	*hello[PIPELINED];
	size_t	 len[PIPELINED];
};

static int
pipeline_prepare(struct pipeline *p, int fd)
{
	struct xd_resp	 r;
	char		 cc[17], buf[256];
	int		 i;

	p->fd = fd;
	xd_acquire(fd, "client", "outbound", cc);
	xd_acquire(fd, "server-rsa", "inbound", p->sc);
	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":3,"
	    "\"cred\":\"%s\",\"target\":\"localhost\",\"no_resume\":true}",
	    cc);
	for (i = 0; i < PIPELINED; i++) {
		xd_send_header(fd, buf);
		if (!xd_read_resp(fd, &r, 10000) ||
		    r.status != SEC_I_CONTINUE_NEEDED)
			return (-1);
		p->hello[i] = r.payload;
		p->len[i] = r.plen;
		r.payload = NULL;
		xd_resp_free(&r);
	}
	return (0);
}

/* The accept steps on the RSA credential, sent without waiting. */
static void
pipeline_send(struct pipeline *p)
{
	char	buf[128];
	int	i;

	snprintf(buf, sizeof(buf), "{\"op\":\"accept\",\"id\":4,"
	    "\"cred\":\"%s\"}", p->sc);
	for (i = 0; i < PIPELINED; i++)
		xd_send_frame(p->fd, buf, strlen(buf), p->hello[i], p->len[i]);
}

/* Their answers: how many were SEC_I_CONTINUE_NEEDED, or -1. */
static int
pipeline_read(struct pipeline *p)
{
	struct xd_resp	r;
	int		i, ok = 0;

	for (i = 0; i < PIPELINED; i++) {
		if (!xd_read_resp(p->fd, &r, 30000))
			return (-1);
		ok += r.status == SEC_I_CONTINUE_NEEDED;
		xd_resp_free(&r);
		free(p->hello[i]);
	}
	return (ok);
}

/* Every step of a slow key goes to the pool, however many are queued. */
static void
test_slow_steps_never_on_a_loop(void **state)
{
	struct xdaemon	d;
	struct xd_stats	before, after;
	struct pipeline	p;

	(void)state;
	start(&d, "\"connections_per_uid\": 8");
	xd_stats(d.socket, &before);
	assert_int_equal(pipeline_prepare(&p, xd_hello(d.socket)), 0);
	pipeline_send(&p);
	assert_int_equal(pipeline_read(&p), PIPELINED);
	close(p.fd);
	xd_stats(d.socket, &after);
	printf("hostile-users: %d pipelined RSA steps, %lld in the pool\n",
	    PIPELINED, (long long)(after.pool_steps - before.pool_steps));
	assert_int_equal(after.pool_steps - before.pool_steps, PIPELINED);
	xd_stop(&d);
}

/* Every connection pipelines RSA steps, again and again, for ATTACK_MS. */
static void
flood_pool(const char *sock, int out, int release)
{
	static struct pipeline p[FLOOD_CONNS];
	int64_t		end = xd_now_ms() + ATTACK_MS;
	long long	steps = 0;
	int		fd, i, n;

	report(out, 1);
	while (xd_now_ms() < end) {
		for (i = 0; i < FLOOD_CONNS; i++) {
			if ((fd = child_hello(sock)) == -1 ||
			    pipeline_prepare(&p[i], fd) != 0)
				_exit(94);
		}
		for (i = 0; i < FLOOD_CONNS; i++)
			pipeline_send(&p[i]);
		for (i = 0; i < FLOOD_CONNS; i++) {
			if ((n = pipeline_read(&p[i])) < 0)
				_exit(92);
			steps += n;
			close(p[i].fd);
		}
	}
	report(out, steps);
	wait_release(release);
}

/*
 * One uid keeps the handshake pool busy with RSA signatures on all its
 * connections: root's RSA handshakes wait for one of its steps, not for
 * all of them, and requests served on the loops are not delayed.
 */
static void
test_pool_flood(void **state)
{
	struct xdaemon	 d;
	struct attacker	 a;
	long long	 steps;

	(void)state;
	if (getuid() != 0)
		skip();
	start(&d, "\"connections_per_uid\": 16");
	attacker_start(&a, ATTACKER, flood_pool, d.socket);
	assert_int_equal(attacker_read(&a), 1);
	root_during(d.socket, "server-rsa", a.pid);
	root_during(d.socket, "server", a.pid);
	steps = attacker_read(&a);
	printf("hostile-users: the attacker had %lld RSA steps signed\n",
	    steps);
	assert_true(steps >= PIPELINED);
	attacker_end(&a);
	xd_stop(&d);
}

/*
 * Every connection sends query requests and reads no answer, and its
 * lying frame prefixes make the daemon reserve whole frames.
 */
static void
flood_unread(const char *sock, int out, int release)
{
	char		 cred[17], ctx[FLOOD_CONNS][17], one[128], *flood;
	size_t		 len, sent;
	ssize_t		 w;
	int		 fds[FLOOD_CONNS], i, n, k;

	if ((flood = malloc(2000 * 128)) == NULL)
		_exit(93);
	/* Its own other connections wait once its buffers are full. */
	for (i = 0; i < FLOOD_CONNS; i++) {
		if ((fds[i] = child_hello(sock)) == -1)
			_exit(94);
		xd_acquire(fds[i], "client", "outbound", cred);
		xd_new_context(fds[i], cred, ctx[i]);
	}
	for (i = 0; i < FLOOD_CONNS; i++) {
		for (len = 0, n = 0; n < 2000; n++) {
			k = snprintf(one, sizeof(one), "{\"op\":"
			    "\"query_context\",\"id\":%d,\"ctx\":\"%s\"}",
			    100 + n, ctx[i]);
			frame_prefix_put((uint8_t *)flood + len, k, 0);
			memcpy(flood + len + FRAME_PREFIX_LEN, one, k);
			len += FRAME_PREFIX_LEN + k;
		}
		if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0)
			_exit(91);
		for (sent = 0; sent < len && (w = send(fds[i], flood + sent,
		    len - sent, MSG_NOSIGNAL)) > 0;)
			sent += w;
	}
	free(flood);
	report(out, 1);
	wait_release(release);
}

/*
 * A uid whose connections read none of their answers is held to
 * buffer_per_uid for all of them (plus what a connection already began),
 * and root is served meanwhile.
 */
static void
test_unread_answers(void **state)
{
	struct xdaemon	 d;
	struct attacker	 a;
	struct xd_stats	 st;
	int64_t		 t;

	(void)state;
	if (getuid() != 0)
		skip();
	/* Frames of 5128 bytes; each connection may buffer 10256. */
	start(&d, "\"connections_per_uid\": 8, \"max_header\": 1024, "
	    "\"max_payload\": 4096, \"buffer_per_uid\": 20512, "
	    "\"frame_timeout\": 60");
	attacker_start(&a, ATTACKER, flood_unread, d.socket);
	assert_int_equal(attacker_read(&a), 1);
	xd_wait_log(&d, "its uid's connections buffer", 5000);
	usleep(200000);
	xd_stats(d.socket, &st);
	t = root_handshake_ms(d.socket, "server");
	printf("hostile-users: 8 connections reading nothing: %lld bytes "
	    "buffered (limit 20512 for the uid, 8 x 10256 for its "
	    "connections); root's handshake %lld ms\n",
	    (long long)st.buffered, (long long)t);
	/* The uid's limit, and what its connections had begun. */
	assert_true(st.buffered <= 20512 + FLOOD_CONNS * 5128);
	assert_true(t < ROOT_BOUND_MS);
	attacker_end(&a);
	xd_stop(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_context_flood),
		xd_test(test_held_refused_connections),
		xd_test(test_slow_steps_never_on_a_loop),
		xd_test(test_pool_flood),
		xd_test(test_unread_answers),
	};

	return (harness_run("hostile-users", tests));
}
