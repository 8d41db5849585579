#!/bin/sh
# tests/valgrind.sh BUILD_DIR [CTEST ARGS...]: the test suite under valgrind
# memcheck, the daemons the tests start included.
#
# BUILD_DIR is configured (if needed) with -DSECCTX_VALGRIND=ON, which puts
# every test program under memcheck; SECCTX_TEST_WRAPPER below puts every
# secctxd the harness and xdaemon.c start under it too.  Any memcheck error
# or definite leak makes that process exit 99, so its test fails.  The load
# test (label load) is left out: it measures the daemon's memory, which
# valgrind's allocator changes.  Examples:
#
#   tests/valgrind.sh build-vg                      # the whole suite
#   tests/valgrind.sh build-vg -L unit              # what .ci/run runs, with
#   tests/valgrind.sh build-vg -R 'integration_(pair|protocol|hostile)'
set -eu

build=${1:?usage: tests/valgrind.sh BUILD_DIR [CTEST ARGS...]}
shift
src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$build/CMakeCache.txt" ] ||
    ! grep -q '^SECCTX_VALGRIND:BOOL=ON' "$build/CMakeCache.txt"; then
	cmake -S "$src" -B "$build" -DSECCTX_VALGRIND=ON \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j2 >/dev/null
SECCTX_TEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite \
--num-callers=30 --suppressions=$src/tests/valgrind.supp"
export SECCTX_TEST_WRAPPER
exec ctest --test-dir "$build" --output-on-failure -LE load "$@"
