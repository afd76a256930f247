#!/usr/bin/env bash
# The benchmark peers, in their own virtualenv from PyPI (Benchmarks/peers/.venv): picows, the fastest Python
# WebSocket client, on uvloop as its own benchmarks run it (`make bench-net`); orjson, pysimdjson and
# nautilus_trader's order book for the decode and book-apply comparison (`make bench-decode`).
set -euo pipefail
cd "$(dirname "$0")"
bash ../../scripts/venv.sh .venv "import picows, uvloop, orjson, simdjson, nautilus_trader" \
    "picows>=1.9" "uvloop>=0.19" "orjson>=3.9" "pysimdjson>=6" "nautilus_trader>=1.200"
