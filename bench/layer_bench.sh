#!/usr/bin/env bash
# Layer commit speed: `write_layer` (bench/layer_commit.cpp) with gzip and zstd against the classic
# pipelines `tar -c | pigz -p2 -6` and `tar -c | zstd -3 -T2`, side by side in one hyperfine run,
# on a 500 MB / 20,000-file tree (60% compressible text, 40% random bytes) under /var/tmp, page
# cache warm. layer_commit also hashes twice, writes and fsyncs the blob into a store; the
# pipelines write to /dev/null. Peak RSS from /usr/bin/time -v. Writes bench/results-layer.txt.
#
#   BUILD=build-layer bench/layer_bench.sh      (default BUILD=build; needs bench/layer_commit)
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results-layer.txt
bin=${BUILD:-build}/bench/layer_commit
tree=${TREE:-/var/tmp/strata-layer-bench-tree}
[ -x "$bin" ] || { echo "layer_bench: build layer_commit first" >&2; exit 1; }
for tool in hyperfine pigz igzip zstd sha256sum python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "layer_bench: $tool is missing" >&2; exit 1; }
done

if [ ! -e "$tree/.complete" ]; then
  rm -rf "$tree"
  python3 - "$tree" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(42)
words = ["int", "return", "static", "const", "void", "struct", "if", "else", "for", "while",
         "the", "value", "buffer", "size_t", "error", "layer", "digest", "config", "0x1f", "{", "}",
         "(", ");", "=", "+=", "->", "std::string", "namespace", "#include", "TODO", "nullptr"]
pool, pool_size = [], 0
while pool_size < 8 << 20:
    n = rng.randint(3, 14)
    pool.append("    " * rng.randint(0, 3) + " ".join(rng.choice(words) for _ in range(n))
                + " // %d\n" % rng.randint(0, 1 << 20))
    pool_size += len(pool[-1])
text = "".join(pool).encode()
files, total = 20000, 500 * 1000 * 1000
weights = [rng.lognormvariate(0, 1.2) for _ in range(files)]
scale = total / sum(weights)
for i, w in enumerate(weights):
    d = os.path.join(root, "d%03d" % (i % 200), "s%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    size = max(1, int(w * scale))
    if i % 10 < 6:
        off = rng.randint(0, len(text) - 1)
        data = (text[off:] + text)[:size] if size < len(text) else (text * (size // len(text) + 1))[:size]
    else:
        data = os.urandom(size)
    with open(os.path.join(d, "f%05d.dat" % i), "wb") as f:
        f.write(data)
open(os.path.join(root, ".complete"), "w").close()
PY
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bytes=$(du -sb --exclude=.complete "$tree" | cut -f1)
nfiles=$(find "$tree" -type f ! -name .complete | wc -l)
tar -c -C "$tree" . >/dev/null # warm the page cache
{
  echo "# strata layer commit benchmarks — $(date -u +%Y-%m-%d) on $(nproc) cores"
  echo "tree: $nfiles files, $((bytes / 1000000)) MB ($tree)"
  echo "## one run each (layer_commit's own timing; blob sizes)"
  "$bin" --compression gzip "$tree"
  "$bin" --compression zstd "$tree"
  echo "pigz -6 output: $(( $(tar -c -C "$tree" . | pigz -p2 -6 | wc -c) / 1000000 )) MB;" \
       "zstd -3 output: $(( $(tar -c -C "$tree" . | zstd -3 -T2 | wc -c) / 1000000 )) MB"
  echo "## hyperfine (wall time; throughput = tree bytes / mean)"
  # The "floor" rows do the work a layer commit must do (hash the tar, compress, hash the blob)
  # as a shell pipeline, still writing to /dev/null instead of a fsynced store file.
  hyperfine --shell bash --warmup 1 --runs 5 --export-json "$tmp/h.json" --export-markdown "$tmp/h.md" \
    -n "layer_commit gzip" "$bin --compression gzip $tree" \
    -n "layer_commit zstd" "$bin --compression zstd $tree" \
    -n "tar | pigz -p2 -6" "tar -c -C $tree . | pigz -p2 -6 >/dev/null" \
    -n "tar | zstd -3 -T2" "tar -c -C $tree . | zstd -3 -T2 >/dev/null" \
    -n "floor: tar | sha256 | igzip -1 -T2 | sha256" \
    "tar -c -C $tree . | tee >(sha256sum >/dev/null) | igzip -1 -T 2 -c | sha256sum >/dev/null" \
    -n "floor: tar | sha256 | zstd -3 -T2 | sha256" \
    "tar -c -C $tree . | tee >(sha256sum >/dev/null) | zstd -3 -T2 | sha256sum >/dev/null" >/dev/null
  cat "$tmp/h.md"
  python3 - "$tmp/h.json" "$bytes" <<'PY'
import json, sys
runs = {r["command"]: r["mean"] for r in json.load(open(sys.argv[1]))["results"]}
mb = int(sys.argv[2]) / 1e6
for name, mean in runs.items():
    print("%-45s %7.1f MB/s" % (name, mb / mean))
g, z = runs["layer_commit gzip"], runs["layer_commit zstd"]
print("gzip: layer_commit / (tar | pigz -p2 -6)  = %.2fx" % (runs["tar | pigz -p2 -6"] / g))
print("zstd: layer_commit / (tar | zstd -3 -T2)  = %.2fx" % (runs["tar | zstd -3 -T2"] / z))
print("gzip: layer_commit / floor pipeline (igzip) = %.2fx" % (runs["floor: tar | sha256 | igzip -1 -T2 | sha256"] / g))
print("zstd: layer_commit / floor pipeline (zstd)  = %.2fx" % (runs["floor: tar | sha256 | zstd -3 -T2 | sha256"] / z))
PY
  echo "## peak RSS (/usr/bin/time -v)"
  for c in gzip zstd; do
    /usr/bin/time -v "$bin" --compression "$c" "$tree" 2>"$tmp/time" >/dev/null
    echo "layer_commit $c: $(awk -F': ' '/Maximum resident/ {print $2}' "$tmp/time") KB"
  done
} | tee "$out"
