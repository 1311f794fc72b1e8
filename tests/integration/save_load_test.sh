#!/usr/bin/env bash
# `strata save` and `strata load` through the CLI: the archive's shape, round trips (file, stdin,
# compressed), docker's messages and exit codes, and bad archives that must leave the store as it
# was (blobs, snapshots, index.json, `system check`).
source "$(dirname "$0")/lib.sh"

id=$(import_busybox busybox:latest) || skip "cannot import busybox"
"$STRATA" tag busybox:latest example.com/team/app:v1

expect 0 "save -o" -- "$STRATA" save -o "$work/bb.tar" busybox:latest example.com/team/app:v1
tar -tf "$work/bb.tar" >"$work/names"
check "archive has index.json" -- grep -qx index.json "$work/names"
check "archive has manifest.json" -- grep -qx manifest.json "$work/names"
check "archive has oci-layout" -- grep -qx oci-layout "$work/names"
check "archive has the config blob" -- grep -qx "blobs/sha256/${id#sha256:}" "$work/names"
check "three blobs, each once" -- test "$(grep -c '^blobs/sha256/.' "$work/names")" -eq 3
tar -xOf "$work/bb.tar" manifest.json >"$work/out"
contains '"RepoTags":["busybox:latest","example.com/team/app:v1"]' "manifest.json lists both tags"
tar -xOf "$work/bb.tar" index.json >"$work/out"
contains '"org.opencontainers.image.ref.name":"v1"' "ref.name is the tag, as Docker 25 writes it"
contains '"io.containerd.image.name":"example.com/team/app:v1"' "full name annotation"

"$STRATA" save busybox:latest example.com/team/app:v1 >"$work/stdout.tar"
check "stdout and -o give identical bytes" -- cmp "$work/bb.tar" "$work/stdout.tar"

if command -v script >/dev/null; then
  expect 1 "save to a terminal" -- script -qec "$STRATA save busybox" /dev/null
  contains "cowardly refusing to save to a terminal. Use the -o flag or redirect" "docker's message"
fi
expect 1 "save unknown image" -- "$STRATA" save -o "$work/none.tar" nosuch:image
contains "No such image: nosuch:image" "unknown image named"
check "no archive left for a failed save" -- test ! -e "$work/none.tar"

# Round trips into fresh stores.
second="$work/second"
expect 0 "load -i" -- env STRATA_ROOT="$second" "$STRATA" load -i "$work/bb.tar"
contains "Loaded image: busybox:latest" "tag reported"
contains "Loaded image: example.com/team/app:v1" "second tag reported"
expect 0 "inspect loaded" -- env STRATA_ROOT="$second" "$STRATA" images -q --no-trunc busybox
contains "$id" "same image ID after the round trip"
expect 0 "loaded store is healthy" -- env STRATA_ROOT="$second" "$STRATA" system check
expect 0 "load again is idempotent" -- env STRATA_ROOT="$second" "$STRATA" load -q -i "$work/bb.tar"

expect 0 "load from stdin" -- sh -c "STRATA_ROOT='$work/third' '$STRATA' load <'$work/bb.tar'"
contains "Loaded image: busybox:latest" "stdin load"
gzip -c "$work/bb.tar" >"$work/bb.tar.gz"
expect 0 "load gzip archive" -- env STRATA_ROOT="$work/gz" "$STRATA" load -i "$work/bb.tar.gz"
if command -v zstd >/dev/null; then
  zstd -q -c "$work/bb.tar" >"$work/bb.tar.zst"
  expect 0 "load zstd archive" -- sh -c "STRATA_ROOT='$work/zst' '$STRATA' load -i - <'$work/bb.tar.zst'"
fi

"$STRATA" save -o "$work/byid.tar" "$id"
expect 0 "load an image saved by ID" -- env STRATA_ROOT="$work/byid" "$STRATA" load -i "$work/byid.tar"
contains "Loaded image ID: $id" "untagged image reported by ID"

# Bad archives: each exits 1 naming the culprit and leaves the store unchanged.
state() {
  (cd "$STRATA_ROOT" && ls blobs/sha256 snapshots && cat index.json) >"$work/state.$1"
}
rejected() { # NEEDLE DESCRIPTION ARCHIVE
  state before
  expect 1 "$2" -- "$STRATA" load -i "$3"
  contains "$1" "$2: message names the culprit"
  state after
  check "$2: store unchanged" -- cmp "$work/state.before" "$work/state.after"
  expect 0 "$2: store healthy" -- "$STRATA" system check
}
layer=$(tar -xOf "$work/bb.tar" manifest.json | sed 's/.*"Layers":\["blobs\/sha256\/\([0-9a-f]*\)".*/\1/')
unpacked="$work/unpacked"
fresh() { rm -rf "$unpacked"; mkdir -p "$unpacked"; tar -C "$unpacked" -xf "$work/bb.tar"; }
repack() { tar -C "$unpacked" -cf "$1" .; }

head -c 100000 "$work/bb.tar" >"$work/bad-truncated.tar"
rejected "Truncated" "truncated archive" "$work/bad-truncated.tar"

fresh; printf ' ' >>"$unpacked/blobs/sha256/${id#sha256:}"; repack "$work/bad-digest.tar"
rejected "${id#sha256:}" "blob with a wrong digest" "$work/bad-digest.tar"

fresh; rm "$unpacked/blobs/sha256/$layer"; repack "$work/bad-missing.tar"
rejected "$layer" "missing layer blob" "$work/bad-missing.tar"

fresh; rm "$unpacked/index.json"; mkdir "$unpacked/x"; tar -C "$work" -cf "$unpacked/x/layer.tar" names
printf '[{"Config":"blobs/sha256/%s","RepoTags":["bad:1"],"Layers":["x/layer.tar"]}]' "${id#sha256:}" \
  >"$unpacked/manifest.json"; repack "$work/bad-diffid.tar"
rejected "diff ID" "diff ID mismatch" "$work/bad-diffid.tar"

fresh; rm "$unpacked/index.json"; printf '[{"Config":' >"$unpacked/manifest.json"; repack "$work/bad-json.tar"
rejected "manifest.json" "malformed manifest.json" "$work/bad-json.tar"

python3 - "$work/bb.tar" "$work/bad-traversal.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1]) as src, tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as dst:
    for member in src.getmembers():
        dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    evil = tarfile.TarInfo("../../escaped"); evil.size = 1
    dst.addfile(evil, io.BytesIO(b"x"))
EOF
rejected "escaped" "path traversal entry" "$work/bad-traversal.tar"
check "nothing written outside" -- test ! -e "$work/../escaped"

printf 'not a tar at all' >"$work/bad-garbage.tar"
rejected "archive" "not an archive" "$work/bad-garbage.tar"

# SIGKILL mid-load, in a loop: the store stays consistent and prune removes the debris.
mkdir -p "$work/big" && head -c 40000000 /dev/urandom >"$work/big/random.bin"
tar -C "$work/big" -cf "$work/big-rootfs.tar" .
"$STRATA" import "$work/big-rootfs.tar" big:1 >/dev/null
"$STRATA" save -o "$work/big-image.tar" big:1
"$STRATA" rmi big:1 >/dev/null
export STRATA_ROOT="$work/kill-root"
for delay in 0.01 0.03 0.05 0.08 0.12 0.2 0.3 0.5; do
  "$STRATA" load -i "$work/big-image.tar" >/dev/null 2>&1 &
  sleep "$delay"; kill -9 $! 2>/dev/null; wait $! 2>/dev/null
done
expect 0 "system check after SIGKILLed loads" -- "$STRATA" system check
expect 0 "prune after SIGKILLed loads" -- "$STRATA" system prune -f
expect 0 "a full load still works" -- "$STRATA" load -i "$work/big-image.tar"
contains "Loaded image: big:1" "loaded after the kills"
expect 0 "system check at the end" -- "$STRATA" system check

finish
