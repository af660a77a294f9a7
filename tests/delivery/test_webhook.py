"""tiendo-deliver posting records to a local HTTP receiver that checks the Standard Webhooks signature."""

import json
import time

from conftest import record, wait_until
from test_smtp import now_iso

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ROUTE = "  - name: tinh\n    kinds: [overdue]\n    channel: cong-tinh\n    quiet_hours: false\n"


def channel(port, secret_line):
    return (f"  cong-tinh:\n    type: webhook\n    url: http://127.0.0.1:{port}/hooks/tiendo\n    timeout: 2s\n"
            f"{secret_line}")


def overdue(n):
    r = record("overdue", now_iso(), f"nhac-viec/m{n:05d}", "2025-12-10", priority=4, days_left=-3,
               message=f"Quá hạn 3 ngày: «Nộp bản kiểm điểm cá nhân cuối năm» (nhac-viec/m{n:05d}), hạn chót 10/12/2025")
    return {"record": r, "key": f"nhac-viec/m{n:05d}|overdue|{n}"}


def secret_file(tmp_path):
    path = tmp_path / "webhook-secret"
    path.write_text(SECRET + "\n")
    return f"    secret_file: {path}\n"


def test_signed_post_of_the_record_json(webhook, deliver, tmp_path):
    receiver = webhook(SECRET)
    d = deliver(channel(receiver.port, secret_file(tmp_path)), ROUTE)
    lines = [overdue(1), overdue(2)]
    d.enqueue(lines)
    d.start()
    wait_until(lambda: len(receiver.received()) == 2, 30, "two webhook requests")
    d.stop()
    for req, line in zip(receiver.received(), lines):
        assert req["verified"], req["headers"]
        assert req["path"] == "/hooks/tiendo"
        assert req["headers"]["idempotency-key"] == line["key"] == req["headers"]["webhook-id"]
        assert req["headers"]["content-type"] == "application/json; charset=utf-8"
        assert req["headers"]["user-agent"].startswith("tiendo-deliver/")
        assert abs(int(req["headers"]["webhook-timestamp"]) - time.time()) < 60
        # The record's JSON, unchanged (key order included), Vietnamese intact.
        assert json.loads(req["body"]) == line["record"]
        assert list(json.loads(req["body"])) == list(line["record"])
    q = d.queue()
    assert [x["provider"] for x in q] == ["req-1", "req-2"] and all(x["state"] == "sent" for x in q)


def test_5xx_and_429_are_retried_with_the_same_keys_and_4xx_is_dead(webhook, deliver, tmp_path):
    receiver = webhook(SECRET)
    receiver.faults = {"nhac-viec/m00001|overdue|1": ["500", "429"], "nhac-viec/m00002|overdue|2": ["400"]}
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "webhook-secret").write_text(SECRET)
    d = deliver(channel(receiver.port, "    secret_credential: webhook-secret\n"), ROUTE)
    d.enqueue([overdue(1), overdue(2)])
    d.start(env={"CREDENTIALS_DIRECTORY": str(creds)})
    wait_until(lambda: len(receiver.received()) == 4, 30, "four requests")
    wait_until(lambda: {x["state"] for x in d.queue()} == {"sent", "dead"}, 30, "the outcomes")
    d.stop()
    assert all(x["verified"] for x in receiver.received())
    # The first record: 500, then 429 (Retry-After: 2 honoured), then accepted; the same keys every time.
    r = [x for x in receiver.received() if x["headers"]["webhook-id"] == "nhac-viec/m00001|overdue|1"]
    assert [x["fault"] for x in r] == ["500", "429", None]
    assert {x["headers"]["idempotency-key"] for x in r} == {"nhac-viec/m00001|overdue|1"}
    assert r[2]["time"] - r[1]["time"] >= 1.9
    q = {x["key"]: x for x in d.queue()}
    first = q["nhac-viec/m00001|overdue|1|cong-tinh"]
    assert first["state"] == "sent" and first["attempts"] == 2 and first["error"].startswith("transient: HTTP 429")
    second = q["nhac-viec/m00002|overdue|2|cong-tinh"]
    assert second["state"] == "dead" and second["error"] == "permanent: HTTP 400: {}"


def test_a_2xx_with_a_large_body_is_sent_once(webhook, deliver, tmp_path):
    """The status says the receiver took the record: a body over what the sender reads (an echo of 1 MiB) does not
    make it post the record again."""
    receiver = webhook(SECRET)
    receiver.faults = {"nhac-viec/m00001|overdue|1": ["big"]}
    d = deliver(channel(receiver.port, secret_file(tmp_path)), ROUTE)
    d.enqueue([overdue(1)])
    d.start()
    wait_until(lambda: [x["state"] for x in d.queue()] == ["sent"], 30, "the record sent")
    time.sleep(3)  # a wrongly kept retry would come within its base wait
    d.stop()
    assert [x["fault"] for x in receiver.received()] == ["big"], receiver.received()
    assert d.queue()[0]["attempts"] == 0 and d.queue()[0]["provider"] == "req-1"


def test_a_redirect_is_a_dead_letter_that_says_where_it_pointed(webhook, deliver, tmp_path):
    receiver = webhook(SECRET)
    receiver.faults = {"nhac-viec/m00001|overdue|1": ["302"]}
    d = deliver(channel(receiver.port, secret_file(tmp_path)), ROUTE)
    d.enqueue([overdue(1)])
    d.start()
    wait_until(lambda: [x["state"] for x in d.queue()] == ["dead"], 30, "the dead letter")
    d.stop()
    error = d.queue()[0]["error"]
    assert error.startswith("permanent: HTTP 302: chuyển hướng tới https://cong-moi.example.vn/hooks/tiendo"), error
    assert "sửa url trong tệp định tuyến" in error


def test_a_wrong_secret_is_visible_to_the_receiver(webhook, deliver, tmp_path):
    receiver = webhook(SECRET)
    other = tmp_path / "other-secret"
    other.write_text("whsec_" + "QUJD" * 8)
    d = deliver(channel(receiver.port, f"    secret_file: {other}\n"), ROUTE)
    d.enqueue([overdue(1)])
    d.start()
    wait_until(lambda: len(receiver.received()) == 1, 30, "one request")
    d.stop()
    assert receiver.received()[0]["verified"] is False
