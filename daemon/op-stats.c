/* The daemon's counters, for root and the daemon's own user (tests). */

#include "secctxd.h"
#include "msg.h"

secctx_status
op_stats(struct conn *c, struct request *req, struct response *r,
    struct sc_err *err)
{
	struct stats	st;

	(void)req;
	if (!policy_may_read_stats(&c->peer))
		return (sc_seterr(err, SEC_E_NOT_OWNER, "uid %lu may not read "
		    "the daemon's counters", (unsigned long)c->peer.uid));
	conn_stats(&st);
	if (msg_set_int(r->fields, "connections", st.connections) != 0 ||
	    msg_set_int(r->fields, "contexts", st.contexts) != 0 ||
	    msg_set_int(r->fields, "buffered", st.buffered) != 0 ||
	    msg_set_int(r->fields, "pool_steps", (int64_t)st.pool_steps) != 0 ||
	    msg_set_int(r->fields, "mapped", (int64_t)st.mapped) != 0)
		return (sc_seterr(err, SEC_E_INSUFFICIENT_MEMORY,
		    "out of memory"));
	return (SEC_E_OK);
}
