import TiendoCore
import TiendoVarlink

/// What a record's step form was shown for: a short digest of what a step reads and changes (state, entry, data,
/// completion), carried by the form (`ban`). A form sent after the record changed — another officer recorded a
/// vote, the record moved on by itself — is refused with what the record is now, instead of recording a second
/// vote for the same meeting or overwriting a date someone just wrote (multi-user audit, 07/12/2026). A notice
/// sent or a milestone done elsewhere does not change it: the step's form still means what it said.
enum StepVersion {
    static let field = "ban"

    static func of(_ instance: Manager.Instance) -> String {
        let text = [instance.state ?? "", instance.enteredAt, instance.completed ? "1" : "0", sortedKeys(instance.data).serialized()]
            .joined(separator: "\u{1F}")
        return String(SHA256.hex(Array(text.utf8)).prefix(16))
    }

    /// The data with its keys in one order: tiendod writes them in the order of the workflow's fields, which a reload
    /// may change without changing any value.
    static func sortedKeys(_ value: JSON) -> JSON {
        switch value {
        case .object(let pairs): return .object(pairs.sorted { $0.0 < $1.0 }.map { ($0.0, sortedKeys($0.1)) })
        case .array(let items): return .array(items.map(sortedKeys))
        default: return value
        }
    }
}

/// The step forms' keys (`khoa`) sent to tiendod lately: the same form sent again (a double click, the browser's
/// «gửi lại») goes on to tiendod, which answers that it recorded it once, instead of being refused as a page gone
/// stale — the first sending is what changed the record. In memory for a day, as `SentForms`.
actor SentSteps {
    private var keys: [String: ContinuousClock.Instant] = [:]
    static let keptFor: Duration = .seconds(86_400)
    static let maxEntries = 50_000

    func contains(_ key: String) -> Bool {
        keys[key].map { ContinuousClock.now - $0 < SentSteps.keptFor } ?? false
    }

    func insert(_ key: String) {
        let now = ContinuousClock.now
        if keys.count >= SentSteps.maxEntries { keys = keys.filter { now - $0.value < SentSteps.keptFor } }
        if keys.count >= SentSteps.maxEntries, let oldest = keys.min(by: { $0.value < $1.value })?.key { keys[oldest] = nil }
        keys[key] = now
    }

    /// Forgets a form tiendod refused: nothing was recorded under its key, so the same page sent again later (Back,
    /// then «Gửi») must be checked for staleness like any other.
    func remove(_ key: String) { keys[key] = nil }
}

extension ManagerError {
    /// tiendod refused the request and recorded nothing under its idempotency key: a rejected event goes to history
    /// without it. An internal error or an unknown reply may have come after the step was recorded.
    var refusal: Bool {
        switch self {
        case .internalError, .other: false
        default: true
        }
    }
}
