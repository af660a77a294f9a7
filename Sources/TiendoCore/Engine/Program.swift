/// A workflow definition compiled for the engine: what a step reads, in final classes indexed by position. A step
/// copies no definition struct (each copy of a struct of arrays and strings cost a dozen reference-count operations)
/// and looks nothing up by name twice. Built once per definition and calendar (`WorkflowDefinition.program`);
/// immutable. Records keep a reference to it to format their text when it is read (`RecordText`).
final class Program: Sendable {
    let id: String
    let title: String
    let digest: String
    let zone: Zone
    let calendar: WorkCalendar
    let remindAt: TimeOfDay
    let groupBy: String?
    let initial: String?
    /// `WorkflowDefinition.eventTitles`.
    let eventTitles: [String: String]
    let states: [ProgramState]
    let stateIndex: [String: Int]
    let milestones: [ProgramMilestone]
    let milestoneIndex: [String: Int]
    /// Indices of the recurring milestones, in file order.
    let recurring: [Int]
    /// How many milestones are one-shot: `completed` needs each of them in `Instance.done`.
    let oneShotCount: Int
    /// The zone's offset from when it no longer changes (`Zone.fixedSince`): the step's conversions without a copy
    /// of the zone.
    let fixedFrom: Int64
    let fixedOffset: Int

    init(_ d: WorkflowDefinition) {
        id = d.id
        title = d.title
        digest = d.digest
        zone = d.zone
        calendar = d.calendar
        remindAt = d.remindAt
        groupBy = d.groupBy
        initial = d.initial
        eventTitles = d.eventTitles
        var stateIndex: [String: Int] = [:]
        var states: [ProgramState] = []
        for (i, s) in d.states.enumerated() {
            stateIndex[s.name] = i
            states.append(ProgramState(s))
        }
        self.states = states
        self.stateIndex = stateIndex
        var milestoneIndex: [String: Int] = [:]
        var milestones: [ProgramMilestone] = []
        for (i, m) in d.milestones.enumerated() {
            milestoneIndex[m.id] = i
            milestones.append(ProgramMilestone(m, index: i))
        }
        self.milestones = milestones
        self.milestoneIndex = milestoneIndex
        recurring = milestones.indices.filter { milestones[$0].recurrence != nil }
        oneShotCount = milestones.count - recurring.count
        (fixedFrom, fixedOffset) = d.zone.fixedSince
    }

    /// `zone.offset(at:)`.
    @inline(__always)
    func offset(at t: Instant) -> Int { t.seconds >= fixedFrom ? fixedOffset : zone.offset(at: t) }

    /// `zone.date(of:).dayNumber`.
    @inline(__always)
    func localDay(of t: Instant) -> Int { Int(floorDiv(t.seconds + Int64(offset(at: t)), 86_400)) }

    func state(_ name: String?) -> ProgramState? { name.flatMap { stateIndex[$0] }.map { states[$0] } }
    func milestone(_ id: String?) -> ProgramMilestone? { id.flatMap { milestoneIndex[$0] }.map { milestones[$0] } }

    /// A state's title for people (its name when it has none); the name itself for a state this version lacks.
    func stateTitle(_ name: String?) -> String { name.map { state($0)?.title ?? $0 } ?? "" }

    /// `WorkflowDefinition.group(of:)`.
    func group(of data: InstanceData) -> String? {
        guard let g = groupBy else { return nil }
        // An empty value is no group (the store keeps "no group" as '' in its counts).
        guard let s = data[g]?.display(zone: zone), !s.isEmpty else { return nil }
        return s
    }
}

final class ProgramState: Sendable {
    let name: String
    /// `displayTitle`.
    let title: String
    /// `taskTitle`: its deadline's.
    let taskTitle: String
    let isFinal: Bool
    let deadline: ProgramDeadline?
    let after: [AfterRule]
    let on: [(event: String, branches: [Branch])]

    init(_ s: StateDefinition) {
        name = s.name
        title = s.displayTitle
        taskTitle = s.taskTitle
        isFinal = s.isFinal
        deadline = s.deadline.map(ProgramDeadline.init)
        after = s.after
        on = s.on
    }

    func branches(for event: String) -> [Branch]? { on.first { $0.event == event }?.branches }
}

final class ProgramMilestone: Sendable {
    let id: String
    let title: String
    let index: Int
    let deadline: ProgramDeadline
    let requires: [String]
    let recurrence: Recurrence?

    init(_ m: MilestoneDefinition, index: Int) {
        id = m.id
        title = m.title
        self.index = index
        deadline = ProgramDeadline(m.deadline)
        requires = m.requires
        recurrence = m.recurrence
    }
}

/// A deadline's rules, with what each notice needs ready: the overdue repetition as a step in days or seconds, and
/// the suppression key suffix of each reminder offset.
final class ProgramDeadline: Sendable {
    enum Step: Sendable {
        case never
        case days(Int)
        case seconds(Int64)
    }

    let due: DateExpression
    let roll: Roll
    /// Offsets before the due, larger first, as written (a `mo|y` offset, refused by validation, is left out).
    let remind: [Offset]
    /// `|rOFFSET`: with the deadline's key in front, the mark saying that offset was sent before a calendar change.
    let suppressionSuffixes: [String]
    let repeatEvery: Repeat
    let step: Step
    /// Thresholds in the order escalation applies them (ascending), with their priorities.
    let escalate: [(threshold: Offset, priority: Int)]
    /// Declaration order in the file, for ordering records at the same instant.
    let order: Int

    init(_ d: Deadline) {
        due = d.due
        roll = d.roll
        remind = d.remind.filter { $0.unit != .mo && $0.unit != .y }
        suppressionSuffixes = remind.map { "|r\($0)" }
        repeatEvery = d.repeatEvery
        switch d.repeatEvery {
        case .never: step = .never
        case .every(let r):
            switch r.unit {
            case .h: step = .seconds(Int64(r.amount) * 3600)
            case .min: step = .seconds(Int64(r.amount) * 60)
            case .w: step = .days(7 * r.amount)
            default: step = .days(r.amount)
            }
        }
        escalate = d.escalate
        order = d.order
    }
}
