"""tiendo-deliver through the local sendmail interface: msmtp (Debian) relaying to aiosmtpd."""

import os
import shutil
import stat

import pytest
from conftest import wait_until
from test_smtp import ANYTIME_ROUTE, member

pytestmark = pytest.mark.skipif(shutil.which("msmtp") is None, reason="msmtp is installed by `make test-delivery`")


def sendmail_wrapper(tmp_path, port):
    """/usr/sbin/sendmail as msmtp-mta would provide it, pointed at the test server."""
    path = tmp_path / "sendmail"
    path.write_text(f"#!/bin/sh\nexec msmtp --host=127.0.0.1 --port={port} --tls=off --auth=off \"$@\"\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_sendmail_delivers_and_maps_exit_statuses(smtp, deliver, tmp_path):
    server = smtp().start()
    server.handler.faults = {"m2@example.vn": ["rcpt-451"], "m3@example.vn": ["rcpt-550"]}
    channel = f"  thu:\n    type: sendmail\n    path: {sendmail_wrapper(tmp_path, server.port)}\n    timeout: 10s\n"
    d = deliver(channel, ANYTIME_ROUTE)
    d.enqueue([member(1), member(2), member(3)])
    d.start()
    wait_until(lambda: len(server.received()) == 2, 30, "m1 and, after a retry, m2")
    wait_until(lambda: any(x["state"] == "dead" for x in d.queue()), 30, "m3 to be dead")
    d.stop()
    m = server.received()[0]
    assert m.mail_from == "vanphong@tayho.example.vn" and m.to == "m1@example.vn"
    assert m.header("To") == "Đảng viên số 1 <m1@example.vn>"
    assert m.header("Subject").startswith("Còn ")
    q = {x["to"]: x for x in d.queue()}
    # msmtp reports an SMTP 4xx as EX_UNAVAILABLE (retried) and a 5xx as EX_DATAERR (a dead letter).
    assert q["m2@example.vn"]["state"] == "sent" and "(EX_UNAVAILABLE)" in q["m2@example.vn"]["error"]
    assert q["m3@example.vn"]["state"] == "dead" and q["m3@example.vn"]["attempts"] == 1
    assert "(EX_DATAERR)" in q["m3@example.vn"]["error"]
    assert q["m1@example.vn"]["provider"] == "sendmail: 0"


def test_a_missing_sendmail_pauses_the_channel(deliver, tmp_path):
    channel = f"  thu:\n    type: sendmail\n    path: {tmp_path}/no-such-sendmail\n"
    d = deliver(channel, ANYTIME_ROUTE)
    d.enqueue([member(1)])
    d.start()
    wait_until(lambda: "Tạm dừng kênh thu" in d.output(), 30, "the channel to pause")
    d.stop()
    assert d.queue()[0]["state"] == "pending"
    assert "không chạy được" in d.queue()[0]["error"]
    assert os.path.exists(d.queue_file)
