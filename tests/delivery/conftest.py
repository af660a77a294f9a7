"""Real servers on loopback for the delivery tests, and a driver for the real tiendo-deliver.

- SMTP: aiosmtpd (PyPI), optionally with STARTTLS or implicit TLS and AUTH, that can be told to answer 4xx or
  5xx, to hang, or to drop the connection, per recipient and attempt.
- HTTP: a stdlib receiver that checks Standard Webhooks signatures on its own and can answer 5xx, 429, 4xx.
- Deliver: writes a routing file, feeds records to `tiendo-deliver enqueue` (the JSON-lines test queue of phase 1)
  and runs `tiendo-deliver run`.
"""

import asyncio
import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("TIENDO_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
HERE = os.path.dirname(os.path.abspath(__file__))
WORKFLOWS = [os.path.join(HERE, "workflows"), os.path.join(ROOT, "Workflows")]
MEMBERS_CSV = os.path.join(HERE, "workflows", "nhac-viec.csv")
SECRETARIES = (
    "group,name,email\n"
    "Chi bộ Khu dân cư số 2,Phạm Thị Dung,bithu.kdc2@example.vn\n"
    "Chi bộ Khu dân cư số 5,Hoàng Văn Em,bithu.kdc5@example.vn\n"
)
SENDER = "Văn phòng Đảng ủy phường Tây Hồ <vanphong@tayho.example.vn>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# ------------------------------------------------------------------ SMTP


class Received:
    def __init__(self, envelope, raw):
        self.mail_from = envelope.mail_from
        self.rcpt_tos = list(envelope.rcpt_tos)
        self.raw = raw
        self.time = time.time()
        self._message = None

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
        return str(self.message[name])

    def part(self, content_type):
        for p in self.message.walk():
            if p.get_content_type() == content_type:
                return p.get_content()
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
            self.messages.append(Received(envelope, envelope.original_content))
            n = len(self.messages)
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


@pytest.fixture
def smtp():
    servers = []

    def make(**kwargs):
        s = SMTPServer(**kwargs)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for localhost (its own CA: the routing file's ca_file)."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture
def server_tls(tls_files):
    cert, key = tls_files
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


# ------------------------------------------------------------------ HTTP


def standard_webhooks_signature(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class WebhookReceiver:
    """Checks every request's Standard Webhooks signature; `faults[webhook-id]` (a list used up one per request)
    answers 500, 429 (Retry-After: 2), 400 or hangs."""

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
                status = {"500": 500, "429": 429, "400": 400}.get(fault, 200)
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "2")
                if status == 200:
                    self.send_header("X-Request-Id", f"req-{len(receiver.requests)}")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

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


@pytest.fixture
def webhook():
    receivers = []

    def make(secret):
        r = WebhookReceiver(secret)
        receivers.append(r)
        return r

    yield make
    for r in receivers:
        r.stop()


# ------------------------------------------------------------------ tiendo-deliver


def record(kind, at, instance, due, priority=5, group="Chi bộ Khu dân cư số 2", days_left=None, message=None):
    """A record as tiendod writes it (interfaces §1)."""
    r = {"at": at, "kind": kind, "workflow": "nhac-viec", "instance": instance, "milestone": "nop-bao-cao", "due": due}
    if days_left is not None:
        r["daysLeft"] = days_left
    r["priority"] = priority
    if group:
        r["group"] = group
    r["message"] = message or f"Nhắc hạn «Nộp bản kiểm điểm cá nhân cuối năm» ({instance}), hạn chót {due}"
    return r


class Deliver:
    """One routing file, one test queue and the real binary."""

    def __init__(self, directory, channels, routes, quiet="07:00-18:00"):
        self.dir = str(directory)
        self.routing = os.path.join(self.dir, "routing.yaml")
        self.queue_file = os.path.join(self.dir, "queue.jsonl")
        self.log = os.path.join(self.dir, "deliver.log")
        with open(os.path.join(self.dir, "bi-thu.csv"), "w", encoding="utf-8") as f:
            f.write(SECRETARIES)
        with open(self.routing, "w", encoding="utf-8") as f:
            f.write(f'tiendo: 1\nfrom: "{SENDER}"\nquiet_hours: {{send: "{quiet}", urgent: crit}}\n'
                    f'digest: {{at: "07:30", every: day}}\n'
                    f"channels:\n{channels}recipients:\n  bi-thu: bi-thu.csv\nroutes:\n{routes}")
        self.proc = None
        self.env = dict(os.environ)
        for k in ("JOURNAL_STREAM", "NOTIFY_SOCKET", "CREDENTIALS_DIRECTORY"):
            self.env.pop(k, None)

    def command(self, *args):
        return [os.path.join(BIN, "tiendo-deliver"), *args]

    def setup_args(self):
        return [a for w in WORKFLOWS for a in ("--workflows", w)] + ["--routing", self.routing]

    def check(self):
        return subprocess.run(self.command("check", *self.setup_args()), capture_output=True, text=True, env=self.env)

    def enqueue(self, lines, instances=True):
        path = os.path.join(self.dir, f"records-{time.time_ns()}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for line in lines:
                f.write((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n")
        extra = ["--instances", f"nhac-viec={MEMBERS_CSV}"] if instances else []
        out = subprocess.run(
            self.command("enqueue", *self.setup_args(), "--test-queue", self.queue_file, *extra, path),
            capture_output=True, text=True, env=self.env, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def run(self, *args, timeout=120):
        """A run that ends by itself (virtual time)."""
        out = subprocess.run(
            self.command("run", *self.setup_args(), "--test-queue", self.queue_file, *args),
            capture_output=True, text=True, env=self.env, timeout=timeout)
        assert out.returncode == 0, out.stderr
        return out.stderr

    def start(self, *args, env=None):
        """The sender in real time, in the background, until stop()."""
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            self.command("run", *self.setup_args(), "--test-queue", self.queue_file, "--poll", "1s",
                         "--retry-base", "1s", "--retry-cap", "2s", "--seed", "7", *args),
            stdout=self.logf, stderr=self.logf, env={**self.env, **(env or {})})
        return self.proc

    def stop(self, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            rc = self.proc.wait(timeout=timeout)
            assert rc == 0, self.output()
        self.proc = None

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def output(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def queue(self):
        out = subprocess.run(self.command("queue", "--test-queue", self.queue_file, "--json"),
                             capture_output=True, text=True, env=self.env, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def states(self):
        q = self.queue()
        return {s: sum(1 for d in q if d["state"] == s) for s in {d["state"] for d in q}}


@pytest.fixture
def deliver(tmp_path):
    made = []

    def make(channels, routes, **kwargs):
        d = Deliver(tmp_path, channels, routes, **kwargs)
        made.append(d)
        return d

    yield make
    for d in made:
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
