/*
 * One connected client: reads whole frames from its socket, hands each to
 * dispatch(), writes the responses, and frees everything the client holds
 * when it goes away.  A connection lives on one event loop (shard.c).  While
 * handshake steps of its contexts run in the pool, its other requests go
 * on; one naming such a context waits, and so does its freeing.  The
 * per-connection limits live here: frame sizes, bytes buffered (its own and
 * its uid's), the time a frame may take to arrive, and idle time
 * (docs/configuration.md, "limits").  Connections over connections_per_uid
 * never get here: the listener refuses them (server.c).
 *
 * A loop serves its connections in turn: one connection's pipelined
 * requests are answered CONN_FRAMES_PER_TURN at a time, and the rest after
 * the loop's other ready connections had theirs.
 *
 * Input is read into one linear buffer sized for the frame at its start,
 * so a frame is parsed where it was read.  A response is written to the
 * socket at once, from the handler's own buffers; only what the socket
 * does not take is copied, into the output buffer, and written when the
 * socket is writable again (bytes that hold keys, a mapped context's record
 * state, into a copy of their own that is cleansed when it is freed).  A
 * request and its answer therefore cost one read and one write on the loop,
 * and large payloads are not copied in user space on their way through.
 */

#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <openssl/crypto.h>

#include "secctxd.h"
#include "escape.h"
#include "frame.h"

/* The socket send buffer asked for: a large response in one write. */
#define CONN_SNDBUF		(1024 * 1024)

/* The least room a read is offered (several small frames at once). */
#define CONN_READ_MIN		16384

/* Frames of one connection answered before the loop's others get a turn. */
#define CONN_FRAMES_PER_TURN	16

/* How long a closing connection may take to flush its last response. */
#define CONN_LINGER_MS	2000

enum conn_timer {
	TIMER_NONE,
	TIMER_FRAME,	/* a frame started, or output waits to be read */
	TIMER_IDLE,	/* no request */
	TIMER_LINGER,	/* closing */
	TIMER_RETRY	/* no memory, or its uid's buffers are full */
};

/* How soon a read that found no memory is tried again. */
#define CONN_RETRY_MS	10
/* How often a connection waiting for its uid's buffers looks again. */
#define CONN_UID_WAIT_MS	50

/* Every connection of every loop, for stats and the final close. */
static pthread_mutex_t		conns_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, conn)	conns = TAILQ_HEAD_INITIALIZER(conns);
static uint64_t			conn_next_serial = 1;

static void	conn_read_cb(evutil_socket_t, short, void *);
static void	conn_write_cb(evutil_socket_t, short, void *);
static void	conn_timer_cb(evutil_socket_t, short, void *);
static void	conn_turn_cb(evutil_socket_t, short, void *);

static void
conn_release(int type, void *ptr)
{
	struct cred_handle	*ch;

	if (type == HANDLE_CTX) {
		context_free(ptr);
		return;
	}
	ch = ptr;
	cred_unref(ch->cred);
	free(ch);
}

/* The events and the output buffer (what conn_accept makes). */
static void
conn_io_free(struct conn *c)
{
	if (c->timer != NULL)
		event_free(c->timer);
	if (c->turn != NULL)
		event_free(c->turn);
	if (c->rev != NULL)
		event_free(c->rev);
	if (c->wev != NULL)
		event_free(c->wev);
	if (c->out != NULL)
		evbuffer_free(c->out);
}

static void
conn_free(struct conn *c)
{
	log_debug("connection %llu: closed, %zu handles freed",
	    (unsigned long long)c->serial, c->handles.count);
	pthread_mutex_lock(&conns_lock);
	TAILQ_REMOVE(&conns, c, entry);
	pthread_mutex_unlock(&conns_lock);
	while (c->nctx > 0)
		limits_context_removed(c);
	uids_buffered_add(c->peer.acct, -(long)c->held);
	uids_disconnect(c->peer.acct);
	handles_clear(&c->handles, conn_release);
	deadline_stop(c);
	conn_io_free(c);
	close(c->fd);
	free(c->in);
	free(c->peer.groups);
	free(c->peer.exe);
	free(c);
}

static size_t
conn_in_len(const struct conn *c)
{
	return (c->in_end - c->in_start);
}

static void
conn_reading(struct conn *c, int on)
{
	if (on == c->reading)
		return;
	if (on)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
	c->reading = on;
}

/* Free c, or once its last pool job ends. */
static void
conn_free_when_idle(struct conn *c)
{
	if (c->njobs == 0) {
		conn_free(c);
		return;
	}
	c->dead = 1;
	conn_reading(c, 0);
	event_del(c->wev);
	event_del(c->turn);
	evtimer_del(c->timer);
	deadline_stop(c);
}

static void
conn_timer_set(struct conn *c, enum conn_timer kind, int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	c->timer_kind = kind;
	if (kind == TIMER_NONE || ms <= 0) {
		c->timer_kind = TIMER_NONE;
		evtimer_del(c->timer);
		return;
	}
	evtimer_add(c->timer, &tv);
}

/*
 * After reading or writing: a connection with part of a frame, or with
 * unread output over its limit, has frame_timeout to make progress; one
 * with nothing pending may stay idle_timeout.  progress restarts the clock.
 */
static void
conn_timer_update(struct conn *c, int progress)
{
	const struct limits	*l = limits_get();

	/* A read waiting for memory (TIMER_RETRY) sets the timer after. */
	if (c->closing || c->timer_kind == TIMER_RETRY)
		return;
	if (c->njobs > 0 || c->stalled) {
		/* The daemon's own work is pending, not the client's. */
		conn_timer_set(c, TIMER_NONE, 0);
		return;
	}
	if (conn_in_len(c) > 0 || c->paused) {
		if (progress || c->timer_kind != TIMER_FRAME)
			conn_timer_set(c, TIMER_FRAME, l->frame_timeout_ms);
	} else if (progress || c->timer_kind != TIMER_IDLE)
		conn_timer_set(c, TIMER_IDLE, l->idle_timeout_ms);
}

/*
 * What c buffers, noted by its loop after each frame and turn: the bytes
 * read and not yet taken and the answers not yet written, for stats; and
 * the memory its buffers hold, counted for its uid (limits.buffer_per_uid).
 */
static void
conn_note_buffered(struct conn *c)
{
	size_t	out = evbuffer_get_length(c->out), held;

	/* Atomic, not under conns_lock: this runs for every request. */
	__atomic_store_n(&c->buffered, conn_in_len(c) + out,
	    __ATOMIC_RELAXED);
	held = c->in_cap + out;
	if (held != c->held) {
		uids_buffered_add(c->peer.acct, (long)(held - c->held));
		c->held = held;
	}
}

void
conn_stats(struct stats *st)
{
	struct conn	*c;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&conns_lock);
	TAILQ_FOREACH(c, &conns, entry) {
		st->connections++;
		st->buffered += __atomic_load_n(&c->buffered,
		    __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&conns_lock);
	st->contexts = limits_total_contexts();
	st->pool_steps = pool_steps();
	st->mapped = context_mapped_count();
}

void
conn_accept(struct shard *s, int fd, const struct peer *peer)
{
	struct event_base	*base = shard_base(s);
	struct conn		*c;
	char			 exe[1024];
	int			 sndbuf = CONN_SNDBUF;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->fd = fd;
	/* Room for a large response in one write (best effort). */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (evutil_make_socket_nonblocking(fd) != 0 ||
	    (c->out = evbuffer_new()) == NULL ||
	    (c->rev = event_new(base, fd, EV_READ | EV_PERSIST, conn_read_cb,
	    c)) == NULL ||
	    (c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, conn_write_cb,
	    c)) == NULL ||
	    (c->timer = evtimer_new(base, conn_timer_cb, c)) == NULL ||
	    (c->turn = event_new(base, -1, 0, conn_turn_cb, c)) == NULL) {
		conn_io_free(c);
		free(c);
		goto fail;
	}
	c->shard = s;
	c->peer = *peer;
	handles_init(&c->handles);
	pthread_mutex_lock(&conns_lock);
	c->serial = conn_next_serial++;
	TAILQ_INSERT_TAIL(&conns, c, entry);
	pthread_mutex_unlock(&conns_lock);
	conn_reading(c, 1);
	sc_escape_str(exe, sizeof(exe), peer->exe != NULL ? peer->exe :
	    "unknown");
	log_debug("connection %llu: pid %ld uid %lu gid %lu, %zu groups, "
	    "exe \"%s\"", (unsigned long long)c->serial, (long)peer->pid,
	    (unsigned long)peer->uid, (unsigned long)peer->gid, peer->ngroups,
	    exe);
	conn_timer_update(c, 1);
	return;
fail:
	log_err("connection from pid %ld: out of memory", (long)peer->pid);
	close(fd);
	uids_disconnect(peer->acct);
	free(peer->groups);
	free(peer->exe);
}

void
conn_close_all(void)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&conns)) != NULL)
		conn_free(c);
}

/* The socket failed: nothing more is read or written; freed by the loop. */
static void
conn_break(struct conn *c, int error)
{
	if (!c->broken)
		log_debug("connection %llu: %s", (unsigned long long)c->serial,
		    error != 0 ? strerror(error) : "end of file");
	c->broken = 1;
	conn_reading(c, 0);
	event_del(c->wev);
	evbuffer_drain(c->out, evbuffer_get_length(c->out));
	/* The loop frees it next (conn_read_cb sees it broken). */
	event_active(c->rev, EV_READ, 0);
}

static void
conn_secret_free(const void *data, size_t len, void *arg)
{
	(void)arg;
	OPENSSL_clear_free((void *)data, len);
}

/*
 * Queue bytes that hold keys: in a copy of their own, which the output
 * buffer cleanses as it frees it (written, or the connection gone).
 */
static int
conn_queue_secret(struct conn *c, const void *p, size_t len)
{
	void	*copy;

	if ((copy = malloc(len)) == NULL)
		return (-1);
	memcpy(copy, p, len);
	if (evbuffer_add_reference(c->out, copy, len, conn_secret_free,
	    NULL) != 0) {
		OPENSSL_clear_free(copy, len);
		return (-1);
	}
	return (0);
}

/*
 * Write what the socket takes of iov; the rest goes to the output buffer.
 * Behind output already waiting, all of it goes there, in order.  Bit i
 * of secret: iov[i] holds keys.
 */
static int
conn_write(struct conn *c, struct iovec *iov, int iovcnt, unsigned secret)
{
	struct msghdr	msg;
	ssize_t		n = 0;
	int		i, rc;

	if (evbuffer_get_length(c->out) == 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = iovcnt;
		do
			n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n == -1 && errno == EINTR);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_break(c, errno);
			return (0);
		}
		if (n < 0)
			n = 0;
	}
	for (i = 0; i < iovcnt; i++) {
		if ((size_t)n >= iov[i].iov_len) {
			n -= iov[i].iov_len;
			continue;
		}
		if (secret & 1U << i)
			rc = conn_queue_secret(c, (uint8_t *)iov[i].iov_base +
			    n, iov[i].iov_len - n);
		else
			rc = evbuffer_add(c->out, (uint8_t *)iov[i].iov_base +
			    n, iov[i].iov_len - n);
		if (rc != 0)
			return (-1);
		n = 0;
	}
	if (evbuffer_get_length(c->out) > 0)
		event_add(c->wev, NULL);
	return (0);
}

/* A response; bit i of secret: payload[i] holds keys. */
int
conn_send(struct conn *c, json_t *hdr, const struct iovec *payload,
    int npayload, unsigned secret)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	struct iovec	 iov[2 + RESPONSE_IOV];
	size_t		 len, plen = 0;
	unsigned	 iov_secret = 0;
	char		*s;
	int		 i, iovcnt = 2, rc;

	if (c->broken)
		return (0);
	for (i = 0; i < npayload && i < RESPONSE_IOV; i++) {
		plen += payload[i].iov_len;
		if (payload[i].iov_len == 0)
			continue;
		if (secret & 1U << i)
			iov_secret |= 1U << iovcnt;
		iov[iovcnt++] = payload[i];
	}
	if ((s = frame_header_dump(hdr, &len)) == NULL)
		return (-1);
	frame_prefix_put(prefix, len, plen);
	iov[0].iov_base = prefix;
	iov[0].iov_len = sizeof(prefix);
	iov[1].iov_base = s;
	iov[1].iov_len = len;
	rc = conn_write(c, iov, iovcnt, iov_secret);
	free(s);
	return (rc);
}

/* Stop reading; close once the output is written or CONN_LINGER_MS pass. */
void
conn_close_after_write(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	conn_reading(c, 0);
	conn_timer_set(c, TIMER_LINGER, CONN_LINGER_MS);
}

/*
 * A frame prefix over the protocol's or the configured limits.  (The
 * caller logs it: the connection closes, so it is logged once.)
 */
static secctx_status
conn_check_prefix(const uint8_t *prefix, uint32_t *hlen, uint32_t *plen,
    struct sc_err *err)
{
	const struct limits	*l = limits_get();

	if (frame_prefix_parse(prefix, l->max_payload, hlen, plen,
	    err) != SEC_E_OK)
		return (err->status);
	if (*hlen > l->max_header)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER, "frame header "
		    "of %u bytes exceeds the limit of %u", *hlen,
		    l->max_header));
	return (SEC_E_OK);
}

/*
 * The whole length of the frame at the start of the input, or
 * FRAME_PREFIX_LEN while its prefix is incomplete or invalid.
 */
static size_t
conn_frame_len(struct conn *c)
{
	struct sc_err	err;
	uint32_t	hlen, plen;

	if (conn_in_len(c) < FRAME_PREFIX_LEN ||
	    conn_check_prefix(c->in + c->in_start, &hlen, &plen,
	    &err) != SEC_E_OK)
		return (FRAME_PREFIX_LEN);
	return (FRAME_PREFIX_LEN + (size_t)hlen + plen);
}

/* Take one whole frame off the input; 0 when more bytes are needed. */
static int
conn_read_frame(struct conn *c)
{
	struct request	 req;
	struct sc_err	 err;
	unsigned char	*data;
	uint32_t	 hlen, plen;
	size_t		 total;

	if (conn_in_len(c) < FRAME_PREFIX_LEN)
		return (0);
	data = c->in + c->in_start;
	if (conn_check_prefix(data, &hlen, &plen, &err) != SEC_E_OK) {
		log_warn("limit: connection %llu pid %ld uid %lu: %s; closing",
		    (unsigned long long)c->serial, (long)c->peer.pid,
		    (unsigned long)c->peer.uid, err.msg);
		dispatch_error(c, 0, &err);
		conn_close_after_write(c);
		return (0);
	}
	total = FRAME_PREFIX_LEN + (size_t)hlen + plen;
	if (conn_in_len(c) < total)
		return (0);
	memset(&req, 0, sizeof(req));
	if (frame_header_parse((char *)data + FRAME_PREFIX_LEN, hlen,
	    &req.hdr, &err) != SEC_E_OK)
		dispatch_error(c, 0, &err);
	else {
		req.payload = data + FRAME_PREFIX_LEN + hlen;
		req.plen = plen;
		if (!dispatch(c, &req)) {
			/* It names a context busy in the pool: later. */
			json_decref(req.hdr);
			c->stalled = 1;
			return (0);
		}
		json_decref(req.hdr);
	}
	c->in_start += total;
	return (1);
}

/*
 * Whether the responses the client has not read reach the limit: then it
 * is not read, nor are its queued frames answered, until they drain to
 * half.  (Its input stops at the limit too: conn_read_cb.)
 */
static int
conn_over_buffer(struct conn *c)
{
	const struct limits	*l = limits_get();
	size_t			 out;

	out = evbuffer_get_length(c->out);
	if (out > 0 && out < l->buffer_per_connection &&
	    uids_buffered(c->peer.acct) >= l->buffer_per_uid) {
		limits_log_once(c, LIMIT_BUFFER_PER_UID, "%zu response bytes "
		    "not read while its uid's connections buffer %zu bytes "
		    "(limit %zu); not reading until the client reads them",
		    out, uids_buffered(c->peer.acct), l->buffer_per_uid);
		return (1);
	}
	if (out < l->buffer_per_connection)
		return (0);
	limits_log_once(c, LIMIT_BUFFER, "%zu response bytes not read "
	    "(limit %zu); not reading until the client reads them", out,
	    l->buffer_per_connection);
	return (1);
}

/*
 * Whether c may start reading while its uid's connections buffer
 * limits.buffer_per_uid bytes: only to complete the frame it has begun.
 */
static int
conn_uid_may_read(struct conn *c)
{
	size_t	have = conn_in_len(c);

	return (uids_buffered(c->peer.acct) < limits_get()->buffer_per_uid ||
	    (have > 0 && have < conn_frame_len(c)));
}

/* Whether there is room to read more: the input stops at the limit. */
static int
conn_may_read(struct conn *c)
{
	return (!c->closing && !c->paused && !c->dead && !c->broken &&
	    conn_in_len(c) < limits_get()->buffer_per_connection);
}

/*
 * Read on, or, when only its uid's buffers stop it, look again in
 * CONN_UID_WAIT_MS (no event says when another connection's drain).
 */
static void
conn_read_or_wait(struct conn *c, int progress)
{
	const struct limits	*l = limits_get();
	int			 may = conn_may_read(c);

	if (may && !conn_uid_may_read(c)) {
		limits_log_once(c, LIMIT_BUFFER_PER_UID, "its uid's "
		    "connections buffer %zu bytes (limit %zu); reading it "
		    "again when they drain", uids_buffered(c->peer.acct),
		    l->buffer_per_uid);
		conn_reading(c, 0);
		conn_timer_set(c, TIMER_RETRY, CONN_UID_WAIT_MS);
		return;
	}
	conn_reading(c, may);
	conn_timer_update(c, progress);
}

/*
 * Answer the whole frames received, CONN_FRAMES_PER_TURN at most before
 * the loop's other connections have their turn; then pause, close or wait.
 */
static void
conn_process(struct conn *c)
{
	int	progress = 0, n = 0;

	if (c->dead)
		return;
	while (!c->stalled && !c->closing && !c->broken &&
	    !(c->paused = conn_over_buffer(c)) && conn_read_frame(c)) {
		progress = 1;
		/* Its uid's other connections see what this one holds. */
		conn_note_buffered(c);
		if (++n == CONN_FRAMES_PER_TURN) {
			event_active(c->turn, 0, 0);
			break;
		}
	}
	if (c->in_start == c->in_end) {
		/* An idle connection holds no input buffer. */
		free(c->in);
		c->in = NULL;
		c->in_start = c->in_end = c->in_cap = 0;
	}
	conn_note_buffered(c);
	if (c->broken)
		return;
	if (c->closing) {
		if (evbuffer_get_length(c->out) == 0)
			conn_free_when_idle(c);
		return;
	}
	conn_read_or_wait(c, progress);
}

/* A handshake step of one of c's contexts goes to the pool. */
int
conn_job_start(struct conn *c)
{
	c->njobs++;
	return (0);
}

/* It was answered: free a connection that left, or go on with it. */
void
conn_job_end(struct conn *c)
{
	c->njobs--;
	if (c->dead) {
		if (c->njobs == 0)
			conn_free(c);
		return;
	}
	if (c->broken) {
		conn_free_when_idle(c);
		return;
	}
	if (c->stalled) {
		c->stalled = 0;
		conn_process(c);
	} else
		conn_timer_update(c, 1);
}

/*
 * Make room for the next read: the whole frame that starts the input
 * when its prefix is known, and at least CONN_READ_MIN bytes, within the
 * limit on bytes read ahead and what is left of its uid's.  How many
 * bytes to read (0: at the limit), or -1 out of memory.
 */
static ssize_t
conn_in_reserve(struct conn *c)
{
	const struct limits	*l = limits_get();
	size_t			 have = conn_in_len(c), frame, want, limit;
	size_t			 used, ahead = CONN_READ_MIN;
	unsigned char		*p;

	frame = conn_frame_len(c);
	limit = l->buffer_per_connection;
	used = uids_buffered(c->peer.acct);
	if (used >= l->buffer_per_uid)
		ahead = 0;
	else if (l->buffer_per_uid - used < ahead)
		ahead = l->buffer_per_uid - used;
	want = have + ahead;
	if (want < frame)
		want = frame;
	if (want > limit)
		want = limit > frame ? limit : frame;
	if (c->in_start > 0 && c->in_cap - c->in_start < want) {
		memmove(c->in, c->in + c->in_start, have);
		c->in_start = 0;
		c->in_end = have;
	}
	if (c->in_cap - c->in_start < want) {
		if ((p = realloc(c->in, c->in_start + want)) == NULL)
			return (-1);
		c->in = p;
		c->in_cap = c->in_start + want;
	}
	return (want > have ? (ssize_t)(want - have) : 0);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n, room;

	(void)what;
	config_rdlock();
	if (c->broken) {
		conn_free_when_idle(c);
		goto out;
	}
	if ((room = conn_in_reserve(c)) == -1) {
		/* Nothing is lost: the bytes wait in the socket. */
		limits_log_once(c, LIMIT_MEMORY, "no memory to read a "
		    "request; reading again in %d ms", CONN_RETRY_MS);
		conn_reading(c, 0);
		conn_timer_set(c, TIMER_RETRY, CONN_RETRY_MS);
		goto out;
	}
	if (room == 0) {
		/* At the limit on bytes read ahead (conn_read_or_wait). */
		conn_read_or_wait(c, 0);
		goto out;
	}
	n = read(fd, c->in + c->in_end, room);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		goto out;
	if (n <= 0) {
		conn_break(c, n == 0 ? 0 : errno);
		conn_free_when_idle(c);
		goto out;
	}
	c->in_end += n;
	conn_process(c);
out:
	config_unlock();
}

static void
conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	int		 n;

	(void)what;
	config_rdlock();
	do
		n = evbuffer_write(c->out, fd);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
		conn_break(c, errno);
		goto out;
	}
	if (evbuffer_get_length(c->out) == 0)
		event_del(c->wev);
	conn_note_buffered(c);
	if (c->closing) {
		if (evbuffer_get_length(c->out) == 0)
			conn_free_when_idle(c);
	} else if (c->paused && evbuffer_get_length(c->out) <
	    limits_get()->buffer_per_connection / 2 &&
	    (evbuffer_get_length(c->out) == 0 ||
	    uids_buffered(c->peer.acct) < limits_get()->buffer_per_uid)) {
		c->paused = 0;
		/* Frames may be waiting whole in the input already. */
		conn_process(c);
	} else if (c->paused)
		conn_timer_update(c, 1);
out:
	config_unlock();
}

/* Its turn again: the frames it has read come before reading more. */
static void
conn_turn_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	config_rdlock();
	conn_process(arg);
	config_unlock();
}

/* A frame or the client took too long, or a closing one did not drain. */
static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	const struct limits	*l;
	struct conn		*c = arg;
	struct sc_err		 err;

	(void)fd;
	(void)what;
	config_rdlock();
	l = limits_get();
	if (c->timer_kind == TIMER_RETRY) {
		c->timer_kind = TIMER_NONE;
		conn_read_or_wait(c, 0);
		config_unlock();
		return;
	}
	if (c->timer_kind == TIMER_LINGER) {
		conn_free_when_idle(c);
		config_unlock();
		return;
	}
	if (c->timer_kind == TIMER_FRAME) {
		limits_log_once(c, LIMIT_FRAME_TIMEOUT, "no progress for %d ms "
		    "(a partial frame, or responses not read); closing",
		    l->frame_timeout_ms);
		sc_seterr(&err, SEC_E_CONTEXT_EXPIRED, "no whole frame arrived "
		    "and no response was read within %d ms "
		    "(limits.frame_timeout); closing the connection",
		    l->frame_timeout_ms);
	} else {
		limits_log_once(c, LIMIT_IDLE_TIMEOUT, "no request for %d ms; "
		    "closing", l->idle_timeout_ms);
		sc_seterr(&err, SEC_E_CONTEXT_EXPIRED, "no request for %d ms "
		    "(limits.idle_timeout); closing the connection",
		    l->idle_timeout_ms);
	}
	dispatch_error(c, 0, &err);
	conn_close_after_write(c);
	config_unlock();
}
