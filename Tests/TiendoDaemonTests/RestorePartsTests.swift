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
        var e = Store.putBack([db, db + "-wal"], from: aside, database: db, "lý do")
        #expect(e.changedNothing && e.description == "lý do")
        #expect(try String(contentsOfFile: db, encoding: .utf8) == "db" && String(contentsOfFile: db + "-wal", encoding: .utf8) == "wal")
        #expect(!FileManager.default.fileExists(atPath: aside) && !FileManager.default.fileExists(atPath: incoming))
        // The database cannot go back (a directory now holds its name): the -wal went back first, the database stays
        // aside, and the message says the next start finishes the restore, whose note and copy stay for it.
        for f in [db, db + "-wal"] { unlink(f) }
        aside = try setAside()
        try FileManager.default.createDirectory(atPath: db + "/x", withIntermediateDirectories: true)
        e = Store.putBack([db, db + "-wal"], from: aside, database: db, "lý do")
        #expect(!e.changedNothing && e.description.contains("không chuyển lại được \(db) từ \(aside)"), "\(e.description)")
        #expect(e.description.contains("khởi động tiendod (hoặc chạy lại tiendod --restore): nó sẽ hoàn tất"), "\(e.description)")
        #expect(FileManager.default.fileExists(atPath: aside + "/tiendo.sqlite") && FileManager.default.fileExists(atPath: db + "-wal"))
        #expect(FileManager.default.fileExists(atPath: incoming))
    }

    @Test("a restore cut short is finished from its note, the old files all aside; a copy left before any move is removed")
    func finishInterrupted() throws {
        let dir = try makeTemporaryDirectory("restore-finish")
        defer { removeTemporaryDirectory(dir) }
        let db = dir + "/tiendo.sqlite"
        let incoming = dir + "/.tiendo.sqlite.restoring"
        let note = dir + "/.tiendo.sqlite.restore-moving"
        func write(_ text: String, _ path: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
        func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
        #expect(try Store.finishInterruptedRestore(database: db) == nil)
        // Cut short after the database moved, before its -wal and -shm did.
        let aside = try Store.makeAsideDirectory(in: dir, at: Instant(seconds: 1_800_000_000))
        try RestoreJournal.write(aside: aside, database: db)
        // The directory by its name, whole (written under another name, then renamed).
        #expect(try read(note) == (aside as NSString).lastPathComponent + "\n")
        #expect(!FileManager.default.fileExists(atPath: note + ".tmp"))
        try write("db", aside + "/tiendo.sqlite")
        try write("wal", db + "-wal")
        try write("shm", db + "-shm")
        try write("copy", incoming)
        let said = try #require(try Store.finishInterruptedRestore(database: db))
        #expect(said.contains("đã được hoàn tất: bản sao đã ở chỗ \(db)") && said.contains("nằm trọn trong \(aside)"), "\(said)")
        #expect(try read(db) == "copy" && read(aside + "/tiendo.sqlite") == "db" && read(aside + "/tiendo.sqlite-wal") == "wal")
        #expect(try read(aside + "/tiendo.sqlite-shm") == "shm")
        for f in [incoming, note, db + "-wal", db + "-shm"] { #expect(!FileManager.default.fileExists(atPath: f), "\(f)") }
        // Cut short after the copy went into place: only the note is left, and nothing moves.
        try RestoreJournal.write(aside: aside, database: db)
        #expect(try #require(try Store.finishInterruptedRestore(database: db)).contains("ngay sau khi đặt bản sao vào \(db)"))
        #expect(try read(db) == "copy" && !FileManager.default.fileExists(atPath: note))
        // Stopped while the copy was being written, before any move: the copy goes, the database stays.
        try write("half", incoming)
        #expect(try #require(try Store.finishInterruptedRestore(database: db)).contains("cơ sở dữ liệu không thay đổi"))
        #expect(try read(db) == "copy" && !FileManager.default.fileExists(atPath: incoming))
        // A note naming a directory elsewhere, or a file already aside under the same name: refused, nothing moves.
        try write("/etc\n", note)
        try write("copy2", incoming)
        #expect(throws: RestoreError.self) { try Store.finishInterruptedRestore(database: db) }
        try write((aside as NSString).lastPathComponent + "\n", note)
        #expect {
            try Store.finishInterruptedRestore(database: db)
        } throws: { ($0 as? RestoreError)?.description.contains("đã có một tệp cùng tên") == true }
        #expect(try read(db) == "copy" && read(incoming) == "copy2" && read(aside + "/tiendo.sqlite") == "db")
    }
}
