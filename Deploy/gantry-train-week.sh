#!/usr/bin/env bash
# gantry-train.service's command: `gantry train` on the last GANTRY_TRAIN_DAYS recording directories (one
# `gantry record` directory per day, named so that they sort by date, e.g. 2026-12-07), oldest first so the newest
# are held out, writing a new versioned weights file into GANTRY_MODELS.
set -euo pipefail
recordings=${GANTRY_RECORDINGS:-/var/lib/gantry/recordings}
models=${GANTRY_MODELS:-/var/lib/gantry/models}
config=${GANTRY_CONFIG:-/etc/gantry/trading.toml}
days=${GANTRY_TRAIN_DAYS:-7}
gantry=${GANTRY_BIN:-/opt/gantry/bin/gantry}
mapfile -t dirs < <(find "$recordings" -mindepth 2 -maxdepth 2 -name events.bin -printf '%h\n' | sort | tail -n "$days")
if [ "${#dirs[@]}" -eq 0 ]; then
    echo "gantry-train: no recording with an events.bin under $recordings" >&2
    exit 1
fi
mkdir -p "$models"
exec "$gantry" train --config "$config" --out "$models" --data "${dirs[@]}"
