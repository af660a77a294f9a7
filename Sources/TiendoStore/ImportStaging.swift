import GRDB
public import TiendoCore

/// Staged imports: the rows of an import that arrives in several calls wait here until the last call commits them
/// all in one transaction or rejects them all.
extension Store.Transaction {
    /// The workflow and row count of a staged import, nil when there is none with this id.
    public func importSession(_ id: String) throws -> (workflow: String, rows: Int)? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT workflow, rows FROM import_sessions WHERE import_id = ?", arguments: [id])
                .map { ($0["workflow"], $0["rows"]) }
        }
    }

    /// Appends rows (numbered after those staged before) and returns the new total.
    public func stage(importID: String, workflow: String, rows: [JSON], at now: Instant) throws -> Int {
        try write { db in
            let before = try Int.fetchOne(db, sql: "SELECT rows FROM import_sessions WHERE import_id = ?", arguments: [importID]) ?? 0
            let insert = try db.cachedStatement(sql: "INSERT INTO import_rows(import_id, row, data) VALUES (?,?,?)")
            for (i, r) in rows.enumerated() { try insert.execute(arguments: [importID, before + i + 1, r.serialized()]) }
            try db.execute(
                sql: """
                    INSERT INTO import_sessions(import_id, workflow, rows, touched_at) VALUES (?,?,?,?)
                    ON CONFLICT(import_id) DO UPDATE SET rows = excluded.rows, touched_at = excluded.touched_at
                    """, arguments: [importID, workflow, before + rows.count, now.seconds])
            return before + rows.count
        }
    }

    /// Staged rows `after` < row ≤ `after + limit`, in order, as (row number, row object).
    public func stagedRows(importID: String, after: Int, limit: Int) throws -> [(Int, [(String, JSON)])] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT row, data FROM import_rows WHERE import_id = ? AND row > ? ORDER BY row LIMIT ?",
                arguments: [importID, after, limit]
            ).map { row in
                var bytes = Array((row["data"] as String).utf8)
                return (row["row"], (try? JSON.parse(bytes: &bytes))?.objectValue ?? [])
            }
        }
    }

    /// Forgets a staged import (after its commit or rejection), or every one idle since `idleBefore` (nil: all).
    public func dropStaged(importID: String? = nil, idleBefore: Instant? = nil) throws {
        try write { db in
            if let importID {
                try db.execute(sql: "DELETE FROM import_rows WHERE import_id = ?", arguments: [importID])
                try db.execute(sql: "DELETE FROM import_sessions WHERE import_id = ?", arguments: [importID])
                return
            }
            let cutoff = idleBefore?.seconds ?? Int64.max
            try db.execute(
                sql: "DELETE FROM import_rows WHERE import_id IN (SELECT import_id FROM import_sessions WHERE touched_at < ?)",
                arguments: [cutoff])
            try db.execute(sql: "DELETE FROM import_sessions WHERE touched_at < ?", arguments: [cutoff])
        }
    }
}
