/*
 * One connected client: reads whole frames from its socket, hands each to
 * dispatch(), writes the responses, and frees everything the client holds
 * when it goes away.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "secctxd.h"
#include "frame.h"

static TAILQ_HEAD(, conn)	conns = TAILQ_HEAD_INITIALIZER(conns);
static uint64_t			conn_next_serial = 1;

static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);

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
	TAILQ_REMOVE(&conns, c, entry);
	handles_clear(&c->handles, conn_release);
	bufferevent_free(c->bev);
	free(c);
}

void
conn_accept(int fd, const struct peer *peer)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_err("connection from pid %ld: out of memory",
		    (long)peer->pid);
		close(fd);
		return;
	}
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_err("connection from pid %ld: out of memory",
		    (long)peer->pid);
		close(fd);
		free(c);
		return;
	}
	c->serial = conn_next_serial++;
	c->peer = *peer;
	handles_init(&c->handles);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_enable(c->bev, EV_READ);
	log_debug("connection %llu: pid %ld uid %lu gid %lu",
	    (unsigned long long)c->serial, (long)peer->pid,
	    (unsigned long)peer->uid, (unsigned long)peer->gid);
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
	rc = 0;
out:
	free(s);
	return (rc);
}

void
conn_close_after_write(struct conn *c)
{
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
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
	if (frame_prefix_parse(prefix, FRAME_MAX_PAYLOAD, &hlen, &plen,
	    &err) != SEC_E_OK) {
		log_warn("connection %llu: %s; closing",
		    (unsigned long long)c->serial, err.msg);
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
		dispatch(c, &req);
		json_decref(req.hdr);
	}
	evbuffer_drain(in, total);
	return (1);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);

	while (!c->closing && conn_read_frame(c, in))
		;
	if (c->closing &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (c->closing)
		conn_free(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(c);
}
