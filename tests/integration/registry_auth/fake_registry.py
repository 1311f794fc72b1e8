# A fake token-auth registry for what a real one cannot be made to do on demand
# (registry_auth_test.sh). Serves one tiny image under every repository; its own /token realm
# issues opaque tokens (Basic credentials carol/pw required when sent) and records everything.
# Usage: fake_registry.py PORTFILE LOG [SIDE_PORTFILE SIDE_LOG]
# Repositories:
#   slow/x      tokens live 1 s (expires_in=1); the manifest takes 1.5 s, so the next request
#               needs a new token; an expired token reaching the registry is logged "EXPIRED-USED"
#   revoke/x    tokens claim 300 s but each is accepted once: every later request gets a 401
#               with the cached token and must re-authenticate (once)
#   never/x     always 401 (even with a fresh token): the client must not loop
#   POST /token an OAuth2 refresh-token grant: identity token "rt-carol" only
#   redirect/x  blobs redirect to http://localhost:<side>/data/<digest>; the side server logs
#               the headers it got (no Authorization may arrive there)
#   deny/x      blobs redirect to http://localhost:<side>/deny/<digest>, where the side server
#               answers 401 with its own Bearer challenge (realm http://localhost:<side>/token):
#               the client must not answer it (no credentials, no token request there)
#   proxied/x   blobs redirect to http://side.test:<side>/data/<digest>: a name only the
#               recording proxy (proxy.py) resolves
#   offsite/x   push: uploads open at http://localhost:<side>/upload/<n> (POST answers 202 with
#               that Location); the side server logs the headers of the PUT
#   up/<name>   push: HEAD of a blob 404; POST ?mount= answers 201 (mounted), a plain POST 202
#               with a Location on this host; every PUT 201
#   anon/x      anonymous pulls: the first anonymous token lives 1 s, every later anonymous token
#               request is refused (401, logged "REFUSED-ANON"); the manifest takes 1.5 s; blobs
#               are served to requests without Authorization
import base64, gzip, hashlib, http.server, io, json, os, sys, tarfile, threading, time, urllib.parse

port_file, log_file = sys.argv[1:3]
side_port_file = sys.argv[3] if len(sys.argv) > 3 else None
side_log = sys.argv[4] if len(sys.argv) > 4 else None
lock = threading.Lock()

def log(line):
    with lock, open(log_file, "a") as f:
        f.write(line + "\n")

def layer():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("hello.txt"); data = b"hello from the auth fake\n"
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
blobs = {sha(config): config, sha(gz): gz}
tokens = {}  # token -> {"expires": t, "uses": n, "repo": r}
counter = [0]
anon_issued = [False]
side_port = [0]

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/octet-stream", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def challenge(self, repo):
        realm = f"http://{self.headers['Host']}/token"
        scope = f"repository:{repo}:pull" if repo else ""
        value = f'Bearer realm="{realm}",service="fake",scope="{scope}"'
        body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self.send(401, body, "application/json", [("WWW-Authenticate", value)])

    def do_POST(self):
        if self.path.startswith("/v2/"):
            return self.registry_post()
        # OAuth2 refresh-token grant (an identity token): only "rt-carol" is valid.
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        if form.get("grant_type") != ["refresh_token"] or form.get("refresh_token") != ["rt-carol"]:
            log(f"REFUSED-REFRESH {form}")
            return self.send(401, b'{"details":"invalid refresh token"}', "application/json")
        self.issue(form.get("scope", []), "refresh:carol")

    def issue(self, scopes=None, who="-"):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        auth = self.headers.get("Authorization", "")
        if scopes is None and auth.startswith("Basic "):
            who = base64.b64decode(auth[6:]).decode()
            if who != "carol:pw":
                return self.send(401, b'{"details":"incorrect username or password"}', "application/json")
        if scopes is None:
            scopes = query.get("scope", [])
        repo = scopes[0].split(":")[1] if scopes else ""
        if repo.startswith("anon") and who == "-":
            with lock:
                refuse = anon_issued[0]
                anon_issued[0] = True
            if refuse:
                log(f"REFUSED-ANON scopes={' '.join(scopes)}")
                return self.send(401, b'{"details":"anonymous tokens are rationed"}', "application/json")
        with lock:
            counter[0] += 1
            token = f"tok-{counter[0]}"
            lifetime = 1 if repo.startswith(("slow", "anon")) else 300
            tokens[token] = {"expires": time.time() + lifetime, "uses": 0}
        log(f"TOKEN {token} who={who} scopes={' '.join(scopes)}")
        self.send(200, json.dumps({"token": token, "expires_in": lifetime}).encode(), "application/json")

    def authorised(self, repo):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            log(f"NOAUTH {self.command} {self.path}")
            return False
        token = auth[7:]
        with lock:
            state = tokens.get(token)
            if state is None:
                return False
            state["uses"] += 1
            uses = state["uses"]
            expired = time.time() > state["expires"]
        if expired:
            log(f"EXPIRED-USED {token} {self.path}")
            return False
        if repo.startswith("never"):
            return False
        if repo.startswith("revoke") and uses > 1:
            log(f"REVOKED {token} {self.path}")
            return False
        log(f"OK {token} {self.command} {self.path}")
        return True

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if self.path.startswith("/token"):
            return self.issue(None)
        parts = self.path.split("/")
        if self.path == "/v2/":
            return self.send(200, b"{}", "application/json") if self.authorised("") else self.challenge("")
        repo = "/".join(parts[2:-2])
        kind, ref = parts[-2], parts[-1]
        if repo.startswith("anon") and kind == "blobs" and "Authorization" not in self.headers:
            log(f"ANON {self.command} {self.path}")
            return self.send(200, blobs[ref])
        if not self.authorised(repo):
            return self.challenge(repo)
        if kind == "manifests":
            if repo.startswith(("slow", "anon")):
                time.sleep(1.5)
            return self.send(200, manifest, "application/vnd.oci.image.manifest.v1+json")
        if repo.startswith(("offsite", "up/")) and self.command == "HEAD":
            return self.send(404)
        side = f"localhost:{side_port[0]}"
        if repo.startswith("redirect"):
            return self.send(307, extra=[("Location", f"http://{side}/data/{ref}")])
        if repo.startswith("deny"):
            return self.send(307, extra=[("Location", f"http://{side}/deny/{ref}")])
        if repo.startswith("proxied"):
            return self.send(307, extra=[("Location", f"http://side.test:{side_port[0]}/data/{ref}")])
        self.send(200, blobs[ref])

    def registry_post(self):
        # POST /v2/<repo>/blobs/uploads/[?mount=...]: offsite/x and up/<name> only.
        url = urllib.parse.urlparse(self.path)
        repo = "/".join(url.path.split("/")[2:-3])
        if not self.authorised(repo):
            return self.challenge(repo)
        with lock:
            counter[0] += 1
            n = counter[0]
        if repo.startswith("offsite"):
            return self.send(202, extra=[("Location", f"http://localhost:{side_port[0]}/upload/{n}")])
        if "mount=" in url.query:
            log(f"MOUNT {self.path}")
            return self.send(201, extra=[("Location", f"/v2/{repo}/blobs/mounted")])
        self.send(202, extra=[("Location", f"/v2/{repo}/blobs/uploads/{n}")])

    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        url = urllib.parse.urlparse(self.path)
        parts = url.path.split("/")
        repo = "/".join(parts[2:-2]) if parts[-2] == "manifests" else "/".join(parts[2:-3])
        if not self.authorised(repo):
            return self.challenge(repo)
        log(f"PUT {self.path}")
        self.send(201)

class Side(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def record(self):
        with lock, open(side_log, "a") as f:
            f.write(f"{self.command} {self.path}\n")
            for k, v in self.headers.items():
                f.write(f"  {k}: {v}\n")

    def do_GET(self):
        self.record()
        if self.path.startswith("/deny/"):
            value = f'Bearer realm="http://localhost:{side_port[0]}/token",service="side"'
            body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
            self.send_response(401)
            self.send_header("WWW-Authenticate", value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        if self.path.startswith("/token"):
            body = b'{"token":"side-token"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return self.wfile.write(body)
        body = blobs.get(self.path.split("/")[-1], b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        self.record()
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PATCH = do_PUT

def publish(path, port):
    open(path + ".tmp", "w").write(str(port))
    os.rename(path + ".tmp", path)

if side_port_file:
    side = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Side)
    side_port[0] = side.server_address[1]
    threading.Thread(target=side.serve_forever, daemon=True).start()
    publish(side_port_file, side_port[0])
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
publish(port_file, s.server_address[1])
s.serve_forever()
