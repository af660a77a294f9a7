import GRDB
public import TiendoCore

/// Paged, filtered reads for a front end (tiendo-web, through `vn.tiendo.Extras`): what a page shows, computed in
/// SQL so that a page costs the same at 10^3 and 10^6 instances, instead of sending whole agendas or lists over the
/// socket to be cut down there.
extension Store {
    /// What a page is limited to: one workflow, some groups (a ward officer's chi bộ; `""` stands for "no group"),
    /// one state. nil means no limit.
    public struct Scope: Sendable {
        public var workflow: String?
        public var groups: [String]?
        public var state: String?

        public init(workflow: String? = nil, groups: [String]? = nil, state: String? = nil) {
            self.workflow = workflow
            self.groups = groups
            self.state = state
        }

        /// `AND`-joined conditions on a table with `workflow`, `grp` and `state` columns (`grp`/`state` NULL when
        /// absent, unless `emptyMeansNone`: the counts tables store them as '').
        func conditions(_ table: String, emptyMeansNone: Bool = false) -> (sql: [String], arguments: [any DatabaseValueConvertible]) {
            var sql: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let workflow {
                sql.append("\(table).workflow = ?")
                args.append(workflow)
            }
            if let state {
                sql.append("\(table).state = ?")
                args.append(state)
            }
            if let groups {
                let named = groups.filter { !$0.isEmpty }
                var alternatives: [String] = []
                if !named.isEmpty {
                    // A plain IN keeps the index on grp usable.
                    alternatives.append("\(table).grp IN (\(Array(repeating: "?", count: named.count).joined(separator: ",")))")
                    args += named as [any DatabaseValueConvertible]
                }
                if named.count < groups.count {
                    alternatives.append(emptyMeansNone ? "\(table).grp = ''" : "\(table).grp IS NULL")
                }
                sql.append(alternatives.isEmpty ? "0" : "(" + alternatives.joined(separator: " OR ") + ")")
            }
            return (sql, args)
        }
    }

    /// A due item with its instance's data as stored (JSON text), for a label and for searching.
    public struct DueEntry: Sendable {
        public var row: DueRow
        public var data: String
    }

    /// One page of due items, earliest first, and how many items (of the whole selection) are due at or before each
    /// of the bounds given.
    public struct DuePage: Sendable {
        public var entries: [DueEntry]
        public var countsByBound: [Int]
    }

    /// Local due dates `from...until` (`YYYY-MM-DD`): conditions on the due's text, which starts with its local
    /// date for date and instant dues alike, plus a range of `due_end` a day wider that the index can use.
    public struct DueDates: Sendable {
        public var from: CivilDate
        public var until: CivilDate
        public var zone: Zone

        public init(from: CivilDate, until: CivilDate, zone: Zone) {
            self.from = from
            self.until = until
            self.zone = zone
        }

        func conditions() -> (sql: [String], arguments: [any DatabaseValueConvertible]) {
            (
                ["d.due_end > ?", "d.due >= ?", "d.due < ?"],
                [zone.instant(from.adding(days: -1)).seconds, from.iso, until.adding(days: 1).iso]
            )
        }
    }

    /// Items of `scope` (and on `dates` when given), earliest first: the page `offset..<offset+limit` of those due
    /// at or before `until`, and how many items are due at or before each of `bounds` (which may reach past
    /// `until`). With `matching`, only items whose (instance id, data text) it accepts count (a search: every item
    /// up to the last bound is read).
    public func duePage(
        scope: Scope, until: Instant, bounds: [Instant], dates: DueDates? = nil, offset: Int, limit: Int,
        matching: ((String, String) -> Bool)? = nil
    ) throws -> DuePage {
        var (conditions, arguments) = scope.conditions("d")
        if let (sql, args) = dates?.conditions() {
            conditions += sql
            arguments += args
        }
        let horizon = max(until, bounds.max() ?? until)
        func selection(_ end: Instant) -> (sql: String, arguments: StatementArguments) {
            ((["d.due_end <= ?"] + conditions).joined(separator: " AND "), Store.arguments([end.seconds] + arguments))
        }
        func select(_ end: Instant) -> (sql: String, arguments: StatementArguments) {
            let (whereSQL, args) = selection(end)
            let columns = Store.dueColumns.split(separator: ",").map { "d." + $0.filter { $0 != " " } }.joined(separator: ", ")
            return (
                """
                SELECT \(columns), i.data FROM due_items d JOIN instances i ON i.id = d.instance WHERE \(whereSQL)
                ORDER BY d.due_end, d.instance, d.deadline
                """, args
            )
        }
        let dataColumn = Store.dueColumns.split(separator: ",").count
        return try read { db in
            guard let matching else {
                let page = select(until)
                let entries = try Row.fetchAll(db, sql: page.sql + " LIMIT ? OFFSET ?", arguments: page.arguments + [limit, offset]).map {
                    Store.dueEntry($0, data: dataColumn)
                }
                guard !bounds.isEmpty else { return DuePage(entries: entries, countsByBound: []) }
                let (whereSQL, args) = selection(horizon)
                let sums = bounds.map { _ in "IFNULL(SUM(d.due_end <= ?), 0)" }.joined(separator: ", ")
                let row = try Row.fetchOne(
                    db, sql: "SELECT \(sums) FROM due_items d WHERE \(whereSQL)", arguments: Store.arguments(bounds.map(\.seconds)) + args)
                return DuePage(entries: entries, countsByBound: (0..<bounds.count).map { (row?[$0] as Int?) ?? 0 })
            }
            var counts = Array(repeating: 0, count: bounds.count)
            var entries: [DueEntry] = []
            var seen = 0
            let all = select(horizon)
            let cursor = try Row.fetchCursor(db, sql: all.sql, arguments: all.arguments)
            while let row = try cursor.next() {
                guard matching(row[0], row[dataColumn]) else { continue }
                let end: Int64 = row[8]
                for (i, b) in bounds.enumerated() where end <= b.seconds { counts[i] += 1 }
                guard end <= until.seconds else { continue }
                if seen >= offset && entries.count < limit { entries.append(Store.dueEntry(row, data: dataColumn)) }
                seen += 1
            }
            return DuePage(entries: entries, countsByBound: counts)
        }
    }

    static func arguments(_ values: [any DatabaseValueConvertible]) -> StatementArguments {
        StatementArguments(values.map { $0 as (any DatabaseValueConvertible)? })
    }

    static func dueEntry(_ row: Row, data column: Int) -> DueEntry { DueEntry(row: dueRow(row), data: row[column]) }

    /// Instances of `scope`, by id after `after`, at most `limit`: those with an item due at or before `overdueAt`
    /// when given, and those whose (id, data text) `matching` accepts.
    public func instancePage(
        scope: Scope, overdueAt: Instant?, after: String?, limit: Int, matching: ((String, String) -> Bool)? = nil,
        definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        if let overdueAt, let workflow = scope.workflow, scope.groups == nil {
            return try overdueInstancePage(
                scope: scope, workflow: workflow, overdueAt: overdueAt, after: after, limit: limit, matching: matching,
                definition: definition)
        }
        var (conditions, arguments) = scope.conditions("instances")
        if let after {
            conditions.append("instances.id > ?")
            arguments.append(after)
        }
        if let overdueAt {
            conditions.append("EXISTS (SELECT 1 FROM due_items d WHERE d.instance = instances.id AND d.due_end <= ?)")
            arguments.append(overdueAt.seconds)
        }
        var sql = "SELECT \(Store.columns) FROM instances"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY instances.id"
        return try read { db in
            guard let matching else {
                return try Store.instances(db, sql + " LIMIT ?", Store.arguments(arguments + [limit]), definition: definition)
            }
            var out: [StoredInstance] = []
            guard limit > 0 else { return out }
            try db.makeStatement(sql: sql).forEachRow(Store.arguments(arguments)) { row in
                if matching(row.text(0), row.text(3)) { out.append(Store.decode(row, definition: definition)) }
                return out.count < limit
            }
            return out
        }
    }

    /// Instances of `scope` that may move on by themselves by `bound`, by id after `after`, at most `limit` of those
    /// `keep` accepts (the caller's engine says whether the next timed transition comes by then): not completed,
    /// no item due (no deadline open), a wake-up at or before `bound`. Driven from the wake-up index, which holds
    /// only what falls due by `bound`, rather than from every instance of the scope (most of the store for one
    /// workflow at a province's size); limited to some chi bộ, from their instances (`instances_grp`: 0.4 ms instead
    /// of 0.35 s for one chi bộ at 10^6). The candidates are then sorted by id for the page.
    public func movingInstancePage(
        scope: Scope, by bound: Instant, after: String?, limit: Int, matching: ((String, String) -> Bool)?,
        keep: (StoredInstance) -> Bool, definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        var (conditions, arguments) = scope.conditions("instances")
        conditions += [
            "instances.next_wakeup IS NOT NULL", "instances.next_wakeup <= ?", "instances.completed = 0",
            "NOT EXISTS (SELECT 1 FROM due_items d WHERE d.instance = instances.id)",
        ]
        arguments.append(bound.seconds)
        if let after {
            conditions.append("instances.id > ?")
            arguments.append(after)
        }
        return try read { db in
            let index = scope.groups == nil ? " INDEXED BY instances_wakeup" : ""
            var ids = try String.fetchAll(
                db, sql: "SELECT instances.id FROM instances\(index) WHERE " + conditions.joined(separator: " AND "),
                arguments: Store.arguments(arguments))
            ids.sort { Store.compareBytes($0, $1) < 0 }
            var next = ids.makeIterator()
            return try Store.readEach(
                { next.next() }, through: try db.cachedStatement(sql: "SELECT \(Store.columns) FROM instances WHERE id = ?"),
                limit: limit, matching: matching, keep: keep, definition: definition)
        }
    }

    /// Up to `limit` instances read one by one, by the ids `next` gives, through `one` (its last argument the id,
    /// after `arguments`), those `matching` (id, data text) and `keep` accept.
    static func readEach(
        _ next: () throws -> String?, through one: Statement, arguments: [any DatabaseValueConvertible] = [], limit: Int,
        matching: ((String, String) -> Bool)?, keep: (StoredInstance) -> Bool = { _ in true },
        definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        var out: [StoredInstance] = []
        while out.count < limit, let id = try next() {
            try one.forEachRow(Store.arguments(arguments + [id])) { row in
                if let matching, !matching(row.text(0), row.text(3)) { return false }
                let stored = Store.decode(row, definition: definition)
                if keep(stored) { out.append(stored) }
                return false
            }
        }
        return out
    }

    /// `instancePage` of one workflow's overdue instances, driven from its overdue items instead of its instances:
    /// the instances with an item due at or before `overdueAt`, in id order, each then read and checked against
    /// `scope` and `matching`. A workflow's instances are most of the store at the nation's size (916,679 of 10^6
    /// in the benchmark's data), and walking them by the workflow index then sorting them by id took 0.7 s for a
    /// page; its overdue items are a few per cent of them (about 16,000 at 10^6). Limited to groups, the instances'
    /// index by group and id serves better, and `instancePage` keeps its query.
    func overdueInstancePage(
        scope: Scope, workflow: String, overdueAt: Instant, after: String?, limit: Int, matching: ((String, String) -> Bool)?,
        definition: (String) -> WorkflowDefinition?
    ) throws -> [StoredInstance] {
        var (conditions, arguments) = scope.conditions("instances")
        conditions.append("instances.id = ?")
        var candidates = "SELECT DISTINCT instance FROM due_items INDEXED BY due_items_by_end WHERE due_end <= ? AND workflow = ?"
        var candidateArguments: [any DatabaseValueConvertible] = [overdueAt.seconds, workflow]
        if let after {
            candidates += " AND instance > ?"
            candidateArguments.append(after)
        }
        return try read { db in
            let one = try db.cachedStatement(sql: "SELECT \(Store.columns) FROM instances WHERE " + conditions.joined(separator: " AND "))
            let ids = try String.fetchCursor(db, sql: candidates + " ORDER BY instance", arguments: Store.arguments(candidateArguments))
            return try Store.readEach(
                { try ids.next() }, through: one, arguments: arguments, limit: limit, matching: matching, definition: definition)
        }
    }

    /// How many instances of `scope` have an item due at or before `overdueAt`: driven from those items (a few per
    /// cent of the instances), each joined to its instance for the scope's state and groups, so that a list of
    /// overdue records says its total as the unfiltered one does (large-data audit, 07/12/2026: «Hồ sơ 1–50.» of
    /// 24,857).
    public func overdueInstanceCount(scope: Scope, overdueAt: Instant) throws -> Int {
        let (conditions, arguments) = scope.conditions("instances")
        let sql =
            "SELECT COUNT(DISTINCT d.instance) FROM due_items d INDEXED BY due_items_by_end JOIN instances ON instances.id = d.instance"
            + " WHERE " + (["d.due_end <= ?"] + conditions).joined(separator: " AND ")
        return try read { db in
            try Int.fetchOne(db, sql: sql, arguments: Store.arguments([overdueAt.seconds] + arguments)) ?? 0
        }
    }

    /// How many instances `scope` holds, from the counts every commit keeps.
    public func instanceCount(scope: Scope) throws -> Int {
        let (conditions, arguments) = scope.conditions("counts", emptyMeansNone: true)
        var sql = "SELECT IFNULL(SUM(n), 0) FROM counts"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        return try read { db in try Int.fetchOne(db, sql: sql, arguments: Store.arguments(arguments)) ?? 0 }
    }

    /// Per workflow and group (`""` for none): instances, those not completed, those with an overdue item (due at or
    /// before `now`), those with an item due in (now, soon].
    public struct GroupSummary: Sendable, Hashable {
        public var workflow: String
        public var group: String
        public var instances = 0
        public var active = 0
        public var overdue = 0
        public var dueSoon = 0
    }

    /// A workflow and group (`""` for none) as one dictionary key: their UTF-8 bytes, since a `String` key hashes
    /// and compares by Unicode normalisation, which for names such as "Chi bộ …" was a fifth of the reply's time.
    static func groupKey(_ workflow: some Collection<UInt8>, _ group: some Collection<UInt8>) -> ByteKey {
        var key: [UInt8] = []
        key.reserveCapacity(workflow.count + 1 + group.count)
        key.append(contentsOf: workflow)
        key.append(0)
        key.append(contentsOf: group)
        return ByteKey(key)
    }

    /// Every group of `scope` with instances, by workflow then group (byte order).
    public func groupSummaries(scope: Scope, now: Instant, soon: Instant) throws -> [GroupSummary] {
        let (countConditions, countArguments) = scope.conditions("counts", emptyMeansNone: true)
        let (dueConditions, dueArguments) = scope.conditions("d")
        return try read { db in
            var out: [GroupSummary] = []
            var sql = "SELECT workflow, grp, SUM(n), SUM(CASE WHEN completed = 0 THEN n ELSE 0 END) FROM counts"
            if !countConditions.isEmpty { sql += " WHERE " + countConditions.joined(separator: " AND ") }
            sql += " GROUP BY workflow, grp HAVING SUM(n) > 0 ORDER BY workflow, grp"
            let rows = try Row.fetchCursor(db, sql: sql, arguments: Store.arguments(countArguments))
            while let row = try rows.next() {
                var g = GroupSummary(workflow: row[0], group: row[1])
                g.instances = row[2]
                g.active = row[3]
                out.append(g)
            }
            // Overdue: due in (-∞, now]; due soon: in (now, soon]. From the index in memory once it is built (at 10^6
            // a walk of some 30,000 items instead of two SQL reads of 40-50 ms); it is applied right after each
            // commit, so these can be one commit apart from the counts above.
            var due: [ByteKey: (overdue: Int, dueSoon: Int)]
            if let memory = dueIndex?.current() {
                due = memory.groupDueCounts(now: now.seconds, soon: soon.seconds, scope: scope)
            } else {
                due = [:]
                let conditions = (["d.due_end > ?", "d.due_end <= ?"] + dueConditions).joined(separator: " AND ")
                let dueSQL =
                    "SELECT d.workflow, IFNULL(d.grp, ''), COUNT(DISTINCT d.instance) FROM due_items d WHERE \(conditions) GROUP BY 1, 2"
                for (lower, upper, overdue) in [(Int64.min, now.seconds, true), (now.seconds, soon.seconds, false)] {
                    let args = Store.arguments([lower, upper] + dueArguments)
                    for row in try Row.fetchAll(db, sql: dueSQL, arguments: args) {
                        let key = Store.groupKey((row[0] as String).utf8, (row[1] as String).utf8)
                        if overdue { due[key, default: (0, 0)].overdue = row[2] } else { due[key, default: (0, 0)].dueSoon = row[2] }
                    }
                }
            }
            guard !due.isEmpty else { return out }
            for i in out.indices {
                guard let c = due[Store.groupKey(out[i].workflow.utf8, out[i].group.utf8)] else { continue }
                (out[i].overdue, out[i].dueSoon) = c
            }
            return out
        }
    }
}
