#!/usr/bin/env bash
# Applies Gantry's host tuning at run time (as root; run it at boot, e.g. from a oneshot unit, since none of it
# survives a reboot except the sysctl file and the kernel command line):
#
#   gantry-tune.sh [--dry-run] [--isolated LIST] [--housekeeping LIST] [--nic IFACE]
#
#   1. sysctls: installs 99-gantry.conf into /etc/sysctl.d and loads it (busy poll, huge pages, swappiness);
#   2. CPU governor: performance on every CPU that has cpufreq;
#   3. C-states: disables every idle state deeper than 10 µs exit latency on the isolated CPUs;
#   4. IRQs: stops irqbalance and moves every IRQ it may to the housekeeping CPUs (default: those not isolated);
#   5. NIC queues (--nic): each receive queue's IRQ to a housekeeping CPU in turn, RPS off (packet steering would
#      put softirq work back on a CPU of the kernel's choosing), XPS to the housekeeping CPUs.
#
# LIST is the kernel's CPU list format (2-7,9). The isolated CPUs default to /sys/devices/system/cpu/isolated.
# `gantry tune check` reports what differs afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dry=0
isolated=""
housekeeping=""
nic=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) dry=1; shift ;;
        --isolated) isolated=$2; shift 2 ;;
        --housekeeping) housekeeping=$2; shift 2 ;;
        --nic) nic=$2; shift 2 ;;
        *) echo "gantry-tune: unknown option $1" >&2; exit 2 ;;
    esac
done

run() { if [ "$dry" -eq 1 ]; then echo "would: $*"; else "$@"; fi; }
write() { if [ "$dry" -eq 1 ]; then echo "would write $2 > $1"; else echo "$2" > "$1" 2>/dev/null || echo "gantry-tune: cannot write $1" >&2; fi; }

# Expands a CPU list ("0-2,5") into one CPU per line.
expand() {
    local part
    for part in ${1//,/ }; do
        if [[ $part == *-* ]]; then seq "${part%-*}" "${part#*-}"; else echo "$part"; fi
    done
}
# A CPU list as the hexadecimal mask /proc/irq/*/smp_affinity and the queues' masks take (up to 64 CPUs).
mask() {
    local m=0 c
    for c in $(expand "$1"); do m=$((m | (1 << c))); done
    printf '%x' "$m"
}

all=$(cat /sys/devices/system/cpu/online)
[ -n "$isolated" ] || isolated=$(cat /sys/devices/system/cpu/isolated 2>/dev/null || true)
if [ -z "$housekeeping" ]; then
    housekeeping=$(comm -23 <(expand "$all" | sort) <(expand "${isolated:-}" | sort) | sort -n | paste -sd, -)
fi
echo "gantry-tune: isolated CPUs: ${isolated:-none}; housekeeping CPUs: $housekeeping"

# 1. sysctls
run install -m 0644 "$here/99-gantry.conf" /etc/sysctl.d/99-gantry.conf
run sysctl -q -p /etc/sysctl.d/99-gantry.conf

# 2. governor
for g in /sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor; do
    [ -e "$g" ] && write "$g" performance
done

# 3. C-states on the isolated CPUs
for c in $(expand "${isolated:-}"); do
    for s in /sys/devices/system/cpu/cpu"$c"/cpuidle/state*; do
        [ -e "$s/latency" ] || continue
        if [ "$(cat "$s/latency")" -gt 10 ]; then write "$s/disable" 1; fi
    done
done

# 4. IRQs
if command -v systemctl >/dev/null && systemctl is-active -q irqbalance 2>/dev/null; then
    run systemctl disable --now irqbalance
fi
write /proc/irq/default_smp_affinity "$(mask "$housekeeping")"
for irq in /proc/irq/[0-9]*; do
    [ -e "$irq/smp_affinity_list" ] && write "$irq/smp_affinity_list" "$housekeeping"
done

# 5. NIC queues
if [ -n "$nic" ]; then
    mapfile -t keep < <(expand "$housekeeping")
    i=0
    for irq in $(grep -E "$nic" /proc/interrupts | cut -d: -f1 | tr -d ' '); do
        write "/proc/irq/$irq/smp_affinity_list" "${keep[$((i % ${#keep[@]}))]}"
        i=$((i + 1))
    done
    for q in /sys/class/net/"$nic"/queues/rx-*; do write "$q/rps_cpus" 0; done
    for q in /sys/class/net/"$nic"/queues/tx-*; do write "$q/xps_cpus" "$(mask "$housekeeping")"; done
fi
echo "gantry-tune: done; run gantry tune check to see what still differs"
