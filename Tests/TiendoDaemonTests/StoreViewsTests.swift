import Foundation
import GRDB
import Testing
import TiendoCore

@testable import TiendoDaemon
@testable import TiendoStore

/// The store's counts (kept by every commit) and the Agenda writer, on a real SQLite file driven through the daemon's
/// own operations (import, tick, events) with the shipped workflows.
@Suite("store aggregates and the Agenda writer", .serialized)
struct StoreViewsTests {
    final class QuietSink: RecordSink, LogWriter {
        func emit(_ records: [TiendoCore.Record]) -> Bool { true }
        func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)], code: CodeLocation?) {}
    }

    static let workflows: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Workflows").path
    }()

    /// Runs `sql` on the database at `path` in the `sqlite3` program (another process, its own connection); its exit
    /// status.
    static func sqlite3(_ path: String, _ sql: String) throws -> Int32 {
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [path, sql]
        try sqlite.run()
        sqlite.waitUntilExit()
        return sqlite.terminationStatus
    }

    /// Agenda's answer as `writeAgendaParameters` writes it, after checking that it equals the JSON built item by item
    /// (`dueItemJSON`) from the store's rows, and that both writers give it: from the rows, and from the index in
    /// memory (built at the first call; every later commit of the test keeps it in step, and it must hold what
    /// `due_items` holds). With the rows it was built from.
    static func checkedAgenda(_ d: Daemon, until: Instant, group: String? = nil, now: Instant) throws -> (answer: JSON, rows: [DueRow]) {
        let v = d.views
        let rows = try d.store.snapshot { try $0.dueItems(until: until, workflow: nil, group: group, limit: 100_000) }
        let expected = JSON.object([("items", .array(rows.map { v.dueItemJSON($0, now: now) }))])
        func written(_ write: (inout ByteWriter) throws -> Void) throws -> JSON {
            var w = ByteWriter()
            w.append(#"{"items":["#)
            try write(&w)
            w.append("]}")
            return try w.withBytes { try JSON.parse(buffer: $0) }
        }
        #expect(try written { try v.writeAgendaFromRows(until: until, workflow: nil, group: group, now: now, to: &$0) } == expected)
        try d.store.buildDueIndex()
        let (index, filter) = try #require(d.store.dueIndex?.snapshot(workflow: nil, group: group))
        #expect(
            Bool(
                index.rows()
                    == (try d.store.snapshot { try $0.dueItems(until: Instant(seconds: .max), workflow: nil, group: nil, limit: 1_000_000) })
            ))
        #expect(try written { v.writeAgenda(index, filter: filter, until: until, now: now, to: &$0) } == expected)
        var w = ByteWriter(capacity: 16)
        try v.writeAgendaParameters(until: until, workflow: nil, group: group, now: now, to: &w)
        let answer = try w.withBytes { try JSON.parse(buffer: $0) }
        #expect(answer == expected)
        // The varlink reply sent in parts of 1,000 bytes and more: the parts and the rest make the whole message.
        var parts: [[UInt8]] = []
        let rest = try #require(
            try v.agendaReply(until: until, workflow: nil, group: group, now: now, partBytes: 1_000) { parts.append($0) }.message)
        let whole = try #require(
            VarlinkReply.ok(sizeHint: 0) { w in try v.writeAgendaParameters(until: until, workflow: nil, group: group, now: now, to: &w) }
                .message)
        #expect(Bool(parts.joined() + rest == whole))
        #expect(parts.allSatisfy { $0.count >= 1_000 } && (parts.count >= 2 || whole.count < 3_000))
        return (answer, rows)
    }

    /// A daemon on a fresh state directory, its fake clock at 2026-04-10 09:00 (+07:00), with 90 probationary members
    /// in 6 chi bộ (admitted between 01/2025 and 02/2026: some already waiting for the vote, some overdue) after one
    /// tick, and a few of them voted on or struck off.
    static func populated() throws -> (Daemon, String) {
        let dir = try makeTemporaryDirectory("store")
        let options = DaemonOptions(
            workflowDirectories: [workflows], stateDirectory: dir + "/state", runtimeDirectory: dir + "/status", version: "0.test")
        try FileManager.default.createDirectory(atPath: options.stateDirectory, withIntermediateDirectories: true)
        let start = try #require(Zone.vietnam.parseInstant("2026-04-10T09:00"))
        let d = try Daemon(options: options, clock: DaemonClock(fakeStart: start, rate: 1), sink: QuietSink())
        d.loadDefinitions()
        let base = CivilDate(2025, 1, 6)
        let rows: [[(String, JSON)]] = (0..<90).map { i in
            [
                ("key", .string("dv\(i)")), ("ho_ten", .string("Nguyễn Văn \(i)")),
                ("chi_bo", .string("Chi bộ Khu dân cư số \(i % 6 + 1)")),
                ("ngay_ket_nap", .string(base.adding(days: i * 5).iso)),
            ]
        }
        #expect(try d.importInstances(workflow: "dang-vien-du-bi", rows: rows, actor: nil) == .imported(90))
        _ = try d.tick(now: d.clock.now())
        for i in [0, 1, 2] {
            _ = try d.sendEvent(
                id: "dang-vien-du-bi/dv\(i)", event: "bieu-quyet",
                data: [("so_dang_vien_chinh_thuc", .int(30)), ("so_tan_thanh", .int(24))],
                idempotencyKey: nil, actor: nil)
        }
        // The chi bộ proposes; the committee's decision has come for two of the three.
        for i in [0, 1] {
            _ = try d.sendEvent(id: "dang-vien-du-bi/dv\(i)", event: "cong-nhan", data: [], idempotencyKey: nil, actor: nil)
        }
        _ = try d.sendEvent(
            id: "dang-vien-du-bi/dv3", event: "bieu-quyet", data: [("so_dang_vien_chinh_thuc", .int(30)), ("so_tan_thanh", .int(15))],
            idempotencyKey: nil, actor: nil)
        _ = try d.sendEvent(
            id: "dang-vien-du-bi/dv4", event: "xoa-ten", data: [("ly_do", .string("chuyển đi"))], idempotencyKey: nil, actor: nil)
        return (d, dir)
    }

    @Test("a search matches a record's code and its values, not its field names, escaped characters included")
    func searchMatcher() throws {
        let data = #"{"ho_ten":"Nguyễn Văn \"An\"","so_the":12345,"ngay":"2026-03-10"}"#
        func finds(_ term: String, id: String = "the-dang-vien/dv-0042", in text: String = data) throws -> Bool {
            let matches = try #require(ControlService.matcher(term))
            return matches(id, text)
        }
        #expect(try finds("nguyen van"))
        #expect(try finds("VĂN \"an"))  // a quote is escaped in the stored text: matched through the parsed value
        #expect(try finds("2345") && finds("2026-03"))
        #expect(try finds("dv-0042") && finds("the-dang-vien/dv-0042"))
        #expect(try !finds("ho_ten") && !finds("the-dang-vien") && !finds("tran"))
        // Text that is no JSON object is nobody's values.
        #expect(try !finds("nguyen", in: "nguyen"))
        #expect(ControlService.matcher("   ") == nil)
    }

    @Test("the counts the commits keep equal a recount of every instance row")
    func countsMatchRecount() throws {
        let (d, dir) = try Self.populated()
        defer { removeTemporaryDirectory(dir) }
        // Recount from the instance rows themselves.
        var byGroup: [String: [String: Int]] = [:]
        var completed = 0
        var total = 0
        var after: String?
        while true {
            let page = try d.store.instances(workflow: "dang-vien-du-bi", limit: 50, after: after, definition: d.definition)
            if page.isEmpty { break }
            for row in page {
                let group = row.instance.data["chi_bo"].map { $0.display(zone: .vietnam) } ?? ""
                byGroup[group, default: [:]][row.instance.state ?? "", default: 0] += 1
                if row.instance.completed { completed += 1 }
                total += 1
            }
            after = page.last?.instance.id
        }
        #expect(total == 90)
        #expect(completed == 3)  // two confirmed by the committee's decision, one struck off

        let counts = try #require(try d.store.snapshot { try $0.counts(groups: true) }["dang-vien-du-bi"])
        #expect(counts.instances == 90)
        #expect(counts.completed == completed)
        #expect(counts.groups.map(\.name) == byGroup.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        for g in counts.groups {
            #expect(g.instances == byGroup[g.name]!.values.reduce(0, +))
            #expect(Dictionary(uniqueKeysWithValues: g.states) == byGroup[g.name]!)
        }
        var states: [String: Int] = [:]
        for (_, s) in byGroup { for (k, n) in s { states[k, default: 0] += n } }
        #expect(counts.states == states)
        #expect(states["chinh-thuc"] == 2 && states["cho-quyet-dinh"] == 1 && states["xoa-ten"] == 1 && states["cho-xet-lai"] == 1)
        // Without groups: the same totals.
        let flat = try #require(try d.store.snapshot { try $0.counts(groups: false) }["dang-vien-du-bi"])
        #expect(flat.instances == 90 && flat.completed == completed && flat.states == states && flat.groups.isEmpty)
        // The limits' count reads the same table.
        let g1 = "Chi bộ Khu dân cư số 1"
        #expect(
            try d.store.write { try $0.count(workflow: "dang-vien-du-bi", states: ["du-bi", "cho-xet"], group: g1, groupField: true) }
                == (byGroup[g1]!["du-bi"] ?? 0) + (byGroup[g1]!["cho-xet"] ?? 0))
        #expect(try d.store.write { try $0.count(workflow: "dang-vien-du-bi", states: ["chinh-thuc"], group: nil, groupField: false) } == 2)
    }

    @Test("the write connection syncs every commit (synchronous=FULL), or what --synchronous asks")
    func synchronousFull() throws {
        let dir = try makeTemporaryDirectory("sync")
        defer { removeTemporaryDirectory(dir) }
        #expect(try Store(path: dir + "/a.sqlite").synchronousMode() == 2)
        #expect(try Store(path: dir + "/b.sqlite", synchronous: "NORMAL").synchronousMode() == 1)
        #expect(try Store(path: dir + "/c.sqlite", synchronous: "EXTRA").synchronousMode() == 3)
    }

    @Test("a database of the first schema gains the counts, exact, when opened")
    func migrationFromV1() throws {
        let (d, dir) = try Self.populated()
        defer { removeTemporaryDirectory(dir) }
        let before = try d.store.snapshot { try $0.counts(groups: true) }
        // Back to schema v1: what a database written by the previous release looks like.
        #expect(
            try Self.sqlite3(
                d.store.path,
                """
                DROP TRIGGER counts_delete; DROP TABLE counts;
                DROP TABLE workflow_counts; DROP INDEX due_items_by_end;
                CREATE INDEX due_items_end ON due_items(due_end);
                DELETE FROM grdb_migrations WHERE identifier IN ('v2', 'v7-counts-in-commit', 'v10-no-workflow-due-index');
                """) == 0)
        let reopened = try Store(path: d.store.path)
        let after = try reopened.snapshot { try $0.counts(groups: true) }
        #expect(after.keys.sorted() == before.keys.sorted())
        for (wf, c) in before {
            let a = try #require(after[wf])
            #expect(a.instances == c.instances && a.completed == c.completed && a.states == c.states)
            #expect(a.groups.map(\.name) == c.groups.map(\.name))
            #expect(a.groups.map(\.instances) == c.groups.map(\.instances))
        }
    }

    @Test("GetStatus's per-group summaries carry each group's overdue instances")
    func summariesPerGroup() throws {
        let (d, dir) = try Self.populated()
        defer { removeTemporaryDirectory(dir) }
        let now = d.clock.now()
        let s = try d.summaries(now: now, groups: true)
        let groups = try #require(s.groups["dang-vien-du-bi"])
        #expect(groups.count == 6)
        let overdueItems = try d.store.snapshot { try $0.dueItems(until: now, workflow: "dang-vien-du-bi", group: nil, limit: 1000) }
        #expect(!overdueItems.isEmpty)
        for g in groups {
            let expected = Set(overdueItems.filter { ($0.group ?? "") == g.counts.name }.map(\.instance)).count
            #expect(g.overdue == expected, "\(g.counts.name)")
        }
        #expect(s.overdue == Set(overdueItems.map(\.instance)).count)
        #expect(try d.summaries(now: now, groups: false).groups.isEmpty)
        // «Due within 7 days» is Việc cần làm's window: to the end of the seventh day, not 7 × 24 hours from now.
        let week = Views.weekAhead(of: now)
        #expect(Zone.vietnam.iso(week) == "2026-04-18T00:00:00+07:00")
        let soonItems = try d.store.snapshot { try $0.dueItems(until: week, workflow: "dang-vien-du-bi", group: nil, limit: 1000) }
        let summary = try #require(s.workflows.first { $0["id"]?.stringValue == "dang-vien-du-bi" })
        #expect(summary["dueSoon"]?.intValue == Set(soonItems.filter { $0.dueEnd > now }.map(\.instance)).count)
        // A card case started on 07/04: its first step is due 17/04, the seventh day from Friday 10/04, 09:00.
        _ = try d.startInstance(
            workflow: "the-dang-vien", key: "t7", data: [("ho_ten", .string("A")), ("chi_bo", .string("Chi bộ Khu dân cư số 1"))],
            actor: nil, started: Zone.vietnam.parseInstant("2026-04-07T09:00"))
        let cards = try #require(try d.summaries(now: now, groups: false).workflows.first { $0["id"]?.stringValue == "the-dang-vien" })
        #expect(cards["dueSoon"]?.intValue == 1 && cards["overdue"]?.intValue == 0, "\(cards)")
    }

    @Test("reads through one snapshot see one moment while another connection commits")
    func snapshotIsolation() throws {
        let (d, dir) = try Self.populated()
        defer { removeTemporaryDirectory(dir) }
        let now = d.clock.now()
        let bounds: [Int64] = [86_400]
        func read(_ s: Store.Snapshot) throws -> (instances: Int, items: Int, overdue: Int, next: Instant?) {
            let instances = try s.counts(groups: false)["dang-vien-du-bi"]?.instances ?? -1
            let items = try s.dueItems(until: now.adding(seconds: 400 * 86_400), workflow: nil, group: nil, limit: 100_000).count
            let overdue = try s.overdueAges(now: now, bounds: bounds).count
            let next = try s.nextWakeup()
            return (instances, items, overdue, next)
        }
        let before = try d.store.snapshot(read)
        #expect(before.instances == 90 && before.items > 0 && before.overdue > 0 && before.next != nil)
        try d.store.snapshot { s in
            let first = try read(s)
            // Another process commits between two reads of the same snapshot (WAL: it does not wait for us).
            #expect(
                try Self.sqlite3(
                    d.store.path,
                    """
                    UPDATE workflow_counts SET n = n + 5 WHERE workflow = 'dang-vien-du-bi';
                    DELETE FROM due_items; UPDATE instances SET next_wakeup = NULL;
                    """) == 0)
            let second = try read(s)
            #expect(second.instances == first.instances && second.items == first.items && second.overdue == first.overdue)
            #expect(second.next == first.next)
        }
        // A new snapshot sees the commit.
        let after = try d.store.snapshot(read)
        #expect(after.items == 0 && after.overdue == 0 && after.next == nil && after.instances > before.instances)
    }

    @Test("provisional counts kept by the triggers equal a recount; Agenda's rows carry occurrences and provisional")
    func provisionalCounts() throws {
        let dir = try makeTemporaryDirectory("prov")
        defer { removeTemporaryDirectory(dir) }
        let options = DaemonOptions(
            workflowDirectories: [Self.workflows], stateDirectory: dir + "/state", runtimeDirectory: dir + "/status", version: "0.test")
        let start = try #require(Zone.vietnam.parseInstant("2026-12-28T09:00"))
        let d = try Daemon(options: options, clock: DaemonClock(fakeStart: start, rate: 1), sink: QuietSink())
        d.loadDefinitions()
        // Admitted every 3 days from 01/11/2025: the reviews due before 2027 are official, the later ones provisional.
        let rows: [[(String, JSON)]] = (0..<40).map { i in
            [
                ("key", .string("dv\(i)")), ("chi_bo", .string("Chi bộ \(i % 4)")),
                ("ngay_ket_nap", .string(CivilDate(2025, 11, 1).adding(days: 3 * i).iso)),
            ]
        }
        #expect(try d.importInstances(workflow: "dang-vien-du-bi", rows: rows, actor: nil) == .imported(40))
        let meetings: [[(String, JSON)]] = (0..<3).map { [("key", .string("cb\($0)")), ("chi_bo", .string("Chi bộ \($0)"))] }
        #expect(try d.importInstances(workflow: "sinh-hoat-chi-bo", rows: meetings, actor: nil) == .imported(3))
        _ = try d.tick(now: d.clock.now())
        func recount() throws -> Int {
            try d.store.instances(workflow: "dang-vien-du-bi", limit: 1000, after: nil, definition: d.definition).reduce(0) { n, row in
                n + Engine(d.definition(row.instance.digest)!).openDeadlines(row.instance).filter(\.provisional).count
            }
        }
        let counted = try d.store.snapshot { try $0.provisionalCounts() }["dang-vien-du-bi"] ?? 0
        #expect(counted == (try recount()))
        #expect(counted > 0 && counted < 40)
        // Proposed for striking off: their items close, the committee's in calendar days (not provisional) opens, and
        // the counts follow. (A passing vote would open the committee's 30 working days, provisional in 2027 too.)
        let provisionalIDs = try d.store.snapshot {
            try $0.dueItems(until: start.adding(seconds: 400 * 86_400), workflow: "dang-vien-du-bi", group: nil, limit: 1000)
        }
        .filter(\.provisional).map(\.instance)
        for id in provisionalIDs.prefix(3) {
            _ = try d.sendEvent(
                id: id, event: "de-nghi-xoa-ten", data: [("ly_do", .string("Không đủ điều kiện"))], idempotencyKey: nil, actor: nil)
        }
        #expect(try d.store.snapshot { try $0.provisionalCounts() }["dang-vien-du-bi"] == counted - 3)
        #expect(try d.store.snapshot { try $0.provisionalCounts() }["dang-vien-du-bi"] == (try recount()))
        #expect(try d.summaries(now: d.clock.now(), groups: false).provisional == counted - 3)
        // The byte writer and the item-by-item JSON agree, occurrences and provisional flags included.
        let now = d.clock.now()
        let items = try Self.checkedAgenda(d, until: now.adding(seconds: 60 * 86_400), now: now).rows
        #expect(items.contains { $0.provisional } && items.contains { $0.occurrence == "2026-12" })
    }

    @Test("Agenda written straight from the rows equals the JSON built item by item")
    func agendaBytes() throws {
        let (d, dir) = try Self.populated()
        defer { removeTemporaryDirectory(dir) }
        let now = d.clock.now()
        for (days, group) in [(7, nil), (60, nil), (400, "Chi bộ Khu dân cư số 2"), (0, nil)] as [(Int, String?)] {
            let until = Zone.vietnam.endOfDay(Zone.vietnam.date(of: now).adding(days: days))
            #expect(!(try Self.checkedAgenda(d, until: until, group: group, now: now).rows.isEmpty))
        }
        let wide = try d.store.snapshot {
            try $0.dueItems(until: now.adding(seconds: 400 * 86_400), workflow: nil, group: nil, limit: 100_000)
        }
        #expect(wide.contains { $0.dueEnd <= now } && wide.contains { $0.dueEnd > now })
    }

    @Test("Agenda over workflows in different zones: each item's daysLeft counts from its own zone's today")
    func agendaAcrossZones() throws {
        let dir = try makeTemporaryDirectory("agenda-zones")
        defer { removeTemporaryDirectory(dir) }
        // Kiritimati (UTC+14) is a day ahead of Hà Nội at 20:00 there: its items interleave with Hà Nội's in due order.
        // The shipped calendars come along (every workflow names one, `vn` by default).
        try FileManager.default.createDirectory(atPath: dir + "/workflows", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.workflows + "/calendars", toPath: dir + "/workflows/calendars")
        for (name, zone) in [("gan", "Asia/Ho_Chi_Minh"), ("xa", "Pacific/Kiritimati")] {
            let yaml = """
                tiendo: 1
                title: Hạn \(name)
                timezone: \(zone)
                fields:
                  han: {type: date, required: true}
                initial: mo
                states:
                  mo:
                    title: Đang mở
                    deadline: {due: han}
                    on: {xong: xong}
                  xong: {final: true}

                """
            try yaml.write(toFile: dir + "/workflows/\(name).yaml", atomically: true, encoding: .utf8)
        }
        let options = DaemonOptions(
            workflowDirectories: [dir + "/workflows"], stateDirectory: dir + "/state", runtimeDirectory: dir + "/status",
            version: "0.test")
        let now = try #require(Zone.vietnam.parseInstant("2026-04-10T20:00"))
        let d = try Daemon(options: options, clock: DaemonClock(fakeStart: now, rate: 1), sink: QuietSink())
        d.loadDefinitions()
        for name in ["gan", "xa"] {
            let rows: [[(String, JSON)]] = (0..<5).map { i in
                [("key", .string("k\(i)")), ("han", .string(CivilDate(2026, 4, 12).adding(days: i).iso))]
            }
            #expect(try d.importInstances(workflow: name, rows: rows, actor: nil) == .imported(5))
        }
        let items = try Self.checkedAgenda(d, until: now.adding(seconds: 30 * 86_400), now: now).answer["items"]?.arrayValue ?? []
        #expect(items.map { $0["workflow"]?.stringValue ?? "" } == Array(repeating: ["xa", "gan"], count: 5).flatMap { $0 })
        let first = items.first { $0["instance"]?.stringValue == "xa/k0" }
        #expect(first?["daysLeft"]?.intValue == 1)  // 12/04 seen from 11/04 in Kiritimati
        #expect(items.first { $0["instance"]?.stringValue == "gan/k0" }?["daysLeft"]?.intValue == 2)
    }

    @Test("Agenda's remembered due date answers as a fresh parse, a date that does not parse included")
    func lastDate() {
        var dates = Views.LastDate()
        let texts = [
            "2025-11-10T17:00:00+07:00", "2025-11-10T08:00:00+07:00", "2025-11-10", "2025-11-11T17:00:00+07:00",
            "2025-13-01T17:00:00+07:00", "2025-13-01T08:00:00+07:00", "2025-11-11", "2025-11-1", "", "2026-02-29",
            "2025-11-11T00:00:00+07:00", "2025/11/11", "2025-11-11",
        ]
        for text in texts {
            let (remembered, fresh) = Array(text.utf8).withUnsafeBufferPointer { b in
                (dates.dayNumber(isoDate: b), Views.dayNumber(isoDate: b))
            }
            #expect(remembered == fresh, "\(text)")
        }
        #expect(Array("2025-11-10".utf8).withUnsafeBufferPointer { Views.dayNumber(isoDate: $0) } == CivilDate(2025, 11, 10).dayNumber)
    }

    @Test("one workflow's overdue instances, read from its overdue items, are the instances with an overdue item, page by page")
    func overdueInstancesOfOneWorkflow() throws {
        let (d, dir) = try Self.populated()
        defer { removeTemporaryDirectory(dir) }
        // Half a year on, so that more members are overdue.
        let now = d.clock.now().adding(seconds: 180 * 86_400)
        let expected = try d.store.snapshot { s in
            try String.fetchAll(
                s.db,
                sql: """
                    SELECT id FROM instances WHERE workflow = 'dang-vien-du-bi'
                    AND EXISTS (SELECT 1 FROM due_items d WHERE d.instance = instances.id AND d.due_end <= ?) ORDER BY id
                    """, arguments: [now.seconds])
        }
        #expect(expected.count > 9 && expected.count < 90, "some overdue, not all: \(expected.count)")
        func pages(_ scope: Store.Scope, matching: ((String, String) -> Bool)? = nil) throws -> [String] {
            var all: [String] = []
            var after: String?
            while true {
                let page = try d.store.instancePage(
                    scope: scope, overdueAt: now, after: after, limit: 7, matching: matching, definition: { _ in nil })
                all += page.map(\.instance.id)
                guard page.count == 7 else { return all }
                after = page.last!.instance.id
            }
        }
        #expect(try pages(Store.Scope(workflow: "dang-vien-du-bi")) == expected)
        // The scope's other conditions and a search apply to each instance read.
        let state = try #require(
            try d.store.snapshot { s in
                try String.fetchOne(s.db, sql: "SELECT state FROM instances WHERE id = ?", arguments: [expected[0]])
            })
        let inState = try d.store.snapshot { s in
            try String.fetchAll(
                s.db,
                sql:
                    "SELECT id FROM instances WHERE id IN (\(expected.map { "'\($0)'" }.joined(separator: ","))) AND state = ? ORDER BY id",
                arguments: [state])
        }
        #expect(try pages(Store.Scope(workflow: "dang-vien-du-bi", state: state)) == inState)
        #expect(
            try pages(Store.Scope(workflow: "dang-vien-du-bi"), matching: { id, _ in id.hasSuffix("1") })
                == expected.filter { $0.hasSuffix("1") })
        #expect(try pages(Store.Scope(workflow: "khac")) == [])
        // Limited to groups, the query by group answers, with the same instances.
        let groups = (1...6).map { "Chi bộ Khu dân cư số \($0)" }
        #expect(try pages(Store.Scope(workflow: "dang-vien-du-bi", groups: groups)) == expected)
    }
}
