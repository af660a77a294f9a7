import Foundation
import GRDB
import Testing
import TiendoCore

@testable import TiendoStore

/// Copies of the database taken while it is written (`Store.backup`): whole, checked, named by their time, the
/// oldest removed beyond the number kept.
@Suite("store: backups")
struct BackupTests {
    static func insert(_ store: Store, _ ids: ClosedRange<Int>) throws {
        try store.write { (db: Database) in
            for i in ids {
                try db.execute(
                    sql: """
                        INSERT INTO instances (id, workflow, state, data, started_at, entered_at, digest, checked_at)
                        VALUES (?, 'w', 's', '{}', 0, 0, 'd', 0)
                        """, arguments: ["w/\(i)"])
            }
        }
    }

    @Test("a copy holds the moment it was taken, opens on its own, and takes its name only once whole")
    func copy() throws {
        let dir = try makeTemporaryDirectory("backup")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        try Self.insert(store, 1...120)
        let at = Zone.vietnam.instant(CivilDate(2026, 12, 6), TimeOfDay(hour: 2, minute: 30), second: 7)
        #expect(Store.backupName(at: at) == "tiendo-2026-12-06-023007.sqlite")
        // A copy cut short before (a crash, a full disk) is removed, never counted as a copy.
        try FileManager.default.createDirectory(atPath: dir + "/backups", withIntermediateDirectories: true)
        for stale in [".tiendo-2026-12-05-023000.sqlite.partial", ".tiendo-2026-12-05-023000.sqlite.partial-journal"] {
            _ = FileManager.default.createFile(atPath: dir + "/backups/" + stale, contents: Data([1, 2]))
        }
        let first = try store.backup(at: at, keep: nil)
        #expect(first.path == dir + "/backups/tiendo-2026-12-06-023007.sqlite" && first.instances == 120 && first.removed.isEmpty)
        #expect(first.bytes > 0 && FileManager.default.fileExists(atPath: first.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/backups") == ["tiendo-2026-12-06-023007.sqlite"])
        // Written on: the copy keeps its moment; another copy in the same second gets a name of its own.
        try Self.insert(store, 121...130)
        let second = try store.backup(at: at, keep: nil)
        #expect(second.path.hasSuffix("/tiendo-2026-12-06-023007-2.sqlite") && second.instances == 130)
        let copy = try DatabaseQueue(
            path: first.path,
            configuration: {
                var c = Configuration(); c.readonly = true; return c
            }())
        #expect(try copy.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM instances") } == 120)
        #expect(try copy.read { try String.fetchOne($0, sql: "PRAGMA quick_check") } == "ok")
    }

    @Test("keeping n days of copies removes the oldest days', never the new one, and nothing but copies")
    func keep() throws {
        let dir = try makeTemporaryDirectory("backup-keep")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        try Self.insert(store, 1...3)
        let day = { (d: Int) in Zone.vietnam.instant(CivilDate(2026, 12, d), TimeOfDay(hour: 2, minute: 30)) }
        for d in 1...4 { _ = try store.backup(at: day(d), keep: nil) }
        // An operator's own files beside them, one named almost as a copy: neither counted nor removed.
        for other in [
            "ghi-chu.txt", "tiendo-truoc-nang-cap.sqlite", "tiendo-2026-12-00-023000-1.sqlite", "tiendo-2026-13-01-023000.sqlite",
        ] {
            _ = FileManager.default.createFile(atPath: dir + "/backups/" + other, contents: Data("giữ".utf8))
        }
        let kept = try store.backup(at: day(5), keep: 2)
        #expect(kept.removed == (1...3).map { "tiendo-2026-12-0\($0)-023000.sqlite" })
        let others = [
            "ghi-chu.txt", "tiendo-2026-12-00-023000-1.sqlite", "tiendo-2026-13-01-023000.sqlite", "tiendo-truoc-nang-cap.sqlite",
        ]
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/backups").sorted()
                == (others + ["tiendo-2026-12-04-023000.sqlite", "tiendo-2026-12-05-023000.sqlite"]).sorted())
        // A clock set back: the new copy sorts first by name, and is still the one kept.
        let back = try store.backup(at: day(2), keep: 1)
        #expect(back.removed.count == 2)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/backups").sorted()
                == (others + ["tiendo-2026-12-02-023000.sqlite"]).sorted())
        // Copies of one day (an office pressing «Sao lưu ngay» again and again, then the nightly copy): a day counts
        // once, so they do not push the nights before out.
        var made: [String] = []
        for _ in 1...11 { made.append(try store.backup(at: day(9), keep: nil).path) }
        #expect(made.last?.hasSuffix("/tiendo-2026-12-09-023000-11.sqlite") == true)
        #expect(try store.backup(at: day(9), keep: 2).removed.isEmpty)
        #expect(try store.backup(at: day(9), keep: 1).removed == ["tiendo-2026-12-02-023000.sqlite"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/backups").filter(Store.isBackupName).count == 13)
        // Copies of one second, ten and more, by their number, not their names' bytes: «-10» after «-9».
        let names = store.backups().map(\.name)
        #expect(names.first == "tiendo-2026-12-09-023000-13.sqlite")
        #expect(
            try #require(names.firstIndex(of: "tiendo-2026-12-09-023000-10.sqlite"))
                < #require(names.firstIndex(of: "tiendo-2026-12-09-023000-9.sqlite")))
        // Copies named while the clock was ahead (June 2027) cannot be newer than the copy taken now: they go first,
        // instead of staying for good while each new copy removes the one before it.
        let june = Zone.vietnam.instant(CivilDate(2027, 6, 1), TimeOfDay(hour: 2, minute: 30))
        for _ in 1...2 { _ = try store.backup(at: june, keep: nil) }
        let now = try store.backup(at: day(10), keep: 2)
        #expect(Array(now.removed.prefix(2)) == ["tiendo-2027-06-01-023000.sqlite", "tiendo-2027-06-01-023000-2.sqlite"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/backups").filter(Store.isBackupName).filter {
                $0.hasPrefix("tiendo-2027")
            }
            .isEmpty)
        #expect(try store.backup(at: day(10).adding(seconds: 60), keep: 2).removed.isEmpty)
        // The clock behind (a machine without a clock battery, taking the missed nightly copy at boot): the copies named
        // later are kept while `keep` allows, not all removed by the one copy taken now.
        #expect(try store.backup(at: day(5), keep: 3).removed.isEmpty)
        #expect(try store.backup(at: day(5).adding(seconds: 60), keep: 2).removed.allSatisfy { $0.hasPrefix("tiendo-2026-12-09-") })
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: dir + "/backups").filter { $0.hasPrefix("tiendo-2026-12-10-") }.count == 2)
    }

    @Test("the copies listed include those taken before an upgrade, with the version they go back to; not a directory")
    func listsUpgradeCopies() throws {
        let dir = try makeTemporaryDirectory("backup-list")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        try Self.insert(store, 1...2)
        let night = Zone.vietnam.instant(CivilDate(2026, 12, 6), TimeOfDay(hour: 2, minute: 30))
        _ = try store.backup(at: night, keep: nil)
        // What the package's preinst names: the version may hold «-» (a Debian revision), the copy a number.
        for name in [
            "tiendo-truoc-nang-cap-0.20261201+gabc1234-1-2026-12-05-023000.sqlite",
            "tiendo-truoc-nang-cap-0.20261130-2026-12-04-023000-2.sqlite",
        ] {
            _ = FileManager.default.createFile(atPath: dir + "/backups/" + name, contents: Data("x".utf8))
        }
        try FileManager.default.createDirectory(
            atPath: dir + "/backups/tiendo-2026-12-07-023000.sqlite", withIntermediateDirectories: false)
        let listed = store.backups()
        #expect(
            listed.map(\.name) == [
                "tiendo-2026-12-06-023000.sqlite", "tiendo-truoc-nang-cap-0.20261201+gabc1234-1-2026-12-05-023000.sqlite",
                "tiendo-truoc-nang-cap-0.20261130-2026-12-04-023000-2.sqlite",
            ])
        #expect(listed.map(\.upgradedFrom) == [nil, "0.20261201+gabc1234-1", "0.20261130"])
        // Neither counted nor removed by the rotation.
        #expect(try store.backup(at: night.adding(seconds: 86_400), keep: 1).removed == ["tiendo-2026-12-06-023000.sqlite"])
        #expect(store.backups().filter { $0.upgradedFrom != nil }.count == 2)
    }

    @Test("a copy that cannot be written: refused with the reason, no copy left behind")
    func refused() throws {
        let dir = try makeTemporaryDirectory("backup-refused")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        let at = Instant(seconds: 1_800_000_000)
        // Where the copy is written stands a directory (as root, a directory's mode would not stop it).
        let partial = dir + "/backups/." + Store.backupName(at: at) + ".partial"
        try FileManager.default.createDirectory(atPath: partial + "/x", withIntermediateDirectories: true)
        #expect {
            try store.backup(at: at, keep: 3)
        } throws: { error in
            (error as? BackupError)?.description.hasPrefix("không chép được cơ sở dữ liệu vào \(dir)/backups") == true
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/backups").filter(Store.isBackupName).isEmpty)
        // The store goes on, and the next copy, elsewhere in time, is made.
        #expect(try store.backup(at: at.adding(seconds: 1), keep: 3).instances == 0)
    }

    @Test("a restore sets the files it replaces aside in a directory named by its time, -2 within the same second")
    func asideDirectories() throws {
        let dir = try makeTemporaryDirectory("restore-aside")
        defer { removeTemporaryDirectory(dir) }
        let at = Zone.vietnam.instant(CivilDate(2026, 12, 6), TimeOfDay(hour: 14, minute: 30), second: 5)
        #expect(try Store.makeAsideDirectory(in: dir, at: at) == dir + "/truoc-khoi-phuc-2026-12-06-143005")
        #expect(try Store.makeAsideDirectory(in: dir, at: at) == dir + "/truoc-khoi-phuc-2026-12-06-143005-2")
        #expect(try Store.makeAsideDirectory(in: dir, at: at) == dir + "/truoc-khoi-phuc-2026-12-06-143005-3")
    }
}
