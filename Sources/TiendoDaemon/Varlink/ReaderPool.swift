import CLinux
import Foundation
import Synchronization

/// A fixed pool of threads answering reading requests, fair between local users: the next job goes to the user
/// with the fewest jobs running (the oldest job first among equals), so that one user's heavy requests — at most
/// `ServerLimits.perUIDInFlight` at a time — always leave threads for everyone else. Idle threads block without
/// timeouts. Own threads rather than a dispatch queue: libdispatch's Linux thread pool keeps a monitor waking every
/// second once used, and an idle daemon must not wake (a `DispatchSemaphore` is only a semaphore: no pool).
final class ReaderPool: Sendable {
    private struct Queues {
        var waiting: [UInt32: [(seq: Int, job: @Sendable () -> Void)]] = [:]
        var running: [UInt32: Int] = [:]
        var seq = 0

        /// The user whose job runs next (at least one job is waiting).
        func nextUser() -> UInt32 {
            var best: (user: UInt32, running: Int, seq: Int)?
            for (user, q) in waiting {
                guard let first = q.first else { continue }
                let r = running[user] ?? 0
                if best == nil || r < best!.running || (r == best!.running && first.seq < best!.seq) {
                    best = (user, r, first.seq)
                }
            }
            return best!.user
        }
    }

    private let queues = Mutex(Queues())
    /// Counts the jobs waiting: each thread takes one job per `wait`.
    private let waiting = DispatchSemaphore(value: 0)

    init(threads: Int, name: String) {
        for i in 0..<threads {
            let t = Thread { [self] in self.run() }
            t.name = "\(name)-\(i)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    func async(for user: UInt32, _ job: @escaping @Sendable () -> Void) {
        queues.withLock { q in
            q.seq += 1
            q.waiting[user, default: []].append((q.seq, job))
        }
        waiting.signal()
    }

    private func run() {
        while true {
            waiting.wait()
            let (user, job) = queues.withLock { q in
                let user = q.nextUser()
                let job = q.waiting[user]!.removeFirst().job
                if q.waiting[user]!.isEmpty { q.waiting[user] = nil }
                q.running[user, default: 0] += 1
                return (user, job)
            }
            let started = ContinuousClock.now
            job()
            let long = ContinuousClock.now - started >= ReaderPool.longJob
            let idle = queues.withLock { q in
                q.running[user]! -= 1
                if q.running[user] == 0 { q.running[user] = nil }
                return q.running.isEmpty && q.waiting.isEmpty
            }
            // A long job (a page of 1,000 entries, an export's pages, a search over every record) allocated much and
            // freed it; glibc keeps freed memory in its arenas for good, and the daemon stayed hundreds of megabytes
            // larger after a few exports (large-data audit, 07/12/2026). Given back once the pool is idle, so that no
            // reply waits for it; short jobs, nearly all of them, skip it.
            if long && idle { tiendo_give_back_memory() }
        }
    }

    /// A job this long (or longer) gives the heap's free memory back when it leaves the pool idle.
    static let longJob = Duration.milliseconds(50)
}
