/* Configuration loading: good files load, bad ones name file, key, problem. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "secctxd.h"

struct fixture {
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 cmd[256];

	strcpy(f->dir, "/tmp/secctx-config-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return (-1);
	snprintf(cmd, sizeof(cmd), "sh %s %s/pki >/dev/null", SECCTX_GEN_PKI,
	    f->dir);
	if (system(cmd) != 0)
		return (-1);
	snprintf(f->path, sizeof(f->path), "%s/secctxd.json", f->dir);
	context_global_init();
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return (-1);
	free(f);
	return (0);
}

/* Write the file (with @ replaced by the PKI directory) and load it. */
static secctx_status
load(struct fixture *f, const char *text, struct config **cf,
    struct sc_err *err)
{
	FILE		*fp = fopen(f->path, "w");
	const char	*p;

	assert_non_null(fp);
	for (p = text; *p != '\0'; p++) {
		if (*p == '@')
			fprintf(fp, "%s/pki", f->dir);
		else
			fputc(*p, fp);
	}
	fclose(fp);
	*cf = NULL;
	return (config_load(f->path, cf, err));
}

static void
test_valid(void **state)
{
	struct config	*cf;
	struct sc_err	 err;
	struct cred	*c;
	struct peer	 root = { 1, 0, 0 }, other = { 1, 4242, 4242 };

	assert_int_equal(load(*state, "{\"socket\": \"/tmp/x.sock\", "
	    "\"socket_mode\": \"0660\", \"credentials\": ["
	    "{\"name\": \"web\", \"certificate\": \"@/server.pem\", "
	    "\"private_key\": \"@/server.key\", \"ca_file\": \"@/ca.pem\", "
	    "\"uids\": [0, \"root\"], \"gids\": [\"root\", 7]},"
	    "{\"name\": \"out\", \"ca_file\": \"@/ca.pem\", \"uids\": [5]}]}",
	    &cf, &err), SEC_E_OK);
	assert_string_equal(cf->socket_path, "/tmp/x.sock");
	assert_int_equal(cf->socket_mode, 0660);
	assert_int_equal(cf->ncreds, 2);
	c = config_find_cred(cf, "web");
	assert_non_null(c);
	assert_non_null(c->server_ctx);
	assert_non_null(c->client_ctx);
	assert_int_equal(c->nuids, 2);
	assert_int_equal(c->ngids, 2);
	assert_true(policy_may_use(c, &root));
	assert_false(policy_may_use(c, &other));
	assert_int_equal(cred_check_direction(c, DIR_INBOUND, &err), SEC_E_OK);
	c = config_find_cred(cf, "out");
	assert_non_null(c);
	assert_null(c->server_ctx);
	assert_int_equal(cred_check_direction(c, DIR_INBOUND, &err),
	    SEC_E_NO_CREDENTIALS);
	assert_int_equal(cred_check_direction(c, DIR_OUTBOUND, &err),
	    SEC_E_OK);
	assert_null(config_find_cred(cf, "nope"));
	config_free(cf);
}

/* Each bad file fails, and the message holds every expected fragment. */
static void
expect_error(struct fixture *f, const char *text, const char *frag1,
    const char *frag2)
{
	struct config	*cf;
	struct sc_err	 err;

	assert_int_not_equal(load(f, text, &cf, &err), SEC_E_OK);
	assert_null(cf);
	if (strstr(err.msg, f->path) == NULL || strstr(err.msg, frag1) == NULL ||
	    (frag2 != NULL && strstr(err.msg, frag2) == NULL))
		fail_msg("message '%s' lacks '%s' or '%s'", err.msg, frag1,
		    frag2 != NULL ? frag2 : "");
}

static void
test_errors(void **state)
{
	struct fixture	*f = *state;

	expect_error(f, "{", "line", NULL);
	expect_error(f, "[]", "must be a JSON object", NULL);
	expect_error(f, "{\"credentials\": []}", "credentials", "non-empty");
	expect_error(f, "{\"sockett\": \"x\", \"credentials\": []}",
	    "unknown key 'sockett'", NULL);
	expect_error(f, "{\"socket_mode\": \"999\", \"credentials\": "
	    "[{\"name\": \"a\", \"ca_file\": \"@/ca.pem\"}]}", "socket_mode",
	    NULL);
	expect_error(f, "{\"credentials\": [{\"name\": \"bad name\"}]}",
	    "credentials[0]", "name");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"certificate\": \"@/server.pem\"}]}", "credentials[0] \"a\"",
	    "private_key must be given together");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"certificate\": \"@/server.pem\", \"private_key\": "
	    "\"@/missing.key\"}]}", "credentials[0] \"a\"",
	    "missing.key: No such file or directory");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"certificate\": \"@/server.pem\", \"private_key\": "
	    "\"@/client.key\"}]}", "private_key", NULL);
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"uids\": [\"no-such-user-x\"]}]}",
	    "uids[0]", "not a known user");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\"}, {\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\"}]}", "credentials[1]",
	    "already used");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"system_trust\": 1}]}",
	    "system_trust", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
	};

	log_init(0);
	return (cmocka_run_group_tests(tests, setup, teardown));
}
