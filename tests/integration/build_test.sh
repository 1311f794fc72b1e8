#!/usr/bin/env bash
# `strata build`, black box: every Dockerfile instruction and what it leaves in the image (config
# and history compared field by field with what BuildKit writes), RUN's forms (shell, exec,
# heredocs) and mounts (cache, tmpfs, bind, secret as a file and as an env variable), networks,
# COPY/ADD (wildcards, --from stage/index/image, --chown, --chmod, --exclude, heredocs,
# .dockerignore with exceptions, local archives), ARG expansion, ONBUILD triggers in a child
# build, stdin Dockerfiles and contexts; failures (exit codes, BuildKit's summary, nothing tagged,
# the store left clean), what is not supported yet, and Ctrl-C cleanup. Needs root, overlayfs and
# namespaces.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "builds run containers: they need root"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
  grep -qw overlay /proc/filesystems || skip "overlayfs is not available"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null || skip "namespaces are not available"

import_busybox busybox:latest >/dev/null || skip "cannot import busybox"
default_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# field IMAGE TEMPLATE: `strata inspect` of one field, into $work/out.
field() { expect 0 "inspect $1 $2" -- "$STRATA" inspect --format "$2" "$1"; }
# is WANT DESCRIPTION: the last command's stdout is exactly WANT.
is() {
  if [ "$(cat "$work/out")" = "$1" ]; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAIL $2: got '$(head -c 600 "$work/out")', want '$1'"; fi
}
# store_clean DESCRIPTION: tmp/ empty, no mount of the store left, `system check` happy.
store_clean() {
  check "$1: the store's tmp/ is empty" -- test -z "$(ls -A "$STRATA_ROOT/tmp" 2>/dev/null)"
  check "$1: no mount of the store is left" -- bash -c "! grep -qF '$STRATA_ROOT' /proc/mounts"
  check "$1: system check" -- "$STRATA" system check
}
# build_cgroups: the strata/build-* cgroups that exist now, one a line.
build_cgroups() { find /sys/fs/cgroup -maxdepth 4 -type d -name 'build-*' -path '*strata*' 2>/dev/null | sort; }

ctx=$work/ctx
mkdir -p "$ctx/dir/sub" "$ctx/logs"
echo hello >"$ctx/a.txt"
echo second >"$ctx/b.txt"
echo nested >"$ctx/dir/sub/n.txt"
echo log >"$ctx/dir/x.log"
echo keep >"$ctx/keep.md"
echo drop >"$ctx/drop.md"
echo secretish >"$ctx/logs/app.log"
printf '*.md\n!keep.md\nlogs\n' >"$ctx/.dockerignore"
printf 'FROM busybox\nCOPY a.txt /\n' >"$ctx/Dockerfile"
mkdir -p "$work/tarsrc/t"; echo intar >"$work/tarsrc/t/in.txt"
tar -C "$work/tarsrc" -czf "$ctx/arch.tar.gz" t

# ---- config-only instructions: the image config and history as BuildKit writes them ----
cat >"$ctx/Dockerfile.config" <<'EOF'
FROM busybox
MAINTAINER someone@example.com
LABEL org.a=1
LABEL "b c"="d e"
ENV A=1 B="two words"
ENV C=${A}x
WORKDIR /app/sub
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --retries=2 CMD true
SHELL ["/bin/sh", "-ec"]
RUN echo hi
ONBUILD RUN echo triggered >/tmp/onbuild
ENTRYPOINT ["/bin/echo"]
CMD ["x", "y"]
USER nobody
EOF
expect 0 "build the config Dockerfile" -- "$STRATA" build -q -f "$ctx/Dockerfile.config" -t cfg "$ctx"
check "-q prints only the image ID" -- grep -Eqx 'sha256:[0-9a-f]{64}' "$work/out"
field cfg '{{json .Config.Env}}'
is "[\"PATH=$default_path\",\"A=1\",\"B=two words\",\"C=1x\"]" "Env: PATH always set (BuildKit), then ENV in order"
field cfg '{{json .Config.Cmd}}';        is '["x","y"]' "Cmd"
field cfg '{{json .Config.Entrypoint}}'; is '["/bin/echo"]' "Entrypoint"
field cfg '{{.Config.WorkingDir}}';      is '/app/sub' "WorkingDir"
field cfg '{{.Config.User}}';            is 'nobody' "User"
field cfg '{{json .Config.Labels}}';     is '{"b c":"d e","org.a":"1"}' "Labels"
field cfg '{{json .Config.Volumes}}';    is '{"/data":{}}' "Volumes"
field cfg '{{.Config.StopSignal}}';      is 'SIGTERM' "StopSignal"
field cfg '{{json .Config.Healthcheck.Test}} {{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.Retries}}'
is '["CMD-SHELL","true"] 5000000000 2' "Healthcheck"
field cfg '{{json .Config.Shell}}';      is '["/bin/sh","-ec"]' "Shell"
field cfg '{{json .Config.OnBuild}}';    is '["RUN echo triggered >/tmp/onbuild"]' "OnBuild stored"
field cfg '{{.Author}}';                 is 'someone@example.com' "MAINTAINER sets Author"
expect 0 "EXPOSE" -- "$STRATA" build -q -t exposed - <<'EOF'
FROM busybox
EXPOSE 80 53/udp
EOF
field exposed '{{json .Config.ExposedPorts}}'; is '{"53/udp":{},"80/tcp":{}}' "ExposedPorts"
expect 0 "EXPOSE history" -- "$STRATA" history --no-trunc --format '{{.CreatedBy}}' exposed
contains "EXPOSE map[53/udp:{} 80/tcp:{}]" "EXPOSE row as BuildKit's (Go's %v of a map)"
field cfg '{{.Os}}/{{.Architecture}}';   is 'linux/amd64' "platform"
expect 0 "history of cfg" -- "$STRATA" history --no-trunc --format '{{.CreatedBy}}|{{.Comment}}' cfg
cat >"$work/want-history" <<'EOF'
USER nobody|buildkit.dockerfile.v0
CMD ["x" "y"]|buildkit.dockerfile.v0
ENTRYPOINT ["/bin/echo"]|buildkit.dockerfile.v0
ONBUILD RUN echo triggered >/tmp/onbuild|buildkit.dockerfile.v0
RUN /bin/sh -ec echo hi # buildkit|buildkit.dockerfile.v0
SHELL [/bin/sh -ec]|buildkit.dockerfile.v0
STOPSIGNAL SIGTERM|buildkit.dockerfile.v0
VOLUME [/data]|buildkit.dockerfile.v0
WORKDIR /app/sub|buildkit.dockerfile.v0
ENV C=1x|buildkit.dockerfile.v0
ENV A=1 B=two words|buildkit.dockerfile.v0
LABEL b c=d e|buildkit.dockerfile.v0
LABEL org.a=1|buildkit.dockerfile.v0
MAINTAINER someone@example.com|buildkit.dockerfile.v0
EOF
# HEALTHCHECK's row is Go's %v of a struct: only its start is compared.
grep -v '^HEALTHCHECK' "$work/out" | head -14 >"$work/got-history"
check "history rows as BuildKit's ($(diff "$work/want-history" "$work/got-history" | tr '\n' ' '))" -- \
  cmp -s "$work/want-history" "$work/got-history"
check "a HEALTHCHECK row as BuildKit's (Go's %q of the struct)" -- grep -q '^HEALTHCHECK &{\["CMD-SHELL" "true"\] "5s"' "$work/out"
expect 0 "the image's layers vs history" -- "$STRATA" inspect --format '{{len .RootFS.Layers}}' cfg
layers=$(cat "$work/out")
check "config-only steps add no layer (layers: $layers)" -- test "$layers" -le 3
expect 0 "ENTRYPOINT and CMD run" -- "$STRATA" run --rm cfg
is "x y" "the container echoes CMD through ENTRYPOINT"
expect 0 "WORKDIR created the directory" -- "$STRATA" run --rm --entrypoint pwd cfg
is "/app/sub" "pwd in the WORKDIR"

# ---- ONBUILD: the trigger runs in a child build, and is not inherited further ----
printf 'FROM cfg\nUSER root\nRUN test -f /tmp/onbuild\n' >"$ctx/Dockerfile.child"
expect 0 "child of an ONBUILD image" -- "$STRATA" build -q -f "$ctx/Dockerfile.child" -t child "$ctx"
expect 0 "the trigger's file" -- "$STRATA" run --rm --entrypoint cat child /tmp/onbuild
is "triggered" "ONBUILD ran in the child"
field child '{{json .Config.OnBuild}}'; is 'null' "triggers are not inherited"

# ---- RUN: forms, heredocs, USER, env, mounts, networks ----
cat >"$ctx/Dockerfile.run" <<'EOF'
ARG BASE=busybox
FROM ${BASE} AS first
ARG V=def
ARG W=${V}-w
ENV E=${V:-none}_e
RUN echo "$V $W $E" >/args
RUN ["/bin/sh", "-c", "echo exec >/exec"]
RUN <<EOT
echo one >/heredoc
echo two >>/heredoc
EOT
RUN cat <<EOT >/heredoc2
got $E
EOT
RUN <<EOT sh
echo "\$0=$0" >/heredoc3
EOT
WORKDIR /w
RUN pwd >/pwd && echo rel >relative
RUN --mount=type=tmpfs,target=/scratch touch /scratch/f && grep ' /scratch ' /proc/mounts | cut -d' ' -f3 >/tmpfs
RUN --mount=type=bind,source=a.txt,target=/mnt/a cat /mnt/a >/bound && if echo x >/mnt/a; then echo writable; else echo readonly; fi >>/bound
RUN --mount=type=bind,source=dir,target=/mnt/d ls /mnt/d >/bound-dir
RUN --mount=type=secret,id=tok cat /run/secrets/tok >/secret-file
RUN --mount=type=secret,id=envtok,env=TOK echo "$TOK" >/secret-env
RUN if test -e /run/secrets/tok; then echo stub; else echo gone; fi >/secret-after
RUN --mount=type=cache,target=/cache echo run >>/cache/n
RUN --network=none grep -c : /proc/net/dev >/net-none
USER nobody
RUN id -u >/tmp/uid
EOF
printf 'FROM busybox\nRUN --mount=type=bind,target=/mnt/ctx cat /mnt/ctx/a.txt\n' >"$ctx/Dockerfile.bindrel"
echo s3cret >"$work/tok"
export BUILD_TOKEN=envs3cret
expect 0 "build the RUN Dockerfile" -- "$STRATA" build --progress plain -f "$ctx/Dockerfile.run" \
  --build-arg V=given --secret id=tok,src="$work/tok" --secret id=envtok,env=BUILD_TOKEN -t runs "$ctx"
contains "RUN echo" "plain progress names the RUN steps"
# show FILE: cat of a file in the built image.
show() { expect 0 "cat $1" -- "$STRATA" run --rm runs cat "$1"; }
show /args;       is "given given-w given_e" "ARG and ENV expansion with --build-arg"
show /exec;       is "exec" "exec-form RUN"
show /heredoc;    is "$(printf 'one\ntwo')" "RUN <<EOT runs the heredoc as a script"
show /heredoc2;   is "got given_e" "RUN cat <<EOT: the heredoc on stdin, expanded"
show /heredoc3;   is 'sh=/bin/sh' "RUN <<EOT sh: the command line run by the shell, the heredoc expanded by it"
show /pwd;        is "/w" "WORKDIR applies to RUN"
show /w/relative; is "rel" "relative paths in WORKDIR"
show /tmpfs;      is "tmpfs" "RUN --mount=type=tmpfs"
show /bound;      is "$(printf 'hello\nreadonly')" "RUN --mount=type=bind reads the context, read-only"
show /bound-dir;  is $'sub\nx.log' "a bind-mounted context directory"
show /secret-file; is "s3cret" "secret from a file at /run/secrets/ID"
show /secret-env; is "envs3cret" "secret as an env variable"
show /secret-after; is "gone" "the secret (or its stub) is not there in the next step"
expect 0 "no secret in the image" -- "$STRATA" run --rm runs sh -c 'cat /run/secrets/tok 2>/dev/null; true'
is "" "the secret's content is not in the image"
expect 0 "mount points" -- "$STRATA" run --rm runs sh -c 'ls -d /run/secrets/tok /mnt/a /mnt/d /scratch /cache 2>/dev/null; true'
is "" "BuildKit's stub cleaner: no empty mount points left in the image"
show /net-none;   is "1" "RUN --network=none: only lo"
show /tmp/uid;    is "65534" "USER applies to RUN"
expect 0 "history with build args" -- "$STRATA" history --no-trunc --format '{{.CreatedBy}}' runs
contains 'RUN |2 V=given W=given-w /bin/sh -c echo "$V $W $E" >/args # buildkit' "RUN |N with the stage's ARGs only (no automatic platform ARGs)"
contains 'RUN |2 V=given W=given-w /bin/sh -c echo exec >/exec # buildkit' "exec form in history"
contains 'ENV E=given_e' "ENV row expanded"
contains 'ARG V=def' "ARG row"

expect 0 "RUN --mount=type=bind with a relative context path" -- bash -c "cd '$work' && '$STRATA' build -q --no-cache -f ctx/Dockerfile.bindrel ctx"
expect 0 "--network=none for every RUN" -- "$STRATA" build -q --network none - <<'EOF'
FROM busybox
RUN grep -c : /proc/net/dev >/n
EOF
id_none=$(cat "$work/out")
expect 0 "its result" -- "$STRATA" run --rm --network none "$id_none" cat /n
is "1" "--network none: only lo"
expect 0 "--network=host" -- "$STRATA" build -q --network host - <<'EOF'
FROM busybox
RUN grep -c : /proc/net/dev >/n
EOF
id_host=$(cat "$work/out")
expect 0 "its result" -- "$STRATA" run --rm --network none "$id_host" cat /n
is "$(grep -c : /proc/net/dev)" "--network host: the host's interfaces (the network is part of the cache key)"
expect 0 "--network=host --no-cache" -- "$STRATA" build -q --no-cache --network host - <<'EOF'
FROM busybox
RUN grep -c : /proc/net/dev >/n
EOF
expect 0 "its result" -- "$STRATA" run --rm --network none "$(cat "$work/out")" cat /n
is "$(grep -c : /proc/net/dev)" "--network host --no-cache: the host's interfaces"
expect 2 "--network bogus" -- "$STRATA" build --network bogus "$ctx"

# ---- COPY and ADD ----
cat >"$ctx/Dockerfile.copy" <<'EOF'
FROM busybox AS src
RUN mkdir /out && echo fromstage >/out/s.txt
FROM scratch
COPY --from=src /bin/busybox /bin/busybox
COPY --from=0 /out/s.txt /stage/
COPY --from=busybox /etc/passwd /img/passwd
COPY *.txt /wild/
COPY dir /dir-copy
COPY --chown=1:2 a.txt /own
COPY --from=busybox /etc/passwd /etc/group /etc/
COPY --chown=nobody:nogroup --from=src /etc/passwd /own-named
COPY --chmod=0640 a.txt /mode-octal
COPY --chmod=u=rwx,g=rx,o= a.txt /mode-symbolic
COPY --exclude=*.log dir /excl/
COPY . /all/
COPY <<EOT /heredoc.txt
line one
EOT
COPY <<A <<B /multi/
aa
A
bb
B
ADD b.txt /added
ADD arch.tar.gz /unpacked/
COPY arch.tar.gz /notunpacked/
WORKDIR /wd
COPY a.txt rel.txt
EOF
expect 0 "build the COPY Dockerfile" -- "$STRATA" build -q -f "$ctx/Dockerfile.copy" -t copies "$ctx"
# ls_img IMAGE CMD: runs a busybox command in the image.
bb() { expect 0 "$*" -- "$STRATA" run --rm copies /bin/busybox "$@"; }
bb cat /stage/s.txt;        is "fromstage" "COPY --from=stage name and index"
bb head -1 /img/passwd;     is "root:x:0:0:root:/root:/bin/sh" "COPY --from=image"
bb ls /wild;                is "$(printf 'a.txt\nb.txt')" "COPY with a wildcard"
bb cat /dir-copy/sub/n.txt; is "nested" "COPY of a directory copies its content"
bb stat -c '%u:%g' /own;    is "1:2" "--chown numeric"
bb stat -c '%u:%g' /own-named; is "65534:65534" "--chown by name, from the stage's passwd"
bb stat -c '%a' /mode-octal; is "640" "--chmod octal"
bb stat -c '%a' /mode-symbolic; is "750" "--chmod symbolic"
bb find /excl;              is "$(printf '/excl\n/excl/sub\n/excl/sub/n.txt')" "--exclude"
bb ls -a /all
check ".dockerignore: the exception is copied" -- grep -qx keep.md "$work/out"
check ".dockerignore: the ignored file is not" -- bash -c "! grep -qx drop.md '$work/out'"
check ".dockerignore: the ignored directory is not" -- bash -c "! grep -qx logs '$work/out'"
check ".dockerignore itself is in the context" -- grep -qx .dockerignore "$work/out"
bb cat /heredoc.txt;        is "line one" "COPY <<EOT"
bb cat /multi/A /multi/B;   is "$(printf 'aa\nbb')" "COPY of two heredocs"
bb cat /added;              is "second" "ADD of a local file"
bb cat /unpacked/t/in.txt;  is "intar" "ADD of a local archive unpacks it"
bb ls /notunpacked;         is "arch.tar.gz" "COPY of an archive does not"
bb cat /wd/rel.txt;         is "hello" "relative COPY destination in the WORKDIR"
expect 0 "COPY history" -- "$STRATA" history --no-trunc --format '{{.CreatedBy}}' copies
contains "COPY *.txt /wild/ # buildkit" "COPY row as BuildKit's"
contains "ADD b.txt /added # buildkit" "ADD row as BuildKit's"
field copies '{{json .Config.Env}}'; is "[\"PATH=$default_path\"]" "FROM scratch gets BuildKit's PATH"

mkdir -p "$ctx/p/q"; echo par >"$ctx/p/q/f.txt"
expect 0 "COPY --parents" -- "$STRATA" build -q -f - "$ctx" <<'EOF'
FROM busybox
COPY --parents p/q/f.txt /par/
EOF
expect 0 "parents kept" -- "$STRATA" run --rm "$(cat "$work/out")" cat /par/p/q/f.txt
is "par" "COPY --parents keeps the source's directories"

expect 1 "COPY of a missing file" -- "$STRATA" build -f - "$ctx" <<'EOF'
FROM busybox
COPY nosuch.txt /
EOF
contains "nosuch.txt" "the missing source is named"
contains "ERROR: failed to solve:" "BuildKit's summary"
expect 1 "COPY of a file excluded by .dockerignore" -- "$STRATA" build -f - "$ctx" <<'EOF'
FROM busybox
COPY drop.md /
EOF
contains "drop.md" "the ignored source is named"

# ---- stdin ----
expect 0 "Dockerfile from stdin, empty context" -- "$STRATA" build -q -t fromstdin - <<'EOF'
FROM busybox
RUN echo stdin >/s
EOF
expect 0 "the stdin build" -- "$STRATA" run --rm fromstdin cat /s
is "stdin" "context -"
expect 1 "context - has no files" -- "$STRATA" build - <<'EOF'
FROM busybox
COPY a.txt /
EOF
expect 0 "-f - with a directory context" -- "$STRATA" build -q -t stdinctx -f - "$ctx" <<'EOF'
FROM busybox
COPY a.txt /
EOF
expect 0 "the context file" -- "$STRATA" run --rm stdinctx cat /a.txt
is "hello" "-f - reads the context directory"
expect 2 "-f - and context - together" -- "$STRATA" build -f - - </dev/null

# ---- failures ----
cat >"$ctx/Dockerfile.fail" <<'EOF'
FROM busybox
RUN echo a
RUN echo before; exit 3
RUN echo after
EOF
images_before=$("$STRATA" images -q -a | sort)
expect 1 "a failing RUN" -- "$STRATA" build --progress plain -f "$ctx/Dockerfile.fail" -t failed "$ctx"
contains 'ERROR: failed to solve: process "/bin/sh -c echo before; exit 3" did not complete successfully: exit code: 3' "BuildKit's summary line"
contains "Dockerfile.fail:3" "the Dockerfile line"
contains ">>> RUN echo before; exit 3" "the excerpt marks the line"
contains "before" "the step's output"
check "the step after is not run" -- bash -c "! grep -q '^#[0-9]* after' '$work/err'"
expect 1 "nothing tagged" -- "$STRATA" inspect failed
check "no image added but cached steps' (dangling) ones" -- \
  test -z "$(comm -13 <(echo "$images_before") <("$STRATA" images -q | sort))"
store_clean "after a failed RUN"

expect 1 "a missing FROM image" -- "$STRATA" build - <<'EOF'
FROM nosuch/image:1.0
RUN true
EOF
contains "nosuch/image:1.0" "the image is named"
contains "strata load" "and how to get one"
expect 1 "an unknown stage in COPY --from" -- "$STRATA" build - <<'EOF'
FROM busybox
COPY --from=nostage /x /
EOF
contains "nostage" "the stage is named"
expect 1 "a Dockerfile syntax error" -- "$STRATA" build - <<'EOF'
FROM busybox
FOO bar
EOF
contains "FOO" "the unknown instruction is named"
expect 1 "a missing Dockerfile" -- "$STRATA" build -f "$work/nosuch" "$ctx"
expect 1 "a missing context" -- "$STRATA" build "$work/nosuchdir"
expect 2 "no context" -- "$STRATA" build
expect 2 "an unknown flag" -- "$STRATA" build --bogus "$ctx"
expect 2 "an invalid progress mode" -- "$STRATA" build --progress bogus "$ctx"
expect 1 "an invalid tag" -- "$STRATA" build -t 'UPPER:bad' -f "$ctx/Dockerfile.fail" "$ctx"
expect 1 "a missing secret file" -- "$STRATA" build --secret id=x,src="$work/nosuch" - <<'EOF'
FROM busybox
RUN --mount=type=secret,id=x,required=true cat /run/secrets/x
EOF

# ---- not supported yet: a clear error naming the thing ----
expect 1 "RUN --mount=type=ssh" -- "$STRATA" build - <<'EOF'
FROM busybox
RUN --mount=type=ssh true
EOF
contains "ssh" "ssh named"
expect 1 "RUN --security=insecure" -- "$STRATA" build - <<'EOF'
FROM busybox
RUN --security=insecure true
EOF
contains "insecure" "--security named"
expect 1 "--platform linux/arm64" -- "$STRATA" build --platform linux/arm64 "$ctx"
contains "linux/arm64" "the platform named"
expect 1 "FROM --platform=linux/arm64" -- "$STRATA" build - <<'EOF'
FROM --platform=linux/arm64 busybox
RUN true
EOF
contains "linux/arm64" "the platform named"
expect 1 "a read-write bind mount" -- "$STRATA" build - <<'EOF'
FROM busybox
RUN --mount=type=bind,target=/src,rw true
EOF
contains "read-write" "rw named"
expect 1 "a cache mount from a stage" -- "$STRATA" build - <<'EOF'
FROM busybox AS seed
FROM busybox
RUN --mount=type=cache,target=/c,from=seed true
EOF
contains "from=" "cache from= named"
printf 'FROM busybox\nONBUILD COPY --from=helper /x /x\n' >"$work/Dockerfile.onbuild-parent"
expect 0 "an image whose ONBUILD names a stage" -- "$STRATA" build -q -t onb-parent \
  -f "$work/Dockerfile.onbuild-parent" "$ctx"
expect 1 "its trigger naming a stage of the child build" -- "$STRATA" build - <<'EOF'
FROM busybox AS helper
FROM onb-parent
EOF
contains "ONBUILD trigger cannot refer to the build stage helper" "the trigger and the stage named"
printf '\3757zXZ\0not really xz' >"$ctx/data.tar.xz"
expect 1 "ADD of an xz archive" -- "$STRATA" build -f - "$ctx" <<'EOF'
FROM busybox
ADD data.tar.xz /x/
EOF
contains "xz" "xz named"
rm -f "$ctx/data.tar.xz"
store_clean "after the unsupported ones"

# ---- Ctrl-C ----
cgroups_before=$(build_cgroups)
cat >"$ctx/Dockerfile.slow" <<'EOF'
FROM busybox
RUN echo started; sleep 60
EOF
"$STRATA" build --progress plain -f "$ctx/Dockerfile.slow" -t slow "$ctx" >"$work/int.out" 2>"$work/int.err" &
pid=$!
for _ in $(seq 100); do grep -q started "$work/int.err" && break; sleep 0.1; done
check "the slow step started" -- grep -q started "$work/int.err"
sleep 0.3
kill -INT "$pid"
start=$(date +%s)
wait "$pid"; rc=$?
check "Ctrl-C exits 130 (got $rc)" -- test "$rc" -eq 130
check "Ctrl-C stops the build at once" -- test $(($(date +%s) - start)) -lt 10
check "no tag after Ctrl-C" -- bash -c "! '$STRATA' inspect slow"
check "no build cgroup left" -- test "$(comm -13 <(echo "$cgroups_before") <(build_cgroups))" = ""
check "no sleep left" -- bash -c "! pgrep -x -f 'sleep 60'"
store_clean "after Ctrl-C"

# A RUN that swaps a mount point's parent for a symlink to a host directory: the stub cleaner
# walks the upper dir by fds and never follows it (BuildKit's CVE-2024-23652).
mkdir -p "$work/victim/empty"
printf 'FROM busybox\nRUN --mount=type=tmpfs,target=/x/empty sh -c "mv /x /x.old && ln -s %s /x"\n' \
  "$work/victim" >"$work/Dockerfile.stub"
expect 0 "a RUN that plants a symlink over a mount point's parent" -- \
  "$STRATA" build -q -f "$work/Dockerfile.stub" "$ctx"
check "the host directory the symlink names is untouched" -- test -d "$work/victim/empty"

# ADD of an http URL (a python3 http.server on loopback): the file as served, mode 0600; a
# wrong --checksum fails the build naming both digests and tags nothing.
if command -v python3 >/dev/null; then
  mkdir -p "$work/www"
  echo served >"$work/www/page.txt"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
  www_pid=$!
  cleanup_hooks+=("kill $www_pid")
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  sum=$(sha256sum "$work/www/page.txt" | cut -d' ' -f1)
  printf 'FROM busybox\nADD --checksum=sha256:%s http://127.0.0.1:%s/page.txt /web/\n' "$sum" "$port" \
    >"$work/Dockerfile.url"
  expect 0 "ADD of a URL with the right --checksum" -- "$STRATA" build -q -t urlimg -f "$work/Dockerfile.url" "$ctx"
  expect 0 "the downloaded file" -- "$STRATA" run --rm urlimg stat -c '%a %s' /web/page.txt
  is "600 7" "ADD of a URL gives a 0600 file with the served bytes"
  printf 'FROM busybox\nADD --checksum=sha256:%064d http://127.0.0.1:%s/page.txt /web/\n' 0 "$port" \
    >"$work/Dockerfile.badsum"
  expect 1 "ADD with a wrong --checksum fails" -- "$STRATA" build -t badsum -f "$work/Dockerfile.badsum" "$ctx"
  contains "digest mismatch" "the checksum error names the mismatch"
  expect 1 "nothing tagged after the checksum failure" -- "$STRATA" inspect --type image badsum
fi

finish
