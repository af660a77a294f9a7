/// A guard condition: `field: value` or `field: {op: value}`, or — an extension (README) — `field: {op: {field: OTHER,
/// times: P/Q}}`, which compares with another field's value times a fraction, exactly: `so_tan_thanh: {ge: {field:
/// so_dang_vien_chinh_thuc, times: 2/3}}` holds when 3·so_tan_thanh ≥ 2·so_dang_vien_chinh_thuc, never on a
/// rounded percentage.
public struct Condition: Sendable, Hashable {
    public enum Op: String, Sendable, Hashable, CaseIterable {
        case eq, ne, lt, le, gt, ge, `in`
        /// As people read it: `≥` for `ge`.
        public var symbol: String { ["eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "∈"][rawValue]! }
    }
    /// Another field's value times numerator/denominator (both positive).
    public struct FieldOperand: Sendable, Hashable {
        public var field: String
        public var numerator: Int
        public var denominator: Int
        public var text: String { numerator == denominator ? field : "\(numerator)/\(denominator) × \(field)" }
    }
    public var field: String
    public var op: Op
    /// The literals compared with (one, or the list of `in`); empty when comparing with `other`.
    public var values: [Value]
    public var other: FieldOperand?

    public init(field: String, op: Op, values: [Value], other: FieldOperand? = nil) {
        self.field = field
        self.op = op
        self.values = values
        self.other = other
    }

    /// A comparison with a missing value is false.
    func holds(_ data: InstanceData) -> Bool {
        guard let v = data[field] else { return false }
        if let other {
            guard let w = data[other.field] else { return false }
            return Condition.compare(v, w, op, other.numerator, other.denominator)
        }
        switch op {
        case .in: return values.contains { Condition.equal(v, $0) }
        default: return Condition.compare(v, values[0], op, 1, 1)
        }
    }

    /// `a op (p/q)·b`, computed as `q·a op p·b`: exact for integers (the usual vote counts), floating for the rest.
    static func compare(_ a: Value, _ b: Value, _ op: Op, _ p: Int, _ q: Int) -> Bool {
        if p == q, op == .eq || op == .ne { return equal(a, b) == (op == .eq) }
        let order: Int
        if case .integer(let x) = a, case .integer(let y) = b {
            let (l, o1) = x.multipliedReportingOverflow(by: q)
            let (r, o2) = y.multipliedReportingOverflow(by: p)
            if !o1 && !o2 {
                order = l < r ? -1 : (l == r ? 0 : 1)
            } else {
                order = Condition.order(Double(x) * Double(q), Double(y) * Double(p))
            }
        } else {
            guard let x = a.asDouble, let y = b.asDouble else { return false }
            order = Condition.order(x * Double(q), y * Double(p))
        }
        switch op {
        case .eq: return order == 0
        case .ne: return order != 0
        case .lt: return order < 0
        case .le: return order <= 0
        case .gt: return order > 0
        case .ge: return order >= 0
        case .in: return false
        }
    }

    static func order(_ x: Double, _ y: Double) -> Int { x < y ? -1 : (x == y ? 0 : 1) }

    static func equal(_ a: Value, _ b: Value) -> Bool {
        if let x = a.asDouble, let y = b.asDouble {
            switch (a, b) {
            case (.integer, .integer), (.number, .number), (.integer, .number), (.number, .integer): return x == y
            default: break
            }
        }
        return a == b
    }

    /// `so_tan_thanh ge 2/3 × so_dang_vien_chinh_thuc`, `diem ge 50`, `muc in tot|xuat-sac`.
    public func text(zone: Zone, quoteText: Bool = false, symbols: Bool = false) -> String {
        let sym = symbols ? op.symbol : op.rawValue
        if let other { return "\(field) \(sym) \(other.text)" }
        let vs = values.map { v -> String in
            if quoteText, case .text(let s) = v { return "\"\(s)\"" }
            return v.display(zone: zone)
        }
        if op == .in { return "\(field) \(sym) " + (symbols ? "{\(vs.joined(separator: ", "))}" : vs.joined(separator: "|")) }
        return "\(field) \(sym) \(vs.first ?? "")"
    }
}

/// One branch of an event: go to `to` when every condition holds.
public struct Branch: Sendable, Hashable {
    public var to: String
    public var conditions: [Condition]
    public var position: Position
}

extension [Branch] {
    /// The fields the branches' conditions read (both sides of a comparison), in the order they appear.
    public var fieldsRead: [String] {
        var read: [String] = []
        for b in self {
            for c in b.conditions {
                for f in [c.field, c.other?.field].compactMap({ $0 }) where !read.contains(f) { read.append(f) }
            }
        }
        return read
    }

    /// The fields every branch reads: an event cannot go anywhere without them (a form asks for them as required).
    public var fieldsEveryBranchReads: [String] {
        fieldsRead.filter { f in allSatisfy { b in b.conditions.contains { $0.field == f || $0.other?.field == f } } }
    }
}

/// A timed transition.
public struct AfterRule: Sendable, Hashable {
    public var at: DateExpression
    public var to: String
    public var conditions: [Condition]
    public var position: Position
}

public enum Roll: String, Sendable, Hashable { case none, forward, backward }

/// The repetition of overdue notices.
public enum Repeat: Sendable, Hashable {
    case never
    case every(Offset)
}

/// A soft due date with reminders before and overdue notices after.
public struct Deadline: Sendable, Hashable {
    public var due: DateExpression
    public var roll: Roll
    /// Offsets before the due, larger first.
    public var remind: [Offset]
    public var repeatEvery: Repeat
    /// Thresholds (sorted ascending by approximate length) and syslog priorities.
    public var escalate: [(threshold: Offset, priority: Int)]
    /// Declaration order in the file, for ordering records at the same instant.
    public var order: Int

    public static func == (a: Deadline, b: Deadline) -> Bool {
        a.due == b.due && a.roll == b.roll && a.remind == b.remind && a.repeatEvery == b.repeatEvery
            && a.escalate.map(\.threshold) == b.escalate.map(\.threshold)
            && a.escalate.map(\.priority) == b.escalate.map(\.priority) && a.order == b.order
    }
    public func hash(into h: inout Hasher) {
        h.combine(due)
        h.combine(order)
    }
}

public struct StateDefinition: Sendable, Hashable {
    public var name: String
    public var title: String?
    public var description: String?
    /// Events in file order, each with its branches in order.
    public var on: [(event: String, branches: [Branch])]
    public var after: [AfterRule]
    public var deadline: Deadline?
    /// What is to be done by the deadline (`deadline.title`, extension, README): a state that waits («Chờ chi bộ xét
    /// công nhận chính thức») names the task its deadline is for («Chi bộ họp xét, biểu quyết công nhận chính thức»).
    public var deadlineTitle: String?
    public var isFinal: Bool
    public var position: Position

    public var displayTitle: String { title ?? name }
    /// The title of the state's deadline in reminders, notices and lists: `deadlineTitle`, else the state's.
    public var taskTitle: String { deadlineTitle ?? displayTitle }

    public static func == (a: StateDefinition, b: StateDefinition) -> Bool {
        a.name == b.name && a.title == b.title && a.after == b.after && a.deadline == b.deadline && a.deadlineTitle == b.deadlineTitle
            && a.isFinal == b.isFinal
            && a.on.map(\.event) == b.on.map(\.event) && a.on.map(\.branches) == b.on.map(\.branches)
    }
    public func hash(into h: inout Hasher) { h.combine(name) }

    public func branches(for event: String) -> [Branch]? { on.first { $0.event == event }?.branches }
}

/// An entry of `overdue.missed`: holds for an overdue notice of occurrence k when at least `count` of the existing
/// occurrences k−of+1 … k are open at the notice's instant (format §10 "Recurring milestones", rule 8).
public struct MissedRule: Sendable, Hashable {
    public var count: Int
    public var of: Int
    /// Syslog priority.
    public var priority: Int
}

/// What makes a milestone recurring: `every`, `anchor`, and optionally `until` and `count` (format §6).
public struct Recurrence: Sendable, Hashable {
    /// The period length: N ≥ 1 with unit d, w, mo or y.
    public var every: Offset
    /// `every` as written (`1mo`), for `Milestone.every`.
    public var everyText: String
    /// Gives a date; evaluated once per instance and stored (rule 3).
    public var anchor: DateExpression
    /// No period starts after it; follows the data like a due.
    public var until: DateExpression?
    /// Only occurrences k < count.
    public var count: Int?
    /// `overdue.missed` (kept here, not in `Deadline`, which every deadline copies on the hot path).
    public var missed: [MissedRule] = []

    /// Occurrence labels are months for `mo|y`, days for `d|w`.
    public var labelsByMonth: Bool { every.unit == .mo || every.unit == .y }
}

public struct MilestoneDefinition: Sendable, Hashable {
    public var id: String
    public var title: String
    public var deadline: Deadline
    public var requires: [String]
    public var basis: String?
    public var description: String?
    public var position: Position
    /// Present for a recurring milestone.
    public var recurrence: Recurrence? = nil

    public var isRecurring: Bool { recurrence != nil }
}

public struct LimitDefinition: Sendable, Hashable {
    public enum Max: Sendable, Hashable {
        case percent(Int)
        case count(Int)
    }
    public var state: String
    public var max: Max
    public var of: [String]
    public var per: String?
    public var position: Position

    public var description: String {
        switch max {
        case .percent(let p): return "«\(state)» tối đa \(p)% của [\((of.isEmpty ? [state] : of).joined(separator: ", "))]"
        case .count(let n): return "«\(state)» tối đa \(n)"
        }
    }
}

/// A validated workflow definition (one YAML file).
public struct WorkflowDefinition: Sendable {
    public var id: String
    public var title: String
    public var description: String?
    public var file: String
    public var zone: Zone
    public var calendar: WorkCalendar
    public var remindAt: TimeOfDay
    public var defaultRemind: [Offset]
    public var fields: [FieldDefinition]
    public var groupBy: String?
    public var initial: String?
    public var states: [StateDefinition]
    public var milestones: [MilestoneDefinition]
    public var limits: [LimitDefinition]
    /// Events as people read them (`event_titles`, an extension: README "Extensions"), by event name.
    public var eventTitles: [String: String]
    /// Events that record a decision above the chi bộ (`office_events`, an extension: README "Extensions"): the web
    /// lets only accounts not limited to a chi bộ record them.
    public var officeEvents: Set<String>
    /// Per event, fields its form asks for besides those its guards read (`event_fields`, an extension: README
    /// "Extensions"): a decision's number and date, kept in the record's data and said in its history.
    public var eventFields: [String: [String]]
    /// Fields shown as columns of a list of this workflow's records and of its printed list (`list_fields`, an
    /// extension: README "Extensions"), in the file's order: a grading list's score and grade.
    public var listFields: [String]
    /// The text field that names a record for people (`label`, an extension: README "Extensions"), when the file
    /// sets it: a workflow of which each record is a chi bộ or an organisation, grouped by its own name.
    public var labelOverride: String?
    /// The records a ward opens next from one of this workflow in some state (`follow_ups`, an extension: README
    /// "Extensions"), in the file's order.
    public var followUps: [FollowUpDefinition]
    /// SHA-256 of the file's bytes, hex.
    public var digest: String

    var fieldIndex: [String: Int] = [:]
    var stateIndex: [String: Int] = [:]
    var milestoneIndex: [String: Int] = [:]
    /// The definition compiled for the engine, once (`Program`). The fields above are settable for building
    /// definitions in code; a definition changed after it was made computes with the old ones, except its
    /// calendar, which `Engine` checks (use `with(calendar:)`).
    private(set) var program: Program! = nil

    init(
        id: String, title: String, description: String?, file: String, zone: Zone, calendar: WorkCalendar,
        remindAt: TimeOfDay, defaultRemind: [Offset], fields: [FieldDefinition], groupBy: String?, initial: String?,
        states: [StateDefinition], milestones: [MilestoneDefinition], limits: [LimitDefinition], eventTitles: [String: String] = [:],
        officeEvents: Set<String> = [], eventFields: [String: [String]] = [:], listFields: [String] = [],
        labelOverride: String? = nil, followUps: [FollowUpDefinition] = [], digest: String
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.file = file
        self.zone = zone
        self.calendar = calendar
        self.remindAt = remindAt
        self.defaultRemind = defaultRemind
        self.fields = fields
        self.groupBy = groupBy
        self.initial = initial
        self.states = states
        self.milestones = milestones
        self.limits = limits
        self.eventTitles = eventTitles
        self.officeEvents = officeEvents
        self.eventFields = eventFields
        self.listFields = listFields
        self.labelOverride = labelOverride
        self.followUps = followUps
        self.digest = digest
        for (i, f) in fields.enumerated() { fieldIndex[f.name] = i }
        for (i, s) in states.enumerated() { stateIndex[s.name] = i }
        for (i, m) in milestones.enumerated() { milestoneIndex[m.id] = i }
        program = Program(self)
    }

    /// An event as people read it: its title, else its name.
    public func title(ofEvent event: String) -> String { eventTitles[event] ?? event }

    /// The same definition computing with another calendar: every definition in force, current or stale, computes
    /// with the calendar in force (format §9; §10 "Calendar changes").
    public func with(calendar: WorkCalendar) -> WorkflowDefinition {
        var copy = self
        copy.calendar = calendar
        copy.program = Program(copy)
        return copy
    }

    /// Format §9: an instance may move from `old` to this definition only if each of its milestones still exists
    /// here, a recurring one as recurring with the same `every`, a one-shot one as one-shot. (The state and the data
    /// are checked by the caller as before.)
    public func keepsMilestones(of old: WorkflowDefinition) -> Bool {
        old.milestones.allSatisfy { m in
            guard let n = milestone(m.id) else { return false }
            switch (m.recurrence, n.recurrence) {
            case (nil, nil): return true
            case (let a?, let b?): return a.every == b.every
            default: return false
            }
        }
    }

    public func field(_ name: String) -> FieldDefinition? { fieldIndex[name].map { fields[$0] } }
    public func state(_ name: String) -> StateDefinition? { stateIndex[name].map { states[$0] } }
    public func milestone(_ id: String) -> MilestoneDefinition? { milestoneIndex[id].map { milestones[$0] } }
    public var hasStates: Bool { !states.isEmpty }

    /// Validates and completes instance data (defaults applied). `partial` data (events) is checked field by field
    /// without requiring the required ones. `today`: the workflow zone's date when the data is given (start, import,
    /// event), against which `max: today` and the characters of text (`FieldDefinition.hiddenCharacter`) are
    /// checked; nil for data already stored, which was checked when given: those two checks are not made again
    /// when it is read back (types, bounds and enum values still are).
    /// `started`: the day a record given whole starts (an import row's `started`), which a year's default counts from
    /// (`year(started + 1mo)`); `today` when not given.
    public func validate(data: [(String, JSON)], partial: Bool, today: CivilDate?, started: CivilDate? = nil) -> Result<
        InstanceData, FieldError
    > {
        var out: InstanceData = [:]
        for (k, v) in data {
            guard let f = field(k) else {
                return .failure(
                    FieldError(field: k, reason: "trường không được khai báo trong quy trình '\(id)'\(didYouMean(k, fields.map(\.name)))"))
            }
            if v.isNull {
                if f.required && !partial { return .failure(FieldError(field: k, reason: "trường bắt buộc không được để trống")) }
                continue
            }
            switch f.parse(json: v, zone: zone) {
            case .success(let value):
                if let today, let e = f.afterToday(value, today: today, zone: zone) { return .failure(e) }
                if today != nil, let e = f.hiddenCharacter(value) { return .failure(e) }
                guard today != nil else {
                    out[k] = value
                    continue
                }
                let visible = WorkflowDefinition.withoutInvisible(value)
                out[k] = k == groupBy || k == labelField ? WorkflowDefinition.oneLine(visible) : visible
            case .failure(let e): return .failure(e)
            }
        }
        if !partial {
            return complete(out, started: started ?? today).flatMap { all in
                if today != nil, let e = outOfOrder(all, given: { out[$0] != nil }) { return .failure(e) }
                return .success(all)
            }
        }
        return .success(out)
    }

    /// Text given by people without the zero-width characters pasted text carries from Zalo, Word or web pages
    /// (U+200B–U+200D, U+2060, U+FEFF): «Chi bộ 1» followed by one was a second chi bộ that looked the same in every
    /// list, outside its accounts' scope (audit, 07/12/2026). They mean nothing in Vietnamese text.
    static func withoutInvisible(_ v: Value) -> Value {
        func invisible(_ u: Unicode.Scalar) -> Bool { (0x200B...0x200D).contains(u.value) || u.value == 0x2060 || u.value == 0xFEFF }
        guard case .text(let s) = v, s.unicodeScalars.contains(where: invisible) else { return v }
        return .text(String(String.UnicodeScalarView(s.unicodeScalars.filter { !invisible($0) })))
    }

    /// A chi bộ or a name given by people on one line: a cell pasted with a line break («Chi bộ↵số 2») made a chi bộ
    /// of its own in every list and count, and a name over two lines in every message (audit, 07/12/2026). Values
    /// without a line break or a tab are left exactly as given (stored groups keep matching).
    static func oneLine(_ v: Value) -> Value {
        guard case .text(let s) = v, s.unicodeScalars.contains(where: { $0.value == 0x0A || $0.value == 0x0D || $0.value == 0x09 })
        else { return v }
        return .text(s.onOneLine)
    }

    /// Why `data` breaks a `min: {field: OTHER}` (README "Extensions") that the fields `given` now (a start's, an
    /// event's) take part in, nil when none does: a pair set earlier and left alone is not this data's fault. The
    /// field named is the one given (the later day when both are). OTHER unset, the bound is OTHER's own, up the
    /// chain: a decision recorded before any meeting is still not before the admission.
    /// (`given` is a test, not a set: an event's step builds nothing for it.)
    public func outOfOrder(_ data: InstanceData, given: (String) -> Bool) -> FieldError? {
        for f in fields {
            guard f.notBefore != nil, let later = data[f.name] else { continue }
            let bound = FieldDefinition.orderBound(
                of: f.name, limit: fields.count, notBefore: { field($0)?.notBefore }, isSet: { data[$0] != nil })
            guard let o = bound, given(f.name) || given(o), let earlier = data[o] else { continue }
            let (before, kind): (Bool, String)
            switch (later, earlier) {
            case (.date(let a), .date(let b)): (before, kind) = (a < b, "ngày")
            case (.datetime(let a), .datetime(let b)): (before, kind) = (a < b, "thời điểm")
            default: continue
            }
            guard before else { continue }
            let (laterTitle, earlierTitle) = (f.title ?? f.name, field(o)?.title ?? o)
            let (shownLater, shownEarlier) = (Messages.shown(later, zone: zone), Messages.shown(earlier, zone: zone))
            if given(f.name) {
                return FieldError(
                    field: f.name,
                    reason:
                        "\(shownLater) trước «\(earlierTitle)» (\(shownEarlier)): trường này chỉ nhận \(kind) từ «\(earlierTitle)» trở đi; kiểm tra lại ngày, tháng, năm"
                )
            }
            return FieldError(
                field: o,
                reason:
                    "\(shownEarlier) sau «\(laterTitle)» của hồ sơ (\(shownLater)), mà «\(laterTitle)» không thể trước «\(earlierTitle)»; kiểm tra lại ngày, tháng, năm"
            )
        }
        return nil
    }

    /// The first required field `data` lacks that no default would fill (a fixed one, or one counted from other
    /// fields), computing nothing: a stored record's data, checked at an event or against a new version of its file,
    /// is not completed again (a default counted from other fields is computed once, at the start).
    public func missingRequired(_ data: InstanceData) -> FieldError? {
        for f in fields where f.required && data[f.name] == nil && f.defaultValue == nil && f.derivedDefault == nil {
            return FieldError(field: f.name, reason: "thiếu trường bắt buộc")
        }
        return nil
    }

    /// Applies defaults (fixed ones, then those counted from other fields or from `started`, the day the record
    /// starts) and checks required fields.
    public func complete(_ data: InstanceData, started: CivilDate? = nil) -> Result<InstanceData, FieldError> {
        var out = data
        for f in fields where out[f.name] == nil {
            if let d = f.defaultValue { out[f.name] = d }
        }
        if let e = applyDerivedDefaults(&out, started: started) { return .failure(e) }
        for f in fields where f.required && out[f.name] == nil {
            return .failure(FieldError(field: f.name, reason: "thiếu trường bắt buộc"))
        }
        return .success(out)
    }

    /// Data as a JSON object, in field declaration order.
    public func json(_ data: InstanceData) -> JSON {
        var pairs: [(String, JSON)] = []
        for f in fields { if let v = data[f.name] { pairs.append((f.name, v.json(zone: zone))) } }
        return .object(pairs)
    }

    public func group(of data: InstanceData) -> String? {
        guard let g = groupBy else { return nil }
        // An empty value is no group (the store keeps "no group" as '' in its counts).
        guard let s = data[g]?.display(zone: zone), !s.isEmpty else { return nil }
        return s
    }

    /// The field an instance is named by for people (pages, digests): the file's `label`, else `ho_ten` (a person),
    /// else the first text field other than the group's.
    public var labelField: String? { WorkflowDefinition.labelField(fields, groupBy: groupBy, label: labelOverride) }

    static func labelField(_ fields: [FieldDefinition], groupBy: String?, label: String?) -> String? {
        if let label { return label }
        if fields.contains(where: { $0.name == "ho_ten" && $0.type == .text }) { return "ho_ten" }
        return fields.first { $0.type == .text && $0.name != groupBy }?.name
    }

    /// The name an instance goes by (`labelField`'s value), nil when it has none.
    public func label(of data: InstanceData) -> String? {
        guard let f = labelField, case .text(let s)? = data[f], !s.isEmpty else { return nil }
        return s
    }

    /// The same, from an instance's data as stored (its JSON text), without typing the rest of it.
    public func label(ofStored dataText: String) -> String? {
        guard let f = labelField, let s = (try? JSON.parse(dataText))?[f]?.stringValue, !s.isEmpty else { return nil }
        return s
    }
}
