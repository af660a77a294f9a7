import GRDB
import GRDBSQLite

/// A value bound to a statement's parameter.
enum Bound {
    case int(Int64)
    case text(String)
    /// Text given as its UTF-8 bytes (a record's JSON, written as bytes: `Record.jsonText`).
    case utf8([UInt8])
    case null

    init(_ v: Int64?) { self = v.map(Bound.int) ?? .null }
    init(_ v: Int) { self = .int(Int64(v)) }
    init(_ v: Bool) { self = .int(v ? 1 : 0) }
    init(_ v: String?) { self = v.map(Bound.text) ?? .null }
}

extension Statement {
    /// Runs this write statement (prepared once, `cachedStatement`) with `values` bound straight to SQLite.
    ///
    /// Written by hand because GRDB's `execute(arguments:)` boxes every value in an existential, converts it to a
    /// `DatabaseValue`, validates the count and tells its observation broker before and after each step: 18 % of
    /// the loop thread during an import and 10 % under 16 SendEvent clients, more than SQLite's own work for the
    /// same rows in the import. Only for statements that return no rows and change no transaction state (INSERT,
    /// UPDATE, upserts: GRDB has nothing to track for them), on the writer inside a write transaction. As GRDB
    /// does, a transaction SQLite rolled back by itself after an error (a full disk, an I/O error) is reported
    /// instead of running the statement on its own, outside any transaction.
    func run(in db: Database, _ values: [Bound]) throws {
        let handle = sqliteStatement
        try Bound.requireTransaction(handle, sql: sql)
        defer { Bound.release(handle) }
        // As GRDB does, a wrong number of values is an error of this statement, not a crash of the daemon.
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "\(values.count) values for \(sqlite3_bind_parameter_count(handle)) parameters", sql: sql)
        }
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            let code: Int32
            switch v {
            case .int(let n): code = sqlite3_bind_int64(handle, index, n)
            case .null: code = sqlite3_bind_null(handle, index)
            case .text(let s):
                // As GRDB binds a String (up to its first NUL); SQLITE_TRANSIENT: SQLite copies the bytes.
                code = s.withCString { sqlite3_bind_text(handle, index, $0, -1, Bound.transient) }
            case .utf8(let b):
                // An empty array may have no storage: a NULL pointer would bind NULL, not ''.
                code =
                    b.isEmpty
                    ? sqlite3_bind_text(handle, index, "", 0, Bound.transient)
                    : b.withUnsafeBufferPointer { p in
                        p.withMemoryRebound(to: CChar.self) {
                            sqlite3_bind_text(handle, index, $0.baseAddress, Int32(p.count), Bound.transient)
                        }
                    }
            }
            guard code == SQLITE_OK else { throw Bound.failure(code, handle, sql: sql) }
        }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw Bound.failure(code, handle, sql: sql) }
    }
}

extension Bound {
    /// SQLite's `SQLITE_TRANSIENT` (a macro Swift does not import).
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// A transaction is open on the statement's connection: not so after SQLite rolled one back by itself (a full
    /// disk, an I/O error), when the statement would otherwise run on its own, outside any transaction.
    /// `sql` only when it throws: GRDB's `Statement.sql` builds a new trimmed `String` at every read (a third of the
    /// loop thread's time while firing, when it was read for every statement run).
    static func requireTransaction(_ handle: OpaquePointer, sql: @autoclosure () -> String) throws {
        guard let connection = sqlite3_db_handle(handle), sqlite3_get_autocommit(connection) == 0 else {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted", sql: sql())
        }
    }

    /// Leaves a statement as found: reset, and no value kept bound (a cached statement would otherwise hold a copy
    /// of the last row's texts — an instance's whole data — until its next run).
    static func release(_ handle: OpaquePointer) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// SQLite's error `code` for the statement, with its connection's message.
    static func failure(_ code: Int32, _ handle: OpaquePointer, sql: @autoclosure () -> String) -> DatabaseError {
        let message = sqlite3_db_handle(handle).flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: sql())
    }
}
