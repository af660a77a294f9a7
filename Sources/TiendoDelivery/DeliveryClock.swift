public import TiendoCore

/// The sender's time: the system's (or the daemon's fake clock) in production, a virtual one in tests.
public protocol DeliveryClock: Sendable {
    func now() async -> Instant
    /// Returns at `t` (at once when `t` is past); throws `CancellationError` when cancelled or, for a virtual
    /// clock, when `t` lies beyond the end of the run.
    func sleep(until t: Instant) async throws
    /// A worker starts or stops using the clock (a virtual clock advances only when every worker sleeps).
    func join() async
    func leave() async
}

/// Discrete-event time: it stands still while any worker is busy (sending, talking to the queue) and jumps to the
/// earliest wake-up once every worker sleeps. A season of months runs in seconds, and what happens at each virtual
/// instant does not depend on how fast the machine is. Past `end` every sleeper is cancelled: the run is over.
public actor VirtualClock: DeliveryClock {
    public private(set) var current: Instant
    public let end: Instant
    var workers = 0
    var sleepers: [(until: Instant, id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    var nextID = 0

    public init(start: Instant, end: Instant) {
        current = start
        self.end = end
    }

    public func now() -> Instant { current }

    public func join() { workers += 1 }

    public func leave() {
        workers -= 1
        advanceIfIdle()
    }

    public func sleep(until t: Instant) async throws {
        if t <= current { return }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                sleepers.append((t, id, c))
                advanceIfIdle()
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    func cancel(_ id: Int) {
        guard let i = sleepers.firstIndex(where: { $0.id == id }) else { return }
        sleepers.remove(at: i).continuation.resume(throwing: CancellationError())
    }

    /// Every worker asleep: move to the earliest wake-up and resume whoever is due then (or end the run).
    func advanceIfIdle() {
        guard !sleepers.isEmpty, sleepers.count >= workers else { return }
        let next = sleepers.map(\.until).min()!
        if next > end {
            current = end
            let all = sleepers
            sleepers = []
            for s in all { s.continuation.resume(throwing: CancellationError()) }
            return
        }
        current = next
        let due = sleepers.filter { $0.until <= next }
        sleepers.removeAll { $0.until <= next }
        for s in due.sorted(by: { $0.id < $1.id }) { s.continuation.resume() }
    }
}
