#!/usr/bin/env bash
# import, images, history, inspect, tag, rmi, system check/df/prune and image prune through the
# real CLI, on a private store; and every bad input leaves the store as it was.
source "$(dirname "$0")/lib.sh"

busybox_rootfs_tar "$work/busybox.tar"

# ---- import -----------------------------------------------------------------------------------
expect 0 "import" -- "$STRATA" import --change 'CMD ["/bin/sh"]' --change 'ENV A=1 B=two' \
  -c 'WORKDIR /srv' -c 'LABEL org.example=yes' -c 'EXPOSE 8080' -c 'USER nobody' \
  -m "from the test" "$work/busybox.tar" busybox
id=$(cat "$work/out")
[[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL import prints the ID: $id"; }

expect 0 "import again from stdin, gzip" -- sh -c "gzip -c '$work/busybox.tar' | '$STRATA' import - other:1.0"
expect 0 "import zstd" -- sh -c "zstd -q -c '$work/busybox.tar' > '$work/busybox.tar.zst' && '$STRATA' import '$work/busybox.tar.zst' zst"
same_diff=$("$STRATA" inspect --format '{{index .RootFS.Layers 0}}' other:1.0)
expect 0 "inspect diff of the first" -- "$STRATA" inspect --format '{{index .RootFS.Layers 0}}' busybox
contains "$same_diff" "gzip and plain imports share one diff ID"

# ---- images -----------------------------------------------------------------------------------
expect 0 "images" -- "$STRATA" images
contains "REPOSITORY   TAG       IMAGE ID       CREATED" "docker's header and column layout"
contains "busybox      latest    ${id:7:12}" "busybox row"
contains "other        1.0" "other row"
expect 0 "images -q" -- "$STRATA" images -q
contains "${id:7:12}" "short ID"
expect 0 "images --no-trunc" -- "$STRATA" images --no-trunc
contains "$id" "full ID"
expect 0 "images --digests" -- "$STRATA" images --digests
contains "DIGEST" "digest column"
expect 0 "images --format" -- "$STRATA" images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
contains "busybox:latest ${id:7:12}" "template output"
expect 0 "images REPOSITORY" -- "$STRATA" images other
if grep -q busybox "$work/out"; then failed=$((failed + 1)); echo "FAIL images other lists busybox"; else passed=$((passed + 1)); fi
expect 0 "images --format json" -- "$STRATA" images --format json
contains '"Repository":"busybox"' "json rows"
expect 2 "images bad filter" -- "$STRATA" images --filter bogus=1
expect 2 "images bad template" -- "$STRATA" images --format '{{.Repository'

# ---- inspect ----------------------------------------------------------------------------------
expect 0 "inspect" -- "$STRATA" inspect busybox
contains "\"Id\": \"$id\"" "inspect Id"
contains '"RepoTags": [' "RepoTags"
contains '"busybox:latest"' "RepoTags value"
expect 0 "inspect --format .Id" -- "$STRATA" inspect --format '{{.Id}}' busybox:latest
[ "$(cat "$work/out")" = "$id" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL inspect .Id: $(cat "$work/out")"; }
expect 0 "inspect .Config.Env" -- "$STRATA" inspect --format '{{.Config.Env}}' busybox
contains "[A=1 B=two]" "ENV change applied"
expect 0 "inspect json .Config" -- "$STRATA" inspect --format '{{json .Config.Cmd}}' "${id:7:5}"
contains '["/bin/sh"]' "CMD change, by ID prefix"
expect 0 "inspect WorkingDir/User/labels/ports" -- "$STRATA" inspect --format '{{.Config.WorkingDir}} {{.Config.User}} {{index .Config.Labels "org.example"}} {{json .Config.ExposedPorts}}' busybox
contains '/srv nobody yes {"8080/tcp":{}}' "WORKDIR USER LABEL EXPOSE changes"
expect 1 "inspect missing" -- "$STRATA" inspect nosuchimage
contains "No such object: nosuchimage" "missing object named"

# ---- history ----------------------------------------------------------------------------------
expect 0 "history" -- "$STRATA" history busybox
contains "IMAGE          CREATED" "history header"
contains "from the test" "comment from -m"
contains "${id:7:12}" "top row has the image ID"
expect 0 "history other" -- "$STRATA" history --no-trunc other:1.0
contains "Imported from -" "docker's import comment"
expect 0 "history -q" -- "$STRATA" history -q busybox
expect 1 "history missing" -- "$STRATA" history nosuchimage
contains "No such image: nosuchimage" "missing image named"

# ---- tag / rmi --------------------------------------------------------------------------------
expect 0 "tag" -- "$STRATA" tag busybox localhost:5000/team/box:v1
expect 0 "images after tag" -- "$STRATA" images
contains "localhost:5000/team/box" "new tag listed"
expect 1 "tag missing source" -- "$STRATA" tag nosuch x:y
expect 1 "rmi by ID of a multi-tag image refuses" -- "$STRATA" rmi "${id:7:12}"
contains "must be forced" "docker's conflict message"
expect 0 "rmi one tag untags only" -- "$STRATA" rmi localhost:5000/team/box:v1
contains "Untagged: localhost:5000/team/box:v1" "untagged line"
expect 0 "image still there" -- "$STRATA" inspect --format '{{.Id}}' busybox
# Retagging moves a tag; the old image becomes dangling.
expect 0 "move tag" -- "$STRATA" tag zst busybox:latest
expect 0 "dangling listed" -- "$STRATA" images --filter dangling=true
contains "<none>" "dangling row"
expect 0 "rmi other" -- "$STRATA" rmi other:1.0
contains "Deleted: sha256:" "deleted line"
expect 1 "rmi missing" -- "$STRATA" rmi nosuchimage

# ---- bad input leaves the store as it was ------------------------------------------------------
snapshot_store() { (cd "$STRATA_ROOT" && find . -path ./locks -prune -o -print | sort; cat index.json); }
snapshot_store >"$work/before"
printf 'this is not a tar archive at all, not even close..................' >"$work/garbage"
expect 1 "import garbage" -- "$STRATA" import "$work/garbage" bad
python3 - "$work/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ["ok.txt", "../escape.txt"]:
        data = b"pwned\n"; info = tarfile.TarInfo(name); info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
expect 1 "import traversal" -- "$STRATA" import "$work/evil.tar" evil
[ ! -e "$STRATA_ROOT/../escape.txt" ] && [ ! -e "$work/escape.txt" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL traversal wrote outside"; }
head -c 3000 "$work/busybox.tar" >"$work/truncated.tar"
expect 1 "import truncated" -- "$STRATA" import "$work/truncated.tar" trunc
expect 1 "import missing file" -- "$STRATA" import "$work/nope.tar"
contains "$work/nope.tar" "missing file named"
expect 2 "import bad change" -- "$STRATA" import -c 'RUN echo hi' "$work/busybox.tar"
contains "not a valid change command" "bad change explained"
expect 1 "import bad reference" -- "$STRATA" import "$work/busybox.tar" 'UPPER'
snapshot_store >"$work/after"
if diff -u "$work/before" "$work/after"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL bad inputs changed the store"; fi

# ---- many strata processes on one store at once -------------------------------------------------
for i in 1 2 3 4 5 6; do
  ( "$STRATA" import -c "LABEL n=$i" "$work/busybox.tar" "parallel:$i" >/dev/null &&
    "$STRATA" tag "parallel:$i" "parallel:tagged-$i" && "$STRATA" images -q >/dev/null ) &
done
wait
expect 0 "parallel imports all listed" -- "$STRATA" images parallel
[ "$(grep -c '^parallel' "$work/out")" -eq 12 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL parallel: want 12 rows"; cat "$work/out"; }
expect 0 "system check after parallel writers" -- "$STRATA" system check

# ---- SIGKILL mid-import, in a loop: the store stays consistent ---------------------------------
mkdir -p "$work/big" && head -c 30000000 /dev/urandom >"$work/big/random.bin"
tar -C "$work/big" -cf "$work/big.tar" .
for delay in 0.01 0.03 0.05 0.08 0.1 0.15 0.2 0.3; do
  "$STRATA" import "$work/big.tar" "killed:$RANDOM" >/dev/null 2>&1 &
  sleep "$delay"; kill -9 $! 2>/dev/null; wait $! 2>/dev/null
done
expect 0 "system check after SIGKILLs" -- "$STRATA" system check
expect 0 "prune removes the debris" -- "$STRATA" system prune -f
leftover=$(find "$STRATA_ROOT/ingest" "$STRATA_ROOT/tmp" -mindepth 1 | wc -l)
[ "$leftover" -eq 0 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL $leftover ingest/tmp entries left after prune"; }

# ---- system -----------------------------------------------------------------------------------
expect 0 "system check" -- "$STRATA" system check
expect 0 "system df" -- "$STRATA" system df
contains "TYPE" "df header"
contains "Images" "df images row"
expect 0 "image prune -f" -- "$STRATA" image prune -f
contains "Total reclaimed space" "prune summary"
expect 0 "no dangling left" -- "$STRATA" images --filter dangling=true -q
[ ! -s "$work/out" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL dangling left after prune"; }
expect 0 "system prune -f" -- "$STRATA" system prune -f
expect 0 "system check after prune" -- "$STRATA" system check
# A corrupted blob is reported.
blob=$(ls "$STRATA_ROOT/blobs/sha256" | head -1)
chmod u+w "$STRATA_ROOT/blobs/sha256/$blob"; printf 'x' >>"$STRATA_ROOT/blobs/sha256/$blob"
expect 1 "system check finds corruption" -- "$STRATA" system check
contains "$blob" "corrupt blob named"
finish
