#!/bin/sh
# tests/load/run.sh [BUILD_DIR [SECONDS [ARGS...]]]: the long load test
# (tests/load/README.md), 600 seconds by default.
set -eu
build=${1:-build}
seconds=${2:-600}
[ $# -gt 2 ] && shift 2 || set --
src=$(cd "$(dirname "$0")/../.." && pwd)
exec "$build/tests/secctx-load" --daemon "$build/daemon/secctxd" \
    --gen-pki "$src/tests/gen-pki.sh" --time "$seconds" --warmup 10 "$@"
