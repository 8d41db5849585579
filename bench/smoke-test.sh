#!/bin/sh
#
# smoke-test.sh SECCTX_BENCH: the ctest bench_smoke.  Runs every case for
# a tiny amount of work and checks that the program exits 0 and prints a
# line for every case, both records modes on the lines of the cases that
# move records (bulk-*, lat-*), and the summary.  No timing is asserted.
set -u

bench=$1
out=$("$bench" --smoke 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then
	echo "smoke-test: secctx-bench --smoke exited $rc" >&2
	exit 1
fi
for id in $("$bench" --list | awk '{ print $1 }'); do
	if ! printf '%s\n' "$out" | grep -q "^$id "; then
		echo "smoke-test: no line for case $id" >&2
		exit 1
	fi
	case $id in
	bulk-*|lat-*)
		if ! printf '%s\n' "$out" | grep "^$id " |
		    grep 'mediated(process)' | grep -q 'mediated(daemon)'; then
			echo "smoke-test: case $id lacks a records mode" >&2
			exit 1
		fi
		;;
	esac
done
if ! printf '%s\n' "$out" | grep -q '^summary:'; then
	echo "smoke-test: no summary" >&2
	exit 1
fi
echo "smoke-test: every case ran"
