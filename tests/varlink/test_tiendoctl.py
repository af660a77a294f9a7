"""The online tiendoctl commands against the real daemon: tables, --json, CSV as Excel writes it, errors."""

import json
import os
import subprocess

from conftest import BIN

CTL = os.path.join(BIN, "tiendoctl")


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


def test_import_reports_every_bad_row_and_stores_nothing(daemon, tmp_path):
    f = tmp_path / "hong.csv"
    f.write_text("key,han,diem\ny1,2026-03-06,10\ny2,30/02/2026,10\ny3,2026-03-06,200\n", encoding="utf-8")
    r = ctl(daemon, "import", "hop", str(f))
    assert r.returncode == 1
    assert f"{f}:3:" in r.stderr and f"{f}:4:" in r.stderr
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


def test_errors_are_one_line_and_exit_1(daemon, tmp_path):
    r = ctl(daemon, "show", "hop/khong-co")
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run([CTL, "--socket", str(tmp_path / "none.sock"), "status"], capture_output=True, text=True)
    assert r.returncode == 1 and "không kết nối được" in r.stderr


def test_a_daemon_that_never_answers_times_out(tmp_path):
    """A listener that accepts and reads but never replies: the call gives up after --timeout with one line."""
    import socket
    import threading
    import time

    path = str(tmp_path / "mute.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    server.listen(4)
    held = []

    def accept():
        while True:
            try:
                c, _ = server.accept()
            except OSError:
                return
            held.append(c)  # read nothing back, answer nothing

    threading.Thread(target=accept, daemon=True).start()
    try:
        t0 = time.monotonic()
        r = subprocess.run([CTL, "--socket", path, "--timeout", "1", "status"], capture_output=True, text=True, timeout=30)
        elapsed = time.monotonic() - t0
        assert r.returncode == 1
        assert "không trả lời trong 1 giây" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert elapsed < 15
        r = subprocess.run([CTL, "send", "--socket", path, "--timeout=1", "x/y", "e"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "--idempotency-key" in r.stderr
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
