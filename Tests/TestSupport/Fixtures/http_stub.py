#!/usr/bin/env python3
"""Stub HTTP server for HTTPClientTests, started by TestSupport's StubServer as
`http_stub.py LOG PORTFILE` (LOG is unused: this stub records flags, not requests). Binds 127.0.0.1 on a
free port, prints the port as the first line of stdout and writes it to PORTFILE, and exits when stdin
closes (i.e. when the test process ends) or after 120 s, so a crashed test run never leaves it behind."""
import json
import os
import select
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

gates = {}       # token -> threading.Event, released by /release
closed = {}      # id -> True once the client went away during /hang or /forever
opened = {}      # id -> True once a /hang request for it arrived
lock = threading.Lock()


def gate(token):
    with lock:
        return gates.setdefault(token, threading.Event())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    # Chunked transfer encoding, so the client sees each piece as it is written.
    def start_chunked(self, content_type, status=200):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def fixed(self, status, body, content_type="application/json", extra=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def client_gone(self, timeout):
        """True if the client closed the connection within `timeout` seconds."""
        r, _, _ = select.select([self.connection], [], [], timeout)
        if r:
            try:
                return self.connection.recv(1, 0) == b""
            except OSError:
                return True
        return False

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def route(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        p = url.path
        if p == "/json":
            self.fixed(200, '{"ok":true}', extra=[("X-Custom", "first"), ("X-Custom", "second"), ("X-Mixed-Case", "Yes")])
        elif p == "/echo":
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n).decode("utf-8", "replace")
            headers = [[k, v] for k, v in self.headers.items()]
            self.fixed(200, json.dumps({"method": self.command, "path": self.path, "headers": headers, "body": body}))
        elif p == "/sse":
            self.start_chunked("text/event-stream")
            pieces = [": keep-alive\r\n\r\n", "event: message_start\r\nda", "ta: {\"a\":1}\r",
                      "\n\r\n", ": keep-alive\r\n\r\n", "data: caf\xc3".encode("latin-1"),
                      b"\xa9\r\ndata: line2\r\n", b"\r\nevent: done\ndata: [DONE]\n\n"]
            for piece in pieces:
                self.chunk(piece)
                time.sleep(0.02)
            self.end_chunked()
        elif p == "/sse-gated":
            # First event, then wait until the client requests /release?token=… (proving that it
            # saw the first event while this response was still open).
            self.start_chunked("text/event-stream")
            self.chunk("data: first\r\n\r\n")
            released = gate(q["token"]).wait(30)
            self.chunk("data: %s\r\n\r\n" % ("released" if released else "gate-timeout"))
            self.end_chunked()
        elif p == "/release":
            gate(q["token"]).set()
            self.fixed(200, "{}")
        elif p == "/ndjson":
            self.start_chunked("application/x-ndjson")
            for piece in ['{"n":1}\n{"n"', ':2}\r\n\n', '{"n":3}']:
                self.chunk(piece)
                time.sleep(0.02)
            self.end_chunked()
        elif p == "/cut":
            self.start_chunked("text/event-stream")
            self.chunk("data: whole\n\ndata: {\"partial\":")
            time.sleep(0.05)
            self.connection.shutdown(2)
            self.close_connection = True
        elif p == "/status":
            code = int(q.get("code", "500"))
            extra = [("Retry-After", q["retry_after"])] if "retry_after" in q else []
            self.fixed(code, '{"error":"status %d"}' % code, extra=extra)
        elif p == "/hang":
            # Sends nothing (not even headers) until the client goes away or 10 s pass.
            with lock:
                opened[q.get("id", "")] = True
            if self.client_gone(10):
                with lock:
                    closed[q.get("id", "")] = True
            self.close_connection = True
        elif p == "/head-then-hang":
            self.start_chunked("text/event-stream")
            self.chunk("data: hello\n\n")
            self.client_gone(10)
            self.close_connection = True
        elif p == "/forever":
            # Between chunks it waits for the client's FIN or RST rather than sleeping, so a close is seen at
            # once; a failed write would notice it only on the write after the next (the first still succeeds).
            self.start_chunked("text/event-stream")
            try:
                for i in range(400):
                    self.chunk("data: %d\n\n" % i)
                    if self.client_gone(0.025):
                        raise ConnectionResetError
            except OSError:
                with lock:
                    closed[q.get("id", "")] = True
            self.close_connection = True
        elif p == "/closed":
            with lock:
                self.fixed(200, json.dumps({"closed": closed.get(q.get("id", ""), False)}))
        elif p == "/opened":
            with lock:
                self.fixed(200, json.dumps({"opened": opened.get(q.get("id", ""), False)}))
        elif p == "/big":
            size = int(q.get("size", "1000000"))
            if q.get("length") == "1":
                self.fixed(200, b"x" * size, "application/octet-stream")
            else:
                self.start_chunked("application/octet-stream")
                try:
                    for _ in range(size // 65536 + 1):
                        self.chunk(b"x" * 65536)
                    self.end_chunked()
                except OSError:
                    self.close_connection = True
        elif p == "/redirect":
            hops = int(q.get("hops", "1"))
            target = "/json" if hops <= 1 else "/redirect?hops=%d" % (hops - 1)
            self.fixed(302, "", "text/plain", extra=[("Location", target)])
        else:
            self.fixed(404, '{"error":"no route"}')


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # clients hang up on purpose in several tests
    print(server.server_address[1], flush=True)
    if len(sys.argv) > 2:  # the port also goes to a file, written whole by a rename
        with open(sys.argv[2] + ".tmp", "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(1):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    threading.Timer(120, lambda: os._exit(0)).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
