/* Configuration loading: good files load, bad ones name file, key, problem. */

#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	struct peer	 root = { .pid = 1 }, other = { .pid = 1, .uid = 4242,
			     .gid = 4242 };

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
	expect_error(f, "{\"threads\": 0, \"credentials\": [{\"name\": "
	    "\"a\", \"ca_file\": \"@/ca.pem\"}]}", "threads", "1 to 256");
	expect_error(f, "{\"handshake_threads\": \"many\", \"credentials\": "
	    "[{\"name\": \"a\", \"ca_file\": \"@/ca.pem\"}]}",
	    "handshake_threads", "\"auto\"");
}

/* A credential of text's policy keys: its server and client contexts. */
static struct config *
load_policy(struct fixture *f, const char *keys)
{
	struct config	*cf;
	struct sc_err	 err;
	char		 text[1024];

	snprintf(text, sizeof(text), "{\"credentials\": [{\"name\": \"p\", "
	    "\"certificate\": \"@/server.pem\", \"private_key\": "
	    "\"@/server.key\", \"ca_file\": \"@/ca.pem\", %s}]}", keys);
	if (load(f, text, &cf, &err) != SEC_E_OK)
		fail_msg("%s: %s", keys, err.msg);
	return (cf);
}

/* What a credential without "ciphers" and "ciphersuites" offers. */
#define DEFAULT_SUITES	"TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"

/* Names of ctx's ciphers, each followed by ':'. */
static void
cipher_names(SSL_CTX *ctx, char *out, size_t len)
{
	STACK_OF(SSL_CIPHER)	*sk = SSL_CTX_get_ciphers(ctx);
	int			 i;

	*out = '\0';
	for (i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
		strncat(out, SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i)),
		    len - strlen(out) - 1);
		strncat(out, ":", len - strlen(out) - 1);
	}
}

/*
 * The algorithm policy reaches both of a credential's contexts; a name
 * OpenSSL does not know, or a string that leaves nothing, is an error
 * naming the key.
 */
static void
test_tls_policy(void **state)
{
	struct fixture	*f = *state;
	struct config	*cf;
	struct cred	*c;
	char		 names[2048];

	cf = load_policy(f, "\"ciphersuites\": "
	    "\"TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256\", "
	    "\"ciphers\": \"ECDHE-ECDSA-AES256-GCM-SHA384\", "
	    "\"groups\": \"P-384:X25519\", "
	    "\"signature_algorithms\": \"ECDSA+SHA256:ed25519\"");
	c = config_find_cred(cf, "p");
	cipher_names(c->server_ctx, names, sizeof(names));
	assert_string_equal(names, "TLS_CHACHA20_POLY1305_SHA256:"
	    "TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:");
	cipher_names(c->client_ctx, names, sizeof(names));
	assert_string_equal(names, "TLS_CHACHA20_POLY1305_SHA256:"
	    "TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:");
	config_free(cf);
	/*
	 * Without the keys: OpenSSL's TLS 1.3 suites, and for TLS 1.2 the
	 * forward-secret AEAD suites only, in both directions.
	 */
	cf = load_policy(f, "\"uids\": [0]");
	c = config_find_cred(cf, "p");
	cipher_names(c->server_ctx, names, sizeof(names));
	assert_string_equal(names, DEFAULT_SUITES);
	cipher_names(c->client_ctx, names, sizeof(names));
	assert_string_equal(names, DEFAULT_SUITES);
	config_free(cf);
	/* Older suites are there for a credential that names them. */
	cf = load_policy(f, "\"ciphers\": \"AES128-SHA:ECDHE+AESGCM\"");
	cipher_names(config_find_cred(cf, "p")->server_ctx, names,
	    sizeof(names));
	assert_non_null(strstr(names, ":AES128-SHA:"));
	config_free(cf);

	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"ciphersuites\": "
	    "\"TLS_AES_128_GCM_SHA256:TLS_AES_512\"}]}", "credentials[0] \"a\"",
	    "ciphersuites: \"TLS_AES_512\" is not a TLS 1.3 cipher suite");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"ciphersuites\": "
	    "\"ECDHE-ECDSA-AES128-GCM-SHA256\"}]}", "ciphersuites",
	    "not a TLS 1.3 cipher suite");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"ciphersuites\": "
	    "\"TLS_AES_128_GCM_SHA256::\"}]}", "ciphersuites",
	    "separated by ':'");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"ciphers\": \"RC5-NOPE\"}]}",
	    "ciphers: \"RC5-NOPE\"", "no cipher match");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"groups\": \"P-384:P-999\"}]}",
	    "groups: \"P-384:P-999\"", NULL);
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"signature_algorithms\": "
	    "\"ECDSA+MD4\"}]}", "signature_algorithms: \"ECDSA+MD4\"", NULL);
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"groups\": 25}]}", "groups",
	    "non-empty string");
	/* Refused for the server context too (the credential has a key). */
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"certificate\": \"@/server.pem\", \"private_key\": "
	    "\"@/server.key\", \"ciphers\": \"NULL-NOPE\"}]}",
	    "credentials[0] \"a\"", "ciphers");
}

/* A CRL file: both contexts check the peer against it; bad files fail. */
static void
test_crl_file(void **state)
{
	struct fixture	*f = *state;
	struct config	*cf;
	struct cred	*c;
	unsigned long	 flags;

	cf = load_policy(f, "\"crl_file\": \"@/crl.pem\"");
	c = config_find_cred(cf, "p");
	flags = X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(c->server_ctx));
	assert_true(flags & X509_V_FLAG_CRL_CHECK);
	flags = X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(c->client_ctx));
	assert_true(flags & X509_V_FLAG_CRL_CHECK);
	assert_int_equal(sk_X509_OBJECT_num(X509_STORE_get0_objects(
	    SSL_CTX_get_cert_store(c->client_ctx))), 2);	/* CA, CRL */
	config_free(cf);
	cf = load_policy(f, "\"uids\": [0]");
	flags = X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(
	    config_find_cred(cf, "p")->client_ctx));
	assert_false(flags & X509_V_FLAG_CRL_CHECK);
	config_free(cf);

	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"crl_file\": \"@/nope.pem\"}]}",
	    "crl_file: ", "nope.pem");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"crl_file\": \"@/ca.pem\"}]}",
	    "crl_file: ", "no PEM CRL");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"certificate\": \"@/server.pem\", \"private_key\": "
	    "\"@/server.key\", \"crl_file\": \"@/crl.pem\"}]}",
	    "crl_file needs trust anchors", NULL);
}

/*
 * Thread counts: "auto" (loops: two per CPU the process may run on; pool:
 * one) unless given.
 */
static void
test_threads(void **state)
{
	struct config	*cf;
	struct sc_err	 err;
	cpu_set_t	 saved, one;
	long		 cpus;
	const char	*plain = "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\"}]}";

	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	cpus = CPU_COUNT(&saved);
	assert_int_equal(load(*state, plain, &cf, &err), SEC_E_OK);
	assert_int_equal(cf->threads, 2 * cpus > 256 ? 256 : 2 * cpus);
	assert_int_equal(cf->handshake_threads, cpus > 256 ? 256 : cpus);
	config_free(cf);
	/* Pinned to one CPU (a cpuset, CPUAffinity=): sized for that one. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(load(*state, plain, &cf, &err), SEC_E_OK);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
	assert_int_equal(cf->threads, 2);
	assert_int_equal(cf->handshake_threads, 1);
	config_free(cf);
	assert_int_equal(load(*state, "{\"threads\": 3, \"handshake_threads\": "
	    "0, \"credentials\": [{\"name\": \"a\", \"ca_file\": "
	    "\"@/ca.pem\"}]}", &cf, &err), SEC_E_OK);
	assert_int_equal(cf->threads, 3);
	assert_int_equal(cf->handshake_threads, 0);
	config_free(cf);
	assert_int_equal(load(*state, "{\"threads\": \"auto\", "
	    "\"credentials\": [{\"name\": \"a\", \"ca_file\": "
	    "\"@/ca.pem\"}]}", &cf, &err), SEC_E_OK);
	assert_int_equal(cf->threads, 2 * cpus > 256 ? 256 : 2 * cpus);
	config_free(cf);
}

/*
 * "records": "process" unless a credential says "daemon"; anything else
 * is refused, naming the key.
 */
static void
test_records(void **state)
{
	struct fixture	*f = *state;
	struct config	*cf;
	struct sc_err	 err;

	assert_int_equal(load(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\"}, {\"name\": \"p\", "
	    "\"ca_file\": \"@/ca.pem\", \"records\": \"process\"}, "
	    "{\"name\": \"d\", \"ca_file\": \"@/ca.pem\", "
	    "\"records\": \"daemon\"}]}", &cf, &err), SEC_E_OK);
	assert_int_equal(config_find_cred(cf, "a")->records, RECORDS_PROCESS);
	assert_int_equal(config_find_cred(cf, "p")->records, RECORDS_PROCESS);
	assert_int_equal(config_find_cred(cf, "d")->records, RECORDS_DAEMON);
	config_free(cf);

	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"records\": \"library\"}]}",
	    "credentials[0] \"a\": records",
	    "must be \"process\" or \"daemon\"");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"records\": true}]}",
	    "credentials[0] \"a\": records",
	    "must be \"process\" or \"daemon\"");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"records\": [\"daemon\"]}]}",
	    "records", "must be \"process\" or \"daemon\"");
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"records\": \"\"}]}",
	    "records", "must be \"process\" or \"daemon\"");
}

/* A configuration with these limits (the members of "limits"). */
static secctx_status
load_limits(struct fixture *f, const char *limits, struct config **cf,
    struct sc_err *err)
{
	char	text[512];

	snprintf(text, sizeof(text), "{\"limits\": {%s}, \"credentials\": "
	    "[{\"name\": \"a\", \"ca_file\": \"@/ca.pem\"}]}", limits);
	return (load(f, text, cf, err));
}

/*
 * Per-uid limits follow from the values given; limits that contradict
 * each other are refused, naming both keys.
 */
static void
test_limits_contradict(void **state)
{
	struct fixture	*f = *state;
	struct config	*cf;
	struct sc_err	 err;

	assert_int_equal(load_limits(f, "", &cf, &err), SEC_E_OK);
	assert_int_equal(cf->limits.contexts_per_uid, 4096);
	assert_int_equal(cf->limits.contexts_per_connection, 1024);
	assert_int_equal(cf->limits.buffer_per_uid,
	    8 * cf->limits.buffer_per_connection);
	config_free(cf);
	/* From total_contexts and buffer_per_connection given. */
	assert_int_equal(load_limits(f, "\"total_contexts\": 400, "
	    "\"buffer_per_connection\": 2000000", &cf, &err), SEC_E_OK);
	assert_int_equal(cf->limits.contexts_per_uid, 100);
	assert_int_equal(cf->limits.contexts_per_connection, 100);
	assert_int_equal(cf->limits.buffer_per_uid, 16000000);
	config_free(cf);
	assert_int_equal(load_limits(f, "\"total_contexts\": 1, "
	    "\"contexts_per_uid\": 1", &cf, &err), SEC_E_OK);
	config_free(cf);
	assert_int_equal(load_limits(f, "\"total_contexts\": 100, "
	    "\"contexts_per_uid\": 51", &cf, &err), SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "contexts_per_uid (51) exceeds half "
	    "of total_contexts (100)"));
	assert_int_equal(load_limits(f, "\"contexts_per_uid\": 10, "
	    "\"contexts_per_connection\": 11", &cf, &err),
	    SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "contexts_per_connection (11) "
	    "exceeds contexts_per_uid (10)"));
	assert_int_equal(load_limits(f, "\"buffer_per_uid\": 2000000",
	    &cf, &err), SEC_E_INVALID_PARAMETER);
	assert_non_null(strstr(err.msg, "buffer_per_uid (2000000) is below "
	    "buffer_per_connection"));
	assert_null(cf);
}

/* A copy of server.key with this mode and owner, named name. */
static void
key_copy(struct fixture *f, const char *name, mode_t mode, uid_t owner)
{
	char	cmd[512], path[256];

	snprintf(cmd, sizeof(cmd), "cp %s/pki/server.key %s/pki/%s", f->dir,
	    f->dir, name);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/pki/%s", f->dir, name);
	assert_int_equal(chmod(path, mode), 0);
	if (owner != getuid())
		assert_int_equal(chown(path, owner, (gid_t)-1), 0);
}

static const char *
key_config(char *buf, size_t len, const char *key, int insecure)
{
	snprintf(buf, len, "{\"credentials\": [{\"name\": \"a\", "
	    "\"certificate\": \"@/server.pem\", \"private_key\": \"@/%s\"%s}]}",
	    key, insecure ? ", \"allow_insecure_key_file\": true" : "");
	return (buf);
}

/* Key files readable by others or owned by someone else are refused. */
static void
test_key_file_checks(void **state)
{
	struct fixture	*f = *state;
	struct config	*cf;
	struct sc_err	 err;
	char		 text[512];

	key_copy(f, "group.key", 0640, getuid());
	expect_error(f, key_config(text, sizeof(text), "group.key", 0),
	    "group.key: mode 0640", "allow_insecure_key_file");
	key_copy(f, "world.key", 0604, getuid());
	expect_error(f, key_config(text, sizeof(text), "world.key", 0),
	    "world.key: mode 0604", NULL);
	key_copy(f, "writable.key", 0620, getuid());
	expect_error(f, key_config(text, sizeof(text), "writable.key", 0),
	    "mode 0620", NULL);
	/* The credential may say otherwise. */
	assert_int_equal(load(f, key_config(text, sizeof(text), "group.key",
	    1), &cf, &err), SEC_E_OK);
	config_free(cf);
	/* 0600 and 0400 are fine. */
	key_copy(f, "ro.key", 0400, getuid());
	assert_int_equal(load(f, key_config(text, sizeof(text), "ro.key", 0),
	    &cf, &err), SEC_E_OK);
	config_free(cf);
	if (getuid() != 0)
		return;
	/* Owned by another user (not root, not the daemon's). */
	key_copy(f, "theirs.key", 0600, 4242);
	expect_error(f, key_config(text, sizeof(text), "theirs.key", 0),
	    "theirs.key: owned by uid 4242", NULL);
	assert_int_equal(load(f, key_config(text, sizeof(text), "theirs.key",
	    1), &cf, &err), SEC_E_OK);
	config_free(cf);
}

/* The policy and limits keys: parsed, checked, defaulted. */
static void
test_policy_keys(void **state)
{
	struct fixture		*f = *state;
	struct config		*cf;
	struct sc_err		 err;
	struct cred		*c;
	const struct caller_policy *cp;
	gid_t			 groups[1] = { 77 };
	struct peer		 p = { .pid = 1, .uid = 5, .gid = 5 };
	struct ctx_params	 skip = { .skip_validation = 1 };

	assert_int_equal(load(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"gids\": [77], \"directions\": "
	    "[\"outbound\"], \"executables\": [\"/bin/sh\"]}]}", &cf, &err),
	    SEC_E_OK);
	/* The defaults. */
	assert_int_equal(cf->limits.max_payload, 1179648);
	assert_int_equal(cf->limits.idle_timeout_ms, 0);
	assert_int_equal(cf->limits.frame_timeout_ms, 10000);
	assert_int_equal(cf->limits.handshake_timeout_ms, 60000);
	cp = policy_caller(cf, &p);
	assert_int_equal(cp->ntargets, 0);
	assert_int_equal(cp->skip_validation, 0);
	c = config_find_cred(cf, "a");
	assert_non_null(c);
	/* A supplementary group admits; the direction and exe decide. */
	assert_false(policy_may_use(c, &p));
	p.groups = groups;
	p.ngroups = 1;
	assert_true(policy_may_use(c, &p));
	assert_int_equal(policy_check_cred(c, &p, DIR_OUTBOUND, &err),
	    SEC_E_NOT_OWNER);	/* no executable known */
	config_free(cf);

	assert_int_equal(load(f, "{\"limits\": {\"max_payload\": 4096, "
	    "\"frame_timeout\": 0.25, \"idle_timeout\": 30, "
	    "\"handshake_timeout\": 1.5}, \"callers\": "
	    "[{\"uids\": [5], \"min_version\": \"TLSv1.3\", \"targets\": "
	    "[\"*.example.com\"]}, {\"skip_validation\": true}], "
	    "\"credentials\": [{\"name\": \"a\", \"ca_file\": \"@/ca.pem\"}]}",
	    &cf, &err), SEC_E_OK);
	assert_int_equal(cf->limits.max_payload, 4096);
	assert_int_equal(cf->limits.frame_timeout_ms, 250);
	assert_int_equal(cf->limits.idle_timeout_ms, 30000);
	assert_int_equal(cf->limits.handshake_timeout_ms, 1500);
	cp = policy_caller(cf, &p);
	assert_int_equal(cp->index, 0);
	assert_int_equal(cp->min_version, TLS1_3_VERSION);
	p.uid = 6;
	cp = policy_caller(cf, &p);
	assert_int_equal(cp->index, 1);
	assert_true(cp->skip_validation);
	config_free(cf);

	/* A credential allows skipping by default and can forbid it. */
	assert_int_equal(load(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\"}, {\"name\": \"b\", \"ca_file\": "
	    "\"@/ca.pem\", \"allow_skip_validation\": false}]}", &cf, &err),
	    SEC_E_OK);
	assert_int_equal(policy_check_skip(config_find_cred(cf, "a"),
	    &skip, &err), SEC_E_OK);
	assert_int_equal(policy_check_skip(config_find_cred(cf, "b"),
	    &skip, &err), SEC_E_NOT_OWNER);
	assert_non_null(strstr(err.msg, "credential 'b'"));
	skip.skip_validation = 0;
	assert_int_equal(policy_check_skip(config_find_cred(cf, "b"),
	    &skip, &err), SEC_E_OK);
	config_free(cf);
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"allow_skip_validation\": 1}]}",
	    "allow_skip_validation", "true or false");

	expect_error(f, "{\"limits\": {\"max_payload\": 99999999}, "
	    "\"credentials\": []}", "limits: max_payload", NULL);
	expect_error(f, "{\"limits\": {\"max_payload\": 4096, "
	    "\"buffer_per_connection\": 5000}, \"credentials\": []}",
	    "buffer_per_connection", "whole frame");
	expect_error(f, "{\"limits\": {\"frame_timeout\": 0}, "
	    "\"credentials\": []}", "frame_timeout", NULL);
	expect_error(f, "{\"limits\": {\"handshake_timeout\": 0}, "
	    "\"credentials\": []}", "handshake_timeout", NULL);
	expect_error(f, "{\"limits\": {\"bogus\": 1}, \"credentials\": []}",
	    "unknown key 'bogus'", NULL);
	expect_error(f, "{\"callers\": [{\"min_version\": \"TLSv1.1\"}], "
	    "\"credentials\": []}", "callers[0]: min_version", NULL);
	expect_error(f, "{\"callers\": [{\"targets\": [\"\"]}], "
	    "\"credentials\": []}", "callers[0]: targets[0]", NULL);
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"directions\": [\"up\"]}]}",
	    "directions[0]", NULL);
	expect_error(f, "{\"credentials\": [{\"name\": \"a\", "
	    "\"ca_file\": \"@/ca.pem\", \"executables\": [\"sh\"]}]}",
	    "executables[0]", "absolute path");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_key_file_checks),
		cmocka_unit_test(test_policy_keys),
		cmocka_unit_test(test_tls_policy),
		cmocka_unit_test(test_crl_file),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_limits_contradict),
		cmocka_unit_test(test_records),
	};

	log_init(0);
	return (cmocka_run_group_tests(tests, setup, teardown));
}
