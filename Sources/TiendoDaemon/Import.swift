public import TiendoCore
import TiendoStore

/// Imports (interfaces §5 `ImportInstances`): every row or none. Small imports arrive in one call; larger ones in
/// several calls sharing an `importID` (an extension, README), staged in the store until the call marked `final`.
/// Either way the rows are checked in a first pass and started in a second, chunk by chunk, inside ONE write
/// transaction, so memory stays flat at 10^6 rows and nothing is stored unless everything is. A large import into a
/// store not much larger builds the secondary indexes once, after its rows, in that same transaction (`bulkLoad`).
extension Daemon {
    public enum ImportOutcome: Sendable, Equatable {
        /// Rows staged so far under the import's id; nothing stored yet.
        case staged(Int)
        case imported(Int)
    }

    /// At most this many bad rows are reported (one diagnostic each), then one line says how many more there are.
    static let maxImportDiagnostics = 10_000
    static let importChunk = 2_000
    /// A staged import with no call for this long is forgotten.
    static let stagedImportIdleSeconds: Int64 = 3600
    /// A bulk import rebuilds every secondary index of the tables it writes, the stored rows' entries included, so
    /// it reads every stored row: it is used only while the store holds at most this many times the rows imported.
    static let bulkImportStoredRatio = 3

    /// Whether an import of `count` rows of `def` is a bulk load. Not when a limit counts by a field other than
    /// the group: that count reads the instances through `instances_workflow_state`, which a bulk load drops.
    func bulkLoad(_ def: WorkflowDefinition, count: Int) throws -> Bool {
        guard count >= options.bulkImportRows, def.limits.allSatisfy({ $0.per == nil || $0.per == def.groupBy }) else {
            return false
        }
        return try transact { try $0.instanceCount() } <= count * Daemon.bulkImportStoredRatio
    }

    public func importInstances(
        workflow: String, rows: [[(String, JSON)]], actor: Int?, actorName: String? = nil, importID: String? = nil,
        final: Bool = true, expected: Int? = nil
    ) throws(RequestError) -> ImportOutcome {
        let now = clock.now()
        try checkClock(now)
        guard let def = current[workflow] else { throw .noSuchWorkflow(workflow) }
        // A value past a cell's limit is refused before anything is staged: checked only at the commit, a workbook of
        // a few kilobytes repeating one long text grew the database by a gigabyte that stayed after the refusal
        // (audit, 07/12/2026).
        for (i, row) in rows.enumerated() {
            for (field, value) in row {
                guard let text = value.stringValue, FieldDefinition.isTooLong(text) else { continue }
                throw .invalidData(field: field, reason: "dòng \(i + 1) của lần gửi này \(FieldDefinition.tooLong(text)); không nhập gì")
            }
        }
        guard let importID else {
            let n = try importAll(def, count: rows.count, actor: actor, actorName: actorName, now: now) { after, limit in
                rows[after..<min(rows.count, after + limit)].enumerated().map { (after + $0.offset + 1, $0.element) }
            }
            return .imported(n)
        }
        guard importID.utf8.count <= 64, InstanceRows.isValidKey(importID) else {
            throw .invalidData(
                field: "importID",
                reason: "mã lần nhập '\(importID)' không hợp lệ (chữ cái không dấu, chữ số và '.', '_', '-'; tối đa 64 ký tự)")
        }
        // Staged under the caller's identity as well as its id: two people (or two accounts of the web, one uid)
        // who pick the same importID stage two imports, not one that commits the other's rows.
        let session = "\(actor.map(String.init) ?? "-")|\(actorName ?? "")|\(importID)"
        let total: Int
        do {
            total = try store.write { tx in
                try tx.dropStaged(idleBefore: now.adding(seconds: -Daemon.stagedImportIdleSeconds))
                if let session = try tx.importSession(session), session.workflow != workflow {
                    throw RequestError.invalidData(
                        field: "importID",
                        reason: "lần nhập '\(importID)' đang dùng cho quy trình '\(session.workflow)', không phải '\(workflow)'")
                }
                return try tx.stage(importID: session, workflow: workflow, rows: rows.map(JSON.object), at: now)
            }
        } catch let e as RequestError {
            throw e
        } catch {
            let why = storeFailure(error)
            log.error("Lần nhập vào \(workflow) không ghi được, không nhập gì: \(why)")
            degradeIfStoreFailure(error)
            throw .internalError(why)
        }
        guard final else { return .staged(total) }
        // Batches staged before a restart (which drops what clients of the earlier run staged) or an hour idle are
        // gone, and this id then names a new import of the later batches only: committed, it would store part of
        // the file while the client believes all of it went in.
        if let expected, expected != total {
            try? store.write { try $0.dropStaged(importID: session) }
            let why =
                total < expected
                ? "chỉ còn \(total) trong \(expected) dòng đã gửi (tiendod đã khởi động lại giữa các đợt, hoặc lần nhập bị bỏ sau một giờ không dùng)"
                : "có \(total) dòng, nhiều hơn \(expected) dòng của tệp (một đợt bị gửi hai lần)"
            throw .invalidData(field: "importID", reason: "lần nhập '\(importID)' \(why); không nhập gì, hãy nhập lại cả tệp")
        }
        defer {
            do {
                try store.write { try $0.dropStaged(importID: session) }
            } catch {
                log.error(
                    "Không xóa được các dòng đã gửi trước của lần nhập '\(importID)' (bị bỏ ở một lần nhập nhiều đợt sau đó, khi đã quá một giờ không dùng): \(error)"
                )
            }
        }
        let n = try importAll(def, count: total, actor: actor, actorName: actorName, now: now) { after, limit in
            try transact { try $0.stagedRows(importID: session, after: after, limit: limit) }
        }
        return .imported(n)
    }

    /// A row checked: its instance id, start and validated data, or why it is bad.
    struct CheckedRow {
        var id: String
        var started: Instant
        var data: InstanceData
    }

    enum RowCheck {
        case ok(CheckedRow)
        case bad(String)
    }

    /// Checks one row; a row without a key gets `generated`-`n` (one prefix per import, so that both passes give it
    /// the same id).
    func check(_ row: [(String, JSON)], number n: Int, _ def: WorkflowDefinition, now: Instant, generated: String) -> RowCheck {
        var key: String?
        var started = now
        var fields: [(String, JSON)] = []
        for (k, v) in row {
            switch k {
            case "key":
                guard let s = v.stringValue ?? v.intValue.map(String.init), InstanceRows.isValidKey(s) else {
                    return .bad("mã hồ sơ '\(v.stringValue ?? v.serialized())' không hợp lệ (\(Messages.keyRule))")
                }
                key = s
            case "started":
                switch v.stringValue.map({ HumanDate.instant($0, zone: def.zone) }) {
                case .valid(let t) where t > now:
                    // 2030 typed for 2026 would start a case whose dues lie years away, or already behind it.
                    return .bad(
                        "cột 'started': \(def.zone.dateAndTime(t)) là sau lúc nhập (\(def.zone.dateAndTime(now))): hồ sơ không bắt đầu trong tương lai; kiểm tra lại ngày, tháng, năm, hoặc để trống để lấy lúc nhập"
                    )
                case .valid(let t): started = t
                case .invalid(let reason): return .bad("cột 'started': \(reason)")
                case nil: return .bad("cột 'started': cần một ngày hay thời điểm dạng chuỗi, nhận được \(v.serialized())")
                }
            default:
                if case .string(let s) = v, s.isEmpty { continue }
                fields.append((k, v))
            }
        }
        let id = requestID(def.id, key ?? "\(generated)-\(n)")
        switch def.validate(data: fields, partial: false, today: def.zone.date(of: now), started: def.zone.date(of: started)) {
        case .success(let d): return .ok(CheckedRow(id: id, started: started, data: d))
        case .failure(let e): return .bad("cột '\(e.field)': \(e.reason)")
        }
    }

    /// Checks `count` rows read page by page from `page(after, limit)`, then starts them all in one transaction.
    func importAll(
        _ def: WorkflowDefinition, count: Int, actor: Int?, actorName: String? = nil, now: Instant,
        page: (_ after: Int, _ limit: Int) throws -> [(Int, [(String, JSON)])]
    ) throws(RequestError) -> Int {
        guard let engine = engine(def.digest) else { throw .noSuchWorkflow(def.id) }
        var problems: [Diagnostic] = []
        var bad = 0
        /// The prefix of the ids of rows without a key: the second pass must start the ids the first one checked.
        let generated = Daemon.generatedKey(now)
        /// The records the import stored, while there are few enough to keep.
        var kept: [StoredRecord]?
        func report(_ n: Int, _ m: String) {
            bad += 1
            if problems.count < Daemon.maxImportDiagnostics {
                problems.append(Diagnostic(file: def.id, line: n, column: 1, severity: .error, message: m))
            }
        }
        do {
            // Pass 1: every row checked, keys unique in the import and not stored yet. `seen` holds each id without
            // the workflow's prefix, which all share: a key of at most 15 bytes (a member's number) is then a small
            // string, kept inside the set's own storage instead of one allocation per row (at 9 million rows, about
            // 0.3 GB instead of 1 GB). The block frees it before pass 2.
            do {
                var seen = Set<String>()
                let prefix = def.id.utf8.count + 1
                var after = 0
                while after < count {
                    let rows = try page(after, Daemon.importChunk)
                    if rows.isEmpty { break }
                    var ids: [(Int, String)] = []
                    for (n, row) in rows {
                        switch check(row, number: n, def, now: now, generated: generated) {
                        case .bad(let m): report(n, m)
                        case .ok(let r):
                            let key = String(decoding: r.id.utf8.dropFirst(prefix), as: UTF8.self)
                            if seen.insert(key).inserted {
                                ids.append((n, r.id))
                            } else {
                                report(n, "mã hồ sơ «\(key)» bị lặp trong lần nhập này: mỗi hồ sơ một mã")
                            }
                        }
                    }
                    let existing = try store.write { try $0.existing(ids.map(\.1)) }
                    for (n, id) in ids where existing.contains(id) {
                        // Named by its code as the file writes it, not `WORKFLOW/KEY`, which nobody typed.
                        let key = String(decoding: id.utf8.dropFirst(prefix), as: UTF8.self)
                        report(
                            n,
                            "mã hồ sơ «\(key)» đã có (hồ sơ đã được thêm trước đó): đổi mã khác, hoặc bỏ dòng này nếu đó chính là hồ sơ ấy")
                    }
                    after = rows.last!.0
                    heartbeat()
                }
            }
            if bad == 0 {
                // Pass 2: started chunk by chunk inside one transaction; limits count what earlier chunks stored.
                kept = []
                let bulk = try bulkLoad(def, count: count)
                try inTransaction(bulk: bulk) { tx in
                    let deferred = bulk ? try tx.deferSecondaryIndexes() : nil
                    let counter = BatchCounter(base: self, limits: def.limits)
                    var after = 0
                    while after < count {
                        let rows = try page(after, Daemon.importChunk)
                        if rows.isEmpty { break }
                        var changes: [InstanceChange] = []
                        var records: [Record] = []
                        for (n, row) in rows {
                            guard case .ok(let r) = check(row, number: n, def, now: now, generated: generated) else { continue }
                            switch engine.start(instanceID: r.id, data: r.data, at: r.started, now: now, actor: actor, counter: counter) {
                            case .success(let (inst, rs)):
                                counter.add(inst)
                                // Pass 1 found its id free and unique, in this job.
                                changes.append(change(inst, def: def, stale: false, isNew: true))
                                records += rs
                            case .failure(let e):
                                switch e {
                                case .limitExceeded(let l, let g, let c, let m, _):
                                    report(n, "vượt giới hạn \(l)\(g.map { " trong nhóm «\($0)»" } ?? ""): sẽ có \(c), tối đa \(m)")
                                default: report(n, "\(e)")
                                }
                            }
                        }
                        if bad > 0 { throw ImportRejection() }
                        // Records go to the outbox in this transaction and are emitted after the commit.
                        let stored = try tx.commit(
                            changes: changes, records: Daemon.attribute(records, to: actorName),
                            delivery: deliveryCommit(now: now, changes: changes))
                        if kept != nil, kept!.count + stored.count <= options.importRecordsInMemory {
                            kept!.append(contentsOf: stored)
                        } else {
                            kept = nil
                        }
                        counter.stored()
                        after = rows.last!.0
                        heartbeat()
                    }
                    if let deferred { try tx.rebuild(deferred, progress: heartbeat) }
                }
            }
        } catch is ImportRejection {
        } catch let e as RequestError {
            throw e
        } catch {
            let why = storeFailure(error)
            log.error("Lần nhập vào \(def.id) không ghi được, không nhập gì: \(why)")
            degradeIfStoreFailure(error)
            throw .internalError(why)
        }
        if bad > 0 {
            // In the file's order: a chunk's stored keys are found after its other problems.
            problems.sort { $0.line < $1.line }
            if bad > problems.count {
                problems.append(
                    Diagnostic(
                        file: def.id, line: problems.last?.line ?? 1, column: 1, severity: .error,
                        message: ImportSummary.message(more: bad - problems.count, listed: Daemon.maxImportDiagnostics)))
            }
            throw .importRejected(problems)
        }
        statusDirty = true
        noteWritten(now)
        do {
            if let kept {
                send(kept)
                flushSentMarks()
            } else {
                _ = try flushOutbox()
            }
        } catch {
            log.error("Không gửi được bản ghi của lần nhập (sẽ gửi lại sau): \(error)")
        }
        return count
    }

    struct ImportRejection: Error {}
}

/// Counts stored instances plus those started by the import chunk not yet stored, per (state, `per` field, value)
/// of the workflow's limits — a dictionary lookup per count, however large the import.
final class BatchCounter: InstanceCounter {
    struct Key: Hashable {
        var state: String
        var field: String?
        var value: Value?
    }
    let base: Daemon
    let fields: Set<String?>
    private var pending: [Key: Int] = [:]
    private var workflow: String?

    init(base: Daemon, limits: [LimitDefinition]) {
        self.base = base
        fields = Set(limits.map(\.per)).union([nil])
    }

    func add(_ inst: Instance) {
        guard let state = inst.state else { return }
        workflow = inst.workflow
        for f in fields { pending[Key(state: state, field: f, value: f.flatMap { inst.data[$0] }), default: 0] += 1 }
    }

    /// The chunk was written: the store's counts include it now.
    func stored() { pending.removeAll(keepingCapacity: true) }

    func count(workflow: String, states: Set<String>, field: String?, value: Value?) throws -> Int {
        var n = try base.count(workflow: workflow, states: states, field: field, value: value)
        guard workflow == self.workflow else { return n }
        for s in states { n += pending[Key(state: s, field: field, value: field == nil ? nil : value)] ?? 0 }
        return n
    }
}
