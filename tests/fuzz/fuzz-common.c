/* What the fuzz targets that run daemon code share. */

#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/thread.h>
#include <openssl/ssl.h>

#include "fuzz.h"

/* main.c's globals: the fuzz targets are the daemon's main. */
struct event_base	*base;
struct config		*config;

static char	pki_dir[128];
static int	pki_removed;

void
fuzz_pki_remove(void)
{
	char	cmd[256];

	if (pki_dir[0] == '\0' || pki_removed ||
	    getenv("SECCTX_FUZZ_KEEP") != NULL)
		return;
	pki_removed = 1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", pki_dir);
}

const char *
fuzz_init(void)
{
	const char	*tmp = getenv("TMPDIR");
	char		 cmd[512];

	if (pki_dir[0] != '\0')
		return (pki_dir);
	log_init(0);
	OPENSSL_init_ssl(0, NULL);
	if (context_global_init() != 0)
		abort();
	config_lock_init();
	if (evthread_use_pthreads() != 0)
		abort();
	snprintf(pki_dir, sizeof(pki_dir), "%s/secctx-fuzz-XXXXXX",
	    tmp != NULL && strlen(tmp) < 64 ? tmp : "/tmp");
	if (mkdtemp(pki_dir) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(fuzz_pki_remove);
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' >/dev/null 2>&1",
	    SECCTX_GEN_PKI, pki_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "fuzz: %s failed\n", cmd);
		abort();
	}
	return (pki_dir);
}

void
fuzz_load_config(const char *text)
{
	struct sc_err	 err;
	char		 path[256];
	FILE		*fp;
	const char	*p;

	snprintf(path, sizeof(path), "%s/secctxd.json", pki_dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	for (p = text; *p != '\0'; p++) {
		if (p[0] == '@' && p[1] == '/')
			fputs(pki_dir, fp);
		else
			fputc(*p, fp);
	}
	if (fclose(fp) != 0)
		abort();
	if (config_load(path, &config, &err) != SEC_E_OK) {
		fprintf(stderr, "fuzz: %s\n", err.msg);
		abort();
	}
}

void
fuzz_write_file(const char *dir, const char *name, const void *data,
    size_t len)
{
	char	 path[512];
	FILE	*fp;

	(void)mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		fprintf(stderr, "fuzz: %s: %s\n", path, strerror(errno));
		abort();
	}
}

const char *
fuzz_corpus_dir(void)
{
	return (getenv("SECCTX_FUZZ_MAKE_CORPUS"));
}
