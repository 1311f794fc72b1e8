#!/usr/bin/env bash
# The container lifecycle through the real CLI: create/start, run -d with its monitor, names,
# stop (-t, the stop signal), kill, pause/unpause (a counter stops), wait, rm (-f), --rm, the
# json-file log, -v/--tmpfs/--env-file, --pids-limit against a fork bomb, -m against a memory
# hog, and a SIGKILLed monitor reported truthfully and removable.
# Needs root, overlayfs and namespaces; skips (77) when they are missing.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "containers need root"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
  grep -qw overlay /proc/filesystems || skip "overlayfs is not available"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null || skip "namespaces are not available"
import_busybox busybox:latest >/dev/null || skip "cannot import busybox"

s() { "$STRATA" "$@"; }
state() { sed -n 's/.*"Status":"\([a-z]*\)".*/\1/p' "$STRATA_ROOT/containers/$1/state.json"; }
# Waits (up to 10 s) until the container NAME created /ready in its upper dir (its handlers set).
wait_ready() {
  local id
  id=$(readlink "$STRATA_ROOT/containers/names/$1")
  for _ in $(seq 100); do [ -e "$STRATA_ROOT/containers/$id/upper/ready" ] && return 0; sleep 0.1; done
  return 1
}
monitor_pid() { sed -n 's/.*"Monitor":{"Pid":\([0-9]*\).*/\1/p' "$STRATA_ROOT/containers/$1/state.json"; }

# create / start -a: nothing runs until start.
expect 0 "create" -- s create --name made busybox sh -c 'echo ran; exit 4'
id=$(cat "$work/out")
check "create prints a 64-hex ID" -- grep -qxE '[0-9a-f]{64}' "$work/out"
check "created, not running" -- test "$(state "$id")" = created
expect 4 "start -a runs it and passes the status" -- s start -a made
contains "ran" "start -a attaches stdout"
check "exited afterwards" -- test "$(state "$id")" = exited
expect 0 "start (detached) again" -- s start made
contains "made" "start prints the name"
expect 0 "wait" -- s wait made
check "wait prints the exit code" -- grep -qx 4 "$work/out"
expect 125 "a taken name" -- s create --name made busybox true
contains "is already in use" "docker's conflict message"
expect 125 "an invalid name" -- s create --name 'bad/name' busybox true
expect 0 "rm by name" -- s rm made
check "the directory is gone" -- test ! -e "$STRATA_ROOT/containers/$id"
expect 1 "rm of a missing container" -- s rm made
contains "No such container: made" "docker's message"

# run -d: the ID at once, a monitor, the json-file log with streams apart.
expect 0 "run -d" -- timeout 10 "$STRATA" run -d --name bg busybox sh -c 'echo to-out; echo to-err >&2; exec sleep 100'
bg=$(cat "$work/out")
check "run -d prints the ID" -- grep -qxE '[0-9a-f]{64}' "$work/out"
check "running" -- test "$(state "$bg")" = running
log="$STRATA_ROOT/containers/$bg/$bg-json.log"
for _ in $(seq 100); do grep -q to-err "$log" 2>/dev/null && break; sleep 0.1; done
check "stdout logged" -- grep -q '"log":"to-out\\n","stream":"stdout"' "$log"
check "stderr logged" -- grep -q '"log":"to-err\\n","stream":"stderr"' "$log"
expect 0 "system df" -- s system df
check "one container, running" -- grep -qE '^Containers +1 +1 ' "$work/out"
check "its image is active" -- grep -qE '^Images +1 +1 ' "$work/out"
expect 1 "rm of a running container" -- s rm bg
contains "container is running" "docker's refusal"
expect 0 "kill" -- s kill bg
expect 0 "wait after kill" -- s wait bg
check "137 after SIGKILL" -- grep -qx 137 "$work/out"
expect 1 "kill of a stopped container" -- s kill bg
contains "is not running" "docker's message"

# stop: the stop signal, the grace period (-t), SIGKILL.
s run -d --name term busybox sh -c 'trap "exit 143" TERM; touch /ready; while true; do sleep 0.1; done' >/dev/null
wait_ready term
expect 0 "stop" -- s stop term
expect 0 "wait" -- s wait term
check "143 after stop (its SIGTERM handler ran)" -- grep -qx 143 "$work/out"
s run -d --name stubborn busybox sleep 100 >/dev/null
start=$(date +%s%N)
expect 0 "stop -t 1 of a process ignoring SIGTERM" -- s stop -t 1 stubborn
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "stop waited about 1 s (${elapsed} ms)" -- test "$elapsed" -ge 900 -a "$elapsed" -lt 5000
expect 0 "wait" -- s wait stubborn
check "137 after the grace period" -- grep -qx 137 "$work/out"
s run -d --name custom --stop-signal USR1 busybox sh -c 'trap "exit 10" USR1; touch /ready; while true; do sleep 0.1; done' >/dev/null
wait_ready custom
expect 0 "stop with --stop-signal" -- s stop custom
expect 0 "wait" -- s wait custom
check "the stop signal was USR1" -- grep -qx 10 "$work/out"

# pause freezes: a counter stops advancing; unpause resumes it.
# The count is replaced by a rename, never truncated in place: a read (or a freeze) between a
# truncate and a write would see an empty count.
s run -d --name counter busybox sh -c 'i=0; while true; do i=$((i+1)); echo $i >/count.new; mv /count.new /count; sleep 0.05; done' >/dev/null
counter=$(readlink "$STRATA_ROOT/containers/names/counter")
count() { cat "$STRATA_ROOT/containers/$counter/upper/count"; }
sleep 0.5
expect 0 "pause" -- s pause counter
check "paused state" -- test "$(state "$counter")" = paused
a=$(count); sleep 1; b=$(count)
check "frozen: $a = $b" -- test "$a" = "$b"
expect 1 "pause twice" -- s pause counter
contains "already paused" "docker's message"
expect 0 "unpause" -- s unpause counter
sleep 1; c=$(count)
check "resumed: $c > $b" -- test "$c" -gt "$b"
expect 1 "unpause of a running container" -- s unpause counter
s pause counter >/dev/null
expect 0 "stop of a paused container" -- s stop -t 1 counter
check "exited after stop" -- test "$(state "$counter")" = exited

# --rm: nothing left, detached or not.
expect 0 "run --rm" -- s run --rm --name gone1 busybox true
check "no container left (attached)" -- test ! -e "$STRATA_ROOT/containers/names/gone1"
expect 0 "run -d --rm" -- s run -d --rm --name gone2 busybox true
for _ in $(seq 50); do [ -e "$STRATA_ROOT/containers/names/gone2" ] || break; sleep 0.1; done
check "no container left (detached)" -- test ! -e "$STRATA_ROOT/containers/names/gone2"

s run -d --rm --name waited busybox sh -c 'sleep 0.5; exit 6' >/dev/null
expect 0 "wait on a --rm container" -- s wait waited
check "its exit code before it is removed" -- grep -qx 6 "$work/out"
for _ in $(seq 50); do [ -e "$STRATA_ROOT/containers/names/waited" ] || break; sleep 0.1; done
check "then removed" -- test ! -e "$STRATA_ROOT/containers/names/waited"

expect 127 "run --rm of a missing command" -- s run --rm --name failed busybox no-such-command
check "--rm removes a container that failed to start" -- test ! -e "$STRATA_ROOT/containers/names/failed"
s run -d --name forever busybox sh -c 'trap "sleep 1; exit 5" TERM; touch /ready; while true; do sleep 0.1; done' >/dev/null
wait_ready forever
expect 0 "stop -t -1 waits for as long as it takes" -- s stop -t -1 forever
expect 0 "wait" -- s wait forever
check "ended by its own handler, not SIGKILL" -- grep -qx 5 "$work/out"

# Mounts and environment.
mkdir -p "$work/vol"; echo host-file >"$work/vol/in"
expect 0 "-v rw" -- s run --rm -v "$work/vol:/data" busybox sh -c 'cat /data/in; echo from-ctr >/data/out'
contains "host-file" "the bind is visible"
check "written through to the host" -- grep -qx from-ctr "$work/vol/out"
expect 1 "-v :ro" -- s run --rm -v "$work/vol:/data:ro" busybox sh -c 'echo x >/data/x'
expect 0 "-v of a file" -- s run --rm -v "$work/vol/in:/etc/motd" busybox cat /etc/motd
contains "host-file" "a file bind"
expect 125 "-v with a relative source" -- s run --rm -v vol:/data busybox true
expect 0 "--tmpfs" -- s run --rm --tmpfs /scratch:size=1m busybox sh -c 'grep " /scratch " /proc/mounts'
contains "tmpfs" "a tmpfs mounted"
contains "noexec" "docker's default options"
printf '# comment\nA=1\n\nB=two words\n' >"$work/env"
expect 0 "--env-file" -- s run --rm --env-file "$work/env" -e A=3 busybox sh -c 'echo "$A/$B"'
check "-e after --env-file wins" -- grep -qx "3/two words" "$work/out"
printf 'OK=1\nBAD KEY=2\n' >"$work/bad.env"
before=$(ls "$STRATA_ROOT/containers" | wc -l)
expect 125 "--env-file with a bad name" -- s create --env-file "$work/bad.env" busybox true
contains "bad.env:2: poorly formatted environment: variable 'BAD KEY' contains whitespaces" "file, line and docker's words"
check "no container made" -- test "$(ls "$STRATA_ROOT/containers" | wc -l)" -eq "$before"
expect 0 "--label" -- s create --name labelled --label team=core busybox true
check "the label is in the config" -- grep -q '"team":"core"' "$STRATA_ROOT/containers/$(cat "$work/out")/config.json"
s rm labelled >/dev/null

# Limits: a fork bomb stops at --pids-limit, a memory hog dies at -m.
expect 0 "fork bomb under --pids-limit" -- timeout 10 "$STRATA" run -d --name bomb --pids-limit 30 busybox sh -c 'f() { f | f & }; f; sleep 100'
bomb=$(cat "$work/out")
sleep 1
pids=$(cat /sys/fs/cgroup/pids/strata/"$bomb"/pids.current 2>/dev/null || cat /sys/fs/cgroup/strata/"$bomb"/pids.current 2>/dev/null || echo 0)
check "at most 30 processes ($pids)" -- test "$pids" -le 30 -a "$pids" -gt 0
expect 0 "rm -f of the bomb" -- timeout 20 "$STRATA" rm -f bomb
check "its cgroup is gone" -- test ! -e /sys/fs/cgroup/pids/strata/"$bomb" -a ! -e /sys/fs/cgroup/strata/"$bomb"
expect 137 "a memory hog under -m" -- timeout 30 "$STRATA" run --name hog -m 32m busybox sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
check "State.OOMKilled" -- grep -q '"OOMKilled":true' "$STRATA_ROOT/containers/$(readlink "$STRATA_ROOT/containers/names/hog")/state.json"
s rm hog >/dev/null

# A SIGKILLed monitor: the container dies with it, ps-state is truthful, rm works without -f.
s run -d --name orphan busybox sleep 100 >/dev/null
orphan=$(readlink "$STRATA_ROOT/containers/names/orphan")
kill -KILL "$(monitor_pid "$orphan")"
sleep 0.5
expect 1 "kill of a container whose monitor died" -- s kill orphan
contains "is not running" "not reported as running"
expect 0 "wait reports the monitor's death" -- s wait orphan
check "exit 255" -- grep -qx 255 "$work/out"
expect 0 "start again after the monitor's death (its cgroup was left)" -- s start orphan
check "running again" -- test "$(state "$orphan")" = running
expect 0 "rm -f" -- s kill orphan
expect 0 "wait" -- s wait orphan
expect 0 "rm without -f" -- s rm orphan
check "no orphan cgroup" -- test ! -e /sys/fs/cgroup/pids/strata/"$orphan" -a ! -e /sys/fs/cgroup/strata/"$orphan"

# Clean up what is left and check nothing leaked.
for d in "$STRATA_ROOT"/containers/*/; do
  d=$(basename "$d"); [ "$d" = names ] || s rm -f "$d" >/dev/null
done
check "no mounts on the host" -- test "$(grep -c "$STRATA_ROOT" /proc/self/mountinfo)" -eq 0
expect 0 "system check" -- s system check
finish
