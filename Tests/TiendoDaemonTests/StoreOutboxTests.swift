import Foundation
import GRDB
import Testing
import TiendoCore
@testable import TiendoStore

/// The outbox's sent watermark (migration v8) taking over from the per-row sent marks of older databases.
@Suite("store: the sent watermark")
struct StoreOutboxTests {
    /// A database at v7 with history rows whose `sent` marks are given, opened by the current store.
    static func migrated(sent: [Bool]) throws -> (watermark: Int64, waiting: [Int64], indexes: [String]) {
        let dir = try makeTemporaryDirectory("outbox")
        defer { removeTemporaryDirectory(dir) }
        let path = dir + "/tiendo.sqlite"
        do {
            let old = try DatabaseQueue(path: path)
            try old.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA application_id = \(Store.applicationID)") }
            try Store.migrator.migrate(old, upTo: "v7-counts-in-commit")
            try old.write { db in
                for (i, s) in sent.enumerated() {
                    try db.execute(
                        sql: """
                            INSERT INTO history(seq, instance, workflow, at, kind, record, sent)
                                VALUES (?, 'w/a', 'w', 0, 'started', '{}', ?)
                            """,
                        arguments: [i + 1, s ? 1 : 0])
                }
            }
            try old.close()
        }
        let store = try Store(path: path)
        let watermark = try store.sentThrough()
        let check = try DatabaseQueue(path: path)
        defer { try? check.close() }
        return try check.read { db in
            (
                watermark, try Int64.fetchAll(db, sql: "SELECT seq FROM history WHERE seq > ? ORDER BY seq", arguments: [watermark]),
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'history' ORDER BY name")
            )
        }
    }

    @Test("an older database's first unsent record and everything after it wait to be sent; nothing before it")
    func watermarkBeforeTheFirstUnsentRow() throws {
        let m = try Self.migrated(sent: [true, true, false, true, false])
        #expect(m.watermark == 2)
        #expect(m.waiting == [3, 4, 5], "record 4 goes out again: at least once, never lost")
        #expect(m.indexes == ["history_instance", "history_undo"], "the partial index of unsent rows is gone")
    }

    @Test("everything sent, or nothing written yet: the watermark is at the last record, or 0")
    func watermarkWhenNothingWaits() throws {
        let all = try Self.migrated(sent: [true, true, true])
        #expect(all.watermark == 3 && all.waiting.isEmpty)
        let empty = try Self.migrated(sent: [])
        #expect(empty.watermark == 0 && empty.waiting.isEmpty)
    }

    @Test("a row that does not parse is counted as read, so the reader can move past it")
    func unreadableRowsAreCounted() throws {
        let dir = try makeTemporaryDirectory("outbox")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        let at = Instant(seconds: 1_804_438_800)
        let good = TiendoCore.Record(
            at: at, utcOffset: 25_200, kind: .started, workflow: "w", instance: "w/a", priority: 6, message: "Bắt đầu")
        try store.write { tx in try tx.commit(changes: [], records: [good]) }
        try store.write { tx in try tx.commit(changes: [], records: [good]) }
        let q = try DatabaseQueue(path: dir + "/tiendo.sqlite")
        try q.write { db in try db.execute(sql: "UPDATE history SET record = 'hỏng' WHERE seq = 1") }
        try q.close()
        let batch = try store.unsent(limit: 10)
        #expect(batch.read == 2 && batch.lastSeq == 2)
        #expect(batch.records.map(\.seq) == [2])
    }

    @Test("the watermark moves forward, never back")
    func watermarkIsMonotonic() throws {
        let dir = try makeTemporaryDirectory("outbox")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        #expect(try store.sentThrough() == 0)
        try store.write { try $0.markSent(through: 7) }
        try store.write { try $0.markSent(through: 5) }
        #expect(try store.sentThrough() == 7)
        try store.write { try $0.markSent(through: 9) }
        #expect(try store.sentThrough() == 9)
    }
}

@Suite("store: a database from a newer tiendod")
struct StoreTooNewTests {
    @Test("a database a newer tiendod migrated is refused, named, and its schema left as it was")
    func newerSchemaIsRefused() throws {
        let dir = try makeTemporaryDirectory("toonew")
        defer { removeTemporaryDirectory(dir) }
        let path = dir + "/tiendo.sqlite"
        do { _ = try Store(path: path) }
        do {
            let q = try DatabaseQueue(path: path)
            try q.write { db in try db.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v99-future')") }
            // As a copy comes (VACUUM INTO writes one file in rollback-journal mode).
            try q.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try q.close()
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        func schema() throws -> [String] {
            let q = try DatabaseQueue(path: path)
            defer { try? q.close() }
            return try q.read { db in
                try String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || ifnull(sql, '') FROM sqlite_master ORDER BY name")
                    + String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            }
        }
        let before = try schema()
        do {
            _ = try Store(path: path)
            Issue.record("a newer database was opened")
        } catch let e as StoreError {
            guard case .tooNew(let p, let migrations) = e else { Issue.record("\(e)"); return }
            #expect(p == path && migrations == ["v99-future"])
            #expect("\(e)".contains("phiên bản tiendod mới hơn nâng cấp (v99-future)"))
        }
        // Refused before anything opened it for writing: not switched to WAL, not a byte changed (the audit found its
        // header rewritten and a page added).
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        #expect(try schema() == before)
    }
}
