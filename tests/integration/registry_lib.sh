# Shared by the registry scripts (source it after lib.sh; not a test itself): a free loopback
# port, a poll for a server, and Debian's docker-registry (CNCF distribution) on 127.0.0.1 with a
# private config — never the packaged default, which listens on every interface and turns on
# htpasswd (PEERS.md "A real registry"). Skips (77) when a tool is missing.

[ -x /usr/bin/docker-registry ] || skip "docker-registry is not installed (scripts/install-deps.sh)"
for tool in skopeo curl python3; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh)"
done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# wait_for URL: polls until the server answers (5 s at most).
wait_for() {
  local i
  for i in $(seq 50); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  return 1
}

# start_registry: starts the registry (data in $work/regdata, stopped on exit); sets $reg to its
# "127.0.0.1:PORT".
start_registry() {
  reg="127.0.0.1:$(free_port)"
  cat >"$work/reg.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/regdata}, delete: {enabled: true}}
http: {addr: $reg}
EOF
  (exec /usr/bin/docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1) &
  cleanup_hooks+=("kill $!; wait $! 2>/dev/null")
  wait_for "http://$reg/v2/" || skip "docker-registry did not start: $(head -c 500 "$work/reg.log")"
}
