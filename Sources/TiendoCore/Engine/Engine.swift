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
        records += completionIfDue(&inst, at: at)
        records += advance(&inst, to: now, mode: mode, label: instanceID)
        return .success((inst, records))
    }

    // MARK: Deadlines

    /// A deadline in force for an instance, with its evaluated due.
    struct ActiveDeadline {
        var key: String  // "" for the state's deadline, else the milestone id
        var deadline: Deadline
        var title: String
        var milestone: String?
        var due: DateValue
        var end: Instant  // the deadline instant (end of day for a date due)
        var activation: Instant
    }

    struct Notice {
        var time: Instant
        var overdueIndex: Int?  // nil for reminders
        var offset: Offset?
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

    func evaluate(_ e: DateExpression, _ inst: Instance) -> DateValue? {
        e.evaluate(zone: zone, calendar: calendar, startedAt: inst.startedAt, enteredAt: inst.enteredAt, fieldValue: fieldValue(inst.data))
    }

    func rolled(_ v: DateValue, _ roll: Roll) -> DateValue {
        guard roll != .none else { return v }
        switch v {
        case .date(let d): return .date(calendar.roll(d, forward: roll == .forward))
        case .instant(let t):
            let (d, s) = zone.local(t)
            let nd = calendar.roll(d, forward: roll == .forward)
            return nd == d ? v : .instant(zone.instant(nd, TimeOfDay(hour: s / 3600, minute: (s % 3600) / 60), second: s % 60))
        }
    }

    /// Deadlines currently in force: the state's (unless final) and open milestones (unless in a final state).
    func activeDeadlines(_ inst: Instance) -> [ActiveDeadline] {
        if inst.completed { return [] }
        var out: [ActiveDeadline] = []
        var inFinal = false
        if let s = inst.state, let st = definition.state(s) {
            inFinal = st.isFinal
            if let dl = st.deadline, let v = evaluate(dl.due, inst) {
                let due = rolled(v, dl.roll)
                out.append(
                    ActiveDeadline(
                        key: "", deadline: dl, title: st.displayTitle, milestone: nil, due: due, end: end(of: due),
                        activation: max(inst.enteredAt, inst.startedAt)))
            }
        }
        if !inFinal {
            for m in definition.milestones where inst.done[m.id] == nil {
                guard let v = evaluate(m.deadline.due, inst) else { continue }
                let due = rolled(v, m.deadline.roll)
                out.append(
                    ActiveDeadline(
                        key: m.id, deadline: m.deadline, title: m.title, milestone: m.id, due: due, end: end(of: due),
                        activation: inst.startedAt))
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

    /// Reminders of a deadline in time order (larger offsets first at the same time).
    func reminders(_ a: ActiveDeadline) -> [Notice] {
        let day = dueDate(a.due)
        var out: [Notice] = []
        for o in a.deadline.remind {
            let t: Instant
            switch o.unit {
            case .d: t = zone.instant(day.adding(days: -o.amount), definition.remindAt)
            case .w: t = zone.instant(day.adding(days: -7 * o.amount), definition.remindAt)
            case .wd: t = zone.instant(calendar.adding(workingDays: -o.amount, to: day), definition.remindAt)
            case .h: t = a.end.adding(seconds: -Int64(o.amount) * 3600)
            case .min: t = a.end.adding(seconds: -Int64(o.amount) * 60)
            case .mo, .y: continue
            }
            out.append(Notice(time: t, overdueIndex: nil, offset: o))
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
    /// activation excluded. In plan mode only k = 0 is considered for overdue notices.
    func notices(_ a: ActiveDeadline, mark: Instant?, limit: Instant, strict: Bool, mode: AdvanceMode) -> [Notice] {
        func inRange(_ t: Instant) -> Bool {
            (mark.map { t > $0 } ?? true) && (strict ? t < limit : t <= limit)
        }
        var out: [Notice] = []
        for r in reminders(a) where r.time >= a.activation && inRange(r.time) { out.append(r) }
        switch mode {
        case .plan:
            let t = overdueTime(a, 0)
            if inRange(t) { out.append(Notice(time: t, overdueIndex: 0, offset: nil)) }
        case .live:
            // Only the latest overdue notice in range matters.
            if let kFirst = firstOverdue(a, after: mark) {
                let bound = strict ? limit.adding(seconds: -1) : limit
                let kLast = (firstOverdue(a, after: bound) ?? 1) - 1
                if kLast >= kFirst { out.append(Notice(time: overdueTime(a, kLast), overdueIndex: kLast, offset: nil)) }
            }
        }
        return out.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// The next instant a notice of this deadline falls due after its mark.
    func nextNotice(_ a: ActiveDeadline, mark: Instant?, mode: AdvanceMode) -> Instant? {
        var best: Instant?
        for r in reminders(a) where r.time >= a.activation && (mark.map { r.time > $0 } ?? true) {
            best = r.time
            break
        }
        let k: Int? = mode == .plan ? ((mark.map { overdueTime(a, 0) > $0 } ?? true) ? 0 : nil) : firstOverdue(a, after: mark)
        if let k {
            let t = overdueTime(a, k)
            if t < .distantFuture, best == nil || t < best! { best = t }
        }
        return best
    }

    func record(for n: Notice, _ a: ActiveDeadline, inst: Instance, now: Instant, label: String?, mode: AdvanceMode) -> Record {
        let due = a.due
        let dueText: String
        switch due {
        case .date(let d): dueText = d.iso
        case .instant(let t): dueText = zone.iso(t)
        }
        let daysLeft = dueDate(due).dayNumber - zone.date(of: n.time).dayNumber
        var priority: Int
        let kind: Record.Kind
        if let k = n.overdueIndex {
            kind = .overdue
            priority = 4
            for (threshold, p) in a.deadline.escalate {
                let reached: Bool
                switch threshold.unit {
                case .h, .min: reached = n.time >= a.end.adding(seconds: threshold.approximateSeconds)
                default:
                    let (d, s) = zone.local(a.end)
                    let days = threshold.unit == .w ? 7 * threshold.amount : threshold.amount
                    reached = n.time >= zone.instant(d.adding(days: days), TimeOfDay(hour: s / 3600, minute: (s % 3600) / 60), second: s % 60)
                }
                if reached { priority = p }
            }
            _ = k
        } else {
            kind = .reminder
            priority = daysLeft <= 0 ? 4 : 5
        }
        let late = mode == .live && now.seconds - n.time.seconds >= 1 ? Int(now.seconds - n.time.seconds) : nil
        let id = label ?? definition.id
        let dueHuman: String
        switch due {
        case .date(let d): dueHuman = d.vietnamese
        case .instant(let t): dueHuman = zone.vietnamese(t)
        }
        let message: String
        if kind == .reminder {
            message = Messages.reminder(title: a.title, instance: id, daysLeft: daysLeft, dueText: dueHuman, secondsLeft: a.end.seconds - n.time.seconds)
        } else {
            message = Messages.overdue(title: a.title, instance: id, daysLeft: daysLeft, dueText: dueHuman)
        }
        let noticeID = n.overdueIndex.map { "k\($0)" } ?? "r\(n.offset?.description ?? "")"
        return Record(
            at: n.time, utcOffset: zone.offset(at: n.time), kind: kind, workflow: definition.id, instance: label,
            state: inst.state, milestone: a.milestone, due: dueText, daysLeft: daysLeft, priority: priority, late: late,
            group: definition.group(of: inst.data), message: message,
            key: "\(inst.id)|\(a.key.isEmpty ? "state:\(inst.state ?? "")@\(inst.enteredAt.seconds)" : a.key)|\(noticeID)|\(n.time.seconds)")
    }

    // MARK: Timed transitions

    /// The earliest `after` rule of the current state due at or before `limit` whose guard holds.
    func dueTransition(_ inst: Instance, limit: Instant) -> (AfterRule, Instant)? {
        guard !inst.completed, let s = inst.state, let st = definition.state(s), !st.isFinal else { return nil }
        var candidates: [(Instant, Int, AfterRule)] = []
        for (i, a) in st.after.enumerated() {
            guard let v = evaluate(a.at, inst) else { continue }
            let t = end(of: v)
            if t <= limit { candidates.append((t, i, a)) }
        }
        candidates.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        for (t, _, a) in candidates where a.conditions.allSatisfy({ $0.holds(inst.data) }) { return (a, t) }
        return nil
    }

    /// The next instant an `after` rule of the current state falls due after `checkedAt`.
    func nextTransitionTime(_ inst: Instance) -> Instant? {
        guard !inst.completed, let s = inst.state, let st = definition.state(s), !st.isFinal else { return nil }
        var best: Instant?
        for a in st.after {
            guard let v = evaluate(a.at, inst) else { continue }
            let t = end(of: v)
            if t > inst.checkedAt, best == nil || t < best! { best = t }
        }
        return best
    }

    // MARK: Advancing

    /// Fires everything due up to `now`: timed transitions in order (entered = scheduled time), and per deadline
    /// only the latest due notice (live) or every reminder and the first overdue notice (plan).
    public func advance(_ inst: inout Instance, to now: Instant, mode: AdvanceMode = .live, label: String?? = nil) -> [Record] {
        let label: String? = label ?? inst.id
        var out: [Record] = []
        // Per deadline key: its declaration order and the notices waiting to be emitted (latest only, live).
        var pending: [String: (order: Int, records: [Record])] = [:]
        var transitions = 0
        func flush(_ keys: [String]) {
            let sorted = keys.compactMap { k in pending[k].map { (k, $0.order) } }.sorted { $0.1 < $1.1 }
            for (k, _) in sorted { out += pending.removeValue(forKey: k)!.records }
        }
        while true {
            let tr = transitions < Engine.maxTransitionsPerAdvance ? dueTransition(inst, limit: now) : nil
            let limit = tr?.1 ?? now
            for a in activeDeadlines(inst) {
                let ns = notices(a, mark: inst.marks[a.key], limit: limit, strict: tr != nil, mode: mode)
                guard let last = ns.last else { continue }
                let group = mode == .plan ? ns : ns.filter { $0.time == last.time }
                let previous = mode == .plan ? (pending[a.key]?.records ?? []) : []
                pending[a.key] = (a.deadline.order, previous + group.map { record(for: $0, a, inst: inst, now: now, label: label, mode: mode) })
                inst.marks[a.key] = last.time
            }
            guard let (rule, t) = tr else { break }
            transitions += 1
            flush([""])
            let from = inst.state
            inst.state = rule.to
            inst.enteredAt = t
            inst.marks[""] = nil
            let late = mode == .live && now.seconds - t.seconds >= 1 ? Int(now.seconds - t.seconds) : nil
            out.append(transitionRecord(inst, from: from, at: t, event: nil, actor: nil, late: late, label: label))
            if definition.state(rule.to)?.isFinal == true { flush(Array(pending.keys)) }
            out += completionIfDue(&inst, at: t, label: label)
        }
        flush(Array(pending.keys))
        if now > inst.checkedAt { inst.checkedAt = now }
        return Engine.ordered(out)
    }

    /// Sorts by `at`, keeping causal order for equal instants.
    static func ordered(_ records: [Record]) -> [Record] {
        records.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    /// The next instant something is due for this instance, or nil when nothing ever will be.
    public func nextWakeup(_ inst: Instance, mode: AdvanceMode = .live) -> Instant? {
        if inst.completed { return nil }
        var best = nextTransitionTime(inst)
        for a in activeDeadlines(inst) {
            if let t = nextNotice(a, mark: inst.marks[a.key], mode: mode), best == nil || t < best! { best = t }
        }
        return best
    }

    func transitionRecord(_ inst: Instance, from: String?, at: Instant, event: String?, actor: Int?, late: Int?, label: String?) -> Record {
        let fromTitle = from.flatMap { definition.state($0)?.displayTitle } ?? from ?? ""
        let toTitle = inst.state.flatMap { definition.state($0)?.displayTitle } ?? inst.state ?? ""
        return Record(
            at: at, utcOffset: zone.offset(at: at), kind: .transition, workflow: definition.id, instance: label,
            state: inst.state, from: from, to: inst.state, event: event, priority: 6, late: late,
            group: definition.group(of: inst.data), actor: actor,
            message: Messages.transition(instance: label ?? definition.id, fromTitle: fromTitle, toTitle: toTitle, event: event),
            key: "\(inst.id)|transition|\(from ?? "")>\(inst.state ?? "")|\(at.seconds)")
    }

    /// Emits `completed` once: in a final state (or without states) with every milestone done.
    func completionIfDue(_ inst: inout Instance, at: Instant, label: String?? = nil) -> [Record] {
        let label: String? = label ?? inst.id
        guard !inst.completed else { return [] }
        if let s = inst.state {
            guard definition.state(s)?.isFinal == true else { return [] }
        } else if definition.milestones.isEmpty {
            return []
        }
        guard definition.milestones.allSatisfy({ inst.done[$0.id] != nil }) else { return [] }
        inst.completed = true
        return [
            Record(
                at: at, utcOffset: zone.offset(at: at), kind: .completed, workflow: definition.id, instance: label,
                state: inst.state, priority: 6, group: definition.group(of: inst.data),
                message: Messages.completed(workflowTitle: definition.title, instance: label ?? definition.id),
                key: "\(inst.id)|completed")
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
        var records = advance(&inst, to: at)
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
        inst.marks[""] = nil
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

    /// The built-in `done` event.
    public func completeMilestone(_ inst: inout Instance, milestone: String, at: Instant, actor: Int?) -> Result<[Record], EngineError> {
        guard let m = definition.milestone(milestone) else {
            let reason = Messages.unknownMilestone(milestone, known: definition.milestones.map(\.id))
            return .failure(reject(inst, event: "done", at: at, actor: actor, reason: reason))
        }
        if inst.done[milestone] != nil { return .success([]) }
        let missing = m.requires.filter { inst.done[$0] == nil }
        if !missing.isEmpty {
            let titles = missing.map { id in "«\(definition.milestone(id)?.title ?? id)» (\(id))" }
            return .failure(reject(inst, event: "done", at: at, actor: actor, reason: Messages.missingRequires(m.title, titles)))
        }
        var records = advance(&inst, to: at)
        inst.done[milestone] = at
        inst.marks[milestone] = nil
        var dueText: String?
        if let v = evaluate(m.deadline.due, inst) {
            switch rolled(v, m.deadline.roll) {
            case .date(let d): dueText = d.iso
            case .instant(let t): dueText = zone.iso(t)
            }
        }
        records.append(
            Record(
                at: at, utcOffset: zone.offset(at: at), kind: .milestoneDone, workflow: definition.id, instance: inst.id,
                state: inst.state, event: "done", milestone: milestone, due: dueText, priority: 6,
                group: definition.group(of: inst.data), actor: actor,
                message: Messages.milestoneDone(title: m.title, instance: inst.id), key: "\(inst.id)|done|\(milestone)"))
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
