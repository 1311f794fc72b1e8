#!/usr/bin/env bash
# `strata run` in the foreground on real namespaces and overlayfs: output, docker's exit codes,
# isolation seen from inside (PID 1, hostname, /proc and /sys read-only, capabilities, no host
# paths), -e/-w/-u, whiteouts of a lower layer, and nothing left behind (containers/, mounts).
# Needs root, overlayfs and namespaces; skips (77) when they are missing.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "strata run needs root"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
  grep -qw overlay /proc/filesystems || skip "overlayfs is not available"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null || skip "namespaces are not available"

import_busybox busybox:latest >/dev/null || skip "cannot import busybox"
# Other strata users may have containers: compare the container cgroups before and after.
strata_cgroups() { find /sys/fs/cgroup/ -maxdepth 3 -path '*/strata/*' -type d 2>/dev/null | sort; }
strata_cgroups >"$work/cgroups.before"
run() { "$STRATA" run --rm "$@"; }

expect 0 "echo" -- run busybox echo hi
check "prints hi" -- grep -qx hi "$work/out"
expect 0 "image CMD when no command" -- run busybox
expect 3 "exit status passes through" -- run busybox sh -c 'exit 3'
expect 126 "non-executable file" -- run busybox /etc/passwd
contains 'exec: "/etc/passwd": permission denied' "docker's message for 126"
expect 127 "missing command" -- run busybox no-such-command
contains 'executable file not found in $PATH' "docker's message for 127"
expect 127 "missing path" -- run busybox /no/such/file
# SIGTERM to strata reaches the container's PID 1 (which, as init, needs a handler for it).
"$STRATA" run --rm busybox sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done' \
  >"$work/sig.out" 2>&1 &
runner=$!
for _ in $(seq 50); do grep -qs ready "$work/sig.out" && break; sleep 0.1; done
kill -TERM "$runner"; wait "$runner"; got=$?
check "SIGTERM forwarded (exit 42, got $got)" -- test "$got" -eq 42
expect 125 "unknown image" -- run nosuch true
contains "Unable to find image 'nosuch:latest' locally" "docker's first line"
expect 125 "unknown flag, as docker run" -- run --bogus busybox true
contains "unknown flag: --bogus" "unknown flag named"
expect 125 "flag without its value" -- run --network
expect 125 "unknown network" -- run --network bridge busybox true
expect 125 "relative workdir" -- run -w rel busybox true
expect 125 "unknown user" -- run -u nosuchuser busybox true
contains "unable to find user nosuchuser" "runc's message"

# Isolation, from inside.
expect 0 "PID 1" -- run busybox sh -c 'echo $$'
check "the command is PID 1" -- grep -qx 1 "$work/out"
expect 0 "hostname" -- run --hostname box1 busybox hostname
check "--hostname sets it" -- grep -qx box1 "$work/out"
expect 0 "/etc/hostname" -- run --hostname box2 busybox cat /etc/hostname
check "/etc/hostname matches" -- grep -qx box2 "$work/out"
expect 0 "/etc/hosts" -- run --network none busybox cat /etc/hosts
contains "localhost" "/etc/hosts has localhost"
expect 1 "/proc/sys read-only" -- run busybox sh -c 'echo x >/proc/sys/kernel/hostname'
contains "Read-only file system" "EROFS for /proc/sys"
expect 1 "/sys read-only" -- run busybox sh -c 'echo x >/sys/kernel/uevent_helper'
expect 0 "/sys mounted ro" -- run busybox grep ' /sys ' /proc/mounts
contains "sysfs ro," "sysfs is read-only"
expect 1 "mount fails" -- run busybox mount -t tmpfs none /tmp
expect 0 "capabilities" -- run busybox grep CapEff /proc/self/status
contains "00000000a80425fb" "Docker's default set"
expect 0 "cap-drop" -- run --cap-drop NET_RAW busybox grep CapEff /proc/self/status
contains "00000000a80405fb" "NET_RAW dropped"
expect 0 "seccomp filter" -- run busybox grep Seccomp: /proc/self/status
contains "2" "seccomp filter mode"
expect 0 "no_new_privs" -- run busybox grep NoNewPrivs /proc/self/status
contains "1" "no_new_privs set"
expect 0 "unconfined" -- run --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status
check "no filter when unconfined" -- grep -q '0$' "$work/out"
expect 0 "masked kcore" -- run busybox sh -c 'test ! -e /proc/kcore || test ! -s /proc/kcore'
expect 0 "host paths" -- run busybox sh -c 'test ! -e /work && test ! -e /var/tmp && ls /'
check "only the image's tree" -- grep -qx bin "$work/out"
expect 0 "fds closed" -- run busybox ls /proc/self/fd
check "only 0-2 and ls's own dir fd" -- test "$(wc -l <"$work/out")" -le 4
for fd in 3 4 5 6 7 8 9; do # CVE-2024-21626: no inherited fd is a way out
  check "-w /proc/self/fd/$fd refused" -- bash -c "! '$STRATA' run --rm -w /proc/self/fd/$fd busybox ls"
done
expect 0 "network none" -- run --network none busybox cat /proc/net/dev
check "only lo" -- test "$(grep -c : "$work/out")" -eq 1
expect 1 "read-only rootfs" -- run --read-only busybox touch /x
expect 0 "writable rootfs" -- run busybox touch /x
expect 0 "read-only rootfs still gets its -w" -- run --read-only -w /made busybox pwd
check "workdir made before the remount" -- grep -qx /made "$work/out"

# Flags and image config.
expect 0 "-e" -- run -e FOO=bar busybox sh -c 'echo $FOO'
check "-e sets FOO" -- grep -qx bar "$work/out"
expect 0 "env" -- run busybox env
contains "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "default PATH"
contains "HOME=/root" "HOME from passwd"
expect 0 "-w" -- run -w /tmp/new/dir busybox pwd
check "-w creates and enters" -- grep -qx /tmp/new/dir "$work/out"
expect 0 "-u nobody" -- run -u nobody busybox id -u
check "uid 65534" -- grep -qx 65534 "$work/out"
expect 0 "-u nobody caps" -- run -u nobody busybox grep CapEff /proc/self/status
contains "0000000000000000" "no effective caps for nobody"
expect 0 "-u 1000:1000" -- run -u 1000:1000 busybox id
contains "uid=1000 gid=1000" "numeric ids"
expect 0 "--entrypoint" -- run --entrypoint echo busybox a b
check "entrypoint + args" -- grep -qx "a b" "$work/out"
expect 0 "flags after the image" -- run busybox ls -d /bin
check "-d belongs to ls" -- grep -qx /bin "$work/out"
expect 0 "-i passes stdin" -- sh -c "echo piped | '$STRATA' run --rm -i busybox cat"
check "stdin reached the container" -- grep -qx piped "$work/out"
head -c 10000000 /dev/urandom >"$work/big"
expect 0 "-i with 10 MB while the container writes as much (no deadlock)" -- sh -c "timeout 60 '$STRATA' run --rm -i busybox cat <'$work/big' | cmp - '$work/big'"
expect 0 "stdin is /dev/null without -i" -- sh -c "echo piped | '$STRATA' run --rm busybox cat"
check "nothing read" -- test ! -s "$work/out"
expect 0 "-t gives a terminal" -- run --rm -t busybox sh -c 'test -t 0 && test -t 1 && test -t 2 && echo tty-yes'
contains "tty-yes" "stdio is a terminal with -t"
expect 0 "-t: the container's own pty" -- run --rm -t busybox tty
contains "/dev/pts/0" "a pty of the container's devpts, as runc's console"
expect 0 "-it under a terminal (script)" -- sh -c "printf 'echo in-pty; exit 5\\n' | script -qec '$STRATA run --rm -it busybox sh' /dev/null; true"
contains "in-pty" "the shell read from the pty"
expect 1 "-it without a terminal" -- sh -c "echo | '$STRATA' run --rm -it busybox true"
contains "the input device is not a TTY" "docker's message"
expect 0 "--privileged" -- run --privileged busybox sh -c 'grep CapEff /proc/self/status; grep " /sys " /proc/mounts; grep -c " /proc/sys " /proc/mounts; true'
contains "sysfs rw," "/sys writable when privileged"
check "no read-only /proc/sys when privileged" -- grep -qx 0 "$work/out"
expect 0 "the container's cgroup, read-only" -- run -m 64m busybox sh -c \
  'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
check "-m visible inside" -- grep -qx 67108864 "$work/out"
expect 1 "cgroupfs read-only" -- run busybox sh -c \
  'echo 1 >/sys/fs/cgroup/pids/pids.max 2>/dev/null || echo 1 >/sys/fs/cgroup/pids.max'
expect 0 "limits accepted" -- run --pids-limit 20 -m 64m busybox true
expect 2 "pids limit" -- run --pids-limit 5 busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait'
contains "can't fork" "--pids-limit stops forks"

# A file deleted by an upper layer stays deleted: a two-layer docker archive, loaded.
two="$work/two"; mkdir -p "$two/l2/etc"
tar -xf "$work/busybox.tar" -C "$two" ./etc/passwd 2>/dev/null
mkdir -p "$two/l1/etc"; echo secret >"$two/l1/etc/victim"
(cd "$two" && cp "$work/busybox.tar" l1.tar && tar --numeric-owner -rf l1.tar -C l1 ./etc/victim)
: >"$two/l2/etc/.wh.victim"; echo new >"$two/l2/etc/added"
tar --numeric-owner -C "$two/l2" -cf "$two/l2.tar" ./etc
d1=$(sha256sum "$two/l1.tar" | cut -d' ' -f1); d2=$(sha256sum "$two/l2.tar" | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' "$d1" "$d2" >"$two/config.json"
printf '[{"Config":"config.json","RepoTags":["two:latest"],"Layers":["l1.tar","l2.tar"]}]' >"$two/manifest.json"
tar -C "$two" -cf "$work/two.tar" manifest.json config.json l1.tar l2.tar
if "$STRATA" load -q -i "$work/two.tar" >/dev/null 2>&1; then
  expect 0 "whiteout" -- run two sh -c 'test ! -e /etc/victim && cat /etc/added'
  check "upper layer file visible" -- grep -qx new "$work/out"
else
  echo "SKIP whiteout: the two-layer archive did not load"
fi

# SIGKILL of strata: the container dies with it (PR_SET_PDEATHSIG) and, its mount namespace
# gone, leaves no mount; only its directory and cgroup stay (reaped by a later `rm`/`ps`).
# The container's `sleep 31`, found by command line (no procps needed).
sleepers() {
  local f
  for f in /proc/[0-9]*/cmdline; do
    [ "$( { tr '\0' ' ' <"$f"; } 2>/dev/null)" = "sleep 31 " ] && echo "$f"
  done
  return 0
}
"$STRATA" run --rm busybox sleep 31 >/dev/null 2>&1 &
runner=$!
for _ in $(seq 50); do [ -n "$(sleepers)" ] && break; sleep 0.1; done
check "the container started" -- test -n "$(sleepers)"
kill -KILL "$runner"; wait "$runner" 2>/dev/null
for _ in $(seq 50); do [ -z "$(sleepers)" ] && break; sleep 0.1; done
check "container killed with strata" -- test -z "$(sleepers)"
check "no mounts after SIGKILL" -- test "$(grep -c "$STRATA_ROOT" /proc/self/mountinfo)" -eq 0
for dir in "$STRATA_ROOT"/containers/*; do
  rmdir /sys/fs/cgroup/*/strata/"${dir##*/}" /sys/fs/cgroup/strata/"${dir##*/}" 2>/dev/null
  rm -rf "$dir"
done

# 70 layers: too long for one page of overlayfs options, even relative; short links instead.
many="$work/many"; mkdir -p "$many"; cp "$work/busybox.tar" "$many/l0.tar"
layers='"l0.tar"'; diffs="\"sha256:$(sha256sum "$many/l0.tar" | cut -d' ' -f1)\""
for i in $(seq 1 69); do
  mkdir -p "$many/d$i/layers"; echo "$i" >"$many/d$i/layers/$i"
  tar --numeric-owner -C "$many/d$i" -cf "$many/l$i.tar" ./layers
  layers="$layers,\"l$i.tar\""; diffs="$diffs,\"sha256:$(sha256sum "$many/l$i.tar" | cut -d' ' -f1)\""
done
printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$many/config.json"
printf '[{"Config":"config.json","RepoTags":["many:latest"],"Layers":[%s]}]' "$layers" >"$many/manifest.json"
(cd "$many" && tar -cf "$work/many.tar" manifest.json config.json l*.tar)
if "$STRATA" load -q -i "$work/many.tar" >/dev/null 2>&1; then
  expect 0 "70 layers" -- run many sh -c 'ls /layers | wc -l; cat /layers/69'
  check "every layer visible" -- test "$(tr '\n' ' ' <"$work/out")" = "69 69 "
else
  echo "SKIP 70 layers: the archive did not load"
fi

# A hostile image: /etc/hosts and /etc/resolv.conf are symlinks to a host file, /etc/hostname
# a directory-climbing symlink; the binds must land in the container's own /etc.
evil="$work/evil"; mkdir -p "$evil"; tar -xf "$work/busybox.tar" -C "$evil"
echo canary >"$work/canary"
ln -sf "$work/canary" "$evil/etc/hosts"; ln -sf "$work/canary" "$evil/etc/resolv.conf"
ln -sf ../../../../../../../../../"$work/canary" "$evil/etc/hostname"
tar --numeric-owner -C "$evil" -cf "$work/evil.tar" .
"$STRATA" import "$work/evil.tar" evil >/dev/null
expect 0 "symlinked /etc files" -- run evil sh -c 'cat /etc/hostname; echo x >>/etc/hosts'
check "the host file is untouched" -- test "$(cat "$work/canary")" = canary
check "the container saw its hostname" -- test "$(cat "$work/out")" != canary
rm "$evil/proc" -rf; ln -s / "$evil/proc"
tar --numeric-owner -C "$evil" -cf "$work/evil2.tar" .
"$STRATA" import "$work/evil2.tar" evil2 >/dev/null
expect 125 "a symlinked /proc is refused" -- run evil2 true
contains "mount /proc" "names the step"
check "the host's / is not touched by the refused proc mount" -- test -d /proc/self

# rmi and prune never wait for a running container, and never take its layers.
"$STRATA" tag busybox doomed:1
"$STRATA" run --rm doomed:1 sleep 4 >/dev/null 2>&1 &
sleeper=$!
sleep 1
expect 0 "rmi while a container runs" -- timeout 3 "$STRATA" rmi doomed:1
expect 0 "prune while a container runs" -- timeout 3 "$STRATA" system prune -f
expect 0 "the store is consistent" -- "$STRATA" system check
wait "$sleeper"
check "the container ran to its end on its layers" -- test $? -eq 0

# Nothing left behind once every container is removed.
for dir in "$STRATA_ROOT"/containers/*/; do
  id=$(basename "$dir")
  [ "$id" = names ] || "$STRATA" rm -f "$id" >/dev/null
done
check "containers/ empty" -- test -z "$(ls -A "$STRATA_ROOT/containers" | grep -v '^names$')"
check "no names left" -- test -z "$(ls -A "$STRATA_ROOT/containers/names")"
check "no mounts on the host" -- test "$(grep -c "$STRATA_ROOT" /proc/self/mountinfo)" -eq 0
# Tests run in parallel: another test's live container has processes, and a finished one's cgroup
# goes within milliseconds; one of ours left behind is empty and stays.
leaked_cgroups() {
  strata_cgroups >"$work/cgroups.after"
  comm -13 "$work/cgroups.before" "$work/cgroups.after" | while read -r dir; do
    [ -s "$dir/cgroup.procs" ] || echo "$dir"
  done
}
leaked_cgroups >"$work/leaked.1"; sleep 1; leaked_cgroups >"$work/leaked.2"
check "no container cgroups left" -- test -z "$(comm -12 "$work/leaked.1" "$work/leaked.2")"
expect 0 "system check" -- "$STRATA" system check
finish
