"""An independent HTTP/1.1 server for Gantry's HTTP client tests: Python's http.server, keep-alive on.

    http_peer.py [--tls CERT KEY]

prints the port it listens on, then serves until stdin closes. Paths:
  /count          200, body "n=K": K is the number of requests this connection has carried (keep-alive proof)
  /chunked        200, chunked body "alpha" "beta" "gamma" with a chunk extension and a trailer
  /slow?ms=N      200 "slow" after N milliseconds
  /close          200 "bye" with Connection: close
  /drop-after     200 "last", then the server closes the connection without saying so (an idle close)
  /hangup         closes the connection without answering
  /bad            a response that is not HTTP
  /echo (POST)    200, the request body
"""
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.carried = 0

    def log_message(self, *args):
        pass

    def reply(self, body, extra=()):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.carried += 1
        path, _, query = self.path.partition("?")
        if path == "/count":
            self.reply(b"n=%d" % self.carried)
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "X-Check")
            self.end_headers()
            for part in (b"alpha", b"beta", b"gamma"):
                self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\nX-Check: ok\r\n\r\n")
        elif path == "/slow":
            time.sleep(int(query.split("=")[1]) / 1000)
            self.reply(b"slow")
        elif path == "/close":
            self.reply(b"bye", [("Connection", "close")])
            self.close_connection = True
        elif path == "/drop-after":
            self.reply(b"last")
            self.wfile.flush()
            self.close_connection = True
        elif path == "/hangup":
            self.close_connection = True
        elif path == "/bad":
            self.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")
            self.close_connection = True
        else:
            self.send_error(404)

    def do_POST(self):
        self.carried += 1
        length = int(self.headers.get("Content-Length", "0"))
        self.reply(self.rfile.read(length))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
