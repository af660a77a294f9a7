/// Counts instances for limits. The daemon answers from its store; simulate from its instance set.
public protocol InstanceCounter {
    /// Instances of `workflow` in any of `states` whose field `field` equals `value` (nil value: the field is
    /// missing); all instances of the workflow when `field` is nil. A count that cannot be read throws: the
    /// event is then rejected rather than checked against a guess (a failed read once counted 0 and skipped caps).
    func count(workflow: String, states: Set<String>, field: String?, value: Value?) throws -> Int
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
public enum AdvanceMode: Sendable, Hashable {
    /// The daemon and simulate: per deadline only the latest missed notice is sent, with `late`.
    case live
    /// `plan`: every reminder and only the first overdue notice (k = 0), nothing late.
    case plan
}

/// The pure, deterministic step function over one workflow definition. Time is always passed in.
public struct Engine: Sendable {
    /// One reference: copying an engine (out of a dictionary, into a closure) costs one retain, not one per field
    /// of its definition.
    let core: Core
    public var definition: WorkflowDefinition { core.definition }
    var program: Program { core.program }
    var zone: Zone { program.zone }
    var calendar: WorkCalendar { program.calendar }

    final class Core: Sendable {
        let definition: WorkflowDefinition
        let program: Program
        init(_ definition: WorkflowDefinition) {
            self.definition = definition
            // The definition's compiled form, unless its calendar was replaced without `with(calendar:)`.
            program = definition.program.calendar === definition.calendar ? definition.program : Program(definition)
        }
    }

    public init(_ definition: WorkflowDefinition) { core = Core(definition) }

    static let maxTransitionsPerAdvance = 1000

    // MARK: Starting

    /// Starts an instance at `at` (its data already validated and completed) and advances it to `now`.
    /// `instanceID` nil is the hypothetical instance of `plan` (records without an instance key).
    public func start(
        instanceID: String?, data: InstanceData, at: Instant, now: Instant, actor: Int? = nil, mode: AdvanceMode = .live,
        counter: (any InstanceCounter)? = nil
    ) -> Result<(Instance, [Record]), EngineError> {
        let id = instanceID ?? program.id
        var inst = Instance(
            id: id, workflow: program.id, data: data, state: program.initial, startedAt: at, enteredAt: at,
            digest: program.digest, checkedAt: Instant(seconds: at.seconds - 1))
        if let initial = program.initial, let counter,
            let err = limitViolation(
                inst: inst, target: initial, data: data, currentState: nil, counter: counter, at: at, event: nil, actor: actor)
        {
            return .failure(err)
        }
        // A start dated before `now` (a record imported or added after the fact) is written late, as any record is
        // (interfaces §1 `late`): the front ends tell from it when the record entered the system, and that its
        // catch-up notices were written then, not by a daemon that was stopped.
        var records = [
            Record(
                at: at, utcOffset: zone.offset(at: at), kind: .started, workflow: program.id, instance: instanceID,
                state: program.initial, priority: 6, late: Engine.late(at, now: now, mode), group: program.group(of: data), actor: actor,
                text: .lazy(program), identity: .none)
        ]
        activateSeries(&inst)
        records += completionIfDue(&inst, at: at, label: .some(instanceID))
        records += advance(&inst, to: now, mode: mode, label: instanceID)
        return .success((inst, records))
    }

    // MARK: Timed transitions

    /// The earliest `after` rule of the current state due at or before `limit` whose guard holds: the state it goes
    /// to, its instant, and whether that instant is provisional.
    func dueTransition(_ inst: Instance, _ s: borrowing Schedule, limit: Instant) -> (to: String, time: Instant, provisional: Bool)? {
        guard !inst.completed, let st = s.state, !st.isFinal else { return nil }
        for (t, i, p) in s.transitions {
            guard t <= limit else { break }
            if st.after[i].conditions.allSatisfy({ $0.holds(inst.data) }) { return (st.after[i].to, t, p) }
        }
        return nil
    }

    /// The next instant an `after` rule of the current state falls due after `checkedAt`, or one already past whose
    /// guard holds (after a calendar change moved it before `checkedAt`: it fires at the next advance, late).
    func nextTransitionTime(_ inst: Instance, _ state: ProgramState?, _ transitions: [(time: Instant, rule: Int, provisional: Bool)])
        -> Instant?
    {
        guard !inst.completed, let st = state, !st.isFinal else { return nil }
        for (t, i, _) in transitions where t > inst.checkedAt || st.after[i].conditions.allSatisfy({ $0.holds(inst.data) }) {
            return t
        }
        return nil
    }

    /// The timed transition the instance takes next if nothing else happens first: the earliest `after` rule of its
    /// state falling due after `checkedAt` whose guard holds on the data as it is now (data sent later may change
    /// which rule fires), with the deadline of the state it enters, computed on a copy advanced to that instant. Nil
    /// once completed, in a final state, or when no rule of the state applies.
    public func upcomingTransition(_ inst: Instance) -> UpcomingTransition? {
        if inst.completed { return nil }
        // The rule is read from the schedule the copy keeps, which the advance below then uses: one schedule computed
        // for an instance read from the store, not one to read and another to advance.
        var next = inst
        let rule: (to: String, at: Instant, provisional: Bool)? = modifying(&next, .live, activate: true) { i, s in
            guard let st = s.state, !st.isFinal else { return nil }
            for (t, r, p) in s.transitions where t > i.checkedAt && st.after[r].conditions.allSatisfy({ $0.holds(i.data) }) {
                return (st.after[r].to, t, p)
            }
            return nil
        }
        guard let rule else { return nil }
        _ = advance(&next, to: rule.at)
        let deadline = next.state == rule.to && next.enteredAt == rule.at ? openDeadlines(next).first { $0.key == "" } : nil
        return UpcomingTransition(to: rule.to, at: rule.at, provisional: rule.provisional, deadline: deadline)
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
        return modifying(&inst, mode, activate: true) { inst, s in
            advance(&inst, &s, to: now, mode: mode, label: label)
        }
    }

    func advance(_ inst: inout Instance, _ s: inout Schedule, to now: Instant, mode: AdvanceMode, label: String?) -> [Record] {
        var out: [Record] = []
        var pending = PendingRecords()
        var transitions = 0
        // Where a bounded advance stopped (nil: it reached `now`).
        var reached: Instant?
        while true {
            var tr = dueTransition(inst, s, limit: now)
            if tr != nil, transitions >= Engine.maxTransitionsPerAdvance {
                // The state entered last stays for the next advance, with its notices from its entry on.
                reached = inst.enteredAt
                break
            }
            var limit = tr?.time ?? now
            var strict = tr != nil
            if let unopened = openOccurrences(&inst, &s, through: limit) {
                // A series left occurrences unopened: handle notices only before the first of them, fire nothing at
                // or after it, and stop there.
                limit = unopened
                strict = true
                tr = nil
                reached = unopened.adding(seconds: -1)
            }
            handleNotices(&inst, &s, limit: limit, strict: strict, mode: mode, now: now, label: label, pending: &pending)
            guard reached == nil, let (to, t, provisional) = tr else { break }
            transitions += 1
            pending.flush(stateOnly: true, into: &out)
            let from = inst.state
            inst.state = to
            inst.enteredAt = t
            inst.clearMarks("", suppressed: s.hasSuppressed)
            out.append(
                transitionRecord(
                    inst, from: from, at: t, event: nil, actor: nil, late: Engine.late(t, now: now, mode), label: label,
                    provisional: provisional))
            if program.state(to)?.isFinal == true { pending.flush(stateOnly: false, into: &out) }
            out += completionIfDue(&inst, at: t, label: label, provisional: provisional)
            s = makeSchedule(inst, mode)
        }
        pending.flush(stateOnly: false, into: &out)
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

    /// A record's `late` (interfaces §1): the whole seconds from its instant `t` to `now` when it is written live, at
    /// least one; nil in plan mode, which writes nothing late.
    static func late(_ t: Instant, now: Instant, _ mode: AdvanceMode) -> Int? {
        mode == .live && now.seconds - t.seconds >= 1 ? Int(now.seconds - t.seconds) : nil
    }

    /// Sorts by `at`, keeping causal order for equal instants (usually already in order).
    static func ordered(_ records: [Record]) -> [Record] {
        if records.count < 2 || (1..<records.count).allSatisfy({ records[$0 - 1].at <= records[$0].at }) { return records }
        return records.indices.sorted { (records[$0].at, $0) < (records[$1].at, $1) }.map { records[$0] }
    }

    /// The next instant something is due for this instance (a transition, a notice, an occurrence opening), or nil
    /// when nothing ever will be.
    public func nextWakeup(_ inst: Instance, mode: AdvanceMode = .live) -> Instant? {
        if inst.completed { return nil }
        return reading(inst, mode) { s in earliest(nextTransitionTime(inst, s.state, s.transitions), s.nextNotice, s.nextOpeningAt) }
    }

    func earliest(_ a: Instant?, _ b: Instant?, _ c: Instant?) -> Instant? {
        var best = a
        if let b, best.map({ b < $0 }) ?? true { best = b }
        if let c, best.map({ c < $0 }) ?? true { best = c }
        return best
    }

    func transitionRecord(
        _ inst: Instance, from: String?, at: Instant, event: String?, actor: Int?, late: Int?, label: String?,
        provisional: Bool = false
    ) -> Record {
        var r = Record(
            at: at, utcOffset: zone.offset(at: at), kind: .transition, workflow: program.id, instance: label,
            state: inst.state, from: from, to: inst.state, event: event, priority: 6, late: late, provisional: provisional,
            group: program.group(of: inst.data), actor: actor, text: .lazy(program), identity: .derived)
        keyInstance(&r, inst)
        return r
    }

    /// A record's key names the instance by its id, and is written from the record's `instance` (or its workflow,
    /// for plan's records, which have none: the plan's instance has the workflow's id). A record labelled otherwise
    /// gets its key written out.
    func keyInstance(_ r: inout Record, _ inst: Instance) {
        guard (r.instance ?? program.id) != inst.id else { return }
        var probe = r
        probe.instance = inst.id
        r.identity = RecordText.key(of: probe).map(RecordIdentity.literal) ?? .none
    }

    /// Emits `completed` once: in a final state (or without states) with every milestone done (a recurring one per
    /// rule 4). `provisional` when a provisional timed transition caused it.
    func completionIfDue(_ inst: inout Instance, at: Instant, label: String?? = nil, provisional: Bool = false) -> [Record] {
        let label: String? = label ?? inst.id
        guard !inst.completed else { return [] }
        if let s = inst.state {
            guard program.state(s)?.isFinal == true else { return [] }
        } else if program.milestones.isEmpty {
            return []
        }
        // Fewer completions than one-shot milestones: one of them is not done (a quick answer for n milestones).
        guard inst.done.count >= program.oneShotCount, program.milestones.allSatisfy({ isDone($0, inst) }) else { return [] }
        inst.completed = true
        inst.schedule = nil
        var r = Record(
            at: at, utcOffset: zone.offset(at: at), kind: .completed, workflow: program.id, instance: label,
            state: inst.state, priority: 6, provisional: provisional, group: program.group(of: inst.data), text: .lazy(program),
            identity: .derived)
        keyInstance(&r, inst)
        return [r]
    }
}
