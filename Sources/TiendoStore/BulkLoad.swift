import GRDB
import GRDBSQLite

/// A bulk load (a large import): the secondary indexes of the tables it writes row by row are dropped when it
/// starts and built again, from their own SQL, just before it commits — inside the same transaction, so readers
/// (snapshots of the last commit) never see a table without its indexes, and a failed load rolls back to the
/// indexes it found. Building an index from sorted keys writes each page once; keeping it row by row with keys in
/// random order reads and dirties a leaf page per row, which costs once the indexes outgrow the page cache (a
/// staged import of 3·10^6 rows took a fifth less CPU; at 10^6 no difference was measurable: docs/performance.md,
/// "Large imports").
public struct DeferredIndexes: Sendable {
    /// Name and `CREATE INDEX` statement of each dropped index, in the order `sqlite_master` listed them.
    public let definitions: [(name: String, sql: String)]
}

extension Store.Transaction {
    /// How many instances are stored (from the counts each commit keeps: no scan).
    public func instanceCount() throws -> Int {
        try Int.fetchOne(db, sql: "SELECT IFNULL(SUM(n), 0) FROM workflow_counts") ?? 0
    }

    /// Drops the secondary indexes of the tables an import writes a row of per instance, record or due item
    /// (`instances`, `due_items`, `history`): those made by `CREATE INDEX` (primary keys and UNIQUE constraints
    /// stay: they check the rows as they come, and the upserts need them). The caller must not read through the
    /// dropped indexes in the meantime (a read that needed one scans its whole table).
    public func deferSecondaryIndexes() throws -> DeferredIndexes {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
                    AND tbl_name IN ('instances', 'due_items', 'history') AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY rowid
                """)
        let definitions = rows.map { (name: $0[0] as String, sql: $0[1] as String) }
        for d in definitions { try db.execute(sql: "DROP INDEX \(d.name.quotedDatabaseIdentifier)") }
        return DeferredIndexes(definitions: definitions)
    }

    /// Builds the indexes `deferSecondaryIndexes` dropped, calling `progress` every few million SQLite
    /// instructions (an index over 10^7 rows takes minutes: the daemon feeds its watchdog from there).
    public func rebuild(_ indexes: DeferredIndexes, progress: @escaping () -> Void) throws {
        let box = Unmanaged.passRetained(ProgressBox(progress))
        defer {
            sqlite3_progress_handler(db.sqliteConnection, 0, nil, nil)
            box.release()
        }
        sqlite3_progress_handler(
            db.sqliteConnection, 4_000_000,
            { context in
                Unmanaged<ProgressBox>.fromOpaque(context!).takeUnretainedValue().call()
                return 0
            }, box.toOpaque())
        for d in indexes.definitions { try db.execute(sql: d.sql) }
    }
}

/// The closure a C progress handler calls (its context pointer holds this box for the duration of `rebuild`).
private final class ProgressBox {
    let call: () -> Void
    init(_ call: @escaping () -> Void) { self.call = call }
}
