#!/usr/bin/env bash
# `strata build`'s outputs, black box: -q and the --progress modes (what goes to stdout and
# stderr), -t (repeatable, docker's naming), --label, --iidfile (rewritten only when the ID
# changes: Make sees no false change), --depfile (the Make rule: target, the Dockerfile,
# .dockerignore, every context file COPY/ADD read, Make's escaping), and -o: type=local (the
# filesystem as files), type=tar (a flat tar, to a file or stdout), type=oci and type=docker
# (archives `strata load` reads into another store). Needs root, overlayfs and namespaces.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "builds run containers: they need root"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
  grep -qw overlay /proc/filesystems || skip "overlayfs is not available"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null || skip "namespaces are not available"

import_busybox busybox:latest >/dev/null || skip "cannot import busybox"

# is WANT DESCRIPTION: the last command's stdout is exactly WANT.
is() {
  if [ "$(cat "$work/out")" = "$1" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $2: got '$(head -c 600 "$work/out")', want '$1'"; fi
}
# tar_names FILE: the entry names of a tar, without a trailing '/' or leading './', sorted.
tar_names() { tar -tf "$1" | sed -e 's|^\./||' -e 's|/$||' | grep -v '^\.\?$' | LC_ALL=C sort; }
mtime() { stat -c %Y.%y "$1"; }

ctx=$work/ctx
mkdir -p "$ctx/src/d" "$ctx/with space"
echo a >"$ctx/src/a.txt"
echo b >"$ctx/src/d/b.txt"
echo c >"$ctx/src/d/c.txt"
echo s >"$ctx/with space/f#1.txt"
echo unread >"$ctx/unread.txt"
echo ig >"$ctx/src/d/x.log"
printf '*.log\n**/*.log\n' >"$ctx/.dockerignore"
cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox
LABEL from.file=1 over=dockerfile
COPY src/a.txt /a.txt
COPY src/d /d/
COPY ["with space/f#1.txt", "/s.txt"]
RUN rm /bin/ls && echo built >/built
CMD ["cat", "/built"]
EOF

# ---- -q and --progress ----
expect 0 "-q" -- "$STRATA" build -q -t out1 -t out2:v2 "$ctx"
check "-q: stdout is only the image ID" -- grep -Eqx 'sha256:[0-9a-f]{64}' "$work/out"
check "-q: nothing on stderr" -- test ! -s "$work/err"
id=$(cat "$work/out")
expect 0 "--progress plain" -- "$STRATA" build --progress plain -t out1 -t out2:v2 "$ctx"
check "plain: nothing on stdout" -- test ! -s "$work/out"
contains "#1 [internal] load build definition from $ctx/Dockerfile" "plain: BuildKit's first vertex"
contains "CACHED" "plain: the cached steps"
contains "writing image $id done" "plain: the image ID"
contains "naming to docker.io/library/out1:latest done" "plain: docker's naming of -t out1"
contains "naming to docker.io/library/out2:v2 done" "plain: the second tag"
expect 0 "--progress quiet" -- "$STRATA" build --progress quiet "$ctx"
is "$id" "--progress quiet prints the ID like -q"
check "--progress quiet: nothing on stderr" -- test ! -s "$work/err"
expect 0 "--progress auto without a terminal" -- "$STRATA" build "$ctx"
contains "#1 [internal]" "auto is plain when stderr is not a terminal"
check "no escape sequences in auto without a terminal" -- bash -c "! grep -q $'\e' '$work/err'"
expect 0 "--progress tty" -- "$STRATA" build --progress tty "$ctx"
check "tty mode draws with escape sequences" -- grep -q $'\e\[' "$work/err"
expect 0 "both tags" -- "$STRATA" inspect --format '{{.Id}}' out1:latest out2:v2
is "$(printf '%s\n%s' "$id" "$id")" "-t is repeatable: both names point at the image"

# ---- --label ----
expect 0 "--label" -- "$STRATA" build -q --label over=flag --label new=2 --label empty -t labelled "$ctx"
expect 0 "labels" -- "$STRATA" inspect --format '{{json .Config.Labels}}' labelled
is '{"empty":"","from.file":"1","new":"2","over":"flag"}' "--label adds labels and overrides the Dockerfile's"

# ---- --iidfile ----
iid=$work/iid
expect 0 "--iidfile" -- "$STRATA" build -q --iidfile "$iid" "$ctx"
check "the iidfile holds the ID, no newline (docker's)" -- test "$(cat "$iid")" = "$id" -a "$(wc -c <"$iid")" -eq 71
touch -d '2001-01-01 00:00:00' "$iid"
before=$(mtime "$iid")
expect 0 "--iidfile, no-op rebuild" -- "$STRATA" build -q --iidfile "$iid" "$ctx"
check "a no-op rebuild leaves the iidfile's mtime alone" -- test "$(mtime "$iid")" = "$before"
echo a2 >"$ctx/src/a.txt"
expect 0 "--iidfile, real change" -- "$STRATA" build -q --iidfile "$iid" "$ctx"
id2=$(cat "$work/out")
check "a real change rewrites it" -- test "$(mtime "$iid")" != "$before" -a "$(cat "$iid")" = "$id2" -a "$id2" != "$id"
echo a >"$ctx/src/a.txt"
expect 1 "--iidfile, failed build" -- "$STRATA" build -q --iidfile "$work/iid-fail" - <<'EOF'
FROM busybox
RUN exit 1
EOF
check "a failed build writes no iidfile" -- test ! -e "$work/iid-fail"
check "-q prints the failure on stderr" -- grep -q "ERROR: failed to solve" "$work/err"

# ---- --depfile ----
expect 0 "--depfile" -- "$STRATA" build -q --iidfile "$iid" --depfile "$work/dep" "$ctx"
cat >"$work/want-dep" <<EOF
$iid: \\
  $ctx/Dockerfile \\
  $ctx/.dockerignore \\
  $ctx/src/a.txt \\
  $ctx/src/d/b.txt \\
  $ctx/src/d/c.txt \\
  $ctx/with\\ space/f\\#1.txt
EOF
check "the depfile: iidfile target, Dockerfile, .dockerignore, every file read, escaped ($(diff "$work/want-dep" "$work/dep" | tr '\n' ' '))" -- \
  cmp -s "$work/want-dep" "$work/dep"
check "an ignored file is not a prerequisite" -- bash -c "! grep -q x.log '$work/dep'"
check "an unread file is not a prerequisite" -- bash -c "! grep -q unread '$work/dep'"
expect 0 "--depfile without --iidfile" -- "$STRATA" build -q -t deptag --depfile "$work/dep2" -f "$ctx/Dockerfile" "$ctx"
check "the target is the first tag" -- grep -q '^deptag\(:latest\)\?: ' "$work/dep2"
if command -v make >/dev/null; then
  printf 'all: %s\n-include %s\n%s:\n\t@echo rebuilding\n\t@"%s" build -q --iidfile %s --depfile %s %s >/dev/null\n' \
    "$iid" "$work/dep" "$iid" "$STRATA" "$iid" "$work/dep" "$ctx" >"$work/Makefile"
  expect 0 "make: up to date" -- make -s -f "$work/Makefile"
  is "" "make sees no change after a no-op"
  sleep 1.1; echo b2 >"$ctx/src/d/b.txt"
  expect 0 "make: a prerequisite changed" -- make -s -f "$work/Makefile"
  is "rebuilding" "make rebuilds when a file COPY read changes"
  expect 0 "make: up to date again" -- make -s -f "$work/Makefile"
  is "" "and not again"
  echo b >"$ctx/src/d/b.txt"
fi

# ---- -o type=local ----
expect 0 "-o type=local" -- "$STRATA" build -q -o "type=local,dest=$work/local" "$ctx"
check "the filesystem as files: built file" -- test "$(cat "$work/local/built")" = built
check "the copied directory" -- test "$(cat "$work/local/d/b.txt")" = b
check "the base image's files" -- cmp "$work/local/bin/busybox" /bin/busybox
check "a deleted file is absent (no whiteout)" -- test ! -e "$work/local/bin/ls" -a -z "$(find "$work/local" -name '.wh.*')"
expect 0 "-o DIR (plain path)" -- "$STRATA" build -q -o "$work/local2" "$ctx"
check "a plain -o DIR is type=local" -- test "$(cat "$work/local2/built")" = built

# ---- -o type=tar ----
expect 0 "-o type=tar" -- "$STRATA" build -q -o "type=tar,dest=$work/fs.tar" "$ctx"
tar_names "$work/fs.tar" >"$work/fs.list"
check "the tar has the built file" -- grep -qx built "$work/fs.list"
check "the tar has the copied files" -- grep -qx d/c.txt "$work/fs.list"
check "the tar has busybox" -- grep -qx bin/busybox "$work/fs.list"
check "the tar lacks the deleted file" -- bash -c "! grep -qx bin/ls '$work/fs.list'"
check "the tar has no whiteouts" -- bash -c "! grep -q '\.wh\.' '$work/fs.list'"
check "the tar is one flat filesystem (no layer blobs)" -- bash -c "! grep -q -e manifest.json -e '^blobs' '$work/fs.list'"
"$STRATA" build -q -o type=tar,dest=- "$ctx" >"$work/stdout.tar" 2>"$work/err"
check "-o type=tar,dest=- writes the tar to stdout" -- bash -c "tar -tf '$work/stdout.tar' | grep -qx '\(./\)\?built'"

# ---- -o type=oci and type=docker, loaded into other stores ----
expect 0 "-o type=oci" -- "$STRATA" build -q -t ociname:1 -o "type=oci,dest=$work/img-oci.tar" "$ctx"
tar_names "$work/img-oci.tar" >"$work/oci.list"
check "an OCI layout: oci-layout" -- grep -qx oci-layout "$work/oci.list"
check "an OCI layout: index.json" -- grep -qx index.json "$work/oci.list"
check "the config blob is in" -- grep -qx "blobs/sha256/${id#sha256:}" "$work/oci.list"
STRATA_ROOT=$work/root-oci expect 0 "strata load of the oci archive" -- "$STRATA" load -i "$work/img-oci.tar"
STRATA_ROOT=$work/root-oci expect 0 "the loaded image" -- "$STRATA" inspect --format '{{.Id}}' "$id"
is "$id" "the same image ID in the second store"
STRATA_ROOT=$work/root-oci expect 0 "it runs" -- "$STRATA" run --rm "$id"
is "built" "the loaded image runs its CMD"
expect 0 "-o type=docker" -- "$STRATA" build -q -t dockername:2 -o "type=docker,dest=$work/img-docker.tar" "$ctx"
tar_names "$work/img-docker.tar" >"$work/docker.list"
check "a docker archive: manifest.json" -- grep -qx manifest.json "$work/docker.list"
STRATA_ROOT=$work/root-docker expect 0 "strata load of the docker archive" -- "$STRATA" load -i "$work/img-docker.tar"
contains "dockername:2" "load names the tag the build gave"
STRATA_ROOT=$work/root-docker expect 0 "the loaded image by tag" -- "$STRATA" run --rm dockername:2
is "built" "the loaded docker archive runs"
STRATA_ROOT=$work/root-docker expect 0 "system check of the second store" -- "$STRATA" system check

expect 0 "two outputs at once" -- "$STRATA" build -q -o "type=local,dest=$work/local3" -o "type=tar,dest=$work/fs3.tar" "$ctx"
check "both written" -- test -f "$work/local3/built" -a -s "$work/fs3.tar"
expect 2 "-o type=bogus" -- "$STRATA" build -o type=bogus,dest=x "$ctx"
contains "bogus" "the type is named"
expect 1 "a failed build writes no output" -- "$STRATA" build -o "type=tar,dest=$work/fail.tar" - <<'EOF'
FROM busybox
RUN exit 2
EOF
check "no tar from a failed build" -- test ! -e "$work/fail.tar"
expect 0 "system check" -- "$STRATA" system check
check "the store's tmp/ is empty" -- test -z "$(ls -A "$STRATA_ROOT/tmp" 2>/dev/null)"

finish
