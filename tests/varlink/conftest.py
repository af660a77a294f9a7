"""Shared fixture: a real tiendod on a temporary state directory, socket and workflow."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("TIENDO_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
IFACE = "vn.tiendo.Manager"

WORKFLOW = """tiendo: 1
title: Quy trình thử nghiệm
fields:
  ma: {type: text}
  han: {type: date, required: true}
  diem: {type: integer, min: 0, max: 100}
group_by: ma
initial: moi
office_events: [duyet]
list_fields: [diem]
states:
  moi:
    title: Mới
    description: Duyệt trong hạn (Quy định thử nghiệm, Điều 1) [M].
    on:
      duyet: da-duyet
      cham:
        - {if: {diem: {ge: 50}}, to: da-duyet}
    deadline: {due: han, remind: [1d]}
  da-duyet: {final: true}
milestones:
  bao-cao: {title: Báo cáo, due: han}
  tong-ket: {title: Tổng kết, due: han + 1d, requires: [bao-cao]}
"""


class Daemon:
    """`files` adds workflow files (name -> text) beside hop.yaml; `fake_time` is where the daemon's clock starts."""

    def __init__(self, extra_env=None, prefix=(), files=None, fake_time="2026-03-02T09:00:00+07:00", time_rate="1"):
        self.dir = tempfile.mkdtemp(prefix="tiendo-vl-")
        os.chmod(self.dir, 0o755)
        wf = os.path.join(self.dir, "wf")
        os.makedirs(os.path.join(wf, "calendars"))
        shutil.copy(os.path.join(ROOT, "Workflows", "calendars", "vn.yaml"), os.path.join(wf, "calendars", "vn.yaml"))
        for name, text in {"hop.yaml": WORKFLOW, **(files or {})}.items():
            with open(os.path.join(wf, name), "w", encoding="utf-8") as f:
                f.write(text)
        self.socket = os.path.join(self.dir, "sock")
        self.log = os.path.join(self.dir, "daemon.log")
        self.logf = open(self.log, "wb")
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        env.pop("NOTIFY_SOCKET", None)
        env.update(extra_env or {})
        self.state = os.path.join(self.dir, "state")
        self.args = [*prefix, os.path.join(BIN, "tiendod"), "--workflows", wf, "--state-dir", self.state,
                     "--runtime-dir", os.path.join(self.dir, "run"), "--socket", self.socket,
                     "--fake-time", fake_time, "--time-rate", time_rate]
        self.env = env
        self.start()

    def start(self):
        """Starts tiendod (again, on the same state directory after `halt`) and waits for its socket."""
        self.proc = subprocess.Popen(self.args, stdout=self.logf, stderr=self.logf, env=self.env)
        deadline = time.time() + 60
        while time.time() < deadline:
            if os.path.exists(self.socket):
                try:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.connect(self.socket)
                    s.close()
                    break
                except OSError:
                    pass
            assert self.proc.poll() is None, open(self.log).read()
            time.sleep(0.05)
        else:
            raise AssertionError("tiendod did not start: " + open(self.log).read())
        self.address = "unix:" + self.socket

    def halt(self):
        """Stops tiendod (gracefully), keeping its directory for `start`."""
        self.proc.terminate()
        assert self.proc.wait(30) == 0

    def stop(self):
        self.halt()
        self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        self.logf.flush()
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()


@pytest.fixture(scope="module")
def daemon():
    d = Daemon()
    yield d
    d.stop()
