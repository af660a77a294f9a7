import Foundation
import Synchronization

extension Store {
    /// Opens every reader connection of the pool now, while descriptors are free, instead of when first needed; they
    /// stay open (`persistentReadOnlyConnections`). The running daemon then never opens or releases a connection.
    /// Opening one with the file table full failed, and releasing the half-made connection ran the destructors of
    /// its dispatch queue's specific values on a libdispatch pool worker, whose monitor then needed descriptors too
    /// (it reads /proc/…/stat and traps when it cannot): tiendod died of SIGILL. One thread per reader, each holding
    /// its reader until all are open, started one after the other: each once the one before holds its reader.
    /// Started all at once, their first reads met inside GRDB's pool (a `sync` on its concurrent dispatch queue,
    /// during which a connection is opened), and in two starts out of three libdispatch ran that queue on a worker
    /// of a non-overcommit pool, which starts its pool monitor: a timer that woke the idle daemon every second for
    /// the rest of its life (the full benchmark of 03/12 found it; tests/varlink/test_idle.py).
    public func openReaders() throws {
        let n = Store.readers
        let arrived = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<String?>(nil)
        for _ in 0..<n {
            Thread.detachNewThread { [pool] in
                let entered = Atomic(false)
                do {
                    try pool.read { _ in
                        entered.store(true, ordering: .relaxed)
                        arrived.signal()
                        release.wait()
                    }
                } catch {
                    failure.withLock { $0 = $0 ?? Store.describe(error) }
                    // A reader that could not open still counts as arrived, so that the others are let go.
                    if !entered.load(ordering: .relaxed) { arrived.signal() }
                }
                done.signal()
            }
            arrived.wait()
        }
        for _ in 0..<n { release.signal() }
        for _ in 0..<n { done.wait() }
        if let reason = failure.withLock({ $0 }) { throw StoreError.cannotOpen(path: path, reason: reason) }
    }
}
