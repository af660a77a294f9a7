/// A record's contract JSON (interfaces §1): its fields listed once for writing (`writeFields`; `init?(json:)` in
/// `Record.swift` reads them back), written either as a `JSON` tree (`json`: watch streams, deliveries, tests) or
/// straight as the text of that tree (`jsonText`: every record stored in history). Building the tree and then
/// serialising it was 5 % of the loop thread while firing (05/12/2026), for text that nothing reads as a tree.
extension Record {
    /// The contract's JSON object, keys in contract order, absent when not applicable.
    public var json: JSON {
        var w = TreeFields()
        writeFields(&w)
        return .object(w.pairs)
    }

    /// `json.serialized()`, byte for byte, written without the tree.
    public var jsonText: [UInt8] {
        var w = TextFields()
        writeFields(&w)
        return w.finish()
    }

    func writeFields<W: RecordFields>(_ w: inout W) {
        w.text("at", atText)
        w.text("kind", kind.rawValue)
        w.text("workflow", workflow)
        if let instance { w.text("instance", instance) }
        if let state { w.text("state", state) }
        if let from { w.text("from", from) }
        if let to { w.text("to", to) }
        if let event { w.text("event", event) }
        if let milestone { w.text("milestone", milestone) }
        if let occurrence { w.text("occurrence", occurrence) }
        if let due { w.text("due", due) }
        if let previousDue { w.text("previousDue", previousDue) }
        if let daysLeft { w.int("daysLeft", daysLeft) }
        if let missed { w.int("missed", missed) }
        w.int("priority", priority)
        if let late { w.int("late", late) }
        if provisional { w.isTrue("provisional") }
        if provisional && dueCertain { w.isTrue("dueCertain") }
        if let group { w.text("group", group) }
        if let actor { w.int("actor", actor) }
        if let actorName { w.text("actorName", actorName) }
        w.text("message", message)
    }
}

/// Where `Record.writeFields` writes: each field once, in order. Keys are plain ASCII names (no escaping needed).
protocol RecordFields {
    mutating func text(_ key: StaticString, _ value: String)
    mutating func int(_ key: StaticString, _ value: Int)
    mutating func isTrue(_ key: StaticString)
}

/// The fields as the pairs of a `JSON.object`.
struct TreeFields: RecordFields {
    var pairs: [(String, JSON)] = []

    mutating func text(_ key: StaticString, _ value: String) { pairs.append((key.description, .string(value))) }
    mutating func int(_ key: StaticString, _ value: Int) { pairs.append((key.description, .int(value))) }
    mutating func isTrue(_ key: StaticString) { pairs.append((key.description, .bool(true))) }
}

/// The fields as compact JSON text, written as `JSON.write` writes the tree (`"key":value`, commas, no spaces).
struct TextFields: RecordFields {
    var out: [UInt8] = [UInt8(ascii: "{")]

    init() { out.reserveCapacity(384) }

    mutating func key(_ key: StaticString) {
        if out.count > 1 { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        JSON.append(key, to: &out)
        JSON.append("\":", to: &out)
    }

    mutating func text(_ key: StaticString, _ value: String) {
        self.key(key)
        JSON.writeString(value, to: &out)
    }

    mutating func int(_ key: StaticString, _ value: Int) {
        self.key(key)
        JSON.writeInt(value, to: &out)
    }

    mutating func isTrue(_ key: StaticString) {
        self.key(key)
        JSON.append("true", to: &out)
    }

    mutating func finish() -> [UInt8] {
        out.append(UInt8(ascii: "}"))
        return out
    }
}
