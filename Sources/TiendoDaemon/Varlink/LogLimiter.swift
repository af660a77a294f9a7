import Foundation
import Synchronization

/// Rate limit for log lines about repeated faults (refused connections, bad messages, a full file table): at most
/// `burst` lines per key in each `window` seconds; the next line let through says how many were left out.
/// Used on one thread (the varlink I/O thread).
struct LogLimiter {
    var burst = 5
    var window = 10.0
    private var state: [String: (start: Double, count: Int, dropped: Int)] = [:]

    init(burst: Int = 5, window: Double = 10) {
        self.burst = burst
        self.window = window
    }

    /// The line to log for `key` at monotonic time `now`, or nil when it is left out.
    mutating func line(_ key: String, _ message: @autoclosure () -> String, now: Double) -> String? {
        var s = state[key] ?? (start: now, count: 0, dropped: 0)
        if now - s.start >= window {
            s.start = now
            s.count = 0
        }
        guard s.count < burst else {
            s.dropped += 1
            state[key] = s
            return nil
        }
        s.count += 1
        let dropped = s.dropped
        s.dropped = 0
        state[key] = s
        if state.count > 1024 { state = state.filter { now - $0.value.start < window } }
        return dropped > 0 ? "\(message()) (và \(dropped) thông báo tương tự trước đó đã được lược bớt)" : message()
    }
}

/// The refusals of the control services (a call a peer may not make), logged as the server's other repeated faults
/// (README "Limits"): at most 5 lines per 10 s per method and uid. One local user's flood of refused calls, 20,000
/// lines in two seconds (audit, 07/12/2026), would otherwise fill the journal, whose rate limit then drops tiendod's
/// own records. The services run on several threads: the limiter is behind a lock.
final class RefusalLog: Sendable {
    private let limiter = Mutex(LogLimiter())
    private let log: @Sendable (Int, String) -> Void

    init(log: @escaping @Sendable (Int, String) -> Void) { self.log = log }

    /// «Từ chối METHOD của uid U (pid P): WHY».
    func refused(_ method: String, uid: uid_t, pid: Int32, _ why: @autoclosure () -> String) {
        let line = limiter.withLock {
            $0.line("\(method)|\(uid)", "Từ chối \(method) của uid \(uid) (pid \(pid)): \(why())", now: DaemonClock.monotonic())
        }
        if let line { log(4, line) }
    }
}
