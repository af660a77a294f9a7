public import TiendoCore
public import TiendoDelivery

/// tiendod's extension interface `vn.tiendo.Delivery` (`vn.tiendo.Delivery.varlink`, docs/delivery.md §6): the
/// queue the sender works (`Claim`, `Report`, `Release`, `NextDue`) and what operators see of it (`List`,
/// `Counts`, `Retry`). Its values are TiendoDelivery's, written and read here once for both sides of the socket.
/// Instants are ISO 8601 with the offset of Asia/Ho_Chi_Minh.
public enum Deliveries {
    /// `vn.tiendo.Delivery`.
    public static let interface = "vn.tiendo.Delivery"

    static func instant(_ t: Instant) -> JSON { .string(Zone.vietnam.iso(t)) }

    /// The states `List` filters on: the rows' states, and `failed` (unfinished, failed at least once).
    public static let listStates = DeliveryCounts.states + ["failed"]
}

extension Members {
    func instant(_ key: String) throws(ReplyDecodingError) -> Instant {
        let text = try string(key)
        guard let t = Zone.utc.parseInstant(text) else {
            throw ReplyDecodingError(path: at(key), reason: "'\(text)' không phải thời điểm ISO 8601")
        }
        return t
    }

    func optionalInstant(_ key: String) throws(ReplyDecodingError) -> Instant? {
        value(key) == nil ? nil : try instant(key)
    }

    func mailbox(_ key: String) throws(ReplyDecodingError) -> Mailbox? {
        guard let text = try optionalString(key) else { return nil }
        switch Mailbox.parse(text) {
        case .success(let m): return m
        case .failure(let e): throw ReplyDecodingError(path: at(key), reason: e.reason)
        }
    }

    func int64(_ key: String) throws(ReplyDecodingError) -> Int64 { Int64(try int(key)) }
}

extension ObjectWriter {
    mutating func add(_ key: String, _ value: Instant?) { if let value { add(key, Deliveries.instant(value)) } }
    mutating func add(_ key: String, _ value: Int64?) { if let value { add(key, Int(value)) } }
}

/// `type Item`: one delivery of a claimed job.
extension Delivery: ManagerValue {
    public init(json: JSON, path: String) throws(ReplyDecodingError) {
        let m = try Members(json, path: path)
        let f = FanOut(
            key: try m.string("key"), channel: try m.string("channel"), recipient: try m.mailbox("recipient"),
            route: try m.string("route"), digest: try m.optionalString("digest"),
            digestPeriod: try m.optionalString("digestPeriod").flatMap(DigestSchedule.Period.init),
            notBefore: try m.instant("notBefore"), expiresAt: try m.optionalInstant("expiresAt"), series: try m.optionalString("series"),
            label: try m.optionalString("label"))
        self.init(
            id: try m.int64("id"), fanOut: f, recordKey: try m.string("recordKey"), record: try m.object("record"),
            createdAt: try m.instant("createdAt"))
        attempts = try m.int("attempts")
        // A tiendod without it: the commit, as the give-up window counted before.
        dueAt = try m.optionalInstant("dueAt") ?? createdAt
        supersededBy = try m.optionalInt("supersededBy").map(Int64.init)
    }

    public var json: JSON {
        var w = ObjectWriter()
        w.add("id", Int(id))
        w.add("key", key)
        w.add("recordKey", recordKey)
        w.add("record", record)
        w.add("channel", channel)
        w.add("recipient", recipient?.description)
        w.add("route", route)
        w.add("digest", digest)
        w.add("digestPeriod", digestPeriod?.rawValue)
        w.add("series", series)
        w.add("label", label)
        w.add("notBefore", notBefore)
        w.add("expiresAt", expiresAt)
        w.add("attempts", attempts)
        w.add("createdAt", createdAt)
        w.add("dueAt", dueAt)
        w.add("supersededBy", supersededBy)
        return w.json
    }
}

/// `type Job`: one message to send.
extension DeliveryJob: ManagerValue {
    public init(json: JSON, path: String) throws(ReplyDecodingError) {
        let m = try Members(json, path: path)
        self.init(
            messageKey: try m.string("messageKey"), channel: try m.string("channel"), recipient: try m.mailbox("recipient"),
            items: try m.list("items"), leaseUntil: try m.instant("leaseUntil"))
    }

    public var json: JSON {
        var w = ObjectWriter()
        w.add("messageKey", messageKey)
        w.add("channel", channel)
        w.add("recipient", recipient?.description)
        w.add("items", items)
        w.add("leaseUntil", leaseUntil)
        return w.json
    }
}

/// `type Failure`.
extension DeliveryFailure: ManagerValue {
    public init(json: JSON, path: String) throws(ReplyDecodingError) {
        let m = try Members(json, path: path)
        guard let c = Class(rawValue: try m.string("class")) else {
            throw ReplyDecodingError(path: m.at("class"), reason: "cần transient hoặc permanent")
        }
        guard let s = Scope(rawValue: try m.string("scope")) else {
            throw ReplyDecodingError(path: m.at("scope"), reason: "cần message hoặc channel")
        }
        self.init(c, scope: s, try m.string("reason"), retryAfter: try m.optionalInt("retryAfter").map(Int64.init))
    }

    public var json: JSON {
        var w = ObjectWriter()
        w.add("class", errorClass.rawValue)
        w.add("scope", scope.rawValue)
        w.add("reason", reason)
        w.add("retryAfter", retryAfter)
        return w.json
    }
}

/// `type Report`: `outcome` is `sent` (with `providerId`), `retry` (`next`, `failure`), `dead` (`failure`),
/// `expired` (`reason`) or `held` (`next`: outside the sending hours, back to the queue until then).
extension DeliveryReport: ManagerValue {
    public init(json: JSON, path: String) throws(ReplyDecodingError) {
        let m = try Members(json, path: path)
        let outcome: DeliveryOutcome
        switch try m.string("outcome") {
        case "sent": outcome = .sent(providerID: try m.optionalString("providerId"))
        case "retry": outcome = .retry(at: try m.instant("next"), failure: try m.value("failure"))
        case "dead": outcome = .dead(try m.value("failure"))
        case "expired": outcome = .expired(reason: try m.string("reason"))
        case "held": outcome = .held(until: try m.instant("next"))
        case let other: throw ReplyDecodingError(path: m.at("outcome"), reason: "'\(other)': cần sent, retry, dead, expired hoặc held")
        }
        self.init(id: try m.int64("id"), messageKey: try m.string("messageKey"), at: try m.instant("at"), outcome: outcome)
    }

    public var json: JSON {
        var w = ObjectWriter()
        w.add("id", Int(id))
        w.add("messageKey", messageKey)
        w.add("at", at)
        switch outcome {
        case .sent(let provider):
            w.add("outcome", "sent")
            w.add("providerId", provider)
        case .retry(let next, let failure):
            w.add("outcome", "retry")
            w.add("next", next)
            w.add("failure", failure)
        case .dead(let failure):
            w.add("outcome", "dead")
            w.add("failure", failure)
        case .expired(let reason):
            w.add("outcome", "expired")
            w.add("reason", reason)
        case .held(let until):
            w.add("outcome", "held")
            w.add("next", until)
        }
        return w.json
    }
}

/// `type Row`: a delivery as operators see it.
extension DeliveryRow: ManagerValue {
    public init(json: JSON, path: String) throws(ReplyDecodingError) {
        let m = try Members(json, path: path)
        self.init(
            id: try m.int64("id"), key: try m.string("key"), state: try m.string("state"), channel: try m.string("channel"),
            recipient: try m.optionalString("recipient"), route: try m.string("route"), workflow: try m.string("workflow"),
            instance: try m.optionalString("instance"), kind: try m.string("kind"), message: try m.string("message"),
            recordKey: try m.string("recordKey"), digest: try m.optionalString("digest"), notBefore: try m.instant("notBefore"),
            expiresAt: try m.optionalInstant("expiresAt"), createdAt: try m.instant("createdAt"), attempts: try m.int("attempts"),
            messageKey: try m.optionalString("messageKey"), errorClass: try m.optionalString("errorClass"),
            error: try m.optionalString("error"), providerID: try m.optionalString("providerId"),
            finishedAt: try m.optionalInstant("finishedAt"), label: try m.optionalString("label"))
    }

    public var json: JSON {
        var w = ObjectWriter()
        w.add("id", Int(id))
        w.add("key", key)
        w.add("state", state)
        w.add("channel", channel)
        w.add("recipient", recipient)
        w.add("route", route)
        w.add("workflow", workflow)
        w.add("instance", instance)
        w.add("label", label)
        w.add("kind", kind)
        w.add("message", message)
        w.add("recordKey", recordKey)
        w.add("digest", digest)
        w.add("notBefore", notBefore)
        w.add("expiresAt", expiresAt)
        w.add("createdAt", createdAt)
        w.add("attempts", attempts)
        w.add("messageKey", messageKey)
        w.add("errorClass", errorClass)
        w.add("error", error)
        w.add("providerId", providerID)
        w.add("finishedAt", finishedAt)
        return w.json
    }
}

extension DeliveryCounts {
    /// `Counts`' reply: `states` (every channel added up, `failed` included), `channels`, `oldestPending`.
    public var json: JSON {
        func states(_ c: [String: Int]) -> JSON { .object(Deliveries.listStates.map { ($0, .int(c[$0] ?? 0)) }) }
        return .object(
            [
                ("states", states(total)),
                ("channels", .object(channels.keys.sorted().map { ($0, states(channels[$0]!)) })),
                ("oldestPending", .object(oldestPending.keys.sorted().map { ($0, Deliveries.instant(oldestPending[$0]!)) })),
            ] + (routing.map { [("routing", JSON.string($0))] } ?? []))
    }

    /// Reads `Counts`' reply.
    public init(json: JSON, path: String) throws(ReplyDecodingError) {
        let m = try Members(json, path: path)
        self.init()
        if case .object(let chans) = try m.object("channels") {
            for (name, states) in chans {
                let c = try Members(states, path: m.at("channels") + "." + name)
                var counts: [String: Int] = [:]
                for s in Deliveries.listStates { counts[s] = try c.optionalInt(s) ?? 0 }
                channels[name] = counts
            }
        }
        if let oldest = m.value("oldestPending") {
            let o = try Members(oldest, path: m.at("oldestPending"))
            for (name, _) in o.pairs { oldestPending[name] = try o.instant(name) }
        }
        routing = try m.optionalString("routing")
    }
}
