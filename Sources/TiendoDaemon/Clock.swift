import Foundation
import Synchronization
public import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// A clock that moves only when told to: in-process scheduler tests set it, call `Daemon.tick`, and run in
/// milliseconds whatever span of time they cover. Shared by reference, so a test keeps it and the daemon reads it.
public final class ManualTime: Sendable {
    private let seconds: Mutex<Int64>

    public init(_ start: Instant) { seconds = Mutex(start.seconds) }

    public var now: Instant { Instant(seconds: seconds.withLock { $0 }) }

    /// Sets the time; it never goes back (a test that needs a clock going back runs the real process on a fake clock).
    public func set(_ t: Instant) { seconds.withLock { $0 = max($0, t.seconds) } }

    public func advance(seconds s: Int64) { seconds.withLock { $0 += max(0, s) } }
}

/// The daemon's clock: the real wall clock, a fake clock that starts at an instant and runs `rate` times faster
/// (for tests and demos), or a manual one (`ManualTime`, in-process tests; the event loop is not run on it).
/// `now()` is whole seconds, like every instant in records.
public struct DaemonClock: Sendable {
    public let fakeStart: Instant?
    public let rate: Double
    public let manual: ManualTime?
    let monotonicStart: Double

    public init(fakeStart: Instant? = nil, rate: Double = 1) {
        self.fakeStart = fakeStart
        self.rate = max(rate, 0.000001)
        manual = nil
        monotonicStart = DaemonClock.monotonic()
    }

    /// A clock that reads `time` and moves only when the caller moves it.
    public init(manual time: ManualTime) {
        fakeStart = nil
        rate = 1
        manual = time
        monotonicStart = DaemonClock.monotonic()
    }

    public var isFake: Bool { fakeStart != nil || manual != nil }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func wall() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Precise current time in seconds since the epoch (fractional).
    public func preciseNow() -> Double {
        if let manual { return Double(manual.now.seconds) }
        if let f = fakeStart { return Double(f.seconds) + (DaemonClock.monotonic() - monotonicStart) * rate }
        return DaemonClock.wall()
    }

    public func now() -> Instant { Instant(seconds: Int64(preciseNow().rounded(.down))) }

    /// The fastest a fake clock may run (`--time-rate`): about three years a second. Faster, its instants leave
    /// what an `Instant` holds within minutes (1e308 trapped at the first reading).
    public static let maxRate = 1e8

    /// `--time-rate` as people read it: `86400`, `0,5`.
    public static func rateText(_ rate: Double) -> String {
        rate == rate.rounded() ? String(Int64(rate)) : String(rate).replacingOccurrences(of: ".", with: ",")
    }

    /// Real seconds to wait until `t` on this clock.
    public func realDelay(until t: Instant) -> Double {
        max(0, (Double(t.seconds) - preciseNow()) / rate)
    }
}
