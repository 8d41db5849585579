/*
 * Protected messages against real peers: openssl s_server and s_client,
 * and gnutls-serv.
 *
 *  - round trips of many sizes, checked byte for byte: what we encrypt must
 *    come out of the peer's standard output, what the peer reads from its
 *    standard input must come out of secctx_decrypt;
 *  - close_notify in both directions;
 *  - a KeyUpdate from the peer, with and without a requested update;
 *  - the attributes a context reports against what the peer prints.
 *
 * The application side is written as an application would: it keeps the
 * unconsumed input ('extra') for the next call, sends the bytes decrypt
 * asks it to send, and reads and writes its socket without blocking so that
 * large transfers in both directions cannot deadlock.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define PRIO_TLS12	"NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define PRIO_TLS13	"NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define EXPORT_LABEL	"EXPERIMENTAL-secctx-peers"

static const size_t	sizes[] = { 0, 1, 16384, 16385, 1048576 };
#define NSIZES		(sizeof(sizes) / sizeof(sizes[0]))

/* A growing byte buffer. */
struct bytes {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

/* One connection to a peer process, through libsecctx. */
struct link {
	struct harness_child	*peer;
	int			 fd;
	secctx_conn		*conn;
	secctx_cred		*cred;
	secctx_ctx		*ctx;
	struct bytes		 wire;		/* received, not consumed */
	struct bytes		 sendq;		/* to send to the peer */
	struct bytes		 got;		/* plaintext received */
	size_t			 replies;	/* bytes decrypt asked to send */
	size_t			 peer_out;	/* peer stdout bytes checked */
	int			 expired;	/* SEC_I_CONTEXT_EXPIRED */
	int			 eof;		/* the peer closed the socket */
};

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

	nanosleep(&ts, NULL);
}

static void
bytes_add(struct bytes *b, const void *p, size_t len)
{
	if (len == 0)
		return;
	if (b->cap - b->len < len) {
		while (b->cap - b->len < len)
			b->cap = b->cap ? b->cap * 2 : 65536;
		if ((b->data = realloc(b->data, b->cap)) == NULL)
			abort();
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

static void
bytes_consume(struct bytes *b, size_t n)
{
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

static void
bytes_free(struct bytes *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Deterministic binary bytes, different for every offset and seed. */
static uint8_t *
pattern(size_t len, unsigned seed)
{
	uint8_t		*p = malloc(len + 1);
	uint32_t	 x = seed * 2654435761u + 1;
	size_t		 i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x >> 24;
	}
	return (p);
}

static void
set_nonblock(int fd, int on)
{
	int	flags = fcntl(fd, F_GETFL);

	assert_true(flags != -1);
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	assert_true(fcntl(fd, F_SETFL, flags) != -1);
}

/* Start a peer: head and args, both NULL-terminated, one after the other. */
static struct harness_child *
peer_start(int split, const char *const head[], const char *const args[])
{
	const char	*argv[48];
	int		 i = 0, j;

	for (j = 0; head[j] != NULL; j++)
		argv[i++] = head[j];
	for (j = 0; args != NULL && args[j] != NULL; j++) {
		assert_true(i < 47);
		argv[i++] = args[j];
	}
	argv[i] = NULL;
	return (split ? harness_spawn_split(argv) : harness_spawn(argv));
}

/* Take over a context that harness_handshake() established. */
static void
link_adopt(struct link *l, int fd, struct harness_hs *hs)
{
	l->fd = fd;
	l->ctx = hs->ctx;
	hs->ctx = NULL;
	/* The first protected records may have come with the handshake. */
	bytes_add(&l->wire, hs->extra, hs->extra_len);
	harness_hs_free(hs);
	set_nonblock(fd, 1);
}

/* Our client, with credential cred_name, against a peer on port. */
static void
link_connect(struct link *l, struct harness_child *peer, int port,
    const char *cred_name, const struct secctx_options *opt)
{
	struct harness_hs	hs;

	memset(l, 0, sizeof(*l));
	l->peer = peer;
	l->conn = harness_connect();
	l->cred = harness_cred(l->conn, cred_name, SECCTX_OUTBOUND);
	memset(&hs, 0, sizeof(hs));
	l->fd = harness_tcp_connect(port);
	assert_status(harness_handshake(l->fd, l->cred, 0, opt, &hs),
	    SEC_E_OK);
	link_adopt(l, l->fd, &hs);
}

/*
 * Our server, with the "server" credential, against openssl s_client
 * started with args.
 */
static void
link_serve_s_client(struct link *l, int split, const char *const args[],
    const struct secctx_options *opt)
{
	char			 connect[32];
	const char *const	 head[] = {
		"openssl", "s_client", "-connect", connect, NULL
	};
	struct harness_hs	 hs;
	int			 lfd, port;

	memset(l, 0, sizeof(*l));
	lfd = harness_tcp_listen(&port);
	snprintf(connect, sizeof(connect), "127.0.0.1:%d", port);
	l->peer = peer_start(split, head, args);
	l->conn = harness_connect();
	l->cred = harness_cred(l->conn, "server", SECCTX_INBOUND);
	l->fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(l->fd, l->cred, 1, opt, &hs),
	    SEC_E_OK);
	link_adopt(l, l->fd, &hs);
}

static void
link_close(struct link *l)
{
	if (l->ctx != NULL)
		assert_status(secctx_delete(l->ctx), SEC_E_OK);
	if (l->cred != NULL)
		assert_status(secctx_cred_free(l->cred), SEC_E_OK);
	if (l->conn != NULL)
		secctx_disconnect(l->conn);
	if (l->fd > 0)
		close(l->fd);
	if (l->peer != NULL)
		harness_child_kill(l->peer);
	bytes_free(&l->wire);
	bytes_free(&l->sendq);
	bytes_free(&l->got);
	memset(l, 0, sizeof(*l));
}

/*
 * Decrypt every whole record received, as an application does: keep the
 * 'extra' bytes, queue any reply, stop at a partial record or close_notify.
 */
static void
link_decrypt(struct link *l)
{
	struct secctx_message	m;
	secctx_status		st;
	size_t			consumed;

	while (l->wire.len > 0 && !l->expired) {
		memset(&m, 0, sizeof(m));
		m.in = l->wire.data;
		m.in_len = l->wire.len;
		st = secctx_decrypt(l->ctx, &m);
		if (st == SEC_E_INCOMPLETE_MESSAGE) {
			assert_int_equal(m.extra, l->wire.len);
			assert_int_equal(m.data_len, 0);
			assert_int_equal(m.out_len, 0);
			assert_int_equal(m.missing, harness_record_missing(
			    l->wire.data, l->wire.len));
			return;
		}
		if (st != SEC_I_CONTEXT_EXPIRED)
			assert_status(st, SEC_E_OK);
		assert_true(m.extra <= l->wire.len);
		assert_true((m.data == NULL) == (m.data_len == 0));
		assert_true((m.out == NULL) == (m.out_len == 0));
		bytes_add(&l->got, m.data, m.data_len);
		bytes_add(&l->sendq, m.out, m.out_len);
		l->replies += m.out_len;
		secctx_free(m.data);
		secctx_free(m.out);
		consumed = l->wire.len - m.extra;
		bytes_consume(&l->wire, consumed);
		if (st == SEC_I_CONTEXT_EXPIRED)
			l->expired = 1;
		else
			/* SEC_E_OK opens at least one whole record. */
			assert_true(consumed > 0);
	}
}

/* Read what the socket has; 0 at end of file or when nothing is there. */
static void
link_read(struct link *l)
{
	uint8_t	buf[65536];
	ssize_t	n;

	while ((n = read(l->fd, buf, sizeof(buf))) == -1 && errno == EINTR)
		;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n == 0 || (n == -1 && errno == ECONNRESET)) {
		l->eof = 1;
		return;
	}
	if (n == -1)
		fail_msg("read: %s", strerror(errno));
	bytes_add(&l->wire, buf, (size_t)n);
}

/* Write some of buf to a non-blocking fd; the count written. */
static size_t
write_some(int fd, const void *buf, size_t len, const char *what)
{
	ssize_t	n;

	while ((n = write(fd, buf, len)) == -1 && errno == EINTR)
		;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (0);
	if (n == -1)
		fail_msg("write to %s: %s", what, strerror(errno));
	return ((size_t)n);
}

/* Send what is queued to a peer that may have closed already. */
static void
link_flush_to_gone(struct link *l)
{
	ssize_t	n;

	set_nonblock(l->fd, 0);
	while (l->sendq.len > 0) {
		n = write(l->fd, l->sendq.data, l->sendq.len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET))
			break;
		if (n == -1)
			fail_msg("write: %s", strerror(errno));
		bytes_consume(&l->sendq, (size_t)n);
	}
	l->sendq.len = 0;
	set_nonblock(l->fd, 1);
}

/*
 * Move bytes until the send queue is empty, all of 'feed' went to the
 * peer's standard input, and 'want' bytes of plaintext have arrived in
 * total (or the peer sent close_notify or closed the connection).
 */
static void
link_pump(struct link *l, const uint8_t *feed, size_t feed_len, size_t want)
{
	long long	deadline = now_ms() + HARNESS_TIMEOUT_MS;
	struct pollfd	pfd[2];
	size_t		fed = 0;
	int		nfds, n;

	if (feed_len > 0)
		set_nonblock(l->peer->in, 1);
	for (;;) {
		link_decrypt(l);
		if (l->sendq.len == 0 && fed == feed_len &&
		    (l->got.len >= want || l->expired || l->eof))
			break;
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = l->fd;
		if (!l->eof)
			pfd[0].events |= POLLIN;
		if (l->sendq.len > 0)
			pfd[0].events |= POLLOUT;
		nfds = 1;
		if (fed < feed_len) {
			pfd[1].fd = l->peer->in;
			pfd[1].events = POLLOUT;
			nfds = 2;
		}
		if (pfd[0].events == 0 && nfds == 1)
			fail_msg("the peer closed the connection after %zu of "
			    "%zu bytes", l->got.len, want);
		if (now_ms() >= deadline)
			fail_msg("timed out: %zu of %zu bytes received, %zu to "
			    "send, %zu of %zu fed to the peer", l->got.len,
			    want, l->sendq.len, fed, feed_len);
		while ((n = poll(pfd, nfds, 100)) == -1 && errno == EINTR)
			;
		assert_true(n != -1);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			link_read(l);
		if ((pfd[0].revents & POLLOUT) && l->sendq.len > 0)
			bytes_consume(&l->sendq, write_some(l->fd,
			    l->sendq.data, l->sendq.len, "the peer"));
		if (nfds == 2 && pfd[1].revents != 0)
			fed += write_some(l->peer->in, feed + fed,
			    feed_len - fed, "the peer's stdin");
	}
	if (feed_len > 0)
		set_nonblock(l->peer->in, 0);
}

/* Encrypt data and send it all. */
static void
link_send(struct link *l, const void *data, size_t len)
{
	void	*rec;
	size_t	 rec_len;

	assert_status(secctx_encrypt(l->ctx, data, len, &rec, &rec_len),
	    SEC_E_OK);
	if (len == 0)
		assert_int_equal(rec_len, 0);
	else
		assert_true(rec_len > len);
	bytes_add(&l->sendq, rec, rec_len);
	secctx_free(rec);
	link_pump(l, NULL, 0, 0);
}

/* Feed data to the peer's standard input; it must arrive exactly. */
static void
link_receive(struct link *l, const void *data, size_t len)
{
	size_t	before = l->got.len;

	link_pump(l, data, len, before + len);
	assert_false(l->expired);
	assert_int_equal(l->got.len, before + len);
	if (len > 0)
		assert_memory_equal(l->got.data + before, data, len);
}

static off_t
file_size(const char *path)
{
	struct stat	st;

	return (stat(path, &st) == 0 ? st.st_size : -1);
}

/* The peer's standard output must grow by exactly these bytes. */
static void
expect_peer_stdout(struct link *l, const void *data, size_t len)
{
	long long	 deadline = now_ms() + HARNESS_TIMEOUT_MS;
	size_t		 want = l->peer_out + len, got_len;
	char		*out;

	while (file_size(l->peer->out) < (off_t)want) {
		if (now_ms() >= deadline)
			fail_msg("%s wrote %lld of %zu bytes to its stdout",
			    l->peer->name, (long long)file_size(l->peer->out),
			    want);
		/* Keep reading, as the peer may be sending tickets. */
		if (!l->eof) {
			link_read(l);
			link_decrypt(l);
		}
		sleep_ms(5);
	}
	out = harness_read_file(l->peer->out, &got_len);
	assert_non_null(out);
	assert_int_equal(got_len, want);
	if (len > 0)
		assert_memory_equal(out + l->peer_out, data, len);
	free(out);
	l->peer_out = want;
}

/* The rest of the line after the first occurrence of prefix; free() it. */
static char *
line_after(const char *text, const char *prefix)
{
	const char	*p = strstr(text, prefix), *e;
	char		*s;

	if (p == NULL)
		fail_msg("\"%s\" not found in:\n%s", prefix, text);
	p += strlen(prefix);
	e = p + strcspn(p, "\r\n");
	s = strndup(p, (size_t)(e - p));
	assert_non_null(s);
	return (s);
}

static void
assert_line(const char *text, const char *prefix, const char *want)
{
	char	*v = line_after(text, prefix);

	if (strcmp(v, want) != 0)
		fail_msg("the peer reports \"%s%s\", we report \"%s\"", prefix,
		    v, want);
	free(v);
}

/* Keying material in the form openssl prints it. */
static void
keymat_line(secctx_ctx *ctx, char *line, size_t size)
{
	unsigned char	km[20];
	int		i, off;

	assert_status(secctx_export_keying_material(ctx, EXPORT_LABEL, NULL, 0,
	    km, sizeof(km)), SEC_E_OK);
	off = snprintf(line, size, "Keying material: ");
	for (i = 0; i < 20; i++)
		off += snprintf(line + off, size - off, "%02X", km[i]);
	snprintf(line + off, size - off, "\n");
}

/* What `openssl x509` says of a PKI certificate: "subject=..." lines. */
static char *
x509_names(const char *file)
{
	const char *const	 argv[] = {
		"openssl", "x509", "-noout", "-subject", "-issuer", "-nameopt",
		"RFC2253", "-in", harness_pki(file), NULL
	};
	struct harness_child	*c = harness_spawn(argv);
	char			*out;
	int			 status;

	status = harness_child_wait(c, HARNESS_TIMEOUT_MS);
	out = harness_child_output(c);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("openssl x509 failed:\n%s", out);
	return (out);
}

static void
assert_peer_names(const struct secctx_info *info, const char *file)
{
	char	*names = x509_names(file);

	assert_line(names, "subject=", info->peer_subject);
	assert_line(names, "issuer=", info->peer_issuer);
	free(names);
}

/*
 * openssl s_server -quiet: it writes exactly what it receives to its stdout
 * and sends its stdin raw.  -quiet prints no "ACCEPT", so wait for the port
 * (s_server shrugs off the probe connection and accepts again).
 */
static struct harness_child *
s_server_quiet(int *portp, const char *version)
{
	char			 accept[32];
	const char *const	 argv[] = {
		"openssl", "s_server", "-accept", accept, "-quiet",
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), version, NULL
	};
	struct harness_child	*c;

	*portp = harness_free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", *portp);
	c = harness_spawn_split(argv);
	harness_wait_port(*portp, 5000);
	return (c);
}

/*
 * openssl s_server with args, for modes that print no "ACCEPT" (-brief):
 * wait for the port instead.
 */
static struct harness_child *
s_server_nowait(int *portp, const char *const args[])
{
	char			 accept[32];
	const char *const	 head[] = {
		"openssl", "s_server", "-accept", accept, NULL
	};
	struct harness_child	*c;

	*portp = harness_free_port();
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", *portp);
	c = peer_start(0, head, args);
	harness_wait_port(*portp, 5000);
	return (c);
}

static void
version_opt(struct secctx_options *opt, enum secctx_version v)
{
	opt->min_version = opt->max_version = v;
}

/* Every size both ways over one connection. */
static void
round_trips(struct link *l)
{
	uint8_t	*data;
	size_t	 i;

	for (i = 0; i < NSIZES; i++) {
		data = pattern(sizes[i], i + 1);
		link_send(l, data, sizes[i]);
		expect_peer_stdout(l, data, sizes[i]);
		free(data);
		data = pattern(sizes[i], i + 101);
		link_receive(l, data, sizes[i]);
		free(data);
	}
	/* Nothing else came: no stray bytes, no close. */
	assert_false(l->expired);
	assert_false(l->eof);
	assert_int_equal(l->replies, 0);
}

static void
client_sizes(const char *flag, enum secctx_version v)
{
	struct secctx_options	 opt = { .target = "localhost" };
	struct harness_child	*srv;
	struct link		 l;
	int			 port;

	version_opt(&opt, v);
	srv = s_server_quiet(&port, flag);
	link_connect(&l, srv, port, "client-nocert", &opt);
	round_trips(&l);
	link_close(&l);
}

static void
test_s_server_sizes_tls12(void **state)
{
	(void)state;
	client_sizes("-tls1_2", SECCTX_TLS1_2);
}

static void
test_s_server_sizes_tls13(void **state)
{
	(void)state;
	client_sizes("-tls1_3", SECCTX_TLS1_3);
}

/* s_client -quiet: raw stdout, no command letters, ignores stdin EOF. */
static void
server_sizes(const char *flag)
{
	const char *const	args[] = {
		"-quiet", "-CAfile", harness_pki("ca.pem"), flag, NULL
	};
	struct link		l;

	link_serve_s_client(&l, 1, args, NULL);
	round_trips(&l);
	link_close(&l);
}

static void
test_s_client_sizes_tls12(void **state)
{
	(void)state;
	server_sizes("-tls1_2");
}

static void
test_s_client_sizes_tls13(void **state)
{
	(void)state;
	server_sizes("-tls1_3");
}

/*
 * s_client -quiet -no_ign_eof: at the end of its stdin it sends
 * close_notify; decrypt returns the data before it, then
 * SEC_I_CONTEXT_EXPIRED.  Our close_notify back ends s_client cleanly.
 */
static void
close_from_s_client(const char *flag)
{
	const char *const	 args[] = {
		"-quiet", "-no_ign_eof", "-CAfile", harness_pki("ca.pem"), flag,
		NULL
	};
	static const char	 last[] = "last words before close_notify\n";
	struct link		 l;
	void			*out;
	size_t			 out_len;
	int			 status;

	link_serve_s_client(&l, 1, args, NULL);
	link_receive(&l, last, strlen(last));
	harness_child_close_stdin(l.peer);
	link_pump(&l, NULL, 0, SIZE_MAX);
	assert_true(l.expired);
	assert_int_equal(l.got.len, strlen(last));
	assert_int_equal(l.wire.len, 0);
	/* Our close_notify back; s_client may have gone already. */
	assert_status(secctx_shutdown(l.ctx, &out, &out_len), SEC_E_OK);
	assert_true(out_len > 0);
	bytes_add(&l.sendq, out, out_len);
	secctx_free(out);
	link_flush_to_gone(&l);
	assert_status(secctx_encrypt(l.ctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	status = harness_child_wait(l.peer, HARNESS_TIMEOUT_MS);
	l.peer = NULL;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	link_close(&l);
}

static void
test_close_notify_from_s_client_tls12(void **state)
{
	(void)state;
	close_from_s_client("-tls1_2");
}

static void
test_close_notify_from_s_client_tls13(void **state)
{
	(void)state;
	close_from_s_client("-tls1_3");
}

/*
 * Our secctx_shutdown to s_server: it prints "DONE" when SSL_read reports
 * close_notify ("ERROR" when the connection just ends; the lines after it
 * stay in its stdout buffer), and answers with its own close_notify, which
 * our decrypt reports as SEC_I_CONTEXT_EXPIRED.
 */
static void
shutdown_to_s_server(const char *flag, enum secctx_version v)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), flag, NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	static const char	 last[] = "last words before shutdown\n";
	struct harness_child	*srv;
	struct link		 l;
	char			*out_text;
	void			*out;
	size_t			 out_len;
	int			 port;

	version_opt(&opt, v);
	srv = harness_s_server(&port, args);
	link_connect(&l, srv, port, "client-nocert", &opt);
	link_send(&l, last, strlen(last));
	harness_child_wait_output(srv, last, HARNESS_TIMEOUT_MS);
	assert_status(secctx_shutdown(l.ctx, &out, &out_len), SEC_E_OK);
	assert_true(out_len > 0);
	bytes_add(&l.sendq, out, out_len);
	secctx_free(out);
	link_pump(&l, NULL, 0, SIZE_MAX);
	harness_child_wait_output(srv, "\nDONE\n", HARNESS_TIMEOUT_MS);
	out_text = harness_child_output(srv);
	if (strstr(out_text, "\nERROR\n") != NULL)
		fail_msg("s_server saw no clean close:\n%s", out_text);
	free(out_text);
	/* s_server's close_notify: nothing but it after our shutdown. */
	assert_true(l.expired);
	assert_int_equal(l.got.len, 0);
	assert_status(secctx_encrypt(l.ctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	link_close(&l);
}

static void
test_shutdown_to_s_server_tls12(void **state)
{
	(void)state;
	shutdown_to_s_server("-tls1_2", SECCTX_TLS1_2);
}

static void
test_shutdown_to_s_server_tls13(void **state)
{
	(void)state;
	shutdown_to_s_server("-tls1_3", SECCTX_TLS1_3);
}

/*
 * Our server's shutdown to s_client: s_client reads close_notify, prints
 * "closed" and exits 0 (on a bare end of the connection it reports an
 * unexpected EOF and exits 1).
 */
static void
test_shutdown_to_s_client(void **state)
{
	const char *const	 args[] = {
		"-CAfile", harness_pki("ca.pem"), "-tls1_3", NULL
	};
	struct link		 l;
	char			*text;
	void			*out;
	size_t			 out_len;
	int			 status;

	(void)state;
	link_serve_s_client(&l, 0, args, NULL);
	link_send(&l, "goodbye\n", 8);
	harness_child_wait_output(l.peer, "goodbye\n", HARNESS_TIMEOUT_MS);
	assert_status(secctx_shutdown(l.ctx, &out, &out_len), SEC_E_OK);
	bytes_add(&l.sendq, out, out_len);
	secctx_free(out);
	link_pump(&l, NULL, 0, 0);
	status = harness_child_wait(l.peer, HARNESS_TIMEOUT_MS);
	text = harness_child_output(l.peer);
	l.peer = NULL;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("s_client ended with status 0x%x:\n%s", status, text);
	assert_contains(text, "closed");
	free(text);
	link_close(&l);
}

/*
 * s_server (not -quiet: commands on) sends a KeyUpdate at once on a stdin
 * line "k", one with update_requested on "K"; -msgfile logs the protocol
 * messages.  Data keeps flowing both ways, and after "K" our KeyUpdate
 * reaches s_server before our next data (RFC 8446 4.6.3).
 */
static void
test_key_update_from_s_server(void **state)
{
	const char		*msg = harness_test_file("ku-s_server.msg");
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-tls1_3", "-msg", "-msgfile", msg,
		NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct harness_child	*srv;
	struct link		 l;
	char			*text;
	int			 port;

	(void)state;
	srv = harness_s_server(&port, args);
	link_connect(&l, srv, port, "client-nocert", &opt);
	link_receive(&l, "1 from s_server\n", 16);
	link_send(&l, "2 from secctx\n", 14);
	harness_child_wait_output(srv, "2 from secctx\n", HARNESS_TIMEOUT_MS);

	/* KeyUpdate, no update requested: nothing to answer. */
	harness_child_write(srv, "k\n");
	harness_wait_file_count(msg, HARNESS_KU_SENT, 1);
	link_receive(&l, "3 after k\n", 10);
	assert_int_equal(l.replies, 0);
	link_send(&l, "4 after k\n", 10);
	harness_child_wait_output(srv, "4 after k\n", HARNESS_TIMEOUT_MS);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_RECEIVED), 0);

	/* KeyUpdate, update requested: ours must precede our next data. */
	harness_child_write(srv, "K\n");
	harness_wait_file_count(msg, HARNESS_KU_SENT, 2);
	link_receive(&l, "5 after K\n", 10);
	link_send(&l, "6 after K\n", 10);
	harness_child_wait_output(srv, "6 after K\n", HARNESS_TIMEOUT_MS);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_RECEIVED), 1);
	link_receive(&l, "7 still\n", 8);
	link_send(&l, "8 still\n", 8);
	harness_child_wait_output(srv, "8 still\n", HARNESS_TIMEOUT_MS);
	text = harness_child_output(srv);
	if (strstr(text, "\nERROR\n") != NULL)
		fail_msg("s_server failed:\n%s", text);
	free(text);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_RECEIVED), 1);
	link_close(&l);
}

/*
 * PROTOCOL.md, decrypt: the reply bytes carry "the answer to a KeyUpdate
 * that requested one".  So decrypt alone, with no data sent by us, must
 * get our KeyUpdate to s_server.
 */
static void
test_key_update_reply_from_decrypt(void **state)
{
	const char		*msg = harness_test_file("ku-reply.msg");
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-tls1_3", "-msg", "-msgfile", msg,
		NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct harness_child	*srv;
	struct link		 l;
	int			 port;

	(void)state;
	srv = harness_s_server(&port, args);
	link_connect(&l, srv, port, "client-nocert", &opt);
	link_receive(&l, "1 from s_server\n", 16);
	harness_child_write(srv, "K\n");
	harness_wait_file_count(msg, HARNESS_KU_SENT, 1);
	link_receive(&l, "2 after K\n", 10);
	if (l.replies == 0)
		fail_msg("decrypt returned no reply to a KeyUpdate that "
		    "requested one");
	harness_wait_file_count(msg, HARNESS_KU_RECEIVED, 1);
	link_send(&l, "3 from secctx\n", 14);
	harness_child_wait_output(srv, "3 from secctx\n", HARNESS_TIMEOUT_MS);
	link_close(&l);
}

/*
 * s_client -quiet -no_ign_eof: quiet output (stdout is exactly the data)
 * with command letters; "k" and "K" print KEYUPDATE on stderr and send the
 * KeyUpdate with the next data.
 */
static void
test_key_update_from_s_client(void **state)
{
	const char		*msg = harness_test_file("ku-s_client.msg");
	const char *const	 args[] = {
		"-quiet", "-no_ign_eof", "-CAfile", harness_pki("ca.pem"),
		"-tls1_3", "-msg", "-msgfile", msg, NULL
	};
	static const char	*lines[] = {
		"1 from s_client\n", "2 from secctx\n", "3 after k\n",
		"4 after k\n", "5 after K\n", "6 after K\n"
	};
	uint8_t			*big;
	struct link		 l;
	size_t			 i;

	(void)state;
	link_serve_s_client(&l, 1, args, NULL);
	link_receive(&l, lines[0], strlen(lines[0]));
	link_send(&l, lines[1], strlen(lines[1]));
	expect_peer_stdout(&l, lines[1], strlen(lines[1]));

	harness_child_write(l.peer, "k\n");
	harness_wait_file_count(l.peer->err, "KEYUPDATE", 1);
	link_receive(&l, lines[2], strlen(lines[2]));
	assert_int_equal(harness_file_count(msg, HARNESS_KU_SENT), 1);
	assert_int_equal(l.replies, 0);
	link_send(&l, lines[3], strlen(lines[3]));
	expect_peer_stdout(&l, lines[3], strlen(lines[3]));
	assert_int_equal(harness_file_count(msg, HARNESS_KU_RECEIVED), 0);

	harness_child_write(l.peer, "K\n");
	harness_wait_file_count(l.peer->err, "KEYUPDATE", 2);
	link_receive(&l, lines[4], strlen(lines[4]));
	assert_int_equal(harness_file_count(msg, HARNESS_KU_SENT), 2);
	link_send(&l, lines[5], strlen(lines[5]));
	expect_peer_stdout(&l, lines[5], strlen(lines[5]));
	assert_int_equal(harness_file_count(msg, HARNESS_KU_RECEIVED), 1);

	/* Large data still goes through, in printable lines. */
	big = pattern(100000, 9);
	for (i = 0; i < 100000; i++)
		big[i] = (i % 64 == 63) ? '\n' : '0' + big[i] % 10;
	link_send(&l, big, 100000);
	expect_peer_stdout(&l, big, 100000);
	link_receive(&l, big, 100000);
	free(big);
	link_close(&l);
}

/* Our KeyUpdate, from secctx_key_update(), goes out before the data. */
static void
link_key_update(struct link *l, int request_peer)
{
	void	*out;
	size_t	 out_len;

	assert_status(secctx_key_update(l->ctx, request_peer, &out, &out_len),
	    SEC_E_OK);
	assert_true(out_len > 0);
	bytes_add(&l->sendq, out, out_len);
	secctx_free(out);
}

/*
 * Our KeyUpdate (secctx_key_update) to s_server: it reads it and, when we
 * ask, updates its own key with its next data, which we read under it.
 */
static void
test_key_update_to_s_server(void **state)
{
	const char		*msg = harness_test_file("ku-to-s_server.msg");
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-tls1_3", "-msg", "-msgfile", msg,
		NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct harness_child	*srv;
	struct link		 l;
	char			*text;
	int			 port;

	(void)state;
	srv = harness_s_server(&port, args);
	link_connect(&l, srv, port, "client-nocert", &opt);
	link_receive(&l, "1 from s_server\n", 16);

	link_key_update(&l, 0);
	link_send(&l, "2 after ours\n", 13);
	harness_child_wait_output(srv, "2 after ours\n", HARNESS_TIMEOUT_MS);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_RECEIVED), 1);
	link_receive(&l, "3 from s_server\n", 16);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_SENT), 0);

	link_key_update(&l, 1);
	link_send(&l, "4 after ours, asked\n", 20);
	harness_child_wait_output(srv, "4 after ours, asked\n",
	    HARNESS_TIMEOUT_MS);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_RECEIVED), 2);
	link_receive(&l, "5 under its new key\n", 20);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_SENT), 1);
	link_send(&l, "6 still\n", 8);
	harness_child_wait_output(srv, "6 still\n", HARNESS_TIMEOUT_MS);
	text = harness_child_output(srv);
	if (strstr(text, "\nERROR\n") != NULL)
		fail_msg("s_server failed:\n%s", text);
	free(text);
	link_close(&l);
}

/* Our KeyUpdate, asking for one, to s_client: its next data uses it. */
static void
test_key_update_to_s_client(void **state)
{
	const char		*msg = harness_test_file("ku-to-s_client.msg");
	const char *const	 args[] = {
		"-quiet", "-no_ign_eof", "-CAfile", harness_pki("ca.pem"),
		"-tls1_3", "-msg", "-msgfile", msg, NULL
	};
	struct link		 l;

	(void)state;
	link_serve_s_client(&l, 1, args, NULL);
	link_receive(&l, "1 from s_client\n", 16);
	link_key_update(&l, 1);
	link_send(&l, "2 after ours\n", 13);
	expect_peer_stdout(&l, "2 after ours\n", 13);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_RECEIVED), 1);
	link_receive(&l, "3 under its new key\n", 20);
	assert_int_equal(harness_file_count(msg, HARNESS_KU_SENT), 1);
	link_send(&l, "4 still\n", 8);
	expect_peer_stdout(&l, "4 still\n", 8);
	link_close(&l);
}

/* TLS 1.3 record padding (s_server -record_padding) is taken off. */
static void
test_record_padding_from_s_server(void **state)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-tls1_3", "-record_padding", "1000",
		NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct harness_child	*srv;
	struct link		 l;
	int			 port;

	(void)state;
	srv = harness_s_server(&port, args);
	link_connect(&l, srv, port, "client-nocert", &opt);
	link_receive(&l, "padded to a multiple of 1000\n", 29);
	link_receive(&l, "and again\n", 10);
	link_send(&l, "back\n", 5);
	harness_child_wait_output(srv, "back\n", HARNESS_TIMEOUT_MS);
	link_close(&l);
}

/*
 * Our server asks s_client for a certificate after the handshake
 * (secctx_request_client_cert): s_client offered post-handshake
 * authentication and answers; the context then names the client, and
 * data keeps flowing.  With 'update', s_client's key has moved on first
 * ("k"), and its Finished, keyed from its current traffic secret (RFC
 * 8446 4.4), still verifies.
 */
static void
request_client_cert_s_client(int update)
{
	const char *const	 args[] = {
		"-quiet", "-no_ign_eof", "-CAfile", harness_pki("ca.pem"),
		"-cert", harness_pki("client.pem"), "-key",
		harness_pki("client.key"), "-tls1_3", "-enable_pha", NULL
	};
	struct secctx_info	 info;
	struct link		 l;
	void			*out;
	size_t			 out_len;

	link_serve_s_client(&l, 1, args, NULL);
	link_receive(&l, "1 from s_client\n", 16);
	if (update) {
		harness_child_write(l.peer, "k\n");
		harness_wait_file_count(l.peer->err, "KEYUPDATE", 1);
		link_receive(&l, "1 after k\n", 10);
	}
	harness_info(l.ctx, &info);
	assert_string_equal(info.peer_subject, "");
	assert_status(secctx_request_client_cert(l.ctx, &out, &out_len),
	    SEC_E_OK);
	assert_true(out_len > 0);
	bytes_add(&l.sendq, out, out_len);
	secctx_free(out);
	link_send(&l, "2 after the request\n", 20);
	expect_peer_stdout(&l, "2 after the request\n", 20);
	/* Its Certificate, CertificateVerify and Finished, then data. */
	link_receive(&l, "3 after its certificate\n", 24);
	harness_info(l.ctx, &info);
	assert_contains(info.peer_subject, "secctx test client");
	link_send(&l, "4 still\n", 8);
	expect_peer_stdout(&l, "4 still\n", 8);
	link_close(&l);
}

static void
test_request_client_cert_s_client(void **state)
{
	(void)state;
	request_client_cert_s_client(0);
}

static void
test_request_client_cert_after_key_update(void **state)
{
	(void)state;
	request_client_cert_s_client(1);
}

/*
 * gnutls-serv reads our KeyUpdate and, asked, updates its key: the echo
 * comes back under its new key.
 */
static void
test_key_update_gnutls_serv(void **state)
{
	char			 port_s[16];
	const char *const	 argv[] = {
		"gnutls-serv", "--echo", "--port", port_s, "--x509certfile",
		harness_pki("server.pem"), "--x509keyfile",
		harness_pki("server.key"), "--priority", PRIO_TLS13, NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct harness_child	*srv;
	struct link		 l;
	int			 port, i;

	(void)state;
	port = harness_free_port();
	snprintf(port_s, sizeof(port_s), "%d", port);
	srv = harness_spawn(argv);
	harness_wait_port(port, 5000);
	link_connect(&l, srv, port, "client-nocert", &opt);
	for (i = 0; i < 3; i++) {
		link_key_update(&l, i != 1);
		link_send(&l, "echo me\n", 8);
		link_pump(&l, NULL, 0, (size_t)(i + 1) * 8);
		assert_int_equal(l.got.len, (size_t)(i + 1) * 8);
		assert_memory_equal(l.got.data + i * 8, "echo me\n", 8);
	}
	assert_false(l.expired);
	link_close(&l);
}

/*
 * s_server reports the cipher, the ALPN protocol it selected and the
 * keying material (full output) or the protocol and cipher (-brief).
 */
static void
attr_s_server(const char *flag, enum secctx_version v, const char *cipher_opt,
    const char *cipher, const char *iana, int brief)
{
	static const char *const alpn[] = { "x-secctx", "h2" };
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), "-CAfile", harness_pki("ca.pem"),
		"-verify", "1", "-nameopt", "RFC2253", "-alpn", "h2",
		"-keymatexport", EXPORT_LABEL, flag, cipher_opt, cipher,
		brief ? "-brief" : NULL, NULL
	};
	struct secctx_options	 opt = {
		.target = "localhost", .alpn = alpn, .alpn_count = 2
	};
	struct secctx_info	 info;
	struct harness_child	*srv;
	struct link		 l;
	char			 km[80], *text;
	int			 port;

	version_opt(&opt, v);
	srv = brief ? s_server_nowait(&port, args) :
	    harness_s_server(&port, args);
	link_connect(&l, srv, port, "client", &opt);
	harness_info(l.ctx, &info);
	assert_string_equal(info.cipher, cipher);
	assert_string_equal(info.cipher_iana, iana);
	assert_string_equal(info.alpn, "h2");
	assert_string_equal(info.credential, "client");
	assert_int_equal(info.handshake_done, 1);
	assert_peer_names(&info, "server.pem");
	if (brief) {
		harness_child_wait_output(srv, "Ciphersuite: ",
		    HARNESS_TIMEOUT_MS);
		harness_child_wait_output(srv, "Verification: ",
		    HARNESS_TIMEOUT_MS);
		text = harness_child_output(srv);
		assert_line(text, "Protocol version: ", info.protocol);
		assert_line(text, "Ciphersuite: ", info.cipher);
		/* Our certificate, as s_server saw it. */
		assert_line(text, "Peer certificate: ", "CN=secctx test client");
	} else {
		keymat_line(l.ctx, km, sizeof(km));
		harness_child_wait_output(srv, km, HARNESS_TIMEOUT_MS);
		text = harness_child_output(srv);
		assert_line(text, "CIPHER is ", info.cipher);
		assert_line(text, "ALPN protocols selected: ", info.alpn);
		assert_line(text, "subject=", "CN=secctx test client");
	}
	free(text);
	link_close(&l);
}

static void
test_attr_s_server_tls12(void **state)
{
	(void)state;
	attr_s_server("-tls1_2", SECCTX_TLS1_2, "-cipher",
	    "ECDHE-ECDSA-AES128-GCM-SHA256",
	    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0);
	attr_s_server("-tls1_2", SECCTX_TLS1_2, "-cipher",
	    "ECDHE-ECDSA-AES128-GCM-SHA256",
	    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 1);
}

static void
test_attr_s_server_tls13(void **state)
{
	(void)state;
	attr_s_server("-tls1_3", SECCTX_TLS1_3, "-ciphersuites",
	    "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", 0);
	attr_s_server("-tls1_3", SECCTX_TLS1_3, "-ciphersuites",
	    "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", 1);
}

/*
 * s_client reports the protocol and cipher ("New, TLSv1.3, Cipher is"),
 * the ALPN protocol, our certificate, our key share and the keying
 * material; the server side sees the SNI s_client sent and its
 * certificate.
 */
static void
attr_s_client(const char *flag, const char *cipher_opt, const char *cipher,
    const char *iana)
{
	static const char *const alpn[] = { "x-secctx" };
	const char *const	 args[] = {
		"-CAfile", harness_pki("ca.pem"), "-servername", "secctx.test",
		"-alpn", "h2,x-secctx", "-cert", harness_pki("client.pem"),
		"-key", harness_pki("client.key"), "-nameopt", "RFC2253",
		"-keymatexport", EXPORT_LABEL, flag, cipher_opt, cipher, NULL
	};
	struct secctx_options	 opt = {
		.alpn = alpn, .alpn_count = 1,
		.client_cert = SECCTX_CLIENT_CERT_REQUIRED
	};
	struct secctx_info	 info;
	struct link		 l;
	char			 km[80], want[128], *text, *key;

	link_serve_s_client(&l, 0, args, &opt);
	harness_info(l.ctx, &info);
	keymat_line(l.ctx, km, sizeof(km));
	harness_child_wait_output(l.peer, km, HARNESS_TIMEOUT_MS);
	text = harness_child_output(l.peer);
	snprintf(want, sizeof(want), "%s, Cipher is %s", info.protocol,
	    info.cipher);
	assert_line(text, "New, ", want);
	assert_string_equal(info.cipher, cipher);
	assert_string_equal(info.cipher_iana, iana);
	assert_line(text, "ALPN protocol: ", info.alpn);
	assert_string_equal(info.alpn, "x-secctx");
	assert_string_equal(info.sni, "secctx.test");
	assert_string_equal(info.credential, "server");
	assert_int_equal(info.handshake_done, 1);
	/* Our certificate, as s_client saw it. */
	assert_line(text, "subject=", "CN=localhost");
	assert_peer_names(&info, "client.pem");
	/* "Server Temp Key: X25519, 253 bits": our key exchange group. */
	key = line_after(text, "Server Temp Key: ");
	key[strcspn(key, ",")] = '\0';
	if (strcasecmp(key, info.group) != 0)
		fail_msg("s_client reports group %s, we report %s", key,
		    info.group);
	free(key);
	free(text);
	link_close(&l);
}

static void
test_attr_s_client_tls12(void **state)
{
	(void)state;
	attr_s_client("-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305",
	    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
}

static void
test_attr_s_client_tls13(void **state)
{
	(void)state;
	attr_s_client("-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256",
	    "TLS_AES_128_GCM_SHA256");
}

/*
 * PROTOCOL.md, shutdown: "Afterwards encrypt answers SEC_E_CONTEXT_EXPIRED;
 * decrypt still reads what the peer sends until its own close_notify."
 * An encrypt refused after shutdown must not take the context with it.
 */
static void
test_encrypt_after_shutdown_keeps_context(void **state)
{
	const char *const	 args[] = {
		"-cert", harness_pki("server.pem"), "-key",
		harness_pki("server.key"), NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct harness_child	*srv;
	struct link		 l;
	void			*out;
	size_t			 out_len;
	int			 port;

	(void)state;
	srv = harness_s_server(&port, args);
	link_connect(&l, srv, port, "client-nocert", &opt);
	assert_status(secctx_shutdown(l.ctx, &out, &out_len), SEC_E_OK);
	bytes_add(&l.sendq, out, out_len);
	secctx_free(out);
	assert_status(secctx_encrypt(l.ctx, "x", 1, &out, &out_len),
	    SEC_E_CONTEXT_EXPIRED);
	link_pump(&l, NULL, 0, SIZE_MAX);
	assert_true(l.expired);
	link_close(&l);
}

/*
 * gnutls-serv --echo sends back what it receives, a line at a time (it
 * waits for a newline and stops at a NUL byte): printable data in lines.
 */
static void
gnutls_echo(const char *priority, const char *protocol)
{
	char			 port_s[16];
	const char *const	 argv[] = {
		"gnutls-serv", "--echo", "--port", port_s, "--x509certfile",
		harness_pki("server.pem"), "--x509keyfile",
		harness_pki("server.key"), "--priority", priority, NULL
	};
	struct secctx_options	 opt = { .target = "localhost" };
	struct secctx_info	 info;
	struct harness_child	*srv;
	struct link		 l;
	uint8_t			*data;
	size_t			 i, j, before;
	int			 port;

	port = harness_free_port();
	snprintf(port_s, sizeof(port_s), "%d", port);
	srv = harness_spawn(argv);
	harness_wait_port(port, 5000);
	link_connect(&l, srv, port, "client-nocert", &opt);
	harness_info(l.ctx, &info);
	assert_string_equal(info.protocol, protocol);
	for (i = 0; i < NSIZES; i++) {
		if (sizes[i] == 0)
			continue;
		data = pattern(sizes[i], i + 201);
		for (j = 0; j < sizes[i]; j++)
			data[j] = (j % 80 == 79 || j == sizes[i] - 1) ? '\n' :
			    ' ' + data[j] % 95;
		before = l.got.len;
		link_send(&l, data, sizes[i]);
		link_pump(&l, NULL, 0, before + sizes[i]);
		assert_int_equal(l.got.len, before + sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(l.got.data + before, data,
			    sizes[i]);
		free(data);
	}
	assert_false(l.expired);
	link_close(&l);
}

static void
test_gnutls_serv_echo_tls12(void **state)
{
	(void)state;
	gnutls_echo(PRIO_TLS12, "TLSv1.2");
}

static void
test_gnutls_serv_echo_tls13(void **state)
{
	(void)state;
	gnutls_echo(PRIO_TLS13, "TLSv1.3");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_s_server_sizes_tls12),
		harness_test(test_s_server_sizes_tls13),
		harness_test(test_s_client_sizes_tls12),
		harness_test(test_s_client_sizes_tls13),
		harness_test(test_close_notify_from_s_client_tls12),
		harness_test(test_close_notify_from_s_client_tls13),
		harness_test(test_shutdown_to_s_server_tls12),
		harness_test(test_shutdown_to_s_server_tls13),
		harness_test(test_shutdown_to_s_client),
		harness_test(test_key_update_from_s_server),
		harness_test(test_key_update_from_s_client),
		harness_test(test_key_update_reply_from_decrypt),
		harness_test(test_key_update_to_s_server),
		harness_test(test_key_update_to_s_client),
		harness_test(test_key_update_gnutls_serv),
		harness_test(test_record_padding_from_s_server),
		harness_test(test_request_client_cert_s_client),
		harness_test(test_request_client_cert_after_key_update),
		harness_test(test_encrypt_after_shutdown_keeps_context),
		harness_test(test_attr_s_server_tls12),
		harness_test(test_attr_s_server_tls13),
		harness_test(test_attr_s_client_tls12),
		harness_test(test_attr_s_client_tls13),
		harness_test(test_gnutls_serv_echo_tls12),
		harness_test(test_gnutls_serv_echo_tls13),
	};

	return (harness_run("message_peers", tests));
}
