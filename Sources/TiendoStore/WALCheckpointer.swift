import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies the write-ahead log back into the database file on a thread of its own, so that the writer — the daemon's
/// loop thread — does not. SQLite's automatic checkpoint runs inside the commit that takes the log past 1,000 pages:
/// that commit copies every page of the log into the database file and waits for its fsync, while requests and
/// firing wait. Measured on 02/12/2026 in seven interleaved pairs at 10^5 … 10^6 instances (`docs/performance.md`,
/// "Checkpoints off the loop"): a catch-up fired 12 % more records per second on the mean, SendEvent's p99 with 16
/// clients fell by 14 %; the other rates moved within the host's spread.
///
/// SQLite offers the pieces, not the thread (https://www.sqlite.org/wal.html#application_initiated_checkpoints):
/// `sqlite3_wal_hook` on the writer replaces the automatic checkpoint and tells, after each commit, how many pages
/// the log holds; each `threshold` new pages it wakes this thread, which runs a PASSIVE checkpoint on a connection
/// of its own (never blocking the writer or a reader). A log can only start over from its beginning when a checkpoint has
/// copied all of it; under a steady stream of commits the thread may never see that moment, so past `ceiling` pages
/// the writer checkpoints inline, as SQLite would have (most pages are copied by then: the inline pass is short),
/// and the log is reused instead of growing without bound.
///
/// Its own thread rather than a dispatch queue, like `StatusPublisher`: it sleeps on a semaphore and never wakes an
/// idle daemon. Durability does not change: a commit is durable once its log frames are synced, whoever checkpoints.
final class WALCheckpointer: Sendable {
    struct Counts: Sendable, Equatable {
        /// Checkpoints this thread ran, and those the writer ran inline past the ceiling (attempts, whatever their
        /// outcome).
        var background = 0
        var inline = 0
        /// Whether a checkpoint is asked for or under way on the thread.
        var pending = false
        /// SQLite's message while checkpoints fail (a busy one is not a failure), nil once one succeeds.
        var lastError: String?
    }

    private struct State {
        var started = false
        /// The log's length after the last commit, in pages, and the length at which the thread is woken next:
        /// `threshold` pages past what its last checkpoint copied, or `threshold` once the log has started over.
        var logPages: Int32 = 0
        var wakeAt: Int32
        var asked = false
        var stopping = false
        var counts = Counts()
        /// The start and the end of a run of failures, for the daemon's log: not one line per failed attempt.
        var news: [CheckpointNews] = []

        /// Takes in a checkpoint's (or the thread's connection's) SQLite result code.
        mutating func record(_ rc: Int32, message: @autoclosure () -> String) {
            if rc == SQLITE_OK || rc == SQLITE_BUSY {
                if counts.lastError != nil { news.append(.recovered) }
                counts.lastError = nil
            } else {
                let m = message()
                if counts.lastError == nil {
                    news.append(.failed(Store.describe(DatabaseError(resultCode: ResultCode(rawValue: rc), message: m))))
                }
                counts.lastError = m
            }
        }
    }

    let pages: CheckpointPages
    private let path: String
    private let state: Mutex<State>
    private let work = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)

    init(path: String, pages: CheckpointPages) {
        self.path = path
        self.pages = pages
        state = Mutex(State(wakeAt: pages.threshold))
    }

    var counts: Counts { state.withLock { $0.counts } }

    /// Runs of failures begun or ended since the last call.
    func takeNews() -> [CheckpointNews] {
        state.withLock { s in
            defer { s.news.removeAll() }
            return s.news
        }
    }

    /// Starts the thread and installs the hook on the writer connection (replacing SQLite's automatic checkpoint
    /// there, which is itself a wal hook: a later `PRAGMA wal_autocheckpoint` on the writer would remove this one).
    /// Unretained: the store removes the hook (`uninstall`) before it lets go of this object.
    func install(on db: Database) {
        state.withLock { $0.started = true }
        let t = Thread { [self] in self.run() }
        t.name = "checkpoint"
        t.stackSize = 1 << 20
        t.start()
        sqlite3_wal_hook(db.sqliteConnection, walHook, Unmanaged.passUnretained(self).toOpaque())
    }

    static func uninstall(from db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, nil, nil)
    }

    /// After each commit on the writer, with the number of pages in the log.
    fileprivate func committed(_ db: OpaquePointer?, schema: UnsafePointer<CChar>?, pages: Int32) {
        if pages >= self.pages.ceiling {
            let (rc, _) = WALCheckpointer.checkpoint(db, schema)
            state.withLock { s in
                s.counts.inline += 1
                s.record(rc, message: String(cString: sqlite3_errmsg(db)))
            }
            return
        }
        // Woken once per `threshold` new pages, not after every commit past it: a checkpoint that ends while the
        // next commit is under way cannot let the log start over, and the log then stays past the threshold —
        // waking the thread after each commit made each small commit pay a second fsync (the database file's),
        // a quarter of SendEvent's rate with one client. (While a reader holds an old part of the log, the
        // thread cannot copy past it and is asked again at each commit, as SQLite's own checkpoint would run:
        // such a checkpoint copies nothing and syncs nothing.)
        let wake = state.withLock { s in
            // The log started over (SQLite does so at the start of a commit when a checkpoint has copied all of
            // it and no reader holds an older part). Seen when it got shorter; a first commit longer than the
            // whole old log is not seen, and delays the next checkpoint by at most `threshold` pages.
            if pages < s.logPages { s.wakeAt = self.pages.threshold }
            s.logPages = pages
            if pages < s.wakeAt || s.asked || s.stopping { return false }
            // Commits during the checkpoint do not ask again before another `threshold` pages.
            s.wakeAt = pages + self.pages.threshold
            s.asked = true
            s.counts.pending = true
            return true
        }
        if wake { work.signal() }
    }

    /// Stops the thread and closes its connection; waits for a checkpoint under way.
    func stop() {
        let started = state.withLock { s in
            s.stopping = true
            return s.started
        }
        guard started else { return }
        work.signal()
        stopped.wait()
    }

    private func run() {
        var db: OpaquePointer?
        defer {
            sqlite3_close_v2(db)
            stopped.signal()
        }
        while true {
            work.wait()
            let stop = state.withLock { s in
                s.asked = false
                return s.stopping
            }
            if stop { return }
            if db == nil { db = open() }
            let outcome = db.map { WALCheckpointer.checkpoint($0, "main") }
            state.withLock { s in
                s.counts.pending = s.asked
                // Without a connection (`open` recorded why) the next request tries again.
                guard let db, let (rc, copied) = outcome else { return }
                s.counts.background += 1
                s.record(rc, message: String(cString: sqlite3_errmsg(db)))
                // After a failure, the next try comes `threshold` pages later (set when asked), not at each
                // commit. Else, unless the log started over meanwhile, `threshold` pages past what was copied.
                if rc == SQLITE_OK, s.logPages >= copied { s.wakeAt = copied + self.pages.threshold }
            }
        }
    }

    /// A PASSIVE checkpoint of `schema` on `db` (the writer's, inline, or the thread's own): SQLite's result code
    /// (busy: another checkpoint ran) and how many pages of the log are now in the database file.
    private static func checkpoint(_ db: OpaquePointer?, _ schema: UnsafePointer<CChar>?) -> (rc: Int32, copied: Int32) {
        var log: Int32 = 0
        var copied: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        return (rc, max(0, copied))
    }

    private func open() -> OpaquePointer? {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            state.withLock { $0.record(rc, message: message) }
            return nil
        }
        sqlite3_busy_timeout(db, 5000)
        // FULL whatever SQLite's compiled-in default: a checkpoint marks the log's pages copied only after the
        // database file's fsync, so the writer never reuses the log over changes not yet safe in the file. And a
        // connection learns that the file is in WAL mode when it first reads it; until then a checkpoint is a
        // no-op that reports -1 pages.
        let ready = sqlite3_exec(db, "PRAGMA synchronous = FULL; SELECT 1 FROM sqlite_master LIMIT 1", nil, nil, nil)
        guard ready == SQLITE_OK else {
            let message = String(cString: sqlite3_errmsg(db))
            sqlite3_close_v2(db)
            state.withLock { $0.record(ready, message: message) }
            return nil
        }
        return db
    }
}

/// The C callback of `sqlite3_wal_hook`: a plain function, its context the checkpointer.
private func walHook(_ context: UnsafeMutableRawPointer?, _ db: OpaquePointer?, _ schema: UnsafePointer<CChar>?, _ pages: Int32) -> Int32 {
    guard let context else { return SQLITE_OK }
    Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().committed(db, schema: schema, pages: pages)
    return SQLITE_OK
}

/// When the log is copied back (`Store.init`'s `backgroundCheckpoints`), in pages of the log.
public struct CheckpointPages: Sendable {
    /// Past this, the checkpoint thread is woken (SQLite's automatic checkpoint runs at 1,000 pages).
    public var threshold: Int32
    /// Past this, the writer checkpoints inline.
    public var ceiling: Int32

    public init(threshold: Int32, ceiling: Int32) {
        self.threshold = threshold
        self.ceiling = max(ceiling, threshold)
    }

    /// 1,000 pages (4 MiB) to wake the thread, as SQLite's own; 10,000 (40 MiB) for the writer's own checkpoint.
    public static let standard = CheckpointPages(threshold: 1000, ceiling: 10_000)
}

/// A run of failed checkpoints begun (with why, in Vietnamese) or ended, for the daemon's log.
public enum CheckpointNews: Sendable, Equatable {
    case failed(String)
    case recovered
}
