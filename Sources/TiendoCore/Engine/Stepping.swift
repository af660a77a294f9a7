/// The schedule of an instance (`Schedule`): computing it, keeping it current, and handling the notices it says are
/// due (interfaces §1 "Timing rules").
extension Engine {
    func isCurrent(_ s: Schedule?, _ inst: Instance, _ mode: AdvanceMode) -> Bool {
        guard let s else { return false }
        return s.program === program && s.mode == mode && s.revision == inst.revision
    }

    /// The instance's schedule for `mode`, current and held by it alone, ready to be changed with it. Computed
    /// afresh when stale, after evaluating the anchors of inactive series when `activate` (as each advance begins).
    func prepare(_ inst: inout Instance, _ mode: AdvanceMode, activate: Bool) -> Schedule {
        if isCurrent(inst.schedule, inst, mode) {
            if !isKnownUniquelyReferenced(&inst.schedule) { inst.schedule = inst.schedule!.copy() }
            return inst.schedule!
        }
        if activate { activateSeries(&inst) }
        let s = makeSchedule(inst, mode)
        inst.schedule = s
        return s
    }

    /// The schedule to read: the instance's when current, else one computed for this call.
    func reading(_ inst: Instance, _ mode: AdvanceMode) -> Schedule {
        if isCurrent(inst.schedule, inst, mode) { return inst.schedule! }
        return makeSchedule(inst, mode)
    }

    /// Deadlines currently in force, in order: the state's, then milestones in file order, occurrences oldest first.
    func activeDeadlines(_ inst: Instance) -> [ScheduledDeadline] {
        inst.completed ? [] : reading(inst, .live).ordered
    }

    /// The earliest instant a further occurrence of a recurring milestone opens.
    func nextOpening(_ inst: Instance) -> Instant? {
        inst.completed ? nil : reading(inst, .live).openings.top.map { Instant(seconds: $0.0) }
    }

    /// Deadlines currently in force (the state's unless final, one-shot milestones not done and open occurrences
    /// unless in a final state), the current state's timed transitions, and when each series opens next.
    func makeSchedule(_ inst: Instance, _ mode: AdvanceMode) -> Schedule {
        let s = Schedule(program: program, mode: mode, revision: inst.revision)
        s.group = definition.group(of: inst.data)
        guard !inst.completed else { return s }
        s.hasSuppressed = inst.marks.keys.contains { $0.utf8.contains(UInt8(ascii: "|")) }
        s.state = program.state(inst.state)
        if let st = s.state {
            if let dl = st.deadline, let (due, p) = dueValue(dl, inst) {
                let d = scheduled(
                    key: "", dl, title: st.title, milestone: nil, milestoneIndex: -1, due: due, provisional: p,
                    activation: max(inst.enteredAt, inst.startedAt), marks: inst.marks, suppressed: s.hasSuppressed)
                s.add(d, mark: inst.marks[""])
            }
            if !st.isFinal {
                for (i, a) in st.after.enumerated() {
                    var p = false
                    guard let v = evaluate(a.at, inst, provisional: &p) else { continue }
                    s.transitions.append((end(of: v), i, p))
                }
                s.transitions.sort { ($0.time, $0.rule) < ($1.time, $1.rule) }
            }
        }
        if !s.inFinal {
            for m in program.milestones {
                if let r = m.recurrence {
                    guard let series = inst.series[m.id] else { continue }
                    var list: [Int] = []
                    for o in series.open {
                        let d = occurrenceDeadline(
                            m, r, anchor: series.anchor, o.index, inst, activation: o.openedAt, suppressed: s.hasSuppressed)
                        list.append(s.add(d, mark: inst.marks[d.key]))
                    }
                    s.occurrences[m.index] = list
                    s.updateDrops(m.index)
                    scheduleOpening(m, r, series, inst, s)
                } else if inst.done[m.id] == nil, let (due, p) = dueValue(m.deadline, inst) {
                    let d = scheduled(
                        key: m.id, m.deadline, title: m.title, milestone: m.id, milestoneIndex: m.index, due: due, provisional: p,
                        activation: inst.startedAt, marks: inst.marks, suppressed: s.hasSuppressed)
                    s.oneShot[m.index] = s.add(d, mark: inst.marks[m.id])
                }
            }
        }
        s.settle()
        return s
    }

    /// Handles the notices due up to `limit` (before it when `strict`), deadline by deadline: the latest one live,
    /// every one in plan mode, each deadline's mark moved to the last handled.
    func handleNotices(
        _ inst: inout Instance, _ s: Schedule, limit: Instant, strict: Bool, mode: AdvanceMode, now: Instant, label: String?,
        pending: inout PendingRecords
    ) {
        let bound = strict ? limit.seconds - 1 : limit.seconds
        guard let (first, _) = s.touch.top, first <= bound else { return }
        s.due.removeAll(keepingCapacity: true)
        while let (k, i) = s.touch.top, k <= bound {
            s.touch.pop()
            guard s.entries[Int(i)].open, s.entries[Int(i)].touchKey == k else { continue }
            s.entries[Int(i)].touchKey = .max
            s.due.append(i)
        }
        for i in s.due {
            let e = Int(i)
            let slot = s.entries[e]
            let d = slot.deadline
            let start = pending.count
            let last = d.notices(mark: slot.mark, dropFrom: slot.dropFrom, limit: limit, strict: strict, mode: mode, now: now, program) {
                n in
                pending.append(d.order, isState: d.milestoneIndex < 0, noticeRecord(n, d, s, inst, now: now, label: label, mode: mode))
            }
            if let last {
                if mode == .live { pending.supersede(d.order, before: start) }
                inst.marks[d.key] = last
                s.entries[e].mark = last
            }
            s.rekey(e)
        }
        s.revision = inst.revision
        s.settle()
    }

    /// The record of a reminder or an overdue notice: priority by escalation and `missed` entries, days left,
    /// lateness. Its message and key are written when read.
    func noticeRecord(
        _ n: Notice, _ d: ScheduledDeadline, _ s: Schedule, _ inst: Instance, now: Instant, label: String?, mode: AdvanceMode
    ) -> Record {
        let daysLeft = d.dueDay - zone.date(of: n.time).dayNumber
        var priority: Int
        let kind: Record.Kind
        var missed: Int?
        let identity: RecordIdentity
        if let k = n.overdueIndex {
            kind = .overdue
            priority = 4
            for (at, p) in d.escalation where n.time >= at { priority = p }
            if let index = d.index {
                let (count, raised) = missedAt(n.time, program.milestones[d.milestoneIndex], index, s)
                missed = count
                if let raised { priority = min(priority, raised) }
            }
            identity = .overdue(k, entered: inst.enteredAt.seconds)
        } else {
            kind = .reminder
            priority = daysLeft <= 0 ? 4 : 5
            identity = .reminder(n.offset ?? Offset(0, .d), entered: inst.enteredAt.seconds)
        }
        let late = mode == .live && now.seconds - n.time.seconds >= 1 ? Int(now.seconds - n.time.seconds) : nil
        var r = Record(
            at: n.time, utcOffset: zone.offset(at: n.time), kind: kind, workflow: definition.id, instance: label, state: inst.state,
            milestone: d.milestone, occurrence: d.occurrence, due: d.dueText, daysLeft: daysLeft, missed: missed,
            priority: priority, late: late, provisional: n.provisional, group: s.group, text: .lazy(program), identity: identity)
        keyInstance(&r, inst)
        return r
    }
}
