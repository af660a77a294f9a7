"""kill -9 of the sender and of tiendod in the middle of a run: no message is lost, and none is repeated but the
one in flight at each kill, with the same Message-ID. The queue is tiendod's (vn.tiendo.Delivery); a killed
tiendod is started again on the same state, a killed sender under the same name.

`make test` runs the issue's size, 10,000 messages and 20 kills (alternately the sender and tiendod), with the
debug build: most of the delivery suite's time; `TIENDO_KILL_MESSAGES=2000 TIENDO_KILL_COUNT=10` is a quicker run
while working on the sender."""

import os
import random
import time
from collections import Counter

from conftest import wait_until
from test_daemon import STARTED, members
from test_smtp import smtp_channel

MESSAGES = int(os.environ.get("TIENDO_KILL_MESSAGES", "10000"))
KILLS = int(os.environ.get("TIENDO_KILL_COUNT", "20"))


def test_kill_9_of_the_sender_and_of_tiendod_loses_nothing_and_repeats_only_the_message_in_flight(tiendod, smtp):
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.import_members(members(MESSAGES))
    assert d.counts()["pending"] == MESSAGES
    rng = random.Random(20251130)
    started = time.time()
    d.start_sender()
    kills = Counter()
    for k in range(KILLS):
        # Kill at a random moment while mail is flowing (each round waits for some progress first).
        before = len(server.received())
        wait_until(lambda: len(server.received()) > before, 120, f"progress before kill {k + 1}")
        time.sleep(rng.uniform(0.05, 0.6))
        if k % 2 == 0:
            d.kill_sender()
            kills["tiendo-deliver"] += 1
            d.start_sender()
        else:
            d.kill()
            kills["tiendod"] += 1
            d.start()
    wait_until(lambda: len({m.header("Message-ID") for m in server.received()}) == MESSAGES, 1800, "every message")
    wait_until(lambda: d.counts()["sent"] == MESSAGES, 60, "every delivery reported sent")
    elapsed = time.time() - started
    d.stop_sender()

    received = server.received()
    ids = Counter(m.header("Message-ID") for m in received)
    # Each recipient got one Message-ID (a repeat has the same one), and every one of them got theirs.
    by_recipient = {}
    for m in received:
        by_recipient.setdefault(m.to, set()).add(m.header("Message-ID"))
    assert sorted(by_recipient) == sorted(f"m{i}@example.vn" for i in range(1, MESSAGES + 1))
    assert all(len(v) == 1 for v in by_recipient.values())
    repeated = {i: c for i, c in ids.items() if c > 1}
    # One message at most in flight per kill (one worker), each repeated once at most.
    assert len(repeated) <= KILLS and all(c == 2 for c in repeated.values()), repeated
    assert d.counts() == {"pending": 0, "inflight": 0, "sent": MESSAGES, "dead": 0, "expired": 0, "failed": 0}
    print(f"{MESSAGES} messages, kill -9 of {dict(kills)}, {len(repeated)} repeated in flight, {elapsed:.1f} s")
