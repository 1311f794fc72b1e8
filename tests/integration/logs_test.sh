#!/usr/bin/env bash
# `strata logs` through the real CLI: a json-file log written by hand into a created container
# (streams kept apart, -t, --tail, --since/--until, malformed and unfinished lines, -f following
# until the container stops), then the logs of real containers when root, overlayfs and
# namespaces are available.
source "$(dirname "$0")/lib.sh"

import_busybox busybox:latest >/dev/null || skip "cannot import busybox"
boot_id=$(cat /proc/sys/kernel/random/boot_id)

# identity PID: the ProcessIdentity JSON of a live process (PID, start time, boot ID).
identity() {
  local stat rest
  stat=$(cat "/proc/$1/stat"); rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $1 $rest
  echo "{\"Pid\":$1,\"StartTime\":${21},\"BootId\":\"$boot_id\"}"
}
# set_state ID STATUS MONITOR_JSON: writes the container's state.json.
set_state() {
  printf '{"Status":"%s","Process":%s,"Monitor":%s,"ExitCode":0,"Error":"","StartedAt":"2024-01-02T03:04:00Z","FinishedAt":"0001-01-01T00:00:00Z","OOMKilled":false}\n' \
    "$2" "$3" "$3" >"$STRATA_ROOT/containers/$1/state.json"
}
# same FILE TEXT: FILE holds exactly TEXT (printf format).
same() {
  # shellcheck disable=SC2059
  if [ "$(cat "$1")" = "$(printf "$2")" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $1 is not '$2':"; sed 's/^/  | /' "$1"; fi
}

expect 0 "create c1" -- "$STRATA" create --name c1 busybox true
c1=$(cat "$work/out")
log="$STRATA_ROOT/containers/$c1/$c1-json.log"

expect 0 "no log file yet" -- "$STRATA" logs c1
check "nothing printed" -- test ! -s "$work/out" -a ! -s "$work/err"
expect 1 "missing container" -- "$STRATA" logs nosuch
contains "No such container: nosuch" "docker's message"

cat >"$log" <<'EOF'
{"log":"one\n","stream":"stdout","time":"2024-01-02T03:04:05.1Z"}
{"log":"warn 1\n","stream":"stderr","time":"2024-01-02T03:04:06.000000002Z"}
{"log":"two\n","stream":"stdout","time":"2024-01-02T03:04:07Z"}
not json at all
{"log":"par","stream":"stdout","time":"2024-01-02T03:04:08Z"}
{"log":"tial\n","stream":"stdout","time":"2024-01-02T03:04:08.5Z"}
{"log":"warn 2\n","stream":"stderr","time":"2024-01-02T03:04:09Z"}
{"log":"tab\tand \"quotes\" \u00e9\n","stream":"stdout","time":"2024-01-02T04:04:10+01:00"}
EOF
printf '{"log":"unfinished' >>"$log"

expect 0 "logs" -- "$STRATA" logs c1
same "$work/out" 'one\ntwo\npartial\ntab\tand "quotes" é'
same "$work/err" 'warn 1\nwarn 2'
expect 0 "logs by ID prefix" -- "$STRATA" logs "${c1:0:8}"
same "$work/err" 'warn 1\nwarn 2'
expect 0 "logs -t" -- "$STRATA" logs -t c1
same "$work/out" '2024-01-02T03:04:05.100000000Z one\n2024-01-02T03:04:07.000000000Z two\n2024-01-02T03:04:08.000000000Z par2024-01-02T03:04:08.500000000Z tial\n2024-01-02T03:04:10.000000000Z tab\tand "quotes" é'
same "$work/err" '2024-01-02T03:04:06.000000002Z warn 1\n2024-01-02T03:04:09.000000000Z warn 2'
expect 0 "--tail 2" -- "$STRATA" logs --tail 2 c1
same "$work/out" 'tab\tand "quotes" é'
same "$work/err" 'warn 2'
expect 0 "-n 3" -- "$STRATA" logs -n 3 c1
same "$work/out" 'tial\ntab\tand "quotes" é'
expect 0 "--tail 0" -- "$STRATA" logs --tail 0 c1
check "nothing" -- test ! -s "$work/out" -a ! -s "$work/err"
expect 0 "--tail all" -- "$STRATA" logs --tail all c1
same "$work/out" 'one\ntwo\npartial\ntab\tand "quotes" é'
expect 0 "--tail bigger than the log" -- "$STRATA" logs --tail 1000 c1
same "$work/out" 'one\ntwo\npartial\ntab\tand "quotes" é'
expect 2 "--tail garbage" -- "$STRATA" logs --tail many c1
expect 0 "--since" -- "$STRATA" logs --since 2024-01-02T03:04:07Z c1
same "$work/out" 'two\npartial\ntab\tand "quotes" é'
same "$work/err" 'warn 2'
expect 0 "--until" -- "$STRATA" logs --until 2024-01-02T03:04:07Z c1
same "$work/out" 'one\ntwo'
same "$work/err" 'warn 1'
expect 0 "--since as a Unix time" -- "$STRATA" logs --since 1704164649 c1
same "$work/out" 'tab\tand "quotes" é'
expect 0 "--since a duration ago (everything is older)" -- "$STRATA" logs --since 10m c1
check "nothing" -- test ! -s "$work/out" -a ! -s "$work/err"
expect 2 "--since garbage" -- "$STRATA" logs --since yesterday c1
expect 0 "-f on a stopped container returns at once" -- timeout 5 "$STRATA" logs -f c1
same "$work/out" 'one\ntwo\npartial\ntab\tand "quotes" é'

# -f follows while the (hand-made) monitor lives, and ends when it dies.
sleep 300 &
monitor=$!
cleanup_hooks+=("kill $monitor 2>/dev/null")
set_state "$c1" running "$(identity $monitor)"
: >"$log"
"$STRATA" logs -f c1 >"$work/follow.out" 2>"$work/follow.err" &
follower=$!
sleep 0.3
printf '{"log":"live 1\\n","stream":"stdout","time":"2024-01-02T03:05:00Z"}\n' >>"$log"
printf '{"log":"live err\\n","stream":"stderr","time":"2024-01-02T03:05:01Z"}\n{"log":"li' >>"$log"
for _ in $(seq 50); do grep -q "live 1" "$work/follow.out" && break; sleep 0.1; done
check "a line written later is followed" -- grep -qx "live 1" "$work/follow.out"
check "on its stream" -- grep -qx "live err" "$work/follow.err"
printf 've 2\\n","stream":"stdout","time":"2024-01-02T03:05:02Z"}\n' >>"$log"
for _ in $(seq 50); do grep -q "live 2" "$work/follow.out" && break; sleep 0.1; done
check "a line finished later is printed whole" -- grep -qx "live 2" "$work/follow.out"
check "still following" -- kill -0 "$follower"
printf '{"log":"last words\\n","stream":"stdout","time":"2024-01-02T03:05:03Z"}\n' >>"$log"
kill $monitor; wait $monitor 2>/dev/null
for _ in $(seq 50); do kill -0 "$follower" 2>/dev/null || break; sleep 0.1; done
check "-f ends once the container stops" -- bash -c "! kill -0 $follower 2>/dev/null"
wait "$follower" 2>/dev/null
same "$work/follow.out" 'live 1\nlive 2\nlast words'

# ---- real containers --------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ] || ! grep -qw overlay /proc/filesystems ||
  ! unshare --mount --pid --uts --ipc --fork true 2>/dev/null; then
  echo "SKIP the real containers: they need root, overlayfs and namespaces"
  finish
fi
cleanup_hooks+=("'$STRATA' rm -f r1 d1 >/dev/null 2>&1")
expect 0 "run r1" -- "$STRATA" run --name r1 busybox sh -c 'echo out 1; echo err 1 >&2; echo out 2'
expect 0 "logs r1" -- "$STRATA" logs r1
same "$work/out" 'out 1\nout 2'
same "$work/err" 'err 1'
expect 0 "logs -t r1" -- "$STRATA" logs -t r1
check "docker's fixed nanosecond time" -- grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z out 2$' "$work/out"
expect 0 "run -d d1" -- "$STRATA" run -d --name d1 busybox sh -c 'i=0; while [ $i -lt 30 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done'
"$STRATA" logs -f d1 >"$work/d1.out" 2>&1 &
follower=$!
for _ in $(seq 100); do kill -0 "$follower" 2>/dev/null || break; sleep 0.1; done
check "logs -f of a running container ends with it" -- bash -c "! kill -0 $follower 2>/dev/null"
wait "$follower" 2>/dev/null
check "every line, in order" -- test "$(cat "$work/d1.out")" = "$(for i in $(seq 0 29); do echo "tick $i"; done)"
expect 0 "rm r1 d1" -- "$STRATA" rm r1 d1
finish
