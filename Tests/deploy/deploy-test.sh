#!/usr/bin/env bash
# Deploy/ and Tuning/ for real, on this machine (make test-deploy; about a minute):
#   1. a release tarball (scripts/release.sh) packed from the debug build, to save a release build here; its
#      contents, MANIFEST and .sha256;
#   2. ansible-playbook --syntax-check and ansible-lint on Deploy/ansible;
#   3. the playbook (connection local) installs the release into a scratch root: current, the configuration,
#      the 0600 secrets file, the units and the host drop-in; systemd and users are left alone there;
#   4. install-release.sh: a second release, --rollback, a same-named tarball with other contents refused, a
#      tarball that does not match its .sha256 refused;
#   5. systemd-analyze verify on the installed units (skipped, saying why, where it cannot run);
#   6. gantry tune check, gantry-tune.sh --dry-run and gantry config check from the installed release;
#   7. the playbook with a release whose configuration check fails: rolled back, and the play stops saying why.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GANTRY_BIN_DIR:-.build/debug}
[ -x "$bin/gantry" ] && [ -x "$bin/gantry-venue-sim" ] || { echo "deploy-test: build gantry and gantry-venue-sim into $bin first" >&2; exit 1; }
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
step() { echo "deploy-test: $*"; }
fail() { echo "deploy-test: FAIL: $*" >&2; exit 1; }

# 1. The release tarball.
tarball=$(bash scripts/release.sh --bin-dir "$bin" --out "$work/dist" --allow-dirty | tail -1)
name=$(basename "$tarball" .tar.gz)
[[ $name =~ ^gantry-[0-9]+\.[0-9]+\.[0-9]+-[0-9a-f]{12}(-dirty)?-linux-[a-z0-9_]+$ ]] || fail "tarball name $name"
(cd "$work/dist" && sha256sum --quiet -c "$name.tar.gz.sha256") || fail ".sha256 does not match"
listing=$(tar -tzf "$tarball")
for f in bin/gantry bin/gantry-venue-sim MANIFEST VERSION Deploy/gantry.service Deploy/install-release.sh Deploy/Containerfile \
    Deploy/ansible/site.yml Tuning/99-gantry.conf Tuning/gantry-tune.sh config/trading-demo.toml Tools/train_flow_cnn.py; do
    grep -qx "$name/$f" <<< "$listing" || fail "$f is not in the tarball"
done
manifest=$(tar -xzOf "$tarball" "$name/MANIFEST")
grep -q "^commit: $(git rev-parse --short=12 HEAD)" <<< "$manifest" || fail "MANIFEST names no commit"
grep -q "^build: prebuilt from $bin" <<< "$manifest" || fail "MANIFEST does not say the binaries are the debug build's"
step "release $name: contents, MANIFEST and .sha256 ok (binaries from $bin, not a release build)"

# 2. Ansible: syntax and lint.
(cd Deploy/ansible && ansible-playbook --syntax-check -i inventory.example.yml site.yml > /dev/null) || fail "ansible-playbook --syntax-check"
(cd Deploy/ansible && ansible-lint -q --offline site.yml roles/gantry) || fail "ansible-lint"
step "ansible-playbook --syntax-check and ansible-lint pass"

# 3. The playbook into a scratch root.
root=$work/root
mkdir -p "$root"
cat > "$work/inventory.yml" <<INVENTORY
all:
  children:
    gantry:
      hosts:
        localhost:
          ansible_connection: local
          ansible_python_interpreter: $(command -v python3)
INVENTORY
cat > "$work/vars.json" <<VARS
{"gantry_root": "$root", "gantry_release_tarball": "$tarball", "gantry_config": "$PWD/config/trading-demo.toml",
 "gantry_role": "execution", "gantry_cpu_affinity": "0-1",
 "gantry_secrets": {"GANTRY_DEMO_BINANCE_KEY": "k1", "GANTRY_DEMO_BINANCE_SECRET": "s1", "GANTRY_DEMO_OKX_KEY": "k2",
   "GANTRY_DEMO_OKX_SECRET": "s2", "GANTRY_DEMO_OKX_PASSPHRASE": "p2", "GANTRY_DEMO_BYBIT_KEY": "k3", "GANTRY_DEMO_BYBIT_SECRET": "s3-never-logged"}}
VARS
ANSIBLE_CONFIG=Deploy/ansible/ansible.cfg ansible-playbook -i "$work/inventory.yml" Deploy/ansible/site.yml -e "@$work/vars.json" > "$work/ansible.log" 2>&1 \
    || { cat "$work/ansible.log"; fail "the playbook did not install into $root"; }
! grep -q "s3-never-logged" "$work/ansible.log" || fail "a secret's value reached Ansible's output"
id=${name#gantry-}; id=${id%-linux-*}
[ "$(readlink "$root/opt/gantry/current")" = "releases/$id" ] || fail "current is $(readlink "$root/opt/gantry/current")"
"$root/opt/gantry/bin/gantry" version | grep -q '^commit ' || fail "the installed gantry does not run"
[ "$(stat -c %a "$root/etc/gantry/secrets.env")" = 600 ] || fail "secrets.env is not 0600"
grep -qx "GANTRY_DEMO_BYBIT_SECRET=s3-never-logged" "$root/etc/gantry/secrets.env" || fail "secrets.env lacks a secret"
cmp -s config/trading-demo.toml "$root/etc/gantry/trading.toml" || fail "the configuration was not installed"
for u in gantry.service gantry-watchdog.service gantry-check.timer gantry-drill.timer gantry-train.timer; do
    [ -f "$root/etc/systemd/system/$u" ] || fail "$u was not installed"
done
grep -q -- '--role execution' "$root/etc/systemd/system/gantry.service.d/host.conf" || fail "the host drop-in lacks the role"
[ -z "$(find "$root/opt/gantry/releases/$id" -perm /222 -print -quit)" ] || fail "the release has writable files"
ANSIBLE_CONFIG=Deploy/ansible/ansible.cfg ansible-playbook -i "$work/inventory.yml" Deploy/ansible/site.yml -e "@$work/vars.json" > "$work/ansible2.log" 2>&1 \
    || { cat "$work/ansible2.log"; fail "the playbook's second run failed"; }
grep -q "changed=0" "$work/ansible2.log" || { grep -A3 "PLAY RECAP" "$work/ansible2.log"; fail "the second run changed something"; }
step "the playbook installed $id into a scratch root (current, configuration, secrets 0600, units, drop-in); a second run changes nothing"

# 4. install-release.sh: a second release, rollback, immutability, checksums.
install=$root/opt/gantry/incoming/install-release.sh
next="$work/dist/gantry-9.9.9-${id#*-}-linux-$(uname -m).tar.gz"
cp "$tarball" "$next"
(cd "$work/dist" && sha256sum "$(basename "$next")" > "$(basename "$next").sha256")
"$install" --root "$root" "$next" > /dev/null
[ "$(readlink "$root/opt/gantry/current")" = "releases/9.9.9-${id#*-}" ] || fail "current did not switch to the second release"
[ "$(readlink "$root/opt/gantry/previous")" = "releases/$id" ] || fail "previous does not keep the first release"
"$install" --root "$root" --rollback > /dev/null
[ "$(readlink "$root/opt/gantry/current")" = "releases/$id" ] || fail "--rollback did not switch back"
[ "$(readlink "$root/opt/gantry/previous")" = "releases/9.9.9-${id#*-}" ] || fail "--rollback did not keep the release it left"
mkdir -p "$work/other/x" && echo changed > "$work/other/x/extra"
tar -czf "$next" -C "$work/other" x
(cd "$work/dist" && sha256sum "$(basename "$next")" > "$(basename "$next").sha256")
set +e; "$install" --root "$root" "$next" 2> "$work/refused.txt"; rc=$?; set -e
[ "$rc" -eq 3 ] && grep -q "immutable" "$work/refused.txt" || fail "a release was overwritten by other contents (rc $rc)"
echo "0000000000000000000000000000000000000000000000000000000000000000  $(basename "$next")" > "$next.sha256"
set +e; "$install" --root "$root" "$next" > /dev/null 2>&1; rc=$?; set -e
[ "$rc" -eq 1 ] || fail "a tarball that does not match its .sha256 was installed"
step "install-release: switch, rollback, immutable releases, checksums ok"


# 5. systemd-analyze verify on the installed units. Its --root wants systemd's own units under the root, so the
#    units are verified as copies whose /opt/gantry paths point into the scratch root (the binaries they run exist).
if systemd-analyze verify /lib/systemd/system/timers.target > /dev/null 2>&1; then
    mkdir -p "$work/units"
    units=()
    for u in "$root"/etc/systemd/system/gantry*.service "$root"/etc/systemd/system/gantry*.timer; do
        sed "s|/opt/gantry|$root/opt/gantry|g" "$u" > "$work/units/$(basename "$u")"
        units+=("$work/units/$(basename "$u")")
    done
    out=$(systemd-analyze verify "${units[@]}" 2>&1) || { echo "$out"; fail "systemd-analyze verify"; }
    [ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify warned"; }
    step "systemd-analyze verify: ${#units[@]} units clean"
else
    step "SKIP systemd-analyze verify: systemd-analyze cannot verify units in this container"
fi

# 6. The installed release's own checks.
gantry=$root/opt/gantry/bin/gantry
tune=$("$gantry" tune check --tuning "$root/opt/gantry/Tuning") || fail "gantry tune check exited non-zero without --strict"
for item in "sysctl net.core.busy_poll" "sysctl net.core.busy_read" "kernel isolcpus" "kernel nohz_full" "kernel rcu_nocbs" "CPU governor" \
    "C-states on isolated CPUs" "IRQ affinity" "NIC receive packet steering" "sysctl vm.nr_hugepages"; do
    grep -q "$item" <<< "$tune" || fail "gantry tune check does not name $item"
done
step "gantry tune check: $(tail -1 <<< "$tune")"
dry=$(bash "$root/opt/gantry/Tuning/gantry-tune.sh" --dry-run --isolated 1 --housekeeping 0) || fail "gantry-tune.sh --dry-run"
grep -q "would write 1 > /proc/irq/default_smp_affinity" <<< "$dry" && grep -q "would: sysctl -q -p /etc/sysctl.d/99-gantry.conf" <<< "$dry" \
    || { echo "$dry"; fail "gantry-tune.sh --dry-run does not show the IRQ mask and the sysctl file"; }
step "gantry-tune.sh --dry-run: $(grep -c '^would' <<< "$dry") writes shown, none made"
set +e; env -i "$gantry" config check "$root/etc/gantry/trading.toml" > "$work/check.txt"; rc=$?; set -e
[ "$rc" -eq 1 ] && [ "$(grep -c '^missing secret' "$work/check.txt")" -eq 7 ] || { cat "$work/check.txt"; fail "config check without the secrets"; }
(set -a; . "$root/etc/gantry/secrets.env"; "$gantry" config check "$root/etc/gantry/trading.toml" > /dev/null) || fail "config check with the secrets"
step "gantry config check: 7 missing secrets named without the environment, none with it"

# 7. The playbook with a release whose check fails (a secret left out): installed, checked, rolled back, stopped.
third="$work/dist/gantry-9.9.10-${id#*-}-linux-$(uname -m).tar.gz"
cp "$tarball" "$third"
(cd "$work/dist" && sha256sum "$(basename "$third")" > "$(basename "$third").sha256")
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); v["gantry_release_tarball"]=sys.argv[2]; del v["gantry_secrets"]["GANTRY_DEMO_OKX_PASSPHRASE"]; json.dump(v,open(sys.argv[3],"w"))' \
    "$work/vars.json" "$third" "$work/vars-bad.json"
if env -u GANTRY_DEMO_OKX_PASSPHRASE ANSIBLE_CONFIG=Deploy/ansible/ansible.cfg ansible-playbook -i "$work/inventory.yml" Deploy/ansible/site.yml \
    -e "@$work/vars-bad.json" > "$work/ansible3.log" 2>&1; then
    fail "the playbook went on with a configuration its check refused"
fi
grep -q "missing secret: venues\[okx\].passphrase_env" "$work/ansible3.log" || { cat "$work/ansible3.log"; fail "the play did not say why it stopped"; }
[ "$(readlink "$root/opt/gantry/current")" = "releases/$id" ] || fail "the refused release was not rolled back"
step "the playbook rolled back a release whose configuration check failed, naming the missing secret"
step "all passed"
