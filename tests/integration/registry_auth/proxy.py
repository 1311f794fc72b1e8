# A tiny recording HTTP forward proxy (registry_auth_test.sh): absolute-URI GET and HEAD, each
# logged as "PROXY <method> <url>" then relayed (names under .test to 127.0.0.1: hosts only the
# proxy can reach); CONNECT is logged as "PROXY CONNECT <host:port>" and refused (403).
# Usage: proxy.py PORTFILE LOG
import http.client, http.server, os, sys, urllib.parse

port_file, log_file = sys.argv[1:3]

class P(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def relay(self):
        with open(log_file, "a") as f:
            f.write(f"PROXY {self.command} {self.path}\n")
        url = urllib.parse.urlsplit(self.path)
        host = "127.0.0.1" if url.hostname.endswith(".test") else url.hostname
        conn = http.client.HTTPConnection(host, url.port or 80, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        conn.request(self.command, url.path + ("?" + url.query if url.query else ""), headers=headers)
        r = conn.getresponse()
        body = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_CONNECT(self):
        with open(log_file, "a") as f:
            f.write(f"PROXY CONNECT {self.path}\n")
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = relay
    do_HEAD = relay

s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), P)
open(port_file + ".tmp", "w").write(str(s.server_address[1]))
os.rename(port_file + ".tmp", port_file)
s.serve_forever()
