"""`vn.tiendo.Extras.Undo` (an extension): the latest step of an instance undone, over the real socket.

Who may change anything may undo; the step's token (as `Extras.Instance` gives it) guards against undoing a newer
step than the caller saw; a step undone, or none, is `NothingToUndo` with the reason in words.
"""

import json
import os

from conftest import IFACE
from test_varlink import call, cli, raw, msg

EXTRAS = "vn.tiendo.Extras"
NOBODY = 65534


def extras(daemon, method, **params):
    return raw(daemon, msg(EXTRAS + "." + method, params))[0]


def test_an_event_is_undone_once_and_history_says_so(daemon):
    call(daemon, "StartInstance", workflow="hop", key="un1", data={"han": "2026-03-10", "diem": 40})
    r = extras(daemon, "Undo", id="hop/un1")
    assert r["error"] == EXTRAS + ".NothingToUndo" and r["parameters"]["id"] == "hop/un1", r
    assert r["parameters"]["reason"] == "không có sự kiện hay việc đánh dấu xong mốc nào được ghi trong 7 ngày qua", r

    call(daemon, "SendEvent", id="hop/un1", event="cham", data={"diem": 70}, actor="Nguyễn Thị Hà")
    step = extras(daemon, "Instance", id="hop/un1")["parameters"]["instance"]["undo"]
    assert step["event"] == "cham" and step["actor"] == "Nguyễn Thị Hà" and step["state"] == "moi", step
    assert step["token"] and step["at"].startswith("2026-03-02T"), step

    # Another step's token: a newer step than the caller saw; refused, nothing changed.
    r = extras(daemon, "Undo", id="hop/un1", token="khac")
    assert r["error"] == EXTRAS + ".NothingToUndo" and "không phải bước định hoàn tác" in r["parameters"]["reason"], r
    assert call(daemon, "GetInstance", id="hop/un1")["instance"]["state"] == "da-duyet"
    r = extras(daemon, "Undo", id="hop/un1", token=12)
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "token"}}, r

    r = extras(daemon, "Undo", id="hop/un1", token=step["token"], actor="Trần Văn Bình")
    instance = r["parameters"]["instance"]
    assert instance["state"] == "moi" and instance["data"]["diem"] == 40 and not instance["completed"], instance
    last = call(daemon, "History", id="hop/un1")["records"][-1]
    assert last["kind"] == "undone" and last["from"] == "da-duyet" and last["to"] == "moi" and last["event"] == "cham", last
    assert last["actorName"] == "Trần Văn Bình" and last["actor"] == 0, last
    assert "undo" not in extras(daemon, "Instance", id="hop/un1")["parameters"]["instance"]
    r = extras(daemon, "Undo", id="hop/un1")
    assert r["error"] == EXTRAS + ".NothingToUndo", r
    assert r["parameters"]["reason"].startswith("bước ghi gần nhất đã được hoàn tác lúc "), r
    assert r["parameters"]["reason"].endswith("; mỗi bước chỉ hoàn tác được một lần"), r
    r = extras(daemon, "Undo", id="hop/khong-co")
    assert r["error"] == IFACE + ".NoSuchInstance", r


def test_a_milestone_marked_done_is_undone(daemon):
    call(daemon, "StartInstance", workflow="hop", key="un2", data={"han": "2026-03-10"})
    call(daemon, "CompleteMilestone", id="hop/un2", milestone="bao-cao")
    step = extras(daemon, "Instance", id="hop/un2")["parameters"]["instance"]["undo"]
    assert step["event"] == "done" and step["milestone"] == "bao-cao", step
    instance = extras(daemon, "Undo", id="hop/un2")["parameters"]["instance"]
    assert not [m for m in instance["milestones"] if m["id"] == "bao-cao"][0]["done"], instance
    last = call(daemon, "History", id="hop/un2")["records"][-1]
    assert last["kind"] == "undone" and last["milestone"] == "bao-cao", last
    assert "Đã hoàn tác việc ghi hoàn thành «Báo cáo»" in last["message"], last


def test_others_may_not_undo(daemon):
    call(daemon, "StartInstance", workflow="hop", key="un3", data={"han": "2026-03-10"})
    call(daemon, "SendEvent", id="hop/un3", event="duyet")
    os.chown(daemon.socket, 0, NOBODY)
    r = cli("call", daemon.address + "/" + EXTRAS + ".Undo", json.dumps({"id": "hop/un3"}), user=NOBODY)
    assert "PermissionDenied" in (r.stdout + r.stderr), (r.stdout, r.stderr)
    assert call(daemon, "GetInstance", id="hop/un3")["instance"]["state"] == "da-duyet"
    assert "Extras.Undo của uid 65534" in daemon.log_text()
