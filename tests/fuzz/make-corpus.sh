#!/bin/sh
#
# make-corpus.sh BUILD_DIR: (re)make the seed corpora in corpus/.
#
#   fuzz_conn, fuzz_frame  fuzz_conn runs its sessions (fuzz_conn_corpus.c)
#                          through the real daemon in-process and records
#                          the frames sent and received
#   fuzz_tls               fuzz_tls records the flights of real handshakes
#                          between daemon contexts (TLS 1.3 and 1.2, with and
#                          without a client certificate) and real records
#   fuzz_config            the configuration examples of
#                          docs/configuration.md and examples/, and files
#                          naming the test PKI ("@/server.pem": the target
#                          replaces "@/" by the PKI's directory)
#
# BUILD_DIR is a build with -DSECCTX_FUZZ=ON.  Handles, keys and randoms
# differ on every run, so the files change each time they are made.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$1" && pwd)/tests/fuzz
corpus=$here/corpus

# Regression seeds (corpus/TARGET/regress-*: inputs that found a bug) stay.
for t in fuzz_conn fuzz_frame fuzz_tls fuzz_config; do
	mkdir -p "$corpus/$t"
	find "$corpus/$t" -type f ! -name 'regress-*' -delete
done
SECCTX_FUZZ_MAKE_CORPUS=$corpus "$bin/fuzz_conn" 2>/dev/null
SECCTX_FUZZ_MAKE_CORPUS=$corpus "$bin/fuzz_tls" 2>/dev/null

c=$corpus/fuzz_config
mkdir -p "$c"
cp "$here/../../examples/secctxd.json" "$c/example.json"
sed -e 's#/etc/secctx/web#@/server#' -e 's#/etc/secctx/clients-ca#@/ca#' \
    "$here/../../examples/secctxd.json" >"$c/example-pki.json"
# The JSON blocks of docs/configuration.md, as files or inside an object.
awk -v dir="$c" '
	/^```json$/ { n++; f = sprintf("%s/doc-%d.json", dir, n); inblk = 1;
	    next }
	/^```$/ { if (inblk) close(f); inblk = 0; next }
	inblk { print > f }
' "$here/../../docs/configuration.md"
for f in "$c"/doc-*.json; do
	if head -c 1 "$f" | grep -q '"'; then
		{ printf '{\n'; cat "$f"; printf ',\n"credentials": [{"name": '
		  printf '"c", "ca_file": "@/ca.pem", "uids": [0]}]\n}\n'; } \
		    >"$f.tmp" && mv "$f.tmp" "$f"
	fi
done
cat >"$c/pki-full.json" <<'JSON'
{
  "socket": "/run/secctxd/secctxd.sock",
  "socket_mode": "0660",
  "ticket_key_rotation": 600,
  "threads": 2,
  "handshake_threads": "auto",
  "limits": {"max_header": 4096, "max_payload": 65536,
    "contexts_per_connection": 8, "connections_per_uid": 4,
    "total_contexts": 32, "frame_timeout": 0.5, "idle_timeout": 0},
  "callers": [
    {"uids": [0, "root"], "min_version": "TLSv1.3",
     "targets": ["*.example.com", "localhost"], "skip_validation": true},
    {"gids": ["root"]},
    {}
  ],
  "credentials": [
    {"name": "server", "certificate": "@/server.pem",
     "private_key": "@/server.key", "ca_file": "@/ca.pem", "uids": [0],
     "directions": ["inbound"]},
    {"name": "server-rsa", "certificate": "@/server-rsa.pem",
     "private_key": "@/server-rsa.key", "uids": ["root"], "gids": [0],
     "ciphersuites": "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
     "ciphers": "ECDHE+AESGCM:!SHA1", "groups": "X25519:P-256",
     "signature_algorithms": "rsa_pss_rsae_sha256:ECDSA+SHA256"},
    {"name": "client", "certificate": "@/client.pem",
     "private_key": "@/client.key", "ca_file": "@/ca.pem",
     "system_trust": true, "uids": [0], "directions": ["outbound"],
     "executables": ["/usr/bin/openssl", "/proc/self/exe"]},
    {"name": "expired", "certificate": "@/expired.pem",
     "private_key": "@/expired.key", "allow_insecure_key_file": true}
  ]
}
JSON
cat >"$c/pki-min.json" <<'JSON'
{"credentials": [{"name": "c", "ca_file": "@/ca.pem", "uids": [0]}]}
JSON
cat >"$c/mismatch.json" <<'JSON'
{"credentials": [{"name": "x", "certificate": "@/server.pem",
  "private_key": "@/client.key", "uids": [0]},
 {"name": "x", "ca_file": "@/other-ca.pem"}]}
JSON
cat >"$c/bad-types.json" <<'JSON'
{"socket": 1, "socket_mode": "0999", "threads": 0, "limits": [],
 "callers": {}, "credentials": []}
JSON
ls "$corpus"/* | wc -l
