/// One thing that happened or will happen (interfaces §1). Used by plan, simulate, history, watch and journald.
///
/// The engine's records carry their text unformatted: `message` (the Vietnamese sentence) and `key` are written
/// from the record's fields and its definition's titles when they are read (`RecordText`), so a step that produces
/// a record builds no string. They read the same as if written at once, as long as the fields they are written from
/// are not changed afterwards (nothing does; set `message` itself to replace it).
public struct Record: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case started, transition, reminder, overdue
        case milestoneDone = "milestone-done"
        case completed, rejected, rescheduled
        /// An operator's step undone (an extension: `Engine.undo`).
        case undone
    }

    /// The fields, in one immutable allocation: a record is one reference, so handing records on (pending, out,
    /// history batches) copies a pointer, not two dozen fields with their reference counts. A change makes a new one.
    struct Fields: Sendable {
        var at: Instant
        var utcOffset: Int
        var kind: Kind
        var workflow: String
        var instance: String?
        var state: String?
        var from: String?
        var to: String?
        var event: String?
        var milestone: String?
        var occurrence: String?
        var due: String?
        var previousDue: String?
        var daysLeft: Int?
        var missed: Int?
        var priority: Int
        var late: Int?
        var provisional: Bool
        var dueCertain: Bool
        var group: String?
        var actor: Int?
        var actorName: String?
        var text: RecordText
        var identity: RecordIdentity
    }

    final class Box: Sendable {
        let f: Fields
        init(_ f: Fields) { self.f = f }
    }

    private var box: Box

    private mutating func update(_ change: (inout Fields) -> Void) {
        var f = box.f
        change(&f)
        box = Box(f)
    }

    /// The scheduled instant (for operator actions: when it was applied).
    public var at: Instant {
        get { box.f.at }
        set { update { $0.at = newValue } }
    }
    /// UTC offset of the workflow zone at `at`, for formatting.
    public var utcOffset: Int {
        get { box.f.utcOffset }
        set { update { $0.utcOffset = newValue } }
    }
    public var kind: Kind {
        get { box.f.kind }
        set { update { $0.kind = newValue } }
    }
    public var workflow: String {
        get { box.f.workflow }
        set { update { $0.workflow = newValue } }
    }
    public var instance: String? {
        get { box.f.instance }
        set { update { $0.instance = newValue } }
    }
    public var state: String? {
        get { box.f.state }
        set { update { $0.state = newValue } }
    }
    public var from: String? {
        get { box.f.from }
        set { update { $0.from = newValue } }
    }
    public var to: String? {
        get { box.f.to }
        set { update { $0.to = newValue } }
    }
    public var event: String? {
        get { box.f.event }
        set { update { $0.event = newValue } }
    }
    public var milestone: String? {
        get { box.f.milestone }
        set { update { $0.milestone = newValue } }
    }
    /// The label of an occurrence of a recurring milestone (`2027-03`).
    public var occurrence: String? {
        get { box.f.occurrence }
        set { update { $0.occurrence = newValue } }
    }
    public var due: String? {
        get { box.f.due }
        set { update { $0.due = newValue } }
    }
    /// In `rescheduled` records: the due before the calendar change.
    public var previousDue: String? {
        get { box.f.previousDue }
        set { update { $0.previousDue = newValue } }
    }
    public var daysLeft: Int? {
        get { box.f.daysLeft }
        set { update { $0.daysLeft = newValue } }
    }
    /// In overdue notices of a recurring milestone: its open occurrences whose deadline instant is at or before `at`.
    public var missed: Int? {
        get { box.f.missed }
        set { update { $0.missed = newValue } }
    }
    public var priority: Int {
        get { box.f.priority }
        set { update { $0.priority = newValue } }
    }
    public var late: Int? {
        get { box.f.late }
        set { update { $0.late = newValue } }
    }
    /// The due, or the computed instant `at`, depends on a projected calendar year. JSON: `true` or absent.
    public var provisional: Bool {
        get { box.f.provisional }
        set { update { $0.provisional = newValue } }
    }
    /// An extension: `provisional` only for the record's instant, its due known (a reminder `1wd` before a month's
    /// end steps back over a projected year's working days; the month's end does not move). The due is then shown
    /// without ` (dự kiến)`. JSON: `true` or absent.
    public var dueCertain: Bool {
        get { box.f.dueCertain }
        set { update { $0.dueCertain = newValue } }
    }
    /// Whether the due, as people read it, is provisional: `provisional` unless `dueCertain`.
    public var dueProvisional: Bool { provisional && !dueCertain }
    public var group: String? {
        get { box.f.group }
        set { update { $0.group = newValue } }
    }
    public var actor: Int? {
        get { box.f.actor }
        set { update { $0.actor = newValue } }
    }
    /// The name of the person a trusted front end (tiendo-web) acted for: an extension (`actorName` in JSON,
    /// `TIENDO_ACTOR_NAME` in the journal), set by the daemon on the records of that operator action.
    public var actorName: String? {
        get { box.f.actorName }
        set { update { $0.actorName = newValue } }
    }
    var text: RecordText {
        get { box.f.text }
        set { update { $0.text = newValue } }
    }
    var identity: RecordIdentity {
        get { box.f.identity }
        set { update { $0.identity = newValue } }
    }

    public init(
        at: Instant, utcOffset: Int, kind: Kind, workflow: String, instance: String?, state: String? = nil,
        from: String? = nil, to: String? = nil, event: String? = nil, milestone: String? = nil,
        occurrence: String? = nil, due: String? = nil, previousDue: String? = nil, daysLeft: Int? = nil,
        missed: Int? = nil, priority: Int, late: Int? = nil, provisional: Bool = false, group: String? = nil,
        actor: Int? = nil, message: String, key: String? = nil
    ) {
        self.init(
            at: at, utcOffset: utcOffset, kind: kind, workflow: workflow, instance: instance, state: state, from: from, to: to,
            event: event, milestone: milestone, occurrence: occurrence, due: due, previousDue: previousDue, daysLeft: daysLeft,
            missed: missed, priority: priority, late: late, provisional: provisional, group: group, actor: actor,
            text: .literal(message), identity: key.map(RecordIdentity.literal) ?? .none)
    }

    init(
        at: Instant, utcOffset: Int, kind: Kind, workflow: String, instance: String?, state: String? = nil,
        from: String? = nil, to: String? = nil, event: String? = nil, milestone: String? = nil,
        occurrence: String? = nil, due: String? = nil, previousDue: String? = nil, daysLeft: Int? = nil,
        missed: Int? = nil, priority: Int, late: Int? = nil, provisional: Bool = false, dueCertain: Bool = false,
        group: String? = nil, actor: Int? = nil, text: RecordText, identity: RecordIdentity
    ) {
        box = Box(
            Fields(
                at: at, utcOffset: utcOffset, kind: kind, workflow: workflow, instance: instance, state: state, from: from, to: to,
                event: event, milestone: milestone, occurrence: occurrence, due: due, previousDue: previousDue, daysLeft: daysLeft,
                missed: missed, priority: priority, late: late, provisional: provisional, dueCertain: dueCertain, group: group,
                actor: actor, actorName: nil, text: text, identity: identity))
    }

    /// The Vietnamese sentence for people.
    public var message: String {
        get {
            switch text {
            case .literal(let s): return s
            case .lazy(let program): return RecordText.message(of: self, program)
            }
        }
        set { text = .literal(newValue) }
    }

    /// Identity of a notice, transition or completion, not part of the JSON: `instance|deadline|rOFFSET|` for a
    /// reminder, `instance|deadline|kN|DUE` for overdue notice N counted from DUE (interfaces §1), where deadline is
    /// `state:S@ENTERED`, a milestone id or `M@LABEL`; `instance|transition|FROM>TO|AT`, `instance|completed`,
    /// `instance|completed|AT`, `instance|done|M|AT` (a case completed or a milestone done again after an undo is a new
    /// record), `instance|rescheduled|…`, `instance|undone|STEP-AT|AT`; nil for the others. Written when read. The engine itself does
    /// not use it (its marks keep a notice from being handled twice); the daemon stores it with the record and names
    /// the record's deliveries by it.
    public var key: String? {
        get { RecordText.key(of: self) }
        set { identity = newValue.map(RecordIdentity.literal) ?? .none }
    }

    /// `at` as ISO 8601 with the workflow zone's offset.
    public var atText: String { Record.iso(at, offset: utcOffset) }

    static func iso(_ t: Instant, offset: Int) -> String {
        let local = t.seconds + Int64(offset)
        let day = floorDiv(local, 86_400)
        let s = Int(local - day * 86_400)
        return DateText.iso(CivilDate(dayNumber: Int(day)), secondOfDay: s, offset: offset, z: false)
    }

    /// Reads a record back from its JSON (history, watch).
    public init?(json: JSON) {
        guard let atText = json["at"]?.stringValue, let t = Zone.utc.parseInstant(atText),
            let kind = json["kind"]?.stringValue.flatMap(Kind.init(rawValue:)), let wf = json["workflow"]?.stringValue,
            let pr = json["priority"]?.intValue, let msg = json["message"]?.stringValue
        else { return nil }
        var off = 0
        if atText.count >= 25 {
            let tail = Array(atText.utf8.suffix(6))
            if let h = digits(tail, 1, 2), let m = digits(tail, 4, 2) {
                off = (h * 3600 + m * 60) * (tail[0] == UInt8(ascii: "-") ? -1 : 1)
            }
        }
        self.init(
            at: t, utcOffset: off, kind: kind, workflow: wf, instance: json["instance"]?.stringValue,
            state: json["state"]?.stringValue, from: json["from"]?.stringValue, to: json["to"]?.stringValue,
            event: json["event"]?.stringValue, milestone: json["milestone"]?.stringValue,
            occurrence: json["occurrence"]?.stringValue, due: json["due"]?.stringValue,
            previousDue: json["previousDue"]?.stringValue, daysLeft: json["daysLeft"]?.intValue,
            missed: json["missed"]?.intValue, priority: pr, late: json["late"]?.intValue,
            provisional: json["provisional"]?.boolValue == true, group: json["group"]?.stringValue,
            actor: json["actor"]?.intValue, message: msg)
        actorName = json["actorName"]?.stringValue
        if provisional, json["dueCertain"]?.boolValue == true { dueCertain = true }
    }

    /// Equal when every field, the message and the key read the same, however they are held.
    public static func == (a: Record, b: Record) -> Bool {
        a.at == b.at && a.utcOffset == b.utcOffset && a.kind == b.kind && a.workflow == b.workflow && a.instance == b.instance
            && a.state == b.state && a.from == b.from && a.to == b.to && a.event == b.event && a.milestone == b.milestone
            && a.occurrence == b.occurrence && a.due == b.due && a.previousDue == b.previousDue && a.daysLeft == b.daysLeft
            && a.missed == b.missed && a.priority == b.priority && a.late == b.late && a.provisional == b.provisional
            && a.dueCertain == b.dueCertain
            && a.group == b.group && a.actor == b.actor && a.actorName == b.actorName && a.message == b.message && a.key == b.key
    }

    public func hash(into h: inout Hasher) {
        h.combine(at)
        h.combine(kind)
        h.combine(instance)
        h.combine(milestone)
        h.combine(occurrence)
        h.combine(due)
    }
}
