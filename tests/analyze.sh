#!/bin/sh
# tests/analyze.sh: gcc 12 -fanalyzer over every C file of the daemon, the
# library, proto and the examples (docs/testing.md).  Prints the analyzer's
# warnings; exits 1 when there is one that is not a known false positive
# (below: the file, line and check, with the reason).
#
# Known false positives (the analyzer does not follow the callee's
# contract across files):
#   daemon/dispatch.c   NULL 'r': respond() accepts r == NULL (for
#                       dispatch_error), dispatch_respond() is never given
#                       one
#   daemon/op-context.c NULL 'ch': get_cred() with MSG_REQUIRED returns
#                       SEC_E_OK only with a handle (msg_handle_parse()
#                       rejects 0)
set -u
cd "$(dirname "$0")/.."
LC_ALL=C
export LC_ALL
inc="-Iproto -Idaemon -Iclient-lib -Iclient-lib/include \
-Iclient-lib/include/secctx -Iexamples \
$(pkg-config --cflags jansson libevent openssl)"
out=$(mktemp)
for f in proto/*.c daemon/*.c client-lib/*.c examples/*.c; do
	# shellcheck disable=SC2086
	gcc -std=c11 -D_GNU_SOURCE -O0 -fanalyzer -Wall -Wextra $inc \
	    -c "$f" -o /dev/null 2>>"$out"
done
cat "$out"
unknown=$(grep 'warning:' "$out" | grep -v \
    -e "^daemon/dispatch.c:.*dereference of NULL 'r'" \
    -e "^daemon/op-context.c:.*dereference of NULL 'ch'" | wc -l)
rm -f "$out"
echo "analyze.sh: $unknown warning(s) besides the known false positives"
[ "$unknown" -eq 0 ]
