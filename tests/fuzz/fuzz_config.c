/*
 * fuzz_config: the configuration parser, config_load() on a file.
 *
 * Input: the text of a configuration file, with every "@/" replaced by
 * the directory of a throwaway PKI (tests/gen-pki.sh, keys 0600), so that
 * "@/server.pem", "@/server.key", "@/ca.pem" ... load real credentials.
 * It is written to a memfd and loaded from /proc/self/fd/N.  A
 * configuration that loads is then asked every access question the daemon
 * asks of it.
 */

#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static int	 memfd = -1;
static char	 path[64];
static const char *pki;
static size_t	 pki_len;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pki = fuzz_init();
	pki_len = strlen(pki);
	if ((memfd = memfd_create("secctxd.json", MFD_CLOEXEC)) == -1)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return (0);
}

/* The questions the daemon asks of a loaded configuration. */
static void
ask(const struct config *cf)
{
	static const char *const targets[] = { NULL, "localhost",
	    "example.org", "127.0.0.1" };
	const struct caller_policy *cp;
	struct ctx_params	 p;
	struct sc_err		 err;
	struct peer		 peer;
	gid_t			 groups[1] = { 0 };
	size_t			 i, t;
	int			 dir;

	memset(&peer, 0, sizeof(peer));
	peer.pid = getpid();
	peer.uid = getuid();
	peer.gid = getgid();
	peer.groups = groups;
	peer.ngroups = 1;
	for (i = 0; i < cf->ncreds; i++) {
		if (config_find_cred(cf, cf->creds[i]->name) != cf->creds[i])
			abort();
		(void)policy_may_use(cf->creds[i], &peer);
		for (dir = DIR_OUTBOUND; dir <= DIR_INBOUND; dir++) {
			(void)cred_check_direction(cf->creds[i], dir, &err);
			(void)policy_check_cred(cf->creds[i], &peer, dir,
			    &err);
		}
	}
	cp = policy_caller(cf, &peer);
	for (t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
		memset(&p, 0, sizeof(p));
		p.target = targets[t];
		p.max_version = t & 1 ? TLS1_2_VERSION : 0;
		p.skip_validation = t & 2 ? 1 : 0;
		(void)policy_check_context(cp, DIR_OUTBOUND, &p, &err);
		(void)policy_check_context(cp, DIR_INBOUND, &p, &err);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cf = NULL;
	struct sc_err	 err;
	char		*text;
	size_t		 i, n = 0;

	if ((text = malloc(size * (pki_len + 1) + 1)) == NULL)
		abort();
	for (i = 0; i < size; i++) {
		if (data[i] == '@' && i + 1 < size && data[i + 1] == '/') {
			memcpy(text + n, pki, pki_len);
			n += pki_len;
			continue;
		}
		text[n++] = data[i];
	}
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, text, n, 0) !=
	    (ssize_t)n)
		abort();
	free(text);
	if (config_load(path, &cf, &err) == SEC_E_OK) {
		if (cf->ncreds == 0)
			abort();
		ask(cf);
		config_free(cf);
	} else if (err.status == SEC_E_OK || err.msg[0] == '\0')
		abort();
	return (0);
}
