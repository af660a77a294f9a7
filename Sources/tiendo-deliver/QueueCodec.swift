import TiendoCore
import TiendoDelivery

/// The JSON lines of the test queue's journal: `add` (a delivery), `report` (an outcome), `retry` (dead letters
/// back). Instants are whole seconds since 1970 (an internal file; people see dd/mm/yyyy in `queue`).
enum QueueCodec {
    static func add(_ d: Delivery) -> JSON {
        var o: [(String, JSON)] = [
            ("op", .string("add")), ("id", .int(Int(d.id))), ("key", .string(d.key)), ("recordKey", .string(d.recordKey)),
            ("record", d.record), ("channel", .string(d.channel)), ("route", .string(d.route)),
            ("notBefore", .int(Int(d.notBefore.seconds))), ("createdAt", .int(Int(d.createdAt.seconds))),
        ]
        if let r = d.recipient { o.append(("to", .string(r.description))) }
        if let g = d.digest { o.append(("digest", .string(g))) }
        if let p = d.digestPeriod { o.append(("period", .string(p.rawValue))) }
        if let s = d.series { o.append(("series", .string(s))) }
        if let l = d.label { o.append(("label", .string(l))) }
        if let e = d.expiresAt { o.append(("expiresAt", .int(Int(e.seconds)))) }
        return .object(o)
    }

    /// The fan-out and identity of an `add` line.
    static func fanOut(_ j: JSON) -> (FanOut, id: Int64, recordKey: String, record: JSON, createdAt: Instant)? {
        guard let id = j["id"]?.intValue, let key = j["key"]?.stringValue, let recordKey = j["recordKey"]?.stringValue,
            let record = j["record"], let channel = j["channel"]?.stringValue, let nb = j["notBefore"]?.intValue,
            let created = j["createdAt"]?.intValue
        else { return nil }
        var recipient: Mailbox?
        if let to = j["to"]?.stringValue {
            guard case .success(let m) = Mailbox.parse(to) else { return nil }
            recipient = m
        }
        let f = FanOut(
            key: key, channel: channel, recipient: recipient, route: j["route"]?.stringValue ?? "",
            digest: j["digest"]?.stringValue, digestPeriod: j["period"]?.stringValue.flatMap(DigestSchedule.Period.init),
            notBefore: Instant(seconds: Int64(nb)), expiresAt: j["expiresAt"]?.intValue.map { Instant(seconds: Int64($0)) },
            series: j["series"]?.stringValue, label: j["label"]?.stringValue)
        return (f, Int64(id), recordKey, record, Instant(seconds: Int64(created)))
    }

    static func report(_ r: DeliveryReport) -> JSON {
        var o: [(String, JSON)] = [
            ("op", .string("report")), ("id", .int(Int(r.id))), ("message", .string(r.messageKey)),
            ("at", .int(Int(r.at.seconds))),
        ]
        func failure(_ f: DeliveryFailure) {
            o += [("class", .string(f.errorClass.rawValue)), ("scope", .string(f.scope.rawValue)), ("reason", .string(f.reason))]
            if let ra = f.retryAfter { o.append(("retryAfter", .int(Int(ra)))) }
        }
        switch r.outcome {
        case .sent(let provider):
            o.append(("outcome", .string("sent")))
            if let provider { o.append(("provider", .string(provider))) }
        case .retry(let at, let f):
            o += [("outcome", .string("retry")), ("next", .int(Int(at.seconds)))]
            failure(f)
        case .dead(let f):
            o.append(("outcome", .string("dead")))
            failure(f)
        case .expired(let reason):
            o += [("outcome", .string("expired")), ("reason", .string(reason))]
        case .held(let until):
            o += [("outcome", .string("held")), ("next", .int(Int(until.seconds)))]
        }
        return .object(o)
    }

    static func report(_ j: JSON) -> DeliveryReport? {
        guard let id = j["id"]?.intValue, let message = j["message"]?.stringValue, let at = j["at"]?.intValue,
            let outcome = j["outcome"]?.stringValue
        else { return nil }
        func failure() -> DeliveryFailure? {
            guard let c = j["class"]?.stringValue.flatMap(DeliveryFailure.Class.init),
                let s = j["scope"]?.stringValue.flatMap(DeliveryFailure.Scope.init), let reason = j["reason"]?.stringValue
            else { return nil }
            return DeliveryFailure(c, scope: s, reason, retryAfter: j["retryAfter"]?.intValue.map(Int64.init))
        }
        let o: DeliveryOutcome
        switch outcome {
        case "sent": o = .sent(providerID: j["provider"]?.stringValue)
        case "retry":
            guard let next = j["next"]?.intValue, let f = failure() else { return nil }
            o = .retry(at: Instant(seconds: Int64(next)), failure: f)
        case "dead":
            guard let f = failure() else { return nil }
            o = .dead(f)
        case "expired": o = .expired(reason: j["reason"]?.stringValue ?? "")
        case "held":
            guard let next = j["next"]?.intValue else { return nil }
            o = .held(until: Instant(seconds: Int64(next)))
        default: return nil
        }
        return DeliveryReport(id: Int64(id), messageKey: message, at: Instant(seconds: Int64(at)), outcome: o)
    }
}
