"""An idle tiendod never wakes (issue 14's "wake-ups when idle: 0"): no thread of it runs while nothing is due and
nobody asks. The daemons here have no watchdog (no WATCHDOG_USEC) and an empty store, so every wake-up is one too
many.

The 03/12 regression this guards against: reads that met in GRDB's reader pool (a `sync` on a concurrent dispatch
queue) made libdispatch start a worker of a non-overcommit pool, and with it its pool monitor, a timer that then woke
the daemon every second for the rest of its life — at start, when the readers were opened together, in two starts
out of three, and after a burst of concurrent clients in two daemons out of seven. Hence several daemons, each read
by 8 clients at once before it is watched.
"""

import os
import threading
import time

from conftest import Daemon
from test_overload import call

STARTS = 4
CLIENTS = 8
CALLS = 30  # per client, alternately GetStatus and ListInstances: both read SQLite (Agenda reads memory)
SETTLE = 2.0  # seconds after the first answer: the status files and the first checkpoint are written
WINDOW = 4.0  # seconds watched; libdispatch's monitor ticks every second


def switches(pid):
    """Voluntary context switches per live thread: {tid: (name, count)}."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                count = next(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt_switches:"))
        except (FileNotFoundError, ProcessLookupError):
            continue  # the thread ended meanwhile
        out[tid] = (name, count)
    return out


def burst(path):
    """CLIENTS threads calling at once; returns the errors (none expected)."""
    errors = []

    def client():
        for i in range(CALLS):
            method, params = ("GetStatus", {}) if i % 2 == 0 else ("ListInstances", {"limit": 50})
            try:
                _, reply = call(path, method, params)
                if "error" in reply:
                    errors.append(reply)
            except OSError as e:
                errors.append(str(e))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_idle_daemon_wakes_no_thread():
    woke = []
    for start in range(STARTS):
        d = Daemon()
        try:
            _, reply = call(d.socket, "GetStatus")
            assert "parameters" in reply, reply
            assert reply["parameters"]["status"].get("nextWakeup") is None, reply
            assert burst(d.socket) == []
            time.sleep(SETTLE)
            before = switches(d.proc.pid)
            time.sleep(WINDOW)
            after = switches(d.proc.pid)
            for tid, (name, count) in after.items():
                if tid in before and count > before[tid][1]:
                    woke.append(f"start {start + 1}: thread {tid} ({name}) woke {count - before[tid][1]} times")
        finally:
            d.stop()
    assert not woke, f"an idle tiendod woke in {WINDOW:.0f} s: " + "; ".join(woke)


def test_an_empty_daemon_does_not_wake_at_midnight():
    """Nothing due at all: nothing the status files say changes by itself, so no midnight wakes the daemon (it woke at
    every local midnight to write them again). A fake clock 20,000 times as fast crosses midnight in the window."""
    d = Daemon(fake_time="2026-03-02T12:00:00+07:00", time_rate="20000")
    try:
        _, reply = call(d.socket, "GetStatus")
        assert "parameters" in reply and reply["parameters"]["status"].get("nextWakeup") is None, reply
        time.sleep(SETTLE)
        before = switches(d.proc.pid)
        time.sleep(WINDOW)  # 22 fake hours: 23:00 to 21:00 the next day
        after = switches(d.proc.pid)
        woke = [f"thread {tid} ({name}) woke {count - before[tid][1]} times" for tid, (name, count) in after.items()
                if tid in before and count > before[tid][1]]
        assert not woke, "an empty tiendod woke across midnight: " + "; ".join(woke)
    finally:
        d.stop()
