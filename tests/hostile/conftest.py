"""The real tiendoctl and tiendod against hostile files and hostile text, each run under a hang guard."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("TIENDO_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
CTL = os.path.join(BIN, "tiendoctl")
VN = os.path.join(ROOT, "Workflows", "calendars", "vn.yaml")
# The outside check gives validate 10 s; anything near it is a hang, not slowness.
GUARD = 10


def run(*args, timeout=GUARD, **kw):
    """Runs a program; a run over `timeout` seconds fails the test (a hang), it is never waited out."""
    env = dict(os.environ, NO_COLOR="1", LC_ALL="C.UTF-8")
    env.pop("JOURNAL_STREAM", None)
    try:
        return subprocess.run(list(args), capture_output=True, timeout=timeout, env=env, **kw)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(map(str, args))[:200]} did not finish within {timeout} s")


def ctl(*args, **kw):
    return run(CTL, *args, **kw)


def workflows_dir(files):
    """A temporary workflows directory with calendars/vn.yaml and `files` ({relative path: text or bytes})."""
    d = tempfile.mkdtemp(prefix="tiendo-hostile-")
    atexit.register(shutil.rmtree, d, True)
    os.makedirs(os.path.join(d, "calendars"))
    shutil.copy(VN, os.path.join(d, "calendars", "vn.yaml"))
    for name, content in files.items():
        write(os.path.join(d, name), content)
    return d


def write(path, content):
    with open(path, "wb") as f:
        f.write(content.encode("utf-8") if isinstance(content, str) else content)


class Daemon:
    """A real tiendod on `wf` with a fake clock at 2026-03-02 09:00 (+07:00), logging readable lines to a file."""

    def __init__(self, wf, state=None):
        self.wf = wf
        if state is None:
            state = tempfile.mkdtemp(prefix="tiendo-hostile-d-")
            atexit.register(shutil.rmtree, state, True)
        self.dir = state
        self.socket = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "daemon.log")
        self.start()

    def start(self):
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        env.pop("NOTIFY_SOCKET", None)
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "tiendod"), "--workflows", self.wf, "--state-dir", os.path.join(self.dir, "state"),
             "--runtime-dir", os.path.join(self.dir, "run"), "--socket", self.socket,
             "--fake-time", "2026-03-02T09:00:00+07:00", "--time-rate", "1"],
            stdout=self.logf, stderr=self.logf, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.proc.poll() is None, "tiendod exited: " + self.log_text()
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.socket)
                s.close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("tiendod did not start within 30 s: " + self.log_text())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(30) == 0, self.log_text()
        self.logf.close()

    def ctl(self, *args, **kw):
        return ctl("--socket", self.socket, *args, **kw)

    def log_bytes(self):
        self.logf.flush()
        with open(self.log, "rb") as f:
            return f.read()

    def log_text(self):
        return self.log_bytes().decode("utf-8", "replace")


@pytest.fixture
def daemon_factory():
    started = []

    def make(wf):
        d = Daemon(wf)
        started.append(d)
        return d

    yield make
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        shutil.rmtree(d.dir, ignore_errors=True)
        shutil.rmtree(d.wf, ignore_errors=True)
