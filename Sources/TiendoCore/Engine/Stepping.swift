/// The schedule of an instance (`Schedule`): computing it, keeping it current, and handling the notices it says are
/// due (interfaces §1 "Timing rules").
extension Engine {
    /// Runs `body` on the instance and its schedule for `mode`, which it changes together; the schedule changes in
    /// place in its box (a box shared with a copy of the instance is copied first). The schedule is computed afresh
    /// when stale, after evaluating the anchors of inactive series when `activate` (as each advance begins). `body`
    /// keeps the schedule in step with what it changes; it stays with the instance, current, unless the instance
    /// completed (nothing is scheduled then).
    func modifying<T: Sendable>(
        _ inst: inout Instance, _ mode: AdvanceMode, activate: Bool, _ body: (inout Instance, inout Schedule) -> T
    ) -> T {
        let box: ScheduleBox
        if hasCurrent(inst, mode) {
            if !isKnownUniquelyReferenced(&inst.schedule) { inst.schedule = ScheduleBox(inst.schedule!.copy) }
            box = inst.schedule!
        } else {
            if activate { activateSeries(&inst) }
            // A new box, allocated after what the schedule allocated, so that it tends to lie near it in memory.
            box = ScheduleBox(makeSchedule(inst, mode))
        }
        // The box is out of the instance while `body` runs: nothing in it can reach the schedule but through `body`.
        inst.schedule = nil
        let result = box.modify { s in
            let r = body(&inst, &s)
            s.revision = inst.revision
            return r
        }
        if !inst.completed { inst.schedule = box }
        return result
    }

    /// Reads the instance's schedule when current, else one computed for this call.
    func reading<T: Sendable>(_ inst: Instance, _ mode: AdvanceMode, _ body: (borrowing Schedule) -> T) -> T {
        if let box = inst.schedule {
            // One lock: whether it is current, and if so the read.
            let r: T? = box.read { s in isCurrent(s, inst, mode) ? body(s) : nil }
            if let r { return r }
        }
        return body(makeSchedule(inst, mode))
    }

    /// The instance holds a current schedule for `mode`.
    func hasCurrent(_ inst: Instance, _ mode: AdvanceMode) -> Bool {
        guard let box = inst.schedule else { return false }
        return box.read { isCurrent($0, inst, mode) }
    }

    /// `s` was computed for this instance's revision, this program and `mode`.
    func isCurrent(_ s: borrowing Schedule, _ inst: Instance, _ mode: AdvanceMode) -> Bool {
        s.revision == inst.revision && s.program === program && s.mode == mode
    }

    /// Deadlines currently in force, in order: the state's, then milestones in file order, occurrences oldest first.
    func activeDeadlines(_ inst: Instance) -> [ScheduledDeadline] {
        inst.completed ? [] : reading(inst, .live) { $0.ordered }
    }

    /// The earliest instant a further occurrence of a recurring milestone opens.
    func nextOpening(_ inst: Instance) -> Instant? {
        inst.completed ? nil : reading(inst, .live) { $0.openings.top.map { Instant(seconds: $0.0) } }
    }

    /// The schedule of an instance (nothing is scheduled for a completed one).
    func makeSchedule(_ inst: Instance, _ mode: AdvanceMode) -> Schedule {
        var s = Schedule(program: program, mode: mode, revision: inst.revision)
        s.group = program.group(of: inst.data)
        if !inst.completed { fill(&s, inst) }
        return s
    }

    /// Deadlines currently in force (the state's unless final, one-shot milestones not done and open occurrences
    /// unless in a final state), the current state's timed transitions, and when each series opens next.
    func fill(_ s: inout Schedule, _ inst: Instance) {
        s.hasSuppressed = inst.marks.keys.contains { $0.utf8.contains(UInt8(ascii: "|")) }
        s.state = program.state(inst.state)
        if let st = s.state {
            if let dl = st.deadline, let (due, p) = dueValue(dl, inst) {
                let d = scheduled(
                    key: "", dl, title: st.taskTitle, milestone: nil, milestoneIndex: -1, due: due, provisional: p,
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
                    scheduleOpening(m, r, series, inst, &s)
                } else if inst.done[m.id] == nil, let (due, p) = dueValue(m.deadline, inst) {
                    let d = scheduled(
                        key: m.id, m.deadline, title: m.title, milestone: m.id, milestoneIndex: m.index, due: due, provisional: p,
                        activation: inst.startedAt, marks: inst.marks, suppressed: s.hasSuppressed)
                    s.oneShot[m.index] = s.add(d, mark: inst.marks[m.id])
                }
            }
        }
        s.settle()
    }

    /// Handles the notices due up to `limit` (before it when `strict`), deadline by deadline: the latest one live,
    /// every one in plan mode, each deadline's mark moved to the last handled.
    func handleNotices(
        _ inst: inout Instance, _ s: inout Schedule, limit: Instant, strict: Bool, mode: AdvanceMode, now: Instant, label: String?,
        pending: inout PendingRecords
    ) {
        let bound = strict ? limit.seconds - 1 : limit.seconds
        guard s.hasDue(through: bound) else { return }
        // Keys name the instance by its id: written out only for a record labelled otherwise (none is: plan's label
        // is nil for the workflow, which is its instance's id).
        let labelIsID = (label ?? program.id) == inst.id
        if s.indexed {
            s.takeDue(through: bound)
            for i in s.due {
                handle(Int(i), &inst, &s, limit: limit, strict: strict, mode: mode, now: now, label: label, labelIsID: labelIsID, &pending)
            }
        } else {
            // A few deadlines: each handled at most once, and handling adds none.
            for e in s.entries.indices where s.entries[e].touchKey <= bound {
                handle(e, &inst, &s, limit: limit, strict: strict, mode: mode, now: now, label: label, labelIsID: labelIsID, &pending)
            }
        }
        s.revision = inst.revision
        s.settle()
    }

    /// Handles one deadline's notices (`handleNotices`).
    func handle(
        _ e: Int, _ inst: inout Instance, _ s: inout Schedule, limit: Instant, strict: Bool, mode: AdvanceMode, now: Instant,
        label: String?, labelIsID: Bool, _ pending: inout PendingRecords
    ) {
        let slot = s.entries[e]
        let d = slot.deadline
        let start = pending.count
        if let run = d.notices(mark: slot.mark, dropFrom: slot.dropFrom, limit: limit, strict: strict, mode: mode, now: now, program) {
            let isState = d.milestoneIndex < 0
            // Reminders, the overdue notice in its place among them, the later reminders.
            var i = run.lo
            var overdue = run.overdue
            while true {
                let n: Notice
                if i == run.split, let o = overdue {
                    n = o
                    overdue = nil
                } else if i < run.hi {
                    n = d.reminders[i]
                    i += 1
                } else {
                    break
                }
                pending.append(
                    d.order, isState: isState, noticeRecord(n, d, s, inst, now: now, label: label, labelIsID: labelIsID, mode: mode))
            }
            if mode == .live { pending.supersede(d.order, before: start) }
            inst.marks[d.key] = run.last
            s.entries[e].mark = run.last
        }
        s.rekey(e)
    }

    /// The record of a reminder or an overdue notice: priority by escalation and `missed` entries, days left,
    /// lateness. Its message and key are written when read.
    func noticeRecord(
        _ n: Notice, _ d: ScheduledDeadline, _ s: borrowing Schedule, _ inst: Instance, now: Instant, label: String?,
        labelIsID: Bool, mode: AdvanceMode
    ) -> Record {
        let daysLeft = d.dueDay - program.localDay(of: n.time)
        var priority: Int
        let kind: Record.Kind
        var missed: Int?
        let identity: RecordIdentity
        if let k = n.overdueIndex {
            kind = .overdue
            priority = d.overduePriority(at: n.time)
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
        let key: RecordIdentity =
            labelIsID
            ? identity
            : .literal(
                RecordText.noticeKey(instance: inst.id, d.milestone, d.occurrence, state: inst.state, due: d.dueText, identity) ?? "")
        return Record(
            at: n.time, utcOffset: program.offset(at: n.time), kind: kind, workflow: program.id, instance: label, state: inst.state,
            milestone: d.milestone, occurrence: d.occurrence, due: d.dueText, daysLeft: daysLeft, missed: missed,
            priority: priority, late: Engine.late(n.time, now: now, mode), provisional: n.provisional,
            dueCertain: n.provisional && !d.provisional, group: s.group, text: .lazy(program), identity: key)
    }
}
