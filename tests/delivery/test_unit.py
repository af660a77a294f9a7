"""systemd/tiendo-deliver.service: checked offline, then run under a real `systemd --user` manager and journald
(recipe: shared/guide/real-systemd-in-tests.md) against a real tiendod's socket: READY through sd_notify, mail to
the allowed relay, a webhook host outside IPAddressAllow= blocked, the failure in the journal with its MESSAGE_ID,
a clean stop."""

import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest
from conftest import BIN, ROOT, wait_until
from daemon import DeliveryDaemon
from servers import WebhookReceiver
from test_daemon import STARTED, members
from test_smtp import smtp_channel

UNIT = os.path.join(ROOT, "systemd", "tiendo-deliver.service")
PAUSED = "e1a7df88fc40408b850e57ce4b9c75bc"


def test_unit_verifies_and_is_hardened(tmp_path):
    text = open(UNIT, encoding="utf-8").read().replace("/usr/bin/tiendo-deliver", os.path.join(BIN, "tiendo-deliver"))
    (tmp_path / "tiendo-deliver.service").write_text(text)
    out = subprocess.run(["systemd-analyze", "verify", "./tiendo-deliver.service"], cwd=tmp_path, capture_output=True,
                         text=True)
    # Documentation= names a file installed by `make install` and the daemon's man page; nothing else may complain.
    problems = [l for l in (out.stdout + out.stderr).splitlines() if "Documentation" not in l and "man tiendod" not in l
                and "file:/usr/share/doc" not in l]
    assert problems == []
    sec = subprocess.run(["systemd-analyze", "security", "--offline=true", UNIT], capture_output=True, text=True)
    exposure = float(re.search(r"Overall exposure level for tiendo-deliver.service: ([0-9.]+)", sec.stdout).group(1))
    # The network is this unit's job (PrivateNetwork= 0.5, AF_INET 0.3); everything else is locked down.
    assert exposure <= 1.2, sec.stdout
    root = tmp_path / "sysroot"
    (root / "etc").mkdir(parents=True)
    subprocess.run(["systemd-sysusers", f"--root={root}", os.path.join(ROOT, "systemd", "tiendo.sysusers"),
                    os.path.join(ROOT, "systemd", "tiendo-deliver.sysusers")], check=True, capture_output=True)
    assert re.search(r"^tiendo-deliver:x:\d+:\d+:[^:]*:/var/lib/tiendo-deliver:", (root / "etc/passwd").read_text(), re.M)
    assert re.search(r"^tiendo:x:\d+:tiendo-deliver$", (root / "etc/group").read_text(), re.M)


def test_every_message_id_of_the_sender_is_in_the_catalog(tmp_path):
    source = open(os.path.join(ROOT, "Sources", "tiendo-deliver", "DeliveryLog.swift"), encoding="utf-8").read()
    ids = set(re.findall(r'"([0-9a-f]{32})"', source))
    assert len(ids) == 7
    catalog = tmp_path / "usr/lib/systemd/catalog"
    catalog.mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "systemd", "tiendo-deliver.catalog"), catalog)
    (tmp_path / "var/lib/systemd/catalog").mkdir(parents=True)
    subprocess.run(["journalctl", f"--root={tmp_path}", "--update-catalog"], check=True, capture_output=True)
    listed = subprocess.run(["journalctl", f"--root={tmp_path}", "--list-catalog"], capture_output=True, text=True,
                            check=True).stdout
    assert {line.split()[0] for line in listed.splitlines() if line.strip()} == ids
    # Each in English (the fallback) and in Vietnamese.
    text = open(os.path.join(ROOT, "systemd", "tiendo-deliver.catalog"), encoding="utf-8").read()
    assert {m for m in re.findall(r"^-- ([0-9a-f]{32}) vi$", text, re.M)} == ids
    assert {m for m in re.findall(r"^-- ([0-9a-f]{32})$", text, re.M)} == ids


class Manager:
    """journald (when none runs) and a private `systemd --user`, stopped by their process ids."""

    def __init__(self, base):
        self.base = base
        self.env = dict(os.environ, XDG_RUNTIME_DIR=os.path.join(base, "xdg"), HOME=os.path.join(base, "home"))
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700)
        os.makedirs(self.env["HOME"])
        self.journald = None
        if subprocess.run(["pgrep", "-x", "systemd-journal"], capture_output=True).returncode != 0:
            os.makedirs("/run/systemd/journal", exist_ok=True)
            self.journald = subprocess.Popen(["/lib/systemd/systemd-journald"], stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL)
            wait_until(lambda: subprocess.run(["journalctl", "-n", "1", "--no-pager"], capture_output=True).returncode == 0,
                       20, "journald")
        # In these containers /run is a plain directory: the unit's sandbox would mount an empty tmpfs over it and
        # hide the test files and the notify socket. A bind mount on itself makes it a mount point as on a real
        # host (as tests/systemd/run.sh does); stop() removes it.
        self.bound = subprocess.run(["mountpoint", "-q", "/run"]).returncode != 0
        if self.bound:
            subprocess.run(["mount", "--bind", "/run", "/run"], check=True)
        created = not os.path.isdir("/run/systemd/system")
        if created:
            os.makedirs("/run/systemd/system")
        self.log = open(os.path.join(base, "manager.log"), "wb")
        self.proc = subprocess.Popen(["/lib/systemd/systemd", "--user"], env=self.env, stdout=self.log, stderr=self.log)
        try:
            wait_until(lambda: self.ctl("is-system-running").stdout.strip() in ("running", "degraded"), 30,
                       "systemd --user")
        finally:
            if created:
                os.rmdir("/run/systemd/system")

    def ctl(self, *args):
        return subprocess.run(["systemctl", "--user", *args], env=self.env, capture_output=True, text=True)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if self.journald:
            self.journald.terminate()
            self.journald.wait(timeout=30)
        if self.bound:
            subprocess.run(["umount", "-l", "/run"], check=True)


@pytest.fixture
def manager():
    if os.geteuid() != 0:
        pytest.fail("needs root: a systemd --user manager and journald (CI runs as root)")
    base = tempfile.mkdtemp(prefix="tiendo-deliver-unit-", dir="/run")  # not /tmp: PrivateTmp= would hide it
    os.chmod(base, 0o755)
    m = Manager(base)
    yield m
    m.stop()
    shutil.rmtree(base, ignore_errors=True)


def test_the_unit_sends_to_the_allowed_relay_and_nothing_else(manager, smtp):
    server = smtp().start()
    hidden = WebhookReceiver("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", host="127.0.0.2")
    d = None
    try:
        base = manager.base
        secret = os.path.join(base, "secret")
        with open(secret, "w") as f:
            f.write("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        channels = (smtp_channel(server.port).replace("host: localhost", "host: 127.0.0.1") +
                    f"  tinh:\n    type: webhook\n    url: http://127.0.0.2:{hidden.port}/\n    timeout: 2s\n"
                    f"    secret_file: {secret}\n")
        routes = STARTED + "  - name: tinh\n    kinds: [started]\n    channel: tinh\n    quiet_hours: false\n"
        # tiendod outside the manager, its workflows and socket under /run (the unit's PrivateTmp= hides /tmp); the
        # unit's sender reaches the queue through the socket, as in production.
        d = DeliveryDaemon(os.path.join(base, "tiendod"), channels, routes, socket_dir=os.path.join(base, "tiendod")).start()
        d.import_members(members(1))
        unit_dir = os.path.join(manager.env["HOME"], ".config", "systemd", "user")
        os.makedirs(os.path.join(unit_dir, "tiendo-deliver.service.d"))
        shutil.copy(UNIT, unit_dir)
        # The program is copied under /run: the checkout may be under /tmp (a CI clone), which PrivateTmp= hides from
        # the unit (exit 203/EXEC).
        program = os.path.join(base, "tiendo-deliver")
        shutil.copy(os.path.join(BIN, "tiendo-deliver"), program)
        with open(os.path.join(unit_dir, "tiendo-deliver.service.d", "test.conf"), "w") as f:
            # A user manager cannot switch users; these containers refuse ProtectHome= and ProtectKernelTunables=
            # and, here, ProtectKernelLogs= (226/NAMESPACE, see the guide). The relay is allowed by address, the
            # webhook host is not. The shipped unit names the socket in TIENDO_SOCKET.
            f.write(f"[Service]\nExecStart=\nExecStart={program} run --workflows {d.workflows} --routing {d.routing} "
                    f"--retry-base 1s --retry-cap 2s\nEnvironment=TIENDO_SOCKET={d.socket}\n"
                    f"User=\nGroup=\nSupplementaryGroups=\nProtectHome=no\nProtectKernelTunables=no\nProtectKernelLogs=no\n"
                    f"IPAddressAllow=\nIPAddressAllow=127.0.0.1\n")
        assert manager.ctl("daemon-reload").returncode == 0
        started = manager.ctl("start", "tiendo-deliver.service")
        assert started.returncode == 0, manager.ctl("status", "tiendo-deliver.service").stdout + subprocess.run(
            ["journalctl", "--no-pager", "-n", "30", "SYSLOG_IDENTIFIER=tiendo-deliver"], capture_output=True, text=True).stdout
        # Type=notify: start returns once READY=1 came.
        assert manager.ctl("show", "-p", "ActiveState", "--value", "tiendo-deliver.service").stdout.strip() == "active"
        wait_until(lambda: len(server.received()) == 1, 30, "the mail through the allowed relay")
        wait_until(lambda: d.counts()["sent"] == 1, 30, "the mail reported sent to tiendod")

        def paused():
            out = subprocess.run(["journalctl", f"MESSAGE_ID={PAUSED}", "TIENDO_CHANNEL=tinh", "-o", "json", "--no-pager"],
                                 capture_output=True, text=True)
            return [json.loads(l) for l in out.stdout.splitlines() if l.strip()]

        wait_until(lambda: paused(), 30, "the blocked webhook in the journal")
        entry = paused()[0]
        assert entry["SYSLOG_IDENTIFIER"] == "tiendo-deliver" and entry["PRIORITY"] == "4"
        assert entry["MESSAGE"].startswith("Tạm dừng kênh tinh")
        assert hidden.received() == []
        wait_until(lambda: [r["channel"] for r in d.deliveries("failed")] == ["tinh"], 30, "the failure reported to tiendod")
        stop = manager.ctl("stop", "tiendo-deliver.service")
        assert stop.returncode == 0
        assert manager.ctl("show", "-p", "Result", "--value", "tiendo-deliver.service").stdout.strip() == "success"
        # The same sender outside the sandbox reaches the webhook host: the block was the unit's.
        d.start_sender()
        wait_until(lambda: len(hidden.received()) == 1, 30, "the webhook outside the unit")
        d.stop_sender()
        assert hidden.received()[0]["verified"]
    finally:
        hidden.stop()
        if d:
            d.close()
