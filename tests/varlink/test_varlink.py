"""The control socket against the real tiendod, with the independent PyPI varlink client and raw sockets.

Run by `make test` (target test-varlink) inside a venv that has `varlink` and `pytest`.
"""

import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time

import varlink
from conftest import IFACE, ROOT, Daemon


def cli(*args, user=None):
    cmd = [sys.executable, "-m", "varlink.cli", *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def call(daemon, method, **params):
    with varlink.Client(address=daemon.address).open(IFACE, namespaced=False) as m:
        return getattr(m, method)(**params)


def raw(daemon, payload: bytes, read=True, timeout=10):
    """Sends raw bytes; returns the parsed replies until the server closes or a reply arrives."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(daemon.socket)
    s.sendall(payload)
    if not read:
        return s
    buf = b""
    try:
        while b"\0" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return [json.loads(m) for m in buf.split(b"\0") if m]


def msg(method, params=None, **extra):
    o = {"method": method, "parameters": params or {}}
    o.update(extra)
    return json.dumps(o).encode() + b"\0"


# --- introspection -----------------------------------------------------------------------------------------

def test_info_lists_interfaces(daemon):
    r = cli("info", daemon.address)
    assert r.returncode == 0, r.stderr
    assert "vn.tiendo.Manager" in r.stdout and "org.varlink.service" in r.stdout and "tiendod" in r.stdout


def test_help_returns_the_shipped_idl(daemon):
    r = cli("help", daemon.address + "/" + IFACE)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(ROOT, "vn.tiendo.Manager.varlink"), encoding="utf-8") as f:
        shipped = f.read()
    got = raw(daemon, msg("org.varlink.service.GetInterfaceDescription", {"interface": IFACE}))[0]
    assert got["parameters"]["description"] == shipped
    assert "method Watch() -> (record: ?Record)" in r.stdout


def test_call_get_status(daemon):
    r = cli("call", daemon.address + "/" + IFACE + ".GetStatus", "{}")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"]["version"] and out["status"]["workflows"] == 1
    assert [w["id"] for w in out["workflows"]] == ["hop"]


# --- methods and errors ------------------------------------------------------------------------------------

def test_start_get_list_history(daemon):
    inst = call(daemon, "StartInstance", workflow="hop", key="a1", data={"ma": "G1", "han": "2026-03-06"})["instance"]
    assert inst["id"] == "hop/a1" and inst["state"] == "moi" and inst["data"]["han"] == "2026-03-06"
    assert [m["id"] for m in inst["milestones"]] == ["bao-cao", "tong-ket"]
    got = call(daemon, "GetInstance", id="hop/a1")["instance"]
    assert got["startedAt"].endswith("+07:00")
    listed = call(daemon, "ListInstances", workflow="hop")
    assert "hop/a1" in [i["id"] for i in listed["instances"]]
    hist = call(daemon, "History", id="hop/a1")["records"]
    assert hist[0]["kind"] == "started" and hist[0]["actor"] == os.getuid()


def test_errors_have_their_parameters(daemon):
    cases = [
        ("GetInstance", {"id": "hop/none"}, "vn.tiendo.Manager.NoSuchInstance", {"id": "hop/none"}),
        ("StartInstance", {"workflow": "nope"}, "vn.tiendo.Manager.NoSuchWorkflow", {"workflow": "nope"}),
        ("StartInstance", {"workflow": "hop", "key": "e1", "data": {"han": "2026-02-30"}}, "vn.tiendo.Manager.InvalidData", None),
        ("StartInstance", {"workflow": "hop", "key": "e2", "data": {"han": "2026-03-06", "diem": 101}}, "vn.tiendo.Manager.InvalidData", None),
        ("StartInstance", {"workflow": "hop", "key": "e3", "data": {"han": "2026-03-06", "khong_co": 1}}, "vn.tiendo.Manager.InvalidData", None),
        # A year typed wrong is refused, not stored as overdue by 739,535 days.
        ("StartInstance", {"workflow": "hop", "key": "e4", "data": {"han": "0001-01-01"}}, "vn.tiendo.Manager.InvalidData",
         {"field": "han", "reason": "ngày 01/01/0001 nằm ngoài khoảng cho phép (từ 01/01/1900 đến 31/12/2199): kiểm tra lại năm"}),
        # A page of no rows is a caller's mistake, not one row.
        ("ListInstances", {"limit": 0}, "org.varlink.service.InvalidParameter", {"parameter": "limit"}),
        ("ListInstances", {"limit": -9223372036854775808}, "org.varlink.service.InvalidParameter", {"parameter": "limit"}),
        # An agenda of −100 days is not today's, nor one of 2^63 days ten years': refused.
        ("Agenda", {"days": -100}, "org.varlink.service.InvalidParameter", {"parameter": "days"}),
        ("Agenda", {"days": 9223372036854775807}, "org.varlink.service.InvalidParameter", {"parameter": "days"}),
    ]
    for method, params, error, expected in cases:
        r = raw(daemon, msg(IFACE + "." + method, params))[0]
        assert r.get("error") == error, (method, params, r)
        if expected:
            assert r["parameters"] == expected
    call(daemon, "StartInstance", workflow="hop", key="dup", data={"han": "2026-03-06"})
    r = raw(daemon, msg(IFACE + ".StartInstance", {"workflow": "hop", "key": "dup", "data": {"han": "2026-03-06"}}))[0]
    assert r == {"error": "vn.tiendo.Manager.InstanceExists", "parameters": {"id": "hop/dup"}}
    r = raw(daemon, msg(IFACE + ".SendEvent", {"id": "hop/dup", "event": "bay"}))[0]
    assert r["error"] == "vn.tiendo.Manager.EventRejected"
    assert r["parameters"]["state"] == "moi" and r["parameters"]["event"] == "bay" and r["parameters"]["reason"]
    r = raw(daemon, msg(IFACE + ".SendEvent", {"id": "hop/dup", "event": "cham", "data": {"diem": 10}}))[0]
    assert r["error"] == "vn.tiendo.Manager.EventRejected"
    r = raw(daemon, msg(IFACE + ".CompleteMilestone", {"id": "hop/dup", "milestone": "tong-ket"}))[0]
    assert r["error"] == "vn.tiendo.Manager.EventRejected" and "bao-cao" in r["parameters"]["reason"]
    assert r["parameters"]["event"] == "done"
    # Rejections change nothing but are kept in history.
    assert call(daemon, "GetInstance", id="hop/dup")["instance"]["state"] == "moi"
    assert any(h["kind"] == "rejected" for h in call(daemon, "History", id="hop/dup")["records"])


def test_send_event_idempotency(daemon):
    call(daemon, "StartInstance", workflow="hop", key="idem", data={"han": "2026-03-06"})
    first = call(daemon, "SendEvent", id="hop/idem", event="duyet", idempotencyKey="k-1")
    second = call(daemon, "SendEvent", id="hop/idem", event="duyet", idempotencyKey="k-1")
    a, b = first["instance"], second["instance"]
    assert a["state"] == b["state"] == "da-duyet"
    transitions = [h for h in call(daemon, "History", id="hop/idem")["records"] if h["kind"] == "transition"]
    assert len(transitions) == 1
    # Extension: the repeat says so, and which event the first request applied; the first says nothing of the kind.
    assert "repeated" not in first and "repeatedEvent" not in first, first
    assert second["repeated"] is True and second["repeatedEvent"] == "duyet", second
    # The key reused for another event records nothing, and names the event it was used for.
    third = call(daemon, "SendEvent", id="hop/idem", event="khong-co", idempotencyKey="k-1")
    assert third["repeated"] is True and third["repeatedEvent"] == "duyet", third


def test_complete_milestone_and_done_event(daemon):
    call(daemon, "StartInstance", workflow="hop", key="ms", data={"han": "2026-03-06"})
    i = call(daemon, "CompleteMilestone", id="hop/ms", milestone="bao-cao")["instance"]
    assert [m["done"] for m in i["milestones"]] == [True, False]
    i = call(daemon, "SendEvent", id="hop/ms", event="done", data={"milestone": "tong-ket"})["instance"]
    assert all(m["done"] for m in i["milestones"])


def test_import_all_or_nothing(daemon):
    rows = [{"key": "imp1", "han": "2026-03-06"}, {"key": "imp2", "han": "31/02/2026"}, {"key": "bad key!", "han": "2026-03-06"},
            {"key": "imp4"}]
    r = raw(daemon, msg(IFACE + ".ImportInstances", {"workflow": "hop", "rows": rows}))[0]
    assert r["error"] == "vn.tiendo.Manager.ImportRejected"
    lines = sorted(e["line"] for e in r["parameters"]["errors"])
    assert lines == [2, 3, 4]
    assert all(e["file"] == "hop" for e in r["parameters"]["errors"])
    r = raw(daemon, msg(IFACE + ".GetInstance", {"id": "hop/imp1"}))[0]
    assert r["error"] == "vn.tiendo.Manager.NoSuchInstance"
    # Day-first dates, as people type them, are accepted too (README, "Extensions") and stored as ISO.
    ok = call(daemon, "ImportInstances", workflow="hop",
              rows=[{"key": "imp1", "han": "2026-03-06", "started": "2026-03-01"}, {"key": "imp2", "han": "6/3/2026"}])
    assert ok["imported"] == 2
    assert call(daemon, "GetInstance", id="hop/imp1")["instance"]["startedAt"] == "2026-03-01T00:00:00+07:00"
    assert call(daemon, "GetInstance", id="hop/imp2")["instance"]["data"]["han"] == "2026-03-06"
    # A start after the import's instant (2030 typed for 2026) is refused with the row, and nothing is stored.
    r = raw(daemon, msg(IFACE + ".ImportInstances", {"workflow": "hop", "rows": [
        {"key": "imp5", "han": "2026-03-06"}, {"key": "imp6", "han": "2026-03-06", "started": "05/03/2030 14:30"}]}))[0]
    assert r["error"] == "vn.tiendo.Manager.ImportRejected", r
    [e] = r["parameters"]["errors"]
    assert e["line"] == 2 and e["message"].startswith("cột 'started': 05/03/2030 14:30 là sau lúc nhập ("), e
    assert raw(daemon, msg(IFACE + ".GetInstance", {"id": "hop/imp5"}))[0]["error"] == "vn.tiendo.Manager.NoSuchInstance"
    # A value past a cell's limit is refused before anything is staged (a staged import included).
    long = {"key": "imp7", "han": "2026-03-06", "ma": "x" * 2001}
    for extra in ({}, {"importID": "dai-qua", "final": False}):
        r = raw(daemon, msg(IFACE + ".ImportInstances", {"workflow": "hop", "rows": [{"key": "imp8", "han": "2026-03-06"}, long], **extra}))[0]
        assert r["error"] == "vn.tiendo.Manager.InvalidData" and r["parameters"]["field"] == "ma", r
        assert r["parameters"]["reason"].startswith("dòng 2 của lần gửi này dài 2.001 ký tự, quá giới hạn 2.000 ký tự"), r


def test_agenda_orders_overdue_first(daemon):
    call(daemon, "StartInstance", workflow="hop", key="late", data={"ma": "G9", "han": "2026-02-20"})
    items = call(daemon, "Agenda", days=7)["items"]
    assert items, "agenda is empty"
    flags = [i["overdue"] for i in items]
    assert flags == sorted(flags, reverse=True)
    assert any(i["instance"] == "hop/late" and i["overdue"] and i["daysLeft"] < 0 for i in items)
    grouped = call(daemon, "Agenda", days=7, group="G9")["items"]
    assert {i["group"] for i in grouped} == {"G9"}


def test_agenda_days_reach_the_end_of_the_last_day(daemon):
    """Monday 02/03/2026: days=7 covers through Monday 09/03 (a due on that date included), days=0 today's dues."""
    for key, due in (("d0", "2026-03-02"), ("d7", "2026-03-09"), ("d8", "2026-03-10")):
        call(daemon, "StartInstance", workflow="hop", key=key, data={"ma": "GD", "han": due})

    def listed(days):
        return {i["instance"] for i in call(daemon, "Agenda", days=days, group="GD")["items"]}
    assert listed(0) == {"hop/d0"}
    assert listed(7) == {"hop/d0", "hop/d7"}
    assert listed(8) == {"hop/d0", "hop/d7", "hop/d8"}


def test_watch_streams_records(daemon):
    got = []
    ready = threading.Event()

    def watch():
        with varlink.Client(address=daemon.address).open(IFACE, namespaced=False) as m:
            for reply in m.Watch(_more=True):
                if not ready.is_set():
                    ready.set()
                    continue
                got.append(reply["record"])
                return

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    assert ready.wait(10)
    call(daemon, "StartInstance", workflow="hop", key="watched", data={"han": "2026-03-06"})
    t.join(10)
    assert got and got[0]["kind"] == "started" and got[0]["instance"] == "hop/watched"


def test_watch_without_more(daemon):
    r = raw(daemon, msg(IFACE + ".Watch"))[0]
    assert r["error"] == "org.varlink.service.ExpectedMore"


def test_oneway_gets_no_reply(daemon):
    s = raw(daemon, msg(IFACE + ".StartInstance", {"workflow": "hop", "key": "ow", "data": {"han": "2026-03-06"}}, oneway=True), read=False)
    s.sendall(msg(IFACE + ".GetInstance", {"id": "hop/ow"}))
    buf = b""
    while b"\0" not in buf:
        buf += s.recv(65536)
    s.close()
    first = json.loads(buf.split(b"\0")[0])
    assert first["parameters"]["instance"]["id"] == "hop/ow"
    # A oneway Watch starts no stream and sends nothing: the next call on the connection gets the only reply.
    s = raw(daemon, msg(IFACE + ".Watch", {}, more=True, oneway=True) + msg(IFACE + ".GetInstance", {"id": "hop/ow"}), read=False)
    buf = b""
    while b"\0" not in buf:
        buf += s.recv(65536)
    s.close()
    assert json.loads(buf.split(b"\0")[0])["parameters"]["instance"]["id"] == "hop/ow", buf


# --- authorization -----------------------------------------------------------------------------------------

def test_non_admin_can_read_but_not_mutate(daemon):
    os.chown(daemon.socket, 0, 65534)
    before = call(daemon, "GetStatus")["status"]["instances"]
    r = cli("call", daemon.address + "/" + IFACE + ".GetStatus", "{}", user=65534)
    assert r.returncode == 0, r.stderr
    mutations = [
        ("StartInstance", {"workflow": "hop", "key": "nobody", "data": {"han": "2026-03-06"}}),
        ("ImportInstances", {"workflow": "hop", "rows": [{"key": "nobody2", "han": "2026-03-06"}]}),
        ("SendEvent", {"id": "hop/a1", "event": "duyet"}),
        ("CompleteMilestone", {"id": "hop/a1", "milestone": "bao-cao"}),
        ("Reload", {}),
    ]
    for method, params in mutations:
        r = cli("call", daemon.address + "/" + IFACE + "." + method, json.dumps(params), user=65534)
        assert "PermissionDenied" in (r.stdout + r.stderr), (method, r.stdout, r.stderr)
    assert call(daemon, "GetStatus")["status"]["instances"] == before
    assert call(daemon, "GetInstance", id="hop/a1")["instance"]["state"] == "moi"
    assert "uid 65534" in daemon.log_text()


# --- bad input ---------------------------------------------------------------------------------------------

def test_malformed_json_closes_only_that_connection(daemon):
    assert raw(daemon, b"{this is not json}\0") == []
    assert call(daemon, "GetStatus")["status"]["version"]


def test_unknown_method_interface_parameter_and_wrong_type(daemon):
    assert raw(daemon, msg(IFACE + ".Explode"))[0]["error"] == "org.varlink.service.MethodNotFound"
    assert raw(daemon, msg("com.example.Nope.Call"))[0]["error"] == "org.varlink.service.InterfaceNotFound"
    r = raw(daemon, msg(IFACE + ".GetInstance", {"id": "hop/a1", "extra": 1}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "extra"}}
    r = raw(daemon, msg(IFACE + ".GetInstance", {"id": 42}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "id"}}
    r = raw(daemon, msg(IFACE + ".GetInstance", {}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "id"}}
    r = raw(daemon, msg(IFACE + ".Agenda", {"days": "seven"}))[0]
    assert r["error"] == "org.varlink.service.InvalidParameter"


def test_missing_nul_and_half_message_do_not_stall_others(daemon):
    stalled = raw(daemon, b'{"method": "vn.tiendo.Manager.GetSta', read=False)
    no_nul = raw(daemon, msg(IFACE + ".GetStatus")[:-1], read=False)
    t0 = time.time()
    for _ in range(20):
        assert call(daemon, "GetStatus")["status"]["version"]
    assert time.time() - t0 < 20
    # A message without its NUL followed by end of input gets no reply and a closed connection.
    no_nul.shutdown(socket.SHUT_WR)
    no_nul.settimeout(10)
    assert no_nul.recv(100) == b""
    no_nul.close()
    stalled.close()


def test_oversized_message_closes_the_connection(daemon):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(daemon.socket)
    chunk = b"x" * (1 << 20)
    closed = False
    try:
        for _ in range(10):
            s.sendall(chunk)
        s.sendall(b"\0")
        closed = s.recv(100) == b""
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    s.close()
    assert closed
    assert call(daemon, "GetStatus")["status"]["version"]
    assert "8 MiB" in daemon.log_text()


def test_thousand_connections_at_once(daemon):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    socks = []
    for _ in range(1000):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(daemon.socket)
        socks.append(s)
    for s in socks:
        s.sendall(msg(IFACE + ".GetStatus"))
    answered = 0
    for s in socks:
        buf = b""
        while b"\0" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        if buf and "parameters" in json.loads(buf.split(b"\0")[0]):
            answered += 1
        s.close()
    assert answered == 1000
    assert call(daemon, "GetStatus")["status"]["version"]


def test_status_files_follow_the_clock_past_midnight_without_a_request():
    """A case due today falls overdue at midnight: status.json and tiendo.prom say so then, not at the next reminder
    (08:00) or request. The daemon arms its timer for the files' next change by time alone."""
    d = Daemon(fake_time="2026-03-02T23:59:56+07:00")
    try:
        call(d, "StartInstance", workflow="hop", key="nua-dem", data={"ma": "G1", "han": "2026-03-02"})
        run = os.path.join(d.dir, "run")

        def overdue():
            with open(os.path.join(run, "status.json"), encoding="utf-8") as f:
                return json.load(f)["daemon"]["overdue"]
        deadline = time.time() + 3
        while time.time() < deadline and overdue() != 0:
            time.sleep(0.1)
        assert overdue() == 0
        deadline = time.time() + 20
        while time.time() < deadline and overdue() != 1:
            time.sleep(0.2)
        assert overdue() == 1, open(os.path.join(run, "status.json"), encoding="utf-8").read()
        with open(os.path.join(run, "tiendo.prom"), encoding="utf-8") as f:
            prom = f.read()
        # One case, two items overdue (its state's deadline and a milestone): each counted, not only the case.
        assert 'tiendo_overdue_instances{workflow="hop"} 1' in prom and 'tiendo_overdue_items{workflow="hop"} 2' in prom, prom
        assert "tiendo_overdue_age_seconds_count 2" in prom, prom
    finally:
        d.stop()
