import Foundation

/// A fixed pool of threads answering reading requests, fair between local users: the next job goes to the user
/// with the fewest jobs running (the oldest job first among equals), so that one user's heavy requests — at most
/// `ServerLimits.perUIDInFlight` at a time — always leave threads for everyone else. Idle threads block without
/// timeouts. Own threads rather than a dispatch queue: libdispatch's Linux thread pool keeps a monitor waking every
/// second once used, and an idle daemon must not wake.
/// Unchecked Sendable: its state is guarded by `condition` (Mutex has no wait).
final class ReaderPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queues: [UInt32: [(seq: Int, job: @Sendable () -> Void)]] = [:]
    private var running: [UInt32: Int] = [:]
    private var seq = 0

    init(threads: Int, name: String) {
        for i in 0..<threads {
            let t = Thread { [self] in self.run() }
            t.name = "\(name)-\(i)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    func async(for user: UInt32, _ job: @escaping @Sendable () -> Void) {
        condition.lock()
        seq += 1
        queues[user, default: []].append((seq, job))
        condition.signal()
        condition.unlock()
    }

    /// The user whose job runs next (called with the lock held, with at least one job queued).
    private func nextUser() -> UInt32 {
        var best: (user: UInt32, running: Int, seq: Int)?
        for (user, q) in queues {
            guard let first = q.first else { continue }
            let r = running[user] ?? 0
            if best == nil || r < best!.running || (r == best!.running && first.seq < best!.seq) {
                best = (user, r, first.seq)
            }
        }
        return best!.user
    }

    private func run() {
        while true {
            condition.lock()
            while queues.isEmpty { condition.wait() }
            let user = nextUser()
            let job = queues[user]!.removeFirst().job
            if queues[user]!.isEmpty { queues[user] = nil }
            running[user, default: 0] += 1
            condition.unlock()
            job()
            condition.lock()
            running[user]! -= 1
            if running[user] == 0 { running[user] = nil }
            condition.unlock()
        }
    }
}
