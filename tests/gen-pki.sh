#!/bin/sh
#
# gen-pki.sh DIR: generate a throwaway test PKI into DIR with the openssl CLI.
#
# Used by the integration tests and by the demo.  DIR is created if needed;
# the files below are overwritten, nothing else in DIR is touched.  Keys are
# unencrypted PEM, mode 0600; certificates are PEM, mode 0644.
#
#   ca.pem, ca.key                  root CA "secctx test CA" (EC P-256)
#   server.pem, server.key          CN=localhost, SAN DNS:localhost,
#                                   IP:127.0.0.1, serverAuth (EC P-256),
#                                   issued by the CA: the file holds the
#                                   leaf certificate only
#   server-rsa.pem, server-rsa.key  the same names with an RSA-2048 key
#   client.pem, client.key          CN=secctx test client, clientAuth (EC)
#   expired.pem, expired.key        CN=localhost, SAN as server.pem, issued
#                                   by the CA, valid 2020-01-01..2021-01-01
#   other-ca.pem, other-ca.key      an unrelated root CA "other CA"
#   other-server.pem, other-server.key
#                                   CN=localhost, SAN as server.pem, issued
#                                   by "other CA"
#   revoked-server.pem, revoked-server.key
#                                   as server.pem, revoked
#   revoked-client.pem, revoked-client.key
#                                   CN=secctx revoked client, as client.pem,
#                                   revoked
#   crl.pem                         the CA's CRL listing the two revoked
#                                   certificates, next update in 30 days
#   crl-none.pem                    the CA's CRL listing nothing
#   crl-expired.pem                 the same list as crl.pem, valid 2020-01-01 to
#                                   2020-02-01
#   other-crl.pem                   "other CA"'s CRL, listing nothing
#
# Validity of the valid certificates: 10 years (CAs), 825 days (leaves).
#
# $ec and $rsa below are option lists, split into words on purpose.
# shellcheck disable=SC2086
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen-pki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# One self-contained configuration, so the system's openssl.cnf plays no role.
cat >"$tmp/openssl.cnf" <<EOF
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = unused

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[server_rsa_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# 'openssl ca' is the only way OpenSSL 3.0 sets an arbitrary notBefore,
# and keeps the database a CRL is made from.
[ca]
default_ca = past_ca
[past_ca]
database = $tmp/index.txt
new_certs_dir = $tmp
serial = $tmp/serial
default_md = sha256
policy = past_policy
unique_subject = no
email_in_dn = no
[past_policy]
commonName = supplied
[other_ca]
database = $tmp/other-index.txt
new_certs_dir = $tmp
serial = $tmp/serial
default_md = sha256
policy = past_policy
EOF
export OPENSSL_CONF="$tmp/openssl.cnf"

# Key options, split into words on purpose where they are used.
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
rsa="-newkey rsa:2048"

# selfsigned NAME CN: a root CA.
selfsigned() {
	(umask 077; openssl req -x509 -new $ec -nodes -sha256 -days 3650 \
	    -subj "/CN=$2" -extensions ca_ext -keyout "$1.key" \
	    -out "$1.pem" 2>/dev/null)
}

# issue NAME CN CA EXT KEYSPEC: a leaf issued by CA.pem/CA.key.
issue() {
	(umask 077; openssl req -new $5 -nodes -subj "/CN=$2" \
	    -keyout "$1.key" -out "$tmp/$1.csr" 2>/dev/null)
	openssl x509 -req -in "$tmp/$1.csr" -CA "$3.pem" -CAkey "$3.key" \
	    -set_serial "0x$(openssl rand -hex 8)" -days 825 -sha256 \
	    -extfile "$OPENSSL_CONF" -extensions "$4" -out "$1.pem" 2>/dev/null
}

selfsigned ca "secctx test CA"
selfsigned other-ca "other CA"
issue server localhost ca server_ext "$ec"
issue server-rsa localhost ca server_rsa_ext "$rsa"
issue client "secctx test client" ca client_ext "$ec"
issue other-server localhost other-ca server_ext "$ec"

# The expired certificate: validity entirely in the past.
(umask 077; openssl req -new $ec -nodes -subj "/CN=localhost" \
    -keyout expired.key -out "$tmp/expired.csr" 2>/dev/null)
: >"$tmp/index.txt"
openssl rand -hex 8 >"$tmp/serial"
openssl ca -batch -notext -cert ca.pem -keyfile ca.key \
    -in "$tmp/expired.csr" -out expired.pem \
    -startdate 20200101000000Z -enddate 20210101000000Z \
    -extfile "$OPENSSL_CONF" -extensions server_ext 2>/dev/null

# Two certificates issued and revoked in the CA's database, and its CRLs.
# issue_db NAME CN EXT: a leaf issued by the CA through 'openssl ca'.
issue_db() {
	(umask 077; openssl req -new $ec -nodes -subj "/CN=$2" \
	    -keyout "$1.key" -out "$tmp/$1.csr" 2>/dev/null)
	openssl ca -batch -notext -cert ca.pem -keyfile ca.key \
	    -in "$tmp/$1.csr" -out "$1.pem" -days 825 \
	    -extfile "$OPENSSL_CONF" -extensions "$3" 2>/dev/null
	openssl ca -cert ca.pem -keyfile ca.key -revoke "$1.pem" \
	    -crl_reason keyCompromise 2>/dev/null
}
openssl ca -gencrl -cert ca.pem -keyfile ca.key -crldays 30 \
    -out crl-none.pem 2>/dev/null
issue_db revoked-server localhost server_ext
issue_db revoked-client "secctx revoked client" client_ext
openssl ca -gencrl -cert ca.pem -keyfile ca.key -crldays 30 \
    -out crl.pem 2>/dev/null
openssl ca -gencrl -cert ca.pem -keyfile ca.key \
    -crl_lastupdate 20200101000000Z -crl_nextupdate 20200201000000Z \
    -out crl-expired.pem 2>/dev/null
: >"$tmp/other-index.txt"
openssl ca -name other_ca -gencrl -cert other-ca.pem -keyfile other-ca.key \
    -crldays 30 -out other-crl.pem 2>/dev/null

chmod 0600 ./*.key
chmod 0644 ./*.pem
