import Foundation
import GRDB
import Synchronization
import Testing
import TiendoCore
import TiendoDaemon

/// The catalog when the daemon starts on a store whose workflow file no longer loads: the version last in force
/// stays in force, as a reload keeps it, so its instances stay in the status, the lists and the agenda.
@Suite struct CatalogStartTests {
    /// A second daemon on the fixture's directory, as after a restart.
    static func restart(_ f: SchedulerTests.Fixture) throws -> (Daemon, SchedulerTests.CapturingSink) {
        let options = DaemonOptions(
            workflowDirectories: [f.dir + "/workflows"], stateDirectory: f.dir + "/state", runtimeDirectory: f.dir + "/status",
            version: "0.test")
        let sink = SchedulerTests.CapturingSink()
        f.daemon.releaseStateDirectory()
        return (try Daemon(options: options, clock: DaemonClock(manual: f.time), sink: sink), sink)
    }

    @Test("a second daemon on a state directory in use is refused before it opens the database, naming the holder")
    func oneDaemonPerStateDirectory() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let options = DaemonOptions(
            workflowDirectories: [f.dir + "/workflows"], stateDirectory: f.dir + "/state", runtimeDirectory: f.dir + "/status2",
            version: "0.test")
        do {
            _ = try Daemon(options: options, clock: DaemonClock(manual: f.time), sink: SchedulerTests.CapturingSink())
            Issue.record("a second daemon started on the same state directory")
        } catch {
            #expect("\(error)".hasPrefix("thư mục trạng thái \(f.dir)/state đang được một tiendod khác dùng (pid \(getpid()))"))
        }
        // Once the first lets it go (its process ended), the directory is free again.
        f.daemon.releaseStateDirectory()
        #expect(throws: Never.self) {
            _ = try Daemon(options: options, clock: DaemonClock(manual: f.time), sink: SchedulerTests.CapturingSink())
        }
    }

    @Test("a workflow file broken while the daemon was down: the version last in force runs on, in the status too")
    func brokenFileAtStartKeepsTheLastVersion() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "a", data: [("han", .string("2027-03-10"))], actor: nil)
        let digest = try #require(f.daemon.catalog.current["han-thu"]?.digest)
        let file = f.dir + "/workflows/han-thu.yaml"
        try (SchedulerTests.workflow + "  hong: [\n").write(toFile: file, atomically: true, encoding: .utf8)

        let (daemon, sink) = try Self.restart(f)
        let diagnostics = daemon.loadDefinitions().diagnostics
        #expect(diagnostics.contains { $0.severity == .error && $0.file == file }, "the broken file is still reported")
        #expect(daemon.catalog.current["han-thu"]?.digest == digest)
        #expect(sink.messages.contains { $0.contains("han-thu") && $0.contains("giữ phiên bản tốt trước đó") })
        let s = try daemon.views.summaries(now: f.time.now, groups: false)
        #expect(s.instances == 1)
        #expect(s.workflows.compactMap { $0["id"]?.stringValue } == ["han-thu"])
        // Its instance takes events as before.
        #expect(try daemon.sendEvent(id: "han-thu/a", event: "xong", data: [], idempotencyKey: nil, actor: nil).state == "xong")

        // Fixed, the file is in force again, through the usual change.
        try SchedulerTests.workflow.replacingOccurrences(of: "Hạn thử", with: "Hạn thử, sửa").write(
            toFile: file, atomically: true, encoding: .utf8)
        let (changed, fixed) = daemon.loadDefinitions()
        #expect(changed == ["han-thu"])
        #expect(fixed.filter { $0.severity == .error }.isEmpty)
        #expect(daemon.catalog.current["han-thu"]?.title == "Hạn thử, sửa trên đồng hồ tay")
    }

    @Test("after a reload put a new version in force, a restart with the file broken keeps that version, not an older one")
    func theVersionLastInForceIsKept() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let file = f.dir + "/workflows/han-thu.yaml"
        let second = SchedulerTests.workflow.replacingOccurrences(of: "Hạn thử", with: "Hạn thử lần hai")
        try second.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(f.daemon.loadDefinitions().changed == ["han-thu"])
        // Back to the first text: its stored row is the older one, yet it is the version in force.
        try SchedulerTests.workflow.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(f.daemon.loadDefinitions().changed == ["han-thu"])
        let digest = try #require(f.daemon.catalog.current["han-thu"]?.digest)
        try "tiendo: [".write(toFile: file, atomically: true, encoding: .utf8)

        let (daemon, _) = try Self.restart(f)
        daemon.loadDefinitions()
        #expect(daemon.catalog.current["han-thu"]?.digest == digest)
        #expect(daemon.catalog.current["han-thu"]?.title == "Hạn thử trên đồng hồ tay")
    }

    @Test("a stop between a new version's save and its cases' migration: the next start migrates them")
    func migrationAfterAStopBetweenSaveAndMigrate() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "a", data: [("han", .string("2027-03-10"))], actor: nil)
        let old = try #require(f.daemon.catalog.current["han-thu"]?.digest)
        // A compatible new version, saved as in force but its cases not yet moved (the daemon killed in between).
        let file = f.dir + "/workflows/han-thu.yaml"
        let text = SchedulerTests.workflow.replacingOccurrences(of: "Hạn thử", with: "Hạn thử mới")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let new = try #require(Loader(searchPath: [f.dir + "/workflows"]).loadAll().workflows["han-thu"]?.digest)
        try f.daemon.store.saveDefinition(digest: new, workflow: "han-thu", file: file, source: Array(text.utf8), at: f.time.now)
        let definition = { (d: String) in f.daemon.catalog.definition(d) }
        #expect(try f.daemon.store.instance("han-thu/a", definition: definition)?.instance.digest == old)

        let (daemon, _) = try Self.restart(f)
        #expect(daemon.loadDefinitions().changed.isEmpty, "no change to log: the version was in force already")
        #expect(try daemon.store.instance("han-thu/a", definition: { daemon.catalog.definition($0) })?.instance.digest == new)
    }

    @Test("a new version's cases are moved a page at a time, the watchdog fed between pages; none left behind")
    func migrationByPages() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        for k in 1...7 {
            _ = try f.daemon.startInstance(workflow: "han-thu", key: "k\(k)", data: [("han", .string("2027-03-10"))], actor: nil)
        }
        let file = f.dir + "/workflows/han-thu.yaml"
        try SchedulerTests.workflow.replacingOccurrences(of: "Hạn thử", with: "Hạn thử mới").write(
            toFile: file, atomically: true, encoding: .utf8)
        var options = DaemonOptions(
            workflowDirectories: [f.dir + "/workflows"], stateDirectory: f.dir + "/state", runtimeDirectory: f.dir + "/status",
            version: "0.test")
        options.migrationPage = 2
        f.daemon.releaseStateDirectory()
        let daemon = try Daemon(options: options, clock: DaemonClock(manual: f.time), sink: SchedulerTests.CapturingSink())
        let beats = Mutex(0)
        daemon.heartbeat = { beats.withLock { $0 += 1 } }
        #expect(daemon.loadDefinitions().changed == ["han-thu"])
        let new = try #require(daemon.catalog.current["han-thu"]?.digest)
        for k in 1...7 {
            #expect(try daemon.store.instance("han-thu/k\(k)", definition: { daemon.catalog.definition($0) })?.instance.digest == new)
        }
        #expect(beats.withLock { $0 } >= 4, "pages of 2 for 7 cases")
    }

    @Test("cases whose stored version no longer loads keep their data and dues, are said once, and are looked at hourly")
    func unloadableVersionKeepsItsCases() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        for key in ["a", "b"] {
            _ = try f.daemon.startInstance(workflow: "han-thu", key: key, data: [("han", .string("2027-03-10"))], actor: nil)
        }
        func dues(_ d: Daemon) throws -> Int {
            try d.store.snapshot { try $0.dueItems(until: Instant(seconds: Int64.max / 2), workflow: nil, group: nil, limit: 100) }.count
        }
        let before = try dues(f.daemon)
        // The file removed and the stored source damaged (an upgrade whose validator refuses an old version).
        try FileManager.default.removeItem(atPath: f.dir + "/workflows/han-thu.yaml")
        f.daemon.releaseStateDirectory()
        do {
            let q = try DatabaseQueue(path: f.dir + "/state/tiendo.sqlite")
            try q.write { db in try db.execute(sql: "UPDATE definitions SET source = CAST('tiendo: [hong' AS BLOB)") }
            try q.close()
        }
        let (daemon, sink) = try Self.restart(f)
        daemon.loadDefinitions()
        #expect(sink.messages.contains { $0.hasPrefix("Phiên bản đã lưu ") && $0.contains("không nạp được") }, "\(sink.messages)")
        f.time.set(try #require(Zone.vietnam.parseInstant("2027-03-12T09:00:00+07:00")))
        _ = try daemon.tick(now: daemon.clock.now())
        let definition = { (d: String) in daemon.catalog.definition(d) }
        let a = try #require(try daemon.store.instance("han-thu/a", definition: definition))
        #expect(a.instance.checkedAt < f.time.now, "not advanced")
        #expect(try dues(daemon) == before && before == 2)
        let wake = try #require(try daemon.store.snapshot { try $0.nextWakeup() })
        #expect(wake.seconds == f.time.now.seconds + 3600)
        // An hour later, looked at again: still left as stored, and not said a second time.
        f.time.set(wake)
        _ = try daemon.tick(now: daemon.clock.now())
        #expect(try dues(daemon) == before)
        #expect(sink.messages.filter { $0.contains("tạm dừng: phiên bản đó không nạp được") }.count == 1, "said once")
        // The file put back (fixed, a title changed): the cases move to it with their data, read from its stored text.
        try SchedulerTests.workflow.replacingOccurrences(of: "title: Hạn thử", with: "title: Đã sửa — Hạn thử").write(
            toFile: f.dir + "/workflows/han-thu.yaml", atomically: true, encoding: .utf8)
        daemon.loadDefinitions()
        let moved = try #require(try daemon.store.instance("han-thu/a", definition: definition))
        #expect(moved.instance.digest == daemon.catalog.current["han-thu"]?.digest && !moved.stale)
        #expect(moved.instance.data["han"] == .date(CivilDate(2027, 3, 10)), "\(moved.instance.data)")
    }

    @Test("a restart with the files unchanged changes nothing and says so")
    func restartWithNothingChanged() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let (daemon, sink) = try Self.restart(f)
        #expect(daemon.loadDefinitions().changed.isEmpty)
        #expect(daemon.catalog.current["han-thu"] != nil)
        #expect(sink.messages.contains("Đã nạp 1 quy trình (không có thay đổi)"), "\(sink.messages)")
    }

    @Test("a workflow file removed while cases run it keeps its version in force, with a warning, at a reload and a start")
    func removedFile() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        _ = try f.daemon.startInstance(workflow: "han-thu", key: "a", data: [("han", .string("2027-03-10"))], actor: nil)
        let file = f.dir + "/workflows/han-thu.yaml"
        try FileManager.default.removeItem(atPath: file)
        for daemon in [f.daemon, try Self.restart(f).0] {
            let warnings = daemon.loadDefinitions().diagnostics.filter { $0.severity == .warning }
            #expect(
                warnings.map(\.message) == [
                    "workflow 'han-thu' is no longer found (no han-thu.yaml or han-thu.yml in \(f.dir)/workflows); the last good version stays in force"
                ])
            #expect(warnings.first?.file == file)
            #expect(daemon.catalog.current["han-thu"] != nil)
        }
    }

    @Test("a reload with nothing changed says it ended; every workflows directory gone is an error, each workflow kept")
    func reloadSaysItsEnd() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        let (daemon, sink) = try Self.restart(f)
        daemon.loadDefinitions()
        daemon.loadDefinitions()
        #expect(sink.messages.filter { $0 == "Đã nạp 1 quy trình (không có thay đổi)" }.count == 2, "\(sink.messages)")
        try FileManager.default.moveItem(atPath: f.dir + "/workflows", toPath: f.dir + "/workflows.gone")
        let d = daemon.loadDefinitions().diagnostics
        #expect(
            d.filter { $0.severity == .error }.map(\.message) == [
                "workflows directory \(f.dir)/workflows does not exist (an unmounted disk, a typo in --workflows?); every workflow stays on its last good version"
            ])
        #expect(!d.contains { $0.message.contains("is no longer found (no ") }, "not once per workflow")
        #expect(daemon.catalog.current["han-thu"] != nil)
        #expect(sink.messages.contains { $0.hasPrefix("Không có thư mục quy trình nào: \(f.dir)/workflows không tồn tại") })
    }

    @Test("cases left on an old version are said with the states the file no longer has, and how many are in each")
    func strandedStatesNamed() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        for k in ["a", "b"] {
            _ = try f.daemon.startInstance(workflow: "han-thu", key: k, data: [("han", .string("2027-03-10"))], actor: nil)
        }
        try SchedulerTests.workflow.replacingOccurrences(of: "xu-ly", with: "dang-xu-ly").write(
            toFile: f.dir + "/workflows/han-thu.yaml", atomically: true, encoding: .utf8)
        let warnings = f.daemon.loadDefinitions().diagnostics.filter { $0.severity == .warning }.map(\.message)
        #expect(
            warnings == [
                "2 hồ sơ chưa xong vẫn chạy phiên bản cũ của quy trình han-thu: tệp này không còn trạng thái 'xu-ly' (2 hồ sơ) "
                    + "(xem tiendoctl list han-thu --json, \"stale\")"
            ], "\(warnings)")
    }

    @Test("a broken file of a workflow never put in force stays out of the catalog, said as such")
    func brokenFileNeverInForce() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00")
        defer { removeTemporaryDirectory(f.dir) }
        try "tiendo: [".write(toFile: f.dir + "/workflows/moi.yaml", atomically: true, encoding: .utf8)
        let (daemon, sink) = try Self.restart(f)
        daemon.loadDefinitions()
        #expect(daemon.catalog.current["moi"] == nil)
        #expect(sink.messages.contains { $0.contains("moi") && $0.contains("chưa có phiên bản nào dùng được") })
    }
}
