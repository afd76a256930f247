#!/usr/bin/env bash
# `make release`: builds gantry and gantry-venue-sim in release mode with the version (VERSION) and the commit
# compiled in and Swift's runtime linked statically (a host needs only libuv, OpenSSL, libnuma, zlib and SQLite),
# and packs them with Deploy/, Tuning/, the sample configuration and a MANIFEST into
#   dist/gantry-<version>-<commit>-linux-<arch>.tar.gz   and its .sha256
# The archive is reproducible for a commit (sorted names, owner 0, mtime = the commit's time).
#
#   scripts/release.sh [--out DIR] [--bin-dir DIR] [--allow-dirty]
#     --bin-dir DIR   package the binaries already in DIR instead of building (the deploy test packs the debug
#                     build this way to save a release build; MANIFEST then says which build it was)
#     --allow-dirty   package a working tree with uncommitted changes (the commit is then <sha>-dirty)
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist
bin_dir=""
allow_dirty=0
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --bin-dir) bin_dir=$2; shift 2 ;;
        --allow-dirty) allow_dirty=1; shift ;;
        *) echo "release: unknown option $1 (--out DIR, --bin-dir DIR, --allow-dirty)" >&2; exit 2 ;;
    esac
done

version=$(tr -d ' \n' < VERSION)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "release: VERSION must be MAJOR.MINOR.PATCH, got '$version'" >&2; exit 2; }
commit=$(git rev-parse --short=12 HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    if [ "$allow_dirty" -eq 0 ]; then
        echo "release: the working tree has uncommitted changes; a release is built from a commit (or pass --allow-dirty)" >&2
        exit 2
    fi
    commit="$commit-dirty"
fi
arch=$(uname -m)
name="gantry-$version-$commit-linux-$arch"

if [ -z "$bin_dir" ]; then
    # The stamp is read only when GANTRY_RELEASE_STAMP is set (Package.swift), so a stale one is harmless.
    printf '// Written by scripts/release.sh; not committed.\n#if GANTRY_RELEASE_STAMP\nenum ReleaseStamp {\n    static let version = "%s"\n    static let commit = "%s"\n}\n#endif\n' \
        "$version" "$commit" > Sources/gantry/ReleaseStamp.generated.swift
    export GANTRY_RELEASE_STAMP=1
    ${SWIFT:-swift} build -c release --static-swift-stdlib --product gantry
    ${SWIFT:-swift} build -c release --static-swift-stdlib --product gantry-venue-sim
    bin_dir=.build/release
    build="release (GANTRY_CPU=${GANTRY_CPU:-portable})"
    stamped=$("$bin_dir/gantry" version | head -2 | tr '\n' ' ')
    [ "$stamped" = "gantry $version commit $commit " ] || { echo "release: the binary says '$stamped', expected $version $commit" >&2; exit 1; }
else
    build="prebuilt from $bin_dir ($("$bin_dir/gantry" version | head -2 | tr '\n' ' '))"
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/bin" "$root/config" "$root/Tools"
install -m 0755 "$bin_dir/gantry" "$bin_dir/gantry-venue-sim" "$root/bin/"
cp -R Deploy Tuning "$root/"
install -m 0644 config/gantry.example.toml config/trading-demo.toml "$root/config/"
install -m 0644 Tools/train_flow_cnn.py "$root/Tools/"
install -m 0644 VERSION "$root/"
{
    echo "name: $name"
    echo "version: $version"
    echo "commit: $commit"
    echo "commit_full: $(git rev-parse HEAD)"
    echo "build: $build"
    echo "swift: $(${SWIFT:-swift} --version 2>/dev/null | head -1)"
    echo "files (sha256):"
    (cd "$root" && find . -type f ! -name MANIFEST | sort | xargs sha256sum)
} > "$root/MANIFEST"

mkdir -p "$out"
mtime=$(git log -1 --format=%ct)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$name" | gzip -n -9 > "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
