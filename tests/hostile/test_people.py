"""Text from outside on terminals, and dates as people type them, through the real tiendoctl and tiendod."""

import json
import os
import re
import subprocess
import time

import pytest

from conftest import CTL, Daemon, ctl, workflows_dir, write

# YAML double-quoted escapes: ESC ] 0;… BEL (window title), ESC [2J (clear), C1 CSI, a bidi override. The field's
# default is HOSTILE_VALUE: people's text with such characters is refused (below), a workflow file's is not.
WORKFLOW = r"""tiendo: 1
title: "Độc \e]0;pwned\a"
fields:
  ten: {type: text, default: "Tổ \e]0;owned\a \e[2J\x9b1m\u202e\x01x"}
  han: {type: date, required: true}
group_by: ten
initial: moi
states:
  moi:
    title: "Mới \e[2J"
    on: {duyet: xong}
    deadline: {due: han}
  xong: {final: true, title: "Xong \x9b31m"}
milestones:
  bao-cao: {title: "Báo cáo \u202etxt.exe", due: han}
"""
CALENDAR = r"""tiendo: 1
calendar: doc
title: "Lịch \e]0;x\a"
rules:
  - {name: "Lễ \e[5m\u202e", solar: "03-10"}
"""
BROKEN = 'tiendo: 1\ntitle: T\n"\\e[31mkhoa": 1\nmilestones: {m: {title: M, due: 2026-01-01}}\n'
HOSTILE_VALUE = "Tổ \x1b]0;owned\x07 \x1b[2J\u009b1m\u202e\x01x"
SHOWN_VALUE = r"Tổ \e]0;owned\x07 \e[2J\x9b1m\u{202e}\x01x"


def assert_inert(data, what, bidi=True):
    """No byte a terminal could act on: C0 other than newline, DEL, C1 (as UTF-8), and in human output bidi
    controls (JSON keeps those as data: they reorder a display, they command nothing)."""
    text = data.decode("utf-8")
    bidi_controls = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or (bidi and c in bidi_controls)]
    assert not bad, f"{what}: raw control characters {bad!r} in {text[:400]!r}"


@pytest.fixture(scope="module")
def hostile():
    wf = workflows_dir({"doc.yaml": WORKFLOW, "calendars/doc.yaml": CALENDAR, "xau.yaml": BROKEN,
                        "\x1b[31mten.yaml": "tiendo: 1\ntitle: T\nmilestones: {m: {title: M, due: 2026-01-01}}\n"})
    d = Daemon(wf)
    yield d
    if d.proc.poll() is None:
        d.stop()


def test_every_online_printer_escapes(hostile):
    d = hostile
    w = subprocess.Popen([CTL, "--socket", d.socket, "watch"], stdout=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
    try:
        time.sleep(0.5)
        runs = {
            "start": d.ctl("start", "doc", "k1", "--set", "han=2026-03-01"),
            "start-refused": d.ctl("start", "doc", "k2", "--set", "han=2026-03-01", "--set", f"ten={HOSTILE_VALUE}"),
            "status": d.ctl("status"), "list": d.ctl("list"), "show": d.ctl("show", "doc/k1"),
            "agenda": d.ctl("agenda", "--days", "30"), "history": d.ctl("history", "doc/k1"),
            "done": d.ctl("done", "doc/k1", "bao-cao"), "reload": d.ctl("reload"),
            "send": d.ctl("send", "doc/k1", "duyet", "--set", f"ten={HOSTILE_VALUE}"),
        }
        line = w.stdout.readline()
    finally:
        w.kill()
        w.wait()
    for name, r in runs.items():
        assert_inert(r.stdout, name)
        assert_inert(r.stderr, name + " (stderr)")
    assert_inert(line, "watch")
    # People's text with a control or direction-changing character is refused, naming it; nothing is stored.
    for name in ("start-refused", "send"):
        assert runs[name].returncode == 1, name
        assert "có ký tự điều khiển ẩn (U+001B) ở ký tự thứ 4: xóa ô này và gõ lại" in runs[name].stderr.decode(), runs[name].stderr
    assert d.ctl("show", "doc/k2").returncode == 1
    assert rb"\e]0;pwned\x07" in line
    assert SHOWN_VALUE.encode() in runs["show"].stdout
    assert rb"\e[2J" in runs["show"].stdout and rb"\u{202e}txt.exe" in runs["show"].stdout
    assert SHOWN_VALUE.encode() in runs["agenda"].stdout  # the group heading (group_by ten)
    assert rb"\e]0;pwned\x07" in runs["status"].stdout and rb"\e[31mten.yaml" in runs["status"].stdout
    assert rb"\e[31mkhoa" in runs["reload"].stdout
    assert rb"\e]0;pwned\x07" in runs["history"].stdout, runs["history"].stdout.decode()
    # JSON keeps the exact text, escaped the JSON way.
    j = d.ctl("show", "doc/k1", "--json")
    assert_inert(j.stdout, "show --json", bidi=False)
    assert json.loads(j.stdout)["instance"]["data"]["ten"] == HOSTILE_VALUE
    # The daemon's own stderr lines.
    log = d.log_bytes()
    assert_inert(log, "tiendod stderr")
    assert rb"\e]0;pwned\x07" in log and rb"\e[31mkhoa" in log


def test_every_offline_printer_escapes(hostile, tmp_path):
    wf = hostile.wf
    csv = tmp_path / "ds.csv"
    write(csv, f"key,han,ten\nk1,2026-03-01,{HOSTILE_VALUE}\n")
    bad_csv = tmp_path / "xau.csv"
    write(bad_csv, "key,han,\x1b[2Jcot\nk9,2026-03-01,x\n")
    runs = {
        "validate": ctl("validate", wf),
        "plan": ctl("plan", "doc", "--workflows", wf, "--set", "han=2026-03-20", "--start", "2026-03-01T08:00"),
        "simulate": ctl("simulate", "--workflows", wf, "--from", "2026-03-01", "--until", "2026-03-10",
                        "--instances", f"doc={csv}"),
        "simulate-bad": ctl("simulate", "--workflows", wf, "--from", "2026-03-01", "--until", "2026-03-10",
                            "--instances", f"doc={bad_csv}"),
        "calendar": ctl("calendar", "doc", "2026", "--workflows", wf),
        "graph-dot": ctl("graph", "doc", "--workflows", wf),
        "graph-mermaid": ctl("graph", "doc", "--workflows", wf, "--format", "mermaid"),
        "import-bad": hostile.ctl("import", "doc", str(bad_csv)),
    }
    for name, r in runs.items():
        assert_inert(r.stdout, name)
        assert_inert(r.stderr, name + " (stderr)")
    assert rb"\e[31mkhoa" in runs["validate"].stdout and rb"\e[31mten.yaml" in runs["validate"].stdout
    assert rb"\e]0;pwned\x07" in runs["plan"].stdout and rb"\e[2J" in runs["simulate"].stdout
    assert rb"\e[2Jcot" in runs["simulate-bad"].stderr and rb"\e[2Jcot" in runs["import-bad"].stderr
    assert "Lễ \\e[5m\\u{202e}".encode() in runs["calendar"].stdout
    assert rb"\e]0;pwned\x07" in runs["graph-dot"].stdout and rb"\u{202e}txt.exe" in runs["graph-mermaid"].stdout


def test_day_first_dates_from_people(hostile, tmp_path):
    d = hostile
    good = tmp_path / "excel.csv"
    write(good, "\ufeffkey;han;ten\r\nd1;15/03/2026;A\r\nd2;1/4/2026;B\r\n")
    r = d.ctl("import", "doc", str(good))
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(d.ctl("show", "doc/d1", "--json").stdout)["instance"]["data"]["han"] == "2026-03-15"
    assert json.loads(d.ctl("show", "doc/d2", "--json").stdout)["instance"]["data"]["han"] == "2026-04-01"
    assert b"15/03/2026" in d.ctl("show", "doc/d1").stdout

    bad = tmp_path / "sai.csv"
    write(bad, "key,han,ten\ne1,31/02/2026,A\ne2,03/15/2026,B\ne3,15/03/26,C\ne4,15/03/2026,D\n")
    r = d.ctl("import", "doc", str(bad))
    err = r.stderr.decode()
    assert r.returncode == 1
    assert f"{bad}:2: cột 'han': ngày '31/02/2026' không tồn tại" in err
    assert f"{bad}:3: cột 'han': ngày '03/15/2026' không tồn tại: không có tháng 15" in err
    assert f"{bad}:4: cột 'han': '15/03/26' không phải ngày: năm phải đủ bốn chữ số" in err
    assert d.ctl("show", "doc/e4").returncode == 1  # all or nothing

    assert d.ctl("start", "doc", "s1", "--set", "han=15/03/2026").returncode == 0
    assert json.loads(d.ctl("show", "doc/s1", "--json").stdout)["instance"]["data"]["han"] == "2026-03-15"
    r = d.ctl("start", "doc", "s2", "--set", "han=31/02/2026")
    assert r.returncode == 1 and "trường 'han': ngày '31/02/2026' không tồn tại" in r.stderr.decode()
    r = d.ctl("send", "doc/s1", "duyet", "--set", "han=2/3/2026", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["instance"]["data"]["han"] == "2026-03-02"

    # Offline: plan --set and simulate --instances read the same forms.
    p = ctl("plan", "doc", "--workflows", d.wf, "--set", "han=20/03/2026", "--start", "01/03/2026 08:00", "--json")
    assert p.returncode == 0, p.stderr.decode()
    assert any(rec.get("due") == "2026-03-20" for rec in json.loads(p.stdout))
    s = ctl("simulate", "--workflows", d.wf, "--from", "2026-03-01", "--until", "31/03/2026", "--instances", f"doc={bad}")
    assert s.returncode == 1 and re.search(rf"{re.escape(str(bad))}:3: cột 'han': ngày '03/15/2026' không tồn tại", s.stderr.decode())
    # A name not found is said in words, with the names there are (no made-up file position).
    p = ctl("plan", "docc", "--workflows", d.wf)
    assert p.returncode == 1 and f"tiendoctl: không có quy trình 'docc' trong {d.wf} (có phải 'doc'?); các quy trình: " in p.stderr.decode(), p.stderr
    assert ":1:1:" not in p.stderr.decode()
    # A range that ends before it starts is refused, not answered with an empty table («nothing falls due»).
    p = ctl("plan", "doc", "--workflows", d.wf, "--set", "han=20/03/2026", "--start", "01/03/2026 08:00", "--until", "28/02/2026")
    assert p.returncode == 64 and "--until (28/02/2026) trước ngày bắt đầu (01/03/2026)" in p.stderr.decode(), p.stderr
    s = ctl("simulate", "--workflows", d.wf, "--from", "10/03/2026", "--until", "09/03/2026")
    assert s.returncode == 64 and "--until (23:59 ngày 09/03/2026) trước --from (00:00 ngày 10/03/2026)" in s.stderr.decode(), s.stderr


def test_calendar_read_as_people_type_it():
    """`tiendoctl calendar 2027`: a lone number is the year of the default calendar, not a calendar named "2027";
    a year out of range, a year before the calendar's id, and a year with --years are refused in words."""
    wf = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "Workflows")
    c = ctl("calendar", "2027", "--workflows", wf)
    assert c.returncode == 0 and "— 2027:" in c.stdout.decode() and "01/01/2027" in c.stdout.decode(), c.stderr
    for args, said in [
        (["99999"], "năm '99999' ngoài khoảng 1900–2199"),
        (["1234567890123"], "năm '1234567890123' ngoài khoảng 1900–2199"),
        (["1800"], "năm '1800' ngoài khoảng 1900–2199 (khoảng mà các ngày của hồ sơ có thể rơi vào)"),
        (["2027", "2028"], "không có lịch '2027': mã lịch đứng trước năm (tiendoctl calendar vn 2027)"),
        (["2027", "--years"], "--years liệt kê mọi năm của lịch: không đi cùng một năm ('2027')"),
    ]:
        r = ctl("calendar", *args, "--workflows", wf)
        # Wrong use: the argument parser's exit status (64), as for an option it cannot read.
        assert r.returncode == 64 and said in r.stderr.decode(), (args, r.stderr)


def test_an_argument_not_utf8_is_named_not_read_as_replacement_characters(tmp_path):
    """A file named in a legacy code page was «không có tệp» although it existed, and a value typed in a terminal set
    to one was stored as «�(»: the argument is refused by its place, saying what to do, with the usage status."""
    bad = os.path.join(os.fsencode(str(tmp_path)), b"d\xff.csv")
    open(bad, "wb").close()
    r = ctl(b"validate", bad)
    assert r.returncode == 64, r
    assert "tiendoctl: tham số thứ 2 («" in r.stderr.decode() and "không phải văn bản UTF-8: nếu là tên tệp, hãy đặt lại tên cho tệp" \
        in r.stderr.decode(), r.stderr
    r = ctl(b"plan", b"x", b"--set", b"ho_ten=\xc3\x28")
    assert r.returncode == 64 and "tham số thứ 4" in r.stderr.decode(), r.stderr
    # Even where the command's name goes.
    r = ctl(b"\xff")
    assert r.returncode == 64 and "tham số thứ 1" in r.stderr.decode() and "không có lệnh" not in r.stderr.decode(), r.stderr
