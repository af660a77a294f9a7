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

/// Options of one daemon run.
public struct DaemonOptions: Sendable {
    public var workflowDirectories: [String]
    public var stateDirectory: String
    public var runtimeDirectory: String
    public var synchronous: String = "FULL"
    public var batchSize = 2000
    public init(workflowDirectories: [String], stateDirectory: String, runtimeDirectory: String) {
        self.workflowDirectories = workflowDirectories
        self.stateDirectory = stateDirectory
        self.runtimeDirectory = runtimeDirectory
    }
}

/// The daemon's state owner. Every method runs on the loop thread (see `EventLoop`); nothing here is shared.
public final class Daemon: InstanceCounter {
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

    public init(options: DaemonOptions, clock: DaemonClock, sink: any RecordSink) throws {
        self.options = options
        self.clock = clock
        self.sink = sink
        startedAt = clock.now()
        lastNow = startedAt
        try FileManager.default.createDirectory(atPath: options.stateDirectory, withIntermediateDirectories: true)
        store = try Store(path: (options.stateDirectory as NSString).appendingPathComponent("tiendo.sqlite"), synchronous: options.synchronous)
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
        guard let rows = try? store.instances(workflow: workflow, definition: definition) else { return }
        var changes: [InstanceChange] = []
        for row in rows where row.instance.digest != def.digest || row.stale {
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
    func change(_ inst: Instance, def: WorkflowDefinition, stale: Bool) -> InstanceChange {
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
            instance: inst, group: group, nextWakeup: next, dueItems: due, stale: stale, dataJSON: def.json(inst.data).serialized())
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
                    var c = InstanceChange(instance: inst, group: nil, nextWakeup: nil, dueItems: [], stale: true, dataJSON: "{}")
                    if let json = try? store.instance(inst.id, definition: definition) { c.instance = json.instance }
                    changes.append(c)
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
                changes.append(change(inst, def: def, stale: row.stale))
            }
            let stored = try store.commit(changes: changes, records: records)
            result.records += stored.count
            send(stored)
            statusDirty = true
            if batch.count < options.batchSize { break }
        }
        return result
    }

    /// Emits committed records and marks them sent.
    func send(_ stored: [StoredRecord]) {
        guard !stored.isEmpty else { return }
        if sink.emit(stored.map(\.record)) {
            for s in stored { recordsSent[s.record.kind, default: 0] += 1 }
            do { try store.markSent(stored.map(\.seq)) } catch { sink.log(3, "Không đánh dấu được bản ghi đã gửi: \(error)") }
        }
    }

    /// Sends records committed by an earlier run but not marked sent (never lost).
    public func flushOutbox() throws -> Int {
        var total = 0
        while true {
            let batch = try store.unsent(limit: 5000)
            if batch.isEmpty { break }
            send(batch)
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
            do {
                let stored = try store.commit(changes: [change(inst, def: def, stale: false)], records: records)
                send(stored)
            } catch {
                throw .internalError("\(error)")
            }
            statusDirty = true
            return inst
        case .failure(let e):
            throw Daemon.map(e)
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
            do {
                let idem = idempotencyKey.map { [(id, $0, "ok")] } ?? []
                let stored = try store.commit(changes: [change(inst, def: def, stale: row.stale)], records: records, idempotency: idem)
                send(stored)
            } catch {
                throw .internalError("\(error)")
            }
            statusDirty = true
            return inst
        case .failure(let e):
            // Keep what the advance did and the rejection in history; the event itself changed nothing.
            var advanced = row.instance
            let pre = engine.advance(&advanced, to: now)
            do {
                let stored = try store.commit(changes: [change(advanced, def: def, stale: row.stale)], records: pre + (e.record.map { [$0] } ?? []))
                send(stored)
            } catch {
                throw .internalError("\(error)")
            }
            throw Daemon.map(e)
        }
    }

    // MARK: Views

    public func dueItemJSON(_ d: DueRow, now: Instant) -> JSON {
        let zone = current[d.workflow]?.zone ?? .vietnam
        let dueDate = CivilDate.parse(d.due.prefix(10)) ?? zone.date(of: d.dueEnd)
        let daysLeft = dueDate.dayNumber - zone.date(of: now).dayNumber
        return .object([
            ("workflow", .string(d.workflow)), ("instance", .string(d.instance)), ("state", d.state.map(JSON.string) ?? .null),
            ("milestone", d.milestone.map(JSON.string) ?? .null), ("title", .string(d.title)), ("due", .string(d.due)),
            ("daysLeft", .int(daysLeft)), ("overdue", .bool(d.dueEnd <= now)), ("group", d.group.map(JSON.string) ?? .null),
        ])
    }

    public func instanceJSON(_ row: StoredInstance, now: Instant) -> JSON {
        let inst = row.instance
        guard let def = byDigest[inst.digest] else {
            return .object([("id", .string(inst.id)), ("workflow", .string(inst.workflow)), ("stale", .bool(true))])
        }
        let zone = def.zone
        let engine = self.engine(inst.digest) ?? Engine(def)
        let open = Dictionary(engine.openDeadlines(inst).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let milestones: [JSON] = def.milestones.map { m in
            let doneAt = inst.done[m.id]
            var due = open[m.id]?.due
            if due == nil, let v = m.deadline.due.evaluate(
                zone: zone, calendar: def.calendar, startedAt: inst.startedAt, enteredAt: inst.enteredAt,
                fieldValue: { name in
                    switch inst.data[name] {
                    case .date(let d): return .date(d)
                    case .datetime(let t): return .instant(t)
                    default: return nil
                    }
                })
            {
                switch v {
                case .date(let d): due = d.iso
                case .instant(let t): due = zone.iso(t)
                }
            }
            return .object([
                ("id", .string(m.id)), ("title", .string(m.title)), ("due", .string(due ?? "")), ("done", .bool(doneAt != nil)),
                ("doneAt", doneAt.map { .string(zone.iso($0)) } ?? .null), ("overdue", .bool(open[m.id].map { $0.end <= now } ?? false)),
                ("requires", .array(m.requires.map(JSON.string))),
            ])
        }
        let nextDue = engine.openDeadlines(inst).filter { $0.end > now }.min { $0.end < $1.end }
        let next: JSON = nextDue.map { d in
            dueItemJSON(
                DueRow(
                    instance: inst.id, deadline: d.key, workflow: inst.workflow, group: def.group(of: inst.data), state: inst.state,
                    milestone: d.milestone, title: d.title, due: d.due, dueEnd: d.end), now: now)
        } ?? .null
        return .object([
            ("id", .string(inst.id)), ("workflow", .string(inst.workflow)), ("state", inst.state.map(JSON.string) ?? .null),
            ("data", def.json(inst.data)), ("startedAt", .string(zone.iso(inst.startedAt))),
            ("enteredAt", .string(zone.iso(inst.enteredAt))), ("completed", .bool(inst.completed)), ("stale", .bool(row.stale)),
            ("milestones", .array(milestones)), ("next", next),
        ])
    }

    /// `[WorkflowSummary]` and the daemon status pieces, from the store's aggregates.
    public func summaries(now: Instant) throws -> (workflows: [JSON], instances: Int, overdue: Int, groups: [String: [String: (Int, [String: Int], Int)]]) {
        let counts = try store.counts()
        let due = try store.dueSummary(now: now, soon: now.adding(seconds: 7 * 86_400))
        var out: [JSON] = []
        var total = 0
        var overdueTotal = 0
        var groups: [String: [String: (Int, [String: Int], Int)]] = [:]
        for id in current.keys.sorted() {
            let def = current[id]!
            let c = counts[id] ?? Store.WorkflowCounts()
            let d = due[id]
            total += c.instances
            overdueTotal += d?.overdue ?? 0
            var stateEntries: [(String, JSON)] = []
            if def.hasStates { for k in c.states.keys.sorted() { stateEntries.append((k, JSON.int(c.states[k]!))) } }
            let nextDue: JSON = d?.next.map { dueItemJSON($0, now: now) } ?? JSON.null
            let summary: [(String, JSON)] = [
                ("id", .string(id)), ("title", .string(def.title)), ("digest", .string(def.digest)), ("instances", .int(c.instances)),
                ("active", .int(c.instances - c.completed)), ("completed", .int(c.completed)), ("overdue", .int(d?.overdue ?? 0)),
                ("dueSoon", .int(d?.dueSoon ?? 0)), ("states", .object(stateEntries)), ("nextDue", nextDue),
            ]
            out.append(.object(summary))
            var g: [String: (Int, [String: Int], Int)] = [:]
            for (name, v) in c.groups { g[name] = (v.instances, v.states, d?.overdueGroups[name] ?? 0) }
            groups[id] = g
        }
        return (out, total, overdueTotal, groups)
    }

    public func statusJSON(now: Instant, workflows: [JSON], instances: Int, overdue: Int) -> JSON {
        let next = try? store.nextWakeup()
        let zone = current.values.first?.zone ?? .vietnam
        return .object([
            ("version", .string(TiendoVersion.string)), ("pid", .int(pid)), ("startedAt", .string(zone.iso(startedAt))),
            ("now", .string(zone.iso(now))), ("nextWakeup", next.map { .string(zone.iso($0)) } ?? .null),
            ("workflows", .int(current.count)), ("instances", .int(instances)), ("overdue", .int(overdue)),
            ("diagnostics", .array(diagnostics.map(\.json))),
        ])
    }

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
    public func writeStatus(now: Instant) {
        do {
            let s = try summaries(now: now)
            let status = statusJSON(now: now, workflows: s.workflows, instances: s.instances, overdue: s.overdue)
            var perWorkflow: [(String, JSON)] = []
            for w in s.workflows {
                guard let id = w["id"]?.stringValue else { continue }
                let groups = s.groups[id] ?? [:]
                let groupJSON = JSON.object(groups.keys.sorted().map { g in
                    let v = groups[g]!
                    return (g, .object([("instances", .int(v.0)), ("states", .object(v.1.keys.sorted().map { ($0, .int(v.1[$0]!)) })), ("overdue", .int(v.2))]))
                })
                let overdue = try store.dueItems(until: now, workflow: id, group: nil, limit: 1000).map { dueItemJSON($0, now: now) }
                let upcoming = try store.dueItems(until: now.adding(seconds: 7 * 86_400), workflow: id, group: nil, limit: 1000 + overdue.count)
                    .filter { $0.dueEnd > now }.prefix(1000).map { dueItemJSON($0, now: now) }
                perWorkflow.append(
                    (id, .object([("version", .int(1)), ("workflow", w), ("groups", groupJSON), ("overdue", .array(overdue)), ("upcoming", .array(Array(upcoming)))])))
            }
            try statusWriter.write(status: .object([("version", .int(1)), ("daemon", status), ("workflows", .array(s.workflows))]), workflows: perWorkflow,
                prometheus: prometheus(s.workflows, now: now))
            statusDirty = false
        } catch {
            sink.log(3, "Không ghi được tệp trạng thái trong \(options.runtimeDirectory): \(error)")
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
        var buckets = [Int](repeating: 0, count: bounds.count)
        var count = 0
        var sum: Int64 = 0
        if let items = try? store.dueItems(until: now, workflow: nil, group: nil, limit: 1_000_000) {
            for i in items {
                let age = now.seconds - i.dueEnd.seconds
                count += 1
                sum += age
                for (bi, b) in bounds.enumerated() where age <= b { buckets[bi] += 1 }
            }
        }
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
