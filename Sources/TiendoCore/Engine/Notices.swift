/// A deadline in force for an instance, its due evaluated and its notices' instants computed once, when it came into
/// force (interfaces §1 "Timing rules"; format §10 "Reminders and notices", "Calendar status"). Immutable: what changes
/// as notices are handled is in its `DeadlineSlot`.
final class ScheduledDeadline: Sendable {
    // What a step reads first, together (an overdue notice reads nothing further but `deadline`, which is shared).
    /// Overdue notice 0, and the date later ones count from (day steps).
    let overdue0: Instant
    let overdueBaseDay: Int
    /// Overdue notice 1 and, when later ones follow it at a constant step (always, but for day steps in a zone
    /// whose offset still changes), that step in seconds; 0 otherwise.
    let overdue1: Instant
    let uniformStep: Int64
    /// The last reminder's instant (`Int64.min` for none): past it, the list is not read.
    let lastReminder: Int64
    /// The local date of the due, as a day number.
    let dueDay: Int
    /// Escalation thresholds as instants with their priorities, in the order they apply: up to three here, the rest
    /// in `moreEscalation`.
    let escalationCount: Int
    let escalation0: (at: Int64, priority: Int)
    let escalation1: (at: Int64, priority: Int)
    let escalation2: (at: Int64, priority: Int)
    let deadline: ProgramDeadline
    /// `""` for the state's deadline, the milestone id, or `M@LABEL` for an occurrence.
    let key: String
    /// `Record.due`'s form of `due`.
    let dueText: String
    let milestone: String?
    /// The occurrence's label and index, for an occurrence of a recurring milestone.
    let occurrence: String?
    let index: Int?
    /// The milestone's position in the file; -1 for the state's deadline.
    let milestoneIndex: Int
    /// The due's computation (its expression's `wd` steps, its `roll`) looked at a day of a projected year.
    let provisional: Bool
    let moreEscalation: [(at: Instant, priority: Int)]
    /// Reminders that can be sent (at or after the activation, not suppressed), by time, then offset order.
    let reminders: [Notice]
    let title: String
    let due: DateValue
    /// The deadline instant (end of day for a date due).
    let end: Instant
    let activation: Instant

    init(
        key: String, deadline: ProgramDeadline, title: String, milestone: String?, milestoneIndex: Int, occurrence: String?,
        index: Int?, due: DateValue, dueText: String, dueDay: Int, end: Instant, activation: Instant, provisional: Bool,
        reminders: [Notice], overdue0: Instant, overdueBaseDay: Int, overdue1: Instant, uniformStep: Int64,
        escalation: [(at: Instant, priority: Int)]
    ) {
        self.key = key
        self.deadline = deadline
        self.title = title
        self.milestone = milestone
        self.milestoneIndex = milestoneIndex
        self.occurrence = occurrence
        self.index = index
        self.due = due
        self.dueText = dueText
        self.dueDay = dueDay
        self.end = end
        self.activation = activation
        self.provisional = provisional
        self.reminders = reminders
        lastReminder = reminders.last?.time.seconds ?? .min
        self.overdue0 = overdue0
        self.overdueBaseDay = overdueBaseDay
        self.overdue1 = overdue1
        self.uniformStep = uniformStep
        func inline(_ i: Int) -> (at: Int64, priority: Int) {
            i < escalation.count ? (escalation[i].at.seconds, escalation[i].priority) : (.max, 0)
        }
        escalationCount = escalation.count
        (escalation0, escalation1, escalation2) = (inline(0), inline(1), inline(2))
        moreEscalation = escalation.count > 3 ? Array(escalation.dropFirst(3)) : []
    }

    /// An overdue notice's priority at `t` by `escalate`: warning (4), raised by each threshold reached, in order.
    func overduePriority(at t: Instant) -> Int {
        var p = 4
        guard escalationCount > 0 else { return p }
        if t.seconds >= escalation0.at { p = escalation0.priority }
        if escalationCount > 1, t.seconds >= escalation1.at { p = escalation1.priority }
        if escalationCount > 2, t.seconds >= escalation2.at { p = escalation2.priority }
        for (at, q) in moreEscalation where t >= at { p = q }
        return p
    }

    /// Order for records at one instant: declaration order, then occurrences oldest first.
    var order: (Int, Int) { (deadline.order, index ?? 0) }
    /// Position among the deadlines in force: the state's, then milestones in file order, occurrences oldest first.
    var position: (Int, Int) { (milestoneIndex, index ?? 0) }

    /// Overdue notice k.
    func overdueTime(_ k: Int, _ p: Program) -> Instant {
        if k == 0 { return overdue0 }
        if uniformStep > 0 { return overdue1.adding(seconds: Int64(k - 1) * uniformStep) }
        switch deadline.step {
        case .never: return .distantFuture
        case .seconds(let s): return overdue0.adding(seconds: Int64(k) * s)
        case .days(let d): return p.zone.instant(CivilDate(dayNumber: overdueBaseDay + k * d), p.remindAt)
        }
    }

    /// The smallest k whose notice is after `after` (nil when there is none: repeat never and k = 0 passed).
    func firstOverdue(after: Instant?, _ p: Program) -> Int? {
        guard let after else { return 0 }
        if overdue0 > after { return 0 }
        guard case .every(let r) = deadline.repeatEvery else { return nil }
        if uniformStep > 0 {
            return after < overdue1 ? 1 : Int((after.seconds - overdue1.seconds) / uniformStep) + 2
        }
        let approx = max(Int64(1), r.approximateSeconds)
        var k = max(1, Int((after.seconds - overdue0.seconds) / approx) - 1)
        while overdueTime(k, p) <= after { k += 1 }
        while k > 1, overdueTime(k - 1, p) > after { k -= 1 }
        return k
    }

    /// The first reminder after the mark.
    func nextReminder(after mark: Instant?) -> Int? {
        guard let mark else { return lastReminder == .min ? nil : 0 }
        guard mark.seconds < lastReminder else { return nil }
        return reminders.firstIndex { $0.time > mark }
    }

    /// The overdue notice after the mark that a step would handle (live: the first one; plan: only k = 0).
    func nextOverdue(after mark: Instant?, _ p: Program, _ mode: AdvanceMode) -> (k: Int, time: Instant)? {
        switch mode {
        case .plan: return mark.map { overdue0 > $0 } ?? true ? (0, overdue0) : nil
        case .live: return firstOverdue(after: mark, p).map { ($0, overdueTime($0, p)) }
        }
    }

    /// `touch`: the first instant a step handles one of its notices (emitted, or dropped by rule 7, which moves the
    /// mark too); `wake`: the first instant worth waking up for (overdue notices from `dropFrom` on would be dropped).
    func keys(mark: Instant?, dropFrom: Instant?, _ p: Program, _ mode: AdvanceMode) -> (touch: Int64, wake: Int64) {
        let r = nextReminder(after: mark).map { reminders[$0].time.seconds } ?? .max
        guard let (_, t) = nextOverdue(after: mark, p, mode), t < .distantFuture else { return (r, r) }
        let wake = dropFrom.map { t < $0 } ?? true ? min(r, t.seconds) : r
        return (min(r, t.seconds), wake)
    }

    /// The notices a step handles: with time in (mark, limit] (or (mark, limit) when `strict`), in order: live, only
    /// those at the latest instant (per deadline only the latest due notice is sent); in plan mode every reminder
    /// and overdue k = 0. Emitted: `reminders[lo..<split]`, then `overdue` unless dropped, then
    /// `reminders[split..<hi]`. An overdue notice is dropped (handled, never emitted) when `dropFrom` is at or before
    /// its sending (rule 7). `last` is the time of the last one handled (the new mark).
    struct Run {
        var lo: Int
        var split: Int
        var hi: Int
        var overdue: Notice?
        var last: Instant
    }

    /// The notices a step handles (`Run`), nil for none.
    func notices(mark: Instant?, dropFrom: Instant?, limit: Instant, strict: Bool, mode: AdvanceMode, now: Instant, _ p: Program)
        -> Run?
    {
        func inRange(_ t: Instant) -> Bool { (mark.map { t > $0 } ?? true) && (strict ? t < limit : t <= limit) }
        // Reminders in range: the run lo..<hi of the sorted list (not read at all once past).
        var lo = 0
        var hi = 0
        if let first = nextReminder(after: mark) {
            lo = first
            hi = first
            while hi < reminders.count, inRange(reminders[hi].time) { hi += 1 }
        }
        var overdue: Notice?
        switch mode {
        case .plan:
            if inRange(overdue0) { overdue = Notice(time: overdue0, overdueIndex: 0, offset: nil, provisional: provisional) }
        case .live:
            // Only the latest overdue notice in range matters.
            if let kFirst = firstOverdue(after: mark, p) {
                let bound = strict ? limit.adding(seconds: -1) : limit
                let kLast = (firstOverdue(after: bound, p) ?? 1) - 1
                if kLast >= kFirst {
                    overdue = Notice(time: overdueTime(kLast, p), overdueIndex: kLast, offset: nil, provisional: provisional)
                }
            }
        }
        guard hi > lo || overdue != nil else { return nil }
        let last = max(hi > lo ? reminders[hi - 1].time : .distantPast, overdue?.time ?? .distantPast)
        // Live: only those at `last`.
        if mode == .live {
            while lo < hi, reminders[lo].time < last { lo += 1 }
            if let o = overdue, o.time < last { overdue = nil }
        }
        if let o = overdue, let dropFrom, dropFrom <= (mode == .live ? max(now, o.time) : o.time) { overdue = nil }
        // Reminders first at equal instants, as they are listed first.
        var split = lo
        if let o = overdue { while split < hi, reminders[split].time <= o.time { split += 1 } }
        return Run(lo: lo, split: split, hi: hi, overdue: overdue, last: last)
    }
}

/// One reminder or overdue notice of a deadline.
struct Notice: Sendable {
    var time: Instant
    /// k for an overdue notice; nil for a reminder.
    var overdueIndex: Int?
    var offset: Offset?
    var provisional: Bool
}

extension Engine {
    /// Reminders of a deadline due `due` (deadline instant `end`), in time order (larger offsets first at the same
    /// time), before the activation and suppression filters. A `wd` offset looks at the working days it steps over,
    /// so its instant can be provisional although the due is not.
    func reminders(_ dl: ProgramDeadline, due: DateValue, end: Instant, provisional: Bool) -> [Notice] {
        let day = dueDate(due)
        var out: [Notice] = []
        out.reserveCapacity(dl.remind.count)
        for o in dl.remind {
            let t: Instant
            var p = provisional
            switch o.unit {
            case .d: t = zone.instant(day.adding(days: -o.amount), program.remindAt)
            case .w: t = zone.instant(day.adding(days: -7 * o.amount), program.remindAt)
            case .wd:
                let (d, looked) = calendar.addingTracked(workingDays: -o.amount, to: day)
                t = zone.instant(d, program.remindAt)
                p = p || looked
            case .h: t = end.adding(seconds: -Int64(o.amount) * 3600)
            case .min: t = end.adding(seconds: -Int64(o.amount) * 60)
            case .mo, .y: continue
            }
            out.append(Notice(time: t, overdueIndex: nil, offset: o, provisional: p))
        }
        // Stable: the list is sorted larger offsets first, so ties keep that order.
        if zip(out, out.dropFirst()).contains(where: { $0.time > $1.time }) {
            out = out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        }
        return out
    }

    /// A deadline in force, with its notices' instants. When `suppressed` (some mark names a suppressed reminder),
    /// `marks` says which reminders are not sent again.
    func scheduled(
        key: String, _ dl: ProgramDeadline, title: String, milestone: String?, milestoneIndex: Int, occurrence: String? = nil,
        index: Int? = nil, due: DateValue, provisional: Bool, activation: Instant, marks: [String: Instant], suppressed: Bool
    ) -> ScheduledDeadline {
        let end = end(of: due)
        var all = reminders(dl, due: due, end: end, provisional: provisional)
        all.removeAll { r in
            r.time < activation
                || (suppressed
                    && r.offset.flatMap { o in dl.remind.firstIndex(of: o) }.map { marks[key + dl.suppressionSuffixes[$0]] != nil } == true)
        }
        let overdue0: Instant
        let baseDay: Int
        switch due {
        case .date(let d):
            overdue0 = zone.instant(d.adding(days: 1), program.remindAt)
            baseDay = d.dayNumber + 1
        case .instant(let t):
            overdue0 = t
            baseDay = zone.date(of: t).dayNumber
        }
        var overdue1 = Instant.distantFuture
        var uniformStep: Int64 = 0
        switch dl.step {
        case .never: break
        case .seconds(let step):
            overdue1 = overdue0.adding(seconds: step)
            uniformStep = step
        case .days(let days):
            overdue1 = zone.instant(CivilDate(dayNumber: baseDay + days), program.remindAt)
            if zone.fixedOffset(from: overdue1) != nil { uniformStep = Int64(days) * 86_400 }
        }
        var escalation: [(at: Instant, priority: Int)] = []
        for (threshold, p) in dl.escalate {
            switch threshold.unit {
            case .h, .min: escalation.append((end.adding(seconds: threshold.approximateSeconds), p))
            default:
                let (d, s) = zone.local(end)
                let days = threshold.unit == .w ? 7 * threshold.amount : threshold.amount
                let at = zone.instant(d.adding(days: days), TimeOfDay(hour: s / 3600, minute: (s % 3600) / 60), second: s % 60)
                escalation.append((at, p))
            }
        }
        return ScheduledDeadline(
            key: key, deadline: dl, title: title, milestone: milestone, milestoneIndex: milestoneIndex, occurrence: occurrence,
            index: index, due: due, dueText: dueText(due), dueDay: dueDate(due).dayNumber, end: end, activation: activation,
            provisional: provisional, reminders: all, overdue0: overdue0, overdueBaseDay: baseDay, overdue1: overdue1,
            uniformStep: uniformStep, escalation: escalation)
    }
}
