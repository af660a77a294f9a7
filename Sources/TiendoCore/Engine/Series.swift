/// Recurring milestones on an instance: periods, labels, opening, completion and the `missed` count
/// (format §6 "Recurring milestones", §10 "Recurring milestones", rules 2–8).
extension Engine {
    /// Most occurrences one advance opens per series: a long downtime of a daily series is caught up over several
    /// wake-ups (the next wake-up is then at once) instead of in one unbounded step.
    static let maxOpeningsPerAdvance = 1000

    /// P_k = anchor + (k·N) units in one step from the anchor, so end-of-month clamping never accumulates (rule 2).
    func periodStart(_ r: Recurrence, anchor: CivilDate, _ k: Int) -> CivilDate {
        let n = k * r.every.amount
        switch r.every.unit {
        case .w: return anchor.adding(days: 7 * n)
        case .mo: return anchor.adding(months: n)
        case .y: return anchor.adding(months: 12 * n)
        default: return anchor.adding(days: n)
        }
    }

    /// `YYYY-MM` for `mo|y`, `YYYY-MM-DD` for `d|w`.
    func label(_ r: Recurrence, anchor: CivilDate, _ k: Int) -> String {
        let p = periodStart(r, anchor: anchor, k)
        return r.labelsByMonth ? String(p.iso.prefix(7)) : p.iso
    }

    /// The index an occurrence label names, when it is well formed and falls on a period start (any k, even
    /// outside the instance's series: the caller checks existence).
    func index(of text: String, _ r: Recurrence, anchor: CivilDate) -> Int? {
        let k: Int
        if r.labelsByMonth {
            let u = Array(text.utf8)
            guard u.count == 7, u[4] == UInt8(ascii: "-"), let y = digits(u, 0, 4), let m = digits(u, 5, 2), (1...12).contains(m)
            else { return nil }
            let months = (y * 12 + m - 1) - (anchor.year * 12 + anchor.month - 1)
            let step = r.every.amount * (r.every.unit == .y ? 12 : 1)
            guard months % step == 0 else { return nil }
            k = months / step
        } else {
            guard text.utf8.count == 10, case .valid(let d) = CivilDate.parseStrict(text) else { return nil }
            let days = d.dayNumber - anchor.dayNumber
            let step = r.every.amount * (r.every.unit == .w ? 7 : 1)
            guard days % step == 0 else { return nil }
            k = days / step
        }
        return label(r, anchor: anchor, k) == text ? k : nil
    }

    /// `until` evaluated with the instance's data; nil for none (or while it reads an unset field).
    func untilDate(_ r: Recurrence, _ inst: Instance) -> CivilDate? {
        guard let u = r.until else { return nil }
        var ignored = false
        guard case .date(let d)? = evaluate(u, inst, provisional: &ignored) else { return nil }
        return d
    }

    /// Occurrence k exists when k ≥ 0, k < `count` and P_k ≤ `until` (rule 2).
    func exists(_ r: Recurrence, anchor: CivilDate, _ k: Int, until: CivilDate?) -> Bool {
        guard k >= 0, k < (r.count ?? .max) else { return false }
        guard let until else { return true }
        return periodStart(r, anchor: anchor, k) <= until
    }

    /// 00:00 local on P_k, or the instance's start when that is later (rule 4).
    func openingInstant(_ r: Recurrence, anchor: CivilDate, _ k: Int, _ inst: Instance) -> Instant {
        max(zone.instant(periodStart(r, anchor: anchor, k)), inst.startedAt)
    }

    /// Rule 4: the k whose period holds the local start date, else the smallest k after it (existence is checked by
    /// the caller: if this one does not exist, no later one does).
    func firstIndex(_ r: Recurrence, anchor: CivilDate, start: CivilDate) -> Int {
        guard start >= anchor else { return 0 }
        var k: Int
        switch r.every.unit {
        case .mo, .y:
            let months = (start.year * 12 + start.month) - (anchor.year * 12 + anchor.month)
            k = months / (r.every.amount * (r.every.unit == .y ? 12 : 1))
        default:
            k = (start.dayNumber - anchor.dayNumber) / (r.every.amount * (r.every.unit == .w ? 7 : 1))
        }
        while k > 0, periodStart(r, anchor: anchor, k) > start { k -= 1 }
        while periodStart(r, anchor: anchor, k + 1) <= start { k += 1 }
        return k
    }

    func inFinalState(_ inst: Instance) -> Bool {
        program.state(inst.state)?.isFinal == true
    }

    /// Rule 3: evaluates each inactive series' anchor as soon as it can be, and stores it with its first occurrence.
    func activateSeries(_ inst: inout Instance) {
        guard !program.recurring.isEmpty, !inst.completed else { return }
        for i in program.recurring {
            let m = program.milestones[i]
            guard let r = m.recurrence, inst.series[m.id] == nil else { continue }
            var ignored = false
            guard case .date(let anchor)? = evaluate(r.anchor, inst, provisional: &ignored) else { continue }
            let first = firstIndex(r, anchor: anchor, start: zone.date(of: inst.startedAt))
            inst.series[m.id] = SeriesState(anchor: anchor, first: first, next: first)
        }
    }

    /// Opens every occurrence whose opening instant is at or before `limit`, unless the instance is in a final
    /// state (rule 4): the series due to open (the schedule's `openings`), at most `maxOpeningsPerAdvance` per
    /// series. Returns the earliest opening instant at or before `limit` left unopened by that bound (nil when every
    /// one opened): the caller stops its advance before it.
    @discardableResult
    func openOccurrences(_ inst: inout Instance, _ sched: inout Schedule, through limit: Instant) -> Instant? {
        guard !inst.completed, !sched.inFinal, let (first, _) = sched.openings.top, first <= limit.seconds else { return nil }
        var unopened: Instant?
        var due: [Int] = []
        while let (k, m) = sched.openings.top, k <= limit.seconds {
            sched.openings.pop()
            if sched.nextOpening[Int(m)] == k { due.append(Int(m)) }
        }
        for i in due {
            let m = program.milestones[i]
            guard let r = m.recurrence, var s = inst.series[m.id] else { continue }
            let until = untilDate(r, inst)
            var opened = 0
            while exists(r, anchor: s.anchor, s.next, until: until) {
                let t = openingInstant(r, anchor: s.anchor, s.next, inst)
                guard t <= limit else { break }
                if opened == Engine.maxOpeningsPerAdvance {
                    unopened = min(unopened ?? t, t)
                    break
                }
                s.open.append(OpenOccurrence(index: s.next, openedAt: t))
                let d = occurrenceDeadline(m, r, anchor: s.anchor, s.next, inst, activation: t, suppressed: sched.hasSuppressed)
                sched.occurrences[i, default: []].append(sched.add(d, mark: inst.marks[d.key]))
                s.next += 1
                opened += 1
            }
            if opened > 0 {
                inst.series[m.id] = s
                sched.updateDrops(i)
            }
            scheduleOpening(m, r, s, inst, &sched)
        }
        sched.revision = inst.revision
        sched.settle()
        return unopened
    }

    /// Queues when the series' next occurrence opens (also in the past, after a late activation), if one can.
    func scheduleOpening(_ m: ProgramMilestone, _ r: Recurrence, _ s: SeriesState, _ inst: Instance, _ sched: inout Schedule) {
        guard exists(r, anchor: s.anchor, s.next, until: untilDate(r, inst)) else {
            sched.nextOpening[m.index] = .max
            return
        }
        let t = openingInstant(r, anchor: s.anchor, s.next, inst).seconds
        sched.nextOpening[m.index] = t
        sched.openings.push(t, Int32(m.index))
    }

    /// Rule 4: done when no further occurrence can open (series ended, or final state) and none is open.
    func isDone(_ m: ProgramMilestone, _ inst: Instance) -> Bool {
        guard let r = m.recurrence else { return inst.done[m.id] != nil }
        guard let s = inst.series[m.id] else { return inFinalState(inst) }
        guard s.open.isEmpty else { return false }
        return inFinalState(inst) || !exists(r, anchor: s.anchor, s.next, until: untilDate(r, inst))
    }

    /// The due of occurrence k, its label, and whether the due is provisional.
    func occurrenceDue(_ m: ProgramMilestone, _ r: Recurrence, anchor: CivilDate, _ k: Int, _ inst: Instance)
        -> (due: DateValue, provisional: Bool, label: String)
    {
        let period = periodStart(r, anchor: anchor, k)
        // A recurring due is based on `period` (validated), so it always evaluates.
        let (due, p) = dueValue(m.deadline, inst, period: period) ?? (.date(period), false)
        return (due, p, label(r, anchor: anchor, k))
    }

    /// The deadline of occurrence k, opened at `activation`.
    func occurrenceDeadline(
        _ m: ProgramMilestone, _ r: Recurrence, anchor: CivilDate, _ k: Int, _ inst: Instance, activation: Instant,
        suppressed: Bool
    ) -> ScheduledDeadline {
        let (due, p, l) = occurrenceDue(m, r, anchor: anchor, k, inst)
        return scheduled(
            key: "\(m.id)@\(l)", m.deadline, title: m.title, milestone: m.id, milestoneIndex: m.index, occurrence: l, index: k,
            due: due, provisional: p, activation: activation, marks: inst.marks, suppressed: suppressed)
    }

    /// Why `done M` finds nothing to complete, with what the secretary needs next: when the last occurrence was done
    /// and when the next one opens (or that none will).
    func noOpenOccurrence(_ m: ProgramMilestone, _ r: Recurrence, _ s: SeriesState?, _ inst: Instance) -> String {
        guard let s else { return Messages.noOpenOccurrence(m.title, m.id) }
        let next: Messages.NextOccurrence
        if inFinalState(inst) {
            // None opens once the instance is in a final state (rule 4).
            next = .none(finalState: program.stateTitle(inst.state))
        } else if !inst.completed, exists(r, anchor: s.anchor, s.next, until: untilDate(r, inst)) {
            let begins = zone.date(of: openingInstant(r, anchor: s.anchor, s.next, inst))
            next = .next(period: Messages.period(label(r, anchor: s.anchor, s.next), due: nil), begins: begins.vietnamese)
        } else {
            next = .none(finalState: nil)
        }
        return Messages.noOpenOccurrence(m.title, m.id, lastDone: s.lastDone.map { zone.vietnamese($0) }, next: next)
    }

    /// Rule 8 for an overdue notice of occurrence k at `t`: `missed` (open occurrences whose deadline instant is at
    /// or before t) and the most severe priority among the `missed` entries that hold (nil when none holds).
    func missedAt(_ t: Instant, _ m: ProgramMilestone, _ k: Int, _ s: borrowing Schedule) -> (missed: Int, priority: Int?) {
        guard let r = m.recurrence, let open = s.occurrences[m.index] else { return (0, nil) }
        var missed = 0
        for i in open {
            let o = s.entries[i].deadline
            if (o.index == k || o.activation <= t) && o.end <= t { missed += 1 }
        }
        var priority: Int?
        for rule in r.missed {
            let window = (k - rule.of + 1)...k
            let count = open.reduce(0) { n, i in
                let o = s.entries[i].deadline
                return window.contains(o.index ?? -1) && (o.index == k || o.activation <= t) ? n + 1 : n
            }
            if count >= rule.count { priority = min(priority ?? rule.priority, rule.priority) }
        }
        return (missed, priority)
    }

    /// The built-in `done` for a recurring milestone: `M` (oldest open occurrence) or `M@LABEL` (rule 6). The
    /// instance has been advanced to `at`.
    func completeOccurrence(
        _ inst: inout Instance, _ m: ProgramMilestone, _ r: Recurrence, label text: String?, at: Instant, actor: Int?
    ) -> Result<[Record], EngineError> {
        let s = inst.series[m.id]
        let k: Int
        if let text {
            let form = r.labelsByMonth ? "YYYY-MM" : "YYYY-MM-DD"
            let noSuch = reject(
                inst, event: "done", at: at, actor: actor, reason: Messages.noSuchOccurrence(m.title, m.id, label: text, form: form))
            guard let s, let i = index(of: text, r, anchor: s.anchor), i >= s.first else { return .failure(noSuch) }
            if i >= s.next {
                guard exists(r, anchor: s.anchor, i, until: untilDate(r, inst)) else { return .failure(noSuch) }
                return .failure(
                    reject(inst, event: "done", at: at, actor: actor, reason: Messages.occurrenceNotOpen(m.title, m.id, label: text)))
            }
            // Done before: a no-op (its completion is in history).
            guard s.open.contains(where: { $0.index == i }) else { return .success([]) }
            k = i
        } else {
            guard let o = s?.open.first else {
                return .failure(reject(inst, event: "done", at: at, actor: actor, reason: noOpenOccurrence(m, r, s, inst)))
            }
            k = o.index
        }
        var series = s!
        let (due, provisional, label) = occurrenceDue(m, r, anchor: series.anchor, k, inst)
        series.open.removeAll { $0.index == k }
        series.lastDone = at
        let group = modifying(&inst, .live, activate: false) { inst, sched in
            inst.series[m.id] = series
            inst.clearMarks("\(m.id)@\(label)", suppressed: sched.hasSuppressed)
            // The schedule follows: the occurrence's deadline closes, the older ones may notice again (rule 7).
            if var list = sched.occurrences[m.index], let at = list.firstIndex(where: { sched.entries[$0].deadline.index == k }) {
                sched.close(list.remove(at: at))
                sched.occurrences[m.index] = list
                sched.updateDrops(m.index)
            }
            sched.settle()
            return sched.group
        }
        var records = [
            Record(
                at: at, utcOffset: zone.offset(at: at), kind: .milestoneDone, workflow: program.id, instance: inst.id,
                state: inst.state, event: "done", milestone: m.id, occurrence: label, due: dueText(due), priority: 6,
                provisional: provisional, group: group, actor: actor, text: .lazy(program), identity: .derived)
        ]
        records += completionIfDue(&inst, at: at)
        return .success(records)
    }
}
