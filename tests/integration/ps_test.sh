#!/usr/bin/env bash
# `strata ps`, `strata inspect` of containers and rmi's container checks through the real CLI:
# docker's columns, STATUS words, filters, templates and messages. The first part needs no
# runtime: containers are made with `create` and their state.json is written by hand (a live
# background process stands in for a running container's monitor). The last part runs real
# containers when root, overlayfs and namespaces are available.
source "$(dirname "$0")/lib.sh"

busybox_id=$(import_busybox busybox:latest) || skip "cannot import busybox"
boot_id=$(cat /proc/sys/kernel/random/boot_id)

# fails DESCRIPTION -- COMMAND...: COMMAND must fail (an assertion that something is absent).
fails() {
  local what=$1; shift 2
  if "$@" >/dev/null 2>&1; then failed=$((failed + 1)); echo "FAIL $what: '$*' succeeded"; else
    passed=$((passed + 1)); fi
}
# line_of NAME: the `ps -a` line of container NAME (names are the last column).
line_of() { "$STRATA" ps -a | grep -E " $1\$"; }
# identity PID: the ProcessIdentity JSON of a live process (PID, start time, boot ID).
identity() {
  local stat rest
  stat=$(cat "/proc/$1/stat"); rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $1 $rest
  echo "{\"Pid\":$1,\"StartTime\":${21},\"BootId\":\"$boot_id\"}"
}
# set_state ID STATUS EXIT MONITOR_JSON STARTED FINISHED: writes the container's state.json.
set_state() {
  printf '{"Status":"%s","Process":%s,"Monitor":%s,"ExitCode":%s,"Error":"","StartedAt":"%s","FinishedAt":"%s","OOMKilled":false}\n' \
    "$2" "$4" "$4" "$3" "$5" "$6" >"$STRATA_ROOT/containers/$1/state.json"
}
zero=0001-01-01T00:00:00Z

# ---- an empty store ---------------------------------------------------------------------------
expect 0 "ps, no containers" -- "$STRATA" ps
check "docker's header, alone" -- test "$(cat "$work/out")" = \
  "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES"

# ---- created containers -----------------------------------------------------------------------
expect 0 "create c1" -- "$STRATA" create --name c1 --label app=web --label tier=front busybox echo hello world
c1=$(cat "$work/out")
expect 0 "create c2 (long command)" -- "$STRATA" create --name c2 --label app=db busybox \
  sh -c 'echo a long command line that docker cuts'
c2=$(cat "$work/out")
expect 0 "ps: running only" -- "$STRATA" ps -q
check "created containers are not running" -- test ! -s "$work/out"
expect 0 "ps -a" -- "$STRATA" ps -a
check "c1 row" -- grep -qE "^${c1:0:12}   busybox   \"echo hello world\"   .* ago +Created +c1\$" "$work/out"
contains '"sh -c '"'"'echo a long …"' "COMMAND cut to 20 characters with …, args with spaces quoted"
check "newest first" -- test "$(sed -n 2p "$work/out" | awk '{print $NF}')" = c2
expect 0 "ps -a --no-trunc" -- "$STRATA" ps -a --no-trunc
contains "$c1" "full ID"
contains "\"sh -c 'echo a long command line that docker cuts'\"" "full command"
expect 0 "ps -aq" -- "$STRATA" ps -aq
check "-q: short IDs, newest first" -- test "$(cat "$work/out")" = "$(printf '%s\n%s' "${c2:0:12}" "${c1:0:12}")"
expect 0 "ps -n 1" -- "$STRATA" ps -n 1 -q
check "-n 1: the newest, stopped included" -- test "$(cat "$work/out")" = "${c2:0:12}"
expect 0 "ps -l" -- "$STRATA" ps -l --format '{{.Names}}'
check "-l: the latest" -- test "$(cat "$work/out")" = c2

# ---- filters ----------------------------------------------------------------------------------
psq() { "$STRATA" ps -a -q "$@" | tr '\n' ' '; }
check "status=created without -a" -- test "$("$STRATA" ps -q --filter status=created | wc -l)" -eq 2
check "status=exited: none" -- test -z "$(psq --filter status=exited)"
check "name= substring" -- test "$(psq --filter name=c1)" = "${c1:0:12} "
check "name= regexp on /name" -- test "$(psq --filter 'name=^/c[12]$')" = "${c2:0:12} ${c1:0:12} "
check "name= no match" -- test -z "$(psq --filter name=nosuch)"
check "two names: either" -- test "$(psq --filter name=c1 --filter name=c2 | wc -w)" -eq 2
check "id= prefix" -- test "$(psq --filter "id=${c1:0:5}")" = "${c1:0:12} "
check "label=KEY" -- test "$(psq --filter label=app | wc -w)" -eq 2
check "label=KEY=VALUE" -- test "$(psq --filter label=app=db)" = "${c2:0:12} "
check "labels: all of them" -- test "$(psq --filter label=app=web --filter label=tier=front)" = "${c1:0:12} "
check "labels: all of them, one missing" -- test -z "$(psq --filter label=app=db --filter label=tier)"
check "ancestor=NAME" -- test "$(psq --filter ancestor=busybox | wc -w)" -eq 2
check "ancestor=short ID" -- test "$(psq --filter "ancestor=${busybox_id:7:12}" | wc -w)" -eq 2
check "ancestor=unknown: nothing" -- test -z "$(psq --filter ancestor=nosuch)"
check "before=" -- test "$(psq --filter before=c2)" = "${c1:0:12} "
check "since=" -- test "$(psq --filter since=c1)" = "${c2:0:12} "
expect 1 "unknown filter" -- "$STRATA" ps --filter bogus=1
contains "Error response from daemon: invalid filter 'bogus'" "docker's message"
expect 1 "bad status" -- "$STRATA" ps --filter status=sleeping
contains "invalid filter 'status=sleeping'" "docker's message for a status"
expect 1 "before= a missing container" -- "$STRATA" ps --filter before=nosuch
contains "No such container: nosuch" "missing container named"

# A derived image: ancestor= also matches containers of images built on it, not the reverse.
expect 0 "commit c1 as derived" -- "$STRATA" commit c1 derived:1
expect 0 "create c3 from derived" -- "$STRATA" create --name c3 derived:1 true
c3=$(cat "$work/out")
check "ancestor=busybox takes the derived image's container" -- test "$(psq --filter ancestor=busybox | wc -w)" -eq 3
check "ancestor=derived: only its own" -- test "$(psq --filter ancestor=derived:1)" = "${c3:0:12} "
"$STRATA" rm c3 >/dev/null && "$STRATA" rmi derived:1 >/dev/null

# ---- --format ---------------------------------------------------------------------------------
expect 0 "template" -- "$STRATA" ps -a --format '{{.Names}}|{{.Image}}|{{.State}}|{{.Status}}|{{.Label "app"}}|{{.Labels}}|{{.Networks}}|{{.Ports}}|{{.LocalVolumes}}'
check "every placeholder" -- grep -qx 'c1|busybox|created|Created|web|app=web,tier=front|host||0' "$work/out"
expect 0 "table template" -- "$STRATA" ps -a --format 'table {{.ID}}\t{{.Label "app"}}\t{{.RunningFor}}\t{{.CreatedAt}}'
check "headers: CONTAINER ID, the label key, CREATED, CREATED AT" -- \
  grep -qE '^CONTAINER ID +app +CREATED +CREATED AT$' "$work/out"
contains " +0000 UTC" "CreatedAt as docker prints it"
expect 0 "json" -- "$STRATA" ps -a --format json
contains '"Names":"c1"' "json rows"
contains '"Command":"\"echo hello world\""' "json Command quoted as docker's"
expect 0 "bare table" -- "$STRATA" ps -a --format table
contains "CONTAINER ID   IMAGE" "default columns"
expect 2 "bad template" -- "$STRATA" ps -a --format '{{.Names'
expect 2 "unknown field" -- "$STRATA" ps -a --format '{{.Nope}}'
contains "can't evaluate field Nope" "Go's message"

# ---- sizes ------------------------------------------------------------------------------------
printf hello >"$STRATA_ROOT/containers/$c1/upper/greeting"
expect 0 "ps -s" -- "$STRATA" ps -a -s
check "SIZE column: the upper dir, then the image" -- grep -qE " c1 +5B \(virtual [0-9.]+MB\)$" "$work/out"
expect 0 ".Size asks for it" -- "$STRATA" ps -a --filter name=c1 --format '{{.Size}}'
check "size from the template" -- grep -qE '^5B \(virtual ' "$work/out"

# ---- states written by hand -------------------------------------------------------------------
now=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
set_state "$c2" exited 3 '{"Pid":0,"StartTime":0,"BootId":""}' 2024-01-02T03:04:05.5Z 2024-01-02T03:04:06Z
check "Exited (3) … ago" -- bash -c "'$STRATA' ps -a | grep -qE 'Exited \(3\) [0-9]+ (months|years) ago +c2\$'"
check "exited=3" -- test "$(psq --filter exited=3)" = "${c2:0:12} "
check "exited=0: a never-started container is not exited" -- test -z "$(psq --filter exited=0)"
check "status=exited" -- test "$(psq --filter status=exited)" = "${c2:0:12} "

# A "running" container whose monitor is alive; then paused; then its monitor dies.
sleep 300 &
monitor=$!
cleanup_hooks+=("kill $monitor 2>/dev/null")
set_state "$c1" running 0 "$(identity $monitor)" "$now" "$zero"
expect 0 "ps shows the running one" -- "$STRATA" ps
check "Up …" -- grep -qE "Up (Less than a second|[0-9]+ seconds?) +c1\$" "$work/out"
check "only it" -- test "$(wc -l <"$work/out")" -eq 2
expect 0 "inspect running" -- "$STRATA" inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' c1
check "Running, its PID" -- grep -qx "running true $monitor" "$work/out"
set_state "$c1" paused 0 "$(identity $monitor)" "$now" "$zero"
check "(Paused)" -- bash -c "'$STRATA' ps | grep -qE 'Up .* \(Paused\) +c1\$'"
check "status=paused" -- test "$(psq --filter status=paused)" = "${c1:0:12} "
check "paused counts as running for ps" -- test "$("$STRATA" ps -q)" = "${c1:0:12}"
kill $monitor; wait $monitor 2>/dev/null
line_of c1 >"$work/line"
check "a dead monitor reads as Exited (255)" -- grep -q 'Exited (255)' "$work/line"
check "and is not listed as running" -- test -z "$("$STRATA" ps -q)"
expect 0 "inspect after the monitor died" -- "$STRATA" inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}' c1
check "exited, 255, no PID" -- grep -qx "exited false 0 255" "$work/out"
set_state "$c1" created 0 '{"Pid":0,"StartTime":0,"BootId":""}' "$zero" "$zero"

# ---- inspect ----------------------------------------------------------------------------------
expect 0 "inspect c1" -- "$STRATA" inspect c1
check "one object" -- test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/out")" = 1
check "State right after Args, docker's keys in order" -- python3 - "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))[0]
keys = list(doc)
assert keys.index("State") == keys.index("Args") + 1, keys
assert list(doc["State"]) == ["Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead",
                              "Pid", "ExitCode", "Error", "StartedAt", "FinishedAt"], doc["State"]
assert doc["State"]["Status"] == "created" and doc["State"]["StartedAt"] == "0001-01-01T00:00:00Z"
assert doc["Name"] == "/c1" and doc["Config"]["Image"] == "busybox" and doc["Path"] == "echo"
assert not any(k.startswith("Strata") for k in keys), keys
PY
contains '    {' "4-space indent"
expect 0 "inspect --format" -- "$STRATA" inspect --format '{{.Name}} {{.State.Status}} {{json .Config.Labels}}' c1
check "fields" -- grep -qx '/c1 created {"app":"web","tier":"front"}' "$work/out"
expect 0 "inspect by ID prefix and /name" -- "$STRATA" inspect -f '{{.Id}}' "${c1:0:6}" /c1
check "both resolve" -- test "$(sort -u "$work/out")" = "$c1"
expect 0 "inspect --type container" -- "$STRATA" inspect --type container -f '{{.Name}}' c1
expect 0 "inspect an image still works" -- "$STRATA" inspect -f '{{.Id}}' busybox
check "image ID" -- grep -qx "$busybox_id" "$work/out"
expect 1 "--type image of a container" -- "$STRATA" inspect --type image c1
contains "Error: No such image: c1" "docker's typed message"
expect 1 "--type container of an image" -- "$STRATA" inspect --type container busybox
contains "Error: No such container: busybox" "docker's typed message"
expect 1 "missing object" -- "$STRATA" inspect c1 nosuch
contains "Error: No such object: nosuch" "docker's message"
contains '"Name": "/c1"' "the found one still printed"
expect 1 "bad --type" -- "$STRATA" inspect --type blob c1
contains '"blob" is not a valid value for --type' "docker's message"
expect 0 "a container named like an image wins" -- "$STRATA" create --name busybox busybox true
expect 0 "inspect busybox" -- "$STRATA" inspect -f '{{.Name}}' busybox
check "the container" -- grep -qx /busybox "$work/out"
"$STRATA" rm busybox >/dev/null

# ---- rmi and containers -----------------------------------------------------------------------
expect 1 "rmi the last tag of a used image" -- "$STRATA" rmi busybox
contains "Error response from daemon: conflict: unable to remove repository reference \"busybox\" (must force) - container ${c2:0:12} is using its referenced image ${busybox_id:7:12}" "docker's message (newest user)"
"$STRATA" tag busybox alias:1
expect 0 "rmi a tag others still name" -- "$STRATA" rmi alias:1
contains "Untagged: alias:1" "untagged only"
expect 1 "rmi by ID, stopped users" -- "$STRATA" rmi "${busybox_id:7:12}"
contains "conflict: unable to delete ${busybox_id:7:12} (must be forced) - image is being used by stopped container" "docker's message"
# A running user: -f by ID refused, -f by name only untags.
sleep 300 &
monitor=$!
cleanup_hooks+=("kill $monitor 2>/dev/null")
set_state "$c1" running 0 "$(identity $monitor)" "$now" "$zero"
expect 1 "rmi -f by ID, running user" -- "$STRATA" rmi -f "${busybox_id:7:12}"
contains "conflict: unable to delete ${busybox_id:7:12} (cannot be forced) - image is being used by running container ${c1:0:12}" "docker's hard conflict"
expect 0 "rmi -f by name, running user" -- "$STRATA" rmi -f busybox
contains "Untagged: busybox:latest" "untagged"
if grep -q Deleted "$work/out"; then failed=$((failed + 1)); echo "FAIL the running container's image was deleted"; else passed=$((passed + 1)); fi
expect 0 "left dangling" -- "$STRATA" images --filter dangling=true -q
check "its ID" -- grep -qx "${busybox_id:7:12}" "$work/out"
check "ps still shows the image as typed" -- bash -c "'$STRATA' ps --format '{{.Image}}' | grep -qx busybox"
kill $monitor; wait $monitor 2>/dev/null
set_state "$c1" exited 0 '{"Pid":0,"StartTime":0,"BootId":""}' "$now" "$now"
# Stopped users only: -f by ID deletes it (the containers keep their layers).
expect 0 "rmi -f by ID, stopped users" -- "$STRATA" rmi -f "${busybox_id:7:12}"
contains "Deleted: $busybox_id" "deleted"
expect 0 "the containers are still listed" -- "$STRATA" ps -a -q
check "both" -- test "$(wc -l <"$work/out")" -eq 2
expect 0 "and still inspectable" -- "$STRATA" inspect -f '{{.Image}}' c1
check "with the image ID" -- grep -qx "$busybox_id" "$work/out"

# ---- speed ------------------------------------------------------------------------------------
busybox_id=$(import_busybox busybox:latest)
for i in $(seq 100); do "$STRATA" create --name "n$i" busybox true >/dev/null; done
start=$(date +%s%N)
for _ in 1 2 3 4 5; do "$STRATA" ps -a >/dev/null; done
ms=$(( ($(date +%s%N) - start) / 5000000 ))
echo "ps -a with 102 containers: ${ms} ms"
# A sanity bound, not a speed target (bench/run_bench.sh measures it): loose enough for a
# sanitizer build on a loaded machine.
check "ps -a with 102 containers in under a second (${ms} ms)" -- test "$ms" -lt 1000

# ---- real containers --------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ] || ! grep -qw overlay /proc/filesystems ||
  ! unshare --mount --pid --uts --ipc --fork true 2>/dev/null; then
  echo "SKIP the real containers: they need root, overlayfs and namespaces"
  finish
fi
cleanup_hooks+=("'$STRATA' rm -f r1 d1 >/dev/null 2>&1")
expect 0 "run r1 true" -- "$STRATA" run --name r1 busybox true
check "Exited (0)" -- bash -c "'$STRATA' ps -a | grep -qE 'Exited \(0\) (Less than a second|[0-9]+ seconds?) ago +r1\$'"
expect 0 "run -d d1" -- "$STRATA" run -d --name d1 busybox sleep 1000
d1=$(cat "$work/out")
expect 0 "ps" -- "$STRATA" ps
check "d1 up" -- grep -qE "^${d1:0:12}   busybox   \"sleep 1000\" .* Up .* d1\$" "$work/out"
check "r1 not listed without -a" -- bash -c "! grep -q r1 '$work/out'"
expect 0 "inspect d1" -- "$STRATA" inspect -f '{{.State.Running}} {{.State.Pid}}' d1
check "running, a real PID" -- bash -c "read -r running pid <'$work/out'; test \"\$running\" = true && test -d /proc/\$pid"
expect 0 "pause d1" -- "$STRATA" pause d1
check "(Paused)" -- bash -c "'$STRATA' ps | grep -qE '\(Paused\) +d1\$'"
expect 0 "unpause d1" -- "$STRATA" unpause d1
expect 0 "rm -f d1" -- "$STRATA" rm -f d1
check "d1 gone" -- bash -c "! '$STRATA' ps -a | grep -q ' d1\$'"
expect 0 "rm r1" -- "$STRATA" rm r1
finish
