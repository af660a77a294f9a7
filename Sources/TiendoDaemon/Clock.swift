import Foundation
public import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's clock: the real wall clock, or a fake clock that starts at an instant and runs `rate` times faster
/// (for tests and demos). `now()` is whole seconds, like every instant in records.
public struct DaemonClock: Sendable {
    public let fakeStart: Instant?
    public let rate: Double
    let monotonicStart: Double

    public init(fakeStart: Instant? = nil, rate: Double = 1) {
        self.fakeStart = fakeStart
        self.rate = max(rate, 0.000001)
        monotonicStart = DaemonClock.monotonic()
    }

    public var isFake: Bool { fakeStart != nil }

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
        if let f = fakeStart { return Double(f.seconds) + (DaemonClock.monotonic() - monotonicStart) * rate }
        return DaemonClock.wall()
    }

    public func now() -> Instant { Instant(seconds: Int64(preciseNow().rounded(.down))) }

    /// Real seconds to wait until `t` on this clock.
    public func realDelay(until t: Instant) -> Double {
        max(0, (Double(t.seconds) - preciseNow()) / rate)
    }
}
