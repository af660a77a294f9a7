import Foundation
public import TiendoCore
public import TiendoStore

/// JSON views of the daemon's state for status files and the control socket, from a catalog snapshot and the
/// store's read connections. Safe to use from any thread.
public struct Views: Sendable {
    public let catalog: Catalog
    public let store: Store
    public let pid: Int
    public let startedAt: Instant

    public struct Summaries: Sendable {
        public var workflows: [JSON]
        public var instances: Int
        public var overdue: Int
        /// Per workflow, per group: (instances, states, overdue instances).
        public var groups: [String: [String: (Int, [String: Int], Int)]]
    }


    public func dueItemJSON(_ d: DueRow, now: Instant) -> JSON {
        let zone = catalog.current[d.workflow]?.zone ?? .vietnam
        let dueDate = CivilDate.parse(d.due.prefix(10)) ?? zone.date(of: d.dueEnd)
        let daysLeft = dueDate.dayNumber - zone.date(of: now).dayNumber
        return .object([
            ("workflow", .string(d.workflow)), ("instance", .string(d.instance)), ("state", d.state.map(JSON.string) ?? .null),
            ("milestone", d.milestone.map(JSON.string) ?? .null), ("title", .string(d.title)), ("due", .string(d.due)),
            ("daysLeft", .int(daysLeft)), ("overdue", .bool(d.dueEnd <= now)), ("group", d.group.map(JSON.string) ?? .null),
        ])
    }

    public func instanceJSON(_ row: StoredInstance, now: Instant) -> JSON {
        let inst = row.instance
        guard let def = catalog.byDigest[inst.digest] else {
            return .object([("id", .string(inst.id)), ("workflow", .string(inst.workflow)), ("stale", .bool(true))])
        }
        let zone = def.zone
        let engine = Engine(def)
        let open = Dictionary(engine.openDeadlines(inst).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let milestones: [JSON] = def.milestones.map { m in
            let doneAt = inst.done[m.id]
            var due = open[m.id]?.due
            if due == nil, let v = m.deadline.due.evaluate(
                zone: zone, calendar: def.calendar, startedAt: inst.startedAt, enteredAt: inst.enteredAt,
                fieldValue: { name in
                    switch inst.data[name] {
                    case .date(let d): return .date(d)
                    case .datetime(let t): return .instant(t)
                    default: return nil
                    }
                })
            {
                switch v {
                case .date(let d): due = d.iso
                case .instant(let t): due = zone.iso(t)
                }
            }
            return .object([
                ("id", .string(m.id)), ("title", .string(m.title)), ("due", .string(due ?? "")), ("done", .bool(doneAt != nil)),
                ("doneAt", doneAt.map { .string(zone.iso($0)) } ?? .null), ("overdue", .bool(open[m.id].map { $0.end <= now } ?? false)),
                ("requires", .array(m.requires.map(JSON.string))),
            ])
        }
        let nextDue = engine.openDeadlines(inst).filter { $0.end > now }.min { $0.end < $1.end }
        let next: JSON = nextDue.map { d in
            dueItemJSON(
                DueRow(
                    instance: inst.id, deadline: d.key, workflow: inst.workflow, group: def.group(of: inst.data), state: inst.state,
                    milestone: d.milestone, title: d.title, due: d.due, dueEnd: d.end), now: now)
        } ?? .null
        return .object([
            ("id", .string(inst.id)), ("workflow", .string(inst.workflow)), ("state", inst.state.map(JSON.string) ?? .null),
            ("data", def.json(inst.data)), ("startedAt", .string(zone.iso(inst.startedAt))),
            ("enteredAt", .string(zone.iso(inst.enteredAt))), ("completed", .bool(inst.completed)), ("stale", .bool(row.stale)),
            ("milestones", .array(milestones)), ("next", next),
        ])
    }

    /// `[WorkflowSummary]` and the daemon status pieces, from the store's aggregates.
    public func summaries(now: Instant) throws -> Summaries {
        let counts = try store.counts()
        let due = try store.dueSummary(now: now, soon: now.adding(seconds: 7 * 86_400))
        var out: [JSON] = []
        var total = 0
        var overdueTotal = 0
        var groups: [String: [String: (Int, [String: Int], Int)]] = [:]
        for id in catalog.current.keys.sorted() {
            let def = catalog.current[id]!
            let c = counts[id] ?? Store.WorkflowCounts()
            let d = due[id]
            total += c.instances
            overdueTotal += d?.overdue ?? 0
            var stateEntries: [(String, JSON)] = []
            if def.hasStates { for k in c.states.keys.sorted() { stateEntries.append((k, JSON.int(c.states[k]!))) } }
            let nextDue: JSON = d?.next.map { dueItemJSON($0, now: now) } ?? JSON.null
            let summary: [(String, JSON)] = [
                ("id", .string(id)), ("title", .string(def.title)), ("digest", .string(def.digest)), ("instances", .int(c.instances)),
                ("active", .int(c.instances - c.completed)), ("completed", .int(c.completed)), ("overdue", .int(d?.overdue ?? 0)),
                ("dueSoon", .int(d?.dueSoon ?? 0)), ("states", .object(stateEntries)), ("nextDue", nextDue),
            ]
            out.append(.object(summary))
            var g: [String: (Int, [String: Int], Int)] = [:]
            for (name, v) in c.groups { g[name] = (v.instances, v.states, d?.overdueGroups[name] ?? 0) }
            groups[id] = g
        }
        return Summaries(workflows: out, instances: total, overdue: overdueTotal, groups: groups)
    }

    public func statusJSON(now: Instant, workflows: [JSON], instances: Int, overdue: Int) -> JSON {
        let next = try? store.nextWakeup()
        let zone = catalog.current.values.first?.zone ?? .vietnam
        return .object([
            ("version", .string(TiendoVersion.string)), ("pid", .int(pid)), ("startedAt", .string(zone.iso(startedAt))),
            ("now", .string(zone.iso(now))), ("nextWakeup", next.map { .string(zone.iso($0)) } ?? .null),
            ("workflows", .int(catalog.current.count)), ("instances", .int(instances)), ("overdue", .int(overdue)),
            ("diagnostics", .array(catalog.diagnostics.map(\.json))),
        ])
    }

}
