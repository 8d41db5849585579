/*
 * Interoperability with GnuTLS: gnutls-cli against a server through
 * libsecctx, and a client through libsecctx against gnutls-serv.
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PRIO_TLS12	"NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define PRIO_TLS13	"NORMAL:-VERS-ALL:+VERS-TLS1.3"

/*
 * Run gnutls-cli with the priority string and extra arguments against our
 * server, which uses the "server" credential and the given options.  On
 * success, close gnutls-cli's stdin so that it says goodbye and exits.
 */
static secctx_status
serve_gnutls_cli(const char *priority, const char *const extra[],
    const struct secctx_options *opt, struct harness_hs *hs,
    struct secctx_info *info, char **output)
{
	const char		*argv[32];
	char			 port_s[16];
	struct harness_child	*c;
	secctx_conn		*conn;
	secctx_cred		*cred;
	int			 lfd, fd, port, i = 0, j, status;

	lfd = harness_tcp_listen(&port);
	snprintf(port_s, sizeof(port_s), "%d", port);
	argv[i++] = "gnutls-cli";
	argv[i++] = "127.0.0.1";
	argv[i++] = "-p";
	argv[i++] = port_s;
	argv[i++] = "--x509cafile";
	argv[i++] = harness_pki("ca.pem");
	argv[i++] = "--sni-hostname";
	argv[i++] = "localhost";
	argv[i++] = "--verify-hostname";
	argv[i++] = "localhost";
	argv[i++] = "--priority";
	argv[i++] = priority;
	for (j = 0; extra != NULL && extra[j] != NULL; j++)
		argv[i++] = extra[j];
	argv[i] = NULL;
	c = harness_spawn(argv);

	conn = harness_connect();
	cred = harness_cred(conn, "server", SECCTX_INBOUND);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	memset(hs, 0, sizeof(*hs));
	harness_handshake(fd, cred, 1, opt, hs);
	if (hs->status == SEC_E_OK) {
		harness_info(hs->ctx, info);
		harness_child_wait_output(c, "Handshake was completed", 5000);
		harness_child_close_stdin(c);
	} else
		shutdown(fd, SHUT_WR);
	status = harness_child_wait(c, HARNESS_TIMEOUT_MS);
	*output = harness_child_output(c);
	if (hs->status == SEC_E_OK &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		fail_msg("gnutls-cli ended with status 0x%x:\n%s", status,
		    *output);
	close(fd);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
	return (hs->status);
}

static void
gnutls_cli(const char *priority, const char *protocol, const char *version)
{
	static const char *const alpn[] = { "http/1.1" };
	const char *const	 extra[] = {
		"--alpn", "h2", "--alpn", "http/1.1", NULL
	};
	struct secctx_options	 opt = { .alpn = alpn, .alpn_count = 1 };
	struct secctx_info	 info;
	struct harness_hs	 hs;
	char			*out;

	assert_status(serve_gnutls_cli(priority, extra, &opt, &hs, &info,
	    &out), SEC_E_OK);
	assert_string_equal(info.protocol, protocol);
	assert_string_equal(info.sni, "localhost");
	assert_string_equal(info.alpn, "http/1.1");
	assert_string_equal(info.peer_subject, "");
	assert_contains(out, "The certificate is trusted");
	assert_contains(out, version);
	assert_contains(out, "http/1.1");
	harness_hs_free(&hs);
	free(out);
}

static void
test_tls12_gnutls_cli(void **state)
{
	(void)state;
	gnutls_cli(PRIO_TLS12, "TLSv1.2", "(TLS1.2");
}

static void
test_tls13_gnutls_cli(void **state)
{
	(void)state;
	gnutls_cli(PRIO_TLS13, "TLSv1.3", "(TLS1.3");
}

static void
gnutls_cli_client_cert(const char *priority, const char *protocol)
{
	const char *const	 extra[] = {
		"--x509certfile", harness_pki("client.pem"),
		"--x509keyfile", harness_pki("client.key"), NULL
	};
	struct secctx_options	 opt = {
		.client_cert = SECCTX_CLIENT_CERT_REQUIRED
	};
	struct secctx_info	 info;
	struct harness_hs	 hs;
	char			*out;

	assert_status(serve_gnutls_cli(priority, extra, &opt, &hs, &info,
	    &out), SEC_E_OK);
	assert_string_equal(info.protocol, protocol);
	assert_contains(info.peer_subject, "CN=secctx test client");
	harness_hs_free(&hs);
	free(out);
}

static void
test_gnutls_cli_client_cert(void **state)
{
	(void)state;
	gnutls_cli_client_cert(PRIO_TLS13, "TLSv1.3");
}

static void
test_tls12_gnutls_cli_client_cert(void **state)
{
	(void)state;
	gnutls_cli_client_cert(PRIO_TLS12, "TLSv1.2");
}

/* Our client against gnutls-serv. */
static void
against_gnutls_serv(const char *priority, const char *const extra[],
    const char *cred_name, const struct secctx_options *opt,
    secctx_status expect, struct secctx_info *info)
{
	const char		*argv[32];
	char			 port_s[16];
	struct harness_child	*c;
	struct harness_hs	 hs;
	secctx_conn		*conn;
	secctx_cred		*cred;
	int			 port, fd, i = 0, j;

	port = harness_free_port();
	snprintf(port_s, sizeof(port_s), "%d", port);
	argv[i++] = "gnutls-serv";
	argv[i++] = "--port";
	argv[i++] = port_s;
	argv[i++] = "--x509certfile";
	argv[i++] = harness_pki("server.pem");
	argv[i++] = "--x509keyfile";
	argv[i++] = harness_pki("server.key");
	argv[i++] = "--priority";
	argv[i++] = priority;
	for (j = 0; extra != NULL && extra[j] != NULL; j++)
		argv[i++] = extra[j];
	argv[i] = NULL;
	c = harness_spawn(argv);
	harness_wait_port(port, 5000);

	conn = harness_connect();
	cred = harness_cred(conn, cred_name, SECCTX_OUTBOUND);
	fd = harness_tcp_connect(port);
	memset(&hs, 0, sizeof(hs));
	assert_status(harness_handshake(fd, cred, 0, opt, &hs), expect);
	if (expect == SEC_E_OK)
		harness_info(hs.ctx, info);
	else {
		assert_null(hs.ctx);
		assert_true(hs.alert_len > 0);
	}
	harness_hs_free(&hs);
	close(fd);
	harness_child_kill(c);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
}

static void
test_tls12_gnutls_serv(void **state)
{
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;

	(void)state;
	against_gnutls_serv(PRIO_TLS12, NULL, "client-nocert", &opt, SEC_E_OK,
	    &info);
	assert_string_equal(info.protocol, "TLSv1.2");
	assert_contains(info.peer_subject, "CN=localhost");
}

static void
test_tls13_gnutls_serv(void **state)
{
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;

	(void)state;
	against_gnutls_serv(PRIO_TLS13, NULL, "client-nocert", &opt, SEC_E_OK,
	    &info);
	assert_string_equal(info.protocol, "TLSv1.3");
	assert_contains(info.peer_subject, "CN=localhost");
}

static void
test_gnutls_serv_requires_client_cert(void **state)
{
	const char *const	extra[] = {
		"--require-client-cert", "--verify-client-cert",
		"--x509cafile", harness_pki("ca.pem"), NULL
	};
	struct secctx_options	opt = { .target = "localhost" };
	struct secctx_info	info;

	(void)state;
	/* The "client" credential presents client.pem when asked. */
	against_gnutls_serv(PRIO_TLS13, extra, "client", &opt, SEC_E_OK,
	    &info);
	assert_string_equal(info.protocol, "TLSv1.3");
	against_gnutls_serv(PRIO_TLS12, extra, "client", &opt, SEC_E_OK,
	    &info);
	assert_string_equal(info.protocol, "TLSv1.2");
}

static void
test_gnutls_serv_wrong_name(void **state)
{
	struct secctx_options	opt = { .target = "wrong.example" };
	struct secctx_info	info;

	(void)state;
	against_gnutls_serv(PRIO_TLS13, NULL, "client-nocert", &opt,
	    SEC_E_WRONG_PRINCIPAL, &info);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		harness_test(test_tls12_gnutls_cli),
		harness_test(test_tls13_gnutls_cli),
		harness_test(test_gnutls_cli_client_cert),
		harness_test(test_tls12_gnutls_cli_client_cert),
		harness_test(test_tls12_gnutls_serv),
		harness_test(test_tls13_gnutls_serv),
		harness_test(test_gnutls_serv_requires_client_cert),
		harness_test(test_gnutls_serv_wrong_name),
	};

	return (harness_run("gnutls", tests));
}
