#!/usr/bin/env bash
# Container start-up and listing, side by side in ONE hyperfine run (PEERS.md: the machine drifts):
#  - `strata run --rm busybox true` against `runc run` and `crun run` on the same rootfs as a
#    prepared bundle, and `podman run --rm` (private storage, runc);
#  - `strata ps -a` and `strata inspect` with 100 containers against `podman ps -a`/`inspect`.
# Writes bench/results-run.txt.
#
# Usage: bench/run_bench.sh [STRATA_BINARY]   (default: build/strata); RUNS=50 to change the runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
strata=$(realpath "${1:-$here/../build/strata}")
runs=${RUNS:-50}
for tool in hyperfine runc crun podman busybox; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
W=$(mktemp -d /var/tmp/strata-bench-run.XXXXXX)
cleanup() {
  "$strata" rm -f $(ls "$W/strata/containers" 2>/dev/null | grep -E '^[0-9a-f]{64}$') >/dev/null 2>&1 || true
  $(pod) rm -af >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT
export TMPDIR="$W" STRATA_ROOT="$W/strata"

# podman with private storage and config (PEERS.md), as one command line for hyperfine.
cat >"$W/containers.conf" <<CONF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
netns = "none"
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
CONF
export CONTAINERS_CONF="$W/containers.conf"
pod() { echo "podman --root $W/podman/storage --runroot $W/podman/run --storage-driver overlay --cgroup-manager cgroupfs --runtime runc --events-backend file"; }

# One busybox rootfs for everyone.
mkdir -p "$W/rootfs/bin" "$W/rootfs/etc" "$W/rootfs/proc" "$W/rootfs/sys" "$W/rootfs/dev" "$W/rootfs/tmp"
cp "$(command -v busybox)" "$W/rootfs/bin/busybox"
for applet in sh true echo sleep; do ln -s busybox "$W/rootfs/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$W/rootfs/etc/passwd"
echo 'root:x:0:' >"$W/rootfs/etc/group"
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .
"$strata" import "$W/rootfs.tar" base:latest >/dev/null
tar -C "$W/rootfs" -c . | $(pod) import --change 'CMD ["/bin/sh"]' - base:latest >/dev/null 2>&1

# runc/crun bundles: the same tree, `runc spec` with `true` and no terminal.
mkdir -p "$W/bundle"
cp -a "$W/rootfs" "$W/bundle/rootfs"
(cd "$W/bundle" && runc spec && python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open("config.json", "w"))
PY
)
# crun refuses this machine's hybrid cgroups unless the empty v2 mount is hidden (PEERS.md).
crun_cmd="unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; crun --cgroup-manager=disabled run -b $W/bundle crun-bench'"

# 100 containers for the listing commands.
for i in $(seq 100); do "$strata" create --name "c$i" base true >/dev/null; done
for i in $(seq 100); do $(pod) create --name "c$i" base true >/dev/null 2>&1; done

hyperfine --runs "$runs" --warmup 3 --export-json "$W/run.json" \
  -n "strata run --rm true" "$strata run --rm base true" \
  -n "runc run" "runc run -b $W/bundle runc-bench" \
  -n "crun run" "$crun_cmd" \
  -n "podman run --rm true" "$(pod) run --rm base true"
hyperfine --runs "$runs" --warmup 3 --export-json "$W/list.json" \
  -n "strata ps -a (100)" "$strata ps -a" \
  -n "podman ps -a (100)" "$(pod) ps -a" \
  -n "strata inspect c50" "$strata inspect c50" \
  -n "podman inspect c50" "$(pod) inspect c50"

python3 - "$W/run.json" "$W/list.json" "$(nproc)" "$(runc --version | head -1)" \
  "$(crun --version | head -1)" "$(podman --version)" >"$here/results-run.txt" <<'PY'
import json, statistics, sys
rows = []
for path in sys.argv[1:3]:
    for r in json.load(open(path))["results"]:
        rows.append((r["command"], min(r["times"]) * 1000, statistics.median(r["times"]) * 1000))
by = {name: median for name, _, median in rows}
print(f"# bench/run_bench.sh, {sys.argv[3]} cores; {sys.argv[4]}; {sys.argv[5]}; {sys.argv[6]}")
print(f"{'command':28} {'min ms':>8} {'median ms':>10}")
for name, low, median in rows:
    print(f"{name:28} {low:8.1f} {median:10.1f}")
s = by["strata run --rm true"]
print()
for peer in ["runc run", "crun run", "podman run --rm true"]:
    print(f"run: strata is {by[peer] / s:.2f}x the speed of {peer} (median)")
print(f"ps -a: strata is {by['podman ps -a (100)'] / by['strata ps -a (100)']:.2f}x podman")
print(f"inspect: strata is {by['podman inspect c50'] / by['strata inspect c50']:.2f}x podman")
PY
cat "$here/results-run.txt"
