/*
 * What the SSPI files of libsecctx share: the table of live objects that
 * SecHandles name, and the credential object.
 */
#ifndef SECCTX_SSPI_INTERNAL_H
#define SECCTX_SSPI_INTERNAL_H

#include "secctx.h"
#include "secctx/sspi.h"

/* What a SecHandle's dwUpper says the dwLower points to. */
#define SSPI_KIND_CRED	((ULONG_PTR)0x5343435243524544ull)	/* "SCCRCRED" */
#define SSPI_KIND_CTX	((ULONG_PTR)0x5343435243435458ull)	/* "SCCRCCTX" */

/* A live object handed out as a SecHandle. */
struct sspi_obj {
	struct sspi_obj	*next;
	ULONG_PTR	 kind;
};

/*
 * A credential handle: its own daemon connection and credential.  Each
 * context made from it holds a reference, so that FreeCredentialsHandle
 * before DeleteSecurityContext leaves the contexts working, as on Windows.
 */
struct sspi_cred {
	struct sspi_obj		 obj;		/* first */
	int			 refs;		/* the handle + contexts */
	secctx_conn		*conn;
	secctx_cred		*cred;
	ULONG			 use;		/* SECPKG_CRED_INBOUND/OUTBOUND */
	enum secctx_version	 min_version;
	enum secctx_version	 max_version;
};

/* Add o to the live objects and make h name it. */
void		 sspi_register(struct sspi_obj *o, ULONG_PTR kind,
		    PSecHandle h);
/* Unlink and return the live object of 'kind' that h names, or NULL. */
struct sspi_obj	*sspi_unregister(PSecHandle h, ULONG_PTR kind);
/* The live object of 'kind' that h names, or NULL. */
struct sspi_obj	*sspi_lookup(PSecHandle h, ULONG_PTR kind);

/* The live credential h names with a new reference, or NULL. */
struct sspi_cred *sspi_cred_hold(PCredHandle h);
/* Drop a reference; the last one frees the credential. */
void		 sspi_cred_release(struct sspi_cred *c);

#endif
