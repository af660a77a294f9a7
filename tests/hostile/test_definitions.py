"""Hostile workflow and calendar files: tiendoctl validate/plan and tiendod must finish, print the diagnostic
with its position, and never expand, hang or crash (README "Limits")."""

import json
import os
import shutil
import subprocess
import tempfile

from conftest import CTL, VN, ctl, run, workflows_dir, write

GOOD = """tiendo: 1
title: Quy trình tốt
fields:
  han: {type: date, required: true}
milestones:
  bao-cao: {title: Báo cáo, due: han}
"""


def alias_bomb(levels=11):
    lines = ["tiendo: 1", "title: bom", "x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"x-a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines + ["milestones:", "  m: {title: M, due: 2026-01-01}"]) + "\n"


def out(r):
    return r.stdout.decode() + r.stderr.decode()


def test_validate_refuses_an_alias_bomb_at_its_anchor(tmp_path):
    write(tmp_path / "bom.yaml", alias_bomb())
    r = ctl("validate", str(tmp_path / "bom.yaml"))
    assert r.returncode == 1
    assert f"{tmp_path}/bom.yaml:3:7: error: YAML anchor '&a0' is not supported" in out(r)
    # An alias alone, a merge key: refused at the alias.
    write(tmp_path / "merge.yaml", "tiendo: 1\ntitle: T\nx-m: {a: 1}\nx-n:\n  <<: *m\nmilestones: {m: {title: M, due: 2026-01-01}}\n")
    r = ctl("validate", str(tmp_path / "merge.yaml"))
    assert r.returncode == 1 and "merge.yaml:5:7: error: YAML alias '*m' is not supported" in out(r), out(r)


def test_validate_reads_a_calendar_by_where_it_is_and_never_says_0_errors_for_nothing(tmp_path):
    """The 2027 holiday list is checked as the operator would: the calendars directory given, or the file typed
    from inside it. A directory it cannot read, or without workflows, is an error, not «0 lỗi»."""
    cal = tmp_path / "calendars"
    cal.mkdir()
    shutil.copy(VN, cal / "vn.yaml")
    for args, cwd in (([str(cal)], None), (["vn.yaml"], cal), (["."], cal)):
        r = ctl("validate", *args, cwd=cwd)
        assert r.returncode == 0 and "0 lỗi" in out(r), (args, out(r))
    write(cal / "vn.yaml", open(VN, encoding="utf-8").read().replace("calendar: vn", "calendar: vn\nbogus: 1", 1))
    r = ctl("validate", "vn.yaml", cwd=cal)
    # The line after `calendar: vn`, wherever the file's header comment ends.
    line = open(VN, encoding="utf-8").read().split("\n").index("calendar: vn") + 2
    assert r.returncode == 1 and f"vn.yaml:{line}:1: error: unknown key 'bogus' in the calendar" in out(r), out(r)
    empty = tmp_path / "khong-co"
    empty.mkdir()
    r = ctl("validate", str(empty))
    assert r.returncode == 1 and "error: no workflow files (*.yaml) here" in out(r), out(r)
    # As another user, under a directory that user may enter (pytest's own is private).
    outer = tempfile.mkdtemp(prefix="tiendo-hostile-")
    try:
        os.chmod(outer, 0o755)
        closed = os.path.join(outer, "dong")
        os.mkdir(closed, 0)
        r = ctl("validate", closed, user=65534)
        assert r.returncode == 1 and "error: cannot read directory: Permission denied" in out(r), out(r)
    finally:
        shutil.rmtree(outer, ignore_errors=True)


def test_output_that_cannot_be_written_is_a_failure():
    """`plan --json > file` on a full disk: exit 1 with the reason, not 0 over a truncated file."""
    wf = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "Workflows")
    with open("/dev/full", "wb") as full:
        r = subprocess.run([CTL, "plan", "dang-vien-du-bi", "--workflows", wf, "--set", "ngay_ket_nap=2025-12-23", "--json"],
                           stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 1 and "không ghi được hết ra đầu ra chuẩn: đĩa đầy" in r.stderr.decode(), r.stderr


def test_an_absurd_time_rate_is_refused_in_words(tmp_path):
    """1e308 trapped at the first reading of the fake clock; the warning named the start in ISO."""
    tiendod = os.path.join(os.path.dirname(CTL), "tiendod")
    args = [tiendod, "--workflows", workflows_dir({"tot.yaml": GOOD}), "--state-dir", str(tmp_path / "st"),
            "--runtime-dir", str(tmp_path / "run"), "--socket", str(tmp_path / "sock"), "--fake-time", "2026-12-07T09:00"]
    r = run(*args, "--time-rate", "1e308")
    assert r.returncode == 64 and "--time-rate phải là một số dương, tối đa 100000000" in out(r), out(r)
    p = subprocess.Popen([*args, "--time-rate", "86400"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        first = p.stdout.readline().decode()
    finally:
        p.terminate()
        p.wait(30)
    assert "ĐỒNG HỒ GIẢ bắt đầu lúc 07/12/2026 09:00, chạy nhanh gấp 86400 lần" in first, first


def test_simulate_names_the_file_and_the_reason(tmp_path):
    """A directory given as a CSV, a missing file: why. An event the engine refuses: its file and line, and exit 1."""
    steps = "tiendo: 1\ntitle: Có bước\nfields:\n  han: {type: date, required: true}\ninitial: cho\nstates:\n  cho: {on: {duyet: xong}}\n  xong: {final: true}\n"
    wf = workflows_dir({"tot.yaml": steps})
    base = ["simulate", "--workflows", wf, "--from", "2026-01-01T00:00", "--until", "2026-01-10"]
    r = ctl(*base, "--instances", f"tot={tmp_path}")
    assert r.returncode == 1 and f"không đọc được tệp '{tmp_path}': đó là một thư mục, không phải tệp" in out(r), out(r)
    r = ctl(*base, "--instances", "tot=/khong/co.csv")
    assert r.returncode == 1 and "không đọc được tệp '/khong/co.csv': không có tệp hoặc thư mục này" in out(r), out(r)
    write(tmp_path / "a.csv", "key,han\na,2026-01-08\n")
    write(tmp_path / "ev.jsonl", '{"at":"2026-01-05T09:00","instance":"tot/a","event":"duyet","data":{"han":"xx"}}\n')
    r = ctl(*base, "--instances", f"tot={tmp_path / 'a.csv'}", "--events", str(tmp_path / "ev.jsonl"))
    assert r.returncode == 1 and f"{tmp_path / 'ev.jsonl'}:1: Dữ liệu không hợp lệ" in out(r), out(r)
    assert "1 sự kiện hoặc hồ sơ không thực hiện được" in out(r), out(r)


def test_a_plan_cut_short_says_so():
    """Two states alternating every half hour for seven years: the plan stops at its bound and says where."""
    tick = ("tiendo: 1\ntitle: Nhịp\ninitial: a\nstates:\n  a:\n    after: {at: entered_at + 30min, to: b}\n"
            "  b:\n    after: {at: entered_at + 30min, to: a}\n")
    wf = workflows_dir({"nhip.yaml": tick})
    r = ctl("plan", "nhip", "--workflows", wf, "--start", "2026-12-07T00:00", "--until", "2033-12-31", "--json")
    assert r.returncode == 1, out(r)[-500:]
    assert "tiendoctl: kế hoạch dừng ở 08:30 ngày 20/08/2032 sau 100.000 lần có việc" in r.stderr.decode(), r.stderr


def test_validate_size_limits(tmp_path):
    # 50 MB: refused at 1:1 without being read further.
    with open(tmp_path / "lon.yaml", "wb") as f:
        f.write(b"tiendo: 1\ntitle: T\n" + b"# " + b"x" * 98 + b"\n" * 1)
        f.write((b"x-k: " + b"y" * 94 + b"\n") * 500_000)
    r = ctl("validate", str(tmp_path / "lon.yaml"))
    assert r.returncode == 1 and f"{tmp_path}/lon.yaml:1:1: error: file is larger than 4 MiB" in out(r), out(r)
    # A million keys (about 9 MB): the same.
    write(tmp_path / "trieu.yaml", "tiendo: 1\ntitle: T\n" + "".join(f"k{i}: {i}\n" for i in range(1_000_000)))
    r = ctl("validate", str(tmp_path / "trieu.yaml"))
    assert r.returncode == 1 and "trieu.yaml:1:1: error: file is larger than 4 MiB" in out(r), out(r)
    # Under 4 MiB but over 250,000 nodes; nesting past 64 levels; a 100 KB scalar.
    write(tmp_path / "nut.yaml", "tiendo: 1\ntitle: T\nx-n: [" + ",".join(["0"] * 600_000) + "]\n")
    r = ctl("validate", str(tmp_path / "nut.yaml"))
    assert r.returncode == 1 and "nut.yaml:3:" in out(r) and "more than 250000 YAML nodes" in out(r), out(r)
    write(tmp_path / "sau.yaml", "tiendo: 1\ntitle: T\nx-d: " + "[" * 5000 + "]" * 5000 + "\n")
    r = ctl("validate", str(tmp_path / "sau.yaml"))
    assert r.returncode == 1 and "sau.yaml:3:" in out(r) and "error: lists and mappings nested deeper than the limit of 64" in out(r), out(r)
    write(tmp_path / "dai.yaml", "tiendo: 1\ntitle: T\ndescription: " + "đ" * 50_000 + "\n")
    r = ctl("validate", str(tmp_path / "dai.yaml"))
    assert r.returncode == 1 and "dai.yaml:3:14: error: value of 100000 bytes is longer than the limit" in out(r), out(r)


def test_validate_stays_linear_on_large_files(tmp_path):
    """Inputs that were quadratic (over 60 s and 40 s): each must finish well inside the guard."""
    os.makedirs(tmp_path / "calendars")
    shutil.copy(VN, tmp_path / "calendars" / "vn.yaml")
    n = 10_000
    write(tmp_path / "dich.yaml", "tiendo: 1\ntitle: T\ninitial: s0\nstates:\n"
          + "".join(f"  s{i}:\n    on: {{di: khong-co-{i}}}\n" for i in range(n)))
    r = ctl("validate", str(tmp_path / "dich.yaml"))
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 1 and len(lines) == 201, out(r)[-500:]
    assert lines[0] == f"{tmp_path}/dich.yaml:6:14: error: unknown state 'khong-co-0' in 'on.di'"
    # No «unreachable» warnings: the graph left after the errors is not the file's.
    assert lines[-1].endswith("error: 9800 more errors in this file not shown (only the first 200 found are)")
    # The summary counts the problems that line stands for, not the line as one error; so can a script, from JSON.
    j = json.loads(ctl("validate", "--json", str(tmp_path / "dich.yaml")).stdout)
    assert j[-1]["omitted"] == {"errors": 9800, "warnings": 0} and "omitted" not in j[0], j[-1]
    assert r.stderr.decode().splitlines()[-1] == "10.000 lỗi, 0 cảnh báo", r.stderr.decode()[-300:]

    chain = "".join(f"  m{i}: {{title: M, due: 2026-01-01, requires: [m{i + 1}]}}\n" for i in range(n - 1))
    write(tmp_path / "chuoi.yaml", f"tiendo: 1\ntitle: T\nmilestones:\n{chain}  m{n - 1}: {{title: M, due: 2026-01-01}}\n")
    r = ctl("validate", str(tmp_path / "chuoi.yaml"))
    assert r.returncode == 0, out(r)[-500:]
    write(tmp_path / "vong.yaml", f"tiendo: 1\ntitle: T\nmilestones:\n{chain}  m{n - 1}: {{title: M, due: 2026-01-01, requires: [m0]}}\n")
    r = ctl("validate", "--json", str(tmp_path / "vong.yaml"))
    assert r.returncode == 1 and r.stdout.count(b'"message"') == 1
    assert b"m0 -> m1 -> m2" in r.stdout and b"(10000 milestones)" in r.stdout

    # 120,000 unknown keys at the top (under the limits): one line each for 200, one for the rest.
    write(tmp_path / "khoa.yaml", "tiendo: 1\ntitle: T\nmilestones: {m: {title: M, due: 2026-01-01}}\n"
          + "".join(f"k{i}: 1\n" for i in range(120_000)))
    r = ctl("validate", str(tmp_path / "khoa.yaml"))
    assert r.returncode == 1 and r.stdout.decode().splitlines()[-1].endswith("119800 more errors in this file not shown (only the first 200 found are)")


CALENDARS = {
    "tuan": ("weekend: [mon, tue, wed, thu, fri, sat, sun]\n", "4:10", "'weekend' covers all seven days"),
    "nam": ("years:\n  2026:\n    off: [2026-01-01..2026-12-31]\n", "5:3", "year 2026 has no working day"),
    "le": ("rules:\n  - {name: a, solar: \"01-01\", days: 60}\n  - {name: b, solar: \"03-02\", days: 60}\n", "5:3",
           "could leave a year without a working day"),
}


def calendar_dir():
    files = {}
    for cid, (body, _, _) in CALENDARS.items():
        files[f"calendars/{cid}.yaml"] = f"tiendo: 1\ncalendar: {cid}\ntitle: Lịch {cid}\n" + body
        files[f"dung-{cid}.yaml"] = ("tiendo: 1\ntitle: T\ncalendar: " + cid
                                     + "\nfields:\n  han: {type: date, required: true}\n"
                                     + "milestones:\n  m: {title: M, due: han + 3wd, roll: forward}\n")
    return workflows_dir(files)


def test_calendars_without_working_days_are_refused_and_plan_does_not_spin():
    wf = calendar_dir()
    try:
        r = ctl("validate", wf)
        assert r.returncode == 1
        for cid, (_, pos, fragment) in CALENDARS.items():
            assert f"{wf}/calendars/{cid}.yaml:{pos}: error:" in out(r) and fragment in out(r), out(r)
            assert f"{wf}/dung-{cid}.yaml:3:11: error: calendar '{cid}' has errors" in out(r)
            p = ctl("plan", f"dung-{cid}", "--workflows", wf, "--set", "han=2026-03-02", "--start", "2026-01-01T08:00")
            assert p.returncode == 1 and f"không nạp được quy trình 'dung-{cid}'" in p.stderr.decode()
            c = ctl("calendar", cid, "2026", "--workflows", wf)
            assert c.returncode == 1 and f"không nạp được lịch '{cid}'" in c.stderr.decode()
    finally:
        shutil.rmtree(wf)


def test_daemon_skips_bad_files_at_start_and_keeps_the_last_good_one_on_reload(daemon_factory):
    wf = calendar_dir()
    write(os.path.join(wf, "hop.yaml"), GOOD)
    write(os.path.join(wf, "bom.yaml"), alias_bomb())
    d = daemon_factory(wf)
    s = d.ctl("status")
    assert s.returncode == 0, out(s)
    assert "hop" in s.stdout.decode() and "bom.yaml:3:7: error: YAML anchor '&a0'" in s.stdout.decode()
    assert "calendars/tuan.yaml:4:10: error: 'weekend' covers all seven days" in s.stdout.decode()
    assert d.ctl("start", "hop", "a1", "--set", "han=2026-03-06").returncode == 0
    # The good file becomes a bomb: reload reports it and keeps the last good version.
    write(os.path.join(wf, "hop.yaml"), alias_bomb())
    r = d.ctl("reload")
    assert r.returncode == 1 and "hop.yaml:3:7: error: YAML anchor '&a0'" in r.stdout.decode(), out(r)
    assert d.ctl("start", "hop", "a2", "--set", "han=2026-03-06").returncode == 0
    assert "bị từ chối, giữ phiên bản tốt trước đó" in d.log_text()
    # A restart with the bomb still there: no crash, the diagnostic in status, the instances still there.
    d.stop()
    d.start()
    s = d.ctl("status")
    assert s.returncode == 0 and "hop.yaml:3:7: error: YAML anchor" in s.stdout.decode(), out(s)
    assert d.ctl("show", "hop/a1").returncode == 0


def test_validate_lists_a_files_problems_in_its_order_and_says_where_a_calendar_was_looked_for(tmp_path):
    """Problems found by later passes came before earlier lines (6:1, then 1:1); a file checked away from its tree
    said «unknown calendar 'vn'» without saying where it was looked for; a --workflows that is not a directory was
    «no workflow 'thi-dua' in /nonexist»."""
    d = workflows_dir({"a.yaml": "tiendo: 1\ntitle: T\nstates:\n  s0:\n    on: {di: khong-co}\n  s1: {}\nbogus: 1\n"})
    r = ctl("validate", d)
    lines = [l for l in r.stdout.decode().splitlines() if ": error: " in l or ": warning: " in l]
    places = [tuple(int(x) for x in l.split(":")[1:3]) for l in lines]
    assert places == [(1, 1), (5, 14), (7, 1)], lines
    alone = tmp_path / "mot.yaml"
    write(alone, "tiendo: 1\ntitle: T\nmilestones:\n  m: {title: M, due: 2026-01-01}\n")
    r = ctl("validate", str(alone))
    assert r.returncode == 1 and "unknown calendar 'vn': no calendars/vn.yaml beside the workflow files" in out(r), out(r)
    r = ctl("plan", "thi-dua", "--workflows", str(tmp_path / "khong-co"))
    assert r.returncode == 64 and f"--workflows '{tmp_path / 'khong-co'}': không có thư mục này" in out(r), out(r)
    r = ctl("help", "khong-co")
    assert r.returncode == 64 and "tiendoctl: không có lệnh 'khong-co'" in out(r), out(r)
