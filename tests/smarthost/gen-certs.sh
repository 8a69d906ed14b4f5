#!/bin/sh
# gen-certs.sh DIR -- create throw-away test certificates for the smart host.
#
# Creates in DIR (created if missing):
#   ca.crt ca.key                 test CA "relayq test CA"
#   server.crt server.key         leaf: DNS:localhost, IP:127.0.0.1, IP:::1 (signed by ca)
#   wrongname.crt wrongname.key   leaf: DNS:other.example only (signed by ca)
#   rogue-ca.crt rogue-ca.key     second, untrusted CA "relayq rogue CA"
#   rogue.crt rogue.key           leaf: DNS:localhost, IP:127.0.0.1, IP:::1 (signed by rogue-ca)
#   client.crt client.key         client leaf "relayq test client", clientAuth (signed by ca)
#
# All keys are EC P-256 (PKCS#8, unencrypted). All certificates are valid from
# one day ago; leaves for 30 days, CAs for 60 days. Quiet on success; on any
# failure the openssl output is printed to stderr and the exit status is non-zero.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"

work=$(mktemp -d "${TMPDIR:-/tmp}/relayq-gencerts.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/log

# run CMD...: run quietly, print its output and fail if it fails.
run() {
    if ! "$@" >"$log" 2>&1; then
        echo "gen-certs.sh: command failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

start=$(date -u -d '1 day ago' +%y%m%d%H%M%SZ)
leaf_end=$(date -u -d '29 days' +%y%m%d%H%M%SZ)
ca_end=$(date -u -d '59 days' +%y%m%d%H%M%SZ)

mkdir "$work/newcerts"
: >"$work/index.txt"
cat >"$work/openssl.cnf" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir              = $work
database         = $work/index.txt
new_certs_dir    = $work/newcerts
rand_serial      = yes
default_md       = sha256
policy           = policy_any
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
preserve         = yes

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt             = no

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints     = critical, CA:TRUE
keyUsage             = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ v3_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid, issuer

[ v3_wrongname ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:other.example
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid, issuer

[ v3_client ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid, issuer
EOF

# newkey NAME CN: make NAME.key in $out and a CSR in $work
newkey() {
    run openssl req -new -config "$work/openssl.cnf" \
        -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$out/$1.key" -subj "/CN=$2" -out "$work/$1.csr"
}

# selfsign NAME: self-signed CA certificate NAME.crt
selfsign() {
    run openssl ca -batch -notext -config "$work/openssl.cnf" -selfsign \
        -keyfile "$out/$1.key" -in "$work/$1.csr" -extensions v3_ca \
        -startdate "$start" -enddate "$ca_end" -out "$out/$1.crt"
}

# sign NAME CA EXT: leaf certificate NAME.crt signed by CA
sign() {
    run openssl ca -batch -notext -config "$work/openssl.cnf" \
        -cert "$out/$2.crt" -keyfile "$out/$2.key" -in "$work/$1.csr" \
        -extensions "$3" -startdate "$start" -enddate "$leaf_end" \
        -out "$out/$1.crt"
}

umask 077
newkey ca "relayq test CA"
newkey rogue-ca "relayq rogue CA"
newkey server localhost
newkey wrongname other.example
newkey rogue localhost
newkey client "relayq test client"
umask 022

selfsign ca
selfsign rogue-ca
sign server ca v3_server
sign wrongname ca v3_wrongname
sign rogue rogue-ca v3_server
sign client ca v3_client

# sanity: the chains must verify (with the intended purpose)
run openssl verify -purpose sslserver -CAfile "$out/ca.crt" "$out/server.crt" "$out/wrongname.crt"
run openssl verify -purpose sslserver -CAfile "$out/rogue-ca.crt" "$out/rogue.crt"
run openssl verify -purpose sslclient -CAfile "$out/ca.crt" "$out/client.crt"
exit 0
