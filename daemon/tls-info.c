/* What a TLS connection negotiated, in the names RFC 8446 and IANA use. */

#include <string.h>

#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "secctxd.h"

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

static void
name_string(const X509_NAME *name, char *buf, size_t len)
{
	BIO	*bio;
	int	 n;

	buf[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(bio, buf, len - 1)) > 0)
		buf[n] = '\0';
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
		name_string(X509_get_subject_name(peer), info->peer_subject,
		    sizeof(info->peer_subject));
		name_string(X509_get_issuer_name(peer), info->peer_issuer,
		    sizeof(info->peer_issuer));
	}
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	if (alpn != NULL && alpn_len < sizeof(info->alpn)) {
		memcpy(info->alpn, alpn, alpn_len);
		info->alpn[alpn_len] = '\0';
	}
	s = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	info->sni = s != NULL ? s : "";
	info->resumed = SSL_session_reused(ssl);
}
