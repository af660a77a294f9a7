import CLinux
import Foundation
import Synchronization
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// Hooks for the service manager (sd_notify), set by the executable.
public struct LifecycleHooks: Sendable {
    public var ready: @Sendable (_ status: String) -> Void = { _ in }
    public var status: @Sendable (_ status: String) -> Void = { _ in }
    public var reloading: @Sendable () -> Void = {}
    public var stopping: @Sendable () -> Void = {}
    public var watchdog: @Sendable () -> Void = {}
    /// Half of WATCHDOG_USEC, in seconds, when the watchdog is enabled.
    public var watchdogInterval: Double?
    public init() {}
}

/// The single thread that owns the daemon: it sleeps in `poll` until the next wake-up (a timerfd), a signal
/// (signalfd: SIGHUP reload, SIGTERM/SIGINT stop), a request from a control thread (eventfd) or a clock change.
/// No fixed polling interval: with nothing due it only wakes for the watchdog.
/// Unchecked Sendable: its fds and vars are the loop thread's; `jobs` under `lock`.
public final class EventLoop: @unchecked Sendable {
    let daemon: Daemon
    let hooks: LifecycleHooks
    let wakeFD: Int32
    let signalFD: Int32
    let timerFD: Int32
    let timerClock: Int32
    private let lock = NSLock()
    private var jobs: [(groupable: Bool, job: @Sendable (Daemon) -> Void)] = []
    private var running = true
    var lastStatusWrite = 0.0
    /// When the watchdog was last fed (loop thread).
    var lastWatchdog = 0.0
    var statusInterval = 1.0
    var degraded: String?
    var lastSummary = ""
    /// Called on the loop thread after every reload (the control socket waits for it).
    var reloadWaiters: [@Sendable () -> Void] = []

    /// Blocks the signals the loop handles; call on the main thread before any other thread starts.
    public static func blockSignals() { tiendo_block_signals() }

    public init(daemon: Daemon, hooks: LifecycleHooks) throws {
        self.daemon = daemon
        self.hooks = hooks
        wakeFD = tiendo_eventfd()
        signalFD = tiendo_signalfd_hup_term_int()
        timerClock = daemon.clock.isFake ? CLOCK_MONOTONIC : CLOCK_REALTIME
        timerFD = tiendo_timerfd(timerClock)
        guard wakeFD >= 0, signalFD >= 0, timerFD >= 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// Runs `job` on the loop thread and waits for its result (control-socket requests).
    public func submit<T: Sendable>(_ job: @escaping @Sendable (Daemon) -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        enqueue { d in
            let result = job(d)
            box.value.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return box.value.withLock { $0 }!
    }

    /// Queues `job` on the loop thread without waiting. Consecutive `groupable` jobs (operator changes) share one
    /// transaction: one fsync for all of them (group commit); they reply through `Daemon.afterCommit`.
    public func enqueue(groupable: Bool = false, _ job: @escaping @Sendable (Daemon) -> Void) {
        lock.lock()
        jobs.append((groupable, job))
        lock.unlock()
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Stops the loop from any thread: the flag first, then the wake-up, so the loop cannot consume the wake-up
    /// and go back to sleep before it sees the flag.
    public func stop() {
        lock.lock()
        running = false
        lock.unlock()
        enqueue { _ in }
    }

    var hasJobs: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !jobs.isEmpty
    }

    var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Arms the timer for the next wake-up. Real time: an absolute CLOCK_REALTIME timer that is cancelled when the
    /// clock is set (so jumps are seen at once); fake time: a relative monotonic timer scaled by the rate.
    func arm(_ next: Instant?) {
        if daemon.clock.isFake {
            guard let next else {
                tiendo_timer_arm(timerFD, 0, 0, 0)  // disarm
                return
            }
            let delay = max(daemon.clock.realDelay(until: next), 0.000_001)
            let sec = Int(delay)
            tiendo_timer_arm(timerFD, sec, max(1, Int((delay - Double(sec)) * 1e9)), 0)
        } else {
            // With nothing due, still arm far ahead so a clock change is noticed.
            tiendo_timer_arm(timerFD, Int(max(next?.seconds ?? 4_102_444_800, 1)), 0, 1)
        }
    }

    func runJobs() {
        lock.lock()
        let js = jobs
        jobs.removeAll()
        lock.unlock()
        var i = 0
        while i < js.count {
            guard js[i].groupable else {
                js[i].job(daemon)
                i += 1
                continue
            }
            var j = i
            while j < js.count && js[j].groupable { j += 1 }
            let run = js[i..<j]
            daemon.group { for g in run { g.job(daemon) } }
            i = j
        }
    }

    /// Reloads workflows and calendars (SIGHUP, or `Reload` with its caller's uid as `actor`).
    public func reload(actor: Int? = nil) {
        hooks.reloading()
        daemon.log.info("Đang nạp lại định nghĩa quy trình và lịch…", metadata: .event(.lifecycle))
        daemon.loadDefinitions(actor: actor)
        let waiters = reloadWaiters
        reloadWaiters.removeAll()
        for w in waiters { w() }
        updateStatus(force: true)
        hooks.ready(lastSummary)
    }

    /// Writes the status files now (at start-up, before READY).
    public func updateStatusNow() { updateStatus(force: true) }

    /// Writes the status files (at most once a second) and keeps the service manager's STATUS= current.
    func updateStatus(force: Bool = false) {
        let nowReal = DaemonClock.monotonic()
        guard daemon.statusDirty || force else { return }
        guard force || nowReal - lastStatusWrite >= statusInterval else { return }
        let now = daemon.clock.now()
        let summaries = daemon.writeStatus(now: now)
        lastStatusWrite = DaemonClock.monotonic()
        // At most once a second; on large stores spaced to keep aggregation under ~20% of the loop's time,
        // but never more than 5 s behind a change.
        statusInterval = min(5, max(1, 5 * (lastStatusWrite - nowReal)))
        if let s = summaries {
            var line = daemon.summaryLine(instances: s.instances, overdue: s.overdue)
            if let degraded { line += " — SỰ CỐ: \(degraded)" }
            if line != lastSummary {
                lastSummary = line
                hooks.status(line)
            }
        }
    }

    func fire() {
        let now = daemon.clock.now()
        do {
            let r = try daemon.tick(now: now)
            if degraded != nil {
                daemon.log.notice("Đã ghi lại được vào cơ sở dữ liệu; hết chế độ suy giảm", metadata: .event(.lifecycle))
                degraded = nil
                daemon.statusDirty = true
            }
            if r.late > 0 { daemon.reportCatchUp(r, reason: "khi thức dậy") }
        } catch {
            if degraded == nil {
                daemon.log.critical(
                    "KHÔNG GHI ĐƯỢC trạng thái (\(error)); không gửi gì chưa được ghi, sẽ thử lại mỗi 5 giây", metadata: .event(.lifecycle))
            }
            degraded = "\(error)"
            daemon.statusDirty = true
        }
    }

    /// The loop. Returns when stopped by SIGTERM/SIGINT or `stop()`.
    public func run() {
        lastWatchdog = DaemonClock.monotonic()
        daemon.heartbeat = { [unowned self] in
            if let w = self.hooks.watchdogInterval, DaemonClock.monotonic() - self.lastWatchdog >= w * 0.5 {
                self.hooks.watchdog()
                self.lastWatchdog = DaemonClock.monotonic()
            }
        }
        while isRunning {
            runJobs()
            fire()
            daemon.flushDeliveryChanges()
            updateStatus()
            if !hasJobs { daemon.flushSentMarks() }
            let next = degraded == nil ? (try? daemon.store.nextWakeup()) ?? nil : nil
            arm(next)
            var timeout: Int32 = -1
            if daemon.statusDirty {
                timeout = Int32(max(0, (lastStatusWrite + statusInterval - DaemonClock.monotonic()) * 1000) + 1)
            }
            if degraded != nil { timeout = timeout < 0 ? 5000 : min(timeout, 5000) }
            if let w = hooks.watchdogInterval {
                let remaining = Int32(max(0, (lastWatchdog + w - DaemonClock.monotonic()) * 1000))
                timeout = timeout < 0 ? remaining : min(timeout, remaining)
            }
            var fds = [
                pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0), pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: timerFD, events: Int16(POLLIN), revents: 0),
            ]
            let n = poll(&fds, 3, timeout)
            if n < 0 && errno != EINTR { daemon.log.error("poll: \(String(cString: strerror(errno)))") }
            if let w = hooks.watchdogInterval, DaemonClock.monotonic() - lastWatchdog >= w * 0.9 {
                hooks.watchdog()
                lastWatchdog = DaemonClock.monotonic()
            }
            if fds[0].revents != 0 {
                var v: UInt64 = 0
                _ = read(wakeFD, &v, 8)
            }
            if fds[2].revents != 0 {
                if tiendo_timer_read(timerFD) == -2 {
                    let now = daemon.clock.now()
                    let before = daemon.lastNow
                    let delta = now.seconds - before.seconds
                    daemon.log.warning(
                        "Đồng hồ hệ thống vừa bị đặt lại (\(delta >= 0 ? "tiến" : "lùi") khoảng \(Messages.span(seconds: Int(abs(delta))))); lập lại lịch, không việc nào bị mất hay lặp",
                        metadata: .event(.lifecycle))
                }
            }
            if fds[1].revents != 0 {
                while case let signo = tiendo_signalfd_read(signalFD), signo > 0 {
                    switch signo {
                    case SIGHUP: reload()
                    case SIGTERM, SIGINT:
                        lock.lock()
                        running = false
                        lock.unlock()
                    default: break
                    }
                }
            }
        }
        hooks.stopping()
        runJobs()
        daemon.flushSentMarks()
        updateStatus(force: true)
    }
}

/// A reply handed from the loop thread to the thread waiting in `submit`.
final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
