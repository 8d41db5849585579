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
 * May the connection create one more context?  On SEC_E_OK it is counted;
 * limits_context_removed() gives it back.
 */
secctx_status
limits_context_add(struct conn *c, struct sc_err *err)
{
	const struct limits	*l = limits_get();
	size_t			 total;

	if (c->nctx >= l->contexts_per_connection) {
		limits_log_once(c, LIMIT_CONTEXTS_PER_CONN, "%zu contexts, the "
		    "most one connection may hold", c->nctx);
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "this "
		    "connection holds %zu contexts, the most allowed "
		    "(limits.contexts_per_connection)", c->nctx));
	}
	total = __atomic_add_fetch(&total_contexts, 1, __ATOMIC_RELAXED);
	if (total > l->total_contexts) {
		__atomic_sub_fetch(&total_contexts, 1, __ATOMIC_RELAXED);
		limits_log_once(c, LIMIT_TOTAL_CONTEXTS, "the daemon holds "
		    "%zu contexts, its limit", total - 1);
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY, "the daemon "
		    "holds %zu contexts, the most allowed "
		    "(limits.total_contexts)", total - 1));
	}
	c->nctx++;
	return (SEC_E_OK);
}

void
limits_context_removed(struct conn *c)
{
	c->nctx--;
	__atomic_sub_fetch(&total_contexts, 1, __ATOMIC_RELAXED);
}

size_t
limits_total_contexts(void)
{
	return (__atomic_load_n(&total_contexts, __ATOMIC_RELAXED));
}
