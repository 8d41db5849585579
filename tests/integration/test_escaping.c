/*
 * Strings from callers and peers in log lines and messages (docs/SECURITY.md,
 * "Audit log"): an executable whose file name holds a newline and a forged
 * log line, an executable whose file name is not UTF-8, a message cut in
 * the middle of a character, an SNI that is not UTF-8.  Each is answered,
 * escaped, on one line, and the connection goes on.
 *
 * The executables are copies of this program run as
 * "test_escaping --acquire SOCKET CREDENTIAL NEEDLE" (helper_main()).
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xdaemon.h"
#include "escape-check.h"

/* A line a caller would like the log to hold. */
#define FORGED	"<6>audit: context established uid=0 pid=1 " \
	"credential=\"web\" direction=outbound target=\"db.internal\" " \
	"peer=\"CN=db.internal\" protocol=TLSv1.3 " \
	"cipher=TLS_AES_256_GCM_SHA384 result=SEC_E_OK"

/* The helper's exit statuses. */
enum {
	HELPER_OK,
	HELPER_NO_HELLO = 10,
	HELPER_NO_ANSWER,	/* closed instead of answering */
	HELPER_STATUS,		/* not SEC_E_NOT_OWNER */
	HELPER_MESSAGE,		/* not UTF-8, or without the needle */
	HELPER_CLOSED,		/* no answer to the next request */
	HELPER_NEXT		/* the next request failed */
};

static struct xdaemon	d;

static void
start(void)
{
	xd_start(&d, "escape", "{\"socket\": \"@SOCK@\", "
	    "\"callers\": [{\"uids\": [@UID@], "
	    " \"targets\": [\"localhost\", \"*.example.com\"]}], "
	    "\"credentials\": ["
	    "{\"name\": \"client\", \"ca_file\": \"@PKI@/ca.pem\", "
	    " \"uids\": [@UID@]},"
	    "{\"name\": \"other-exe\", \"ca_file\": \"@PKI@/ca.pem\", "
	    " \"uids\": [@UID@], \"executables\": [\"/bin/true\"]}]}");
}

static int
valid_message(const char *msg)
{
	return (msg != NULL && strlen(msg) < 256 &&
	    escape_check_utf8((const unsigned char *)msg, strlen(msg)));
}

/*
 * The helper, in a copy of this program: acquire cred (refused), check
 * the answer's message, then acquire "client" on the same connection.
 */
static int
helper_main(const char *socket, const char *cred, const char *needle)
{
	struct xd_resp	 r;
	const char	*msg;
	char		 buf[256];
	int		 fd = xd_raw_connect(socket), rc = HELPER_OK;

	xd_send_header(fd, "{\"op\":\"hello\",\"id\":1,\"version\":1}");
	if (!xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS) || r.status != SEC_E_OK)
		return (HELPER_NO_HELLO);
	xd_resp_free(&r);
	snprintf(buf, sizeof(buf), "{\"op\":\"acquire_credentials\",\"id\":2,"
	    "\"name\":\"%s\",\"direction\":\"outbound\"}", cred);
	xd_send_header(fd, buf);
	if (!xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS))
		return (HELPER_NO_ANSWER);
	msg = json_string_value(json_object_get(r.hdr, "message"));
	if (r.status != SEC_E_NOT_OWNER)
		rc = HELPER_STATUS;
	else if (!valid_message(msg) || strstr(msg, needle) == NULL)
		rc = HELPER_MESSAGE;
	xd_resp_free(&r);
	if (rc != HELPER_OK)
		return (rc);
	xd_send_header(fd, "{\"op\":\"acquire_credentials\",\"id\":3,"
	    "\"name\":\"client\",\"direction\":\"outbound\"}");
	if (!xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS))
		return (HELPER_CLOSED);
	rc = r.status == SEC_E_OK ? HELPER_OK : HELPER_NEXT;
	xd_resp_free(&r);
	close(fd);
	return (rc);
}

/* Copy this program to dir/name and run it as the helper; its status. */
static int
run_copy(const char *name, const char *cred, const char *needle)
{
	char	 path[PATH_MAX], *bin;
	size_t	 len;
	pid_t	 pid;
	int	 fd, status;

	snprintf(path, sizeof(path), "%s/%s", harness.dir, name);
	assert_non_null(bin = harness_read_file("/proc/self/exe", &len));
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755)) >= 0);
	assert_int_equal(write(fd, bin, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	free(bin);
	if ((pid = fork()) == 0) {
		execl(path, path, "--acquire", d.socket, cred, needle,
		    (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	assert_true(WIFEXITED(status));
	return (WEXITSTATUS(status));
}

/* Every line of the log has its priority prefix: none was split. */
static void
assert_whole_lines(const char *log)
{
	const char	*line, *end;

	for (line = log; *line != '\0'; line = end + 1) {
		assert_non_null(end = strchr(line, '\n'));
		if (line[0] != '<' || line[1] < '0' || line[1] > '7' ||
		    line[2] != '>')
			fail_msg("a line without its prefix: %.*s",
			    (int)(end - line), line);
	}
}

/*
 * An executable named "x\n" + a forged audit line is refused: the caller
 * gets its SEC_E_NOT_OWNER, the log one line with the name escaped.
 */
static void
test_forged_line(void **state)
{
	char	*log;
	int	 rc;

	(void)state;
	start();
	rc = run_copy("x\n" FORGED, "other-exe",
	    "x\\n<6>audit: context established");
	xd_wait_log(&d, "refused: pid", 5000);
	log = xd_log(&d);
	assert_whole_lines(log);
	assert_null(strstr(log, "\n" FORGED));
	assert_int_equal(xd_log_count(&d, "refused: pid"), 1);
	assert_contains(log, "x\\n<6>audit: context established uid=0 pid=1 "
	    "credential=\\\"web\\\"");
	free(log);
	assert_int_equal(rc, HELPER_OK);
	xd_stop(&d);
}

/* A file name that is not UTF-8: answered, escaped, connection kept. */
static void
test_exe_not_utf8(void **state)
{
	char	*log;

	(void)state;
	start();
	assert_int_equal(run_copy("bin-\xff\xfe\xc3-name", "other-exe",
	    "bin-\\xff\\xfe\\xc3-name may not use credential"), HELPER_OK);
	xd_wait_log(&d, "refused: pid", 5000);
	log = xd_log(&d);
	assert_whole_lines(log);
	assert_true(escape_check_utf8((unsigned char *)log, strlen(log)));
	free(log);
	xd_stop(&d);
}

/* 127 "é" and an "x": 255 bytes, the most a target may have. */
static void
long_target(char target[256])
{
	int	i;

	for (i = 0; i < 127; i++)
		memcpy(target + 2 * i, "\xc3\xa9", 2);
	strcpy(target + 254, "x");
}

/*
 * A refused target whose message is cut inside a character: the caller
 * gets SEC_E_TARGET_UNKNOWN with a valid message, on the raw protocol and
 * through libsecctx, and its connection goes on.
 */
static void
test_cut_message(void **state)
{
	struct secctx_options	 opt = { .target = NULL };
	struct secctx_token	 tok = { 0 };
	struct xd_resp		 r;
	secctx_conn		*conn;
	secctx_cred		*cred;
	secctx_ctx		*ctx = NULL;
	const char		*msg;
	char			 target[256], hdr[512], h[17], c[17];
	int			 fd;

	(void)state;
	long_target(target);
	start();
	fd = xd_hello(d.socket);
	xd_acquire(fd, "client", "outbound", h);
	snprintf(hdr, sizeof(hdr), "{\"op\":\"initialize\",\"id\":3,"
	    "\"cred\":\"%s\",\"target\":\"%s\"}", h, target);
	xd_send_header(fd, hdr);
	if (!xd_read_resp(fd, &r, HARNESS_TIMEOUT_MS))
		fail_msg("the connection closed instead of answering");
	assert_status(r.status, SEC_E_TARGET_UNKNOWN);
	msg = json_string_value(json_object_get(r.hdr, "message"));
	assert_true(valid_message(msg));
	assert_int_equal(strncmp(msg, "target '\xc3\xa9\xc3\xa9", 12), 0);
	assert_string_equal(msg + strlen(msg) - 3, "...");
	xd_resp_free(&r);
	xd_new_context(fd, h, c);
	close(fd);

	assert_status(secctx_connect(d.socket, &conn), SEC_E_OK);
	cred = harness_cred(conn, "client", SECCTX_OUTBOUND);
	opt.target = target;
	assert_status(secctx_initialize(cred, &ctx, &opt, &tok),
	    SEC_E_TARGET_UNKNOWN);
	assert_true(escape_check_utf8((const unsigned char *)
	    secctx_last_error(), strlen(secctx_last_error())));
	assert_contains(secctx_last_error(), "target '\xc3\xa9");
	assert_null(ctx);
	opt.target = "localhost";
	assert_status(secctx_initialize(cred, &ctx, &opt, &tok),
	    SEC_I_CONTINUE_NEEDED);
	secctx_free(tok.out);
	assert_status(secctx_delete(ctx), SEC_E_OK);
	secctx_cred_free(cred);
	secctx_disconnect(conn);
	assert_int_equal(xd_log_count(&d, "result=SEC_E_TARGET_UNKNOWN"), 2);
	xd_wait_contexts(d.socket, 0, 2000);
	xd_stop(&d);
}

/*
 * A ClientHello whose SNI is not UTF-8 (openssl s_client sends the bytes
 * it is given): the server context completes, and query_context gives
 * the SNI escaped.
 */
static void
test_sni_not_utf8(void **state)
{
	const char *const	 extra[] = { "-servername", "\xff\xfe.example",
				    NULL };
	struct secctx_options	 opt = { .target = NULL };
	struct harness_child	*s_client;
	struct harness_hs	 hs;
	struct secctx_info	 info;
	secctx_conn		*conn;
	secctx_cred		*cred;
	int			 lfd, fd, port;

	(void)state;
	memset(&hs, 0, sizeof(hs));
	lfd = harness_tcp_listen(&port);
	s_client = harness_s_client(port, "-tls1_3", extra);
	conn = harness_connect();
	cred = harness_cred(conn, "server", SECCTX_INBOUND);
	fd = harness_tcp_accept(lfd, HARNESS_TIMEOUT_MS);
	close(lfd);
	assert_status(harness_handshake(fd, cred, 1, &opt, &hs), SEC_E_OK);
	assert_status(secctx_query_info(hs.ctx, &info), SEC_E_OK);
	assert_string_equal(info.sni, "\\xff\\xfe.example");
	assert_string_equal(info.protocol, "TLSv1.3");
	harness_child_wait_output(s_client, "Verify return code", 5000);
	harness_child_close_stdin(s_client);
	harness_child_wait(s_client, HARNESS_TIMEOUT_MS);
	close(fd);
	harness_hs_free(&hs);
	assert_status(secctx_cred_free(cred), SEC_E_OK);
	secctx_disconnect(conn);
	/* The audit line quotes the attribute, escaped once more. */
	harness_wait_file_count(harness.log,
	    "target=\"\\\\xff\\\\xfe.example\"", 1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		xd_test(test_forged_line),
		xd_test(test_exe_not_utf8),
		xd_test(test_cut_message),
		xd_test(test_sni_not_utf8),
	};

	if (argc == 5 && strcmp(argv[1], "--acquire") == 0)
		return (helper_main(argv[2], argv[3], argv[4]));
	return (harness_run("escape", tests));
}
