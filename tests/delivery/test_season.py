"""A season on a virtual clock: the engine's records (tiendoctl simulate) fanned out by the routing file and sent by
tiendo-deliver to aiosmtpd deliver exactly the messages an independent reckoning expects: the members' own notices
(held outside the sending hours of working days unless urgent, replaced by newer notices, dropped once the
deadline has passed) and the secretaries' daily digests, with their content, and nothing in quiet hours."""

import datetime
import json
import os
import subprocess
from collections import Counter

from conftest import BIN, ROOT, WORKFLOWS
from test_smtp import DIGEST_ROUTE, MEMBER_ROUTE, smtp_channel

VN = datetime.timezone(datetime.timedelta(hours=7))
START = datetime.datetime(2025, 12, 1, 0, 0, tzinfo=VN)
UNTIL = datetime.datetime(2026, 3, 1, 0, 0, tzinfo=VN)
TITLE = "Nộp bản kiểm điểm cá nhân cuối năm"
GROUPS = ["Chi bộ Khu dân cư số 2", "Chi bộ Khu dân cư số 5", "Chi bộ Khu dân cư số 7"]
SECRETARY = {"Chi bộ Khu dân cư số 2": "bithu.kdc2@example.vn", "Chi bộ Khu dân cư số 5": "bithu.kdc5@example.vn"}


def members_csv(path):
    """15 members, dues from 05/12/2025 to 20/02/2026 (over New Year and Tết 2026); every fifth has no email."""
    rows = ["key,ho_ten,email,chi_bo,han_nop"]
    for i in range(15):
        due = datetime.date(2025, 12, 5) + datetime.timedelta(days=5 * i + i % 3)
        mail = "" if i % 5 == 4 else f"dv{i:02d}@example.vn"
        rows.append(f"dv{i:02d},Đảng viên {i:02d},{mail},{GROUPS[i % 3]},{due.isoformat()}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {f"nhac-viec/dv{i:02d}": (f"dv{i:02d}@example.vn" if i % 5 != 4 else None) for i in range(15)}


def working_days():
    """Non-working days from `tiendoctl calendar` (the shipped vn calendar), as an oracle independent of the
    sender's own reckoning."""
    off, work = set(), set()
    for year in (2025, 2026):
        out = subprocess.run([os.path.join(BIN, "tiendoctl"), "calendar", "vn", str(year), "--workflows",
                              os.path.join(ROOT, "Workflows"), "--json", "--all"], capture_output=True, text=True, check=True)
        for e in json.loads(out.stdout):
            (work if e["kind"] == "workday" else off).add(datetime.date.fromisoformat(e["date"]))
    return lambda d: d in work or d not in off


def at_local(d, hour, minute):
    return datetime.datetime(d.year, d.month, d.day, hour, minute, tzinfo=VN)


def earliest(t, working):
    """The first instant at or after t within 07:00–18:00 of a working day."""
    d = t.date()
    if working(d) and at_local(d, 7, 0) <= t < at_local(d, 18, 0):
        return t
    if working(d) and t < at_local(d, 7, 0):
        return at_local(d, 7, 0)
    d += datetime.timedelta(days=1)
    while not working(d):
        d += datetime.timedelta(days=1)
    return at_local(d, 7, 0)


def released(t, working):
    """When a notice committed at t goes: at once within the hours; else held to the hours, and then not before 08:01
    of that day (a minute after the workflow's own notices, `reminders.at` 08:00), which falls within them."""
    send = earliest(t, working)
    return max(send, at_local(send.date(), 8, 1)) if send > t else send


def digest_slot(t, working):
    d = t.date()
    while not working(d) or at_local(d, 7, 30) < t:
        d += datetime.timedelta(days=1)
    return at_local(d, 7, 30)


def vn_date(d):
    return d.strftime("%d/%m/%Y")


def rfc5322(t):
    return t.strftime("%a, %d %b %Y %H:%M:%S +0700")


def subject(kind, due, sent, priority):
    """The subject of a member's own notice: neither their name nor the case's code; `[Khẩn]` first when urgent."""
    days = (due - sent.date()).days
    tail = f"«{TITLE}», hạn chót {vn_date(due)}"
    urgent = "[Khẩn] " if priority <= 2 else ""
    if kind == "reminder":
        return urgent + (f"Còn {days} ngày: {tail}" if days > 0 else f"Hôm nay đến hạn: {tail}")
    return urgent + (f"Quá hạn {-days} ngày: {tail}" if days < 0 else f"Đã quá hạn chót: {tail}")


def committed_at(r):
    """When a record was committed, and its deliveries queued: its instant, and `late` seconds after it when the
    daemon sent it late (a fake clock running fast)."""
    return datetime.datetime.fromisoformat(r["at"]) + datetime.timedelta(seconds=r.get("late", 0))


def expected_messages(records, emails, working, until=UNTIL):
    """(to, Date, Subject) of every message sent before `until`, and the instances listed in each digest."""
    notices = [(i, r) for i, r in enumerate(records) if r["kind"] in ("reminder", "overdue")]

    def replaced(i, r, now):
        return any(j > i and s["instance"] == r["instance"] and committed_at(s) <= now for j, s in notices)

    def expired(r, now):
        deadline = at_local(datetime.date.fromisoformat(r["due"]) + datetime.timedelta(days=1), 0, 0)
        return r["kind"] == "reminder" and deadline <= now

    singles, digests = [], {}
    for i, r in notices:
        t = committed_at(r)
        due = datetime.date.fromisoformat(r["due"])
        mail = emails[r["instance"]]
        if mail:
            send = t if r["priority"] <= 2 else released(t, working)
            if send < until and not replaced(i, r, send) and not expired(r, send):
                singles.append((mail, rfc5322(send), subject(r["kind"], due, send, r["priority"])))
        if r.get("group") in SECRETARY:
            slot = digest_slot(t, working)
            if slot < until and not replaced(i, r, slot) and not expired(r, slot):
                digests.setdefault((SECRETARY[r["group"]], slot, r["group"]), []).append((r["instance"], r["priority"] <= 2))
    for (to, slot, group), items in digests.items():
        urgent = "[Khẩn] " if any(u for _, u in items) else ""
        singles.append((to, rfc5322(slot), f"{urgent}Nhắc việc ngày {vn_date(slot.date())} – {group}"))
    return singles, {(to, rfc5322(slot)): sorted(i for i, _ in v) for (to, slot, _), v in digests.items()}


def check_season(received, records, emails, until=UNTIL):
    """The messages received are exactly those the reckoning expects from the records, with their content: the
    members' own notices and the secretaries' digests (listing the right cases), nothing in quiet hours but urgent
    notices."""
    working = working_days()
    want, digest_items = expected_messages(records, emails, working, until)
    got = [(m.to, m.header("Date"), m.header("Subject")) for m in received]
    assert Counter(got) == Counter(want)
    assert len(got) > 150

    for m in received:
        sent = datetime.datetime.strptime(m.header("Date"), "%a, %d %b %Y %H:%M:%S %z")
        in_hours = working(sent.date()) and datetime.time(7, 0) <= sent.time() < datetime.time(18, 0)
        digest = "X-Tiendo-Digest" in m.message
        if not in_hours:
            # Only urgent notices go out in quiet hours: overdue 5 days or more, escalated to crit.
            words = m.header("Subject").split()
            assert not digest and words[:3] == ["[Khẩn]", "Quá", "hạn"] and int(words[3]) >= 5, (m.header("Date"), m.header("Subject"))
        if digest:
            text = m.part("text/plain")
            # A digest names each member first (their name is known: no code).
            listed = sorted(i for i in emails if f" Đảng viên {i[-2:]}: «" in text)
            assert listed == digest_items[(m.to, m.header("Date"))]
            assert m.header("X-Tiendo-Digest") == str(len(listed))
        else:
            assert m.part("text/plain").startswith(f"Kính gửi đồng chí Đảng viên {m.to[2:4]},")


def test_a_season_delivers_exactly_the_expected_messages(smtp, deliver, tmp_path):
    csv = tmp_path / "members.csv"
    emails = members_csv(csv)
    sim = subprocess.run(
        [os.path.join(BIN, "tiendoctl"), "simulate", *[a for w in WORKFLOWS for a in ("--workflows", w)],
         "--from", START.strftime("%Y-%m-%dT%H:%M"), "--until", "2026-02-28", "--instances", f"nhac-viec={csv}", "--json"],
        capture_output=True, text=True, check=True)
    records = [json.loads(line) for line in sim.stdout.splitlines() if line.strip()]
    assert sum(r["kind"] == "overdue" for r in records) > 100 and any(r["priority"] <= 2 for r in records)

    server = smtp().start()
    d = deliver(smtp_channel(server.port), MEMBER_ROUTE + DIGEST_ROUTE)
    out = subprocess.run(
        d.command("enqueue", *d.setup_args(), "--test-queue", d.queue_file, "--instances", f"nhac-viec={csv}"),
        input=sim.stdout, capture_output=True, text=True, check=True)
    assert out.stdout.startswith(f"{len(records)} bản ghi")
    d.run("--virtual-time", START.strftime("%Y-%m-%dT%H:%M"), "--until", UNTIL.strftime("%Y-%m-%dT%H:%M"), "--seed", "3")

    check_season(server.received(), records, emails)
    # Every delivery ended sent, replaced or past its deadline, or waits beyond the end of the run; none dead.
    assert set(d.states()) <= {"sent", "expired", "pending"}
