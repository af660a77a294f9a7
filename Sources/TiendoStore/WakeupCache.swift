import Synchronization

/// The earliest `next_wakeup` of all instances, known in memory between commits: the loop asks for it at the end of
/// every turn, and before this asked SQLite each time (`SELECT MIN(next_wakeup)` in a read transaction of a reader
/// connection: 5 % of the loop thread under 16 SendEvent clients at 10^6, and an empty write transaction for the
/// tick that found nothing due, 2.4 % more).
///
/// Every commit reports the earliest wake-up it set and the earliest it took away (`PendingWakeups`, applied after
/// COMMIT by `Store.write`): a wake-up set lowers the minimum; one taken away at or below it makes the minimum
/// unknown, and the next question reads it again (a firing batch takes away the minimum each time: one read per
/// batch, as before). A savepoint rolled back, or a tick that found nothing due where the minimum said something was,
/// also make it unknown, so a wrong value cannot outlive one turn. All wake-ups are written by `Transaction.commit`.
final class WakeupCache: Sendable {
    private struct State {
        var known = false
        /// The earliest wake-up when `known` (nil: no instance has one).
        var earliest: Int64?
        /// Counts the commits applied, so that a read begun before one does not overwrite what it reported.
        var generation: UInt64 = 0
    }
    private let state = Mutex(State())

    /// The earliest wake-up if known: `.some(nil)` when no instance has one, nil when unknown.
    var earliest: Int64?? {
        state.withLock { $0.known ? .some($0.earliest) : nil }
    }

    var generation: UInt64 { state.withLock { $0.generation } }

    /// What a read found, kept unless a commit was applied since `generation` was taken.
    func learn(_ earliest: Int64?, ifGeneration generation: UInt64) {
        state.withLock {
            guard $0.generation == generation else { return }
            ($0.known, $0.earliest) = (true, earliest)
        }
    }

    /// A committed transaction's wake-ups.
    func apply(_ p: PendingWakeups) {
        state.withLock { s in
            s.generation &+= 1
            guard s.known else { return }
            if p.unsure {
                s.known = false
                return
            }
            if let removed = p.lowestRemoved, s.earliest.map({ removed <= $0 }) ?? true {
                s.known = false
                return
            }
            if let set = p.lowestSet { s.earliest = min(s.earliest ?? set, set) }
        }
    }

    func forget() {
        state.withLock {
            $0.generation &+= 1
            $0.known = false
        }
    }
}

/// The wake-ups one write transaction set and took away, for `WakeupCache`.
final class PendingWakeups {
    var lowestSet: Int64?
    var lowestRemoved: Int64?
    /// A savepoint was rolled back: what was reported may not have been written.
    var unsure = false

    /// One instance's wake-up changed from `old` to `new` (nil: none).
    func moved(from old: Int64?, to new: Int64?) {
        guard old != new else { return }
        if let new { lowestSet = min(lowestSet ?? new, new) }
        if let old { lowestRemoved = min(lowestRemoved ?? old, old) }
    }
}
