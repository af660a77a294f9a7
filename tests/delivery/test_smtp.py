"""tiendo-deliver against a real SMTP server (aiosmtpd): content, TLS, login, and every kind of failure."""

import datetime
import os
import re
import signal
import subprocess
import time

import pytest
from conftest import SENDER, record, wait_until

VN = datetime.timezone(datetime.timedelta(hours=7))
FAR = "2030-01-10"


def smtp_channel(port, extra="    security: none\n"):
    return f"  thu:\n    type: smtp\n    host: localhost\n    port: {port}\n    timeout: 2s\n{extra}"


MEMBER_ROUTE = ("  - name: dang-vien\n    kinds: [reminder, overdue]\n    channel: thu\n"
                "    to: {field: email, name_field: ho_ten}\n")
DIGEST_ROUTE = "  - name: bi-thu\n    kinds: [reminder, overdue]\n    channel: thu\n    mode: digest\n    to: {list: bi-thu}\n"
ANYTIME_ROUTE = MEMBER_ROUTE + "    quiet_hours: false\n"


def now_iso(offset=0):
    return datetime.datetime.fromtimestamp(int(time.time()) + offset, VN).isoformat()


def member(n, at=None, due=FAR, kind="reminder", priority=5):
    """A notice for member n of the test CSV-less data (own address m{n}@example.vn)."""
    instance = f"nhac-viec/m{n:05d}"
    return {"record": record(kind, at or now_iso(), instance, due, priority=priority), "key": f"{instance}|{kind}|{n}",
            "data": {"email": f"m{n}@example.vn", "ho_ten": f"Đảng viên số {n}"}}


def test_notice_and_digest_content(smtp, deliver):
    server = smtp().start()
    d = deliver(smtp_channel(server.port), MEMBER_ROUTE + DIGEST_ROUTE)
    assert d.check().returncode == 0
    d.enqueue([record("reminder", "2025-12-03T08:00:00+07:00", "nhac-viec/nguyen-van-an", "2025-12-10", days_left=7,
                      message="Còn 7 ngày đến hạn «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/nguyen-van-an), "
                              "hạn chót 10/12/2025")])
    d.run("--virtual-time", "2025-12-03T07:00", "--until", "2025-12-05T00:00")
    got = {m.to: m for m in server.received()}
    assert sorted(got) == ["an.nguyen@example.vn", "bithu.kdc2@example.vn"]

    m = got["an.nguyen@example.vn"]
    assert m.mail_from == "vanphong@tayho.example.vn"
    # To the member: neither their name nor the case's code.
    assert m.header("Subject") == "Còn 7 ngày: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 10/12/2025"
    assert m.header("From") == SENDER
    assert m.header("To") == "Nguyễn Văn An <an.nguyen@example.vn>"
    assert m.header("Date") == "Wed, 03 Dec 2025 08:00:00 +0700"
    assert re.fullmatch(r"<nhac-viec/nguyen-van-an\|reminder\|[^<>@\s]+@tayho\.example\.vn>", m.header("Message-ID"))
    assert m.message.get_content_type() == "multipart/alternative"
    text = m.part("text/plain")
    assert text.startswith("Kính gửi đồng chí Nguyễn Văn An,\n\nCòn 7 ngày đến hạn «Nộp bản kiểm điểm cá nhân cuối năm»")
    assert "Mã hồ sơ: nhac-viec/nguyen-van-an\nĐơn vị: Chi bộ Khu dân cư số 2\nHạn chót: thứ Tư, 10/12/2025\nTình trạng: còn 7 ngày\n" in text
    html = m.part("text/html")
    assert '<html lang="vi">' in html and "<th align=\"left\" valign=\"top\">Hạn chót</th><td valign=\"top\" style=\"overflow-wrap: anywhere; word-break: break-word\">thứ Tư, 10/12/2025</td>" in html

    digest = got["bithu.kdc2@example.vn"]
    assert digest.header("Subject") == "Nhắc việc ngày 04/12/2025 – Chi bộ Khu dân cư số 2"
    assert digest.header("Date") == "Thu, 04 Dec 2025 07:30:00 +0700"
    assert digest.header("To") == "Phạm Thị Dung <bithu.kdc2@example.vn>"
    # The secretary's digest names the member (the instance's ho_ten, kept with the delivery at fan-out), not the code.
    assert ("SẮP ĐẾN HẠN (1)\n  Nộp báo cáo kiểm điểm cuối năm\n  - Nguyễn Văn An: «Nộp bản kiểm điểm cá nhân cuối năm», "
            "hạn chót 10/12/2025, còn 6 ngày\n") in digest.part("text/plain")
    assert digest.header("Message-ID") == "<bi-thu|thu|bithu=2Ekdc2=40example=2Evn|2025-12-04@tayho.example.vn>"
    assert d.states() == {"sent": 2}
    # The test queue's listing names the record as `tiendoctl deliveries` does.
    assert {x["to"]: x.get("label") for x in d.queue()} == {"an.nguyen@example.vn": "Nguyễn Văn An",
                                                           "bithu.kdc2@example.vn": "Nguyễn Văn An"}
    listing = subprocess.run(d.command("queue", "--test-queue", d.queue_file), capture_output=True, text=True,
                             env=d.env, timeout=60)
    assert listing.returncode == 0 and listing.stdout.count("\tNguyễn Văn An (nhac-viec/nguyen-van-an)\t") == 2, listing


def test_starttls_and_auth_plain_with_a_systemd_credential(smtp, deliver, server_tls, tls_files, tmp_path):
    server = smtp(starttls=server_tls, auth=("vanphong", "mật-khẩu-1")).start()
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "smtp-password").write_text("mật-khẩu-1\n", encoding="utf-8")
    channel = smtp_channel(server.port, f"    security: starttls\n    ca_file: {tls_files[0]}\n"
                                        "    username: vanphong\n    password_credential: smtp-password\n")
    d = deliver(channel, ANYTIME_ROUTE)
    d.env["CREDENTIALS_DIRECTORY"] = str(creds)
    d.enqueue([member(1), member(2)])
    d.start()
    wait_until(lambda: len(server.received()) == 2, 30, "two messages over STARTTLS")
    d.stop()
    # One connection carried both messages: one login.
    assert server.logins == [("PLAIN", True)]
    assert sorted(m.to for m in server.received()) == ["m1@example.vn", "m2@example.vn"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_auth_login_with_a_password_file_over_implicit_tls(smtp, deliver, server_tls, tls_files, tmp_path):
    server = smtp(implicit=server_tls, auth=("vanphong", "bí mật"), exclude=["PLAIN"]).start()
    secret = tmp_path / "smtp-password"
    secret.write_text("bí mật", encoding="utf-8")
    channel = smtp_channel(server.port, f"    security: tls\n    ca_file: {tls_files[0]}\n"
                                        f"    username: vanphong\n    password_file: {secret}\n")
    d = deliver(channel, ANYTIME_ROUTE)
    d.enqueue([member(1)])
    d.start()
    wait_until(lambda: len(server.received()) == 1, 30, "a message over implicit TLS")
    d.stop()
    assert server.logins == [("LOGIN", True)]


def test_a_refused_login_pauses_the_channel_and_loses_nothing(smtp, deliver, server_tls, tls_files, tmp_path):
    server = smtp(starttls=server_tls, auth=("vanphong", "đúng")).start()
    secret = tmp_path / "smtp-password"
    secret.write_text("sai", encoding="utf-8")
    channel = smtp_channel(server.port, f"    ca_file: {tls_files[0]}\n    username: vanphong\n"
                                        f"    password_file: {secret}\n")
    d = deliver(channel, ANYTIME_ROUTE)
    d.enqueue([member(1), member(2)])
    d.start()
    wait_until(lambda: len(server.logins) >= 2, 30, "two refused logins")
    # The operator fixes the password: the next attempt goes through, nothing was dead-lettered.
    secret.write_text("đúng", encoding="utf-8")
    wait_until(lambda: len(server.received()) == 2, 30, "both messages after the fix")
    d.stop()
    q = {x["id"]: x for x in d.queue()}
    assert all(x["state"] == "sent" for x in q.values())
    assert "535" in q[1]["error"] and q[1]["attempts"] >= 2 and q[2]["attempts"] == 0


def test_an_untrusted_certificate_is_refused(smtp, deliver, server_tls):
    server = smtp(starttls=server_tls).start()
    # No ca_file: the system's roots do not vouch for the test certificate.
    channel = f"  thu:\n    type: smtp\n    host: localhost\n    port: {server.port}\n    timeout: 2s\n"
    d = deliver(channel, ANYTIME_ROUTE)
    d.enqueue([member(1)])
    d.start()
    wait_until(lambda: "Tạm dừng kênh thu" in d.output(), 30, "the channel to pause")
    d.stop()
    assert server.received() == []
    assert d.queue()[0]["state"] == "pending"


def test_security_not_matching_the_port_says_which_to_set(smtp, deliver, server_tls, tls_files):
    """The two commonest relay mistakes: implicit TLS spoken to a STARTTLS port (the relay closes), STARTTLS waiting
    for a greeting on an implicit-TLS port (a timeout). Each pause says which `security` the port may want."""
    plain = smtp(starttls=server_tls).start()
    implicit = smtp(implicit=server_tls).start()
    for server, security, hint in ((plain, "tls", "thì đặt security: starttls cho kênh thu"),
                                   (implicit, "starttls", "thì đặt security: tls cho kênh thu")):
        channel = (f"  thu:\n    type: smtp\n    host: localhost\n    port: {server.port}\n    timeout: 2s\n"
                   f"    security: {security}\n    ca_file: {tls_files[0]}\n")
        d = deliver(channel, ANYTIME_ROUTE)
        d.enqueue([member(1)])
        d.start()
        wait_until(lambda: "Tạm dừng kênh thu" in d.output(), 30, "the channel to pause")
        d.stop()
        assert hint in d.output(), d.output()
        assert f"nếu cổng {server.port} dùng" in d.output(), d.output()
        # The next run in the same directory: its own queue and log.
        os.remove(d.queue_file)
        os.remove(d.log)


def test_4xx_is_retried_and_5xx_is_a_dead_letter_at_once(smtp, deliver):
    server = smtp().start()
    server.handler.faults = {"m1@example.vn": ["rcpt-451", "rcpt-451"], "m2@example.vn": ["rcpt-550"],
                             "m3@example.vn": ["data-451"], "m4@example.vn": ["data-552"]}
    d = deliver(smtp_channel(server.port), ANYTIME_ROUTE)
    d.enqueue([member(n) for n in range(1, 6)])
    d.start()
    wait_until(lambda: len(server.received()) == 3, 30, "m1, m3 and m5")
    d.stop()
    q = {x["to"]: x for x in d.queue()}
    assert q["m1@example.vn"]["state"] == "sent" and q["m1@example.vn"]["attempts"] == 2
    assert q["m1@example.vn"]["error"] == "transient: SMTP 451 4.3.0 Mailbox busy, try again later (RCPT TO)"
    assert q["m2@example.vn"]["state"] == "dead" and q["m2@example.vn"]["attempts"] == 1
    assert q["m2@example.vn"]["error"] == "permanent: SMTP 550 5.1.1 No such user here (RCPT TO)"
    assert q["m3@example.vn"]["state"] == "sent" and q["m3@example.vn"]["attempts"] == 1
    assert q["m4@example.vn"]["state"] == "dead" and "552" in q["m4@example.vn"]["error"]
    assert sorted(m.to for m in server.received()) == ["m1@example.vn", "m3@example.vn", "m5@example.vn"]
    assert "chuyển vào thư chết" in d.output()
    # An operator sends the dead letters again (same message key), once the address is fixed on the server.
    retry = d.command("retry", "--test-queue", d.queue_file, "--all-dead")
    assert "Đưa lại 2 thông báo" in subprocess.run(retry, capture_output=True, text=True, check=True).stdout
    d.start()
    wait_until(lambda: len(server.received()) == 5, 30, "the retried dead letters")
    d.stop()
    assert d.states() == {"sent": 5}


def test_a_drop_after_data_sends_again_with_the_same_message_id(smtp, deliver):
    server = smtp().start()
    server.handler.faults = {"m1@example.vn": ["drop-after-data"]}
    d = deliver(smtp_channel(server.port), ANYTIME_ROUTE)
    d.enqueue([member(1), member(2)])
    d.start()
    wait_until(lambda: len(server.received()) == 3, 30, "m1 twice and m2")
    d.stop()
    first, second = [m for m in server.received() if m.to == "m1@example.vn"]
    assert first.header("Message-ID") == second.header("Message-ID")
    assert first.header("Subject") == second.header("Subject")
    assert first.part("text/plain") == second.part("text/plain")
    q = {x["to"]: x for x in d.queue()}
    assert q["m1@example.vn"]["state"] == "sent" and q["m1@example.vn"]["attempts"] == 1
    assert q["m1@example.vn"]["messageKey"] == "nhac-viec/m00001|reminder|1|thu|m1@example.vn"


def test_a_hanging_server_times_out_and_a_dropped_connection_is_retried(smtp, deliver):
    server = smtp().start()
    # Dropped twice: a connection kept from the last message and found closed before anything of this one went is
    # replaced once at no cost (SMTPSession.Stale); a new one closed too is the channel failing.
    server.handler.faults = {"m1@example.vn": ["hang"], "m2@example.vn": ["drop-rcpt", "drop-rcpt"]}
    d = deliver(smtp_channel(server.port), ANYTIME_ROUTE)
    d.enqueue([member(1), member(2), member(3)])
    start = time.time()
    d.start()
    wait_until(lambda: len(server.received()) == 3, 45, "all three after the faults")
    d.stop()
    q = {x["to"]: x for x in d.queue()}
    assert "hết thời gian chờ 2 giây (SMTP end of data)" in q["m1@example.vn"]["error"]
    assert "máy chủ SMTP đóng kết nối" in q["m2@example.vn"]["error"]
    assert all(x["state"] == "sent" for x in q.values())
    # The hang cost one timeout, not the server's 30 s.
    assert time.time() - start < 25


def test_a_dead_relay_fills_the_retry_queue_and_drains_in_order(smtp, deliver):
    server = smtp()
    d = deliver(smtp_channel(server.port), ANYTIME_ROUTE)
    d.enqueue([member(n) for n in range(1, 41)])
    d.start()
    wait_until(lambda: d.output().count("Tạm dừng kênh thu") >= 2, 30, "the channel to pause twice")
    q = d.queue()
    assert all(x["state"] == "pending" for x in q)
    # Only the message at the head was tried; the others wait their turn.
    assert [x["attempts"] > 0 for x in q] == [True] + [False] * 39
    server.start()
    wait_until(lambda: len(server.received()) == 40, 60, "all 40 after the relay came back")
    d.stop()
    assert [m.to for m in server.received()] == [f"m{n}@example.vn" for n in range(1, 41)]
    assert "Kênh thu gửi được trở lại" in d.output()


def test_quiet_hours_hold_until_the_next_working_morning(smtp, deliver):
    server = smtp().start()
    d = deliver(smtp_channel(server.port), MEMBER_ROUTE)
    # Friday 19:00 before the weekend: Monday a minute after the workflow's notices (08:00), so that Monday's newer
    # notice of the same deadline, if any, replaces it; the urgent one (crit: 20 days overdue) goes at once.
    d.enqueue([member(1, at="2025-12-05T19:00:00+07:00", due="2025-12-20"),
               member(2, at="2025-12-05T19:00:00+07:00", due="2025-11-15", kind="overdue", priority=2)])
    d.run("--virtual-time", "2025-12-05T18:00", "--until", "2025-12-09T00:00")
    dates = {m.to: m.header("Date") for m in server.received()}
    assert dates == {"m1@example.vn": "Mon, 08 Dec 2025 08:01:00 +0700", "m2@example.vn": "Fri, 05 Dec 2025 19:00:00 +0700"}


def test_a_notice_held_over_the_weekend_gives_way_to_mondays(smtp, deliver):
    """Held over the weekend, a notice goes on Monday a minute after the workflow's own notices (08:00): Monday's newer
    notice of the same deadline replaces it, and the member gets one email, not two half an hour apart."""
    server = smtp().start()
    d = deliver(smtp_channel(server.port), MEMBER_ROUTE)
    saturday = member(1, at="2025-12-06T08:00:00+07:00", due="2025-12-03", kind="overdue", priority=4)
    d.enqueue([saturday])
    assert [r["notBefore"] for r in d.queue()] == ["2025-12-08T08:01:00+07:00"]
    d.run("--virtual-time", "2025-12-06T07:00", "--until", "2025-12-08T08:00")
    assert server.received() == []
    monday = member(1, at="2025-12-08T08:00:00+07:00", due="2025-12-03", kind="overdue", priority=4)
    monday["key"] += "-monday"
    d.enqueue([monday])
    d.run("--virtual-time", "2025-12-08T08:00", "--until", "2025-12-09T00:00")
    got = [(m.header("Date"), m.header("Subject")) for m in server.received()]
    assert got == [("Mon, 08 Dec 2025 08:00:00 +0700", "Quá hạn 5 ngày: «Nộp bản kiểm điểm cá nhân cuối năm», hạn chót 03/12/2025")], got


def test_check_reports_positions(deliver):
    d = deliver("  thu:\n    type: smtp\n    hots: localhost\n", MEMBER_ROUTE)
    out = d.check()
    assert out.returncode == 1
    assert f"{d.routing}:8:5: error: unknown key 'hots' in channel 'thu' (type smtp) (did you mean 'host'?)" in out.stdout
    # One slip, one diagnostic: the misspelt key's value is read as 'host', not reported missing as well.
    assert "missing required key 'host'" not in out.stdout, out.stdout
    assert not os.path.exists(d.queue_file)


def test_check_reports_a_password_file_the_sender_cannot_read(deliver, tmp_path):
    """The sender reads `password_file` at each send: a missing one paused the channel for ever while `check` passed.
    `check` says so at the channel; tiendod, which parses the same file as another user, does not read it."""
    missing = tmp_path / "khong-co"
    d = deliver(smtp_channel(2525, f"    security: starttls\n    username: vanphong\n    password_file: {missing}\n"), MEMBER_ROUTE)
    out = d.check()
    assert out.returncode == 1, out.stdout
    assert f"{d.routing}:6:3: error: 'password_file' {missing} of channel 'thu' does not exist" in out.stdout, out.stdout
    missing.write_text("bí mật", encoding="utf-8")
    assert d.check().returncode == 0


def test_the_test_queue_commands_point_to_tiendoctl_without_a_queue():
    """`tiendo-deliver retry 42` without --test-queue: the technician meant tiendod's dead letters, which only
    `tiendoctl deliveries retry` puts back; said so, instead of «a missing option»."""
    from conftest import BIN
    r = subprocess.run([os.path.join(BIN, "tiendo-deliver"), "retry", "42"], capture_output=True, text=True)
    assert r.returncode == 64, r
    assert "chỉ làm việc trên một hàng đợi thử nghiệm (--test-queue TỆP)" in r.stderr, r.stderr
    assert "`tiendoctl deliveries retry ID`" in r.stderr, r.stderr
    # `enqueue` reads its records from standard input: refused before it waits there.
    r = subprocess.run([os.path.join(BIN, "tiendo-deliver"), "enqueue"], capture_output=True, text=True, stdin=None, timeout=20)
    assert r.returncode == 64 and "--test-queue TỆP" in r.stderr, r


def test_sighup_reloads_the_routing_file_without_losing_a_message(smtp, deliver):
    """`systemctl reload tiendo-deliver` (SIGHUP): the sender finishes what it sends, then runs again on the routing
    file as it now is — same process id, so systemd's notifications go on. A SIGHUP used to kill it without a word."""
    first = smtp().start()
    second = smtp().start()
    d = deliver(smtp_channel(first.port), ANYTIME_ROUTE)
    # The queue is the sender's while it runs: the second notice is queued now, due 20 s later.
    d.enqueue([member(1), member(2, at=now_iso(20))])
    proc = d.start()
    wait_until(lambda: len(first.received()) == 1, 30, "the first message through the first relay")
    # The relay moves: the routing file is edited, then the sender told.
    with open(d.routing, encoding="utf-8") as f:
        text = f.read()
    with open(d.routing, "w", encoding="utf-8") as f:
        f.write(text.replace(f"port: {first.port}\n", f"port: {second.port}\n"))
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: d.output().count("bắt đầu: kênh thu") == 2, 30, "the sender running again")
    assert proc.poll() is None, d.output()
    assert "Nhận SIGHUP: gửi nốt thư đang gửi rồi nạp lại tệp định tuyến" in d.output()
    assert second.received() == []
    wait_until(lambda: len(second.received()) == 1, 40, "the second message through the new relay")
    d.stop()
    assert [m.to for m in first.received()] == ["m1@example.vn"] and [m.to for m in second.received()] == ["m2@example.vn"]
    assert d.states() == {"sent": 2}
