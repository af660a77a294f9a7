/// Counts instances for limits. The daemon answers from its index; simulate from its instance set.
public protocol InstanceCounter {
    /// Instances of `workflow` in any of `states` whose field `field` equals `value` (nil value: the field is
    /// missing); all instances of the workflow when `field` is nil.
    func count(workflow: String, states: Set<String>, field: String?, value: Value?) -> Int
}

/// Why an operator request was refused. Maps onto the varlink errors.
public enum EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidData(FieldError)
    case eventRejected(id: String, event: String, state: String?, reason: String, record: Record?)
    case limitExceeded(limit: String, group: String?, count: Int, max: Int, record: Record?)

    public var description: String {
        switch self {
        case .invalidData(let e): return "Dữ liệu không hợp lệ: \(e)"
        case .eventRejected(_, _, _, let reason, _): return reason
        case .limitExceeded(let limit, let group, let count, let max, _):
            return "Vượt giới hạn \(limit)\(group.map { " trong nhóm «\($0)»" } ?? ""): \(count) > \(max)"
        }
    }

    /// The `rejected` record to keep in history, when there is one.
    public var record: Record? {
        switch self {
        case .invalidData: return nil
        case .eventRejected(_, _, _, _, let r), .limitExceeded(_, _, _, _, let r): return r
        }
    }
}

/// How `advance` treats notices.
public enum AdvanceMode: Sendable {
    /// The daemon and simulate: per deadline only the latest missed notice is sent, with `late`.
    case live
    /// `plan`: every reminder and only the first overdue notice (k = 0), nothing late.
    case plan
}

/// The pure, deterministic step function over one workflow definition. Time is always passed in.
public struct Engine: Sendable {
    public let definition: WorkflowDefinition
    var zone: Zone { definition.zone }
    var calendar: WorkCalendar { definition.calendar }

    public init(_ definition: WorkflowDefinition) { self.definition = definition }

    static let maxTransitionsPerAdvance = 1000

    // MARK: Starting

    /// Starts an instance at `at` (its data already validated and completed) and advances it to `now`.
    /// `instanceID` nil is the hypothetical instance of `plan` (records without an instance key).
    public func start(
        instanceID: String?, data: InstanceData, at: Instant, now: Instant, actor: Int? = nil, mode: AdvanceMode = .live,
        counter: (any InstanceCounter)? = nil
    ) -> Result<(Instance, [Record]), EngineError> {
        let id = instanceID ?? definition.id
        var inst = Instance(
            id: id, workflow: definition.id, data: data, state: definition.initial, startedAt: at, enteredAt: at,
            digest: definition.digest, checkedAt: Instant(seconds: at.seconds - 1))
        if let initial = definition.initial, let counter,
            let err = limitViolation(inst: inst, target: initial, data: data, currentState: nil, counter: counter, at: at, event: nil, actor: actor)
        {
            return .failure(err)
        }
        var records: [Record] = []
        let stTitle = definition.initial.flatMap { definition.state($0)?.displayTitle }
        records.append(
            Record(
                at: at, utcOffset: zone.offset(at: at), kind: .started, workflow: definition.id, instance: instanceID,
                state: definition.initial, priority: 6, group: definition.group(of: data), actor: actor,
                message: Messages.started(workflowTitle: definition.title, instance: id, stateTitle: stTitle)))
        activateSeries(&inst)
        records += completionIfDue(&inst, at: at, label: .some(instanceID))
        records += advance(&inst, to: now, mode: mode, label: instanceID)
        return .success((inst, records))
    }

    // MARK: Timed transitions

    /// The earliest `after` rule of the current state due at or before `limit` whose guard holds, its instant, and
    /// whether that instant is provisional.
    func dueTransition(_ inst: Instance, limit: Instant) -> (rule: AfterRule, time: Instant, provisional: Bool)? {
        guard !inst.completed, let s = inst.state, let st = definition.state(s), !st.isFinal else { return nil }
        var candidates: [(Instant, Int, AfterRule, Bool)] = []
        for (i, a) in st.after.enumerated() {
            var p = false
            guard let v = evaluate(a.at, inst, provisional: &p) else { continue }
            let t = end(of: v)
            if t <= limit { candidates.append((t, i, a, p)) }
        }
        candidates.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for (t, _, a, p) in candidates where a.conditions.allSatisfy({ $0.holds(inst.data) }) { return (a, t, p) }
        return nil
    }

    /// The next instant an `after` rule of the current state falls due after `checkedAt`, or one already past whose
    /// guard holds (after a calendar change moved it before `checkedAt`: it fires at the next advance, late).
    func nextTransitionTime(_ inst: Instance) -> Instant? {
        guard !inst.completed, let s = inst.state, let st = definition.state(s), !st.isFinal else { return nil }
        var best: Instant?
        for a in st.after {
            var ignored = false
            guard let v = evaluate(a.at, inst, provisional: &ignored) else { continue }
            let t = end(of: v)
            guard t > inst.checkedAt || a.conditions.allSatisfy({ $0.holds(inst.data) }) else { continue }
            if best == nil || t < best! { best = t }
        }
        return best
    }

    // MARK: Advancing

    /// Fires everything due up to `now`: timed transitions in order (entered = scheduled time), occurrences of
    /// recurring milestones opening, and per deadline only the latest due notice (live) or every reminder and the
    /// first overdue notice (plan).
    ///
    /// Bounded: after `maxTransitionsPerAdvance` transitions, or `maxOpeningsPerAdvance` openings of one series, the
    /// advance stops at the instant it reached (the last transition fired, or just before the first occurrence left
    /// unopened) instead of `now`: `checkedAt` stays there, no notice after it is handled, and `nextWakeup` is that
    /// rest, already due, so the next advance carries on where this one stopped and nothing is lost.
    public func advance(_ inst: inout Instance, to now: Instant, mode: AdvanceMode = .live, label: String?? = nil) -> [Record] {
        let label: String? = label ?? inst.id
        var out: [Record] = []
        // Per deadline key: its order and the notices waiting to be emitted (latest only, live).
        var pending: [String: (order: (Int, Int), records: [Record])] = [:]
        var transitions = 0
        // Where a bounded advance stopped (nil: it reached `now`).
        var reached: Instant?
        func flush(_ keys: [String]) {
            let sorted = keys.compactMap { k in pending[k].map { (k, $0.order) } }.sorted { $0.1 < $1.1 }
            for (k, _) in sorted { out += pending.removeValue(forKey: k)!.records }
        }
        activateSeries(&inst)
        while true {
            var tr = dueTransition(inst, limit: now)
            if tr != nil, transitions >= Engine.maxTransitionsPerAdvance {
                // The state entered last stays for the next advance, with its notices from its entry on.
                reached = inst.enteredAt
                break
            }
            var limit = tr?.time ?? now
            var strict = tr != nil
            if let unopened = openOccurrences(&inst, through: limit) {
                // A series left occurrences unopened: handle notices only before the first of them, fire nothing
                // at or after it, and stop there.
                limit = unopened
                strict = true
                tr = nil
                reached = unopened.adding(seconds: -1)
            }
            let actives = activeDeadlines(inst)
            let drops = definition.hasRecurring ? dropStarts(actives) : [:]
            let marks = Marks(inst.marks)
            for a in actives {
                let dropFrom = drops.isEmpty ? nil : drops[a.key]
                let (emit, last) = notices(a, marks: marks, limit: limit, strict: strict, mode: mode, now: now, dropFrom: dropFrom)
                guard let last else { continue }
                inst.marks[a.key] = last
                // Live: a newer notice replaces one not yet emitted, also when the newer one is dropped.
                let previous = mode == .plan ? (pending[a.key]?.records ?? []) : []
                let records = previous + emit.map { record(for: $0, a, inst: inst, now: now, label: label, mode: mode) }
                pending[a.key] = records.isEmpty ? nil : (a.order, records)
            }
            guard reached == nil, let (rule, t, provisional) = tr else { break }
            transitions += 1
            flush([""])
            let from = inst.state
            inst.state = rule.to
            inst.enteredAt = t
            inst.clearMarks("")
            let late = mode == .live && now.seconds - t.seconds >= 1 ? Int(now.seconds - t.seconds) : nil
            out.append(
                transitionRecord(inst, from: from, at: t, event: nil, actor: nil, late: late, label: label, provisional: provisional))
            if definition.state(rule.to)?.isFinal == true { flush(Array(pending.keys)) }
            out += completionIfDue(&inst, at: t, label: label, provisional: provisional)
        }
        flush(Array(pending.keys))
        let checked = reached ?? now
        if checked > inst.checkedAt { inst.checkedAt = checked }
        return Engine.ordered(out)
    }

    /// `advance` repeated until the instance has reached `now`: an operator's event or completion applies to the
    /// instance as it is at that instant, even when the scheduler is still catching it up bounded step by step.
    /// Every step fires at least one transition or opening (no cycle fires without time passing), so this ends.
    public func advanceFully(_ inst: inout Instance, to now: Instant) -> [Record] {
        var out = advance(&inst, to: now)
        // Only a bounded advance leaves `checkedAt` before `now`.
        while inst.checkedAt < now { out += advance(&inst, to: now) }
        return out
    }

    /// Sorts by `at`, keeping causal order for equal instants. Usually already in order; otherwise indices are
    /// sorted, not records (large values: moving them dominated the sort).
    static func ordered(_ records: [Record]) -> [Record] {
        if zip(records, records.dropFirst()).allSatisfy({ $0.at <= $1.at }) { return records }
        return records.indices.sorted { (records[$0].at, $0) < (records[$1].at, $1) }.map { records[$0] }
    }

    /// The next instant something is due for this instance (a transition, a notice, an occurrence opening), or nil
    /// when nothing ever will be.
    public func nextWakeup(_ inst: Instance, mode: AdvanceMode = .live) -> Instant? {
        if inst.completed { return nil }
        var best = nextTransitionTime(inst)
        let actives = activeDeadlines(inst)
        let drops = definition.hasRecurring ? dropStarts(actives) : [:]
        let marks = Marks(inst.marks)
        for a in actives {
            let dropFrom = drops.isEmpty ? nil : drops[a.key]
            if let t = nextNotice(a, marks: marks, mode: mode, dropFrom: dropFrom), best == nil || t < best! { best = t }
        }
        if let t = nextOpening(inst), best == nil || t < best! { best = t }
        return best
    }

    func transitionRecord(
        _ inst: Instance, from: String?, at: Instant, event: String?, actor: Int?, late: Int?, label: String?,
        provisional: Bool = false
    ) -> Record {
        let fromTitle = from.flatMap { definition.state($0)?.displayTitle } ?? from ?? ""
        let toTitle = inst.state.flatMap { definition.state($0)?.displayTitle } ?? inst.state ?? ""
        let message = Messages.transition(instance: label ?? definition.id, fromTitle: fromTitle, toTitle: toTitle, event: event)
        return Record(
            at: at, utcOffset: zone.offset(at: at), kind: .transition, workflow: definition.id, instance: label,
            state: inst.state, from: from, to: inst.state, event: event, priority: 6, late: late, provisional: provisional,
            group: definition.group(of: inst.data), actor: actor,
            message: provisional ? message + Messages.provisionalMark : message,
            key: "\(inst.id)|transition|\(from ?? "")>\(inst.state ?? "")|\(at.seconds)")
    }

    /// Emits `completed` once: in a final state (or without states) with every milestone done (a recurring one per
    /// rule 4). `provisional` when a provisional timed transition caused it.
    func completionIfDue(_ inst: inout Instance, at: Instant, label: String?? = nil, provisional: Bool = false) -> [Record] {
        let label: String? = label ?? inst.id
        guard !inst.completed else { return [] }
        if let s = inst.state {
            guard definition.state(s)?.isFinal == true else { return [] }
        } else if definition.milestones.isEmpty {
            return []
        }
        guard definition.milestones.allSatisfy({ isDone($0, inst) }) else { return [] }
        inst.completed = true
        let message = Messages.completed(workflowTitle: definition.title, instance: label ?? definition.id)
        return [
            Record(
                at: at, utcOffset: zone.offset(at: at), kind: .completed, workflow: definition.id, instance: label,
                state: inst.state, priority: 6, provisional: provisional, group: definition.group(of: inst.data),
                message: provisional ? message + Messages.provisionalMark : message, key: "\(inst.id)|completed")
        ]
    }

    // MARK: Events

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
        switch definition.validate(data: data, partial: true) {
        case .success(let d): eventData = d
        case .failure(let e): return .failure(.invalidData(e))
        }
        var records = advanceFully(&inst, to: at)
        var merged = inst.data
        for (k, v) in eventData { merged[k] = v }
        // Null in event data removes an optional field.
        for (k, v) in data where v.isNull { merged[k] = nil }
        if case .failure(let e) = definition.complete(merged) { return .failure(.invalidData(e)) }

        guard let s = inst.state, let st = definition.state(s) else {
            return .failure(reject(inst, event: event, at: at, actor: actor, reason: Messages.noStates(definition.id)))
        }
        if inst.completed || st.isFinal {
            return .failure(reject(inst, event: event, at: at, actor: actor, reason: Messages.finalState(st.displayTitle)))
        }
        guard let branches = st.branches(for: event) else {
            let known = st.on.map(\.event)
            return .failure(reject(inst, event: event, at: at, actor: actor, reason: Messages.unhandled(event: event, state: st.displayTitle, known: known)))
        }
        guard let branch = branches.first(where: { b in b.conditions.allSatisfy { $0.holds(merged) } }) else {
            return .failure(reject(inst, event: event, at: at, actor: actor, reason: Messages.noBranch(event: event, branches: branches)))
        }
        if let counter, let err = limitViolation(inst: inst, target: branch.to, data: merged, currentState: inst.state, counter: counter, at: at, event: event, actor: actor) {
            return .failure(err)
        }
        let from = inst.state
        inst.data = merged
        inst.state = branch.to
        inst.enteredAt = at
        inst.clearMarks("")
        records.append(transitionRecord(inst, from: from, at: at, event: event, actor: actor, late: nil, label: inst.id))
        records += completionIfDue(&inst, at: at)
        records += advance(&inst, to: at)
        return .success(Engine.ordered(records))
    }

    func reject(_ inst: Instance, event: String, at: Instant, actor: Int?, reason: String) -> EngineError {
        let r = Record(
            at: at, utcOffset: zone.offset(at: at), kind: .rejected, workflow: definition.id, instance: inst.id,
            state: inst.state, from: inst.state, event: event, priority: 4, group: definition.group(of: inst.data), actor: actor,
            message: Messages.rejected(event: event, instance: inst.id, reason: reason))
        return .eventRejected(id: inst.id, event: event, state: inst.state, reason: reason, record: r)
    }

    /// The built-in `done` event: `milestone` is `M` or, for a recurring one, `M@LABEL` (format §10 "Recurring
    /// milestones", rule 6). Completing a done milestone or occurrence again is a no-op (no records).
    public func completeMilestone(_ inst: inout Instance, milestone: String, at: Instant, actor: Int?) -> Result<[Record], EngineError> {
        let parts = milestone.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        let id = String(parts[0])
        let occurrence = parts.count > 1 ? String(parts[1]) : nil
        guard let m = definition.milestone(id) else {
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
            let titles = missing.map { id in "«\(definition.milestone(id)?.title ?? id)» (\(id))" }
            return .failure(reject(inst, event: "done", at: at, actor: actor, reason: Messages.missingRequires(m.title, titles)))
        }
        var records = advanceFully(&inst, to: at)
        inst.done[id] = at
        inst.clearMarks(id)
        let due = dueValue(m.deadline, inst)
        records.append(
            Record(
                at: at, utcOffset: zone.offset(at: at), kind: .milestoneDone, workflow: definition.id, instance: inst.id,
                state: inst.state, event: "done", milestone: id, due: due.map { dueText($0.due) }, priority: 6,
                provisional: due?.provisional ?? false, group: definition.group(of: inst.data), actor: actor,
                message: Messages.milestoneDone(title: m.title, instance: inst.id, provisional: due?.provisional ?? false),
                key: "\(inst.id)|done|\(id)"))
        records += completionIfDue(&inst, at: at)
        return .success(records)
    }

    // MARK: Limits

    func limitViolation(
        inst: Instance, target: String, data: InstanceData, currentState: String?, counter: any InstanceCounter, at: Instant,
        event: String?, actor: Int?
    ) -> EngineError? {
        for l in definition.limits where l.state == target && currentState != target {
            let groupValue = l.per.flatMap { data[$0] }
            let groupText = l.per.map { _ in groupValue?.display(zone: zone) ?? "" }
            var inState = counter.count(workflow: definition.id, states: [l.state], field: l.per, value: groupValue) + 1
            let allowed: Int
            switch l.max {
            case .count(let n):
                allowed = n
            case .percent(let p):
                let base = Set(l.of)
                var n = counter.count(workflow: definition.id, states: base, field: l.per, value: groupValue)
                if base.contains(target) && !(currentState.map { base.contains($0) } ?? false) { n += 1 }
                if !base.contains(target), let c = currentState, base.contains(c) { n -= 1 }
                allowed = p * n / 100
            }
            if inState > allowed {
                let reason = Messages.limit(l.description, group: groupText, count: inState, max: allowed)
                let r = Record(
                    at: at, utcOffset: zone.offset(at: at), kind: .rejected, workflow: definition.id, instance: inst.id,
                    state: currentState, from: currentState, to: target, event: event, priority: 4,
                    group: definition.group(of: data), actor: actor, message: Messages.rejected(event: event ?? "start", instance: inst.id, reason: reason))
                inState = max(inState, 0)
                return .limitExceeded(limit: l.description, group: groupText, count: inState, max: allowed, record: r)
            }
        }
        return nil
    }
}
