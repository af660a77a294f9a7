import Foundation
import Testing
import TiendoCore
import TiendoDaemon

import struct GRDB.Configuration
import class GRDB.DatabaseQueue
import struct GRDB.DatabaseValue
import class GRDB.Row

/// Large imports build the secondary indexes after their rows (`BulkLoad`): what they store, and the indexes they
/// leave, must be exactly what the same rows imported row by row give; a rejected one leaves the store as it was.
@Suite struct BulkImportTests {
    /// A limit on the initial state, per group: a row over it is rejected in the second pass, after a bulk load has
    /// dropped the indexes.
    static let capped = """
        tiendo: 1
        title: Nhập có hạn mức
        fields:
          chi_bo: {type: text, required: true}
          han: {type: date, required: true}
        group_by: chi_bo
        initial: moi
        states:
          moi:
            title: Mới
            deadline:
              due: han
              remind: [3d]
              overdue: {repeat: 1d}
            on: {xong: xong}
          xong: {title: Xong, final: true}
        limits:
          - state: moi
            max: 40
            per: chi_bo

        """

    /// A daemon on the scheduler tests' workflow plus `capped`, importing in bulk from `bulkRows` rows on.
    static func daemon(bulkRows: Int) throws -> (Daemon, String) {
        var (dir, options) = try SchedulerTests.Fixture.directory()
        try capped.write(toFile: dir + "/workflows/han-muc.yaml", atomically: true, encoding: .utf8)
        options.bulkImportRows = bulkRows
        let time = ManualTime(try #require(Zone.vietnam.parseInstant("2027-03-01T08:00:00+07:00")))
        let daemon = try Daemon(options: options, clock: DaemonClock(manual: time), sink: SchedulerTests.CapturingSink())
        #expect(daemon.loadDefinitions().diagnostics.filter { $0.severity == .error }.isEmpty)
        return (daemon, dir)
    }

    /// Rows with backdated starts and dues (each starts, catches up on its notices and keeps due items), spread
    /// over `groups` chi bộ.
    static func rows(_ range: Range<Int>, groups: Int = 10) -> [[(String, JSON)]] {
        range.map { i in
            [
                ("key", .string("r\(i)")), ("started", .string("2027-02-01")), ("chi_bo", .string("Chi bộ \(i % groups)")),
                ("han", .string(CivilDate(2027, 2, 20).adding(days: i % 20).iso)),
            ]
        }
    }

    /// Everything a test compares, read straight from the database file: the tables the import writes and the
    /// indexes' definitions, plus where each index's row sits in `sqlite_master` (a rebuilt index moves to the end).
    struct Contents: Equatable {
        var tables: [String: [String]]
        var indexes: [String]
        var indexRowids: [String: Int64]
        var integrity: String
    }

    static func contents(_ daemon: Daemon) throws -> Contents {
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(path: daemon.store.path, configuration: config)
        return try db.read { db in
            var tables: [String: [String]] = [:]
            for (table, order) in [
                ("instances", "id"), ("due_items", "instance, deadline"), ("history", "seq"), ("counts", "workflow, grp, state"),
                ("workflow_counts", "workflow, state"),
            ] {
                // Every column but the rowid, as text.
                tables[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)").map { row in
                    row.columnNames.map { "\($0)=\((row[$0] as DatabaseValue).description)" }.joined(separator: "|")
                }
            }
            let indexes = try Row.fetchAll(db, sql: "SELECT name, sql, rowid FROM sqlite_master WHERE type = 'index' ORDER BY name")
            return Contents(
                tables: tables, indexes: indexes.map { "\($0[0] as String): \($0[1] as String? ?? "")" },
                indexRowids: Dictionary(uniqueKeysWithValues: indexes.map { ($0[0] as String, $0[2] as Int64) }),
                integrity: try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; "))
        }
    }

    @Test("a bulk import stores exactly what a row-by-row import stores, and leaves the same indexes, rebuilt")
    func bulkMatchesRowByRow() throws {
        let (bulk, bulkDir) = try Self.daemon(bulkRows: 100)
        let (plain, plainDir) = try Self.daemon(bulkRows: .max)
        defer {
            removeTemporaryDirectory(bulkDir)
            removeTemporaryDirectory(plainDir)
        }
        let before = try Self.contents(bulk)
        for d in [bulk, plain] {
            #expect(try d.importInstances(workflow: "han-muc", rows: Self.rows(0..<300), actor: nil) == .imported(300))
            // The store holds 300: 120 more rows are not bulk (300 > 3 × 120), 150 are (300 ≤ 3 × 150).
            #expect(try d.importInstances(workflow: "han-muc", rows: Self.rows(300..<420, groups: 30), actor: nil) == .imported(120))
            #expect(try d.importInstances(workflow: "han-muc", rows: Self.rows(420..<570, groups: 30), actor: nil) == .imported(150))
        }
        let (b, p) = (try Self.contents(bulk), try Self.contents(plain))
        #expect(b.integrity == "ok")
        #expect(b.tables["instances"]?.count == 570)
        #expect((b.tables["due_items"]?.count ?? 0) >= 570)
        #expect((b.tables["history"]?.count ?? 0) > 570 + 300, "each row's start, and the notices caught up on past dues")
        for (table, rows) in p.tables { #expect(b.tables[table] == rows, "\(table)") }
        #expect(b.indexes == p.indexes)
        #expect(b.indexes.contains { $0.hasPrefix("instances_grp: CREATE INDEX instances_grp ON instances(grp, id)") })
        // The indexes of the tables the import writes were built again; the others, and every index of the
        // row-by-row store, are where they were.
        let rebuilt = Set(b.indexRowids.keys.filter { b.indexRowids[$0] != before.indexRowids[$0] })
        #expect(
            rebuilt == [
                "instances_wakeup", "instances_workflow_state", "instances_grp", "due_items_by_end",
                "history_instance", "history_undo",
            ])
        #expect(p.indexRowids == before.indexRowids)
        #expect(b.indexRowids["sqlite_autoindex_instances_1"] == before.indexRowids["sqlite_autoindex_instances_1"])
    }

    @Test("a bulk import rejected after its indexes were dropped leaves the store, indexes and all, as it was")
    func rejectedBulkImportChangesNothing() throws {
        let (daemon, dir) = try Self.daemon(bulkRows: 10)
        defer { removeTemporaryDirectory(dir) }
        #expect(try daemon.importInstances(workflow: "han-muc", rows: Self.rows(0..<20), actor: nil) == .imported(20))
        let before = try Self.contents(daemon)
        // 60 more rows in one chi bộ that holds 2: the 39th is over the limit of 40, found while starting the rows
        // (the second pass); 22 rows are over it.
        let rows = Self.rows(20..<80, groups: 1)
        #expect {
            try daemon.importInstances(workflow: "han-muc", rows: rows, actor: nil)
        } throws: { error in
            guard case RequestError.importRejected(let problems) = error else { return false }
            return problems.count == 22 && problems[0].message.contains("vượt giới hạn")
        }
        let after = try Self.contents(daemon)
        #expect(after == before)
        #expect(after.integrity == "ok")
        // And the store takes the same import within the limit, in bulk, afterwards.
        #expect(try daemon.importInstances(workflow: "han-muc", rows: Array(rows.prefix(38)), actor: nil) == .imported(38))
        #expect(try Self.contents(daemon).integrity == "ok")
    }
}
