"""The online tiendoctl commands against the real daemon: tables, --json, CSV as Excel writes it, errors."""

import contextlib
import json
import re
import os
import socket
import sqlite3
import subprocess
import threading
import shutil
import time

import pytest

from conftest import BIN, ROOT

CTL = os.path.join(BIN, "tiendoctl")


def listen_unix(path, on_connection):
    """A Unix socket at `path` whose every connection is handed to `on_connection` on a thread of its own, until
    the returned socket is closed."""
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(4)

    def accept():
        while True:
            try:
                c, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=on_connection, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return server


def ctl(daemon, *args, user=None):
    cmd = [CTL, "--socket", daemon.socket, *args]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)


def test_status_table_and_json(daemon):
    r = ctl(daemon, "status")
    assert r.returncode == 0, r.stderr
    assert "hop" in r.stdout and "Hồ sơ" in r.stdout
    j = json.loads(ctl(daemon, "status", "--json").stdout)
    assert j["status"]["workflows"] == 1


def test_import_excel_csv(daemon, tmp_path):
    # UTF-8 with BOM, CRLF, a quoted field with a comma and a doubled quote, as Excel writes it.
    csv = '\ufeffkey,ma,han\r\nx1,"Chi bộ 1, phường A",2026-03-06\r\nx2,"Tổ ""B""",2026-03-07\r\n'
    f = tmp_path / "danh-sach.csv"
    f.write_bytes(csv.encode("utf-8"))
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 0, r.stderr
    shown = json.loads(ctl(daemon, "show", "hop/x1", "--json").stdout)
    assert shown["instance"]["data"]["ma"] == "Chi bộ 1, phường A"
    shown = json.loads(ctl(daemon, "show", "hop/x2", "--json").stdout)
    assert shown["instance"]["data"]["ma"] == 'Tổ "B"'


def test_import_reads_the_web_templates_headings_and_old_mac_line_ends(daemon, tmp_path):
    # «Mã hồ sơ» as the web's template heads the key column, in any case, and lines ending in a lone CR.
    f = tmp_path / "mau.csv"
    f.write_bytes("mã hồ sơ;han\rt1;06/03/2026\rt2;2026-03-07\r".encode("utf-8"))
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 0, r.stderr
    assert json.loads(ctl(daemon, "show", "hop/t2", "--json").stdout)["instance"]["data"]["han"] == "2026-03-07"


def test_import_an_excel_workbook_as_the_web_reads_it(daemon, tmp_path):
    """A workbook kept in Excel, written by openpyxl: its list on the second sheet under a title, an «STT» column,
    date cells; a bad row named by the row number Excel shows, nothing stored; an old .xls told apart."""
    import datetime
    import openpyxl

    def workbook(rows, name):
        wb = openpyxl.Workbook()
        wb.active.title = "Hướng dẫn"
        wb.active.append(["Điền danh sách ở trang sau."])
        ws = wb.create_sheet("Danh sách")
        for r in [["DANH SÁCH"], ["STT", "Mã hồ sơ", "ma", "han"], *rows]:
            ws.append(r)
        path = tmp_path / name
        wb.save(path)
        return str(path)

    good = [[1, "xl1", "Chi bộ 1", datetime.date(2026, 3, 20)], [2, "xl2", "Chi bộ 2", datetime.date(2026, 3, 21)]]
    bad = workbook([*good, [3, "xl3", "Chi bộ 1", "31/02/2026"]], "sai.xlsx")
    r = ctl(daemon, "import", "hop", bad)
    assert r.returncode == 1 and f"{bad}:5: " in r.stderr and "31/02/2026" in r.stderr, r.stderr
    assert ctl(daemon, "show", "hop/xl1").returncode != 0
    path = workbook(good, "danh-sach.xlsx")
    r = ctl(daemon, "import", "hop", path)
    assert r.returncode == 0, r.stderr
    assert f"{path}: đọc trang tính «Danh sách» (2 trang tính)." in r.stderr, r.stderr
    data = json.loads(ctl(daemon, "show", "hop/xl2", "--json").stdout)["instance"]["data"]
    assert data["han"] == "2026-03-21" and data["ma"] == "Chi bộ 2" and "STT" not in data, data
    # Two columns of one field (its name and its title): refused as the web refuses them, nothing sent.
    twice = tmp_path / "hai-cot.csv"
    twice.write_bytes("key,Mã hồ sơ,han\nxt1,xt1,2026-03-20\n".encode("utf-8"))
    r = ctl(daemon, "import", "hop", str(twice))
    assert r.returncode == 1 and "cột «key» và cột «Mã hồ sơ» cùng là một trường" in r.stderr, r.stderr
    # A cell ending in a line break (Alt+Enter in Excel) reads as the web reads it.
    broken = tmp_path / "xuong-dong.csv"
    broken.write_bytes('key,han\nxn1,"20/03/2026\n"\n'.encode("utf-8"))
    r = ctl(daemon, "import", "hop", str(broken))
    assert r.returncode == 0, r.stderr
    old = tmp_path / "cu.xls"
    old.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(512))
    r = ctl(daemon, "import", "hop", str(old))
    assert r.returncode == 1 and "Tệp Excel dạng cũ (.xls)" in r.stderr and "không nhập gì" in r.stderr, r.stderr


def test_import_refuses_a_cell_longer_than_a_field_before_sending(daemon, tmp_path):
    f = tmp_path / "dai.csv"
    f.write_text("key,han,ma\nz1,2026-03-06,ngắn\nz2,2026-03-06," + "x" * 3000 + "\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 1 and f"{f}:3: cột «ma» dài 3.000 ký tự, quá giới hạn 2.000 ký tự của một ô" in r.stderr, r.stderr
    assert ctl(daemon, "show", "hop/z1").returncode == 1


def test_import_of_a_file_without_rows_fails(daemon, tmp_path):
    f = tmp_path / "chi-tieu-de.csv"
    f.write_text("key,han,ma\n", encoding="utf-8")
    for extra in ([], ["--json"]):
        r = ctl(daemon, "import", "hop", str(f), *extra)
        assert r.returncode == 1 and f"tệp '{f}' không có dòng dữ liệu nào (trống, hoặc chỉ có dòng tên cột)" in r.stderr, r.stderr


def test_import_reports_every_bad_row_and_stores_nothing(daemon, tmp_path):
    f = tmp_path / "hong.csv"
    f.write_text("key,han,diem\ny1,2026-03-06,10\ny2,30/02/2026,10\ny3,2026-03-06,200\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 1
    assert f"{f}:3:" in r.stderr and f"{f}:4:" in r.stderr
    assert ctl(daemon, "show", "hop/y1").returncode == 1
    # The header checked first, as the web checks it: a column that is no field said once (not on every row, where it
    # hid the rows' own faults), and a required field without a column; nothing sent.
    f.write_text("key,que_quan,diem\ny1,Hà Nội,10\ny2,Huế,10\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert sum("«que_quan»" in l for l in lines) == 1, r.stderr
    assert f"{f}: cột «que_quan» không phải trường của quy trình «Quy trình thử nghiệm» (các cột dùng được: " in r.stderr
    assert f"{f}: thiếu cột «han», trường bắt buộc của quy trình «Quy trình thử nghiệm»" in r.stderr, r.stderr
    assert lines[-1] == "tiendoctl: dòng tên cột không khớp quy trình; không nhập gì", lines
    # A spare column left empty is not refused (an empty cell was never sent), and tab-separated text named .xls,
    # as some systems export, reads as before.
    f.write_text("key,han,Ghi chú\ny5,2026-03-06,\n", encoding="utf-8")
    assert ctl(daemon, "import", "hop", str(f)).returncode == 0
    t = tmp_path / "xuat.xls"
    t.write_text("key\than\ny6\t2026-03-06\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(t))
    assert r.returncode == 0, r.stderr
    # A file named as a workbook that is none is said to be a broken workbook, not «not UTF-8».
    x = tmp_path / "hong.xlsx"
    x.write_bytes(bytes(range(256)) * 8)
    r = ctl(daemon, "import", "hop", str(x))
    assert r.returncode == 1 and "Tệp «hong.xlsx» không phải tệp Excel hợp lệ (tệp hỏng, hoặc bị đổi tên đuôi)" in r.stderr, r.stderr
    # A web page's table saved as .xls (as portals export): said to be a web page, with what to do.
    h = tmp_path / "bang.xls"
    h.write_text("<html><body><table><tr><td>key</td><td>han</td></tr><tr><td>y7</td><td>2026-03-06</td></tr></table></body></html>",
                 encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(h))
    assert r.returncode == 1 and "Tệp «bang.xls» là một trang web (HTML) được đặt tên như tệp Excel" in r.stderr, r.stderr
    assert ctl(daemon, "show", "hop/y1").returncode == 1


def count_instances(daemon):
    return json.loads(ctl(daemon, "status", "--json").stdout)["workflows"][0]["instances"]


def test_a_large_import_is_one_unit(daemon, tmp_path):
    # 12,000 rows go in three staged batches; a bad row in the second and a stored key in the third reject it all.
    assert ctl(daemon, "start", "hop", "big-taken", "--set", "han=2026-03-06").returncode == 0
    before = count_instances(daemon)
    lines = ["key,han,ma"] + [f"big-{i},2026-03-{6 + i % 20:02d},Chi bộ {i % 42}" for i in range(12000)]
    lines[6001] = "big-6000,2026-02-30,Chi bộ 1"
    lines[11001] = "big-taken,2026-03-06,Chi bộ 1"
    f = tmp_path / "lon.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 1, r.stdout
    assert f"{f}:6002:" in r.stderr and f"{f}:11002:" in r.stderr, r.stderr
    assert "không nhập gì" in r.stderr
    assert count_instances(daemon) == before
    # Fixed, the same file goes in whole.
    lines[6001] = "big-6000,2026-03-01,Chi bộ 1"
    lines[11001] = "big-11000,2026-03-06,Chi bộ 1"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 0, r.stderr
    assert "12.000" in r.stdout
    assert count_instances(daemon) == before + 12000
    # The same file again: every row is taken. The terminal gets the first 100 and the true count, not 10,000 lines
    # and the number of lines the refusal lists.
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 1
    err = r.stderr.strip().splitlines()
    assert len(err) == 102, len(err)
    assert err[-2] == "… và 11.900 dòng lỗi khác" and err[-1] == "tiendoctl: 12.000 dòng không hợp lệ; không nhập gì", err[-2:]
    assert count_instances(daemon) == before + 12000


def test_a_large_import_builds_the_indexes_after_its_rows(daemon, tmp_path):
    # 25,000 rows into a store of far fewer: a bulk load, which drops the secondary indexes when its transaction
    # starts and builds them again before it commits. The store comes out whole, its indexes in place and used.
    before = count_instances(daemon)
    path = os.path.join(daemon.dir, "state", "tiendo.sqlite")

    def index_rowid():
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return db.execute("SELECT rowid FROM sqlite_master WHERE name = 'instances_grp'").fetchone()[0]
        finally:
            db.close()

    built = index_rowid()
    lines = ["key,han,ma"] + [f"khoi-{i},2026-03-{6 + i % 20:02d},Chi bộ {i % 300}" for i in range(25000)]
    f = tmp_path / "rat-lon.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 0, r.stderr
    assert "25.000" in r.stdout
    assert count_instances(daemon) == before + 25000
    # Built again: its row in sqlite_master is a new one.
    assert index_rowid() != built
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"instances_grp", "instances_wakeup", "instances_workflow_state", "due_items_by_end",
                "history_instance"} <= names
        assert "due_items_workflow_end" not in names
        plan = db.execute("EXPLAIN QUERY PLAN SELECT id FROM instances WHERE grp = ? ORDER BY id", ("Chi bộ 7",)).fetchall()
        assert any("instances_grp" in row[-1] for row in plan), plan
        ids = [i for (i,) in db.execute("SELECT id FROM instances WHERE grp = 'Chi bộ 7' AND id LIKE 'hop/khoi-%'")]
        assert len(ids) == 25000 // 300 + 1
    finally:
        db.close()
    shown = json.loads(ctl(daemon, "show", "hop/khoi-24999", "--json").stdout)
    assert shown["instance"]["data"]["ma"] == "Chi bộ 99"


def test_send_done_history_agenda(daemon):
    assert ctl(daemon, "start", "hop", "z1", "--set", "han=2026-03-06", "--set", "ma=G7").returncode == 0
    r = ctl(daemon, "send", "hop/z1", "cham", "--set", "diem=40")
    assert r.returncode == 1 and "từ chối" in r.stderr
    r = ctl(daemon, "send", "hop/z1", "cham", "--set", "diem=80", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["instance"]["state"] == "da-duyet"
    assert ctl(daemon, "done", "hop/z1", "bao-cao").returncode == 0
    hist = json.loads(ctl(daemon, "history", "hop/z1", "--json").stdout)["records"]
    assert [h["kind"] for h in hist][:1] == ["started"]
    assert "milestone-done" in [h["kind"] for h in hist]
    r = ctl(daemon, "agenda", "--days", "30")
    assert r.returncode == 0, r.stderr
    assert "hop/" in r.stdout
    # A negative count is a value refused in words, not «a missing value».
    r = ctl(daemon, "agenda", "--days", "-1")
    assert r.returncode == 64 and r.stderr.strip() == "tiendoctl: --days phải từ 0 đến 3660 (mười năm)", r.stderr
    r = ctl(daemon, "list", "--limit", "-1")
    assert r.returncode == 64 and r.stderr.strip() == "tiendoctl: --limit phải lớn hơn 0", r.stderr
    r = subprocess.run([CTL, "status", "--socket", ""], capture_output=True, text=True)
    assert r.returncode == 64 and "--socket cần đường dẫn của socket, không để trống" in r.stderr, r.stderr
    r = ctl(daemon, "list", "--where", "chi_bo")
    assert r.returncode == 64 and r.stderr.strip() == "tiendoctl: --where 'chi_bo': cần TRƯỜNG=GIÁ_TRỊ", r.stderr


def test_errors_are_one_line_and_exit_1(daemon, tmp_path):
    r = ctl(daemon, "show", "hop/khong-co")
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    # No such record because no such workflow: said as such, with the one likely meant.
    r = ctl(daemon, "show", "hpo/khong-co")
    assert r.returncode == 1 and r.stderr.startswith("tiendoctl: không có hồ sơ 'hpo/khong-co': không có quy trình 'hpo' (có phải 'hop'?); các quy trình: "), r.stderr
    # A key alone is not an id: the form is shown, not «no such record».
    for command in (["show"], ["history"], ["send"], ["done"], ["undo"]):
        args = command + ["khong-co"] + (["e"] if command == ["send"] else ["m"] if command == ["done"] else [])
        r = ctl(daemon, *args)
        assert r.returncode == 1 and r.stderr.strip() == (
            "tiendoctl: 'khong-co' chỉ là khóa của hồ sơ; lệnh này cần mã đầy đủ QUY_TRÌNH/KHÓA, ví dụ dang-vien-du-bi/khong-co"), r.stderr
    r = subprocess.run([CTL, "--socket", str(tmp_path / "none.sock"), "status"], capture_output=True, text=True)
    assert r.returncode == 1 and "không kết nối được" in r.stderr
    # In words, once, and nothing sent after: `done` reads the record first.
    r = subprocess.run([CTL, "--socket", str(tmp_path / "none.sock"), "done", "a/b", "m"], capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "không có tệp hoặc thư mục này" in r.stderr and "No such file" not in r.stderr, r.stderr
    # A directory is not a socket (no one listens there).
    r = subprocess.run([CTL, "--socket", str(tmp_path), "status"], capture_output=True, text=True)
    assert r.returncode == 1 and "Connection refused" not in r.stderr, r.stderr


def test_a_daemon_that_never_answers_times_out(tmp_path):
    """A listener that accepts and reads but never replies: the call gives up after --timeout with one line."""
    import time

    path = str(tmp_path / "mute.sock")
    held = []
    server = listen_unix(path, held.append)  # read nothing back, answer nothing
    try:
        t0 = time.monotonic()
        r = subprocess.run([CTL, "--socket", path, "--timeout", "1", "status"], capture_output=True, text=True, timeout=30)
        elapsed = time.monotonic() - t0
        assert r.returncode == 1
        assert "không trả lời trong 1 giây" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert elapsed < 15
        # A read changed nothing: nothing is said of a change.
        assert "thay đổi" not in r.stderr, r.stderr
        r = subprocess.run([CTL, "send", "--socket", path, "--timeout=1", "x/y", "e"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "--idempotency-key" in r.stderr and "một thay đổi đã gửi có thể vẫn được ghi" in r.stderr
        # `done` reads the record first: unanswered, it stops there, says so once, and sends no completion.
        before = len(held)
        r = subprocess.run([CTL, "done", "--socket", path, "--timeout=1", "x/y", "m"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "không trả lời trong 1 giây" in r.stderr and "thay đổi" not in r.stderr, r.stderr
        assert len(held) == before + 1, held
    finally:
        server.close()
        for c in held:
            c.close()


def test_non_admin_is_refused_mutations(daemon):
    os.chown(daemon.socket, 0, 65534)
    assert ctl(daemon, "status", user=65534).returncode == 0
    r = ctl(daemon, "start", "hop", "nobody", "--set", "han=2026-03-06", user=65534)
    assert r.returncode == 1 and "không có quyền" in r.stderr


def test_socket_without_access_names_the_groups(daemon):
    """EACCES on connect: the one line says who may use the socket."""
    st = os.stat(daemon.socket)
    os.chown(daemon.socket, 0, 0)
    try:
        r = ctl(daemon, "status", user=65534)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
        assert "không kết nối được tiendod" in r.stderr and "(cần root hoặc thuộc nhóm tiendo)" in r.stderr
    finally:
        os.chown(daemon.socket, st.st_uid, st.st_gid)


def test_reload_exit_status_follows_diagnostics(daemon):
    assert ctl(daemon, "reload").returncode == 0


def test_deliveries_without_a_routing_file_say_nothing_is_queued(daemon):
    """No routing file: «0 chờ gửi, 0 đã gửi» would read as mail that works; the command says nothing is queued."""
    r = ctl(daemon, "deliveries")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Không có tệp định tuyến nào đang có hiệu lực (chưa có delivery/routing.yaml"), r.stdout
    assert "chờ gửi" not in r.stdout


def test_a_file_broken_on_reload_keeps_its_version_and_status_says_so_first():
    """A workflow broken on reload keeps its last good version: a follow-up naming it is not warned about as «not
    loaded», and `status` says at its top that a file has an error (the list is under a table of every workflow)."""
    import conftest
    files = {}
    for name in ("dang-vien-du-bi.yaml", "ket-nap-dang-vien.yaml", "the-dang-vien.yaml"):
        with open(os.path.join(ROOT, "Workflows", name), encoding="utf-8") as f:
            files[name] = f.read()
    d = conftest.Daemon(files=files)
    try:
        path = os.path.join(d.dir, "wf", "dang-vien-du-bi.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(files["dang-vien-du-bi.yaml"].replace("\ninitial: du-bi\n", "\ninitial: du-bii\n"))
        r = ctl(d, "reload")
        assert r.returncode == 1 and "unknown state 'du-bii'" in r.stdout + r.stderr, (r.stdout, r.stderr)
        assert "follow_ups" not in r.stdout + r.stderr, (r.stdout, r.stderr)
        r = ctl(d, "status")
        lines = r.stdout.splitlines()
        assert lines[2].startswith("Có 1 lỗi trong các tệp cấu hình (quy trình, lịch, định tuyến): tệp bị lỗi chưa được dùng"), lines[:4]
        assert "follow_ups" not in r.stdout
    finally:
        d.stop()


def test_watch_streams_json_lines(daemon):
    p = subprocess.Popen([CTL, "--socket", daemon.socket, "watch", "--json"], stdout=subprocess.PIPE, text=True)
    try:
        import time
        time.sleep(0.5)
        assert ctl(daemon, "start", "hop", "w1", "--set", "han=2026-03-06").returncode == 0
        line = p.stdout.readline()
        rec = json.loads(line)
        assert rec["kind"] == "started" and rec["instance"] == "hop/w1"
    finally:
        p.kill()
        p.wait()


# ---------------------------------------------------------------- what an officer sees (interfaces §3)

VIEC = """tiendo: 1
title: Việc của chi bộ
fields:
  chi_bo: {type: text}
group_by: chi_bo
milestones:
  nop-bao-cao: {title: Nộp báo cáo, due: 2027-02-01 + 5wd}
  dang-phi:
    title: Đóng đảng phí
    every: 1mo
    anchor: 2026-01-01
    due: period + 1mo - 1d
"""


@pytest.fixture(scope="module")
def ward(tmp_path_factory):
    """The contract's example at 2026-04-03 09:00: a probationary member 3 days past the vote's due, and a chi bộ
    with two open months of dues and a report due in the projected 2027."""
    import conftest

    with open(os.path.join(conftest.ROOT, "Workflows", "dang-vien-du-bi.yaml"), encoding="utf-8") as f:
        files = {"dang-vien-du-bi.yaml": f.read(), "viec.yaml": VIEC}
    d = conftest.Daemon(files=files, fake_time="2026-04-03T09:00:00+07:00")
    tmp = tmp_path_factory.mktemp("ward")
    (tmp / "dv.csv").write_text("key,ngay_ket_nap,chi_bo,started\ndvdb-2025-014,2025-02-10,Chi bộ 3,2025-02-10\n", encoding="utf-8")
    (tmp / "viec.csv").write_text("key,chi_bo,started\ncb3,Chi bộ 3,2026-03-10T09:00\n", encoding="utf-8")
    assert ctl(d, "import", "dang-vien-du-bi", str(tmp / "dv.csv")).returncode == 0
    assert ctl(d, "import", "viec", str(tmp / "viec.csv")).returncode == 0
    yield d
    d.stop()


def cells(line):
    return re.split(r"\s{2,}", line.strip())


def test_list_shows_the_overdue_count_and_the_first_open_deadline(ward):
    r = ctl(ward, "list", "dang-vien-du-bi")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert cells(lines[0]) == ["Hồ sơ", "Trạng thái", "Bắt đầu", "Quá hạn", "Hạn", "Còn/quá", "Việc"]
    # The contract's row (interfaces §5, "Open deadlines").
    assert cells(lines[1]) == ["dang-vien-du-bi/dvdb-2025-014", "cho-xet", "10/02/2025", "1", "31/03/2026", "quá 3 ngày",
                               "Chi bộ họp xét, biểu quyết công nhận đảng viên chính thức"]
    r = ctl(ward, "list", "viec")
    assert cells(r.stdout.splitlines()[1]) == ["viec/cb3", "—", "10/03/2026", "1", "31/03/2026", "quá 3 ngày",
                                               "Đóng đảng phí kỳ 03/2026"]
    j = json.loads(ctl(ward, "list", "dang-vien-du-bi", "--json").stdout)
    inst = j["instances"][0]
    assert inst["next"] is None
    assert [(d["due"], d["daysLeft"], d["overdue"], d["state"]) for d in inst["deadlines"]] == [("2026-03-31", -3, True, "cho-xet")]
    # --overdue: instances with an overdue item in `deadlines`.
    r = ctl(ward, "list", "--overdue")
    assert {cells(l)[0] for l in r.stdout.splitlines()[1:-1]} == {"dang-vien-du-bi/dvdb-2025-014", "viec/cb3"}


def test_show_lists_every_open_deadline(ward):
    r = ctl(ward, "show", "viec/cb3")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    ms = out[out.index("Các mốc") + 1:]
    assert cells(ms[0]) == ["Mốc", "Tên", "Hạn", "Tình trạng", "Định kỳ", "Cần xong trước"]
    assert cells(ms[1]) == ["nop-bao-cao", "Nộp báo cáo", "15/02/2027 (dự kiến)", "chưa xong"]
    assert cells(ms[2]) == ["dang-phi", "Đóng đảng phí", "31/03/2026", "quá hạn", "hằng tháng, kỳ 03/2026, 2 kỳ đang mở"]
    dl = out[out.index("Các hạn đang mở (3, 1 quá hạn)") + 1:]
    assert [cells(l) for l in dl] == [
        ["Hạn", "Còn/quá", "Việc", "Thuộc"],
        ["31/03/2026", "quá 3 ngày", "Đóng đảng phí", "dang-phi@2026-03"],
        ["30/04/2026", "còn 27 ngày", "Đóng đảng phí", "dang-phi@2026-04"],
        ["15/02/2027 (dự kiến)", "còn 318 ngày", "Nộp báo cáo", "nop-bao-cao"],
        # How a due is counted, where the file writes more than a day (an occurrence is named by its period).
        ["Cách tính hạn:"],
        ["Nộp báo cáo: 5 ngày làm việc sau ngày 01/02/2027"],
    ]
    r = ctl(ward, "show", "dang-vien-du-bi/dvdb-2025-014")
    out = r.stdout.splitlines()
    assert cells(out[-3]) == ["31/03/2026", "quá 3 ngày", "Chi bộ họp xét, biểu quyết công nhận đảng viên chính thức",
                            "trạng thái cho-xet"]
    assert out[-2:] == ["Cách tính hạn:", "  Chi bộ họp xét, biểu quyết công nhận đảng viên chính thức: 12 tháng sau "
                        "«Ngày kết nạp (ngày chi bộ tổ chức lễ kết nạp)» (10/02/2025), rồi thêm 30 ngày làm việc"], out[-2:]
    # The data by the fields' titles, as the web shows them, with the names `--set` takes.
    assert any(l.strip().startswith("Chi bộ (chi_bo)") for l in out), out
    # The workflow and the state by their titles, their ids beside them.
    assert cells(out[1]) == ["Quy trình", "Xét công nhận đảng viên chính thức (dang-vien-du-bi)"], out[1]
    assert cells(out[2]) == ["Trạng thái", "Chờ chi bộ xét công nhận chính thức (cho-xet)"], out[2]


def test_overdue_rows_are_red_on_a_terminal(ward):
    import pty

    master, slave = pty.openpty()
    try:
        env = dict(os.environ)
        env.pop("NO_COLOR", None)
        p = subprocess.run([CTL, "--socket", ward.socket, "show", "viec/cb3"], stdout=slave, stderr=subprocess.PIPE,
                           env=env, timeout=60)
        assert p.returncode == 0
        os.close(slave)
        slave = None
        data = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    text = data.decode("utf-8")
    red = [l for l in text.splitlines() if "\x1b[31m" in l]
    assert len(red) == 2 and all("dang-phi" in l for l in red)  # the milestone and its overdue occurrence
    assert not any("\x1b[31m" in l for l in text.splitlines() if "30/04/2026" in l)


def test_agenda_history_and_status_show_occurrences_and_provisional(ward):
    r = ctl(ward, "agenda", "--days", "400", "--workflow", "viec")
    assert r.returncode == 0, r.stderr
    rows = [cells(l) for l in r.stdout.splitlines()]
    assert ["31/03/2026", "quá 3 ngày", "viec/cb3", "Đóng đảng phí kỳ 03/2026"] in rows
    assert ["15/02/2027 (dự kiến)", "còn 318 ngày", "viec/cb3", "Nộp báo cáo"] in rows
    assert ctl(ward, "done", "viec/cb3", "dang-phi@2026-04").returncode == 0
    r = ctl(ward, "history", "viec/cb3")
    rows = [cells(l) for l in r.stdout.splitlines()]
    # An operator's records name who did it (the uid here; tiendo-web's records name the person).
    assert rows[0] == ["Thời điểm", "Loại", "Trạng thái/Mốc", "Hạn", "Ghi muộn", "Người thực hiện", "Nội dung"]
    overdue = next(row for row in rows if row[1] == "quá hạn")
    # Imported late: of the daily notices of March's dues, only the latest is sent, late (said in words).
    # Written at the import, as the start was: nobody's lateness, said as the web's history says it.
    assert overdue[:5] == ["03/04/2026 08:00", "quá hạn", "dang-phi@2026-03", "31/03/2026", "ghi khi đưa hồ sơ vào hệ thống"]
    started = next(row for row in rows if row[1] == "bắt đầu")
    assert "ghi vào hệ thống sau 24 ngày" in started, started
    done = next(row for row in rows if row[1] == "xong mốc")
    import pwd
    assert done[2:4] == ["dang-phi@2026-04", "30/04/2026"] and f"{pwd.getpwuid(os.getuid()).pw_name} (uid {os.getuid()})" in done, done
    r = ctl(ward, "status")
    assert "1 hạn dự kiến" in r.stdout.splitlines()[1]
    j = json.loads(ctl(ward, "status", "--json").stdout)
    assert j["status"]["provisional"] == 1
    assert {w["id"]: w["provisional"] for w in j["workflows"]} == {"dang-vien-du-bi": 0, "hop": 0, "viec": 1}


def test_show_says_the_transition_a_record_takes_by_itself(ward, tmp_path):
    """A member admitted 10/02/2026 has no deadline open during probation: `show` says when the record moves to the
    chi bộ's review and the review's deadline (through the projected Tết 2027: provisional); `--json` stays
    GetInstance's reply."""
    (tmp_path / "moi.csv").write_text("key,ngay_ket_nap,chi_bo,started\nmoi,2026-02-10,Chi bộ 3,2026-02-10\n", encoding="utf-8")
    assert ctl(ward, "import", "dang-vien-du-bi", str(tmp_path / "moi.csv")).returncode == 0
    r = ctl(ward, "show", "dang-vien-du-bi/moi")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[-3:] == ["Không có hạn nào đang mở.", "",
                        "Tự chuyển sang trạng thái «Chờ chi bộ xét công nhận chính thức» (cho-xet) lúc 11/02/2027 00:00; "
                        "việc «Chi bộ họp xét, biểu quyết công "
                        "nhận đảng viên chính thức» có hạn chót 24/03/2027 (dự kiến)."]
    # A start and an event say the state by its title too.
    r = ctl(ward, "start", "dang-vien-du-bi", "moi2", "--set", "ngay_ket_nap=2026-02-10", "--set", "chi_bo=Chi bộ 3")
    assert r.returncode == 0 and "Đã tạo hồ sơ dang-vien-du-bi/moi2 (Đảng viên dự bị (du-bi))." in r.stdout, r.stdout
    j = json.loads(ctl(ward, "show", "dang-vien-du-bi/moi", "--json").stdout)
    assert set(j) == {"instance"} and j["instance"]["state"] == "du-bi" and "nextTransition" not in j["instance"]
    # A record already past its transitions says none.
    assert "Tự chuyển" not in ctl(ward, "show", "dang-vien-du-bi/dvdb-2025-014").stdout


def test_show_says_a_transition_already_due_is_not_yet_taken(ward, tmp_path):
    """While tiendod catches up, a record's transition time may be past and the record not yet moved: `show` must not
    give that past time as if it were to come. A proxy in front of the real daemon moves the reply's `now` to a day
    after the transition (the only way to hold that moment still), everything else is the daemon's own reply."""

    (tmp_path / "tre.csv").write_text("key,ngay_ket_nap,chi_bo,started\ntre,2026-02-10,Chi bộ 3,2026-02-10\n", encoding="utf-8")
    assert ctl(ward, "import", "dang-vien-du-bi", str(tmp_path / "tre.csv")).returncode == 0

    def forward(payload):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(30)
        s.connect(ward.socket)
        s.sendall(payload + b"\0")
        buf = b""
        while b"\0" not in buf:
            chunk = s.recv(1 << 20)
            assert chunk, "the daemon closed the connection"
            buf += chunk
        s.close()
        return buf.split(b"\0")[0]

    path = str(tmp_path / "proxy.sock")
    patched = []

    def serve(c):
        buf = b""
        with c:
            while True:
                while b"\0" not in buf:
                    chunk = c.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                request, buf = buf.split(b"\0", 1)
                reply = forward(request)
                if json.loads(request)["method"] == "vn.tiendo.Extras.Instance":
                    j = json.loads(reply)
                    j["parameters"]["now"] = "2027-02-12T09:00:00+07:00"
                    patched.append(j["parameters"]["instance"]["nextTransition"]["at"])
                    reply = json.dumps(j, ensure_ascii=False).encode()
                c.sendall(reply + b"\0")

    server = listen_unix(path, serve)
    try:
        env = dict(os.environ, NO_COLOR="1")
        r = subprocess.run([CTL, "--socket", path, "show", "dang-vien-du-bi/tre"], capture_output=True, text=True,
                           timeout=60, env=env)
    finally:
        server.close()
    assert r.returncode == 0, r.stderr
    assert patched == ["2027-02-11T00:00:00+07:00"]
    assert r.stdout.splitlines()[-1] == (
        "Đã đến lúc tự chuyển sang trạng thái «Chờ chi bộ xét công nhận chính thức» (cho-xet), từ 11/02/2027 00:00, nhưng chưa chuyển: tiendod đang xử lý các "
        "việc đến hạn; việc «Chi bộ họp xét, biểu quyết công nhận đảng viên chính thức» có hạn chót 24/03/2027 (dự kiến).")
    assert "Tự chuyển sang trạng thái" not in r.stdout


def test_a_second_daemon_on_a_state_directory_in_use_is_refused_and_changes_nothing(daemon, tmp_path):
    """Two tiendod on one state directory would each fire from their own schedules and the second one's start would
    drop the first one's staged imports: the second is refused before it opens the database, naming the first."""
    state = os.path.join(daemon.dir, "state")
    before = os.path.getmtime(os.path.join(state, "tiendo.sqlite"))
    r = subprocess.run(
        [os.path.join(BIN, "tiendod"), "--workflows", os.path.join(daemon.dir, "wf"), "--state-dir", state,
         "--runtime-dir", str(tmp_path / "run"), "--socket", str(tmp_path / "sock"), "--fake-time", "2026-03-02T09:00:00+07:00"],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    assert f"thư mục trạng thái {state} đang được một tiendod khác dùng (pid {daemon.proc.pid})" in r.stderr, r.stderr
    assert not os.path.exists(tmp_path / "sock")
    assert os.path.getmtime(os.path.join(state, "tiendo.sqlite")) == before
    assert daemon.proc.poll() is None


def test_a_filter_naming_nothing_that_exists_is_an_error_not_an_empty_answer(daemon):
    """An empty list or agenda whose filter names a state, a field or a group that does not exist says so, with the
    likely meaning, and exits 1: «Không có hồ sơ nào» would read as nothing to do."""
    r = ctl(daemon, "start", "hop", "nhom-loc", "--set", "han=2026-03-03", "--set", "ma=Chi bộ Khu dân cư số 1")
    assert r.returncode == 0, r.stderr
    r = ctl(daemon, "list", "hop", "--state", "duyt")
    assert r.returncode == 1 and "không có trạng thái 'duyt' trong quy trình 'hop'" in r.stderr, r
    r = ctl(daemon, "list", "hop", "--where", "maa=1")
    assert r.returncode == 1 and "không có trường 'maa' trong quy trình 'hop'" in r.stderr and "(có phải 'ma'?); các trường: diem, han, ma" in r.stderr, r
    r = ctl(daemon, "agenda", "--days", "30", "--group", "chi bo khu dan cu so 1")
    assert r.returncode == 1, r
    assert "không có hồ sơ nào thuộc nhóm «chi bo khu dan cu so 1»; có phải «Chi bộ Khu dân cư số 1»?" in r.stderr, r.stderr
    # A filter that exists and finds nothing is still an empty answer.
    r = ctl(daemon, "list", "hop", "--state", "da-duyet", "--where", "ma=khong-co")
    assert r.returncode == 0 and "Không có hồ sơ nào." in r.stdout, r


NHANH = """tiendo: 1
title: Việc nhanh
initial: a
states:
  a:
    title: Bước A
    deadline: {due: entered at 09:04, overdue: {repeat: 1min}}
    on: {xong: b}
  b: {title: Xong, final: true}
"""


@contextlib.contextmanager
def daemon_on_a_small_tmpfs(tmp_path, time_rate):
    """tiendod on the NHANH workflow with its state on a 16 MiB tmpfs (for a test to fill), ready: yields the mount, its
    runtime directory and `ctl(*args)`, tiendoctl on its socket. Stops the daemon and unmounts after."""
    mnt = tmp_path / "state"
    mnt.mkdir()
    # 16 MiB: emptied, it has the 8 MiB free that end degraded mode after a full disk.
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mnt)], check=True)
    proc = None
    try:
        wf = tmp_path / "wf"
        (wf / "calendars").mkdir(parents=True)
        shutil.copy(os.path.join(ROOT, "Workflows", "calendars", "vn.yaml"), wf / "calendars" / "vn.yaml")
        (wf / "nhanh.yaml").write_text(NHANH, encoding="utf-8")
        sock, run = tmp_path / "sock", tmp_path / "run"
        proc = subprocess.Popen(
            [os.path.join(BIN, "tiendod"), "--workflows", str(wf), "--state-dir", str(mnt), "--runtime-dir", str(run),
             "--socket", str(sock), "--fake-time", "2026-03-02T09:00:00+07:00", "--time-rate", str(time_rate)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def ctl(*args):
            return subprocess.run([CTL, "--socket", str(sock), *args], capture_output=True, text=True, timeout=30,
                                  env=dict(os.environ, NO_COLOR="1"))

        deadline = time.time() + 60
        while not (sock.exists() and ctl("status").returncode == 0):
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.1)
        yield mnt, run, ctl
    finally:
        if proc:
            proc.terminate()
            proc.wait(30)
        subprocess.run(["umount", str(mnt)])


@pytest.mark.skipif(os.geteuid() != 0, reason="a small tmpfs to fill needs root")
def test_a_daemon_that_cannot_write_says_so_in_its_status_and_recovers(tmp_path):
    """A full disk under the state directory: the loop cannot record what falls due, so it sends nothing. `tiendoctl
    status`, status.json and tiendo.prom say so (with since when) until it can write again; then they stop saying it."""
    with daemon_on_a_small_tmpfs(tmp_path, 60) as (mnt, run, ctl):
        for k in range(20):
            r = ctl("start", "nhanh", f"a{k}")
            assert r.returncode == 0, r.stderr
        subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/day", "bs=16k"], capture_output=True)
        deadline = time.time() + 60
        while "SỰ CỐ" not in (out := ctl("status").stdout):
            assert time.time() < deadline, out
            time.sleep(0.5)
        assert "tiendod không ghi được vào cơ sở dữ liệu (đĩa đầy (SQLITE_FULL) trong " in out, out
        problem = json.loads((run / "status.json").read_text(encoding="utf-8"))["daemon"].get("problem")
        deadline = time.time() + 10
        while problem is None and time.time() < deadline:
            time.sleep(0.5)
            problem = json.loads((run / "status.json").read_text(encoding="utf-8"))["daemon"].get("problem")
        assert problem and problem["reason"].startswith("đĩa đầy") and problem["since"].startswith("2026-03-02T"), problem
        assert "tiendo_store_write_failing 1" in (run / "tiendo.prom").read_text()
        # A change asked for meanwhile is refused with the reason, not as an unexplained internal error.
        r = ctl("start", "nhanh", "moi")
        assert r.returncode == 1 and "không ghi được thay đổi vào cơ sở dữ liệu: đĩa đầy (SQLITE_FULL)" in r.stderr, r.stderr
        assert "lỗi nội bộ" not in r.stderr
        os.unlink(mnt / "day")
        deadline = time.time() + 60
        while "SỰ CỐ" in (out := ctl("status").stdout):
            assert time.time() < deadline, out
            time.sleep(0.5)
        deadline = time.time() + 10
        while "tiendo_store_write_failing 0" not in (run / "tiendo.prom").read_text():
            assert time.time() < deadline
            time.sleep(0.5)
        assert "problem" not in json.loads((run / "status.json").read_text(encoding="utf-8"))["daemon"]


@pytest.mark.skipif(os.geteuid() != 0, reason="a small tmpfs to fill needs root")
def test_a_refused_change_on_a_full_disk_is_in_the_status_while_nothing_is_due(tmp_path):
    """Nothing due: only an operator's change meets the full disk. Status says so at once and keeps saying it until a
    write reaches the file (an empty tick passed for a write, and the mode ended at once, every time)."""
    with daemon_on_a_small_tmpfs(tmp_path, 1) as (mnt, run, ctl):
        subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/day", "bs=16k"], capture_output=True)
        r = ctl("start", "nhanh", "moi")
        assert r.returncode == 1 and "đĩa đầy (SQLITE_FULL)" in r.stderr, r.stderr
        for _ in range(8):  # across the loop's 5-second retry
            assert "SỰ CỐ" in (out := ctl("status").stdout) and "đĩa đầy" in out, out
            time.sleep(1)
        os.unlink(mnt / "day")
        deadline = time.time() + 30
        while "SỰ CỐ" in (out := ctl("status").stdout):
            assert time.time() < deadline, out
            time.sleep(0.5)


@pytest.mark.skipif(os.geteuid() != 0, reason="a small tmpfs to fill needs root")
def test_a_nearly_full_disk_stays_in_the_status_while_a_small_write_fits(tmp_path):
    """Room for a one-row write but not for an import: the loop's probe fitted, and degraded mode ended at once after
    every refused change, so status and tiendo.prom never said anything was wrong. It lasts until the disk has room,
    and the refusal says what to do."""
    with daemon_on_a_small_tmpfs(tmp_path, 1) as (mnt, run, ctl):
        rows = tmp_path / "nhieu.csv"
        rows.write_text("key\n" + "".join(f"hang-{k:05d}\n" for k in range(6000)), encoding="utf-8")
        subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/day", "bs=16k"], capture_output=True)
        subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/nho", "bs=16k"], capture_output=True)
        os.unlink(mnt / "nho")
        subprocess.run(["dd", "if=/dev/zero", f"of={mnt}/nho", "bs=16k", "count=16"], capture_output=True)
        os.unlink(mnt / "nho")  # 256 KiB free: a probe fits, 6,000 rows do not, and it is far below the 8 MiB
        r = ctl("import", "nhanh", str(rows))
        assert r.returncode == 1 and "đĩa đầy (SQLITE_FULL)" in r.stderr, r.stderr
        assert "hãy giải phóng chỗ trống trên đĩa ấy (df -h " in r.stderr, r.stderr
        for _ in range(8):  # across the loop's 5-second retry, whose probe now fits
            assert "SỰ CỐ" in (out := ctl("status").stdout) and "đĩa đầy" in out, out
            time.sleep(1)
        assert "tiendo_store_write_failing 1" in (run / "tiendo.prom").read_text()
        os.unlink(mnt / "day")
        deadline = time.time() + 30
        while "SỰ CỐ" in (out := ctl("status").stdout):
            assert time.time() < deadline, out
            time.sleep(0.5)
        few = tmp_path / "it.csv"
        few.write_text("key\n" + "".join(f"sau-{k}\n" for k in range(50)), encoding="utf-8")
        assert ctl("import", "nhanh", str(few)).returncode == 0
        # The log the refused import grew was given back: it holds no more than the rows since.
        assert os.path.getsize(mnt / "tiendo.sqlite-wal") < 1 << 20


DINH_KY = """tiendo: 1
title: Đóng góp hằng tháng
milestones:
  dong-gop:
    title: Đóng góp tháng
    every: 1mo
    anchor: 2026-01-01
    due: period + 1mo - 1d
"""


def test_done_without_a_period_names_the_period_it_completed(tmp_path):
    """`done ID M` of a recurring milestone completes its oldest open period: the reply says which one."""
    import conftest
    d = conftest.Daemon(files={"dinh-ky.yaml": DINH_KY})
    try:
        assert ctl(d, "start", "dinh-ky", "x").returncode == 0
        r = ctl(d, "done", "dinh-ky/x", "dong-gop")
        assert r.returncode == 0, r.stderr
        assert "Đã xong mốc 'dong-gop' «Đóng góp tháng» kỳ 03/2026 của hồ sơ dinh-ky/x." in r.stdout, r.stdout
        # A period typed as the lists print it: an open one is completed, one not yet open refused in those words.
        assert ctl(d, "start", "dinh-ky", "y").returncode == 0
        r = ctl(d, "done", "dinh-ky/y", "dong-gop@03/2026")
        assert r.returncode == 0 and "kỳ 03/2026 của hồ sơ dinh-ky/y." in r.stdout, (r.stdout, r.stderr)
        r = ctl(d, "done", "dinh-ky/x", "dong-gop@04/2026")
        assert r.returncode == 1 and "kỳ 04/2026 của «Đóng góp tháng» (dong-gop) chưa mở" in r.stderr, r.stderr
        # `M@` with nothing after the @ names no period: refused, as the daemon refuses it, not read as `M`.
        assert ctl(d, "start", "dinh-ky", "z").returncode == 0
        r = ctl(d, "done", "dinh-ky/z", "dong-gop@")
        assert r.returncode == 1 and "không có kỳ ''" in r.stderr, (r.stdout, r.stderr)
        assert [h["kind"] for h in json.loads(ctl(d, "history", "dinh-ky/z", "--json").stdout)["records"]] == ["started", "rejected"]
    finally:
        d.stop()


LONG_TITLES = """tiendo: 1
title: Tiêu đề dài
fields:
  ma: {type: text, title: Mã}
  han: {type: date, title: "Hạn ký giao ước thi đua (ngày hội nghị tổng kết, phát động; thường trong tháng 12 năm trước)"}
milestones:
  nop: {title: Nộp, due: han}
"""


def test_show_puts_a_long_fields_value_under_the_column():
    """`show`: the data's values line up after their labels up to a column; a field whose title runs longer (a title
    that explains itself) has its label on its own line and its value under the column, not every value pushed right."""
    import conftest
    d = conftest.Daemon(files={"dai.yaml": LONG_TITLES})
    try:
        assert ctl(d, "start", "dai", "x", "--set", "ma=A1", "--set", "han=2026-03-20").returncode == 0
        lines = ctl(d, "show", "dai/x").stdout.splitlines()
        short = next(l for l in lines if l.startswith("  Mã (ma)"))
        assert short.endswith("  A1") and len(short) <= 2 + 44 + 2 + 2, repr(short)
        i = next(n for n, l in enumerate(lines) if l.startswith("  Hạn ký giao ước thi đua"))
        assert lines[i].endswith("(han)") and lines[i + 1] == " " * (len(short) - 2) + "20/03/2026", lines[i:i + 2]
    finally:
        d.stop()


def test_argument_errors_and_help_are_in_vietnamese():
    """The argument parser's own words are said in Vietnamese; a command that does not exist is named as such, with
    the one likely meant, not read as an argument of `status`."""
    env = dict(os.environ, NO_COLOR="1")
    r = subprocess.run([CTL, "send"], capture_output=True, text=True, env=env)
    assert r.returncode == 64 and r.stderr.startswith("Lỗi: Thiếu tham số '<id>'"), r.stderr
    assert "Cách dùng: tiendoctl send <id> <event>" in r.stderr and "Error" not in r.stderr, r.stderr
    r = subprocess.run([CTL, "agenda", "--days", "abc"], capture_output=True, text=True, env=env)
    assert r.returncode == 64 and r.stderr.startswith("Lỗi: Giá trị 'abc' không hợp lệ cho '--days <N>'"), r.stderr
    r = subprocess.run([CTL, "lisst"], capture_output=True, text=True, env=env)
    assert r.returncode == 64 and r.stderr.startswith("tiendoctl: không có lệnh 'lisst' (có phải 'list'?); các lệnh: agenda,"), r.stderr
    r = subprocess.run([CTL, "agenda", "--help"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "CÁCH DÙNG: tiendoctl agenda" in r.stdout and "TÙY CHỌN:" in r.stdout, r.stdout
    assert "In trợ giúp này." in r.stdout and "Show help" not in r.stdout
    # Each default said once, in words: not ArgumentParser's «(mặc định: 120.0)» after ours.
    assert "(mặc định 120;" in r.stdout and "120.0" not in r.stdout, r.stdout
    # tiendod's too, where the help wraps its line right after «(default:».
    r = subprocess.run([os.path.join(BIN, "tiendod"), "--help"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "TÙY CHỌN:" in r.stdout and "(mặc định:" in r.stdout, r.stdout
    assert "default" not in r.stdout, r.stdout


def test_a_group_typed_another_way_is_sent_as_the_records_spell_it(daemon, tmp_path):
    """As on the web: «chi bo khu dan cu so 3» becomes the known «Chi bộ Khu dân cư số 3», from `start` and `import`,
    so that the chi bộ's own account sees the record; what was respelt is said."""
    assert ctl(daemon, "start", "hop", "gs-1", "--set", "han=2026-03-20", "--set", "ma=Chi bộ Khu dân cư số 3").returncode == 0
    r = ctl(daemon, "start", "hop", "gs-2", "--set", "han=2026-03-20", "--set", "ma=chi bo  khu dan cu so 3")
    assert r.returncode == 0 and "«chi bo  khu dan cu so 3» được ghi theo tên đã có «Chi bộ Khu dân cư số 3»" in r.stderr, r
    f = tmp_path / "nhom.csv"
    f.write_text("key,han,ma\ngs-3,2026-03-20,CHI BO KHU DAN CU SO 3\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 0, r.stderr
    for key in ("gs-2", "gs-3"):
        shown = json.loads(ctl(daemon, "show", f"hop/{key}", "--json").stdout)
        assert shown["instance"]["data"]["ma"] == "Chi bộ Khu dân cư số 3", shown


def test_simulate_refuses_an_event_for_a_record_no_file_starts(tmp_path):
    """An events line naming a record that no --instances file starts (a typo in its id) is a bad line like any other:
    `FILE:LINE:` with the closest id, nothing simulated, exit 1 — not a run that goes on without it."""
    (tmp_path / "i.csv").write_text("key,ho_ten,chi_bo\nk1,Nguyễn Văn An,Chi bộ 1\n", encoding="utf-8")
    (tmp_path / "e.jsonl").write_text(
        '{"at":"2026-03-06T09:00:00+07:00","instance":"the-dang-vien/k1","event":"gui-de-nghi"}\n'
        '{"at":"2026-03-07T09:00:00+07:00","instance":"the-dang-vien/k2","event":"gui-de-nghi"}\n', encoding="utf-8")
    r = subprocess.run([CTL, "simulate", "--workflows", os.path.join(ROOT, "Workflows"), "--from", "2026-03-05T09:00",
                        "--until", "2026-04-01", "--instances", f"the-dang-vien={tmp_path / 'i.csv'}",
                        "--events", str(tmp_path / "e.jsonl")], capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout == "", (r.stdout, r.stderr)
    assert f"{tmp_path / 'e.jsonl'}:2: không có hồ sơ 'the-dang-vien/k2' trong các tệp --instances; có phải 'the-dang-vien/k1'?" \
        in r.stderr, r.stderr
    assert "1 dòng không hợp lệ; không mô phỏng gì" in r.stderr
    # A bad row of --instances is reported alone: its record's events are not reported as well.
    (tmp_path / "i.csv").write_text("key,ho_ten,chi_bo,ngay_nghi_quyet\nk1,Nguyễn Văn An,Chi bộ 1,31/02/2026\n", encoding="utf-8")
    (tmp_path / "e.jsonl").write_text(
        '{"at":"2026-03-06T09:00:00+07:00","instance":"the-dang-vien/k1","event":"gui-de-nghi"}\n', encoding="utf-8")
    r = subprocess.run([CTL, "simulate", "--workflows", os.path.join(ROOT, "Workflows"), "--from", "2026-03-05T09:00",
                        "--until", "2026-04-01", "--instances", f"the-dang-vien={tmp_path / 'i.csv'}",
                        "--events", str(tmp_path / "e.jsonl")], capture_output=True, text=True)
    assert r.returncode == 1 and "1 dòng không hợp lệ" in r.stderr and "không có hồ sơ" not in r.stderr, r.stderr


def test_send_with_a_key_already_used_says_nothing_was_recorded_and_for_which_event(tmp_path):
    """`tiendoctl send … --idempotency-key K` a second time: nothing recorded now, said as such, naming the event the
    key was first used for when another is typed (the audit's reused key printed «Đã nhận sự kiện 'xyz'»)."""
    import conftest
    d = conftest.Daemon(files={"dinh-ky.yaml": DINH_KY})
    try:
        assert ctl(d, "start", "dinh-ky", "k").returncode == 0
        first = ctl(d, "send", "dinh-ky/k", "done", "--set", "milestone=dong-gop", "--idempotency-key", "lan-1")
        assert first.returncode == 0 and first.stdout.startswith("Đã xong mốc 'dong-gop'"), (first.stdout, first.stderr)
        again = ctl(d, "send", "dinh-ky/k", "xyz", "--idempotency-key", "lan-1")
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("Khóa 'lan-1' đã dùng cho sự kiện 'done' (không phải 'xyz') của hồ sơ dinh-ky/k: "
                                       "không ghi gì thêm;"), again.stdout
        kinds = [h["kind"] for h in json.loads(ctl(d, "history", "dinh-ky/k", "--json").stdout)["records"]]
        assert kinds.count("milestone-done") == 1 and "rejected" not in kinds, kinds
    finally:
        d.stop()


def test_a_clean_stop_leaves_the_whole_database_in_tiendo_sqlite(tmp_path):
    """Moving the state to another server with tiendod stopped, people copy `tiendo.sqlite` and forget its `-wal`: a
    clean stop empties the log into the file, so the copy alone holds every case. A file copied alone from a daemon
    that did not stop cleanly (the first page of a WAL database, its changes all in the log left behind) is refused
    at start, saying which file is missing, instead of being taken as a new, empty database."""
    import conftest
    d = conftest.Daemon()
    try:
        for k in range(30):
            assert ctl(d, "start", "hop", f"m{k}", "--set", "han=2026-04-01").returncode == 0
        d.halt()
        db = os.path.join(d.state, "tiendo.sqlite")
        assert not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0
        moved = tmp_path / "moved"
        moved.mkdir()
        shutil.copy(db, moved / "tiendo.sqlite")
        con = sqlite3.connect(f"file:{moved / 'tiendo.sqlite'}?mode=ro", uri=True)
        assert con.execute("SELECT count(*) FROM instances").fetchone()[0] == 30
        con.close()
        # A fresh daemon killed before any checkpoint: its file holds no table yet, its log everything.
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        args = [a if a != d.state else str(fresh) for a in d.args]
        args[args.index("--socket") + 1] = str(tmp_path / "sock2")
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while not os.path.exists(tmp_path / "sock2"):
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.05)
        proc.kill()
        proc.wait()
        alone = tmp_path / "alone"
        alone.mkdir()
        shutil.copy(fresh / "tiendo.sqlite", alone / "tiendo.sqlite")
        with open(alone / "tiendo.sqlite", "rb") as f:
            header = f.read(20)
        if header[18:20] != b"\x02\x02" or os.path.getsize(fresh / "tiendo.sqlite-wal") == 0:
            pytest.skip("SQLite checkpointed the new database into its file before the kill")
        args[args.index("--state-dir") + 1] = str(alone)
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert r.returncode == 65, (r.returncode, r.stderr)
        said = r.stdout + r.stderr
        assert "tiendo.sqlite là trang đầu của một cơ sở dữ liệu mà mọi thay đổi nằm trong tệp" in said, said
        assert "Hãy chép cả tiendo.sqlite lẫn tiendo.sqlite-wal từ nơi cũ" in said, said
    finally:
        d.stop()


def test_a_clock_behind_the_newest_record_is_in_the_status_with_what_to_do(tmp_path):
    """While operators' changes are refused for a clock set back, `tiendoctl status`, status.json and tiendo.prom say
    so (the journal alone did, once in ten minutes), and tiendoctl tells the technical officer what to do on the
    server rather than to ask the technical officer."""
    import conftest
    d = conftest.Daemon()
    try:
        assert ctl(d, "start", "hop", "truoc", "--set", "han=2026-04-01").returncode == 0
        d.halt()
        d.args[d.args.index("--fake-time") + 1] = "2026-02-20T09:00:00+07:00"
        d.start()
        out = ctl(d, "status").stdout
        assert "SỰ CỐ: đồng hồ của máy chủ đang chỉ 20/02/2026 09:0" in out, out
        assert "sớm hơn bản ghi mới nhất (02/03/2026 09:00) quá một ngày" in out and "timedatectl set-ntp true" in out, out
        r = ctl(d, "start", "hop", "sau", "--set", "han=2026-04-01")
        assert r.returncode == 1 and r.stderr.startswith("tiendoctl: chưa ghi: đồng hồ của máy chủ đang chỉ 20/02/2026"), r.stderr
        assert "--trust-clock" in r.stderr and "báo cán bộ kỹ thuật" not in r.stderr, r.stderr
        run = os.path.join(d.dir, "run")
        deadline = time.time() + 10
        while "tiendo_clock_behind 1" not in open(os.path.join(run, "tiendo.prom")).read():
            assert time.time() < deadline
            time.sleep(0.2)
        deadline = time.time() + 10
        while "clockBehind" not in (status := json.load(open(os.path.join(run, "status.json"), encoding="utf-8"))["daemon"]):
            assert time.time() < deadline, status
            time.sleep(0.2)
        assert status["clockBehind"]["newest"].startswith("2026-03-02T09:00:0"), status
    finally:
        d.stop()
