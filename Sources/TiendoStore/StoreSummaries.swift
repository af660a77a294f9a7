import Foundation
import GRDB
import GRDBSQLite
public import TiendoCore

/// Summaries and schedule queries: counts per workflow and group, due items, the Agenda cursor.
extension Store {
    // MARK: Summaries

    public struct GroupCounts: Sendable {
        public var name: String
        public var instances = 0
        /// By state name, in byte order.
        public var states: [(String, Int)] = []
    }

    public struct WorkflowCounts: Sendable {
        public var instances = 0
        public var completed = 0
        public var states: [String: Int] = [:]
        /// By group name in byte order ('' for no group); empty unless asked for.
        public var groups: [GroupCounts] = []
        public init() {}
    }

    /// The columns of a due item, in the covering index's order (`due_items_by_end`).
    static let dueColumns = "instance, deadline, workflow, grp, state, milestone, title, due, due_end, occurrence, provisional"

    /// Decodes a row of `dueColumns`, by index.
    static func dueRow(_ row: Row) -> DueRow {
        DueRow(
            instance: row[0], deadline: row[1], workflow: row[2], group: row[3], state: row[4], milestone: row[5],
            occurrence: row[9], title: row[6], due: row[7], dueEnd: Instant(seconds: row[8]), provisional: (row[10] as Int) != 0)
    }

    /// The query of `dueItems` and `forEachDueItem`.
    static func dueQuery(after: Instant?, until: Instant, workflow: String?, group: String?, limit: Int) -> (String, StatementArguments) {
        query(
            "SELECT \(Store.dueColumns) FROM due_items",
            where: [
                ("due_end <= ?", until.seconds), ("due_end > ?", after?.seconds), ("workflow = ?", workflow),
                ("IFNULL(grp, '') = ?", group),
            ],
            orderBy: "due_end, instance, deadline", limit: limit)
    }

    /// `select` with the conditions whose value is present (each with one `?`), ordered and limited.
    static func query(
        _ select: String, where conditions: [(String, (any DatabaseValueConvertible)?)], orderBy: String, limit: Int
    ) -> (String, StatementArguments) {
        let present = conditions.compactMap { c in c.1.map { (c.0, $0) } }
        var sql = select
        if !present.isEmpty { sql += " WHERE " + present.map(\.0).joined(separator: " AND ") }
        sql += " ORDER BY \(orderBy) LIMIT ?"
        return (sql, StatementArguments(present.map(\.1) + [limit]))
    }

    /// The current row of a raw cursor over `dueColumns`: columns read in place, nothing copied or decoded.
    /// Valid only inside the `forEachDueItem` body that received it.
    public struct RawDueRow {
        let statement: OpaquePointer

        /// Column `i` as UTF-8 bytes (nil for NULL), valid until the cursor moves. The column is looked up once
        /// (`sqlite3_column_text` and `sqlite3_column_bytes` each find it and check the statement for an allocation
        /// failure: a sixth of Agenda's time at 10^6 instances). `sqlite3_column_value` returns an unprotected
        /// value, which SQLite documents as safe to read only without a per-connection mutex: GRDB opens every
        /// connection with `SQLITE_OPEN_NOMUTEX` and uses each from one queue at a time. The columns read here are
        /// TEXT in a UTF-8 database, so reading them converts and allocates nothing.
        public func text(_ i: Int32) -> UnsafeBufferPointer<UInt8>? {
            let value = sqlite3_column_value(statement, i)
            guard let p = sqlite3_value_text(value) else { return nil }
            return UnsafeBufferPointer(start: p, count: Int(sqlite3_value_bytes(value)))
        }

        public func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(statement, i) }
    }

    /// `dueItems` for large answers (Agenda): `body` sees each row in place instead of a decoded `DueRow`.
    public func forEachDueItem(
        after: Instant? = nil, until: Instant, workflow: String?, group: String?, limit: Int, _ body: (RawDueRow) -> Void
    ) throws {
        let (sql, args) = Store.dueQuery(after: after, until: until, workflow: workflow, group: group, limit: limit)
        try read { db in
            let statement = try db.makeStatement(sql: sql)
            let cursor = try Row.fetchCursor(statement, arguments: args)
            while try cursor.next() != nil {
                body(RawDueRow(statement: statement.sqliteStatement))
            }
        }
    }

    /// Whether any instance is stored (one row read, whatever the size).
    public func hasInstances() throws -> Bool {
        try read { db in try Int.fetchOne(db, sql: "SELECT 1 FROM instances LIMIT 1") != nil }
    }

    public func totalInstances() throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instances") ?? 0 }
    }

    /// The groups (chi bộ) some instance is in, once each, from the `counts` table every commit keeps exact.
    public func groupNames() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT grp FROM counts WHERE n > 0 AND grp <> ''") }
    }

    /// Instances whose current state was entered after `t` (a full scan: asked only when the clock is found behind
    /// the newest record, to say how many steps are dated in its future).
    public func instancesEntered(after t: Instant) throws -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM instances WHERE entered_at > ?", arguments: [t.seconds]) ?? 0 }
    }

    /// When the latest records were written: among the last 200 rows of history, the latest `at` plus `late` (a
    /// record written after its instant says by how much: an import's backdated start, a catch-up), so that an
    /// import dated in the past does not hide the instant it was made at. Rows up to the one a start with
    /// `--trust-clock` found newest (`trustClock`) do not count: written while the clock ran fast, they would refuse
    /// operators' changes again at the next start. Nil for none.
    public func latestWrittenAt() throws -> Instant? {
        try read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT max(at + IFNULL(json_extract(record, '$.late'), 0)) FROM (SELECT at, record FROM history
                    WHERE seq > IFNULL((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'clock_trusted_through'), 0)
                    ORDER BY seq DESC LIMIT 200)
                    """
            ).map { Instant(seconds: $0) }
        }
    }

    /// A start with `--trust-clock`: the records written so far no longer set the clock's floor (`latestWrittenAt`).
    public func trustClock() throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO meta(key, value) VALUES ('clock_trusted_through', (SELECT IFNULL(MAX(seq), 0) FROM history))
                    ON CONFLICT(key) DO UPDATE SET value = excluded.value
                    """)
        }
    }
}

/// The summaries read in one snapshot (`Store.snapshot`).
extension Store.Snapshot {
    /// Instances of `workflow`, not completed, that run another version than `digest`: they stay on theirs
    /// (format §9). From `workflow_counts`, which every commit keeps exact.
    public func activeOnOtherVersions(workflow: String, digest: String) throws -> Int {
        try Int.fetchOne(
            db.cachedStatement(
                sql: "SELECT IFNULL(SUM(n), 0) FROM workflow_counts WHERE workflow = ? AND digest <> ? AND completed = 0"),
            arguments: [workflow, digest]) ?? 0
    }

    /// The unfinished instances of `workflow` on versions other than `digest`, by state (nil: no state), most first.
    public func activeStatesOnOtherVersions(workflow: String, digest: String) throws -> [(state: String?, count: Int)] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT state, SUM(n) FROM workflow_counts WHERE workflow = ? AND digest <> ? AND completed = 0
                    GROUP BY state HAVING SUM(n) > 0 ORDER BY SUM(n) DESC, state
                    """),
            arguments: [workflow, digest]
        ).map { ($0[0], $0[1]) }
    }

    /// Instances per workflow, state and (with `groups`) group, from the `counts` table every commit keeps exact. Rows come
    /// ordered, so the groups are built by appending: no hashing of the (Vietnamese, non-ASCII) group names, whose
    /// String hashing normalises every byte — at 10^6 instances in 50,000 groups that dominated start-up.
    public func counts(groups: Bool = true) throws -> [String: Store.WorkflowCounts] {
        var out: [String: Store.WorkflowCounts] = [:]
        let sql =
            groups
            ? "SELECT workflow, state, completed, SUM(n), grp FROM counts GROUP BY workflow, grp, state, completed HAVING SUM(n) > 0 ORDER BY workflow, grp, state"
            : "SELECT workflow, state, completed, SUM(n) FROM workflow_counts GROUP BY workflow, state, completed HAVING SUM(n) > 0"
        var current = ""
        var wc = Store.WorkflowCounts()
        var lastGroup: [UInt8] = []
        let cursor = try Row.fetchCursor(db, sql: sql)
        while let row = try cursor.next() {
            let wf: String = row[0]
            if wf != current {
                if !current.isEmpty { out[current] = wc }
                current = wf
                wc = Store.WorkflowCounts()
                lastGroup = []
            }
            let stateText: String = row[1]
            let completed = (row[2] as Int) != 0
            let n: Int = row[3]
            wc.instances += n
            if completed { wc.completed += n }
            if !stateText.isEmpty { wc.states[stateText, default: 0] += n }
            guard groups else { continue }
            let grp: String = row[4]
            let bytes = Array(grp.utf8)
            if wc.groups.isEmpty || bytes != lastGroup {
                wc.groups.append(Store.GroupCounts(name: grp))
                lastGroup = bytes
            }
            let g = wc.groups.count - 1
            wc.groups[g].instances += n
            if !stateText.isEmpty {
                // Same state with another `completed` value: the rows are adjacent.
                if let last = wc.groups[g].states.last, last.0 == stateText {
                    wc.groups[g].states[wc.groups[g].states.count - 1].1 += n
                } else {
                    wc.groups[g].states.append((stateText, n))
                }
            }
        }
        if !current.isEmpty { out[current] = wc }
        return out
    }

    /// Open items due before `until` (overdue ones included unless `after` is given: then those due after it),
    /// earliest first.
    public func dueItems(after: Instant? = nil, until: Instant, workflow: String?, group: String?, limit: Int) throws -> [DueRow] {
        let (sql, args) = Store.dueQuery(after: after, until: until, workflow: workflow, group: group, limit: limit)
        return try Row.fetchAll(db, sql: sql, arguments: args).map(Store.dueRow)
    }

    /// Per workflow: instances with an overdue item (and, with `groups`, per group in byte order), with an item due
    /// within (now, soon], and (with `next`) the next item not overdue.
    public func dueSummary(now: Instant, soon: Instant, groups: Bool = true, next: Bool = true) throws -> [String: (
        overdue: Int, dueSoon: Int, next: DueRow?, overdueGroups: [(String, Int)]
    )] {
        var out: [String: (overdue: Int, dueSoon: Int, next: DueRow?, overdueGroups: [(String, Int)])] = [:]
        let empty: (overdue: Int, dueSoon: Int, next: DueRow?, overdueGroups: [(String, Int)]) = (0, 0, nil, [])
        for row in try Row.fetchAll(
            db,
            sql: groups
                ? """
                SELECT workflow, IFNULL(grp,'') AS g, COUNT(DISTINCT instance) AS n FROM due_items INDEXED BY due_items_by_end
                WHERE due_end <= ? GROUP BY workflow, g ORDER BY workflow, g
                """
                : """
                SELECT workflow, '', COUNT(DISTINCT instance) AS n FROM due_items INDEXED BY due_items_by_end
                WHERE due_end <= ? GROUP BY workflow
                """,
            arguments: [now.seconds])
        {
            // An instance is in one group: the groups' distinct counts add up to the workflow's.
            let wf: String = row[0]
            let n: Int = row[2]
            out[wf, default: empty].overdue += n
            if groups { out[wf]!.overdueGroups.append((row[1] as String, n)) }
        }
        for row in try Row.fetchAll(
            db,
            sql: "SELECT workflow, COUNT(DISTINCT instance) AS n FROM due_items WHERE due_end > ? AND due_end <= ? GROUP BY workflow",
            arguments: [now.seconds, soon.seconds])
        {
            out[row[0] as String, default: empty].dueSoon = row[1]
        }
        if next {
            for (wf, row) in try nextItems(now: now) { out[wf, default: empty].next = row }
        }
        return out
    }

    /// Open overdue items: count, total age and a histogram over `bounds` (seconds), computed in SQL.
    public func overdueAges(now: Instant, bounds: [Int64]) throws -> OverdueAges {
        let cols = bounds.map { "IFNULL(SUM(age <= \($0)), 0)" }.joined(separator: ", ")
        var out = OverdueAges(count: 0, sum: 0, buckets: bounds.map { _ in 0 }, byWorkflow: [:])
        // One pass over the overdue items, per workflow: the histogram adds the workflows up.
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT workflow, COUNT(*), IFNULL(SUM(age), 0), \(cols)
                FROM (SELECT workflow, ? - due_end AS age FROM due_items WHERE due_end <= ?) GROUP BY workflow
                """,
            arguments: [now.seconds, now.seconds])
        for row in rows {
            let n: Int = row[1]
            out.byWorkflow[row[0]] = n
            out.count += n
            out.sum += row[2] as Int64
            for b in bounds.indices { out.buckets[b] += row[b + 3] as Int }
        }
        return out
    }
}

/// The open overdue items' ages (`tiendo_overdue_age_seconds`), and how many each workflow has.
public struct OverdueAges: Sendable, Equatable {
    public var count: Int
    public var sum: Int64
    /// Items at most each bound old, in the bounds' order.
    public var buckets: [Int]
    /// Workflow → open overdue items (five unpaid months of đảng phí are five).
    public var byWorkflow: [String: Int]
}
