import Foundation
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
public final class Daemon: InstanceCounter, @unchecked Sendable {
    public let options: DaemonOptions
    public let store: Store
    public let clock: DaemonClock
    public let sink: any RecordSink
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
    public private(set) var diagnostics: [Diagnostic] = []
    public private(set) var recordsSent: [Record.Kind: Int] = [:]
    var statusDirty = true
    public private(set) var lastNow: Instant
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

    public init(options: DaemonOptions, clock: DaemonClock, sink: any RecordSink) throws {
        self.options = options
        self.clock = clock
        self.sink = sink
        startedAt = clock.now()
        lastNow = startedAt
        try FileManager.default.createDirectory(atPath: options.stateDirectory, withIntermediateDirectories: true)
        store = try Store(path: (options.stateDirectory as NSString).appendingPathComponent("tiendo.sqlite"), synchronous: options.synchronous,
            inlineCheckBytes: options.inlineIntegrityCheckBytes, initialize: options.initialize)
        // Imports staged by clients of an earlier run cannot be finished: their client has gone.
        try store.dropStaged()
        statusWriter = StatusWriter(directory: options.runtimeDirectory)
        try statusWriter.prepare()
    }

    // MARK: Definitions

    func engine(_ digest: String) -> Engine? {
        if let e = engines[digest] { return e }
        guard let d = byDigest[digest] else { return nil }
        let e = Engine(d)
        engines[digest] = e
        return e
    }

    func definition(_ digest: String) -> WorkflowDefinition? { byDigest[digest] }

    /// Loads (or reloads) the search path and the calendars. A broken file keeps its last good version in force.
    /// In order (format §10 "Calendar changes", rule 5): a calendar that changed is applied to the instances using
    /// it (`rescheduled` records, with `actor` the uid of a `Reload` caller); then instances move to a new version
    /// when their state and milestones still exist there, the others stay pinned and stale. Catch-up comes after,
    /// at the caller's next tick.
    @discardableResult
    public func loadDefinitions(actor: Int? = nil) -> (changed: [String], diagnostics: [Diagnostic]) {
        let now = clock.now()
        if !storedCalendarsRead { readStoredCalendars() }
        // Pinned versions from the store, so stale instances keep running after a restart.
        if byDigest.isEmpty, let pinned = try? store.definitionsInUse() {
            let loader = Loader(searchPath: options.workflowDirectories)
            loader.calendarsInForce = calendarsInForce
            for p in pinned {
                if let def = loader.loadWorkflow(file: p.file, bytes: p.source).0 { byDigest[def.digest] = def }
            }
        }
        let loader = Loader(searchPath: options.workflowDirectories)
        loader.calendarsInForce = calendarsInForce
        let set = loader.loadAll()
        var changed: [String] = []
        for id in set.order {
            guard let def = set.workflows[id] else { continue }
            if current[id]?.digest != def.digest {
                if case .success(let bytes) = Loader.readFile(def.file) {
                    do {
                        try store.saveDefinition(digest: def.digest, workflow: id, file: def.file, source: bytes, at: now)
                    } catch {
                        sink.log(3, "Không lưu được định nghĩa \(id): \(error)")
                    }
                }
                current[id] = def
                byDigest[def.digest] = def
                changed.append(id)
            }
        }
        let errorsByFile = Dictionary(grouping: set.errors, by: \.file)
        for (id, file) in set.rejected {
            let msgs = errorsByFile[file] ?? []
            let kept = current[id] != nil ? "giữ phiên bản tốt trước đó" : "chưa có phiên bản nào dùng được"
            sink.log(
                3, "Định nghĩa \(id) (\(file)) bị từ chối, \(kept): \(msgs.map(\.description).joined(separator: "; "))",
                event: .definitionRejected, fields: [("TIENDO_WORKFLOW", id), ("TIENDO_FILE", file)])
        }
        var diagnostics = set.diagnostics
        logCalendarErrors(loader, diagnostics: &diagnostics)
        loadRouting(set, diagnostics: &diagnostics)
        self.diagnostics = diagnostics
        let calendarChanges = applyCalendarChanges(loader, at: now, actor: actor)
        // Every definition in force, current or stale, computes with the calendars in force from now on.
        bindCalendarsInForce()
        publishCatalog()
        for id in changed { migrate(workflow: id, at: now) }
        let calendarsChanged = calendarChanges.filter { $0.previous }
        if !changed.isEmpty || current.isEmpty || !calendarsChanged.isEmpty {
            var what = changed.isEmpty ? "không có thay đổi" : "thay đổi: " + changed.joined(separator: ", ")
            if !calendarsChanged.isEmpty {
                what += "; lịch thay đổi: "
                    + calendarsChanged.map { c in
                        "\(c.id) (đổi hạn \(Daemon.thousands(c.records)) việc của \(Daemon.thousands(c.instances)) hồ sơ)"
                    }.joined(separator: ", ")
            }
            sink.log(
                6, "Đã nạp \(current.count) quy trình (\(what))", event: .definitionsLoaded,
                fields: [
                    ("TIENDO_WORKFLOWS", current.keys.sorted().joined(separator: " ")),
                    ("TIENDO_CALENDARS", calendarsChanged.map(\.id).joined(separator: " ")),
                ])
        }
        statusDirty = true
        return (changed, diagnostics)
    }

    /// Moves instances of `workflow` to the current version when compatible (format §9); marks the others stale.
    func migrate(workflow: String, at now: Instant) {
        guard let def = current[workflow] else { return }
        guard let rows = try? store.instances(workflow: workflow, notOn: def.digest, definition: definition) else { return }
        var changes: [InstanceChange] = []
        for row in rows {
            var inst = row.instance
            let old = byDigest[inst.digest]
            let stateOK = inst.state.map { def.state($0) != nil } ?? !def.hasStates
            let milestonesOK = (old.map { def.keepsMilestones(of: $0) } ?? true)
                && inst.done.keys.allSatisfy { def.milestone($0).map { $0.recurrence == nil } ?? false }
                && inst.series.keys.allSatisfy { def.milestone($0).map { $0.recurrence != nil } ?? false }
            let dataOK: Bool = {
                if case .success = def.complete(inst.data) { return inst.data.keys.allSatisfy { def.field($0) != nil } }
                return false
            }()
            if stateOK && milestonesOK && dataOK {
                inst.digest = def.digest
                changes.append(change(inst, def: def, stale: false))
            } else if !row.stale, let old {
                changes.append(change(inst, def: old, stale: true))
            }
        }
        if !changes.isEmpty {
            do { try store.commit(changes: changes, records: [], delivery: deliveryCommit(now: now, changes: changes)) } catch { sink.log(2, "Không ghi được khi chuyển phiên bản \(workflow): \(error)") }
        }
    }

    /// The row to store for an instance: its schedule and open deadlines, computed by `engine` (by default the
    /// cached engine of its definition).
    func change(
        _ inst: Instance, def: WorkflowDefinition, engine: Engine? = nil, stale: Bool, dataUnchanged: Bool = false,
        previousDueSig: Int64? = nil
    ) -> InstanceChange {
        let engine = engine ?? self.engine(def.digest) ?? Engine(def)
        var next = engine.nextWakeup(inst)
        if let n = next, n <= inst.checkedAt { next = inst.checkedAt.adding(seconds: 1) }
        let group = def.group(of: inst.data)
        let due = engine.openDeadlines(inst).map {
            DueRow(
                instance: inst.id, deadline: $0.key, workflow: inst.workflow, group: group, state: inst.state, milestone: $0.milestone,
                occurrence: $0.occurrence, title: $0.title, due: $0.due, dueEnd: $0.end, provisional: $0.provisional)
        }
        return InstanceChange(
            instance: inst, group: group, nextWakeup: next, dueItems: due, stale: stale,
            dataJSON: dataUnchanged ? nil : def.json(inst.data).serialized(), previousDueSig: previousDueSig)
    }

    // MARK: Firing

    public struct TickResult {
        public var records = 0
        public var late = 0
        public var maxLate = 0
        /// Instances still due after the tick (a bounded catch-up goes on at the next wake-up), and since when.
        public var behind = 0
        public var behindSince: Instant?
    }

    /// Fires everything due at or before `now` in bounded batches: one transaction per batch, records committed
    /// before they are emitted and marked sent after.
    @discardableResult
    public func tick(now: Instant) throws -> TickResult {
        var result = TickResult()
        lastNow = now
        while true {
            let batch = try store.dueInstances(upTo: now, limit: options.batchSize, definition: definition)
            if batch.isEmpty { break }
            var changes: [InstanceChange] = []
            var records: [Record] = []
            changes.reserveCapacity(batch.count)
            for row in batch {
                var inst = row.instance
                guard let def = byDigest[inst.digest], let engine = engine(inst.digest) else {
                    // Its definition is gone: stop scheduling it and say so.
                    sink.log(3, "Hồ sơ \(inst.id) chạy định nghĩa \(inst.digest.prefix(12)) không còn nạp được; tạm dừng lịch của nó")
                    changes.append(InstanceChange(instance: inst, group: nil, nextWakeup: nil, dueItems: [], stale: true, dataJSON: nil))
                    continue
                }
                let rs = engine.advance(&inst, to: now)
                for r in rs {
                    if let l = r.late {
                        result.late += 1
                        result.maxLate = max(result.maxLate, l)
                    }
                }
                records += rs
                var c = change(inst, def: def, stale: row.stale, dataUnchanged: true, previousDueSig: row.dueSig)
                c.rowid = row.rowid
                changes.append(c)
            }
            let stored = try store.commit(
                changes: changes, records: records, markSent: takeUnmarked(), delivery: deliveryCommit(now: now, changes: changes))
            result.records += stored.count
            send(stored)
            statusDirty = true
            if batch.count < options.batchSize { break }
        }
        if result.late > 0 { (result.behind, result.behindSince) = try store.behind(upTo: now) }
        return result
    }

    /// Emits committed records (after the group's commit, inside a group). They are marked sent by the next
    /// write transaction or when the loop goes idle: a crash before that can only repeat emitted records.
    func send(_ stored: [StoredRecord]) {
        guard !stored.isEmpty else { return }
        if inGroup {
            groupRecords += stored
            return
        }
        let records = stored.map(\.record)
        onRecords?(records)
        if sink.emit(records) {
            for r in records { recordsSent[r.kind, default: 0] += 1 }
            let lo = min(unmarkedSent?.lowerBound ?? .max, stored.first!.seq)
            let hi = max(unmarkedSent?.upperBound ?? .min, stored.last!.seq)
            unmarkedSent = lo...hi
        } else {
            // Not sent: mark what was sent before, so no later range covers these.
            flushSentMarks()
        }
    }

    /// The emitted-but-unmarked range, handed to a commit that marks it.
    func takeUnmarked() -> ClosedRange<Int64>? {
        defer { unmarkedSent = nil }
        return unmarkedSent
    }

    /// Marks emitted records sent (when the loop goes idle).
    public func flushSentMarks() {
        guard let r = unmarkedSent else { return }
        do {
            try store.markSent(from: r.lowerBound, through: r.upperBound)
            unmarkedSent = nil
        } catch {
            sink.log(3, "Không đánh dấu được bản ghi đã gửi: \(error)")
        }
    }

    /// Group commit: runs `body` (operator requests) in one transaction, then emits their records and calls the
    /// `afterCommit` callbacks (the replies) with whether the commit succeeded.
    public func group(_ body: () -> Void) {
        inGroup = true
        var ok = true
        do {
            let marks = takeUnmarked()
            try store.batch {
                if let marks { try store.markSent(from: marks.lowerBound, through: marks.upperBound) }
                body()
            }
        } catch {
            ok = false
            sink.log(2, "Không ghi được nhóm thay đổi: \(error)")
        }
        inGroup = false
        let records = groupRecords
        let callbacks = afterCommitCallbacks
        groupRecords = []
        afterCommitCallbacks = []
        if ok { send(records) }
        for c in callbacks { c(ok) }
    }

    /// Runs `f` once the current group is durable (at once outside a group).
    public func afterCommit(_ f: @escaping (Bool) -> Void) {
        if inGroup { afterCommitCallbacks.append(f) } else { f(true) }
    }

    /// Sends records committed by an earlier run but not marked sent (never lost).
    public func flushOutbox() throws -> Int {
        var total = 0
        while true {
            let batch = try store.unsent(limit: 5000)
            if batch.isEmpty { break }
            send(batch)
            flushSentMarks()
            total += batch.count
            if batch.count < 5000 { break }
        }
        return total
    }

    /// A catch-up summary (MESSAGE_ID catch-up) when a tick fired late items: how many, how late the latest, and
    /// what is still behind (a bounded catch-up goes on at once, at the next wake-up).
    public func reportCatchUp(_ r: TickResult, reason: String) {
        guard r.late > 0 else { return }
        var text = "Bù \(Daemon.thousands(r.late)) việc trễ hạn \(reason) (nhiều nhất \(Messages.lateness(seconds: r.maxLate)))"
        var fields = [("TIENDO_LATE_ITEMS", String(r.late)), ("TIENDO_MAX_LATE_SEC", String(r.maxLate))]
        if r.behind > 0, let since = r.behindSince {
            let zone = current.values.first?.zone ?? .vietnam
            text += "; còn \(Daemon.thousands(r.behind)) hồ sơ chưa bù xong, chậm từ \(zone.vietnamese(since))"
                + " (\(Messages.lateness(seconds: Int(max(0, clock.now().seconds - since.seconds))))), bù tiếp ngay"
            fields += [("TIENDO_BEHIND_INSTANCES", String(r.behind)), ("TIENDO_BEHIND_SINCE", zone.iso(since))]
        }
        sink.log(4, text, event: .catchUp, fields: fields)
    }

    // MARK: Counting (limits)

    public func count(workflow: String, states: Set<String>, field: String?, value: Value?) -> Int {
        let def = current[workflow]
        if field == nil || field == def?.groupBy {
            let g = field == nil ? nil : value.map { $0.display(zone: def?.zone ?? .vietnam) }
            return (try? store.count(workflow: workflow, states: states, group: g, groupField: field != nil)) ?? 0
        }
        // A `per` field other than group_by: count through the stored JSON.
        guard let field, let def else { return 0 }
        let json = value.map { $0.json(zone: def.zone) }
        return (try? store.countByField(workflow: workflow, states: states, field: field, value: json)) ?? 0
    }

    // MARK: Operator requests

    func requestID(_ workflow: String, _ key: String) -> String { "\(workflow)/\(key)" }

    /// Starts an instance now (durable before returning).
    public func startInstance(workflow: String, key: String?, data: [(String, JSON)], actor: Int?, started: Instant? = nil) throws(RequestError) -> Instance {
        let now = clock.now()
        guard let def = current[workflow] else { throw .noSuchWorkflow(workflow) }
        let validated: InstanceData
        switch def.validate(data: data, partial: false) {
        case .success(let d): validated = d
        case .failure(let e): throw .invalidData(field: e.field, reason: e.reason)
        }
        let k = key ?? Daemon.generatedKey(now)
        guard InstanceRows.isValidKey(k) else {
            throw .invalidData(field: "key", reason: "khóa '\(k)' không hợp lệ: chữ, số, '.', '_', '-'; tối đa 128 ký tự")
        }
        let id = requestID(workflow, k)
        do {
            if try store.exists(id) { throw RequestError.instanceExists(id) }
        } catch let e as RequestError {
            throw e
        } catch {
            throw .internalError("\(error)")
        }
        let engine = self.engine(def.digest)!
        switch engine.start(instanceID: id, data: validated, at: started ?? now, now: now, actor: actor, counter: self) {
        case .success(let (inst, records)):
            try persist([change(inst, def: def, stale: false)], records)
            return inst
        case .failure(let e):
            throw Daemon.map(e)
        }
    }

    /// Commits an operator's change (durable before the reply), then emits its records.
    func persist(_ changes: [InstanceChange], _ records: [Record], idempotency: [(String, String, String)] = []) throws(RequestError) {
        do {
            send(
                try store.commit(
                    changes: changes, records: records, idempotency: idempotency, markSent: inGroup ? nil : takeUnmarked(),
                    delivery: deliveryCommit(now: clock.now(), changes: changes)))
        } catch {
            throw .internalError("\(error)")
        }
        statusDirty = true
    }

    static func map(_ e: EngineError) -> RequestError {
        switch e {
        case .invalidData(let f): return .invalidData(field: f.field, reason: f.reason)
        case .eventRejected(let id, let ev, let st, let reason, _): return .eventRejected(id: id, event: ev, state: st, reason: reason)
        case .limitExceeded(let l, let g, let c, let m, _): return .limitExceeded(limit: l, group: g, count: c, max: m)
        }
    }

    static func generatedKey(_ now: Instant) -> String {
        "i\(now.seconds)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Applies an event (or `done`) now; durable before returning. An idempotency key makes it apply at most once.
    public func sendEvent(id: String, event: String, data: [(String, JSON)], idempotencyKey: String?, actor: Int?) throws(RequestError) -> Instance {
        let now = clock.now()
        if let key = idempotencyKey, let reply = try? store.idempotentReply(instance: id, key: key) {
            _ = reply
            if let row = try? store.instance(id, definition: definition) { return row.instance }
        }
        let row: StoredInstance
        do {
            guard let r = try store.instance(id, definition: definition) else { throw RequestError.noSuchInstance(id) }
            row = r
        } catch let e as RequestError {
            throw e
        } catch {
            throw .internalError("\(error)")
        }
        guard let def = byDigest[row.instance.digest], let engine = engine(row.instance.digest) else {
            throw .internalError("định nghĩa của \(id) không nạp được")
        }
        var inst = row.instance
        let result = engine.send(&inst, event: event, data: data, at: now, actor: actor, counter: self)
        switch result {
        case .success(let records):
            try persist([change(inst, def: def, stale: row.stale)], records, idempotency: idempotencyKey.map { [(id, $0, "ok")] } ?? [])
            return inst
        case .failure(let e):
            // Keep what the advance did and the rejection in history; the event itself changed nothing.
            var advanced = row.instance
            let pre = engine.advanceFully(&advanced, to: now)
            try persist([change(advanced, def: def, stale: row.stale)], pre + (e.record.map { [$0] } ?? []))
            throw Daemon.map(e)
        }
    }

    // MARK: Views

    /// Read-only views over a snapshot of the catalog and the store; usable from any thread.
    public var views: Views { Views(catalog: catalog, store: store, pid: pid, startedAt: startedAt) }

}
