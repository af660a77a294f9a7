/// Operator actions: events, the built-in `done`, and limits (format §5, §6, §8, §10 "Guards", "Limits").
extension Engine {
    /// Applies an operator event at `at`: first advances to `at`, then checks data, event and guards, then limits.
    /// On success returns the records (including those of the advance); on failure the instance is unchanged
    /// except for the advance, and the error carries a `rejected` record when one belongs in history.
    public func send(
        _ inst: inout Instance, event: String, data: [(String, JSON)], at: Instant, actor: Int?,
        counter: (any InstanceCounter)?
    ) -> Result<[Record], EngineError> {
        if event == "done" {
            guard let m = data.first(where: { $0.0 == "milestone" })?.1.stringValue else {
                return .failure(.invalidData(FieldError(field: "milestone", reason: "sự kiện 'done' cần tham số 'milestone'")))
            }
            return completeMilestone(&inst, milestone: m, at: at, actor: actor)
        }
        let eventData: InstanceData
        switch definition.validate(data: data, partial: true, today: zone.date(of: at)) {
        case .success(let d): eventData = d
        case .failure(let e): return .failure(.invalidData(e))
        }
        // The data as the event leaves it (advancing changes no field): refused before anything moves. Days set
        // before and left alone by this event are not its to answer for.
        var merged = inst.data
        for (k, v) in eventData { merged[k] = v }
        // Null in event data removes an optional field.
        for (k, v) in data where v.isNull { merged[k] = nil }
        if let e = definition.outOfOrder(merged, given: { eventData[$0] != nil }) { return .failure(.invalidData(e)) }
        var records = advanceFully(&inst, to: at)
        if let e = definition.missingRequired(merged) { return .failure(.invalidData(e)) }

        guard let st = program.state(inst.state) else {
            return .failure(reject(inst, event: event, at: at, actor: actor, reason: Messages.noStates(definition.id)))
        }
        if inst.completed || st.isFinal {
            return .failure(reject(inst, event: event, at: at, actor: actor, reason: Messages.finalState(st.title)))
        }
        guard let branches = st.branches(for: event) else {
            let known = st.on.map(\.event)
            return .failure(
                reject(inst, event: event, at: at, actor: actor, reason: Messages.unhandled(event: event, state: st.title, known: known)))
        }
        guard let branch = branches.first(where: { b in b.conditions.allSatisfy { $0.holds(merged) } }) else {
            return .failure(
                reject(
                    inst, event: event, at: at, actor: actor,
                    reason: Messages.noBranch(
                        event: event, branches: branches, data: merged, definition: definition, given: Set(eventData.keys))))
        }
        if let counter,
            let err = limitViolation(
                inst: inst, target: branch.to, data: merged, currentState: inst.state, counter: counter, at: at, event: event, actor: actor)
        {
            return .failure(err)
        }
        let from = inst.state
        let before = inst
        inst.data = merged
        inst.state = branch.to
        inst.enteredAt = at
        // A step that stays in its state with the same due (a second failed vote, a date recorded again) keeps the
        // deadline's notices marked: a notice's key is its deadline, its reminder offset or overdue number and the
        // due (interfaces §1), which re-entering does not change, and it is never sent twice — each re-vote sent the
        // day's «Quá hạn» again (time audit, 07/12/2026). A due that moves starts afresh.
        let sameDeadline =
            from == branch.to
            && st.deadline.map { dl in dueValue(dl, before).map { old in dueValue(dl, inst)?.due == old.due } ?? false } ?? false
        if !sameDeadline { inst.clearMarks("") }
        var transition = transitionRecord(inst, from: from, at: at, event: event, actor: actor, late: nil, label: inst.id)
        // What the event brought (a vote's counts, a reason) stays in the history, in the form's words.
        let brought = data.compactMap { name, _ in eventData[name].map { (name, $0) } }
        if !brought.isEmpty { transition.message += ": " + Messages.given(brought, definition: definition) }
        records.append(transition)
        records += completionIfDue(&inst, at: at)
        records += advance(&inst, to: at)
        return .success(Engine.ordered(records))
    }

    func reject(_ inst: Instance, event sentEvent: String, at: Instant, actor: Int?, reason: String) -> EngineError {
        let event = Messages.sent(sentEvent)
        let r = Record(
            at: at, utcOffset: zone.offset(at: at), kind: .rejected, workflow: program.id, instance: inst.id,
            state: inst.state, from: inst.state, event: event, priority: 4, group: program.group(of: inst.data), actor: actor,
            message: Messages.rejected(event: event, eventTitle: program.eventTitles[event], instance: inst.id, reason: reason))
        return .eventRejected(id: inst.id, event: event, state: inst.state, reason: reason, record: r)
    }

    /// The built-in `done` event: `milestone` is `M` or, for a recurring one, `M@LABEL` (format §10 "Recurring
    /// milestones", rule 6). Completing a done milestone or occurrence again is a no-op (no records).
    public func completeMilestone(_ inst: inout Instance, milestone: String, at: Instant, actor: Int?) -> Result<[Record], EngineError> {
        let parts = milestone.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let id = String(parts[0])
        let occurrence = parts.count > 1 ? String(parts[1]) : nil
        guard let m = program.milestone(id) else {
            let reason = Messages.unknownMilestone(id, known: definition.milestones.map(\.id))
            return .failure(reject(inst, event: "done", at: at, actor: actor, reason: reason))
        }
        if let r = m.recurrence {
            var records = advanceFully(&inst, to: at)
            switch completeOccurrence(&inst, m, r, label: occurrence, at: at, actor: actor) {
            case .success(let rs): records += rs
            case .failure(let e): return .failure(e)
            }
            return .success(records)
        }
        if occurrence != nil {
            return .failure(reject(inst, event: "done", at: at, actor: actor, reason: Messages.notRecurring(m.title, m.id)))
        }
        if inst.done[id] != nil { return .success([]) }
        let missing = m.requires.filter { inst.done[$0] == nil }
        if !missing.isEmpty {
            let titles = missing.map { id in "«\(program.milestone(id)?.title ?? id)» (\(id))" }
            return .failure(reject(inst, event: "done", at: at, actor: actor, reason: Messages.missingRequires(m.title, titles)))
        }
        var records = advanceFully(&inst, to: at)
        let group = modifying(&inst, .live, activate: false) { inst, sched in
            inst.done[id] = at
            inst.clearMarks(id, suppressed: sched.hasSuppressed)
            // The schedule follows: the milestone's deadline closes.
            if let e = sched.oneShot.removeValue(forKey: m.index) { sched.close(e) }
            sched.settle()
            return sched.group
        }
        let due = dueValue(m.deadline, inst)
        records.append(
            Record(
                at: at, utcOffset: zone.offset(at: at), kind: .milestoneDone, workflow: program.id, instance: inst.id,
                state: inst.state, event: "done", milestone: id, due: due.map { dueText($0.due) }, priority: 6,
                provisional: due?.provisional ?? false, group: group, actor: actor, text: .lazy(program), identity: .derived))
        records += completionIfDue(&inst, at: at)
        return .success(records)
    }

    // MARK: Limits

    /// The first limit that moving `inst` to `target` would exceed, or why the counts could not be read.
    func limitViolation(
        inst: Instance, target: String, data: InstanceData, currentState: String?, counter: any InstanceCounter, at: Instant,
        event: String?, actor: Int?
    ) -> EngineError? {
        do {
            return try exceededLimit(
                inst: inst, target: target, data: data, currentState: currentState, counter: counter, at: at, event: event, actor: actor)
        } catch {
            return error
        }
    }

    private func exceededLimit(
        inst: Instance, target: String, data: InstanceData, currentState: String?, counter: any InstanceCounter, at: Instant,
        event: String?, actor: Int?
    ) throws(EngineError) -> EngineError? {
        for l in definition.limits where l.state == target && currentState != target {
            let groupValue = l.per.flatMap { data[$0] }
            let groupText = l.per.map { _ in groupValue?.display(zone: zone) ?? "" }
            let count = { (states: Set<String>) throws(EngineError) -> Int in
                do {
                    return try counter.count(workflow: self.program.id, states: states, field: l.per, value: groupValue)
                } catch {
                    throw .eventRejected(
                        id: inst.id, event: event ?? "start", state: currentState,
                        reason: Messages.limitUnreadable(l.description, error: "\(error)"), record: nil)
                }
            }
            var inState = try count([l.state]) + 1
            let allowed: Int
            switch l.max {
            case .count(let n):
                allowed = n
            case .percent(let p):
                let base = Set(l.of)
                var n = try count(base)
                if base.contains(target) && !(currentState.map { base.contains($0) } ?? false) { n += 1 }
                if !base.contains(target), let c = currentState, base.contains(c) { n -= 1 }
                allowed = p * n / 100
            }
            if inState > allowed {
                let reason = Messages.limit(l.description, group: groupText, count: inState, max: allowed)
                let r = Record(
                    at: at, utcOffset: zone.offset(at: at), kind: .rejected, workflow: program.id, instance: inst.id,
                    state: currentState, from: currentState, to: target, event: event, priority: 4,
                    group: program.group(of: data), actor: actor,
                    message: Messages.rejected(
                        event: event ?? "start", eventTitle: event.flatMap { program.eventTitles[$0] }, instance: inst.id, reason: reason))
                inState = max(inState, 0)
                return .limitExceeded(limit: l.description, group: groupText, count: inState, max: allowed, record: r)
            }
        }
        return nil
    }
}
