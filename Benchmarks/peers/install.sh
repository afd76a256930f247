#!/usr/bin/env bash
# The benchmark peers, in their own virtualenv from PyPI (Benchmarks/peers/.venv): picows, the fastest Python
# WebSocket client, on uvloop as its own benchmarks run it; measured against Gantry by `make bench-net`.
set -euo pipefail
cd "$(dirname "$0")"
bash ../../scripts/venv.sh .venv "import picows, uvloop" "picows>=1.9" "uvloop>=0.19"
