/*
 * Resource limits (the "limits" object of the configuration) and the
 * context counters they are checked against.  conn.c enforces the frame,
 * buffer, time and connection limits on the event loop; the context limits
 * are checked here when a context is about to be created.  The daemon-wide
 * count is shared by every loop and pool thread.
 */

#include <stdarg.h>
#include <stdio.h>

#include "secctxd.h"

static size_t	total_contexts;		/* __atomic */

const struct limits *
limits_get(void)
{
	return (&config->limits);
}

/* Log a limit hit at most once per connection. */
void
limits_log_once(struct conn *c, enum limit which, const char *fmt, ...)
{
	va_list	ap;
	char	line[512];

	if (c->limits_logged & which)
		return;
	c->limits_logged |= which;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warn("limit: connection %llu pid %ld uid %lu: %s",
	    (unsigned long long)c->serial, (long)c->peer.pid,
	    (unsigned long)c->peer.uid, line);
}

/*
 * May the connection create one more context?  Within its connection's and
 * its uid's limits, the daemon's total, and its uid's share: no uid holds
 * more than half (rounded up) of the contexts the other uids leave free,
 * so whatever one uid does, half of the total stays for the others.  On
 * SEC_E_OK it is counted; limits_context_removed() gives it back.
 */
secctx_status
limits_context_add(struct conn *c, struct sc_err *err)
{
	const struct limits	*l = limits_get();
	struct uid_acct		*a = c->peer.acct;
	size_t			 total, held;

	if (c->nctx >= l->contexts_per_connection) {
		limits_log_once(c, LIMIT_CONTEXTS_PER_CONN, "%zu contexts, the "
		    "most one connection may hold", c->nctx);
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "this "
		    "connection holds %zu contexts, the most allowed "
		    "(limits.contexts_per_connection)", c->nctx));
	}
	total = __atomic_add_fetch(&total_contexts, 1, __ATOMIC_RELAXED);
	held = uids_contexts_add(a, 1);
	if (total > l->total_contexts) {
		limits_log_once(c, LIMIT_TOTAL_CONTEXTS, "the daemon holds "
		    "%zu contexts, its limit", total - 1);
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "the daemon holds "
		    "%zu contexts, the most allowed (limits.total_contexts)",
		    total - 1);
		goto refused;
	}
	if (held > l->contexts_per_uid) {
		limits_log_once(c, LIMIT_CONTEXTS_PER_UID, "uid holds %zu "
		    "contexts, the most one uid may hold", held - 1);
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "uid %lu holds %zu "
		    "contexts, the most allowed (limits.contexts_per_uid)",
		    (unsigned long)c->peer.uid, held - 1);
		goto refused;
	}
	if (held > l->total_contexts - total + 1) {
		limits_log_once(c, LIMIT_UID_SHARE, "uid holds %zu contexts, "
		    "half of what other uids leave free", held - 1);
		sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "uid %lu holds %zu "
		    "contexts, as many as the daemon has left free for "
		    "other uids (limits.total_contexts)",
		    (unsigned long)c->peer.uid, held - 1);
		goto refused;
	}
	c->nctx++;
	return (SEC_E_OK);
refused:
	uids_contexts_add(a, -1);
	__atomic_sub_fetch(&total_contexts, 1, __ATOMIC_RELAXED);
	return (err->status);
}

void
limits_context_removed(struct conn *c)
{
	c->nctx--;
	uids_contexts_add(c->peer.acct, -1);
	__atomic_sub_fetch(&total_contexts, 1, __ATOMIC_RELAXED);
}

size_t
limits_total_contexts(void)
{
	return (__atomic_load_n(&total_contexts, __ATOMIC_RELAXED));
}
