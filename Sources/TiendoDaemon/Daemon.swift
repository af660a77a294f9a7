import Foundation
public import Logging
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
    case internalError(String)
}

/// An immutable view of the definitions in force, shared with reader threads.
public final class Catalog: Sendable {
    public let current: [String: WorkflowDefinition]
    public let byDigest: [String: WorkflowDefinition]
    public let diagnostics: [Diagnostic]
    init(current: [String: WorkflowDefinition], byDigest: [String: WorkflowDefinition], diagnostics: [Diagnostic]) {
        self.current = current
        self.byDigest = byDigest
        self.diagnostics = diagnostics
    }
    public func definition(_ digest: String) -> WorkflowDefinition? { byDigest[digest] }
}

/// Options of one daemon run.
public struct DaemonOptions: Sendable {
    public var workflowDirectories: [String]
    public var stateDirectory: String
    public var runtimeDirectory: String
    public var synchronous: String = "FULL"
    public var batchSize = 5000
    /// Databases up to this size are integrity-checked before start-up, larger ones right after (`Store.init`).
    public var inlineIntegrityCheckBytes: Int64 = 64 << 20
    /// Create an empty database even where the state directory shows one existed (`tiendod --init`).
    public var initialize = false
    public init(workflowDirectories: [String], stateDirectory: String, runtimeDirectory: String) {
        self.workflowDirectories = workflowDirectories
        self.stateDirectory = stateDirectory
        self.runtimeDirectory = runtimeDirectory
    }
}

/// The daemon's state owner. Every method runs on the loop thread (see `EventLoop`); nothing here is shared.
/// Only `views` and `catalog` may be used from other threads (they are lock-protected snapshots).
/// Unchecked Sendable: its state belongs to the loop thread (see EventLoop); not yet checked by the compiler.
public final class Daemon: InstanceCounter, @unchecked Sendable {
    public let options: DaemonOptions
    public let store: Store
    public let clock: DaemonClock
    /// Where committed records go (journald or stderr).
    public let sink: any RecordSink
    /// The daemon's own messages, through `SinkLogHandler` to the same journal or stderr as the records.
    public let log: Logger
    let statusWriter: StatusWriter
    public let startedAt: Instant
    public let pid = Int(getpid())

    /// The definition in force per workflow id.
    public internal(set) var current: [String: WorkflowDefinition] = [:]
    /// Every definition instances run, by digest.
    var byDigest: [String: WorkflowDefinition] = [:]
    var engines: [String: Engine] = [:]
    /// The calendar in force per id (format §10 "Calendar changes"): every definition, current or stale, computes
    /// with it. Read from the store at the first load, replaced by a changed file that loads without errors.
    var calendarsInForce: [String: WorkCalendar] = [:]
    var storedCalendarsRead = false
    /// Problems of the last load, per file, shown in status.
    public internal(set) var diagnostics: [Diagnostic] = []
    public internal(set) var recordsSent: [Record.Kind: Int] = [:]
    var statusDirty = true
    public internal(set) var lastNow: Instant
    private let catalogLock = NSLock()
    private var catalogSnapshot = Catalog(current: [:], byDigest: [:], diagnostics: [])
    /// Records emitted but not yet marked sent; marked by the next write transaction or when the loop goes idle.
    var unmarkedSent: ClosedRange<Int64>?
    /// Inside `group`: commits go into one transaction; emission and replies wait for it.
    var inGroup = false
    var groupRecords: [StoredRecord] = []
    var afterCommitCallbacks: [(Bool) -> Void] = []
    /// Called on the loop thread with every batch of records sent (the control socket's Watch).
    public var onRecords: (@Sendable ([Record]) -> Void)?
    /// Called now and then during long work on the loop thread (a large import) so the watchdog keeps being fed.
    public var heartbeat: () -> Void = {}
    /// The routing file in force and the delivery queue's changes (`Deliveries.swift`).
    let delivery = DeliveryState()

    /// The definitions in force, safe to use from any thread.
    public var catalog: Catalog {
        catalogLock.lock()
        defer { catalogLock.unlock() }
        return catalogSnapshot
    }

    func publishCatalog() {
        let c = Catalog(current: current, byDigest: byDigest, diagnostics: diagnostics)
        catalogLock.lock()
        catalogSnapshot = c
        catalogLock.unlock()
    }

    public init(options: DaemonOptions, clock: DaemonClock, sink: any RecordSink & LogWriter) throws {
        self.options = options
        self.clock = clock
        self.sink = sink
        var log = Logger(label: "tiendod") { _ in SinkLogHandler(writer: sink) }
        log.logLevel = .info
        self.log = log
        startedAt = clock.now()
        lastNow = startedAt
        try FileManager.default.createDirectory(atPath: options.stateDirectory, withIntermediateDirectories: true)
        store = try Store(
            path: (options.stateDirectory as NSString).appendingPathComponent("tiendo.sqlite"), synchronous: options.synchronous,
            inlineCheckBytes: options.inlineIntegrityCheckBytes, initialize: options.initialize)
        // Imports staged by clients of an earlier run cannot be finished: their client has gone.
        try store.dropStaged()
        statusWriter = StatusWriter(directory: options.runtimeDirectory)
        try statusWriter.prepare()
    }

    // MARK: Views

    /// Read-only views over a snapshot of the catalog and the store; usable from any thread.
    public var views: Views { Views(catalog: catalog, store: store, pid: pid, startedAt: startedAt) }

}
