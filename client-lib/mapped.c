/*
 * The records of a mapped context.  When a handshake completes, the daemon
 * hands the context's record state to the library (PROTOCOL.md, "mapped"):
 * from then on records are sealed and opened here, with the record layer
 * of proto/record.c, and no record travels to the daemon.
 *
 * Post-handshake handshake messages arrive inside records opened here.
 * KeyUpdate is handled here (RFC 8446 4.6.3); every other message goes to
 * the daemon, whose TLS object stays the authority for tickets, client
 * authentication and renegotiation: the caller sends it r->hs, and seals
 * its answer with mapped_seal_plaintext().
 *
 * Two locks: one for each direction.  A call that reads and must write (a
 * KeyUpdate answer, an alert) takes the read lock, then the write one.
 * The keys live in keymem.c's memory.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "alert.h"
#include "client.h"
#include "keymem.h"
#include "mapped.h"
#include "record.h"

#define HS_HEADER_LEN		4
#define HS_NEW_SESSION_TICKET	4
#define HS_KEY_UPDATE		24
/* The longest post-handshake message accepted (a CertificateRequest). */
#define HS_MAX_LEN		(128 * 1024)
/* A KeyUpdate record: header, message, content type, tag. */
#define KEY_UPDATE_REC_MAX	(REC_HEADER_LEN + HS_HEADER_LEN + 1 + 1 + 16)
#define ALERT_REC_MAX		(REC_OVERHEAD_MAX + 2)

/* KeyUpdate (RFC 8446 4.6.3): update_not_requested, update_requested. */
static const uint8_t key_update_msg[2][HS_HEADER_LEN + 1] = {
	{ HS_KEY_UPDATE, 0, 0, 1, 0 },
	{ HS_KEY_UPDATE, 0, 0, 1, 1 }
};

struct mapped_keys {
	struct rec_dir	 w;		/* seals our records */
	struct rec_dir	 r;		/* opens the peer's */
};

struct mapped {
	pthread_mutex_t		 wlock;		/* keys->w, shut */
	pthread_mutex_t		 rlock;		/* keys->r, closed, hs */
	struct mapped_keys	*keys;		/* NULL once failed */
	uint16_t		 version;
	int			 shut;		/* our close_notify is out */
	int			 closed;	/* the peer's was read */
	/* KeyUpdates so far (TLS 1.3): ours, under wlock; the peer's. */
	uint64_t		 updates_sent;
	uint64_t		 updates_received;
	uint8_t			*hs;		/* a message being gathered */
	size_t			 hs_len;
	size_t			 hs_cap;
};

struct mapped *
mapped_new(const uint8_t *state, size_t len)
{
	struct rec_state	 s;
	struct mapped		*m;

	if (rec_state_unpack(&s, state, len) != 0) {
		rec_state_cleanse(&s);
		client_seterr(SEC_E_INTERNAL_ERROR,
		    "secctxd sent a record state this library cannot use");
		return (NULL);
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->keys = keymem_alloc(sizeof(*m->keys))) == NULL) {
		free(m);
		rec_state_cleanse(&s);
		client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "no memory for the context's keys");
		return (NULL);
	}
	m->version = s.version;
	if (rec_dir_init_state(&m->keys->w, &s, REC_WRITE, 1) != 0 ||
	    rec_dir_init_state(&m->keys->r, &s, REC_READ, 0) != 0) {
		rec_state_cleanse(&s);
		rec_dir_clear(&m->keys->w);
		keymem_free(m->keys);
		free(m);
		client_seterr(SEC_E_INTERNAL_ERROR,
		    "cannot key the context's cipher");
		return (NULL);
	}
	rec_state_cleanse(&s);
	pthread_mutex_init(&m->wlock, NULL);
	pthread_mutex_init(&m->rlock, NULL);
	return (m);
}

/* Drop the keys; both locks held. */
static void
mapped_drop_keys(struct mapped *m)
{
	if (m->keys == NULL)
		return;
	rec_dir_clear(&m->keys->w);
	rec_dir_clear(&m->keys->r);
	keymem_free(m->keys);
	m->keys = NULL;
}

void
mapped_free(struct mapped *m)
{
	if (m == NULL)
		return;
	mapped_drop_keys(m);
	if (m->hs != NULL)
		OPENSSL_cleanse(m->hs, m->hs_cap);
	free(m->hs);
	pthread_mutex_destroy(&m->wlock);
	pthread_mutex_destroy(&m->rlock);
	free(m);
}

int
mapped_failed(struct mapped *m)
{
	int	failed;

	pthread_mutex_lock(&m->rlock);
	failed = m->keys == NULL;
	pthread_mutex_unlock(&m->rlock);
	return (failed);
}

static secctx_status
ended(void)
{
	return (client_seterr(SEC_E_INVALID_HANDLE,
	    "the context was deleted after a failure"));
}

/* Grow *buf (malloc) to hold *len + n bytes; -1 out of memory. */
static int
buf_room(uint8_t **buf, size_t *cap, size_t len, size_t n)
{
	uint8_t	*p;
	size_t	 want;

	if (n > SIZE_MAX / 2 - len)
		return (-1);
	if (*cap - len >= n && *buf != NULL)
		return (0);
	want = *cap > 0 ? *cap * 2 : 256;
	if (want < len + n)
		want = len + n;
	if ((p = realloc(*buf, want)) == NULL)
		return (-1);
	*buf = p;
	*cap = want;
	return (0);
}

/*
 * Seal one record of ours at out; the write lock is held.  A TLS 1.3 key
 * about to reach its usage limit (RFC 8446 5.5) is updated first, with a
 * KeyUpdate record ahead of this one.  The bytes written, or 0 when the
 * record cannot be sealed.
 */
static size_t
seal_one(struct mapped *m, uint8_t type, const uint8_t *in, size_t len,
    uint8_t *out)
{
	struct rec_dir	*w = &m->keys->w;
	size_t		 n = 0;

	if (m->version == REC_VERSION_13 && w->seq + 1 >= w->limit) {
		n = rec_sealed_len(w, sizeof(key_update_msg[0]));
		if (rec_seal(w, REC_HANDSHAKE, key_update_msg[0],
		    sizeof(key_update_msg[0]), out) != REC_OK ||
		    rec_dir_update(w) != 0)
			return (0);
		m->updates_sent++;
	}
	if (rec_seal(w, type, in, len, out + n) != REC_OK)
		return (0);
	return (n + rec_sealed_len(w, len));
}

/* The most bytes that sealing len bytes in records can take. */
static size_t
sealed_max(size_t len)
{
	size_t	nrec = len / REC_MAX_PLAIN + 1;

	return (len + nrec * (REC_OVERHEAD_MAX + KEY_UPDATE_REC_MAX));
}

secctx_status
mapped_encrypt(struct mapped *m, const void *data, size_t len, uint8_t **outp,
    size_t *out_len)
{
	const uint8_t	*p = data;
	uint8_t		*out = NULL;
	size_t		 off = 0, total = 0, n, w;
	secctx_status	 st = SEC_E_OK;

	*outp = NULL;
	*out_len = 0;
	if (len > SIZE_MAX / 4)
		return (client_seterr(SEC_E_INVALID_PARAMETER,
		    "%zu bytes of data are too many for one call", len));
	pthread_mutex_lock(&m->wlock);
	if (m->keys == NULL) {
		st = ended();
		goto out;
	}
	if (m->shut) {
		st = client_seterr(SEC_E_CONTEXT_EXPIRED,
		    "the context was shut down");
		goto out;
	}
	if (len == 0)
		goto out;
	if ((out = malloc(sealed_max(len))) == NULL) {
		st = client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "no memory for %zu bytes of records", sealed_max(len));
		goto out;
	}
	while (off < len) {
		n = len - off < REC_MAX_PLAIN ? len - off : REC_MAX_PLAIN;
		if (m->keys->w.seq == UINT64_MAX) {
			st = client_seterr(SEC_E_CONTEXT_EXPIRED, "the "
			    "connection's record sequence numbers are used up");
			goto out;
		}
		if ((w = seal_one(m, REC_APPLICATION_DATA, p + off, n,
		    out + total)) == 0) {
			st = client_seterr(SEC_E_ENCRYPT_FAILURE,
			    "cannot seal a record");
			goto out;
		}
		total += w;
		off += n;
	}
out:
	pthread_mutex_unlock(&m->wlock);
	if (st != SEC_E_OK) {
		free(out);
		return (st);
	}
	*outp = out;
	*out_len = total;
	return (SEC_E_OK);
}

/* Append a sealed record of ours to r->out; the write lock is held. */
static int
append_record(struct mapped *m, uint8_t type, const uint8_t *in, size_t len,
    uint8_t **out, size_t *out_len)
{
	uint8_t	*p;
	size_t	 n, room = len + REC_OVERHEAD_MAX + KEY_UPDATE_REC_MAX;

	if (m->keys == NULL || room > SIZE_MAX - *out_len ||
	    (p = realloc(*out, *out_len + room)) == NULL)
		return (-1);
	*out = p;
	if ((n = seal_one(m, type, in, len, p + *out_len)) == 0)
		return (-1);
	*out_len += n;
	return (0);
}

/* Our KeyUpdate appended to *out, then our next key; wlock held. */
static int
key_update_append(struct mapped *m, int request_peer, uint8_t **out,
    size_t *out_len)
{
	if (append_record(m, REC_HANDSHAKE, key_update_msg[request_peer != 0],
	    sizeof(key_update_msg[0]), out, out_len) != 0 ||
	    rec_dir_update(&m->keys->w) != 0)
		return (-1);
	m->updates_sent++;
	return (0);
}

/*
 * End the context: send a fatal alert of ours (alert >= 0) if we can, and
 * drop the keys.  The read lock is held.
 */
static void
fail_locked(struct mapped *m, int alert, uint8_t **out, size_t *out_len)
{
	uint8_t	a[2] = { ALERT_FATAL, (uint8_t)alert };

	pthread_mutex_lock(&m->wlock);
	if (alert >= 0 && !m->shut && m->keys != NULL)
		(void)append_record(m, REC_ALERT, a, sizeof(a), out, out_len);
	mapped_drop_keys(m);
	pthread_mutex_unlock(&m->wlock);
}

void
mapped_fail(struct mapped *m, int alert, uint8_t **out, size_t *out_len)
{
	pthread_mutex_lock(&m->rlock);
	fail_locked(m, alert, out, out_len);
	pthread_mutex_unlock(&m->rlock);
}

/* A failure of the records we read: the status, and our alert. */
struct read_fail {
	secctx_status	 status;
	int		 alert;		/* -1: none (the peer's alert) */
};

static secctx_status
read_error(struct read_fail *f, secctx_status st, int alert, const char *fmt,
    const char *detail)
{
	f->status = st;
	f->alert = alert;
	return (client_seterr(st, fmt, detail));
}

/* The status and message for what rec_open() returned. */
static secctx_status
open_error(struct read_fail *f, int rc)
{
	switch (rc) {
	case REC_BAD_RECORD_MAC:
		return (read_error(f, SEC_E_DECRYPT_FAILURE, rc,
		    "a record failed authentication (%s)", "bad_record_mac"));
	case REC_RECORD_OVERFLOW:
		return (read_error(f, SEC_E_ILLEGAL_MESSAGE, rc,
		    "a record is too long (%s)", "record_overflow"));
	case REC_UNEXPECTED_MESSAGE:
		return (read_error(f, SEC_E_ILLEGAL_MESSAGE, rc,
		    "a record of an unexpected type or without content type "
		    "(%s)", "unexpected_message"));
	case REC_PROTOCOL_VERSION:
		return (read_error(f, SEC_E_ILLEGAL_MESSAGE, rc,
		    "a record of another protocol version (%s)",
		    "protocol_version"));
	default:
		return (read_error(f, SEC_E_INTERNAL_ERROR, REC_INTERNAL_ERROR,
		    "cannot open a record (%s)", "internal_error"));
	}
}

/* The peer's KeyUpdate (RFC 8446 4.6.3); *answer when it asked for ours. */
static secctx_status
key_update_read(struct mapped *m, const uint8_t *msg, size_t len,
    int last, int *answer, struct read_fail *f)
{
	if (len != HS_HEADER_LEN + 1)
		return (read_error(f, SEC_E_ILLEGAL_MESSAGE,
		    ALERT_DECODE_ERROR, "a KeyUpdate of the wrong length (%s)",
		    "decode_error"));
	if (msg[4] > 1)
		return (read_error(f, SEC_E_ILLEGAL_MESSAGE,
		    ALERT_ILLEGAL_PARAMETER, "a KeyUpdate asks for neither "
		    "(%s)", "illegal_parameter"));
	if (!last)
		return (read_error(f, SEC_E_ILLEGAL_MESSAGE,
		    REC_UNEXPECTED_MESSAGE, "a KeyUpdate does not end its "
		    "record (%s)", "unexpected_message"));
	if (rec_dir_update(&m->keys->r) != 0)
		return (read_error(f, SEC_E_INTERNAL_ERROR, REC_INTERNAL_ERROR,
		    "cannot update the peer's key (%s)", "internal_error"));
	m->updates_received++;
	if (msg[4] == 1)
		*answer = 1;
	return (SEC_E_OK);
}

/* Hand a whole handshake message to the daemon (r->hs). */
static secctx_status
hs_forward(struct mapped_read *r, size_t *cap, const uint8_t *msg,
    size_t len, struct read_fail *f)
{
	if (buf_room(&r->hs, cap, r->hs_len, len) != 0)
		return (read_error(f, SEC_E_INSUFFICIENT_MEMORY,
		    REC_INTERNAL_ERROR, "no memory for a %s", "handshake "
		    "message"));
	memcpy(r->hs + r->hs_len, msg, len);
	r->hs_len += len;
	if (msg[0] != HS_NEW_SESSION_TICKET)
		r->hs_tickets_only = 0;
	return (SEC_E_OK);
}

/*
 * The content of a handshake record: whole messages are taken from the
 * gathered bytes; a message may span records (not a KeyUpdate).
 */
static secctx_status
hs_read(struct mapped *m, struct mapped_read *r, size_t *hscap,
    const uint8_t *p, size_t len, int *answer, struct read_fail *f)
{
	size_t	off = 0, mlen;

	if (buf_room(&m->hs, &m->hs_cap, m->hs_len, len) != 0)
		return (read_error(f, SEC_E_INSUFFICIENT_MEMORY,
		    REC_INTERNAL_ERROR, "no memory for a %s", "handshake "
		    "message"));
	memcpy(m->hs + m->hs_len, p, len);
	m->hs_len += len;
	while (m->hs_len - off >= HS_HEADER_LEN) {
		mlen = (size_t)m->hs[off + 1] << 16 |
		    (size_t)m->hs[off + 2] << 8 | m->hs[off + 3];
		if (mlen > HS_MAX_LEN)
			return (read_error(f, SEC_E_ILLEGAL_MESSAGE,
			    ALERT_ILLEGAL_PARAMETER, "a handshake message is "
			    "too long (%s)", "illegal_parameter"));
		if (m->hs_len - off < HS_HEADER_LEN + mlen)
			break;
		if (m->version == REC_VERSION_13 &&
		    m->hs[off] == HS_KEY_UPDATE) {
			if (key_update_read(m, m->hs + off,
			    HS_HEADER_LEN + mlen, off + HS_HEADER_LEN + mlen ==
			    m->hs_len, answer, f) != SEC_E_OK)
				return (f->status);
		} else if (hs_forward(r, hscap, m->hs + off,
		    HS_HEADER_LEN + mlen, f) != SEC_E_OK)
			return (f->status);
		off += HS_HEADER_LEN + mlen;
	}
	memmove(m->hs, m->hs + off, m->hs_len - off);
	m->hs_len -= off;
	return (SEC_E_OK);
}

/* An alert from the peer: 1 close_notify, 0 ignored, -1 fatal. */
static int
alert_read(struct mapped *m, const uint8_t *p, size_t len,
    struct read_fail *f)
{
	if (len != 2) {
		read_error(f, SEC_E_ILLEGAL_MESSAGE, ALERT_DECODE_ERROR,
		    "an alert record of the wrong length (%s)",
		    "decode_error");
		return (-1);
	}
	if (p[1] == ALERT_CLOSE_NOTIFY)
		return (1);
	if (p[1] == ALERT_USER_CANCELED ||
	    (m->version == REC_VERSION_12 && p[0] == ALERT_WARNING))
		return (0);
	f->status = sc_alert_status(p[1]);
	f->alert = -1;
	client_seterr(f->status, "the peer sent a fatal alert: %s",
	    sc_alert_name(p[1]));
	return (-1);
}

/* A record header that cannot start a TLS record, or is too long. */
static secctx_status
header_check(struct mapped *m, const uint8_t *p, size_t reclen,
    struct read_fail *f)
{
	size_t	max = m->version == REC_VERSION_13 ? REC_MAX_CIPHER_13 :
		    REC_MAX_CIPHER_12;

	if (!rec_header_plausible(p))
		return (read_error(f, SEC_E_ILLEGAL_MESSAGE,
		    REC_UNEXPECTED_MESSAGE, "the input is not a TLS record "
		    "(%s)", "unexpected_message"));
	if (reclen - REC_HEADER_LEN > max)
		return (read_error(f, SEC_E_ILLEGAL_MESSAGE,
		    REC_RECORD_OVERFLOW, "a record is too long (%s)",
		    "record_overflow"));
	return (SEC_E_OK);
}

/*
 * One opened record of type 'type' at data + data_len: keep its data, or
 * take its message.  1 when the peer closed, 0 to go on, -1 on failure.
 */
static int
record_take(struct mapped *m, struct mapped_read *r, size_t *hscap,
    uint8_t type, size_t plen, size_t *records, int *answer,
    struct read_fail *f)
{
	uint8_t	*p = r->data + r->data_len;

	switch (type) {
	case REC_APPLICATION_DATA:
		if (m->hs_len > 0) {
			read_error(f, SEC_E_ILLEGAL_MESSAGE,
			    REC_UNEXPECTED_MESSAGE, "application data inside "
			    "a handshake message (%s)", "unexpected_message");
			return (-1);
		}
		if (plen > 0) {
			r->data_len += plen;
			(*records)++;
		}
		return (0);
	case REC_HANDSHAKE:
		if (plen == 0) {
			read_error(f, SEC_E_ILLEGAL_MESSAGE,
			    REC_UNEXPECTED_MESSAGE, "an empty handshake record "
			    "(%s)", "unexpected_message");
			return (-1);
		}
		return (hs_read(m, r, hscap, p, plen, answer, f) == SEC_E_OK ?
		    0 : -1);
	case REC_ALERT:
		if (m->hs_len > 0) {
			read_error(f, SEC_E_ILLEGAL_MESSAGE,
			    REC_UNEXPECTED_MESSAGE, "an alert inside a "
			    "handshake message (%s)", "unexpected_message");
			return (-1);
		}
		return (alert_read(m, p, plen, f));
	default:
		read_error(f, SEC_E_ILLEGAL_MESSAGE, REC_UNEXPECTED_MESSAGE,
		    "a record of an unexpected type (%s)",
		    "unexpected_message");
		return (-1);
	}
}

/* Open records until the input or max_records ends, or one fails. */
static int
read_records(struct mapped *m, struct mapped_read *r, size_t *off,
    int *answer, struct read_fail *f)
{
	const uint8_t	*p;
	size_t		 reclen, plen, records = 0, hscap = 0;
	uint8_t		 type;
	int		 rc;

	while (r->max_records == 0 || records < r->max_records) {
		if (r->in_len - *off < REC_HEADER_LEN) {
			r->missing = REC_HEADER_LEN - (r->in_len - *off);
			return (0);
		}
		p = r->in + *off;
		(void)rec_header(p, r->in_len - *off, &reclen);
		if (header_check(m, p, reclen, f) != SEC_E_OK)
			return (-1);
		if (r->in_len - *off < reclen) {
			r->missing = reclen - (r->in_len - *off);
			return (0);
		}
		if ((rc = rec_open(&m->keys->r, p, reclen,
		    r->data + r->data_len, &type, &plen)) != REC_OK) {
			open_error(f, rc);
			return (-1);
		}
		*off += reclen;
		if ((rc = record_take(m, r, &hscap, type, plen, &records,
		    answer, f)) != 0)
			return (rc);
	}
	return (0);
}

secctx_status
mapped_decrypt(struct mapped *m, struct mapped_read *r)
{
	struct read_fail	 f = { SEC_E_OK, -1 };
	size_t			 off = 0;
	int			 answer = 0, rc;
	secctx_status		 st = SEC_E_OK;

	r->data = r->out = r->hs = NULL;
	r->data_len = r->out_len = r->hs_len = r->extra = r->missing = 0;
	r->hs_tickets_only = 1;
	pthread_mutex_lock(&m->rlock);
	if (m->keys == NULL) {
		st = ended();
		goto out;
	}
	if (m->closed) {
		r->extra = r->in_len;
		st = client_seterr(SEC_I_CONTEXT_EXPIRED,
		    "the peer closed the connection");
		goto out;
	}
	if (r->in_len > 0 && (r->data = malloc(r->in_len)) == NULL) {
		st = client_seterr(SEC_E_INSUFFICIENT_MEMORY,
		    "no memory for %zu bytes of data", r->in_len);
		goto out;
	}
	rc = read_records(m, r, &off, &answer, &f);
	if (rc < 0) {
		st = f.status;
		fail_locked(m, f.alert, &r->out, &r->out_len);
		goto out;
	}
	/* Nothing of ours follows our close_notify (RFC 8446 6.1). */
	if (answer) {
		pthread_mutex_lock(&m->wlock);
		if (!m->shut && key_update_append(m, 0, &r->out,
		    &r->out_len) != 0)
			st = client_seterr(SEC_E_INTERNAL_ERROR,
			    "cannot answer the peer's KeyUpdate");
		pthread_mutex_unlock(&m->wlock);
		if (st != SEC_E_OK) {
			fail_locked(m, REC_INTERNAL_ERROR, &r->out,
			    &r->out_len);
			goto out;
		}
	}
	if (rc == 1) {
		m->closed = 1;
		st = client_seterr(SEC_I_CONTEXT_EXPIRED,
		    "the peer closed the connection");
	} else if (off == 0)
		st = client_seterr(SEC_E_INCOMPLETE_MESSAGE,
		    "the input ends inside a TLS record: %zu more bytes needed",
		    r->missing);
	if (rc != 0 || off > 0)
		r->missing = 0;
	r->extra = r->in_len - off;
out:
	pthread_mutex_unlock(&m->rlock);
	if (r->data_len == 0) {
		free(r->data);
		r->data = NULL;
	}
	return (st);
}

/* The KeyUpdates so far: ours and the peer's. */
void
mapped_updates(struct mapped *m, uint64_t *sent, uint64_t *received)
{
	pthread_mutex_lock(&m->rlock);
	pthread_mutex_lock(&m->wlock);
	*sent = m->updates_sent;
	*received = m->updates_received;
	pthread_mutex_unlock(&m->wlock);
	pthread_mutex_unlock(&m->rlock);
}

void
mapped_read_free(struct mapped_read *r)
{
	free(r->data);
	free(r->out);
	free(r->hs);
	r->data = r->out = r->hs = NULL;
}

secctx_status
mapped_seal_plaintext(struct mapped *m, const uint8_t *recs, size_t len,
    uint8_t **out, size_t *out_len)
{
	size_t		off = 0, n, before = *out_len;
	secctx_status	st = SEC_E_OK;

	pthread_mutex_lock(&m->wlock);
	while (off < len) {
		if (len - off < REC_HEADER_LEN ||
		    (n = (size_t)recs[off + 3] << 8 | recs[off + 4]) >
		    REC_MAX_PLAIN || len - off - REC_HEADER_LEN < n) {
			st = client_seterr(SEC_E_INTERNAL_ERROR,
			    "secctxd answered with a malformed record");
			break;
		}
		if (append_record(m, recs[off], recs + off + REC_HEADER_LEN,
		    n, out, out_len) != 0) {
			st = client_seterr(m->keys == NULL ?
			    SEC_E_INVALID_HANDLE : SEC_E_INTERNAL_ERROR,
			    "cannot seal the daemon's answer");
			break;
		}
		off += REC_HEADER_LEN + n;
	}
	/*
	 * Records sealed before the failure used sequence numbers the peer
	 * will never see: the context cannot go on.
	 */
	pthread_mutex_unlock(&m->wlock);
	if (st != SEC_E_OK) {
		*out_len = before;
		mapped_fail(m, -1, out, out_len);
	}
	return (st);
}

secctx_status
mapped_shutdown(struct mapped *m, uint8_t **out, size_t *out_len)
{
	uint8_t		a[2] = { ALERT_WARNING, ALERT_CLOSE_NOTIFY };
	secctx_status	st = SEC_E_OK;

	*out = NULL;
	*out_len = 0;
	pthread_mutex_lock(&m->wlock);
	if (m->keys == NULL)
		st = ended();
	else if (!m->shut) {
		if (append_record(m, REC_ALERT, a, sizeof(a), out,
		    out_len) != 0)
			st = client_seterr(SEC_E_INTERNAL_ERROR,
			    "cannot make the close_notify alert");
		else
			m->shut = 1;
	}
	pthread_mutex_unlock(&m->wlock);
	return (st);
}

secctx_status
mapped_key_update(struct mapped *m, int request_peer, uint8_t **out,
    size_t *out_len)
{
	secctx_status	st = SEC_E_OK;

	*out = NULL;
	*out_len = 0;
	pthread_mutex_lock(&m->wlock);
	if (m->keys == NULL)
		st = ended();
	else if (m->version != REC_VERSION_13)
		st = client_seterr(SEC_E_UNSUPPORTED_FUNCTION,
		    "TLS 1.2 has no KeyUpdate");
	else if (m->shut)
		st = client_seterr(SEC_E_CONTEXT_EXPIRED,
		    "the context was shut down");
	else if (key_update_append(m, request_peer, out, out_len) != 0)
		st = client_seterr(SEC_E_INTERNAL_ERROR,
		    "cannot update our key");
	pthread_mutex_unlock(&m->wlock);
	if (st != SEC_E_OK) {
		free(*out);
		*out = NULL;
		*out_len = 0;
	}
	return (st);
}
