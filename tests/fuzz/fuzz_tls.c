/*
 * fuzz_tls: TLS bytes into the TLS state machine (daemon/context.c),
 * with the credentials of a test configuration and a throwaway PKI.
 *
 * Input: a 4-byte head, then the body.
 *
 *   head[0] bits 0-1  0: accept: the body is a client's bytes, fed to a
 *                        fresh inbound context ("server");
 *                     1: initialize: a fresh outbound context ("client",
 *                        target localhost) makes its ClientHello, then
 *                        the body is the server's answer;
 *                     2, 3: decrypt: a client and a server context
 *                        complete a handshake in memory, then the body is
 *                        fed to context_decrypt() on the client (2) or
 *                        the server (3)
 *           bit 2     at most TLS 1.2 (else up to TLS 1.3)
 *           bit 3     accept: client certificate required; initialize
 *                     and decrypt: the client credential has one
 *           bit 4     decrypt: the peer's close_notify follows its data
 *           bit 5     decrypt: the body is XORed onto the peer's records
 *                     instead of following them
 *   head[1]           bytes per call (0: the whole input in one call),
 *                     as a client reads from its socket: each call gets
 *                     the unconsumed bytes plus the next chunk
 *   head[2]           decrypt: how many leading body bytes the peer
 *                     encrypts into real records (its application data)
 *   head[3]           decrypt: max_records (0: no limit)
 *
 * Every status must follow the rules of PROTOCOL.md: extra never exceeds
 * the input, INCOMPLETE_MESSAGE consumed nothing, and so on.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

#define HEAD_LEN	4
#define FEED_MAX	(1 << 20)

static struct cred	*server_cred, *client_cred, *client_cert_cred;
static unsigned char	*inbuf;

static const char config_text[] =
"{ \"socket\": \"@/unused.sock\", \"threads\": 1, \"handshake_threads\": 0,\n"
"  \"credentials\": [\n"
"    { \"name\": \"server\", \"certificate\": \"@/server.pem\",\n"
"      \"private_key\": \"@/server.key\", \"ca_file\": \"@/ca.pem\",\n"
"      \"uids\": [0] },\n"
"    { \"name\": \"client\", \"ca_file\": \"@/ca.pem\", \"uids\": [0] },\n"
"    { \"name\": \"client-cert\", \"certificate\": \"@/client.pem\",\n"
"      \"private_key\": \"@/client.key\", \"ca_file\": \"@/ca.pem\",\n"
"      \"uids\": [0] } ] }\n";

static void	make_corpus(const char *);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	dir[512];

	(void)argc;
	(void)argv;
	fuzz_init();
	fuzz_load_config(config_text);
	fuzz_pki_remove();
	server_cred = config_find_cred(config, "server");
	client_cred = config_find_cred(config, "client");
	client_cert_cred = config_find_cred(config, "client-cert");
	if (server_cred == NULL || client_cred == NULL ||
	    client_cert_cred == NULL || (inbuf = malloc(FEED_MAX)) == NULL)
		abort();
	if (fuzz_corpus_dir() != NULL) {
		snprintf(dir, sizeof(dir), "%s/fuzz_tls", fuzz_corpus_dir());
		make_corpus(dir);
		exit(0);
	}
	return (0);
}

static struct tls_context *
new_context(enum direction dir, unsigned flags)
{
	struct tls_context	*ctx;
	struct ctx_params	 p;
	struct sc_err		 err;
	struct cred		*cred;

	memset(&p, 0, sizeof(p));
	p.uid = getuid();
	p.no_resume = 1;
	p.max_version = flags & 4 ? TLS1_2_VERSION : 0;
	if (dir == DIR_INBOUND) {
		cred = server_cred;
		p.client_cert = flags & 8 ? 2 : 0;
	} else {
		cred = flags & 8 ? client_cert_cred : client_cred;
		p.target = "localhost";
	}
	if (context_new(cred, dir, &p, &ctx, &err) != SEC_E_OK) {
		fprintf(stderr, "fuzz_tls: context_new: %s\n", err.msg);
		abort();
	}
	return (ctx);
}

/* A result must describe a suffix of the input, as PROTOCOL.md says. */
static void
check_step(secctx_status st, const struct step_result *res, size_t len)
{
	if (res->extra > len)
		abort();
	if (st == SEC_E_INCOMPLETE_MESSAGE && (res->extra != len ||
	    res->out_len != 0))
		abort();
}

/*
 * Feed in[0..len) to the context as a client would: each call gets what
 * the last one left plus the next chunk.  Returns the last status; *outp
 * collects the output tokens when not NULL.
 */
static secctx_status
feed_handshake(struct tls_context *ctx, const unsigned char *in, size_t len,
    size_t chunk, unsigned char *out, size_t *out_len)
{
	struct step_result	 res;
	struct sc_err		 err;
	secctx_status		 st = SEC_I_CONTINUE_NEEDED;
	size_t			 have = 0, off = 0, n;

	do {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		if (n > 0)
			memcpy(inbuf + have, in + off, n);
		have += n;
		off += n;
		st = context_handshake(ctx, inbuf, have, &res, &err);
		check_step(st, &res, have);
		if (out != NULL && res.out_len > 0) {
			memcpy(out + *out_len, res.out, res.out_len);
			*out_len += res.out_len;
		}
		context_output_done(ctx);
		if (SECCTX_FAILED(st) && st != SEC_E_INCOMPLETE_MESSAGE)
			return (st);
		memmove(inbuf, inbuf + have - res.extra, res.extra);
		have = res.extra;
		if (st == SEC_E_OK)
			return (st);
	} while (off < len);
	return (st);
}

/*
 * A client and a server context complete a handshake in memory.  The
 * flights go to tokens[] (copies, freed by the caller) when not NULL;
 * what the server wrote last (TLS 1.3 session tickets) goes to *left.
 */
static void
handshake_pair(unsigned flags, struct tls_context **cp,
    struct tls_context **sp, unsigned char *tokens[4], size_t lens[4],
    const unsigned char **left, size_t *left_len)
{
	static unsigned char	 bufs[2][64 * 1024];
	struct tls_context	*c, *s;
	secctx_status		 cst, sst = SEC_I_CONTINUE_NEEDED;
	size_t			 clen = 0, slen = 0;
	int			 i;

	c = new_context(DIR_OUTBOUND, flags);
	s = new_context(DIR_INBOUND, flags);
	cst = feed_handshake(c, NULL, 0, 0, bufs[0], &clen);
	for (i = 0; i < 8 && (cst != SEC_E_OK || sst != SEC_E_OK); i++) {
		if (tokens != NULL && i < 4) {
			lens[i] = i % 2 == 0 ? clen : slen;
			if ((tokens[i] = malloc(lens[i] + 1)) == NULL)
				abort();
			memcpy(tokens[i], bufs[i % 2], lens[i]);
		}
		if (i % 2 == 0) {
			slen = 0;
			sst = feed_handshake(s, bufs[0], clen, 0, bufs[1],
			    &slen);
		} else {
			clen = 0;
			cst = feed_handshake(c, bufs[1], slen, 0, bufs[0],
			    &clen);
		}
		if (SECCTX_FAILED(cst) || SECCTX_FAILED(sst))
			abort();
	}
	if (cst != SEC_E_OK || sst != SEC_E_OK)
		abort();
	*cp = c;
	*sp = s;
	*left = bufs[1];
	*left_len = (i - 1) % 2 == 0 ? slen : 0;
}

/* The peer's application data (and close_notify) as records. */
static size_t
peer_records(struct tls_context *peer, const unsigned char *data, size_t len,
    int close, unsigned char *out, size_t cap)
{
	struct step_result	 res;
	struct sc_err		 err;
	size_t			 n = 0;

	if (len > 0) {
		if (context_encrypt(peer, data, len, &res, &err) != SEC_E_OK)
			abort();
		if (res.out_len > cap)
			abort();
		memcpy(out, res.out, res.out_len);
		n = res.out_len;
		context_output_done(peer);
	}
	if (close) {
		if (context_shutdown(peer, &res, &err) != SEC_E_OK ||
		    n + res.out_len > cap)
			abort();
		memcpy(out + n, res.out, res.out_len);
		n += res.out_len;
		context_output_done(peer);
	}
	return (n);
}

static void
run_decrypt(struct tls_context *ctx, const unsigned char *in, size_t len,
    size_t chunk, size_t max_records)
{
	struct decrypt_result	 res;
	struct sc_err		 err;
	secctx_status		 st;
	unsigned char		*data;
	size_t			 have = 0, off = 0, n;

	if ((data = malloc(len + 1)) == NULL)
		abort();
	while (off < len) {
		n = chunk == 0 || len - off < chunk ? len - off : chunk;
		memcpy(inbuf + have, in + off, n);
		have += n;
		off += n;
		memset(&res, 0, sizeof(res));
		res.data = data;
		res.data_cap = have;
		st = context_decrypt(ctx, inbuf, have, max_records, &res,
		    &err);
		check_step(st, &res.step, have);
		if (res.data_len > have || (max_records != 0 &&
		    res.records > max_records))
			abort();
		context_output_done(ctx);
		if (st != SEC_E_OK && st != SEC_E_INCOMPLETE_MESSAGE)
			break;
		memmove(inbuf, inbuf + have - res.step.extra, res.step.extra);
		have = res.step.extra;
	}
	free(data);
}

static void
fuzz_decrypt(unsigned flags, const unsigned char *body, size_t len,
    size_t chunk, size_t plain, size_t max_records)
{
	struct tls_context	*c, *s, *ctx, *peer;
	const unsigned char	*left;
	unsigned char		*stream;
	size_t			 n = 0, i, cap, left_len;

	handshake_pair(flags, &c, &s, NULL, NULL, &left, &left_len);
	ctx = (flags & 3) == 2 ? c : s;
	peer = ctx == c ? s : c;
	if (plain > len)
		plain = len;
	cap = 2 * plain + 1024 + len + left_len;
	if ((stream = malloc(cap)) == NULL)
		abort();
	/* The client first reads what the server wrote last: tickets. */
	if (ctx == c) {
		memcpy(stream, left, left_len);
		n = left_len;
	}
	n += peer_records(peer, body, plain, flags & 16, stream + n, cap - n);
	body += plain;
	len -= plain;
	if (flags & 32) {
		for (i = 0; i < len && i < n; i++)
			stream[i] ^= body[i];
	} else {
		memcpy(stream + n, body, len);
		n += len;
	}
	run_decrypt(ctx, stream, n, chunk, max_records);
	free(stream);
	context_free(c);
	context_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_context	*ctx;
	unsigned		 flags;
	size_t			 chunk;

	if (size < HEAD_LEN || size > FEED_MAX / 2)
		return (0);
	flags = data[0];
	chunk = data[1];
	switch (flags & 3) {
	case 0:
		ctx = new_context(DIR_INBOUND, flags);
		(void)feed_handshake(ctx, data + HEAD_LEN, size - HEAD_LEN,
		    chunk, NULL, NULL);
		context_free(ctx);
		break;
	case 1:
		ctx = new_context(DIR_OUTBOUND, flags);
		if (feed_handshake(ctx, NULL, 0, 0, NULL, NULL) !=
		    SEC_I_CONTINUE_NEEDED)
			abort();
		(void)feed_handshake(ctx, data + HEAD_LEN, size - HEAD_LEN,
		    chunk, NULL, NULL);
		context_free(ctx);
		break;
	default:
		fuzz_decrypt(flags, data + HEAD_LEN, size - HEAD_LEN, chunk,
		    data[2], data[3]);
		break;
	}
	return (0);
}

/* One seed: the head, then the body. */
static void
seed(const char *dir, const char *name, unsigned flags, unsigned chunk,
    unsigned plain, unsigned max_records, const unsigned char *body,
    size_t len)
{
	unsigned char	*buf;

	if ((buf = malloc(HEAD_LEN + len)) == NULL)
		abort();
	buf[0] = flags;
	buf[1] = chunk;
	buf[2] = plain;
	buf[3] = max_records;
	if (len > 0)
		memcpy(buf + HEAD_LEN, body, len);
	fuzz_write_file(dir, name, buf, HEAD_LEN + len);
	free(buf);
}

/*
 * The seeds: real flights of real handshakes between the daemon's own
 * contexts (TLS 1.3 and 1.2, with and without a client certificate),
 * and real application data records, close_notify included.
 */
static void
make_corpus(const char *dir)
{
	static const unsigned char text[] = "GET / HTTP/1.1\r\nHost: localhost"
	    "\r\n\r\nsecctx fuzz seed: application data";
	static const unsigned variants[] = { 0, 4, 8, 12 };
	struct tls_context	*c, *s;
	const unsigned char	*left;
	unsigned char		*tok[4];
	size_t			 lens[4], v, left_len, k;
	char			 name[64];
	unsigned		 f;

	for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		f = variants[v];
		memset(tok, 0, sizeof(tok));
		memset(lens, 0, sizeof(lens));
		handshake_pair(f, &c, &s, tok, lens, &left, &left_len);
		/* tok[0]: ClientHello; tok[1]: the server's flight. */
		snprintf(name, sizeof(name), "accept-clienthello-%u", f);
		seed(dir, name, f, 0, 0, 0, tok[0], lens[0]);
		snprintf(name, sizeof(name), "accept-clienthello-split-%u", f);
		seed(dir, name, f, 7, 0, 0, tok[0], lens[0]);
		snprintf(name, sizeof(name), "initialize-serverflight-%u", f);
		seed(dir, name, f | 1, 0, 0, 0, tok[1], lens[1]);
		snprintf(name, sizeof(name), "initialize-serverflight-split-%u",
		    f);
		seed(dir, name, f | 1, 100, 0, 0, tok[1], lens[1]);
		if (lens[2] > 0) {
			snprintf(name, sizeof(name), "accept-clientfinished-%u",
			    f);
			seed(dir, name, f, 0, 0, 0, tok[2], lens[2]);
		}
		if (left_len > 0) {
			snprintf(name, sizeof(name), "initialize-tickets-%u",
			    f);
			seed(dir, name, f | 1, 0, 0, 0, left, left_len);
		}
		for (k = 0; k < 4; k++)
			free(tok[k]);
		context_free(c);
		context_free(s);
		snprintf(name, sizeof(name), "decrypt-client-%u", f);
		seed(dir, name, f | 2, 0, sizeof(text) - 1, 0, text,
		    sizeof(text) - 1);
		snprintf(name, sizeof(name), "decrypt-server-close-%u", f);
		seed(dir, name, f | 3 | 16, 0, sizeof(text) - 1, 0, text,
		    sizeof(text) - 1);
		snprintf(name, sizeof(name), "decrypt-server-split-%u", f);
		seed(dir, name, f | 3, 11, sizeof(text) - 1, 1, text,
		    sizeof(text) - 1);
		snprintf(name, sizeof(name), "decrypt-client-xor-%u", f);
		seed(dir, name, f | 2 | 32, 0, 16, 0, text, 40);
		snprintf(name, sizeof(name), "decrypt-client-trailing-%u", f);
		seed(dir, name, f | 2, 0, 20, 0, text, sizeof(text) - 1);
	}
}
