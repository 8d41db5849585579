/*
 * SSPI credential attributes: QueryCredentialsAttributes over the versions
 * a credential handle was acquired for and secctx_cred_subject.
 */

#include <stdlib.h>
#include <string.h>

#include "sspi-internal.h"

/* The SP_PROT_* bits of one version bound in the credential's direction. */
static DWORD
sspi_cred_protocol(const struct sspi_cred *c, enum secctx_version v)
{
	int	client = c->use == SECPKG_CRED_OUTBOUND;

	if (v == SECCTX_TLS1_2)
		return (client ? SP_PROT_TLS1_2_CLIENT : SP_PROT_TLS1_2_SERVER);
	return (client ? SP_PROT_TLS1_3_CLIENT : SP_PROT_TLS1_3_SERVER);
}

/*
 * The protocols the handle was acquired for: the versions from its lower
 * to its upper bound, both TLS 1.2 and 1.3 for a default bound.
 */
static void
sspi_supported_protocols(const struct sspi_cred *c,
    SecPkgCred_SupportedProtocols *p)
{
	enum secctx_version	lo = c->min_version, hi = c->max_version;

	if (lo == SECCTX_VERSION_DEFAULT)
		lo = SECCTX_TLS1_2;
	if (hi == SECCTX_VERSION_DEFAULT)
		hi = SECCTX_TLS1_3;
	p->grbitProtocol = sspi_cred_protocol(c, lo) |
	    sspi_cred_protocol(c, hi);
}

/* The certificate subject as a string to release with FreeContextBuffer. */
static SECURITY_STATUS
sspi_cred_names_a(const struct sspi_cred *c, SecPkgCredentials_NamesA *n)
{
	const char	*subject;
	SECURITY_STATUS	 st;

	n->sUserName = NULL;
	if ((st = secctx_cred_subject(c->cred, &subject)) != SEC_E_OK)
		return (st);
	if ((n->sUserName = strdup(subject)) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	return (SEC_E_OK);
}

/* The same, widened: the daemon sends the subject as ASCII. */
static SECURITY_STATUS
sspi_cred_names_w(const struct sspi_cred *c, SecPkgCredentials_NamesW *n)
{
	const char	*subject;
	size_t		 len, i;
	SECURITY_STATUS	 st;

	n->sUserName = NULL;
	if ((st = secctx_cred_subject(c->cred, &subject)) != SEC_E_OK)
		return (st);
	len = strlen(subject) + 1;
	if ((n->sUserName = calloc(len, sizeof(wchar_t))) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	for (i = 0; i < len; i++)
		n->sUserName[i] = (wchar_t)(unsigned char)subject[i];
	return (SEC_E_OK);
}

static SECURITY_STATUS
sspi_query_cred(PCredHandle phCredential, ULONG ulAttribute, void *pBuffer,
    int wide)
{
	struct sspi_cred	*c;
	SECURITY_STATUS		 st;

	if ((c = sspi_cred_hold(phCredential)) == NULL)
		return (SEC_E_INVALID_HANDLE);
	if (pBuffer == NULL)
		st = SEC_E_INTERNAL_ERROR;
	else if (ulAttribute == SECPKG_ATTR_SUPPORTED_PROTOCOLS) {
		sspi_supported_protocols(c, pBuffer);
		st = SEC_E_OK;
	} else if (ulAttribute == SECPKG_CRED_ATTR_NAMES)
		st = wide ? sspi_cred_names_w(c, pBuffer) :
		    sspi_cred_names_a(c, pBuffer);
	else
		st = SEC_E_UNSUPPORTED_FUNCTION;
	sspi_cred_release(c);
	return (st);
}

SECURITY_STATUS SEC_ENTRY
QueryCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
    void *pBuffer)
{
	return (sspi_query_cred(phCredential, ulAttribute, pBuffer, 0));
}

SECURITY_STATUS SEC_ENTRY
QueryCredentialsAttributesW(PCredHandle phCredential, ULONG ulAttribute,
    void *pBuffer)
{
	return (sspi_query_cred(phCredential, ulAttribute, pBuffer, 1));
}
