#!/usr/bin/env bash
# The independent peers the tests talk to, in a virtualenv from PyPI: the Python `websockets` library; and numpy,
# which Tools/train_flow_cnn.py (gantry train, and the flow model's tests) trains with.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh .venv "import websockets, numpy" "websockets>=13" "numpy>=2.4,<3"
