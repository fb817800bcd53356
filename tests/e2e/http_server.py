#!/usr/bin/env python3
"""A loopback HTTP server for the download tests; stops by itself after --lifetime seconds.

  /files/NAME     NAME from --root, honouring Range requests
  /cut/NAME       the first request for NAME sends half its bytes, then drops the connection
  /norange/NAME   ignores Range and always sends the whole file
  /flaky/NAME     the first request for NAME answers 503
  anything else   404
Every request line and its Range header are appended to --log.
"""
import argparse
import http.server
import os
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--root", required=True)
parser.add_argument("--port-file", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--lifetime", type=float, default=600)
args = parser.parse_args()
seen = set()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        with open(args.log, "a") as log:
            log.write(f"{self.path} range={self.headers.get('Range', '-')}\n")
        parts = self.path.split("/", 2)
        if len(parts) != 3 or parts[1] not in ("files", "cut", "norange", "flaky"):
            return self.fail(404)
        mode, name = parts[1], parts[2]
        path = os.path.join(args.root, os.path.basename(name))
        if not os.path.isfile(path):
            return self.fail(404)
        with lock:
            first = (mode, name) not in seen
            seen.add((mode, name))
        if mode == "flaky" and first:
            return self.fail(503)
        data = open(path, "rb").read()
        start = 0
        rng = self.headers.get("Range")
        if rng and mode != "norange" and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                return self.fail(416)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if mode == "cut" and first:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def fail(self, code):
        body = f"error {code}\n".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the cut transfers reset connections on purpose


server = Server(("127.0.0.1", 0), Handler)
threading.Timer(args.lifetime, server.shutdown).start()
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
