#!/usr/bin/env bash
# `strata build`'s registry features against a real registry on loopback (Debian's
# docker-registry with a private config, as registry_test.sh): FROM of a missing image pulls it
# (`--pull=missing|always|never`), `--push`, and the build cache exported to and imported from a
# registry (`--cache-to/--cache-from type=registry`) or a directory (`type=local`) between two
# stores standing for two machines. Needs root, overlayfs and namespaces.
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "builds run containers: they need root"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
  grep -qw overlay /proc/filesystems || skip "overlayfs is not available"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null || skip "namespaces are not available"
source "$(dirname "$0")/registry_lib.sh"
start_registry

# Two stores: $STRATA_ROOT (machine A, lib.sh's) and $root_b (machine B), and a third, empty one.
root_a=$STRATA_ROOT
root_b=$work/root-b
root_c=$work/root-c
A() { env STRATA_ROOT="$root_a" "$STRATA" "$@"; }
B() { env STRATA_ROOT="$root_b" "$STRATA" "$@"; }
C() { env STRATA_ROOT="$root_c" "$STRATA" "$@"; }

# steps: from the last plain progress ($work/err), one line per Dockerfile step: its name and
# CACHED, MISS or DONE (as build_cache_test.sh).
steps() {
  awk '/^#[0-9]+ \[/ && !/\[internal\]/ { id = $1; sub(/^#[0-9]+ /, ""); name[id] = $0; order[++n] = id }
       /^#[0-9]+ CACHED$/ { st[$1] = "CACHED" }
       /^#[0-9]+ cache miss/ { st[$1] = "MISS" }
       END { for (i = 1; i <= n; i++) if (name[order[i]] !~ / FROM /) print name[order[i]] " " st[order[i]] }' "$work/err"
}
ran() { steps | sed -n 's/ MISS$//p'; }
id_of() { grep -o 'writing image sha256:[0-9a-f]*' "$work/err" | cut -d' ' -f3; }

import_busybox busybox:latest >/dev/null || skip "cannot import busybox"
A tag busybox:latest "$reg/x/busybox:1"
expect 0 "push busybox to the registry" -- A push "$reg/x/busybox:1"

# --- FROM of a missing image pulls it ------------------------------------------------------------
fromctx=$work/fromctx
mkdir -p "$fromctx"
printf 'FROM %s/x/busybox:1\nRUN echo pulled-and-ran >/out\n' "$reg" >"$fromctx/Dockerfile"
expect 0 "FROM a missing image: pulled" -- C build --progress plain -t from:1 "$fromctx"
contains "[internal] load metadata for $reg/x/busybox:1" "the pull's vertex"
contains "Pull complete" "the pull's lines in the build's progress"
expect 0 "the pulled base ran the RUN" -- C run --rm from:1 cat /out
contains "pulled-and-ran" "RUN's output in the image"
expect 0 "the base image is in the store" -- C images "$reg/x/busybox"
contains "$reg/x/busybox" "listed after the build"
expect 0 "a second build does not pull again" -- C build --progress plain -t from:1 "$fromctx"
check "no metadata vertex with the default policy" -- bash -c "! grep -q 'load metadata' '$work/err'"

printf 'FROM %s/x/other:1\nRUN true\n' "$reg" >"$work/Dockerfile.never"
expect 1 "--pull=never with a missing image" -- \
  C build --pull=never -f "$work/Dockerfile.never" "$fromctx"
contains "$reg/x/other:1" "the image is named"
contains "Dockerfile.never:1" "the Dockerfile line is named"
contains 'pull policy is "never"' "the reason"
expect 1 "FROM an image the registry lacks" -- C build -f "$work/Dockerfile.never" "$fromctx"
contains "Dockerfile.never:1" "the Dockerfile line is named"
contains "not found" "the registry's answer"
expect 2 "an unknown --pull policy" -- C build --pull=sometimes "$fromctx"

# --pull (always): the tag moved in the registry → pulled again, the build runs on the new base.
A build -q -t "$reg/x/busybox:1" - >/dev/null <<'EOF'
FROM busybox
RUN echo moved >/moved
EOF
expect 0 "push the moved tag" -- A push "$reg/x/busybox:1"
printf 'FROM %s/x/busybox:1\nRUN cat /moved >/out 2>/dev/null || echo old >/out\n' "$reg" >"$fromctx/Dockerfile"
expect 0 "default policy: the stored base is used" -- C build -q -t from:2 "$fromctx"
expect 0 "" -- C run --rm from:2 cat /out
contains "old" "the old base without --pull"
expect 0 "--pull re-pulls the moved tag" -- C build --progress plain --pull -t from:2 "$fromctx"
contains "[internal] load metadata for $reg/x/busybox:1" "the pull's vertex"
expect 0 "" -- C run --rm from:2 cat /out
contains "moved" "the new base with --pull"
expect 0 "--pull=always when up to date" -- C build --progress plain --pull=always -t from:2 "$fromctx"
contains "up to date" "nothing new"

# COPY --from=<image> and RUN --mount=from=<image> of images the store lacks pull them too.
root_e=$work/root-e
printf 'FROM scratch\nCOPY --from=%s/x/busybox:1 /moved /copied\n' "$reg" >"$work/Dockerfile.copyfrom"
expect 0 "COPY --from=<missing image>: pulled" -- env STRATA_ROOT="$root_e" "$STRATA" build \
  --progress plain -f "$work/Dockerfile.copyfrom" "$fromctx"
contains "[internal] load metadata for $reg/x/busybox:1" "the pull's vertex for COPY --from"
rm -rf "$root_e"
expect 0 "import busybox into a fresh store" -- env STRATA_ROOT="$root_e" "$STRATA" import "$work/busybox.tar" bb:1
printf 'FROM bb:1\nRUN --mount=from=%s/x/busybox:1,target=/m cat /m/moved >/seen\n' "$reg" >"$work/Dockerfile.mountfrom"
expect 0 "RUN --mount=from=<missing image>: pulled" -- env STRATA_ROOT="$root_e" "$STRATA" build \
  --progress plain -t mounted:1 -f "$work/Dockerfile.mountfrom" "$fromctx"
contains "[internal] load metadata for $reg/x/busybox:1" "the pull's vertex for RUN --mount=from"
expect 0 "" -- env STRATA_ROOT="$root_e" "$STRATA" run --rm mounted:1 cat /seen
contains "moved" "the mounted image's file"

# --- --push ------------------------------------------------------------------------------------
expect 0 "build --push" -- C build --progress plain --push -t "$reg/x/built:1" -t "$reg/x/built:2" "$fromctx"
contains "pushing $reg/x/built:1" "a push vertex per tag"
contains "pushing manifest for $reg/x/built:2@sha256:" "the manifest line"
pushed=$(grep -o "pushing manifest for $reg/x/built:1@sha256:[0-9a-f]*" "$work/err" | sed 's/.*@//')
expect 0 "the stored manifest digest" -- C images --digests --format '{{.Digest}}' "$reg/x/built"
local_digest=$(head -1 "$work/out")
check "the pushed digest is the stored one" -- test -n "$pushed" -a "$pushed" = "$local_digest"
expect 0 "skopeo inspects the pushed image" -- \
  skopeo inspect --tls-verify=false "docker://$reg/x/built:1"
contains "\"Digest\": \"$local_digest\"" "the registry serves the built manifest"
expect 0 "skopeo inspects the second tag" -- skopeo inspect --tls-verify=false "docker://$reg/x/built:2"
contains "\"Digest\": \"$local_digest\"" "the second tag too"
expect 1 "--push without -t" -- C build --push "$fromctx"
contains "tag is needed when pushing to registry" "buildx's message"

# --- the build cache through a registry, between two stores --------------------------------------
# The base comes from the registry on both machines (an image imported on each would get two IDs).
ctx_a=$work/machine-a/ctx
ctx_b=$work/elsewhere/on/b/ctx
mkdir -p "$ctx_a/src"
echo one >"$ctx_a/src/one.txt"
echo two >"$ctx_a/src/two.txt"
cat >"$ctx_a/Dockerfile" <<EOF
FROM $reg/x/busybox:1 AS tools
RUN echo tool >/tool
COPY src/one.txt /one.txt
RUN cat /one.txt /tool >/tools.out

FROM $reg/x/busybox:1
ENV MODE=cache
COPY src/two.txt /two.txt
COPY --from=tools /tools.out /tools.out
RUN cat /two.txt /tools.out >/final
CMD ["cat", "/final"]
EOF
mkdir -p "$(dirname "$ctx_b")"
cp -a "$ctx_a" "$ctx_b"
touch -d '2002-02-02' "$ctx_b/src/one.txt" "$ctx_b/src/two.txt" # other mtimes, other inodes
n_steps=8

expect 0 "machine A: build with --cache-to mode=max" -- A build --progress plain -t cached:a \
  --cache-to "type=registry,ref=$reg/cache:main,mode=max" "$ctx_a"
id_a=$(id_of)
contains "exporting cache to $reg/cache:main" "the export vertex"
check "A ran every step" -- test "$(steps | grep -c ' CACHED$')" -eq 0
expect 0 "machine B: build with --cache-from" -- B build --progress plain -t cached:b \
  --cache-from "type=registry,ref=$reg/cache:main" "$ctx_b"
contains "importing cache manifest from $reg/cache:main" "the import vertex"
check "B: all $n_steps steps CACHED (got $(steps | grep -c ' CACHED$'))" -- \
  test "$(steps | grep -c ' CACHED$')" -eq "$n_steps" -a "$(steps | wc -l)" -eq "$n_steps"
check "B: the same image ID as A" -- test "$(id_of)" = "$id_a"
expect 0 "B's image runs" -- B run --rm cached:b
contains "tool" "the imported layers hold the files"
expect 0 "B's store is consistent" -- B system check

echo changed >"$ctx_b/src/two.txt"
expect 0 "B: one file changed" -- B build --progress plain -t cached:b2 \
  --cache-from "type=registry,ref=$reg/cache:main" "$ctx_b"
got=$(ran | tr '\n' '|')
check "only the final stage's steps from COPY two.txt on rebuilt (got: $got)" -- test "$got" = \
  '[stage-1 3/6] COPY src/two.txt /two.txt|[stage-1 4/6] COPY --from=tools /tools.out /tools.out|[stage-1 5/6] RUN cat /two.txt /tools.out >/final|[stage-1 6/6] CMD ["cat", "/final"]|'
check "the other stage all CACHED" -- test "$(steps | grep '^\[tools' | grep -c ' CACHED$')" -eq 3

# mode=min exports the final stage's steps only: fewer records.
records() { skopeo inspect --tls-verify=false --raw "docker://$reg/$1" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])' |
  xargs -I{} curl -sf "http://$reg/v2/${1%%:*}/blobs/{}" |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["records"]))'; }
expect 0 "A: export mode=min" -- A build --progress plain --cache-to "type=registry,ref=$reg/cache:min" "$ctx_a"
n_max=$(records cache:main); n_min=$(records cache:min)
check "mode=min exports fewer records ($n_min) than mode=max ($n_max)" -- test "$n_min" -gt 0 -a "$n_min" -lt "$n_max"
check "mode=max: one record per step" -- test "$n_max" -eq "$n_steps"
expect 0 "skopeo reads the cache manifest" -- skopeo inspect --tls-verify=false --raw "docker://$reg/cache:main"
contains "application/vnd.strata.buildcache.config.v1+json" "the config's media type"

# --- type=local: an OCI layout directory between two stores -------------------------------------
root_d=$work/root-d
D() { env STRATA_ROOT="$root_d" "$STRATA" "$@"; }
expect 0 "A: export type=local" -- A build --progress plain --cache-to "type=local,dest=$work/cachedir,mode=max" "$ctx_a"
check "an OCI layout" -- test -f "$work/cachedir/oci-layout" -a -f "$work/cachedir/index.json"
expect 0 "skopeo reads the layout" -- skopeo inspect --raw "oci:$work/cachedir:latest"
contains "application/vnd.strata.buildcache.config.v1+json" "the cache manifest in the layout"
expect 0 "machine D: build with type=local,src" -- D build --progress plain -t cached:d \
  --cache-from "type=local,src=$work/cachedir" "$ctx_a"
check "D: all $n_steps steps CACHED (got $(steps | grep -c ' CACHED$'))" -- \
  test "$(steps | grep -c ' CACHED$')" -eq "$n_steps"
check "D: the same image ID as A" -- test "$(id_of)" = "$id_a"

# --- a missing or broken cache source is a warning; the build goes on ------------------------------
rm -rf "$root_d"
expect 0 "a cache ref the registry lacks" -- D build --progress plain -t nocache:1 \
  --cache-from "$reg/cache:nosuch" "$ctx_a"
contains "WARNING: failed to import cache from $reg/cache:nosuch" "a warning names the ref"
check "the steps ran" -- test "$(steps | grep -c ' CACHED$')" -eq 0
expect 0 "a missing local cache dir" -- D build --progress plain \
  --cache-from "type=local,src=$work/nosuchdir" "$ctx_a"
contains "WARNING: failed to import cache from local:$work/nosuchdir" "a warning names the dir"

# A garbage artifact: an OCI manifest of the cache's media type whose config is not the format.
garbage() { # garbage TAG CONFIG-BYTES: pushes a one-blob artifact with curl
  local cfg=$1 tag=$2 dgst size loc
  dgst=sha256:$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1); size=$(printf '%s' "$cfg" | wc -c)
  loc=$(curl -sf -X POST -D - -o /dev/null "http://$reg/v2/cache/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $loc in http*) ;; *) loc="http://$reg$loc" ;; esac
  case $loc in *\?*) loc="$loc&digest=$dgst" ;; *) loc="$loc?digest=$dgst" ;; esac
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "$cfg" "$loc" >/dev/null &&
  curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary \
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.strata.buildcache.config.v1+json\",\"digest\":\"$dgst\",\"size\":$size},\"layers\":[]}" \
    "http://$reg/v2/cache/manifests/$tag" >/dev/null
}
check "push a garbage cache artifact" -- garbage 'this is not json' garbage
check "push a cache artifact naming a layer it lacks" -- garbage \
  '{"schemaVersion":1,"records":[{"key":"sha256:0000000000000000000000000000000000000000000000000000000000000000","config":{"rootfs":{"type":"layers","diff_ids":[]}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":1,"diff_id":"sha256:2222222222222222222222222222222222222222222222222222222222222222"}]}]}' \
  stray
check "push a cache artifact with a bad key" -- garbage \
  '{"schemaVersion":1,"records":[{"key":"sha256:../../etc","config":{},"layers":[]}]}' badkey
for tag in garbage stray badkey; do
  expect 0 "a corrupt cache ($tag): warning, the build runs" -- D build --progress plain \
    --cache-from "type=registry,ref=$reg/cache:$tag" "$ctx_a"
  contains "WARNING: failed to import cache from $reg/cache:$tag" "a warning ($tag)"
  contains "malformed" "says why ($tag)"
done
expect 0 "D's store is consistent" -- D system check

# usage errors
expect 2 "--cache-to of an unknown type" -- A build --cache-to type=s3,ref=x "$ctx_a"
expect 2 "--cache-to type=local without dest" -- A build --cache-to type=local "$ctx_a"
expect 2 "--cache-to with a bad ignore-error" -- A build --cache-to "type=registry,ref=$reg/c:1,ignore-error=yes" "$ctx_a"
contains "ignore-error=yes" "the attribute named"

# An export that fails (nothing listens): the build fails, unless ignore-error=true.
dead="127.0.0.1:$(free_port)"
expect 1 "a cache export to nowhere fails the build" -- \
  A build --progress plain --cache-to "type=registry,ref=$dead/cache:x" "$ctx_a"
contains "export cache to" "the export named"
expect 0 "ignore-error=true makes it a warning" -- \
  A build --progress plain --cache-to "type=registry,ref=$dead/cache:x,ignore-error=true" "$ctx_a"
contains "ignore-error=true" "the warning says why the build goes on"
finish
