"""The production path of delivery: a real tiendod with a routing file beside its workflows (deliveries fanned out
in the record's transaction) and the real tiendo-deliver working its queue through vn.tiendo.Delivery on the
control socket. Both can be killed and started again on the same state."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from conftest import BIN, HERE, ROOT, SECRETARIES, SENDER, wait_until

SOCKET_TIMEOUT = 30


AS_USER = """
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\\0")
buf = b""
while b"\\0" not in buf:
    buf += s.recv(65536)
print(buf.split(b"\\0")[0].decode())
"""


def varlink(path, method, parameters=None, more=False, user=None):
    """One call with an independent client (the PyPI varlink package's framing, done by hand for `more` and
    `user`): the first reply as a dict (`error` set for an error reply). As another user, through setpriv."""
    if user is not None:
        # The system's Python (the test venv's may not be readable by that user), this module's framing inline.
        out = subprocess.run(["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "/usr/bin/python3", "-c",
                              AS_USER, path, json.dumps({"method": method, "parameters": parameters or {}})],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(SOCKET_TIMEOUT)
    s.connect(path)
    msg = {"method": method, "parameters": parameters or {}}
    if more:
        msg["more"] = True
    s.sendall(json.dumps(msg).encode() + b"\0")
    buf = b""
    while b"\0" not in buf:
        chunk = s.recv(1 << 16)
        if not chunk:
            raise ConnectionError("tiendod closed the connection")
        buf += chunk
    if more:
        return json.loads(buf.split(b"\0")[0]), s
    s.close()
    return json.loads(buf.split(b"\0")[0])


def routing_yaml(channels, routes, quiet="07:00-18:00", web=None, contact=None):
    return (f'tiendo: 1\nfrom: "{SENDER}"\n' + (f"web: {web}\n" if web else "") + (f'contact: "{contact}"\n' if contact else "")
            + f'quiet_hours: {{send: "{quiet}", urgent: crit}}\n'
            f'digest: {{at: "07:30", every: day}}\nchannels:\n{channels}recipients:\n  bi-thu: bi-thu.csv\n'
            f"routes:\n{routes}")


class DeliveryDaemon:
    """tiendod on a state directory of its own, with the delivery tests' workflow (nhac-viec), the shipped vn
    calendar and `delivery/routing.yaml`; tiendo-deliver beside it on the same socket."""

    def __init__(self, base, channels, routes, fake_time=None, time_rate=1, env=None, quiet="07:00-18:00", socket_dir=None,
                 web=None, contact=None):
        self.dir = str(base)
        self.web = web
        self.contact = contact
        self.workflows = os.path.join(self.dir, "workflows")
        os.makedirs(os.path.join(self.workflows, "calendars"), exist_ok=True)
        os.makedirs(os.path.join(self.workflows, "delivery"), exist_ok=True)
        shutil.copy(os.path.join(HERE, "workflows", "nhac-viec.yaml"), self.workflows)
        shutil.copy(os.path.join(ROOT, "Workflows", "calendars", "vn.yaml"), os.path.join(self.workflows, "calendars"))
        self.routing = os.path.join(self.workflows, "delivery", "routing.yaml")
        with open(os.path.join(self.workflows, "delivery", "bi-thu.csv"), "w", encoding="utf-8") as f:
            f.write(SECRETARIES)
        self.write_routing(channels, routes, quiet)
        self.state = os.path.join(self.dir, "state")
        self.status = os.path.join(self.dir, "status")
        # Where other users can reach it (tmp_path is the test user's alone): the permission tests call as them.
        self.socket_dir = socket_dir or tempfile.mkdtemp(prefix="tiendo-dl-")
        os.chmod(self.socket_dir, 0o755)
        self.socket = os.path.join(self.socket_dir, "sock")
        self.fake_time = fake_time
        self.time_rate = time_rate
        self.env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NOTIFY_SOCKET", "CREDENTIALS_DIRECTORY")}
        self.env.update(env or {})
        self.env["TIENDO_SOCKET"] = self.socket
        self.proc = None
        self.sender = None
        self.log = os.path.join(self.dir, "tiendod.log")
        self.sender_log = os.path.join(self.dir, "deliver.log")

    def write_routing(self, channels, routes, quiet="07:00-18:00"):
        with open(self.routing, "w", encoding="utf-8") as f:
            f.write(routing_yaml(channels, routes, quiet, self.web, self.contact))

    # ---------------------------------------------------------------- tiendod

    def start(self, init=True):
        args = [os.path.join(BIN, "tiendod"), "--workflows", self.workflows, "--state-dir", self.state,
                "--runtime-dir", self.status, "--socket", self.socket]
        if self.fake_time:
            args += ["--fake-time", self.fake_time, "--time-rate", str(self.time_rate)]
        if init and not os.path.exists(self.state):
            args.append("--init")
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=self.logf, env=self.env)
        wait_until(self.answers, 60, "tiendod's socket")
        return self

    def answers(self):
        assert self.proc.poll() is None, self.output()
        try:
            return "parameters" in varlink(self.socket, "vn.tiendo.Manager.GetStatus")
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(60) == 0, self.output()[-3000:]
        self.proc = None

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def output(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def call(self, method, **parameters):
        r = varlink(self.socket, method, parameters)
        assert "error" not in r, r
        return r["parameters"]

    def ctl(self, *args, check=True):
        out = subprocess.run([os.path.join(BIN, "tiendoctl"), "--socket", self.socket, *args], capture_output=True, text=True,
                             env=dict(self.env, NO_COLOR="1"), timeout=120)
        if check:
            assert out.returncode == 0, out.stderr
        return out

    def import_members(self, rows, workflow="nhac-viec"):
        """Rows of the nhac-viec workflow (key, ho_ten, email, chi_bo, han_nop) as a CSV through `tiendoctl import`."""
        path = os.path.join(self.dir, f"import-{time.time_ns()}.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("key,ho_ten,email,chi_bo,han_nop\n")
            for r in rows:
                f.write(",".join(r) + "\n")
        self.ctl("import", workflow, path)

    def deliveries(self, *states):
        args = ["deliveries", "--json"] + [a for s in states for a in ("--state", s)]
        if not states:
            args += ["--state", "all"]
        return json.loads(self.ctl(*args).stdout)["rows"]

    def counts(self):
        return self.call("vn.tiendo.Delivery.Counts")["states"]

    def status_json(self):
        with open(os.path.join(self.status, "status.json"), encoding="utf-8") as f:
            return json.load(f)

    def prometheus(self):
        with open(os.path.join(self.status, "tiendo.prom"), encoding="utf-8") as f:
            return f.read()

    # ---------------------------------------------------------------- tiendo-deliver

    def sender_command(self, *args):
        return [os.path.join(BIN, "tiendo-deliver"), "run", "--workflows", self.workflows, "--routing", self.routing,
                "--socket", self.socket, *args]

    def start_sender(self, *args):
        self.senderf = open(self.sender_log, "ab")
        self.sender = subprocess.Popen(
            self.sender_command("--retry-base", "1s", "--retry-cap", "2s", "--seed", "7", *args),
            stdout=self.senderf, stderr=self.senderf, env=self.env)
        return self.sender

    def run_sender(self, *args, timeout=240):
        """A sender on virtual time, which ends by itself."""
        out = subprocess.run(self.sender_command(*args), capture_output=True, text=True, env=self.env, timeout=timeout)
        assert out.returncode == 0, out.stderr
        return out.stderr

    def stop_sender(self):
        if self.sender and self.sender.poll() is None:
            self.sender.terminate()
            assert self.sender.wait(60) == 0, self.sender_output()[-3000:]
        self.sender = None

    def kill_sender(self):
        self.sender.kill()
        self.sender.wait()
        self.sender = None

    def sender_output(self):
        with open(self.sender_log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def close(self):
        for p in (self.sender, self.proc):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.socket_dir, ignore_errors=True)
