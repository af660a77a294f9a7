"""The production path: tiendod writes a delivery per (record, recipient, channel) in the record's transaction,
tiendo-deliver claims and reports them through vn.tiendo.Delivery on the control socket, operators see them with
`tiendoctl deliveries`, in status.json and tiendo.prom."""

import json
import os
import re
import subprocess
import sys
import time

from conftest import BIN, wait_until
from daemon import varlink
from test_smtp import smtp_channel

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STARTED = ("  - name: dang-vien\n    kinds: [started]\n    channel: thu\n    quiet_hours: false\n"
           "    to: {field: email, name_field: ho_ten}\n")


def members(n, first=1, email=True):
    return [(f"m{i:05d}", f"Đảng viên số {i}", f"m{i}@example.vn" if email else "", "Chi bộ Khu dân cư số 2", "2030-01-10")
            for i in range(first, first + n)]


def webhook_channel(port, secret_path):
    return (f"  cong-tinh:\n    type: webhook\n    url: http://127.0.0.1:{port}/hooks/tiendo\n    timeout: 2s\n"
            f"    secret_file: {secret_path}\n")


def test_records_fan_out_with_their_transaction_and_the_sender_works_the_daemons_queue(tiendod, smtp, webhook, tmp_path):
    server = smtp().start()
    receiver = webhook(SECRET)
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    d = tiendod(smtp_channel(server.port) + webhook_channel(receiver.port, secret),
                STARTED + "  - name: tinh\n    kinds: [started]\n    channel: cong-tinh\n    quiet_hours: false\n",
                web="https://tiendo.tayho.example.vn/").start()
    d.import_members(members(3) + [("m00004", "Không có thư", "", "Chi bộ Khu dân cư số 2", "2030-01-10")])
    # Written with the records, before anything is sent: 3 emails (m00004 has no address) and 4 webhooks.
    rows = d.deliveries("pending")
    assert sorted((r["channel"], r.get("recipient")) for r in rows) == sorted(
        [("thu", f"Đảng viên số {i} <m{i}@example.vn>") for i in (1, 2, 3)] + [("cong-tinh", None)] * 4)
    assert {r["kind"] for r in rows} == {"started"} and all(r["message"] for r in rows)
    assert d.counts()["pending"] == 7
    wait_until(lambda: d.status_json()["deliveries"]["pending"] == 7, 10, "status.json counts")

    d.start_sender()
    wait_until(lambda: len(server.received()) == 3 and len(receiver.received()) == 4, 60, "3 emails and 4 webhooks")
    wait_until(lambda: d.counts()["sent"] == 7, 30, "every delivery reported sent")
    d.stop_sender()

    history = {i: d.call("vn.tiendo.Manager.History", id=f"nhac-viec/m0000{i}")["records"][0] for i in (1, 2, 3, 4)}
    sent = d.deliveries("sent")
    by_key = {r["key"]: r for r in sent}
    for m in server.received():
        i = int(m.to[1:m.to.index("@")])
        record_key = next(r["recordKey"] for r in sent if r.get("recipient", "").endswith(f"<{m.to}>"))
        # Message-ID: the delivery key, '@' and '.' as =40 and =2E; the provider's queue id in the row.
        assert m.header("Message-ID") == f"<{record_key.replace('#', '=23')}|thu|m{i}=40example=2Evn@tayho.example.vn>"
        # A new case: the workflow's title and whose, not the engine's sentence with every identifier.
        # To the member: neither their name nor the case's code.
        assert m.header("Subject") == "Hồ sơ mới: «Nộp báo cáo kiểm điểm cuối năm»"
        # In the body too (the engine's sentence names the case by its code): the case is theirs; its code stays in
        # the table, to quote when asking. (The office's copy names the member: the next test.)
        assert "\n\nBắt đầu hồ sơ của đồng chí theo quy trình «Nộp báo cáo kiểm điểm cuối năm»" in m.part("text/plain")
        assert f"Mã hồ sơ: nhac-viec/m{i:05d}\n" in m.part("text/plain")
        # The routing file has `web:`, but a member reached through the record's field has no account on tiendo-web:
        # no link (test_the_office_gets_a_link_to_the_record_page has the office's).
        assert "Xem hồ sơ" not in m.part("text/plain") and "<a href" not in m.part("text/html")
        row = by_key[f"{record_key}|thu|m{i}@example.vn"]
        assert row["messageKey"] == row["key"] and row["attempts"] == 0
        assert re.fullmatch(r"250 2\.0\.0 Ok: queued as Q\d+", row["providerId"])
    for req in receiver.received():
        assert req["verified"]
        body = json.loads(req["body"])
        # The record's JSON exactly as History answers it, under its record key.
        assert body in history.values()
        assert req["headers"]["idempotency-key"] == next(r["recordKey"] for r in sent if r["channel"] == "cong-tinh"
                                                         and r["instance"] == body["instance"])
    # Operators: status.json and Prometheus.
    wait_until(lambda: d.status_json()["deliveries"]["sent"] == 7, 10, "status.json sent")
    assert d.status_json()["deliveries"] == {"pending": 0, "inflight": 0, "sent": 7, "dead": 0, "expired": 0, "failed": 0}
    prom = d.prometheus()
    assert 'tiendo_deliveries{channel="thu",state="sent"} 3' in prom
    assert 'tiendo_deliveries{channel="cong-tinh",state="sent"} 4' in prom
    assert 'tiendo_delivery_oldest_pending_seconds{channel="thu"} 0' in prom
    human = d.ctl("deliveries", "--state", "sent").stdout
    assert human.splitlines()[0] == "0 chờ gửi, 0 đang gửi, 7 đã gửi, 0 thư chết, 0 bỏ không gửi"
    assert "Đảng viên số 1 <m1@example.vn>" in human and "đã gửi" in human and "bắt đầu" in human
    # Operators see whose record each delivery is about (the name kept at fan-out), in the table and the JSON.
    assert "Đảng viên số 1 (nhac-viec/m00001)" in human and "Không có thư (nhac-viec/m00004)" in human
    assert {r["instance"]: r.get("label") for r in sent}["nhac-viec/m00002"] == "Đảng viên số 2"
    assert "Thông báo gửi đi: 0 chờ gửi, 0 đang gửi, 7 đã gửi, 0 thư chết, 0 bỏ không gửi" in d.ctl("status").stdout


def test_the_office_gets_a_link_to_the_record_page(tiendod, smtp):
    """The routing file's `web:`: the office's fixed address gets the record's page on tiendo-web in its email, in
    words and as a link; the member, reached through the record's field, gets none. The office's copy names the
    member (kept with the delivery when tiendod wrote it); `contact:` says in both whom to ask."""
    server = smtp().start()
    d = tiendod(smtp_channel(server.port),
                STARTED + "  - name: van-phong\n    kinds: [started]\n    channel: thu\n    quiet_hours: false\n"
                "    to: \"Văn phòng Đảng ủy <vanphong@tayho.example.vn>\"\n",
                web="https://tiendo.tayho.example.vn/", contact="Văn phòng Đảng ủy phường, 024 3823 4567").start()
    d.import_members(members(1))
    d.start_sender()
    wait_until(lambda: len(server.received()) == 2, 60, "2 emails")
    d.stop_sender()
    page = "https://tiendo.tayho.example.vn/ho-so/nhac-viec/m00001"
    by_to = {m.to: m for m in server.received()}
    office = by_to["vanphong@tayho.example.vn"]
    assert f"Xem hồ sơ: {page}\n" in office.part("text/plain"), office.part("text/plain")
    assert f'<a href="{page}">Mở trang hồ sơ</a>' in office.part("text/html")
    assert "Xem hồ sơ" not in by_to["m1@example.vn"].part("text/plain")
    assert "\n\nBắt đầu hồ sơ của Đảng viên số 1 theo quy trình «Nộp báo cáo kiểm điểm cuối năm»" in office.part("text/plain")
    assert "Hồ sơ: Đảng viên số 1 (nhac-viec/m00001)\n" in office.part("text/plain")
    for m in server.received():
        assert m.part("text/plain").endswith(
            "Đề nghị không trả lời thư này; cần hỏi, xin liên hệ: Văn phòng Đảng ủy phường, 024 3823 4567.\n"), m.part("text/plain")


def test_a_dead_relay_fills_the_retry_queue_and_drains_in_order_when_it_comes_back(tiendod, smtp):
    server = smtp()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.import_members(members(20))
    d.start_sender()
    wait_until(lambda: d.counts()["failed"] == 1, 30, "the head of the queue to fail")
    # The queue keeps filling while the relay is dead; only the head is retried, the rest wait their turn.
    d.import_members(members(20, first=21))
    wait_until(lambda: d.sender_output().count("Tạm dừng kênh thu") >= 2, 30, "the channel to pause twice")
    failed = d.deliveries("failed")
    assert len(failed) == 1 and failed[0]["recipient"].endswith("<m1@example.vn>") and failed[0]["attempts"] >= 1
    assert failed[0]["errorClass"] == "transient" and failed[0]["error"]
    # Said in words, not SwiftNIO's «SingleConnectionFailure(… connection reset …)» for a refused connection.
    assert "máy chủ từ chối kết nối" in failed[0]["error"] and "SingleConnectionFailure" not in failed[0]["error"], failed[0]
    assert d.counts()["pending"] == 40
    wait_until(lambda: d.status_json()["deliveries"]["pending"] == 40, 10, "status.json")
    assert re.search(r'^tiendo_deliveries\{channel="thu",state="failed"\} 1$', d.prometheus(), re.M)
    # When the longest-waiting due delivery was due, for `time() - …` alerts that hold while nothing rewrites the file.
    due = re.search(r'^tiendo_delivery_oldest_pending_due_timestamp_seconds\{channel="thu"\} (\d+)$', d.prometheus(), re.M)
    assert due and int(due.group(1)) <= time.time() + 5, d.prometheus()
    human = d.ctl("deliveries").stdout
    assert human.startswith("40 chờ gửi (1 chờ thử lại)") and "chờ thử lại" in human and "lỗi tạm thời: " in human
    server.start()
    wait_until(lambda: len(server.received()) == 40, 60, "all 40 after the relay came back")
    d.stop_sender()
    assert [m.to for m in server.received()] == [f"m{n}@example.vn" for n in range(1, 41)]
    assert "Kênh thu gửi được trở lại" in d.sender_output()
    assert d.counts()["sent"] == 40


def test_a_second_sender_is_refused_and_nothing_goes_twice(tiendod, smtp):
    """An operator starting `tiendo-deliver run` by hand while the unit runs: two senders under one name took each
    other's claims back and sent nearly everything twice. The second one is refused, says why and stops."""
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.start_sender()
    d.import_members(members(6))
    wait_until(lambda: len(server.received()) == 6, 30, "the first sender's six emails")
    second = subprocess.run(d.sender_command("--retry-base", "1s", "--retry-cap", "2s"), capture_output=True, text=True,
                            env=d.env, timeout=60)
    assert second.returncode != 0, second.stderr
    assert f"một tiendo-deliver khác (pid {d.sender.pid})" in second.stderr and "không gửi trùng" in second.stderr, second.stderr
    d.import_members(members(4, first=7))
    wait_until(lambda: len(server.received()) == 10, 30, "the next four, by the first sender")
    d.stop_sender()
    ids = [m.header("Message-ID") for m in server.received()]
    assert len(ids) == len(set(ids)) == 10, ids
    # Once it has stopped, a successor (a restart of the unit) is let in.
    d.import_members(members(2, first=11))
    d.start_sender()
    wait_until(lambda: len(server.received()) == 12, 30, "the successor's emails")
    d.stop_sender()


def test_a_routing_file_broken_before_a_restart_keeps_the_last_good_one_in_force(tiendod, smtp, tmp_path):
    """A routing file broken by an edit, then a reboot: tiendod fanned out nothing (its last good routing lived in
    memory) and the sender refused to start. Both keep a copy of the last good routing in their state directory and
    go on with it, saying so."""
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    # Not made beforehand: the sender makes it (private), as systemd makes StateDirectory=.
    sender_state = str(tmp_path / "deliver-state")
    d.start_sender("--state-dir", sender_state)
    d.import_members(members(2))
    wait_until(lambda: len(server.received()) == 2, 30, "two emails with the good file")
    assert oct(os.stat(sender_state).st_mode & 0o777) == "0o700"
    d.stop_sender()
    d.stop()
    with open(d.routing, "a", encoding="utf-8") as f:
        f.write("quiet_hour: true\n")  # a typo: the file is rejected
    d.start()
    assert "dùng bản tốt gần nhất lưu lúc" in d.output(), d.output()[-2000:]
    d.import_members(members(2, first=3))
    wait_until(lambda: d.counts()["pending"] == 2, 10, "the new records fanned out by the kept routing")
    d.start_sender("--state-dir", sender_state)
    wait_until(lambda: len(server.received()) == 4, 30, "the sender going on with the kept routing")
    d.stop_sender()
    assert "vẫn gửi theo bản tốt gần nhất" in d.sender_output(), d.sender_output()[-2000:]
    assert "quiet_hour" in d.sender_output()  # the file's error is shown
    # Without a kept copy the sender still refuses, naming the file.
    alone = subprocess.run(d.sender_command("--state-dir", str(tmp_path)), capture_output=True, text=True, env=d.env, timeout=60)
    assert alone.returncode != 0 and "có lỗi; không làm gì" in alone.stderr, alone.stderr


def test_a_dead_letter_keeps_its_reason_and_goes_again_on_retry(tiendod, smtp):
    server = smtp().start()
    server.handler.faults["m2@example.vn"] = ["rcpt-550"]
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.import_members(members(3))
    d.start_sender()
    wait_until(lambda: len(server.received()) == 2 and d.counts()["dead"] == 1, 30, "two sent, one dead letter")
    dead = d.deliveries("dead")
    assert len(dead) == 1 and dead[0]["error"] == "SMTP 550 5.1.1 No such user here (RCPT TO)"
    assert dead[0]["errorClass"] == "permanent" and dead[0]["attempts"] == 1
    human = d.ctl("deliveries").stdout
    assert f"#{dead[0]['id']}" in human and "thư chết" in human and "lỗi vĩnh viễn: SMTP 550" in human
    out = d.ctl("deliveries", "retry", "--all-dead")
    assert out.stdout.strip() == "Đưa lại 1 thư chết vào hàng đợi"
    wait_until(lambda: len(server.received()) == 3, 30, "the retried dead letter")
    d.stop_sender()
    assert server.received()[2].header("Message-ID") == f"<{dead[0]['key'].replace('@', '=40').replace('.', '=2E').replace('#', '=23')}@tayho.example.vn>"
    assert d.counts()["sent"] == 3 and d.counts()["dead"] == 0
    # Sent after a failure: the relay's answer and how many failures it got past, not the old error as if unsent.
    # --limit shows the latest; a channel with no delivery is said so, not given every channel's totals.
    latest = d.ctl("deliveries", "--state", "sent", "--limit", "2").stdout
    assert "(2 thông báo mới nhất)" in latest and f"#{dead[0]['id']}" in latest, latest
    retried = [line for line in latest.splitlines() if line.startswith(f"#{dead[0]['id']} ")][0]
    assert "(sau 1 lần lỗi)" in retried and "lỗi vĩnh viễn" not in retried, retried
    oldest = min(r["id"] for r in d.deliveries("sent"))
    assert not any(line.startswith(f"#{oldest} ") for line in latest.splitlines()) or oldest == dead[0]["id"], latest
    other = d.ctl("deliveries", "--channel", "khong-co").stdout
    assert other.strip() == "Kênh «khong-co»: chưa có thông báo nào (các kênh đã có thông báo: thu).", other
    missing = d.ctl("deliveries", "retry", "999", check=False)
    assert missing.returncode == 1 and "không có thông báo #999" in missing.stderr


def test_a_member_whose_email_field_is_no_address_is_a_dead_letter_the_office_sees(tiendod, smtp):
    """Once only a line in the journal: the office never learnt that the member was not reached."""
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.import_members(members(2) + [("m00003", "Lê Văn Cường", "cuong(at)example.vn", "Chi bộ Khu dân cư số 2", "2030-01-10")])
    dead = d.deliveries("dead")
    assert [(r["recipient"], r["errorClass"], r["label"]) for r in dead] == [("cuong(at)example.vn", "permanent", "Lê Văn Cường")], dead
    assert dead[0]["error"].startswith("trường «Thư điện tử» của hồ sơ ghi «cuong(at)example.vn», không phải một địa chỉ e-mail")
    assert d.counts()["dead"] == 1 and d.counts()["pending"] == 2
    wait_until(lambda: d.status_json()["deliveries"]["dead"] == 1, 10, "status.json counts the dead letter")
    human = d.ctl("deliveries", "--state", "dead").stdout
    assert "Lê Văn Cường" in human and "hãy sửa trong hồ sơ" in human, human
    d.start_sender()
    wait_until(lambda: len(server.received()) == 2 and d.counts()["sent"] == 2, 30, "the two others sent")
    # Tried again: nothing is sent, the reason stays.
    assert d.ctl("deliveries", "retry", "--all-dead").stdout.strip() == "Đưa lại 1 thư chết vào hàng đợi"
    wait_until(lambda: d.counts()["dead"] == 1, 30, "dead again at the claim")
    d.stop_sender()
    assert len(server.received()) == 2
    again = d.deliveries("dead")[0]
    assert again["error"].startswith("người nhận ghi «cuong(at)example.vn», không phải một địa chỉ e-mail"), again
    # Dealt with (the record's address corrected): set aside, kept in the list, no longer counted as dead.
    assert d.ctl("deliveries", "discard", f"#{again['id']}").stdout.strip() == "Bỏ qua 1 thư chết (giữ lại trong danh sách, không gửi)"
    assert d.counts()["dead"] == 0 and d.counts()["expired"] == 1
    aside = d.deliveries("expired")[0]
    assert aside["error"].startswith("bỏ qua, đã xử lý (uid ") and "lỗi trước đó: người nhận ghi «cuong(at)example.vn»" in aside["error"], aside
    missing = d.ctl("deliveries", "discard", "999", check=False)
    assert missing.returncode == 1 and "không có thông báo #999" in missing.stderr


HELD_DIGEST = "  - name: bi-thu\n    kinds: [reminder, overdue]\n    channel: thu\n    mode: digest\n    to: {list: bi-thu}\n"


def test_a_notice_expires_unsent_when_its_milestone_is_done_before_sending(tiendod, smtp):
    server = smtp().start()
    # Wednesday 03/12/2025, a minute before the 7-day reminder of a due on 10/12: the secretary's digest waits until
    # Thursday 07:30.
    d = tiendod(smtp_channel(server.port), HELD_DIGEST, fake_time="2025-12-03T07:59:58").start()
    d.import_members([("an", "Nguyễn Văn An", "an@example.vn", "Chi bộ Khu dân cư số 2", "2025-12-10"),
                      ("binh", "Trần Thị Bình", "binh@example.vn", "Chi bộ Khu dân cư số 2", "2025-12-10")])
    wait_until(lambda: d.counts()["pending"] == 2, 30, "the two reminders fanned out into the digest")
    rows = d.deliveries("pending")
    assert {r["notBefore"] for r in rows} == {"2025-12-04T07:30:00+07:00"}
    # A digest waiting for its time is not late: age 0, and its due instant lies ahead (Thursday 07:30), so that an
    # alert on `time() - instant` fires only once it has passed, whether or not the file is written again.
    wait_until(lambda: 'tiendo_deliveries{channel="thu",state="pending"} 2' in d.prometheus(), 10, "tiendo.prom")
    assert 'tiendo_delivery_oldest_pending_seconds{channel="thu"} 0' in d.prometheus()
    thursday = 1764808200  # 2025-12-04T07:30:00+07:00
    assert f'tiendo_delivery_oldest_pending_due_timestamp_seconds{{channel="thu"}} {thursday}' in d.prometheus(), d.prometheus()
    d.ctl("done", "nhac-viec/an", "nop-bao-cao")
    expired = d.deliveries("expired")
    assert [(r["instance"], r["error"]) for r in expired] == [("nhac-viec/an", "đã hoàn thành trước khi gửi")]
    assert "bỏ, không gửi" in d.ctl("deliveries", "--state", "expired").stdout
    d.run_sender("--virtual-time", "2025-12-03T08:00", "--until", "2025-12-05T00:00")
    # The digest lists Bình alone.
    assert len(server.received()) == 1
    text = server.received()[0].part("text/plain")
    assert "- Trần Thị Bình: «" in text and "Nguyễn Văn An" not in text
    assert d.counts()["sent"] == 1 and d.counts()["expired"] == 1


def test_who_may_call_the_delivery_interface(tiendod):
    # uid 1 (`daemon`) stands for the tiendo-deliver user, uid 2 (`bin`) for tiendo-web's; 65534 is any local user
    # who can open the socket.
    d = tiendod("  thu:\n    type: smtp\n    host: localhost\n    port: 25\n    security: none\n", STARTED,
                env={"TIENDO_DELIVER_USER": "daemon", "TIENDO_WEB_USER": "bin"}).start()
    os.chmod(d.socket, 0o666)
    info = d.call("org.varlink.service.GetInfo")
    assert info["interfaces"] == ["org.varlink.service", "vn.tiendo.Manager", "vn.tiendo.Delivery", "vn.tiendo.Extras"]
    idl = d.call("org.varlink.service.GetInterfaceDescription", interface="vn.tiendo.Delivery")["description"]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "vn.tiendo.Delivery.varlink"), encoding="utf-8") as f:
        assert idl == f.read()
    # The independent PyPI varlink client reads the interface and calls it.
    helped = subprocess.run([sys.executable, "-m", "varlink.cli", "help", f"unix:{d.socket}/vn.tiendo.Delivery"],
                            capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "method NextDue(channel: string) -> (at: ?string)" in helped.stdout, helped.stderr
    counted = subprocess.run([sys.executable, "-m", "varlink.cli", "call", f"unix:{d.socket}/vn.tiendo.Delivery.Counts", "{}"],
                             capture_output=True, text=True, timeout=60)
    assert counted.returncode == 0 and json.loads(counted.stdout)["states"]["dead"] == 0, counted.stderr
    sender_calls = [
        ("Claim", {"channel": "thu", "owner": "x", "limit": 1, "lease": 60}),
        ("Report", {"owner": "x", "reports": []}),
        ("Release", {"owner": "x"}),
        ("NextDue", {"channel": "thu"}),
    ]
    for method, params in sender_calls:
        r = varlink(d.socket, "vn.tiendo.Delivery." + method, params, user=65534)
        assert r.get("error") == "org.varlink.service.PermissionDenied", (method, r)
        ok = varlink(d.socket, "vn.tiendo.Delivery." + method, params, user=1)
        assert "error" not in ok, (method, ok)
    for method, params in [("List", {"states": ["dead"]}), ("Counts", {})]:
        assert "error" not in varlink(d.socket, "vn.tiendo.Delivery." + method, params, user=65534)
    for user in (65534, 1):
        r = varlink(d.socket, "vn.tiendo.Delivery.Retry", {"allDead": True}, user=user)
        assert r.get("error") == "org.varlink.service.PermissionDenied", r
    assert d.call("vn.tiendo.Delivery.Retry", allDead=True) == {"retried": 0}
    # The web front end, for an administrator of its accounts (its «Thông báo gửi đi» page), named in the log.
    assert varlink(d.socket, "vn.tiendo.Delivery.Retry", {"allDead": True, "actor": "admin"}, user=2) == {"parameters": {"retried": 0}}
    bad = varlink(d.socket, "vn.tiendo.Delivery.Retry", {"allDead": True, "actor": "a\nb"}, user=2)
    assert bad.get("error") == "org.varlink.service.InvalidParameter" and bad["parameters"] == {"parameter": "actor"}, bad
    assert varlink(d.socket, "vn.tiendo.Delivery.List", {"states": ["lost"]})["error"] == "org.varlink.service.InvalidParameter"
    log = d.output()
    assert "Từ chối vn.tiendo.Delivery.Claim của uid 65534" in log and "Từ chối vn.tiendo.Delivery.Retry của uid 1" in log
    assert "Đưa lại 0 thư chết vào hàng đợi theo yêu cầu của admin (uid 2)" in log, log


def test_a_broken_routing_file_keeps_the_last_good_one_and_no_file_fans_out_nothing(tiendod, smtp):
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.import_members(members(1))
    d.write_routing(smtp_channel(server.port), STARTED.replace("channel: thu", "channel: thuu"))
    out = d.ctl("reload", check=False)
    assert out.returncode == 1 and re.search(r"delivery/routing\.yaml:\d+:\d+: error: .*thuu", out.stdout + out.stderr)
    assert any("routing.yaml" in x["file"] for x in d.call("vn.tiendo.Manager.GetStatus")["status"]["diagnostics"])
    validate = subprocess.run([os.path.join(BIN, "tiendoctl"), "validate", d.workflows], capture_output=True, text=True)
    assert validate.returncode == 1 and "thuu" in validate.stdout
    # The last good routing stays in force.
    d.import_members(members(1, first=2))
    assert len(d.deliveries()) == 2
    os.remove(d.routing)
    assert d.ctl("reload", check=False).returncode == 0
    d.import_members(members(1, first=3))
    assert len(d.deliveries()) == 2


def test_messages_left_on_a_channel_the_routing_file_no_longer_has_are_said_at_each_load(tiendod, smtp):
    """A channel renamed (or removed) in the routing file: what waits on it is sent by no one. Said in Reload's reply,
    in status and the journal, not found out when members ask where their reminders went."""
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.import_members(members(2))
    assert [x["channel"] for x in d.deliveries()] == ["thu", "thu"]
    renamed = smtp_channel(server.port).replace("  thu:", "  thu-moi:")
    d.write_routing(renamed, STARTED.replace("channel: thu", "channel: thu-moi"))
    out = d.ctl("reload", check=False)
    said = out.stdout + out.stderr
    assert out.returncode == 0, said
    warning = ("2 thông báo đang chờ gửi trên kênh 'thu', kênh này không còn trong tệp định tuyến: không có gì gửi chúng đi. "
               "Đặt lại kênh 'thu' trong tệp, hoặc xem chúng: tiendoctl deliveries --channel thu")
    assert warning in said, said
    assert any(warning == x["message"] for x in d.call("vn.tiendo.Manager.GetStatus")["status"]["diagnostics"])
    assert warning in d.output()
    # The channel back under its name: nothing to say any more.
    d.write_routing(smtp_channel(server.port), STARTED)
    out = d.ctl("reload", check=False)
    assert out.returncode == 0 and "kênh này không còn" not in out.stdout + out.stderr
    assert not any("kênh này không còn" in x["message"] for x in d.call("vn.tiendo.Manager.GetStatus")["status"]["diagnostics"])


def test_a_reload_that_adds_or_changes_a_channel_says_the_sender_needs_its_own(tiendod, smtp):
    """The sender makes its channels at its start: a channel added or changed by a reload of tiendod alone is not
    used until tiendo-deliver is reloaded too. The reload says so (its messages waited «chờ gửi» without a reason)."""
    server = smtp().start()
    other = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.write_routing(smtp_channel(other.port), STARTED)
    out = d.ctl("reload", check=False)
    said = out.stdout + out.stderr
    assert out.returncode == 0, said
    warning = ("kênh 'thu' đã thay đổi trong tệp định tuyến: tiendo-deliver gửi với các kênh đọc lúc nó khởi động; "
               "systemctl reload tiendod đã nạp lại nó nếu nó chạy dưới systemd, còn không thì hãy nạp lại nó: "
               "sudo systemctl reload tiendo-deliver")
    assert warning in said, said
    assert warning in d.output()
    # The same file again: nothing changed, nothing said.
    out = d.ctl("reload", check=False)
    assert out.returncode == 0 and "kênh 'thu'" not in out.stdout + out.stderr, out.stdout + out.stderr
    # A channel added beside it.
    added = smtp_channel(other.port) + smtp_channel(server.port).replace("  thu:", "  thu-2:")
    d.write_routing(added, STARTED)
    out = d.ctl("reload", check=False)
    assert "kênh 'thu-2' mới có trong tệp định tuyến" in out.stdout + out.stderr, out.stdout + out.stderr


def test_a_recipient_group_spelt_like_no_records_chi_bo_is_said_at_reload(tiendod, smtp):
    """A list row's chi bộ that matches no record's, however spelt, reaches no one: said at each load while records
    exist. One that differs only in letter case or spaces is the same chi bộ, and its secretary gets the digest."""
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    d.import_members(members(1))
    with open(os.path.join(d.workflows, "delivery", "bi-thu.csv"), "w", encoding="utf-8") as f:
        f.write("group,name,email\nchi bộ khu dân cư  số 2,Phạm Thị Dung,bithu.kdc2@example.vn\n"
                "Chi bộ KDC số 5,Hoàng Văn Em,bithu.kdc5@example.vn\n")
    out = d.ctl("reload", check=False)
    said = out.stdout + out.stderr
    assert out.returncode == 0, said
    assert ("danh sách người nhận 'bi-thu': chi bộ «Chi bộ KDC số 5» không trùng chi bộ nào của các hồ sơ đang có "
            "(kiểm tra cách viết): dòng này sẽ không nhận được thông báo nào") in said, said
    assert "chi bộ khu dân cư  số 2" not in said, said


def test_a_routing_file_removed_is_said_in_the_reload_and_status(tiendod, smtp):
    """The routing file moved away («keeping a copy while I edit»): no notice is fanned out from then on. The reload's
    reply and status say so, not only the journal, while the reply read «0 cảnh báo»."""
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), STARTED).start()
    os.rename(d.routing, d.routing + ".bak")
    out = d.ctl("reload", check=False)
    said = out.stdout + out.stderr
    warning = ("không còn tệp định tuyến delivery/routing.yaml (đã bị xóa hoặc đổi tên?): từ nay không tạo thông báo gửi "
               "đi mới qua email, webhook; đặt lại tệp rồi nạp lại")
    assert out.returncode == 0 and warning in said and "1 cảnh báo" in said, said
    assert any(warning == x["message"] for x in d.call("vn.tiendo.Manager.GetStatus")["status"]["diagnostics"])


REMINDERS = ("  - name: nhac\n    kinds: [reminder]\n    channel: thu\n    quiet_hours: false\n"
             "    to: {field: email, name_field: ho_ten}\n")
# The sender's clock on the reminder's morning (a reminder is worth nothing after its due day).
MORNING = ("--fake-time", "2026-03-02T08:00:30+07:00", "--time-rate", "5")


def reminder_at_eight(tiendod, smtp):
    """A relay, and tiendod 20 fake seconds before one member's 08:00 reminder (due 03/03/2026)."""
    server = smtp().start()
    d = tiendod(smtp_channel(server.port), REMINDERS, fake_time="2026-03-02T07:59:40+07:00", time_rate=5).start()
    d.import_members([("m00001", "Đảng viên số 1", "m1@example.vn", "Chi bộ Khu dân cư số 2", "2026-03-03")])
    return server, d


def email_then_restore(d, server, copy):
    """The reminder emailed, then everything stopped and `copy` restored: what the restore printed."""
    d.start_sender(*MORNING)
    wait_until(lambda: len(server.received()) == 1, 60, "the 08:00 reminder emailed")
    d.stop_sender()
    d.stop()
    out = subprocess.run([os.path.join(BIN, "tiendod"), "--restore", copy, "--state-dir", d.state], capture_output=True, text=True,
                         env=d.env, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_a_restore_does_not_send_again_what_went_out_after_the_copy(tiendod, smtp):
    """A backup, then a reminder emailed, then the backup restored: the restored database has no record of that
    reminder, and its catch-up writes it again — but does not queue its email again (the restore carries the keys of
    what the database it replaces had sent). Before, every notice between the copy and the restore went out twice."""
    server, d = reminder_at_eight(tiendod, smtp)
    copy = d.call("vn.tiendo.Extras.Backup")["path"]
    said = email_then_restore(d, server, copy)
    assert "1 thông báo đã gửi qua email, webhook sau lúc sao lưu được ghi lại từ cơ sở dữ liệu cũ: không gửi lại chúng." \
        in said, said
    # What goes back was said before anything moved: what was written after the copy is only in the set-aside one.
    assert re.search(r"Bản sao: 1 hồ sơ, bản ghi mới nhất lúc 07:59 ngày 02/03/2026; cơ sở dữ liệu đang có: 1 hồ sơ, bản ghi "
                     r"mới nhất lúc 08:0\d ngày 02/03/2026\. \d+ bản ghi lịch sử ghi sau lúc sao lưu .* chỉ còn trong bản được giữ lại",
                     said), said
    # The same fake morning again: the reminder falls due again and is written again, its email not queued.
    d.start()
    wait_until(lambda: any(r["kind"] == "reminder" for r in json.loads(d.ctl("history", "nhac-viec/m00001", "--json").stdout)["records"]),
               60, "the reminder written again")
    d.start_sender(*MORNING)
    time.sleep(3)
    d.stop_sender()
    assert [m.to for m in server.received()] == ["m1@example.vn"], [m.to for m in server.received()]
    assert d.counts()["pending"] == 0 and d.counts()["sent"] == 0, d.counts()


def test_a_restore_drops_what_the_copy_held_unsent_that_a_newer_notice_replaced(tiendod, smtp):
    """The copy taken while a notice waited to be sent; then, before the restore, the sender dropped it for a newer
    notice of the same deadline, which it sent. The newer one's key is carried (not sent again), and the older one,
    pending in the copy, must not go out either: it is dropped, and the restore says so (before, it went out after
    the newer one, and the restore had said nothing would be sent again). The drop is made here in the database as
    the sender makes it (`Sender.expiry`: state expired, «thay bằng thông báo mới hơn cùng hạn (#id)»)."""
    import sqlite3
    server, d = reminder_at_eight(tiendod, smtp)
    wait_until(lambda: d.counts()["pending"] == 1, 60, "the 08:00 reminder queued")
    copy = d.call("vn.tiendo.Extras.Backup")["path"]
    d.stop()
    stopped = os.path.join(d.dir, "stopped.sqlite")
    import shutil
    shutil.copy(os.path.join(d.state, "tiendo.sqlite"), stopped)  # whole: a clean stop empties the log into it

    def replaced(newer_state):
        """The database in place as the sender leaves it: the copy's pending notice dropped for a newer one."""
        shutil.copy(stopped, os.path.join(d.state, "tiendo.sqlite"))
        db = sqlite3.connect(os.path.join(d.state, "tiendo.sqlite"))
        with db:
            (old_id, old_key, series), = db.execute("SELECT id, key, series FROM deliveries WHERE state = 'pending'").fetchall()
            assert series, "a reminder's delivery belongs to its deadline's series"
            columns = [c[1] for c in db.execute("PRAGMA table_info(deliveries)") if c[1] not in ("id", "key", "state", "finished_at")]
            db.execute(f"INSERT INTO deliveries(key, state, finished_at, {', '.join(columns)}) "
                       f"SELECT key || '|newer', ?, strftime('%s','now'), {', '.join(columns)} FROM deliveries WHERE id = ?",
                       (newer_state, old_id))
            db.execute("UPDATE deliveries SET state = 'expired', finished_at = strftime('%s','now'), "
                       "last_error = 'thay bằng thông báo mới hơn cùng hạn (#2)' WHERE id = ?", (old_id,))
        db.close()
        out = subprocess.run([os.path.join(BIN, "tiendod"), "--restore", copy, "--state-dir", d.state], capture_output=True,
                             text=True, env=d.env, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        restored = sqlite3.connect(os.path.join(d.state, "tiendo.sqlite"))
        state = restored.execute("SELECT state FROM deliveries WHERE key = ?", (old_key,)).fetchone()[0]
        restored.close()
        return out, state, old_key

    # The newer one still waiting when the copy was restored: it may be of a change the restore rolls back, so the
    # older one stays to be sent.
    out, state, _ = replaced("pending")
    assert state == "pending" and "thay bằng thông báo mới hơn" not in out.stdout, (state, out.stdout)
    out, _, old_key = replaced("sent")
    assert ("1 thông báo còn chờ gửi trong bản sao lưu đã được thay bằng thông báo mới hơn cùng hạn (đã gửi) sau lúc sao lưu: "
            "bỏ, không gửi.") in out.stdout, out.stdout
    restored = sqlite3.connect(os.path.join(d.state, "tiendo.sqlite"))
    state, why = restored.execute("SELECT state, last_error FROM deliveries WHERE key = ?", (old_key,)).fetchone()
    restored.close()
    assert state == "expired" and why.startswith("thay bằng thông báo mới hơn cùng hạn"), (state, why)
    d.start()
    d.start_sender(*MORNING)
    time.sleep(3)
    d.stop_sender()
    assert server.received() == [], [m.to for m in server.received()]


def test_a_restore_does_not_send_again_what_the_copy_held_unsent(tiendod, smtp):
    """The copy taken while a notice waited to be sent (the weekend's notices held for Monday's sending hours, a
    relay down), sent after it: the restored database holds that row unsent, and would send it again. The restore
    marks it sent."""
    server, d = reminder_at_eight(tiendod, smtp)
    wait_until(lambda: d.counts()["pending"] == 1, 60, "the 08:00 reminder queued")
    copy = d.call("vn.tiendo.Extras.Backup")["path"]
    said = email_then_restore(d, server, copy)
    assert "1 thông báo đã gửi qua email, webhook sau lúc sao lưu" in said, said
    d.start()
    d.start_sender(*MORNING)
    time.sleep(3)
    d.stop_sender()
    assert [m.to for m in server.received()] == ["m1@example.vn"], [m.to for m in server.received()]
    assert d.counts()["pending"] == 0 and d.counts()["sent"] == 1, d.counts()
