/* What the fuzz targets that run daemon code share (fuzz-common.c). */
#ifndef SECCTX_FUZZ_H
#define SECCTX_FUZZ_H

#include <stddef.h>

#include "secctxd.h"

/*
 * Once per process: OpenSSL, the daemon's globals, and a throwaway PKI
 * (tests/gen-pki.sh, keys 0600) in a temporary directory, removed at exit
 * or by fuzz_pki_remove() once the credentials are loaded (a killed run
 * leaves it).  Returns that directory.
 */
const char	*fuzz_init(void);
void		 fuzz_pki_remove(void);

/*
 * Load a configuration whose text names the PKI files by "@/", e.g.
 * "@/server.pem" (replaced by the PKI directory), into the global config.
 * Aborts on failure: the harness's own configuration must load.
 */
void		 fuzz_load_config(const char *text);

/* Write len bytes to PATH (the corpus maker); aborts on failure. */
void		 fuzz_write_file(const char *dir, const char *name,
		    const void *data, size_t len);

/* The directory of SECCTX_FUZZ_MAKE_CORPUS, or NULL. */
const char	*fuzz_corpus_dir(void);

#endif
