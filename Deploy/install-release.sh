#!/usr/bin/env bash
# Installs a Gantry release tarball (make release) as an immutable release and switches to it:
#
#   install-release.sh [--root DIR] gantry-<version>-<commit>-linux-<arch>.tar.gz
#   install-release.sh [--root DIR] --rollback
#   install-release.sh [--root DIR] --status
#
# The tarball's .sha256 must sit beside it and match. The release is unpacked into
# <root>/opt/gantry/releases/<version>-<commit>/ (read-only; the files are checked against its MANIFEST); an
# existing release of the same name is kept as it is if its checksum is the same, and refused if it differs
# (a release is never overwritten). `current` is switched by renaming a new symlink over it (atomic), and
# `previous` keeps the release it replaced; --rollback swaps the two. bin, Deploy, Tools, Tuning and config under
# /opt/gantry are links through `current`, so units and scripts name stable paths. Restarting the services is
# the caller's step (Deploy/ansible does it). --root (default /) lets a test install into a scratch directory.
set -euo pipefail
root=/
action=install
tarball=""
while [ $# -gt 0 ]; do
    case "$1" in
        --root) root=$2; shift 2 ;;
        --rollback) action=rollback; shift ;;
        --status) action=status; shift ;;
        -*) echo "install-release: unknown option $1" >&2; exit 2 ;;
        *) tarball=$1; shift ;;
    esac
done
base="${root%/}/opt/gantry"
releases="$base/releases"
mkdir -p "$releases"
exec 9>"$base/.install.lock"
flock -n 9 || { echo "install-release: another install is running on $base" >&2; exit 1; }

# Points link $2 at $1 by renaming a fresh link over it: readers see the old target or the new, never neither.
switch_link() {
    ln -sfn "$1" "$base/.$2.new"
    mv -Tf "$base/.$2.new" "$base/$2"
}

status() {
    echo "current:  $(readlink "$base/current" 2>/dev/null || echo none)"
    echo "previous: $(readlink "$base/previous" 2>/dev/null || echo none)"
    echo "releases: $(ls "$releases" | tr '\n' ' ')"
}

case $action in
status)
    status
    exit 0 ;;
rollback)
    prev=$(readlink "$base/previous" 2>/dev/null) || { echo "install-release: no previous release to roll back to" >&2; exit 1; }
    [ -d "$base/$prev" ] || { echo "install-release: the previous release $prev is missing" >&2; exit 1; }
    cur=$(readlink "$base/current")
    switch_link "$prev" current
    switch_link "$cur" previous
    echo "install-release: rolled back to ${prev#releases/} (previous: ${cur#releases/})"
    exit 0 ;;
esac

[ -n "$tarball" ] || { echo "usage: install-release.sh [--root DIR] TARBALL | --rollback | --status" >&2; exit 2; }
file=$(basename "$tarball")
[[ $file =~ ^gantry-([0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]+(-dirty)?)-linux-[a-z0-9_]+\.tar\.gz$ ]] || {
    echo "install-release: $file is not named gantry-<version>-<commit>-linux-<arch>.tar.gz" >&2; exit 2; }
id=${BASH_REMATCH[1]}
[ -f "$tarball.sha256" ] || { echo "install-release: $tarball.sha256 is missing" >&2; exit 1; }
(cd "$(dirname "$tarball")" && sha256sum --quiet -c "$file.sha256") || { echo "install-release: $file does not match its .sha256" >&2; exit 1; }
sum=$(cut -d' ' -f1 "$tarball.sha256")
target="$releases/$id"

if [ -d "$target" ]; then
    installed=$(cat "$target/.tarball.sha256" 2>/dev/null || echo unknown)
    if [ "$installed" != "$sum" ]; then
        echo "install-release: release $id is already installed from a different tarball (sha256 $installed, this one $sum); releases are immutable: refusing" >&2
        exit 3
    fi
    echo "install-release: release $id is already installed (same sha256)"
else
    tmp="$releases/.unpack-$id-$$"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
    tar -xzf "$tarball" -C "$tmp" --strip-components=1 --no-same-owner
    # Every file the MANIFEST lists, as it lists it.
    (cd "$tmp" && sed -n '/^files (sha256):$/,$p' MANIFEST | tail -n +2 | sha256sum --quiet -c -) || {
        echo "install-release: the unpacked files do not match the MANIFEST" >&2; exit 1; }
    echo "$sum" > "$tmp/.tarball.sha256"
    mv -T "$tmp" "$target"
    trap - EXIT
    chmod -R a-w "$target"
    echo "install-release: installed $id"
fi

cur=$(readlink "$base/current" 2>/dev/null || true)
if [ "$cur" = "releases/$id" ]; then
    echo "install-release: $id is already current"
else
    switch_link "releases/$id" current
    [ -n "$cur" ] && switch_link "$cur" previous
    echo "install-release: current -> $id${cur:+ (previous: ${cur#releases/})}"
fi
for d in bin Deploy Tools Tuning config; do
    [ -e "$base/$d" ] || [ -L "$base/$d" ] || ln -s "current/$d" "$base/$d"
done
