#!/usr/bin/env bash
# `strata push` / `strata pull` against `skopeo copy` to and from the same registry (Debian's
# docker-registry on loopback, a private config: PEERS.md), on a ~500 MB image of four layers
# (incompressible 1 MiB files and small text files), timed side by side in ONE hyperfine run.
# Every push goes to a new repository (the registry has to receive the bytes again; strata's
# mount hints and skopeo's blob-info cache are dropped first so neither can mount them); every pull goes to an empty store (strata
# also unpacks the layers into snapshots, ready to run, and makes what it wrote durable (syncfs);
# skopeo only writes an OCI layout). Each run starts after a `sync`, so no run pays for the
# write-back of the one before (the registry's pushed blobs, the removed stores).
# Writes bench/results-registry.txt.
#
# Usage: bench/registry_bench.sh [STRATA_BINARY]   (default: build/strata)
#        SIZE_MB=500 RUNS=3 to change the image size or the number of runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
strata=$(realpath "${1:-$here/../build/strata}")
size_mb=${SIZE_MB:-500}
runs=${RUNS:-3}
for tool in hyperfine skopeo /usr/bin/docker-registry curl python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh)" >&2; exit 1; }
done
W=$(mktemp -d /var/tmp/strata-bench-registry.XXXXXX)
reg_pid=
trap '[ -n "$reg_pid" ] && kill $reg_pid; rm -rf "$W"' EXIT
export TMPDIR="$W"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg="127.0.0.1:$port"
cat >"$W/reg.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $W/regdata}, delete: {enabled: true}}
http: {addr: $reg}
EOF
(exec /usr/bin/docker-registry serve "$W/reg.yml" >"$W/reg.log" 2>&1) &
reg_pid=$!
for i in $(seq 50); do curl -sf -o /dev/null "http://$reg/v2/" && break; sleep 0.1; done

# The image: FROM scratch, four COPY layers of size_mb/4 each.
mkdir -p "$W/ctx"
per=$((size_mb / 4))
for l in 1 2 3 4; do
  mkdir -p "$W/ctx/l$l/data" "$W/ctx/l$l/small"
  for i in $(seq "$per"); do head -c 1048576 /dev/urandom >"$W/ctx/l$l/data/f$i"; done
  for i in $(seq 500); do echo "layer $l file $i" >"$W/ctx/l$l/small/s$i"; done
done
printf 'FROM scratch\nCOPY l1 /l1\nCOPY l2 /l2\nCOPY l3 /l3\nCOPY l4 /l4\n' >"$W/ctx/Dockerfile"
export STRATA_ROOT="$W/strata"
"$strata" build -q -t big:latest "$W/ctx" >/dev/null
rm -rf "$W/ctx"
image_mb=$(du -sm "$STRATA_ROOT/blobs" | cut -f1)

# A fresh repository name per run, so every push sends every byte.
echo 0 >"$W/n"
next='n=$(($(cat '"$W"'/n) + 1)); echo $n >'"$W"'/n'
"$strata" tag big:latest "$reg/seed/big:1"
"$strata" push -q "$reg/seed/big:1" >/dev/null
# skopeo remembers where it saw each blob (containers/image's blob-info cache) and would mount it
# from the last run's repository: removed before each push, as strata's mount hints are.
skopeo_cache=/var/lib/containers/cache/blob-info-cache-v1.boltdb
tag_cmd="$strata tag big:latest $reg/s\$(cat $W/n)/big:1"

hyperfine --runs "$runs" --warmup 1 --export-json "$W/hyperfine.json" \
  -n "strata push" -p "$next; rm -rf $STRATA_ROOT/cache/sources; $tag_cmd; sync" \
  "$strata push -q $reg/s\$(cat $W/n)/big:1" \
  -n "skopeo push" -p "$next; rm -f $skopeo_cache; sync" \
  "skopeo copy -q --dest-tls-verify=false oci:$STRATA_ROOT:big:latest docker://$reg/k\$(cat $W/n)/big:1" \
  -n "strata pull" -p "rm -rf $W/pulled; sync" "STRATA_ROOT=$W/pulled $strata pull -q $reg/seed/big:1" \
  -n "skopeo pull" -p "rm -rf $W/skopeo-oci; sync" \
  "skopeo copy -q --src-tls-verify=false docker://$reg/seed/big:1 oci:$W/skopeo-oci:big"

python3 - "$W/hyperfine.json" "$image_mb" "$(nproc)" "$(skopeo --version)" \
  "$(/usr/bin/docker-registry --version 2>&1 | head -n 1)" >"$here/results-registry.txt" <<'EOF'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
mb = int(sys.argv[2])
print(f"push/pull of a {mb} MB four-layer image (gzip layers) to {sys.argv[5]} on loopback, "
      f"{sys.argv[3]} cores, {sys.argv[4]}")
print(f"{'command':<12} {'median s':>9} {'min s':>7} {'MB/s':>6}")
for name, r in results.items():
    print(f"{name:<12} {r['median']:9.2f} {r['min']:7.2f} {mb / r['median']:6.0f}")
for op in ("push", "pull"):
    ratio = results[f"skopeo {op}"]["median"] / results[f"strata {op}"]["median"]
    print(f"{op}: strata is {ratio:.2f}x skopeo (median time ratio skopeo/strata)")
EOF
cat "$here/results-registry.txt"
