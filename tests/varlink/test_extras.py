"""`vn.tiendo.Extras`: the read-only methods tiendo-web pages are built from, against the real daemon."""

import os

import varlink
from conftest import ROOT
from test_varlink import cli, raw, msg

EXTRAS = "vn.tiendo.Extras"


def xcall(daemon, method, **params):
    with varlink.Client(address=daemon.address).open(EXTRAS, namespaced=False) as x:
        return getattr(x, method)(**params)


def mcall(daemon, method, **params):
    with varlink.Client(address=daemon.address).open("vn.tiendo.Manager", namespaced=False) as m:
        return getattr(m, method)(**params)


def seed(daemon):
    """Ten instances in three groups (`ma`), idempotent across the module's tests."""
    if mcall(daemon, "ListInstances", workflow="hop", limit=10000)["instances"]:
        existing = {i["id"] for i in mcall(daemon, "ListInstances", workflow="hop", limit=10000)["instances"]}
    else:
        existing = set()
    rows = []
    for i in range(10):
        key = f"x{i}"
        if f"hop/{key}" in existing:
            continue
        # Fake clock 2026-03-02 09:00: x0..x2 overdue (due 2026-02-27), x3 due today, the rest later.
        han = "2026-02-27" if i < 3 else ("2026-03-02" if i == 3 else f"2026-03-{10 + i:02d}")
        rows.append({"key": key, "han": han, "ma": ["Chi bộ Một", "Chi bộ Hai", "Chi bộ Ba"][i % 3]})
    if rows:
        mcall(daemon, "ImportInstances", workflow="hop", rows=rows)


def test_info_and_shipped_idl(daemon):
    r = cli("info", daemon.address)
    assert EXTRAS in r.stdout
    with open(os.path.join(ROOT, "vn.tiendo.Extras.varlink"), encoding="utf-8") as f:
        shipped = f.read()
    got = raw(daemon, msg("org.varlink.service.GetInterfaceDescription", {"interface": EXTRAS}))[0]
    assert got["parameters"]["description"] == shipped
    assert cli("help", daemon.address + "/" + EXTRAS).returncode == 0


def test_workflows_describe_states_events_and_guard_fields(daemon):
    wf = xcall(daemon, "Workflows")["workflows"]
    hop = [w for w in wf if w["id"] == "hop"][0]
    assert hop["title"] == "Quy trình thử nghiệm" and hop["groupBy"] == "ma" and hop["calendar"] == "vn"
    moi = [s for s in hop["states"] if s["id"] == "moi"][0]
    assert moi["title"] == "Mới" and not moi["final"]
    # A state's description (what to do, and the basis) when the file gives one; none is sent otherwise.
    assert moi["description"] == "Duyệt trong hạn (Quy định thử nghiệm, Điều 1) [M]."
    assert "description" not in [s for s in hop["states"] if s["id"] == "da-duyet"][0]
    events = {e["name"]: e for e in moi["events"]}
    assert events["duyet"]["fields"] == [] and events["cham"]["fields"] == ["diem"]
    # A decision above the chi bộ (office_events) says so; the others do not carry the key.
    assert events["duyet"]["office"] is True and "office" not in events["cham"]
    assert [m["id"] for m in hop["milestones"]] == ["bao-cao", "tong-ket"]
    assert [f["name"] for f in hop["fields"]] == ["ma", "han", "diem"]
    # The columns its lists show (list_fields); a workflow that names none sends no key (test_a_day_task_…).
    assert hop["listFields"] == ["diem"]
    assert "followUps" not in hop  # a workflow that names none sends no key
    # No field of hop takes only days already come (`max: today`): none carries the key.
    assert all("notAfterToday" not in f for f in hop["fields"]), hop["fields"]


def test_due_counts_pages_and_groups(daemon):
    seed(daemon)
    r = xcall(daemon, "Due", workflow="hop", limit=2)
    c = r["counts"]
    assert c["overdue"] >= 3 and c["today"] >= 1
    assert len(r["items"]) == 2 and all(i["overdue"] for i in r["items"])
    one = xcall(daemon, "Due", workflow="hop", groups=["Chi bộ Một"], limit=1000)
    assert one["items"] and {i["group"] for i in one["items"]} == {"Chi bộ Một"}
    assert one["counts"]["total"] == len(one["items"])
    page2 = xcall(daemon, "Due", workflow="hop", offset=2, limit=2)["items"]
    assert page2[0]["instance"] != r["items"][0]["instance"] or page2[0]["title"] != r["items"][0]["title"]


def test_due_search_folds_vietnamese(daemon):
    seed(daemon)
    r = xcall(daemon, "Due", workflow="hop", search="chi bo mot", limit=1000)
    assert r["items"] and {i["group"] for i in r["items"]} == {"Chi bộ Một"}
    assert xcall(daemon, "Due", workflow="hop", search="không có ai", limit=10)["counts"]["total"] == 0
    # A code, and a value, but not the workflow's name, a field's name or the stored text's punctuation.
    assert {i["instance"] for i in xcall(daemon, "Due", workflow="hop", search="x7", limit=10)["items"]} == {"hop/x7"}
    assert {i["instance"] for i in xcall(daemon, "Due", workflow="hop", search="hop/x7", limit=10)["items"]} == {"hop/x7"}
    for nothing in ("hop", "ma", "han", '"', ":", "_"):
        assert xcall(daemon, "Instances", workflow="hop", search=nothing, limit=10)["instances"] == [], nothing


def test_instances_pages_groups_overdue_and_total(daemon):
    seed(daemon)
    r = xcall(daemon, "Instances", workflow="hop", groups=["Chi bộ Hai"], limit=2)
    assert r["total"] == sum(1 for e in mcall(daemon, "ListInstances", workflow="hop", limit=10000)["instances"]
                             if e["data"].get("ma") == "Chi bộ Hai")
    assert [e["group"] for e in r["instances"]] == ["Chi bộ Hai"] * 2 and r["next"]
    rest = xcall(daemon, "Instances", workflow="hop", groups=["Chi bộ Hai"], after=r["next"], limit=1000)
    ids = [e["instance"]["id"] for e in r["instances"] + rest["instances"]]
    assert ids == sorted(ids) and len(ids) == r["total"]
    overdue = xcall(daemon, "Instances", workflow="hop", overdue=True, limit=1000)
    assert {"hop/x0", "hop/x1", "hop/x2"} <= {e["instance"]["id"] for e in overdue["instances"]}
    # The overdue ones are counted too (from their items): a page of them says of how many.
    assert overdue["total"] == len(overdue["instances"]), overdue
    page = xcall(daemon, "Instances", workflow="hop", overdue=True, limit=1)
    assert page["total"] == overdue["total"] and page["next"]
    mine = xcall(daemon, "Instances", workflow="hop", groups=["Chi bộ Hai"], overdue=True, limit=1000)
    assert mine["total"] == len(mine["instances"]) < overdue["total"], mine
    # A search is not counted: it would read every record.
    assert xcall(daemon, "Instances", workflow="hop", overdue=True, search="x", limit=1).get("total") is None
    assert xcall(daemon, "Instances", groups=[], limit=10)["instances"] == []


def test_groups_summaries(daemon):
    seed(daemon)
    g = {x["group"]: x for x in xcall(daemon, "Groups", workflow="hop")["groups"]}
    assert g["Chi bộ Một"]["overdue"] >= 1 and g["Chi bộ Một"]["instances"] >= 4
    assert all(x["active"] <= x["instances"] for x in g.values())


def test_groups_with_a_limit_give_the_most_pressing_and_the_totals(daemon):
    seed(daemon)
    plain = xcall(daemon, "Groups")
    every = plain["groups"]
    assert plain.get("totals") is None
    r = xcall(daemon, "Groups", limit=2)
    # The overview's order: most overdue, then most due soon, then name (bytes) and workflow.
    order = sorted(every, key=lambda g: (-g["overdue"], -g["dueSoon"], g["group"].encode(), g["workflow"].encode()))
    assert r["groups"] == order[:2]
    by_workflow = {}
    for g in every:
        t = by_workflow.setdefault(g["workflow"], {"workflow": g["workflow"], "groups": 0, "instances": 0, "active": 0,
                                                    "overdue": 0, "dueSoon": 0})
        t["groups"] += 1
        for k in ("instances", "active", "overdue", "dueSoon"):
            t[k] += g[k]
    assert sorted(r["totals"], key=lambda t: t["workflow"]) == sorted(by_workflow.values(), key=lambda t: t["workflow"])
    # A limit below 1 is refused (a page of no rows is a caller's mistake); a selection of no group gives none, and no
    # totals to add.
    r = raw(daemon, msg("vn.tiendo.Extras.Groups", {"limit": 0}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "limit"}}, r
    # A limit beyond any size is every group, in that order (and the daemon stays up).
    assert xcall(daemon, "Groups", limit=2**63 - 1)["groups"] == order
    none = xcall(daemon, "Groups", groups=[], limit=5)
    assert none["groups"] == [] and none["totals"] == []


def test_calendar_days_of_tet_2026(daemon):
    r = xcall(daemon, "Calendar", workflow="hop", **{"from": "2026-02-01", "until": "2026-02-28"})
    days = {d["date"]: d for d in r["days"]}
    assert days["2026-02-16"]["kind"] == "holiday" and days["2026-02-16"]["status"] == "official"
    assert days["2026-02-07"]["kind"] == "weekend"
    assert "2026-02-10" not in days
    # 2027 is listed in the shipped calendar but as `projected: true` (a list by precedent): projected, not official.
    r = xcall(daemon, "Calendar", workflow="hop", **{"from": "2027-02-01", "until": "2027-02-28"})
    days = {d["date"]: d for d in r["days"]}
    assert days["2027-02-04"]["kind"] == "holiday" and "2027-02-11" not in days
    assert {d["status"] for d in r["days"]} == {"projected"}


def test_bad_parameters(daemon):
    r = raw(daemon, msg(EXTRAS + ".Calendar", {"workflow": "hop", "from": "2026-02-30", "until": "2026-03-01"}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "from"}}
    r = raw(daemon, msg(EXTRAS + ".Due", {"groups": "Chi bộ Một"}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "groups"}}
    r = raw(daemon, msg(EXTRAS + ".Due", {"workflow": "khong-co"}))[0]
    assert r["error"] == "vn.tiendo.Manager.NoSuchWorkflow"
    assert raw(daemon, msg(EXTRAS + ".Nope"))[0]["error"] == "org.varlink.service.MethodNotFound"


def test_due_on_dates_and_day_counts(daemon):
    seed(daemon)
    # x3 is due today (2026-03-02): its three items (state deadline, bao-cao; tong-ket is the day after).
    r = xcall(daemon, "Due", workflow="hop", **{"from": "2026-03-02", "until": "2026-03-02"}, limit=100)
    assert r["items"] and all(i["due"].startswith("2026-03-02") for i in r["items"])
    assert "hop/x3" in {i["instance"] for i in r["items"]} and r["counts"]["total"] == len(r["items"])
    days = {d["date"]: d for d in xcall(daemon, "DueDays", workflow="hop", **{"from": "2026-02-01", "until": "2026-03-31"})["days"]}
    assert days["2026-02-27"]["overdue"] == days["2026-02-27"]["items"] >= 6
    assert days["2026-03-02"]["items"] == len(r["items"]) and days["2026-03-02"]["overdue"] == 0
    one = xcall(daemon, "DueDays", workflow="hop", groups=["Chi bộ Một"], **{"from": "2026-02-01", "until": "2026-03-31"})["days"]
    assert sum(d["items"] for d in one) < sum(d["items"] for d in days.values())
    r = raw(daemon, msg(EXTRAS + ".DueDays", {"from": "2026-03-02", "until": "2027-06-01"}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "until"}}


def test_counts_reach_past_the_page_horizon(daemon):
    seed(daemon)
    # x9 is due 2026-03-19 (17 days ahead): outside a 7-day page, inside the 30-day count.
    week = xcall(daemon, "Due", workflow="hop", days=7, limit=1000)
    month = xcall(daemon, "Due", workflow="hop", days=30, limit=1000)
    assert week["counts"] == {**month["counts"], "total": week["counts"]["total"]}
    assert week["counts"]["month"] > week["counts"]["week"]
    assert week["counts"]["total"] == len(week["items"]) < len(month["items"]) == month["counts"]["total"]
    assert all(i["daysLeft"] <= 7 for i in week["items"])


def test_instance_has_every_open_deadline_with_group_and_label(daemon):
    seed(daemon)
    r = xcall(daemon, "Instance", id="hop/x0")["instance"]
    assert r["group"] == "Chi bộ Một" and r["instance"]["id"] == "hop/x0"
    deadlines = r["instance"]["deadlines"]
    # The overdue state deadline is there (GetInstance's `next` skips overdue items).
    assert any(d.get("state") == "moi" and d.get("milestone") is None and d["overdue"] for d in deadlines), deadlines
    assert {d.get("milestone") for d in deadlines} >= {"bao-cao", "tong-ket"}
    r = raw(daemon, msg(EXTRAS + ".Instance", {"id": "hop/khong-co"}))[0]
    assert r["error"] == "vn.tiendo.Manager.NoSuchInstance"


def test_instance_says_its_next_timed_transition():
    """A probationary member admitted 10/02/2026: in `du-bi` with no open deadline, the record moves to `cho-xet`
    at 00:00 on 11/02/2027 by itself (12 months, no working days: not provisional), and the page can say the
    review's deadline that follows; `Instances` sends it for that one only,
    and a member already in `cho-xet` (whose next step is the chi bộ's vote) has none."""
    import conftest

    with open(os.path.join(ROOT, "Workflows", "dang-vien-du-bi.yaml"), encoding="utf-8") as f:
        d = conftest.Daemon(files={"dang-vien-du-bi.yaml": f.read()}, fake_time="2026-04-03T09:00:00+07:00")
    try:
        rows = [{"key": "moi", "ngay_ket_nap": "2026-02-10", "chi_bo": "Chi bộ 3", "started": "2026-02-10"},
                {"key": "cu", "ngay_ket_nap": "2025-02-10", "chi_bo": "Chi bộ 3", "started": "2025-02-10"}]
        mcall(d, "ImportInstances", workflow="dang-vien-du-bi", rows=rows)
        # The admission date takes no day after today (`max: today`), and lists show it as a column.
        dv = [w for w in xcall(d, "Workflows")["workflows"] if w["id"] == "dang-vien-du-bi"][0]
        fields = {f["name"]: f for f in dv["fields"]}
        assert fields["ngay_ket_nap"]["notAfterToday"] is True and "notAfterToday" not in fields["ho_ten"], fields
        # A decision is not dated before the meeting that proposed it, nor the meeting before the admission
        # (`min: {field: OTHER}`); a field without such a bound sends none.
        assert fields["ngay_quyet_dinh"]["notBefore"] == "ngay_nghi_quyet" and fields["ngay_nghi_quyet"]["notBefore"] == "ngay_ket_nap"
        assert "notBefore" not in fields["ngay_ket_nap"], fields
        # A field without a default sends none.
        assert all("default" not in f for f in dv["fields"]), dv["fields"]
        assert dv["listFields"] == ["ngay_ket_nap"]
        # The card request a ward opens next, in the states it is offered, with what fills its form (`follow_ups`).
        assert dv["followUps"] == [{
            "workflow": "the-dang-vien", "title": "Mở hồ sơ phát thẻ đảng viên", "when": ["cho-quyet-dinh", "chinh-thuc"],
            "copy": [{"field": "ho_ten", "from": "ho_ten"}, {"field": "chi_bo", "from": "chi_bo"},
                     {"field": "ngay_nghi_quyet", "from": "ngay_nghi_quyet"},
                     {"field": "ngay_cong_nhan", "from": "ngay_quyet_dinh"}, {"field": "so_quyet_dinh", "from": "so_quyet_dinh"}],
            "set": [{"field": "loai", "from": "cap-moi"}]}], dv["followUps"]
        # A decision's number and date are asked with it (`event_fields`), after what its guards read, and neither is
        # required; an event without them asks what its guards read alone.
        events = {e["name"]: e for s in dv["states"] if s["id"] == "cho-quyet-dinh" for e in s["events"]}
        assert (events["cong-nhan"]["fields"], events["cong-nhan"]["required"]) == (["so_quyet_dinh", "ngay_quyet_dinh"], [])
        assert (events["xoa-ten"]["fields"], events["xoa-ten"]["required"]) == (["ly_do", "so_quyet_dinh", "ngay_quyet_dinh"], ["ly_do"])
        assert (events["tra-lai"]["fields"], events["tra-lai"]["required"]) == (["ly_do_tra_lai"], ["ly_do_tra_lai"])
        e = xcall(d, "Instance", id="dang-vien-du-bi/moi")["instance"]
        assert e["instance"]["state"] == "du-bi" and e["instance"]["deadlines"] == []
        # Then the chi bộ has 30 working days from 11/02/2027, just after Tết 2027 as the calendar projects it (off
        # 04–05/02 and 08–10/02, by precedent): the 30th is Wednesday 24/03/2027, provisional.
        # What is to be done by it, as the state's deadline names it (`deadline.title`).
        assert e["nextTransition"] == {"to": "cho-xet", "at": "2027-02-11T00:00:00+07:00", "due": "2027-03-24",
                                       "dueProvisional": True,
                                       "dueTitle": "Chi bộ họp xét, biểu quyết công nhận đảng viên chính thức"}
        e = xcall(d, "Instance", id="dang-vien-du-bi/cu")["instance"]
        assert e["instance"]["state"] == "cho-xet" and e.get("nextTransition") is None
        # How its deadline is counted, in words, by the key of the deadline ("" for the state's); none without one.
        assert e["bases"] == {"": "12 tháng sau «Ngày kết nạp (ngày chi bộ tổ chức lễ kết nạp)» (10/02/2025), "
                                 "rồi thêm 30 ngày làm việc"}, e
        assert "bases" not in xcall(d, "Instance", id="dang-vien-du-bi/moi")["instance"]
        # A page of instances carries it for those with no deadline open, where it is what comes next.
        page = xcall(d, "Instances", workflow="dang-vien-du-bi", limit=10)["instances"]
        assert [(x["instance"]["id"], (x.get("nextTransition") or {}).get("at")) for x in page] == [
            ("dang-vien-du-bi/cu", None), ("dang-vien-du-bi/moi", "2027-02-11T00:00:00+07:00")]
        assert not any("bases" in x for x in page), page
        # tiendod refuses a decision dated before the chi bộ's meeting, naming the field and both days; nothing changes.
        mcall(d, "SendEvent", id="dang-vien-du-bi/cu", event="bieu-quyet",
              data={"so_dang_vien_chinh_thuc": 30, "so_tan_thanh": 25, "ngay_nghi_quyet": "2026-03-20"})
        [refused] = raw(d, msg("vn.tiendo.Manager.SendEvent", {
            "id": "dang-vien-du-bi/cu", "event": "cong-nhan", "data": {"ngay_quyet_dinh": "2026-03-19"}}))
        assert refused["error"] == "vn.tiendo.Manager.InvalidData" and refused["parameters"]["field"] == "ngay_quyet_dinh", refused
        assert refused["parameters"]["reason"].startswith("19/03/2026 trước «Ngày chi bộ họp, ra nghị quyết» (20/03/2026)"), refused
        assert mcall(d, "GetInstance", id="dang-vien-du-bi/cu")["instance"]["state"] == "cho-quyet-dinh"
    finally:
        d.stop()


def test_a_day_task_of_one_record_names_its_member():
    """`DueDays(tasks:)`: a task whose items belong to one instance carries that instance and its name (`ho_ten`),
    read with the day's counts; a task of several instances names none; an instance with no name gets no label."""
    import conftest

    wf = """tiendo: 1
title: Hồ sơ có tên
fields:
  ho_ten: {type: text}
  chi_bo: {type: text}
  han: {type: date, required: true}
group_by: chi_bo
milestones:
  nop: {title: Nộp hồ sơ, due: han}
"""
    d = conftest.Daemon(files={"ten.yaml": wf})
    try:
        mcall(d, "ImportInstances", workflow="ten", rows=[
            {"key": "an", "ho_ten": "Nguyễn Văn An", "chi_bo": "Chi bộ 1", "han": "2026-03-10"},
            {"key": "binh", "ho_ten": "Trần Thị Bình", "chi_bo": "Chi bộ 1", "han": "2026-03-11"},
            {"key": "cuong", "ho_ten": "Lê Văn Cường", "chi_bo": "Chi bộ 2", "han": "2026-03-11"},
            {"key": "vo-danh", "chi_bo": "Chi bộ 2", "han": "2026-03-12"}])
        days = {x["date"]: x["tasks"] for x in
                xcall(d, "DueDays", workflow="ten", tasks=3, **{"from": "2026-03-01", "until": "2026-03-31"})["days"]}
        assert days["2026-03-10"] == [{"workflow": "ten", "title": "Nộp hồ sơ", "items": 1, "overdue": 0, "records": 1,
                                       "instance": "ten/an", "label": "Nguyễn Văn An"}], days
        assert [(t["records"], "instance" in t, "label" in t) for t in days["2026-03-11"]] == [(2, False, False)], days
        assert days["2026-03-12"][0]["instance"] == "ten/vo-danh" and "label" not in days["2026-03-12"][0], days
        # A workflow that names no list columns sends none.
        ten = [w for w in xcall(d, "Workflows")["workflows"] if w["id"] == "ten"][0]
        assert "listFields" not in ten, ten
    finally:
        d.stop()


def test_field_defaults_as_a_form_writes_them():
    """`FieldInfo.default`: what an empty field gives at a start, as a form or a CSV cell writes it back (a date
    YYYY-MM-DD, a boolean true/false, an enum's value, a number with a decimal point); none for a field without."""
    import conftest

    wf = """tiendo: 1
title: Mặc định
fields:
  han: {type: date, default: 2026-12-31}
  gio: {type: datetime, default: "2026-12-31T17:00"}
  co: {type: boolean, default: false}
  loai: {type: enum, values: [moi, cu], default: cu}
  diem: {type: number, default: 7.5}
  so: {type: integer, default: 3}
  ten: {type: text}
  nam: {type: integer, title: Năm thi đua, default: 2028}
  bat_dau: {type: date, title: Ngày bắt đầu, default: "{nam}-01-01"}
  ky: {type: date, default: bat_dau - 1d}
milestones:
  nop: {title: Nộp, due: han}
  ky-ket: {title: Ký, due: ky}
"""
    d = conftest.Daemon(files={"mac-dinh.yaml": wf})
    try:
        w = [w for w in xcall(d, "Workflows")["workflows"] if w["id"] == "mac-dinh"][0]
        defaults = {f["name"]: f.get("default") for f in w["fields"]}
        assert defaults == {"han": "2026-12-31", "gio": "2026-12-31T17:00:00+07:00", "co": "false", "loai": "cu",
                            "diem": "7.5", "so": "3", "ten": None, "nam": "2028", "bat_dau": None, "ky": None}, defaults
        # A day counted from other fields (an extension): no date, the rule in words; the record gets the year's days.
        rules = {f["name"]: f["defaultRule"] for f in w["fields"] if "defaultRule" in f}
        assert rules == {"bat_dau": "ngày 01/01 của năm ghi ở «Năm thi đua»", "ky": "1 ngày trước «Ngày bắt đầu»"}, rules
        mcall(d, "StartInstance", workflow="mac-dinh", key="a", data={"nam": 2029})
        shown = mcall(d, "GetInstance", id="mac-dinh/a")["instance"]
        assert shown["data"]["bat_dau"] == "2029-01-01" and shown["data"]["ky"] == "2028-12-31", shown["data"]
    finally:
        d.stop()


def test_instances_that_move_on_by_themselves_within_some_days():
    """`movesWithin`: the records with no deadline open whose timed transition comes within that many days — the
    members whose probation ends this month — and not those whose transition is later, nor those already waiting for
    the chi bộ's vote (a deadline open); no total; a bound outside 1…366 is refused."""
    import conftest

    with open(os.path.join(ROOT, "Workflows", "dang-vien-du-bi.yaml"), encoding="utf-8") as f:
        d = conftest.Daemon(files={"dang-vien-du-bi.yaml": f.read()}, fake_time="2026-04-03T09:00:00+07:00")
    try:
        rows = [{"key": "moi", "ngay_ket_nap": "2026-02-10", "chi_bo": "Chi bộ 3"},
                {"key": "sap-b", "ngay_ket_nap": "2025-04-20", "chi_bo": "Chi bộ 3"},
                {"key": "sap-a", "ngay_ket_nap": "2025-05-02", "chi_bo": "Chi bộ 4"},
                {"key": "thang-sau", "ngay_ket_nap": "2025-05-04", "chi_bo": "Chi bộ 4"},
                {"key": "cu", "ngay_ket_nap": "2025-02-10", "chi_bo": "Chi bộ 3"}]
        mcall(d, "ImportInstances", workflow="dang-vien-du-bi", rows=rows)
        reply = xcall(d, "Instances", workflow="dang-vien-du-bi", movesWithin=30)
        # 03/04 09:00 + 30 days = 03/05 09:00: sap-a moves at 00:00 on 03/05, thang-sau on 05/05.
        assert [(x["instance"]["id"], x["nextTransition"]["at"]) for x in reply["instances"]] == [
            ("dang-vien-du-bi/sap-a", "2026-05-03T00:00:00+07:00"), ("dang-vien-du-bi/sap-b", "2026-04-21T00:00:00+07:00")]
        assert reply.get("total") is None and reply.get("next") is None
        # Paged by id like every page, limited to the account's groups like every selection.
        first = xcall(d, "Instances", workflow="dang-vien-du-bi", movesWithin=30, limit=1)
        assert [x["instance"]["id"] for x in first["instances"]] == ["dang-vien-du-bi/sap-a"]
        rest = xcall(d, "Instances", workflow="dang-vien-du-bi", movesWithin=30, limit=1, after=first["next"])
        assert [x["instance"]["id"] for x in rest["instances"]] == ["dang-vien-du-bi/sap-b"] and rest.get("next") is None
        mine = xcall(d, "Instances", groups=["Chi bộ 3"], movesWithin=30)
        assert [x["instance"]["id"] for x in mine["instances"]] == ["dang-vien-du-bi/sap-b"]
        assert xcall(d, "Instances", movesWithin=30, overdue=True)["instances"] == []
        for bad in (0, 367):
            r = raw(d, msg(EXTRAS + ".Instances", {"movesWithin": bad}))[0]
            assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "movesWithin"}}, r
    finally:
        d.stop()


def test_due_days_say_what_each_day_is_about(daemon):
    """`DueDays(tasks:)`: each day's items by what they are about, which add up to the day's counts; one record's
    task names it; without `tasks` the reply is as before; out of 1…10 refused by name."""
    seed(daemon)
    span = {"from": "2026-02-01", "until": "2026-03-31"}
    plain = xcall(daemon, "DueDays", workflow="hop", **span)["days"]
    assert plain and all("tasks" not in d for d in plain)
    days = {d["date"]: d for d in xcall(daemon, "DueDays", workflow="hop", tasks=10, **span)["days"]}
    assert [(d["date"], d["items"], d["overdue"]) for d in plain] == [(d["date"], d["items"], d["overdue"]) for d in days.values()]
    for d in days.values():
        assert sum(t["items"] for t in d["tasks"]) == d["items"], d
        assert sum(t["overdue"] for t in d["tasks"]) == d["overdue"], d
    # x0, x1 and x2 are due 27/02 (overdue at the fake 02/03): their state's deadline and «Báo cáo», three records each.
    feb27 = days["2026-02-27"]["tasks"]
    assert {(t["title"], t["records"], t["overdue"]) for t in feb27} >= {("Báo cáo", 3, 3)}, feb27
    assert all("instance" not in t for t in feb27 if t["records"] > 1)
    # x3 alone on 02/03: each task names it.
    mar2 = days["2026-03-02"]["tasks"]
    assert mar2 and all(t["records"] == 1 and t["instance"] == "hop/x3" for t in mar2), mar2
    # Four more records due 26/02 put four «Tổng kết» (due the day after) on 27/02, beside three «Báo cáo» and three
    # of the state's deadline: the largest comes first though its title sorts last, and one task leaves six to «more».
    mcall(daemon, "ImportInstances", workflow="hop",
          rows=[{"key": f"t{i}", "han": "2026-02-26", "ma": "Chi bộ Bốn"} for i in range(4)])
    days = {d["date"]: d for d in xcall(daemon, "DueDays", workflow="hop", tasks=10, **span)["days"]}
    feb27 = days["2026-02-27"]["tasks"]
    assert [t["items"] for t in feb27] == sorted((t["items"] for t in feb27), reverse=True), feb27
    assert feb27[0]["title"] == "Tổng kết" and feb27[0]["items"] == 4 and feb27[0]["records"] == 4, feb27
    assert [t["title"] for t in feb27[1:]] == sorted(t["title"] for t in feb27[1:])
    one = {d["date"]: d for d in xcall(daemon, "DueDays", workflow="hop", tasks=1, **span)["days"]}
    assert all(len(d["tasks"]) == 1 for d in one.values())
    assert one["2026-02-27"]["tasks"] == feb27[:1] and one["2026-02-27"]["items"] - feb27[0]["items"] == 6
    assert [(d["date"], d["items"], d["overdue"]) for d in one.values()] == [
        (d["date"], d["items"], d["overdue"]) for d in xcall(daemon, "DueDays", workflow="hop", **span)["days"]]
    r = raw(daemon, msg(EXTRAS + ".DueDays", {**span, "tasks": 0}))[0]
    assert r == {"error": "org.varlink.service.InvalidParameter", "parameters": {"parameter": "tasks"}}
