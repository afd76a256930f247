#!/usr/bin/env bash
# The redis-server `make test` runs GantryBusTests against: loopback only, append-only (fsync always), no RDB
# snapshots, its own directory under /tmp. `redis-test.sh start` (waits until it answers), `redis-test.sh stop`.
# GANTRY_REDIS_PORT picks the port (6390).
set -euo pipefail
port="${GANTRY_REDIS_PORT:-6390}"
dir="/tmp/gantry-redis-test-$port"
case "${1:-}" in
start)
    command -v redis-server >/dev/null || { echo "redis-test: redis-server is not installed (make deps)" >&2; exit 1; }
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
        echo "redis-test: a server already answers on port $port; using it" >&2
        exit 0
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync always --save "" \
        --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && exit 0
        sleep 0.05
    done
    echo "redis-test: redis-server did not answer on port $port (see $dir/redis.log)" >&2
    exit 1
    ;;
stop)
    [ -f "$dir/redis.pid" ] || exit 0
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: redis-test.sh start|stop" >&2
    exit 2
    ;;
esac
