/*
 * One connected client: reads whole frames from its socket, hands each to
 * dispatch(), writes the responses, and frees everything the client holds
 * when it goes away.  A connection lives on one event loop (shard.c).  While
 * handshake steps of its contexts run in the pool, its other requests go
 * on; one naming such a context waits, and so does its freeing.  The per-connection limits live here: frame sizes,
 * bytes buffered, the time a frame may take to arrive, idle time, and
 * connections per uid (docs/configuration.md, "limits").
 */

#include <sys/socket.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "secctxd.h"
#include "frame.h"

/* The most one read or write call moves (libevent's default: 16 KiB). */
#define CONN_MAX_SINGLE_IO	(1024 * 1024)

/* How long a closing connection may take to flush its last response. */
#define CONN_LINGER_MS	2000

enum conn_timer {
	TIMER_NONE,
	TIMER_FRAME,	/* a frame started, or output waits to be read */
	TIMER_IDLE,	/* no request */
	TIMER_LINGER	/* closing */
};

/* Every connection of every loop, for the per-uid limit and stats. */
static pthread_mutex_t		conns_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, conn)	conns = TAILQ_HEAD_INITIALIZER(conns);
static uint64_t			conn_next_serial = 1;

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);
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
	if (c->timer != NULL)
		event_free(c->timer);
	bufferevent_free(c->bev);
	free(c->peer.groups);
	free(c->peer.exe);
	free(c);
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
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
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
	struct evbuffer		*in = bufferevent_get_input(c->bev);

	if (c->closing || c->refused)
		return;
	if (c->njobs > 0 || c->stalled) {
		/* The daemon's own work is pending, not the client's. */
		conn_timer_set(c, TIMER_NONE, 0);
		return;
	}
	if (evbuffer_get_length(in) > 0 || c->paused) {
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
	n = evbuffer_get_length(bufferevent_get_input(c->bev)) +
	    evbuffer_get_length(bufferevent_get_output(c->bev));
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

	c->refused = 1;
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
	int			 sndbuf = CONN_MAX_SINGLE_IO;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_err("connection from pid %ld: out of memory",
		    (long)peer->pid);
		goto fail;
	}
	/* Room for a large response in one write (best effort). */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(base, conn_timer_cb, c);
	if (c->bev == NULL || c->timer == NULL) {
		log_err("connection from pid %ld: out of memory",
		    (long)peer->pid);
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		free(peer->groups);
		free(peer->exe);
		return;
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
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	/* Whole large frames in one read and one write, not 16 KiB each. */
	bufferevent_set_max_single_read(c->bev, CONN_MAX_SINGLE_IO);
	bufferevent_set_max_single_write(c->bev, CONN_MAX_SINGLE_IO);
	/* Stop reading at the limit; write_cb when the output is half. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, l->buffer_per_connection);
	bufferevent_setwatermark(c->bev, EV_WRITE,
	    l->buffer_per_connection / 2, 0);
	bufferevent_enable(c->bev, EV_READ);
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

int
conn_send(struct conn *c, json_t *hdr, const struct iovec *iov, int iovcnt)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	size_t		 len, plen = 0;
	char		*s;
	int		 i, rc = -1;

	for (i = 0; i < iovcnt; i++)
		plen += iov[i].iov_len;
	if ((s = frame_header_dump(hdr, &len)) == NULL)
		return (-1);
	frame_prefix_put(prefix, len, plen);
	if (evbuffer_add(out, prefix, sizeof(prefix)) != 0 ||
	    evbuffer_add(out, s, len) != 0)
		goto out;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0 && evbuffer_add(out, iov[i].iov_base,
		    iov[i].iov_len) != 0)
			goto out;
	}
	/*
	 * Schedule the write ourselves: libevent's bufferevent_socket_new()
	 * ignores a failure to register the output callback that normally
	 * does it (evbuffer_add_cb), which left a connection that never
	 * answered (tests/fault/test_failmalloc.c).
	 */
	bufferevent_enable(c->bev, EV_WRITE);
	rc = 0;
out:
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
	bufferevent_disable(c->bev, EV_READ);
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

/* Take one whole frame off the input; 0 when more bytes are needed. */
static int
conn_read_frame(struct conn *c, struct evbuffer *in)
{
	struct request	 req;
	struct sc_err	 err;
	uint8_t		 prefix[FRAME_PREFIX_LEN];
	unsigned char	*data;
	uint32_t	 hlen, plen;
	size_t		 total;

	if (evbuffer_copyout(in, prefix, sizeof(prefix)) !=
	    (ev_ssize_t)sizeof(prefix))
		return (0);
	if (conn_check_prefix(prefix, &hlen, &plen, &err) != SEC_E_OK) {
		log_warn("limit: connection %llu pid %ld uid %lu: %s; closing",
		    (unsigned long long)c->serial, (long)c->peer.pid,
		    (unsigned long)c->peer.uid, err.msg);
		dispatch_error(c, 0, &err);
		conn_close_after_write(c);
		return (0);
	}
	total = FRAME_PREFIX_LEN + (size_t)hlen + plen;
	if (evbuffer_get_length(in) < total)
		return (0);
	if ((data = evbuffer_pullup(in, total)) == NULL) {
		sc_seterr(&err, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
		dispatch_error(c, 0, &err);
		conn_close_after_write(c);
		return (0);
	}
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
	evbuffer_drain(in, total);
	return (1);
}

/*
 * Whether the responses the client has not read reach the limit: then it
 * is not read, nor are its queued frames answered, until they drain to
 * half.  (Its input stops at the limit by the read watermark.)
 */
static int
conn_over_buffer(struct conn *c)
{
	const struct limits	*l = limits_get();
	size_t			 out;

	out = evbuffer_get_length(bufferevent_get_output(c->bev));
	if (out < l->buffer_per_connection)
		return (0);
	limits_log_once(c, LIMIT_BUFFER, "%zu response bytes not read "
	    "(limit %zu); not reading until the client reads them", out,
	    l->buffer_per_connection);
	return (1);
}

/* Answer the whole frames received; then pause, close or wait. */
static void
conn_process(struct conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	int		 progress = 0;

	if (c->dead)
		return;
	while (!c->stalled && !c->closing &&
	    !(c->paused = conn_over_buffer(c)) && conn_read_frame(c, in))
		progress = 1;
	conn_note_buffered(c);
	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_free_when_idle(c);
		return;
	}
	if (c->paused)
		bufferevent_disable(c->bev, EV_READ);
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
	if (c->stalled) {
		c->stalled = 0;
		conn_process(c);
	} else
		conn_timer_update(c, 1);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	config_rdlock();
	/* Refused: what it sends is dropped until it or the timer closes. */
	if (c->refused)
		evbuffer_drain(bufferevent_get_input(bev),
		    evbuffer_get_length(bufferevent_get_input(bev)));
	else
		conn_process(c);
	config_unlock();
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	config_rdlock();
	conn_note_buffered(c);
	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			conn_free_when_idle(c);
	} else if (c->paused && !conn_over_buffer(c)) {
		c->paused = 0;
		bufferevent_enable(bev, EV_READ);
		/* Frames may be waiting whole in the input already. */
		conn_process(c);
	}
	config_unlock();
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	config_rdlock();
	conn_free_when_idle(c);
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
