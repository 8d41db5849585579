/*
 * The TLS record protection of one direction of an established
 * connection, for AEAD cipher suites only (RFC 8446 5.2 and 7.3; RFC 5246
 * 6.2.3.3 with RFC 5288, RFC 6655 and RFC 7905).  All cryptography is
 * OpenSSL's: the ciphers through EVP, the TLS 1.3 key schedule steps
 * through its "TLS13-KDF".
 *
 * A direction either seals (our writes) or opens (the peer's writes).
 * Sealing and opening take one whole record at a time; finding record
 * boundaries in a stream is the caller's job (rec_header()).
 *
 * The record state that the daemon hands to the library when it maps a
 * context is struct rec_state, packed by rec_state_pack() and read back by
 * rec_state_unpack(): the only format both sides must agree on.
 */
#ifndef SECCTX_RECORD_H
#define SECCTX_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define REC_HEADER_LEN		5
#define REC_MAX_PLAIN		16384		/* 2^14 */
#define REC_MAX_CIPHER_13	(REC_MAX_PLAIN + 256)
#define REC_MAX_CIPHER_12	(REC_MAX_PLAIN + 2048)
#define REC_SECRET_MAX		48		/* SHA-384 */
#define REC_KEY_MAX		32
#define REC_IV_MAX		12
/* The most one sealed record adds to its plaintext (1.2 explicit nonce). */
#define REC_OVERHEAD_MAX	(REC_HEADER_LEN + 8 + 16 + 1)

#define REC_VERSION_12		0x0303
#define REC_VERSION_13		0x0304

/* Content types. */
#define REC_CHANGE_CIPHER_SPEC	20
#define REC_ALERT		21
#define REC_HANDSHAKE		22
#define REC_APPLICATION_DATA	23

/* Alert descriptions that rec_open() and rec_seal() return. */
#define REC_OK			0
#define REC_UNEXPECTED_MESSAGE	10
#define REC_BAD_RECORD_MAC	20
#define REC_RECORD_OVERFLOW	22
#define REC_PROTOCOL_VERSION	70
#define REC_INTERNAL_ERROR	80

/* One direction.  It holds keys: put it where secrets may live. */
struct rec_dir {
	void		*cctx;		/* EVP_CIPHER_CTX, keyed */
	uint16_t	 version;	/* REC_VERSION_12 or _13 */
	uint16_t	 suite;		/* IANA cipher suite */
	int		 seal;		/* 1 seals, 0 opens */
	int		 aead;		/* internal: which cipher */
	size_t		 tag_len;
	size_t		 explicit_len;	/* 1.2 AES-GCM and AES-CCM: 8 */
	uint64_t	 seq;		/* of the next record */
	/*
	 * Records one key may protect (RFC 8446 5.5); a TLS 1.3 sender
	 * updates its key when seq reaches it.  UINT64_MAX for TLS 1.2.
	 */
	uint64_t	 limit;
	size_t		 secret_len;	/* TLS 1.3 traffic secret */
	unsigned char	 secret[REC_SECRET_MAX];
	size_t		 key_len;
	unsigned char	 key[REC_KEY_MAX];
	size_t		 iv_len;	/* 12; 4 for 1.2 AES-GCM and AES-CCM */
	unsigned char	 iv[REC_IV_MAX];
};

/* Whether the suite (IANA value) is protected here for that version. */
int	rec_suite_supported(uint16_t version, uint16_t suite);
/*
 * What a direction of the suite is keyed from: TLS 1.3 a traffic secret of
 * *secret_len bytes (the suite's hash length; *key_len and *iv_len 0),
 * TLS 1.2 a key of *key_len bytes and an implicit IV of *iv_len (4 for
 * AES-GCM and AES-CCM, 12 for ChaCha20-Poly1305; *secret_len 0).  0, or -1
 * when the suite is not supported.
 */
int	rec_suite_sizes(uint16_t version, uint16_t suite, size_t *secret_len,
	    size_t *key_len, size_t *iv_len);

/*
 * Key a direction: for TLS 1.3 from the traffic secret (key and iv are
 * derived), for TLS 1.2 from the key and the implicit IV (secret NULL).
 * seq is the sequence number of the next record.  0, or -1 for an
 * unsupported suite, lengths other than rec_suite_sizes() gives, or an
 * OpenSSL failure (nothing is then held).  The direction is overwritten:
 * rec_dir_clear() one that holds a context first.
 */
int	rec_dir_init(struct rec_dir *, uint16_t version, uint16_t suite,
	    int seal, const unsigned char *secret, size_t secret_len,
	    const unsigned char *key, size_t key_len, const unsigned char *iv,
	    size_t iv_len, uint64_t seq);

/*
 * TLS 1.3 KeyUpdate: the next traffic secret, its key and iv, seq 0.  0, or
 * -1 for a TLS 1.2 direction (unchanged) or an OpenSSL failure (the
 * direction then seals and opens nothing: seq is UINT64_MAX).
 */
int	rec_dir_update(struct rec_dir *);

/* Free the cipher context and cleanse the keys. */
void	rec_dir_clear(struct rec_dir *);

/* The size of the record that seals len bytes (len <= REC_MAX_PLAIN). */
size_t	rec_sealed_len(const struct rec_dir *, size_t len);

/*
 * Seal len bytes (at most REC_MAX_PLAIN) of content type 'type' into one
 * record at out, rec_sealed_len() bytes long; out may not overlap in.
 * REC_OK, or REC_INTERNAL_ERROR (an OpenSSL failure, or the sequence
 * number space is used up).
 */
int	rec_seal(struct rec_dir *, uint8_t type, const unsigned char *in,
	    size_t len, unsigned char *out);

/*
 * What the record header at buf says: 0 and the whole record's length in
 * *len when the 5 header bytes are there, -1 when fewer than 5 are.  The
 * header is not checked here.
 */
int	rec_header(const unsigned char *buf, size_t avail, size_t *len);

/*
 * Whether the REC_HEADER_LEN bytes at buf can start a TLS record at all:
 * a content type of TLS 1.2 or 1.3 and a major version of 3.
 */
int	rec_header_plausible(const unsigned char *buf);

/*
 * Open one whole record (header included, len bytes) into out, which has
 * room for len - REC_HEADER_LEN bytes and either is rec + REC_HEADER_LEN
 * (in place) or does not overlap the record.  On REC_OK, *type is the
 * content type (the inner one for TLS 1.3, padding removed) and *plain_len
 * the plaintext's length.  Otherwise
 * the alert the failure calls for: REC_BAD_RECORD_MAC (the tag did not
 * verify), REC_RECORD_OVERFLOW (ciphertext or plaintext too long),
 * REC_UNEXPECTED_MESSAGE (TLS 1.3: not an application_data record, or no
 * content type in it), REC_PROTOCOL_VERSION (TLS 1.2: another version),
 * REC_INTERNAL_ERROR (sequence numbers used up, OpenSSL failure, len not
 * the header's record length, out overlapping the record otherwise than in
 * place).  A ciphertext shorter than the tag (TLS 1.3: the tag and the
 * content type) is REC_BAD_RECORD_MAC, as in OpenSSL.  After
 * REC_BAD_RECORD_MAC out holds no plaintext.  The sequence number advances
 * on REC_OK only.
 */
int	rec_open(struct rec_dir *, const unsigned char *rec, size_t len,
	    unsigned char *out, uint8_t *type, size_t *plain_len);

/*
 * The record state of an established connection: what the daemon hands
 * to the library.  dir[REC_WRITE] seals our records, dir[REC_READ] opens
 * the peer's.  TLS 1.3 gives traffic secrets, TLS 1.2 keys and IVs.
 */
#define REC_WRITE	0
#define REC_READ	1

struct rec_state {
	uint16_t	 version;
	uint16_t	 suite;
	struct rec_state_dir {
		size_t		 secret_len;
		unsigned char	 secret[REC_SECRET_MAX];
		size_t		 key_len;
		unsigned char	 key[REC_KEY_MAX];
		size_t		 iv_len;
		unsigned char	 iv[REC_IV_MAX];
		uint64_t	 seq;
	}		 dir[2];
};

/* Room for a packed state. */
#define REC_STATE_PACKED_MAX	(5 + 2 * (3 + REC_SECRET_MAX + REC_KEY_MAX + \
				    REC_IV_MAX + 8))

/*
 * Pack into out (REC_STATE_PACKED_MAX bytes); the length written, or 0 when
 * a length in the state exceeds its maximum.
 */
size_t	rec_state_pack(const struct rec_state *, unsigned char *out);
/* 0, or -1 when the bytes are not a packed state. */
int	rec_state_unpack(struct rec_state *, const unsigned char *, size_t);
/*
 * Key a direction from one side of a state (which: REC_WRITE or REC_READ)
 * to seal or to open: the library seals with REC_WRITE and opens with
 * REC_READ; the daemon, speaking for its own TLS object, the reverse.
 */
int	rec_dir_init_state(struct rec_dir *, const struct rec_state *,
	    int which, int seal);
void	rec_state_cleanse(struct rec_state *);

#endif
