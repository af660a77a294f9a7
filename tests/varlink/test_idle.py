"""An idle tiendod never wakes (issue 14's "wake-ups when idle: 0"): no thread of it runs while nothing is due and
nobody asks. The daemons here have no watchdog (no WATCHDOG_USEC) and an empty store, so every wake-up is one too
many.

The 03/12 regression this guards against was a race at start: the readers opened all at once made GRDB's pool wait
inside libdispatch, which started a worker of a non-overcommit pool, and with it libdispatch's pool monitor, a timer
that then woke the daemon every second for the rest of its life — in two starts out of three. Hence several starts.
"""

import os
import time

from conftest import Daemon
from test_overload import call

STARTS = 4
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


def test_idle_daemon_wakes_no_thread():
    woke = []
    for start in range(STARTS):
        d = Daemon()
        try:
            _, reply = call(d.socket, "GetStatus")
            assert "parameters" in reply, reply
            assert reply["parameters"]["status"].get("nextWakeup") is None, reply
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
