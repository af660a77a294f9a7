"""The delivery scenario's receivers (bench/Sources/tiendo-bench/Delivery.swift): aiosmtpd (PyPI) and a stdlib HTTP
server on loopback, counting messages and requests. Prints `ready SMTP_PORT HTTP_PORT`; then answers each line
`count smtp` or `count webhook` on standard input with the count; ends when standard input closes."""

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

counts = {"smtp": 0, "webhook": 0}
lock = threading.Lock()


class Mailbox:
    async def handle_DATA(self, server, session, envelope):
        with lock:
            counts["smtp"] += 1
        return "250 2.0.0 Ok"


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with lock:
            counts["webhook"] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


smtp = Controller(Mailbox(), hostname="127.0.0.1", port=free_port())
smtp.start()
http = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
http.daemon_threads = True
threading.Thread(target=http.serve_forever, daemon=True).start()
print(f"ready {smtp.port} {http.server_address[1]}", flush=True)
for line in sys.stdin:
    words = line.split()
    if len(words) == 2 and words[0] == "count":
        with lock:
            print(counts.get(words[1], -1), flush=True)
smtp.stop()
http.shutdown()
