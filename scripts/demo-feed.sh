#!/usr/bin/env bash
# make demo: the simulated venues (gantry-venue-sim, config/sim.toml) in one process, Gantry's market-data
# feeds (gantry feed --sim, config/gantry.example.toml) in another, over real loopback WebSockets and HTTP.
# Live top of book, rates and latency each second, then both summaries. DEMO_SECONDS (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${DEMO_SECONDS:-10}
bin=.build/release
log=$(mktemp)
"$bin/gantry-venue-sim" --config config/sim.toml --seconds $((seconds + 3)) >"$log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true; rm -f "$log"' EXIT
# Wait until the simulator listens (it prints its venues first).
for _ in $(seq 1 100); do
    grep -q "steps/s" "$log" && break
    sleep 0.1
done
cat "$log"
echo
"$bin/gantry" feed --sim --config config/gantry.example.toml --seconds "$seconds"
rc=$?
wait $sim || true
echo
tail -n +$(($(grep -n "steps/s, seed" "$log" | cut -d: -f1) + 1)) "$log"
exit $rc
