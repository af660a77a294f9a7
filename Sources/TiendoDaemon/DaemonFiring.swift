import Foundation
public import TiendoCore
import TiendoStore

/// The scheduler and the outbox: firing what is due, group commit, emission and sent marks.
extension Daemon {
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
            // The due rows are read in the transaction that writes their step: nothing changes them in between.
            let (stored, count) = try transact { tx in try fire(tx, now: now, result: &result) }
            send(stored)
            if count > 0 { statusDirty = true }
            if count < options.batchSize { break }
        }
        if result.late > 0 { (result.behind, result.behindSince) = try store.behind(upTo: now) }
        return result
    }

    /// One batch of `tick`: the due instances advanced and committed; returns the stored records and the batch's size.
    func fire(_ tx: Store.Transaction, now: Instant, result: inout TickResult) throws -> ([StoredRecord], Int) {
        let batch = try tx.dueInstances(upTo: now, limit: options.batchSize, definition: definition)
        if batch.isEmpty { return ([], 0) }
        var changes: [InstanceChange] = []
        var records: [Record] = []
        changes.reserveCapacity(batch.count)
        for row in batch {
            var inst = row.instance
            guard let def = byDigest[inst.digest], let engine = engine(inst.digest) else {
                // Its definition is gone: stop scheduling it and say so.
                log.error("Hồ sơ \(inst.id) chạy định nghĩa \(inst.digest.prefix(12)) không còn nạp được; tạm dừng lịch của nó")
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
        let stored = try tx.commit(
            changes: changes, records: records, markSent: takeUnmarked(), delivery: deliveryCommit(now: now, changes: changes))
        result.records += stored.count
        return (stored, batch.count)
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
            try transact { try $0.markSent(from: r.lowerBound, through: r.upperBound) }
            unmarkedSent = nil
        } catch {
            log.error("Không đánh dấu được bản ghi đã gửi: \(error)")
        }
    }

    /// Group commit: runs `body` (operator requests) in one transaction, then emits their records and calls the
    /// `afterCommit` callbacks (the replies) with whether the commit succeeded.
    public func group(_ body: () -> Void) {
        inGroup = true
        var ok = true
        do {
            let marks = takeUnmarked()
            try inTransaction(savepoints: true) { tx in
                if let marks { try tx.markSent(from: marks.lowerBound, through: marks.upperBound) }
                body()
            }
        } catch {
            ok = false
            log.critical("Không ghi được nhóm thay đổi: \(error)")
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
            text +=
                "; còn \(Daemon.thousands(r.behind)) hồ sơ chưa bù xong, chậm từ \(zone.vietnamese(since))"
                + " (\(Messages.lateness(seconds: Int(max(0, clock.now().seconds - since.seconds))))), bù tiếp ngay"
            fields += [("TIENDO_BEHIND_INSTANCES", String(r.behind)), ("TIENDO_BEHIND_SINCE", zone.iso(since))]
        }
        log.warning("\(text)", metadata: .event(.catchUp, fields))
    }
}
