import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import TiendoStore

/// `Statement.run`, the store's own binding of its hot write statements, against what GRDB reads back.
@Suite("store: write statements bound straight to SQLite")
struct BoundStatementTests {
    @Test("values round-trip as GRDB binds them; errors carry SQLite's code; the statement is reusable after one and keeps no value")
    func roundTripAndErrors() throws {
        let dir = try makeTemporaryDirectory("bound")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        try store.write { (db: Database) in
            try db.execute(sql: "CREATE TABLE t(k TEXT PRIMARY KEY, i INTEGER, s TEXT, b INTEGER, n TEXT)")
        }
        let insert = "INSERT INTO t(k, i, s, b, n) VALUES (?,?,?,?,?)"
        let nfd = "Chi bộ Phường 3".decomposedStringWithCanonicalMapping
        try store.write { (db: Database) in
            let st = try db.cachedStatement(sql: insert)
            try st.run(in: db, [.text("a"), Bound(Int64(-42)), .text(nfd), Bound(true), Bound(nil as String?)])
            try st.run(in: db, [.text("b"), Bound(Int64.max), .text(""), Bound(false), .text("x")])
        }
        let rows = try store.read { try Row.fetchAll($0, sql: "SELECT k, i, s, b, n, typeof(n) FROM t ORDER BY k") }
        #expect(rows.count == 2)
        #expect(rows[0][1] as Int64 == -42 && Array((rows[0][2] as String).utf8) == Array(nfd.utf8), "bytes kept as given")
        #expect(rows[0][3] as Int64 == 1 && rows[0][5] as String == "null")
        #expect(rows[1][1] as Int64 == Int64.max && rows[1][2] as String == "" && rows[1][3] as Int64 == 0)
        // A constraint error: thrown with its code, nothing of the failed transaction kept.
        var thrown: DatabaseError?
        do {
            try store.write { (db: Database) in
                let st = try db.cachedStatement(sql: insert)
                try st.run(in: db, [.text("c"), .int(1), .text("c"), .int(0), .null])
                try st.run(in: db, [.text("a"), .int(1), .text("again"), .int(0), .null])
            }
        } catch let e as DatabaseError {
            thrown = e
        }
        #expect(thrown?.resultCode == .SQLITE_CONSTRAINT, "\(String(describing: thrown))")
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 2)
        // The same cached statement after its failure.
        try store.write { (db: Database) in try db.cachedStatement(sql: insert).run(in: db, [.text("d"), .int(4), .null, .int(1), .null]) }
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT i FROM t WHERE k = 'd'") } == 4)
        // Too few or too many values: an error of the statement (as GRDB reports it), nothing written.
        for values: [Bound] in [[.text("e"), .int(5)], [.text("e"), .int(5), .null, .int(0), .null, .null]] {
            var misuse: DatabaseError?
            do {
                try store.write { (db: Database) in try db.cachedStatement(sql: insert).run(in: db, values) }
            } catch let e as DatabaseError {
                misuse = e
            }
            #expect(misuse?.resultCode == .SQLITE_MISUSE, "\(String(describing: misuse))")
        }
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 3)
        // After a run, success or failure, the statement holds no value: SQLite's expansion shows every parameter NULL.
        try store.write { (db: Database) in
            let st = try db.cachedStatement(sql: insert)
            try st.run(in: db, [.text("f"), .int(6), .text("dữ liệu của hồ sơ"), .int(1), .null])
            #expect(Self.expanded(st) == "INSERT INTO t(k, i, s, b, n) VALUES (NULL,NULL,NULL,NULL,NULL)")
            #expect(throws: DatabaseError.self) { try st.run(in: db, [.text("f"), .int(7), .text("lần hai"), .int(1), .null]) }
            #expect(Self.expanded(st) == "INSERT INTO t(k, i, s, b, n) VALUES (NULL,NULL,NULL,NULL,NULL)")
        }
    }

    static func expanded(_ st: Statement) -> String? {
        guard let p = sqlite3_expanded_sql(st.sqliteStatement) else { return nil }
        defer { sqlite3_free(p) }
        return String(cString: p)
    }

    @Test("a transaction SQLite ended by itself is reported, not continued outside any transaction")
    func abortedTransaction() throws {
        let dir = try makeTemporaryDirectory("bound-abort")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        try store.write { (db: Database) in try db.execute(sql: "CREATE TABLE t(k TEXT)") }
        var thrown: DatabaseError?
        do {
            try store.write { (db: Database) in
                // As SQLite does after some errors (a full disk, an I/O error): the transaction is gone.
                _ = sqlite3_exec(db.sqliteConnection, "ROLLBACK", nil, nil, nil)
                try db.cachedStatement(sql: "INSERT INTO t(k) VALUES (?)").run(in: db, [.text("lost")])
            }
        } catch let e as DatabaseError {
            thrown = e
        }
        #expect(thrown?.resultCode == .SQLITE_ABORT, "\(String(describing: thrown))")
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 0, "nothing written in autocommit")
        // The raw reads (`forEachRow`) report it too, rather than read outside the transaction the loop believes open.
        var readThrown: DatabaseError?
        _ = try? store.write { (db: Database) in
            _ = sqlite3_exec(db.sqliteConnection, "ROLLBACK", nil, nil, nil)
            do {
                try db.cachedStatement(sql: "SELECT k FROM t").forEachRow([]) { _ in true }
            } catch let e as DatabaseError {
                readThrown = e
            }
        }
        #expect(readThrown?.resultCode == .SQLITE_ABORT, "\(String(describing: readThrown))")
    }

    @Test("raw reads: every row, NULL as absent, early stop, and the statement reset with nothing bound after")
    func rawReads() throws {
        let dir = try makeTemporaryDirectory("raw-rows")
        defer { removeTemporaryDirectory(dir) }
        let store = try Store(path: dir + "/tiendo.sqlite")
        let nfd = "Chi bộ Phường 3".decomposedStringWithCanonicalMapping
        try store.write { (db: Database) in
            try db.execute(sql: "CREATE TABLE t(k TEXT PRIMARY KEY, i INTEGER, s TEXT)")
            try db.execute(sql: "INSERT INTO t VALUES ('a', -7, ?), ('b', NULL, NULL), ('c', 3, '')", arguments: [nfd])
        }
        let select = "SELECT k, i, s FROM t WHERE k >= ? ORDER BY k"
        let rows = try store.read { (db: Database) in
            try db.cachedStatement(sql: select).map(["a"]) { ($0.text(0), $0.optionalInt64(1), $0.optionalText(2)) }
        }
        #expect(rows.map(\.0) == ["a", "b", "c"])
        #expect(rows[0].1 == -7 && rows[0].2.map { Array($0.utf8) } == Array(nfd.utf8), "bytes kept as stored")
        #expect(rows[1].1 == nil && rows[1].2 == nil && rows[2].2 == "")
        let (first, expanded) = try store.read { (db: Database) -> ([String], String?) in
            let st = try db.cachedStatement(sql: select)
            var seen: [String] = []
            try st.forEachRow(["b"]) { row in
                seen.append(row.text(0))
                return false
            }
            return (seen, sqlite3_expanded_sql(st.sqliteStatement).map { String(cString: $0) })
        }
        #expect(first == ["b"], "stopped after the first row")
        #expect(expanded?.hasSuffix("k >= NULL ORDER BY k") == true, "\(expanded ?? "nil")")
    }
}
