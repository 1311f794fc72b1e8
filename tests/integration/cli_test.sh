#!/usr/bin/env bash
# The CLI frame: help, version, exit codes (0 ok, 1 failure, 2 usage), error rendering with a
# caret, standard input, and the JSON output of `strata parse`.
set -u
: "${STRATA:?path to the strata binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# expect WANT_STATUS DESCRIPTION -- COMMAND...: runs COMMAND, keeps its output in $work/out.
expect() {
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>&1
  local got=$?
  if [ "$got" -eq "$want" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $what: exit $got, want $want"; sed 's/^/  | /' "$work/out"; fi
}
# contains TEXT DESCRIPTION: the last command's output contains TEXT.
contains() {
  if grep -qF -- "$1" "$work/out"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $2: output lacks '$1'"; sed 's/^/  | /' "$work/out"; fi
}

expect 0 "help" -- "$STRATA" --help
contains "parse" "help lists parse"
expect 0 "version" -- "$STRATA" --version
contains "strata version" "version text"
expect 0 "version command" -- "$STRATA" version
expect 0 "command help" -- "$STRATA" parse --help
contains "--format" "parse help lists its flags"
expect 2 "no command" -- "$STRATA"
expect 2 "unknown command" -- "$STRATA" frobnicate
expect 2 "unknown flag" -- "$STRATA" parse --frobnicate
expect 2 "bad format value" -- "$STRATA" parse --format yaml

expect 1 "missing Dockerfile" -- "$STRATA" parse -f "$work/nope"
contains "$work/nope" "missing file is named"

printf 'FROM busybox AS build\nRUN make\n\nFROM busybox\nCOPY --form=build /out /usr/bin\n' >"$work/Dockerfile"
expect 1 "unknown flag in Dockerfile" -- "$STRATA" parse --format json -f "$work/Dockerfile"
contains "Dockerfile:5:6: unknown flag --form for COPY (did you mean --from?)" "flag error names file:line:column"
contains "COPY --form=build /out /usr/bin" "error shows the source line"
contains "     ^" "error shows a caret"

printf 'FROM busybox\nENV PATH\n' >"$work/bad-env"
expect 1 "ENV without value" -- "$STRATA" parse -f "$work/bad-env"
contains "bad-env:2:1: ENV must have two arguments" "ENV error position"

printf 'FROM a\nRUN b\0c\n' >"$work/nul"
expect 1 "NUL byte" -- "$STRATA" parse -f "$work/nul"
contains "nul:2:6: NUL byte in Dockerfile" "NUL byte position"

expect 0 "standard input" -- sh -c "printf 'FROM scratch\nCOPY a b\n' | '$STRATA' parse -f -"
contains '(copy "a" "b")' "stdin is parsed"

printf 'ARG V=1\nFROM busybox:${V} AS build\nRUN make\nFROM busybox\nCOPY --from=build /a /b\nCOPY --from=alpine /c /d\n' >"$work/stages"
expect 0 "json output" -- "$STRATA" parse --format json -f "$work/stages" --build-arg V=2
if python3 - "$work/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
stages = doc["stages"]
assert [s["name"] for s in stages] == ["build", ""], stages
assert stages[0]["base"] == "busybox:2", stages[0]
assert stages[1]["edges"][0]["stage"] == 0 and stages[1]["edges"][0]["kind"] == "copy-from"
assert stages[1]["images"][0]["reference"] == "alpine"
assert doc["instructions"][0]["kind"] == "arg"
PY
then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL json shape"; fi

expect 1 "unknown target" -- "$STRATA" parse --format json --target nope -f "$work/stages"
contains 'target stage "nope" could not be found' "unknown target message"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
