import Foundation
import Testing
import TiendoCore
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// A short workflow whose dates fall within days, for fake-time runs.
let hopWorkflow = """
    tiendo: 1
    title: Quy trình thử nghiệm
    fields:
      ma: {type: text}
      han: {type: date, required: true}
    group_by: ma
    initial: moi
    states:
      moi:
        title: Mới
        after: {at: entered_at + 36h, to: xu-ly}
        on: {huy: huy}
      xu-ly:
        title: Đang xử lý
        deadline:
          due: han
          remind: [2d, 1d, 6h]
          overdue: {repeat: 1d, escalate: {2d: err}}
        on: {xong: xong}
      xong: {final: true}
      huy: {final: true}
    milestones:
      bao-cao:
        title: Báo cáo
        due: han + 1d at 17:00
        remind: [1d]

    """

/// Many instances whose reminder falls at the same instant.
let batchWorkflow = """
    tiendo: 1
    title: Lô lớn
    fields:
      so: {type: integer}
    milestones:
      m1: {title: Mốc một, due: 2026-03-05, remind: [1d]}

    """

func historyRows(_ db: String, _ sql: String) throws -> [String] {
    let (status, out) = try run("/usr/bin/sqlite3", ["-readonly", db, sql])
    guard status == 0 else { throw VarlinkError(name: "sqlite3", parameters: .string(out)) }
    return out.split(separator: "\n").map(String.init)
}

/// Rows on which the count tables the commit keeps disagree with a count of the instances themselves (0: they agree).
func countDisagreements(_ db: String) throws -> Int {
    let actual =
        "SELECT workflow, digest, stale, IFNULL(state, ''), IFNULL(grp, ''), completed, count(*) FROM instances GROUP BY 1, 2, 3, 4, 5, 6"
    let kept = "SELECT workflow, digest, stale, state, grp, completed, n FROM counts WHERE n <> 0"
    let actualW = "SELECT workflow, digest, stale, IFNULL(state, ''), completed, count(*) FROM instances GROUP BY 1, 2, 3, 4, 5"
    let keptW = "SELECT workflow, digest, stale, state, completed, n FROM workflow_counts WHERE n <> 0"
    let sql = [(actual, kept), (kept, actual), (actualW, keptW), (keptW, actualW)]
        .map { "(SELECT count(*) FROM (\($0.0) EXCEPT \($0.1)))" }.joined(separator: " + ")
    return Int(try historyRows(db, "SELECT " + sql).first ?? "") ?? -1
}

func records(_ json: JSON) -> [Record] { (json["records"]?.arrayValue ?? []).compactMap(Record.init(json:)) }

/// `at|kind|state-or-milestone|due` of a record, the identity compared with the plan.
func ident(_ r: Record) -> String { "\(r.atText)|\(r.kind.rawValue)|\(r.milestone ?? r.state ?? "")|\(r.due ?? "")" }

/// A daemon on a fresh workflows directory holding `files` (and the vn calendar), started on a fake clock.
func startDaemon(_ files: [String: String], at fakeTime: String, rate: Double) throws -> DaemonProcess {
    let dir = TempDir()
    let d = DaemonProcess(workflows: try workflowsDir(dir, files), dir: dir)
    try d.start(fakeTime: fakeTime, rate: rate)
    return d
}

/// Imports `hop/c1`, started 2026-03-02 09:00, due 2026-03-06.
func importC1(_ d: DaemonProcess) throws {
    _ = try d.call(
        "ImportInstances",
        [
            ("workflow", .string("hop")),
            (
                "rows",
                .array([
                    .object([("key", .string("c1")), ("started", .string("2026-03-02T09:00:00+07:00")), ("han", .string("2026-03-06"))])
                ])
            ),
        ])
}

@Suite(.serialized)
struct DaemonTests {
    @Test("records fire at the planned instants, and overdue notices repeat daily")
    func recordsAtPlannedInstants() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 86_400)
        let started = "2026-03-02T09:00:00+07:00"
        let reply = try d.call(
            "ImportInstances",
            [
                ("workflow", .string("hop")),
                (
                    "rows",
                    .array([
                        .object([
                            ("key", .string("a1")), ("started", .string(started)), ("ma", .string("X")), ("han", .string("2026-03-06")),
                        ])
                    ])
                ),
            ])
        #expect(reply["imported"]?.intValue == 1)
        // Plan the same instance with the engine.
        let (def, _) = Loader(searchPath: [d.workflows]).resolve("hop")
        let defn = try #require(def)
        let data: InstanceData = ["ma": .text("X"), "han": .date(CivilDate(2026, 3, 6))]
        let plan = Planner.plan(defn, data: data, start: defn.zone.parseInstant(started)!, until: CivilDate(2026, 3, 10))
        // Wait until the history holds every planned record and four overdue notices: fake time passing
        // 2026-03-10 08:00 is not enough, the scheduler may fire a moment later (an hour of fake time is 42 ms).
        var hist: [Record] = []
        func stateOverdue() -> [(String, Int)] {
            hist.filter { $0.kind == .overdue && $0.milestone == nil }.map { ($0.atText, $0.priority) }
        }
        let planned = plan.filter { $0.kind != .started }.map(ident)
        #expect(
            waitUntil(timeout: 30) {
                hist = records((try? d.call("History", [("id", .string("hop/a1"))])) ?? .null)
                let got = Set(hist.map(ident))
                return planned.allSatisfy(got.contains) && stateOverdue().count >= 4
            })
        let got = Set(hist.map(ident))
        for r in planned {
            #expect(got.contains(r), "planned \(r) missing from history")
        }
        // Repeats: overdue k = 1, 2, 3 of the state deadline, daily at 08:00; escalated to err (3) from 2 days.
        let overdue = stateOverdue()
        #expect(
            overdue.map(\.0).prefix(4) == [
                "2026-03-07T08:00:00+07:00", "2026-03-08T08:00:00+07:00", "2026-03-09T08:00:00+07:00", "2026-03-10T08:00:00+07:00",
            ])
        #expect(overdue.map(\.1).prefix(4) == [4, 4, 3, 3])
        // Nothing twice.
        #expect(Set(hist.map { "\($0.atText)|\($0.kind)|\($0.milestone ?? "")" }).count == hist.count)
        #expect(d.stop() == 0)
    }

    @Test("status files are written atomically, valid JSON, and updated after changes")
    func statusFiles() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        func status() -> JSON? {
            guard let data = FileManager.default.contents(atPath: d.runDir + "/status.json") else { return nil }
            return try? JSON.parse(String(decoding: data, as: UTF8.self))
        }
        #expect(waitUntil(timeout: 10) { status() != nil })
        #expect(status()?["version"]?.intValue == 1)
        #expect(status()?["daemon"]?["instances"]?.intValue == 0)
        _ = try d.call(
            "StartInstance",
            [
                ("workflow", .string("hop")), ("key", .string("k1")),
                ("data", .object([("ma", .string("G1")), ("han", .string("2026-03-03"))])),
            ])
        #expect(waitUntil(timeout: 30) { status()?["daemon"]?["instances"]?.intValue == 1 })
        let wfFile = try #require(FileManager.default.contents(atPath: d.runDir + "/workflows/hop.json"))
        let wfJSON = try JSON.parse(String(decoding: wfFile, as: UTF8.self))
        #expect(wfJSON["version"]?.intValue == 1)
        #expect(wfJSON["workflow"]?["instances"]?.intValue == 1)
        #expect(wfJSON["groups"]?["G1"]?["instances"]?.intValue == 1)
        #expect((wfJSON["upcoming"]?.arrayValue ?? []).contains { $0["instance"]?.stringValue == "hop/k1" })
        let prom = try String(contentsOfFile: d.runDir + "/tiendo.prom", encoding: .utf8)
        #expect(prom.contains("tiendo_instances{workflow=\"hop\",state=\"moi\"} 1"))
        #expect(prom.contains("tiendo_next_wakeup_seconds"))
        let attrs = try FileManager.default.attributesOfItem(atPath: d.runDir + "/status.json")
        #expect((attrs[.posixPermissions] as? Int) == 0o640)
        #expect(!FileManager.default.fileExists(atPath: d.runDir + "/status.json.tmp"))
        #expect(d.stop() == 0)
    }

    @Test("status files that cannot be written: one line when it begins, one when it ends, the directory made again")
    func statusWriteFailuresLoggedOnce() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        #expect(waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: d.runDir + "/status.json") })
        // The runtime directory replaced by a plain file: every write fails the same way.
        try FileManager.default.removeItem(atPath: d.runDir)
        #expect(FileManager.default.createFile(atPath: d.runDir, contents: Data()))
        func start(_ key: String) throws {
            _ = try d.call(
                "StartInstance",
                [
                    ("workflow", .string("hop")), ("key", .string(key)),
                    ("data", .object([("ma", .string("G1")), ("han", .string("2026-03-03"))])),
                ])
        }
        let failure = "Không ghi được tệp trạng thái trong \(d.runDir)"
        for key in ["k1", "k2", "k3"] {
            try start(key)
            Thread.sleep(forTimeInterval: 1.3)
        }
        #expect(d.log.components(separatedBy: failure).count - 1 == 1, "\(d.log)")
        #expect(!d.log.contains("Đã ghi lại được tệp trạng thái"))
        #expect(d.log.contains("\(d.runDir)/workflows: một phần của đường dẫn không phải thư mục"), "\(d.log)")
        // The plain file removed: the daemon makes the directory again by itself.
        try FileManager.default.removeItem(atPath: d.runDir)
        try start("k4")
        func instances() -> Int? {
            guard let data = FileManager.default.contents(atPath: d.runDir + "/status.json") else { return nil }
            return (try? JSON.parse(String(decoding: data, as: UTF8.self)))?["daemon"]?["instances"]?.intValue
        }
        #expect(waitUntil(timeout: 30) { instances() == 4 })
        #expect(waitUntil(timeout: 10) { d.log.contains("Đã ghi lại được tệp trạng thái trong \(d.runDir); hết lỗi.") })
        #expect(d.log.components(separatedBy: failure).count - 1 == 1, "\(d.log)")
        #expect(d.stop() == 0)
    }

    @Test("a workflow whose only open items are weeks away has a nextDue and no overdue or due-soon count")
    func onlyFarItems() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        _ = try d.call(
            "StartInstance", [("workflow", .string("hop")), ("key", .string("far")), ("data", .object([("han", .string("2026-12-30"))]))])
        let wf = try #require(try d.call("GetStatus")["workflows"]?.arrayValue?.first)
        #expect(wf["overdue"]?.intValue == 0)
        #expect(wf["dueSoon"]?.intValue == 0)
        #expect(wf["nextDue"]?["instance"]?.stringValue == "hop/far")
        #expect(d.stop() == 0)
    }

    @Test("a clock behind the last record written is said at start; nothing is sent again; operators' changes wait for it")
    func clockSetBack() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        let before = try ManagerClient(socketPath: d.socket).history(id: "hop/c1").count
        #expect(d.stop() == 0)
        try d.start(fakeTime: "2026-02-20T09:00:00+07:00")
        #expect(
            d.log.contains(
                "Đồng hồ đang chỉ 09:00 ngày 20/02/2026, sớm hơn 10 ngày so với bản ghi mới nhất trong cơ sở dữ liệu (09:00 ngày 02/03/2026): đồng hồ của máy có bị lùi không?"
            ), "\(d.log)")
        #expect(d.log.contains("thao tác của người dùng (thêm, nhập, ghi bước, hoàn tác) bị từ chối cho tới khi đồng hồ đúng lại"))
        // What a clock that ran ahead left, and the way back.
        #expect(d.log.contains(". 1 hồ sơ có trạng thái ghi vào lúc sau giờ này. Nếu trước đây đồng hồ đã chạy nhanh:"), "\(d.log)")
        #expect(d.log.contains("cách đưa về đúng là khôi phục bản sao lưu gần nhất từ trước lúc đồng hồ chạy nhanh"))
        #expect(try ManagerClient(socketPath: d.socket).history(id: "hop/c1").count == before)
        // Dated 20/02, a step would come before the record of 02/03 and count its deadlines from then: refused, with
        // both instants, and nothing changed — for every change an operator makes.
        let refusals: [(String, [(String, JSON)])] = [
            ("SendEvent", [("id", .string("hop/c1")), ("event", .string("huy"))]),
            ("CompleteMilestone", [("id", .string("hop/c1")), ("milestone", .string("bao-cao"))]),
            ("StartInstance", [("workflow", .string("hop")), ("key", .string("c2")), ("data", .object([("han", .string("2026-03-06"))]))]),
            (
                "ImportInstances",
                [("workflow", .string("hop")), ("rows", .array([.object([("key", .string("c3")), ("han", .string("2026-03-06"))])]))]
            ),
        ]
        for (method, parameters) in refusals {
            #expect(throws: VarlinkError.self) { try d.call(method, parameters) }
            do {
                _ = try d.call(method, parameters)
            } catch let e as VarlinkError {
                #expect(e.name == "vn.tiendo.Extras.ClockBehind", "\(method)")
                #expect(e.parameters["now"]?.stringValue?.hasPrefix("2026-02-20T09:00") == true, "\(e.parameters)")
                #expect(e.parameters["newest"]?.stringValue?.hasPrefix("2026-03-02T09:00:0") == true, "\(e.parameters)")
                #expect(
                    ManagerError(e).description
                        == "chưa ghi: đồng hồ của máy chủ đang chỉ \(Zone.vietnam.dateAndTime(Zone.vietnam.parseInstant(e.parameters["now"]!.stringValue!)!)), sớm hơn bản ghi mới nhất (02/03/2026 09:00), nên thao tác sẽ bị ghi sai ngày giờ. Hãy báo cán bộ kỹ thuật chỉnh lại đồng hồ của máy chủ rồi làm lại"
                )
            }
        }
        #expect(try ManagerClient(socketPath: d.socket).history(id: "hop/c1").count == before)
        #expect(try d.call("GetStatus")["status"]?["instances"]?.intValue == 1)
        // The status says it while it lasts (a technical officer looks there first).
        let behind = try d.call("GetStatus")["status"]?["clockBehind"]
        #expect(behind?["newest"]?.stringValue?.hasPrefix("2026-03-02T09:00:0") == true, "\(String(describing: behind))")
        #expect(behind?["now"]?.stringValue?.hasPrefix("2026-02-20T09:0") == true, "\(String(describing: behind))")
        // The journal says it once, with what to do.
        #expect(d.log.components(separatedBy: "Từ chối thao tác của người dùng: đồng hồ đang chỉ").count - 1 == 1, "\(d.log)")
        #expect(d.log.contains("khởi động lại tiendod với --trust-clock"))
        #expect(d.stop() == 0)
        // The operator says this clock is the right one: changes are dated by it.
        try d.start(fakeTime: "2026-02-20T09:00:00+07:00", extra: ["--trust-clock"])
        #expect(d.log.contains("theo --trust-clock, thao tác của người dùng vẫn được ghi theo giờ này"), "\(d.log)")
        #expect(try d.call("GetStatus")["status"]?["clockBehind"] == nil)
        _ = try d.call(
            "StartInstance", [("workflow", .string("hop")), ("key", .string("c2")), ("data", .object([("han", .string("2026-03-06"))]))])
        #expect(d.stop() == 0)
        // Taken as right for good: the next start without the flag does not refuse again.
        try d.start(fakeTime: "2026-02-20T10:00:00+07:00")
        #expect(try d.call("GetStatus")["status"]?["clockBehind"] == nil)
        _ = try d.call(
            "StartInstance", [("workflow", .string("hop")), ("key", .string("c4")), ("data", .object([("han", .string("2026-03-06"))]))])
        #expect(d.stop() == 0)
        // Restarted at its own time: no such line.
        let fresh = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        #expect(!fresh.log.contains("Đồng hồ đang chỉ"))
        #expect(fresh.stop() == 0)
    }

    @Test("kill -9 while firing a large batch loses nothing and doubles nothing")
    func killNineMidBatch() throws {
        let d = try startDaemon(["lo.yaml": batchWorkflow], at: "2026-03-01T00:00:00+07:00", rate: 1)
        let n = 30_000
        var imported = 0
        for chunk in stride(from: 0, to: n, by: 5000) {
            let rows: [JSON] = (chunk..<min(n, chunk + 5000)).map { .object([("key", .string("i\($0)")), ("so", .int($0))]) }
            imported += try d.call("ImportInstances", [("workflow", .string("lo")), ("rows", .array(rows))])["imported"]?.intValue ?? 0
        }
        #expect(imported == n)
        #expect(d.stop() == 0)
        // Restart when all reminders are due at once, and kill it in the middle of firing.
        let db = d.stateDir + "/tiendo.sqlite"
        try d.start(fakeTime: "2026-03-04T08:00:00+07:00", rate: 1, waitReady: false)
        #expect(
            waitUntil(timeout: 60) {
                ((try? historyRows(db, "SELECT count(*) FROM history WHERE kind='reminder'"))?.first.flatMap { Int($0) } ?? 0) > 0
            })
        d.kill9()
        let partial = Int(try historyRows(db, "SELECT count(*) FROM history WHERE kind='reminder'").first ?? "0") ?? 0
        #expect(partial > 0)
        // Every acknowledged import survived.
        #expect(try historyRows(db, "SELECT count(*) FROM instances") == ["\(n)"])
        try d.start(fakeTime: "2026-03-04T08:00:05+07:00", rate: 1)
        #expect(waitUntil(timeout: 120) { (try? historyRows(db, "SELECT count(*) FROM history WHERE kind='reminder'")) == ["\(n)"] })
        // Exactly once per instance, all sent.
        #expect(
            try historyRows(
                db, "SELECT count(*) FROM (SELECT instance FROM history WHERE kind='reminder' GROUP BY instance HAVING count(*) <> 1)") == [
                    "0"
                ])
        #expect(
            waitUntil(timeout: 30) {
                (try? historyRows(
                    db, "SELECT (SELECT max(seq) FROM history) - CAST(value AS INTEGER) FROM meta WHERE key = 'sent_through'")) == ["0"]
            }, "every record sent: the watermark at the last one")
        #expect(d.stop() == 0)
        // The per-state counts kept by the commits (import, firing, the batch cut by kill -9) match the instances.
        #expect(try countDisagreements(db) == 0)
        #expect(try historyRows(db, "SELECT n FROM workflow_counts WHERE n <> 0") == ["\(n)"])
        print("kill -9 after \(partial) of \(n) reminders; after restart \(n), each exactly once")
    }

    @Test("catch-up after a stop of several days: transitions in order, only the latest notice per deadline, a summary")
    func catchUpAfterStop() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        #expect(d.stop() == 0)
        try d.start(fakeTime: "2026-03-09T12:00:00+07:00", rate: 1)
        let hist = records(try d.call("History", [("id", .string("hop/c1"))]))
        let after = hist.filter { $0.kind != .started }
        #expect(
            after.map(ident) == [
                "2026-03-03T21:00:00+07:00|transition|xu-ly|",
                "2026-03-09T08:00:00+07:00|overdue|xu-ly|2026-03-06",
                "2026-03-09T08:00:00+07:00|overdue|bao-cao|2026-03-07T17:00:00+07:00",
            ])
        #expect(after.allSatisfy { ($0.late ?? 0) > 0 })
        let expectedLate = 5 * 86_400 + 15 * 3600  // 2026-03-03T21:00 → 2026-03-09T12:00
        #expect((expectedLate...(expectedLate + 5)).contains(after.first?.late ?? 0))
        #expect(d.log.contains("Bù 3 việc trễ hạn"))
        #expect(d.stop() == 0)
    }

    @Test("the clock going back then forward: nothing lost, nothing doubled")
    func clockBackAndForward() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        #expect(d.stop() == 0)
        try d.start(fakeTime: "2026-03-07T09:00:00+07:00", rate: 1)
        let first = records(try d.call("History", [("id", .string("hop/c1"))]))
        #expect(d.stop() == 0)
        // Back five days: nothing new.
        try d.start(fakeTime: "2026-03-02T10:00:00+07:00", rate: 3600)
        usleep(1_500_000)
        let back = records(try d.call("History", [("id", .string("hop/c1"))]))
        #expect(back.map(ident) == first.map(ident))
        #expect(d.stop() == 0)
        // Forward past two more overdue notices: only the latest of each deadline, no earlier one again.
        try d.start(fakeTime: "2026-03-09T09:00:00+07:00", rate: 1)
        let fwd = records(try d.call("History", [("id", .string("hop/c1"))]))
        let added = Array(fwd.dropFirst(first.count)).map(ident)
        #expect(
            added == [
                "2026-03-09T08:00:00+07:00|overdue|xu-ly|2026-03-06", "2026-03-09T08:00:00+07:00|overdue|bao-cao|2026-03-07T17:00:00+07:00",
            ])
        #expect(Set(fwd.map(ident)).count == fwd.count)
        #expect(d.stop() == 0)
    }

    @Test("reload with a broken file keeps the last good version and reports the problem")
    func reloadWithBrokenFile() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        _ = try d.call(
            "StartInstance", [("workflow", .string("hop")), ("key", .string("r1")), ("data", .object([("han", .string("2026-03-06"))]))])
        try "tiendo: 1\ntitle: [broken\n".write(toFile: d.workflows + "/hop.yaml", atomically: true, encoding: .utf8)
        d.signal(SIGHUP)
        #expect(
            waitUntil(timeout: 10) {
                let diags = (try? d.call("GetStatus"))?["status"]?["diagnostics"]?.arrayValue ?? []
                return diags.contains { $0["file"]?.stringValue?.hasSuffix("hop.yaml") == true && $0["severity"]?.stringValue == "error" }
            })
        // Still in force: the instance answers and events work.
        let inst = try d.call("SendEvent", [("id", .string("hop/r1")), ("event", .string("huy"))])
        #expect(inst["instance"]?["state"]?.stringValue == "huy")
        #expect(d.log.contains("giữ phiên bản tốt trước đó"))
        // The Reload method reports per-file problems and never DefinitionInvalid.
        let reload = try d.call("Reload")
        #expect((reload["diagnostics"]?.arrayValue ?? []).contains { $0["severity"]?.stringValue == "error" })
        #expect((reload["workflows"]?.arrayValue ?? []).contains { $0["id"]?.stringValue == "hop" })
        // A fixed file with a new title is picked up.
        try hopWorkflow.replacingOccurrences(of: "Quy trình thử nghiệm", with: "Quy trình đã sửa").write(
            toFile: d.workflows + "/hop.yaml", atomically: true, encoding: .utf8)
        let fixed = try d.call("Reload")
        #expect(fixed["diagnostics"]?.arrayValue?.isEmpty == true)
        #expect((fixed["workflows"]?.arrayValue ?? []).contains { $0["title"]?.stringValue == "Quy trình đã sửa" })
        #expect(d.stop() == 0)
    }

    @Test("a field's new type that stored values do not fit: the case stays on its version with all its data, at a reload and a start")
    func changedFieldTypeKeepsData() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        for (key, ma) in [("chu", "AB-12"), ("so", "5")] {
            _ = try d.call(
                "StartInstance",
                [
                    ("workflow", .string("hop")), ("key", .string(key)),
                    ("data", .object([("ma", .string(ma)), ("han", .string("2026-03-06"))])),
                ])
        }
        func instance(_ id: String) throws -> JSON? { try d.call("GetInstance", [("id", .string(id))])["instance"] }
        func write(_ text: String) throws { try text.write(toFile: d.workflows + "/hop.yaml", atomically: true, encoding: .utf8) }
        // `ma` becomes an integer: "AB-12" is none, so that case stays on its version, stale, every field kept (it
        // was stored as `{}` before 07/12/2026); "5" is read as the integer 5 and moves.
        try write(hopWorkflow.replacingOccurrences(of: "ma: {type: text}", with: "ma: {type: integer}"))
        let reload = try d.call("Reload")
        #expect(
            reload["diagnostics"]?.arrayValue?.contains {
                $0["message"]?.stringValue?.hasPrefix("1 hồ sơ chưa xong vẫn chạy phiên bản cũ của quy trình hop") == true
            } == true, "\(reload)")
        var chu = try instance("hop/chu")
        #expect(chu?["stale"]?.boolValue == true && chu?["data"]?["ma"]?.stringValue == "AB-12", "\(String(describing: chu))")
        #expect(chu?["data"]?["han"]?.stringValue == "2026-03-06")
        let so = try instance("hop/so")
        #expect(so?["stale"]?.boolValue == false && so?["data"]?["ma"]?.intValue == 5, "\(String(describing: so))")
        // The same after a restart.
        #expect(d.stop() == 0)
        try d.start(fakeTime: "2026-03-02T10:00:00+07:00", rate: 1)
        chu = try instance("hop/chu")
        #expect(chu?["stale"]?.boolValue == true && chu?["data"]?["ma"]?.stringValue == "AB-12")
        // The file as it was: that case moves back, whole; the integer 5 becomes the text "5" (nothing lost), so the
        // other moves too.
        try write(hopWorkflow)
        _ = try d.call("Reload")
        chu = try instance("hop/chu")
        #expect(chu?["stale"]?.boolValue == false && chu?["data"]?["ma"]?.stringValue == "AB-12", "\(String(describing: chu))")
        #expect(try instance("hop/so")?["stale"]?.boolValue == false && instance("hop/so")?["data"]?["ma"]?.stringValue == "5")
        // A compatible change (a new optional field) moves a case with its data.
        try write(hopWorkflow.replacingOccurrences(of: "  ma: {type: text}\n", with: "  ma: {type: text}\n  ghi_chu: {type: text}\n"))
        _ = try d.call("Reload")
        chu = try instance("hop/chu")
        #expect(chu?["stale"]?.boolValue == false && chu?["data"]?["ma"]?.stringValue == "AB-12", "\(String(describing: chu))")
        #expect(d.stop() == 0)
        #expect(try countDisagreements(d.stateDir + "/tiendo.sqlite") == 0)
    }

    @Test("an incompatible new version leaves instances pinned and stale")
    func staleInstances() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        _ = try d.call(
            "StartInstance", [("workflow", .string("hop")), ("key", .string("s1")), ("data", .object([("han", .string("2026-03-06"))]))])
        // Rename state `moi` away: s1 cannot move.
        let renamed = hopWorkflow.replacingOccurrences(of: "initial: moi", with: "initial: moi2").replacingOccurrences(
            of: "  moi:\n", with: "  moi2:\n")
        try renamed.write(toFile: d.workflows + "/hop.yaml", atomically: true, encoding: .utf8)
        // The reload's answer and the status say that a case stays on the earlier version.
        let reload = try d.call("Reload")
        let said = "1 hồ sơ chưa xong vẫn chạy phiên bản cũ của quy trình hop"
        #expect(reload["diagnostics"]?.arrayValue?.contains { $0["message"]?.stringValue?.hasPrefix(said) == true } == true, "\(reload)")
        // And the journal, where an operator looks after editing a file.
        #expect(d.log.contains(said), "\(d.log)")
        let status = try d.call("GetStatus")["status"]
        #expect(
            status?["diagnostics"]?.arrayValue?.contains {
                $0["severity"]?.stringValue == "warning" && $0["message"]?.stringValue?.hasPrefix(said) == true
            } == true)
        // A second reload, with nothing changed, still says so: the case is still on its version.
        let again = try d.call("Reload")
        #expect(again["diagnostics"]?.arrayValue?.contains { $0["message"]?.stringValue?.hasPrefix(said) == true } == true, "\(again)")
        let inst = try d.call("GetInstance", [("id", .string("hop/s1"))])["instance"]
        #expect(inst?["stale"]?.boolValue == true)
        #expect(inst?["state"]?.stringValue == "moi")
        // It still runs on its pinned version, also after a restart.
        #expect(d.stop() == 0)
        try d.start(fakeTime: "2026-03-04T09:00:00+07:00", rate: 1)
        let after = try d.call("GetInstance", [("id", .string("hop/s1"))])["instance"]
        #expect(after?["state"]?.stringValue == "xu-ly")
        #expect(after?["stale"]?.boolValue == true)
        #expect(d.stop() == 0)
        #expect(try countDisagreements(d.stateDir + "/tiendo.sqlite") == 0)
    }
}

/// A stopped daemon of 400 `hop` instances whose database has the root page of the history's per-instance index
/// overwritten: nothing start-up reads (every record was sent, and none is written until a client asks), but
/// `quick_check` reads it. (Not the history table's own root: start-up reads the records after the sent watermark
/// through it.) Returns the daemon and the database path.
func daemonWithDamagedHistory() throws -> (DaemonProcess, String) {
    let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
    let rows: [JSON] = (0..<400).map { .object([("key", .string("c\($0)")), ("han", .string("2026-03-20"))]) }
    _ = try d.call("ImportInstances", [("workflow", .string("hop")), ("rows", .array(rows))])
    #expect(d.stop() == 0)
    let db = d.stateDir + "/tiendo.sqlite"
    // Everything in the main file first, so no WAL copy of the page hides the damage.
    #expect(try run("/usr/bin/sqlite3", [db, "PRAGMA wal_checkpoint(TRUNCATE)"]).0 == 0)
    let root = try #require(Int(try historyRows(db, "SELECT rootpage FROM sqlite_master WHERE name = 'history_instance'").first ?? ""))
    let pageSize = try #require(Int(try historyRows(db, "PRAGMA page_size").first ?? ""))
    for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
    let file = try #require(FileHandle(forUpdatingAtPath: db))
    file.seek(toFileOffset: UInt64((root - 1) * pageSize))
    file.write(Data(repeating: 0xA5, count: pageSize))
    try file.close()
    return (d, db)
}

@Suite(.serialized)
struct BadStateTests {
    @Test("a corrupt database file: clear error, non-zero exit, file untouched")
    func corruptDatabase() throws {
        let dir = TempDir()
        let d = DaemonProcess(workflows: Build.workflows, dir: dir)
        try FileManager.default.createDirectory(atPath: d.stateDir, withIntermediateDirectories: true)
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) })
        try garbage.write(to: URL(fileURLWithPath: d.stateDir + "/tiendo.sqlite"))
        let p = try d.start(fakeTime: nil, waitReady: false)
        p.waitUntilExit()
        // 65: systemd does not start it again (RestartPreventExitStatus=); the operator restores a backup.
        #expect(p.terminationStatus == 65)
        #expect(d.log.contains("không phải cơ sở dữ liệu") || d.log.contains("hỏng"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: d.stateDir + "/tiendo.sqlite")) == garbage)
    }

    @Test("damage found by the integrity check after READY stops the daemon with status 65, file untouched")
    func damageFoundAfterReady() throws {
        let (d, db) = try daemonWithDamagedHistory()
        let damaged = try Data(contentsOf: URL(fileURLWithPath: db))
        // With the inline limit at 0 the check runs after READY: the daemon becomes ready, then stops on its own
        // (possibly before a client could connect: the check of a small file is quick).
        let p = try d.start(fakeTime: "2026-03-02T09:10:00+07:00", rate: 1, env: ["TIENDO_INLINE_CHECK_BYTES": "0"], waitReady: false)
        #expect(waitUntil(timeout: 60) { !p.isRunning })
        #expect(p.terminationStatus == 65)
        let log = d.log
        let ready = try #require(log.range(of: "đã sẵn sàng"))
        let damage = try #require(log.range(of: "Kiểm tra toàn vẹn"))
        #expect(ready.lowerBound < damage.lowerBound)
        #expect(log.contains("tiendo.sqlite thất bại"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == damaged)
    }

    @Test("a foreign SQLite database is refused and left alone")
    func foreignDatabase() throws {
        let dir = TempDir()
        let d = DaemonProcess(workflows: Build.workflows, dir: dir)
        try FileManager.default.createDirectory(atPath: d.stateDir, withIntermediateDirectories: true)
        let db = d.stateDir + "/tiendo.sqlite"
        _ = try run(
            "/usr/bin/sqlite3", [db, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);"])
        let p = try d.start(fakeTime: nil, waitReady: false)
        p.waitUntilExit()
        #expect(p.terminationStatus == 65)
        #expect(d.log.contains("không phải cơ sở dữ liệu của tiendo"))
        #expect(try historyRows(db, "SELECT total FROM invoices") == ["9.5"])
    }

    @Test("a read-only state directory: clear error, non-zero exit", .enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func readOnlyStateDirectory() throws {
        let dir = TempDir()
        let d = DaemonProcess(workflows: Build.workflows, dir: dir)
        try FileManager.default.createDirectory(atPath: d.stateDir, withIntermediateDirectories: true)
        let (st, out) = try run("/bin/mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", d.stateDir])
        try #require(st == 0, "mount failed: \(out)")
        defer { _ = try? run("/bin/umount", [d.stateDir]) }
        let p = try d.start(fakeTime: nil, waitReady: false)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(d.log.contains("Không khởi động được"))
        #expect(
            d.log.lowercased().contains("chỉ đọc") || d.log.contains("Read-only") || d.log.contains("CANTOPEN")
                || d.log.contains("không mở được"))
    }

    @Test(
        "a full state directory: writes fail loudly, nothing acknowledged is lost",
        .enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func fullStateDirectory() throws {
        let dir = TempDir()
        let wf = try workflowsDir(dir, ["lo.yaml": batchWorkflow])
        let d = DaemonProcess(workflows: wf, dir: dir)
        try FileManager.default.createDirectory(atPath: d.stateDir, withIntermediateDirectories: true)
        let (st, out) = try run("/bin/mount", ["-t", "tmpfs", "-o", "size=800k", "tmpfs", d.stateDir])
        try #require(st == 0, "mount failed: \(out)")
        defer { _ = try? run("/bin/umount", [d.stateDir]) }
        try d.start(fakeTime: "2026-03-01T00:00:00+07:00", rate: 1)
        var acknowledged = 0
        var failure: VarlinkError?
        for chunk in 0..<200 {
            let rows: [JSON] = (0..<200).map { .object([("key", .string("f\(chunk)-\($0)")), ("so", .int($0))]) }
            do {
                acknowledged +=
                    try d.call("ImportInstances", [("workflow", .string("lo")), ("rows", .array(rows))])["imported"]?.intValue ?? 0
            } catch let e as VarlinkError {
                failure = e
                break
            }
        }
        #expect(failure != nil, "the disk never filled up")
        #expect(failure?.name.hasPrefix("org.varlink.service.") == true || failure?.name.hasPrefix("vn.tiendo.Manager.") == true)
        // Still serving reads.
        let status = try d.call("GetStatus")
        #expect(status["status"]?["instances"]?.intValue == acknowledged)
        #expect(d.stop() == 0)
    }
}
