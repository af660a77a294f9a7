import Foundation
import GRDB
import GRDBSQLite
import TiendoCore

/// What a restore carries from the database it replaces into the copy: the keys of the deliveries sent since the copy
/// was taken. The restored database has no record of them, so its catch-up writes those reminders again and fanned
/// them out again: every email and webhook of the time between the copy and the restore went out twice, with the
/// same Message-ID (backup audit, 07/12/2026). A delivery key is the record's identity with its channel and
/// recipient, the same when the catch-up writes the record again; a key listed in `sent_before_restore` is not queued
/// again (`Store.insertDeliveries`).
extension Store {
    /// The table of keys sent before a restore (migration v18; a restore creates it in a copy from before).
    static let sentBeforeRestoreSQL =
        "CREATE TABLE IF NOT EXISTS sent_before_restore (key TEXT PRIMARY KEY, restored_at INTEGER NOT NULL) WITHOUT ROWID"

    /// Copies into the copy at `incoming` the keys of the deliveries `database` sent (or was sending: a sender may have
    /// sent one whose report never came) since `since` (the copy's newest record, Unix seconds), those the copy does
    /// not hold already. Returns how many.
    static func carrySentKeys(from database: String, into incoming: String, since: Int64?, at: Instant) throws -> Int {
        let keys: [String] = try readOnly(path: database) { db in
            let tables = try column(db, "SELECT name FROM sqlite_master WHERE type = 'table'", path: database)
            guard tables.contains("deliveries") else { return [] }
            return try column(
                db, "SELECT key FROM deliveries WHERE state IN ('sent', 'inflight') AND created_at >= \(since ?? 0) ORDER BY id",
                path: database)
        }
        guard !keys.isEmpty else { return 0 }
        return try readWrite(path: incoming) { db in
            let hasDeliveries = try column(
                db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'", path: incoming)
            _ = try column(db, sentBeforeRestoreSQL, path: incoming)
            _ = try column(db, "BEGIN", path: incoming)
            let sql =
                "INSERT OR IGNORE INTO sent_before_restore(key, restored_at) SELECT ?1, \(at.seconds)"
                + (hasDeliveries.isEmpty ? "" : " WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE key = ?1)")
            var statement: OpaquePointer?
            defer { sqlite3_finalize(statement) }
            guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
                throw StoreError.cannotOpen(path: incoming, reason: String(cString: sqlite3_errmsg(db)))
            }
            var carried = 0
            for key in keys {
                sqlite3_reset(statement)
                sqlite3_bind_text(statement, 1, key, -1, Bound.transient)
                guard sqlite3_step(statement) == SQLITE_DONE else {
                    throw StoreError.cannotOpen(path: incoming, reason: String(cString: sqlite3_errmsg(db)))
                }
                carried += Int(sqlite3_changes(db))
            }
            _ = try column(db, "COMMIT", path: incoming)
            return carried
        }
    }
}
