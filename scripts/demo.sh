#!/usr/bin/env bash
# make demo: the gateway trading the simulated venues. gantry-venue-sim (config/sim-trading.toml: a Binance, an
# OKX and a slow Bybit whose prices diverge now and then) in one process; `gantry run` (config/trading-demo.toml:
# arbitrage, MA crossover and Bollinger at once) in another, over real loopback WebSockets and REST with signed
# orders. A live view each second; at DEMO_KILL_AFTER seconds the operator's `gantry kill` (a third process,
# through the gateway's control socket) fires the kill switch and prints its report as the steps happen; then
# the summary and the check of every fill against the venues' balances (non-zero exit if they disagree).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${DEMO_SECONDS:-30}
kill_after=${DEMO_KILL_AFTER:-$((seconds - 5))}
bin=${DEMO_BIN:-.build/release}
# Demo credentials, in the environment only (as real ones would be): the simulator knows them as the venues would.
export GANTRY_DEMO_BINANCE_KEY=demoBinance GANTRY_DEMO_BINANCE_SECRET=demo-binance-secret-7f3a9c
export GANTRY_DEMO_OKX_KEY=demoOKX GANTRY_DEMO_OKX_SECRET=demo-okx-secret-51be02 GANTRY_DEMO_OKX_PASSPHRASE=demo-passphrase
export GANTRY_DEMO_BYBIT_KEY=demoBybit GANTRY_DEMO_BYBIT_SECRET=demo-bybit-secret-c4e81d
socket=$(mktemp -u /tmp/gantry-demo-XXXXXX.sock)
journal=${DEMO_JOURNAL:-/tmp/gantry-demo-journal}
rm -rf "$journal"
log=$(mktemp)
"$bin/gantry-venue-sim" --config config/sim-trading.toml --seconds $((seconds + 15)) >"$log" 2>&1 &
sim=$!
gateway=
trap 'kill $sim $gateway 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    grep -q "steps/s" "$log" && break
    sleep 0.1
done
cat "$log"
echo
"$bin/gantry" run --sim --config config/trading-demo.toml --seconds "$seconds" --control-socket "$socket" \
    --paper-report "${DEMO_PAPER_REPORT:-/tmp/gantry-paper-report.html}" --report "${DEMO_REPORT:-/tmp/gantry-report.html}" \
    --journal "$journal" &
gateway=$!
sleep "$kill_after"
echo "── the operator: gantry kill ──────────────────────────────────────────────"
set +e
"$bin/gantry" kill --socket "$socket" | sed 's/^/gantry kill │ /'
wait $gateway
rc=$?
set -e
gateway=
kill $sim 2>/dev/null || true
wait $sim 2>/dev/null || true
# One order's story from the journal (the first that filled), as an operator would ask for it.
order=$("$bin/gantry" journal export --dir "$journal" --sqlite "$journal.sqlite" >/dev/null 2>&1 &&
    command -v sqlite3 >/dev/null && sqlite3 "$journal.sqlite" "SELECT client_order_id FROM reports WHERE last_quantity > 0 LIMIT 1" || true)
if [ -n "$order" ]; then
    echo "── gantry journal query --dir $journal --order $order ──"
    "$bin/gantry" journal query --dir "$journal" --order "$order" || true
fi
# The journal replayed through the signal and risk stages: every intent and decision again, bit for bit.
echo "── gantry journal replay --dir $journal ──"
"$bin/gantry" journal replay --dir "$journal" 2>/dev/null || true
echo "── gantry report --journal $journal ──"
"$bin/gantry" report --journal "$journal" --out "${DEMO_JOURNAL_REPORT:-/tmp/gantry-journal-report.html}" 2>/dev/null || true
exit $rc
