#!/usr/bin/env bash
# `strata push` and `strata pull` against a real registry on loopback (CNCF distribution, Debian's
# docker-registry, with a private config: PEERS.md "A real registry"), cross-checked with skopeo;
# then a tiny fake registry (python3) for what a real one never does: a layer that does not match
# its digest, 503s to retry, redirects. Skips (77) when a tool is missing.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/registry_lib.sh"
start_registry

id=$(import_busybox busybox:latest) || skip "cannot import busybox"
"$STRATA" tag busybox:latest "$reg/strata/busybox:1"

# push: blobs, then the manifest's stored bytes; a second push finds every blob there.
expect 0 "push" -- "$STRATA" push "$reg/strata/busybox:1"
contains "The push refers to repository [$reg/strata/busybox]" "docker's first line"
contains ": Pushed" "the layer uploaded"
digest=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]\{64\}\) size: [0-9]*$/\1/p' "$work/out")
check "push prints the manifest digest" -- test -n "$digest"
expect 0 "push again" -- "$STRATA" push "$reg/strata/busybox:1"
contains ": Layer already exists" "blobs not uploaded twice"
contains "1: digest: $digest" "same digest"
expect 0 "skopeo inspects the pushed image" -- \
  skopeo inspect --tls-verify=false "docker://$reg/strata/busybox:1"
contains "\"Digest\": \"$digest\"" "skopeo sees the same manifest digest"
expect 0 "skopeo reads the pushed config" -- \
  skopeo inspect --tls-verify=false --config "docker://$reg/strata/busybox:1"
contains '"diff_ids"' "the config blob is there"
expect 1 "push an image that is not stored" -- "$STRATA" push "$reg/strata/none:1"
contains "An image does not exist locally with the tag: $reg/strata/none" "docker's message"

# pull into a second store: same image ID, and it runs.
second="$work/second"
expect 0 "pull" -- env STRATA_ROOT="$second" "$STRATA" pull "$reg/strata/busybox:1"
contains "1: Pulling from strata/busybox" "docker's first line"
contains "Digest: $digest" "the digest"
contains "Status: Downloaded newer image for $reg/strata/busybox:1" "docker's status"
check "no escape sequences in a pipe" -- test -z "$(grep -l "$(printf '\033')" "$work/out")"
expect 0 "pulled image listed" -- env STRATA_ROOT="$second" "$STRATA" images -q --no-trunc
contains "$id" "same image ID after push and pull"
expect 0 "run the pulled image" -- env STRATA_ROOT="$second" "$STRATA" run --rm "$reg/strata/busybox:1" echo pulled-ok
contains "pulled-ok" "the pulled image runs"
expect 0 "pull again" -- env STRATA_ROOT="$second" "$STRATA" pull "$reg/strata/busybox:1"
contains "Status: Image is up to date for $reg/strata/busybox:1" "nothing new"
contains ": Already exists" "layers not downloaded twice"
expect 0 "pull by digest" -- env STRATA_ROOT="$second" "$STRATA" pull "$reg/strata/busybox@$digest"
contains "$reg/strata/busybox@$digest" "the digest reference"
expect 0 "system check after pulls" -- env STRATA_ROOT="$second" "$STRATA" system check

# On a terminal: one row per layer, redrawn in place with docker's progress bar; the config has
# no row. In a pipe (above): status lines only, no escape sequences.
if command -v script >/dev/null; then
  tty_store="$work/tty"
  expect 0 "pull on a terminal (script)" -- \
    env STRATA_ROOT="$tty_store" script -qec "$STRATA pull $reg/strata/busybox:1" /dev/null
  contains "Downloading [" "a progress bar"
  contains "$(printf '\033[1A')" "rows redrawn in place"
  contains "Pull complete" "the final status"
  check "the config has no row" -- test -z "$(grep -a "${id:7:12}: Downloading" "$work/out")"
  contains "Status: Downloaded newer image for $reg/strata/busybox:1" "docker's status line"
fi

# Images skopeo pushed: OCI as is, and converted to Docker's schema 2.
expect 0 "skopeo copy to the registry (OCI)" -- skopeo copy --dest-tls-verify=false \
  oci:"$STRATA_ROOT":busybox:latest "docker://$reg/other/oci:1"
expect 0 "skopeo copy to the registry (Docker schema 2)" -- skopeo copy --dest-tls-verify=false \
  --format v2s2 oci:"$STRATA_ROOT":busybox:latest "docker://$reg/other/v2s2:1"
third="$work/third"
expect 0 "pull skopeo's OCI image" -- env STRATA_ROOT="$third" "$STRATA" pull "$reg/other/oci:1"
expect 0 "pull skopeo's schema 2 image" -- env STRATA_ROOT="$third" "$STRATA" pull -q "$reg/other/v2s2:1"
contains "$reg/other/v2s2:1" "quiet pull prints the reference"
expect 0 "both listed" -- env STRATA_ROOT="$third" "$STRATA" images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
contains "$reg/other/oci:1 ${id:7:12}" "OCI copy keeps the image ID"
contains "$reg/other/v2s2:1" "schema 2 image registered"
expect 0 "run the schema 2 image" -- env STRATA_ROOT="$third" "$STRATA" run --rm "$reg/other/v2s2:1" echo v2s2-ok
contains "v2s2-ok" "the schema 2 image runs"

# An index: linux/amd64 chosen; --platform picks another entry.
v2s2=$(skopeo inspect --tls-verify=false --raw "docker://$reg/other/v2s2:1")
v2s2_digest="sha256:$(printf '%s' "$v2s2" | sha256sum | cut -d' ' -f1)"
skopeo copy -q --dest-tls-verify=false "docker://$reg/other/v2s2:1" "docker://$reg/strata/busybox:v2s2" \
  --src-tls-verify=false
oci_size=$(skopeo inspect --tls-verify=false --raw "docker://$reg/strata/busybox:1" | wc -c)
cat >"$work/index.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"$v2s2_digest","size":${#v2s2},"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$digest","size":$oci_size,"platform":{"architecture":"amd64","os":"linux"}}]}
EOF
expect 0 "PUT an index" -- curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
  --data-binary @"$work/index.json" "http://$reg/v2/strata/busybox/manifests/multi"
fourth="$work/fourth"
expect 0 "pull an index" -- env STRATA_ROOT="$fourth" "$STRATA" pull "$reg/strata/busybox:multi"
contains "Digest: sha256:$(sha256sum <"$work/index.json" | cut -d' ' -f1)" "the index's digest shown"
expect 0 "the amd64 image chosen" -- env STRATA_ROOT="$fourth" "$STRATA" images -q --no-trunc
contains "$id" "linux/amd64 entry registered"
expect 0 "pull another platform" -- env STRATA_ROOT="$fourth" "$STRATA" pull --platform linux/arm64 "$reg/strata/busybox:multi"
contains "Status: Downloaded newer image" "the arm64 entry differs"
expect 1 "no matching platform" -- env STRATA_ROOT="$fourth" "$STRATA" pull --platform linux/s390x "$reg/strata/busybox:multi"
contains "no matching manifest for linux/s390x" "clear message"

# Failures store nothing.
empty="$work/empty"
expect 1 "pull a missing tag" -- env STRATA_ROOT="$empty" "$STRATA" pull "$reg/strata/busybox:nope"
contains "manifest for $reg/strata/busybox:nope not found: manifest unknown" "registry's error named"
expect 1 "pull a missing repository" -- env STRATA_ROOT="$empty" "$STRATA" pull "$reg/nosuch/repo:1"
contains "$reg/nosuch/repo:1" "reference named"
expect 1 "pull an unknown digest" -- env STRATA_ROOT="$empty" "$STRATA" pull "$reg/strata/busybox@sha256:$(printf '%064d' 0)"
contains "not found" "unknown digest"
expect 1 "pull from nothing listening" -- env STRATA_ROOT="$empty" "$STRATA" pull "127.0.0.1:$(free_port)/x:1"
contains "Couldn't connect" "transport error"
expect 0 "nothing stored" -- env STRATA_ROOT="$empty" "$STRATA" images -q
check "no image after failed pulls" -- test ! -s "$work/out"

# A fake registry: a layer whose bytes do not match their digest, 503s, redirects.
cat >"$work/fake.py" <<'EOF'
import gzip, hashlib, http.server, io, json, sys, tarfile
def layer():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("hello.txt"); data = b"hello from the fake registry\n"
        info.size = len(data); info.mtime = 0; t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, mtime=0)
raw, gz = layer()
sha = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/hello.txt"]},
                     "rootfs": {"type": "layers", "diff_ids": [sha(raw)]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(gz), "size": len(gz)}]}).encode()
bad = bytearray(gz); bad[len(bad) // 2] ^= 0xff
blobs = {sha(config): config, sha(gz): gz}
failures = {}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body=b"", ctype="application/octet-stream", extra=()):
        self.send_response(code); self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers(); self.wfile.write(body)
    def do_GET(self):
        parts = self.path.split("/")  # /v2/<repo>/<kind>/<ref>  or /data/<digest>
        if self.path == "/v2/": return self.send(200, b"{}", "application/json")
        if parts[1] == "data": return self.send(200, blobs[parts[2]])
        repo, kind, ref = parts[2], parts[3], parts[4]
        if kind == "manifests":
            return self.send(200, manifest, "application/vnd.oci.image.manifest.v1+json")
        if repo == "flaky" and failures.get(ref, 0) < 2:
            failures[ref] = failures.get(ref, 0) + 1
            return self.send(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}', "application/json")
        if repo == "redirect": return self.send(307, extra=[("Location", "/data/" + ref)])
        if repo == "corrupt" and ref == sha(gz): return self.send(200, bytes(bad))
        if repo == "long" and ref == sha(gz): return self.send(200, gz + b"x")
        self.send(200, blobs[ref])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
(exec python3 "$work/fake.py" "$work/fake.port" >"$work/fake.log" 2>&1) &
fake_pid=$!
cleanup_hooks+=("kill $fake_pid; wait $fake_pid 2>/dev/null")
for i in $(seq 50); do [ -s "$work/fake.port" ] && break; sleep 0.1; done
fake="127.0.0.1:$(cat "$work/fake.port" 2>/dev/null)"
wait_for "http://$fake/v2/" || skip "the fake registry did not start: $(head -c 500 "$work/fake.log")"

bad="$work/bad"
expect 1 "a corrupt layer is rejected" -- env STRATA_ROOT="$bad" "$STRATA" pull "$fake/corrupt:1"
contains "sha256:" "the digest named"
expect 1 "a layer longer than its descriptor is rejected" -- env STRATA_ROOT="$bad" "$STRATA" pull "$fake/long:1"
contains "larger than" "size cap"
expect 0 "images after the corrupt pulls" -- env STRATA_ROOT="$bad" "$STRATA" images -q
check "no image from a corrupt registry" -- test ! -s "$work/out"
check "no blob left from a corrupt registry" -- test -z "$(ls -A "$bad/blobs/sha256")"
expect 0 "system check after the corrupt pulls" -- env STRATA_ROOT="$bad" "$STRATA" system check
expect 0 "503s are retried" -- env STRATA_ROOT="$bad" "$STRATA" pull "$fake/flaky:1"
expect 0 "redirects are followed" -- env STRATA_ROOT="$bad" "$STRATA" pull "$fake/redirect:1"
expect 0 "both listed" -- env STRATA_ROOT="$bad" "$STRATA" images --format '{{.Repository}}'
contains "$fake/flaky" "flaky pull registered"
contains "$fake/redirect" "redirected pull registered"

finish

