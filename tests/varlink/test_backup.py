"""`tiendoctl backup` (vn.tiendo.Extras.Backup) against the real daemon: a copy taken while it runs opens on its own,
the oldest copies go beyond `--keep`, only an operator may take one, and `tiendod --restore` brings the copy back."""

import glob
import os
import sqlite3
import subprocess

import pytest
from conftest import BIN, Daemon
from test_extras import mcall, xcall
from test_tiendoctl import ctl


@pytest.fixture
def fresh():
    d = Daemon()
    yield d
    d.stop()


def count(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        return db.execute("SELECT count(*) FROM instances").fetchone()[0]
    finally:
        db.close()


def test_a_copy_taken_while_running_opens_and_restores(fresh):
    mcall(fresh, "ImportInstances", workflow="hop", rows=[{"key": f"b{i}", "han": "2026-03-20", "ma": "Chi bộ 1"} for i in range(3)])
    r = ctl(fresh, "backup")
    assert r.returncode == 0, r.stderr
    copies = sorted(glob.glob(os.path.join(fresh.state, "backups", "tiendo-*.sqlite")))
    assert len(copies) == 1 and os.path.basename(copies[0]).startswith("tiendo-2026-03-02-0900"), copies
    said = r.stdout.strip()
    assert said.startswith(f"Đã sao lưu 3 hồ sơ vào {copies[0]} (") and " KB), lúc 02/03/2026 09:0" in said, said
    assert count(copies[0]) == 3
    assert "Đã sao lưu cơ sở dữ liệu vào " + copies[0] in fresh.log_text()

    # A record added after the copy, then the copy restored as README says: stop, `tiendod --restore`, start (refused
    # while tiendod runs). The record added after is gone, the three before are back; it stays in the files set aside.
    mcall(fresh, "StartInstance", workflow="hop", key="sau", data={"han": "2026-03-20", "ma": "Chi bộ 1"})
    restore = [os.path.join(BIN, "tiendod"), "--restore", copies[0], "--state-dir", fresh.state]
    r = subprocess.run(restore, capture_output=True, text=True)
    assert r.returncode == 65 and "tiendod đang chạy" in r.stderr and "không thay đổi gì" in r.stderr, r.stderr
    fresh.halt()
    r = subprocess.run(restore, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith(f"Đang kiểm tra bản sao {copies[0]}…\n"), (r.stdout, r.stderr)
    assert f"\nĐã khôi phục 3 hồ sơ từ {copies[0]}" in r.stdout, r.stdout
    aside = glob.glob(os.path.join(fresh.state, "truoc-khoi-phuc-*"))
    assert len(aside) == 1 and count(os.path.join(aside[0], "tiendo.sqlite")) == 4, aside
    fresh.start()
    ids = sorted(i["id"] for i in mcall(fresh, "ListInstances", workflow="hop", limit=100)["instances"])
    assert ids == ["hop/b0", "hop/b1", "hop/b2"], ids


def test_keep_removes_the_oldest_and_only_operators_take_copies(fresh):
    # In the order they were taken (several may fall in one second of the test's clock: «-2», «-3» after the first).
    copies = [os.path.basename(xcall(fresh, "Backup")["path"]) for _ in range(3)]
    assert sorted(os.listdir(os.path.join(fresh.state, "backups"))) == sorted(copies)
    r = ctl(fresh, "backup", "--keep", "2")
    assert r.returncode == 0, r.stderr
    left = os.listdir(os.path.join(fresh.state, "backups"))
    assert len(left) == 2 and copies[2] in left and copies[0] not in left and copies[1] not in left, (copies, left)
    assert f"Đã xóa 2 bản sao cũ: {copies[0]}, {copies[1]}." in r.stdout, r.stdout
    j = xcall(fresh, "Backup", keep=5)
    assert j["path"].startswith(os.path.join(fresh.state, "backups", "tiendo-")) and j["removed"] == [] and j["bytes"] > 0, j
    assert j["at"].startswith("2026-03-02T09:0") and j["instances"] == 0, j
    # The copies listed, newest first, for anyone who may read.
    listed = xcall(fresh, "Backups")
    assert listed["directory"] == os.path.join(fresh.state, "backups"), listed
    names = [c["name"] for c in listed["copies"]]
    assert names[0] == os.path.basename(j["path"]) and names[-1] == copies[2] and len(names) == 3, listed
    assert sorted(names) == sorted(os.listdir(listed["directory"])), listed
    assert listed["copies"][0]["bytes"] == j["bytes"] and listed["copies"][0]["at"] == j["at"], (listed, j)
    r = ctl(fresh, "backup", "--list")
    assert r.returncode == 0 and r.stdout.startswith(f"3 bản sao lưu trong {listed['directory']}:"), r.stdout
    assert os.path.basename(j["path"]) in r.stdout.splitlines()[2], r.stdout
    # A count that keeps nothing, and a user who may not change anything: refused, no copy made.
    r = ctl(fresh, "backup", "--keep", "0")
    assert r.returncode != 0 and "--keep phải từ 1 trở lên" in r.stderr, r.stderr
    before = sorted(os.listdir(os.path.join(fresh.state, "backups")))
    os.chown(fresh.socket, 0, 65534)
    r = ctl(fresh, "backup", user=65534)
    assert r.returncode == 1 and "không có quyền" in r.stderr, r.stderr
    assert sorted(os.listdir(os.path.join(fresh.state, "backups"))) == before
    # Listing is reading: allowed.
    r = ctl(fresh, "backup", "--list", user=65534)
    assert r.returncode == 0 and "3 bản sao lưu" in r.stdout, (r.stdout, r.stderr)
