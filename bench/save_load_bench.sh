#!/usr/bin/env bash
# `strata import` / `save` / `load` against `podman import` / `save` / `load` on a ~500 MB one-layer image
# (the same rootfs tar imported into both), timed side by side in ONE hyperfine run (the machine's
# page cache drifts; PEERS.md), plus peak RSS from /usr/bin/time -v. Writes
# bench/results-save-load.txt.
#
# Usage: bench/save_load_bench.sh [STRATA_BINARY]   (default: build/strata)
#        SIZE_MB=500 RUNS=5 to change the image size or the number of runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
strata=$(realpath "${1:-$here/../build/strata}")
size_mb=${SIZE_MB:-500}
runs=${RUNS:-5}
for tool in hyperfine podman /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
W=$(mktemp -d /var/tmp/strata-bench-save.XXXXXX)
trap 'rm -rf "$W"' EXIT
export TMPDIR="$W"
# podman with private storage under $W/NAME (PEERS.md); printed as one command line for hyperfine.
pod() { echo "podman --root $W/$1/storage --runroot $W/$1/run --storage-driver vfs" \
  "--cgroup-manager cgroupfs --runtime runc --events-backend file"; }

# A rootfs of incompressible 1 MiB files plus a few thousand small ones (a realistic mix).
mkdir -p "$W/rootfs/data" "$W/rootfs/small"
for i in $(seq "$size_mb"); do head -c 1048576 /dev/urandom >"$W/rootfs/data/f$i"; done
for i in $(seq 2000); do echo "file $i" >"$W/rootfs/small/s$i"; done
tar -C "$W/rootfs" -cf "$W/rootfs.tar" . && rm -rf "$W/rootfs"

export STRATA_ROOT="$W/strata"
"$strata" import "$W/rootfs.tar" big:latest >/dev/null
$(pod src) import "$W/rootfs.tar" big:latest >/dev/null
"$strata" save -o "$W/strata.tar" big:latest
$(pod src) save -o "$W/podman.tar" big:latest 2>/dev/null

hyperfine --runs "$runs" --warmup 1 --export-json "$W/hyperfine.json" \
  -n "strata save" -p "rm -f $W/out-strata.tar" "$strata save -o $W/out-strata.tar big:latest" \
  -n "podman save" -p "rm -f $W/out-podman.tar" "$(pod src) save -o $W/out-podman.tar big:latest" \
  -n "strata load" -p "rm -rf $W/load-strata" "STRATA_ROOT=$W/load-strata $strata load -i $W/strata.tar" \
  -n "podman load" -p "rm -rf $W/load-podman" "$(pod load-podman) load -i $W/podman.tar" \
  -n "strata import" -p "rm -rf $W/import-strata" \
  "STRATA_ROOT=$W/import-strata $strata import $W/rootfs.tar big:latest" \
  -n "podman import" -p "rm -rf $W/ip" "$(pod ip) import $W/rootfs.tar big:latest"

rss() { # peak RSS in MB of one run of the command
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.0f", $6 / 1024}'
}
rm -rf "$W/load-strata" "$W/load-podman" "$W/out-strata.tar" "$W/out-podman.tar"
rss_ss=$(rss "$strata" save -o "$W/out-strata.tar" big:latest)
rss_ps=$(rss $(pod src) save -o "$W/out-podman.tar" big:latest)
rss_sl=$(STRATA_ROOT=$W/load-strata rss "$strata" load -i "$W/strata.tar")
rss_pl=$(rss $(pod load-podman) load -i "$W/podman.tar")
rm -rf "$W/import-strata" "$W/ip"
rss_si=$(STRATA_ROOT=$W/import-strata rss "$strata" import "$W/rootfs.tar" big:latest)
rss_pi=$(rss $(pod ip) import "$W/rootfs.tar" big:latest)

archive_mb=$(( $(stat -c %s "$W/strata.tar") / 1048576 ))
python3 - "$W/hyperfine.json" "$archive_mb" "$rss_ss" "$rss_ps" "$rss_sl" "$rss_pl" "$rss_si" "$rss_pi" \
  "$(nproc)" "$(podman --version)" >"$here/results-save-load.txt" <<'EOF'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
names = ["strata save", "podman save", "strata load", "podman load", "strata import", "podman import"]
mb = int(sys.argv[2]); rss = dict(zip(names, sys.argv[3:9]))
print(f"import/save/load of a {mb} MB one-layer image (plain tar layer), {sys.argv[9]} cores, {sys.argv[10]}")
print(f"{'command':<12} {'median s':>9} {'min s':>7} {'MB/s':>6} {'peak RSS MB':>12}")
for name, r in results.items():
    print(f"{name:<12} {r['median']:9.2f} {r['min']:7.2f} {mb / r['median']:6.0f} {rss[name]:>12}")
for op in ("import", "save", "load"):
    ratio = results[f"podman {op}"]["median"] / results[f"strata {op}"]["median"]
    print(f"{op}: strata is {ratio:.2f}x podman (median time ratio podman/strata)")
EOF
cat "$here/results-save-load.txt"
