#!/usr/bin/env bash
# A throwaway CA and a server certificate for localhost/127.0.0.1 for the TLS benchmarks, made with the
# openssl command line into the folder given (ca.pem, server.pem, server.key). Reused while it is fresh.
set -euo pipefail
dir=${1:?usage: bench-pki.sh FOLDER}
mkdir -p "$dir"
cd "$dir"
if [ -s server.pem ] && openssl x509 -checkend 3600 -noout -in server.pem >/dev/null 2>&1; then exit 0; fi
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj "/CN=Gantry bench CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
chmod 600 ca.key server.key
