#!/usr/bin/env bash
# `strata build`'s cache and scheduling, black box: a rebuild is all CACHED with the same image ID;
# precise invalidation (a changed context file reruns exactly the steps from the COPY that reads
# it; a touched file, an unread file and a .dockerignore'd file rerun nothing), build-arg and ENV
# invalidation with --explain's reasons, --no-cache, --no-cache-filter, SOURCE_DATE_EPOCH
# reproducibility, cache mounts persisting between builds, independent stages running at the same
# time, and --target running only the stages it needs. Needs root, overlayfs and namespaces.
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
# steps: from the last plain progress ($work/err), one line per Dockerfile step: its name
# ("[2/7] RUN ...", stage prefix included) and CACHED or MISS.
steps() {
  awk '/^#[0-9]+ \[/ && !/\[internal\]/ { id = $1; sub(/^#[0-9]+ /, ""); name[id] = $0; order[++n] = id }
       /^#[0-9]+ CACHED$/ { st[$1] = "CACHED" }
       /^#[0-9]+ cache miss/ { st[$1] = "MISS" }
       END { for (i = 1; i <= n; i++) if (name[order[i]] !~ / FROM /) print name[order[i]] " " st[order[i]] }' "$work/err"
}
# ran: the names of the steps that missed the cache, one a line.
ran() { steps | sed -n 's/ MISS$//p'; }
# same_lines WANT DESCRIPTION: `ran` is exactly WANT (lines).
reran() {
  local got; got=$(ran)
  if [ "$got" = "$1" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $2: reran:"; echo "$got" | sed 's/^/  got| /'
    echo "$1" | sed 's/^/  want| /'; fi
}
# all_cached DESCRIPTION: every step of the last build was CACHED (and there were some).
all_cached() {
  local n_steps n_cached
  n_steps=$(steps | wc -l); n_cached=$(steps | grep -c ' CACHED$')
  check "$1 ($n_cached of $n_steps steps CACHED)" -- test "$n_steps" -gt 0 -a "$n_steps" -eq "$n_cached"
}

ctx=$work/ctx
mkdir -p "$ctx/src"
echo a >"$ctx/src/a.txt"
echo b >"$ctx/src/b.txt"
echo unread >"$ctx/src/unread.txt"
echo ignored >"$ctx/ignored.log"
echo top >"$ctx/top.txt"
printf '*.log\n' >"$ctx/.dockerignore"
cat >"$ctx/Dockerfile" <<'EOF'
FROM busybox
ARG VERSION=1
RUN echo base >/base
COPY src/a.txt /a.txt
RUN cat /a.txt >/a-copy
COPY src/b.txt /b.txt
RUN echo "$VERSION" >/v
COPY . /all/
EOF
b() { expect 0 "build ($*)" -- "$STRATA" build --progress plain "$@" "$ctx"; }
id_of() { grep -o 'writing image sha256:[0-9a-f]*' "$work/err" | cut -d' ' -f3; }

b -t cached
id1=$(id_of)
check "the first build ran every step" -- test "$(steps | grep -c ' CACHED$')" -eq 0
b -t cached
all_cached "a no-op rebuild is all CACHED"
check "and gives the same image ID" -- test "$(id_of)" = "$id1"
check "no cache-miss line" -- bash -c "! grep -q 'cache miss' '$work/err'"

touch -d '2001-01-01' "$ctx/src/a.txt"
b -t cached
all_cached "a touched file (same content) misses nothing"
check "the same image ID after touch" -- test "$(id_of)" = "$id1"

echo changed >"$ctx/ignored.log"
b -t cached
all_cached "a file excluded by .dockerignore changing misses nothing"
check "the same image ID" -- test "$(id_of)" = "$id1"

echo a2 >"$ctx/src/a.txt"
b --explain -t cached
reran "$(printf '%s\n' '[4/8] COPY src/a.txt /a.txt' '[5/8] RUN cat /a.txt >/a-copy' \
  '[6/8] COPY src/b.txt /b.txt' '[7/8] RUN echo "$VERSION" >/v' '[8/8] COPY . /all/')" \
  "a changed file reruns the steps from the COPY that reads it"
contains "cache miss: src/a.txt changed" "--explain names the file"
contains "cache miss: parent changed" "--explain: the later steps' reason"
id2=$(id_of)
check "a new image ID" -- test "$id2" != "$id1"
expect 0 "the new content is in" -- "$STRATA" run --rm cached cat /a-copy
is "a2" "the rerun RUN saw the new file"

echo b2 >"$ctx/src/b.txt"
b -t cached
reran "$(printf '%s\n' '[6/8] COPY src/b.txt /b.txt' '[7/8] RUN echo "$VERSION" >/v' '[8/8] COPY . /all/')" \
  "a change to the second COPY's file reruns from there only"
contains "cache miss: src/b.txt changed" "plain mode prints the reasons too"

echo new >"$ctx/top.txt"
b -t cached
reran '[8/8] COPY . /all/' "a file only COPY . reads reruns only that step"

echo a2 >"$ctx/src/a.txt"; echo b >"$ctx/src/b.txt"; echo top >"$ctx/top.txt"
b -t cached
all_cached "back to an earlier build's files: all CACHED"
check "and its image ID" -- test "$(id_of)" = "$id2"

b --build-arg VERSION=2 -t cached
contains "cache miss: build arg VERSION changed" "--explain: a changed build arg"
reran "$(printf '%s\n' '[3/8] RUN echo base >/base' '[4/8] COPY src/a.txt /a.txt' '[5/8] RUN cat /a.txt >/a-copy' \
  '[6/8] COPY src/b.txt /b.txt' '[7/8] RUN echo "$VERSION" >/v' '[8/8] COPY . /all/')" \
  "a build arg in scope reruns every RUN after it (and so everything after)"
expect 0 "the arg's value" -- "$STRATA" run --rm cached cat /v
is "2" "the new value"
b --build-arg VERSION=1 -t cached
all_cached "the earlier value is still cached"
export VERSION=2
b --build-arg VERSION -t cached
unset VERSION
expect 0 "the arg's value" -- "$STRATA" run --rm cached cat /v
is "2" "--build-arg K takes the value from the environment"
b --build-arg VERSION -t cached
all_cached "--build-arg K with K unset: the default"
b --build-arg UNUSED=1 -t cached
all_cached "an unused build arg changes nothing"
contains "[Warning] One or more build-args [UNUSED] were not consumed" "BuildKit's warning names the unused build arg"

b --no-cache -t cached
check "--no-cache: no step CACHED" -- test "$(steps | grep -c ' CACHED$')" -eq 0
check "--no-cache: every step ran" -- test "$(steps | grep -c ' MISS$')" -eq 7

# ---- ENV: a changed value reruns the steps after it ----
printf 'FROM busybox\nRUN echo one >/one\nENV X=1\nRUN echo "$X" >/x\n' >"$ctx/Dockerfile.env"
b -f "$ctx/Dockerfile.env"
printf 'FROM busybox\nRUN echo one >/one\nENV X=2\nRUN echo "$X" >/x\n' >"$ctx/Dockerfile.env"
b -f "$ctx/Dockerfile.env"
reran "$(printf '%s\n' '[3/4] ENV X=2' '[4/4] RUN echo "$X" >/x')" "a changed ENV reruns from itself"

# ---- SOURCE_DATE_EPOCH: reproducible ----
SOURCE_DATE_EPOCH=1700000000 expect 0 "reproducible build 1" -- "$STRATA" build -q --no-cache "$ctx"
r1=$(cat "$work/out")
SOURCE_DATE_EPOCH=1700000000 expect 0 "reproducible build 2" -- "$STRATA" build -q --no-cache "$ctx"
check "SOURCE_DATE_EPOCH + --no-cache twice: the same image ID" -- test "$(cat "$work/out")" = "$r1"
expect 0 "its created time" -- "$STRATA" inspect --format '{{.Created}}' "$r1"
contains "2023-11-14T22:13:20" "Created is SOURCE_DATE_EPOCH"
expect 0 "without it" -- "$STRATA" build -q --no-cache "$ctx"
check "without SOURCE_DATE_EPOCH the ID differs" -- test "$(cat "$work/out")" != "$r1"

# ---- cache mounts persist; their content is not in the image ----
cat >"$ctx/Dockerfile.cachemount" <<'EOF'
FROM busybox
RUN --mount=type=cache,target=/var/cache/c echo x >>/var/cache/c/n && wc -l </var/cache/c/n >/count
EOF
expect 0 "cache mount build 1" -- "$STRATA" build -q --no-cache -f "$ctx/Dockerfile.cachemount" -t cm "$ctx"
expect 0 "its count" -- "$STRATA" run --rm cm cat /count
c1=$(cat "$work/out")
expect 0 "cache mount build 2" -- "$STRATA" build -q --no-cache -f "$ctx/Dockerfile.cachemount" -t cm "$ctx"
expect 0 "its count" -- "$STRATA" run --rm cm cat /count
check "the cache mount kept the first build's file ($c1 then $(cat "$work/out"))" -- \
  test "$(cat "$work/out")" -eq $((c1 + 1))
expect 0 "the mount's content is not in the image" -- "$STRATA" run --rm cm sh -c 'cat /var/cache/c/n 2>/dev/null; true'
is "" "cache mount content stays out of the layer"

# ---- --no-cache-filter ----
cat >"$ctx/Dockerfile.stages" <<'EOF'
FROM busybox AS one
RUN echo one >/one
FROM busybox AS two
COPY --from=one /one /one
RUN echo two >/two
EOF
b -f "$ctx/Dockerfile.stages"
b -f "$ctx/Dockerfile.stages" --no-cache-filter two
reran "$(printf '%s\n' '[two 2/3] COPY --from=one /one /one' '[two 3/3] RUN echo two >/two')" \
  "--no-cache-filter two reruns only stage two"
b -f "$ctx/Dockerfile.stages" --no-cache-filter one
check "--no-cache-filter one reruns stage one" -- test "$(ran | head -1)" = '[one 2/2] RUN echo one >/one'
check "stage two's steps are CACHED when stage one's output is the same content" -- \
  test "$(steps | grep -c '^\[two .* CACHED$')" -eq 2

# ---- independent stages run at the same time ----
# Each stage leaves its marker in a shared cache mount and waits (up to 8s) for the other's: run
# one after the other, the first would time out and fail.
cat >"$ctx/Dockerfile.parallel" <<'EOF'
FROM busybox AS a
ARG NONCE
RUN --mount=type=cache,target=/sync,id=sync,sharing=shared touch /sync/$NONCE-a && \
    for i in $(seq 80); do [ -e /sync/$NONCE-b ] && break; sleep 0.1; done; \
    [ -e /sync/$NONCE-b ] && echo saw-b >/a
FROM busybox AS b
ARG NONCE
RUN --mount=type=cache,target=/sync,id=sync,sharing=shared touch /sync/$NONCE-b && \
    for i in $(seq 80); do [ -e /sync/$NONCE-a ] && break; sleep 0.1; done; \
    [ -e /sync/$NONCE-a ] && echo saw-a >/b
FROM busybox
COPY --from=a /a /a
COPY --from=b /b /b
EOF
start=$(date +%s)
expect 0 "two independent stages" -- "$STRATA" build -q --build-arg NONCE=$$-$RANDOM -f "$ctx/Dockerfile.parallel" -t par "$ctx"
check "they overlapped (the build took $(($(date +%s) - start))s)" -- test $(($(date +%s) - start)) -lt 8
expect 0 "both saw the other" -- "$STRATA" run --rm par cat /a /b
is "$(printf 'saw-b\nsaw-a')" "both stages' RUNs ran at the same time"

# ---- --target: only the stages it needs ----
cat >"$ctx/Dockerfile.target" <<'EOF'
FROM busybox AS broken
RUN echo broken-ran; exit 1
FROM busybox AS base
RUN echo base >/base
FROM base AS wanted
RUN echo wanted >/wanted
FROM broken AS last
RUN echo last
EOF
b -f "$ctx/Dockerfile.target" --target wanted -t target
check "the broken stage never ran" -- bash -c "! grep -q 'broken' '$work/err'"
check "the stage after the target never ran" -- bash -c "! grep -q 'echo last' '$work/err'"
expect 0 "the target's files" -- "$STRATA" run --rm target cat /base /wanted
is "$(printf 'base\nwanted')" "--target builds the named stage over its parents"
expect 1 "without --target the last stage needs the broken one" -- "$STRATA" build -f "$ctx/Dockerfile.target" "$ctx"
contains "exit code: 1" "it fails"
cat >"$ctx/Dockerfile.unneeded" <<'EOF'
FROM busybox AS broken
RUN exit 1
FROM busybox
RUN echo fine >/fine
EOF
b -f "$ctx/Dockerfile.unneeded"
check "a stage the last one does not need never runs" -- bash -c "! grep -q 'exit 1' '$work/err'"
expect 1 "--target of a missing stage" -- "$STRATA" build --target nosuch -f "$ctx/Dockerfile.target" "$ctx"
contains "nosuch" "the stage is named"

# RUN --mount=type=bind of the context: what it exposes is part of the step's key, and it shows
# only what .dockerignore leaves (BuildKit binds the filtered context).
bind=$work/bindctx
mkdir -p "$bind"
echo v1 >"$bind/main.txt"
echo hush >"$bind/.env"
printf '.env\n' >"$bind/.dockerignore"
printf 'FROM busybox\nRUN --mount=type=bind,target=/src sh -c "cat /src/main.txt > /out; ls -a /src > /list"\n' >"$bind/Dockerfile"
expect 0 "build with a context bind" -- "$STRATA" build -q -t bind1 "$bind"
echo v2 >"$bind/main.txt"
expect 0 "rebuild after the bound file changed" -- "$STRATA" build -q -t bind2 "$bind"
expect 0 "the RUN reran" -- "$STRATA" run --rm bind2 cat /out
contains "v2" "a changed bind-mounted file reruns the RUN"
expect 0 "list the bound context" -- "$STRATA" run --rm bind2 cat /list
if grep -q '\.env' "$work/out"; then failed=$((failed + 1)); echo "FAIL an ignored file is visible in the bind"; else passed=$((passed + 1)); fi

finish
