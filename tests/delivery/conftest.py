"""Fixtures of the delivery tests: the servers of servers.py, a TLS certificate, and a driver for the real
tiendo-deliver (a routing file, records fed to `tiendo-deliver enqueue` into the JSON-lines test queue of phase 1,
`tiendo-deliver run`)."""

import json
import os
import ssl
import subprocess
import time

import shutil

import pytest
from servers import ARTIFACTS, SMTPServer, WebhookReceiver, write_readable

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


def pytest_sessionstart(session):
    # The messages of this run only.
    shutil.rmtree(ARTIFACTS, ignore_errors=True)


def pytest_sessionfinish(session, exitstatus):
    write_readable()


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


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
    r["message"] = message or engine_sentence(kind, at, instance, due)
    return r


def engine_sentence(kind, at, instance, due):
    """The sentence tiendod writes for a reminder or an overdue notice (Messages.reminder / .overdue), so that the
    messages the tests keep read as real ones."""
    import datetime
    days = (datetime.date.fromisoformat(due) - datetime.date.fromisoformat(at[:10])).days
    what = f"«Nộp bản kiểm điểm cá nhân cuối năm» ({instance})"
    shown = datetime.date.fromisoformat(due).strftime("%d/%m/%Y")
    if days > 0:
        return f"Còn {days} ngày đến hạn {what}, hạn chót {shown}"
    if days == 0:
        return f"Hôm nay đến hạn {what}, hạn chót {shown}"
    return f"Quá hạn {-days} ngày: {what}, hạn chót {shown}"


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


@pytest.fixture
def tiendod(tmp_path):
    """A real tiendod with a routing file (daemon.DeliveryDaemon), and tiendo-deliver on its socket."""
    from daemon import DeliveryDaemon

    made = []

    def make(channels, routes, **kwargs):
        d = DeliveryDaemon(tmp_path / f"d{len(made)}", channels, routes, **kwargs)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()
