public import TiendoCore

/// A token bucket for a channel's rate limit (`rate: 30/min`, `burst: 5`): `count` tokens per `seconds` refill a
/// bucket of `burst`; each message takes one. Time is passed in. Tokens are kept in units of 1/`seconds` of a
/// token, so whole-second instants refill exactly (30/min = one token every 2 s, 7/min without rounding drift).
public struct TokenBucket: Sendable, Hashable {
    public let limit: RateLimit
    /// Tokens × `limit.seconds`.
    var scaled: Int64
    var last: Instant

    /// A full bucket at `now`.
    public init(_ limit: RateLimit, now: Instant) {
        self.limit = limit
        scaled = Int64(limit.burst) * limit.seconds
        last = now
    }

    mutating func refill(_ now: Instant) {
        guard now > last else { return }
        let capacity = Int64(limit.burst) * limit.seconds
        let gained = (now.seconds - last.seconds).multipliedReportingOverflow(by: Int64(limit.count))
        scaled = gained.overflow ? capacity : min(capacity, scaled + gained.partialValue)
        last = now
    }

    /// Takes a token and returns nil, or returns the instant when one will be available (taking nothing).
    public mutating func take(now: Instant) -> Instant? {
        refill(now)
        if scaled >= limit.seconds {
            scaled -= limit.seconds
            return nil
        }
        let missing = limit.seconds - scaled
        let wait = (missing + Int64(limit.count) - 1) / Int64(limit.count)
        return now.adding(seconds: wait)
    }
}
