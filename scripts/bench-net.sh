#!/usr/bin/env bash
# The network benchmarks, Gantry beside picows on the same server and messages: the benchmark venue
# (gantry-net-bench serve, busy-polling on the last CPU) streams Binance-sized depth messages and echoes
# round trips; each client runs pinned to the first CPU. ROUNDS interleaved rounds, medians reported.
#   ROUNDS=3 COUNT=200000 RTT_COUNT=20000 bash scripts/bench-net.sh [--enforce]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
count=${COUNT:-200000}
rtt_count=${RTT_COUNT:-20000}
bash Benchmarks/peers/install.sh
swift build -c release --product gantry-net-bench
pki=$PWD/.build/bench-pki
bash scripts/bench-pki.sh "$pki"
bench=.build/release/gantry-net-bench
py=Benchmarks/peers/.venv/bin/python
out=.build/bench-net.jsonl
: > "$out"

serverlog=$(mktemp)
"$bench" serve --cert "$pki/server.pem" --key "$pki/server.key" > "$serverlog" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$serverlog"' EXIT
for _ in $(seq 100); do grep -q '^ports' "$serverlog" && break; sleep 0.1; done
line=$(grep '^ports' "$serverlog") || { cat "$serverlog"; echo "bench-net: the server did not start" >&2; exit 1; }
echo "bench-net: server $line"
ws=$(sed -n 's/.* ws=\([0-9]*\).*/\1/p' <<<"$line")
wss=$(sed -n 's/.* wss=\([0-9]*\).*/\1/p' <<<"$line")
tcp=$(sed -n 's/.* tcp=\([0-9]*\).*/\1/p' <<<"$line")

run() { timeout 120 "$@" | tee -a "$out"; }
for r in $(seq "$rounds"); do
    echo "bench-net: round $r of $rounds"
    run "$bench" throughput --port "$ws" --count "$count"
    run "$py" Benchmarks/peers/picows_client.py throughput --port "$ws" --count "$count"
    run "$bench" throughput --port "$wss" --ca "$pki/ca.pem" --count "$count"
    run "$py" Benchmarks/peers/picows_client.py throughput --port "$wss" --ca "$pki/ca.pem" --count "$count"
    run "$bench" rtt --tcp --port "$tcp" --mode busy --count "$rtt_count"
    run "$bench" rtt --port "$ws" --mode busy --count "$rtt_count"
    run "$bench" rtt --tcp --port "$tcp" --mode epoll --count "$rtt_count"
    run "$bench" rtt --port "$ws" --mode epoll --count "$rtt_count"
    run "$py" Benchmarks/peers/picows_client.py rtt --port "$ws" --count "$rtt_count"
done
python3 Benchmarks/peers/report.py "$out" --cpus "$(nproc)" --message-bytes "$(sed -n 's/.*mean_message_bytes=\([0-9]*\).*/\1/p' <<<"$line")" "$@"
