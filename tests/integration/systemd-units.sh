#!/bin/sh
#
# systemd-units.sh SRC_DIR DAEMON: the units in systemd/ as systemd reads
# them, without a running systemd (a container, CI):
#
#  - systemd-analyze verify accepts secctxd.service and secctxd.socket (a
#    copy whose ExecStart names the built daemon, since verify wants the
#    binary to exist);
#  - systemd-analyze security --offline rates the service at most
#    SECCTX_EXPOSURE (tenths, the score docs/SECURITY.md records);
#  - systemd-sysusers creates the user and systemd-tmpfiles the directories
#    in a scratch root, with the owners and modes documented.
#
# Exit 77 (skipped) without systemd-analyze.
set -eu

SECCTX_EXPOSURE=4	# 0.4: raise only with a reason in docs/SECURITY.md

if [ $# -ne 2 ]; then
	echo "usage: $0 SRC_DIR DAEMON" >&2
	exit 2
fi
src=$1
daemon=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze not found: skipped"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/secctx-units.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

sed "s#^ExecStart=/usr/sbin/secctxd #ExecStart=$daemon #" \
    "$src/systemd/secctxd.service" >"$tmp/secctxd.service"
cp "$src/systemd/secctxd.socket" "$tmp/"
grep -q "^ExecStart=$daemon " "$tmp/secctxd.service"
(cd "$tmp" && systemd-analyze verify ./secctxd.socket ./secctxd.service)
echo "verify: ok"

(cd "$tmp" && systemd-analyze security --offline=yes \
    --threshold=$SECCTX_EXPOSURE ./secctxd.service) >"$tmp/security" || {
	cat "$tmp/security"
	echo "exposure above 0.$SECCTX_EXPOSURE" >&2
	exit 1
}
tail -n 1 "$tmp/security"

if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles \
    >/dev/null; then
	root=$tmp/root
	mkdir -p "$root/etc"
	systemd-sysusers --root="$root" "$src/systemd/secctxd.sysusers"
	grep -q '^secctxd:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' \
	    "$root/etc/passwd"
	systemd-tmpfiles --create --root="$root" \
	    "$src/systemd/secctxd.tmpfiles"
	gid=$(sed -n 's/^secctxd:x:\([0-9]*\):.*/\1/p' "$root/etc/group")
	[ "$(stat -c '%a %u %g' "$root/etc/secctx")" = "750 0 $gid" ]
	[ "$(stat -c '%a %u %g' "$root/run/secctxd")" = "755 0 0" ]
	echo "sysusers, tmpfiles: ok"
fi
