/*
 * The SSPI layer: Windows Schannel entry points over the native secctx_*
 * API.  Nothing here speaks to the daemon directly; every operation is a
 * call of the public API (secctx.h).  Handles given to the caller are
 * checked against the table of live objects, so a stale or made-up handle
 * is SEC_E_INVALID_HANDLE and never dereferenced.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sspi-internal.h"

static pthread_mutex_t	 sspi_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sspi_obj	*sspi_live;

void
sspi_register(struct sspi_obj *o, ULONG_PTR kind, PSecHandle h)
{
	o->kind = kind;
	pthread_mutex_lock(&sspi_lock);
	o->next = sspi_live;
	sspi_live = o;
	pthread_mutex_unlock(&sspi_lock);
	h->dwLower = (ULONG_PTR)o;
	h->dwUpper = kind;
}

struct sspi_obj *
sspi_unregister(PSecHandle h, ULONG_PTR kind)
{
	struct sspi_obj	**pp, *o = NULL;

	if (h == NULL || h->dwUpper != kind)
		return (NULL);
	pthread_mutex_lock(&sspi_lock);
	for (pp = &sspi_live; *pp != NULL; pp = &(*pp)->next) {
		if ((ULONG_PTR)*pp == h->dwLower && (*pp)->kind == kind) {
			o = *pp;
			*pp = o->next;
			break;
		}
	}
	pthread_mutex_unlock(&sspi_lock);
	return (o);
}

struct sspi_obj *
sspi_lookup(PSecHandle h, ULONG_PTR kind)
{
	struct sspi_obj	*o;

	if (h == NULL || h->dwUpper != kind)
		return (NULL);
	pthread_mutex_lock(&sspi_lock);
	for (o = sspi_live; o != NULL; o = o->next)
		if ((ULONG_PTR)o == h->dwLower && o->kind == kind)
			break;
	pthread_mutex_unlock(&sspi_lock);
	return (o);
}

struct sspi_cred *
sspi_cred_hold(PCredHandle h)
{
	struct sspi_obj	*o;

	if (h == NULL || h->dwUpper != SSPI_KIND_CRED)
		return (NULL);
	pthread_mutex_lock(&sspi_lock);
	for (o = sspi_live; o != NULL; o = o->next)
		if ((ULONG_PTR)o == h->dwLower && o->kind == SSPI_KIND_CRED) {
			((struct sspi_cred *)o)->refs++;
			break;
		}
	pthread_mutex_unlock(&sspi_lock);
	return ((struct sspi_cred *)o);
}

void
sspi_cred_release(struct sspi_cred *c)
{
	int	last;

	pthread_mutex_lock(&sspi_lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&sspi_lock);
	if (!last)
		return;
	secctx_cred_free(c->cred);
	secctx_disconnect(c->conn);
	free(c);
}

/* Package names Schannel answers to; the first is its canonical name. */
static const char *const sspi_names[] = { UNISP_NAME_A, SCHANNEL_NAME_A };

/* The index in sspi_names of 'name', or -1. */
static int
sspi_package(const char *name)
{
	size_t	i;

	if (name == NULL)
		return (-1);
	for (i = 0; i < sizeof(sspi_names) / sizeof(sspi_names[0]); i++)
		if (strcasecmp(name, sspi_names[i]) == 0)
			return ((int)i);
	return (-1);
}

/*
 * An ASCII copy of a wide string into buf (size n), for names that are
 * ASCII by definition.  0 if it is not ASCII or too long.
 */
static int
sspi_narrow(const wchar_t *w, char *buf, size_t n)
{
	size_t	i;

	for (i = 0; w[i] != L'\0'; i++) {
		if (i + 1 >= n || w[i] < 1 || w[i] > 0x7f)
			return (0);
		buf[i] = (char)w[i];
	}
	buf[i] = '\0';
	return (1);
}

/*
 * The version bounds for an enabled protocol set (SP_PROT_* bits; 0 means
 * the default) on one side.
 */
static secctx_status
sspi_versions(DWORD enabled, ULONG use, struct sspi_cred *c)
{
	DWORD	tls12, tls13;

	c->min_version = c->max_version = SECCTX_VERSION_DEFAULT;
	if (enabled == 0)
		return (SEC_E_OK);
	if (use == SECPKG_CRED_OUTBOUND) {
		tls12 = enabled & SP_PROT_TLS1_2_CLIENT;
		tls13 = enabled & SP_PROT_TLS1_3_CLIENT;
	} else {
		tls12 = enabled & SP_PROT_TLS1_2_SERVER;
		tls13 = enabled & SP_PROT_TLS1_3_SERVER;
	}
	if (!tls12 && !tls13)
		return (SEC_E_ALGORITHM_MISMATCH);
	c->min_version = tls12 ? SECCTX_TLS1_2 : SECCTX_TLS1_3;
	c->max_version = tls13 ? SECCTX_TLS1_3 : SECCTX_TLS1_2;
	return (SEC_E_OK);
}

/*
 * DTLS is not served: asked for alone it is unsupported, and mixed with
 * TLS in one credential it is the mismatch Schannel reports.
 */
static secctx_status
sspi_no_dtls(DWORD enabled)
{
	if ((enabled & SP_PROT_DTLS1_X) == 0)
		return (SEC_E_OK);
	if ((enabled & ~SP_PROT_DTLS1_X) != 0)
		return (SEC_E_ALGORITHM_MISMATCH);
	return (SEC_E_UNSUPPORTED_FUNCTION);
}

/*
 * "Manually Validating Schannel Credentials": the client completes the
 * handshake whatever the server's certificate and validates the chain
 * itself.  The daemon still verifies and audits; its caller policy and
 * the credential decide whether this is allowed.  Without a name-only
 * skip, SCH_CRED_NO_SERVERNAME_CHECK leaves the whole validation to the
 * application too.
 */
static void
sspi_flags(DWORD flags, ULONG use, struct sspi_cred *c)
{
	if (use == SECPKG_CRED_OUTBOUND && (flags &
	    (SCH_CRED_MANUAL_CRED_VALIDATION | SCH_CRED_NO_SERVERNAME_CHECK)))
		c->manual_validation = 1;
}

/* Read pAuthData (NULL, SCHANNEL_CRED or SCH_CREDENTIALS) into c. */
static secctx_status
sspi_auth_data(const void *auth, ULONG use, struct sspi_cred *c)
{
	const SCHANNEL_CRED	*sc;
	const SCH_CREDENTIALS	*sch;
	DWORD			 disabled = 0, i;
	secctx_status		 st;

	if (auth == NULL)
		return (sspi_versions(0, use, c));
	switch (*(const DWORD *)auth) {
	case SCHANNEL_CRED_VERSION:
		sc = auth;
		if (sc->cMappers != 0 || sc->cSupportedAlgs != 0)
			return (SEC_E_UNSUPPORTED_FUNCTION);
		if ((st = sspi_no_dtls(sc->grbitEnabledProtocols)) != SEC_E_OK)
			return (st);
		sspi_flags(sc->dwFlags, use, c);
		return (sspi_versions(sc->grbitEnabledProtocols, use, c));
	case SCH_CREDENTIALS_VERSION:
		sch = auth;
		if (sch->cMappers != 0)
			return (SEC_E_UNSUPPORTED_FUNCTION);
		sspi_flags(sch->dwFlags, use, c);
		if (sch->cTlsParameters != 0 && sch->pTlsParameters == NULL)
			return (SEC_E_INVALID_PARAMETER);
		for (i = 0; i < sch->cTlsParameters; i++)
			disabled |= sch->pTlsParameters[i].grbitDisabledProtocols;
		if (disabled == 0)
			return (sspi_versions(0, use, c));
		return (sspi_versions(~disabled, use, c));
	default:
		return (SEC_E_UNKNOWN_CREDENTIALS);
	}
}

SECURITY_STATUS SEC_ENTRY
AcquireCredentialsHandleA(LPSTR pszPrincipal, LPSTR pszPackage,
    ULONG fCredentialUse, void *pvLogonId, void *pAuthData,
    SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
    PCredHandle phCredential, PTimeStamp ptsExpiry)
{
	struct sspi_cred	*c;
	const char		*name = pszPrincipal;
	secctx_status		 st;

	if (phCredential == NULL || pvLogonId != NULL || pGetKeyFn != NULL ||
	    pvGetKeyArgument != NULL)
		return (SEC_E_INVALID_PARAMETER);
	if (sspi_package(pszPackage) < 0)
		return (SEC_E_SECPKG_NOT_FOUND);
	if (fCredentialUse != SECPKG_CRED_OUTBOUND &&
	    fCredentialUse != SECPKG_CRED_INBOUND)
		return (SEC_E_UNSUPPORTED_FUNCTION);
	if (name == NULL || *name == '\0')
		name = fCredentialUse == SECPKG_CRED_OUTBOUND ? "client" :
		    "server";

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	c->use = fCredentialUse;
	if ((st = sspi_auth_data(pAuthData, fCredentialUse, c)) != SEC_E_OK)
		goto out;
	if ((st = secctx_connect(NULL, &c->conn)) != SEC_E_OK)
		goto out;
	st = secctx_cred_acquire(c->conn, name,
	    fCredentialUse == SECPKG_CRED_OUTBOUND ? SECCTX_OUTBOUND :
	    SECCTX_INBOUND, &c->cred);
	if (st != SEC_E_OK)
		goto out;

	c->refs = 1;
	sspi_register(&c->obj, SSPI_KIND_CRED, phCredential);
	if (ptsExpiry != NULL) {
		ptsExpiry->LowPart = 0xFFFFFFFFu;
		ptsExpiry->HighPart = 0x7FFFFFFF;
	}
	c = NULL;
out:
	if (c != NULL) {
		secctx_disconnect(c->conn);
		free(c);
	}
	return (st);
}

SECURITY_STATUS SEC_ENTRY
AcquireCredentialsHandleW(LPWSTR pszPrincipal, LPWSTR pszPackage,
    ULONG fCredentialUse, void *pvLogonId, void *pAuthData,
    SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
    PCredHandle phCredential, PTimeStamp ptsExpiry)
{
	char	principal[128], package[64];

	if (pszPackage == NULL ||
	    !sspi_narrow(pszPackage, package, sizeof(package)))
		return (SEC_E_SECPKG_NOT_FOUND);
	if (pszPrincipal != NULL &&
	    !sspi_narrow(pszPrincipal, principal, sizeof(principal)))
		return (SEC_E_UNKNOWN_CREDENTIALS);
	return (AcquireCredentialsHandleA(pszPrincipal ? principal : NULL,
	    package, fCredentialUse, pvLogonId, pAuthData, pGetKeyFn,
	    pvGetKeyArgument, phCredential, ptsExpiry));
}

SECURITY_STATUS SEC_ENTRY
FreeCredentialsHandle(PCredHandle phCredential)
{
	struct sspi_cred	*c;

	c = (struct sspi_cred *)sspi_unregister(phCredential, SSPI_KIND_CRED);
	if (c == NULL)
		return (SEC_E_INVALID_HANDLE);
	sspi_cred_release(c);
	return (SEC_E_OK);
}

SECURITY_STATUS SEC_ENTRY
FreeContextBuffer(PVOID pvContextBuffer)
{
	secctx_free(pvContextBuffer);
	return (SEC_E_OK);
}

/*
 * What Schannel reports of itself: capabilities, version 1, its RPC id and
 * the largest token it produces.
 */
#define SSPI_CAPABILITIES	(SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY | \
	SECPKG_FLAG_CONNECTION | SECPKG_FLAG_MULTI_REQUIRED | \
	SECPKG_FLAG_EXTENDED_ERROR | SECPKG_FLAG_IMPERSONATION | \
	SECPKG_FLAG_ACCEPT_WIN32_NAME | SECPKG_FLAG_STREAM | \
	SECPKG_FLAG_MUTUAL_AUTH)
#define SSPI_MAX_TOKEN		0x6000
#define SSPI_COMMENT		"Schannel Security Package"

static void
sspi_fill_info(ULONG *caps, USHORT *version, USHORT *rpcid, ULONG *maxtok)
{
	*caps = SSPI_CAPABILITIES;
	*version = 1;
	*rpcid = UNISP_RPC_ID;
	*maxtok = SSPI_MAX_TOKEN;
}

SECURITY_STATUS SEC_ENTRY
QuerySecurityPackageInfoA(LPSTR pszPackageName, PSecPkgInfoA *ppPackageInfo)
{
	SecPkgInfoA	*pi;
	const char	*name;
	size_t		 nlen, clen = sizeof(SSPI_COMMENT);
	int		 i;

	if (ppPackageInfo == NULL)
		return (SEC_E_INVALID_PARAMETER);
	*ppPackageInfo = NULL;
	if ((i = sspi_package(pszPackageName)) < 0)
		return (SEC_E_SECPKG_NOT_FOUND);
	name = sspi_names[i];
	nlen = strlen(name) + 1;
	/* One block, so that one FreeContextBuffer releases it all. */
	if ((pi = calloc(1, sizeof(*pi) + nlen + clen)) == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	sspi_fill_info(&pi->fCapabilities, &pi->wVersion, &pi->wRPCID,
	    &pi->cbMaxToken);
	pi->Name = (char *)(pi + 1);
	memcpy(pi->Name, name, nlen);
	pi->Comment = pi->Name + nlen;
	memcpy(pi->Comment, SSPI_COMMENT, clen);
	*ppPackageInfo = pi;
	return (SEC_E_OK);
}

SECURITY_STATUS SEC_ENTRY
QuerySecurityPackageInfoW(LPWSTR pszPackageName, PSecPkgInfoW *ppPackageInfo)
{
	SecPkgInfoW	*pi;
	char		 narrow[64];
	const char	*name;
	size_t		 nlen, clen = sizeof(SSPI_COMMENT), k;
	int		 i;

	if (ppPackageInfo == NULL)
		return (SEC_E_INVALID_PARAMETER);
	*ppPackageInfo = NULL;
	if (pszPackageName == NULL ||
	    !sspi_narrow(pszPackageName, narrow, sizeof(narrow)) ||
	    (i = sspi_package(narrow)) < 0)
		return (SEC_E_SECPKG_NOT_FOUND);
	name = sspi_names[i];
	nlen = strlen(name) + 1;
	pi = calloc(1, sizeof(*pi) + (nlen + clen) * sizeof(wchar_t));
	if (pi == NULL)
		return (SEC_E_INSUFFICIENT_MEMORY);
	sspi_fill_info(&pi->fCapabilities, &pi->wVersion, &pi->wRPCID,
	    &pi->cbMaxToken);
	pi->Name = (wchar_t *)(pi + 1);
	pi->Comment = pi->Name + nlen;
	for (k = 0; k < nlen; k++)
		pi->Name[k] = (wchar_t)name[k];
	for (k = 0; k < clen; k++)
		pi->Comment[k] = (wchar_t)SSPI_COMMENT[k];
	*ppPackageInfo = pi;
	return (SEC_E_OK);
}
