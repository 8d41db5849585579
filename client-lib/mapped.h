/*
 * The records of a mapped context, protected in this process (mapped.c).
 * It knows nothing of the daemon: the handshake messages that need the
 * daemon's TLS object are handed to the caller, and what the daemon
 * answers is sealed by mapped_seal_plaintext().
 */
#ifndef SECCTX_MAPPED_H
#define SECCTX_MAPPED_H

#include <stddef.h>
#include <stdint.h>

#include "secctx.h"

struct mapped;

/* One call's input and results. */
struct mapped_read {
	const uint8_t	*in;
	size_t		 in_len;
	size_t		 max_records;	/* 0: all; n: n records of data */
	uint8_t		*data;		/* plaintext (malloc) */
	size_t		 data_len;
	uint8_t		*out;		/* records to send (malloc) */
	size_t		 out_len;
	uint8_t		*hs;		/* handshake messages for the daemon */
	size_t		 hs_len;
	int		 hs_tickets_only; /* hs holds NewSessionTickets only */
	size_t		 extra;
	size_t		 missing;
};

/* From the daemon's packed record state; NULL with the last error set. */
struct mapped	*mapped_new(const uint8_t *state, size_t len);
void		 mapped_free(struct mapped *);
/* Whether a failure ended it: its keys are gone. */
int		 mapped_failed(struct mapped *);

secctx_status	 mapped_encrypt(struct mapped *, const void *, size_t,
		    uint8_t **out, size_t *out_len);
/*
 * Open the whole records at the start of r->in.  The statuses of
 * secctx_decrypt(); on a failure the context is ended and r->out holds
 * the alert to send.  Handshake messages other than KeyUpdate come out in
 * r->hs, for the daemon.
 */
secctx_status	 mapped_decrypt(struct mapped *, struct mapped_read *r);
void		 mapped_read_free(struct mapped_read *);
/*
 * Seal the daemon's TLSPlaintext records (type, version, length,
 * content) and append them to *out (malloc, *out_len bytes).  On a
 * failure nothing is appended and the context is ended.
 */
secctx_status	 mapped_seal_plaintext(struct mapped *, const uint8_t *,
		    size_t, uint8_t **out, size_t *out_len);
/* End the context with a fatal alert of ours, appended to *out. */
void		 mapped_fail(struct mapped *, int alert, uint8_t **out,
		    size_t *out_len);
/* The TLS 1.3 KeyUpdates so far: ours and the peer's. */
void		 mapped_updates(struct mapped *, uint64_t *sent,
		    uint64_t *received);
secctx_status	 mapped_shutdown(struct mapped *, uint8_t **out,
		    size_t *out_len);
secctx_status	 mapped_key_update(struct mapped *, int request_peer,
		    uint8_t **out, size_t *out_len);

#endif
