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

/// The event loop's bookkeeping, kept in the `Daemon` it runs: when the status files were last written and how far
/// apart they are spaced, the last `STATUS=` line, and why writing to the store fails (degraded mode).
struct LoopStatus {
    var lastWrite = 0.0
    var interval = 1.0
    var summary = ""
    var degraded: String?
    /// Whether degraded mode began with a full disk: then a write that fits in the room the log already has does not
    /// end it (`Daemon.shortOfDisk`).
    var fullDisk = false
    /// The number of the last status write taken in (`StatusPublisher.Outcome.seq`).
    var statusSeq = 0
    /// When the outbox, behind after a refused emission, was last tried (`EventLoop.outboxRetrySeconds`).
    var outboxTried = 0.0
    /// Whether the next wake-up could not be read (the loop tries again every 5 s and says so once).
    var wakeupUnread = false
    /// When what the status files say changes by itself (`Daemon.statusHorizon`): they are written again then.
    var statusHorizon: Instant?
}

/// The single thread that owns the daemon: it sleeps in `poll` until the next wake-up (a timerfd), a signal
/// (signalfd: SIGHUP reload, SIGTERM/SIGINT stop), a request from a control thread (eventfd) or a clock change.
/// No fixed polling interval: with nothing due it only wakes for the watchdog.
///
/// Ownership, checked by the compiler (no `@unchecked`): the daemon is handed over (`sending`) to a `Mutex` that
/// `run` holds for each turn of the loop and never while it sleeps, so jobs and `withDaemon` see it one at a time and
/// none can keep it; the job queue and the stop flag are another `Mutex`. The descriptors are plain numbers, never
/// closed: any thread writes `wakeFD`, only `run` reads the others.
public final class EventLoop: Sendable {
    let hooks: LifecycleHooks
    let clock: DaemonClock
    let wakeFD: Int32
    let signalFD: Int32
    let timerFD: Int32
    let timerClock: Int32
    private let owned: Mutex<Daemon>
    private let queue = Mutex(JobQueue())
    /// When the watchdog was last fed (monotonic seconds), by `run` or by the daemon's heartbeat during a long job.
    private let watchdogFed = Mutex(0.0)

    struct JobQueue {
        var jobs: [(groupable: Bool, job: @Sendable (Daemon) -> Void)] = []
        var running = true
    }

    /// Blocks the signals the loop handles; call on the main thread before any other thread starts.
    public static func blockSignals() { tiendo_block_signals() }

    /// Lets those signals through again (`tiendod --restore`, which runs no loop: Ctrl-C stops it).
    public static func unblockSignals() { tiendo_unblock_signals() }

    /// Takes the daemon over: from here on it is reached through `enqueue`, `submit` and `withDaemon` only.
    public init(daemon: sending Daemon, hooks: LifecycleHooks) throws {
        self.hooks = hooks
        clock = daemon.clock
        wakeFD = tiendo_eventfd()
        signalFD = tiendo_signalfd_hup_term_int()
        timerClock = clock.isFake ? CLOCK_MONOTONIC : CLOCK_REALTIME
        timerFD = tiendo_timerfd(timerClock)
        let publisher = daemon.statusPublisher
        let syncer = daemon.logSyncer
        owned = Mutex(daemon)
        guard wakeFD >= 0, signalFD >= 0, timerFD >= 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        // The end of a background status write wakes the loop, which takes its outcome (`updateStatus`).
        publisher.setOnFinished { [weak self] in self?.wake() }
        // So does the end of a sync of the log: the loop answers the groups it covered (`releaseSynced`).
        syncer?.setOnSynced { [weak self] in self?.wake() }
    }

    /// Runs `body` with the daemon on the calling thread, between two turns of the loop (it waits for a running
    /// job or firing to finish). For set-up before `run` and for tests; never from inside a job (the lock is not
    /// recursive). The result must be `Sendable` so the daemon cannot be handed out through it (Swift does not yet
    /// check a `Mutex` result that is the protected value itself, swiftlang/swift#81274).
    public func withDaemon<T: Sendable>(_ body: (inout sending Daemon) -> T) -> T {
        owned.withLock { body(&$0) }
    }

    /// Runs `job` on the loop thread and waits for its result.
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
        queue.withLock { $0.jobs.append((groupable, job)) }
        wake()
    }

    /// Stops the loop from any thread: the flag first, then the wake-up. The loop reads the eventfd only after
    /// `poll` and checks the flag after that read, so a wake-up it consumes is never one that came before the flag.
    public func stop() {
        queue.withLock { $0.running = false }
        wake()
    }

    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    var hasJobs: Bool { queue.withLock { !$0.jobs.isEmpty } }

    var isRunning: Bool { queue.withLock { $0.running } }

    /// Arms the timer for the next wake-up. Real time: an absolute CLOCK_REALTIME timer that is cancelled when the
    /// clock is set (so jumps are seen at once); fake time: a relative monotonic timer scaled by the rate.
    func arm(_ next: Instant?) {
        if clock.isFake {
            guard let next else {
                tiendo_timer_arm(timerFD, 0, 0, 0)  // disarm
                return
            }
            let delay = max(clock.realDelay(until: next), 0.000_001)
            let sec = Int(delay)
            tiendo_timer_arm(timerFD, sec, max(1, Int((delay - Double(sec)) * 1e9)), 0)
        } else {
            // With nothing due, still arm far ahead so a clock change is noticed.
            tiendo_timer_arm(timerFD, Int(max(next?.seconds ?? 4_102_444_800, 1)), 0, 1)
        }
    }

    func runJobs(_ daemon: Daemon) {
        let js = queue.withLock { q in
            let js = q.jobs
            q.jobs.removeAll()
            return js
        }
        var i = 0
        // After a failed sync of the log no job runs: nothing more is written or answered.
        while i < js.count, daemon.syncFailure == nil {
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

    /// Reloads workflows and calendars (SIGHUP, or a `Reload` job with its caller's uid as `actor`).
    public func reload(_ daemon: Daemon, actor: Int? = nil) {
        hooks.reloading()
        daemon.log.info("Đang nạp lại định nghĩa quy trình và lịch…", metadata: .event(.lifecycle))
        daemon.loadDefinitions(actor: actor)
        updateStatus(daemon, force: true)
        hooks.ready(daemon.loopStatus.summary)
    }

    /// At start-up, before READY: the `STATUS=` line now, from the workflows' totals (what GetStatus reads), and the
    /// status files on the publisher's thread. Writing the files here was most of the start-up on large stores (at
    /// 10^6 about 0.25 s of 0.34 s: the counts of every group, the due items of each workflow) and nothing needs them
    /// before READY=1; they follow within one write's time. If the totals cannot be read, the files are written
    /// here as before (the write logs why it failed).
    public func startStatus() {
        withDaemon { daemon in
            let now = daemon.clock.now()
            guard let s = try? daemon.views.summaries(now: now, groups: false, nextDue: false) else {
                updateStatus(daemon, force: true)
                return
            }
            daemon.loopStatus.summary = daemon.summaryLine(instances: s.instances, overdue: s.overdue)
            hooks.status(daemon.loopStatus.summary)
            daemon.statusDirty = !daemon.statusPublisher.writeLater(daemon.statusSnapshot(now: now))
            daemon.loopStatus.statusHorizon = daemon.statusHorizon(after: now)
            daemon.loopStatus.lastWrite = DaemonClock.monotonic()
        }
    }

    /// Writes the status files (at most once a second, on the status publisher's thread; `force`: now, on this one)
    /// and keeps the service manager's STATUS= current.
    func updateStatus(_ daemon: Daemon, force: Bool = false) {
        if let done = daemon.statusPublisher.takeFinished() { statusWritten(daemon, done) }
        guard daemon.statusDirty || force else { return }
        let now = daemon.clock.now()
        if force {
            daemon.statusDirty = false
            daemon.loopStatus.statusHorizon = daemon.statusHorizon(after: now)
            statusWritten(daemon, daemon.statusPublisher.writeNow(daemon.statusSnapshot(now: now)))
            return
        }
        let nowReal = DaemonClock.monotonic()
        guard nowReal - daemon.loopStatus.lastWrite >= daemon.loopStatus.interval else { return }
        // One write at a time: the end of the running one wakes the loop, which comes back here.
        guard daemon.statusPublisher.writeLater(daemon.statusSnapshot(now: now)) else { return }
        daemon.statusDirty = false
        daemon.loopStatus.statusHorizon = daemon.statusHorizon(after: now)
        daemon.loopStatus.lastWrite = nowReal
    }

    /// Takes in the outcome of a status write: the spacing of the next, the STATUS= line, an error logged (and the
    /// files marked for another try).
    func statusWritten(_ daemon: Daemon, _ outcome: StatusPublisher.Outcome) {
        // A background write that ended before a forced one was written or taken in is older than what is shown.
        guard outcome.seq > daemon.loopStatus.statusSeq else { return }
        daemon.loopStatus.statusSeq = outcome.seq
        daemon.loopStatus.lastWrite = DaemonClock.monotonic()
        // At most once a second; on large stores spaced to keep the writes under ~20% of a core, but never more
        // than 5 s behind a change.
        daemon.loopStatus.interval = min(5, max(1, 5 * outcome.seconds))
        guard let s = daemon.summaries(of: outcome) else { return }
        var line = daemon.summaryLine(instances: s.instances, overdue: s.overdue)
        if let degraded = daemon.loopStatus.degraded { line += " — SỰ CỐ: \(degraded)" }
        if line != daemon.loopStatus.summary {
            daemon.loopStatus.summary = line
            hooks.status(line)
        }
    }

    func fire(_ daemon: Daemon) {
        let now = daemon.clock.now()
        // A degraded loop runs the tick to find out whether it can write again.
        if daemon.loopStatus.degraded == nil && daemon.nothingDue(at: now) {
            daemon.tallyCatchUp(Daemon.TickResult(), reason: "khi thức dậy")
            return
        }
        do {
            let r = try daemon.tick(now: now, within: daemon.options.tickSeconds)
            // A tick with nothing due writes nothing, which passed for a write on a full disk (the mode then left and
            // entered at every request): degraded mode ends on a write that reached the file.
            if daemon.loopStatus.degraded != nil {
                try daemon.store.setMeta("write_probe", Zone.vietnam.iso(now))
                // The log a refused transaction grew keeps its size (up to its limit) and holds the disk full: given
                // back, the room it took is free again.
                if daemon.loopStatus.fullDisk { _ = daemon.store.emptyLog() }
            }
            // On a full disk a one-row write fits in the log's room while every change fails: the mode then ended
            // and began again at every request, and status never showed it (operations audit, 07/12/2026).
            if !daemon.shortOfDisk() { daemon.leaveDegraded() }
            daemon.tallyCatchUp(r, reason: "khi thức dậy")
        } catch {
            daemon.enterDegraded(error, now: now)
        }
    }

    /// Feeds the watchdog when at least `fraction` of its interval has passed since it was last fed.
    func feedWatchdog(after fraction: Double) {
        guard let w = hooks.watchdogInterval else { return }
        watchdogFed.withLock { fed in
            guard DaemonClock.monotonic() - fed >= w * fraction else { return }
            hooks.watchdog()
            fed = DaemonClock.monotonic()
        }
    }

    /// How often records held back in the outbox (journald refused one) are tried again at most.
    static let outboxRetrySeconds = 2.0

    /// One turn before the loop sleeps: queued jobs, what is due, the sender's streams, the status files, the
    /// timer. Returns how long `poll` may sleep, in milliseconds (-1: until woken).
    func turn(_ daemon: Daemon) -> Int32 {
        // After a failed sync of the log the turn ends where it is, and `run` returns.
        daemon.releaseSynced()
        guard daemon.syncFailure == nil else { return 0 }
        runJobs(daemon)
        guard daemon.syncFailure == nil else { return 0 }
        fire(daemon)
        guard daemon.syncFailure == nil else { return 0 }
        // Operators' changes refused for the clock: said in the status, and the loop wakes when it ends.
        let clockRight = daemon.updateClockStatus(daemon.clock.now())
        daemon.flushDeliveryChanges()
        // Time alone changes the files: an item falls overdue, a day goes by (days left, due within 7 days).
        // Cleared once taken: a write put off (its spacing, one still running) must not leave a horizon in the past
        // armed, which fires at once and turned the loop round thousands of times (review, 07/12/2026). The write
        // sets the next one.
        if let h = daemon.loopStatus.statusHorizon, daemon.clock.now() >= h {
            daemon.statusDirty = true
            daemon.loopStatus.statusHorizon = nil
        }
        updateStatus(daemon)
        // Sent marks when the loop goes idle; records held back in the outbox are tried again then, and every few
        // seconds under load or when nothing else wakes the loop.
        let now = DaemonClock.monotonic()
        let retryOutbox = daemon.outboxBehind && now - daemon.loopStatus.outboxTried >= EventLoop.outboxRetrySeconds
        if !hasJobs || retryOutbox {
            if retryOutbox { daemon.loopStatus.outboxTried = now }
            daemon.flushSentMarks(retryOutbox: retryOutbox, idle: true)
        }
        let degraded = daemon.loopStatus.degraded != nil
        // A wake-up that cannot be read is tried again like a failed write, not left unarmed until a request.
        if degraded {
            arm(nil)
        } else {
            do {
                let next = try daemon.store.nextWakeup()
                arm([next, daemon.loopStatus.statusHorizon, clockRight].compactMap { $0 }.min())
                if daemon.loopStatus.wakeupUnread {
                    daemon.log.notice("Đã đọc lại được thời điểm cần thức dậy tiếp theo", metadata: .event(.lifecycle))
                    daemon.loopStatus.wakeupUnread = false
                }
            } catch {
                if !daemon.loopStatus.wakeupUnread {
                    daemon.log.error(
                        "Không đọc được thời điểm cần thức dậy tiếp theo (\(error)); thử lại mỗi 5 giây", metadata: .event(.lifecycle))
                }
                daemon.loopStatus.wakeupUnread = true
                arm(nil)
            }
        }
        var timeout: Int32 = -1
        // A status write running ends by waking the loop: no timeout for it.
        if daemon.statusDirty && !daemon.statusPublisher.isRunning {
            let nextWrite = daemon.loopStatus.lastWrite + daemon.loopStatus.interval
            timeout = Int32(max(0, (nextWrite - DaemonClock.monotonic()) * 1000) + 1)
        }
        if degraded || daemon.loopStatus.wakeupUnread { timeout = timeout < 0 ? 5000 : min(timeout, 5000) }
        if daemon.outboxBehind {
            let retry = Int32(max(0, (daemon.loopStatus.outboxTried + EventLoop.outboxRetrySeconds - now) * 1000) + 1)
            timeout = timeout < 0 ? retry : min(timeout, retry)
        }
        if let w = hooks.watchdogInterval {
            let remaining = Int32(max(0, (watchdogFed.withLock { $0 } + w - DaemonClock.monotonic()) * 1000))
            timeout = timeout < 0 ? remaining : min(timeout, remaining)
        }
        return timeout
    }

    /// The loop. Returns when stopped by SIGTERM/SIGINT or `stop()` (true), or at once when the log could not be
    /// synced (false: `Daemon.syncFailure`; nothing more is written, answered or emitted).
    @discardableResult
    public func run() -> Bool {
        watchdogFed.withLock { $0 = DaemonClock.monotonic() }
        withDaemon { $0.heartbeat = { [unowned self] in self.feedWatchdog(after: 0.5) } }
        defer { withDaemon { $0.statusPublisher }.waitUntilIdle() }
        while isRunning {
            let timeout = withDaemon { turn($0) }
            if withDaemon({ $0.syncFailure != nil }) { return false }
            var fds = [
                pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0), pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: timerFD, events: Int16(POLLIN), revents: 0),
            ]
            let n = poll(&fds, 3, timeout)
            if n < 0 && errno != EINTR {
                let reason = String(cString: strerror(errno))
                withDaemon { $0.log.error("poll: \(reason)") }
            }
            feedWatchdog(after: 0.9)
            if fds[0].revents != 0 {
                var v: UInt64 = 0
                _ = read(wakeFD, &v, 8)
            }
            if fds[2].revents != 0, tiendo_timer_read(timerFD) == -2 {
                withDaemon { d in
                    let delta = d.clock.now().seconds - d.lastNow.seconds
                    d.log.warning(
                        "Đồng hồ hệ thống vừa bị đặt lại (\(delta >= 0 ? "tiến" : "lùi") khoảng \(Messages.span(seconds: Int(abs(delta))))); lập lại lịch, không việc nào bị mất hay lặp",
                        metadata: .event(.lifecycle))
                }
            }
            if fds[1].revents != 0 {
                while case let signo = tiendo_signalfd_read(signalFD), signo > 0 {
                    switch signo {
                    case SIGHUP: withDaemon { reload($0) }
                    case SIGTERM, SIGINT: queue.withLock { $0.running = false }
                    default: break
                    }
                }
            }
        }
        hooks.stopping()
        return withDaemon { d in
            runJobs(d)
            // The groups still held are answered before the daemon goes, and the log is synced (the idle
            // watermark's commit did not wait for it).
            guard d.settleHeld(always: true) else { return false }
            d.flushSentMarks()
            updateStatus(d, force: true)
            return true
        }
    }
}

/// A reply handed from the loop thread to the thread waiting in `submit`.
final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
