"""kill -9 of the sender in the middle of a run loses no message and repeats at most the one in flight, with the
same Message-ID. (Phase 1: the sender over its test queue; killing tiendod too comes with the daemon's queue.)"""

import os
import random
import time
from collections import Counter

from conftest import wait_until
from test_smtp import ANYTIME_ROUTE, member, smtp_channel

MESSAGES = int(os.environ.get("TIENDO_KILL_MESSAGES", "2000"))
KILLS = int(os.environ.get("TIENDO_KILL_COUNT", "10"))


def test_kill_9_loses_nothing_and_repeats_only_the_message_in_flight(smtp, deliver):
    server = smtp().start()
    d = deliver(smtp_channel(server.port), ANYTIME_ROUTE)
    d.enqueue([member(n) for n in range(1, MESSAGES + 1)])
    rng = random.Random(20251130)
    d.start()
    for k in range(KILLS):
        # Kill at a random moment while mail is flowing (each round waits for some progress first).
        before = len(server.received())
        wait_until(lambda: len(server.received()) > before, 60, f"progress before kill {k + 1}")
        time.sleep(rng.uniform(0.05, 0.6))
        d.kill()
        d.start()
    wait_until(lambda: len({m.header("Message-ID") for m in server.received()}) == MESSAGES, 600, "every message")
    d.stop()

    ids = Counter(m.header("Message-ID") for m in server.received())
    # The delivery key RECORD-KEY|CHANNEL|ADDRESS, its '@' and '.' written =40 and =2E (docs/delivery.md).
    expected = {f"<nhac-viec/m{n:05d}|reminder|{n}|thu|m{n}=40example=2Evn@tayho.example.vn>" for n in range(1, MESSAGES + 1)}
    assert set(ids) == expected
    repeated = {i: c for i, c in ids.items() if c > 1}
    # One message at most in flight per kill (one worker), each repeated once at most.
    assert len(repeated) <= KILLS and all(c == 2 for c in repeated.values()), repeated
    assert d.states() == {"sent": MESSAGES}
    print(f"{MESSAGES} messages, {KILLS} kill -9, {len(repeated)} repeated in flight")
