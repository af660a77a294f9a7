import Foundation
import GRDB
import Testing
import TiendoCore

@testable import TiendoDaemon

/// An import prepares its rows on every core (`Daemon.prepare`, `parallelMap`) and keeps the first pass's work for
/// the second when it is small enough (`DaemonOptions.importRowsKept`): what it stores and emits must be exactly
/// what rows imported one by one, prepared on the loop thread alone, give.
@Suite struct ImportPreparationTests {
    @Test("parallelMap gives map's result in map's order, spread over the cores or not")
    func parallelMapKeepsOrder() {
        let items = Array(0..<10_007)
        for minimum in [1, 100, 5_000, Int.max] {
            #expect(items.parallelMap(minimumPerThread: minimum) { $0 * 3 + 1 } == items.map { $0 * 3 + 1 }, "\(minimum)")
        }
        #expect([Int]().parallelMap(minimumPerThread: 1) { $0 } == [])
    }

    /// 1,100 rows: backdated starts and dues spread over a month, so most catch up on reminders and overdue notices
    /// on the way; a bad date on two rows when `bad`.
    static func rows(bad: Bool = false) -> [[(String, JSON)]] {
        (0..<1_100).map { i in
            let due = bad && (i == 7 || i == 1_042) ? "31/02/2027" : CivilDate(2027, 2, 1 + i % 28).iso
            return [("key", .string("r\(i)")), ("started", .string(CivilDate(2027, 1, 1 + i % 20).iso)), ("han", .string(due))]
        }
    }

    /// What the import stored (instances and due items, every column but the idempotent ones) and emitted.
    static func outcome(_ f: SchedulerTests.Fixture) throws -> (rows: [String], records: [String]) {
        let db = try DatabaseQueue(path: f.dir + "/state/tiendo.sqlite")
        defer { try? db.close() }
        let rows = try db.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, workflow, state, data, started_at, entered_at, done, completed, digest, marks, checked_at,
                        next_wakeup, grp, stale, due_sig, series FROM instances ORDER BY id
                    """
            ).map(\.description)
                + Row.fetchAll(db, sql: "SELECT * FROM due_items ORDER BY instance, deadline").map(\.description)
                + Row.fetchAll(db, sql: "SELECT instance, workflow, at, kind, record FROM history ORDER BY seq").map(\.description)
                + Row.fetchAll(db, sql: "SELECT * FROM counts ORDER BY workflow, grp, state, completed").map(\.description)
        }
        let records = f.sink.records.map { "\($0.kind.rawValue) \($0.instance ?? "") \($0.at.seconds) \($0.message)" }
        return (rows, records)
    }

    @Test(
        "an import prepared on every core, kept between its passes or checked again page by page, stores and emits what rows imported one by one do",
        arguments: [nil, 10])
    func parallelImportEqualsOneByOne(kept: Int?) throws {
        let at = "2027-03-01T08:00:00+07:00"
        let rows = ImportPreparationTests.rows()
        let one = try SchedulerTests.Fixture(at: at, synchronous: "NORMAL")
        defer { removeTemporaryDirectory(one.dir) }
        for row in rows { #expect(try one.daemon.importInstances(workflow: "han-thu", rows: [row], actor: 3) == .imported(1)) }
        let all = try SchedulerTests.Fixture(at: at, importRowsKept: kept, synchronous: "NORMAL")
        defer { removeTemporaryDirectory(all.dir) }
        #expect(try all.daemon.importInstances(workflow: "han-thu", rows: rows, actor: 3) == .imported(rows.count))
        let (expected, got) = (try ImportPreparationTests.outcome(one), try ImportPreparationTests.outcome(all))
        #expect(expected.rows.count > 2 * rows.count && expected.records.count > rows.count)
        #expect(got.rows == expected.rows)
        #expect(got.records == expected.records)
    }

    @Test("bad rows found while preparing on every core are reported with their row numbers, in order, and nothing is stored")
    func parallelImportRejectsEverything() throws {
        let f = try SchedulerTests.Fixture(at: "2027-03-01T08:00:00+07:00", synchronous: "NORMAL")
        defer { removeTemporaryDirectory(f.dir) }
        do {
            _ = try f.daemon.importInstances(workflow: "han-thu", rows: ImportPreparationTests.rows(bad: true), actor: nil)
            Issue.record("the import was accepted")
        } catch {
            guard case .importRejected(let problems) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(problems.map(\.line) == [8, 1_043], "\(problems)")
            #expect(problems.allSatisfy { $0.message.hasPrefix("cột 'han'") }, "\(problems.map(\.message))")
        }
        #expect(try f.daemon.store.instances(workflow: "han-thu", limit: 10, after: nil) { _ in nil }.isEmpty)
        #expect(f.sink.records.isEmpty)
    }
}
