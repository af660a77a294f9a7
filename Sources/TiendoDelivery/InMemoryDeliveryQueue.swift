public import TiendoCore

/// A delivery queue in memory (tests, and the model the other queues follow): a `QueueBook` behind an actor.
public actor InMemoryDeliveryQueue: DeliveryQueue {
    public private(set) var book = QueueBook()

    public init() {}

    /// Adds the deliveries of one record, as the daemon's fan-out will in the record's transaction.
    @discardableResult
    public func add(_ deliveries: [FanOut], recordKey: String, record: JSON, now: Instant) -> [Delivery] {
        deliveries.compactMap { book.add($0, recordKey: recordKey, record: record, now: now) }
    }

    public func claim(channel: String, owner: String, now: Instant, limit: Int, leaseUntil: Instant) -> [DeliveryJob] {
        book.claim(channel: channel, owner: owner, now: now, limit: limit, leaseUntil: leaseUntil)
    }

    public func report(_ reports: [DeliveryReport], owner: String) {
        book.report(reports, owner: owner)
    }

    public func release(_ ids: [Int64], owner: String) {
        book.release(ids, owner: owner)
    }

    public func nextDue(channel: String) -> Instant? { book.nextDue(channel: channel) }
}
