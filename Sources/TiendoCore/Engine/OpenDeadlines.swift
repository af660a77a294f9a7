/// An open deadline of an instance, as operators see it (`Instance.deadlines`, agenda, status, `Instance.next`).
public struct OpenDeadline: Sendable, Hashable {
    /// `""` for the current state's deadline, the milestone id, or `M@LABEL` for an occurrence.
    public var key: String
    /// The state's or the milestone's title (an occurrence's label is in `occurrence`).
    public var title: String
    public var milestone: String?
    /// The occurrence's label (`2027-03`), for an occurrence of a recurring milestone.
    public var occurrence: String?
    public var state: String?
    /// `YYYY-MM-DD` for a date due, ISO 8601 with the zone offset for an instant due (after `roll`).
    public var due: String
    /// The deadline instant: the end of the day for a date due.
    public var end: Instant
    /// The local date of the due, for `daysLeft`.
    public var dueDate: CivilDate
    /// The due depends on a projected calendar year (format §10 "Calendar status").
    public var provisional: Bool

    /// The local date of the due minus the local date of `now`.
    public func daysLeft(at now: Instant, zone: Zone) -> Int { dueDate.dayNumber - zone.date(of: now).dayNumber }

    /// Past its deadline instant.
    public func isOverdue(at now: Instant) -> Bool { end <= now }
}

/// The `Milestone` of interfaces §5: one entry per milestone; a recurring one describes one occurrence
/// ("Open deadlines", rule 5).
public struct MilestoneView: Sendable, Hashable {
    public var id: String
    public var title: String
    /// The form of `Record.due`; `""` while inactive (a field it reads is unset) or for an empty series.
    public var due: String
    public var done: Bool
    public var doneAt: Instant?
    /// A one-shot milestone past its due and not done; a recurring one with any open occurrence overdue.
    public var overdue: Bool
    public var requires: [String]
    /// Recurring only: `every` as written, the occurrence described, and how many are open.
    public var every: String?
    public var occurrence: String?
    public var openCount: Int?
    public var provisional: Bool

    /// The varlink `Milestone` (optional keys absent when they do not apply; `provisional` only when true).
    public func json(zone: Zone) -> JSON {
        var o: [(String, JSON)] = [
            ("id", .string(id)), ("title", .string(title)), ("due", .string(due)), ("done", .bool(done)),
            ("doneAt", doneAt.map { .string(zone.iso($0)) } ?? .null), ("overdue", .bool(overdue)),
            ("requires", .array(requires.map(JSON.string))),
        ]
        if let every { o.append(("every", .string(every))) }
        if let occurrence { o.append(("occurrence", .string(occurrence))) }
        if let openCount { o.append(("openCount", .int(openCount))) }
        if provisional { o.append(("provisional", .bool(true))) }
        return .object(o)
    }
}

extension Engine {
    /// Every open deadline (interfaces §5 "Open deadlines"): the state's deadline, one-shot milestones not done and
    /// open occurrences, leaving out inactive ones; overdue ones included; empty in a final state or once completed.
    /// Ordered by deadline instant, then the state's deadline, milestones in file order, occurrences oldest first.
    public func openDeadlines(_ inst: Instance) -> [OpenDeadline] {
        if inst.completed { return [] }
        let open = reading(inst, .live) { $0.entries.filter(\.open).map(\.deadline) }
        return open.sorted { ($0.end, $0.milestoneIndex, $0.index ?? 0) < ($1.end, $1.milestoneIndex, $1.index ?? 0) }.map { a in
            OpenDeadline(
                key: a.key, title: a.title, milestone: a.milestone, occurrence: a.occurrence, state: inst.state, due: a.dueText,
                end: a.end, dueDate: CivilDate(dayNumber: a.dueDay), provisional: a.provisional)
        }
    }

    /// One `DueItem` (interfaces §5): `daysLeft` and `overdue` against `now`, `state` the instance's current state.
    public func dueItemJSON(_ d: OpenDeadline, _ inst: Instance, now: Instant) -> JSON {
        var o: [(String, JSON)] = [("workflow", .string(inst.workflow)), ("instance", .string(inst.id))]
        if let s = d.state { o.append(("state", .string(s))) }
        if let m = d.milestone { o.append(("milestone", .string(m))) }
        if let l = d.occurrence { o.append(("occurrence", .string(l))) }
        o += [
            ("title", .string(d.title)), ("due", .string(d.due)), ("daysLeft", .int(d.daysLeft(at: now, zone: zone))),
            ("overdue", .bool(d.isOverdue(at: now))),
        ]
        if d.provisional { o.append(("provisional", .bool(true))) }
        if let g = program.group(of: inst.data) { o.append(("group", .string(g))) }
        return .object(o)
    }

    /// `Instance.deadlines` and `Instance.next` (the first item not overdue, else null).
    public func deadlines(_ inst: Instance, now: Instant) -> (deadlines: [JSON], next: JSON) {
        let open = openDeadlines(inst)
        let next = open.first { !$0.isOverdue(at: now) }.map { dueItemJSON($0, inst, now: now) } ?? .null
        return (open.map { dueItemJSON($0, inst, now: now) }, next)
    }

    /// `Instance.milestones`, in file order.
    public func milestoneViews(_ inst: Instance, now: Instant) -> [MilestoneView] {
        program.milestones.map { m in
            guard let r = m.recurrence else { return oneShotView(m, inst, now: now) }
            return recurringView(m, r, inst, now: now)
        }
    }

    func oneShotView(_ m: ProgramMilestone, _ inst: Instance, now: Instant) -> MilestoneView {
        let due = dueValue(m.deadline, inst)
        let doneAt = inst.done[m.id]
        let overdue = doneAt == nil && !inst.completed && !inFinalState(inst) && due.map { end(of: $0.due) <= now } == true
        return MilestoneView(
            id: m.id, title: m.title, due: due.map { dueText($0.due) } ?? "", done: doneAt != nil, doneAt: doneAt,
            overdue: overdue, requires: m.requires, provisional: due?.provisional ?? false)
    }

    /// Rule 5: the oldest open occurrence; with none open, the next one to open; once none can open, the last one.
    func recurringView(_ m: ProgramMilestone, _ r: Recurrence, _ inst: Instance, now: Instant) -> MilestoneView {
        let done = isDone(m, inst)
        var view = MilestoneView(
            id: m.id, title: m.title, due: "", done: done, doneAt: nil, overdue: false, requires: [], every: r.everyText,
            openCount: inst.series[m.id]?.open.count ?? 0, provisional: false)
        guard let s = inst.series[m.id] else { return view }
        let k: Int
        if let o = s.open.first {
            k = o.index
            view.overdue =
                !inFinalState(inst)
                && s.open.contains { end(of: occurrenceDue(m, r, anchor: s.anchor, $0.index, inst).due) <= now }
        } else if !done {
            k = s.next
        } else {
            guard s.next > s.first else { return view }  // an empty series
            k = s.next - 1
            view.doneAt = s.lastDone
        }
        let d = occurrenceDue(m, r, anchor: s.anchor, k, inst)
        view.occurrence = d.label
        view.due = dueText(d.due)
        view.provisional = d.provisional
        return view
    }
}

/// A timed transition an instance takes if nothing else happens first (`Engine.upcomingTransition`).
public struct UpcomingTransition: Sendable {
    /// The state it enters, and when.
    public var to: String
    public var at: Instant
    /// `at` was computed through a calendar year not yet published.
    public var provisional: Bool
    /// The deadline of the state it enters, as it would be then (nil when that state has none).
    public var deadline: OpenDeadline?
}
