import Foundation
import Synchronization

/// Slows down password guessing, per account name and per client address, in memory.
///
/// After `threshold` failures in a row (5 for an account, 20 for an address), each further attempt must wait
/// 30 s, doubling with every failure up to 15 minutes; a failure more than 15 minutes after the previous one starts
/// the count again, and a successful sign-in clears the account's count. Names that do not exist count like
/// existing ones, so the answer never tells whether an account exists.
public final class LoginThrottle: Sendable {
    struct Entry {
        var failures = 0
        var last = 0.0
        var lockedUntil = 0.0
    }

    struct Tally {
        var accounts: [String: Entry] = [:]
        var addresses: [String: Entry] = [:]
    }

    public static let accountThreshold = 5
    public static let addressThreshold = 20
    static let window = 15.0 * 60
    static let firstPause = 30.0
    static let longestPause = 15.0 * 60
    /// Entries kept before old ones are dropped (a flood of made-up names must not grow memory without bound).
    static let maxEntries = 10_000

    private let tally = Mutex(Tally())
    private let now: @Sendable () -> Double

    public convenience init() { self.init(now: { Date().timeIntervalSince1970 }) }

    /// `now` in seconds (tests pass their own clock).
    init(now: @escaping @Sendable () -> Double) {
        self.now = now
    }

    /// Seconds to wait before `account` may try again from `address`, or nil when it may try now.
    public func wait(account: String, address: String) -> Double? {
        let t = now()
        let longest = tally.withLock { max($0.accounts[account]?.lockedUntil ?? 0, $0.addresses[address]?.lockedUntil ?? 0) }
        return longest > t ? longest - t : nil
    }

    public func failed(account: String, address: String) {
        let t = now()
        tally.withLock { tally in
            LoginThrottle.count(&tally.accounts, account, at: t, threshold: LoginThrottle.accountThreshold)
            LoginThrottle.count(&tally.addresses, address, at: t, threshold: LoginThrottle.addressThreshold)
        }
    }

    public func succeeded(account: String) {
        _ = tally.withLock { $0.accounts.removeValue(forKey: account) }
    }

    static func count(_ entries: inout [String: Entry], _ key: String, at t: Double, threshold: Int) {
        if entries.count >= maxEntries { entries = entries.filter { t - $0.value.last < window || $0.value.lockedUntil > t } }
        var e = entries[key] ?? Entry()
        if t - e.last > window && e.lockedUntil <= t { e.failures = 0 }
        e.failures += 1
        e.last = t
        if e.failures >= threshold {
            let pause = min(longestPause, firstPause * pow(2, Double(min(e.failures - threshold, 10))))
            e.lockedUntil = t + pause
        }
        entries[key] = e
    }
}
