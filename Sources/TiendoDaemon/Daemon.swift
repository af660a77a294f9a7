import Foundation
public import Logging
import Synchronization
public import TiendoCore
public import TiendoStore

/// Errors of operator requests, mapped one to one onto the varlink errors.
public enum RequestError: Error, Sendable {
    case noSuchWorkflow(String)
    case noSuchInstance(String)
    case instanceExists(String)
    case invalidData(field: String, reason: String)
    case eventRejected(id: String, event: String, state: String?, reason: String)
    case importRejected([Diagnostic])
    case limitExceeded(limit: String, group: String?, count: Int, max: Int)
    /// `vn.tiendo.Extras.Undo` (an extension): no step of the instance can be undone, and why.
    case nothingToUndo(id: String, reason: String)
    /// `vn.tiendo.Extras.ClockBehind` (an extension): the clock is behind what was already written, so an
    /// operator's change would be dated before it (`Daemon.operatorNow`).
    case clockBehind(now: Instant, newest: Instant)
    case internalError(String)
}

/// An immutable view of the definitions in force, shared with reader threads.
public final class Catalog: Sendable {
    public let current: [String: WorkflowDefinition]
    public let byDigest: [String: WorkflowDefinition]
    public let diagnostics: [Diagnostic]
    /// The routing file in force (`delivery/routing.yaml`), nil when there is none: nothing is fanned out to send.
    public let routingFile: String?
    init(
        current: [String: WorkflowDefinition], byDigest: [String: WorkflowDefinition], diagnostics: [Diagnostic],
        routingFile: String? = nil
    ) {
        self.current = current
        self.byDigest = byDigest
        self.diagnostics = diagnostics
        self.routingFile = routingFile
    }
    public func definition(_ digest: String) -> WorkflowDefinition? { byDigest[digest] }
}

/// Options of one daemon run.
public struct DaemonOptions: Sendable {
    public var workflowDirectories: [String]
    public var stateDirectory: String
    public var runtimeDirectory: String
    /// The program's version (`TiendoVersion.string`), shown by GetStatus, GetInfo and the status files.
    public var version: String
    public var synchronous: String = "FULL"
    /// Instances fired per transaction.
    public var batchSize = 5000
    /// Instances moved to a new version of their workflow per transaction (`migrate`): a page at a time, the
    /// watchdog fed between pages (tests make it small).
    public var migrationPage = 5000
    /// How long one turn of the loop (and the start-up) fires before it answers what waits — requests, signals —
    /// and goes on at the next turn (`Daemon.tick(now:within:)`).
    public var tickSeconds = 1.0
    /// An import whose records are at most this many keeps them in memory and emits them after its commit; a
    /// larger one reads them back from the outbox in pages, so memory stays flat.
    public var importRecordsInMemory = 50_000
    /// An import of at least this many rows, into a store holding at most `Daemon.bulkImportStoredRatio` times as
    /// many instances, builds the secondary indexes after its rows instead of row by row (`BulkLoad`).
    public var bulkImportRows = 20_000
    /// Databases up to this size are integrity-checked before start-up, larger ones right after (`Store.init`).
    public var inlineIntegrityCheckBytes: Int64 = 64 << 20
    /// Create an empty database even where the state directory shows one existed (`tiendod --init`).
    public var initialize = false
    /// Take the clock as right even when it is behind the newest record (`tiendod --trust-clock`: that record was
    /// dated by a clock that ran fast): operators' changes are not refused for it (`Daemon.operatorNow`).
    public var trustClock = false
    /// Whether a group commit's log is synced on a thread of its own while the loop goes on, its replies and
    /// records held until then (`LogSyncer`, `Daemon.hold`); tiendod's choice unless `synchronous` is NORMAL.
    /// Off, each group waits for its own sync, as every other commit does.
    public var syncGroupsInBackground = false
    /// How the log is synced (`fdatasync`; tests make it fail).
    public var syncLog: @Sendable (Int32) -> Int32 = { fdatasync($0) }
    public init(workflowDirectories: [String], stateDirectory: String, runtimeDirectory: String, version: String) {
        self.workflowDirectories = workflowDirectories
        self.stateDirectory = stateDirectory
        self.runtimeDirectory = runtimeDirectory
        self.version = version
    }
}

/// What threads other than the loop's may use of a daemon (the varlink readers, the integrity check, the web's
/// calls through them): the store, whose reader connections never block the writer, and the catalog snapshot the
/// loop publishes after every load. Immutable but for that snapshot, which is behind a `Mutex`.
/// The loop cannot write to the store (a full disk, a read-only mount): it sends nothing unrecorded and tries again;
/// the status (GetStatus, status.json, tiendo.prom) says so until it can.
public struct StoreProblem: Sendable, Equatable {
    public var reason: String
    public var since: Instant
}

public final class ViewSource: Sendable {
    public let store: Store
    public let pid: Int
    public let startedAt: Instant
    public let version: String
    private let published = Mutex(Catalog(current: [:], byDigest: [:], diagnostics: []))
    private let storeProblem = Mutex<StoreProblem?>(nil)
    private let clockBehindNewest = Mutex<Instant?>(nil)

    init(store: Store, pid: Int, startedAt: Instant, version: String) {
        self.store = store
        self.pid = pid
        self.startedAt = startedAt
        self.version = version
    }

    /// The definitions in force at the last load.
    public var catalog: Catalog { published.withLock { $0 } }

    /// Read-only views over the current catalog and the store.
    public var views: Views {
        Views(
            catalog: catalog, store: store, pid: pid, startedAt: startedAt, version: version, problem: problem, clockBehind: clockBehind)
    }

    func publish(_ catalog: Catalog) { published.withLock { $0 = catalog } }

    /// Why the loop cannot write to the store, and since when (degraded mode), nil while it can.
    public var problem: StoreProblem? { storeProblem.withLock { $0 } }

    func report(problem: StoreProblem?) { storeProblem.withLock { $0 = problem } }

    /// The newest record's instant while the clock is too far behind it for operators' changes (`Daemon.checkClock`),
    /// nil otherwise.
    public var clockBehind: Instant? { clockBehindNewest.withLock { $0 } }

    /// Sets `clockBehind`; whether it changed.
    func report(clockBehind: Instant?) -> Bool {
        clockBehindNewest.withLock { c in
            defer { c = clockBehind }
            return c != clockBehind
        }
    }
}

/// The daemon's state: the catalog, the engines, the calendars in force, the outbox, the loop's bookkeeping and the
/// only write connection's transactions. Not `Sendable`: once handed to an `EventLoop` it is reachable only inside
/// the loop's `Mutex` (`EventLoop.enqueue`, `EventLoop.withDaemon`), so the compiler checks that no other thread
/// keeps it. What other threads need is `viewSource` (`Sendable`), taken before the daemon is handed over.
/// Tests use a daemon directly on their own thread (the scheduler without a loop).
public final class Daemon: InstanceCounter {
    public let options: DaemonOptions
    public let store: Store
    public let clock: DaemonClock
    /// Where committed records go (journald or stderr).
    public let sink: any RecordSink
    /// The daemon's own messages, through `SinkLogHandler` to the same journal or stderr as the records.
    public let log: Logger
    /// Writes the status files, off the loop thread when it can (`StatusPublisher`).
    let statusPublisher: StatusPublisher
    /// The catalog snapshot and the store for other threads.
    public let viewSource: ViewSource

    /// The definition in force per workflow id.
    public internal(set) var current: [String: WorkflowDefinition] = [:]
    /// Every definition instances run, by digest.
    var byDigest: [String: WorkflowDefinition] = [:]
    var engines: [String: Engine] = [:]
    /// The calendar in force per id (format §10 "Calendar changes"): every definition, current or stale, computes
    /// with it. Read from the store at the first load, replaced by a changed file that loads without errors.
    var calendarsInForce: [String: WorkCalendar] = [:]
    var storedCalendarsRead = false
    /// Whether the definitions instances are pinned to were read from the store (at the first load; a failed read is
    /// tried again at the next load).
    var pinnedDefinitionsRead = false
    /// Problems of the last load, per file, shown in status.
    public internal(set) var diagnostics: [Diagnostic] = []
    public internal(set) var recordsSent: [Record.Kind: Int] = [:]
    var statusDirty = true
    /// Why the status files could not be written, while writes keep failing: a run of failures is logged when it
    /// begins or its reason changes, and once when it ends (a daemon retrying every second would fill the journal).
    var statusWriteFailure: String?
    /// The event loop's pacing of status writes and its degraded mode (`EventLoop`).
    var loopStatus = LoopStatus()
    /// The catch-up being summed for its summary (`tallyCatchUp`), nil when none is.
    var catchUp: CatchUpTally?
    public internal(set) var lastNow: Instant
    /// The latest instant records are known to have been written at: the newest at the start (unless
    /// `options.trustClock`), then each commit of a change or of a batch fired. An operator's change is refused
    /// while the clock is more than `Daemon.operatorClockTolerance` behind it (`checkClock`).
    var clockFloor: Instant
    /// When `checkClock` last said in the journal that it refuses changes.
    var clockRefusalLoggedAt: Instant?
    /// When `tick` last dropped the snapshots of steps past the undo window.
    var snapshotsDroppedAt: Instant?
    /// The last record emitted whose sequence number is not yet the stored sent watermark; written by the next
    /// write transaction or when the loop goes idle.
    var emittedThrough: Int64?
    /// The last record emitted (only moves forward).
    var lastEmitted: Int64 = 0
    /// An emission was refused, or `flushOutbox` has not read the outbox to its end: newer records wait in the
    /// outbox, in order, until `flushOutbox` sends them.
    public internal(set) var outboxBehind = false
    /// The last record handed to `onRecords` (a record sent again after a failed emission is not shown twice).
    var announcedThrough: Int64 = 0
    /// The write transaction open on the loop thread (`group`, an import, a calendar change): every read and write
    /// of the loop goes through it until it commits (`transact`). Emission and replies wait for it.
    var transaction: Store.Transaction?
    /// Inside `group` (operator changes): records are emitted, and replies sent, once the group has committed.
    var inGroup = false
    var groupRecords: [StoredRecord] = []
    var afterCommitCallbacks: [(Bool) -> Void] = []
    /// Why the last group commit failed, for the replies it refuses (`ControlService`).
    public internal(set) var lastGroupFailure: String?
    /// Whether that failure's words say what became of the change (the store's own errors do), so that a refusal adds
    /// no «nothing changed» of its own.
    var lastGroupFailureSaysAll = false
    /// Syncs the log of group commits off the loop (`options.syncGroupsInBackground`), nil otherwise.
    let logSyncer: LogSyncer?
    /// Committed groups whose replies and records wait for the log's sync, in commit order (`GroupSync.swift`).
    var held: [HeldGroup] = []
    var lastTicket = 0
    /// Why the log could not be synced: the loop stops without answering what it holds (`EventLoop.run`).
    public internal(set) var syncFailure: String?
    /// Called on the loop thread with every batch of records sent (the control socket's Watch).
    public var onRecords: (@Sendable ([Record]) -> Void)?
    /// Called now and then during long work on the loop thread (a large import) so the watchdog keeps being fed.
    public var heartbeat: () -> Void = {}
    /// The routing file in force and the delivery queue's changes (`Deliveries.swift`).
    let delivery = DeliveryState()
    /// This daemon's hold on its state directory (`StateLock`).
    let stateLock: StateLock
    /// Definitions instances run that did not load, each said once (`fire`).
    var unloadableDigests: Set<String> = []
    /// How long an instance whose definition does not load waits before it is looked at again.
    static let unloadableRetrySeconds: Int64 = 3600

    /// The definitions in force.
    public var catalog: Catalog { viewSource.catalog }

    /// A failed write to the store in words, with where: «đĩa đầy (SQLITE_FULL) trong /var/lib/tiendo: hãy giải
    /// phóng…». The log, the refusals and the status say it alike. The store's own errors name their files already.
    func storeFailure(_ error: any Error) -> String {
        error is StoreError ? Store.describe(error) : Store.describe(error, place: options.stateDirectory)
    }

    /// Lets the state directory go for another daemon in this process, as after a restart (tests); the process's
    /// end lets it go otherwise. This daemon must not be used afterwards.
    public func releaseStateDirectory() { stateLock.release() }

    func publishCatalog() {
        viewSource.publish(Catalog(current: current, byDigest: byDigest, diagnostics: diagnostics, routingFile: delivery.routing?.file))
    }

    public init(options: DaemonOptions, clock: DaemonClock, sink: any RecordSink & LogWriter) throws {
        self.options = options
        self.clock = clock
        self.sink = sink
        var log = Logger(label: "tiendod") { _ in SinkLogHandler(writer: sink) }
        log.logLevel = .info
        self.log = log
        let startedAt = clock.now()
        lastNow = startedAt
        clockFloor = Instant(seconds: 0)
        do {
            // Not searchable by other users (the database holds personal data), whatever the umask it was started with.
            try FileManager.default.createDirectory(
                atPath: options.stateDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        } catch {
            throw StartError("không tạo được thư mục trạng thái \(options.stateDirectory): \(SystemErrorText.describe(error))")
        }
        stateLock = try StateLock(directory: options.stateDirectory)
        let database = (options.stateDirectory as NSString).appendingPathComponent("tiendo.sqlite")
        // A restore a crash cut short is finished before the database is opened (its files may be half moved).
        do {
            if let said = try Store.finishInterruptedRestore(database: database) { log.warning("\(said)") }
        } catch {
            throw StartError("không hoàn tất được lần khôi phục bị ngắt giữa chừng: \(error.description)")
        }
        store = try Store(
            path: database, synchronous: options.synchronous,
            inlineCheckBytes: options.inlineIntegrityCheckBytes, initialize: options.initialize, backgroundCheckpoints: .standard,
            dueIndex: true)
        // A clock behind the last record written (set back by hand, a board without a battery booting in 1970, a
        // fake clock started earlier than the last run): nothing is sent twice (the marks say what was), but what
        // falls due after that record waits for the clock to come back, so an operator is told at once.
        let written = try? store.latestWrittenAt()
        if !options.trustClock, let written { clockFloor = written }
        if let last = written, startedAt.seconds < last.seconds - Daemon.clockTolerance {
            // Taken as right for good, not for this start only: the records written while the clock ran fast stop
            // counting (the next start without the flag found them among the last 200 and refused again).
            if options.trustClock {
                do { try store.trustClock() } catch { log.error("Không ghi được việc tin đồng hồ (--trust-clock): \(error)") }
            }
            let refuses = Daemon.refusesOperators(at: startedAt, floor: last)
            let behind = Messages.span(seconds: Int(last.seconds - startedAt.seconds))
            var said =
                "Đồng hồ đang chỉ \(Zone.vietnam.vietnamese(startedAt)), sớm hơn \(behind) so với bản ghi mới nhất trong cơ sở dữ liệu "
                + "(\(Zone.vietnam.vietnamese(last))): đồng hồ của máy có bị lùi không? Không thông báo nào bị gửi lại; việc "
                + "đến hạn sau lúc đó chờ đồng hồ tới"
            // What a clock that ran ahead left behind, and the way back (operations audit, 07/12/2026): notices of the
            // time between now and that record were written then, early, and are not written again; states entered
            // then count their deadlines from a future instant. Past a day only: a clock a few minutes off says nothing
            // of backups (and the count reads every instance).
            if refuses {
                if let ahead = try? store.instancesEntered(after: startedAt), ahead > 0 {
                    said += ". \(Messages.count(ahead)) hồ sơ có trạng thái ghi vào lúc sau giờ này"
                }
                said +=
                    ". Nếu trước đây đồng hồ đã chạy nhanh: các nhắc hạn, báo quá hạn tới \(Zone.vietnam.vietnamese(last)) đã được ghi (sớm) "
                    + "khi ấy và sẽ không được ghi lại; cách đưa về đúng là khôi phục bản sao lưu gần nhất từ trước lúc đồng hồ chạy nhanh "
                    + "(tiendod --restore TỆP, các bản trong thư mục backups/, xem tiendod(8))"
            }
            if options.trustClock {
                said += "; theo --trust-clock, thao tác của người dùng vẫn được ghi theo giờ này"
            } else if refuses {
                said +=
                    "; thao tác của người dùng (thêm, nhập, ghi bước, hoàn tác) bị từ chối cho tới khi đồng hồ đúng lại. "
                    + "Hãy chỉnh đồng hồ (timedatectl); nếu giờ này mới đúng, khởi động lại tiendod với --trust-clock"
            }
            log.warning("\(said)")
        }
        if !Store.memoryStatisticsAreOff {
            // Slower, not wrong: something opened SQLite before the store could configure it.
            log.warning("SQLite đã được dùng trước khi tiendod cấu hình: thống kê bộ nhớ của SQLite vẫn bật, ghi chậm hơn")
        }
        // Imports staged by clients of an earlier run cannot be finished: their client has gone. Snapshots of steps
        // past the undo window go (then once a day, `tick`).
        do {
            try store.write { tx in
                try tx.dropStaged()
                try tx.dropOldSnapshots(now: startedAt, limit: Int.max)
            }
        } catch {
            throw StoreError.cannotOpen(path: store.path, reason: Store.describe(error))
        }
        logSyncer =
            options.syncGroupsInBackground && options.synchronous != "NORMAL"
            ? try LogSyncer(databasePath: store.path, sync: options.syncLog) : nil
        viewSource = ViewSource(store: store, pid: Int(getpid()), startedAt: startedAt, version: options.version)
        do {
            statusPublisher = try StatusPublisher(directory: options.runtimeDirectory)
        } catch {
            throw StartError(
                "không ghi được thư mục trạng thái chạy (--runtime-dir) \(options.runtimeDirectory): \(SystemErrorText.describe(error))")
        }
    }

    /// Why the daemon could not start, in words.
    struct StartError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    deinit { logSyncer?.stop() }

    // MARK: Transactions

    /// Runs `f` in the loop's open transaction (in a group, an import, a calendar change), else in one of its own.
    func transact<T>(_ f: (Store.Transaction) throws -> T) throws -> T {
        if let transaction { return try f(transaction) }
        return try store.write(f)
    }

    /// Opens the loop's transaction for `body`: what it reads and writes through `transact` commits together.
    /// With `savepoints` (a group of requests), a request whose write fails is undone alone.
    func inTransaction<T>(
        savepoints: Bool = false, syncLater: Bool = false, bulk: Bool = false, _ body: (Store.Transaction) throws -> T
    ) throws -> T {
        precondition(transaction == nil, "one write transaction at a time on the loop thread")
        return try store.write(savepoints: savepoints, syncLater: syncLater, bulk: bulk) { tx in
            transaction = tx
            defer { transaction = nil }
            return try body(tx)
        }
    }

    // MARK: Views

    /// Read-only views over a snapshot of the catalog and the store.
    public var views: Views { viewSource.views }
}
