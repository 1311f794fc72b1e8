#!/usr/bin/env bash
# Registry authentication: `strata login`/`logout`, Docker's config.json and credential helpers,
# token auth against a real registry (Debian's docker-registry with `auth: token`, a Python token
# server issuing RS256 JWTs), Basic auth (a second docker-registry with htpasswd), token renewal,
# credentials never following a redirect to another host, skopeo reading what strata pushed with
# the same credentials, credentials only for the registry's own origin (not a redirect target
# that challenges, not an upload Location on another host), and proxies from the environment
# (never for loopback). Skips (77) when a tool is missing.
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")/registry_auth" && pwd)
py=/usr/bin/python3

[ -x /usr/bin/docker-registry ] || skip "docker-registry is not installed (scripts/install-deps.sh)"
[ -x "$py" ] || skip "/usr/bin/python3 is missing"
"$py" -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is not installed (scripts/install-deps.sh)"
for tool in skopeo curl openssl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh)"
done

export DOCKER_CONFIG="$work/docker"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy NO_PROXY no_proxy

free_port() {
  "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for() { # URL: polls until the server answers anything (5 s at most)
  local i
  for i in $(seq 50); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}
wait_file() { # FILE: waits for a port file
  local i
  for i in $(seq 50); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}
start() { # NAME COMMAND...: runs COMMAND in the background, killed at exit
  local name=$1; shift
  ("$@" >"$work/$name.out" 2>&1) &
  local pid=$!
  cleanup_hooks+=("kill $pid; wait $pid 2>/dev/null")
}
fresh() { echo "$work/store-$1"; }
config() { cat "$DOCKER_CONFIG/config.json" 2>/dev/null; }

# --- The token server and a token-auth registry ---------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/token.key" -out "$work/token.pem" \
  -days 1 -subj /CN=strata-test-token >/dev/null 2>&1 || skip "openssl cannot make a certificate"
start token "$py" "$here/token_server.py" "$work/token.port" "$work/token.key" "$work/token.pem" "$work/token.log"
wait_file "$work/token.port" || skip "the token server did not start: $(head -c 500 "$work/token.out")"
token_url="http://127.0.0.1:$(cat "$work/token.port")/token"

reg="127.0.0.1:$(free_port)"
cat >"$work/reg.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/regdata}, delete: {enabled: true}}
http: {addr: $reg}
auth:
  token: {realm: "$token_url", service: strata-test, issuer: strata-test-issuer, rootcertbundle: $work/token.pem}
EOF
start reg /usr/bin/docker-registry serve "$work/reg.yml"
wait_for "http://$reg/v2/" || skip "docker-registry did not start: $(head -c 500 "$work/reg.out")"

id=$(import_busybox busybox:latest) || skip "cannot import busybox"
"$STRATA" tag busybox:latest "$reg/alice/busybox:1"
"$STRATA" tag busybox:latest "$reg/public/busybox:1"

# No credentials: a push is refused in docker's words, with a hint to log in.
expect 1 "push without credentials" -- "$STRATA" push "$reg/alice/busybox:1"
contains "unauthorized: authentication required" "docker's words"
contains "strata login $reg" "hint to log in"
check "nothing written to config.json" -- test ! -e "$DOCKER_CONFIG/config.json"

# Wrong password: refused, nothing saved.
expect 1 "login with a wrong password" -- "$STRATA" login -u alice -p wrong "$reg"
contains "WARNING! Using --password via the CLI is insecure. Use --password-stdin." "-p warning"
contains "Error response from daemon: Get \"http://$reg/v2/\": unauthorized: incorrect username or password" "docker's login error"
check "nothing saved after a failed login" -- test ! -e "$DOCKER_CONFIG/config.json"
check "the token server saw the wrong password" -- grep -q "REFUSED user=alice" "$work/token.log"

# Flag rules.
expect 1 "--password-stdin needs -u" -- "$STRATA" login --password-stdin "$reg"
contains "Must provide --username with --password-stdin" "docker's message"
expect 1 "no terminal, no user" -- "$STRATA" login "$reg" </dev/null
contains "Cannot perform an interactive login from a non TTY device" "docker's message"

# Login (password on stdin), then a push with the stored credentials.
mkdir -p "$DOCKER_CONFIG"
echo '{"experimental":"enabled","auths":{"other.example":{"auth":"eDp5"}}}' >"$DOCKER_CONFIG/config.json"
expect 0 "login" -- sh -c "printf 'secret\n' | '$STRATA' login -u alice --password-stdin '$reg'"
contains "Login Succeeded" "docker's message"
check "the login asked for a token as alice" -- grep -q "TOKEN user=alice service=strata-test account=alice" "$work/token.log"
check "config.json is 0600" -- test "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600
check "credentials stored base64 in auths" -- grep -q "\"$(printf 'alice:secret' | base64)\"" "$DOCKER_CONFIG/config.json"
check "unknown keys kept" -- grep -q '"experimental": "enabled"' "$DOCKER_CONFIG/config.json"
check "other registries kept" -- grep -q '"other.example"' "$DOCKER_CONFIG/config.json"
# --password-stdin strips one "\n", then one "\r", as docker does: the rest is the password.
expect 1 "a password followed by a blank line is not the password" -- \
  sh -c "printf 'secret\n\n' | '$STRATA' login -u alice --password-stdin '$reg'"
contains "unauthorized: incorrect username or password" "the token server refused it"
expect 0 "a CRLF-terminated password on stdin" -- \
  sh -c "printf 'secret\r\n' | '$STRATA' login -u alice --password-stdin '$reg'"
check "still alice:secret" -- grep -q "\"$(printf 'alice:secret' | base64)\"" "$DOCKER_CONFIG/config.json"
expect 0 "push with the stored credentials" -- "$STRATA" push "$reg/alice/busybox:1"
contains ": Pushed" "layers uploaded"
digest=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]\{64\}\) size: [0-9]*$/\1/p' "$work/out")
check "the push asked for pull,push" -- grep -q "scopes=repository:alice/busybox:pull,push" "$work/token.log"

# Pull in a fresh store with the credentials; skopeo reads it with the same credentials.
expect 0 "pull with credentials" -- env STRATA_ROOT="$(fresh a)" "$STRATA" pull "$reg/alice/busybox:1"
contains "Digest: $digest" "same digest"
expect 0 "pulled image listed" -- env STRATA_ROOT="$(fresh a)" "$STRATA" images -q --no-trunc
contains "$id" "same image ID"
expect 0 "skopeo --creds reads what strata pushed" -- \
  skopeo inspect --tls-verify=false --creds alice:secret "docker://$reg/alice/busybox:1"
contains "\"Digest\": \"$digest\"" "skopeo sees the same digest"
expect 0 "skopeo pushes with --dest-creds" -- skopeo copy -q --src-tls-verify=false \
  --dest-tls-verify=false --src-creds alice:secret --dest-creds alice:secret \
  "docker://$reg/alice/busybox:1" "docker://$reg/public/busybox:1"

# Anonymous pull of a public repository: the token server grants anonymous pull on public/*.
expect 0 "anonymous pull of a public repository" -- env DOCKER_CONFIG="$work/nobody" \
  STRATA_ROOT="$(fresh b)" "$STRATA" pull "$reg/public/busybox:1"
check "an anonymous token was asked for" -- grep -q "TOKEN user=- service=strata-test account= scopes=repository:public/busybox:pull" "$work/token.log"
expect 1 "anonymous pull of a private repository" -- env DOCKER_CONFIG="$work/nobody" \
  STRATA_ROOT="$(fresh c)" "$STRATA" pull "$reg/alice/busybox:1"
contains "strata login $reg" "hint to log in"
expect 0 "nothing stored by the refused pull" -- env STRATA_ROOT="$(fresh c)" "$STRATA" images -q
check "no image after the refused pull" -- test ! -s "$work/out"

# A user who may only pull: the push is refused, the registry unchanged.
expect 0 "login as bob" -- "$STRATA" login -u bob -p builder "$reg"
"$STRATA" tag busybox:latest "$reg/alice/busybox:bob"
expect 1 "push without push rights" -- "$STRATA" push "$reg/alice/busybox:bob"
contains "$reg/alice/busybox" "the reference named"
expect 1 "the tag was not created" -- skopeo inspect --tls-verify=false --creds alice:secret "docker://$reg/alice/busybox:bob"

# Prompts on a terminal (script(1) gives the command a pty): the password is not echoed.
if command -v script >/dev/null; then
  expect 0 "login with prompts" -- sh -c "(sleep 1; printf 'alice\n'; sleep 1; printf 'secret\n'; sleep 2) | script -qec '$STRATA login $reg' /dev/null"
  contains "Username: " "user name prompt"
  contains "Password: " "password prompt"
  contains "Login Succeeded" "logged in"
  contains "alice" "the user name echoed (the control for the next check)"
  check "the password was not echoed" -- sh -c "! grep -q secret '$work/out'"
fi

# Logout.
expect 0 "logout" -- "$STRATA" logout "$reg"
contains "Removing login credentials for $reg" "docker's message"
check "credentials gone" -- sh -c "! grep -q '\"$reg\"' '$DOCKER_CONFIG/config.json'"
check "unknown keys still kept" -- grep -q '"experimental"' "$DOCKER_CONFIG/config.json"
expect 0 "logout again" -- "$STRATA" logout "$reg"
contains "Not logged in to $reg" "docker's message"
expect 1 "push after logout" -- "$STRATA" push "$reg/alice/busybox:1"
contains "strata login $reg" "hint to log in"

# Keys written by other tools: a scheme and a path still name the registry.
printf '{"auths":{"http://%s/v1/":{"auth":"%s"}}}' "$reg" "$(printf alice:secret | base64)" >"$DOCKER_CONFIG/config.json"
expect 0 "credentials under an http:// key with a path" -- env STRATA_ROOT="$(fresh d)" "$STRATA" pull -q "$reg/alice/busybox:1"
expect 0 "logout removes that key" -- "$STRATA" logout "$reg"
check "the prefixed key is gone" -- sh -c "! grep -q '$reg' '$DOCKER_CONFIG/config.json'"

# --- Credential helpers ----------------------------------------------------------------------
helpers="$work/helpers"
mkdir -p "$helpers" "$work/creddb"
cat >"$helpers/docker-credential-test" <<'EOF'
#!/bin/sh
# A fake credential helper: one file per server URL in $CRED_DB.
db=${CRED_DB:?}
input=$(cat)
echo "$1 $input" >>"$db/calls"
case "$1" in
  get)
    f="$db/$(printf %s "$input" | tr -c 'A-Za-z0-9.' _)"
    if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi ;;
  store)
    url=$(printf %s "$input" | sed -n 's/.*"ServerURL":"\([^"]*\)".*/\1/p')
    printf %s "$input" >"$db/$(printf %s "$url" | tr -c 'A-Za-z0-9.' _)" ;;
  erase)
    rm -f "$db/$(printf %s "$input" | tr -c 'A-Za-z0-9.' _)" ;;
  *) echo "unknown action" >&2; exit 2 ;;
esac
EOF
cat >"$helpers/docker-credential-broken" <<'EOF'
#!/bin/sh
cat >/dev/null
echo "the keyring is locked" >&2
exit 3
EOF
chmod +x "$helpers"/docker-credential-*
export CRED_DB="$work/creddb"
hpath="$helpers:$PATH"
key_file="$CRED_DB/$(printf %s "$reg" | tr -c 'A-Za-z0-9.' _)"

echo '{"credsStore":"test","keep":1}' >"$DOCKER_CONFIG/config.json"
expect 0 "login through credsStore" -- env PATH="$hpath" "$STRATA" login -u alice -p secret "$reg"
contains "Login Succeeded" "logged in"
check "the helper stored them" -- grep -q '"Username":"alice"' "$key_file"
check "the helper got the server key" -- grep -q "\"ServerURL\":\"$reg\"" "$key_file"
check "no password in config.json" -- sh -c "! grep -q auth\\\" '$DOCKER_CONFIG/config.json'"
check "an empty auths entry marks the login" -- grep -q "\"$reg\": {}" "$DOCKER_CONFIG/config.json"
expect 0 "push with the helper's credentials" -- env PATH="$hpath" "$STRATA" push "$reg/alice/busybox:1"
check "the helper was asked" -- grep -q "^get $reg" "$CRED_DB/calls"
expect 1 "the helper missing from PATH" -- "$STRATA" push "$reg/alice/busybox:1"
contains "docker-credential-test: executable file not found in \$PATH" "clear error"
expect 0 "logout through the helper" -- env PATH="$hpath" "$STRATA" logout "$reg"
contains "Removing login credentials for $reg" "docker's message"
check "the helper erased them" -- test ! -e "$key_file"
check "other keys kept" -- grep -q '"keep": 1' "$DOCKER_CONFIG/config.json"

# credHelpers wins over credsStore for its registry.
echo "{\"credsStore\":\"broken\",\"credHelpers\":{\"$reg\":\"test\"}}" >"$DOCKER_CONFIG/config.json"
expect 0 "login through credHelpers" -- env PATH="$hpath" "$STRATA" login -u alice -p secret "$reg"
check "the per-registry helper stored them" -- test -s "$key_file"
expect 0 "pull through credHelpers" -- env PATH="$hpath" STRATA_ROOT="$(fresh e)" "$STRATA" pull -q "$reg/alice/busybox:1"
echo '{"credsStore":"broken"}' >"$DOCKER_CONFIG/config.json"
expect 1 "a failing helper" -- env PATH="$hpath" STRATA_ROOT="$(fresh f)" "$STRATA" pull "$reg/alice/busybox:1"
contains "the keyring is locked" "the helper's stderr shown"
rm -f "$DOCKER_CONFIG/config.json"

# --- Basic auth: a registry with htpasswd ----------------------------------------------------
breg="127.0.0.1:$(free_port)"
"$py" -c 'import crypt,sys; print("carol:" + crypt.crypt("pw", crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
  >"$work/htpasswd" 2>/dev/null || skip "cannot make a bcrypt htpasswd"
cat >"$work/breg.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/bregdata}}
http: {addr: $breg}
auth: {htpasswd: {realm: strata-basic, path: $work/htpasswd}}
EOF
start breg /usr/bin/docker-registry serve "$work/breg.yml"
wait_for "http://$breg/v2/" || skip "the htpasswd registry did not start: $(head -c 500 "$work/breg.out")"
"$STRATA" tag busybox:latest "$breg/carol/busybox:1"
expect 1 "basic: push without credentials" -- "$STRATA" push "$breg/carol/busybox:1"
contains "strata login $breg" "hint to log in"
expect 1 "basic: wrong password" -- "$STRATA" login -u carol -p nope "$breg"
contains "Get \"http://$breg/v2/\": unauthorized" "docker's login error"
check "basic: nothing saved" -- test ! -e "$DOCKER_CONFIG/config.json"
expect 0 "basic: login" -- "$STRATA" login -u carol -p pw "$breg"
expect 0 "basic: push" -- "$STRATA" push "$breg/carol/busybox:1"
expect 0 "basic: pull" -- env STRATA_ROOT="$(fresh g)" "$STRATA" pull "$breg/carol/busybox:1"
contains "Status: Downloaded newer image" "pulled"
expect 0 "basic: skopeo reads it" -- skopeo inspect --tls-verify=false --creds carol:pw "docker://$breg/carol/busybox:1"

# --- Renewal, revocation, no loops, redirects (a fake registry) ------------------------------
start fake "$py" "$here/fake_registry.py" "$work/fake.port" "$work/fake.log" "$work/side.port" "$work/side.log"
wait_file "$work/fake.port" && wait_file "$work/side.port" || skip "the fake registry did not start: $(head -c 500 "$work/fake.out")"
fake="127.0.0.1:$(cat "$work/fake.port")"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$fake" "$(printf carol:pw | base64)" >"$DOCKER_CONFIG/config.json"

expect 0 "a token that expires during the pull is renewed" -- env STRATA_ROOT="$(fresh h)" "$STRATA" pull "$fake/slow/x:1"
check "two tokens for the slow pull" -- test "$(grep -c 'TOKEN .*slow/x' "$work/fake.log")" -ge 2
check "renewed before use: no expired token reached the registry" -- sh -c "! grep -q EXPIRED-USED '$work/fake.log'"
check "tokens asked with the credentials" -- grep -q "TOKEN tok-1 who=carol:pw" "$work/fake.log"

expect 0 "a 401 with the cached token re-authenticates" -- env STRATA_ROOT="$(fresh i)" "$STRATA" pull "$fake/revoke/x:1"
check "the registry refused a cached token" -- grep -q "REVOKED" "$work/fake.log"
: >"$work/fake.log"
expect 1 "a registry that always says 401" -- env STRATA_ROOT="$(fresh j)" "$STRATA" pull "$fake/never/x:1"
contains "unauthorized: authentication required" "docker's words"
check "one re-authentication, no loop" -- test "$(grep -c '^TOKEN' "$work/fake.log")" -eq 1

expect 0 "a blob redirected to another host" -- env STRATA_ROOT="$(fresh k)" "$STRATA" pull "$fake/redirect/x:1"
check "the other host got the request" -- grep -q "^GET /data/sha256:" "$work/side.log"
check "no credentials followed the redirect" -- sh -c "! grep -qi 'authorization' '$work/side.log'"
check "the registry itself got the token" -- grep -q "OK tok-.* GET /v2/redirect/x/blobs/" "$work/fake.log"

# A redirect's target answering 401 with its own challenge is not the registry asking: neither
# the credentials nor a token request go to the realm it names; the pull fails saying so.
side_port=$(cat "$work/side.port")
: >"$work/side.log"
expect 1 "a 401 from a redirect's target is not answered" -- env STRATA_ROOT="$(fresh r)" "$STRATA" pull "$fake/deny/x:1"
contains "unauthorized: authentication required (from http://localhost:$side_port, not the registry" "where the 401 came from"
check "the other host got the blob request" -- grep -q "^GET /deny/sha256:" "$work/side.log"
check "no credentials went to the other host" -- sh -c "! grep -qi 'authorization' '$work/side.log'"
check "no token was asked of the other host's realm" -- sh -c "! grep -q '^GET /token' '$work/side.log'"

# An upload Location on another host: the bytes go there, the credentials do not.
: >"$work/side.log"
: >"$work/fake.log"
"$STRATA" tag busybox:latest "$fake/offsite/x:1"
expect 0 "a push whose uploads open on another host" -- "$STRATA" push "$fake/offsite/x:1"
check "the other host got the uploads" -- grep -q "^PUT /upload/" "$work/side.log"
check "no credentials went with them" -- sh -c "! grep -qi 'authorization' '$work/side.log'"
check "the registry itself got the token" -- grep -q "OK tok-.* POST /v2/offsite/x/blobs/uploads/" "$work/fake.log"

# A mount: the source repository's scope joins the push's token once (not once per blob, not a
# new token per blob).
expect 0 "pull the mount's source" -- env STRATA_ROOT="$(fresh s)" "$STRATA" pull -q "$fake/up/src:1"
env STRATA_ROOT="$(fresh s)" "$STRATA" tag "$fake/up/src:1" "$fake/up/dst:1"
: >"$work/fake.log"
expect 0 "a push that mounts" -- env STRATA_ROOT="$(fresh s)" "$STRATA" push "$fake/up/dst:1"
contains "Mounted from up/src" "mounted"
check "one token for the push" -- test "$(grep -c '^TOKEN' "$work/fake.log")" -eq 1
check "both scopes in the token" -- grep -q 'scopes=repository:up/dst:pull,push repository:up/src:pull$' "$work/fake.log"
check "no scope asked twice" -- sh -c "! grep -q 'up/src:pull.*up/src:pull' '$work/fake.log'"

# Anonymous: a token request the token server refused is not repeated before every request.
: >"$work/fake.log"
expect 0 "an anonymous pull whose token renewal is refused" -- env DOCKER_CONFIG="$work/nobody" \
  STRATA_ROOT="$(fresh t)" "$STRATA" pull -q "$fake/anon/x:1"
check "the blobs were served without a token" -- test "$(grep -c '^ANON GET' "$work/fake.log")" -eq 2
check "the refused token asked for once" -- test "$(grep -c '^REFUSED-ANON' "$work/fake.log")" -eq 1

# An identity token (config.json's identitytoken): docker's OAuth2 refresh-token grant.
printf '{"auths":{"%s":{"identitytoken":"rt-carol"}}}' "$fake" >"$DOCKER_CONFIG/config.json"
: >"$work/fake.log"
expect 0 "an identity token is exchanged for tokens" -- env STRATA_ROOT="$(fresh p)" "$STRATA" pull -q "$fake/revoke/x:1"
check "the refresh grant was used" -- grep -q "TOKEN tok-.* who=refresh:carol scopes=repository:revoke/x:pull" "$work/fake.log"
printf '{"auths":{"%s":{"identitytoken":"stale"}}}' "$fake" >"$DOCKER_CONFIG/config.json"
expect 1 "a stale identity token" -- env STRATA_ROOT="$(fresh q)" "$STRATA" pull -q "$fake/revoke/x:1"
contains "unauthorized: invalid refresh token" "the token server's words"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$fake" "$(printf carol:pw | base64)" >"$DOCKER_CONFIG/config.json"

# --- Proxies from the environment ------------------------------------------------------------
closed=$(free_port)
expect 0 "http_proxy with NO_PROXY for the registry" -- env http_proxy="http://127.0.0.1:$closed" \
  NO_PROXY=127.0.0.1 STRATA_ROOT="$(fresh l)" "$STRATA" pull -q "$fake/revoke/x:1"
expect 0 "docker's HTTP_PROXY with NO_PROXY" -- env HTTP_PROXY="http://127.0.0.1:$closed" \
  NO_PROXY=127.0.0.1 STRATA_ROOT="$(fresh m)" "$STRATA" pull -q "$fake/revoke/x:1"
# Loopback is never proxied (as Go's net/http, docker): whatever http_proxy, HTTP_PROXY or
# ALL_PROXY say, with or without NO_PROXY.
expect 0 "http_proxy is not used for a loopback registry" -- env http_proxy="http://127.0.0.1:$closed" \
  STRATA_ROOT="$(fresh n)" "$STRATA" pull -q "$fake/revoke/x:1"
expect 0 "nor HTTP_PROXY, ALL_PROXY, with an unrelated NO_PROXY" -- env HTTP_PROXY="http://127.0.0.1:$closed" \
  ALL_PROXY="http://127.0.0.1:$closed" NO_PROXY=example.com STRATA_ROOT="$(fresh n2)" "$STRATA" pull -q "$fake/revoke/x:1"
start proxy "$py" "$here/proxy.py" "$work/proxy.port" "$work/proxy.log"
wait_file "$work/proxy.port" || skip "the proxy did not start"
proxy="http://127.0.0.1:$(cat "$work/proxy.port")"
# Other hosts are: a blob redirected to a name only the proxy reaches (docker's HTTP_PROXY).
expect 0 "a redirect to a host only the proxy reaches" -- env HTTP_PROXY="$proxy" \
  STRATA_ROOT="$(fresh o)" "$STRATA" pull -q "$fake/proxied/x:1"
check "the blob went through the proxy" -- grep -q "PROXY GET http://side.test:$side_port/data/sha256:" "$work/proxy.log"
check "the loopback registry did not" -- sh -c "! grep -q 'PROXY .*$fake' '$work/proxy.log'"
# A registry that is not loopback (https): https_proxy gets the CONNECT.
expect 1 "https_proxy for a registry that is not loopback" -- env https_proxy="$proxy" \
  STRATA_ROOT="$(fresh u)" "$STRATA" pull -q "registry.test:$closed/x:1"
check "the proxy was asked to CONNECT" -- grep -q "PROXY CONNECT registry.test:$closed" "$work/proxy.log"
: >"$work/proxy.log"
expect 1 "the environment's NO_PROXY still applies" -- env https_proxy="$proxy" NO_PROXY=registry.test \
  STRATA_ROOT="$(fresh v)" "$STRATA" pull -q "registry.test:$closed/x:1"
check "no CONNECT for a NO_PROXY host" -- sh -c "! grep -q CONNECT '$work/proxy.log'"

finish
