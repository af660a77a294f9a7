public import TiendoCore

/// One delivery to create for a record: the fan-out rule's output, written by tiendod in the record's transaction,
/// or by `tiendo-deliver enqueue` into a test queue.
public struct FanOut: Sendable, Hashable {
    /// `RECORD-KEY|CHANNEL|ADDRESS` (`RECORD-KEY|CHANNEL` for a webhook): unique, the idempotency key of the row.
    public var key: String
    public var channel: String
    /// Nil for webhooks (the channel's url receives the record).
    public var recipient: Mailbox?
    public var route: String
    /// Deliveries with the same digest key go out as one message: `ROUTE|CHANNEL|ADDRESS|SLOT-DATE`
    /// (`digestKey`; `digestDay` reads its date back).
    public var digest: String?
    /// The digest's period, for its title.
    public var digestPeriod: DigestSchedule.Period?
    /// Not before: quiet hours or the digest's time.
    public var notBefore: Instant
    /// A reminder is not sent once its deadline has passed.
    public var expiresAt: Instant?
    /// Notices of the same deadline (`Notice.series`) to the same recipient replace older unsent ones.
    public var series: String?
    /// The name the record's instance goes by (`WorkflowDefinition.label`), for a digest that lists many people.
    public var label: String?

    public init(
        key: String, channel: String, recipient: Mailbox?, route: String, digest: String?, digestPeriod: DigestSchedule.Period?,
        notBefore: Instant, expiresAt: Instant?, series: String?, label: String? = nil
    ) {
        self.key = key
        self.channel = channel
        self.recipient = recipient
        self.route = route
        self.digest = digest
        self.digestPeriod = digestPeriod
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.series = series
        self.label = label
    }

    /// A digest's key: its route, channel and address (lower case) and the day its slot falls on.
    static func digestKey(route: String, channel: String, address: String, day: CivilDate) -> String {
        [route, channel, address.lowercased(), day.iso].joined(separator: "|")
    }

    /// The day a digest key's slot falls on (the day the digest is for); nil for a key that does not end in one.
    static func digestDay(_ key: String) -> CivilDate? { CivilDate.parse(String(key.split(separator: "|").last ?? "")) }
}

/// Matches records against the routes and resolves their recipients (the fan-out rule, `docs/delivery.md`).
public struct Router: Sendable {
    /// A person's name as a recipient's display name: line breaks, tabs and other control characters (a name
    /// pasted from a spreadsheet cell with a line break) become one space. Kept as typed, the recipient could not be
    /// read back from the queue and the person's messages were never sent (audit, 07/12/2026).
    static func oneLine(_ name: String) -> String {
        var out = ""
        var gap = false
        for u in name.unicodeScalars {
            if u.properties.generalCategory == .control || u == "\u{2028}" || u == "\u{2029}" || u == " " {
                gap = !out.isEmpty
                continue
            }
            if gap { out.unicodeScalars.append(" ") }
            gap = false
            out.unicodeScalars.append(u)
        }
        return out
    }

    public let routing: Routing
    let definitions: DefinitionSet?
    /// For records of workflows not loaded: a calendar (normally `vn`) to reckon working days with.
    let fallbackCalendar: WorkCalendar

    public init(routing: Routing, definitions: DefinitionSet?, fallbackCalendar: WorkCalendar) {
        self.routing = routing
        self.definitions = definitions
        self.fallbackCalendar = fallbackCalendar
    }

    /// The workflow's calendar and zone, or the fallback's.
    public func window(for workflow: String) -> SendWindow {
        if let d = definitions?.workflow(workflow) {
            return SendWindow(calendar: d.calendar, zone: d.zone, hours: routing.quietHours)
        }
        return SendWindow(calendar: fallbackCalendar, zone: fallbackCalendar.zone, hours: routing.quietHours)
    }

    /// Whether what `route` sends of `n` keeps the sending hours: a digest (sent at its time) or a notice of a route
    /// with quiet hours that is not urgent. Fan-out holds such a notice until the hours start (`SendWindow.release`);
    /// the sender holds it again, by the same rule, when it is claimed outside them.
    public func keepsSendingHours(_ route: Route, _ n: Notice) -> Bool {
        route.mode == .digest || (route.quiet && n.priority > routing.quietHours.urgent)
    }

    public func matches(_ route: Route, _ n: Notice) -> Bool {
        if let w = route.workflows, !w.contains(n.workflow) { return false }
        // The group as the web reads it (`GroupNames`): letter case, diacritics and spaces aside.
        if let g = route.groups {
            let group = GroupNames.key(n.group ?? "")
            if !g.contains(where: { GroupNames.key($0) == group }) { return false }
        }
        if let k = route.kinds, !k.contains(n.kind) { return false }
        return n.priority <= route.priority
    }

    /// The deliveries of one record. `data` is the instance's data as text (for field recipients); `now` is when
    /// the record is committed (a late record is not held back to its `at`). Recipients whose field holds no
    /// address are returned apart (tiendod keeps them as dead letters): they never stop the other deliveries.
    public func fanOut(_ n: Notice, recordKey: String, data: [String: String], now: Instant) -> (
        deliveries: [FanOut], unreachable: [Unreachable]
    ) {
        var out: [FanOut] = []
        var unreachable: [Unreachable] = []
        var seen = Set<String>()
        let window = window(for: n.workflow)
        let label = definitions?.workflow(n.workflow)?.labelField.flatMap { data[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        let t = max(n.at, now)
        let expires = n.kind == "reminder" ? n.deadline(zone: window.zone) : nil
        for route in routing.routes where matches(route, n) {
            guard let channel = routing.channel(route.channel) else { continue }
            var recipients: [Mailbox?] = []
            if !channel.isEmail {
                recipients = [nil]
            } else {
                for r in route.to {
                    switch r {
                    case .address(let m): recipients.append(m)
                    case .list(let name):
                        recipients += (n.group.flatMap { routing.lists[name]?.recipients(group: $0) } ?? []).map { Optional($0) }
                    case .field(let f, let nameField):
                        // On one line first: an address pasted from a cell with a line break after it is an address,
                        // and spaces alone are no recipient (review, 07/12/2026).
                        guard let value = data[f].map(Router.oneLine), !value.isEmpty else { continue }
                        switch Mailbox.parse(value) {
                        case .success(var m):
                            if m.name == nil, let nf = nameField, let name = data[nf].map(Router.oneLine), !name.isEmpty { m.name = name }
                            recipients.append(m)
                        case .failure:
                            // Said in the office's words (the routing file's own diagnostics are in English).
                            let key = recordKey + "|" + channel.name + "|!" + value.lowercased()
                            guard seen.insert(key).inserted else { continue }
                            let title = definitions?.workflow(n.workflow)?.field(f)?.title
                            unreachable.append(
                                Unreachable(
                                    key: key, channel: channel.name, route: route.name, value: value, label: label,
                                    reason: Unreachable.reason(value: value, field: title),
                                    logLine: "\(n.instance ?? n.workflow): trường '\(f)' (tuyến '\(route.name)'): «\(value)» không phải"
                                        + " một địa chỉ e-mail (dạng ten@ten-mien, chữ không dấu); không gửi được cho người này"))
                        }
                    }
                }
            }
            for r in recipients {
                let key = recordKey + "|" + channel.name + (r.map { "|" + $0.address.lowercased() } ?? "")
                // The first route that reaches a recipient through a channel decides how.
                guard seen.insert(key).inserted else { continue }
                var d = FanOut(
                    key: key, channel: channel.name, recipient: r, route: route.name, digest: nil, digestPeriod: nil,
                    notBefore: t, expiresAt: expires, series: n.series, label: label)
                if route.mode == .digest, let r {
                    let schedule = route.digestSchedule(routing.digest)
                    let slot = window.digestSlot(from: t, schedule: schedule)
                    d.digest = FanOut.digestKey(route: route.name, channel: channel.name, address: r.address, day: slot.date)
                    d.digestPeriod = schedule.every
                    d.notBefore = slot.at
                } else if keepsSendingHours(route, n) {
                    d.notBefore = window.release(from: t, notices: definitions?.workflow(n.workflow)?.remindAt, expires: expires)
                }
                out.append(d)
            }
        }
        return (out, unreachable)
    }
}
