/*
 * The handshake deadline (limits.handshake_timeout).  A context whose
 * handshake has not completed that long after its first step is deleted:
 * at its next step, which is answered SEC_E_CONTEXT_EXPIRED, or by a timer
 * on its connection's loop when the client does not call again.  So a
 * peer that stalls, trickles its flight a byte at a time or never
 * finishes holds a context for a bounded time.  The timer is armed for
 * the earliest deadline of the connection's unfinished contexts; a context
 * whose step is in the handshake pool is never touched, only looked at
 * again shortly.  The handles of the last contexts deleted are kept, so
 * that a later request naming one hears why it is gone.
 */

#include <stdio.h>

#include "secctxd.h"

/* How soon to look again at an expired context busy in the pool. */
#define DEADLINE_BUSY_MS	50

#define EXPIRED_MAX	(sizeof(((struct conn *)0)->expired) / \
	sizeof(((struct conn *)0)->expired[0]))

static void	deadline_sweep(evutil_socket_t, short, void *);

static void
deadline_arm(struct conn *c, int64_t ms)
{
	struct timeval	tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->deadline_timer, &tv);
}

/* A context was made: make sure the timer will look at it. */
void
deadline_start(struct conn *c)
{
	if (c->deadline_timer == NULL &&
	    (c->deadline_timer = evtimer_new(shard_base(c->shard),
	    deadline_sweep, c)) == NULL) {
		/* Its next step still checks the deadline. */
		log_err("connection %llu: no memory for the handshake "
		    "deadline timer", (unsigned long long)c->serial);
		return;
	}
	if (!evtimer_pending(c->deadline_timer, NULL))
		deadline_arm(c, limits_get()->handshake_timeout_ms);
}

void
deadline_stop(struct conn *c)
{
	if (c->deadline_timer != NULL) {
		event_free(c->deadline_timer);
		c->deadline_timer = NULL;
	}
}

static void
deadline_err(struct sc_err *err)
{
	int	ms = limits_get()->handshake_timeout_ms;

	sc_seterr(err, SEC_E_CONTEXT_EXPIRED, "the handshake did not complete "
	    "within %d.%03d s (limits.handshake_timeout); the context was "
	    "deleted", ms / 1000, ms % 1000);
}

/* Delete an expired context, audit it and remember its handle. */
static void
deadline_delete(struct conn *c, uint64_t h, struct tls_context *ctx,
    struct sc_err *err)
{
	deadline_err(err);
	limits_log_once(c, LIMIT_HANDSHAKE_TIMEOUT, "a handshake did not "
	    "complete within %d ms; its context was deleted",
	    limits_get()->handshake_timeout_ms);
	context_audit(c, ctx, err->status, err);
	handles_remove(&c->handles, h, HANDLE_CTX);
	limits_context_removed(c);
	context_free(ctx);
	c->expired[c->expired_next] = h;
	c->expired_next = (c->expired_next + 1) % EXPIRED_MAX;
}

/* Whether ctx (not busy) is past its deadline at 'now'. */
static int
deadline_passed(const struct tls_context *ctx, int64_t now)
{
	return (!context_established(ctx) && now >=
	    context_started_ms(ctx) + limits_get()->handshake_timeout_ms);
}

/* A step on ctx: SEC_E_OK, or it was too late and ctx is gone. */
secctx_status
deadline_check(struct conn *c, struct tls_context *ctx, uint64_t h,
    struct sc_err *err)
{
	if (!deadline_passed(ctx, context_now_ms()))
		return (SEC_E_OK);
	deadline_delete(c, h, ctx, err);
	return (err->status);
}

/* Whether h names a context the deadline deleted; then err says so. */
int
deadline_expired(struct conn *c, uint64_t h, struct sc_err *err)
{
	size_t	i;

	for (i = 0; h != 0 && i < EXPIRED_MAX; i++) {
		if (c->expired[i] == h) {
			deadline_err(err);
			return (1);
		}
	}
	return (0);
}

/* delete_context of such a handle: forget it. */
int
deadline_forget(struct conn *c, uint64_t h)
{
	size_t	i;

	for (i = 0; h != 0 && i < EXPIRED_MAX; i++) {
		if (c->expired[i] == h) {
			c->expired[i] = 0;
			return (1);
		}
	}
	return (0);
}

struct sweep {
	struct conn	*c;
	int64_t		 now;
	int64_t		 next;		/* earliest time to look again; 0 */
};

static void
sweep_one(uint64_t h, void *ptr, void *arg)
{
	struct sweep		*sw = arg;
	struct tls_context	*ctx = ptr;
	struct sc_err		 err;
	int64_t			 due;

	if (context_busy(ctx))
		due = sw->now + DEADLINE_BUSY_MS;
	else if (context_established(ctx))
		return;
	else if (deadline_passed(ctx, sw->now)) {
		deadline_delete(sw->c, h, ctx, &err);
		log_debug("connection %llu: context deleted: %s",
		    (unsigned long long)sw->c->serial, err.msg);
		return;
	} else
		due = context_started_ms(ctx) +
		    limits_get()->handshake_timeout_ms;
	if (sw->next == 0 || due < sw->next)
		sw->next = due;
}

/* The timer: delete what expired, wait for the next deadline. */
static void
deadline_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct sweep	sw;

	(void)fd;
	(void)what;
	config_rdlock();
	sw.c = arg;
	sw.now = context_now_ms();
	sw.next = 0;
	if (!sw.c->dead) {
		handles_each(&sw.c->handles, HANDLE_CTX, sweep_one, &sw);
		if (sw.next != 0)
			deadline_arm(sw.c, sw.next - sw.now);
	}
	config_unlock();
}
