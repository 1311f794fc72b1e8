#!/usr/bin/env bash
# `strata exec` against containers started with `strata run -d`: the container's PID namespace,
# hostname and files (both ways), -e/--env-file/-w/-u/-i/-t/-d/--privileged, docker's exit
# statuses (the command's, 126, 127, 1 for a missing, stopped or paused container), and the
# container's cgroup, capabilities and seccomp filter.
# Needs root, overlayfs and namespaces; skips (77) when they are missing.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "strata exec needs root"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
  grep -qw overlay /proc/filesystems || skip "overlayfs is not available"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null || skip "namespaces are not available"

import_busybox busybox:latest >/dev/null || skip "cannot import busybox"
box=exec-box-$$
id=$("$STRATA" run -d --name "$box" --hostname exec-host -e FROM_RUN=1 busybox sleep 1000) ||
  skip "strata run -d is not available"
cleanup_hooks+=("'$STRATA' rm -f '$box' >/dev/null 2>&1")
x() { "$STRATA" exec "$@"; }

# The container's namespaces.
expect 0 "PID 1 is the container's command" -- x "$box" cat /proc/1/cmdline
check "/proc/1/cmdline" -- test "$(tr '\0' ' ' <"$work/out")" = "sleep 1000 "
expect 0 "own PID" -- x "$box" sh -c 'echo $$'
check "not PID 1, a small PID of the container's namespace" -- \
  test "$(cat "$work/out")" -gt 1 -a "$(cat "$work/out")" -lt 1000
expect 0 "ps sees the container's processes only" -- x "$box" ps -o pid,args
check "sleep is PID 1 in ps" -- grep -Eq '^ *1 +sleep 1000' "$work/out"
check "no host process" -- test "$(grep -vc -e PID -e 'sleep 1000' -e 'ps -o' "$work/out")" -eq 0
expect 0 "hostname" -- x "$box" hostname
check "the container's hostname" -- grep -qx exec-host "$work/out"
expect 0 "cgroup" -- x "$box" cat /proc/self/cgroup
contains "strata/$id" "the container's cgroup"

# Files, both ways: exec → container (a second exec sees it, and the container's upper dir
# has it) and container → exec (/proc/1/root is PID 1's view of /).
expect 0 "write from exec" -- x "$box" sh -c 'echo from-exec >/shared'
expect 0 "read it back" -- x "$box" cat /proc/1/root/shared
check "PID 1's root has the file" -- grep -qx from-exec "$work/out"
check "in the container's layer" -- grep -qx from-exec "$STRATA_ROOT/containers/$id/upper/shared"
check "not on the host" -- test ! -e /shared
"$STRATA" run -d --name "$box-w" busybox sh -c 'echo from-pid1 >/mark; exec sleep 1000' >/dev/null
cleanup_hooks+=("'$STRATA' rm -f '$box-w' >/dev/null 2>&1")
for _ in $(seq 50); do x "$box-w" test -e /mark 2>/dev/null && break; sleep 0.1; done
expect 0 "exec sees PID 1's writes" -- x "$box-w" cat /mark
check "from-pid1" -- grep -qx from-pid1 "$work/out"

# Environment, user, working directory.
expect 0 "container env" -- x "$box" env
contains "FROM_RUN=1" "the container's -e"
contains "HOSTNAME=exec-host" "HOSTNAME"
contains "HOME=/root" "HOME from passwd"
expect 0 "-e" -- x -e FOO=bar -e FROM_RUN=2 "$box" sh -c 'echo $FOO $FROM_RUN'
check "-e sets and overrides" -- grep -qx "bar 2" "$work/out"
expect 0 "bare -e takes the caller's value" -- env CALLER=yes "$STRATA" exec -e CALLER "$box" sh -c 'echo $CALLER'
check "CALLER=yes" -- grep -qx yes "$work/out"
expect 0 "bare -e without a value unsets" -- env -u FROM_RUN "$STRATA" exec -e FROM_RUN "$box" sh -c 'echo "[${FROM_RUN-unset}]"'
check "unset" -- grep -qx "\[unset\]" "$work/out"
printf '# comment\n\nFILE_A=1\n  FILE_B=two words\nFROM_RUN=3\n' >"$work/env.list"
expect 0 "--env-file" -- x --env-file "$work/env.list" -e FILE_A=4 "$box" sh -c 'echo "$FILE_A|$FILE_B|$FROM_RUN"'
check "env-file, then -e" -- grep -qx "4|two words|3" "$work/out"
printf 'BAD KEY=1\n' >"$work/bad.list"
expect 1 "bad env-file" -- x --env-file "$work/bad.list" "$box" true
contains "variable 'BAD KEY' contains whitespaces" "docker's env-file message"
expect 0 "-w" -- x -w /etc "$box" pwd
check "/etc" -- grep -qx /etc "$work/out"
expect 0 "default workdir" -- x "$box" pwd
check "/" -- grep -qx / "$work/out"
expect 127 "-w missing dir" -- x -w /no/such "$box" pwd
contains 'OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd ("/no/such"): no such file or directory' "runc's chdir message"
expect 0 "-u nobody" -- x -u nobody "$box" id
contains "uid=65534(nobody) gid=65534(nogroup)" "nobody's ids"
expect 0 "-u 1000:1000" -- x -u 1000:1000 "$box" id
contains "uid=1000 gid=1000" "numeric ids"
expect 126 "unknown user" -- x -u nosuchuser "$box" true
contains "unable to find user nosuchuser" "runc's message"

# Exit statuses.
expect 3 "exit 3" -- x "$box" sh -c 'exit 3'
expect 127 "missing command" -- x "$box" no-such-command
contains 'OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-command": executable file not found in $PATH' "docker's 127 message"
expect 126 "not executable" -- x "$box" /etc/passwd
contains 'exec: "/etc/passwd": permission denied' "docker's 126 message"
expect 1 "missing container" -- x no-such-container true
contains "No such container: no-such-container" "docker's message"
expect 1 "no command" -- x "$box"
contains '"strata exec" requires at least 2 arguments' "docker's message"
expect 125 "unknown flag" -- x --bogus "$box" true
contains "unknown flag: --bogus" "flag named"
expect 0 "flags after the container belong to the command" -- x "$box" ls -d /bin
check "/bin" -- grep -qx /bin "$work/out"

# Security settings: the container's.
expect 0 "capabilities" -- x "$box" grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status
contains "00000000a80425fb" "Docker's default set"
check "seccomp filter" -- grep -Eq '^Seccomp:\s+2' "$work/out"
check "no_new_privs" -- grep -Eq '^NoNewPrivs:\s+1' "$work/out"
expect 0 "--privileged" -- x --privileged "$box" grep CapEff /proc/self/status
check "every capability" -- test "$(awk '{print $2}' "$work/out")" != 00000000a80425fb
"$STRATA" run -d --name "$box-c" --cap-drop NET_RAW busybox sleep 1000 >/dev/null
cleanup_hooks+=("'$STRATA' rm -f '$box-c' >/dev/null 2>&1")
expect 0 "the container's --cap-drop" -- x "$box-c" grep CapEff /proc/self/status
contains "00000000a80405fb" "NET_RAW dropped in exec too"
"$STRATA" run -d --name "$box-p" --privileged busybox sleep 1000 >/dev/null
cleanup_hooks+=("'$STRATA' rm -f '$box-p' >/dev/null 2>&1")
expect 0 "a privileged container's exec" -- x "$box-p" grep -E '^(CapEff|Seccomp):' /proc/self/status
check "no seccomp filter" -- grep -Eq '^Seccomp:\s+0' "$work/out"
check "every capability" -- test "$(awk '/CapEff/ {print $2}' "$work/out")" != 00000000a80425fb
expect 0 "fds closed" -- x "$box" ls /proc/self/fd
check "only 0-2 and ls's own dir fd" -- test "$(wc -l <"$work/out")" -le 4

# stdin, tty, detach.
expect 0 "stdin is /dev/null without -i" -- sh -c "echo piped | '$STRATA' exec $box cat"
check "nothing read" -- test ! -s "$work/out"
expect 0 "-i passes stdin" -- sh -c "echo piped | '$STRATA' exec -i $box cat"
check "piped" -- grep -qx piped "$work/out"
expect 0 "-t" -- x -t "$box" sh -c 'test -t 0 && test -t 1 && echo tty'
check "a terminal, relayed" -- grep -q '^tty' "$work/out"
expect 0 "-t is a pty of the container's /dev/pts" -- x -t "$box" tty
check "/dev/pts/N inside" -- grep -Eq '^/dev/pts/[0-9]+' "$work/out"
expect 1 "-it without a terminal" -- sh -c "'$STRATA' exec -it $box true </dev/null"
contains "the input device is not a TTY" "docker's message"
expect 0 "-d returns at once" -- x -d "$box" sh -c 'sleep 1; echo done >/detached'
check "nothing printed" -- test ! -s "$work/out"
for _ in $(seq 50); do x "$box" test -e /detached 2>/dev/null && break; sleep 0.1; done
expect 0 "the detached command ran" -- x "$box" cat /detached
check "done" -- grep -qx done "$work/out"
expect 1 "-d with a missing command" -- x -d "$box" no-such-command
contains "executable file not found" "reported before returning"

# Signals reach the exec'd command.
"$STRATA" exec "$box" sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done' \
  >"$work/sig.out" 2>&1 &
runner=$!
for _ in $(seq 50); do grep -qs ready "$work/sig.out" && break; sleep 0.1; done
kill -TERM "$runner"; wait "$runner"; got=$?
check "SIGTERM forwarded (exit 42, got $got)" -- test "$got" -eq 42

# Paused and stopped containers.
if "$STRATA" pause "$box" >/dev/null 2>&1; then
  expect 1 "paused" -- x "$box" true
  contains "Container $box is paused, unpause the container before exec" "docker's message"
  "$STRATA" unpause "$box" >/dev/null 2>&1
else
  echo "SKIP paused: strata pause is not available"
fi
"$STRATA" exec "$box-w" sleep 300 >/dev/null 2>&1 &
execer=$!
for _ in $(seq 50); do x "$box-w" sh -c 'ps -o args | grep -q "^sleep 300"' && break; sleep 0.1; done
check "rm -f a container with an exec'd command" -- "$STRATA" rm -f "$box-w"
for _ in $(seq 50); do kill -0 "$execer" 2>/dev/null || break; sleep 0.1; done
check "the exec'd command died with its container" -- bash -c "! kill -0 $execer 2>/dev/null"
wait "$execer" 2>/dev/null
sid=$("$STRATA" run -d --name "$box-s" busybox true)
cleanup_hooks+=("'$STRATA' rm -f '$box-s' >/dev/null 2>&1")
for _ in $(seq 50); do x "$box-s" true 2>&1 | grep -q "is not running" && break; sleep 0.1; done
expect 1 "stopped container" -- x "$box-s" true
contains "container $sid is not running" "docker's message"

finish
