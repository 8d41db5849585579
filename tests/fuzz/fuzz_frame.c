/*
 * fuzz_frame: the frame decoder and the typed getters.
 *
 * Input: the bytes of one frame as they arrive on the socket: the 8-byte
 * prefix, then the header (whatever bytes follow, up to the prefix's header
 * length; the rest is the payload).  The prefix is parsed against the
 * protocol's limit and against a lower one; the header is parsed as the
 * daemon does, and every typed getter then reads the fields the daemon and
 * the library read.  A header that parses must survive a dump and a parse
 * unchanged.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "msg.h"

static const char *const keys[] = {
	"op", "id", "version", "name", "direction", "cred", "ctx", "target",
	"alpn", "min_version", "max_version", "client_cert", "no_resume",
	"skip_validation", "no_post_handshake_auth", "max_records", "label",
	"length", "use_context", "type", "status", "code", "message", "extra",
	"missing", "lengths", "data_len", "reply_len", "mapped", "request_peer",
	"", NULL
};
static const char *const enum_names[] = { "TLSv1.2", "TLSv1.3", "none",
    "optional", "required", "outbound", "inbound", NULL };

static void
read_fields(const json_t *hdr)
{
	struct sc_err	 err;
	const char	*s, *list[MSG_MAX_LIST];
	int64_t		 n;
	uint64_t	 h, h2;
	size_t		 count, i;
	int		 b, e;
	char		 buf[MSG_HANDLE_LEN + 1];

	for (i = 0; keys[i] != NULL; i++) {
		s = NULL;
		if (msg_get_string(hdr, keys[i], i & 1, 255, &s,
		    &err) == SEC_E_OK && s != NULL && strlen(s) > 255)
			abort();
		(void)msg_get_int(hdr, keys[i], MSG_OPTIONAL, 0,
		    ((int64_t)1 << 53) - 1, &n, &err);
		(void)msg_get_int(hdr, keys[i], MSG_REQUIRED, INT64_MIN,
		    INT64_MAX, &n, &err);
		(void)msg_get_bool(hdr, keys[i], &b, &err);
		h = 0;
		if (msg_get_handle(hdr, keys[i], MSG_OPTIONAL, &h,
		    &err) == SEC_E_OK && h != 0) {
			msg_handle_format(h, buf);
			if (!msg_handle_parse(buf, &h2) || h2 != h)
				abort();
		}
		if (msg_get_strings(hdr, keys[i], 255, list, &count,
		    &err) == SEC_E_OK && count > MSG_MAX_LIST)
			abort();
		e = -1;
		if (msg_get_enum(hdr, keys[i], enum_names, &e,
		    &err) == SEC_E_OK && e >= 7)
			abort();
	}
	(void)msg_response_status(hdr, &err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_err	 err;
	json_t		*hdr = NULL, *again = NULL;
	uint32_t	 hlen, plen;
	char		*dump;
	size_t		 len;

	if (size < FRAME_PREFIX_LEN)
		return (0);
	(void)frame_prefix_parse(data, 4096, &hlen, &plen, &err);
	if (frame_prefix_parse(data, FRAME_MAX_PAYLOAD, &hlen, &plen,
	    &err) != SEC_E_OK)
		hlen = size - FRAME_PREFIX_LEN;
	if (hlen == 0 || hlen > FRAME_MAX_HEADER)
		return (0);
	if (hlen > size - FRAME_PREFIX_LEN)
		hlen = size - FRAME_PREFIX_LEN;
	if (hlen == 0 || frame_header_parse((const char *)data +
	    FRAME_PREFIX_LEN, hlen, &hdr, &err) != SEC_E_OK)
		return (0);
	read_fields(hdr);
	/* What the daemon sends back parses as what it meant. */
	if ((dump = frame_header_dump(hdr, &len)) != NULL) {
		if (frame_header_parse(dump, len, &again, &err) != SEC_E_OK ||
		    !json_equal(hdr, again))
			abort();
		json_decref(again);
		free(dump);
	}
	json_decref(hdr);
	return (0);
}
