/*
 * Frames: the unit of the secctx wire protocol (see PROTOCOL.md).
 *
 *   u32 header length (big endian) | u32 payload length (big endian) |
 *   header: one JSON object, UTF-8 | payload: raw bytes
 */
#ifndef SECCTX_FRAME_H
#define SECCTX_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

#define PROTO_VERSION		1

#define FRAME_PREFIX_LEN	8
#define FRAME_MAX_HEADER	(64u * 1024)
/* The most application data one encrypt or decrypt request may carry. */
#define PROTO_MAX_MESSAGE	(1024u * 1024)
/* Room for the records that carry PROTO_MAX_MESSAGE bytes of data. */
#define FRAME_MAX_PAYLOAD	(PROTO_MAX_MESSAGE + 128u * 1024)

/*
 * Read the 8-byte prefix; refuse an empty header or lengths over the
 * limits.  max_payload may be lower than FRAME_MAX_PAYLOAD.
 */
secctx_status	 frame_prefix_parse(const uint8_t *prefix, uint32_t max_payload,
		    uint32_t *hlen, uint32_t *plen, struct sc_err *);
void		 frame_prefix_put(uint8_t *prefix, uint32_t hlen, uint32_t plen);

/* Parse a header: exactly one JSON object of len bytes. */
secctx_status	 frame_header_parse(const char *buf, size_t len, json_t **out,
		    struct sc_err *);

/* Serialize a header compactly; the result is freed with free(). */
char		*frame_header_dump(const json_t *hdr, size_t *len);

#endif
