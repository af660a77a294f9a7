/// Deadlines in force and their notices: reminders, overdue notices, priorities and provisional flags
/// (interfaces §1 "Timing rules"; format §10 "Reminders and notices", "Calendar status").
extension Engine {
    /// A deadline in force for an instance, with its evaluated due.
    struct ActiveDeadline {
        /// `""` for the state's deadline, the milestone id, or `M@LABEL` for an occurrence.
        var key: String
        var deadline: Deadline
        var title: String
        var milestone: String?
        /// The occurrence's label and index, for an occurrence of a recurring milestone.
        var occurrence: String?
        var index: Int?
        var due: DateValue
        /// The deadline instant (end of day for a date due).
        var end: Instant
        var activation: Instant
        /// The due's computation (its expression's `wd` steps, its `roll`) looked at a day of a projected year.
        var provisional: Bool
        /// Order for records at one instant: declaration order, then occurrences oldest first.
        var order: (Int, Int) { (deadline.order, index ?? 0) }
    }

    struct Notice {
        var time: Instant
        var overdueIndex: Int?  // nil for reminders
        var offset: Offset?
        var provisional: Bool
    }

    func fieldValue(_ data: InstanceData) -> (String) -> DateValue? {
        { name in
            switch data[name] {
            case .date(let d): return .date(d)
            case .datetime(let t): return .instant(t)
            default: return nil
            }
        }
    }

    /// Evaluates an expression for an instance; `provisional` is set when it looked at a projected year.
    func evaluate(_ e: DateExpression, _ inst: Instance, period: CivilDate? = nil, provisional: inout Bool) -> DateValue? {
        e.evaluate(
            zone: zone, calendar: calendar, startedAt: inst.startedAt, enteredAt: inst.enteredAt, period: period,
            provisional: &provisional, fieldValue: fieldValue(inst.data))
    }

    /// A deadline's due after `roll`, and whether it is provisional; nil while it reads an unset field.
    func dueValue(_ dl: Deadline, _ inst: Instance, period: CivilDate? = nil) -> (due: DateValue, provisional: Bool)? {
        var provisional = false
        guard let v = evaluate(dl.due, inst, period: period, provisional: &provisional) else { return nil }
        guard dl.roll != .none else { return (v, provisional) }
        let forward = dl.roll == .forward
        switch v {
        case .date(let d):
            let (r, p) = calendar.rollTracked(d, forward: forward)
            return (.date(r), provisional || p)
        case .instant(let t):
            let (d, s) = zone.local(t)
            let (nd, p) = calendar.rollTracked(d, forward: forward)
            let moved = nd == d ? v : .instant(zone.instant(nd, TimeOfDay(hour: s / 3600, minute: (s % 3600) / 60), second: s % 60))
            return (moved, provisional || p)
        }
    }

    /// Deadlines currently in force: the state's (unless final), one-shot milestones not done and open occurrences
    /// (unless in a final state), in order: the state's, then milestones in file order, occurrences oldest first.
    func activeDeadlines(_ inst: Instance) -> [ActiveDeadline] {
        if inst.completed { return [] }
        var out: [ActiveDeadline] = []
        var inFinal = false
        if let s = inst.state, let st = definition.state(s) {
            inFinal = st.isFinal
            if let dl = st.deadline, let (due, p) = dueValue(dl, inst) {
                out.append(
                    ActiveDeadline(
                        key: "", deadline: dl, title: st.displayTitle, milestone: nil, due: due, end: end(of: due),
                        activation: max(inst.enteredAt, inst.startedAt), provisional: p))
            }
        }
        guard !inFinal else { return out }
        for m in definition.milestones {
            if let r = m.recurrence {
                guard let s = inst.series[m.id] else { continue }
                for o in s.open { out.append(occurrenceDeadline(m, r, anchor: s.anchor, o.index, inst, activation: o.openedAt)) }
            } else if inst.done[m.id] == nil, let (due, p) = dueValue(m.deadline, inst) {
                out.append(
                    ActiveDeadline(
                        key: m.id, deadline: m.deadline, title: m.title, milestone: m.id, due: due, end: end(of: due),
                        activation: inst.startedAt, provisional: p))
            }
        }
        return out
    }

    func end(of due: DateValue) -> Instant {
        switch due {
        case .date(let d): return zone.endOfDay(d)
        case .instant(let t): return t
        }
    }

    func dueDate(_ due: DateValue) -> CivilDate {
        switch due {
        case .date(let d): return d
        case .instant(let t): return zone.date(of: t)
        }
    }

    /// `Record.due`'s form: `YYYY-MM-DD` or an ISO instant with the zone's offset.
    func dueText(_ due: DateValue) -> String {
        switch due {
        case .date(let d): return d.iso
        case .instant(let t): return zone.iso(t)
        }
    }

    /// The due for people: `dd/mm/yyyy` (plus `HH:MM` for an instant due).
    func dueHuman(_ due: DateValue) -> String {
        switch due {
        case .date(let d): return d.vietnamese
        case .instant(let t): return zone.vietnamese(t)
        }
    }

    /// Reminders of a deadline in time order (larger offsets first at the same time). A `wd` offset looks at the
    /// working days it steps over, so its instant can be provisional although the due is not.
    func reminders(_ a: ActiveDeadline) -> [Notice] {
        let day = dueDate(a.due)
        var out: [Notice] = []
        for o in a.deadline.remind {
            let t: Instant
            var provisional = a.provisional
            switch o.unit {
            case .d: t = zone.instant(day.adding(days: -o.amount), definition.remindAt)
            case .w: t = zone.instant(day.adding(days: -7 * o.amount), definition.remindAt)
            case .wd:
                let (d, p) = calendar.addingTracked(workingDays: -o.amount, to: day)
                t = zone.instant(d, definition.remindAt)
                provisional = provisional || p
            case .h: t = a.end.adding(seconds: -Int64(o.amount) * 3600)
            case .min: t = a.end.adding(seconds: -Int64(o.amount) * 60)
            case .mo, .y: continue
            }
            out.append(Notice(time: t, overdueIndex: nil, offset: o, provisional: provisional))
        }
        // Stable: the list is sorted larger offsets first, so ties keep that order.
        return out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// Overdue notice k.
    func overdueTime(_ a: ActiveDeadline, _ k: Int) -> Instant {
        let t0: Instant
        switch a.due {
        case .date(let d): t0 = zone.instant(d.adding(days: 1), definition.remindAt)
        case .instant(let t): t0 = t
        }
        if k == 0 { return t0 }
        guard case .every(let r) = a.deadline.repeatEvery else { return .distantFuture }
        switch r.unit {
        case .h: return t0.adding(seconds: Int64(k) * Int64(r.amount) * 3600)
        case .min: return t0.adding(seconds: Int64(k) * Int64(r.amount) * 60)
        default:
            let days = r.unit == .w ? 7 * r.amount : r.amount
            let base: CivilDate
            switch a.due {
            case .date(let d): base = d.adding(days: 1)
            case .instant(let t): base = zone.date(of: t)
            }
            return zone.instant(base.adding(days: k * days), definition.remindAt)
        }
    }

    /// The smallest k whose notice is after `after` (nil when there is none: repeat never and k = 0 passed).
    func firstOverdue(_ a: ActiveDeadline, after: Instant?) -> Int? {
        guard let after else { return 0 }
        if overdueTime(a, 0) > after { return 0 }
        guard case .every(let r) = a.deadline.repeatEvery else { return nil }
        let t0 = overdueTime(a, 0)
        let approx = max(Int64(1), r.approximateSeconds)
        var k = max(1, Int((after.seconds - t0.seconds) / approx) - 1)
        while overdueTime(a, k) <= after { k += 1 }
        while k > 1, overdueTime(a, k - 1) > after { k -= 1 }
        return k
    }

    /// Notices of one deadline with time in (mark, limit] (or (mark, limit) when `strict`), reminders before the
    /// activation excluded: those to emit, and the time of the last one handled (the new mark). Live, only the
    /// latest notice is emitted (with the others at its instant); in plan mode every reminder and overdue k = 0.
    /// An overdue notice is dropped (handled, never emitted) when `dropFrom`, the instant from which a later
    /// occurrence of the same milestone is open and overdue, is at or before its sending (rule 7).
    func notices(
        _ a: ActiveDeadline, marks: Marks, limit: Instant, strict: Bool, mode: AdvanceMode, now: Instant,
        dropFrom: Instant?
    ) -> (emit: [Notice], last: Instant?) {
        let mark = marks.values[a.key]
        func inRange(_ t: Instant) -> Bool {
            (mark.map { t > $0 } ?? true) && (strict ? t < limit : t <= limit)
        }
        var all: [Notice] = []
        for r in reminders(a) where r.time >= a.activation && inRange(r.time) && !marks.suppressed(r, a) { all.append(r) }
        switch mode {
        case .plan:
            let t = overdueTime(a, 0)
            if inRange(t) { all.append(Notice(time: t, overdueIndex: 0, offset: nil, provisional: a.provisional)) }
        case .live:
            // Only the latest overdue notice in range matters.
            if let kFirst = firstOverdue(a, after: mark) {
                let bound = strict ? limit.adding(seconds: -1) : limit
                let kLast = (firstOverdue(a, after: bound) ?? 1) - 1
                if kLast >= kFirst {
                    all.append(Notice(time: overdueTime(a, kLast), overdueIndex: kLast, offset: nil, provisional: a.provisional))
                }
            }
        }
        guard !all.isEmpty else { return ([], nil) }
        all = all.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        let last = all[all.count - 1].time
        func dropped(_ n: Notice) -> Bool {
            guard n.overdueIndex != nil, let dropFrom else { return false }
            return dropFrom <= (mode == .live ? max(now, n.time) : n.time)
        }
        let candidates = mode == .plan ? all : all.filter { $0.time == last }
        return (dropFrom == nil ? candidates : candidates.filter { !dropped($0) }, last)
    }

    /// The next instant a notice of this deadline falls due after its mark. Overdue notices from `dropFrom` on are
    /// not waited for: they would be dropped, and the next advance moves the mark past them.
    func nextNotice(_ a: ActiveDeadline, marks: Marks, mode: AdvanceMode, dropFrom: Instant?) -> Instant? {
        let mark = marks.values[a.key]
        var best: Instant?
        for r in reminders(a) where r.time >= a.activation && (mark.map { r.time > $0 } ?? true) && !marks.suppressed(r, a) {
            best = r.time
            break
        }
        let k: Int? = mode == .plan ? ((mark.map { overdueTime(a, 0) > $0 } ?? true) ? 0 : nil) : firstOverdue(a, after: mark)
        if let k {
            let t = overdueTime(a, k)
            if t < .distantFuture, dropFrom.map({ t < $0 }) ?? true, best == nil || t < best! { best = t }
        }
        return best
    }

    /// An instance's notice marks, read once per advance: whether any reminder is suppressed is found with one
    /// scan, so the usual case (no calendar change yet) costs no string building per reminder.
    struct Marks {
        let values: [String: Instant]
        let hasSuppressed: Bool
        init(_ values: [String: Instant]) {
            self.values = values
            hasSuppressed = values.keys.contains { $0.utf8.contains(UInt8(ascii: "|")) }
        }
        /// A reminder offset already sent before a calendar change moved its deadline (format §10 "Calendar
        /// changes", rule 4).
        func suppressed(_ n: Notice, _ a: ActiveDeadline) -> Bool {
            guard hasSuppressed, let o = n.offset else { return false }
            return values[Engine.suppressionKey(a.key, o)] != nil
        }
    }

    static func suppressionKey(_ deadline: String, _ offset: Offset) -> String { "\(deadline)|r\(offset)" }

    /// For each open occurrence: the instant from which a later occurrence of its milestone is open and past its
    /// deadline instant (rule 7). Deadlines come oldest first per milestone (`activeDeadlines`' order).
    func dropStarts(_ actives: [ActiveDeadline]) -> [String: Instant] {
        var out: [String: Instant] = [:]
        var laterByMilestone: [String: Instant] = [:]
        for a in actives.reversed() {
            guard a.index != nil, let m = a.milestone else { continue }
            if let d = laterByMilestone[m] { out[a.key] = d }
            let overdueFrom = max(a.activation, a.end)
            laterByMilestone[m] = min(laterByMilestone[m] ?? overdueFrom, overdueFrom)
        }
        return out
    }

    func record(for n: Notice, _ a: ActiveDeadline, inst: Instance, now: Instant, label: String?, mode: AdvanceMode) -> Record {
        let daysLeft = dueDate(a.due).dayNumber - zone.date(of: n.time).dayNumber
        var priority: Int
        let kind: Record.Kind
        var missed: Int?
        if n.overdueIndex != nil {
            kind = .overdue
            priority = 4
            for (threshold, p) in a.deadline.escalate {
                let reached: Bool
                switch threshold.unit {
                case .h, .min: reached = n.time >= a.end.adding(seconds: threshold.approximateSeconds)
                default:
                    let (d, s) = zone.local(a.end)
                    let days = threshold.unit == .w ? 7 * threshold.amount : threshold.amount
                    reached =
                        n.time >= zone.instant(d.adding(days: days), TimeOfDay(hour: s / 3600, minute: (s % 3600) / 60), second: s % 60)
                }
                if reached { priority = p }
            }
            if let k = a.index, let m = a.milestone.flatMap(definition.milestone) {
                let (count, raised) = missedAt(n.time, m, k, inst)
                missed = count
                if let raised { priority = min(priority, raised) }
            }
        } else {
            kind = .reminder
            priority = daysLeft <= 0 ? 4 : 5
        }
        let late = mode == .live && now.seconds - n.time.seconds >= 1 ? Int(now.seconds - n.time.seconds) : nil
        let id = label ?? definition.id
        let title = Messages.deadlineTitle(a.title, occurrence: a.occurrence)
        let dueHuman = Messages.due(dueHuman(a.due), provisional: n.provisional)
        let message: String
        if kind == .reminder {
            message = Messages.reminder(
                title: title, instance: id, daysLeft: daysLeft, dueText: dueHuman, secondsLeft: a.end.seconds - n.time.seconds)
        } else {
            message = Messages.overdue(title: title, instance: id, daysLeft: daysLeft, dueText: dueHuman, missed: missed)
        }
        let dueText = dueText(a.due)
        let notice = n.overdueIndex.map { "k\($0)|\(dueText)" } ?? "r\(n.offset?.description ?? "")|"
        let deadline = a.key.isEmpty ? "state:\(inst.state ?? "")@\(inst.enteredAt.seconds)" : a.key
        return Record(
            at: n.time, utcOffset: zone.offset(at: n.time), kind: kind, workflow: definition.id, instance: label,
            state: inst.state, milestone: a.milestone, occurrence: a.occurrence, due: dueText, daysLeft: daysLeft,
            missed: missed, priority: priority, late: late, provisional: n.provisional, group: definition.group(of: inst.data),
            message: message, key: "\(inst.id)|\(deadline)|\(notice)")
    }
}
