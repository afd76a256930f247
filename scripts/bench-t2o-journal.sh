#!/usr/bin/env bash
# Tick to order with the journal on against off, in one run: gantry-t2o-bench without and with --journal, in turn,
# ROUNDS times each; the medians of each side's trading and whole p99, and their ratio (target: on ≤ off + 10%).
# For the record: on this 2-core VM the journal runner shares the venue's CPU.
#   ROUNDS=3 SECONDS_PER_RUN=5 bash scripts/bench-t2o-journal.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_RUN:-5}
bash scripts/bench-pki.sh .build/bench-pki
swift build -c release --product gantry-t2o-bench
out=.build/bench-t2o-journal.jsonl
: > "$out"
dir=$(mktemp -d /tmp/gantry-t2o-journal-XXXXXX)
trap 'rm -rf "$dir"' EXIT
for r in $(seq "$rounds"); do
    for side in off on; do
        extra=()
        if [ "$side" = on ]; then rm -rf "$dir/j"; extra=(--journal "$dir/j"); fi
        .build/release/gantry-t2o-bench --pki .build/bench-pki --rate 100000 --seconds "$secs" --every 100 "${extra[@]}" > "$dir/out.txt"
        line=$(grep '^{"bench":"tick-to-order",' "$dir/out.txt")
        journaled=$(grep -o '^{"bench":"tick-to-order-journal".*' "$dir/out.txt" || true)
        echo "{\"journal\":\"$side\",\"round\":$r,\"result\":$line}" >> "$out"
        echo "round $r, journal $side: $(sed -n 's/.*"trading":{[^}]*"p50_ns":\([0-9]*\),[^}]*"p99_ns":\([0-9]*\).*/trading p50 \1 ns, p99 \2 ns/p' <<<"$line") $journaled"
    done
done
python3 - "$out" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
def med(side, key, p):
    return statistics.median(r["result"][key][p] for r in runs if r["journal"] == side)
for key in ("trading", "whole"):
    off, on = med("off", key, "p99_ns"), med("on", key, "p99_ns")
    off50, on50 = med("off", key, "p50_ns"), med("on", key, "p50_ns")
    ratio = on / off if off else float("nan")
    print(f"tick to order, {key}: p50 off {off50/1000:.1f} µs, on {on50/1000:.1f} µs; p99 off {off/1000:.1f} µs, on {on/1000:.1f} µs; "
          f"p99 on/off {ratio:.2f} (target ≤ 1.10: {'met' if ratio <= 1.10 else 'missed'}, for the record)")
PY
