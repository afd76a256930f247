#!/usr/bin/env bash
# The independent peers the tests talk to, in a virtualenv from PyPI: the Python `websockets` library.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x .venv/bin/python ] && .venv/bin/python -c "import websockets" 2>/dev/null; then exit 0; fi
rm -rf .venv
if ! python3 -m venv .venv 2>/dev/null; then
    # Debian's own python3 needs python3-venv for `-m venv`.
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
    rm -rf .venv
    /usr/bin/python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check "websockets>=13"
echo "install-peers: $(.venv/bin/python -c 'import websockets; print("websockets", websockets.__version__)')"
