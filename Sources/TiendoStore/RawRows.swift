import GRDB
import GRDBSQLite

/// The current row of a statement being stepped (`Statement.forEachRow`), its columns read straight from SQLite.
///
/// Written by hand for the instance rows the firing, events and pages read (`Store.decode`): GRDB's `Row.fetchAll`
/// copies every column of every row into a `Row` first and then converts each value through its generic decoding,
/// about half of the time a firing batch spent reading its due instances (a profile of the loop thread at 10^5,
/// 05/12/2026). Valid only inside the `forEachRow` call that hands it out.
struct RawRow {
    let handle: OpaquePointer

    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    func bool(_ i: Int32) -> Bool { sqlite3_column_int64(handle, i) != 0 }
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    func optionalInt64(_ i: Int32) -> Int64? { isNull(i) ? nil : int64(i) }

    /// The column as text, "" when NULL (`Store.decode` reads nullable columns with `optionalText`; the others are
    /// NOT NULL or IFNULL'd, but for the id, which only a row inserted by hand could leave NULL). SQLite out of memory
    /// while converting a value stops the process, as GRDB's decoding did: reading it as "" would, for a digest,
    /// take an instance off its workflow for good.
    func text(_ i: Int32) -> String {
        guard let p = sqlite3_column_text(handle, i) else {
            precondition(sqlite3_column_type(handle, i) == SQLITE_NULL, "SQLite ran out of memory reading column \(i)")
            return ""
        }
        return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i))), as: UTF8.self)
    }

    func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
}

extension Statement {
    /// Steps this read statement with `arguments` (bound by GRDB, which checks their number) and hands each row to
    /// `body` until it returns false or the rows end. Every read of the store runs in a transaction (a reader's, or
    /// the loop's write transaction); as `run` does, one that SQLite ended by itself after an error is reported
    /// instead of read from outside it. Leaves the statement reset with no value bound in SQLite (GRDB, which still
    /// believes its arguments are set, is never asked to run it without arguments: every caller passes them).
    func forEachRow(_ arguments: StatementArguments, _ body: (RawRow) throws -> Bool) throws {
        let handle = sqliteStatement
        try Bound.requireTransaction(handle, sql: sql)
        try setArguments(arguments)
        defer { Bound.release(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw Bound.failure(code, handle, sql: sql) }
            guard try body(RawRow(handle: handle)) else { return }
        }
    }

    /// Every row, each made by `make`.
    func map<T>(_ arguments: StatementArguments, _ make: (RawRow) throws -> T) throws -> [T] {
        var out: [T] = []
        try forEachRow(arguments) { r in
            out.append(try make(r))
            return true
        }
        return out
    }
}
