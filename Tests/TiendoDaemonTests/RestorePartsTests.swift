import Foundation
import Testing
import TiendoCore

@testable import TiendoDaemon
@testable import TiendoStore

/// The parts of `tiendod --restore` a run of the binary cannot reach on purpose: the mark its lock carries, and the
/// files put back when a rename fails.
@Suite("restore: lock mark and putting files back")
struct RestorePartsTests {
    @Test("a restore's lock says so to whoever finds it held; a daemon's, or one an older version wrote, does not")
    func lockMark() throws {
        let dir = try makeTemporaryDirectory("restore-lock")
        defer { removeTemporaryDirectory(dir) }
        do {
            let restoring = try StateLock(directory: dir, restoring: true)
            defer { restoring.release() }
            #expect(try String(contentsOfFile: dir + "/tiendod.lock", encoding: .utf8) == "restore \(getpid())\n")
            do {
                _ = try StateLock(directory: dir)
                Issue.record("a second lock was taken")
            } catch let held as StateLock.Held {
                #expect(held.restoring && held.pid == String(getpid()))
                #expect(held.description.hasPrefix("đang khôi phục cơ sở dữ liệu trong \(dir)"))
                #expect(StateRestore.inProgress(held))
            }
        }
        let daemon = try StateLock(directory: dir)
        defer { daemon.release() }
        do {
            _ = try StateLock(directory: dir, restoring: true)
            Issue.record("a second lock was taken")
        } catch let held as StateLock.Held {
            #expect(!held.restoring && held.pid == String(getpid()) && !StateRestore.inProgress(held))
            #expect(held.description.contains("đang được một tiendod khác dùng (pid \(getpid()))"))
        }
        // The lock file deleted by hand while held: the directory's own lock still keeps a second daemon out.
        #expect(unlink(dir + "/tiendod.lock") == 0)
        do {
            _ = try StateLock(directory: dir)
            Issue.record("a second lock was taken after the lock file was deleted")
        } catch let held as StateLock.Held {
            #expect(held.description.hasPrefix("thư mục trạng thái \(dir) đang được một tiendod khác dùng"))
        }
    }

    @Test("files moved aside go back, the database last, and nothing after one that cannot")
    func putBack() throws {
        let dir = try makeTemporaryDirectory("restore-putback")
        defer { removeTemporaryDirectory(dir) }
        let db = dir + "/tiendo.sqlite"
        let incoming = dir + "/.tiendo.sqlite.restoring"
        func setAside() throws -> String {
            let aside = try Store.makeAsideDirectory(in: dir, at: Instant(seconds: 1_800_000_000))
            for (name, text) in [("tiendo.sqlite", "db"), ("tiendo.sqlite-wal", "wal")] {
                try Data(text.utf8).write(to: URL(fileURLWithPath: aside + "/" + name))
            }
            try Data("copy".utf8).write(to: URL(fileURLWithPath: incoming))
            return aside
        }
        // Both go back: nothing changed, the copy and the empty directory gone.
        var aside = try setAside()
        var e = Store.putBack([db, db + "-wal"], from: aside, discarding: incoming, "lý do")
        #expect(e.changedNothing && e.description == "lý do")
        #expect(try String(contentsOfFile: db, encoding: .utf8) == "db" && String(contentsOfFile: db + "-wal", encoding: .utf8) == "wal")
        #expect(!FileManager.default.fileExists(atPath: aside) && !FileManager.default.fileExists(atPath: incoming))
        // The database cannot go back (a directory now holds its name): the -wal went back first, the database stays
        // aside, and the message says to move back everything still there.
        for f in [db, db + "-wal"] { unlink(f) }
        aside = try setAside()
        try FileManager.default.createDirectory(atPath: db + "/x", withIntermediateDirectories: true)
        e = Store.putBack([db, db + "-wal"], from: aside, discarding: incoming, "lý do")
        #expect(!e.changedNothing && e.description.contains("không chuyển lại được \(db) từ \(aside)"), "\(e.description)")
        #expect(e.description.contains("hãy chuyển TẤT CẢ các tệp còn trong \(aside) về \(dir)"), "\(e.description)")
        #expect(FileManager.default.fileExists(atPath: aside + "/tiendo.sqlite") && FileManager.default.fileExists(atPath: db + "-wal"))
    }
}
