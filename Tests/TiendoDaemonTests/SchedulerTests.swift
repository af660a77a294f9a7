import Foundation
import Synchronization
import Testing
import TiendoCore
import TiendoDaemon

import class GRDB.DatabaseQueue

/// The scheduler in process on a manual clock: a real store on disk, the real firing path (`Daemon.tick`), no event
/// loop and no waiting, so weeks of schedule run in milliseconds. The process-level tests (Tests/TiendodTests)
/// cover the loop, the timer and the socket on a fake clock.
@Suite struct SchedulerTests {
    /// Keeps what the daemon emits, in order; while `refusing`, takes nothing and says so (journald gone).
    final class CapturingSink: RecordSink, LogWriter {
        private let kept = Mutex<[Record]>([])
        private let logged = Mutex<[String]>([])
        private let refuses = Mutex(false)
        var records: [Record] { kept.withLock { $0 } }
        /// The daemon's own messages, in order.
        var messages: [String] { logged.withLock { $0 } }
        var refusing: Bool {
            get { refuses.withLock { $0 } }
            set { refuses.withLock { $0 = newValue } }
        }
        func emit(_ records: [Record]) -> Bool {
            if refusing { return false }
            kept.withLock { $0 += records }
            return true
        }
        func log(_ priority: Int, _ message: String, event: DaemonEvent?, fields: [(String, String)], code: CodeLocation?) {
            logged.withLock { $0.append(message) }
        }
    }

    static let workflow = """
        tiendo: 1
        title: Hạn thử trên đồng hồ tay
        fields:
          han: {type: date, required: true}
        initial: xu-ly
        states:
          xu-ly:
            title: Đang xử lý
            deadline:
              due: han
              remind: [3d, 1d]
              overdue: {repeat: 1d}
            on: {xong: xong}
          xong: {final: true}

        """

    struct Fixture {
        let daemon: Daemon
        let time: ManualTime
        let sink: CapturingSink
        let dir: String

        init(at start: String, importRecordsInMemory: Int? = nil, batchSize: Int? = nil) throws {
            var (dir, options) = try Fixture.directory(importRecordsInMemory: importRecordsInMemory)
            if let batchSize { options.batchSize = batchSize }
            self.dir = dir
            time = ManualTime(try #require(Zone.vietnam.parseInstant(start)))
            sink = CapturingSink()
            daemon = try Daemon(options: options, clock: DaemonClock(manual: time), sink: sink)
            #expect(daemon.loadDefinitions().diagnostics.filter { $0.severity == .error }.isEmpty)
        }

        /// A fresh directory with the test workflow and the shipped calendars, and the daemon's options for it.
        static func directory(importRecordsInMemory: Int? = nil) throws -> (String, DaemonOptions) {
            let dir = try makeTemporaryDirectory("scheduler")
            try FileManager.default.createDirectory(atPath: dir + "/workflows", withIntermediateDirectories: true)
            try SchedulerTests.workflow.write(toFile: dir + "/workflows/han-thu.yaml", atomically: true, encoding: .utf8)
            // The shipped working calendar (every workflow has one; this one counts calendar days only).
            var root = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { root.deleteLastPathComponent() }
            try FileManager.default.copyItem(
                atPath: root.appendingPathComponent("Workflows/calendars").path, toPath: dir + "/workflows/calendars")
            var options = DaemonOptions(
                workflowDirectories: [dir + "/workflows"], stateDirectory: dir + "/state", runtimeDirectory: dir + "/status",
                version: "0.test")
            if let importRecordsInMemory { options.importRecordsInMemory = importRecordsInMemory }
            return (dir, options)
        }

        /// Fires what is due now and returns the records this tick emitted.
        func tick() throws -> [Record] {
            let before = sink.records.count
            _ = try daemon.tick(now: daemon.clock.now())
            return Array(sink.records.dropFirst(before))
        }
    }

    @Test("each notice fires at its instant and not a second earlier, once, and a finished case never wakes the daemon")
    func firesOnTheManualClock() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "a", data: [("han", .string("2027-03-10"))], actor: nil)
        #expect(f.sink.records.map(\.kind) == [.started])
        #expect(try f.tick().isEmpty)

        // The two reminders, each at the wake-up the store announced and not before.
        for expectedReminder in 1...2 {
            let wake = try #require(try f.daemon.store.nextWakeup())
            #expect(wake > f.time.now)
            f.time.set(Instant(seconds: wake.seconds - 1))
            #expect(try f.tick().isEmpty, "nothing fires a second before the wake-up")
            f.time.set(wake)
            let fired = try f.tick()
            #expect(fired.map(\.kind) == [.reminder], "reminder \(expectedReminder)")
            #expect(fired.first?.at == wake)
            #expect(try f.tick().isEmpty, "a second tick at the same instant emits nothing")
        }

        // The due passes: the first overdue notice at the next wake-up, then one a day.
        let due = try #require(try f.daemon.store.nextWakeup())
        f.time.set(due)
        let first = try f.tick()
        #expect(first.map(\.kind) == [.overdue])
        #expect(first.first?.due != nil)
        f.time.advance(seconds: 86_400)
        #expect(try f.tick().map(\.kind) == [.overdue])

        // Done: nothing left to wake for, however far the clock goes.
        _ = try f.daemon.sendEvent(id: "han-thu/a", event: "xong", data: [], idempotencyKey: nil, actor: nil)
        #expect(try f.daemon.store.nextWakeup() == nil)
        f.time.advance(seconds: 90 * 86_400)
        #expect(try f.tick().isEmpty)
        let all = f.sink.records
        #expect(all.filter { $0.kind == .reminder }.count == 2)
        #expect(all.filter { $0.kind == .overdue }.count == 2)
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.at <= $1.at }, "records come out in time order")
    }

    @Test("a month skipped in one step: the catch-up sends only the latest overdue notice and says how late it is")
    func catchUpInOneStep() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        for i in 0..<50 {
            _ = try f.daemon.startInstance(
                workflow: "han-thu", key: "k\(i)", data: [("han", .string(CivilDate(2027, 3, 2 + i % 20).iso))], actor: nil)
        }
        // To 11:00, three hours after the day's notices (08:00, the workflow's default reminder time).
        f.time.advance(seconds: 40 * 86_400 + 3 * 3600)
        let fired = try f.tick()
        let overdue = fired.filter { $0.kind == .overdue }
        #expect(overdue.count == 50, "one notice per case, not one per day missed")
        #expect(Set(overdue.compactMap(\.instance)).count == 50)
        #expect(overdue.allSatisfy { $0.late == 3 * 3600 }, "\(overdue.map { ($0.at, $0.late) })")
        #expect(try f.tick().isEmpty)
        // The next wake-up is tomorrow's repetition, after now.
        let wake = try #require(try f.daemon.store.nextWakeup())
        #expect(wake > f.time.now && wake.seconds <= f.time.now.seconds + 86_400)
    }

    @Test("a catch-up bounded in time: a batch a tick, a heartbeat a batch, every notice once, one summary at the end")
    func boundedTicks() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00", batchSize: 10)
        defer { removeTemporaryDirectory(f.dir) }
        for i in 0..<35 {
            _ = try f.daemon.startInstance(
                workflow: "han-thu", key: "k\(i)", data: [("han", .string(CivilDate(2027, 3, 2 + i % 20).iso))], actor: nil)
        }
        let beats = Mutex(0)
        f.daemon.heartbeat = { beats.withLock { $0 += 1 } }
        f.time.advance(seconds: 40 * 86_400 + 3 * 3600)
        let before = f.sink.records.count
        var ticks: [Daemon.TickResult] = []
        // A bound already passed: each tick stops after its first batch while more is due.
        while ticks.count < 10 {
            let r = try f.daemon.tick(now: f.daemon.clock.now(), within: 0)
            ticks.append(r)
            f.daemon.tallyCatchUp(r, reason: "khi thức dậy")
            if r.complete { break }
        }
        #expect(ticks.map(\.complete) == [false, false, false, true])
        #expect(ticks.map(\.records) == [10, 10, 10, 5])
        #expect(beats.withLock { $0 } == 4)
        let fired = Array(f.sink.records.dropFirst(before))
        #expect(fired.count == 35 && fired.allSatisfy { $0.kind == .overdue })
        #expect(Set(fired.compactMap(\.instance)).count == 35, "each case once")
        let summaries = f.sink.messages.filter { $0.hasPrefix("Bù ") }
        #expect(summaries == ["Bù 35 việc trễ hạn khi thức dậy (nhiều nhất trễ 3 giờ)"], "\(summaries)")
        #expect(try f.tick().isEmpty)
    }

    @Test("rows without a key get one generated prefix per import, so the ids stored are the ids the first pass checked")
    func keylessRowsShareOnePrefix() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let rows: [[(String, JSON)]] = (0..<3).map { _ in [("han", .string("2027-03-10"))] }
        #expect(try f.daemon.importInstances(workflow: "han-thu", rows: rows, actor: nil) == .imported(3))
        let ids = try f.daemon.store.instances(workflow: "han-thu", limit: 10, after: nil) { _ in nil }.map(\.instance.id)
        let prefixes = Set(ids.map { $0.split(separator: "-").dropLast().joined(separator: "-") })
        #expect(ids.count == 3 && prefixes.count == 1, "\(ids)")
        #expect(Set(ids.map { $0.split(separator: "-").last.map(String.init) }) == ["1", "2", "3"])
    }

    @Test(
        "an import's records go out once each, each case's in order, and are marked sent, whether kept in memory or read back",
        arguments: [nil, 40])
    func importEmitsEveryRecord(kept: Int?) throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00", importRecordsInMemory: kept)
        defer { removeTemporaryDirectory(f.dir) }
        // Backdated starts and dues: each row starts and catches up on an overdue notice (two records a row).
        let rows: [[(String, JSON)]] = (0..<100).map { i in
            [("key", .string("r\(i)")), ("started", .string("2027-02-01")), ("han", .string(CivilDate(2027, 2, 10 + i % 15).iso))]
        }
        #expect(try f.daemon.importInstances(workflow: "han-thu", rows: rows, actor: nil) == .imported(100))
        let records = f.sink.records
        #expect(records.filter { $0.kind == .started }.count == 100)
        #expect(records.filter { $0.kind == .overdue }.count == 100)
        #expect(Set(records.map { "\($0.kind.rawValue) \($0.instance ?? "")" }).count == records.count, "each record once")
        var seen = Set<String>()
        for r in records where r.kind == .overdue || r.kind == .started {
            if r.kind == .started { seen.insert(r.instance ?? "") } else { #expect(seen.contains(r.instance ?? ""), "started first") }
        }
        f.daemon.flushSentMarks()
        #expect(try f.daemon.store.unsent(limit: 10).read == 0, "every record marked sent")
    }

    @Test("records the sink refused wait in the outbox with every newer one, then go out once each, in order")
    func refusedRecordsWaitInOrder() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let watched = Mutex<[String]>([])
        f.daemon.onRecords = { rs in watched.withLock { $0 += rs.compactMap(\.instance) } }
        func start(_ key: String) throws {
            _ = try f.daemon.startInstance(workflow: "han-thu", key: key, data: [("han", .string("2027-03-10"))], actor: nil)
        }
        try start("a")
        f.sink.refusing = true
        try start("b")
        f.sink.refusing = false
        // Newer records wait behind the refused one instead of overtaking it.
        try start("c")
        #expect(f.sink.records.compactMap(\.instance) == ["han-thu/a"])
        f.sink.refusing = true
        f.daemon.flushSentMarks()
        #expect(f.sink.records.compactMap(\.instance) == ["han-thu/a"], "still refused at the idle turn")
        f.sink.refusing = false
        f.daemon.flushSentMarks()
        #expect(f.sink.records.compactMap(\.instance) == ["han-thu/a", "han-thu/b", "han-thu/c"])
        #expect(try f.daemon.store.unsent(limit: 10).read == 0, "the watermark covers them")
        #expect(watched.withLock { $0 } == ["han-thu/a", "han-thu/b", "han-thu/c"], "each shown to watchers once")
        // Caught up: the next record goes out at once again.
        try start("d")
        #expect(f.sink.records.compactMap(\.instance).last == "han-thu/d")
    }

    @Test("records of a large import the sink refuses wait in the outbox, and newer records wait behind them")
    func refusedImportWaitsInTheOutbox() throws {
        // Above 10 records an import's records are read back from the outbox instead of kept in memory.
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00", importRecordsInMemory: 10)
        defer { removeTemporaryDirectory(f.dir) }
        let rows: [[(String, JSON)]] = (0..<30).map { i in [("key", .string("r\(i)")), ("han", .string("2027-03-20"))] }
        f.sink.refusing = true
        #expect(try f.daemon.importInstances(workflow: "han-thu", rows: rows, actor: nil) == .imported(30))
        #expect(f.daemon.outboxBehind)
        f.sink.refusing = false
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "sau", data: [("han", .string("2027-03-10"))], actor: nil)
        #expect(f.sink.records.isEmpty, "the newer record does not overtake the import's")
        f.daemon.flushSentMarks()
        let ids = f.sink.records.compactMap(\.instance)
        #expect(ids == (0..<30).map { "han-thu/r\($0)" } + ["han-thu/sau"])
        #expect(!f.daemon.outboxBehind)
        #expect(try f.daemon.store.unsent(limit: 10).read == 0)
    }

    @Test("the idle loop tries records journald refused again by itself, and they go out within seconds")
    func idleLoopRetriesTheOutbox() throws {
        let (dir, options) = try Fixture.directory()
        defer { removeTemporaryDirectory(dir) }
        let sink = CapturingSink()
        let daemon = try Daemon(
            options: options, clock: DaemonClock(manual: ManualTime(Instant(seconds: 1_803_776_400))), sink: sink)
        daemon.loadDefinitions()
        sink.refusing = true
        _ = try daemon.startInstance(workflow: "han-thu", key: "a", data: [("han", .string("2027-03-10"))], actor: nil)
        #expect(daemon.outboxBehind)
        let loop = try EventLoop(daemon: daemon, hooks: LifecycleHooks())
        let returned = DispatchSemaphore(value: 0)
        Thread {
            loop.run()
            returned.signal()
        }.start()
        // The loop's first turns try and fail; then it sleeps with nothing queued and nothing due.
        loop.withDaemon { _ in }
        usleep(300_000)
        sink.refusing = false
        let deadline = Date().addingTimeInterval(20)
        while sink.records.isEmpty && Date() < deadline { usleep(50_000) }
        #expect(sink.records.compactMap(\.instance) == ["han-thu/a"])
        #expect(loop.withDaemon { !$0.outboxBehind })
        loop.stop()
        #expect(returned.wait(timeout: .now() + .seconds(60)) == .success)
    }

    @Test("a history row that does not parse is passed over, and the records after it still go out")
    func unreadableRowIsPassedOver() throws {
        let f = try Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        func start(_ key: String) throws {
            _ = try f.daemon.startInstance(workflow: "han-thu", key: key, data: [("han", .string("2027-03-10"))], actor: nil)
        }
        try start("a")
        f.daemon.flushSentMarks()
        // A damaged row after the watermark, then a record the sink refuses: both wait in the outbox.
        let db = try DatabaseQueue(path: f.dir + "/state/tiendo.sqlite")
        try db.write { db in
            try db.execute(
                sql: "INSERT INTO history(instance, workflow, at, kind, record) VALUES ('han-thu/x', 'han-thu', 0, 'started', 'hỏng')")
        }
        try db.close()
        f.sink.refusing = true
        try start("b")
        f.sink.refusing = false
        f.daemon.flushSentMarks()
        #expect(f.sink.records.compactMap(\.instance) == ["han-thu/a", "han-thu/b"])
        #expect(try f.daemon.store.unsent(limit: 10).read == 0, "the watermark is past the damaged row")
        #expect(!f.daemon.outboxBehind)
    }

    @Test("the manual clock never goes back")
    func manualTimeIsMonotonic() throws {
        let t = ManualTime(Instant(seconds: 1_800_000_000))
        t.set(Instant(seconds: 1_700_000_000))
        #expect(t.now.seconds == 1_800_000_000)
        t.advance(seconds: -5)
        #expect(t.now.seconds == 1_800_000_000)
        t.advance(seconds: 60)
        #expect(DaemonClock(manual: t).now().seconds == 1_800_000_060)
    }
}

/// Limits counted inside a group commit, where the counts table is written only when the group ends.
@Suite struct GroupLimitTests {
    static let workflow = """
        tiendo: 1
        title: Duyệt có hạn mức
        fields:
          chi_bo: {type: text, required: true}
        group_by: chi_bo
        initial: moi
        states:
          moi:
            title: Mới
            on: {duyet: duyet}
          duyet: {title: Đã duyệt, final: true}
        limits:
          - state: duyet
            max: 2
            per: chi_bo

        """

    @Test("a limit counts what earlier requests of the same group moved, and a rejected request moves nothing")
    func limitInsideOneGroup() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        try Self.workflow.write(toFile: f.dir + "/workflows/duyet.yaml", atomically: true, encoding: .utf8)
        #expect(f.daemon.loadDefinitions().diagnostics.filter { $0.severity == .error }.isEmpty)
        for (key, chiBo) in [("a1", "A"), ("a2", "A"), ("a3", "A"), ("b1", "B")] {
            _ = try f.daemon.startInstance(workflow: "duyet", key: key, data: [("chi_bo", .string(chiBo))], actor: nil)
        }
        var outcomes: [String] = []
        f.daemon.group {
            for key in ["a1", "a2", "a3", "b1"] {
                do {
                    _ = try f.daemon.sendEvent(id: "duyet/\(key)", event: "duyet", data: [], idempotencyKey: nil, actor: nil)
                    outcomes.append("\(key) ok")
                } catch RequestError.limitExceeded(_, let group, let count, let max) {
                    outcomes.append("\(key) limit \(group ?? "-") \(count)/\(max)")
                } catch {
                    outcomes.append("\(key) \(error)")
                }
            }
        }
        #expect(outcomes == ["a1 ok", "a2 ok", "a3 limit A 3/2", "b1 ok"])
        #expect(try f.daemon.count(workflow: "duyet", states: ["duyet"], field: "chi_bo", value: .text("A")) == 2)
        #expect(try f.daemon.count(workflow: "duyet", states: ["moi"], field: nil, value: nil) == 1)
        #expect(try f.daemon.count(workflow: "duyet", states: ["duyet"], field: nil, value: nil) == 3)
    }
}
