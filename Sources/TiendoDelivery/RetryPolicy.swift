/// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): before attempt
/// n + 1 wait a uniformly random time in [0, min(cap, base·2ⁿ)], never less than the server's `Retry-After` up to
/// a day or `cap` when longer (a relay's night of maintenance is waited out; a receiver sending a Unix time,
/// `Retry-After: 1765432100`, no longer parks the channel until 2081), and at least a second. A message that has failed transiently for `giveUpAfter` since it could first be sent
/// (`Delivery.dueAt`, moved on by the time it was held outside sending hours) goes to the dead letters with its last
/// reason (the sender decides that).
public struct RetryPolicy: Sendable, Hashable {
    public var base: Int64
    public var cap: Int64
    public var giveUpAfter: Int64

    public init(base: Int64 = 60, cap: Int64 = 6 * 3600, giveUpAfter: Int64 = 3 * 86_400) {
        self.base = base
        self.cap = cap
        self.giveUpAfter = giveUpAfter
    }

    /// The longest a server's `Retry-After` is waited for, unless `cap` is longer.
    public static let longestRetryAfter: Int64 = 86_400

    /// The attempts a message failing with a channel-scope failure must have had before it gives up, beside
    /// `giveUpAfter`: as many as the window holds at the longest wait (3 days at 6 h: 12), at least 2.
    public var channelAttempts: Int { Int(max(2, giveUpAfter / max(cap, 1))) }

    /// The upper bound of the wait after `attempts` failed attempts (1 after the first failure).
    public func ceiling(afterAttempts attempts: Int) -> Int64 {
        let n = max(0, attempts - 1)
        // 2^n overflows long after it passes any cap: stop doubling at the cap.
        var c = base
        for _ in 0..<min(n, 62) where c < cap { c = c * 2 }
        return min(max(c, 1), cap)
    }

    /// The wait after `attempts` failed attempts, drawn with `rng`.
    public func delay(afterAttempts attempts: Int, retryAfter: Int64?, using rng: inout some RandomNumberGenerator) -> Int64 {
        let jittered = Int64.random(in: 0...ceiling(afterAttempts: attempts), using: &rng)
        return max(jittered, min(retryAfter ?? 0, max(cap, RetryPolicy.longestRetryAfter)), 1)
    }
}

/// A small seedable generator (SplitMix64) so that tests and `--seed` runs draw the same jitter every time.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
