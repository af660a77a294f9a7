import Foundation
import Synchronization
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

    /// Agenda's parameters, `{"items": [DueItem]}`, written from the store's rows straight into JSON text: the same
    /// fields and values as `dueItemJSON`, without a `DueRow` or a JSON tree per item (at 10^6 instances the 7-day
    /// agenda holds ~30,000 items).
    public func writeAgendaParameters(
        until: Instant, workflow: String?, group: String?, now: Instant, to out: inout [UInt8]
    ) throws {
        // Sized by the last answer (up to 64 MiB), so that a large one is written without growing its buffer again and
        // again. Pages of the buffer are only touched as they are written.
        var w = ByteWriter(capacity: min(Views.lastAgendaBytes.load(ordering: .relaxed), 1 << 26) + (1 << 16))
        w.append(#"{"items":["#)
        var first = true
        // Today's day number in each workflow's zone. Rows come in due order, so the workflow changes from row to
        // row: every workflow seen is kept (a handful), found by comparing bytes.
        var todays: [(workflow: [UInt8], day: Int)] = []
        var lastWorkflow: [UInt8] = []
        var today = 0
        var dates = Views.LastDate()
        // Every item, as the contract says: no cap (one of 100,000 used to cut the nation's agenda silently). At 10^7
        // instances that is a few hundred thousand items, tens of MB, which clients read (up to 256 MiB).
        try store.forEachDueItem(until: until, workflow: workflow, group: group, limit: Int.max) { row in
            guard let wf = row.text(2), let inst = row.text(0), let title = row.text(6), let due = row.text(7) else { return }
            let dueEnd = Instant(seconds: row.int64(8))
            if !Views.equal(wf, lastWorkflow) {
                if let known = todays.first(where: { Views.equal(wf, $0.workflow) }) {
                    (lastWorkflow, today) = known
                } else {
                    let zone = catalog.current[String(decoding: wf, as: UTF8.self)]?.zone ?? .vietnam
                    (lastWorkflow, today) = (Array(wf), zone.date(of: now).dayNumber)
                    todays.append((lastWorkflow, today))
                }
            }
            let dueDay =
                dates.dayNumber(isoDate: due)
                ?? {
                    let zone = catalog.current[String(decoding: wf, as: UTF8.self)]?.zone ?? .vietnam
                    return zone.date(of: dueEnd).dayNumber
                }()
            if !first { w.append(UInt8(ascii: ",")) }
            first = false
            w.append(#"{"workflow":"#)
            w.appendJSONString(utf8: wf)
            w.append(#","instance":"#)
            w.appendJSONString(utf8: inst)
            w.append(#","state":"#)
            Views.writeOptional(row.text(4), to: &w)
            w.append(#","milestone":"#)
            Views.writeOptional(row.text(5), to: &w)
            if let occurrence = row.text(9) {
                w.append(#","occurrence":"#)
                w.appendJSONString(utf8: occurrence)
            }
            w.append(#","title":"#)
            w.appendJSONString(utf8: title)
            w.append(#","due":"#)
            w.appendJSONString(utf8: due)
            w.append(#","daysLeft":"#)
            w.appendInt(dueDay - today)
            dueEnd <= now ? w.append(#","overdue":true"#) : w.append(#","overdue":false"#)
            if row.int64(10) != 0 { w.append(#","provisional":true"#) }
            w.append(#","group":"#)
            Views.writeOptional(row.text(3), to: &w)
            w.append(UInt8(ascii: "}"))
        }
        w.append("]}")
        Views.lastAgendaBytes.store(w.count, ordering: .relaxed)
        out.reserveCapacity(out.count + w.count + 16)  // and room for the message's closing bytes
        w.withBytes { out.append(contentsOf: $0) }
    }

    /// The size of the last Agenda answer, any daemon thread's.
    static let lastAgendaBytes = Atomic<Int>(0)

    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        a.count == b.count && (a.isEmpty || b.withUnsafeBufferPointer { memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 })
    }

    static func writeOptional(_ text: UnsafeBufferPointer<UInt8>?, to w: inout ByteWriter) {
        if let text { w.appendJSONString(utf8: text) } else { w.append("null") }
    }

    /// `dayNumber(isoDate:)` remembering its last answer: rows come in due order, so most share the date of the
    /// row before (at 10^6 instances, the 31,185 items of a 7-day agenda fall on 224 dates).
    struct LastDate {
        private var text: (UInt64, UInt16) = (0, 0)
        private var day: Int?

        mutating func dayNumber(isoDate text: UnsafeBufferPointer<UInt8>) -> Int? {
            guard text.count >= 10, let p = text.baseAddress else { return Views.dayNumber(isoDate: text) }
            let key = (UnsafeRawPointer(p).loadUnaligned(as: UInt64.self), UnsafeRawPointer(p + 8).loadUnaligned(as: UInt16.self))
            if let day, key == self.text { return day }
            day = Views.dayNumber(isoDate: text)
            self.text = key
            return day
        }
    }

    /// The day number of the `YYYY-MM-DD` that starts `text`, as `CivilDate.parse(prefix(10))` reads it.
    static func dayNumber(isoDate text: UnsafeBufferPointer<UInt8>) -> Int? {
        guard text.count >= 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                let d = Int(text[i]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
            let date = CivilDate(validYear: y, month: m, day: d)
        else { return nil }
        return date.dayNumber
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

    /// Whether an item of `Instance.deadlines` is overdue at `now` (`ListInstances(overdue:)`).
    public func hasOverdueDeadline(_ row: StoredInstance, now: Instant) -> Bool {
        guard let def = catalog.byDigest[row.instance.digest] else { return false }
        return Engine(def).openDeadlines(row.instance).contains { $0.isOverdue(at: now) }
    }

    /// `[WorkflowSummary]` and the daemon status pieces, from the store's aggregates; per group too with `groups`
    /// (the status files; GetStatus does not need them).
    public func summaries(now: Instant, groups withGroups: Bool = true) throws -> Summaries {
        try store.snapshot { try summaries($0, now: now, groups: withGroups) }
    }

    /// `summaries(now:groups:)` inside a snapshot the caller reads more from (the status files).
    func summaries(_ snapshot: Store.Snapshot, now: Instant, groups withGroups: Bool) throws -> Summaries {
        let counts = try snapshot.counts(groups: withGroups)
        let due = try snapshot.dueSummary(now: now, soon: now.adding(seconds: 7 * 86_400), groups: withGroups)
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
        return .object([
            ("version", .string(version)), ("pid", .int(pid)), ("startedAt", .string(zone.iso(startedAt))),
            ("now", .string(zone.iso(now))), ("nextWakeup", s.nextWakeup.map { .string(zone.iso($0)) } ?? .null),
            ("workflows", .int(catalog.current.count)), ("instances", .int(s.instances)), ("overdue", .int(s.overdue)),
            ("provisional", .int(s.provisional)), ("diagnostics", .array(catalog.diagnostics.map(\.json))),
        ])
    }

}
