import GRDB
public import TiendoCore

/// The reads of open items that go one workflow at a time: each workflow's next item (the summaries' `nextDue`) and
/// the status files' lists per workflow. `due_items` has no index by workflow since migration
/// `v10-no-workflow-due-index` (one B-tree fewer for every event, fire and import to write), so both are one walk of
/// the items in time order: through the daemon's index in memory once it is built; before that (the first seconds
/// after a start) and in a store without one (tools, tests), through `due_items_by_end`.
///
/// The index is applied just after each commit, so these can be one commit ahead of or behind the snapshot's SQL
/// reads (the counts beside them): never by more.
extension Store.Snapshot {
    /// The first open item (earliest due end, then instance and deadline) due after `now` of each workflow with
    /// instances.
    func nextItems(now: Instant) throws -> [String: DueRow] {
        let workflows = Set(try String.fetchAll(db, sql: "SELECT DISTINCT workflow FROM workflow_counts WHERE n > 0"))
        if let index = dueIndex?.current() { return index.firstItems(after: now.seconds, workflows: workflows) }
        var out: [String: DueRow] = [:]
        guard !workflows.isEmpty else { return out }
        let rows = try itemsInTimeOrder(where: "due_end > ?", now)
        while let row = try rows.next() {
            let workflow: String = row[2]
            guard out[workflow] == nil, workflows.contains(workflow) else { continue }
            out[workflow] = Store.dueRow(row)
            if out.count == workflows.count { break }
        }
        return out
    }

    /// The open items with `condition` on their due end (one `?`, `bound`), in the order of `due_items_by_end`.
    private func itemsInTimeOrder(where condition: String, _ bound: Instant) throws -> RowCursor {
        let sql = "SELECT \(Store.dueColumns) FROM due_items INDEXED BY due_items_by_end WHERE \(condition)"
        return try Row.fetchCursor(db, sql: sql + " ORDER BY due_end, instance, deadline", arguments: [bound.seconds])
    }

    /// Per workflow of `workflows`: its first `limit` open items due at or before `now` (overdue) and its first
    /// `limit` due in (now, soon], earliest first (the status files' lists).
    public func dueLists(
        workflows: [String], now: Instant, soon: Instant, limit: Int
    ) throws -> [String: (overdue: [DueRow], upcoming: [DueRow])] {
        var lists: [String: (overdue: [DueRow], upcoming: [DueRow])]
        if let index = dueIndex?.current() {
            lists = index.lists(now: now.seconds, soon: soon.seconds, limit: limit)
        } else {
            var fill = DueLists<String>(now: now.seconds, limit: limit)
            let rows = try itemsInTimeOrder(where: "due_end <= ?", soon)
            while let row = try rows.next() { fill.add(row[2], dueEnd: row[8]) { Store.dueRow(row) } }
            lists = fill.byWorkflow
        }
        return Dictionary(uniqueKeysWithValues: workflows.map { ($0, lists[$0] ?? ([], [])) })
    }
}

/// Each workflow's first `limit` items due at or before `now` and first `limit` due after it, filled from items
/// given in time order (by name from SQLite, by atom from the index in memory).
struct DueLists<Workflow: Hashable> {
    let now: Int64
    let limit: Int
    var byWorkflow: [Workflow: (overdue: [DueRow], upcoming: [DueRow])] = [:]

    /// Keeps the item of `workflow` due at `dueEnd`, made by `row` only when its list has room.
    mutating func add(_ workflow: Workflow, dueEnd: Int64, _ row: () -> DueRow) {
        if dueEnd <= now {
            guard byWorkflow[workflow]?.overdue.count ?? 0 < limit else { return }
            byWorkflow[workflow, default: ([], [])].overdue.append(row())
        } else {
            guard byWorkflow[workflow]?.upcoming.count ?? 0 < limit else { return }
            byWorkflow[workflow, default: ([], [])].upcoming.append(row())
        }
    }
}

extension DueIndex {
    /// The first item due after `after` of each workflow in `workflows` that has one, by workflow. Chunks holding
    /// no item of a workflow still looked for are skipped, so a workflow whose items are all overdue costs a look at
    /// each later chunk's few workflows, not at its items.
    func firstItems(after: Int64, workflows: Set<String>) -> [String: DueRow] {
        var out: [String: DueRow] = [:]
        guard !workflows.isEmpty else { return out }
        // Workflow atoms met so far: the name of one still looked for, nil for one found or not asked for.
        var looking: [UInt32: String?] = [:]
        func wanted(_ atom: UInt32) -> String? {
            if let known = looking[atom] { return known }
            let name = atoms.text(atom).flatMap { workflows.contains($0) && out[$0] == nil ? $0 : nil }
            looking[atom] = .some(name)
            return name
        }
        forEach(after: after, until: .max, skippingChunk: { !$0.contains { wanted($0) != nil } }) { e, id, group in
            if let name = wanted(e.workflow) {
                out[name] = row(e, instance: id, group: group)
                looking[e.workflow] = .some(nil)
            }
            return out.count < workflows.count
        }
        return out
    }

    /// Per workflow with items: its first `limit` items due at or before `now` and its first `limit` due in
    /// (now, soon], earliest first.
    func lists(now: Int64, soon: Int64, limit: Int) -> [String: (overdue: [DueRow], upcoming: [DueRow])] {
        var fill = DueLists<UInt32>(now: now, limit: limit)
        forEach(until: soon) { e, id, group in
            fill.add(e.workflow, dueEnd: e.dueEnd) { row(e, instance: id, group: group) }
            return true
        }
        var out: [String: (overdue: [DueRow], upcoming: [DueRow])] = [:]
        for (atom, lists) in fill.byWorkflow { out[atoms.text(atom) ?? ""] = lists }
        return out
    }
}

extension DueIndex {
    /// Per workflow and group (`Store.groupKey`, `""` for none) of the items in `scope`: how many instances have an
    /// item due at or before `now` and how many one due in (now, soon], each instance counted once in each (the
    /// summaries per group, as `COUNT(DISTINCT instance)` over `due_items` gives them).
    func groupDueCounts(now: Int64, soon: Int64, scope: Store.Scope) -> [ByteKey: (overdue: Int, dueSoon: Int)] {
        // Per atom met so far: the workflow's name (bytes) when it is in scope, nil when not; whether a state is.
        var workflows: [UInt32: [UInt8]?] = [:]
        var states: [UInt32: Bool] = [:]
        let groups = scope.groups.map { Set($0.map { ByteKey(Array($0.utf8)) }) }
        var overdue = Set<ByteKey>()
        var dueSoon = Set<ByteKey>()
        var out: [ByteKey: (overdue: Int, dueSoon: Int)] = [:]
        forEach(until: soon) { e, id, group in
            let workflow: [UInt8]?
            if let known = workflows[e.workflow] {
                workflow = known
            } else {
                workflow = atoms.text(e.workflow).flatMap { scope.workflow == nil || scope.workflow == $0 ? Array($0.utf8) : nil }
                workflows[e.workflow] = .some(workflow)
            }
            guard let workflow else { return true }
            if let wanted = scope.state {
                if states[e.state] == nil { states[e.state] = atoms.text(e.state) == wanted }
                guard states[e.state] == true else { return true }
            }
            let g = group ?? UnsafeBufferPointer(start: nil, count: 0)
            if let groups, !groups.contains(ByteKey(Array(g))) { return true }
            if e.dueEnd <= now {
                if overdue.insert(ByteKey(Array(id))).inserted { out[Store.groupKey(workflow, g), default: (0, 0)].overdue += 1 }
            } else if dueSoon.insert(ByteKey(Array(id))).inserted {
                out[Store.groupKey(workflow, g), default: (0, 0)].dueSoon += 1
            }
            return true
        }
        return out
    }
}
