#!/usr/bin/env bash
# `strata build` against Docker 20.10 BuildKit and `buildah bud --layers`, side by side in ONE run
# (PEERS.md: the machine's speed drifts, so every tool is timed in the same hyperfine call per
# workload), on the workloads of shared/bench-workloads (each `FROM base:latest`, a busybox rootfs
# imported into every tool). Writes bench/results-build.txt with medians, minima and the ratios
# strata time / peer time (below 1: strata is faster).
#
#   small       cold build (--no-cache) and no-op rebuild (everything cached): the headline
#   run10       cold build of 10 trivial RUN steps; per RUN step = cold time / 10
#   multistage  4 independent ~2 s CPU stages + a final stage; wall time against the host's own
#               CPU floor (the same 4 busybox loops run on the host, nproc at a time)
#   fat-layer   (BENCH_FAT=1 only, slow) one RUN writing ~512 MB in 20,000 files
#
# Usage: bench/build_bench.sh [STRATA_BINARY]   (default: $STRATA, else build/strata)
#   NOOP_RUNS=10 COLD_RUNS=3 MS_RUNS=3 FAT_RUNS=2  runs per hyperfine command
#   BENCH_FAT=1                                   also time fat-layer
#   WORKLOADS=DIR                                 the workload dirs (default ../shared/bench-workloads)
# A peer that is missing or cannot start is reported and skipped; a tool that fails a workload is
# reported (with its error) instead of timed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
main=$(cd "$here/.." && pwd)
strata=${1:-${STRATA:-$main/build/strata}}
if [ ! -x "$strata" ] && [ "$strata" = "$main/build/strata" ]; then
  cmake --build "$main/build" -j1 --target strata
fi
strata=$(realpath "$strata")
workloads=${WORKLOADS:-$(realpath "$main/../shared/bench-workloads" 2>/dev/null || echo /work/shared/bench-workloads)}
noop_runs=${NOOP_RUNS:-10}
cold_runs=${COLD_RUNS:-3}
ms_runs=${MS_RUNS:-3}
fat_runs=${FAT_RUNS:-2}
for tool in hyperfine python3 busybox; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
[ -x "$strata" ] || { echo "no strata binary at $strata" >&2; exit 1; }
[ -d "$workloads/small" ] || { echo "no workloads in $workloads" >&2; exit 1; }

W=$(mktemp -d /var/tmp/strata-bench-build.XXXXXX)
dockerd_pid=
extra=()
cleanup() {
  set +e
  if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
    kill "$dockerd_pid"
    for _ in $(seq 60); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$dockerd_pid" 2>/dev/null
  fi
  # Whatever is still running out of $W (dockerd's containerd, a shim) is ours: end it by pid.
  local pid
  for pid in $(grep -l -s -F "$W" /proc/[0-9]*/cmdline | cut -d/ -f3); do
    [ "$pid" != "$$" ] && kill -9 "$pid" 2>/dev/null
  done
  [ -n "${have_buildah:-}" ] && buildah rm -a >/dev/null 2>&1
  # Mounts below $W (docker's and containers/storage's overlay and private bind mounts), deepest first.
  local m
  for m in $(awk -v w="$W" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export TMPDIR="$W" STRATA_ROOT="$W/strata"
notes=()
note() { echo "note: $*" >&2; notes+=("$*"); }

# The workloads, writable, in one place every tool reads.
cp -r "$workloads" "$W/wl"
chmod -R u+w "$W/wl"
for d in small run10 multistage fat-layer; do [ -f "$W/wl/$d/Dockerfile" ] || { echo "no $d workload" >&2; exit 1; }; done

# The base image: busybox-static and its applet links (tests/integration/lib.sh's busybox_rootfs_tar).
busybox=$(command -v busybox)
r="$W/rootfs"
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/proc" "$r/sys" "$r/dev"
cp "$busybox" "$r/bin/busybox"
for applet in $("$busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$r/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
chmod 1777 "$r/tmp"
tar --numeric-owner --sort=name -C "$r" -cf "$W/rootfs.tar" .
"$strata" import --change 'CMD ["/bin/sh"]' "$W/rootfs.tar" base:latest >/dev/null

# Docker 20.10 with BuildKit on a private socket (PEERS.md). /usr/bin/docker is the 20.10 client.
have_docker=
docker=/usr/bin/docker
if ! command -v dockerd >/dev/null || [ ! -x "$docker" ]; then
  note "Docker BuildKit skipped: dockerd or $docker is not installed (Debian package docker.io)"
else
  D="$W/docker"; mkdir -p "$D"
  dockerd --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/pid" -H "unix://$D/sock" \
    --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --default-ulimit nofile=20000:20000 >"$D/log" 2>&1 &
  dockerd_pid=$!
  export DOCKER_HOST="unix://$D/sock"
  for _ in $(seq 120); do
    "$docker" info >/dev/null 2>&1 && { have_docker=1; break; }
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.25
  done
  if [ -z "$have_docker" ]; then
    note "Docker BuildKit skipped: dockerd did not start within 30 s: $(tail -3 "$D/log" | tr '\n' ' ')"
  elif ! out=$(tar -C "$r" -c . | "$docker" import -c 'CMD ["/bin/sh"]' - base:latest 2>&1); then
    have_docker=; note "Docker BuildKit skipped: docker import failed: $out"
  fi
fi

# buildah with private storage and config (PEERS.md); the base image made with buildah itself.
have_buildah=
if ! command -v buildah >/dev/null; then
  note "buildah skipped: not installed (Debian package buildah)"
else
  cat >"$W/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$W/containers/storage"
runroot = "$W/containers/run"
EOF
  cat >"$W/containers.conf" <<EOF
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[containers]
netns = "none"
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
EOF
  export CONTAINERS_STORAGE_CONF="$W/storage.conf" CONTAINERS_CONF="$W/containers.conf"
  if out=$( { c=$(buildah from scratch) && buildah add "$c" "$W/rootfs.tar" / >/dev/null &&
      buildah config --cmd /bin/sh "$c" && buildah commit -q "$c" base:latest >/dev/null &&
      buildah rm "$c" >/dev/null; } 2>&1); then
    have_buildah=1
  else
    note "buildah skipped: making base:latest failed: $out"
  fi
fi

# One command line per tool and workload; $1 = workload, $2 = extra flags (--no-cache or none).
strata_cmd() { echo "$strata build -q --network none $2 -t bench-$1 $W/wl/$1"; }
docker_cmd() { echo "DOCKER_BUILDKIT=1 $docker build -q --network=none $2 -t bench-$1 $W/wl/$1"; }
buildah_cmd() { echo "buildah bud --layers -q --network none --isolation oci $3 $2 -t bench-$1 $W/wl/$1"; }

# bench NAME RUNS WARMUP WORKLOAD FLAGS [BUILDAH_FLAGS]: one hyperfine run of every available tool.
# Failures do not stop the run (-i); they are found from the exit codes and reported.
bench() {
  local name=$1 runs=$2 warmup=$3 wl=$4 flags=$5 bflags=${6:-}
  local args=(-n strata "$(strata_cmd "$wl" "$flags")")
  args+=("${extra[@]}")
  [ -n "$have_docker" ] && args+=(-n "docker buildkit" "$(docker_cmd "$wl" "$flags")")
  [ -n "$have_buildah" ] && args+=(-n "buildah" "$(buildah_cmd "$wl" "$flags" "$bflags")")
  echo "== $name" >&2
  hyperfine -i --runs "$runs" --warmup "$warmup" --export-json "$W/$name.json" "${args[@]}" >&2
  echo "$name" >>"$W/order"
  # Re-run a failed tool once outside the timing to keep its error for the report.
  local tool
  for tool in $(python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    if any(r.get("exit_codes") or []): print(r["command"].split()[0])' "$W/$name.json"); do
    case $tool in
      strata) c=$(strata_cmd "$wl" "$flags") ;;
      docker) c=$(docker_cmd "$wl" "$flags") ;;
      buildah) c=$(buildah_cmd "$wl" "$flags" "$bflags") ;;
      *) continue ;;
    esac
    echo "\$ $c" >"$W/$name.$tool.err"
    sh -c "$c" >>"$W/$name.$tool.err" 2>&1 && echo "(passed when re-run)" >>"$W/$name.$tool.err"
  done
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
# small: no-op rebuild (warm-up builds the cache) and cold build.
bench small-noop "$noop_runs" 1 small ""
bench small-cold "$cold_runs" 1 small --no-cache
bench run10-cold "$cold_runs" 1 run10 --no-cache
# multistage: each run is seconds of CPU; the base is warm from the runs above, so no warm-up.
# The floor, timed in the same hyperfine call (the load of this shared machine swings): the same
# 4 loops straight on the host, nproc at a time.
loop='i=0; while [ $i -lt 1300000 ]; do i=$((i+1)); done'
extra=(-n "host: 4 loops, $(nproc) at a time (floor)"
  "printf '1\n2\n3\n4\n' | xargs -P $(nproc) -I{} $busybox sh -c '$loop'")
bench multistage "$ms_runs" 0 multistage --no-cache "--jobs 4"
if [ "${BENCH_FAT:-0}" = 1 ]; then
  # gen.sh alone on the host (busybox sh: it uses ${A:i:10}), each run into a fresh dir.
  extra=(-n "host: gen.sh alone (floor)"
    "d=\$(mktemp -d -p $W) && $busybox sh $W/wl/fat-layer/gen.sh \$d/data")
  bench fat-layer "$fat_runs" 0 fat-layer --no-cache
fi
extra=()
elapsed=$(( $(date +%s) - started ))
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

versions="strata $(git -C "$main" rev-parse --short HEAD 2>/dev/null || echo '?')"
[ -n "$have_docker" ] && versions+="; Docker $("$docker" version -f '{{.Server.Version}}' 2>/dev/null) (BuildKit, overlay2)"
[ -n "$have_buildah" ] && versions+="; $(buildah --version | cut -d' ' -f1-3) (overlay, runc)"
printf '%s\n' "${notes[@]}" >"$W/notes"
python3 - "$W" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(uname -r)" "$(nproc)" "$versions" \
  "$load_start" "$load_end" "$elapsed" "$noop_runs" "$cold_runs" "$ms_runs" "$fat_runs" \
  >"$here/results-build.txt" <<'PY'
import json, os, statistics, sys
W, date, kernel, cores, versions, load0, load1, elapsed = sys.argv[1:9]
noop_runs, cold_runs, ms_runs, fat_runs = sys.argv[9:13]
order = open(os.path.join(W, "order")).read().split()
notes = [n for n in open(os.path.join(W, "notes")).read().splitlines() if n]

def load(name):
    p = os.path.join(W, name + ".json")
    if not os.path.exists(p):
        return {}
    out = {}
    for r in json.load(open(p))["results"]:
        failed = any(r.get("exit_codes") or [])
        out[r["command"]] = (min(r["times"]), statistics.median(r["times"]), failed)
    return out

def fmt(s):
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"

titles = {
    "small-noop": f"small, no-op rebuild (all cached), {noop_runs} runs",
    "small-cold": f"small, cold build (--no-cache), {cold_runs} runs",
    "run10-cold": f"run10, cold build (--no-cache) of 10 RUN steps, {cold_runs} runs",
    "multistage": f"multistage, cold build (--no-cache), 4 parallel stages, {ms_runs} runs",
    "fat-layer": f"fat-layer, cold build (--no-cache), one RUN writing ~512 MB, {fat_runs} runs",
}
print("# bench/build_bench.sh: strata build vs Docker BuildKit and buildah bud --layers, one interleaved run")
print(f"# {date}; kernel {kernel}; {cores} cores SHARED with other work (load average {load0} at start, "
      f"{load1} at end); {elapsed} s in all")
print(f"# {versions}")
print("# every tool: --network none, quiet output, the same workload dirs (shared/bench-workloads) and the")
print("# same busybox-static base:latest; hyperfine, --warmup 1 (0 for multistage/fat-layer); times are wall")
print("# clock. ratio = strata time / peer time: below 1 strata is faster (e.g. 0.25 = 4x faster).")
for n in notes:
    print(f"# note: {n}")
summary = []
for name in order:
    res = load(name)
    if not res:
        continue
    print()
    print(f"## {titles.get(name, name)}")
    per_run = name == "run10-cold"
    hdr = f"{'tool':40} {'median':>9} {'min':>9}"
    if per_run:
        hdr += f" {'per RUN (median/10)':>20}"
    print(hdr + f" {'ratio median':>13} {'ratio min':>10}")
    s = res.get("strata")
    for tool, (lo, med, failed) in res.items():
        line = f"{tool:40} {fmt(med):>9} {fmt(lo):>9}"
        if per_run:
            line += f" {fmt(med / 10):>20}"
        if failed:
            line += "   FAILED (see below)"
        elif tool != "strata" and s and not s[2]:
            line += f" {s[1] / med:13.2f} {s[0] / lo:10.2f}"
            if not tool.startswith("host:"):
                summary.append((name, tool, s[1] / med))
        print(line)
    if name == "multistage":
        print("  (floor: the CPU work alone; PEERS.md's quiet-machine figure is 4.1 s)")
    for tool in res:
        err = os.path.join(W, f"{name}.{tool.split()[0]}.err")
        if os.path.exists(err):
            print(f"  {tool} failed; re-run once:")
            for l in open(err).read().splitlines()[-12:]:
                print(f"    {l}")
print()
print("## ratios at a glance (strata median / peer median)")
for name, tool, ratio in summary:
    verdict = f"strata {1 / ratio:.1f}x faster" if ratio < 1 else f"strata takes {ratio:.2f}x as long"
    print(f"{name:12} vs {tool:16} {ratio:6.2f}   ({verdict})")
PY
cat "$here/results-build.txt"
