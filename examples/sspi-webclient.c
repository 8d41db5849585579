/*
 * sspi-webclient: an HTTPS client written against the Windows SSPI, as a
 * program ported from Windows Schannel looks: <secctx/sspi.h> in place of
 * <windows.h>/<sspi.h>/<schannel.h>, POSIX sockets in place of Winsock,
 * nothing else changed in the way it drives the security context.
 *
 *	sspi-webclient [-c CREDENTIAL] [-p PORT] [-2|-3] SERVER [PATH]
 *
 * It connects to SERVER:PORT (443), runs the handshake loop with
 * InitializeSecurityContext, sends "GET PATH HTTP/1.0", prints what the
 * server sends until it closes, and ends with a close_notify.  The
 * credential is the daemon credential of that name ("client" by default);
 * the daemon validates the server's certificate against SERVER.
 */

#include <sys/socket.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <secctx/sspi.h>

#define IO_BUFFER_SIZE	0x10000

#define ISC_FLAGS	(ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | \
	ISC_REQ_CONFIDENTIALITY | ISC_REQ_EXTENDED_ERROR | \
	ISC_REQ_ALLOCATE_MEMORY | ISC_REQ_STREAM)

static void
die_status(const char *what, SECURITY_STATUS st)
{
	const char	*name = secctx_status_name(st);

	fprintf(stderr, "sspi-webclient: %s: %s (0x%08x)\n", what,
	    name != NULL ? name : "unknown status", (unsigned)st);
	exit(1);
}

static void
die(const char *msg)
{
	fprintf(stderr, "sspi-webclient: %s\n", msg);
	exit(1);
}

static int
tcp_connect(const char *host, const char *port)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		die("cannot resolve the server");
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		die("cannot connect to the server");
	return (fd);
}

static void
send_all(int fd, const void *p, size_t len)
{
	const char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = send(fd, b, len, MSG_NOSIGNAL)) <= 0)
			die("send failed");
		b += n;
		len -= n;
	}
}

/* Send an output token the SSPI allocated, and free it. */
static void
send_token(int fd, SecBuffer *b)
{
	if (b->cbBuffer > 0 && b->pvBuffer != NULL)
		send_all(fd, b->pvBuffer, b->cbBuffer);
	if (b->pvBuffer != NULL)
		FreeContextBuffer(b->pvBuffer);
	b->pvBuffer = NULL;
	b->cbBuffer = 0;
}

/*
 * The handshake loop: the first call without input, then one call per
 * flight received, keeping SECBUFFER_EXTRA bytes for the next call.  What
 * follows the handshake is left at the start of io (*io_len bytes).
 */
static void
handshake(int fd, PCredHandle cred, const char *server, PCtxtHandle ctx,
    char *io, size_t *io_len)
{
	SecBuffer	in[2], out[1];
	SecBufferDesc	ind = { SECBUFFER_VERSION, 2, in };
	SecBufferDesc	outd = { SECBUFFER_VERSION, 1, out };
	SECURITY_STATUS	st;
	ULONG		attrs;
	ssize_t		n;
	size_t		len = 0;

	out[0].BufferType = SECBUFFER_TOKEN;
	out[0].pvBuffer = NULL;
	out[0].cbBuffer = 0;
	st = InitializeSecurityContextA(cred, NULL, (SEC_CHAR *)server,
	    ISC_FLAGS, 0, SECURITY_NATIVE_DREP, NULL, 0, ctx, &outd, &attrs,
	    NULL);
	if (st != SEC_I_CONTINUE_NEEDED)
		die_status("InitializeSecurityContext", st);
	send_token(fd, &out[0]);
	for (;;) {
		if (len == 0 || st == SEC_E_INCOMPLETE_MESSAGE) {
			if (len == IO_BUFFER_SIZE)
				die("handshake message too large");
			if ((n = recv(fd, io + len, IO_BUFFER_SIZE - len,
			    0)) <= 0)
				die("the server closed during the handshake");
			len += n;
		}
		in[0].BufferType = SECBUFFER_TOKEN;
		in[0].pvBuffer = io;
		in[0].cbBuffer = (ULONG)len;
		in[1].BufferType = SECBUFFER_EMPTY;
		in[1].pvBuffer = NULL;
		in[1].cbBuffer = 0;
		out[0].BufferType = SECBUFFER_TOKEN;
		out[0].pvBuffer = NULL;
		out[0].cbBuffer = 0;
		st = InitializeSecurityContextA(cred, ctx, NULL, ISC_FLAGS, 0,
		    SECURITY_NATIVE_DREP, &ind, 0, NULL, &outd, &attrs, NULL);
		if (st == SEC_E_INCOMPLETE_MESSAGE)
			continue;
		/* With EXTENDED_ERROR a failure may carry an alert: send it. */
		send_token(fd, &out[0]);
		if (st != SEC_E_OK && st != SEC_I_CONTINUE_NEEDED)
			die_status("InitializeSecurityContext", st);
		if (in[1].BufferType == SECBUFFER_EXTRA) {
			memmove(io, io + len - in[1].cbBuffer, in[1].cbBuffer);
			len = in[1].cbBuffer;
		} else
			len = 0;
		if (st == SEC_E_OK)
			break;
	}
	*io_len = len;
}

/* EncryptMessage the request into one record and send it. */
static void
send_request(int fd, PCtxtHandle ctx, const char *request)
{
	SecPkgContext_StreamSizes	 sizes;
	SecBuffer			 b[4];
	SecBufferDesc			 d = { SECBUFFER_VERSION, 4, b };
	SECURITY_STATUS			 st;
	size_t				 len = strlen(request);
	char				*msg;

	if ((st = QueryContextAttributesA(ctx, SECPKG_ATTR_STREAM_SIZES,
	    &sizes)) != SEC_E_OK)
		die_status("QueryContextAttributes", st);
	if (len > sizes.cbMaximumMessage)
		die("request too long");
	if ((msg = malloc(sizes.cbHeader + len + sizes.cbTrailer)) == NULL)
		die("out of memory");
	memcpy(msg + sizes.cbHeader, request, len);
	b[0].BufferType = SECBUFFER_STREAM_HEADER;
	b[0].pvBuffer = msg;
	b[0].cbBuffer = sizes.cbHeader;
	b[1].BufferType = SECBUFFER_DATA;
	b[1].pvBuffer = msg + sizes.cbHeader;
	b[1].cbBuffer = (ULONG)len;
	b[2].BufferType = SECBUFFER_STREAM_TRAILER;
	b[2].pvBuffer = msg + sizes.cbHeader + len;
	b[2].cbBuffer = sizes.cbTrailer;
	b[3].BufferType = SECBUFFER_EMPTY;
	b[3].pvBuffer = NULL;
	b[3].cbBuffer = 0;
	if ((st = EncryptMessage(ctx, 0, &d, 0)) != SEC_E_OK)
		die_status("EncryptMessage", st);
	send_all(fd, msg, b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer);
	free(msg);
}

/*
 * DecryptMessage what arrives and print it, until the server's
 * close_notify (SEC_I_CONTEXT_EXPIRED) or the end of the stream.
 */
static void
print_response(int fd, PCtxtHandle ctx, char *io, size_t len)
{
	SecBuffer	b[4];
	SecBufferDesc	d = { SECBUFFER_VERSION, 4, b };
	SECURITY_STATUS	st = SEC_E_OK;
	ssize_t		n;
	int		i, extra;

	for (;;) {
		if (len == 0 || st == SEC_E_INCOMPLETE_MESSAGE) {
			if (len == IO_BUFFER_SIZE)
				die("record too large");
			if ((n = recv(fd, io + len, IO_BUFFER_SIZE - len,
			    0)) <= 0)
				return;
			len += n;
		}
		memset(b, 0, sizeof(b));
		b[0].BufferType = SECBUFFER_DATA;
		b[0].pvBuffer = io;
		b[0].cbBuffer = (ULONG)len;
		st = DecryptMessage(ctx, &d, 0, NULL);
		if (st == SEC_E_INCOMPLETE_MESSAGE)
			continue;
		if (st == SEC_I_CONTEXT_EXPIRED)
			return;
		if (st != SEC_E_OK)
			die_status("DecryptMessage", st);
		extra = -1;
		for (i = 1; i < 4; i++) {
			if (b[i].BufferType == SECBUFFER_DATA)
				fwrite(b[i].pvBuffer, 1, b[i].cbBuffer,
				    stdout);
			if (b[i].BufferType == SECBUFFER_EXTRA)
				extra = i;
		}
		if (extra == -1) {
			len = 0;
			continue;
		}
		memmove(io, b[extra].pvBuffer, b[extra].cbBuffer);
		len = b[extra].cbBuffer;
	}
}

/* ApplyControlToken(SCHANNEL_SHUTDOWN), then send the close_notify. */
static void
disconnect(int fd, PCredHandle cred, PCtxtHandle ctx)
{
	DWORD		type = SCHANNEL_SHUTDOWN;
	SecBuffer	b[1];
	SecBufferDesc	d = { SECBUFFER_VERSION, 1, b };
	SECURITY_STATUS	st;
	ULONG		attrs;

	b[0].BufferType = SECBUFFER_TOKEN;
	b[0].pvBuffer = &type;
	b[0].cbBuffer = sizeof(type);
	if ((st = ApplyControlToken(ctx, &d)) != SEC_E_OK)
		die_status("ApplyControlToken", st);
	b[0].pvBuffer = NULL;
	b[0].cbBuffer = 0;
	st = InitializeSecurityContextA(cred, ctx, NULL, ISC_FLAGS, 0,
	    SECURITY_NATIVE_DREP, NULL, 0, NULL, &d, &attrs, NULL);
	if (st != SEC_E_OK)
		die_status("InitializeSecurityContext (shutdown)", st);
	/* The server may have closed already: a failed send is fine. */
	if (b[0].cbBuffer > 0)
		(void)send(fd, b[0].pvBuffer, b[0].cbBuffer, MSG_NOSIGNAL);
	FreeContextBuffer(b[0].pvBuffer);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sspi-webclient [-c CREDENTIAL] [-p PORT] "
	    "[-2|-3] SERVER [PATH]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	SCHANNEL_CRED	 sc;
	CredHandle	 cred;
	CtxtHandle	 ctx;
	SECURITY_STATUS	 st;
	const char	*credential = NULL, *port = "443", *server, *path = "/";
	char		*io, request[1024];
	size_t		 len;
	int		 ch, fd;

	memset(&sc, 0, sizeof(sc));
	sc.dwVersion = SCHANNEL_CRED_VERSION;
	sc.dwFlags = SCH_CRED_NO_DEFAULT_CREDS;
	while ((ch = getopt(argc, argv, "c:p:23")) != -1) {
		switch (ch) {
		case 'c':
			credential = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case '2':
			sc.grbitEnabledProtocols = SP_PROT_TLS1_2_CLIENT;
			break;
		case '3':
			sc.grbitEnabledProtocols = SP_PROT_TLS1_3_CLIENT;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		usage();
	server = argv[optind];
	if (argc - optind == 2)
		path = argv[optind + 1];
	if (snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\nHost: "
	    "%s\r\n\r\n", path, server) >= (int)sizeof(request))
		die("path too long");
	if ((io = malloc(IO_BUFFER_SIZE)) == NULL)
		die("out of memory");

	if ((st = AcquireCredentialsHandleA((LPSTR)credential, UNISP_NAME_A,
	    SECPKG_CRED_OUTBOUND, NULL, &sc, NULL, NULL, &cred,
	    NULL)) != SEC_E_OK)
		die_status("AcquireCredentialsHandle", st);
	fd = tcp_connect(server, port);
	handshake(fd, &cred, server, &ctx, io, &len);
	send_request(fd, &ctx, request);
	print_response(fd, &ctx, io, len);
	disconnect(fd, &cred, &ctx);
	close(fd);
	DeleteSecurityContext(&ctx);
	FreeCredentialsHandle(&cred);
	free(io);
	return (0);
}
