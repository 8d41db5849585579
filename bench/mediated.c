/*
 * The daemon-mediated side: both ends through libsecctx and one secctxd.
 * A stream holds two daemon connections, one per end, as two applications
 * would (the client acquires "client" outbound, the server "server-ec" or
 * "server-rsa" inbound; in the daemon records mode the copies of those
 * credentials with "records": "daemon").  Tokens go from one end to the
 * other in memory.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"

/* A growable byte buffer: what one end sent and the other has not taken. */
struct buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

static int
buf_add(struct buf *b, const void *data, size_t len)
{
	unsigned char	*n;
	size_t		 cap;

	if (len == 0)
		return (0);
	if (b->len + len > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		if ((n = realloc(b->p, cap)) == NULL)
			return (-1);
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return (0);
}

/* Keep the last 'keep' bytes (a call's 'extra'). */
static void
buf_keep(struct buf *b, size_t keep)
{
	if (keep < b->len)
		memmove(b->p, b->p + b->len - keep, keep);
	b->len = keep;
}

static const char *
status_str(secctx_status st)
{
	const char	*name = secctx_status_name(st);

	return (name != NULL ? name : "unknown status");
}

int
md_stream_open(struct md_stream *ms, const char *socket,
    const struct tls_profile *p, enum rec_mode mode, char *err)
{
	char		cname[64], sname[64];
	secctx_status	st;

	memset(ms, 0, sizeof(*ms));
	ms->profile = p;
	cred_name(cname, sizeof(cname), "client", mode);
	cred_name(sname, sizeof(sname), p->rsa ? "server-rsa" : "server-ec",
	    mode);
	if ((st = secctx_connect(socket, &ms->cconn)) != SEC_E_OK ||
	    (st = secctx_connect(socket, &ms->sconn)) != SEC_E_OK ||
	    (st = secctx_cred_acquire(ms->cconn, cname, SECCTX_OUTBOUND,
	    &ms->ccred)) != SEC_E_OK ||
	    (st = secctx_cred_acquire(ms->sconn, sname, SECCTX_INBOUND,
	    &ms->scred)) != SEC_E_OK) {
		seterr(err, "daemon stream: %s", secctx_last_error());
		md_stream_close(ms);
		return (-1);
	}
	return (0);
}

void
md_stream_close(struct md_stream *ms)
{
	secctx_cred_free(ms->ccred);
	secctx_cred_free(ms->scred);
	if (ms->cconn != NULL)
		secctx_disconnect(ms->cconn);
	if (ms->sconn != NULL)
		secctx_disconnect(ms->sconn);
	memset(ms, 0, sizeof(*ms));
}

/* One call of one end; the output goes to the other end's input. */
static int
md_step(int accept, secctx_cred *cred, secctx_ctx **ctx,
    const struct secctx_options *o, struct buf *in, struct buf *out,
    int *done, char *err)
{
	struct secctx_token	t;
	secctx_status		st;

	memset(&t, 0, sizeof(t));
	t.in = in->p;
	t.in_len = in->len;
	st = accept ? secctx_accept(cred, ctx, o, &t) :
	    secctx_initialize(cred, ctx, o, &t);
	if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED) {
		seterr(err, "daemon %s: %s", accept ? "accept" : "initialize",
		    secctx_last_error());
		secctx_free(t.out);
		return (-1);
	}
	buf_keep(in, t.extra);
	if (buf_add(out, t.out, t.out_len) != 0) {
		secctx_free(t.out);
		seterr(err, "out of memory");
		return (-1);
	}
	secctx_free(t.out);
	*done = st == SEC_E_OK;
	return (0);
}

/*
 * A new pair of contexts, handshaken: per full TLS 1.3 handshake the calls
 * are initialize, accept, initialize, accept, then decrypt on the client of
 * the server's session tickets (5 round trips to the daemon).
 */
int
md_pair_establish(struct md_stream *ms, struct md_pair *pp, int resume,
    char *err)
{
	const struct tls_profile	*p = ms->profile;
	struct secctx_options		 co, so;
	struct secctx_message		 m;
	struct buf			 toc = { 0 }, tos = { 0 };
	secctx_status			 st;
	int				 cdone = 0, sdone = 0, i, rc = -1;

	memset(pp, 0, sizeof(*pp));
	memset(&co, 0, sizeof(co));
	memset(&so, 0, sizeof(so));
	co.target = "localhost";
	co.min_version = co.max_version = so.min_version = so.max_version =
	    p->version == TLS1_3_VERSION ? SECCTX_TLS1_3 : SECCTX_TLS1_2;
	co.no_resume = !resume;
	so.client_cert = p->client_cert ? SECCTX_CLIENT_CERT_REQUIRED :
	    SECCTX_CLIENT_CERT_NONE;
	for (i = 0; i < 16 && !(cdone && sdone); i++) {
		if (!cdone && md_step(0, ms->ccred, &pp->c, &co, &toc, &tos,
		    &cdone, err) != 0)
			goto out;
		if (!sdone && tos.len > 0 && md_step(1, ms->scred, &pp->s, &so,
		    &tos, &toc, &sdone, err) != 0)
			goto out;
	}
	if (!(cdone && sdone)) {
		seterr(err, "daemon handshake did not complete");
		goto out;
	}
	if (toc.len > 0) {
		memset(&m, 0, sizeof(m));
		m.in = toc.p;
		m.in_len = toc.len;
		st = secctx_decrypt(pp->c, &m);
		secctx_free(m.data);
		secctx_free(m.out);
		if (st != SEC_E_OK || m.data_len != 0 || m.extra != 0) {
			seterr(err, "daemon decrypt of the tickets: %s (%s)",
			    status_str(st), secctx_last_error());
			goto out;
		}
	}
	rc = 0;
out:
	free(toc.p);
	free(tos.p);
	if (rc != 0)
		md_pair_free(pp);
	return (rc);
}

void
md_pair_free(struct md_pair *pp)
{
	secctx_delete(pp->c);
	secctx_delete(pp->s);
	pp->c = pp->s = NULL;
}

int
md_check_negotiated(struct md_pair *pp, const struct tls_profile *p,
    char *what, size_t len, int *resumed, char *err)
{
	struct secctx_info	info;
	const char		*want = p->version == TLS1_3_VERSION ?
				    "TLSv1.3" : "TLSv1.2";

	if (secctx_query_info(pp->c, &info) != SEC_E_OK) {
		seterr(err, "daemon query_info: %s", secctx_last_error());
		return (-1);
	}
	if (resumed != NULL)
		*resumed = info.resumed;
	if (what == NULL)
		return (0);
	snprintf(what, len, "%s %s %s", info.protocol, info.cipher,
	    info.group);
	if (strcmp(info.protocol, want) != 0 || strcmp(info.cipher,
	    p->cipher) != 0 || strcasecmp(info.group, p->group) != 0) {
		seterr(err, "daemon negotiated %s, not %s %s %s", what, want,
		    p->cipher, p->group);
		return (-1);
	}
	return (0);
}

int
md_encrypt_small(struct md_pair *pp, const void *data, size_t len, char *err)
{
	void		*out = NULL;
	size_t		 out_len = 0;
	secctx_status	 st;

	st = secctx_encrypt(pp->c, data, len, &out, &out_len);
	secctx_free(out);
	if (st != SEC_E_OK) {
		seterr(err, "daemon encrypt: %s", secctx_last_error());
		return (-1);
	}
	return (0);
}

/* len bytes from client to server: encrypt, then decrypt every record. */
int
md_transfer(struct md_pair *pp, const unsigned char *data, size_t len,
    char *err)
{
	struct secctx_message	 m;
	unsigned char		*rec = NULL;
	size_t			 rec_len = 0, off = 0, got = 0;
	secctx_status		 st;
	int			 rc = -1;

	st = secctx_encrypt(pp->c, data, len, (void **)&rec, &rec_len);
	if (st != SEC_E_OK) {
		seterr(err, "daemon encrypt: %s", secctx_last_error());
		goto out;
	}
	while (off < rec_len) {
		memset(&m, 0, sizeof(m));
		m.in = rec + off;
		m.in_len = rec_len - off;
		st = secctx_decrypt(pp->s, &m);
		secctx_free(m.data);
		secctx_free(m.out);
		if (st != SEC_E_OK) {
			seterr(err, "daemon decrypt: %s", secctx_last_error());
			goto out;
		}
		got += m.data_len;
		off = rec_len - m.extra;
	}
	if (got != len) {
		seterr(err, "daemon decrypt gave %zu bytes of %zu", got, len);
		goto out;
	}
	rc = 0;
out:
	secctx_free(rec);
	return (rc);
}
