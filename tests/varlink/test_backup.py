"""`tiendoctl backup` (vn.tiendo.Extras.Backup) against the real daemon: a copy taken while it runs opens on its own,
the oldest copies go beyond `--keep`, only an operator may take one, and `tiendod --restore` brings the copy back."""

import glob
import os
import shutil
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


def test_keep_counts_days_and_only_operators_take_copies(fresh):
    backups = os.path.join(fresh.state, "backups")
    # In the order they were taken (several may fall in one second of the test's clock: «-2», «-3» after the first).
    copies = [os.path.basename(xcall(fresh, "Backup")["path"]) for _ in range(3)]
    assert sorted(os.listdir(backups)) == sorted(copies)
    # Two nights before, as the nightly copy left them (a copy is known by its name).
    nights = ["tiendo-2026-02-27-023000.sqlite", "tiendo-2026-02-28-023000.sqlite"]
    for night in nights:
        shutil.copy(os.path.join(backups, copies[0]), os.path.join(backups, night))
    r = ctl(fresh, "backup", "--keep", "2")
    assert r.returncode == 0, r.stderr
    # Today's copies, the new one with them, are one day, however many: the latest night is the other day kept. Copies
    # taken by hand never push the nights out (fourteen presses of «Sao lưu ngay» took fourteen nights before).
    left = os.listdir(backups)
    assert len(left) == 5 and nights[0] not in left and nights[1] in left and all(c in left for c in copies), (copies, left)
    assert f"Đã xóa 1 bản sao cũ: {nights[0]}." in r.stdout, r.stdout
    j = xcall(fresh, "Backup", keep=5)
    assert j["path"].startswith(os.path.join(backups, "tiendo-")) and j["removed"] == [] and j["bytes"] > 0, j
    assert j["at"].startswith("2026-03-02T09:0") and j["instances"] == 0, j
    # The copies listed, newest first, for anyone who may read.
    listed = xcall(fresh, "Backups")
    assert listed["directory"] == backups, listed
    names = [c["name"] for c in listed["copies"]]
    assert names[0] == os.path.basename(j["path"]) and names[-1] == nights[1] and names[-2] == copies[0] and len(names) == 6, listed
    assert sorted(names) == sorted(os.listdir(listed["directory"])), listed
    assert listed["copies"][0]["bytes"] == j["bytes"] and listed["copies"][0]["at"] == j["at"], (listed, j)
    r = ctl(fresh, "backup", "--list")
    assert r.returncode == 0 and r.stdout.startswith(f"6 bản sao lưu trong {listed['directory']}:"), r.stdout
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
    assert r.returncode == 0 and "6 bản sao lưu" in r.stdout, (r.stdout, r.stderr)
