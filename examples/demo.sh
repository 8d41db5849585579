#!/bin/sh
#
# demo.sh [BUILD_DIR]: the secctx demo on an embedded default configuration.
#
# On first run it creates a state directory (BUILD_DIR/demo-state, or
# $SECCTX_DEMO_DIR) holding a demo CA, a server credential and a client
# credential, and a daemon configuration that lets the current user use both.
# Then it starts secctxd on a socket in that directory, runs secctx-server
# (one connection, echo) and secctx-client against it over TCP on
# 127.0.0.1, sends a line through and back, and prints what the two ends
# negotiated.  Everything stops when it is done.
#
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
state=${SECCTX_DEMO_DIR:-$build/demo-state}
daemon=$build/daemon/secctxd
server=$build/examples/secctx-server
client=$build/examples/secctx-client

for f in "$daemon" "$server" "$client"; do
	[ -x "$f" ] || { echo "demo: $f is missing: build first" >&2; exit 1; }
done

if [ ! -f "$state/secctxd.json" ]; then
	echo "demo: creating the demo PKI and configuration in $state"
	mkdir -p "$state"
	chmod 0700 "$state"
	sh "$top/tests/gen-pki.sh" "$state/pki" >/dev/null
	cat >"$state/secctxd.json" <<JSON
{
  "socket": "$state/secctxd.sock",
  "socket_mode": "0600",
  "credentials": [
    {
      "name": "server",
      "certificate": "$state/pki/server.pem",
      "private_key": "$state/pki/server.key",
      "ca_file": "$state/pki/ca.pem",
      "uids": [$(id -u)]
    },
    {
      "name": "client",
      "certificate": "$state/pki/client.pem",
      "private_key": "$state/pki/client.key",
      "ca_file": "$state/pki/ca.pem",
      "uids": [$(id -u)]
    }
  ]
}
JSON
fi

SECCTX_SOCKET=$state/secctxd.sock
export SECCTX_SOCKET
daemon_pid=
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$daemon" -c "$state/secctxd.json" 2>"$state/secctxd.log" &
daemon_pid=$!
i=0
until [ -S "$SECCTX_SOCKET" ]; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
		echo "demo: secctxd did not start:" >&2
		cat "$state/secctxd.log" >&2
		exit 1
	fi
	sleep 0.1
done
echo "demo: secctxd is running (log: $state/secctxd.log)"

"$server" -1 --verify required -c server 0 >"$state/server.out" 2>&1 &
server_pid=$!
i=0
until grep -q '^listening on ' "$state/server.out" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 50 ] || ! kill -0 "$server_pid" 2>/dev/null; then
		echo "demo: secctx-server did not start:" >&2
		cat "$state/server.out" >&2
		exit 1
	fi
	sleep 0.1
done
port=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$state/server.out")

echo "demo: client side (echo hello | secctx-client localhost:$port):"
echo "hello through secctxd" | "$client" -c client "localhost:$port" 2>&1 |
    sed 's/^/  /'
wait "$server_pid"
server_pid=
echo "demo: server side (secctx-server):"
sed 's/^/  /' "$state/server.out"
echo "demo: both handshakes went through secctxd; no key left the daemon"
