#!/usr/bin/env bash
# `strata push`'s upload paths against a real registry on loopback (Debian's docker-registry, a
# private config): cross-repository mounts of blobs the store pulled from another repository of
# the same registry, chunked uploads (PATCH with Content-Range, then PUT ?digest=), a stored blob
# that is corrupt (the push aborts before the registry has it); then a fake registry (python3)
# that moves the upload's Location on every chunk and asks for a minimum chunk length, to show
# the newest Location is always used. Skips (77) when a tool is missing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_lib.sh"
start_registry
repos="$work/regdata/docker/registry/v2/repositories"

id=$(import_busybox busybox:latest) || skip "cannot import busybox"
manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"])' "$STRATA_ROOT")
manifest_hex=${manifest#sha256:}
layer_digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
  "$STRATA_ROOT/blobs/sha256/$manifest_hex")
layer_hex=${layer_digest#sha256:}
layer_size=$(stat -c %s "$STRATA_ROOT/blobs/sha256/$layer_hex")

# A monolithic push to repository a/busybox.
"$STRATA" tag busybox:latest "$reg/a/busybox:1"
expect 0 "push (one PUT per blob)" -- env STRATA_PUSH_CHUNK_SIZE=0 "$STRATA" push "$reg/a/busybox:1"
contains "${layer_hex:0:12}: Pushed" "the layer uploaded"
digest=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]\{64\}\) size: [0-9]*$/\1/p' "$work/out")
check "the manifest digest printed" -- test -n "$digest"
check "no escape sequences in a pipe" -- test -z "$(grep -l "$(printf '\033')" "$work/out")"

# Cross-repository mount: a store that pulled a/busybox pushes the same layers to b/busybox.
second="$work/second"
expect 0 "pull a/busybox into a second store" -- env STRATA_ROOT="$second" "$STRATA" pull "$reg/a/busybox:1"
check "the pull recorded where the layer came from" -- \
  grep -qx "$reg/a/busybox" "$second/cache/sources/$layer_hex"
expect 0 "tag for b/busybox" -- env STRATA_ROOT="$second" "$STRATA" tag "$reg/a/busybox:1" "$reg/b/busybox:1"
expect 0 "push b/busybox" -- env STRATA_ROOT="$second" "$STRATA" push "$reg/b/busybox:1"
contains "${layer_hex:0:12}: Mounted from a/busybox" "docker's words for a mount"
contains "1: digest: $digest" "the same manifest"
check "the registry links the layer into b/busybox" -- \
  test -f "$repos/b/busybox/_layers/sha256/$layer_hex/link"
check "no upload session left in b/busybox" -- \
  test -z "$(ls -A "$repos/b/busybox/_uploads" 2>/dev/null)"
expect 0 "skopeo inspects the mounted image" -- skopeo inspect --tls-verify=false "docker://$reg/b/busybox:1"
contains "\"Digest\": \"$digest\"" "skopeo sees the same digest"
check "the push recorded the new repository too" -- \
  grep -qx "$reg/b/busybox" "$second/cache/sources/$layer_hex"
third="$work/third"
expect 0 "pull the mounted image into a third store" -- env STRATA_ROOT="$third" "$STRATA" pull "$reg/b/busybox:1"
expect 0 "its ID" -- env STRATA_ROOT="$third" "$STRATA" images -q --no-trunc
contains "$id" "the same image ID"

# A hint naming a repository that lacks the blob: the registry refuses the mount (202, an
# ordinary upload session) and the bytes are uploaded.
fourth="$work/fourth"
expect 0 "pull a/busybox into a fourth store" -- env STRATA_ROOT="$fourth" "$STRATA" pull "$reg/a/busybox:1"
printf '%s\n' "$reg/nosuch/repo" >"$fourth/cache/sources/$layer_hex"
expect 0 "tag for d/busybox" -- env STRATA_ROOT="$fourth" "$STRATA" tag "$reg/a/busybox:1" "$reg/d/busybox:1"
expect 0 "push with a stale mount hint" -- env STRATA_ROOT="$fourth" "$STRATA" push "$reg/d/busybox:1"
contains "${layer_hex:0:12}: Pushed" "uploaded after the refused mount"
expect 0 "skopeo reads d/busybox" -- skopeo inspect --tls-verify=false "docker://$reg/d/busybox:1"
contains "\"Digest\": \"$digest\"" "the same digest"

# On a terminal: docker's rows with a progress bar as the bytes go out (64 KiB chunks, so there
# are several updates). (In a pipe, above: status lines only.)
if command -v script >/dev/null; then
  rm -rf "$STRATA_ROOT/cache/sources"
  "$STRATA" tag busybox:latest "$reg/tty/busybox:1"
  expect 0 "push on a terminal (script)" -- \
    script -qec "env STRATA_PUSH_CHUNK_SIZE=64KiB $STRATA push $reg/tty/busybox:1" /dev/null
  contains "Pushing [" "a progress bar"
  contains "$(printf '\033[1A')" "rows redrawn in place"
  contains "${layer_hex:0:12}: Pushed" "the final status"
  contains "1: digest: $digest" "docker's last line"
fi

# Chunked uploads to the real registry: 64 KiB chunks (the mount hints the first push recorded
# are dropped, so the bytes are sent).
rm -rf "$STRATA_ROOT/cache/sources"
"$STRATA" tag busybox:latest "$reg/c/busybox:1"
expect 0 "push in 64 KiB chunks" -- env STRATA_PUSH_CHUNK_SIZE=64KiB "$STRATA" push "$reg/c/busybox:1"
contains "${layer_hex:0:12}: Pushed" "the layer uploaded in chunks"
contains "1: digest: $digest" "the same manifest digest"
expect 0 "skopeo reads the chunked upload's config" -- \
  skopeo inspect --tls-verify=false --config "docker://$reg/c/busybox:1"
contains '"diff_ids"' "config there"
fifth="$work/fifth"
expect 0 "pull the chunked image" -- env STRATA_ROOT="$fifth" "$STRATA" pull "$reg/c/busybox:1"
expect 0 "run it" -- env STRATA_ROOT="$fifth" "$STRATA" run --rm "$reg/c/busybox:1" echo chunked-ok
contains "chunked-ok" "the chunked image runs"
expect 1 "a bad chunk size" -- env STRATA_PUSH_CHUNK_SIZE=lots "$STRATA" push "$reg/c/busybox:1"
contains "lots" "the value named"

# A corrupt stored layer: the push stops before the registry holds the blob, in one PUT and in
# chunks.
bad="$work/bad"
cp -a "$STRATA_ROOT" "$bad"
chmod u+w "$bad/blobs/sha256/$layer_hex"
printf 'X' | dd of="$bad/blobs/sha256/$layer_hex" bs=1 seek=$((layer_size / 2)) conv=notrunc status=none
rm -rf "$bad/cache/sources"
for mode in 0 64kib; do
  env STRATA_ROOT="$bad" "$STRATA" tag busybox:latest "$reg/e$mode/busybox:1" >/dev/null
  expect 1 "push a corrupt layer (chunk size $mode)" -- \
    env STRATA_ROOT="$bad" STRATA_PUSH_CHUNK_SIZE=$mode "$STRATA" push "$reg/e$mode/busybox:1"
  contains "corrupt" "the corruption named"
  check "the registry lacks the corrupt blob ($mode)" -- test "$(curl -s -o /dev/null -w '%{http_code}' \
    -I "http://$reg/v2/e$mode/busybox/blobs/$layer_digest")" = 404
  check "no manifest pushed ($mode)" -- test "$(curl -s -o /dev/null -w '%{http_code}' \
    "http://$reg/v2/e$mode/busybox/manifests/1")" = 404
done

# A fake registry: every PATCH answered with a new Location, a minimum chunk length of 200000
# bytes, each request checked against the newest Location, the assembled bytes checked.
cat >"$work/fake.py" <<'EOF'
import hashlib, http.server, json, sys, threading
lock = threading.Lock()
uploads = {}      # session id -> bytearray
current = {}      # session id -> the only path accepted next
needs_token = set()  # sessions whose PATCHes need "Bearer t1" (a 401 first)
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, code, extra=()):
        self.send_response(code)
        for k, v in extra: self.send_header(k, v)
        self.send_header("Content-Length", "0"); self.end_headers()
    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)
    def do_GET(self):
        if self.path.startswith("/token"):
            body = b'{"token": "t1", "expires_in": 300}'
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body))); self.end_headers()
            return self.wfile.write(body)
        self.reply(200 if self.path == "/v2/" else 404)
    def do_HEAD(self):
        self.reply(404)
    def do_POST(self):
        log.write("POST %s\n" % self.path)
        if "mount=" in self.path and "/refuse/" in self.path:
            body = b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'
            self.send_response(403); self.send_header("Content-Length", str(len(body))); self.end_headers()
            return self.wfile.write(body)
        if "mount=" in self.path:
            return self.reply(201, [("Location", "/v2/x/blobs/mounted")])
        with lock:
            sid = str(len(uploads) + 1); uploads[sid] = bytearray()
            current[sid] = "/upload/%s/0" % sid
            if "/auth401/" in self.path: needs_token.add(sid)
        self.reply(202, [("Location", current[sid]), ("OCI-Chunk-Min-Length", "200000")])
    def do_PATCH(self):
        path = self.path.split("?")[0]; sid = path.split("/")[2]; data = self.body()
        log.write("PATCH %s %s %d\n" % (path, self.headers.get("Content-Range"), len(data)))
        if current.get(sid) != path: return self.reply(404)
        if sid in needs_token and self.headers.get("Authorization") != "Bearer t1":
            realm = 'Bearer realm="http://%s:%d/token",service="fake"' % self.server.server_address
            return self.reply(401, [("WWW-Authenticate", realm)])
        first, last = map(int, self.headers["Content-Range"].split("-"))
        if first != len(uploads[sid]) or last - first + 1 != len(data): return self.reply(416)
        uploads[sid] += data
        current[sid] = "/upload/%s/%d" % (sid, len(uploads[sid]))
        self.reply(202, [("Location", current[sid]), ("Range", "0-%d" % (len(uploads[sid]) - 1))])
    def do_PUT(self):
        path, _, query = self.path.partition("?"); data = self.body()
        if path.startswith("/v2/"):  # a manifest
            log.write("PUT manifest\n"); return self.reply(201)
        sid = path.split("/")[2]
        log.write("PUT %s %s %d\n" % (path, query, len(data)))
        if current.get(sid) != path: return self.reply(404)
        uploads[sid] += data
        ok = query == "digest=sha256%3A" + hashlib.sha256(uploads[sid]).hexdigest()
        self.reply(201 if ok else 400)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
(exec python3 "$work/fake.py" "$work/fake.port" "$work/fake.requests" >"$work/fake.log" 2>&1) &
fake_pid=$!
cleanup_hooks+=("kill $fake_pid; wait $fake_pid 2>/dev/null")
for i in $(seq 50); do [ -s "$work/fake.port" ] && break; sleep 0.1; done
fake="127.0.0.1:$(cat "$work/fake.port" 2>/dev/null)"
wait_for "http://$fake/v2/" || skip "the fake registry did not start: $(head -c 500 "$work/fake.log")"

rm -rf "$STRATA_ROOT/cache/sources"
"$STRATA" tag busybox:latest "$fake/moving/busybox:1"
expect 0 "push to a registry that moves the Location" -- \
  env STRATA_PUSH_CHUNK_SIZE=64KiB "$STRATA" push "$fake/moving/busybox:1"
patches=$(grep -c "^PATCH /upload/1/" "$work/fake.requests")
want=$(( (layer_size + 199999) / 200000 ))
check "chunks of the registry's minimum length ($patches PATCHes, want $want)" -- test "$patches" -eq "$want"
check "every PATCH at the newest Location" -- \
  test -z "$(awk '$1=="PATCH" && $2 ~ "^/upload/1/" { split($2,p,"/"); split($3,r,"-"); if (p[4] != r[1]) print }' "$work/fake.requests")"
check "the closing PUT at the newest Location with the digest" -- \
  grep -q "^PUT /upload/1/$layer_size digest=sha256%3A$layer_hex 0$" "$work/fake.requests"
check "the manifest last" -- test "$(tail -n 1 "$work/fake.requests")" = "PUT manifest"

# A token demanded in the middle of a chunked upload: the refused chunk is sent again with the
# token and counted once.
: >"$work/fake.requests"
rm -rf "$STRATA_ROOT/cache/sources"
"$STRATA" tag busybox:latest "$fake/auth401/busybox:1"
expect 0 "a chunked push that must authenticate half-way" -- \
  env STRATA_PUSH_CHUNK_SIZE=64KiB "$STRATA" push "$fake/auth401/busybox:1"
contains "${layer_hex:0:12}: Pushed" "uploaded after the 401"
check "the refused chunk was sent twice, the rest once" -- \
  test "$(grep -c "^PATCH " "$work/fake.requests")" -eq "$((want + 1))"
check "the closing PUT has the whole blob" -- \
  grep -q "^PUT /upload/[0-9]*/$layer_size digest=sha256%3A$layer_hex 0$" "$work/fake.requests"

# A mount the registry refuses (403, no pull right on the source): the bytes are uploaded.
: >"$work/fake.requests"
refused="$work/refused"
cp -a "$STRATA_ROOT" "$refused"
rm -rf "$refused/cache/sources"; mkdir -p "$refused/cache/sources"
printf '%s\n' "$fake/private/busybox" >"$refused/cache/sources/$layer_hex"
env STRATA_ROOT="$refused" "$STRATA" tag busybox:latest "$fake/refuse/busybox:1" >/dev/null
expect 0 "push where the mount is refused" -- env STRATA_ROOT="$refused" "$STRATA" push "$fake/refuse/busybox:1"
contains "${layer_hex:0:12}: Pushed" "uploaded instead"
check "the mount was asked first" -- \
  grep -q "^POST /v2/refuse/busybox/blobs/uploads/?mount=sha256%3A$layer_hex&from=private/busybox$" "$work/fake.requests"
check "then a plain upload" -- grep -q "^POST /v2/refuse/busybox/blobs/uploads/$" "$work/fake.requests"

# A POST with ?mount= answered 201: nothing uploaded.
: >"$work/fake.requests"
sixth="$work/sixth"
cp -a "$STRATA_ROOT" "$sixth"
rm -rf "$sixth/cache/sources"; mkdir -p "$sixth/cache/sources"
printf '%s\n' "$fake/elsewhere/busybox" >"$sixth/cache/sources/$layer_hex"
env STRATA_ROOT="$sixth" "$STRATA" tag busybox:latest "$fake/moving/busybox:2" >/dev/null
expect 0 "push where the registry mounts" -- env STRATA_ROOT="$sixth" "$STRATA" push "$fake/moving/busybox:2"
contains "${layer_hex:0:12}: Mounted from elsewhere/busybox" "the mount reported"
check "the mount asked with the digest and the source" -- \
  grep -q "^POST /v2/moving/busybox/blobs/uploads/?mount=sha256%3A$layer_hex&from=elsewhere/busybox$" "$work/fake.requests"
check "no layer bytes sent" -- test -z "$(grep "^PATCH" "$work/fake.requests")"

finish
