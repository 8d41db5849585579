/*
 * One connected client: reads whole frames from its socket, hands each to
 * dispatch(), writes the responses, and frees everything the client holds
 * when it goes away.  A connection lives on one event loop (shard.c).  While
 * handshake steps of its contexts run in the pool, its other requests go
 * on; one naming such a context waits, and so does its freeing.  The
 * per-connection limits live here: frame sizes, bytes buffered, the time a
 * frame may take to arrive, idle time, and connections per uid
 * (docs/configuration.md, "limits").
 *
 * Input is read into one linear buffer sized for the frame at its start,
 * so a frame is parsed where it was read.  A response is written to the
 * socket at once, from the handler's own buffers; only what the socket
 * does not take is copied, into the output buffer, and written when the
 * socket is writable again.  A request and its answer therefore cost one
 * read and one write on the loop, and large payloads are not copied in
 * user space on their way through.
 */

#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "secctxd.h"
#include "frame.h"

/* The socket send buffer asked for: a large response in one write. */
#define CONN_SNDBUF		(1024 * 1024)

/* The least room a read is offered (several small frames at once). */
#define CONN_READ_MIN		16384

/* How long a closing connection may take to flush its last response. */
#define CONN_LINGER_MS	2000

enum conn_timer {
	TIMER_NONE,
	TIMER_FRAME,	/* a frame started, or output waits to be read */
	TIMER_IDLE,	/* no request */
	TIMER_LINGER,	/* closing */
	TIMER_RETRY	/* no memory to read into: read again soon */
};

/* How soon a read that found no memory is tried again. */
#define CONN_RETRY_MS	10

/* Every connection of every loop, for the per-uid limit and stats. */
static pthread_mutex_t		conns_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, conn)	conns = TAILQ_HEAD_INITIALIZER(conns);
static uint64_t			conn_next_serial = 1;

static void	conn_read_cb(evutil_socket_t, short, void *);
static void	conn_write_cb(evutil_socket_t, short, void *);
static void	conn_timer_cb(evutil_socket_t, short, void *);

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
	if (c->closing || c->refused || c->timer_kind == TIMER_RETRY)
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

/* With conns_lock held. */
static size_t
conn_count_uid_locked(uid_t uid)
{
	struct conn	*c;
	size_t		 n = 0;

	TAILQ_FOREACH(c, &conns, entry) {
		if (c->peer.uid == uid && !c->refused)
			n++;
	}
	return (n);
}

size_t
conn_count_uid(uid_t uid)
{
	size_t	n;

	pthread_mutex_lock(&conns_lock);
	n = conn_count_uid_locked(uid);
	pthread_mutex_unlock(&conns_lock);
	return (n);
}

/* What stats reports of c: its loop notes it after each turn. */
static void
conn_note_buffered(struct conn *c)
{
	size_t	n;

	/* Atomic, not under conns_lock: this runs for every request. */
	n = conn_in_len(c) + evbuffer_get_length(c->out);
	__atomic_store_n(&c->buffered, n, __ATOMIC_RELAXED);
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
}

/*
 * Over connections_per_uid: answer (id 0) at once, and close when the
 * client hangs up or CONN_LINGER_MS pass.  Closing sooner, while its first
 * request may still be on its way, would make it fail to send instead of
 * reading the answer.
 */
static void
conn_refuse(struct conn *c, size_t n)
{
	struct sc_err	err;

	/* c->refused was set under conns_lock: other loops count it. */
	limits_log_once(c, LIMIT_CONNECTIONS_PER_UID, "uid already has %zu "
	    "connections; refused", n);
	sc_seterr(&err, SEC_E_INSUFFICIENT_MEMORY, "uid %lu already has %zu "
	    "connections, the most allowed (limits.connections_per_uid)",
	    (unsigned long)c->peer.uid, n);
	dispatch_error(c, 0, &err);
	conn_timer_set(c, TIMER_LINGER, CONN_LINGER_MS);
}

void
conn_accept(struct shard *s, int fd, const struct peer *peer)
{
	const struct limits	*l = limits_get();
	struct event_base	*base = shard_base(s);
	struct conn		*c;
	size_t			 n;
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
	    (c->timer = evtimer_new(base, conn_timer_cb, c)) == NULL) {
		conn_io_free(c);
		free(c);
		goto fail;
	}
	c->shard = s;
	c->peer = *peer;
	handles_init(&c->handles);
	pthread_mutex_lock(&conns_lock);
	n = conn_count_uid_locked(peer->uid);
	c->refused = n >= l->connections_per_uid;
	c->serial = conn_next_serial++;
	TAILQ_INSERT_TAIL(&conns, c, entry);
	pthread_mutex_unlock(&conns_lock);
	conn_reading(c, 1);
	log_debug("connection %llu: pid %ld uid %lu gid %lu, %zu groups, "
	    "exe %s", (unsigned long long)c->serial, (long)peer->pid,
	    (unsigned long)peer->uid, (unsigned long)peer->gid, peer->ngroups,
	    peer->exe != NULL ? peer->exe : "unknown");
	if (n >= l->connections_per_uid)
		conn_refuse(c, n);
	else
		conn_timer_update(c, 1);
	return;
fail:
	log_err("connection from pid %ld: out of memory", (long)peer->pid);
	close(fd);
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

/*
 * Write what the socket takes of iov; the rest goes to the output buffer.
 * Behind output already waiting, all of it goes there, in order.
 */
static int
conn_write(struct conn *c, struct iovec *iov, int iovcnt)
{
	struct msghdr	msg;
	ssize_t		n = 0;

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
	for (; iovcnt > 0; iov++, iovcnt--) {
		if ((size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			continue;
		}
		if (evbuffer_add(c->out, (uint8_t *)iov->iov_base + n,
		    iov->iov_len - n) != 0)
			return (-1);
		n = 0;
	}
	if (evbuffer_get_length(c->out) > 0)
		event_add(c->wev, NULL);
	return (0);
}

int
conn_send(struct conn *c, json_t *hdr, const struct iovec *payload,
    int npayload)
{
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	struct iovec	 iov[2 + RESPONSE_IOV];
	size_t		 len, plen = 0;
	char		*s;
	int		 i, iovcnt = 2, rc;

	if (c->broken)
		return (0);
	for (i = 0; i < npayload && i < RESPONSE_IOV; i++) {
		plen += payload[i].iov_len;
		if (payload[i].iov_len > 0)
			iov[iovcnt++] = payload[i];
	}
	if ((s = frame_header_dump(hdr, &len)) == NULL)
		return (-1);
	frame_prefix_put(prefix, len, plen);
	iov[0].iov_base = prefix;
	iov[0].iov_len = sizeof(prefix);
	iov[1].iov_base = s;
	iov[1].iov_len = len;
	rc = conn_write(c, iov, iovcnt);
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
	if (out < l->buffer_per_connection)
		return (0);
	limits_log_once(c, LIMIT_BUFFER, "%zu response bytes not read "
	    "(limit %zu); not reading until the client reads them", out,
	    l->buffer_per_connection);
	return (1);
}

/* Whether there is room to read more: the input stops at the limit. */
static int
conn_may_read(struct conn *c)
{
	return (!c->closing && !c->paused && !c->dead && !c->broken &&
	    conn_in_len(c) < limits_get()->buffer_per_connection);
}

/* Answer the whole frames received; then pause, close or wait. */
static void
conn_process(struct conn *c)
{
	int	progress = 0;

	if (c->dead)
		return;
	while (!c->stalled && !c->closing && !c->broken &&
	    !(c->paused = conn_over_buffer(c)) && conn_read_frame(c))
		progress = 1;
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
	conn_reading(c, conn_may_read(c));
	conn_timer_update(c, progress);
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
 * limit on bytes read ahead.  -1 out of memory.
 */
static int
conn_in_reserve(struct conn *c)
{
	size_t		 have = conn_in_len(c), frame, want, limit;
	unsigned char	*p;

	frame = conn_frame_len(c);
	limit = limits_get()->buffer_per_connection;
	want = have + CONN_READ_MIN;
	if (want < frame)
		want = frame;
	if (want > limit)
		want = limit > frame ? limit : frame;
	if (c->in_start > 0 && c->in_cap - c->in_start < want) {
		memmove(c->in, c->in + c->in_start, have);
		c->in_start = 0;
		c->in_end = have;
	}
	if (c->in_cap - c->in_start >= want)
		return (0);
	if ((p = realloc(c->in, c->in_start + want)) == NULL)
		return (-1);
	c->in = p;
	c->in_cap = c->in_start + want;
	return (0);
}

static void
conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n;

	(void)what;
	config_rdlock();
	if (c->broken) {
		conn_free_when_idle(c);
		goto out;
	}
	if (conn_in_reserve(c) != 0) {
		/* Nothing is lost: the bytes wait in the socket. */
		limits_log_once(c, LIMIT_MEMORY, "no memory to read a "
		    "request; reading again in %d ms", CONN_RETRY_MS);
		conn_reading(c, 0);
		conn_timer_set(c, TIMER_RETRY, CONN_RETRY_MS);
		goto out;
	}
	if (c->in_end == c->in_cap) {
		/* At the limit on bytes read ahead (conn_may_read). */
		conn_reading(c, 0);
		goto out;
	}
	n = read(fd, c->in + c->in_end, c->in_cap - c->in_end);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		goto out;
	if (n <= 0) {
		conn_break(c, n == 0 ? 0 : errno);
		conn_free_when_idle(c);
		goto out;
	}
	c->in_end += n;
	/* Refused: what it sends is dropped until it or the timer closes. */
	if (c->refused)
		c->in_start = c->in_end;
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
	    limits_get()->buffer_per_connection / 2) {
		c->paused = 0;
		/* Frames may be waiting whole in the input already. */
		conn_process(c);
	} else if (c->paused)
		conn_timer_update(c, 1);
out:
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
		conn_reading(c, conn_may_read(c));
		conn_timer_update(c, 0);
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
