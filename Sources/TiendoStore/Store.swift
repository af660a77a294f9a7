import CSQLiteConfig
import Foundation
import GRDB
import GRDBSQLite
import Synchronization
public import TiendoCore

/// The durable state of the daemon in SQLite (WAL, `synchronous=FULL` by default). Writes go through one
/// connection in transactions; reads may come from other threads.
public final class Store: Sendable {
    public let path: String
    /// The writer (GRDB's pool, whose own readers are never used: reads go through `readers`).
    let pool: DatabasePool
    /// The reader connections (`read`, `snapshot`).
    let readers: ReaderConnections
    /// The writer's `PRAGMA synchronous` (FULL, NORMAL or EXTRA), and whether the writer is switched to NORMAL by
    /// the last `write(syncLater: true)`: each write sets the mode it needs before it begins (a failure there
    /// changes nothing), so a write never commits under the other one's mode.
    let synchronous: String
    private let writerSyncsLater = Mutex(false)
    public static let applicationID: Int32 = 0x7469_656E  // "tien"

    /// Whether `PRAGMA quick_check` still has to run (a large file is checked after start-up: see `init`).
    public let integrityCheckPending: Bool
    private let checkpointer: WALCheckpointer?
    /// The open due items in memory (the daemon's: `dueIndex` at `init`), kept in step by every `write`.
    public let dueIndex: LiveDueIndex?
    /// The earliest wake-up, kept in step by every `write` (read with `nextWakeup`).
    let wakeups = WakeupCache()
    /// Whether a backup runs (`backup`): one at a time, a second one asked meanwhile is refused rather than queued
    /// behind a copy of gigabytes.
    let backupRunning = Mutex(false)
    /// The log file (`-wal`) the connections hold open, noted once the store is open (`moved`).
    let logIdentity = Mutex<LogIdentity?>(nil)

    /// Creates a missing database file readable by its owner and group only (0640, less what the umask takes): it
    /// holds names and identity numbers, and SQLite would create it 0644 under the usual umask 022 when tiendod is
    /// started by hand rather than by its unit (`UMask=0027`) or `make run`. The `-wal` and `-shm` files SQLite
    /// creates take the database file's mode. An existing file keeps the mode its administrator gave it.
    static func createPrivately(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        if fd >= 0 { close(fd) }
    }

    /// Opens (creating if needed) and migrates the database. A file that is not ours is refused untouched. A file of
    /// at most `inlineCheckBytes` is fully checked (`quick_check`) before anything else; a larger one (the check reads
    /// every page: 1.6 s for 10^6 instances) is left to `integrityCheck()`, which the daemon runs right after it is
    /// ready. SQLite verifies every page it reads in any case and fails the transaction on a damaged one.
    /// A missing or empty file is created as a new database, unless the state directory's marker says a database
    /// was here before: then only with `initialize` (tiendod `--init`).
    ///
    /// With `backgroundCheckpoints` (the daemon), the log is copied back into the database file by a thread of its
    /// own instead of by the commit that fills it (`WALCheckpointer`). With `dueIndex`, every commit's changes to
    /// the due items are also applied to `dueIndex`, which `buildDueIndex` fills.
    public init(
        path: String, synchronous: String = "FULL", inlineCheckBytes: Int64 = 64 << 20, initialize: Bool = false,
        backgroundCheckpoints: CheckpointPages? = nil, dueIndex: Bool = false
    ) throws {
        _ = Store.memoryStatisticsOff
        self.path = path
        self.synchronous = synchronous
        self.dueIndex = dueIndex ? LiveDueIndex() : nil
        // Identity and integrity first, read-only: opening the pool below switches the file to WAL. `--init` takes a
        // first page without its log as the empty database it then is.
        let inspection: StateFileInspection
        do {
            inspection = try Store.inspect(path: path, checkBytes: inlineCheckBytes)
        } catch StoreError.logMissing where initialize {
            inspection = .ours
        }
        if case .absent(let zeroBytes) = inspection, StateDirectoryMarker.exists(forDatabase: path), !initialize {
            throw StoreError.vanished(path: path, zeroBytes: zeroBytes)
        }
        // A new database whose creation fails before its schema is in (a full disk, too many open files) is removed:
        // left switched to WAL with no table and no log, the next start would take it for a copy without its log
        // (`StoreError.logMissing`) and refuse it for good (review, 07/12/2026).
        var created = false
        defer {
            if case .absent = inspection, !created {
                for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            }
        }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        integrityCheckPending = size > inlineCheckBytes
        Store.createPrivately(path)
        checkpointer = backgroundCheckpoints.map { WALCheckpointer(path: path, pages: $0) }
        var config = Configuration()
        config.label = "tiendo"
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // The writer: 64 MiB of page cache instead of SQLite's 2 MiB (past a few hundred thousand instances,
            // inserts into the key and schedule indexes otherwise keep re-reading pages). Each reader: 8 MiB. Six
            // readers kept 64 MiB each of the same pages, for good (a connection's cache empties only when it
            // closes): over 120,000 records tiendod grew to 630 MB (large-data audit, 07/12/2026). A reader's scans
            // are larger than any cache, and its lookups find the pages in the kernel's cache.
            try db.execute(sql: "PRAGMA cache_size = -\(Store.cacheKiB(readOnly: db.configuration.readonly))")
            // Statement journals (each request's savepoint in a group commit) and sorts in memory: with SQLite's
            // default a temporary file was created and deleted per group (open, unlink and close were 7 % of the
            // loop thread's time under 16 SendEvent clients).
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // The log shrinks back to this size when it starts over: without a limit it kept its high-water mark for
            // good — a large import, or one refused on a full disk, left tens of megabytes of log beside the database
            // and a nearly full disk full (operations audit, 07/12/2026).
            try db.execute(sql: "PRAGMA journal_size_limit = \(Store.logSizeLimit)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            // Set on the writer after the pool is open: GRDB switches a pool's connection to synchronous=NORMAL
            // when it enables WAL, after `prepareDatabase` has run — which left acknowledged changes unsynced
            // (durable against kill -9, not against a power cut) until the benchmark counted the fsyncs.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
            readers = try ReaderConnections(path: path, count: Store.readers, configuration: config)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
        try checkIdentity()
        // A database a newer tiendod has migrated is not migrated here (GRDB would skip the migrations it does not
        // know): refused by `inspect` before the pool opened it, and again here for a file swapped in between.
        let applied: Set<String>
        do {
            applied = try pool.read { db in try Store.migrator.appliedIdentifiers(db) }
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
        try Store.refuseNewer(applied, path: path)
        do {
            try Store.migrator.migrate(pool)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
        created = true
        try StateDirectoryMarker.write(forDatabase: path)
        if let checkpointer { pool.writeWithoutTransaction { db in checkpointer.install(on: db) } }
        // The migrations' transactions made the log, which every connection now holds open.
        logIdentity.withLock { $0 = LogIdentity(path + "-wal") }
    }

    /// SQLite's memory statistics turned off for the process, once, before the first connection opens: they take a
    /// global mutex at every allocation and free SQLite makes, and the daemon reads none of them. The daemon's firing
    /// SQL run from C took 8 % less time without them (`bench/tools/sqlite-ceiling.c`, 10^5 records, 05/12/2026).
    /// A process that opened SQLite before (a test) gets SQLITE_MISUSE and keeps them, which changes only its speed.
    static let memoryStatisticsOff: Int32 = tiendo_sqlite_memstatus_off()
    /// Whether `memoryStatisticsOff` applied (a store opened, and SQLite was not in use before it).
    public static var memoryStatisticsAreOff: Bool { memoryStatisticsOff == 0 }

    /// The log's size kept when it starts over (`PRAGMA journal_size_limit`), in bytes.
    static let logSizeLimit = 64 << 20

    /// Copies the whole log into the database file and empties it (`PRAGMA wal_checkpoint(TRUNCATE)`), at a clean
    /// stop: while tiendod is not running, `tiendo.sqlite` alone is then the whole database, and a copy of it made
    /// without its `-wal` (moving the state to another disk or server) loses nothing. Nil when done; else why not (a
    /// reader still in the way: the log stays, with everything in it, for the next start). `attempts`: how many
    /// times to try, 50 ms apart, while it is busy (the background thread's own checkpoint holds the lock it needs).
    public func emptyLog(attempts: Int = 1) -> String? {
        for attempt in 1...max(1, attempts) {
            do {
                let row = try pool.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
                guard let row else { return "SQLite không trả lời" }
                let busy: Int = row[0]
                if busy == 0 { return nil }
                if attempt == attempts { return "một kết nối khác đang đọc hoặc chép nhật ký" }
            } catch {
                if attempt == attempts { return Store.describe(error) }
            }
            usleep(50_000)
        }
        return nil
    }

    /// A connection's page cache, in KiB (`PRAGMA cache_size`): the writer's, a reader's.
    static func cacheKiB(readOnly: Bool) -> Int { readOnly ? 8192 : 65536 }
    /// Reader connections: the 4 varlink reader threads, the loop (its next wake-up) and the status publisher read at
    /// once; fewer would make the loop wait for a reader behind a long read.
    static let readers = 6

    deinit {
        readers.close()
        guard let checkpointer else { return }
        pool.writeWithoutTransaction { db in WALCheckpointer.uninstall(from: db) }
        checkpointer.stop()
    }

    /// How many checkpoints the background thread and the writer ran (nil without `backgroundCheckpoints`).
    var checkpoints: WALCheckpointer.Counts? { checkpointer?.counts }

    /// Runs of failed checkpoints begun or ended since the last call. While checkpoints fail the committed changes
    /// stay in the log, which grows until one succeeds.
    public func takeCheckpointNews() -> [CheckpointNews] { checkpointer?.takeNews() ?? [] }

    /// The write connection's `PRAGMA synchronous` (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA).
    public func synchronousMode() throws -> Int {
        try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// `PRAGMA quick_check` on a read-only connection of its own (writers go on meanwhile); throws
    /// `StoreError.corrupt` with SQLite's first findings. Plain SQLite on the calling thread, not a GRDB connection:
    /// GRDB's dispatch queues, used from a thread that then exits, left a libdispatch worker waking every second
    /// in an otherwise idle daemon.
    public func integrityCheck() throws { try Store.quickCheck(path: path) }

    /// Marks a new database as ours; refuses one that holds tables but is not ours (checked read-only before already,
    /// see `inspect`; this catches a file swapped in between).
    func checkIdentity() throws {
        do {
            try pool.writeWithoutTransaction { db in
                let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
                if appID == 0 && tables.isEmpty {
                    try db.execute(sql: "PRAGMA application_id = \(Store.applicationID)")
                } else if appID != Store.applicationID {
                    throw StoreError.notOurs(path: path)
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.cannotOpen(path: path, reason: Store.describe(error))
        }
    }

    // MARK: Transactions

    /// A write transaction on the writer connection, handed explicitly to everything that reads or writes inside
    /// it (the daemon's group commit, an import, a calendar change, one request alone). Not Sendable: it lives on
    /// the thread that opened it, for the duration of `write`'s body.
    public struct Transaction {
        let db: Database
        /// Whether each write runs in a savepoint of its own (a group commit: one request's failure must not
        /// undo the others'). An import or a firing batch fails whole, and skips the statement journal's cost.
        let savepoints: Bool
        /// What the transaction did to `due_items`, for `Store.dueIndex` (nil without one).
        let pending: PendingDueDeltas?
        /// With `savepoints`, the count moves written when the transaction ends (nil: each commit writes its own).
        let counts: PendingCounts?
        /// The wake-ups the transaction set and took away, for `Store.wakeups`.
        let wakeups: PendingWakeups

        init(db: Database, savepoints: Bool, pending: PendingDueDeltas?, wakeups: PendingWakeups) {
            self.db = db
            self.savepoints = savepoints
            self.pending = pending
            self.wakeups = wakeups
            counts = savepoints ? PendingCounts() : nil
        }

        /// A write in its own savepoint: when it throws, its writes are undone and the transaction goes on.
        func write<T>(_ f: (Database) throws -> T) throws -> T {
            guard savepoints else { return try f(db) }
            var result: T?
            let mark = pending?.deltas.count ?? 0
            let countsMark = counts?.log.count ?? 0
            do {
                try savepoint { result = try f(db) }
            } catch {
                pending?.deltas.removeSubrange(mark...)
                counts?.log.removeSubrange(countsMark...)
                wakeups.unsure = true
                throw error
            }
            return result!
        }

        /// GRDB's `inSavepoint` inside a transaction, with its statements prepared once: GRDB's prepares
        /// `SAVEPOINT grdb` and `RELEASE SAVEPOINT grdb` from their text on every call, 7.8 % of the loop thread under
        /// 16 SendEvent clients at 10^6 (one savepoint per request of a group). GRDB still sees the savepoints (it
        /// reads what each statement does when it prepares it). As GRDB does: a transaction SQLite aborted inside
        /// the body (a full disk, an I/O error) is reported, not released; on an error the savepoint is rolled
        /// back and released, and the first error is thrown.
        private func savepoint(_ body: () throws -> Void) throws {
            try db.cachedStatement(sql: "SAVEPOINT tiendo_request").execute()
            var firstError: (any Error)?
            do {
                try body()
                if sqlite3_get_autocommit(db.sqliteConnection) != 0 {
                    throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted")
                }
                try db.cachedStatement(sql: "RELEASE SAVEPOINT tiendo_request").execute()
                return
            } catch {
                firstError = error
            }
            do {
                try db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT tiendo_request").execute()
                try db.cachedStatement(sql: "RELEASE SAVEPOINT tiendo_request").execute()
            } catch {}
            throw firstError!
        }

        /// Writes what the transaction deferred (its count moves), just before it commits.
        func finish() throws {
            try counts?.apply(db)
        }

        /// A read inside the transaction (it sees what the transaction wrote).
        func read<T>(_ f: (Database) throws -> T) rethrows -> T { try f(db) }
    }

    /// Runs `body` in one write transaction: everything done through the `Transaction` becomes durable together,
    /// with a single fsync, or not at all when `body` throws. With `savepoints`, a write that throws is undone
    /// alone and the transaction goes on. With `syncLater`, the commit writes the log without syncing it
    /// (`synchronous=NORMAL` for this transaction): it is durable only once a `LogSyncer` has synced the log after
    /// it, and nothing may be acknowledged before. With `bulk` (a large import that rebuilds indexes: `BulkLoad`),
    /// sorts larger than the page cache spill to temporary files for this transaction instead of growing in memory.
    @discardableResult
    public func write<T>(
        savepoints: Bool = false, syncLater: Bool = false, bulk: Bool = false, _ body: (Transaction) throws -> T
    ) throws -> T {
        let pending = dueIndex.map { _ in PendingDueDeltas() }
        let pendingWakeups = PendingWakeups()
        // `pool.write` unrolled: the synchronous mode this write needs set first (`writer`), and the due items'
        // changes applied right after COMMIT on the writer's queue (the index follows the commits in their order,
        // whatever thread writes, and before the caller answers anyone).
        return try writer(syncLater: syncLater) { db in
            if bulk {
                // With temp_store=MEMORY SQLite's sorter never spills: building the due items' index at 10^7 would
                // hold every key in memory at once (gigabytes). The setting cannot change inside a transaction.
                try db.execute(sql: "PRAGMA temp_store = FILE")
            }
            // Outside a transaction the setting cannot fail; if it did, sorts would only go on spilling to files.
            defer { if bulk { try? db.execute(sql: "PRAGMA temp_store = MEMORY") } }
            var result: T?
            // Moved: rolled back, thrown before the in-memory due items and wake-ups follow it (applied, they dropped
            // a case's deadlines from the agenda until a restart).
            try transactionInPlace(db) {
                let tx = Transaction(db: db, savepoints: savepoints, pending: pending, wakeups: pendingWakeups)
                result = try body(tx)
                try tx.finish()
            }
            if let dueIndex, let pending { dueIndex.apply(pending.deltas) }
            wakeups.apply(pendingWakeups)
            return result!
        }
    }

    /// A read on a reader connection (any thread), outside every write transaction.
    func read<T>(_ f: (Database) throws -> T) throws -> T { try readers.read(f) }

    /// Reads that must agree with each other (a status file's counts, its lists of due items and its metrics; a
    /// summary's counts and overdue numbers): all the queries made through one `Snapshot` see the database at one
    /// moment, whatever the loop commits meanwhile. Not Sendable: it lives inside `snapshot`'s body, which must read
    /// through it alone (a `Store` read method called inside stops the daemon: reads are not reentrant, see
    /// `ReaderConnections.read`).
    public struct Snapshot {
        let db: Database
        /// The daemon's due items in memory, for the reads that take one workflow at a time (`DueIndexReads`).
        let dueIndex: LiveDueIndex?
    }

    /// Runs `body` in one read transaction on a reader connection (any thread), outside every write transaction.
    public func snapshot<T>(_ body: (Snapshot) throws -> T) throws -> T {
        try readers.read { db in try body(Snapshot(db: db, dueIndex: dueIndex)) }
    }

    /// A write of its own (its own transaction), for what never runs inside another one.
    func write<T>(_ f: (Database) throws -> T) throws -> T {
        try writer(syncLater: false) { db in
            var result: T?
            try transactionInPlace(db) { result = try f(db) }
            return result!
        }
    }

    /// The writer connection in the synchronous mode a write needs (`writerSyncsLater`).
    private func writer<T>(syncLater: Bool, _ f: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            if writerSyncsLater.withLock({ $0 }) != syncLater {
                try db.execute(sql: "PRAGMA synchronous = \(syncLater ? "NORMAL" : synchronous)")
                writerSyncsLater.withLock { $0 = syncLater }
            }
            let result = try f(db)
            // Moved during the write (before it, the write rolled back: `transactionInPlace`).
            try checkInPlace(db)
            return result
        }
    }

    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try write { db in
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }

    // MARK: Definitions

    /// Stores a definition put in force, and notes it as its workflow's version in force (`meta`
    /// `in_force:WORKFLOW`), which `definitionInForce` reads back after a restart.
    public func saveDefinition(digest: String, workflow: String, file: String, source: [UInt8], at: Instant) throws {
        try write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO definitions(digest, workflow, file, source, loaded_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [digest, workflow, file, Data(source), at.seconds])
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: ["in_force:" + workflow, digest])
        }
    }

    /// The version of `workflow` last put in force, with its source: what a restart keeps in force when the
    /// workflow's file no longer loads. Without a stored row for the note (stores written before the `in_force`
    /// notes), the version loaded last.
    public func definitionInForce(workflow: String) throws -> (digest: String, file: String, source: [UInt8])? {
        try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT digest, file, source FROM definitions WHERE workflow = ?1
                    ORDER BY digest = (SELECT value FROM meta WHERE key = 'in_force:' || ?1) DESC, loaded_at DESC, rowid DESC
                    LIMIT 1
                    """,
                arguments: [workflow]
            ).map { ($0["digest"], $0["file"], [UInt8](($0["source"] as Data?) ?? Data())) }
        }
    }

    /// Definitions that instances still run, with their source (for pinned, stale instances after a restart).
    public func definitionsInUse() throws -> [(digest: String, workflow: String, file: String, source: [UInt8])] {
        try read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT digest, workflow, file, source FROM definitions WHERE digest IN (SELECT digest FROM workflow_counts WHERE n > 0)"
            ).map { ($0["digest"], $0["workflow"], $0["file"], [UInt8](($0["source"] as Data?) ?? Data())) }
        }
    }
}
