public import TiendoCore

/// A record as the delivery side reads it: the contract's JSON (interfaces §1) with every key, those the engine is
/// adding (`occurrence`, `previousDue`, `missed`, `provisional`, kind `rescheduled`) included. Deliveries keep the
/// record as JSON, so a kind or key this build does not know yet still travels unchanged to webhooks.
public struct Notice: Sendable, Hashable {
    /// The record's JSON exactly as stored (a webhook posts it unchanged).
    public var json: JSON
    public var at: Instant
    /// `reminder`, `overdue`, … — a string, so that kinds added later pass through.
    public var kind: String
    public var workflow: String
    public var instance: String?
    public var state: String?
    public var milestone: String?
    public var occurrence: String?
    /// `YYYY-MM-DD` for a date due, an ISO instant for an instant due.
    public var due: String?
    public var previousDue: String?
    public var missed: Int?
    /// Seconds between `at` and when tiendod wrote the record (a case entered after its dates, a daemon stopped).
    public var late: Int?
    public var priority: Int
    /// The due is provisional (computed through a projected year): the record's `provisional`, unless it was so only
    /// for its instant (`dueCertain`).
    public var provisional: Bool
    public var group: String?
    public var message: String

    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Reads a record; the keys `at`, `kind`, `workflow`, `priority` and `message` are required.
    public init(json: JSON) throws(Invalid) {
        guard case .object = json else { throw Invalid(reason: "bản ghi phải là đối tượng JSON, gặp \(json.typeName)") }
        func string(_ k: String) throws(Invalid) -> String? {
            guard let v = json[k], !v.isNull else { return nil }
            guard let s = v.stringValue else { throw Invalid(reason: "khóa '\(k)' phải là chuỗi, gặp \(v.typeName)") }
            return s
        }
        func int(_ k: String) throws(Invalid) -> Int? {
            guard let v = json[k], !v.isNull else { return nil }
            guard let i = v.intValue else { throw Invalid(reason: "khóa '\(k)' phải là số nguyên, gặp \(v.typeName)") }
            return i
        }
        guard let atText = try string("at") else { throw Invalid(reason: "thiếu khóa 'at'") }
        guard let at = Zone.utc.parseInstant(atText) else {
            throw Invalid(reason: "khóa 'at': '\(atText)' không phải thời điểm ISO 8601")
        }
        guard let kind = try string("kind") else { throw Invalid(reason: "thiếu khóa 'kind'") }
        guard let workflow = try string("workflow") else { throw Invalid(reason: "thiếu khóa 'workflow'") }
        guard let priority = try int("priority"), (0...7).contains(priority) else {
            throw Invalid(reason: "khóa 'priority' phải là số nguyên 0–7")
        }
        guard let message = try string("message") else { throw Invalid(reason: "thiếu khóa 'message'") }
        self.json = json
        self.at = at
        self.kind = kind
        self.workflow = workflow
        self.instance = try string("instance")
        self.state = try string("state")
        self.milestone = try string("milestone")
        self.occurrence = try string("occurrence")
        self.due = try string("due")
        self.previousDue = try string("previousDue")
        self.missed = try int("missed")
        // Within a century: an absurd value from a hand-written queue line must not overflow the instant it is added to.
        self.late = try int("late").flatMap { (0...3_155_760_000).contains($0) ? $0 : nil }
        self.priority = priority
        // The due's own: a record provisional only for its instant (`dueCertain`) has a due that will not move.
        self.provisional = json["provisional"]?.boolValue == true && json["dueCertain"]?.boolValue != true
        self.group = try string("group")
        self.message = message
    }

    /// The deadline the notice is about, as an instant: the end of the due day for a date due (the deadline is the
    /// whole day), the instant itself for an instant due. Nil without a due.
    public func deadline(zone: Zone) -> Instant? {
        guard let due else { return nil }
        if let d = CivilDate.parse(due) { return zone.endOfDay(d) }
        return zone.parseInstant(due)
    }

    /// The local date of the due, for people (`dd/mm/yyyy`, with `HH:MM` for an instant due).
    public func dueText(zone: Zone) -> String? {
        guard let due else { return nil }
        if let d = CivilDate.parse(due) { return d.vietnamese }
        return zone.parseInstant(due).map { zone.vietnamese($0) }
    }

    /// The local date of the due.
    public func dueDate(zone: Zone) -> CivilDate? {
        guard let due else { return nil }
        if let d = CivilDate.parse(due) { return d }
        return zone.parseInstant(due).map { zone.date(of: $0) }
    }

    /// A reminder or an overdue notice: a deadline's notice, as opposed to a record of something that happened.
    public var isDeadlineNotice: Bool { kind == "reminder" || kind == "overdue" }

    /// What the notice is about, for superseding: notices of one deadline (instance, the state's deadline or a
    /// milestone, an occurrence) replace each other while unsent. Nil for records that are not notices.
    public var series: String? {
        guard isDeadlineNotice, let instance else { return nil }
        let deadline = milestone.map { "m:" + $0 } ?? "s:" + (state ?? "")
        return instance + "|" + deadline + (occurrence.map { "@" + $0 } ?? "")
    }

    /// A stable key for a record that came without one (files fed to `tiendo-deliver enqueue`): the daemon's own
    /// key is used when present; otherwise the record's identity (instance, kind, deadline, occurrence, due, at).
    public var derivedKey: String {
        [
            instance ?? workflow, kind, milestone.map { "m:" + $0 } ?? "s:" + (state ?? ""), occurrence ?? "",
            due ?? "", String(at.seconds),
        ].joined(separator: "|")
    }
}
