import Foundation
import Synchronization
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// Makes the write-ahead log durable on a thread of its own, for the daemon's group commits: a group commits with
/// `synchronous=NORMAL` (its frames are written to the log, not synced: `Store.write(syncLater:)`), asks for a sync
/// under a ticket number and goes on with the next group; this thread runs `fdatasync` on the log and reports the
/// highest ticket the sync covers. The loop answers a group only once its ticket is covered, so nothing is
/// acknowledged before it is durable, and the loop no longer waits ~2 ms per group for the disk while the next
/// requests wait for it (docs/performance.md, "SendEvent's sync off the loop").
///
/// One `fdatasync` covers every commit made before it started (the log is one file, appended to or overwritten
/// from its start after a checkpoint; either way the frames are in the page cache when the sync begins), so the
/// thread takes the highest ticket asked for *before* it syncs and reports that one: commits made while it syncs
/// wait for the next round. SQLite does the same sync itself under `synchronous=FULL`; it offers no way to run it
/// apart from the commit, hence this class.
///
/// The log's descriptor is opened once, at start (the daemon's descriptor budget counts it); the file keeps its
/// inode while any connection holds the database open, which the daemon's do until it exits — a file deleted or put
/// at its path by hand is not the one SQLite writes, so the descriptor is never opened again. A failed sync is final
/// (`failure`): after a failed `fsync` Linux may have dropped the dirty pages, so a later sync that succeeds proves
/// nothing (PostgreSQL's choice since 2018: https://wiki.postgresql.org/wiki/Fsync_Errors); the daemon stops without
/// answering the requests it holds.
///
/// Its own thread, like `WALCheckpointer`: it sleeps on a semaphore and never wakes an idle daemon.
public final class LogSyncer: Sendable {
    public struct Progress: Sendable, Equatable {
        /// Every ticket up to this one is durable.
        public var synced = 0
        /// Why the log could not be synced (final).
        public var failure: String?
    }

    private struct State {
        var asked = 0
        var progress = Progress()
        var stopping = false
        var onSynced: (@Sendable () -> Void)?
    }

    let path: String
    private let sync: @Sendable (Int32) -> Int32
    private let state = Mutex(State())
    /// The log's descriptor, held for the length of a sync (the loop's `syncNow` and the thread's take turns).
    private let file: Mutex<Int32>
    private let work = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    /// For the log of the database at `databasePath`; `sync` is `fdatasync` (tests make it fail). The log file must
    /// exist (a database open in WAL mode).
    public init(databasePath: String, sync: (@Sendable (Int32) -> Int32)? = nil) throws {
        path = databasePath + "-wal"
        self.sync = sync ?? { fdatasync($0) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.cannotOpen(path: path, reason: ErrnoText.describe(errno)) }
        // SQLite syncs the directory after the first sync of a log it created; the commits that rely on this
        // thread's syncs instead need the file's name durable too.
        if let reason = LogSyncer.syncDirectory(of: path) {
            close(fd)
            throw StoreError.cannotOpen(path: path, reason: reason)
        }
        file = Mutex(fd)
        let t = Thread { [self] in self.run() }
        t.name = "log-sync"
        t.stackSize = 1 << 20
        t.start()
    }

    /// Called on the syncing thread after each sync, successful or not (the daemon wakes its loop).
    public func setOnSynced(_ f: @escaping @Sendable () -> Void) { state.withLock { $0.onSynced = f } }

    /// Asks for a sync covering `ticket` (tickets only grow).
    public func request(_ ticket: Int) {
        state.withLock { $0.asked = max($0.asked, ticket) }
        work.signal()
    }

    public var progress: Progress { state.withLock { $0.progress } }

    /// Syncs on the calling thread, covering `ticket` (the loop, before it emits records of its own that must come
    /// after the held ones). Returns the progress after it.
    @discardableResult
    public func syncNow(through ticket: Int) -> Progress { syncOnce(through: ticket) }

    /// Stops the thread (a sync under way finishes) and closes the log's descriptor.
    public func stop() {
        state.withLock { $0.stopping = true }
        work.signal()
        stopped.wait()
        file.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    private func run() {
        while true {
            work.wait()
            let (target, stopping) = state.withLock { s in (s.asked, s.stopping) }
            if stopping { break }
            guard target > progress.synced else { continue }
            syncOnce(through: target)
            state.withLock { $0.onSynced }?()
        }
        stopped.signal()
    }

    /// Syncs the directory holding `path` (its entry for the file); nil on success, else the system's reason.
    static func syncDirectory(of path: String) -> String? {
        let parent = (path as NSString).deletingLastPathComponent
        let dir = open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { return ErrnoText.describe(errno) }
        defer { close(dir) }
        return fsync(dir) == 0 ? nil : ErrnoText.describe(errno)
    }

    /// One `fdatasync` of the log covering `ticket`; a failure is kept and every later call reports it.
    @discardableResult
    private func syncOnce(through ticket: Int) -> Progress {
        let before = progress
        if before.failure != nil { return before }
        // The descriptor opened at start, even when `path` no longer names its file (deleted or replaced by hand):
        // SQLite goes on writing that file, not whatever is at `path`, and the store refuses writes from then on and
        // copies the log into the database file (`Store.moved`); what was committed before must still be synced.
        let failure: String? = file.withLock { fd in
            if fd < 0 {
                // After `stop`: the log at its path, as the connections still open see it.
                fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 { return ErrnoText.describe(errno) }
            }
            return sync(fd) == 0 ? nil : ErrnoText.describe(errno)
        }
        return state.withLock { s in
            if let failure, s.progress.failure == nil { s.progress.failure = "\(path): \(failure)" }
            if s.progress.failure == nil { s.progress.synced = max(s.progress.synced, ticket) }
            return s.progress
        }
    }
}
