public import TiendoCore

/// The delivery queue's rules as a value: add, claims with leases, digests and superseding, reports with an
/// owner check, release, retry of dead letters. The in-memory queue and the JSON-lines test queue keep one; the
/// store's tables follow the same rules in SQL (`TiendoStore/Deliveries.swift`, docs/delivery.md).
public struct QueueBook: Sendable {
    public enum State: String, Sendable, Hashable, CaseIterable { case pending, inflight, sent, dead, expired }

    public struct Entry: Sendable, Hashable {
        public var delivery: Delivery
        public var state: State
        public var owner: String?
        public var leaseUntil: Instant?
        /// Fixed at the first claim; the same on every retry.
        public var messageKey: String?
        public var lastError: String?
        public var providerID: String?
        public var finishedAt: Instant?
    }

    public private(set) var entries: [Int64: Entry] = [:]
    var byKey: [String: Int64] = [:]
    /// Per channel, the ids of unfinished deliveries in ascending order (the order they drain in).
    var open: [String: [Int64]] = [:]
    var openDigest: [String: [Int64]] = [:]
    /// Every delivery of a series (finished ones too: a newer notice that went out still replaces an older one).
    var bySeries: [String: [Int64]] = [:]
    /// How many messages each digest key has been sent as (a delivery that arrives after its digest went out
    /// goes in a second message, `KEY#2`).
    var digestMessages: [String: Int] = [:]
    public private(set) var lastID: Int64 = 0

    public init() {}

    func seriesKey(_ d: Delivery) -> String? {
        QueueBook.seriesKey(series: d.series, channel: d.channel, recipient: d.recipient)
    }

    /// `SERIES|CHANNEL|ADDRESS`: the notices that replace each other (one deadline, one recipient, one channel).
    public static func seriesKey(series: String?, channel: String, recipient: Mailbox?) -> String? {
        series.map { $0 + "|" + channel + "|" + (recipient?.address.lowercased() ?? "") }
    }

    /// Adds a delivery; nil when its key is already queued (a record fanned out twice changes nothing).
    @discardableResult
    public mutating func add(_ f: FanOut, recordKey: String, record: JSON, now: Instant, id: Int64? = nil) -> Delivery? {
        guard byKey[f.key] == nil else { return nil }
        let newID = id ?? lastID + 1
        lastID = max(lastID, newID)
        let d = Delivery(id: newID, fanOut: f, recordKey: recordKey, record: record, createdAt: now)
        entries[newID] = Entry(delivery: d, state: .pending)
        byKey[d.key] = newID
        open[d.channel, default: []].append(newID)
        if let g = d.digest { openDigest[g, default: []].append(newID) }
        if let s = seriesKey(d) { bySeries[s, default: []].append(newID) }
        return d
    }

    /// A newer notice of the same deadline to the same recipient that exists at `now`: it replaces `d` unsent. For
    /// a digest's notice, only a newer one in the same digest or sent on its own does: one waiting for a later
    /// digest leaves this digest its older notice (a digest sent late, after the next day's overdue notice was
    /// written, listed «0 quá hạn» for a case overdue for weeks).
    func newer(than d: Delivery, now: Instant) -> Int64? {
        guard let s = seriesKey(d) else { return nil }
        return bySeries[s]?.last { id in
            guard id > d.id, let n = entries[id]?.delivery, n.createdAt <= now else { return false }
            return d.digest == nil || n.digest == nil || n.digest == d.digest
        }
    }

    mutating func finish(_ id: Int64, _ state: State, at: Instant, error: String? = nil) {
        guard var e = entries[id] else { return }
        e.state = state
        e.owner = nil
        e.leaseUntil = nil
        e.finishedAt = at
        if let error { e.lastError = error }
        entries[id] = e
        let d = e.delivery
        open[d.channel]?.removeSorted(id)
        if let g = d.digest { openDigest[g]?.removeSorted(id) }
    }

    /// Claims that outlived their lease go back to the queue.
    mutating func reclaimExpiredLeases(channel: String, now: Instant) {
        for id in open[channel] ?? [] {
            guard let e = entries[id], e.state == .inflight, let until = e.leaseUntil, until <= now else { continue }
            entries[id]?.state = .pending
            entries[id]?.owner = nil
            entries[id]?.leaseUntil = nil
        }
    }

    /// A worker claims its next batch only once the previous one is reported or released, so claims `owner` still
    /// holds are orphans (a claim whose reply was lost, a sender killed and started again under the same name): they
    /// go back to the queue first, and come out again in order with their message keys.
    public mutating func claim(channel: String, owner: String, now: Instant, limit: Int, leaseUntil: Instant) -> [DeliveryJob] {
        for id in open[channel] ?? [] where entries[id]?.state == .inflight && entries[id]?.owner == owner {
            release([id], owner: owner)
        }
        reclaimExpiredLeases(channel: channel, now: now)
        var jobs: [DeliveryJob] = []
        for id in open[channel] ?? [] {
            if jobs.count >= limit { break }
            guard let e = entries[id], e.state == .pending, e.delivery.notBefore <= now else { continue }
            var members = [id]
            var key = e.messageKey ?? e.delivery.key
            if let g = e.delivery.digest {
                // The digest's other due deliveries in the same message: those sealed with this one's key, or,
                // for a first claim, every one not yet sealed.
                members = (openDigest[g] ?? []).filter {
                    guard let o = entries[$0], o.state == .pending, o.delivery.notBefore <= now else { return false }
                    return o.messageKey == e.messageKey
                }
                if e.messageKey == nil {
                    let n = (digestMessages[g] ?? 0) + 1
                    digestMessages[g] = n
                    key = n == 1 ? g : g + "#\(n)"
                }
            }
            var items: [Delivery] = []
            for m in members {
                entries[m]?.state = .inflight
                entries[m]?.owner = owner
                entries[m]?.leaseUntil = leaseUntil
                entries[m]?.messageKey = key
                guard var d = entries[m]?.delivery else { continue }
                d.supersededBy = newer(than: d, now: now)
                items.append(d)
            }
            jobs.append(
                DeliveryJob(messageKey: key, channel: channel, recipient: e.delivery.recipient, items: items, leaseUntil: leaseUntil))
        }
        return jobs
    }

    /// Applies reports for claims `owner` holds; returns how many were applied.
    @discardableResult
    public mutating func report(_ reports: [DeliveryReport], owner: String) -> Int {
        var applied = 0
        for r in reports {
            guard let e = entries[r.id], e.state == .inflight, e.owner == owner else { continue }
            applied += 1
            apply(r)
        }
        return applied
    }

    /// Applies a report without the owner check (replaying a journal of reports that were accepted).
    public mutating func apply(_ r: DeliveryReport) {
        guard entries[r.id] != nil else { return }
        entries[r.id]?.messageKey = r.messageKey
        if let g = entries[r.id]?.delivery.digest {
            let n = r.messageKey.hasPrefix(g + "#") ? Int(r.messageKey.dropFirst(g.count + 1)) ?? 1 : 1
            digestMessages[g] = max(digestMessages[g] ?? 0, n)
        }
        switch r.outcome {
        case .sent(let provider):
            entries[r.id]?.providerID = provider
            finish(r.id, .sent, at: r.at)
        case .retry(let at, let failure):
            unclaim(r.id)
            entries[r.id]?.delivery.notBefore = at
            entries[r.id]?.delivery.attempts += 1
            entries[r.id]?.lastError = failure.description
        case .dead(let failure):
            entries[r.id]?.delivery.attempts += 1
            finish(r.id, .dead, at: r.at, error: failure.description)
        case .expired(let reason):
            finish(r.id, .expired, at: r.at, error: reason)
        case .held(let until):
            unclaim(r.id)
            entries[r.id]?.delivery.notBefore = until
            let due = entries[r.id]!.delivery.dueAt
            entries[r.id]?.delivery.dueAt = due.adding(seconds: max(0, until.seconds - r.at.seconds))
        }
    }

    /// Back to `pending`, no longer anyone's claim.
    private mutating func unclaim(_ id: Int64) {
        entries[id]?.state = .pending
        entries[id]?.owner = nil
        entries[id]?.leaseUntil = nil
    }

    public mutating func release(_ ids: [Int64], owner: String) {
        for id in ids where entries[id]?.state == .inflight && entries[id]?.owner == owner { unclaim(id) }
    }

    /// Every claim back to the queue (a single-process queue opened again after its sender died).
    public mutating func releaseAll() {
        for (id, e) in entries where e.state == .inflight { unclaim(id) }
    }

    public func nextDue(channel: String) -> Instant? {
        (open[channel] ?? []).compactMap { id -> Instant? in
            guard let e = entries[id] else { return nil }
            return e.state == .pending ? e.delivery.notBefore : e.leaseUntil
        }.min()
    }

    /// Dead letters back to the queue, due at `now`, with the same message key (`tiendoctl deliveries retry`).
    /// Returns the ids that were dead.
    @discardableResult
    public mutating func retry(_ ids: [Int64], now: Instant) -> [Int64] {
        var done: [Int64] = []
        for id in ids {
            guard var e = entries[id], e.state == .dead else { continue }
            e.state = .pending
            e.finishedAt = nil
            e.delivery.notBefore = now
            e.delivery.dueAt = now
            e.delivery.createdAt = now
            entries[id] = e
            open[e.delivery.channel, default: []].insertSorted(id)
            if let g = e.delivery.digest { openDigest[g, default: []].insertSorted(id) }
            done.append(id)
        }
        return done
    }

    public var deadIDs: [Int64] { entries.values.filter { $0.state == .dead }.map(\.delivery.id).sorted() }

    public func counts() -> [State: Int] {
        var c: [State: Int] = [:]
        for e in entries.values { c[e.state, default: 0] += 1 }
        return c
    }
}

extension Array where Element == Int64 {
    mutating func removeSorted(_ v: Int64) {
        let i = lowerBound(v)
        if i < count, self[i] == v { remove(at: i) }
    }

    mutating func insertSorted(_ v: Int64) {
        let i = lowerBound(v)
        if i == count || self[i] != v { insert(v, at: i) }
    }

    func lowerBound(_ v: Int64) -> Int {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
