#!/usr/bin/env bash
# Installs the system packages Gantry builds and tests with, when they are missing (Debian/Ubuntu, as root
# or with sudo). Idempotent and quiet when everything is present.
set -euo pipefail

packages=(libuv1-dev libssl-dev libnuma-dev zlib1g-dev libsqlite3-dev sqlite3 pkg-config numactl ca-certificates openssl chromium
    prometheus curl ansible ansible-lint redis-server libhiredis-dev iproute2)

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: swift is not on PATH (expected a Swift 6.1+ toolchain, e.g. /opt/swift/usr/bin)" >&2
    exit 1
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
