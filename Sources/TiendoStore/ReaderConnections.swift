import Foundation
import GRDB
import Synchronization

/// The store's reader connections: each a GRDB `DatabaseQueue` opened read-only when the store opens and kept until
/// it closes, lent to one thread at a time.
///
/// Written by hand instead of reading through `DatabasePool`: the pool lends its readers inside a `sync` on a
/// concurrent dispatch queue, and reads that met there made libdispatch run that queue on a worker of a
/// non-overcommit pool, which starts libdispatch's pool monitor, a one-second timer that then woke the idle daemon
/// for the rest of its life (at start when the readers were opened together; after a burst of concurrent clients in
/// two daemons out of seven; docs/architecture.md). Here a thread waits for a free connection on a semaphore (a
/// futex, no dispatch queue), takes it under a mutex, and is the only thread entering that connection's serial
/// queue, so GRDB's `sync` runs on the caller and no libdispatch worker ever starts. Every connection is opened
/// here, while descriptors are free: none is opened or released while the daemon runs.
final class ReaderConnections: Sendable {
    private let free: Mutex<[DatabaseQueue]>
    private let available: DispatchSemaphore
    let count: Int

    /// `count` read-only connections to the database at `path` (it must exist, in WAL mode), with `configuration`
    /// (its `prepareDatabase` runs on each).
    init(path: String, count: Int, configuration: Configuration) throws {
        var config = configuration
        config.readonly = true
        // As GRDB's pool sets its readers (`readonlyBusyMode`): a reader waits up to 10 s for a lock, e.g. while a
        // checkpoint restarts the log.
        config.busyMode = .timeout(10)
        var queues: [DatabaseQueue] = []
        for _ in 0..<count { queues.append(try DatabaseQueue(path: path, configuration: config)) }
        free = Mutex(queues)
        available = DispatchSemaphore(value: count)
        self.count = count
    }

    /// Runs `body` in one read transaction on a free connection, waiting for one if all are lent. Not reentrant: a
    /// read inside `body` would see another moment of the database, and hang once every connection is lent, so it
    /// stops the daemon instead (as GRDB's pool did).
    func read<T>(_ body: (Database) throws -> T) throws -> T { try lending { try $0.read(body) } }

    /// Runs `body` on a free connection outside any transaction, as a statement that cannot run inside one needs
    /// (`VACUUM INTO`, which takes its own read transaction).
    func withoutTransaction<T>(_ body: (Database) throws -> T) throws -> T { try lending { try $0.inDatabase(body) } }

    /// Lends a free connection to `body`, waiting for one if all are lent (not reentrant, see `read`).
    private func lending<T>(_ body: (DatabaseQueue) throws -> T) throws -> T {
        precondition(pthread_getspecific(ReaderConnections.reading) == nil, "Store reads are not reentrant")
        pthread_setspecific(ReaderConnections.reading, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(ReaderConnections.reading, nil) }
        available.wait()
        let queue = free.withLock { $0.removeLast() }
        defer {
            free.withLock { $0.append(queue) }
            available.signal()
        }
        return try body(queue)
    }

    /// Closes every connection (all must be back): called when the store goes, before its writer closes, so the
    /// writer is the last connection and SQLite checkpoints and removes the log (a read-only connection closing last
    /// cannot, and would leave it behind).
    func close() {
        free.withLock { queues in
            // Nothing can read any more: a read holds the store, which is going.
            assert(queues.count == count, "a reader connection is still lent")
            // A connection that fails to close (a statement still open) is closed when its queue goes, after the
            // writer: the log then stays until the next open, which recovers it.
            for queue in queues { try? queue.close() }
        }
    }

    /// Set on a thread while it reads (a per-thread flag: Swift has no thread-local storage of its own on Linux).
    private static let reading: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create")
        return key
    }()
}
