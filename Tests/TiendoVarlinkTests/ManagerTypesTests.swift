import Testing
import TiendoCore
import TiendoVarlink

/// `GetInstance` of the contract's example (interfaces §5), as a daemon sends it today (nulls for absent members, no
/// `deadlines`) and as the contract's daemon will (with `deadlines` and a recurring milestone).
private let todayInstanceText = #"""
    {"instance": {"id": "dang-vien-du-bi/dvdb-2025-014", "workflow": "dang-vien-du-bi", "state": "cho-xet",
     "data": {"ngay_ket_nap": "2025-02-10", "chi_bo": "Chi bộ 3"}, "startedAt": "2025-02-10T00:00:00+07:00",
     "enteredAt": "2026-02-11T00:00:00+07:00", "completed": false, "stale": false,
     "milestones": [{"id": "bao-cao", "title": "Báo cáo", "due": "2026-04-10", "done": false, "doneAt": null,
                     "overdue": false, "requires": []}],
     "next": null}}
    """#

private let contractInstanceText = #"""
    {"instance": {"id": "dang-vien-du-bi/dvdb-2025-014", "workflow": "dang-vien-du-bi", "state": "cho-xet",
     "data": {"ngay_ket_nap": "2025-02-10", "chi_bo": "Chi bộ 3"}, "startedAt": "2025-02-10T00:00:00+07:00",
     "enteredAt": "2026-02-11T00:00:00+07:00", "completed": false, "stale": false,
     "milestones": [{"id": "dang-phi", "title": "Nộp đảng phí", "due": "2027-03-31", "done": false,
                     "overdue": true, "requires": [], "every": "1mo", "occurrence": "2027-03", "openCount": 2,
                     "provisional": true}],
     "deadlines": [{"workflow": "dang-vien-du-bi", "instance": "dang-vien-du-bi/dvdb-2025-014",
                    "state": "cho-xet", "title": "Chờ chi bộ xét công nhận chính thức",
                    "due": "2026-03-31", "daysLeft": -3, "overdue": true, "group": "Chi bộ 3"},
                   {"workflow": "dang-vien-du-bi", "instance": "dang-vien-du-bi/dvdb-2025-014", "state": "cho-xet",
                    "milestone": "dang-phi", "occurrence": "2027-03", "title": "Nộp đảng phí", "due": "2027-03-31",
                    "daysLeft": 362, "overdue": false, "provisional": true, "group": "Chi bộ 3"}],
     "next": null, "addedLater": {"x": 1}}}
    """#

@Suite struct ManagerTypesTests {
    @Test("an instance as today's daemon sends it reads, with the contract's new members nil")
    func todaysInstance() throws {
        let i = try Manager.GetInstance.reply(from: JSON.parse(todayInstanceText))
        #expect(i.id == "dang-vien-du-bi/dvdb-2025-014" && i.state == "cho-xet" && !i.completed && !i.stale)
        #expect(i.data["chi_bo"] == .string("Chi bộ 3"))
        #expect(i.deadlines == nil && i.next == nil)
        let m = try #require(i.milestones.first)
        #expect(m.doneAt == nil && m.every == nil && m.occurrence == nil && m.openCount == nil && m.provisional == nil)
    }

    @Test("the contract's new members read: deadlines, occurrences, provisional dues; unknown members are ignored")
    func contractInstance() throws {
        let i = try Manager.GetInstance.reply(from: JSON.parse(contractInstanceText))
        let d = try #require(i.deadlines)
        #expect(d.count == 2)
        #expect(d[0].due == "2026-03-31" && d[0].daysLeft == -3 && d[0].overdue && d[0].milestone == nil && d[0].provisional == nil)
        #expect(d[1].occurrence == "2027-03" && d[1].provisional == true)
        let m = try #require(i.milestones.first)
        #expect(m.every == "1mo" && m.occurrence == "2027-03" && m.openCount == 2 && m.provisional == true)
    }

    @Test("a stale instance whose definition is gone comes as id, workflow and stale only")
    func bareStaleInstance() throws {
        let i = try Manager.Instance(json: JSON.parse(#"{"id": "a/b", "workflow": "a", "stale": true}"#), path: "instance")
        #expect(i.stale && i.startedAt == "" && i.milestones.isEmpty && i.data == .object([]))
        // Not stale: the same members are required.
        #expect(throws: ReplyDecodingError(path: "instance.data", reason: "thiếu")) {
            try Manager.Instance(json: JSON.parse(#"{"id": "a/b", "workflow": "a", "stale": false}"#), path: "instance")
        }
    }

    @Test("a reply of the wrong shape names the member and the reason")
    func wrongShape() throws {
        let page =
            #"{"instances": [{"id": "a/1", "workflow": "a", "stale": false, "data": {}, "startedAt": "x", "#
            + #""enteredAt": "x", "completed": false, "milestones": [{"id": "m", "title": "M", "due": 5}]}]}"#
        #expect(throws: ReplyDecodingError(path: "instances[0].milestones[0].due", reason: "cần chuỗi, có number")) {
            try Manager.ListInstances.reply(from: JSON.parse(page))
        }
        #expect(throws: ReplyDecodingError(path: "items", reason: "thiếu")) { try Manager.Agenda.reply(from: .object([])) }
        let e = ReplyDecodingError(path: "status.pid", reason: "thiếu")
        #expect(e.description.contains("'status.pid'"))
    }

    @Test("every type round-trips through JSON with all members set")
    func roundTrip() throws {
        let due = Manager.DueItem(
            workflow: "w", instance: "w/k", state: "s", milestone: "m", occurrence: "2027-03", title: "T", due: "2027-03-31",
            daysLeft: 4, overdue: false, provisional: true, group: "G")
        let milestone = Manager.Milestone(
            id: "m", title: "M", due: "2027-03-31", done: true, doneAt: "2027-03-02T08:00:00+07:00", overdue: false,
            requires: ["a", "b"], every: "1mo", occurrence: "2027-03", openCount: 0, provisional: true)
        let instance = Manager.Instance(
            id: "w/k", workflow: "w", state: "s", data: .object([("f", .int(1))]), startedAt: "a", enteredAt: "b",
            completed: true, stale: true, milestones: [milestone], deadlines: [due], next: due)
        var record = Manager.Record(at: "2027-03-01T08:00:00+07:00", kind: .rescheduled, workflow: "w", priority: 5, message: "Dời hạn")
        (record.instance, record.state, record.from, record.to, record.event) = ("w/k", "s", "a", "b", "e")
        (record.milestone, record.occurrence, record.due, record.previousDue) = ("m", "2027-03", "2027-04-01", "2027-03-31")
        (record.daysLeft, record.missed, record.late, record.provisional, record.group, record.actor) = (3, 2, 60, true, "G", 0)
        let diag = Manager.Diagnostic(file: "f.yaml", line: 3, column: 7, severity: "warning", message: "m")
        let summary = Manager.WorkflowSummary(
            id: "w", title: "W", digest: "d", instances: 3, active: 2, completed: 1, overdue: 1, dueSoon: 1, provisional: 4,
            states: [.init(state: "s", count: 2), .init(state: "a", count: 1)], nextDue: due)
        let status = Manager.DaemonStatus(
            version: "1", pid: 7, startedAt: "a", now: "b", nextWakeup: "c", workflows: 1, instances: 3, overdue: 1,
            provisional: 4, diagnostics: [diag])
        #expect(try Manager.DueItem(json: due.json, path: "") == due)
        #expect(try Manager.Milestone(json: milestone.json, path: "") == milestone)
        #expect(try Manager.Instance(json: instance.json, path: "") == instance)
        #expect(try Manager.Record(json: record.json, path: "") == record)
        #expect(try Manager.Diagnostic(json: diag.json, path: "") == diag)
        #expect(try Manager.WorkflowSummary(json: summary.json, path: "") == summary)
        #expect(try Manager.DaemonStatus(json: status.json, path: "") == status)
        // Absent optional members are left out, as the record contract says.
        let bare = Manager.Record(at: "t", kind: .started, workflow: "w", priority: 6, message: "m").json
        #expect(bare.serialized() == #"{"at":"t","kind":"started","workflow":"w","priority":6,"message":"m"}"#)
    }

    @Test("error replies become typed errors with the Vietnamese one-liner; unknown or malformed ones stay raw")
    func errors() throws {
        func typed(_ name: String, _ p: String) throws -> ManagerError {
            ManagerError(VarlinkError(name: name, parameters: try JSON.parse(p)))
        }
        let m = "vn.tiendo.Manager."
        #expect(try typed(m + "NoSuchInstance", #"{"id": "a/b"}"#) == .noSuchInstance(id: "a/b"))
        #expect(try typed(m + "InvalidData", #"{"field": "han", "reason": "r"}"#) == .invalidData(field: "han", reason: "r"))
        let rejected = try typed(m + "EventRejected", #"{"id": "a/b", "event": "x", "state": null, "reason": "r"}"#)
        #expect(rejected == .eventRejected(id: "a/b", event: "x", state: nil, reason: "r"))
        #expect(rejected.description == "sự kiện bị từ chối: r (hồ sơ 'a/b', sự kiện 'x')")
        let imp = try typed(
            m + "ImportRejected", #"{"errors": [{"file": "w", "line": 2, "column": 0, "severity": "error", "message": "x"}]}"#)
        #expect(imp.diagnostics.map(\.line) == [2])
        #expect(
            try typed(m + "LimitExceeded", #"{"limit": "xuat-sac", "group": "G", "count": 3, "max": 2}"#).description
                == "vượt giới hạn xuat-sac trong nhóm «G»: sẽ có 3, tối đa 2")
        #expect(try typed("org.varlink.service.PermissionDenied", "{}") == .permissionDenied)
        #expect(try typed("org.varlink.service.InternalError", "{}").description == "tiendod gặp sự cố (xem journalctl -u tiendod)")
        let unknown = VarlinkError(name: "vn.tiendo.Manager.Later", parameters: .object([("x", .int(1))]))
        #expect(ManagerError(unknown) == .other(unknown))
        #expect(ManagerError(unknown).description == #"tiendod trả lỗi vn.tiendo.Manager.Later {"x":1}"#)
        let malformed = VarlinkError(name: m + "NoSuchInstance", parameters: .object([("id", .int(3))]))
        #expect(ManagerError(malformed) == .other(malformed))
    }

    @Test("calls leave absent parameters out and send actor only when given")
    func parameters() {
        #expect(
            Manager.StartInstance(workflow: "w").request.json.serialized()
                == #"{"method":"vn.tiendo.Manager.StartInstance","parameters":{"workflow":"w"}}"#)
        let sent = Manager.SendEvent(id: "w/k", event: "done", data: .object([("milestone", .string("m"))]), actor: "Nguyễn Thị Hà")
        #expect(sent.parameters.map(\.0) == ["id", "event", "data", "actor"])
        #expect(Manager.Reload().parameters.isEmpty && Manager.Reload(actor: "a").parameters.map(\.0) == ["actor"])
        #expect(Manager.CompleteMilestone(id: "w/k", milestone: "m@2027-03").parameters.map(\.0) == ["id", "milestone"])
        #expect(Manager.ImportInstances(workflow: "w", rows: [], actor: "x").parameters.map(\.0) == ["workflow", "rows", "actor"])
        let list = Manager.ListInstances(workflow: "w", where: [("chi_bo", "Chi bộ 3")], overdue: true, limit: 10)
        #expect(JSON.object(list.parameters).serialized() == #"{"workflow":"w","where":{"chi_bo":"Chi bộ 3"},"overdue":true,"limit":10}"#)
        #expect(Manager.Agenda(days: 7).parameters.map(\.0) == ["days"])
    }
}
