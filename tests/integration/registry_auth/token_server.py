# A token server for CNCF distribution's token auth (registry_auth_test.sh): checks Basic
# credentials, issues RS256 JWTs carrying the signing certificate in `x5c` (what distribution 2.8
# verifies against its rootcertbundle), grants only what each user may do, records every request.
# Usage: token_server.py PORTFILE KEY.pem CERT.pem LOG
#   users: alice/secret may pull and push everywhere; bob/builder may pull everything;
#   anonymous may pull public/*. Wrong credentials: 401 {"details": ...} like Docker Hub.
import base64, http.server, json, sys, time, urllib.parse, uuid
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

port_file, key_file, cert_file, log_file = sys.argv[1:5]
key = serialization.load_pem_private_key(open(key_file, "rb").read(), password=None)
cert = x509.load_pem_x509_certificate(open(cert_file, "rb").read())
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
USERS = {"alice": "secret", "bob": "builder"}

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def granted(user, repo, wanted):
    if user == "alice":
        allowed = {"pull", "push"}
    elif user == "bob":
        allowed = {"pull"}
    else:
        allowed = {"pull"} if repo.startswith("public/") else set()
    return [a for a in wanted if a in allowed]

def jwt(user, service, access, lifetime):
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
    claims = {"iss": "strata-test-issuer", "sub": user or "", "aud": service, "exp": now + lifetime,
              "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(signature)

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            name, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if USERS.get(name) != password:
                with open(log_file, "a") as log:
                    log.write(f"REFUSED user={name}\n")
                return self.reply(401, {"details": "incorrect username or password"})
            user = name
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            repo, _, actions = rest.rpartition(":")
            if kind == "repository":
                access.append({"type": "repository", "name": repo,
                               "actions": granted(user, repo, actions.split(","))})
        with open(log_file, "a") as log:
            log.write(f"TOKEN user={user or '-'} service={query.get('service', [''])[0]} "
                      f"account={query.get('account', [''])[0]} "
                      f"scopes={' '.join(query.get('scope', []))}\n")
        token = jwt(user, query.get("service", [""])[0], access, 300)
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
open(port_file + ".tmp", "w").write(str(server.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
server.serve_forever()
