#!/usr/bin/env bash
# `strata export` and `strata commit` on real containers: the export is the image plus the
# container's changes (deleted files absent, no whiteouts), to stdout or -o, for exited and
# running containers, through both merged-view mounts (fsmount and the mount-namespace fallback);
# commit turns the changes into a layer that later containers see (deletions across several
# layers included), with -c/-m/-a in inspect and history, pausing a running container, an empty
# commit adding no layer, and a removed base image. Needs root, overlayfs and namespaces.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "containers need root"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
  grep -qw overlay /proc/filesystems || skip "overlayfs is not available"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null || skip "namespaces are not available"

import_busybox busybox:latest >/dev/null || skip "cannot import busybox"
names=()
cleanup_hooks+=('for n in "${names[@]}"; do "$STRATA" rm -f "$n" >/dev/null 2>&1; done')
# container NAME IMAGE COMMAND...: runs COMMAND in a new container NAME, left behind exited.
container() {
  local name=$1; shift
  names+=("$name")
  expect 0 "run --name $name" -- "$STRATA" run --name "$name" "$@"
}
# tar_names FILE: the entry names of a tar, without a trailing '/' or leading './', sorted.
tar_names() { tar -tf "$1" | sed -e 's|^\./||' -e 's|/$||' | grep -v '^\.\?$' | LC_ALL=C sort; }
# The image's own entries, for comparisons.
tar_names "$work/busybox.tar" >"$work/image.list"

# ---- export of an exited container ----
container c1 busybox sh -c 'echo x >/f; rm /bin/ls; mkdir -p /d/e; echo deep >/d/e/g'
expect 0 "export to stdout" -- "$STRATA" export c1
cp "$work/out" "$work/c1.tar"
tar_names "$work/c1.tar" >"$work/c1.list"
check "the new file is in" -- grep -qx f "$work/c1.list"
check "a new nested file is in" -- grep -qx d/e/g "$work/c1.list"
check "a file deleted from the image is absent" -- bash -c "! grep -qx bin/ls '$work/c1.list'"
check "no whiteout entries" -- bash -c "! grep -q '\.wh\.' '$work/c1.list'"
grep -vx bin/ls "$work/image.list" >"$work/image-minus-ls.list"
check "every other image entry is in" -- \
  test -z "$(LC_ALL=C comm -23 "$work/image-minus-ls.list" "$work/c1.list")"
# Beyond the image: the changes, and the mount points and /etc files the runtime made.
extra=$(LC_ALL=C comm -13 "$work/image.list" "$work/c1.list" |
  grep -Ev '^(f|d|d/e|d/e/g|etc/(hosts|hostname|resolv\.conf)|(dev|proc|sys)(/.*)?)$')
check "nothing else is in (extra: $extra)" -- test -z "$extra"
mkdir "$work/c1"
tar -xf "$work/c1.tar" -C "$work/c1"
check "the new file's content" -- test "$(cat "$work/c1/f")" = x
check "busybox itself is intact" -- cmp "$work/c1/bin/busybox" /bin/busybox
check "symlinks stay symlinks" -- test "$(readlink "$work/c1/bin/cat")" = busybox

expect 0 "export -o" -- "$STRATA" export -o "$work/c1-o.tar" c1
check "-o writes the same tar" -- cmp "$work/c1-o.tar" "$work/c1.tar"
expect 0 "export --output replaces a file" -- "$STRATA" export --output "$work/c1-o.tar" c1
check "the same tar again (deterministic)" -- cmp "$work/c1-o.tar" "$work/c1.tar"
STRATA_NO_FSMOUNT=1 expect 0 "export through the mount-namespace fallback" -- "$STRATA" export c1
check "the fallback gives the same tar" -- cmp "$work/out" "$work/c1.tar"
check "no mount is left on the host" -- bash -c "! grep -q '$STRATA_ROOT' /proc/self/mountinfo"

expect 1 "export -o into a missing directory" -- "$STRATA" export -o "$work/no/such/x.tar" c1
check "nothing created" -- test ! -e "$work/no"
mkdir "$work/small"
if mount -t tmpfs -o size=64k tmpfs "$work/small" 2>/dev/null; then
  cleanup_hooks+=("umount '$work/small'")
  expect 1 "export -o onto a full disk" -- "$STRATA" export -o "$work/small/c1.tar" c1
  contains "No space left on device" "ENOSPC named"
  check "no partial file is left" -- test -z "$(ls -A "$work/small")"
fi
expect 1 "export refuses a terminal" -- script -qec "'$STRATA' export c1" /dev/null
contains "cowardly refusing to save to a terminal. Use the -o flag or redirect" "docker's message"
expect 1 "export of a missing container" -- "$STRATA" export nosuch
contains "No such container: nosuch" "docker's message"
expect 2 "export needs a container" -- "$STRATA" export

# ---- commit ----
expect 0 "commit c1" -- "$STRATA" commit c1 test:one
check "prints the image ID" -- grep -Eqx 'sha256:[0-9a-f]{64}' "$work/out"
one_id=$(cat "$work/out")
expect 0 "the committed file" -- "$STRATA" run --rm test:one cat /f /d/e/g
check "shows the change" -- test "$(cat "$work/out")" = "$(printf 'x\ndeep')"
expect 0 "the deleted file stays deleted" -- "$STRATA" run --rm test:one sh -c 'test ! -e /bin/ls'
expect 0 "two layers" -- "$STRATA" inspect -f '{{len .RootFS.Layers}}' test:one
check "one layer more than busybox" -- grep -qx 2 "$work/out"
expect 0 "the container's Cmd becomes the image's" -- "$STRATA" inspect -f '{{json .Config.Cmd}}|{{json .Config.Env}}' test:one
check "docker's rule, without the HOSTNAME and PATH run added" -- \
  grep -qxF '["sh","-c","echo x >/f; rm /bin/ls; mkdir -p /d/e; echo deep >/d/e/g"]|[]' "$work/out"

# A container of the committed image: a third layer, deleting from both lower ones.
container c2 test:one sh -c 'rm /bin/cat /f; echo z >/f2'
expect 0 "export over two image layers" -- "$STRATA" export -o "$work/c2.tar" c2
tar_names "$work/c2.tar" >"$work/c2.list"
check "deleted from layer 1 and 2: absent" -- \
  bash -c "! grep -qxE 'bin/ls|bin/cat|f' '$work/c2.list'"
check "kept: layer 2's and 3's files" -- bash -c "grep -qx d/e/g '$work/c2.list' && grep -qx f2 '$work/c2.list'"
expect 0 "commit with -c, -m, -a" -- "$STRATA" commit -c 'CMD ["echo","hi"]' -m 'my message' \
  -a 'Me <me@example.com>' c2 test:two
expect 0 "run the new CMD" -- "$STRATA" run --rm test:two
check "prints hi" -- grep -qx hi "$work/out"
expect 0 "deletions from every layer hold" -- "$STRATA" run --rm test:two \
  sh -c 'test ! -e /bin/ls && test ! -e /bin/cat && test ! -e /f && test "$(echo $(head -n1 /f2 /d/e/g))" != ""'
expect 0 "inspect" -- "$STRATA" inspect -f '{{json .Config.Cmd}}|{{.Author}}|{{.Comment}}|{{len .RootFS.Layers}}' test:two
check "CMD, author, comment, three layers" -- \
  grep -qx '\["echo","hi"\]|Me <me@example.com>|my message|3' "$work/out"
expect 0 "history" -- "$STRATA" history --no-trunc --format '{{.CreatedBy}}|{{.Comment}}' test:two
check "the newest row is the commit" -- \
  test "$(head -n1 "$work/out")" = "sh -c rm /bin/cat /f; echo z >/f2|my message"
check "the rows of test:one below it" -- test "$(wc -l <"$work/out")" -eq 3
expect 0 "-c ENV and WORKDIR" -- "$STRATA" commit -c 'ENV A=b' -c 'WORKDIR /d' c2 test:env
expect 0 "run sees them" -- "$STRATA" run --rm test:env sh -c 'echo $A $PWD'
check "A=b in /d" -- grep -qx 'b /d' "$work/out"
expect 2 "an invalid change" -- "$STRATA" commit -c 'RUN true' c2
contains "RUN" "the change is named"
expect 1 "commit of a missing container" -- "$STRATA" commit nosuch
contains "No such container: nosuch" "docker's message"
expect 1 "a bad reference" -- "$STRATA" commit c2 'Bad:Name'

# A container never started has no changes: no new layer, an empty_layer history row (docker's
# rule).
names+=(c3)
expect 0 "create c3" -- "$STRATA" create --name c3 busybox
expect 0 "commit of an unchanged container" -- "$STRATA" commit c3 test:same
expect 0 "layers" -- "$STRATA" inspect -f '{{len .RootFS.Layers}}' test:same
check "still one layer" -- grep -qx 1 "$work/out"

# ---- a running container ----
names+=(r1)
expect 0 "run -d" -- "$STRATA" run -d --name r1 busybox sh -c 'echo y >/g; exec sleep 1000'
r1_id=$(readlink "$STRATA_ROOT/containers/names/r1")
for _ in $(seq 50); do "$STRATA" export r1 | tar -t 2>/dev/null | grep -qx g && break; sleep 0.1; done
expect 0 "export of a running container" -- "$STRATA" export -o "$work/r1.tar" r1
check "has its change" -- bash -c "tar -tf '$work/r1.tar' | grep -qx g"
expect 0 "commit of a running container (paused meanwhile)" -- "$STRATA" commit r1 test:running
expect 0 "its change" -- "$STRATA" run --rm test:running cat /g
check "y" -- grep -qx y "$work/out"
freeze=$(cat "/sys/fs/cgroup/strata/$r1_id/cgroup.freeze" 2>/dev/null ||
  cat "/sys/fs/cgroup/freezer/strata/$r1_id/freezer.state" 2>/dev/null)
check "thawed after the commit (got '$freeze')" -- test "$freeze" = 0 -o "$freeze" = THAWED
expect 0 "pause r1" -- "$STRATA" pause r1
expect 0 "commit of a paused container" -- "$STRATA" commit r1
freeze=$(cat "/sys/fs/cgroup/strata/$r1_id/cgroup.freeze" 2>/dev/null ||
  cat "/sys/fs/cgroup/freezer/strata/$r1_id/freezer.state" 2>/dev/null)
check "still paused after the commit (got '$freeze')" -- test "$freeze" = 1 -o "$freeze" = FROZEN
expect 0 "unpause r1" -- "$STRATA" unpause r1
expect 0 "commit -p=false" -- "$STRATA" commit -p=false r1
expect 0 "commit --pause=false" -- "$STRATA" commit --pause=false r1
expect 2 "commit -p=maybe" -- "$STRATA" commit -p=maybe r1
contains 'invalid argument "maybe" for "-p, --pause" flag' "pflag's message"
expect 2 "commit with a third argument" -- "$STRATA" commit r1 test:x extra
expect 0 "rm -f r1" -- "$STRATA" rm -f r1

# ---- the base image removed ----
expect 0 "rmi -f test:one (c2 still uses it)" -- "$STRATA" rmi -f test:one
expect 1 "test:one is gone" -- "$STRATA" inspect "$one_id"
expect 0 "commit without its base image" -- "$STRATA" commit c2 test:orphan
expect 0 "the orphan runs" -- "$STRATA" run --rm test:orphan sh -c 'cat /f2; test ! -e /bin/ls && test ! -e /f'
check "z" -- grep -qx z "$work/out"
expect 0 "its config comes from the container" -- "$STRATA" inspect -f '{{json .Config.Cmd}}|{{len .RootFS.Layers}}' test:orphan
check "the container's Cmd, three layers" -- \
  grep -qx '\["sh","-c","rm /bin/cat /f; echo z >/f2"\]|3' "$work/out"

# ---- many layers: 60 commits on top of each other ----
# Past what fits a page of absolute (or common-parent-relative) lower dirs, so the fallback's short
# links are needed, and many "lowerdir+" calls for the new mount API.
image=busybox
names+=(deep)
for i in $(seq 60); do
  "$STRATA" run --name deep "$image" sh -c "echo $i >/layer$i; rm -f /layer$((i - 1))" >/dev/null &&
    "$STRATA" commit deep "test:deep$i" >/dev/null && "$STRATA" rm deep >/dev/null || break
  image=test:deep$i
done
check "60 commits" -- test "$image" = test:deep60
expect 0 "61 layers" -- "$STRATA" inspect -f '{{len .RootFS.Layers}}' test:deep60
check "61" -- grep -qx 61 "$work/out"
container deepest test:deep60 true
expect 0 "export over 61 image layers" -- "$STRATA" export -o "$work/deep.tar" deepest
check "only the last layer's file is left" -- \
  test "$(tar -tf "$work/deep.tar" | grep '^layer')" = layer60
STRATA_NO_FSMOUNT=1 expect 0 "the same through the fallback" -- "$STRATA" export deepest
check "the same tar" -- cmp "$work/out" "$work/deep.tar"

finish
