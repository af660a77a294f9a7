import Dispatch
import Foundation
import Synchronization
import TiendoCore

/// Writes the status files on a thread of its own. Reading the summaries of a large store and writing the files
/// took up to a fifth of the loop thread's time under load (16 clients sending events at 3·10^5 instances: 14 %,
/// `make bench` profile); off the loop, operators' requests and firing go on meanwhile, and a reader connection does
/// the reading (WAL: it sees what was committed when it began).
///
/// One write at a time, in the order asked. `writeLater` (the loop, at most once a second) starts one unless one is
/// running; when it ends, `onFinished` wakes the loop, which takes the outcome (`takeFinished`): the summaries for
/// the `STATUS=` line, how long it took (the spacing of the next), an error to log. `writeNow` (start-up, reload,
/// stop, tests) waits for a write still running, then writes on the caller's thread and returns the outcome.
final class StatusPublisher: Sendable {
    struct Outcome: Sendable {
        var result: Result<Views.Summaries, any Error>
        /// Seconds taken to read, render and write.
        var seconds: Double
    }

    private struct State {
        var running = false
        var finished: Outcome?
        var onFinished: (@Sendable () -> Void)?
    }

    private let queue = DispatchQueue(label: "vn.tiendo.status")
    private let writer: Mutex<StatusWriter>
    private let state = Mutex(State())

    init(directory: String) throws {
        let w = StatusWriter(directory: directory)
        try w.prepare()
        writer = Mutex(w)
    }

    /// Called (on the publisher's thread) when a `writeLater` write has ended.
    func setOnFinished(_ f: @escaping @Sendable () -> Void) { state.withLock { $0.onFinished = f } }

    /// Whether a `writeLater` write is running.
    var isRunning: Bool { state.withLock { $0.running } }

    /// Starts writing `snapshot`'s files on the publisher's thread; false (nothing started) while a write runs.
    func writeLater(_ snapshot: StatusSnapshot) -> Bool {
        let started = state.withLock { s in
            if s.running { return false }
            s.running = true
            return true
        }
        guard started else { return false }
        queue.async {
            let outcome = self.write(snapshot)
            let notify = self.state.withLock { s in
                s.running = false
                s.finished = outcome
                return s.onFinished
            }
            notify?()
        }
        return true
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
        queue.sync { write(snapshot) }
    }

    private func write(_ snapshot: StatusSnapshot) -> Outcome {
        let start = DaemonClock.monotonic()
        let result = Result<Views.Summaries, any Error> {
            let files = try snapshot.render()
            try writer.withLock { try $0.write(status: files.status, workflows: files.workflows, prometheus: files.prometheus) }
            return files.summaries
        }
        return Outcome(result: result, seconds: DaemonClock.monotonic() - start)
    }
}
