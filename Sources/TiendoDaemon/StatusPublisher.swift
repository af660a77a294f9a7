import Dispatch
import Foundation
import Synchronization
import TiendoCore

/// Writes the status files on a thread of its own. Reading the summaries of a large store and writing the files
/// took up to a fifth of the loop thread's time under load (16 clients sending events at 3·10^5 instances: 14 %,
/// about 130 ms once a second, `docs/performance.md`), and every request waited behind it; off the loop, requests
/// and firing go on meanwhile. The parts of one write (summaries, each workflow's due items, the overdue ages, the
/// deliveries) are read in one `Store.Snapshot`, one read transaction, so they agree with each other (each
/// workflow's due items and next item come from the due index in memory, which the loop updates right after each
/// commit: at most one commit apart from the counts); what the loop commits meanwhile shows in the next write.
///
/// One background write at a time: `writeLater` (the loop, at most once a second) hands a snapshot to the thread
/// unless a write is running; when it ends, `onFinished` wakes the loop, which takes the outcome (`takeFinished`):
/// the summaries for the `STATUS=` line, how long it took (the spacing of the next), an error to log. `writeNow`
/// (start-up, reload, stop, tests) writes on the caller's thread, after a write still running. Every snapshot is
/// numbered when handed over, on the loop thread; a write whose number is older than the files' is skipped, so an
/// older snapshot never replaces newer files.
///
/// Its own thread rather than a dispatch queue: libdispatch's Linux thread pool keeps a monitor waking every second
/// once used, and an idle daemon must not wake (a `DispatchSemaphore` is only a semaphore: no pool).
final class StatusPublisher: Sendable {
    struct Outcome: Sendable {
        /// The number of the snapshot written (`LoopStatus.statusSeq` ignores older outcomes).
        var seq: Int
        /// nil: skipped, newer files were already written.
        var result: Result<Views.Summaries, any Error>?
        /// Seconds taken to read, render and write.
        var seconds: Double
    }

    private struct State {
        var seq = 0
        var pending: (seq: Int, snapshot: StatusSnapshot)?
        var running = false
        var finished: Outcome?
        var onFinished: (@Sendable () -> Void)?
    }

    private struct Files {
        var writer: StatusWriter
        /// The number of the snapshot the files hold.
        var seq = 0
    }

    private let state = Mutex(State())
    /// Held for a whole write: one at a time.
    private let files: Mutex<Files>
    private let work = DispatchSemaphore(value: 0)
    /// Signalled after each `writeLater` write (`waitUntilIdle` rechecks `running` after each signal it takes).
    private let ended = DispatchSemaphore(value: 0)

    init(directory: String) throws {
        let w = StatusWriter(directory: directory)
        try w.prepare()
        files = Mutex(Files(writer: w))
        let t = Thread { [self] in self.run() }
        t.name = "status"
        t.stackSize = 1 << 20
        t.start()
    }

    /// Called (on the publisher's thread) when a `writeLater` write has ended.
    func setOnFinished(_ f: @escaping @Sendable () -> Void) { state.withLock { $0.onFinished = f } }

    /// Whether a `writeLater` write is asked for or running.
    var isRunning: Bool { state.withLock { $0.running } }

    /// Returns once no `writeLater` write is asked for or running, so that a loop which has returned leaves no write
    /// behind it (one landing later would make a runtime directory removed meanwhile again).
    func waitUntilIdle() { while isRunning { ended.wait() } }

    /// Hands `snapshot` to the publisher's thread; false (nothing handed over) while a write runs.
    func writeLater(_ snapshot: StatusSnapshot) -> Bool {
        let handed = state.withLock { s in
            if s.running { return false }
            s.running = true
            s.seq += 1
            s.pending = (s.seq, snapshot)
            return true
        }
        if handed { work.signal() }
        return handed
    }

    /// The outcome of the last `writeLater` write, once (nil: none ended since the last call).
    func takeFinished() -> Outcome? {
        state.withLock { s in
            defer { s.finished = nil }
            return s.finished
        }
    }

    /// Writes `snapshot`'s files on the calling thread, after a write still running.
    func writeNow(_ snapshot: StatusSnapshot) -> Outcome {
        let seq = state.withLock { s in
            s.seq += 1
            return s.seq
        }
        return write(snapshot, seq: seq)
    }

    private func run() {
        while true {
            work.wait()
            let taken = state.withLock { s in
                defer { s.pending = nil }
                return s.pending
            }
            guard let (seq, snapshot) = taken else { continue }
            let outcome = write(snapshot, seq: seq)
            let notify = state.withLock { s in
                s.running = false
                s.finished = outcome
                return s.onFinished
            }
            ended.signal()
            notify?()
        }
    }

    private func write(_ snapshot: StatusSnapshot, seq: Int) -> Outcome {
        let start = DaemonClock.monotonic()
        let result: Result<Views.Summaries, any Error>? = files.withLock { f in
            guard seq > f.seq else { return nil }
            // Taken even if this write fails partway: an older snapshot must not then replace the files it did
            // write (a failed write marks the status dirty, and the next one repairs them).
            f.seq = seq
            return Result {
                let out = try snapshot.render()
                try f.writer.write(status: out.status, workflows: out.workflows, prometheus: out.prometheus)
                return out.summaries
            }
        }
        return Outcome(seq: seq, result: result, seconds: DaemonClock.monotonic() - start)
    }
}
