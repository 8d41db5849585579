#!/bin/sh
#
# run.sh [BUILD_DIR] [secctx-bench options...]: run every case of the
# benchmark with its defaults (one stream per online core, 3 s per
# measurement, 10,000 idle contexts over 1,000 connections) and print the
# per-case lines and the summary.  Builds nothing: build first with
#   cmake -S . -B build && cmake --build build -j2
# Extra options go to secctx-bench (--json, -j N, --time S, --case ID,...).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
[ $# -gt 0 ] && shift
bench=$build/bench/secctx-bench
if [ ! -x "$bench" ]; then
	echo "run.sh: no $bench: build first (cmake --build $build)" >&2
	exit 2
fi

# The scale case holds 2,000 daemon connections: room for their
# descriptors here and in the daemon it starts (the program raises its own
# soft limit too).
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || :

# Other work on the machine skews every figure: say what was running.
echo "run.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
ps -eo pcpu=,comm= --sort=-pcpu 2>/dev/null | awk '$1 >= 5 { printf "run.sh: busy at start: %s %s%%\n", $2, $1 }' | head -5 || :

exec "$bench" "$@"
