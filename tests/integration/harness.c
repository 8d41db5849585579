/* The integration test harness: see harness.h. */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#ifndef SECCTX_GEN_PKI
#error "SECCTX_GEN_PKI must name tests/gen-pki.sh"
#endif
#ifndef SECCTX_DAEMON
#error "SECCTX_DAEMON must name the secctxd binary"
#endif
#ifndef SECCTX_OPENSSL
#define SECCTX_OPENSSL "openssl"
#endif

#define MAX_CHILDREN	8
#define MAX_PAIRS	8

struct harness		 harness;
static pid_t		 harness_runner;	/* the test program */

static struct harness_child	 children[MAX_CHILDREN];
static struct harness_pair	*pairs[MAX_PAIRS];
static int			 spawned;

/* Milliseconds on the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static const char *
env_or(const char *name, const char *fallback)
{
	const char	*v = getenv(name);

	return (v != NULL && *v != '\0' ? v : fallback);
}

const char *
harness_pki(const char *file)
{
	static char	bufs[8][160];
	static int	next;
	char		*b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", harness.pki, file);
	return (b);
}

char *
harness_read_file(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	for (;;) {
		if (cap - len < 4097) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		if ((n = fread(buf + len, 1, cap - len - 1, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	if (buf == NULL && (buf = malloc(1)) == NULL)
		abort();
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

void
harness_print_log_tail(int lines)
{
	char	*log, *p;
	int	 n = 0;

	if ((log = harness_read_file(harness.log, NULL)) == NULL)
		return;
	p = log + strlen(log);
	while (p > log && n <= lines) {
		p--;
		if (*p == '\n')
			n++;
	}
	if (*p == '\n')
		p++;
	fprintf(stderr, "---- secctxd log (last lines of %s) ----\n%s"
	    "---- end of secctxd log ----\n", harness.log, p);
	free(log);
}

int
harness_file_count(const char *path, const char *needle)
{
	char		*s = harness_read_file(path, NULL), *p;
	int		 n = 0;

	if (s == NULL)
		return (0);
	for (p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	free(s);
	return (n);
}

void
harness_wait_file_count(const char *path, const char *needle, int count)
{
	long long	 deadline = now_ms() + HARNESS_TIMEOUT_MS;
	char		*s;

	while (harness_file_count(path, needle) < count) {
		if (now_ms() >= deadline) {
			s = harness_read_file(path, NULL);
			fail_msg("\"%s\" not %d times in %s:\n%s", needle,
			    count, path, s != NULL ? s : "(none)");
		}
		sleep_ms(10);
	}
}

const char *
harness_test_file(const char *name)
{
	static char	path[160];

	snprintf(path, sizeof(path), "%s/%s", harness.dir, name);
	unlink(path);
	return (path);
}

const char *
harness_status_name(secctx_status st)
{
	static char	bufs[4][32];
	static int	next;
	const char	*name = secctx_status_name(st);
	char		*b;

	if (name != NULL)
		return (name);
	b = bufs[next++ % 4];
	snprintf(b, sizeof(bufs[0]), "0x%08x", (unsigned)st);
	return (b);
}

void
harness_assert_status(secctx_status actual, secctx_status expected,
    const char *expr, const char *file, int line)
{
	if (actual == expected)
		return;
	harness_print_log_tail(10);
	print_error("%s:%d: %s is %s (0x%08x), expected %s (0x%08x); "
	    "secctx_last_error: \"%s\"\n", file, line, expr,
	    harness_status_name(actual), (unsigned)actual,
	    harness_status_name(expected), (unsigned)expected,
	    secctx_last_error());
	_fail(file, line);
}

void
harness_assert_contains(const char *haystack, const char *needle,
    const char *file, int line)
{
	if (haystack != NULL && strstr(haystack, needle) != NULL)
		return;
	print_error("%s:%d: \"%s\" not found in:\n%s\n", file, line, needle,
	    haystack != NULL ? haystack : "(null)");
	_fail(file, line);
}

/* rm -rf, for the temporary directory. */
static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

static void
remove_dir(void)
{
	if (harness.dir[0] == '\0')
		return;
	if (getenv("SECCTX_TEST_KEEP") != NULL) {
		fprintf(stderr, "harness: keeping %s\n", harness.dir);
		return;
	}
	nftw(harness.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	harness.dir[0] = '\0';
}

/* Run gen-pki.sh into harness.pki; 0 on success. */
static int
make_pki(void)
{
	const char	*script = env_or("SECCTX_TEST_GEN_PKI", SECCTX_GEN_PKI);
	pid_t		 pid;
	int		 status;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		execl("/bin/sh", "sh", script, harness.pki, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "harness: %s %s failed (status 0x%x)\n",
		    script, harness.pki, status);
		return (-1);
	}
	return (0);
}

/*
 * Where the credentials protect records: $SECCTX_TEST_RECORDS, "process"
 * (the default) or "daemon".
 */
const char *
harness_records(void)
{
	const char	*v = getenv("SECCTX_TEST_RECORDS");

	return (v != NULL && strcmp(v, "daemon") == 0 ? "daemon" : "process");
}

/* One credential; extra: more keys ("\"k\": v, "), or NULL. */
static void
write_cred(FILE *f, const char *name, const char *cert, const char *ca,
    const char *uids, const char *extra, int last)
{
	fprintf(f, "    {\"name\": \"%s\", ", name);
	if (cert != NULL)
		fprintf(f, "\"certificate\": \"%s/%s.pem\", "
		    "\"private_key\": \"%s/%s.key\", ", harness.pki, cert,
		    harness.pki, cert);
	fprintf(f, "%s\"records\": \"%s\", \"ca_file\": \"%s/%s\", "
	    "\"uids\": [%s]}%s\n", extra != NULL ? extra : "",
	    harness_records(), harness.pki, ca, uids, last ? "" : ",");
}

/* The crl_file key naming a file of the PKI, for write_cred's extra. */
static void
crl_key(char *buf, size_t len, const char *file)
{
	snprintf(buf, len, "\"crl_file\": \"%s/%s\", ", harness.pki, file);
}

/*
 * The daemon's configuration: one credential per test scenario.  The
 * shared-* credentials also admit HARNESS_OTHER_UID, for tests that run a
 * second user.
 */
static int
write_config(void)
{
	char	 uid[16], other[16], both[40], crl[160];
	FILE	*f;

	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	snprintf(other, sizeof(other), "%u", (unsigned)getuid() + 1);
	snprintf(both, sizeof(both), "%u, %u", (unsigned)getuid(),
	    HARNESS_OTHER_UID);
	if ((f = fopen(harness.config, "w")) == NULL)
		return (-1);
	fprintf(f, "{\n  \"socket\": \"%s\",\n  \"socket_mode\": \"0666\",\n"
	    "  \"credentials\": [\n", harness.socket);
	write_cred(f, "server", "server", "ca.pem", uid, NULL, 0);
	write_cred(f, "client", "client", "ca.pem", uid, NULL, 0);
	write_cred(f, "client-nocert", NULL, "ca.pem", uid, NULL, 0);
	write_cred(f, "rsa-server", "server-rsa", "ca.pem", uid, NULL, 0);
	write_cred(f, "expired-server", "expired", "ca.pem", uid, NULL, 0);
	write_cred(f, "other-server", "other-server", "other-ca.pem", uid, NULL,
	    0);
	write_cred(f, "shared-client", NULL, "ca.pem", both, NULL, 0);
	write_cred(f, "shared-server", "server", "ca.pem", both, NULL, 0);
	write_cred(f, "strict-server", "server", "ca.pem", uid, STRICT_SERVER,
	    0);
	write_cred(f, "strict-client", NULL, "ca.pem", uid, STRICT_CLIENT, 0);
	crl_key(crl, sizeof(crl), "crl.pem");
	write_cred(f, "crl-server", "server", "ca.pem", uid, crl, 0);
	write_cred(f, "crl-client", NULL, "ca.pem", uid, crl, 0);
	crl_key(crl, sizeof(crl), "crl-expired.pem");
	write_cred(f, "crl-expired-client", NULL, "ca.pem", uid, crl, 0);
	crl_key(crl, sizeof(crl), "other-crl.pem");
	write_cred(f, "crl-other-client", NULL, "ca.pem", uid, crl, 0);
	write_cred(f, "legacy-server", "server-rsa", "ca.pem", uid,
	    LEGACY_SERVER, 0);
	write_cred(f, "forbidden", "server", "ca.pem", other, NULL, 1);
	fprintf(f, "  ]\n}\n");
	return (fclose(f) == 0 ? 0 : -1);
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

void
harness_exec_daemon(const char *daemon, const char *const argv[])
{
	const char	*args[64];
	char		*wrapper, *w;
	int		 n = 0, i;

	if ((wrapper = getenv("SECCTX_TEST_WRAPPER")) != NULL &&
	    (wrapper = strdup(wrapper)) != NULL) {
		for (w = strtok(wrapper, " \t"); w != NULL && n < 48;
		    w = strtok(NULL, " \t"))
			args[n++] = w;
	}
	if (n == 0) {
		execv(daemon, (char *const *)argv);
		return;
	}
	args[n++] = daemon;
	for (i = 1; argv[i] != NULL && n < 63; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execvp(args[0], (char *const *)args);
}

int
harness_daemon_wait_ms(int ms)
{
	const char	*w = getenv("SECCTX_TEST_WRAPPER");

	return (w != NULL && *w != '\0' ? ms * 10 : ms);
}

/* Start secctxd and wait up to 5 s for its socket; 0 on success. */
static int
start_daemon(void)
{
	const char	*daemon = env_or("SECCTX_TEST_DAEMON", SECCTX_DAEMON);
	long long	 deadline;
	pid_t		 pid;
	int		 fd, status;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((fd = open(harness.log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		harness_exec_daemon(daemon, (const char *const[]){ "secctxd",
		    "-v", "-c", harness.config, NULL });
		fprintf(stderr, "exec %s: %s\n", daemon, strerror(errno));
		_exit(127);
	}
	harness.daemon = pid;
	deadline = now_ms() + harness_daemon_wait_ms(5000);
	while (now_ms() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			harness.daemon = 0;
			fprintf(stderr, "harness: secctxd exited at start "
			    "(status 0x%x)\n", status);
			harness_print_log_tail(20);
			return (-1);
		}
		if ((fd = unix_connect(harness.socket)) != -1) {
			close(fd);
			return (0);
		}
		sleep_ms(10);
	}
	fprintf(stderr, "harness: secctxd did not listen on %s within 5 s\n",
	    harness.socket);
	harness_print_log_tail(20);
	return (-1);
}

static void
print_wait_status(const char *who, int status)
{
	if (WIFSIGNALED(status))
		fprintf(stderr, "harness: %s killed by signal %d%s\n", who,
		    WTERMSIG(status), WCOREDUMP(status) ? " (core dumped)" :
		    "");
	else
		fprintf(stderr, "harness: %s exited with status %d\n", who,
		    WEXITSTATUS(status));
}

/* Wait up to timeout_ms for pid; 1 with *status when it exited. */
static int
wait_pid(pid_t pid, int *status, int timeout_ms)
{
	long long	deadline = now_ms() + timeout_ms;

	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return (1);
		if (now_ms() >= deadline)
			return (0);
		sleep_ms(5);
	}
}

/* SIGTERM the daemon; 0 if it exited 0 and removed its socket. */
static int
stop_daemon(void)
{
	struct stat	st;
	int		status, rc = 0;

	if (harness.daemon <= 0)
		return (-1);
	kill(harness.daemon, SIGTERM);
	if (!wait_pid(harness.daemon, &status,
	    harness_daemon_wait_ms(5000))) {
		fprintf(stderr, "harness: secctxd ignored SIGTERM for 5 s\n");
		kill(harness.daemon, SIGKILL);
		waitpid(harness.daemon, &status, 0);
		rc = -1;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print_wait_status("secctxd after SIGTERM", status);
		rc = -1;
	} else if (lstat(harness.socket, &st) == 0) {
		fprintf(stderr, "harness: secctxd left its socket %s\n",
		    harness.socket);
		rc = -1;
	}
	harness.daemon = 0;
	if (rc != 0)
		harness_print_log_tail(30);
	return (rc);
}

int
harness_group_setup(void **state)
{
	char	tmpl[] = "/tmp/secctx-test.XXXXXX";

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	memset(&harness, 0, sizeof(harness));
	harness_runner = getpid();
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return (-1);
	}
	/* Another user may reach the socket, not list the directory. */
	if (chmod(tmpl, 0711) != 0) {
		perror("chmod");
		return (-1);
	}
	snprintf(harness.dir, sizeof(harness.dir), "%s", tmpl);
	snprintf(harness.pki, sizeof(harness.pki), "%s/pki", tmpl);
	snprintf(harness.config, sizeof(harness.config), "%s/secctxd.json",
	    tmpl);
	snprintf(harness.socket, sizeof(harness.socket), "%s/secctxd.sock",
	    tmpl);
	snprintf(harness.log, sizeof(harness.log), "%s/secctxd.log", tmpl);
	if (make_pki() != 0 || write_config() != 0 || start_daemon() != 0) {
		if (harness.daemon != 0) {
			kill(harness.daemon, SIGKILL);
			waitpid(harness.daemon, NULL, 0);
			harness.daemon = 0;
		}
		remove_dir();
		return (-1);
	}
	setenv("SECCTX_SOCKET", harness.socket, 1);
	return (0);
}

static void
kill_leftovers(void)
{
	int	i;

	for (i = 0; i < MAX_PAIRS; i++) {
		if (pairs[i] != NULL)
			harness_pair_close(pairs[i]);
	}
	for (i = 0; i < MAX_CHILDREN; i++) {
		if (children[i].pid > 0)
			harness_child_kill(&children[i]);
	}
}

/*
 * After each test: kill its leftovers; if the daemon died, the test failed
 * (it is reported here) and a new daemon serves the following tests.
 */
/*
 * A test's forked child that fails an assertion lands in the test's
 * teardown, not back in its own code: it leaves there, before it can
 * touch the parent's daemons or run the following tests.
 */
void
harness_child_guard(void)
{
	if (harness_runner != 0 && getpid() != harness_runner) {
		fprintf(stderr, "harness: pid %ld, a test's child, failed an "
		    "assertion; it exits\n", (long)getpid());
		_exit(99);
	}
}

int
harness_test_teardown(void **state)
{
	int	status, died = 0;

	(void)state;
	harness_child_guard();
	kill_leftovers();
	if (harness.daemon != 0 &&
	    waitpid(harness.daemon, &status, WNOHANG) == harness.daemon) {
		print_wait_status("secctxd", status);
		harness.daemon = 0;
		died = 1;
	}
	if (harness.daemon == 0) {
		harness_print_log_tail(30);
		fprintf(stderr, "harness: restarting secctxd for the next "
		    "tests\n");
		if (start_daemon() != 0)
			harness.daemon = 0;
		return (-1);
	}
	return (died ? -1 : 0);
}

static int	 group_teardown_failed;

int
harness_group_teardown(void **state)
{
	int	rc;

	(void)state;
	harness_child_guard();
	kill_leftovers();
	rc = stop_daemon();
	if (getenv("SECCTX_TEST_VERBOSE") != NULL)
		harness_print_log_tail(100000);
	remove_dir();
	if (rc != 0)
		group_teardown_failed = 1;
	return (rc);
}

int
harness_run_tests(const char *name, const struct CMUnitTest *tests,
    size_t count)
{
	int	rc;

	rc = _cmocka_run_group_tests(name, tests, count, harness_group_setup,
	    harness_group_teardown);
	if (group_teardown_failed) {
		fprintf(stderr, "harness: %s: the group teardown failed\n",
		    name);
		if (rc == 0)
			rc = 1;
	}
	return (rc);
}

void
harness_assert_daemon_alive(void)
{
	int	status;

	if (harness.daemon == 0)
		fail_msg("secctxd is not running");
	if (waitpid(harness.daemon, &status, WNOHANG) == harness.daemon) {
		harness.daemon = 0;
		print_wait_status("secctxd", status);
		harness_print_log_tail(30);
		fail_msg("secctxd died");
	}
}

/* Peer processes. */

static struct harness_child *
spawn(const char *const argv[], int split)
{
	struct harness_child	*c = NULL;
	const char		*base;
	int			 i, p[2], fd, efd;

	for (i = 0; i < MAX_CHILDREN; i++) {
		if (children[i].pid == 0) {
			c = &children[i];
			break;
		}
	}
	if (c == NULL)
		fail_msg("too many child processes");
	base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0];
	snprintf(c->name, sizeof(c->name), "%s", base);
	snprintf(c->out, sizeof(c->out), "%s/%s.%d.out", harness.dir, c->name,
	    ++spawned);
	/* Created here, so that it exists as soon as we return. */
	if ((fd = open(c->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		fail_msg("%s: %s", c->out, strerror(errno));
	c->err[0] = '\0';
	efd = fd;
	if (split) {
		snprintf(c->err, sizeof(c->err), "%s.err", c->out);
		if ((efd = open(c->err, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0644)) == -1)
			fail_msg("%s: %s", c->err, strerror(errno));
	}
	if (pipe2(p, O_CLOEXEC) == -1)
		fail_msg("pipe: %s", strerror(errno));
	if ((c->pid = fork()) == -1)
		fail_msg("fork: %s", strerror(errno));
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[0], STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		if (strcmp(argv[0], "openssl") == 0)
			execvp(SECCTX_OPENSSL, (char *const *)argv);
		else
			execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[0]);
	close(fd);
	if (efd != fd)
		close(efd);
	c->in = p[1];
	return (c);
}

struct harness_child *
harness_spawn(const char *const argv[])
{
	return (spawn(argv, 0));
}

struct harness_child *
harness_spawn_split(const char *const argv[])
{
	return (spawn(argv, 1));
}

void
harness_child_write(struct harness_child *c, const char *s)
{
	if (c->in == -1)
		fail_msg("%s: stdin is closed", c->name);
	harness_send_all(c->in, s, strlen(s));
}

void
harness_child_close_stdin(struct harness_child *c)
{
	if (c->in != -1) {
		close(c->in);
		c->in = -1;
	}
}

int
harness_child_wait(struct harness_child *c, int timeout_ms)
{
	int	status;

	if (c->pid == 0)
		fail_msg("no such child");
	if (!wait_pid(c->pid, &status, timeout_ms)) {
		char	*out = harness_child_output(c);

		print_error("%s did not exit within %d ms; output:\n%s\n",
		    c->name, timeout_ms, out);
		free(out);
		fail();
	}
	c->pid = 0;
	harness_child_close_stdin(c);
	return (status);
}

void
harness_child_kill(struct harness_child *c)
{
	int	status;

	if (c->pid > 0) {
		kill(c->pid, SIGTERM);
		if (!wait_pid(c->pid, &status, 2000)) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
		}
		c->pid = 0;
	}
	harness_child_close_stdin(c);
}

char *
harness_child_output(struct harness_child *c)
{
	char	*s = harness_read_file(c->out, NULL);

	if (s == NULL)
		fail_msg("cannot read %s", c->out);
	return (s);
}

void
harness_child_wait_output(struct harness_child *c, const char *needle,
    int timeout_ms)
{
	long long	 deadline = now_ms() + timeout_ms;
	char		*out;

	for (;;) {
		out = harness_child_output(c);
		if (strstr(out, needle) != NULL) {
			free(out);
			return;
		}
		if (now_ms() >= deadline)
			break;
		free(out);
		sleep_ms(10);
	}
	print_error("%s: \"%s\" did not appear within %d ms; output:\n%s\n",
	    c->name, needle, timeout_ms, out);
	free(out);
	fail();
}

/* TCP. */

static void
loopback(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static int
bound_socket(int *portp)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			fd;

	loopback(&sin, 0);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fail_msg("socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		fail_msg("bind: %s", strerror(errno));
	*portp = ntohs(sin.sin_port);
	return (fd);
}

int
harness_free_port(void)
{
	int	port;

	close(bound_socket(&port));
	return (port);
}

int
harness_tcp_listen(int *portp)
{
	int	fd = bound_socket(portp);

	if (listen(fd, 8) == -1)
		fail_msg("listen: %s", strerror(errno));
	return (fd);
}

static void
wait_readable(int fd, int timeout_ms, const char *what)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	int		n;

	while ((n = poll(&pfd, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (n == 0)
		fail_msg("timed out after %d ms waiting to %s", timeout_ms,
		    what);
	if (n == -1)
		fail_msg("poll: %s", strerror(errno));
}

int
harness_tcp_accept(int lfd, int timeout_ms)
{
	int	fd;

	wait_readable(lfd, timeout_ms, "accept a connection");
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		fail_msg("accept: %s", strerror(errno));
	return (fd);
}

static int
try_connect(int port)
{
	struct sockaddr_in	sin;
	int			fd;

	loopback(&sin, port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fail_msg("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

int
harness_tcp_connect(int port)
{
	int	fd;

	if ((fd = try_connect(port)) == -1)
		fail_msg("connect to 127.0.0.1:%d: %s", port, strerror(errno));
	return (fd);
}

void
harness_wait_port(int port, int timeout_ms)
{
	long long	deadline = now_ms() + timeout_ms;
	int		fd;

	while ((fd = try_connect(port)) == -1) {
		if (now_ms() >= deadline)
			fail_msg("nothing accepts on 127.0.0.1:%d after %d ms",
			    port, timeout_ms);
		sleep_ms(10);
	}
	close(fd);
}

void
harness_send_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			fail_msg("write: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

size_t
harness_recv(int fd, void *buf, size_t len, int timeout_ms)
{
	ssize_t	n;

	wait_readable(fd, timeout_ms, "read");
	while ((n = read(fd, buf, len)) == -1 && errno == EINTR)
		;
	if (n == -1) {
		if (errno == ECONNRESET)
			return (0);
		fail_msg("read: %s", strerror(errno));
	}
	return ((size_t)n);
}

struct harness_child *
harness_s_server(int *portp, const char *const args[])
{
	const char		*argv[32];
	char			 accept[32];
	struct harness_child	*c;
	int			 i = 0, j;

	*portp = harness_free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", *portp);
	argv[i++] = "openssl";
	argv[i++] = "s_server";
	argv[i++] = "-accept";
	argv[i++] = accept;
	for (j = 0; args[j] != NULL && i < 31; j++)
		argv[i++] = args[j];
	argv[i] = NULL;
	c = harness_spawn(argv);
	harness_child_wait_output(c, "ACCEPT", 5000);
	return (c);
}

struct harness_child *
harness_s_client(int port, const char *version, const char *const extra[])
{
	const char	*argv[32];
	char		 connect[32];
	int		 i = 0, j;

	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	argv[i++] = "openssl";
	argv[i++] = "s_client";
	argv[i++] = "-connect";
	argv[i++] = connect;
	argv[i++] = "-servername";
	argv[i++] = "localhost";
	argv[i++] = "-CAfile";
	argv[i++] = harness_pki("ca.pem");
	argv[i++] = "-verify_return_error";
	argv[i++] = "-verify_hostname";
	argv[i++] = "localhost";
	argv[i++] = version;
	for (j = 0; extra != NULL && extra[j] != NULL && i < 31; j++)
		argv[i++] = extra[j];
	argv[i] = NULL;
	return (harness_spawn(argv));
}

/* libsecctx. */

secctx_conn *
harness_connect(void)
{
	secctx_conn	*conn = NULL;

	assert_status(secctx_connect(harness.socket, &conn), SEC_E_OK);
	assert_non_null(conn);
	return (conn);
}

secctx_cred *
harness_cred(secctx_conn *conn, const char *name, enum secctx_direction dir)
{
	secctx_cred	*cred = NULL;

	assert_status(secctx_cred_acquire(conn, name, dir, &cred), SEC_E_OK);
	assert_non_null(cred);
	return (cred);
}

void
harness_info(secctx_ctx *ctx, struct secctx_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	assert_status(secctx_query_info(ctx, info), SEC_E_OK);
	/* Every string is NUL-terminated within its field. */
	assert_non_null(memchr(info->protocol, '\0', sizeof(info->protocol)));
	assert_non_null(memchr(info->cipher, '\0', sizeof(info->cipher)));
	assert_non_null(memchr(info->peer_subject, '\0',
	    sizeof(info->peer_subject)));
	assert_non_null(memchr(info->alpn, '\0', sizeof(info->alpn)));
	assert_non_null(memchr(info->sni, '\0', sizeof(info->sni)));
	assert_non_null(memchr(info->credential, '\0',
	    sizeof(info->credential)));
}

void
harness_check_token(secctx_status st, const struct secctx_token *tok,
    size_t in_len, secctx_ctx *before, secctx_ctx *after)
{
	if (tok->extra > in_len)
		fail_msg("%s: extra %zu > input %zu", harness_status_name(st),
		    tok->extra, in_len);
	if ((tok->out == NULL) != (tok->out_len == 0))
		fail_msg("%s: out %p with out_len %zu",
		    harness_status_name(st), tok->out, tok->out_len);
	if (st == SEC_E_INCOMPLETE_MESSAGE) {
		if (tok->out_len != 0)
			fail_msg("SEC_E_INCOMPLETE_MESSAGE with %zu output "
			    "bytes", tok->out_len);
		/* Nothing was consumed: the whole input is extra. */
		if (tok->extra != in_len)
			fail_msg("SEC_E_INCOMPLETE_MESSAGE: extra %zu, input "
			    "%zu", tok->extra, in_len);
		if (before != NULL && after != before)
			fail_msg("SEC_E_INCOMPLETE_MESSAGE changed the context");
	} else if (SECCTX_FAILED(st)) {
		if (after != NULL)
			fail_msg("%s left a context", harness_status_name(st));
	} else if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED) {
		if (after == NULL)
			fail_msg("%s without a context",
			    harness_status_name(st));
		if (before != NULL && after != before)
			fail_msg("%s replaced the context",
			    harness_status_name(st));
	} else {
		fail_msg("unexpected handshake status %s",
		    harness_status_name(st));
	}
}

/* A growing byte buffer. */
struct buf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

static void
buf_reserve(struct buf *b, size_t more)
{
	while (b->cap - b->len < more) {
		b->cap = b->cap ? b->cap * 2 : 16384;
		if ((b->data = realloc(b->data, b->cap)) == NULL)
			abort();
	}
}

static void
buf_add(struct buf *b, const void *p, size_t len)
{
	if (len == 0)
		return;
	buf_reserve(b, len);
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

/* Keep only the last n bytes. */
static void
buf_keep_tail(struct buf *b, size_t n)
{
	if (n > 0)
		memmove(b->data, b->data + b->len - n, n);
	b->len = n;
}

/* Read more from fd into b; 0 at end of file. */
static size_t
buf_read(struct buf *b, int fd, int delay_ms)
{
	size_t	n;

	if (delay_ms > 0)
		sleep_ms(delay_ms);
	buf_reserve(b, 16384);
	n = harness_recv(fd, b->data + b->len, b->cap - b->len,
	    HARNESS_TIMEOUT_MS);
	b->len += n;
	return (n);
}

/* Send what we can; a peer that already closed is not an error here. */
static void
send_token(int fd, const void *buf, size_t len, struct harness_hs *hs)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET) {
				hs->peer_closed = 1;
				return;
			}
			fail_msg("write: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
}

static secctx_status
call(int server, secctx_cred *cred, secctx_ctx **ctxp,
    const struct secctx_options *opt, struct secctx_token *tok)
{
	return (server ? secctx_accept(cred, ctxp, opt, tok) :
	    secctx_initialize(cred, ctxp, opt, tok));
}

secctx_status
harness_handshake(int fd, secctx_cred *cred, int server,
    const struct secctx_options *opt, struct harness_hs *hs)
{
	struct secctx_token	 tok;
	struct buf		 in = { NULL, 0, 0 };
	secctx_ctx		*before;
	secctx_status		 st;

	hs->ctx = NULL;
	hs->status = SEC_E_INTERNAL_ERROR;
	if (server && buf_read(&in, fd, hs->read_delay_ms) == 0) {
		hs->eof = 1;
		goto out;
	}
	for (;;) {
		memset(&tok, 0, sizeof(tok));
		tok.in = in.len > 0 ? in.data : NULL;
		tok.in_len = in.len;
		before = hs->ctx;
		st = call(server, cred, &hs->ctx, opt, &tok);
		hs->status = st;
		hs->calls++;
		hs->last_in_len = in.len;
		harness_check_token(st, &tok, in.len, before, hs->ctx);
		if (tok.out_len > 0)
			send_token(fd, tok.out, tok.out_len, hs);
		if (st == SEC_E_INCOMPLETE_MESSAGE) {
			secctx_free(tok.out);
			hs->incomplete++;
			if (buf_read(&in, fd, hs->read_delay_ms) == 0) {
				hs->eof = 1;
				break;
			}
			continue;
		}
		if (SECCTX_FAILED(st)) {
			hs->alert_len = tok.out_len;
			hs->alert_type = tok.out_len > 0 ?
			    ((uint8_t *)tok.out)[0] : 0;
			snprintf(hs->error, sizeof(hs->error), "%s",
			    secctx_last_error());
			secctx_free(tok.out);
			break;
		}
		secctx_free(tok.out);
		buf_keep_tail(&in, tok.extra);
		if (st == SEC_E_OK) {
			hs->extra_len = in.len;
			if ((hs->extra = malloc(in.len + 1)) == NULL)
				abort();
			memcpy(hs->extra, in.data, in.len);
			break;
		}
		if (in.len == 0 && buf_read(&in, fd, hs->read_delay_ms) == 0) {
			hs->eof = 1;
			break;
		}
	}
 out:
	free(in.data);
	return (hs->status);
}

void
harness_hs_free(struct harness_hs *hs)
{
	if (hs->ctx != NULL) {
		secctx_delete(hs->ctx);
		hs->ctx = NULL;
	}
	free(hs->extra);
	hs->extra = NULL;
	hs->extra_len = 0;
}

/* In-memory pairs. */

static void
side_open(struct harness_side *s, const char *role, int server,
    secctx_conn *conn, const char *cred)
{
	memset(s, 0, sizeof(*s));
	s->role = role;
	s->server = server;
	if (conn == NULL) {
		conn = harness_connect();
		s->own_conn = 1;
	}
	s->conn = conn;
	s->cred = harness_cred(conn, cred, server ? SECCTX_INBOUND :
	    SECCTX_OUTBOUND);
}

struct harness_pair *
harness_pair_open(secctx_conn *client_conn, const char *client_cred,
    secctx_conn *server_conn, const char *server_cred)
{
	struct harness_pair	*p;
	int			 i;

	for (i = 0; i < MAX_PAIRS && pairs[i] != NULL; i++)
		;
	if (i == MAX_PAIRS)
		fail_msg("too many open pairs");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		abort();
	pairs[i] = p;
	side_open(&p->client, "client", 0, client_conn, client_cred);
	side_open(&p->server, "server", 1, server_conn, server_cred);
	p->client.opt.target = "localhost";
	/* Full handshakes unless a test asks for resumption. */
	p->client.opt.no_resume = 1;
	return (p);
}

static void
side_close(struct harness_side *s)
{
	if (s->ctx != NULL)
		secctx_delete(s->ctx);
	if (s->cred != NULL)
		secctx_cred_free(s->cred);
	if (s->own_conn && s->conn != NULL)
		secctx_disconnect(s->conn);
	free(s->in);
	memset(s, 0, sizeof(*s));
}

void
harness_pair_close(struct harness_pair *p)
{
	int	i;

	for (i = 0; i < MAX_PAIRS; i++) {
		if (pairs[i] == p)
			pairs[i] = NULL;
	}
	side_close(&p->client);
	side_close(&p->server);
	free(p);
}

secctx_status
harness_side_call(struct harness_side *s, const void *in, size_t in_len,
    struct secctx_token *tok)
{
	secctx_ctx	*before = s->ctx;
	secctx_status	 st;

	memset(tok, 0, sizeof(*tok));
	tok->in = in;
	tok->in_len = in_len;
	st = call(s->server, s->cred, &s->ctx, &s->opt, tok);
	s->status = st;
	s->calls++;
	s->missing = tok->missing;
	harness_check_token(st, tok, in_len, before, s->ctx);
	if (st == SEC_E_OK)
		s->done = 1;
	else if (SECCTX_FAILED(st) && st != SEC_E_INCOMPLETE_MESSAGE) {
		s->failed = 1;
		s->alert_len = tok->out_len;
		s->alert_type = tok->out_len > 0 ?
		    ((const uint8_t *)tok->out)[0] : 0;
		snprintf(s->error, sizeof(s->error), "%s",
		    secctx_last_error());
	}
	return (st);
}

void
harness_side_give(struct harness_side *s, const void *p, size_t len)
{
	struct buf	b = { s->in, s->in_len, s->in_cap };

	buf_add(&b, p, len);
	s->in = b.data;
	s->in_len = b.len;
	s->in_cap = b.cap;
}

uint8_t *
harness_side_take(struct harness_side *s, size_t *lenp)
{
	uint8_t	*p = s->in;

	*lenp = s->in_len;
	s->in = NULL;
	s->in_len = s->in_cap = 0;
	if (p == NULL && (p = malloc(1)) == NULL)
		abort();
	return (p);
}

secctx_status
harness_side_step(struct harness_side *s, struct harness_side *peer)
{
	struct secctx_token	tok;
	secctx_status		st;

	st = harness_side_call(s, s->in_len > 0 ? s->in : NULL, s->in_len,
	    &tok);
	harness_side_give(peer, tok.out, tok.out_len);
	secctx_free(tok.out);
	if (st == SEC_E_INCOMPLETE_MESSAGE)
		return (st);
	if (SECCTX_FAILED(st))
		s->in_len = 0;
	else {
		if (tok.extra > 0)
			memmove(s->in, s->in + s->in_len - tok.extra,
			    tok.extra);
		s->in_len = tok.extra;
	}
	return (st);
}

void
harness_pair_run(struct harness_pair *p)
{
	struct harness_side	*c = &p->client, *s = &p->server;
	int			 round, progress;

	if (c->calls == 0 && harness_side_step(c, s) != SEC_I_CONTINUE_NEEDED)
		return;
	for (round = 0; round < 32; round++) {
		if (c->failed || s->failed || (c->done && s->done))
			return;
		progress = 0;
		if (!s->done && s->in_len > 0) {
			if (harness_side_step(s, c) != SEC_E_INCOMPLETE_MESSAGE)
				progress = 1;
			if (s->failed)
				return;
		}
		if (!c->done && c->in_len > 0) {
			if (harness_side_step(c, s) != SEC_E_INCOMPLETE_MESSAGE)
				progress = 1;
		}
		if (!progress)
			break;
	}
	fail_msg("handshake stalled: client %s (%zu bytes pending, %d calls), "
	    "server %s (%zu bytes pending, %d calls)",
	    harness_status_name(c->status), c->in_len, c->calls,
	    harness_status_name(s->status), s->in_len, s->calls);
}

size_t
harness_record_missing(const uint8_t *p, size_t len)
{
	size_t	need;

	if (len < TLS_HEADER_LEN)
		return (TLS_HEADER_LEN - len);
	need = TLS_HEADER_LEN + ((size_t)p[3] << 8 | p[4]);
	return (len < need ? need - len : 0);
}

/* One step of one side: input in/in_len, output appended to peer. */
static secctx_status
raw_step(int server, secctx_cred *cred, secctx_ctx **ctx,
    const struct secctx_options *opt, uint8_t *in, size_t *in_len,
    uint8_t *peer, size_t *peer_len, size_t peer_cap)
{
	struct secctx_token	t;
	secctx_status		st;

	memset(&t, 0, sizeof(t));
	t.in = in;
	t.in_len = *in_len;
	st = server ? secctx_accept(cred, ctx, opt, &t) :
	    secctx_initialize(cred, ctx, opt, &t);
	if (t.out_len > peer_cap - *peer_len)
		st = SEC_E_BUFFER_TOO_SMALL;
	else if (t.out_len > 0) {
		memcpy(peer + *peer_len, t.out, t.out_len);
		*peer_len += t.out_len;
	}
	secctx_free(t.out);
	if (SECCTX_FAILED(st) && st != SEC_E_INCOMPLETE_MESSAGE)
		return (st);
	memmove(in, in + *in_len - t.extra, t.extra);
	*in_len = t.extra;
	return (st);
}

secctx_status
harness_raw_handshake(secctx_cred *cc, secctx_cred *sc,
    const struct secctx_options *copt, secctx_ctx **cctx, secctx_ctx **sctx)
{
	uint8_t		*c_in, *s_in;
	size_t		 c_len = 0, s_len = 0, cap = 65536;
	secctx_status	 cst = SEC_I_CONTINUE_NEEDED, sst = SEC_I_CONTINUE_NEEDED;
	int		 round;

	c_in = malloc(cap);
	s_in = malloc(cap);
	if (c_in == NULL || s_in == NULL)
		abort();
	for (round = 0; round < 16 && (cst != SEC_E_OK || sst != SEC_E_OK);
	    round++) {
		if (cst != SEC_E_OK && (round == 0 || c_len > 0))
			cst = raw_step(0, cc, cctx, copt, c_in, &c_len, s_in,
			    &s_len, cap);
		if (SECCTX_FAILED(cst) && cst != SEC_E_INCOMPLETE_MESSAGE)
			break;
		if (sst != SEC_E_OK && s_len > 0)
			sst = raw_step(1, sc, sctx, NULL, s_in, &s_len, c_in,
			    &c_len, cap);
		if (SECCTX_FAILED(sst) && sst != SEC_E_INCOMPLETE_MESSAGE)
			break;
	}
	free(c_in);
	free(s_in);
	if (cst != SEC_E_OK)
		return (cst);
	return (sst);
}
