import Foundation
import Testing
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// State files after a botched restore, foreign or damaged files, and signals during start-up.
@Suite(.serialized)
struct StateFileTests {
    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// Starts a daemon that is expected to refuse, and returns its exit status.
    func refusedStart(_ d: DaemonProcess, extra: [String] = []) throws -> Int32 {
        let p = try d.start(fakeTime: "2026-12-01T08:00:00+07:00", extra: extra, waitReady: false)
        #expect(waitUntil(timeout: 60) { !p.isRunning })
        return p.terminationStatus
    }

    @Test("an emptied or vanished database is refused once the daemon has run there; --init starts afresh")
    func vanishedDatabase() throws {
        let d = try startDaemon(["hop.yaml": hopWorkflow], at: "2026-03-02T09:00:00+07:00", rate: 1)
        try importC1(d)
        #expect(d.stop() == 0)
        let db = d.stateDir + "/tiendo.sqlite"
        #expect(FileManager.default.fileExists(atPath: d.stateDir + "/.tiendo-state"))

        // A restore that left a zero-byte file: refused, nothing created in its place.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        _ = FileManager.default.createFile(atPath: db, contents: Data())
        #expect(try refusedStart(d) == 65)
        #expect(d.log.contains("trống (0 byte)"))
        #expect(d.log.contains("--init"))
        #expect(try bytes(db).isEmpty)

        // The file gone altogether: refused too.
        try FileManager.default.removeItem(atPath: db)
        #expect(try refusedStart(d) == 65)
        #expect(d.log.contains("không có \(db)"))
        #expect(!FileManager.default.fileExists(atPath: db))

        // The operator says so: an empty database, which then works.
        try d.start(fakeTime: "2026-03-02T09:00:00+07:00", extra: ["--init"])
        #expect(try d.call("ListInstances", [])["instances"]?.arrayValue?.count == 0)
        try importC1(d)
        #expect(d.stop() == 0)
        try d.start(fakeTime: "2026-03-02T10:00:00+07:00")
        #expect(try d.call("ListInstances", [])["instances"]?.arrayValue?.count == 1)
        #expect(d.stop() == 0)
    }

    @Test("a foreign SQLite file is refused byte for byte untouched, still in its own journal mode")
    func foreignUntouched() throws {
        let dir = TempDir()
        let d = DaemonProcess(workflows: Build.workflows, dir: dir)
        try FileManager.default.createDirectory(atPath: d.stateDir, withIntermediateDirectories: true)
        let db = d.stateDir + "/tiendo.sqlite"
        _ = try run(
            "/usr/bin/sqlite3", [db, "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);"])
        let before = try bytes(db)
        #expect(try refusedStart(d) != 0)
        #expect(d.log.contains("không phải cơ sở dữ liệu của tiendo"))
        let after = try bytes(db)
        #expect(after == before)
        // Header bytes 18-19: 1 = rollback journal, 2 = WAL (sqlite.org/fileformat.html).
        #expect(after[18] == 1 && after[19] == 1)
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: d.stateDir + "/.tiendo-state"))
    }

    @Test("a damaged tiendo database is refused before it is opened for writing, byte for byte untouched")
    func damagedUntouched() throws {
        let (d, db) = try daemonWithDamagedHistory()
        let damaged = try bytes(db)
        #expect(try refusedStart(d) == 65)
        // Said in a sentence, SQLite's findings after it, a few of them, not its list on one line with «\n» escapes.
        #expect(d.log.contains("cơ sở dữ liệu hỏng: \(db): SQLite thấy chỗ hỏng: "), "\(d.log)")
        #expect(!d.log.contains("\\n"), "\(d.log)")
        #expect(try bytes(db) == damaged)
        #expect(!FileManager.default.fileExists(atPath: db + "-wal"))
    }

    @Test("SIGHUP at any moment of start-up does not kill the daemon", arguments: [15, 25, 40, 60, 80, 100, 150, 250])
    func hangupDuringStart(delayMilliseconds: Int) throws {
        let dir = TempDir()
        let d = DaemonProcess(workflows: Build.workflows, dir: dir)
        let p = try d.start(fakeTime: "2026-12-01T08:00:00+07:00", waitReady: false)
        usleep(useconds_t(delayMilliseconds * 1000))
        kill(p.processIdentifier, SIGHUP)
        #expect(waitUntil(timeout: 60) { (try? d.connect()) != nil || !p.isRunning })
        #expect(p.isRunning, "tiendod died after SIGHUP at \(delayMilliseconds) ms: \(d.log)")
        #expect(try d.call("GetStatus", [])["status"]?["pid"]?.intValue == Int(p.processIdentifier))
        #expect(d.stop() == 0)
    }
}
