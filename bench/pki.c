/*
 * The benchmark's PKI, made in-process with OpenSSL, as tests/gen-pki.sh
 * makes it with the CLI: a root CA (EC P-256), a server certificate with an
 * EC P-256 key and one with an RSA-2048 key (CN and SAN localhost,
 * 127.0.0.1), a client certificate (EC P-256).  Leaf files hold the leaf
 * only; keys are unencrypted PEM, mode 0600.
 */

#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "bench.h"

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return (0);
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return (ok);
}

/* A certificate for key, signed by issuer (self-signed when NULL). */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    const char *const *exts)
{
	X509		*x;
	X509_NAME	*name;
	unsigned char	 serial[8];
	BIGNUM		*bn = NULL;
	int		 i, ok = 0;

	if ((x = X509_new()) == NULL)
		return (NULL);
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 825L * 86400) == NULL ||
	    !X509_set_pubkey(x, key))
		goto out;
	for (i = 0; exts[i] != NULL; i += 2) {
		if (!add_ext(x, issuer != NULL ? issuer : x,
		    OBJ_txt2nid(exts[i]), exts[i + 1]))
			goto out;
	}
	if (X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()) == 0)
		goto out;
	ok = 1;
out:
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return (x);
}

static int
write_pem(const char *path, X509 *cert, EVP_PKEY *key)
{
	FILE	*f;
	int	 ok;

	if (key != NULL)
		(void)unlink(path);
	if ((f = fopen(path, "w")) == NULL)
		return (0);
	if (key != NULL)
		(void)fchmod(fileno(f), 0600);
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_X509(f, cert);
	return (fclose(f) == 0 && ok);
}

static const char *const ca_exts[] = {
	"basicConstraints", "critical,CA:TRUE",
	"keyUsage", "critical,keyCertSign,cRLSign",
	"subjectKeyIdentifier", "hash", NULL
};
static const char *const ec_server_exts[] = {
	"basicConstraints", "critical,CA:FALSE",
	"keyUsage", "critical,digitalSignature",
	"extendedKeyUsage", "serverAuth",
	"subjectAltName", "DNS:localhost,IP:127.0.0.1",
	"subjectKeyIdentifier", "hash",
	"authorityKeyIdentifier", "keyid", NULL
};
static const char *const rsa_server_exts[] = {
	"basicConstraints", "critical,CA:FALSE",
	"keyUsage", "critical,digitalSignature,keyEncipherment",
	"extendedKeyUsage", "serverAuth",
	"subjectAltName", "DNS:localhost,IP:127.0.0.1",
	"subjectKeyIdentifier", "hash",
	"authorityKeyIdentifier", "keyid", NULL
};
static const char *const client_exts[] = {
	"basicConstraints", "critical,CA:FALSE",
	"keyUsage", "critical,digitalSignature",
	"extendedKeyUsage", "clientAuth",
	"subjectKeyIdentifier", "hash",
	"authorityKeyIdentifier", "keyid", NULL
};

/* Issue one leaf and write it with its key. */
static int
issue(const char *cn, EVP_PKEY *key, X509 *ca, EVP_PKEY *cakey,
    const char *const *exts, const char *cert_path, const char *key_path)
{
	X509	*x;
	int	 ok;

	if ((x = make_cert(cn, key, ca, cakey, exts)) == NULL)
		return (0);
	ok = write_pem(cert_path, x, NULL) && write_pem(key_path, NULL, key);
	X509_free(x);
	return (ok);
}

int
pki_generate(const char *dir, struct pki *pki, char *err)
{
	EVP_PKEY	*cakey = NULL, *ec = NULL, *rsa = NULL, *cl = NULL;
	X509		*ca = NULL;
	int		 ok = 0;

	snprintf(pki->ca, sizeof(pki->ca), "%s/ca.pem", dir);
	snprintf(pki->ec_cert, sizeof(pki->ec_cert), "%s/server.pem", dir);
	snprintf(pki->ec_key, sizeof(pki->ec_key), "%s/server.key", dir);
	snprintf(pki->rsa_cert, sizeof(pki->rsa_cert), "%s/server-rsa.pem",
	    dir);
	snprintf(pki->rsa_key, sizeof(pki->rsa_key), "%s/server-rsa.key", dir);
	snprintf(pki->client_cert, sizeof(pki->client_cert), "%s/client.pem",
	    dir);
	snprintf(pki->client_key, sizeof(pki->client_key), "%s/client.key",
	    dir);
	if ((cakey = EVP_EC_gen("P-256")) == NULL ||
	    (ec = EVP_EC_gen("P-256")) == NULL ||
	    (cl = EVP_EC_gen("P-256")) == NULL ||
	    (rsa = EVP_RSA_gen(2048)) == NULL) {
		seterr(err, "key generation: %s", ssl_errstr());
		goto out;
	}
	if ((ca = make_cert("secctx bench CA", cakey, NULL, NULL,
	    ca_exts)) == NULL || !write_pem(pki->ca, ca, NULL)) {
		seterr(err, "CA certificate: %s", ssl_errstr());
		goto out;
	}
	if (!issue("localhost", ec, ca, cakey, ec_server_exts, pki->ec_cert,
	    pki->ec_key) ||
	    !issue("localhost", rsa, ca, cakey, rsa_server_exts,
	    pki->rsa_cert, pki->rsa_key) ||
	    !issue("secctx bench client", cl, ca, cakey, client_exts,
	    pki->client_cert, pki->client_key)) {
		seterr(err, "leaf certificates in %s: %s", dir, ssl_errstr());
		goto out;
	}
	ok = 1;
out:
	X509_free(ca);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(cl);
	return (ok ? 0 : -1);
}
