#!/usr/bin/env bash
# The independent peers the tests talk to, in a virtualenv from PyPI: the Python `websockets` library.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh .venv "import websockets" "websockets>=13"
