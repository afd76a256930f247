#!/usr/bin/env bash
# Runs the ordo-one benchmark suite and checks it against the static thresholds in Thresholds/.
# The plugin reports "equal" by exiting 0, and otherwise throws benchmarkThresholdImprovement (all better:
# a pass) or benchmarkThresholdRegression (a fail); `swift package` turns both throws into exit status 1,
# so the output tells them apart. Any other failure (a build error, a crash) fails too.
set -uo pipefail
# The TLS loopback benchmark's CA and server certificate.
export GANTRY_BENCH_PKI=${GANTRY_BENCH_PKI:-$PWD/.build/bench-pki}
bash "$(dirname "$0")/bench-pki.sh" "$GANTRY_BENCH_PKI"
log=$(mktemp)
swift package --disable-sandbox benchmark thresholds check --target GantryBenchmarks --no-progress 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ] || { grep -q "benchmarkThresholdImprovement" "$log" && ! grep -q "benchmarkThresholdRegression" "$log"; }; then
    echo "bench-thresholds: within thresholds"
    rm -f "$log"
    exit 0
fi
rm -f "$log"
echo "bench-thresholds: REGRESSION against Thresholds/ or a failed run (exit $rc)" >&2
exit 1
