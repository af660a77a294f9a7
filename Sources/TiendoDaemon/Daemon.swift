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
    public private(set) var current: [String: WorkflowDefinition] = [:]
    /// Every definition instances run, by digest.
    var byDigest: [String: WorkflowDefinition] = [:]
    var engines: [String: Engine] = [:]
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

    /// Loads (or reloads) the search path. A broken file keeps its last good version in force. Instances move to
    /// a new version when their state and milestones still exist there; the others stay pinned and stale.
    @discardableResult
    public func loadDefinitions() -> (changed: [String], diagnostics: [Diagnostic]) {
        let now = clock.now()
        // Pinned versions from the store, so stale instances keep running after a restart.
        if byDigest.isEmpty, let pinned = try? store.definitionsInUse() {
            let loader = Loader(searchPath: options.workflowDirectories)
            for p in pinned {
                if let def = loader.loadWorkflow(file: p.file, bytes: p.source).0 { byDigest[def.digest] = def }
            }
        }
        let loader = Loader(searchPath: options.workflowDirectories)
        let set = loader.loadAll()
        var changed: [String] = []
        for id in set.order {
            guard let def = set.workflows[id] else { continue }
            if current[id]?.digest != def.digest {
                if let bytes = FileManager.default.contents(atPath: def.file) {
                    do {
                        try store.saveDefinition(digest: def.digest, workflow: id, file: def.file, source: [UInt8](bytes), at: now)
                    } catch {
                        sink.log(3, "Không lưu được định nghĩa \(id): \(error)")
                    }
                }
                current[id] = def
                byDigest[def.digest] = def
                changed.append(id)
            }
        }
        for (id, file) in set.rejected {
            let msgs = set.diagnostics.filter { $0.file == file && $0.severity == .error }
            let kept = current[id] != nil ? "giữ phiên bản tốt trước đó" : "chưa có phiên bản nào dùng được"
            sink.log(
                3, "Định nghĩa \(id) (\(file)) bị từ chối, \(kept): \(msgs.map(\.description).joined(separator: "; "))",
                event: .definitionRejected, fields: [("TIENDO_WORKFLOW", id), ("TIENDO_FILE", file)])
        }
        diagnostics = set.diagnostics
        publishCatalog()
        for id in changed { migrate(workflow: id, at: now) }
        if !changed.isEmpty || current.isEmpty {
            sink.log(
                6, "Đã nạp \(current.count) quy trình (\(changed.isEmpty ? "không có thay đổi" : "thay đổi: " + changed.joined(separator: ", ")))",
                event: .definitionsLoaded, fields: [("TIENDO_WORKFLOWS", current.keys.sorted().joined(separator: " "))])
        }
        statusDirty = true
        return (changed, set.diagnostics)
    }

    /// Moves instances of `workflow` to the current version when compatible; marks the others stale.
    func migrate(workflow: String, at now: Instant) {
        guard let def = current[workflow] else { return }
        guard let rows = try? store.instances(workflow: workflow, notOn: def.digest, definition: definition) else { return }
        var changes: [InstanceChange] = []
        for row in rows {
            var inst = row.instance
            let old = byDigest[inst.digest]
            let stateOK = inst.state.map { def.state($0) != nil } ?? !def.hasStates
            let milestonesOK = (old?.milestones ?? []).allSatisfy { def.milestone($0.id) != nil }
                && inst.done.keys.allSatisfy { def.milestone($0) != nil }
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
            do { try store.commit(changes: changes, records: []) } catch { sink.log(2, "Không ghi được khi chuyển phiên bản \(workflow): \(error)") }
        }
    }

    /// The row to store for an instance: its schedule and open deadlines.
    func change(_ inst: Instance, def: WorkflowDefinition, stale: Bool, dataUnchanged: Bool = false, previousDueSig: Int64? = nil) -> InstanceChange {
        let engine = self.engine(def.digest) ?? Engine(def)
        var next = engine.nextWakeup(inst)
        if let n = next, n <= inst.checkedAt { next = inst.checkedAt.adding(seconds: 1) }
        let group = def.group(of: inst.data)
        let due = engine.openDeadlines(inst).map {
            DueRow(
                instance: inst.id, deadline: $0.key, workflow: inst.workflow, group: group, state: inst.state, milestone: $0.milestone,
                title: $0.title, due: $0.due, dueEnd: $0.end)
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
            let stored = try store.commit(changes: changes, records: records, markSent: takeUnmarked())
            result.records += stored.count
            send(stored)
            statusDirty = true
            if batch.count < options.batchSize { break }
        }
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

    /// A catch-up summary (MESSAGE_ID catch-up) when a tick fired late items.
    public func reportCatchUp(_ r: TickResult, reason: String) {
        guard r.late > 0 else { return }
        sink.log(
            4, "Bù \(r.late) việc trễ hạn \(reason); trễ nhất \(Daemon.humanDuration(r.maxLate))", event: .catchUp,
            fields: [("TIENDO_LATE_ITEMS", String(r.late)), ("TIENDO_MAX_LATE_SEC", String(r.maxLate))])
    }

    static func humanDuration(_ s: Int) -> String {
        if s >= 86_400 { return "\(s / 86_400) ngày \((s % 86_400) / 3600) giờ" }
        if s >= 3600 { return "\(s / 3600) giờ \((s % 3600) / 60) phút" }
        if s >= 60 { return "\(s / 60) phút" }
        return "\(s) giây"
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
    public func startInstance(
        workflow: String, key: String?, data: [(String, JSON)], actor: Int?, actorName: String? = nil, started: Instant? = nil
    ) throws(RequestError) -> Instance {
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
            try persist([change(inst, def: def, stale: false)], Daemon.attribute(records, to: actorName))
            return inst
        case .failure(let e):
            throw Daemon.map(e)
        }
    }

    /// Starts every row or none (all-or-nothing, one transaction). Every bad row is reported: `file` is the workflow
    /// id and `line` the row number (1-based).
    public func importInstances(
        workflow: String, rows: [[(String, JSON)]], actor: Int?, actorName: String? = nil
    ) throws(RequestError) -> Int {
        let now = clock.now()
        guard let def = current[workflow], let engine = engine(def.digest) else { throw .noSuchWorkflow(workflow) }
        var problems: [Diagnostic] = []
        var keys = Set<String>()
        var prepared: [(id: String, started: Instant, data: InstanceData)] = []
        let existing: Set<String>
        do {
            existing = try store.existing(rows.compactMap { r in
                r.first { $0.0 == "key" }.flatMap { $0.1.stringValue ?? $0.1.intValue.map(String.init) }.map { requestID(workflow, $0) }
            })
        } catch {
            throw .internalError("\(error)")
        }
        func bad(_ n: Int, _ m: String) { problems.append(Diagnostic(file: workflow, line: n, column: 1, severity: .error, message: m)) }
        for (i, row) in rows.enumerated() {
            let n = i + 1
            var key: String?
            var started = now
            var fields: [(String, JSON)] = []
            var ok = true
            for (k, v) in row {
                switch k {
                case "key":
                    guard let s = v.stringValue ?? v.intValue.map(String.init), InstanceRows.isValidKey(s) else {
                        bad(n, "khóa '\(v.stringValue ?? v.serialized())' không hợp lệ (chữ, số, '.', '_', '-'; tối đa 128 ký tự)")
                        ok = false
                        continue
                    }
                    key = s
                case "started":
                    guard let s = v.stringValue, let t = def.zone.parseInstant(s) else {
                        bad(n, "'started' phải là ngày YYYY-MM-DD hoặc thời điểm ISO 8601")
                        ok = false
                        continue
                    }
                    started = t
                default:
                    if case .string(let s) = v, s.isEmpty { continue }
                    fields.append((k, v))
                }
            }
            guard ok else { continue }
            let k = key ?? "\(Daemon.generatedKey(now))-\(n)"
            if !keys.insert(k).inserted {
                bad(n, "khóa '\(k)' bị lặp trong lần nhập này")
                continue
            }
            let id = requestID(workflow, k)
            if existing.contains(id) {
                bad(n, "hồ sơ '\(id)' đã tồn tại")
                continue
            }
            switch def.validate(data: fields, partial: false) {
            case .success(let d): prepared.append((id, started, d))
            case .failure(let e): bad(n, "trường '\(e.field)': \(e.reason)")
            }
        }
        if !problems.isEmpty { throw .importRejected(problems) }
        // Limits count the rows already started in this batch.
        let counter = BatchCounter(base: self)
        var changes: [InstanceChange] = []
        var records: [Record] = []
        for (i, p) in prepared.enumerated() {
            switch engine.start(instanceID: p.id, data: p.data, at: p.started, now: now, actor: actor, counter: counter) {
            case .success(let (inst, rs)):
                counter.pending.append(inst)
                changes.append(change(inst, def: def, stale: false))
                records += rs
            case .failure(let e):
                let msg: String
                switch e {
                case .limitExceeded(let l, let g, let c, let m, _): msg = "vượt giới hạn \(l)\(g.map { " trong nhóm «\($0)»" } ?? ""): sẽ có \(c), tối đa \(m)"
                default: msg = "\(e)"
                }
                problems.append(Diagnostic(file: workflow, line: i + 1, column: 1, severity: .error, message: msg))
            }
        }
        if !problems.isEmpty { throw .importRejected(problems) }
        try persist(changes, Daemon.attribute(records, to: actorName))
        return prepared.count
    }

    /// Commits an operator's change (durable before the reply), then emits its records.
    func persist(_ changes: [InstanceChange], _ records: [Record], idempotency: [(String, String, String)] = []) throws(RequestError) {
        do {
            send(try store.commit(changes: changes, records: records, idempotency: idempotency, markSent: inGroup ? nil : takeUnmarked()))
        } catch {
            throw .internalError("\(error)")
        }
        statusDirty = true
    }

    /// The operator's records (those with an `actor`) of one request, with the name of the person a front end acted
    /// for; timed records the request caused on the way keep none.
    static func attribute(_ records: [Record], to actorName: String?) -> [Record] {
        guard let actorName else { return records }
        return records.map { r in
            guard r.actor != nil else { return r }
            var named = r
            named.actorName = actorName
            return named
        }
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
    public func sendEvent(
        id: String, event: String, data: [(String, JSON)], idempotencyKey: String?, actor: Int?, actorName: String? = nil
    ) throws(RequestError) -> Instance {
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
            try persist(
                [change(inst, def: def, stale: row.stale)], Daemon.attribute(records, to: actorName),
                idempotency: idempotencyKey.map { [(id, $0, "ok")] } ?? [])
            return inst
        case .failure(let e):
            // Keep what the advance did and the rejection in history; the event itself changed nothing.
            var advanced = row.instance
            let pre = engine.advance(&advanced, to: now)
            try persist([change(advanced, def: def, stale: row.stale)], pre + Daemon.attribute(e.record.map { [$0] } ?? [], to: actorName))
            throw Daemon.map(e)
        }
    }

    // MARK: Views

    /// Read-only views over a snapshot of the catalog and the store; usable from any thread.
    public var views: Views { Views(catalog: catalog, store: store, pid: pid, startedAt: startedAt) }

    public func summaries(now: Instant, groups: Bool = true) throws -> Views.Summaries { try views.summaries(now: now, groups: groups) }

    /// `12 quy trình, 1.083 hồ sơ, 3 quá hạn`
    public func summaryLine(instances: Int, overdue: Int) -> String {
        "\(current.count) quy trình, \(Daemon.thousands(instances)) hồ sơ, \(Daemon.thousands(overdue)) quá hạn"
    }

    static func thousands(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(".") }
            out.append(c)
        }
        return String(out.reversed())
    }

    /// Writes the status files when something changed (the loop throttles to once a second).
    @discardableResult
    public func writeStatus(now: Instant) -> Views.Summaries? {
        do {
            let s = try views.summaries(now: now)
            let v = views
            let status = v.statusJSON(now: now, workflows: s.workflows, instances: s.instances, overdue: s.overdue)
            var perWorkflow: [(String, JSON)] = []
            for w in s.workflows {
                guard let id = w["id"]?.stringValue else { continue }
                let groupJSON = JSON.object((s.groups[id] ?? []).map { g in
                    (g.counts.name, .object([
                        ("instances", .int(g.counts.instances)), ("states", .object(g.counts.states.map { ($0.0, .int($0.1)) })),
                        ("overdue", .int(g.overdue)),
                    ]))
                })
                let overdue = try store.dueItems(until: now, workflow: id, group: nil, limit: 1000).map { v.dueItemJSON($0, now: now) }
                let upcoming = try store.dueItems(after: now, until: now.adding(seconds: 7 * 86_400), workflow: id, group: nil, limit: 1000)
                    .map { v.dueItemJSON($0, now: now) }
                perWorkflow.append(
                    (id, .object([("version", .int(1)), ("workflow", w), ("groups", groupJSON), ("overdue", .array(overdue)), ("upcoming", .array(Array(upcoming)))])))
            }
            try statusWriter.write(status: .object([("version", .int(1)), ("daemon", status), ("workflows", .array(s.workflows))]), workflows: perWorkflow,
                prometheus: prometheus(s.workflows, now: now))
            statusDirty = false
            return s
        } catch {
            sink.log(3, "Không ghi được tệp trạng thái trong \(options.runtimeDirectory): \(error)")
            return nil
        }
    }

    func prometheus(_ workflows: [JSON], now: Instant) -> String {
        var out = "# HELP tiendo_instances Instances by workflow and state.\n# TYPE tiendo_instances gauge\n"
        for w in workflows {
            let id = w["id"]?.stringValue ?? ""
            for (state, n) in w["states"]?.objectValue ?? [] {
                out += "tiendo_instances{workflow=\"\(id)\",state=\"\(state)\"} \(n.intValue ?? 0)\n"
            }
            if (w["states"]?.objectValue ?? []).isEmpty {
                out += "tiendo_instances{workflow=\"\(id)\",state=\"\"} \(w["instances"]?.intValue ?? 0)\n"
            }
        }
        out += "# HELP tiendo_overdue_instances Instances with at least one overdue item.\n# TYPE tiendo_overdue_instances gauge\n"
        for w in workflows { out += "tiendo_overdue_instances{workflow=\"\(w["id"]?.stringValue ?? "")\"} \(w["overdue"]?.intValue ?? 0)\n" }
        // Overdue age histogram over open overdue items.
        let bounds: [Int64] = [86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400, 90 * 86_400]
        let ages = (try? store.overdueAges(now: now, bounds: bounds)) ?? (0, 0, bounds.map { _ in 0 })
        let (count, sum, buckets) = ages
        out += "# HELP tiendo_overdue_age_seconds Age of open overdue items.\n# TYPE tiendo_overdue_age_seconds histogram\n"
        for (bi, b) in bounds.enumerated() { out += "tiendo_overdue_age_seconds_bucket{le=\"\(b)\"} \(buckets[bi])\n" }
        out += "tiendo_overdue_age_seconds_bucket{le=\"+Inf\"} \(count)\ntiendo_overdue_age_seconds_sum \(sum)\ntiendo_overdue_age_seconds_count \(count)\n"
        out += "# HELP tiendo_records_sent_total Records sent since the daemon started, by kind.\n# TYPE tiendo_records_sent_total counter\n"
        for k in Record.Kind.allCases { out += "tiendo_records_sent_total{kind=\"\(k.rawValue)\"} \(recordsSent[k] ?? 0)\n" }
        let next = (try? store.nextWakeup()).flatMap { $0 }
        out += "# HELP tiendo_next_wakeup_seconds Seconds until the next scheduled wake-up (-1: none).\n# TYPE tiendo_next_wakeup_seconds gauge\n"
        out += "tiendo_next_wakeup_seconds \(next.map { max(0, $0.seconds - now.seconds) } ?? -1)\n"
        return out
    }
}

/// Counts stored instances plus those started earlier in the same import.
final class BatchCounter: InstanceCounter {
    let base: Daemon
    var pending: [Instance] = []
    init(base: Daemon) { self.base = base }
    func count(workflow: String, states: Set<String>, field: String?, value: Value?) -> Int {
        base.count(workflow: workflow, states: states, field: field, value: value)
            + pending.filter { i in
                i.workflow == workflow && i.state.map { states.contains($0) } == true && (field.map { i.data[$0] == value } ?? true)
            }.count
    }
}
