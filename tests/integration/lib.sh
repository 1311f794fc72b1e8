# Shared by the integration scripts (source it; not a test itself): a private store, a scratch
# directory removed on exit, expect/contains assertions, and the tiny busybox image.
# Needs: $STRATA. Sets: $work (scratch), $STRATA_ROOT (a fresh store under $work).
set -u
: "${STRATA:?path to the strata binary}"
work=$(mktemp -d /var/tmp/strata-it.XXXXXX)
export STRATA_ROOT="$work/root"
passed=0 failed=0
cleanup_hooks=()
on_exit() {
  local hook
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
  rm -rf "$work"
}
trap on_exit EXIT

# expect WANT_STATUS DESCRIPTION -- COMMAND...: runs COMMAND, keeps its output in $work/out
# (stdout) and $work/err (stderr).
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $what: exit $got, want $want"
    sed 's/^/  out| /' "$work/out" | head -20; sed 's/^/  err| /' "$work/err" | head -20; fi
}
# contains TEXT DESCRIPTION: the last command's stdout or stderr contains TEXT.
contains() {
  if grep -qF -- "$1" "$work/out" "$work/err"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $2: output lacks '$1'"
    sed 's/^/  out| /' "$work/out" | head -20; sed 's/^/  err| /' "$work/err" | head -20; fi
}
# check DESCRIPTION -- COMMAND...: COMMAND must succeed (its output is not kept).
check() {
  local what=$1; shift 2
  if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $what: '$*' failed"; fi
}
# finish: prints the tally and exits 1 if anything failed.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
# skip REASON: exits 77 (ctest SKIP_RETURN_CODE).
skip() { echo "SKIP: $1"; exit 77; }

# busybox_rootfs_tar OUT: a root filesystem tar with Debian's static busybox and its applet links.
busybox_rootfs_tar() {
  local out=$1 dir="$work/busybox-rootfs"
  [ -x /bin/busybox ] || skip "busybox-static is not installed (scripts/install-deps.sh)"
  rm -rf "$dir"; mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/proc" "$dir/sys" "$dir/dev"
  cp /bin/busybox "$dir/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  chmod 1777 "$dir/tmp"
  tar --numeric-owner --sort=name -C "$dir" -cf "$out" .
}

# import_busybox [NAME]: imports the busybox rootfs as NAME (default busybox:latest); prints the ID.
import_busybox() {
  local name=${1:-busybox:latest}
  [ -f "$work/busybox.tar" ] || busybox_rootfs_tar "$work/busybox.tar"
  "$STRATA" import --change 'CMD ["/bin/sh"]' "$work/busybox.tar" "$name"
}
