/* A second daemon with a configuration of its own: see xdaemon.h. */

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xdaemon.h"

#include "frame.h"
#include "msg.h"

#define XD_MAX	4

static struct xdaemon	*running[XD_MAX];

static void
xd_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
write_config(const struct xdaemon *d, const char *text)
{
	const char	*p;
	FILE		*f;

	assert_non_null(f = fopen(d->config, "w"));
	for (p = text; *p != '\0'; p++) {
		if (strncmp(p, "@PKI@", 5) == 0) {
			fputs(harness.pki, f);
			p += 4;
		} else if (strncmp(p, "@SOCK@", 6) == 0) {
			fputs(d->socket, f);
			p += 5;
		} else if (strncmp(p, "@UID@", 5) == 0) {
			fprintf(f, "%u", (unsigned)getuid());
			p += 4;
		} else
			fputc(*p, f);
	}
	assert_int_equal(fclose(f), 0);
}

/*
 * Whether the daemon accepts on path.  The probe hangs up and waits for
 * the daemon to close its end: until then it is a connection of this uid
 * (connections_per_uid), which a loop busy elsewhere may take only after
 * the test's own.
 */
static int
try_connect(const char *path)
{
	struct sockaddr_un	sun;
	struct pollfd		pfd;
	char			c;
	int			fd, ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fail_msg("socket path %s is too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	if (ok && shutdown(fd, SHUT_WR) == 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, harness_daemon_wait_ms(2000)) == 1 &&
		    read(fd, &c, 1) > 0)
			;
	}
	close(fd);
	return (ok);
}

void
xd_start(struct xdaemon *d, const char *name, const char *text)
{
	const char	*daemon = getenv("SECCTX_TEST_DAEMON");
	int		 i, fd, status;

	assert_non_null(daemon);
	memset(d, 0, sizeof(*d));
	snprintf(d->socket, sizeof(d->socket), "%s/%s.sock", harness.dir,
	    name);
	snprintf(d->config, sizeof(d->config), "%s/%s.json", harness.dir,
	    name);
	snprintf(d->log, sizeof(d->log), "%s/%s.log", harness.dir, name);
	write_config(d, text);
	unlink(d->log);
	if ((d->pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if ((fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) == -1)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		harness_exec_daemon(daemon, (const char *const[]){ "secctxd",
		    "-v", "-c", d->config, NULL });
		_exit(127);
	}
	assert_true(d->pid > 0);
	for (i = 0; i < XD_MAX && running[i] != NULL; i++)
		;
	assert_true(i < XD_MAX);
	running[i] = d;
	for (i = 0; i < harness_daemon_wait_ms(500); i++) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			fail_msg("secctxd %s exited at start:\n%s", name,
			    xd_log(d));
		}
		if (try_connect(d->socket))
			return;
		xd_sleep_ms(10);
	}
	fail_msg("secctxd %s did not listen on %s", name, d->socket);
}

static void
xd_forget(struct xdaemon *d)
{
	int	i;

	for (i = 0; i < XD_MAX; i++) {
		if (running[i] == d)
			running[i] = NULL;
	}
}

void
xd_stop(struct xdaemon *d)
{
	int	status, i;

	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM);
	for (i = 0; i < harness_daemon_wait_ms(500) &&
	    waitpid(d->pid, &status, WNOHANG) != d->pid; i++)
		xd_sleep_ms(10);
	if (i == harness_daemon_wait_ms(500)) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
	}
	d->pid = 0;
	xd_forget(d);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char	*log = xd_log(d);

		fail_msg("secctxd did not exit cleanly (status 0x%x):\n%s",
		    status, log != NULL ? log : "");
	}
}

/* Whether every thread of the process is stopped (/proc/PID/task). */
static int
xd_all_stopped(pid_t pid)
{
	char		 path[320], buf[512], *p;
	struct dirent	*e;
	DIR		*dir;
	FILE		*f;
	int		 all = 1;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return (0);
	while (all && (e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%s/stat",
		    (long)pid, e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		/* "tid (comm) S ...": the state follows the last ')'. */
		if (fgets(buf, sizeof(buf), f) == NULL ||
		    (p = strrchr(buf, ')')) == NULL || p[1] != ' ' ||
		    (p[2] != 'T' && p[2] != 't'))
			all = 0;
		fclose(f);
	}
	closedir(dir);
	return (all);
}

void
xd_signal(struct xdaemon *d, int sig)
{
	int	i;

	assert_true(d->pid > 0);
	assert_int_equal(kill(d->pid, sig), 0);
	for (i = 0; sig == SIGSTOP && !xd_all_stopped(d->pid); i++) {
		if (i == 500)
			fail_msg("secctxd did not stop");
		xd_sleep_ms(2);
	}
	if (sig != SIGKILL)
		return;
	assert_int_equal(waitpid(d->pid, NULL, 0), d->pid);
	d->pid = 0;
	xd_forget(d);
}

int
xd_teardown(void **state)
{
	int	i;

	harness_child_guard();
	for (i = 0; i < XD_MAX; i++) {
		if (running[i] != NULL && running[i]->pid > 0) {
			kill(running[i]->pid, SIGKILL);
			waitpid(running[i]->pid, NULL, 0);
			running[i]->pid = 0;
		}
		running[i] = NULL;
	}
	return (harness_test_teardown(state));
}

char *
xd_log(const struct xdaemon *d)
{
	return (harness_read_file(d->log, NULL));
}

int
xd_log_count(const struct xdaemon *d, const char *needle)
{
	char	*log = xd_log(d), *p;
	int	 n = 0;

	for (p = log; p != NULL && (p = strstr(p, needle)) != NULL;
	    p += strlen(needle))
		n++;
	free(log);
	return (n);
}

void
xd_wait_log(const struct xdaemon *d, const char *needle, int timeout_ms)
{
	int	waited;

	for (waited = 0; waited < timeout_ms; waited += 20) {
		if (xd_log_count(d, needle) > 0)
			return;
		xd_sleep_ms(20);
	}
	fail_msg("\"%s\" not in the log of secctxd:\n%s", needle, xd_log(d));
}

int
xd_raw_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fail_msg("socket path %s is too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail_msg("connect %s: %s", path, strerror(errno));
	return (fd);
}

void
xd_send_frame(int fd, const char *header, size_t hlen, const void *payload,
    size_t plen)
{
	uint8_t	prefix[FRAME_PREFIX_LEN];

	frame_prefix_put(prefix, (uint32_t)hlen, (uint32_t)plen);
	harness_send_all(fd, prefix, sizeof(prefix));
	harness_send_all(fd, header, hlen);
	if (plen > 0)
		harness_send_all(fd, payload, plen);
}

int64_t
xd_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
xd_send_header(int fd, const char *header)
{
	xd_send_frame(fd, header, strlen(header), NULL, 0);
}

int
xd_try_send_header(int fd, const char *header)
{
	uint8_t		prefix[FRAME_PREFIX_LEN];
	struct iovec	iov[2];
	struct msghdr	msg;
	size_t		len = strlen(header);

	frame_prefix_put(prefix, (uint32_t)len, 0);
	iov[0].iov_base = prefix;
	iov[0].iov_len = sizeof(prefix);
	iov[1].iov_base = (void *)header;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	return (sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)(len +
	    sizeof(prefix)) ? 0 : -1);
}

static int
read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	uint8_t	*p = buf;
	size_t	 n;

	while (len > 0) {
		if ((n = harness_recv(fd, p, len, timeout_ms)) == 0)
			return (0);
		p += n;
		len -= n;
	}
	return (1);
}

int
xd_read_resp(int fd, struct xd_resp *r, int timeout_ms)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	struct sc_err	 err;
	uint32_t	 hlen, plen;
	const char	*name = NULL, *message = NULL;
	char		*hbuf;
	int		 found = 0;

	memset(r, 0, sizeof(*r));
	sc_clearerr(&err);
	if (!read_exact(fd, prefix, sizeof(prefix), timeout_ms))
		return (0);
	assert_status(frame_prefix_parse(prefix, FRAME_MAX_PAYLOAD, &hlen,
	    &plen, &err), SEC_E_OK);
	assert_non_null(hbuf = malloc(hlen));
	assert_non_null(r->payload = malloc(plen + 1));
	assert_true(read_exact(fd, hbuf, hlen, timeout_ms));
	assert_true(read_exact(fd, r->payload, plen, timeout_ms));
	r->plen = plen;
	if (frame_header_parse(hbuf, hlen, &r->hdr, &err) != SEC_E_OK)
		fail_msg("bad response header: %s", err.msg);
	free(hbuf);
	assert_status(msg_get_int(r->hdr, "id", MSG_REQUIRED, 0,
	    (INT64_C(1) << 53) - 1, &r->id, &err), SEC_E_OK);
	assert_status(msg_get_string(r->hdr, "status", MSG_REQUIRED, 64,
	    &name, &err), SEC_E_OK);
	r->status = msg_response_status(r->hdr, &err);
	if (secctx_status_from_name(name, &found) != r->status || !found)
		fail_msg("status \"%s\" does not match its code", name);
	assert_status(msg_get_string(r->hdr, "message", MSG_OPTIONAL, 4096,
	    &message, &err), SEC_E_OK);
	if (SECCTX_FAILED(r->status) && (message == NULL || *message == '\0'))
		fail_msg("error %s without a message", name);
	return (1);
}

void
xd_resp_free(struct xd_resp *r)
{
	json_decref(r->hdr);
	free(r->payload);
	memset(r, 0, sizeof(*r));
}

void
xd_expect(int fd, const char *header, int64_t id, secctx_status st)
{
	struct xd_resp	r;

	xd_send_header(fd, header);
	if (!xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS))
		fail_msg("closed instead of answering %s", header);
	if (r.status != st)
		print_error("message: %s\n", json_string_value(
		    json_object_get(r.hdr, "message")));
	assert_status(r.status, st);
	assert_int_equal(r.id, id);
	xd_resp_free(&r);
}

void
xd_assert_closed(int fd)
{
	uint8_t	buf[256];

	if (harness_recv(fd, buf, sizeof(buf), HARNESS_TIMEOUT_MS) != 0)
		fail_msg("the daemon sent more instead of closing");
}

int
xd_hello(const char *path)
{
	int	fd = xd_raw_connect(path);

	xd_expect(fd, "{\"op\":\"hello\",\"id\":1,\"version\":1}", 1,
	    SEC_E_OK);
	return (fd);
}

void
xd_handle(const struct xd_resp *r, const char *key, char out[17])
{
	const char	*s = json_string_value(json_object_get(r->hdr, key));
	uint64_t	 h;

	if (s == NULL)
		fail_msg("no \"%s\" in the response", key);
	assert_int_equal(msg_handle_parse(s, &h), 1);
	snprintf(out, 17, "%s", s);
}

void
xd_acquire(int fd, const char *name, const char *direction, char out[17])
{
	struct xd_resp	r;
	char		buf[256];

	snprintf(buf, sizeof(buf), "{\"op\":\"acquire_credentials\",\"id\":2,"
	    "\"name\":\"%s\",\"direction\":\"%s\"}", name, direction);
	xd_send_header(fd, buf);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_OK);
	xd_handle(&r, "cred", out);
	xd_resp_free(&r);
}

void
xd_new_context(int fd, const char *cred, char ctx[17])
{
	struct xd_resp	r;
	char		buf[256];

	snprintf(buf, sizeof(buf), "{\"op\":\"initialize\",\"id\":3,"
	    "\"cred\":\"%s\",\"target\":\"localhost\"}", cred);
	xd_send_header(fd, buf);
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_I_CONTINUE_NEEDED);
	xd_handle(&r, "ctx", ctx);
	xd_resp_free(&r);
}

void
xd_stats(const char *path, struct xd_stats *st)
{
	struct xd_resp	r;
	int		fd, tries;

	/*
	 * Connections the test just closed may not be gone yet (each event
	 * loop notices its own): over connections_per_uid, try again.
	 */
	for (tries = 0;; tries++) {
		/* A refused connection is answered and closed at once. */
		fd = xd_raw_connect(path);
		(void)xd_try_send_header(fd, "{\"op\":\"hello\",\"id\":1,"
		    "\"version\":1}");
		assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
		if (r.status == SEC_E_OK || tries == 100)
			break;
		xd_resp_free(&r);
		close(fd);
		xd_sleep_ms(20);
	}
	assert_status(r.status, SEC_E_OK);
	xd_resp_free(&r);
	xd_send_header(fd, "{\"op\":\"stats\",\"id\":9}");
	assert_true(xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS));
	assert_status(r.status, SEC_E_OK);
	st->connections = json_integer_value(json_object_get(r.hdr,
	    "connections"));
	st->contexts = json_integer_value(json_object_get(r.hdr, "contexts"));
	st->buffered = json_integer_value(json_object_get(r.hdr, "buffered"));
	st->pool_steps = json_integer_value(json_object_get(r.hdr,
	    "pool_steps"));
	st->mapped = json_integer_value(json_object_get(r.hdr, "mapped"));
	assert_true(json_is_integer(json_object_get(r.hdr, "contexts")));
	xd_resp_free(&r);
	close(fd);
}

void
xd_wait_contexts(const char *path, int64_t n, int timeout_ms)
{
	struct xd_stats	st;
	int		waited;

	for (waited = 0;; waited += 20) {
		xd_stats(path, &st);
		if (st.contexts == n)
			return;
		if (waited >= timeout_ms)
			fail_msg("the daemon holds %lld contexts, not %lld",
			    (long long)st.contexts, (long long)n);
		xd_sleep_ms(20);
	}
}

void
xd_handshake_works(const char *path, const char *ccred, const char *scred)
{
	secctx_conn		*cc = NULL, *sc = NULL;
	struct harness_pair	*p;

	assert_status(secctx_connect(path, &cc), SEC_E_OK);
	assert_status(secctx_connect(path, &sc), SEC_E_OK);
	p = harness_pair_open(cc, ccred, sc, scred);
	harness_pair_run(p);
	assert_status(p->client.status, SEC_E_OK);
	assert_status(p->server.status, SEC_E_OK);
	harness_pair_close(p);
	secctx_disconnect(cc);
	secctx_disconnect(sc);
}

void
xd_sspi_socket(const struct xdaemon *d)
{
	setenv("SECCTX_SOCKET", d != NULL ? d->socket : harness.socket, 1);
}
