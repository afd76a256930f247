#!/usr/bin/env bash
# Decode and book apply per message, Gantry beside its Python peers on the same bytes: gantry-decode-bench
# writes 64 Binance depth diffs (10 levels, ~450 bytes) and a 1,000-level snapshot, measures its decode and
# decode+apply, and Benchmarks/peers/decode_peers.py measures orjson, pysimdjson and nautilus_trader's L2 book
# on those files. Medians of rounds, one CPU. For the record: timings are not enforced here (the ordo-one
# thresholds enforce 0 mallocs).
#   COUNT=200000 PEER_COUNT=50000 ROUNDS=5 bash scripts/bench-decode.sh
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-200000}
peer_count=${PEER_COUNT:-50000}
rounds=${ROUNDS:-5}
bash Benchmarks/peers/install.sh
swift build -c release --product gantry-decode-bench
dir=.build/decode-bench
mkdir -p "$dir"
cpu=$(taskset -pc $$ 2>/dev/null | sed 's/.*: *\([0-9]*\).*/\1/' || echo 0)
out=.build/bench-decode.jsonl
taskset -c "$cpu" .build/release/gantry-decode-bench --out "$dir" --count "$count" --rounds "$rounds" > "$out"
taskset -c "$cpu" Benchmarks/peers/.venv/bin/python Benchmarks/peers/decode_peers.py "$dir" "$peer_count" "$rounds" >> "$out"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
g = rows[0]
print(f"decode + book apply, Binance depth diffs of 10 levels ({g['mean_message_bytes']} bytes), ns per message, CPU {g['cpu']}:")
print(f"  {'Gantry decode (header + 20 fixed-point decimals)':58} {g['decode_ns']:10.0f}")
print(f"  {'Gantry decode + documented sync + 1,000-level book':58} {g['decode_apply_ns']:10.0f}   (target 250)")
if 'recorded_decode_ns' in g:
    print(f"  recorded Binance NKNUSDT diffs ({g['recorded_messages']} real messages, {g['recorded_mean_levels']:.1f} levels, {g['recorded_mean_bytes']} bytes on average):")
    print(f"  {'  Gantry decode':58} {g['recorded_decode_ns']:10.0f}")
    print(f"  {'  Gantry decode + documented sync from the real snapshot':58} {g['recorded_decode_apply_ns']:10.0f}")
for r in rows[1:]:
    name = f"{r['client']} {r['test']}"
    ref = g['decode_ns'] if 'apply' not in r['test'] else g['decode_apply_ns']
    print(f"  {name:58} {r['ns_per_message']:10.0f}   Gantry {r['ns_per_message'] / ref:5.1f}x faster")
PY
