"""One local user attacking the control socket: the daemon stays up, stays small, and answers everyone else.

Each test runs its own tiendod; the attacker is `attacker.py` under uid 65534 (setpriv), a member of nothing —
like any account that can open the socket. Bounds checked here are those of ServerLimits (README, "Limits").
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from conftest import BIN, IFACE, Daemon

HERE = os.path.dirname(os.path.abspath(__file__))
ATTACKER_UID = 65534
OTHER_UID = 65533
DEADLINE = 3  # seconds: TIENDO_VARLINK_DEADLINE_SECONDS for these daemons


@pytest.fixture
def d():
    daemon = Daemon(extra_env={"TIENDO_VARLINK_DEADLINE_SECONDS": str(DEADLINE)})
    os.chmod(daemon.socket, 0o666)
    yield daemon
    daemon.stop()


def proc_number(pid, name, prefix, field):
    """The number in whitespace-separated `field` of the line of /proc/PID/NAME that starts with `prefix`."""
    with open(f"/proc/{pid}/{name}") as f:
        for line in f:
            if line.startswith(prefix):
                return int(line.split()[field])
    raise AssertionError(f"no {prefix} in /proc/{pid}/{name}")


def rss_kib(pid):
    return proc_number(pid, "status", "VmRSS:", 1)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call(path, method, params=None, uid=None, timeout=10):
    """One call on a fresh connection; returns (seconds, reply). Under another uid through a subprocess."""
    payload = json.dumps({"method": IFACE + "." + method, "parameters": params or {}}, ensure_ascii=False).encode() + b"\0"
    if uid is not None:
        code = ("import socket,sys,time;s=socket.socket(socket.AF_UNIX);s.settimeout(%d);t=time.time();"
                "s.connect(sys.argv[1]);s.sendall(sys.argv[2].encode()+b'\\0');b=b''\n"
                "while b'\\0' not in b:\n c=s.recv(65536)\n if not c: break\n b+=c\n"
                "print(time.time()-t);print(b.split(b'\\0')[0].decode())") % timeout
        r = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable, "-c", code,
                            path, payload[:-1].decode()], capture_output=True, text=True, timeout=timeout + 5)
        assert r.returncode == 0, r.stderr
        seconds, reply = r.stdout.split("\n", 1)
        return float(seconds), json.loads(reply)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    t0 = time.time()
    s.connect(path)
    s.sendall(payload)
    buf = b""
    while b"\0" not in buf:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    s.close()
    return time.time() - t0, json.loads(buf.split(b"\0")[0])


def others_answer_quickly(d):
    """Root and another unprivileged user each get GetStatus within a second."""
    for uid in (None, OTHER_UID):
        seconds, reply = call(d.socket, "GetStatus", uid=uid)
        assert "parameters" in reply and reply["parameters"]["status"]["pid"] == d.proc.pid, reply
        assert seconds < 1.0, f"GetStatus took {seconds:.2f} s for uid {uid}"


class Attacker:
    def __init__(self, d, *args):
        self.p = subprocess.Popen(
            ["setpriv", f"--reuid={ATTACKER_UID}", f"--regid={ATTACKER_UID}", "--clear-groups", sys.executable,
             os.path.join(HERE, "attacker.py"), d.socket, *map(str, args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        assert line, "attacker failed"
        self.report = json.loads(line)

    def stop(self):
        self.p.stdin.close()
        self.p.wait(30)


def import_big(d, n, size=2000, key="k"):
    """n instances whose group field is `size` bytes, so that replies and records are large."""
    pad = "đ" * (size // 2)
    for start in range(0, n, 2000):
        rows = [{"key": f"{key}{i}", "han": "2026-03-20", "ma": f"{pad}{i}"} for i in range(start, min(n, start + 2000))]
        seconds, reply = call(d.socket, "ImportInstances", {"workflow": "hop", "rows": rows}, timeout=120)
        assert "error" not in reply, reply


def test_idle_connections_of_one_user_do_not_lock_out_others(d):
    a = Attacker(d, "idle", 4200)
    try:
        # The user's own cap (128): the rest were closed at once.
        assert a.report["opened"] - a.report["refused"] <= 128, a.report
        others_answer_quickly(d)
        # Rate-limited: thousands of refusals, a handful of lines.
        refusals = d.log_text().count("từ chối kết nối")
        assert 1 <= refusals <= 12, refusals
    finally:
        a.stop()
    others_answer_quickly(d)


def test_replies_never_read_keep_memory_bounded(d):
    import_big(d, 4000)
    time.sleep(0.5)
    base = rss_kib(d.proc.pid)
    # Each reply is ~10 MiB: unbounded, these would queue 60 + 60 replies (> 1 GiB).
    a = Attacker(d, "unread", 60, 10000)
    b = Attacker(d, "pipeline", 60, 10000)
    try:
        time.sleep(2)
        others_answer_quickly(d)
        # Bounded, far below the 1 GiB above: 300 MiB was exceeded on a loaded machine by the daemon of 53f3762 too
        # (312 and 322 MiB on 02/12/2026) and, since the daemon keeps every open due item in memory (this test's
        # 4,000 groups of 2 KB among them), once unloaded in CI (302 MiB).
        grown = (rss_kib(d.proc.pid) - base) / 1024
        assert grown < 350, f"daemon grew by {grown:.0f} MiB"
        # Connections whose output makes no progress are dropped after the deadline: DEADLINE seconds after their
        # output stopped, which on a loaded machine comes later than the fixed pause this test once had (the 60
        # replies of ~10 MiB are made first, four at a time).
        limit = time.time() + DEADLINE + 60
        while "không đọc trả lời" not in d.log_text() and time.time() < limit:
            time.sleep(0.2)
        assert "không đọc trả lời" in d.log_text(), d.log_text()[-2000:]
        others_answer_quickly(d)
    finally:
        a.stop()
        b.stop()


def test_watch_streams_that_never_read_are_dropped(d):
    a = Attacker(d, "watch", 20)
    try:
        base = rss_kib(d.proc.pid)
        # ~2.3 KiB per record and 12,000 records: ~28 MiB for each of the 20 streams if nothing were dropped (560 MiB).
        # The daemon also keeps every open due item in memory for Agenda, each with its group: 12,000 groups of 2 KB
        # here, 24 MiB of text and as much again in the allocator's keeping (measured 228-266 MiB in all, 153-178
        # without those items, on 02/12/2026).
        import_big(d, 12000, key="w")
        others_answer_quickly(d)
        grown = (rss_kib(d.proc.pid) - base) / 1024
        assert grown < 320, f"daemon grew by {grown:.0f} MiB"
        assert "bỏ luồng Watch" in d.log_text()
    finally:
        a.stop()


def test_unterminated_floods_are_dropped_fast(d):
    p = subprocess.Popen(
        ["setpriv", f"--reuid={ATTACKER_UID}", f"--regid={ATTACKER_UID}", "--clear-groups", sys.executable,
         os.path.join(HERE, "attacker.py"), d.socket, "flood", "8", "9"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    others_answer_quickly(d)
    report = json.loads(p.stdout.readline())
    p.stdin.close()
    p.wait(30)
    assert max(report["dropped_after"]) < 10, report
    assert "vượt 8 MiB" in d.log_text()
    others_answer_quickly(d)


def test_a_trickling_message_is_dropped_at_its_deadline(d):
    a = Attacker(d, "trickle")
    try:
        assert a.report["dropped_after"] < DEADLINE + 3, a.report
        assert "không gửi xong" in d.log_text()
    finally:
        a.stop()


def connect_without_waiting(path, n):
    """n connections started without waiting to be accepted (those the backlog cannot take fail quietly)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except (BlockingIOError, OSError):
            pass
        socks.append(s)
    return socks


def cpu_during(pid, seconds):
    """CPU seconds `pid` used over the next `seconds`."""
    cpu0 = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - cpu0


def test_connection_flood_under_a_small_file_limit_leaves_the_daemon_its_descriptors():
    # 96 descriptors: 64 stay the daemon's own (ServerLimits.ownDescriptors), so at most 32 connections. The flood
    # starts while the daemon is still loading Agenda's items from a reader connection: once, connections took
    # every descriptor, that reader could not open its database file, and releasing it crashed the daemon.
    d = Daemon(prefix=("prlimit", "--nofile=96:96"))
    socks = []
    try:
        socks += connect_without_waiting(d.socket, 200)
        time.sleep(0.5)
        cpu = cpu_during(d.proc.pid, 3)
        assert cpu < 0.5, f"{cpu:.2f} s of CPU in 3 s with the connection table full"
        assert d.proc.poll() is None, d.log_text()
        log = d.log_text()
        assert "đã đủ 32 kết nối" in log, log
        assert "Đã nạp 0 hạn đang mở vào bộ nhớ" in log, log
        assert "hết mô tả tệp" not in log and "unable to open" not in log, log
        assert log.count("từ chối kết nối") <= 6, log
        for s in socks:
            s.close()
        socks.clear()
        seconds, reply = call(d.socket, "GetStatus", timeout=10)
        assert "parameters" in reply and seconds < 5.0
        _, reply = call(d.socket, "Agenda", {"days": 30})
        assert reply["parameters"]["items"] == [], reply
    finally:
        for s in socks:
            s.close()
        d.stop()


def soft_nofile(pid):
    return proc_number(pid, "limits", "Max open files", 3)


def test_file_table_full_from_outside_pauses_accept_and_answers_on_open_connections():
    # The file table full for reasons not the daemon's (here its soft limit lowered under it, as ENFILE would):
    # `accept` pauses instead of spinning, and requests on connections already open are answered, since every
    # reader connection was opened at start. Once, a reader opened on demand could not be, releasing it started
    # libdispatch's pool monitor in the full table, and tiendod died of SIGILL (8 runs of 9 of this test).
    d = Daemon()
    pid = d.proc.pid
    held = []
    waiting = []
    limit = soft_nofile(pid)
    try:
        for _ in range(8):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(15)
            s.connect(d.socket)
            held.append(s)
        time.sleep(0.3)
        # No descriptor can be made: the limit is the lowest free number (those above it stay usable).
        open_fds = {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}
        lowest_free = next(n for n in range(len(open_fds) + 1) if n not in open_fds)
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={lowest_free}:"], check=True)
        waiting += connect_without_waiting(d.socket, 20)
        payload = json.dumps({"method": IFACE + ".ListInstances", "parameters": {"workflow": "hop"}}).encode() + b"\0"
        # Rounds of 8 requests at once: the 4 reading threads, the loop and the status publisher all read together.
        for _ in range(12):
            for s in held:
                s.sendall(payload)
            for s in held:
                b = b""
                while b"\0" not in b:
                    chunk = s.recv(65536)
                    assert chunk, "connection closed without a reply: " + d.log_text()
                    b += chunk
                r = json.loads(b.split(b"\0")[0])
                assert r.get("parameters", {}).get("instances") == [], r
        cpu = cpu_during(pid, 3)
        assert d.proc.poll() is None, d.log_text()
        assert cpu < 0.5, f"{cpu:.2f} s of CPU in 3 s with the file table full"
        log = d.log_text()
        assert 1 <= log.count("hết mô tả tệp") <= 6, log
        subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={limit}:"], check=True)
        for s in waiting:
            s.close()
        waiting.clear()
        seconds, reply = call(d.socket, "GetStatus", timeout=10)
        assert "parameters" in reply and seconds < 5.0, reply
        _, reply = call(d.socket, "ListInstances", {"workflow": "hop"})
        assert reply["parameters"]["instances"] == [], reply
    finally:
        if d.proc.poll() is None:
            subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={limit}:"])
        for s in held + waiting:
            s.close()
        d.stop()


def test_refuses_to_start_with_too_few_descriptors():
    wf = os.path.join(HERE, "..", "..", "Workflows")
    state = tempfile.mkdtemp(prefix="tiendo-vl-nofile-")
    try:
        r = subprocess.run(["prlimit", "--nofile=64:64", os.path.join(BIN, "tiendod"), "--workflows", wf, "--state-dir",
                            os.path.join(state, "state"), "--runtime-dir", os.path.join(state, "run"), "--socket",
                            os.path.join(state, "sock")], capture_output=True, text=True, timeout=60)
        assert r.returncode == 1, (r.returncode, r.stderr)
        assert "Giới hạn cứng số tệp mở của tiến trình là 64, quá thấp: tiendod cần ít nhất 96" in r.stderr, r.stderr
        assert "LimitNOFILE=" in r.stderr and "Signal" not in r.stderr, r.stderr
        assert not os.path.exists(os.path.join(state, "state", "tiendo.sqlite")), "nothing is created"
    finally:
        shutil.rmtree(state, ignore_errors=True)