public import TiendoCore

/// A delivery as operators see it (`tiendoctl deliveries`, the web page, `vn.tiendo.Delivery.List`).
public struct DeliveryRow: Sendable, Hashable {
    public var id: Int64
    public var key: String
    /// `pending`, `inflight`, `sent`, `dead` or `expired`.
    public var state: String
    public var channel: String
    /// `Name <address>`; nil for a webhook.
    public var recipient: String?
    public var route: String
    public var workflow: String
    public var instance: String?
    /// The name the instance went by when the record was fanned out (`Delivery.label`).
    public var label: String?
    public var kind: String
    /// The record's sentence.
    public var message: String
    public var recordKey: String
    public var digest: String?
    public var notBefore: Instant
    public var expiresAt: Instant?
    public var createdAt: Instant
    /// Failed attempts so far.
    public var attempts: Int
    public var messageKey: String?
    /// `transient` or `permanent` for a failure; nil for an expiry (its reason is in `error`).
    public var errorClass: String?
    /// The last failure, or why it expired unsent.
    public var error: String?
    public var providerID: String?
    public var finishedAt: Instant?

    public init(
        id: Int64, key: String, state: String, channel: String, recipient: String?, route: String, workflow: String,
        instance: String?, kind: String, message: String, recordKey: String, digest: String?, notBefore: Instant,
        expiresAt: Instant?, createdAt: Instant, attempts: Int, messageKey: String?, errorClass: String?, error: String?,
        providerID: String?, finishedAt: Instant?, label: String? = nil
    ) {
        self.id = id
        self.key = key
        self.state = state
        self.channel = channel
        self.recipient = recipient
        self.route = route
        self.workflow = workflow
        self.instance = instance
        self.kind = kind
        self.message = message
        self.recordKey = recordKey
        self.digest = digest
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.attempts = attempts
        self.messageKey = messageKey
        self.errorClass = errorClass
        self.error = error
        self.providerID = providerID
        self.finishedAt = finishedAt
        self.label = label
    }
}

/// Per channel, how many deliveries are in each state, and how many unfinished ones failed at least once.
public struct DeliveryCounts: Sendable, Equatable {
    public static let states = ["pending", "inflight", "sent", "dead", "expired"]
    /// Channel → state → count (every state present); `failed` is a key too.
    public var channels: [String: [String: Int]] = [:]
    /// Channel → the earliest instant one of its waiting deliveries is or was due (ahead for a digest before its time;
    /// none: nothing waits).
    public var oldestPending: [String: Instant] = [:]
    /// The routing file tiendod has in force; nil when it has none (nothing is queued to send), or from a daemon before
    /// 07/12/2026.
    public var routing: String?

    public init() {}

    /// Every channel's counts added up (every state present, and `failed`).
    public var total: [String: Int] {
        var t = Dictionary(uniqueKeysWithValues: (DeliveryCounts.states + ["failed"]).map { ($0, 0) })
        for c in channels.values { for (k, n) in c { t[k, default: 0] += n } }
        return t
    }
}

extension DeliveryRow {
    /// The record a delivery is about, as operators read it: its instance with the name it goes by,
    /// `Nguyễn Văn An (nhac-viec/m00001)`; the workflow for a record of no instance.
    public static func recordName(instance: String?, workflow: String, label: String?) -> String {
        let id = instance ?? workflow
        return label.map { "\($0) (\(id))" } ?? id
    }
}
