#!/usr/bin/env bash
# Front-end speed: in-process parse throughput (bench/parse_throughput.cpp) and the wall time of a
# whole `strata parse` process on a typical Dockerfile (hyperfine). Run from the repository root
# after `make build`; `make bench` does both. Writes bench/results-parse.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results-parse.txt
bin=build/strata
[ -x "$bin" ] || { echo "parse_bench: build first (make build)" >&2; exit 1; }
{
  echo "# strata parse benchmarks — $(date -u +%Y-%m-%d) on $(nproc) cores"
  echo "## in-process (best of 5)"
  build/bench/parse_throughput
  echo "## whole process: strata parse of examples/hello/Dockerfile and a 100-line file"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 - "$tmp/Dockerfile.100" <<'PY'
import sys
lines = ["FROM debian:12 AS build"]
while len(lines) < 99:
    n = len(lines)
    lines.append(["RUN make -C /src target%d" % n, "COPY --chown=1:1 src/f%d.c /src/" % n,
                  "ENV V%d=\"value %d\"" % (n, n), "LABEL step=\"%d\"" % n][n % 4])
lines.append('CMD ["/bin/sh"]')
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
  hyperfine --warmup 20 --runs 200 -N --export-markdown "$tmp/h.md" \
    "$bin parse -f examples/hello/Dockerfile" \
    "$bin parse -f $tmp/Dockerfile.100" \
    "$bin parse --format json -f $tmp/Dockerfile.100" >/dev/null
  sed "s#$tmp/##g" "$tmp/h.md"
} | tee "$out"
