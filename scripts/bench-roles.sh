#!/usr/bin/env bash
# make bench-roles: the market's hop from the feed role to the execution role over Redis on loopback, beside
# the gateway in one process on the same simulated venues in the same run. Report only (the VM's speed).
#
# gantry-venue-sim (config/sim-trading.toml) and a redis-server of the script's own (append-only, fsync every
# second) on loopback; first `gantry run` in one process for BENCH_SECONDS (its ingest: kernel receive → events
# on the ring), then the three roles (`gantry run --role execution|strategy|feed`) for as long: the execution
# role prints the hop, published on the feed role's ring → on its own ring, and kernel receive (in the feed
# role) → on its own ring, p50/p99/p99.9 over every venue message. Last, the baseline: gantry-bus-bench's hop
# (publisher and consumer stages in one process) at the feed role's event rate.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-20}
# BENCH_BUS: more [bus] keys for the roles, e.g. 'block_ms = 5\nbatch = 64'.
port=${BENCH_REDIS_PORT:-6393}
bin=${BENCH_BIN:-.build/release}
export GANTRY_DEMO_BINANCE_KEY=demoBinance GANTRY_DEMO_BINANCE_SECRET=demo-binance-secret-7f3a9c
export GANTRY_DEMO_OKX_KEY=demoOKX GANTRY_DEMO_OKX_SECRET=demo-okx-secret-51be02 GANTRY_DEMO_OKX_PASSPHRASE=demo-passphrase
export GANTRY_DEMO_BYBIT_KEY=demoBybit GANTRY_DEMO_BYBIT_SECRET=demo-bybit-secret-c4e81d
dir=$(mktemp -d /tmp/gantry-bench-roles-XXXXXX)
sim= roles=
cleanup() {
    kill $sim $roles 2>/dev/null || true
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync everysec --save "" \
    --daemonize yes --logfile "$dir/redis.log" >/dev/null
for _ in $(seq 1 50); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
"$bin/gantry-venue-sim" --config config/sim-trading.toml --seconds $((2 * seconds + 40)) >"$dir/sim.log" 2>&1 &
sim=$!
for _ in $(seq 1 100); do grep -q "steps/s" "$dir/sim.log" && break; sleep 0.1; done

echo "── one process: gantry run for ${seconds} s ──"
"$bin/gantry" run --sim --config config/trading-demo.toml --seconds "$seconds" --control-socket "$dir/one.sock" >"$dir/one.log" 2>&1 || true
grep -E "ingest, kernel receive|positions equal" "$dir/one.log" | sed 's/^ *//'

echo "── three roles over Redis on loopback (127.0.0.1:$port): ${seconds} s ──"
{ cat config/trading-demo.toml; printf '\n[bus]\nhost = "127.0.0.1"\nport = %s\nnamespace = "bench-roles-%s"\n%b\n' "$port" "$$" "${BENCH_BUS:-}"; } >"$dir/roles.toml"
"$bin/gantry" run --sim --role execution --config "$dir/roles.toml" --seconds "$seconds" --control-socket "$dir/roles.sock" >"$dir/execution.log" 2>&1 &
execution=$!
"$bin/gantry" run --sim --role strategy --config "$dir/roles.toml" >"$dir/strategy.log" 2>&1 &
roles="$!"
"$bin/gantry" run --sim --role feed --config "$dir/roles.toml" >"$dir/feed.log" 2>&1 &
roles="$roles $!"
wait $execution || true
kill -TERM $roles 2>/dev/null || true
wait $roles 2>/dev/null || true
roles=
grep -E "market hop|ingest, kernel receive|positions equal|bus: published" "$dir/execution.log" | sed 's/^ *//'
grep -E "^  bus: published" "$dir/feed.log" | sed 's/^ */feed role: /'

# The baseline: the bus's own stages in one process at the same event rate, on a redis-server of their own.
if [ -x "$bin/gantry-bus-bench" ]; then
    rate=$(grep -oE "bus: published [0-9]+" "$dir/feed.log" | tail -1 | grep -oE "[0-9]+$")
    rate=$((${rate:-320000} / seconds))
    echo "── the bus alone: gantry-bus-bench hop at the feed role's rate (${rate} events/s) ──"
    "$bin/gantry-bus-bench" --events 100000 --rate "$rate" --seconds 5 --port $((port + 1)) 2>/dev/null | grep -E "^  hop" | sed 's/^ *//'
fi
