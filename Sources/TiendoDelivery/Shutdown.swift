import Synchronization
import TiendoCore

/// A stop request that interrupts sleeping workers at once and lets busy ones finish the message in flight
/// (cancelling the whole task group would abort sends half-way).
final class Shutdown: Sendable {
    struct State {
        var stopped = false
        var sleepers: [Int: Task<Void, Never>] = [:]
        var next = 0
    }
    let state = Mutex(State())

    var isStopped: Bool { state.withLock { $0.stopped } }

    func stop() {
        let sleepers = state.withLock { s in
            s.stopped = true
            return Array(s.sleepers.values)
        }
        for t in sleepers { t.cancel() }
    }

    /// Sleeps until `t` on `clock`; false when the sender is stopping (or a virtual run is over).
    func sleep(until t: Instant, clock: any DeliveryClock) async -> Bool {
        await wait { try await clock.sleep(until: t) }
    }

    /// Runs a wait (`clock.sleep`, `DeliveryQueue.wait`) that `stop()` interrupts; false when the sender is
    /// stopping (the wait threw: cancelled, or a virtual run is over).
    func wait(_ body: @escaping @Sendable () async throws -> Void) async -> Bool {
        let task = Task<Void, Never> {
            do { try await body() } catch { stop() }
        }
        let id: Int? = state.withLock { s in
            guard !s.stopped else { return nil }
            s.next += 1
            s.sleepers[s.next] = task
            return s.next
        }
        guard let id else {
            task.cancel()
            return false
        }
        await task.value
        state.withLock { _ = $0.sleepers.removeValue(forKey: id) }
        return !isStopped
    }
}
