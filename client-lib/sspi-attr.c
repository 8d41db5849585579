/*
 * SSPI context attributes: QueryContextAttributes and SetContextAttributes
 * over secctx_query_info, secctx_peer_certificates,
 * secctx_export_keying_material and secctx_channel_binding, and
 * CertFreeCertificateContext for the certificates they return.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sspi-internal.h"

#define SSPI_CHAIN_MAX		16
#define SSPI_EXPORT_MAX		16384
#define SSPI_END_POINT		"tls-server-end-point"
#define SSPI_UNIQUE		"tls-unique"

static SECURITY_STATUS
sspi_stream_sizes(struct sspi_ctx *x, SecPkgContext_StreamSizes *s)
{
	SECURITY_STATUS	st;

	if ((st = sspi_ctx_sizes(x)) != SEC_E_OK)
		return (st);
	s->cbHeader = (ULONG)x->header;
	s->cbTrailer = (ULONG)sspi_stream_trailer(x);
	s->cbMaximumMessage = (ULONG)x->max_message;
	s->cBuffers = 4;
	s->cbBlockSize = (ULONG)x->block_size;
	return (SEC_E_OK);
}

/* The key size in bits of a group name: "secp256r1" 256, "x25519" 255. */
static DWORD
sspi_group_bits(const char *g)
{
	const char	*p;

	if (strcmp(g, "x25519") == 0 || strcmp(g, "X25519") == 0)
		return (255);
	for (p = g; *p != '\0'; p++)
		if (*p >= '1' && *p <= '9')
			return ((DWORD)strtoul(p, NULL, 10));
	return (0);
}

/*
 * SecPkgContext_ConnectionInfo from the negotiated names: the protocol bit
 * of our side, the bulk cipher, the handshake hash and the key exchange.
 */
static void
sspi_connection_info(const struct sspi_ctx *x, const struct secctx_info *i,
    SecPkgContext_ConnectionInfo *c)
{
	int	tls13 = strcmp(i->protocol, "TLSv1.3") == 0;

	memset(c, 0, sizeof(*c));
	if (tls13)
		c->dwProtocol = x->server ? SP_PROT_TLS1_3_SERVER :
		    SP_PROT_TLS1_3_CLIENT;
	else if (strcmp(i->protocol, "TLSv1.2") == 0)
		c->dwProtocol = x->server ? SP_PROT_TLS1_2_SERVER :
		    SP_PROT_TLS1_2_CLIENT;
	if (strstr(i->cipher_iana, "AES_128") != NULL) {
		c->aiCipher = CALG_AES_128;
		c->dwCipherStrength = 128;
	} else if (strstr(i->cipher_iana, "AES_256") != NULL) {
		c->aiCipher = CALG_AES_256;
		c->dwCipherStrength = 256;
	} else if (strstr(i->cipher_iana, "CHACHA20") != NULL)
		c->dwCipherStrength = 256;	/* no ALG_ID exists */
	if (strstr(i->cipher_iana, "SHA384") != NULL) {
		c->aiHash = CALG_SHA_384;
		c->dwHashStrength = 384;
	} else if (strstr(i->cipher_iana, "SHA256") != NULL) {
		c->aiHash = CALG_SHA_256;
		c->dwHashStrength = 256;
	}
	if (strncmp(i->group, "ffdhe", 5) == 0 ||
	    strstr(i->cipher_iana, "_DHE_") != NULL)
		c->aiExch = CALG_DH_EPHEM;
	else if (tls13 || strstr(i->cipher_iana, "_ECDHE_") != NULL)
		c->aiExch = CALG_ECDH_EPHEM;
	else if (strncmp(i->cipher_iana, "TLS_RSA_", 8) == 0)
		c->aiExch = CALG_RSA_KEYX;
	if (c->aiExch != CALG_RSA_KEYX)
		c->dwExchStrength = sspi_group_bits(i->group);
}

static void
sspi_application_protocol(const struct secctx_info *i,
    SecPkgContext_ApplicationProtocol *a)
{
	size_t	len = strlen(i->alpn);

	memset(a, 0, sizeof(*a));
	if (len == 0 || len > MAX_PROTOCOL_ID_SIZE)
		return;
	a->ProtoNegoStatus = SecApplicationProtocolNegotiationStatus_Success;
	a->ProtoNegoExt = SecApplicationProtocolNegotiationExt_ALPN;
	a->ProtocolIdSize = (UCHAR)len;
	memcpy(a->ProtocolId, i->alpn, len);
}

static void
sspi_session_info(const struct secctx_info *i, SecPkgContext_SessionInfo *s)
{
	size_t		n = strlen(i->session_id) / 2, k;
	unsigned int	v;

	memset(s, 0, sizeof(*s));
	s->dwFlags = i->resumed ? SSL_SESSION_RECONNECT : 0;
	if (n > sizeof(s->rgbSessionId))
		n = sizeof(s->rgbSessionId);
	for (k = 0; k < n; k++) {
		if (sscanf(i->session_id + 2 * k, "%2x", &v) != 1)
			break;
		s->rgbSessionId[k] = (BYTE)v;
	}
	s->cbSessionId = (DWORD)k;
}

/* The attributes read from secctx_query_info. */
static SECURITY_STATUS
sspi_info_attr(struct sspi_ctx *x, ULONG attr, void *buf)
{
	struct secctx_info	*i;
	SECURITY_STATUS		 st;

	if (!x->done)
		return (SEC_E_INVALID_HANDLE);
	if ((i = malloc(sizeof(*i))) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	if ((st = secctx_query_info(x->ctx, i)) == SEC_E_OK) {
		if (attr == SECPKG_ATTR_CONNECTION_INFO)
			sspi_connection_info(x, i, buf);
		else if (attr == SECPKG_ATTR_APPLICATION_PROTOCOL)
			sspi_application_protocol(i, buf);
		else
			sspi_session_info(i, buf);
	}
	free(i);
	return (st);
}

/* The peer's leaf certificate as a CERT_CONTEXT in one block. */
static SECURITY_STATUS
sspi_remote_cert(struct sspi_ctx *x, PCCERT_CONTEXT *out)
{
	CERT_CONTEXT	*cc;
	void		*der = NULL;
	size_t		 der_len = 0, lens[SSPI_CHAIN_MAX];
	size_t		 count = SSPI_CHAIN_MAX;
	SECURITY_STATUS	 st;

	*out = NULL;
	st = secctx_peer_certificates(x->ctx, &der, &der_len, lens, &count);
	if (st != SEC_E_OK)
		return (st);
	if (count == 0) {
		secctx_free(der);
		return (SEC_E_NO_CREDENTIALS);
	}
	if ((cc = calloc(1, sizeof(*cc) + lens[0])) == NULL) {
		secctx_free(der);
		return (SEC_E_INSUFFICIENT_MEMORY);
	}
	cc->dwCertEncodingType = X509_ASN_ENCODING | PKCS_7_ASN_ENCODING;
	cc->pbCertEncoded = (BYTE *)(cc + 1);
	cc->cbCertEncoded = (DWORD)lens[0];
	memcpy(cc->pbCertEncoded, der, lens[0]);
	secctx_free(der);
	*out = cc;
	return (SEC_E_OK);
}

/*
 * The bindings of SECPKG_ATTR_ENDPOINT_BINDINGS or UNIQUE_BINDINGS in one
 * block: the application data is the type, a colon and the binding data.
 */
static SECURITY_STATUS
sspi_bindings(struct sspi_ctx *x, const char *type, SecPkgContext_Bindings *b)
{
	SEC_CHANNEL_BINDINGS	*cb;
	void			*data = NULL;
	size_t			 len = 0, plen = strlen(type) + 1;
	SECURITY_STATUS		 st;

	memset(b, 0, sizeof(*b));
	if ((st = secctx_channel_binding(x->ctx, type, &data, &len)) !=
	    SEC_E_OK)
		return (st);
	if ((cb = calloc(1, sizeof(*cb) + plen + len)) == NULL) {
		secctx_free(data);
		return (SEC_E_INSUFFICIENT_MEMORY);
	}
	cb->cbApplicationDataLength = (ULONG)(plen + len);
	cb->dwApplicationDataOffset = sizeof(*cb);
	memcpy(cb + 1, type, plen - 1);
	((char *)(cb + 1))[plen - 1] = ':';
	memcpy((uint8_t *)(cb + 1) + plen, data, len);
	secctx_free(data);
	b->BindingsLength = (ULONG)(sizeof(*cb) + plen + len);
	b->Bindings = cb;
	return (SEC_E_OK);
}

/* RFC 5705 keying material as SetContextAttributes described it. */
static SECURITY_STATUS
sspi_keying_material(struct sspi_ctx *x, SecPkgContext_KeyingMaterial *k)
{
	SECURITY_STATUS	st;

	memset(k, 0, sizeof(*k));
	if (x->km_label == NULL)
		return (SEC_E_INVALID_PARAMETER);
	if ((k->pbKeyingMaterial = malloc(x->km_len)) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	st = secctx_export_keying_material(x->ctx, x->km_label, x->km_context,
	    x->km_context_len, k->pbKeyingMaterial, x->km_len);
	if (st != SEC_E_OK) {
		free(k->pbKeyingMaterial);
		k->pbKeyingMaterial = NULL;
		return (st);
	}
	k->cbKeyingMaterial = (DWORD)x->km_len;
	return (SEC_E_OK);
}

static SECURITY_STATUS
sspi_query(struct sspi_ctx *x, ULONG attr, void *buf)
{
	if (!x->done && attr != SECPKG_ATTR_STREAM_SIZES)
		return (SEC_E_INVALID_HANDLE);
	switch (attr) {
	case SECPKG_ATTR_STREAM_SIZES:
		return (sspi_stream_sizes(x, buf));
	case SECPKG_ATTR_CONNECTION_INFO:
	case SECPKG_ATTR_APPLICATION_PROTOCOL:
	case SECPKG_ATTR_SESSION_INFO:
		return (sspi_info_attr(x, attr, buf));
	case SECPKG_ATTR_REMOTE_CERT_CONTEXT:
		return (sspi_remote_cert(x, buf));
	case SECPKG_ATTR_ENDPOINT_BINDINGS:
		return (sspi_bindings(x, SSPI_END_POINT, buf));
	case SECPKG_ATTR_UNIQUE_BINDINGS:
		return (sspi_bindings(x, SSPI_UNIQUE, buf));
	case SECPKG_ATTR_KEYING_MATERIAL:
		return (sspi_keying_material(x, buf));
	default:
		return (SEC_E_UNSUPPORTED_FUNCTION);
	}
}

SECURITY_STATUS SEC_ENTRY
QueryContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute,
    void *pBuffer)
{
	struct sspi_ctx	*x;
	SECURITY_STATUS	 st;

	if ((x = sspi_ctx_lookup(phContext)) == NULL)
		return (SEC_E_INVALID_HANDLE);
	if (pBuffer == NULL)
		return (SEC_E_INVALID_PARAMETER);
	pthread_mutex_lock(&x->lock);
	st = sspi_query(x, ulAttribute, pBuffer);
	pthread_mutex_unlock(&x->lock);
	return (st);
}

/* No attribute secctx answers holds a string: both forms are one. */
SECURITY_STATUS SEC_ENTRY
QueryContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute,
    void *pBuffer)
{
	return (QueryContextAttributesA(phContext, ulAttribute, pBuffer));
}

/* Keep what SECPKG_ATTR_KEYING_MATERIAL will export. */
static SECURITY_STATUS
sspi_set_keying_info(struct sspi_ctx *x, const void *buf, ULONG len)
{
	const SecPkgContext_KeyingMaterialInfo	*k = buf;
	char					*label;
	uint8_t					*value = NULL;

	if (len < sizeof(*k) || k->pszLabel == NULL || k->cbLabel == 0 ||
	    strnlen(k->pszLabel, k->cbLabel) != (size_t)k->cbLabel - 1 ||
	    k->cbKeyingMaterial == 0 ||
	    k->cbKeyingMaterial > SSPI_EXPORT_MAX ||
	    (k->cbContextValue > 0 && k->pbContextValue == NULL))
		return (SEC_E_INVALID_PARAMETER);
	if ((label = strdup(k->pszLabel)) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	if (k->cbContextValue > 0) {
		if ((value = malloc(k->cbContextValue)) == NULL) {
			free(label);
			return (SEC_E_INSUFFICIENT_MEMORY);
		}
		memcpy(value, k->pbContextValue, k->cbContextValue);
	}
	free(x->km_label);
	free(x->km_context);
	x->km_label = label;
	x->km_context = value;
	x->km_context_len = k->cbContextValue;
	x->km_len = k->cbKeyingMaterial;
	return (SEC_E_OK);
}

SECURITY_STATUS SEC_ENTRY
SetContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute,
    void *pBuffer, ULONG cbBuffer)
{
	struct sspi_ctx	*x;
	SECURITY_STATUS	 st;

	if ((x = sspi_ctx_lookup(phContext)) == NULL)
		return (SEC_E_INVALID_HANDLE);
	if (ulAttribute != SECPKG_ATTR_KEYING_MATERIAL_INFO)
		return (SEC_E_UNSUPPORTED_FUNCTION);
	if (pBuffer == NULL)
		return (SEC_E_INVALID_PARAMETER);
	pthread_mutex_lock(&x->lock);
	st = sspi_set_keying_info(x, pBuffer, cbBuffer);
	pthread_mutex_unlock(&x->lock);
	return (st);
}

SECURITY_STATUS SEC_ENTRY
SetContextAttributesW(PCtxtHandle phContext, ULONG ulAttribute,
    void *pBuffer, ULONG cbBuffer)
{
	return (SetContextAttributesA(phContext, ulAttribute, pBuffer,
	    cbBuffer));
}

BOOL
CertFreeCertificateContext(PCCERT_CONTEXT pCertContext)
{
	free((void *)pCertContext);
	return (TRUE);
}
