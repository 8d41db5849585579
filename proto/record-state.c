/*
 * The record state of an established connection, packed for the trip from
 * the daemon to the library (record.h).  All integers are big-endian:
 *
 *	u8	format			1
 *	u16	version			0x0303 or 0x0304
 *	u16	suite			IANA value, rec_suite_supported()
 *	then for dir[REC_WRITE], then dir[REC_READ]:
 *	u8	secret_len		TLS 1.3: the suite's hash length; 1.2: 0
 *	...	secret
 *	u8	key_len			TLS 1.2: the suite's key length; 1.3: 0
 *	...	key
 *	u8	iv_len			TLS 1.2: 4 or 12; 1.3: 0
 *	...	iv
 *	u64	seq			of the next record
 *
 * Nothing follows.  rec_state_unpack() takes only exactly this.
 */

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>

#include "record.h"

#define STATE_FORMAT	1

/* A bounded reader: every take checks what is left. */
struct reader {
	const unsigned char	*p;
	size_t			 left;
};

static int
take(struct reader *r, void *out, size_t len)
{
	if (r->left < len)
		return (-1);
	memcpy(out, r->p, len);
	r->p += len;
	r->left -= len;
	return (0);
}

static int
take_u8(struct reader *r, size_t *v)
{
	unsigned char	b;

	if (take(r, &b, 1) != 0)
		return (-1);
	*v = b;
	return (0);
}

static int
take_u16(struct reader *r, uint16_t *v)
{
	unsigned char	b[2];

	if (take(r, b, 2) != 0)
		return (-1);
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return (0);
}

static int
take_u64(struct reader *r, uint64_t *v)
{
	unsigned char	b[8];
	int		i;

	if (take(r, b, 8) != 0)
		return (-1);
	*v = 0;
	for (i = 0; i < 8; i++)
		*v = *v << 8 | b[i];
	return (0);
}

/* A length byte, at most max, and that many bytes. */
static int
take_field(struct reader *r, unsigned char *out, size_t *len, size_t max)
{
	if (take_u8(r, len) != 0 || *len > max)
		return (-1);
	return (take(r, out, *len));
}

static unsigned char *
put_field(unsigned char *p, const unsigned char *v, size_t len)
{
	*p++ = (unsigned char)len;
	memcpy(p, v, len);
	return (p + len);
}

size_t
rec_state_pack(const struct rec_state *st, unsigned char *out)
{
	const struct rec_state_dir	*sd;
	unsigned char			*p = out;
	int				 i, j;

	for (i = 0; i < 2; i++) {
		sd = &st->dir[i];
		if (sd->secret_len > REC_SECRET_MAX ||
		    sd->key_len > REC_KEY_MAX || sd->iv_len > REC_IV_MAX)
			return (0);
	}
	*p++ = STATE_FORMAT;
	*p++ = st->version >> 8;
	*p++ = st->version & 0xff;
	*p++ = st->suite >> 8;
	*p++ = st->suite & 0xff;
	for (i = 0; i < 2; i++) {
		sd = &st->dir[i];
		p = put_field(p, sd->secret, sd->secret_len);
		p = put_field(p, sd->key, sd->key_len);
		p = put_field(p, sd->iv, sd->iv_len);
		for (j = 0; j < 8; j++)
			*p++ = sd->seq >> (56 - 8 * j);
	}
	return ((size_t)(p - out));
}

/* One direction, with the lengths the version and suite call for. */
static int
unpack_dir(struct reader *r, struct rec_state_dir *sd, size_t secret_len,
    size_t key_len, size_t iv_len)
{
	if (take_field(r, sd->secret, &sd->secret_len, REC_SECRET_MAX) != 0 ||
	    take_field(r, sd->key, &sd->key_len, REC_KEY_MAX) != 0 ||
	    take_field(r, sd->iv, &sd->iv_len, REC_IV_MAX) != 0 ||
	    take_u64(r, &sd->seq) != 0)
		return (-1);
	if (sd->secret_len != secret_len || sd->key_len != key_len ||
	    sd->iv_len != iv_len)
		return (-1);
	return (0);
}

int
rec_state_unpack(struct rec_state *st, const unsigned char *buf, size_t len)
{
	struct reader	 r = { buf, len };
	size_t		 format, secret_len, key_len, iv_len;

	memset(st, 0, sizeof(*st));
	if (take_u8(&r, &format) != 0 || format != STATE_FORMAT ||
	    take_u16(&r, &st->version) != 0 || take_u16(&r, &st->suite) != 0)
		goto fail;
	if (st->version != REC_VERSION_12 && st->version != REC_VERSION_13)
		goto fail;
	if (rec_suite_sizes(st->version, st->suite, &secret_len, &key_len,
	    &iv_len) != 0)
		goto fail;
	if (unpack_dir(&r, &st->dir[REC_WRITE], secret_len, key_len,
	    iv_len) != 0 || unpack_dir(&r, &st->dir[REC_READ], secret_len,
	    key_len, iv_len) != 0 || r.left != 0)
		goto fail;
	return (0);
fail:
	rec_state_cleanse(st);
	return (-1);
}

int
rec_dir_init_state(struct rec_dir *d, const struct rec_state *st, int which,
    int seal)
{
	const struct rec_state_dir	*sd;

	if (which != REC_WRITE && which != REC_READ) {
		memset(d, 0, sizeof(*d));
		return (-1);
	}
	sd = &st->dir[which];
	if (st->version == REC_VERSION_13)
		return (rec_dir_init(d, st->version, st->suite, seal,
		    sd->secret, sd->secret_len, NULL, 0, NULL, 0, sd->seq));
	return (rec_dir_init(d, st->version, st->suite, seal, NULL, 0,
	    sd->key, sd->key_len, sd->iv, sd->iv_len, sd->seq));
}

void
rec_state_cleanse(struct rec_state *st)
{
	OPENSSL_cleanse(st, sizeof(*st));
}
