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
        /// Instances still due after the tick (a bounded catch-up goes on at the next wake-up), and since when;
        /// counted when the tick fired late items and went through.
        public var behind = 0
        public var behindSince: Instant?
        /// False when the tick stopped at its time bound with more due: the next turn goes on.
        public var complete = true
    }

    /// Fires what is due at or before `now` in batches: one transaction per batch, records committed before they
    /// are emitted and marked sent after. With `within`, stops after the first batch that ends that many seconds
    /// after the start while more is due (`complete` false), so that a long catch-up (the nation's 08:00, or days
    /// of downtime: five minutes for 10^6 records on a slow host) leaves the loop between batches to answer
    /// requests and signals; the loop's timer, armed at a wake-up already past, brings it back at once. Each batch
    /// calls `heartbeat` (the watchdog, or more start-up time from the service manager).
    @discardableResult
    public func tick(now: Instant, within seconds: Double? = nil) throws -> TickResult {
        var result = TickResult()
        lastNow = now
        let deadline = seconds.map { DaemonClock.monotonic() + $0 }
        // Once a day, with the day's first firing: the undo snapshots past the window (a bounded batch; any left go
        // the next day or at the next start).
        if snapshotsDroppedAt.map({ now.seconds - $0.seconds >= 86_400 }) ?? true {
            _ = try transact { try $0.dropOldSnapshots(now: now, limit: 10_000) }
            snapshotsDroppedAt = now
        }
        while true {
            // The due rows are read in the transaction that writes their step: nothing changes them in between.
            let (stored, count) = try transact { tx in try fire(tx, now: now, result: &result) }
            send(stored)
            heartbeat()
            if count > 0 {
                statusDirty = true
                noteWritten(now)
            }
            // After a failed sync of the log nothing more is written (the loop is stopping).
            if syncFailure != nil { break }
            if count < options.batchSize { break }
            if let deadline, DaemonClock.monotonic() >= deadline {
                result.complete = false
                return result
            }
        }
        if result.late > 0 { (result.behind, result.behindSince) = try store.behind(upTo: now) }
        return result
    }

    /// True when nothing is due at `now` by the earliest wake-up the store knows in memory: the loop's turn skips
    /// `tick` (a write transaction for an empty batch) and only does what a tick that fires nothing does.
    func nothingDue(at now: Instant) -> Bool {
        guard store.nothingDue(upTo: now) else { return false }
        lastNow = now
        heartbeat()
        return true
    }

    /// One batch of `tick`: the due instances advanced and committed; returns the stored records and the batch's size.
    func fire(_ tx: Store.Transaction, now: Instant, result: inout TickResult) throws -> ([StoredRecord], Int) {
        let batch = try tx.dueInstances(upTo: now, limit: options.batchSize, definition: definition)
        if batch.isEmpty {
            // Nothing due: the earliest wake-up known in memory, if it said otherwise, is read again.
            store.forgetNextWakeup()
            return ([], 0)
        }
        var changes: [InstanceChange] = []
        var records: [Record] = []
        changes.reserveCapacity(batch.count)
        for row in batch {
            var inst = row.instance
            guard let def = byDigest[inst.digest], let engine = engine(inst.digest) else {
                // Its definition does not load (its stored source refused, or not read at start): the instance is
                // left exactly as stored, its due items too (the agenda and the status keep showing them), and
                // looked at again in an hour, when a reload or a restart may have brought the definition back.
                if unloadableDigests.insert(inst.digest).inserted {
                    log.error(
                        "Các hồ sơ chạy phiên bản \(inst.digest.prefix(12)) của quy trình \(inst.workflow) (như \(inst.id)) tạm dừng: phiên bản đó không nạp được (xem lỗi lúc nạp định nghĩa). Dữ liệu và các hạn của chúng giữ nguyên; tiendod thử lại mỗi giờ"
                    )
                }
                var keep = InstanceChange(
                    instance: inst, group: nil, nextWakeup: now.adding(seconds: Daemon.unloadableRetrySeconds), dueItems: [],
                    stale: true, dataJSON: nil)
                keep.updates(row)
                if let sig = row.dueSig { keep.dueSig = sig }
                changes.append(keep)
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
            changes.append(change(inst, def: def, stale: row.stale, dataUnchanged: true, of: row))
        }
        let stored = try tx.commit(
            changes: changes, records: records, sentThrough: takeUnmarked(), delivery: deliveryCommit(now: now, changes: changes))
        result.records += stored.count
        return (stored, batch.count)
    }

    /// Emits committed records (after the group's commit, inside a group), in sequence order. The watermark that
    /// says they went out is written by the next write transaction or when the loop goes idle: a crash before that
    /// can only repeat emitted records. While the outbox is behind (an emission refused, or `flushOutbox` not
    /// through), nothing newer is emitted from here: the records wait in the outbox, in order, until `flushOutbox`
    /// sends them (the loop retries at most every `outboxRetrySeconds`).
    func send(_ stored: [StoredRecord]) {
        guard !stored.isEmpty else { return }
        if inGroup {
            groupRecords += stored
            return
        }
        // Records of groups held for the log's sync are older: they go out first (none goes out unsynced).
        guard settleHeld() else { return }
        emitInOrder(stored)
    }

    /// Emits unless the outbox is behind (then the records wait in it, in order, for `flushOutbox`).
    func emitInOrder(_ stored: [StoredRecord]) {
        if outboxBehind { return }
        _ = emit(stored)
    }

    /// Sends records to the sink (and, once each, to the control socket's watchers); true when all went out.
    private func emit(_ stored: [StoredRecord]) -> Bool {
        let fresh = stored.last!.seq > announcedThrough ? stored.filter { $0.seq > announcedThrough } : []
        if !fresh.isEmpty {
            onRecords?(fresh.map(\.record))
            announcedThrough = fresh.last!.seq
        }
        let records = stored.map(\.record)
        guard sink.emit(records) else {
            outboxBehind = true
            return false
        }
        for r in records { recordsSent[r.kind, default: 0] += 1 }
        lastEmitted = stored.last!.seq
        emittedThrough = lastEmitted
        return true
    }

    /// The watermark to write (the last record emitted), handed to a commit that writes it. A commit that then
    /// fails loses only this hand-over: the next one covers it (the watermark only moves forward), and
    /// `flushOutbox` writes `lastEmitted` before it reads.
    func takeUnmarked() -> Int64? {
        defer { emittedThrough = nil }
        return emittedThrough
    }

    /// Writes the sent watermark (when the loop goes idle), and with `retryOutbox` sends what waits in the outbox
    /// while it is behind. With `idle` and a `logSyncer`, the watermark's commit does not wait for the disk: it
    /// becomes durable with the next sync of the log (a group's, a firing batch's, a checkpoint's, the stop's).
    /// Before, a single client paid a second fsync on the loop per event for it, right when its next request came
    /// in; a watermark lost in a power cut only makes the records after the last durable one go out again, which
    /// the watermark allows anyway (a crash may repeat what was emitted but not yet marked).
    public func flushSentMarks(retryOutbox: Bool = true, idle: Bool = false) {
        do {
            try writeSentMark(syncLater: idle && logSyncer != nil)
            if retryOutbox && outboxBehind { _ = try flushOutbox() }
        } catch {
            log.error("Không ghi được mốc bản ghi đã gửi hoặc không đọc được bản ghi chờ gửi: \(error)")
        }
    }

    /// Writes the sent watermark if records were emitted since the last one (kept for the next try if it fails).
    func writeSentMark(syncLater: Bool = false) throws {
        guard let seq = emittedThrough else { return }
        if syncLater && transaction == nil {
            try inTransaction(syncLater: true) { try $0.markSent(through: seq) }
        } else {
            try transact { try $0.markSent(through: seq) }
        }
        emittedThrough = nil
    }

    /// Group commit: runs `body` (operator requests) in one transaction, then emits their records and calls the
    /// `afterCommit` callbacks (the replies) with whether the commit succeeded — with a `logSyncer`, once the log
    /// is synced past the commit (`hold`); a failed commit answers at once.
    public func group(_ body: () -> Void) {
        // After a failed sync nothing more is written or answered (the loop is stopping).
        guard syncFailure == nil else { return }
        inGroup = true
        var ok = true
        do {
            let marks = takeUnmarked()
            try inTransaction(savepoints: true, syncLater: logSyncer != nil) { tx in
                if let marks { try tx.markSent(through: marks) }
                body()
            }
        } catch {
            ok = false
            let why = storeFailure(error)
            // Said once while it lasts (degraded mode says it began), not a line per refused request.
            if loopStatus.degraded != why { log.critical("Không ghi được nhóm thay đổi: \(why)") }
            lastGroupFailure = why
            lastGroupFailureSaysAll = error is StoreError
            degradeIfStoreFailure(error)
        }
        inGroup = false
        let records = groupRecords
        let callbacks = afterCommitCallbacks
        groupRecords = []
        afterCommitCallbacks = []
        if ok, let logSyncer {
            hold(records: records, callbacks: callbacks, syncer: logSyncer)
            return
        }
        if ok { send(records) }
        for c in callbacks { c(ok) }
    }

    /// Runs `f` once the current group is durable (at once outside a group).
    public func afterCommit(_ f: @escaping (Bool) -> Void) {
        if inGroup {
            afterCommitCallbacks.append(f)
            return
        }
        // A job run alone read what held groups wrote: they must be durable before it answers.
        guard settleHeld() else { return }
        f(true)
    }

    /// Sends the records after the sent watermark, in order: those committed by an earlier run and not marked
    /// sent (never lost), those written without being handed to `send` (a calendar change, a large import), those
    /// held back while the outbox was behind. Until it has read the outbox to its end, the outbox counts as behind:
    /// a refused emission or a failed read leaves newer records waiting behind the older ones, for the loop's next
    /// try. A row that does not parse can never be sent: the watermark moves past it and the daemon says so.
    /// Returns how many records went out.
    public func flushOutbox() throws -> Int {
        // What the outbox holds past the watermark includes the held groups' records: they must be durable first.
        guard settleHeld() else { return 0 }
        outboxBehind = true
        // What was emitted is marked first (also what a failed commit's hand-over lost), so nothing is read twice.
        if lastEmitted > 0 { emittedThrough = lastEmitted }
        try writeSentMark()
        var total = 0
        while true {
            let batch = try store.unsent(limit: Daemon.outboxBatch)
            guard let last = batch.lastSeq else { break }
            if !batch.records.isEmpty {
                guard emit(batch.records) else { return total }
            }
            if batch.records.count < batch.read {
                let skipped = batch.read - batch.records.count
                log.error("Bỏ qua \(skipped) bản ghi hỏng trong lịch sử (số thứ tự đến \(last)): không đọc được nên không gửi được")
            }
            lastEmitted = max(lastEmitted, last)
            emittedThrough = last
            try writeSentMark()
            total += batch.records.count
            heartbeat()
            if batch.read < Daemon.outboxBatch { break }
        }
        outboxBehind = false
        return total
    }

    /// Rows of the outbox read and sent at a time by `flushOutbox`.
    static let outboxBatch = 5000

    /// Catch-up summaries (MESSAGE_ID catch-up): the late items of consecutive ticks are summed until a tick goes
    /// through, then said once, so a catch-up spread over many time-bounded ticks is one message, with one more a
    /// minute while it lasts (saying what is still behind). `reason` is the first tick's: a catch-up that began at
    /// start-up keeps saying so.
    public func tallyCatchUp(_ r: TickResult, reason: String) {
        let now = DaemonClock.monotonic()
        if r.late > 0 {
            var t = catchUp ?? CatchUpTally(reason: reason, since: now)
            t.late += r.late
            t.maxLate = max(t.maxLate, r.maxLate)
            catchUp = t
        }
        guard var t = catchUp else { return }
        var summary = TickResult()
        (summary.late, summary.maxLate) = (t.late, t.maxLate)
        if r.complete {
            (summary.behind, summary.behindSince) = (r.behind, r.behindSince)
            reportCatchUp(summary, reason: t.reason)
            catchUp = nil
        } else if now - t.since >= Daemon.catchUpReportSeconds {
            do {
                (summary.behind, summary.behindSince) = try store.behind(upTo: lastNow)
            } catch {
                log.error("Không đếm được các hồ sơ còn chờ bù: \(error)")
            }
            reportCatchUp(summary, reason: t.reason)
            (t.late, t.maxLate, t.since) = (0, 0, now)
            catchUp = t
        }
    }

    /// How often a catch-up that goes on is summarised.
    static let catchUpReportSeconds = 60.0

    /// A catch-up summary: how many late items, how late the latest, and what is still behind (a bounded catch-up
    /// goes on at once, at the next wake-up).
    func reportCatchUp(_ r: TickResult, reason: String) {
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

/// A catch-up's late items summed over its ticks, since its first or its last summary.
struct CatchUpTally {
    var reason: String
    var since: Double
    var late = 0
    var maxLate = 0
}
