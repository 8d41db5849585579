/*
 * What the SSPI files of libsecctx share: the table of live objects that
 * SecHandles name, and the credential object.
 */
#ifndef SECCTX_SSPI_INTERNAL_H
#define SECCTX_SSPI_INTERNAL_H

#include <pthread.h>

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
	int			 manual_validation; /* the application
						   validates the server */
};

/*
 * A context handle.  'lock' serialises the calls on one context, so that
 * one thread may encrypt while another decrypts (as Schannel allows) and
 * bytes the daemon asks to send ahead of the next record ('pending') are
 * sent in order.
 */
struct sspi_ctx {
	struct sspi_obj		 obj;		/* first */
	pthread_mutex_t		 lock;
	struct sspi_cred	*cred;		/* held */
	secctx_ctx		*ctx;		/* NULL before the daemon made one
						   and after a failure */
	int			 server;
	int			 dead;		/* a call failed */
	int			 done;		/* the handshake is complete */
	int			 shutdown;	/* ApplyControlToken(SHUTDOWN) */
	/*
	 * ApplyControlToken on an unfinished handshake: the next handshake
	 * call returns this alert as a plaintext record and ends the
	 * handshake ('closed': the native context is gone).
	 */
	int			 alert;
	uint8_t			 alert_level;
	uint8_t			 alert_desc;
	int			 closed;
	/* SEC_I_INCOMPLETE_CREDENTIALS was returned (once per context). */
	int			 cred_asked;
	/* Then: the bytes of the input the daemon took already. */
	size_t			 consumed;
	char			*target;
	/* Stream sizes of the native context, once known. */
	size_t			 header;
	size_t			 trailer;
	size_t			 max_message;
	size_t			 block_size;
	/* Bytes to send before the next record. */
	uint8_t			*pending;
	size_t			 pending_len;
	/* SetContextAttributes(SECPKG_ATTR_KEYING_MATERIAL_INFO). */
	char			*km_label;
	uint8_t			*km_context;	/* NULL: no context value */
	size_t			 km_context_len;
	size_t			 km_len;
};

/*
 * Room for the short records (a TLS 1.3 KeyUpdate answer, a TLS 1.2
 * no_renegotiation warning) that must go out before the next data record:
 * the cbTrailer SECPKG_ATTR_STREAM_SIZES reports is the record's trailer
 * plus this, so EncryptMessage can send them in the same buffers.
 */
#define SSPI_SHORT_RECORD_DATA	16
#define SSPI_SHORT_RECORDS	2

/* The first buffer of 'type' in d from index 'from', or NULL. */
SecBuffer	*sspi_find(PSecBufferDesc d, ULONG type, ULONG from);

/* The live, usable context h names, or NULL. */
struct sspi_ctx	*sspi_ctx_lookup(PCtxtHandle h);
/* With x->lock held: fill in the stream sizes if not yet known. */
SECURITY_STATUS	 sspi_ctx_sizes(struct sspi_ctx *x);
/* With x->lock held: after a failed call, the native context is gone. */
void		 sspi_ctx_failed(struct sspi_ctx *x);
/* With x->lock held: append bytes to send before the next record. */
SECURITY_STATUS	 sspi_ctx_pend(struct sspi_ctx *x, const void *p, size_t len);

/* The cbTrailer that SECPKG_ATTR_STREAM_SIZES reports (sizes known). */
size_t		 sspi_stream_trailer(const struct sspi_ctx *x);

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
