/*
 * SSPI peers for the tests: handshake loops written as Windows programs
 * write them, and an in-memory pair of contexts.
 */
#ifndef SSPI_PEERS_H
#define SSPI_PEERS_H

#include "harness.h"
#include "secctx/sspi.h"

#define SSPI_IO_BUFFER_SIZE	0x10000

#define SSPI_CLIENT_FLAGS	(ISC_REQ_SEQUENCE_DETECT | \
	ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY | \
	ISC_REQ_EXTENDED_ERROR | ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM)
#define SSPI_SERVER_FLAGS	(ASC_REQ_SEQUENCE_DETECT | \
	ASC_REQ_REPLAY_DETECT | ASC_REQ_CONFIDENTIALITY | \
	ASC_REQ_EXTENDED_ERROR | ASC_REQ_ALLOCATE_MEMORY | ASC_REQ_STREAM)

/*
 * *pfContextAttr as Schannel reports it for a TLS stream: REPLAY,
 * SEQUENCE, CONFIDENTIALITY and STREAM always; EXTENDED_ERROR (and
 * MUTUAL_AUTH, USE_SUPPLIED_CREDS) when asked; ALLOCATED_MEMORY when the
 * call allocated its output.
 */
#define SSPI_ISC_ALWAYS		(ISC_RET_REPLAY_DETECT | \
	ISC_RET_SEQUENCE_DETECT | ISC_RET_CONFIDENTIALITY | ISC_RET_STREAM)
#define SSPI_ASC_ALWAYS		(ASC_RET_REPLAY_DETECT | \
	ASC_RET_SEQUENCE_DETECT | ASC_RET_CONFIDENTIALITY | ASC_RET_STREAM)
#define SSPI_CLIENT_ATTRS	(SSPI_ISC_ALWAYS | ISC_RET_EXTENDED_ERROR)
#define SSPI_SERVER_ATTRS	(SSPI_ASC_ALWAYS | ASC_RET_EXTENDED_ERROR)

/* AcquireCredentialsHandle with an SCHANNEL_CRED of these protocols. */
void		 sspi_acquire(const char *name, ULONG use, DWORD protocols,
		    PCredHandle h);

/*
 * The client handshake of the WebClient sample over fd: a first call with
 * pFirstInput (NULL, or SECBUFFER_APPLICATION_PROTOCOLS), then the loop.
 * Bytes received after the handshake are copied to pExtraData (free()).
 * A failed context is deleted.
 */
SECURITY_STATUS	 sspi_client_handshake(int fd, PCredHandle, const char *server,
		    PSecBufferDesc pFirstInput, CtxtHandle *, ULONG *attrs,
		    SecBuffer *pExtraData);

/* The server handshake of the server samples over fd. */
SECURITY_STATUS	 sspi_server_handshake(int fd, PCredHandle, DWORD flags,
		    CtxtHandle *, ULONG *attrs, SecBuffer *pExtraData);

/* One end of an in-memory SSPI pair. */
struct sspi_side {
	int		 server;
	CredHandle	 cred;
	CtxtHandle	 ctx;
	int		 started;
	uint8_t		 in[SSPI_IO_BUFFER_SIZE];
	size_t		 in_len;
	size_t		 give;		/* trickle: bytes offered this call */
	SECURITY_STATUS	 status;
	int		 done;
	int		 incomplete;	/* SEC_E_INCOMPLETE_MESSAGE results */
	int		 incomplete_creds; /* SEC_I_INCOMPLETE_CREDENTIALS */
	ULONG		 flags;		/* fContextReq */
};

struct sspi_side *sspi_side_open(int server, const char *cred);
void		 sspi_side_close(struct sspi_side *);
/* One ISC/ASC call with what the side received; the output to the peer. */
void		 sspi_side_step(struct sspi_side *, struct sspi_side *peer,
		    int trickle);
/* Step both sides until both are done, the server first. */
void		 sspi_side_continue(struct sspi_side *c, struct sspi_side *s,
		    int trickle);
/* The whole handshake, from the client's first call. */
void		 sspi_side_run(struct sspi_side *c, struct sspi_side *s,
		    int trickle);
void		 sspi_side_run_from_client(struct sspi_side *c,
		    struct sspi_side *s);

/*
 * EncryptMessage of "hello" into block (512 bytes: header room, data,
 * trailer), the record laid end to end, its length in *len; and
 * DecryptMessage of one record, in place.
 */
SECURITY_STATUS	 sspi_hello_encrypt(PCtxtHandle, uint8_t *block, size_t *len);
SECURITY_STATUS	 sspi_record_decrypt(PCtxtHandle, uint8_t *in, size_t len);

#endif
