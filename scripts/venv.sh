#!/usr/bin/env bash
# A Python virtualenv from PyPI with the packages given, made once and reused while IMPORTS still import.
#   venv.sh DIR "IMPORTS" PACKAGE...      e.g. venv.sh .venv "import websockets" "websockets>=13"
set -euo pipefail
dir=$1
imports=$2
shift 2
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "$imports" 2>/dev/null; then exit 0; fi
# A working virtualenv that lacks a package (one added to the list) gets it added; a broken one is made anew.
if [ -x "$dir/bin/pip" ] && "$dir/bin/pip" install -q --disable-pip-version-check "$@" && "$dir/bin/python" -c "$imports" 2>/dev/null; then
    echo "venv: $dir has $*"
    exit 0
fi
rm -rf "$dir"
if ! python3 -m venv "$dir" 2>/dev/null; then
    # Debian's own python3 needs python3-venv for `-m venv`.
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
    rm -rf "$dir"
    /usr/bin/python3 -m venv "$dir"
fi
"$dir/bin/pip" install -q --disable-pip-version-check "$@"
"$dir/bin/python" -c "$imports"
echo "venv: $dir has $*"
