#!/usr/bin/env bash
# The benchmark peers, in their own virtualenv from PyPI (Benchmarks/peers/.venv): picows, the fastest Python
# WebSocket client, measured against Gantry on the same server and messages by `make bench-net`.
set -euo pipefail
cd "$(dirname "$0")"
want='import picows'
if [ -x .venv/bin/python ] && .venv/bin/python -c "$want" 2>/dev/null; then exit 0; fi
rm -rf .venv
if ! python3 -m venv .venv 2>/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
    rm -rf .venv
    /usr/bin/python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check "picows>=1.9" "uvloop>=0.19"
echo "bench peers: $(.venv/bin/python -c 'import picows; print("picows", picows.__version__)' 2>/dev/null || .venv/bin/pip show picows | grep Version)"
