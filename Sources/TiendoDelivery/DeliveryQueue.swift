public import TiendoCore

/// One delivery row: a record to one recipient through one channel (`docs/delivery.md`, "Store").
public struct Delivery: Sendable, Hashable {
    public var id: Int64
    /// `RECORD-KEY|CHANNEL|ADDRESS`: unique; a second fan-out of the same record changes nothing.
    public var key: String
    public var recordKey: String
    /// The record's contract JSON.
    public var record: JSON
    public var channel: String
    public var recipient: Mailbox?
    /// The route that created it.
    public var route: String
    public var digest: String?
    public var digestPeriod: DigestSchedule.Period?
    public var series: String?
    /// The name the record's instance goes by, when it has one.
    public var label: String?
    /// Not before this instant (quiet hours, the digest's time, the next attempt).
    public var notBefore: Instant
    /// When the message could first be sent: its `notBefore` at fan-out (a digest's time, the end of quiet hours or
    /// of a holiday), or the instant a dead letter was put back. The give-up window of transient failures counts from
    /// here, not from the record's commit: a weekly digest or a notice held over Tết is not days old at its first try.
    public var dueAt: Instant
    public var expiresAt: Instant?
    /// Failed attempts so far.
    public var attempts: Int
    /// When the row was written (the record's commit); a notice is replaced only by one that exists already.
    public var createdAt: Instant
    /// Set in a claim: a newer notice of the same deadline to the same recipient exists, so this one is not sent.
    public var supersededBy: Int64?

    public init(id: Int64, fanOut f: FanOut, recordKey: String, record: JSON, createdAt: Instant) {
        self.id = id
        key = f.key
        self.recordKey = recordKey
        self.record = record
        channel = f.channel
        recipient = f.recipient
        route = f.route
        digest = f.digest
        digestPeriod = f.digestPeriod
        series = f.series
        label = f.label
        notBefore = f.notBefore
        dueAt = f.notBefore
        expiresAt = f.expiresAt
        attempts = 0
        self.createdAt = createdAt
    }
}

/// One message to send: a single delivery, or every delivery of a digest. Its `messageKey` stays the same across
/// retries and restarts: the email's `Message-ID`, the webhook's `webhook-id`.
public struct DeliveryJob: Sendable, Hashable {
    public var messageKey: String
    public var channel: String
    public var recipient: Mailbox?
    public var items: [Delivery]
    /// The claim is the sender's until then; afterwards another sender may take it.
    public var leaseUntil: Instant

    public init(messageKey: String, channel: String, recipient: Mailbox?, items: [Delivery], leaseUntil: Instant) {
        self.messageKey = messageKey
        self.channel = channel
        self.recipient = recipient
        self.items = items
        self.leaseUntil = leaseUntil
    }

    public var isDigest: Bool { items.first?.digest != nil }
}

/// What became of a delivery.
public enum DeliveryOutcome: Sendable, Hashable {
    case sent(providerID: String?)
    /// A transient failure; try again at the instant.
    case retry(at: Instant, failure: DeliveryFailure)
    /// A permanent failure, or transient ones for too long: a dead letter for an operator.
    case dead(DeliveryFailure)
    /// Not sent: its deadline passed, or a newer notice of the same deadline replaced it.
    case expired(reason: String)
    /// Not sent yet: outside the sending hours its route keeps (a retry or a backlog claimed at night, on a holiday).
    /// Back to the queue until then, no attempt counted; the time held does not count toward giving up (`dueAt`
    /// moves on by it).
    case held(until: Instant)
}

public struct DeliveryReport: Sendable, Hashable {
    public var id: Int64
    /// The message the delivery went out in (a digest's key is fixed at its first claim).
    public var messageKey: String
    public var at: Instant
    public var outcome: DeliveryOutcome

    public init(id: Int64, messageKey: String, at: Instant, outcome: DeliveryOutcome) {
        self.id = id
        self.messageKey = messageKey
        self.at = at
        self.outcome = outcome
    }
}

/// The queue the sender works: the daemon's store behind the varlink socket in production (`vn.tiendo.Delivery`,
/// `docs/delivery.md` §6), an in-memory or JSON-lines file queue in tests. Claims are leases: a sender that
/// dies loses its claims when they run out, and the deliveries go out again with the same message key.
/// The queue answered and refused (a sender not allowed to report, a malformed call): trying again does not help,
/// unlike a queue that does not answer (tiendod restarting).
public struct QueueRefusal: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Another sender works the queue under the same owner name (tiendod refused the claim): sending on would take its
/// claims back as orphans at every claim and send nearly everything twice, so the sender stops.
public struct AnotherSender: Error, Sendable, CustomStringConvertible {
    public var pid: Int
    public init(pid: Int) { self.pid = pid }
    public var description: String {
        "một tiendo-deliver khác (pid \(pid)) đang gửi thông báo của tiendod này; tiến trình này dừng để không gửi trùng"
    }
}

public protocol DeliveryQueue: Sendable {
    /// Up to `limit` messages of `channel` due at `now` (`notBefore` ≤ now), oldest delivery first, claimed for
    /// `owner` until `leaseUntil`. A digest's deliveries come together as one job.
    func claim(channel: String, owner: String, now: Instant, limit: Int, leaseUntil: Instant) async throws -> [DeliveryJob]
    /// Records outcomes; reports for claims the owner no longer holds are ignored (another sender took them).
    func report(_ reports: [DeliveryReport], owner: String) async throws
    /// Gives claims back unsent, without counting an attempt (shutdown, a paused channel).
    func release(_ ids: [Int64], owner: String) async throws
    /// The earliest `notBefore` of the channel's waiting deliveries, for sleeping until then.
    func nextDue(channel: String) async throws -> Instant?
    /// Waits until `t`, or less when the queue learns of work for `channel` due before `t` (a new delivery: then it
    /// returns early, and the worker looks again). Throws as `clock.sleep` does.
    func wait(channel: String, until t: Instant, clock: any DeliveryClock) async throws
}

extension DeliveryQueue {
    /// A queue that announces nothing: sleep on the clock (the sender looks again every `poll`).
    public func wait(channel: String, until t: Instant, clock: any DeliveryClock) async throws {
        try await clock.sleep(until: t)
    }
}
