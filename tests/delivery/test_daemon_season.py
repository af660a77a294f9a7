"""A season through the daemon: tiendod, on a fake clock running 250,000 times faster, fires three months of
reminders and overdue notices for 15 members and fans each one out in its transaction (the members' own notices,
held outside the sending hours of working days unless urgent; the secretaries' daily digests); then the real
tiendo-deliver works tiendod's queue over the socket on a virtual clock through the same three months. The
messages received are exactly those an independent reckoning expects from the records tiendod committed (their
`at` and `late`: a fast clock commits late), content and digests included, nothing in quiet hours but urgent."""

import datetime

from conftest import wait_until
from test_season import UNTIL, check_season, members_csv
from test_smtp import DIGEST_ROUTE, MEMBER_ROUTE, smtp_channel

IMPORTED = "2025-11-30T12:00:00"
RATE = 250_000


def test_a_season_through_the_daemon_delivers_exactly_the_expected_messages(tiendod, smtp, tmp_path):
    csv = tmp_path / "members.csv"
    emails = members_csv(csv)
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), MEMBER_ROUTE + DIGEST_ROUTE, fake_time=IMPORTED).start()
    d.ctl("import", "nhac-viec", str(csv))
    d.stop()
    # The season at 250,000 times real time (three months in about 30 s), from where the import left the clock.
    d.fake_time, d.time_rate = "2025-11-30T12:00:30", RATE
    d.start()
    end = UNTIL + datetime.timedelta(days=1)
    wait_until(lambda: datetime.datetime.fromisoformat(d.call("vn.tiendo.Manager.GetStatus")["status"]["now"]) >= end,
               300, "the season's records")
    records = [r for i in sorted(emails) for r in d.call("vn.tiendo.Manager.History", id=i)["records"]]
    notices = [r for r in records if r["kind"] in ("reminder", "overdue")]
    assert len(notices) > 100 and any(r["priority"] <= 2 for r in notices)
    assert d.counts()["pending"] > 150

    d.run_sender("--virtual-time", IMPORTED[:16], "--until", UNTIL.strftime("%Y-%m-%dT%H:%M"), "--seed", "3")
    check_season(server.received(), records, emails)
    # Every delivery sent, replaced or past its deadline, or due after the season; none dead, none left in flight.
    counts = d.counts()
    assert counts["dead"] == 0 and counts["inflight"] == 0
    # A digest carries one delivery per case it lists.
    assert counts["sent"] == sum(int(m.header("X-Tiendo-Digest")) if "X-Tiendo-Digest" in m.message else 1
                                 for m in server.received())
    assert counts["expired"] > 0
    pending = d.deliveries("pending")
    assert all(datetime.datetime.fromisoformat(r["notBefore"]) >= UNTIL for r in pending)
