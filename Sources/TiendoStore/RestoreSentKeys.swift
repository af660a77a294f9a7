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

    /// Carries into the copy at `incoming` what `database` sent (or was sending: a sender may have sent one whose
    /// report never came) since `since` (the copy's newest record, Unix seconds; a day earlier, for rows claimed
    /// before it and reported after): a row the copy holds unsent (pending at the copy, sent after it — the weekend's
    /// notices held for Monday's sending hours) is marked sent; any other key goes to `sent_before_restore`, and so
    /// do the keys the replaced database had itself carried from an earlier restore. A row the copy holds pending that
    /// the replaced database dropped for a newer notice of the same deadline (sent: its key is carried) is dropped too,
    /// or the older notice went out after the newer one (operations audit, 07/12/2026). Returns how many of each.
    static func carrySentKeys(from database: String, into incoming: String, since: Int64?, at: Instant) throws -> (
        sent: Int, superseded: Int
    ) {
        let after = (since ?? 0) - 86_400
        let (keys, superseded): ([String], [String]) = try readOnly(path: database) { db in
            let tables = try column(db, "SELECT name FROM sqlite_master WHERE type = 'table'", path: database)
            var keys: [String] = []
            var superseded: [String] = []
            if tables.contains("deliveries") {
                keys += try column(
                    db,
                    "SELECT key FROM deliveries WHERE state IN ('sent', 'inflight') AND (created_at >= \(after) OR IFNULL(finished_at, 0) >= \(after)) ORDER BY id",
                    path: database)
                // Only when a newer one of its series went out: one still waiting (or given up on) may be of a change
                // the restore rolls back, and then nothing at all would remind of a deadline open again (review).
                superseded = try column(
                    db,
                    """
                    SELECT d.key FROM deliveries d WHERE d.state = 'expired' AND IFNULL(d.finished_at, 0) >= \(after)
                    AND d.last_error LIKE '\(Messages.supersededNotice)%' AND d.series IS NOT NULL AND EXISTS (
                        SELECT 1 FROM deliveries n WHERE n.series = d.series AND n.id > d.id AND n.state IN ('sent', 'inflight'))
                    ORDER BY d.id
                    """,
                    path: database)
            }
            if tables.contains("sent_before_restore") {
                keys += try column(db, "SELECT key FROM sent_before_restore", path: database)
            }
            return (keys, superseded)
        }
        guard !keys.isEmpty || !superseded.isEmpty else { return (0, 0) }
        let sent = try carry(keys, into: incoming, at: at)
        let dropped = try dropSuperseded(superseded, in: incoming, at: at)
        return (sent, dropped)
    }

    /// The rows of `keys` the copy holds pending, expired as the replaced database expired them.
    static func dropSuperseded(_ keys: [String], in incoming: String, at: Instant) throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try readWrite(path: incoming) { db in
            let tables = try column(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'", path: incoming)
            guard !tables.isEmpty else { return 0 }
            _ = try column(db, "BEGIN", path: incoming)
            let sql =
                "UPDATE deliveries SET state = 'expired', finished_at = \(at.seconds), lease_owner = NULL, lease_until = NULL, "
                + "last_error = '\(Messages.supersededNotice) cùng hạn, đã gửi trước khi khôi phục' WHERE key = ?1 AND state IN ('pending', 'inflight')"
            let dropped = try runForEach(keys, sql, db, path: incoming)
            _ = try column(db, "COMMIT", path: incoming)
            return dropped
        }
    }

    /// `keys` sent by the replaced database: marked sent where the copy holds them, else listed in
    /// `sent_before_restore`.
    static func carry(_ keys: [String], into incoming: String, at: Instant) throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try readWrite(path: incoming) { db in
            let hasDeliveries = try column(
                db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'", path: incoming)
            _ = try column(db, sentBeforeRestoreSQL, path: incoming)
            _ = try column(db, "BEGIN", path: incoming)
            // A row the copy holds, not sent there: sent now (its counts follow by the table's triggers).
            let mark =
                hasDeliveries.isEmpty
                ? nil
                : "UPDATE deliveries SET state = 'sent', finished_at = \(at.seconds), lease_owner = NULL, lease_until = NULL "
                    + "WHERE key = ?1 AND state IN ('pending', 'inflight', 'dead')"
            let insert =
                "INSERT OR IGNORE INTO sent_before_restore(key, restored_at) SELECT ?1, \(at.seconds)"
                + (hasDeliveries.isEmpty ? "" : " WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE key = ?1)")
            var carried = 0
            for sql in [mark, insert].compactMap({ $0 }) { carried += try runForEach(keys, sql, db, path: incoming) }
            _ = try column(db, "COMMIT", path: incoming)
            return carried
        }
    }

    /// Runs `sql` once per key (bound as `?1`) on `db`; the rows it changed in all.
    static func runForEach(_ keys: [String], _ sql: String, _ db: OpaquePointer?, path: String) throws -> Int {
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw StoreError.cannotOpen(path: path, reason: String(cString: sqlite3_errmsg(db)))
        }
        var changed = 0
        for key in keys {
            sqlite3_reset(statement)
            sqlite3_bind_text(statement, 1, key, -1, Bound.transient)
            guard sqlite3_step(statement) == SQLITE_DONE else {
                throw StoreError.cannotOpen(path: path, reason: String(cString: sqlite3_errmsg(db)))
            }
            changed += Int(sqlite3_changes(db))
        }
        return changed
    }
}
