/*
 * What a TLS connection negotiated, in the names RFC 8446 and IANA use.
 * What the peer chose (SNI, ALPN, certificate names) is escaped
 * (proto/escape.h): any bytes it sent make an attribute, never an error.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "secctxd.h"
#include "escape.h"

struct sigscheme {
	int		 type;		/* EVP_PKEY_* of the signature */
	int		 digest;	/* NID of the hash, or NID_undef */
	const char	*name;
};

static const struct sigscheme sigschemes[] = {
	{ EVP_PKEY_EC, NID_sha256, "ecdsa_secp256r1_sha256" },
	{ EVP_PKEY_EC, NID_sha384, "ecdsa_secp384r1_sha384" },
	{ EVP_PKEY_EC, NID_sha512, "ecdsa_secp521r1_sha512" },
	{ EVP_PKEY_EC, NID_sha1, "ecdsa_sha1" },
	{ EVP_PKEY_RSA_PSS, NID_sha256, "rsa_pss_rsae_sha256" },
	{ EVP_PKEY_RSA_PSS, NID_sha384, "rsa_pss_rsae_sha384" },
	{ EVP_PKEY_RSA_PSS, NID_sha512, "rsa_pss_rsae_sha512" },
	{ EVP_PKEY_RSA, NID_sha256, "rsa_pkcs1_sha256" },
	{ EVP_PKEY_RSA, NID_sha384, "rsa_pkcs1_sha384" },
	{ EVP_PKEY_RSA, NID_sha512, "rsa_pkcs1_sha512" },
	{ EVP_PKEY_RSA, NID_sha1, "rsa_pkcs1_sha1" },
	{ EVP_PKEY_ED25519, NID_undef, "ed25519" },
	{ EVP_PKEY_ED448, NID_undef, "ed448" },
};

static const char *
peer_signature(SSL *ssl)
{
	size_t	i;
	int	type, digest = NID_undef;

	if (!SSL_get_peer_signature_type_nid(ssl, &type))
		return ("");
	if (!SSL_get_peer_signature_nid(ssl, &digest))
		digest = NID_undef;
	for (i = 0; i < sizeof(sigschemes) / sizeof(sigschemes[0]); i++) {
		if (sigschemes[i].type == type &&
		    (sigschemes[i].digest == NID_undef ||
		    sigschemes[i].digest == digest))
			return (sigschemes[i].name);
	}
	return ("");
}

/* The session id in hex into hex[65]: "" when there is none. */
static void
session_id(SSL *ssl, char hex[65])
{
	const SSL_SESSION	*sess = SSL_get_session(ssl);
	const unsigned char	*id;
	unsigned int		 len = 0, i;

	hex[0] = '\0';
	if (sess == NULL || !SSL_is_init_finished(ssl))
		return;
	id = SSL_SESSION_get_id(sess, &len);
	for (i = 0; i < len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

/*
 * The record overhead of the negotiated cipher, as Schannel's stream sizes:
 * header (record header and explicit nonce or IV), trailer (tag, or MAC and
 * the most padding, plus TLS 1.3's content type byte) and block size.
 */
static void
stream_sizes(SSL *ssl, const SSL_CIPHER *cipher, struct ctx_info *info)
{
	const EVP_MD	*md;
	const char	*name = SSL_CIPHER_get_name(cipher);
	int		 mfl = SSL_SESSION_get_max_fragment_length(
			    SSL_get_session(ssl));
	int		 tls13 = SSL_version(ssl) >= TLS1_3_VERSION;
	int		 tag = strstr(name, "CCM8") != NULL ||
			    strstr(name, "CCM_8") != NULL ? 8 : 16;

	/* RFC 6066 max_fragment_length codes 1..4: 512..4096 bytes. */
	info->stream_max_message = mfl >= 1 && mfl <= 4 ? 512 << (mfl - 1) :
	    SSL3_RT_MAX_PLAIN_LENGTH;
	info->stream_header = 5;
	if (tls13) {
		info->stream_trailer = tag + 1;
		info->stream_block_size = 1;
	} else if (SSL_CIPHER_is_aead(cipher)) {
		/* GCM and CCM carry an 8-byte explicit nonce; ChaCha20 none. */
		if (SSL_CIPHER_get_cipher_nid(cipher) != NID_chacha20_poly1305)
			info->stream_header += 8;
		info->stream_trailer = tag;
		info->stream_block_size = 1;
	} else {
		/* CBC: an explicit IV, the MAC, then up to a block of padding. */
		md = EVP_get_digestbynid(SSL_CIPHER_get_digest_nid(cipher));
		info->stream_block_size = 16;
		info->stream_header += 16;
		info->stream_trailer = (md != NULL ? EVP_MD_get_size(md) :
		    EVP_MAX_MD_SIZE) + 16;
	}
}

/*
 * The name in RFC 2253 form, in which OpenSSL escapes every byte outside
 * printable ASCII (\XX); the line net of escape.h makes sure of it.
 */
void
tls_name_string(const X509_NAME *name, char *buf, size_t len)
{
	BIO	*bio;
	char	 text[512];
	int	 n;

	buf[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(bio, text, sizeof(text) - 1)) > 0) {
		text[n] = '\0';
		sc_escape_line(buf, len, text);
	}
	BIO_free(bio);
}

void
tls_info(SSL *ssl, struct ctx_info *info)
{
	const SSL_CIPHER	*cipher = SSL_get_current_cipher(ssl);
	const unsigned char	*alpn;
	unsigned int		 alpn_len;
	const char		*s;
	X509			*peer;
	int			 group;

	memset(info, 0, sizeof(*info));
	info->protocol = cipher != NULL ? SSL_get_version(ssl) : "";
	info->cipher = cipher != NULL ? SSL_CIPHER_get_name(cipher) : "";
	s = cipher != NULL ? SSL_CIPHER_standard_name(cipher) : NULL;
	info->cipher_iana = s != NULL ? s : "";
	/* These read the session, which a failed handshake may lack. */
	group = SSL_is_init_finished(ssl) ? SSL_get_negotiated_group(ssl) :
	    NID_undef;
	s = group != NID_undef ? SSL_group_to_name(ssl, group) : NULL;
	info->group = s != NULL ? s : "";
	info->signature = SSL_is_init_finished(ssl) ? peer_signature(ssl) :
	    "";
	if ((peer = SSL_get0_peer_certificate(ssl)) != NULL) {
		tls_name_string(X509_get_subject_name(peer),
		    info->peer_subject, sizeof(info->peer_subject));
		tls_name_string(X509_get_issuer_name(peer),
		    info->peer_issuer, sizeof(info->peer_issuer));
	}
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	sc_escape(info->alpn, sizeof(info->alpn), alpn, alpn != NULL ?
	    alpn_len : 0);
	sc_escape_str(info->sni, sizeof(info->sni),
	    SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name));
	info->resumed = SSL_session_reused(ssl);
	session_id(ssl, info->session_id);
	if (cipher != NULL && SSL_is_init_finished(ssl))
		stream_sizes(ssl, cipher, info);
}
