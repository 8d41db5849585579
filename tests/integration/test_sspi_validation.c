/*
 * SSPI credential flags against daemons of their own: manual validation
 * ("Manually Validating Schannel Credentials") completes a handshake with
 * a server whose certificate does not verify when the caller's policy
 * allows it and the credential does not forbid it, leaves the chain to the
 * application and says so in the audit line; refused, it is
 * SEC_E_NOT_OWNER.  DTLS bits are refused at acquisition.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "xdaemon.h"
#include "secctx/sspi.h"

#define CREDENTIALS \
	"\"credentials\": [" \
	"{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", " \
	" \"uids\": [@UID@]}," \
	"{\"name\": \"client-validating\", \"ca_file\": \"@PKI@/ca.pem\", " \
	" \"uids\": [@UID@], \"allow_skip_validation\": false}," \
	"{\"name\": \"server\", \"certificate\": \"@PKI@/server.pem\", " \
	" \"private_key\": \"@PKI@/server.key\", \"uids\": [@UID@]}," \
	"{\"name\": \"other-server\", \"certificate\": " \
	" \"@PKI@/other-server.pem\", \"private_key\": " \
	" \"@PKI@/other-server.key\", \"uids\": [@UID@]}," \
	"{\"name\": \"expired-server\", \"certificate\": " \
	" \"@PKI@/expired.pem\", \"private_key\": \"@PKI@/expired.key\", " \
	" \"uids\": [@UID@]}]"

/* The test's uid may skip validation. */
static const char allowed_text[] = "{\"socket\": \"@SOCK@\", "
    "\"callers\": [{\"uids\": [@UID@], \"skip_validation\": true}], "
    CREDENTIALS "}";
/* The default caller policy: no skipping. */
static const char denied_text[] = "{\"socket\": \"@SOCK@\", "
    CREDENTIALS "}";

static struct xdaemon	 d;

/* Start a daemon and point the SSPI layer ($SECCTX_SOCKET) at it. */
static void
start(const char *name, const char *text)
{
	xd_start(&d, name, text);
	xd_sspi_socket(&d);
}

static void
stop(void)
{
	xd_sspi_socket(NULL);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

static SECURITY_STATUS
acquire(const char *name, ULONG use, DWORD protocols, DWORD flags,
    PCredHandle h)
{
	SCHANNEL_CRED	sc;

	memset(&sc, 0, sizeof(sc));
	sc.dwVersion = SCHANNEL_CRED_VERSION;
	sc.grbitEnabledProtocols = protocols;
	sc.dwFlags = SCH_CRED_NO_DEFAULT_CREDS | flags;
	return (AcquireCredentialsHandleA((LPSTR)name, UNISP_NAME_A, use, NULL,
	    &sc, NULL, NULL, h, NULL));
}

/* One ISC or ASC call: in (len bytes) to out; a token goes to peer. */
static SECURITY_STATUS
step(int server, PCredHandle cred, CtxtHandle *ctx, int started, ULONG req,
    uint8_t *in, size_t *in_len, uint8_t *peer, size_t *peer_len)
{
	SecBuffer	ib[2], ob[1];
	SecBufferDesc	ind = { SECBUFFER_VERSION, 2, ib };
	SecBufferDesc	outd = { SECBUFFER_VERSION, 1, ob };
	ULONG		attrs = 0;
	SECURITY_STATUS	st;
	size_t		left = 0;

	memset(ib, 0, sizeof(ib));
	memset(ob, 0, sizeof(ob));
	ib[0].BufferType = SECBUFFER_TOKEN;
	ib[0].pvBuffer = in;
	ib[0].cbBuffer = (ULONG)*in_len;
	ib[1].BufferType = SECBUFFER_EMPTY;
	ob[0].BufferType = SECBUFFER_TOKEN;
	if (server)
		st = AcceptSecurityContext(cred, started ? ctx : NULL, &ind,
		    req, SECURITY_NATIVE_DREP, started ? NULL : ctx, &outd,
		    &attrs, NULL);
	else
		st = InitializeSecurityContextA(cred, started ? ctx : NULL,
		    "localhost", req, 0, SECURITY_NATIVE_DREP,
		    started ? &ind : NULL, 0, started ? NULL : ctx, &outd,
		    &attrs, NULL);
	if (ob[0].cbBuffer > 0 && ob[0].pvBuffer != NULL) {
		if (st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED) {
			assert_true(*peer_len + ob[0].cbBuffer <= 0x10000);
			memcpy(peer + *peer_len, ob[0].pvBuffer,
			    ob[0].cbBuffer);
			*peer_len += ob[0].cbBuffer;
		}
		FreeContextBuffer(ob[0].pvBuffer);
	}
	if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED)
		return (st);
	if (ib[1].BufferType == SECBUFFER_EXTRA)
		left = ib[1].cbBuffer;
	memmove(in, in + *in_len - left, left);
	*in_len = left;
	return (st);
}

/*
 * An in-memory SSPI handshake of the client credential 'client' (acquired
 * with dwFlags 'flags', asked for with 'isc_req' added) with 'server'.
 * The client's final status; on SEC_E_OK the client context is in *cctx.
 */
static SECURITY_STATUS
handshake(const char *client, DWORD flags, ULONG isc_req, const char *server,
    CtxtHandle *cctx)
{
	static uint8_t	 cbuf[0x10000], sbuf[0x10000];
	size_t		 clen = 0, slen = 0;
	CredHandle	 cc, sc;
	CtxtHandle	 sctx;
	SECURITY_STATUS	 cst, sst = SEC_I_CONTINUE_NEEDED;
	ULONG		 creq = ISC_REQ_CONFIDENTIALITY | ISC_REQ_STREAM |
			    ISC_REQ_ALLOCATE_MEMORY | isc_req;
	ULONG		 sreq = ASC_REQ_CONFIDENTIALITY | ASC_REQ_STREAM |
			    ASC_REQ_ALLOCATE_MEMORY;
	int		 i, sstarted = 0;

	assert_status(acquire(client, SECPKG_CRED_OUTBOUND, 0, flags, &cc),
	    SEC_E_OK);
	assert_status(acquire(server, SECPKG_CRED_INBOUND, 0, 0, &sc),
	    SEC_E_OK);
	memset(cctx, 0, sizeof(*cctx));
	memset(&sctx, 0, sizeof(sctx));
	cst = step(0, &cc, cctx, 0, creq, cbuf, &clen, sbuf, &slen);
	for (i = 0; i < 20 && cst == SEC_I_CONTINUE_NEEDED; i++) {
		if (slen > 0 && sst == SEC_I_CONTINUE_NEEDED) {
			sst = step(1, &sc, &sctx, sstarted, sreq, sbuf, &slen,
			    cbuf, &clen);
			sstarted = 1;
		}
		if (clen > 0)
			cst = step(0, &cc, cctx, 1, creq, cbuf, &clen, sbuf,
			    &slen);
	}
	(void)DeleteSecurityContext(&sctx);
	/* A failed context is the caller's to delete, if it has a handle. */
	if (cst != SEC_E_OK)
		(void)DeleteSecurityContext(cctx);
	assert_status(FreeCredentialsHandle(&cc), SEC_E_OK);
	assert_status(FreeCredentialsHandle(&sc), SEC_E_OK);
	return (cst);
}

/* The server certificate the client got is the PKI file's, byte for byte. */
static void
assert_remote_cert(CtxtHandle *ctx, const char *file)
{
	PCCERT_CONTEXT	 cert = NULL;
	unsigned char	*der = NULL;
	X509		*x;
	FILE		*f;
	int		 len;

	assert_status(QueryContextAttributesA(ctx,
	    SECPKG_ATTR_REMOTE_CERT_CONTEXT, &cert), SEC_E_OK);
	assert_non_null(cert);
	assert_non_null(f = fopen(harness_pki(file), "r"));
	assert_non_null(x = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	assert_true((len = i2d_X509(x, &der)) > 0);
	assert_int_equal(cert->cbCertEncoded, len);
	assert_memory_equal(cert->pbCertEncoded, der, len);
	OPENSSL_free(der);
	X509_free(x);
	CertFreeCertificateContext(cert);
}

/*
 * Allowed: each way of asking completes the handshake with a server the
 * daemon would refuse, the application gets the chain to validate, and
 * the audit line says that validation was left to it.  Without asking,
 * the daemon validates as before.
 */
static void
test_manual_validation(void **state)
{
	CtxtHandle	ctx;

	(void)state;
	start("sspi-manual", allowed_text);
	assert_status(handshake("client", SCH_CRED_MANUAL_CRED_VALIDATION, 0,
	    "other-server", &ctx), SEC_E_OK);
	assert_remote_cert(&ctx, "other-server.pem");
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_int_equal(xd_log_count(&d, "validation=skipped"), 1);
	assert_int_equal(xd_log_count(&d, "validation=skipped verify_result="
	    "\"unable to get local issuer certificate\""), 1);

	assert_status(handshake("client", SCH_CRED_NO_SERVERNAME_CHECK, 0,
	    "expired-server", &ctx), SEC_E_OK);
	assert_remote_cert(&ctx, "expired.pem");
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_int_equal(xd_log_count(&d, "validation=skipped verify_result="
	    "\"certificate has expired\""), 1);

	assert_status(handshake("client", 0, ISC_REQ_MANUAL_CRED_VALIDATION,
	    "other-server", &ctx), SEC_E_OK);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_int_equal(xd_log_count(&d, "validation=skipped"), 3);

	/* A valid server: the result says so. */
	assert_status(handshake("client", SCH_CRED_MANUAL_CRED_VALIDATION, 0,
	    "server", &ctx), SEC_E_OK);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	assert_int_equal(xd_log_count(&d, "validation=skipped verify_result="
	    "\"ok\""), 1);

	/* Not asked for: the daemon refuses the untrusted server. */
	assert_status(handshake("client", 0, 0, "other-server", &ctx),
	    SEC_E_UNTRUSTED_ROOT);
	assert_int_equal(xd_log_count(&d, "validation="), 4);
	stop();
}

/* A credential that forbids it refuses even an allowed caller. */
static void
test_manual_validation_credential_forbids(void **state)
{
	CtxtHandle	ctx;

	(void)state;
	start("sspi-manual", allowed_text);
	assert_status(handshake("client-validating",
	    SCH_CRED_MANUAL_CRED_VALIDATION, 0, "other-server", &ctx),
	    SEC_E_NOT_OWNER);
	assert_contains(secctx_last_error(), "credential 'client-validating'");
	assert_int_equal(xd_log_count(&d, "credential=\"client-validating\" "
	    "direction=outbound"), 1);
	assert_int_equal(xd_log_count(&d, "validation=skip-requested "
	    "result=SEC_E_NOT_OWNER"), 1);
	/* Without the flag it validates, and refuses this server. */
	assert_status(handshake("client-validating", 0, 0, "other-server",
	    &ctx), SEC_E_UNTRUSTED_ROOT);
	stop();
}

/* The default caller policy refuses the request, whatever the server. */
static void
test_manual_validation_caller_forbids(void **state)
{
	CtxtHandle	ctx;

	(void)state;
	start("sspi-manual-denied", denied_text);
	assert_status(handshake("client", SCH_CRED_MANUAL_CRED_VALIDATION, 0,
	    "other-server", &ctx), SEC_E_NOT_OWNER);
	assert_contains(secctx_last_error(), "this caller may not skip");
	assert_status(handshake("client", SCH_CRED_NO_SERVERNAME_CHECK, 0,
	    "server", &ctx), SEC_E_NOT_OWNER);
	assert_int_equal(xd_log_count(&d, "validation=skip-requested "
	    "result=SEC_E_NOT_OWNER"), 2);
	/* Without the flag nothing changes. */
	assert_status(handshake("client", 0, 0, "server", &ctx), SEC_E_OK);
	assert_status(DeleteSecurityContext(&ctx), SEC_E_OK);
	stop();
}

/* DTLS alone is unsupported; DTLS with TLS is a mismatch.  No handle. */
static void
test_dtls_refused(void **state)
{
	static const struct {
		ULONG		use;
		DWORD		protocols;
		SECURITY_STATUS	status;
	} cases[] = {
		{ SECPKG_CRED_OUTBOUND, SP_PROT_DTLS1_2_CLIENT,
		    SEC_E_UNSUPPORTED_FUNCTION },
		{ SECPKG_CRED_OUTBOUND, SP_PROT_DTLS1_X_CLIENT,
		    SEC_E_UNSUPPORTED_FUNCTION },
		{ SECPKG_CRED_INBOUND, SP_PROT_DTLS1_0_SERVER,
		    SEC_E_UNSUPPORTED_FUNCTION },
		{ SECPKG_CRED_OUTBOUND, SP_PROT_DTLS1_2_CLIENT |
		    SP_PROT_TLS1_2_CLIENT, SEC_E_ALGORITHM_MISMATCH },
		{ SECPKG_CRED_OUTBOUND, SP_PROT_TLS1_X_CLIENT |
		    SP_PROT_DTLS1_X_CLIENT, SEC_E_ALGORITHM_MISMATCH },
		{ SECPKG_CRED_INBOUND, SP_PROT_DTLS_SERVER |
		    SP_PROT_TLS1_3_SERVER, SEC_E_ALGORITHM_MISMATCH },
	};
	CredHandle	h;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&h, 0, sizeof(h));
		assert_status(acquire(cases[i].use == SECPKG_CRED_OUTBOUND ?
		    "client" : "server", cases[i].use, cases[i].protocols, 0,
		    &h), cases[i].status);
		assert_status(FreeCredentialsHandle(&h), SEC_E_INVALID_HANDLE);
	}
	harness_assert_daemon_alive();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_manual_validation),
		xd_test(test_manual_validation_credential_forbids),
		xd_test(test_manual_validation_caller_forbids),
		harness_test(test_dtls_refused),
	};

	return (harness_run("sspi_validation", tests));
}
