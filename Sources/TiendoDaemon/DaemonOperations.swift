import Foundation
public import TiendoCore
import TiendoStore

/// Operations: limit counts, start and send (durable before they return).
extension Daemon {
    // MARK: Counting (limits)

    /// Read in the loop's open transaction when there is one (`transact`), so a count sees the changes of the same
    /// group; a failed read throws, and the engine rejects the event instead of counting 0.
    public func count(workflow: String, states: Set<String>, field: String?, value: Value?) throws -> Int {
        try transact { tx in try count(tx, workflow: workflow, states: states, field: field, value: value) }
    }

    func count(_ tx: Store.Transaction, workflow: String, states: Set<String>, field: String?, value: Value?) throws -> Int {
        let def = current[workflow]
        if field == nil || field == def?.groupBy {
            let g = field == nil ? nil : value.map { $0.display(zone: def?.zone ?? .vietnam) }
            return try tx.count(workflow: workflow, states: states, group: g, groupField: field != nil)
        }
        // A `per` field other than group_by: count through the stored JSON.
        guard let field, let def else { return 0 }
        let json = value.map { $0.json(zone: def.zone) }
        return try tx.countByField(workflow: workflow, states: states, field: field, value: json)
    }

    // MARK: Operator requests

    func requestID(_ workflow: String, _ key: String) -> String { "\(workflow)/\(key)" }

    /// How far the clock may be behind the newest record before the start says so.
    static let clockTolerance: Int64 = 300
    /// How far it may be behind before an operator's change is refused: a day, so that a clock stepped back by a few
    /// hours (a dual-boot PC whose hardware clock keeps local time, corrected by NTP after the start) misdates
    /// nothing by more than that and locks nobody out, while a board booting in 1970 or a clock set back by days is
    /// caught.
    static let operatorClockTolerance: Int64 = 86_400

    /// Refuses an operator's change while the clock is more than `operatorClockTolerance` behind the newest record
    /// written (set back by hand, a board without a battery booting in 1970): a step dated then would enter its state
    /// before its history says the one before began, and every deadline counted from it would be overdue at once.
    /// Refused with both instants until the clock is right again (or tiendod runs with `--trust-clock`); the journal
    /// says so once in ten minutes, with what to do.
    func checkClock(_ now: Instant) throws(RequestError) {
        guard Daemon.refusesOperators(at: now, floor: clockFloor) else { return }
        if clockRefusalLoggedAt.map({ abs(now.seconds - $0.seconds) >= 600 }) ?? true {
            clockRefusalLoggedAt = now
            log.warning(
                "Từ chối thao tác của người dùng: đồng hồ đang chỉ \(Zone.vietnam.vietnamese(now)), sớm hơn bản ghi mới nhất (\(Zone.vietnam.vietnamese(clockFloor))) quá một ngày. Hãy chỉnh đồng hồ (timedatectl); nếu giờ này mới đúng, khởi động lại tiendod với --trust-clock"
            )
        }
        throw .clockBehind(now: now, newest: clockFloor)
    }

    /// Whether a clock at `now` is too far behind `floor` for an operator's change.
    static func refusesOperators(at now: Instant, floor: Instant) -> Bool {
        now.seconds < floor.seconds - operatorClockTolerance
    }

    /// Says in the status (`GetStatus`, `status.json`, `tiendo.prom`) whether operators' changes are refused for the
    /// clock at `now`, and returns the instant that ends it (nil: not refused). The loop asks at every turn and wakes
    /// then; a clock set by hand wakes it too.
    @discardableResult
    func updateClockStatus(_ now: Instant) -> Instant? {
        let behind = Daemon.refusesOperators(at: now, floor: clockFloor)
        if viewSource.report(clockBehind: behind ? clockFloor : nil) { statusDirty = true }
        return behind ? Instant(seconds: clockFloor.seconds - Daemon.operatorClockTolerance) : nil
    }

    /// Records were written at `now` (a commit of a change, a batch fired): the clock's floor moves up to it.
    func noteWritten(_ now: Instant) {
        if now > clockFloor { clockFloor = now }
    }

    /// Starts an instance now (durable before returning).
    public func startInstance(
        workflow: String, key: String?, data: [(String, JSON)], actor: Int?, actorName: String? = nil, started: Instant? = nil
    ) throws(RequestError) -> Instance {
        try startRow(workflow: workflow, key: key, data: data, actor: actor, actorName: actorName, started: started).instance
    }

    /// `startInstance`, returning the row as written (the reply is made from it, without reading it back).
    func startRow(
        workflow: String, key: String?, data: [(String, JSON)], actor: Int?, actorName: String? = nil, started: Instant? = nil
    ) throws(RequestError) -> StoredInstance {
        let now = clock.now()
        try checkClock(now)
        guard let def = current[workflow] else { throw .noSuchWorkflow(workflow) }
        let validated: InstanceData
        switch def.validate(data: data, partial: false, today: def.zone.date(of: now)) {
        case .success(let d): validated = d
        case .failure(let e): throw .invalidData(field: e.field, reason: e.reason)
        }
        let k = key ?? Daemon.generatedKey(now)
        guard InstanceRows.isValidKey(k) else {
            throw .invalidData(field: "key", reason: "mã hồ sơ '\(k)' không hợp lệ: \(Messages.keyRule)")
        }
        let id = requestID(workflow, k)
        do {
            if try transact({ try $0.exists(id) }) { throw RequestError.instanceExists(id) }
        } catch let e as RequestError {
            throw e
        } catch {
            throw .internalError("\(error)")
        }
        let engine = self.engine(def.digest)!
        switch engine.start(instanceID: id, data: validated, at: started ?? now, now: now, actor: actor, counter: self) {
        case .success(let (inst, records)):
            // Its id was checked free just above, in this job.
            try persist([change(inst, def: def, stale: false, isNew: true)], Daemon.attribute(records, to: actorName))
            return StoredInstance(instance: inst, stale: false)
        case .failure(let e):
            throw Daemon.map(e)
        }
    }

    /// Commits an operator's change (durable before the reply), then emits its records.
    func persist(
        _ changes: [InstanceChange], _ records: [Record], idempotency: [(String, String, String)] = [], undo: [UndoChange] = []
    ) throws(RequestError) {
        do {
            send(
                try transact { tx in
                    try tx.commit(
                        changes: changes, records: records, idempotency: idempotency, sentThrough: inGroup ? nil : takeUnmarked(),
                        delivery: deliveryCommit(now: clock.now(), changes: changes), undo: undo)
                })
        } catch {
            degradeIfStoreFailure(error)
            throw .internalError(Store.describe(error))
        }
        noteWritten(clock.now())
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
        try eventRow(id: id, event: event, data: data, idempotencyKey: idempotencyKey, actor: actor, actorName: actorName).row.instance
    }

    /// A request that repeated one already applied under its idempotency key, and the event that one applied: the
    /// key's row keeps `event:NAME` (`ok` for keys stored before 07/12/2026, which did not keep it: `event` nil).
    struct RepeatedRequest {
        var event: String?

        init(stored: String) { event = stored.hasPrefix("event:") ? String(stored.dropFirst(6)) : nil }

        /// What the key's row keeps for a request that applied `event`.
        static func stored(_ event: String) -> String { "event:" + event }
    }

    /// `sendEvent`, returning the row as written (the reply is made from it, without reading it back) and, for a
    /// request that repeats one already applied under its idempotency key, that it did.
    func eventRow(
        id: String, event: String, data: [(String, JSON)], idempotencyKey: String?, actor: Int?, actorName: String? = nil
    ) throws(RequestError) -> (row: StoredInstance, repeated: RepeatedRequest?) {
        let now = clock.now()
        // The instance and, with a key, whether a request under it was already applied: one read. A failed read is
        // an error, never "not applied yet", which would apply the event a second time.
        let read: (row: StoredInstance?, applied: String?)
        do {
            read = try transact { tx in
                (try tx.instance(id, definition: definition), try idempotencyKey.flatMap { try tx.idempotentReply(instance: id, key: $0) })
            }
        } catch {
            throw .internalError("\(error)")
        }
        guard let row = read.row else { throw .noSuchInstance(id) }
        // A request already applied under this key answers with the instance as it is now.
        if let applied = read.applied { return (row, RepeatedRequest(stored: applied)) }
        try checkClock(now)
        let (def, engine) = try loaded(row)
        // The instance as it is now, just before the step: what an undo puts back (`Engine.undo`).
        var before = row.instance
        let pre = engine.advanceFully(&before, to: now)
        var inst = before
        // Only `inst` changes now: without the schedule `before` shared with it, `inst` changes its own in place.
        before.forgetSchedule()
        let result = engine.send(&inst, event: event, data: data, at: now, actor: actor, counter: self)
        switch result {
        case .success(let records):
            // A step that changed something (a completed milestone completed again changes nothing) can be undone: its
            // own record names its event (a timed transition on the way names none), and the milestone or the period
            // it completed (`done` without a period completes the oldest open one).
            let written = pre + Daemon.attribute(records, to: actorName)
            var undo: [UndoChange] = []
            if let own = written.lastIndex(where: { ($0.kind == .transition || $0.kind == .milestoneDone) && $0.event == event }) {
                let r = written[own]
                let milestone = r.kind == .milestoneDone ? r.milestone.map { m in r.occurrence.map { "\(m)@\($0)" } ?? m } : nil
                // The row's own texts when the advance to now left them as read (nearly always: nothing was due).
                // (Only texts that are JSON objects: a column edited by hand may read as empty and be something else.)
                let texts =
                    row.texts.flatMap { t in
                        before.data == row.instance.data && before.marks == row.instance.marks && before.done == row.instance.done
                            && before.series == row.instance.series && t.areObjects ? t : nil
                    } ?? StoredTexts(before, dataJSON: def.json(before.data).serialized())
                let saved = UndoChange.Saved(
                    before: before, texts: texts,
                    step: UndoneStep(event: event, milestone: milestone, at: now), actor: actor, actorName: actorName,
                    idempotencyKey: idempotencyKey)
                undo = [.save(saved, record: own)]
            }
            // An event that carries no data (most do not) leaves the stored data text and group as they are.
            try persist(
                [change(inst, def: def, stale: row.stale, dataUnchanged: inst.data == row.instance.data, of: row)], written,
                idempotency: idempotencyKey.map { [(id, $0, RepeatedRequest.stored(event))] } ?? [], undo: undo)
            return (StoredInstance(instance: inst, stale: row.stale, rowid: row.rowid), nil)
        case .failure(let e):
            // Keep what the advance did and the rejection in history; the event itself changed nothing.
            try persist(
                [change(before, def: def, stale: row.stale, dataUnchanged: true, of: row)],
                pre + Daemon.attribute(e.record.map { [$0] } ?? [], to: actorName))
            throw Daemon.map(e)
        }
    }

    /// The definition a stored instance runs and its engine, or why a request on it cannot be answered.
    func loaded(_ row: StoredInstance) throws(RequestError) -> (WorkflowDefinition, Engine) {
        guard let def = byDigest[row.instance.digest], let engine = engine(row.instance.digest) else {
            throw .internalError("định nghĩa của \(row.instance.id) không nạp được")
        }
        return (def, engine)
    }

    /// Why no step can be undone, in words, with the rule it meets.
    static func noUndoReason(_ why: NoUndo, zone: Zone) -> String {
        let days = Store.undoWindowSeconds / 86_400
        switch why {
        case .undoneAlready(let at):
            return "bước ghi gần nhất đã được hoàn tác lúc \(zone.vietnamese(at)); mỗi bước chỉ hoàn tác được một lần"
        case .tooOld(let at):
            return
                "bước ghi gần nhất (lúc \(zone.vietnamese(at))) đã quá \(days) ngày; chỉ hoàn tác được trong vòng \(days) ngày sau khi ghi"
        case .noStep:
            return "không có sự kiện hay việc đánh dấu xong mốc nào được ghi trong \(days) ngày qua"
        case .unreadable:
            return "không đọc được bản lưu trạng thái trước bước ghi gần nhất; hãy ghi bước đúng thay vì hoàn tác"
        }
    }

    /// Undoes the latest operator step of instance `id` (`Engine.undo`): the instance as it was just before the
    /// step, brought to now; durable before returning. Refused when no step can be undone: none recorded since
    /// this version, already undone, older than `Store.undoWindowSeconds`, the instance moved to another version of
    /// its workflow since (its states may not be the same), or with `expecting` another step than the latest (its
    /// token, as `vn.tiendo.Extras.Instance` gave it: a page shown before someone recorded a newer step).
    public func undoStep(id: String, expecting: String? = nil, actor: Int?, actorName: String? = nil) throws(RequestError) -> Instance {
        try undoRow(id: id, expecting: expecting, actor: actor, actorName: actorName).instance
    }

    /// `undoStep`, returning the row as written (the reply is made from it).
    func undoRow(id: String, expecting: String? = nil, actor: Int?, actorName: String? = nil) throws(RequestError) -> StoredInstance {
        let now = clock.now()
        try checkClock(now)
        // The step to undo, or why there is none (read only then).
        let read: (row: StoredInstance?, undo: Result<StoredUndo, NoUndo>)
        do {
            read = try transact { tx in
                guard let row = try tx.instance(id, definition: definition) else { return (nil, .failure(.noStep)) }
                if let undo = try tx.undoStep(of: row.instance, now: now, definition: definition) { return (row, .success(undo)) }
                return (row, .failure(try tx.noUndo(id: id, now: now)))
            }
        } catch {
            throw .internalError("\(error)")
        }
        guard let row = read.row else { throw .noSuchInstance(id) }
        let u: StoredUndo
        switch read.undo {
        case .success(let step): u = step
        case .failure(let why):
            let zone = definition(row.instance.digest)?.zone ?? .vietnam
            throw .nothingToUndo(id: id, reason: Daemon.noUndoReason(why, zone: zone))
        }
        let (def, engine) = try loaded(row)
        if let expecting, expecting != u.token {
            throw .nothingToUndo(
                id: id,
                reason: "bước ghi gần nhất của hồ sơ nay là một bước khác (ghi lúc \(def.zone.vietnamese(u.step.at))),"
                    + " không phải bước định hoàn tác; hãy xem lại hồ sơ")
        }
        guard u.before.digest == row.instance.digest else {
            throw .nothingToUndo(
                id: id, reason: "quy trình của hồ sơ đã được cập nhật sang phiên bản mới sau bước này; hãy ghi bước đúng thay vì hoàn tác")
        }
        let (restored, records) = engine.undo(current: row.instance, before: u.before, step: u.step, now: now, actor: actor)
        try persist(
            [change(restored, def: def, stale: row.stale, of: row)], Daemon.attribute(records, to: actorName),
            undo: [.clear(id, undone: u, now: now)])
        return StoredInstance(instance: restored, stale: row.stale, rowid: row.rowid)
    }
}
