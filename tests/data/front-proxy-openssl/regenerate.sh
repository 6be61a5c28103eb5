#!/bin/sh
# Regenerates the throwaway test material in this directory (see README.md).
# Afterwards update the pinned fingerprint in tests/certs.rs (describe_cert test).
set -eu
cd "$(dirname "$0")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out ca.crt -days 36500 -subj "/CN=ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
openssl genrsa -traditional -out client-rsa-pkcs1.key 2048
openssl req -new -key client-rsa-pkcs1.key -subj "/CN=front-proxy-client" -out "$T/c.csr"
printf "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n" > "$T/ext"
openssl x509 -req -in "$T/c.csr" -CA ca.crt -CAkey "$T/ca.key" -CAserial "$T/ca.srl" -CAcreateserial -days 36500 -extfile "$T/ext" -out client-rsa.crt
openssl pkcs8 -topk8 -nocrypt -in client-rsa-pkcs1.key -out client-rsa-pkcs8.key
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-rsa-pkcs8.key
openssl ecparam -name prime256v1 -genkey -out client-ec-sec1.key
openssl req -new -key client-ec-sec1.key -subj "/CN=front-proxy-client" -out "$T/e.csr"
openssl x509 -req -in "$T/e.csr" -CA ca.crt -CAkey "$T/ca.key" -CAserial "$T/ca.srl" -days 36500 -extfile "$T/ext" -out client-ec.crt
