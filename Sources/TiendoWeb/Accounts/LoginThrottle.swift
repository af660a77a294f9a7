import Foundation
import Synchronization

/// Slows down password guessing, per account name from one address, per address and per account name, in memory.
///
/// After `threshold` failures in a row (5 for a name from one address, 20 for an address, 50 for a name from
/// everywhere), each further attempt must wait 30 s, doubling with every failure up to 15 minutes; a failure more
/// than 15 minutes after the previous one starts the count again, and a successful sign-in clears the name's counts.
/// Names that do not exist count like existing ones, so the answer never tells whether an account exists.
///
/// A browser that signed in with the name before (`KnownDevices`) is counted apart: its own failures alone pause
/// it (5, as a name from one address), whatever the name, its address or the name from everywhere have met. So the
/// name's own bound, which anyone on the network can reach, keeps out only browsers that never signed in with it.
///
/// A name is paused where it was guessed: a colleague who types wrong passwords for the administrator's name on
/// their own computer does not lock the administrator out of hers (a name locked for everyone after five failures
/// lets anyone on the network keep an account out of reach). Guessing one name from many addresses meets the name's
/// own bound, ten times higher.
///
/// A password check takes a quarter of a second (bcrypt): an attempt is let in by `begin`, which counts it as
/// under way before the check runs, and closed by `finish`. Attempts under way count against the threshold (past
/// it, once a pause is over, one attempt at a time), so a burst of simultaneous guesses cannot all pass the check
/// before the first of them has failed.
public final class LoginThrottle: Sendable {
    struct Entry {
        var failures = 0
        var last = 0.0
        var lockedUntil = 0.0
        /// Attempts let in by `begin` and not yet finished.
        var inFlight = 0

        /// Failures that still count at `t` (fifteen quiet minutes forget them).
        func counted(at t: Double) -> Int { t - last > LoginThrottle.window && lockedUntil <= t ? 0 : failures }
    }

    struct Tally {
        /// By account name and address (`name NUL address`).
        var pairs: [String: Entry] = [:]
        var addresses: [String: Entry] = [:]
        var accounts: [String: Entry] = [:]
        /// By known device (`KnownDevices.device`).
        var devices: [String: Entry] = [:]
    }

    public static let pairThreshold = 5
    public static let addressThreshold = 20
    public static let accountThreshold = 50
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

    /// Seconds to wait before `account` may try again from `address` (or on the known `device`), or nil when it may
    /// try now (a question only: an attempt goes through `begin`).
    public func wait(account: String, address: String, device: String? = nil) -> Double? {
        let t = now()
        let pair = LoginThrottle.pair(account, address)
        let longest = tally.withLock {
            if let device { return $0.devices[device]?.lockedUntil ?? 0 }
            return max($0.pairs[pair]?.lockedUntil ?? 0, $0.addresses[address]?.lockedUntil ?? 0, $0.accounts[account]?.lockedUntil ?? 0)
        }
        return longest > t ? longest - t : nil
    }

    static func pair(_ account: String, _ address: String) -> String { account + "\u{0}" + address }

    /// Lets one attempt in (counted as under way until `finish`), or says how many seconds to wait: while the name
    /// from this address, the address or the name is locked, or while its failures and the attempts under way reach
    /// its threshold; on a known `device`, while the device is locked or full.
    public func begin(account: String, address: String, device: String? = nil) -> Double? {
        let t = now()
        let pair = LoginThrottle.pair(account, address)
        return tally.withLock { tally -> Double? in
            if let device {
                let e = tally.devices[device]
                if let locked = e?.lockedUntil, locked > t { return locked - t }
                if LoginThrottle.full(e, LoginThrottle.pairThreshold, at: t) { return LoginThrottle.firstPause }
                LoginThrottle.prune(&tally.devices, at: t)
                tally.devices[device, default: Entry()].inFlight += 1
                return nil
            }
            let p = tally.pairs[pair]
            let d = tally.addresses[address]
            let a = tally.accounts[account]
            let locked = max(p?.lockedUntil ?? 0, d?.lockedUntil ?? 0, a?.lockedUntil ?? 0)
            if locked > t { return locked - t }
            // The name's own bound counts failures only (past it, once a pause is over, one attempt at a time): attempts
            // under way from many addresses at once (queued behind the two bcrypt threads) would otherwise fill it
            // before any had failed, and lock the owner out (review, 07/12/2026).
            let nameFull = a.map { $0.counted(at: t) >= LoginThrottle.accountThreshold && $0.inFlight >= 1 } ?? false
            if LoginThrottle.full(p, LoginThrottle.pairThreshold, at: t) || LoginThrottle.full(d, LoginThrottle.addressThreshold, at: t)
                || nameFull
            {
                return LoginThrottle.firstPause
            }
            LoginThrottle.prune(&tally.pairs, at: t)
            LoginThrottle.prune(&tally.addresses, at: t)
            LoginThrottle.prune(&tally.accounts, at: t)
            tally.pairs[pair, default: Entry()].inFlight += 1
            tally.addresses[address, default: Entry()].inFlight += 1
            tally.accounts[account, default: Entry()].inFlight += 1
            return nil
        }
    }

    /// Below the threshold, as many attempts as failures are left; past it (the pause over), one at a time.
    static func full(_ e: Entry?, _ threshold: Int, at t: Double) -> Bool {
        guard let e else { return false }
        let failures = e.counted(at: t)
        return failures >= threshold ? e.inFlight >= 1 : failures + e.inFlight >= threshold
    }

    /// Closes an attempt `begin` let in: a failure counts, a success clears the name's failures (from this address
    /// and from everywhere). On a known `device`, either touches the device's count alone.
    public func finish(account: String, address: String, device: String? = nil, succeeded: Bool) {
        let t = now()
        let pair = LoginThrottle.pair(account, address)
        tally.withLock { tally in
            if let device {
                tally.devices[device]?.inFlight -= 1
                if succeeded {
                    // The name's count stays: the owner signing in on her browser must not hand whoever is guessing
                    // the name fifty more tries.
                    tally.devices[device]?.failures = 0
                    tally.devices[device]?.lockedUntil = 0
                } else {
                    LoginThrottle.count(&tally.devices, device, at: t, threshold: LoginThrottle.pairThreshold)
                }
                return
            }
            tally.pairs[pair]?.inFlight -= 1
            tally.addresses[address]?.inFlight -= 1
            tally.accounts[account]?.inFlight -= 1
            if succeeded {
                tally.pairs[pair]?.failures = 0
                tally.pairs[pair]?.lockedUntil = 0
                tally.accounts[account]?.failures = 0
                tally.accounts[account]?.lockedUntil = 0
            } else {
                LoginThrottle.count(&tally.pairs, pair, at: t, threshold: LoginThrottle.pairThreshold)
                LoginThrottle.count(&tally.addresses, address, at: t, threshold: LoginThrottle.addressThreshold)
                LoginThrottle.count(&tally.accounts, account, at: t, threshold: LoginThrottle.accountThreshold)
            }
        }
    }

    /// Drops entries that no longer count once there are `maxEntries` of them.
    static func prune(_ entries: inout [String: Entry], at t: Double) {
        guard entries.count >= maxEntries else { return }
        entries = entries.filter { t - $0.value.last < window || $0.value.lockedUntil > t || $0.value.inFlight > 0 }
    }

    static func count(_ entries: inout [String: Entry], _ key: String, at t: Double, threshold: Int) {
        prune(&entries, at: t)
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
