import CSQLite
import Foundation

/// A read-only connection to the daemon's state database, for progress polling and counts. It never writes, and
/// each query is its own short read transaction, so it does not hold the daemon's WAL back.
final class SQLiteReader {
    private var db: OpaquePointer?

    init(path: String) throws {
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "?"
            sqlite3_close(db)
            throw BenchError("sqlite3_open_v2 \(path): \(msg)")
        }
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { sqlite3_close(db) }

    /// The first column of the first row as an integer (nil for NULL or no row).
    func int(_ sql: String) throws -> Int64? {
        var st: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &st, nil) == SQLITE_OK else {
            throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(st) }
        let rc = sqlite3_step(st)
        if rc == SQLITE_ROW {
            return sqlite3_column_type(st, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(st, 0)
        }
        if rc == SQLITE_DONE { return nil }
        throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
    }

    /// Every row's first column as text.
    func strings(_ sql: String) throws -> [String] {
        var st: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &st, nil) == SQLITE_OK else {
            throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(st) }
        var out: [String] = []
        while true {
            let rc = sqlite3_step(st)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))") }
            if let p = sqlite3_column_text(st, 0) { out.append(String(cString: p)) }
        }
        return out
    }
}
