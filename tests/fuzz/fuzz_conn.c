/*
 * fuzz_conn: a whole daemon connection fed arbitrary bytes.
 *
 * The real daemon runs in this process: a test configuration on a
 * throwaway PKI (tests/gen-pki.sh), one event loop thread (shard.c) and
 * one handshake pool thread (pool.c), as secctxd starts them; the
 * "server" credential has an RSA key, so its signing step goes through the
 * pool.  Each input is one client connection: a socketpair whose daemon
 * end is handed to the loop as a connection from this process's uid
 * (shards_assign), exactly as the listener does; the harness is the
 * client on the other end.
 *
 * Input: the byte stream the client sends, a sequence of frames as
 * PROTOCOL.md defines them (u32 header length, u32 payload length, both
 * big endian, the JSON header, the payload).  Three tokens in a header let
 * a fixed input drive a whole session although handles are random and
 * TLS flights depend on both sides' randomness:
 *
 *   @0 ... @9   the Nth distinct handle ("cred" or "ctx") the daemon has
 *               answered so far, as its 16 hex digits: "ctx":"@2"
 *   @P          the payload is the payload of the last response that had
 *               one, then the frame's own payload (accept a ClientHello the daemon
 *               wrote for an initialize on the same connection, decrypt
 *               what it encrypted, ...)
 *   @A          do not wait for this frame's answer (pipelining; by
 *               default the harness waits for one answer per frame)
 *
 * The harness rewrites the prefix of a frame it changed.  From the first
 * prefix the harness cannot take as a frame (a length over the protocol's
 * limits, or beyond the input's end) the rest of the input goes out raw.
 * Then the client half-closes, reads until the daemon closes, and checks
 * that every response was a well-formed frame whose status name matches
 * its code, that no request was answered twice or under an id no request
 * had, and that the connection's contexts are all gone
 * (limits_total_contexts() is 0 again).  ASan checks the rest.
 */

#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "frame.h"
#include "msg.h"

#define NHANDLES	10
#define MAX_WIRE	(4 * 1024 * 1024)
#define MAX_IDS		4096
#define ID_MAX		((json_int_t)1 << 53)

struct client {
	int		 fd;
	int		 eof;		/* the daemon closed */
	int		 wclosed;	/* it will not read any more */
	unsigned char	*wbuf;		/* to send */
	size_t		 wlen, woff;
	unsigned char	*rbuf;		/* received, not yet a whole frame */
	size_t		 rlen, rcap;
	size_t		 sent;		/* whole frames sent */
	size_t		 answers;	/* whole frames received */
	char		 handles[NHANDLES][MSG_HANDLE_LEN + 1];
	int		 nhandles;
	json_int_t	 ids[MAX_IDS];	/* ids of requests not answered */
	size_t		 nids;
	unsigned char	*last;		/* the last response payload */
	size_t		 last_len;
	FILE		*record_in;	/* corpus maker: frames sent */
	FILE		*record_out;	/* corpus maker: frames received */
};

static void	make_corpus(const char *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sc_err	err;
	char		text[4096];
	unsigned long	uid = (unsigned long)getuid();

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	fuzz_init();
	snprintf(text, sizeof(text),
	    "{ \"socket\": \"@/unused.sock\",\n"
	    "  \"threads\": 1, \"handshake_threads\": 1,\n"
	    "  \"limits\": { \"max_header\": 4096, \"max_payload\": 65536,\n"
	    "    \"contexts_per_connection\": 4, \"contexts_per_uid\": 6,\n"
	    "    \"total_contexts\": 12 },\n"
	    "  \"callers\": [ { \"uids\": [%lu], \"skip_validation\": true } ],\n"
	    "  \"credentials\": [\n"
	    "    { \"name\": \"server\", \"certificate\": \"@/server-rsa.pem\",\n"
	    "      \"private_key\": \"@/server-rsa.key\", \"ca_file\": \"@/ca.pem\",\n"
	    "      \"uids\": [%lu] },\n"
	    "    { \"name\": \"client\", \"ca_file\": \"@/ca.pem\",\n"
	    "      \"uids\": [%lu], \"directions\": [\"outbound\"] },\n"
	    "    { \"name\": \"client-cert\", \"certificate\": \"@/client.pem\",\n"
	    "      \"private_key\": \"@/client.key\", \"ca_file\": \"@/ca.pem\",\n"
	    "      \"uids\": [%lu] },\n"
	    "    { \"name\": \"other\", \"certificate\": \"@/other-server.pem\",\n"
	    "      \"private_key\": \"@/other-server.key\",\n"
	    "      \"ca_file\": \"@/other-ca.pem\", \"uids\": [%lu] },\n"
	    "    { \"name\": \"forbidden\", \"ca_file\": \"@/ca.pem\",\n"
	    "      \"uids\": [%lu] } ] }\n",
	    uid, uid, uid, uid, uid, uid + 1);
	fuzz_load_config(text);
	fuzz_pki_remove();
	if (pool_start(config->handshake_threads, &err) != 0 ||
	    shards_start(config->threads, &err) != 0) {
		fprintf(stderr, "fuzz_conn: %s\n", err.msg);
		abort();
	}
	if (fuzz_corpus_dir() != NULL) {
		make_corpus(fuzz_corpus_dir());
		exit(0);
	}
	return (0);
}

static uint32_t
get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static void
add_handle(struct client *cl, const json_t *hdr, const char *key)
{
	const char	*s = json_string_value(json_object_get(hdr, key));
	uint64_t	 h;
	int		 i;

	if (s == NULL || !msg_handle_parse(s, &h))
		return;
	for (i = 0; i < cl->nhandles; i++) {
		if (strcmp(cl->handles[i], s) == 0)
			return;
	}
	if (cl->nhandles < NHANDLES)
		strcpy(cl->handles[cl->nhandles++], s);
}

/* A request the daemon can read an id from must be answered with it. */
static void
sent_id(struct client *cl, const unsigned char *hdr, size_t len)
{
	json_t		*j;
	json_int_t	 id;

	if (memchr(hdr, '\0', len) != NULL ||
	    (j = json_loadb((const char *)hdr, len, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return;
	if (json_is_integer(json_object_get(j, "id"))) {
		id = json_integer_value(json_object_get(j, "id"));
		if (id > 0 && id < ID_MAX && cl->nids < MAX_IDS)
			cl->ids[cl->nids++] = id;
	}
	json_decref(j);
}

/* Each request is answered once, with its own id (or with id 0). */
static void
answered(struct client *cl, json_int_t id)
{
	size_t	i;

	if (id == 0 || cl->nids == MAX_IDS)
		return;
	for (i = 0; i < cl->nids; i++) {
		if (cl->ids[i] == id) {
			cl->ids[i] = cl->ids[--cl->nids];
			return;
		}
	}
	fprintf(stderr, "fuzz_conn: an answer with id %lld, which no request "
	    "waiting for one had\n", (long long)id);
	abort();
}

/* One whole response: it must be a well-formed frame and response. */
static void
take_response(struct client *cl, const unsigned char *f, uint32_t hlen,
    uint32_t plen)
{
	struct sc_err	 err;
	secctx_status	 st;
	const char	*name;
	json_t		*hdr;

	if (frame_header_parse((const char *)f + FRAME_PREFIX_LEN, hlen, &hdr,
	    &err) != SEC_E_OK) {
		fprintf(stderr, "fuzz_conn: bad response header: %s\n",
		    err.msg);
		abort();
	}
	sc_clearerr(&err);
	st = msg_response_status(hdr, &err);
	if (err.status != SEC_E_OK || !json_is_integer(json_object_get(hdr,
	    "id")) || !json_is_string(json_object_get(hdr, "status")) ||
	    (SECCTX_FAILED(st) && !json_is_string(json_object_get(hdr,
	    "message")))) {
		fprintf(stderr, "fuzz_conn: a response without id, status, "
		    "code or message: %.*s\n", (int)hlen,
		    (const char *)f + FRAME_PREFIX_LEN);
		abort();
	}
	name = secctx_status_name(st);
	if (name == NULL || strcmp(name, json_string_value(json_object_get(hdr,
	    "status"))) != 0) {
		fprintf(stderr, "fuzz_conn: status and code differ: %.*s\n",
		    (int)hlen, (const char *)f + FRAME_PREFIX_LEN);
		abort();
	}
	answered(cl, json_integer_value(json_object_get(hdr, "id")));
	add_handle(cl, hdr, "cred");
	add_handle(cl, hdr, "ctx");
	json_decref(hdr);
	if (plen > 0) {
		free(cl->last);
		if ((cl->last = malloc(plen)) == NULL)
			abort();
		memcpy(cl->last, f + FRAME_PREFIX_LEN + hlen, plen);
		cl->last_len = plen;
	}
	if (cl->record_out != NULL)
		fwrite(f, 1, FRAME_PREFIX_LEN + hlen + plen, cl->record_out);
	/* One answer per request, and one id 0 answer before a close. */
	if (++cl->answers > cl->sent + 1) {
		fprintf(stderr, "fuzz_conn: %zu answers to %zu requests\n",
		    cl->answers, cl->sent);
		abort();
	}
}

static void
take_responses(struct client *cl)
{
	uint32_t	hlen, plen;
	size_t		total, off = 0;

	while (cl->rlen - off >= FRAME_PREFIX_LEN) {
		hlen = get_be32(cl->rbuf + off);
		plen = get_be32(cl->rbuf + off + 4);
		if (hlen == 0 || hlen > FRAME_MAX_HEADER ||
		    plen > FRAME_MAX_PAYLOAD) {
			fprintf(stderr, "fuzz_conn: bad response prefix\n");
			abort();
		}
		total = FRAME_PREFIX_LEN + (size_t)hlen + plen;
		if (cl->rlen - off < total)
			break;
		take_response(cl, cl->rbuf + off, hlen, plen);
		off += total;
	}
	memmove(cl->rbuf, cl->rbuf + off, cl->rlen - off);
	cl->rlen -= off;
}

/*
 * Write what is queued and read what comes, until everything is written
 * and (want) answers arrived, or the daemon closed.
 */
static void
pump(struct client *cl, size_t want)
{
	struct pollfd	pfd;
	ssize_t		n;

	for (;;) {
		if (cl->wclosed)
			cl->woff = cl->wlen;
		if (cl->woff == cl->wlen && (cl->answers >= want || cl->eof))
			return;
		if (cl->eof) {
			/* Closed with output pending: nothing will read it. */
			cl->wclosed = 1;
			continue;
		}
		pfd.fd = cl->fd;
		pfd.events = POLLIN | (cl->woff < cl->wlen ? POLLOUT : 0);
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			abort();
		}
		if (pfd.revents & POLLOUT) {
			n = send(cl->fd, cl->wbuf + cl->woff,
			    cl->wlen - cl->woff, MSG_NOSIGNAL);
			if (n > 0)
				cl->woff += n;
			else if (n == -1 && errno != EAGAIN && errno != EINTR)
				cl->wclosed = 1;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (cl->rcap - cl->rlen < 65536) {
				cl->rcap = cl->rcap * 2 + 65536;
				if ((cl->rbuf = realloc(cl->rbuf,
				    cl->rcap)) == NULL)
					abort();
			}
			n = recv(cl->fd, cl->rbuf + cl->rlen,
			    cl->rcap - cl->rlen, 0);
			if (n > 0) {
				cl->rlen += n;
				take_responses(cl);
			} else if (n == 0 || (errno != EAGAIN &&
			    errno != EINTR))
				cl->eof = 1;
		}
	}
}

static void
queue(struct client *cl, const void *p, size_t len)
{
	if (cl->wlen + len > MAX_WIRE)
		len = MAX_WIRE - cl->wlen;
	if (len > 0)
		memcpy(cl->wbuf + cl->wlen, p, len);
	cl->wlen += len;
}

/*
 * The frame at in[0..] (hlen, plen already checked) with its tokens
 * replaced, queued; returns whether to wait for its answer.
 */
static int
queue_frame(struct client *cl, const unsigned char *in, uint32_t hlen,
    uint32_t plen)
{
	const unsigned char	*h = in + FRAME_PREFIX_LEN;
	unsigned char		 prefix[FRAME_PREFIX_LEN];
	unsigned char		*hdr;
	size_t			 i, n = 0, extra = 0;
	int			 use_last = 0, async = 0, k;

	if ((hdr = malloc((size_t)hlen * (MSG_HANDLE_LEN / 2) + 1)) == NULL)
		abort();
	for (i = 0; i < hlen; i++) {
		if (h[i] == '@' && i + 1 < hlen) {
			if (h[i + 1] == 'P')
				use_last = 1;
			else if (h[i + 1] == 'A')
				async = 1;
			k = h[i + 1] - '0';
			if (k >= 0 && k < cl->nhandles) {
				memcpy(hdr + n, cl->handles[k], MSG_HANDLE_LEN);
				n += MSG_HANDLE_LEN;
				i++;
				continue;
			}
		}
		hdr[n++] = h[i];
	}
	if (use_last)
		extra = cl->last_len;
	if (cl->wlen + FRAME_PREFIX_LEN + n + extra + plen > MAX_WIRE) {
		free(hdr);
		return (0);
	}
	frame_prefix_put(prefix, n, extra + plen);
	sent_id(cl, hdr, n);
	queue(cl, prefix, sizeof(prefix));
	queue(cl, hdr, n);
	if (use_last)
		queue(cl, cl->last, cl->last_len);	/* maybe NULL, 0 */
	queue(cl, h + hlen, plen);
	if (cl->record_in != NULL) {
		fwrite(prefix, 1, sizeof(prefix), cl->record_in);
		fwrite(hdr, 1, n, cl->record_in);
		if (use_last && cl->last_len > 0)
			fwrite(cl->last, 1, cl->last_len, cl->record_in);
		fwrite(h + hlen, 1, plen, cl->record_in);
	}
	free(hdr);
	cl->sent++;
	return (!async);
}

/* One connection: the input as the client's byte stream. */
static void
run_connection(const uint8_t *data, size_t size, FILE *record_in,
    FILE *record_out)
{
	struct client	 cl;
	struct peer	 peer;
	struct stats	 st;
	uint32_t	 hlen, plen;
	size_t		 off = 0, held;
	int		 sv[2], wait;

	memset(&cl, 0, sizeof(cl));
	cl.record_in = record_in;
	cl.record_out = record_out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1 || (cl.wbuf = malloc(MAX_WIRE)) == NULL)
		abort();
	cl.fd = sv[1];
	memset(&peer, 0, sizeof(peer));
	peer.pid = getpid();
	peer.uid = getuid();
	peer.gid = getgid();
	if ((peer.acct = uids_connect(peer.uid, SIZE_MAX, &held)) == NULL)
		abort();
	shards_assign(sv[0], &peer);

	while (!cl.eof && !cl.wclosed && size - off >= FRAME_PREFIX_LEN) {
		hlen = get_be32(data + off);
		plen = get_be32(data + off + 4);
		if (hlen == 0 || hlen > FRAME_MAX_HEADER ||
		    plen > FRAME_MAX_PAYLOAD ||
		    size - off - FRAME_PREFIX_LEN < (size_t)hlen + plen)
			break;
		wait = queue_frame(&cl, data + off, hlen, plen);
		off += FRAME_PREFIX_LEN + (size_t)hlen + plen;
		pump(&cl, wait ? cl.sent : 0);
	}
	if (!cl.eof && !cl.wclosed && off < size) {
		queue(&cl, data + off, size - off);
		if (record_in != NULL)
			fwrite(data + off, 1, size - off, record_in);
	}
	pump(&cl, 0);
	shutdown(cl.fd, SHUT_WR);
	while (!cl.eof)
		pump(&cl, cl.answers + 1);
	close(cl.fd);

	/* The daemon closed its end; wait for it to forget the connection. */
	for (;;) {
		conn_stats(&st);
		if (st.connections == 0)
			break;
		usleep(10);
	}
	if (limits_total_contexts() != 0) {
		fprintf(stderr, "fuzz_conn: %zu contexts left after the "
		    "connection closed\n", limits_total_contexts());
		abort();
	}
	free(cl.wbuf);
	free(cl.rbuf);
	free(cl.last);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_connection(data, size, NULL, NULL);
	return (0);
}

#include "fuzz_conn_corpus.c"
