#!/usr/bin/env bash
# The rootfs copy, overlayfs's fallback (runtime/rootfs_copy.hpp), forced with STRATA_NO_OVERLAY=1
# as on a store overlayfs refuses: run prints output and exit codes, the copy is made once and
# used by every later start, commit turns the copy's changes (new, changed and deleted files) into
# a layer that later containers see, export is the image plus the changes, a container that ran on
# overlayfs first keeps its changes in its copy, rm leaves nothing. Needs root and namespaces.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "containers need root"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null || skip "namespaces are not available"

import_busybox busybox:latest >/dev/null || skip "cannot import busybox"
export STRATA_NO_OVERLAY=1
names=()
cleanup_hooks+=('for n in "${names[@]}"; do "$STRATA" rm -f "$n" >/dev/null 2>&1; done')
# dir_of NAME: the container's directory.
dir_of() { echo "$STRATA_ROOT/containers/$(readlink "$STRATA_ROOT/containers/names/$1")"; }
tar_names() { tar -tf "$1" | sed -e 's|^\./||' -e 's|/$||' | grep -v '^\.\?$' | LC_ALL=C sort; }
tar_names "$work/busybox.tar" >"$work/image.list"

# ---- run ----
expect 0 "run --rm prints" -- "$STRATA" run --rm busybox echo hello
check "hello" -- grep -qx hello "$work/out"
expect 3 "the exit code" -- "$STRATA" run --rm busybox sh -c 'exit 3'
expect 127 "a missing command" -- "$STRATA" run --rm busybox /no/such
expect 0 "the rootfs is no overlay" -- "$STRATA" run --rm busybox sh -c 'grep " / " /proc/self/mountinfo'
check "not overlay" -- bash -c "! grep -q ' - overlay ' '$work/out'"
expect 0 "applets and the /etc files" -- \
  "$STRATA" run --rm --hostname box busybox sh -c 'ls /bin/ls >/dev/null && cat /etc/hostname'
check "hostname" -- grep -qx box "$work/out"

names+=(c1)
expect 5 "run c1" -- "$STRATA" run --name c1 busybox sh -c 'echo x >/f; rm /bin/ls; mkdir -p /d/e; echo deep >/d/e/g; chmod 700 /d; echo changed >/bin/true2; exit 5'
c1_dir=$(dir_of c1)
check "the copy is there" -- test -d "$c1_dir/rootfs-copy"
check "no partial copy is left" -- test ! -e "$c1_dir/rootfs-copy.partial"
check "the upper dir is unused" -- test -z "$(ls -A "$c1_dir/upper")"
expect 0 "inspect the exit" -- "$STRATA" inspect -f '{{.State.ExitCode}}' c1
check "5" -- grep -qx 5 "$work/out"
unset STRATA_NO_OVERLAY
expect 5 "start -a again, overlayfs allowed: still the copy" -- "$STRATA" start -a c1
expect 0 "export c1" -- "$STRATA" export -o "$work/c1.tar" c1
export STRATA_NO_OVERLAY=1
tar_names "$work/c1.tar" >"$work/c1.list"
check "the change survived the restart" -- bash -c "tar -xOf '$work/c1.tar' f | grep -qx x"
check "a file deleted from the image is absent" -- bash -c "! grep -qx bin/ls '$work/c1.list'"
grep -vx bin/ls "$work/image.list" >"$work/image-minus-ls.list"
check "every other image entry is in" -- \
  test -z "$(LC_ALL=C comm -23 "$work/image-minus-ls.list" "$work/c1.list")"
extra=$(LC_ALL=C comm -13 "$work/image.list" "$work/c1.list" |
  grep -Ev '^(f|d|d/e|d/e/g|bin/true2|etc|etc/(hosts|hostname|resolv\.conf)|(dev|proc|sys)(/.*)?)$')
check "nothing else is in (extra: $extra)" -- test -z "$extra"
check "no whiteout entries" -- bash -c "! grep -q '\.wh\.' '$work/c1.list'"

# ---- commit ----
expect 0 "commit c1" -- "$STRATA" commit c1 test:one
expect 0 "two layers" -- "$STRATA" inspect -f '{{len .RootFS.Layers}}' test:one
check "2" -- grep -qx 2 "$work/out"
expect 0 "the committed changes" -- "$STRATA" run --rm test:one sh -c 'cat /f /d/e/g /bin/true2; stat -c %a /d; test ! -e /bin/ls && echo gone'
check "new files, a mode, a deletion" -- test "$(cat "$work/out")" = "$(printf 'x\ndeep\nchanged\n700\ngone')"
unset STRATA_NO_OVERLAY
expect 0 "the layer also reads right on overlayfs" -- "$STRATA" run --rm test:one sh -c 'cat /f; test ! -e /bin/ls'
check "x" -- grep -qx x "$work/out"
export STRATA_NO_OVERLAY=1

# The layer holds the changes only: not the init layer's mount points, not busybox again.
blob=$("$STRATA" inspect -f '{{json .RootFS.Layers}}' test:one | tr -d '[]"' | cut -d, -f2)
mkdir "$work/layer"
"$STRATA" save test:one | tar -x -C "$work/layer"
layer_tar=$(grep -l . "$work/layer/blobs/sha256/"* | while read -r b; do
  if gzip -dc "$b" 2>/dev/null | sha256sum | grep -q "${blob#sha256:}"; then echo "$b"; fi; done)
check "the layer found" -- test -n "$layer_tar"
gzip -dc "$layer_tar" | tar -t | sed 's|/$||' | LC_ALL=C sort >"$work/layer.list"
check "the layer's entries (got: $(tr '\n' ' ' <"$work/layer.list"))" -- \
  test "$(tr '\n' ' ' <"$work/layer.list")" = "bin bin/.wh.ls bin/true2 d d/e d/e/g f "

# Deleting a lower layer's file and a file from the image, in a container of the commit.
names+=(c2)
expect 0 "run c2" -- "$STRATA" run --name c2 test:one sh -c 'rm /f /bin/cat; echo z >/f2'
expect 0 "commit c2" -- "$STRATA" commit c2 test:two
expect 0 "deletions from both layers hold" -- "$STRATA" run --rm test:two \
  sh -c 'test ! -e /f && test ! -e /bin/cat && test ! -e /bin/ls && cat /f2 /d/e/g'
check "z, deep" -- test "$(cat "$work/out")" = "$(printf 'z\ndeep')"

# An unchanged container adds no layer (docker's empty_layer rule).
names+=(c3)
expect 0 "run c3" -- "$STRATA" run --name c3 busybox true
expect 0 "commit c3" -- "$STRATA" commit c3 test:same
expect 0 "layers" -- "$STRATA" inspect -f '{{len .RootFS.Layers}}' test:same
check "still one layer" -- grep -qx 1 "$work/out"

# ---- a container that ran on overlayfs first keeps its changes ----
if grep -qw overlay /proc/filesystems; then
  names+=(o1)
  unset STRATA_NO_OVERLAY
  expect 0 "run o1 on overlayfs" -- "$STRATA" run --name o1 busybox sh -c 'echo o >/o; rm -f /bin/cat'
  export STRATA_NO_OVERLAY=1
  expect 0 "start o1 on a copy" -- "$STRATA" start -a o1
  check "its copy" -- test -d "$(dir_of o1)/rootfs-copy"
  expect 0 "commit o1" -- "$STRATA" commit o1 test:o
  expect 0 "its changes" -- "$STRATA" run --rm test:o sh -c 'cat /o; test ! -e /bin/cat'
  check "o" -- grep -qx o "$work/out"
fi

# ---- a running container ----
names+=(r1)
expect 0 "run -d" -- "$STRATA" run -d --name r1 busybox sh -c 'echo y >/g; exec sleep 1000'
for _ in $(seq 50); do [ -e "$(dir_of r1)/rootfs-copy/g" ] && break; sleep 0.1; done
expect 0 "commit of a running container" -- "$STRATA" commit r1 test:running
expect 0 "its change" -- "$STRATA" run --rm test:running cat /g
check "y" -- grep -qx y "$work/out"

# ---- rm ----
c1_dir=$(dir_of c1)
for n in "${names[@]}"; do "$STRATA" rm -f "$n" >/dev/null 2>&1; done
names=()
check "rm removed the copy" -- test ! -e "$c1_dir"
check "no container directory is left" -- test -z "$(ls -A "$STRATA_ROOT/containers" | grep -v '^names$')"
check "no mount is left on the host" -- bash -c "! grep -q '$STRATA_ROOT' /proc/self/mountinfo"

finish
