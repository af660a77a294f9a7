/// The state of one instance of a workflow. (Fields in the order a step reads them: they share cache lines.)
public struct Instance: Sendable, Hashable {
    /// `WORKFLOW/KEY`.
    public var id: String
    /// What the engine derived from the fields below (`Schedule`); not part of the instance's value. In a box, so
    /// that copying an instance stays cheap.
    var schedule: ScheduleBox?
    /// Counts changes to what the schedule is computed from (every field but the id, workflow, digest and
    /// `checkedAt`): a schedule computed at another revision is stale.
    var revision: UInt64 = 0
    public var state: String? { didSet { revision &+= 1 } }
    public var enteredAt: Instant { didSet { revision &+= 1 } }
    /// The latest instant the engine advanced this instance to.
    public var checkedAt: Instant
    public var completed: Bool { didSet { revision &+= 1 } }
    /// Notice marks. Per deadline (`""` for the current state's, the id of a one-shot milestone, `M@LABEL` for an
    /// occurrence): the instant of the last notice handled. After a calendar change, `DEADLINE|rOFFSET` (e.g.
    /// `|r10wd`, `dang-phi@2027-03|r3d`) says that reminder offset was already sent and is never sent again
    /// (format §10 "Calendar changes", rule 4); such keys go with their deadline.
    public var marks: [String: Instant] { didSet { revision &+= 1 } }
    public var data: InstanceData { didSet { revision &+= 1 } }
    /// Per recurring milestone whose anchor is known: its series (format §9, §10 "Recurring milestones").
    public var series: [String: SeriesState] { didSet { revision &+= 1 } }
    /// Completed one-shot milestones and when (a recurring milestone's occurrences live in `series`).
    public var done: [String: Instant] { didSet { revision &+= 1 } }
    public var startedAt: Instant { didSet { revision &+= 1 } }
    public var workflow: String
    /// Digest of the definition the instance runs.
    public var digest: String

    public init(
        id: String, workflow: String, data: InstanceData, state: String?, startedAt: Instant, enteredAt: Instant,
        done: [String: Instant] = [:], completed: Bool = false, digest: String, marks: [String: Instant] = [:],
        checkedAt: Instant, series: [String: SeriesState] = [:]
    ) {
        self.id = id
        self.workflow = workflow
        self.data = data
        self.state = state
        self.startedAt = startedAt
        self.enteredAt = enteredAt
        self.done = done
        self.completed = completed
        self.digest = digest
        self.marks = marks
        self.checkedAt = checkedAt
        self.series = series
    }

    /// Equal when the stored fields are (the schedule derived from them does not count).
    public static func == (a: Instance, b: Instance) -> Bool {
        a.id == b.id && a.workflow == b.workflow && a.data == b.data && a.state == b.state && a.startedAt == b.startedAt
            && a.enteredAt == b.enteredAt && a.done == b.done && a.completed == b.completed && a.digest == b.digest
            && a.marks == b.marks && a.checkedAt == b.checkedAt && a.series == b.series
    }

    public func hash(into h: inout Hasher) {
        h.combine(id)
        h.combine(state)
        h.combine(enteredAt)
        h.combine(checkedAt)
    }

    /// Drops what the engine derived from the fields (it computes it again when needed): a copy of an instance that
    /// will not be stepped lets the other change its schedule in place instead of copying it.
    public mutating func forgetSchedule() { schedule = nil }

    public var key: String {
        guard let slash = id.firstIndex(of: "/") else { return id }
        return String(id[id.index(after: slash)...])
    }

    /// Forgets the marks of a deadline that closed (a state left, a milestone or occurrence done). `suppressed`:
    /// some mark may name a suppressed reminder (they exist only after a calendar change; the usual case skips the
    /// scan, which would make completing n milestones quadratic).
    mutating func clearMarks(_ deadline: String, suppressed: Bool = true) {
        marks[deadline] = nil
        guard suppressed, marks.count > 0 else { return }
        let prefix = deadline + "|"
        if marks.keys.contains(where: { $0.hasPrefix(prefix) }) {
            marks = marks.filter { !$0.key.hasPrefix(prefix) }
        }
    }
}

/// One open occurrence of a recurring milestone.
public struct OpenOccurrence: Sendable, Hashable {
    /// k: the occurrence covers the period starting at anchor + k·every.
    public var index: Int
    /// When it opened (00:00 local on its period start, or the instance's start when that is later).
    public var openedAt: Instant
    public init(index: Int, openedAt: Instant) {
        self.index = index
        self.openedAt = openedAt
    }
}

/// A recurring milestone's series on one instance: only what cannot be recomputed (rule 5). Occurrences not yet
/// open are computed from `anchor` and `next`; done ones live only in history.
public struct SeriesState: Sendable, Hashable {
    /// The anchor, evaluated once and stored: data changes, reloads and calendar changes do not move it (rule 3).
    public var anchor: CivilDate
    /// The index of the instance's first occurrence (rule 4); labels before it name no occurrence.
    public var first: Int
    /// The index of the next occurrence to open.
    public var next: Int
    /// Open occurrences, oldest first. Their notice marks are in `Instance.marks` under `M@LABEL`.
    public var open: [OpenOccurrence]
    /// When an occurrence was last completed: `Milestone.doneAt` once the series is done.
    public var lastDone: Instant?

    public init(anchor: CivilDate, first: Int, next: Int, open: [OpenOccurrence] = [], lastDone: Instant? = nil) {
        self.anchor = anchor
        self.first = first
        self.next = next
        self.open = open
        self.lastDone = lastDone
    }
}

extension SeriesState {
    /// The store's form of `Instance.series`: a JSON object by milestone id, e.g.
    /// `{"dang-phi":{"anchor":"2027-01-01","first":2,"next":5,"open":[[2,1804438800],[3,1806944400]],"lastDone":1811...}}`
    /// (instants in Unix seconds; `lastDone` absent when none). `{}` for no series.
    public static func encode(_ series: [String: SeriesState]) -> String {
        // Most instances have no recurring milestone: no JSON tree for them on every store write.
        if series.isEmpty { return "{}" }
        return JSON.object(
            series.keys.sorted().map { id in
                let s = series[id]!
                var o: [(String, JSON)] = [
                    ("anchor", .string(s.anchor.iso)), ("first", .int(s.first)), ("next", .int(s.next)),
                    ("open", .array(s.open.map { .array([.int($0.index), .int(Int($0.openedAt.seconds))]) })),
                ]
                if let d = s.lastDone { o.append(("lastDone", .int(Int(d.seconds)))) }
                return (id, .object(o))
            }
        ).serialized()
    }

    /// Reads `encode`'s text back; entries that do not parse are left out (an empty or absent text gives `[:]`).
    public static func decode(_ text: String) -> [String: SeriesState] {
        guard text != "{}", !text.isEmpty, let j = try? JSON.parse(text), let o = j.objectValue else { return [:] }
        var out: [String: SeriesState] = [:]
        for (id, v) in o {
            guard let a = v["anchor"]?.stringValue.flatMap({ CivilDate.parse($0) }), let first = v["first"]?.intValue,
                let next = v["next"]?.intValue
            else { continue }
            var open: [OpenOccurrence] = []
            for item in v["open"]?.arrayValue ?? [] {
                guard let pair = item.arrayValue, pair.count == 2, let k = pair[0].intValue, let t = pair[1].intValue else { continue }
                open.append(OpenOccurrence(index: k, openedAt: Instant(seconds: Int64(t))))
            }
            out[id] = SeriesState(
                anchor: a, first: first, next: next, open: open,
                lastDone: v["lastDone"]?.intValue.map { Instant(seconds: Int64($0)) })
        }
        return out
    }
}
