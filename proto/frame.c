/* Frame prefix and header encoding and decoding. */

#include <stdlib.h>
#include <string.h>

#include "frame.h"

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

secctx_status
frame_prefix_parse(const uint8_t *prefix, uint32_t max_payload, uint32_t *hlen,
    uint32_t *plen, struct sc_err *err)
{
	uint32_t	h = get_be32(prefix), p = get_be32(prefix + 4);

	if (h == 0)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "frame header is empty"));
	if (h > FRAME_MAX_HEADER)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "frame header of %u bytes exceeds the limit of %u", h,
		    FRAME_MAX_HEADER));
	if (p > max_payload)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "frame payload of %u bytes exceeds the limit of %u", p,
		    max_payload));
	*hlen = h;
	*plen = p;
	return (SEC_E_OK);
}

void
frame_prefix_put(uint8_t *prefix, uint32_t hlen, uint32_t plen)
{
	put_be32(prefix, hlen);
	put_be32(prefix + 4, plen);
}

secctx_status
frame_header_parse(const char *buf, size_t len, json_t **out,
    struct sc_err *err)
{
	json_error_t	 jerr;
	json_t		*j;

	if (memchr(buf, '\0', len) != NULL)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "frame header contains a NUL byte"));
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "frame header is not valid JSON: %s at offset %d",
		    jerr.text, jerr.position));
	if (!json_is_object(j)) {
		json_decref(j);
		return (sc_seterr(err, SEC_E_INVALID_PARAMETER,
		    "frame header is not a JSON object"));
	}
	*out = j;
	return (SEC_E_OK);
}

char *
frame_header_dump(const json_t *hdr, size_t *len)
{
	char	*s;

	s = json_dumps(hdr, JSON_COMPACT);
	if (s != NULL)
		*len = strlen(s);
	return (s);
}
