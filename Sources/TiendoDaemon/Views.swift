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
    public let version: String
    /// The loop's write failure, if any (`ViewSource.problem`).
    public var problem: StoreProblem? = nil
    /// The newest record's instant while the clock is too far behind it for operators' changes
    /// (`ViewSource.clockBehind`).
    public var clockBehind: Instant? = nil

    public struct Summaries: Sendable {
        public var workflows: [JSON]
        public var instances: Int
        public var overdue: Int
        /// Open deadlines with a provisional due, over every workflow.
        public var provisional: Int
        /// Per workflow, when asked for: its groups in byte order, with their overdue instances.
        public var groups: [String: [(counts: Store.GroupCounts, overdue: Int)]]
        /// The earliest scheduled wake-up, read with the counts.
        public var nextWakeup: Instant?
    }

    /// A `DueItem` from a stored row: `occurrence` only for an occurrence, `provisional` only when true (as
    /// `writeAgendaParameters` writes them).
    public func dueItemJSON(_ d: DueRow, now: Instant) -> JSON {
        let zone = catalog.current[d.workflow]?.zone ?? .vietnam
        let dueDate = CivilDate.parse(d.due.prefix(10)) ?? zone.date(of: d.dueEnd)
        let daysLeft = dueDate.dayNumber - zone.date(of: now).dayNumber
        var o: [(String, JSON)] = [
            ("workflow", .string(d.workflow)), ("instance", .string(d.instance)), ("state", d.state.map(JSON.string) ?? .null),
            ("milestone", d.milestone.map(JSON.string) ?? .null),
        ]
        if let l = d.occurrence { o.append(("occurrence", .string(l))) }
        o += [("title", .string(d.title)), ("due", .string(d.due)), ("daysLeft", .int(daysLeft)), ("overdue", .bool(d.dueEnd <= now))]
        if d.provisional { o.append(("provisional", .bool(true))) }
        o.append(("group", d.group.map(JSON.string) ?? .null))
        return .object(o)
    }

    /// The varlink `Instance` (interfaces §5): `deadlines` (every open deadline at `now`), `milestones` (a recurring
    /// one describing one occurrence) and `next`, computed by the engine of the definition the instance runs.
    public func instanceJSON(_ row: StoredInstance, now: Instant) -> JSON {
        let inst = row.instance
        guard let def = catalog.byDigest[inst.digest] else {
            return .object([("id", .string(inst.id)), ("workflow", .string(inst.workflow)), ("stale", .bool(true))])
        }
        let zone = def.zone
        let engine = Engine(def)
        let (deadlines, next) = engine.deadlines(inst, now: now)
        return .object([
            ("id", .string(inst.id)), ("workflow", .string(inst.workflow)), ("state", inst.state.map(JSON.string) ?? .null),
            ("data", def.json(inst.data)), ("startedAt", .string(zone.iso(inst.startedAt))),
            ("enteredAt", .string(zone.iso(inst.enteredAt))), ("completed", .bool(inst.completed)), ("stale", .bool(row.stale)),
            ("milestones", .array(engine.milestoneViews(inst, now: now).map { $0.json(zone: zone) })),
            ("deadlines", .array(deadlines)), ("next", next),
        ])
    }

    /// The timed transition the instance takes next if nothing else happens first (Extras `TimedTransition`), or null:
    /// `to`, `at` (ISO 8601 in the workflow's zone), `provisional` only when true, and the deadline of the state it
    /// enters (`due`, `dueProvisional` only when true, `dueTitle`) when that state has one. `known`: that transition, when the
    /// caller computed it already.
    public func upcomingTransitionJSON(_ row: StoredInstance, known: UpcomingTransition? = nil) -> JSON {
        guard let def = catalog.byDigest[row.instance.digest], let t = known ?? upcomingTransition(row) else { return .null }
        var o: [(String, JSON)] = [("to", .string(t.to)), ("at", .string(def.zone.iso(t.at)))]
        if t.provisional { o.append(("provisional", .bool(true))) }
        if let d = t.deadline {
            o.append(("due", .string(d.due)))
            if d.provisional { o.append(("dueProvisional", .bool(true))) }
            o.append(("dueTitle", .string(d.title)))
        }
        return .object(o)
    }

    /// How each open deadline's due is counted, in words, by its key (`Engine.dueBases`); nil when none has a basis.
    public func dueBasesJSON(_ row: StoredInstance) -> JSON {
        guard let def = catalog.byDigest[row.instance.digest] else { return .null }
        let bases = Engine(def).dueBases(row.instance)
        return bases.isEmpty ? .null : .object(bases.map { ($0.key, .string($0.text)) })
    }

    /// The timed transition the instance takes next if nothing else happens first (`Engine.upcomingTransition`).
    func upcomingTransition(_ row: StoredInstance) -> UpcomingTransition? {
        catalog.byDigest[row.instance.digest].flatMap { Engine($0).upcomingTransition(row.instance) }
    }

    /// Whether an item of `Instance.deadlines` is overdue at `now` (`ListInstances(overdue:)`).
    public func hasOverdueDeadline(_ row: StoredInstance, now: Instant) -> Bool {
        guard let def = catalog.byDigest[row.instance.digest] else { return false }
        return Engine(def).openDeadlines(row.instance).contains { $0.isOverdue(at: now) }
    }

    /// `[WorkflowSummary]` and the daemon status pieces, from the store's aggregates; per group too with `groups`
    /// (the status files; GetStatus does not need them). Without `nextDue` every `nextDue` is null: the start-up's
    /// status line needs only the totals, and before the due index is built each workflow's next item is a walk of
    /// SQLite's due items in time order (`DueIndexReads`).
    public func summaries(now: Instant, groups withGroups: Bool = true, nextDue: Bool = true) throws -> Summaries {
        try store.snapshot { try summaries($0, now: now, groups: withGroups, nextDue: nextDue) }
    }

    /// Where «within N days» ends: the end of the Nth day after today, local time (a due on that date included), as
    /// `Agenda(days:)` and the web's Việc cần làm (`vn.tiendo.Extras.Due`) reckon their days. Seven times 24 hours
    /// from now left out a due on the seventh day itself, so the overview said 0 where Việc cần làm listed 63 items
    /// due on 14/12, a week from a Monday; and the second before that midnight made `agenda --days 7` on a Monday
    /// miss the next Monday's dues, `--days 0` today's.
    static func endOfDay(_ days: Int, after now: Instant, zone: Zone = .vietnam) -> Instant {
        zone.endOfDay(zone.date(of: now).adding(days: days))
    }

    /// The end of the seventh day after today: «within 7 days» of the overview, the status files and the groups.
    static func weekAhead(of now: Instant, zone: Zone = .vietnam) -> Instant { endOfDay(7, after: now, zone: zone) }

    /// `summaries(now:groups:nextDue:)` inside a snapshot the caller reads more from (the status files).
    func summaries(_ snapshot: Store.Snapshot, now: Instant, groups withGroups: Bool, nextDue: Bool = true) throws -> Summaries {
        let counts = try snapshot.counts(groups: withGroups)
        let due = try snapshot.dueSummary(now: now, soon: Views.weekAhead(of: now), groups: withGroups, next: nextDue)
        let provisional = try snapshot.provisionalCounts()
        var out: [JSON] = []
        var total = 0
        var overdueTotal = 0
        var provisionalTotal = 0
        var groups: [String: [(counts: Store.GroupCounts, overdue: Int)]] = [:]
        for id in catalog.current.keys.sorted() {
            let def = catalog.current[id]!
            let c = counts[id] ?? Store.WorkflowCounts()
            let d = due[id]
            total += c.instances
            overdueTotal += d?.overdue ?? 0
            provisionalTotal += provisional[id] ?? 0
            var stateEntries: [(String, JSON)] = []
            if def.hasStates { for k in c.states.keys.sorted() { stateEntries.append((k, JSON.int(c.states[k]!))) } }
            let nextDue: JSON = d?.next.map { dueItemJSON($0, now: now) } ?? JSON.null
            let summary: [(String, JSON)] = [
                ("id", .string(id)), ("title", .string(def.title)), ("digest", .string(def.digest)), ("instances", .int(c.instances)),
                ("active", .int(c.instances - c.completed)), ("completed", .int(c.completed)), ("overdue", .int(d?.overdue ?? 0)),
                ("dueSoon", .int(d?.dueSoon ?? 0)), ("provisional", .int(provisional[id] ?? 0)), ("states", .object(stateEntries)),
                ("nextDue", nextDue),
            ]
            out.append(.object(summary))
            guard withGroups else { continue }
            // Merge join: both lists are in byte order of the group name, and every overdue group has instances.
            let overdueGroups = d?.overdueGroups ?? []
            let overdueNames = overdueGroups.map { Array($0.0.utf8) }
            var k = 0
            var g: [(counts: Store.GroupCounts, overdue: Int)] = []
            g.reserveCapacity(c.groups.count)
            for gc in c.groups {
                let name = Array(gc.name.utf8)
                while k < overdueNames.count, overdueNames[k].lexicographicallyPrecedes(name) { k += 1 }
                if k < overdueNames.count, overdueNames[k] == name {
                    g.append((gc, overdueGroups[k].1))
                    k += 1
                } else {
                    g.append((gc, 0))
                }
            }
            groups[id] = g
        }
        let next = try snapshot.nextWakeup()
        return Summaries(
            workflows: out, instances: total, overdue: overdueTotal, provisional: provisionalTotal, groups: groups, nextWakeup: next)
    }

    /// The `DaemonStatus`.
    public func statusJSON(now: Instant, summaries s: Summaries) -> JSON {
        let zone = catalog.current.values.first?.zone ?? .vietnam
        return .object(
            [
                ("version", .string(version)), ("pid", .int(pid)), ("startedAt", .string(zone.iso(startedAt))),
                ("now", .string(zone.iso(now))), ("nextWakeup", s.nextWakeup.map { .string(zone.iso($0)) } ?? .null),
                ("workflows", .int(catalog.current.count)), ("instances", .int(s.instances)), ("overdue", .int(s.overdue)),
                ("provisional", .int(s.provisional)), ("diagnostics", .array(catalog.diagnostics.map(\.json))),
            ] + (problem.map { p in [("problem", .object([("reason", .string(p.reason)), ("since", .string(zone.iso(p.since)))]))] } ?? [])
                + (clockBehind.map { n in [("clockBehind", .object([("now", .string(zone.iso(now))), ("newest", .string(zone.iso(n)))]))] }
                    ?? []))
    }

}
