"""The `actor` extension: the person a trusted front end (tiendo-web) or an administrator acts for.

Honoured only from the web front end's user (`TIENDO_WEB_USER`, default `tiendo-web`) or an administrator; anyone
else gets PermissionDenied. Carried into the records as `actorName`.
"""

import json
import os

import pytest
from conftest import IFACE, Daemon
from test_varlink import call, cli, raw, msg

NOBODY = 65534


@pytest.fixture(scope="module")
def web_daemon():
    # The user `nobody` plays tiendo-web's service user.
    d = Daemon(extra_env={"TIENDO_WEB_USER": "nobody"})
    yield d
    d.stop()


def test_admin_names_the_person_and_history_keeps_it(daemon):
    call(daemon, "StartInstance", workflow="hop", key="ac1", data={"han": "2026-03-10"}, actor="Nguyễn Thị Hà")
    call(daemon, "CompleteMilestone", id="hop/ac1", milestone="bao-cao", actor="Trần Văn Bình")
    records = call(daemon, "History", id="hop/ac1")["records"]
    started = [r for r in records if r["kind"] == "started"][0]
    done = [r for r in records if r["kind"] == "milestone-done"][0]
    assert started["actorName"] == "Nguyễn Thị Hà" and started["actor"] == 0
    assert done["actorName"] == "Trần Văn Bình" and done["milestone"] == "bao-cao"


def test_without_actor_records_carry_no_name(daemon):
    call(daemon, "StartInstance", workflow="hop", key="ac2", data={"han": "2026-03-10"})
    records = call(daemon, "History", id="hop/ac2")["records"]
    assert records and all("actorName" not in r for r in records)


def test_rejection_and_import_carry_the_name(daemon):
    call(daemon, "ImportInstances", workflow="hop", rows=[{"key": "ac3", "han": "2026-03-10"}], actor="Lê Văn Cường")
    assert call(daemon, "History", id="hop/ac3")["records"][0]["actorName"] == "Lê Văn Cường"
    r = raw(daemon, msg(IFACE + ".SendEvent", {"id": "hop/ac3", "event": "khong-co", "actor": "Lê Văn Cường"}))[0]
    assert r["error"] == "vn.tiendo.Manager.EventRejected"
    rejected = [x for x in call(daemon, "History", id="hop/ac3")["records"] if x["kind"] == "rejected"]
    assert rejected and rejected[-1]["actorName"] == "Lê Văn Cường"


@pytest.mark.parametrize("bad", ["", " ha", "ha ", "a\nb", "a\u0000b", "x" * 65, "a\u200bb", "a\tb"])
def test_malformed_actor_is_refused_and_changes_nothing(daemon, bad):
    r = raw(daemon, msg(IFACE + ".StartInstance", {"workflow": "hop", "key": "bad1", "data": {"han": "2026-03-10"}, "actor": bad}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "actor"}}
    r = raw(daemon, msg(IFACE + ".GetInstance", {"id": "hop/bad1"}))[0]
    assert r["error"] == "vn.tiendo.Manager.NoSuchInstance"


def test_sixty_four_characters_with_diacritics_are_accepted(daemon):
    name = "Đ" * 64
    call(daemon, "StartInstance", workflow="hop", key="ac4", data={"han": "2026-03-10"}, actor=name)
    assert call(daemon, "History", id="hop/ac4")["records"][0]["actorName"] == name


def test_other_users_may_not_name_anyone(daemon):
    daemon_socket_group(daemon)
    params = {"workflow": "hop", "key": "ac5", "data": {"han": "2026-03-10"}, "actor": "Kẻ Mạo Danh"}
    r = cli("call", daemon.address + "/" + IFACE + ".StartInstance", json.dumps(params), user=NOBODY)
    assert "PermissionDenied" in (r.stdout + r.stderr), (r.stdout, r.stderr)
    assert raw(daemon, msg(IFACE + ".GetInstance", {"id": "hop/ac5"}))[0]["error"] == "vn.tiendo.Manager.NoSuchInstance"


def test_the_web_front_end_user_may_change_things_for_a_person(web_daemon):
    daemon_socket_group(web_daemon)
    params = {"workflow": "hop", "key": "web1", "data": {"han": "2026-03-10"}, "actor": "Phạm Thu Trang"}
    r = cli("call", web_daemon.address + "/" + IFACE + ".StartInstance", json.dumps(params), user=NOBODY)
    assert r.returncode == 0, (r.stdout, r.stderr)
    params = {"id": "hop/web1", "milestone": "bao-cao", "actor": "Phạm Thu Trang"}
    r = cli("call", web_daemon.address + "/" + IFACE + ".CompleteMilestone", json.dumps(params), user=NOBODY)
    assert r.returncode == 0, (r.stdout, r.stderr)
    records = call(web_daemon, "History", id="hop/web1")["records"]
    assert [r["actorName"] for r in records if r["kind"] in ("started", "milestone-done")] == ["Phạm Thu Trang"] * 2
    assert all(r["actor"] == NOBODY for r in records if r["kind"] in ("started", "milestone-done"))
    # Reload stays for administrators' tools; the front end is allowed it like any mutation but takes no actor.
    r = raw(web_daemon, msg(IFACE + ".Reload", {"actor": "Phạm Thu Trang"}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "actor"}}


def daemon_socket_group(d):
    os.chown(d.socket, 0, NOBODY)
