"""The real servers of the delivery tests, on loopback.

- SMTP: aiosmtpd (PyPI), optionally with STARTTLS or implicit TLS and AUTH, that can be told to answer 4xx or
  5xx, to hang, or to drop the connection, per recipient and attempt.
- HTTP: a stdlib receiver that checks Standard Webhooks signatures on its own and can answer 5xx, 429, 4xx.

Every message accepted is also written to tests/delivery/artifacts/ (ignored by git), named by the test that sent
it: `NNN-TEST-RECIPIENT.eml` as received (the first 20 of each test), and beside it, once the session ends, `.txt`,
its headers and text parts decoded, to read.
"""

import asyncio
import base64
import email
import email.policy
import hashlib
import hmac
import itertools
import os
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts")
PER_TEST = 20
_saved = itertools.count(1)
_per_test = {}


def save_artifact(received):
    """Keeps an accepted message to look at, as received (the first `PER_TEST` of each test: the kill test sends
    thousands). Written raw in the server's handler; `write_readable` decodes them once the session ends."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
    _per_test[test] = _per_test.get(test, 0) + 1
    if _per_test[test] > PER_TEST:
        return
    os.makedirs(ARTIFACTS, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.@-]+", "-", f"{next(_saved):03d}-{test}-{received.rcpt_tos[0]}")[:150]
    with open(os.path.join(ARTIFACTS, name + ".eml"), "wb") as f:
        f.write(received.raw)


def write_readable():
    """Beside each saved `.eml`, a `.txt`: its headers and text parts decoded, to read."""
    if not os.path.isdir(ARTIFACTS):
        return
    for name in sorted(os.listdir(ARTIFACTS)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(ARTIFACTS, name), "rb") as f:
            m = email.message_from_bytes(f.read(), policy=email.policy.default)
        lines = [f"{h}: {m[h]}" for h in ("From", "To", "Subject", "Date", "Message-ID") if m[h]]
        for part in m.walk():
            if part.get_content_type() in ("text/plain", "text/html") and not part.is_multipart():
                lines += ["", f"--- {part.get_content_type()} ---", part.get_content().replace("\r\n", "\n")]
        with open(os.path.join(ARTIFACTS, name[:-4] + ".txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ SMTP


class Received:
    def __init__(self, envelope, raw):
        self.mail_from = envelope.mail_from
        self.rcpt_tos = list(envelope.rcpt_tos)
        self.raw = raw
        self._message = None
        self._headers = {}

    @property
    def message(self):
        # Parsed on first use: parsing in the server's handler would slow the server down, not the sender.
        if self._message is None:
            self._message = email.message_from_bytes(self.raw, policy=email.policy.default)
        return self._message

    @property
    def to(self):
        return self.rcpt_tos[0]

    def header(self, name):
        # Kept once read: the kill test asks for 10,000 Message-IDs every 50 ms while it waits, and the default
        # policy parses a header anew on each access (that alone kept a core busy and slowed the run 3×).
        if name not in self._headers:
            self._headers[name] = str(self.message[name])
        return self._headers[name]

    def part(self, content_type):
        for p in self.message.walk():
            if p.get_content_type() == content_type:
                # Canonical text: CRLF ends every line (RFC 2045 §6.8); read as a mail client shows it.
                content = p.get_content()
                assert "\n" not in content.replace("\r\n", ""), "a line not ended by CRLF"
                return content.replace("\r\n", "\n")
        return None


class FaultyMailbox:
    """An aiosmtpd handler that keeps what it receives and fails on request.

    `faults[address]` (or `faults[None]` for anyone) is a list of faults used up one per attempt:
    rcpt-451, rcpt-550, data-451, data-552, drop-rcpt (close at RCPT), hang (no answer to the end of data),
    drop-after-data (take the message, close without answering: the sender must send it again).
    """

    def __init__(self):
        self.messages = []
        self.faults = {}
        self.attempts = 0
        self.hang_seconds = 30
        self.lock = threading.Lock()

    def take_fault(self, address, stage):
        with self.lock:
            for key in (address, None):
                queue = self.faults.get(key)
                if queue and queue[0].startswith(stage):
                    return queue.pop(0)
        return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.attempts += 1
        fault = self.take_fault(address, "rcpt") or self.take_fault(address, "drop-rcpt")
        if fault == "rcpt-451":
            return "451 4.3.0 Mailbox busy, try again later"
        if fault == "rcpt-550":
            return "550 5.1.1 No such user here"
        if fault == "drop-rcpt":
            server.transport.close()
            return "421 4.3.0 closing"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        address = envelope.rcpt_tos[0]
        fault = self.take_fault(address, "data") or self.take_fault(address, "hang") or self.take_fault(address, "drop")
        if fault == "hang":
            await asyncio.sleep(self.hang_seconds)
            return "451 4.4.2 too late"
        if fault == "data-451":
            return "451 4.3.0 Temporary failure"
        if fault == "data-552":
            return "552 5.3.4 Message too big"
        with self.lock:
            received = Received(envelope, envelope.original_content)
            self.messages.append(received)
            n = len(self.messages)
        save_artifact(received)
        if fault == "drop-after-data":
            server.transport.close()
            return "421 4.3.0 closing"
        return f"250 2.0.0 Ok: queued as Q{n}"

    def received(self):
        with self.lock:
            return list(self.messages)


class SMTPServer:
    def __init__(self, port=None, starttls=None, implicit=None, auth=None, exclude=()):
        self.handler = FaultyMailbox()
        self.port = port or free_port()
        self.kwargs = dict(hostname="127.0.0.1", port=self.port)
        if starttls:
            self.kwargs.update(tls_context=starttls, require_starttls=True)
        if implicit:
            self.kwargs.update(ssl_context=implicit)
        if auth:
            user, password = auth

            def authenticator(server, session, envelope, mechanism, data):
                ok = data.login == user.encode() and data.password == password.encode()
                with self.handler.lock:
                    self.logins.append((mechanism, ok))
                return AuthResult(success=ok, handled=False)

            # aiosmtpd counts only STARTTLS as TLS for AUTH; over implicit TLS the whole session is encrypted.
            self.kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=not implicit,
                               auth_exclude_mechanism=list(exclude))
        self.logins = []
        self.controller = None

    def start(self):
        self.controller = Controller(self.handler, **self.kwargs)
        self.controller.start()
        return self

    def stop(self):
        if self.controller:
            self.controller.stop()
            self.controller = None

    def received(self):
        return self.handler.received()


# ------------------------------------------------------------------ HTTP


def standard_webhooks_signature(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class WebhookReceiver:
    """Checks every request's Standard Webhooks signature; `faults[webhook-id]` (a list used up one per request)
    answers 500, 429 (Retry-After: 2), 400, 302 (to a new address), hangs, or `big`: 200 with a 1 MiB body (a receiver
    that echoes)."""

    def __init__(self, secret, host="127.0.0.1"):
        self.secret = secret
        self.requests = []
        self.faults = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                h = {k.lower(): v for k, v in self.headers.items()}
                expected = standard_webhooks_signature(receiver.secret, h.get("webhook-id", ""),
                                                       h.get("webhook-timestamp", ""), body)
                with receiver.lock:
                    queue = receiver.faults.get(h.get("webhook-id"))
                    fault = queue.pop(0) if queue else None
                    receiver.requests.append({
                        "headers": h, "body": body, "time": time.time(), "fault": fault,
                        "verified": hmac.compare_digest(expected, h.get("webhook-signature", "")),
                        "path": self.path})
                if fault == "hang":
                    time.sleep(10)
                status = {"500": 500, "429": 429, "400": 400, "302": 302}.get(fault, 200)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "2")
                if status == 302:
                    self.send_header("Location", "https://cong-moi.example.vn/hooks/tiendo")
                if status == 200:
                    self.send_header("X-Request-Id", f"req-{len(receiver.requests)}")
                body = b"{}" if fault != "big" else b"[" + b"0," * (512 * 1024 - 1) + b"0]"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender read what it needed and closed

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
