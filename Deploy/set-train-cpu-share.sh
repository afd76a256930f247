#!/usr/bin/env bash
# Sets gantry-train.service's CPU share of this machine: set-train-cpu-share.sh PERCENT (30…100).
# systemd's CPUQuota= counts one CPU as 100%, so the quota written is PERCENT × the CPU count (30% of 8 CPUs is
# CPUQuota=240%), in a drop-in that overrides the unit's default.
set -euo pipefail
share=${1:?usage: set-train-cpu-share.sh PERCENT (30…100, of the whole machine)}
if ! [[ $share =~ ^[0-9]+$ ]] || [ "$share" -lt 30 ] || [ "$share" -gt 100 ]; then
    echo "set-train-cpu-share: the share is a whole percentage 30…100 of the machine, got $share" >&2
    exit 2
fi
cpus=$(nproc --all)
dir=${GANTRY_UNIT_DIR:-/etc/systemd/system}/gantry-train.service.d
mkdir -p "$dir"
printf '# %s%% of this %s-CPU machine (set-train-cpu-share.sh %s).\n[Service]\nCPUQuota=%s%%\n' "$share" "$cpus" "$share" "$((share * cpus))" > "$dir/cpu-share.conf"
echo "gantry-train.service: CPUQuota=$((share * cpus))% ($share% of $cpus CPUs) in $dir/cpu-share.conf"
if [ -z "${GANTRY_UNIT_DIR:-}" ]; then systemctl daemon-reload; fi
