#!/bin/sh
#
# run.sh BUILD_DIR SECONDS [TARGET...]: run each fuzz target (all six by
# default) for SECONDS, one after the other, with its dictionary and its
# seed corpus.  BUILD_DIR is a build with -DSECCTX_FUZZ=ON (CC=clang).
#
# New inputs go to a working corpus and crash artifacts to a scratch
# directory, both under $FUZZ_WORK (default: a new directory in
# ${TMPDIR:-/tmp}), never into the repository.  The checked-in corpus is
# read, not written.  Each target's last status line (runs, cov, ft, exec/s)
# is printed; the exit status is 1 when any target found a crash, leak or
# timeout, whose reproducer and log are named.  Extra libFuzzer options:
# FUZZ_OPTIONS (e.g. FUZZ_OPTIONS=-rss_limit_mb=4096).
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS [fuzz_frame|fuzz_config|fuzz_conn|fuzz_tls|fuzz_escape|fuzz_mapped ...]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$1" && pwd)/tests/fuzz
seconds=$2
shift 2
[ $# -gt 0 ] || set -- fuzz_frame fuzz_config fuzz_conn fuzz_tls fuzz_escape \
    fuzz_mapped
work=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/secctx-fuzz.XXXXXX")}
mkdir -p "$work"
status=0

for t in "$@"; do
	case $t in
	fuzz_frame)	max_len=8192 ;;
	fuzz_config)	max_len=8192 ;;
	fuzz_conn)	max_len=16384 ;;
	fuzz_tls)	max_len=16384 ;;
	fuzz_escape)	max_len=4096 ;;
	fuzz_mapped)	max_len=65536 ;;
	*)	echo "$0: unknown target $t" >&2; exit 2 ;;
	esac
	mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
	dict=
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	log=$work/$t/fuzz.log
	# -close_fd_mask=2: the daemon's log lines would drown the fuzzer's;
	# sanitizer reports still reach the log.
	# shellcheck disable=SC2086
	(cd "$work/$t" && "$bin/$t" -max_total_time="$seconds" -jobs=1 \
	    -workers=1 -timeout=30 -rss_limit_mb=3072 -max_len=$max_len \
	    -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="$work/$t/artifacts/" $dict ${FUZZ_OPTIONS:-} \
	    "$work/$t/corpus" "$here/corpus/$t" >"$log" 2>&1)
	# With -jobs the output is in fuzz-0.log of the working directory.
	[ -f "$work/$t/fuzz-0.log" ] && cat "$work/$t/fuzz-0.log" >>"$log"
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	if ls "$work/$t/artifacts/" | grep -q .; then
		echo "$t: FAILED after ${seconds}s: $last"
		grep -E 'ERROR|SUMMARY|fuzz_[a-z]+:' "$log" | head -n 5
		echo "$t: reproducers in $work/$t/artifacts/, log $log"
		status=1
	elif ! grep -q '^Done [0-9]* runs' "$log"; then
		echo "$t: FAILED: did not run to the end; log $log"
		tail -n 5 "$log"
		status=1
	else
		echo "$t: ok, ${seconds}s: $last"
	fi
done
exit $status
