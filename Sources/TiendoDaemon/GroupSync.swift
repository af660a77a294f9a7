import Foundation
import TiendoStore

/// A committed group whose replies and records wait for the log's sync.
struct HeldGroup {
    let ticket: Int
    let records: [StoredRecord]
    let callbacks: [(Bool) -> Void]
}

/// Group commits answered after a sync on another thread (`LogSyncer`): a group commits without syncing the log
/// and is held under a ticket; the loop goes on with the next group while the syncer's thread runs `fdatasync`, and
/// at its next turn (the syncer wakes it) answers and emits the groups the sync covered, in commit order. Nothing
/// leaves the daemon before the change it reports is durable: a reply or record of a held group waits for its
/// ticket, and records of the loop's own (a firing batch, an import, the outbox) wait until every held group is
/// out (`settleHeld`), so records still go out in sequence order; so do the replies of jobs that run alone (an
/// import, a reload), whose reads on the writer see the held changes. Readers on other connections (Get, List,
/// Agenda, the pages, the status files, NextDue's announcements) may see a held group's change for the length of
/// one sync before it is durable: a read, not an acknowledgement of the change.
extension Daemon {
    /// Holds a committed group's records and replies until the log is synced past it.
    func hold(records: [StoredRecord], callbacks: [(Bool) -> Void], syncer: LogSyncer) {
        lastTicket += 1
        held.append(HeldGroup(ticket: lastTicket, records: records, callbacks: callbacks))
        syncer.request(lastTicket)
    }

    /// Answers and emits, in commit order, the held groups the syncer's last sync covered (each turn of the loop).
    public func releaseSynced() {
        guard let logSyncer, !held.isEmpty else { return }
        release(logSyncer.progress)
    }

    /// Syncs the log on this thread and releases every held group: before the loop answers or emits anything outside
    /// a group (a reply to a job that runs alone, records of its own, which must come after the held ones) and
    /// before it stops (`always`: then the log is synced even with nothing held, for the idle watermark). False when
    /// the log cannot be synced (`syncFailure`): then nothing more may be emitted or answered.
    @discardableResult
    func settleHeld(always: Bool = false) -> Bool {
        guard let logSyncer, syncFailure == nil else { return syncFailure == nil }
        if !held.isEmpty || always { release(logSyncer.syncNow(through: lastTicket)) }
        return syncFailure == nil
    }

    private func release(_ progress: LogSyncer.Progress) {
        // What a successful sync covered is durable, even if a later sync failed: it is answered.
        let covered = held.prefix { $0.ticket <= progress.synced }
        if !covered.isEmpty {
            held.removeFirst(covered.count)
            for group in covered {
                if !group.records.isEmpty { emitInOrder(group.records) }
                for c in group.callbacks { c(true) }
            }
        }
        if let failure = progress.failure, syncFailure == nil {
            log.critical(
                "KHÔNG GHI ĐƯỢC XUỐNG ĐĨA nhật ký giao dịch (\(failure)); dừng ngay, không trả lời \(held.count) nhóm thay đổi chưa chắc đã được ghi (người gửi sẽ thấy kết nối bị đóng và gửi lại)",
                metadata: .event(.lifecycle))
            syncFailure = failure
        }
    }
}
