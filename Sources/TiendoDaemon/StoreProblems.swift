import Foundation
import GRDB
import TiendoCore
import TiendoStore

/// Degraded mode: what the daemon does when it cannot write its store (a full disk, a damaged file, a database
/// deleted while it runs). The loop retries every 5 s (`EventLoop.fire`); until a write succeeds nothing unwritten
/// is sent, `GetStatus`, the status files and the summary line say «SỰ CỐ» with the reason, and it is logged once.
extension Daemon {
    /// Enters degraded mode, or updates its reason. Called by the loop's firing and by an operator's change whose
    /// commit failed for a reason of the store, so that status says so at once, not at the next timed firing.
    func enterDegraded(_ error: any Error, now: Instant) {
        let reason = storeFailure(error)
        if loopStatus.degraded == nil {
            log.critical(
                "KHÔNG GHI ĐƯỢC trạng thái (\(reason)); không gửi gì chưa được ghi, sẽ thử lại mỗi 5 giây", metadata: .event(.lifecycle))
            viewSource.report(problem: StoreProblem(reason: reason, since: now))
        } else if viewSource.problem?.reason != reason {
            viewSource.report(problem: StoreProblem(reason: reason, since: viewSource.problem?.since ?? now))
        }
        // A full disk stays the cause while the mode lasts: an I/O error on the same disk (an fsync, the -shm) must not
        // make the next one-row probe end it.
        loopStatus.fullDisk = Daemon.isFullDisk(error) || (loopStatus.degraded != nil && loopStatus.fullDisk)
        loopStatus.degraded = reason
        statusDirty = true
    }

    /// Whether degraded mode began with a full disk and the state directory's file system still has less than
    /// `freeBytesToRecover` free: a write that fitted in the log's room does not end it then.
    func shortOfDisk() -> Bool {
        guard loopStatus.degraded != nil, loopStatus.fullDisk else { return false }
        var s = statvfs()
        guard statvfs(options.stateDirectory, &s) == 0 else { return false }
        // A daemon run as root may use the blocks kept for root too.
        let free = geteuid() == 0 ? s.f_bfree : s.f_bavail
        return Int64(free) * Int64(s.f_frsize) < Daemon.freeBytesToRecover
    }

    /// Room that ends degraded mode after a full disk: the log's working size (the background checkpoint runs at
    /// 1,000 pages, 4 MiB; each probe empties the log, giving that room back) and as much again, so that the log
    /// growing back does not fill the disk at once and begin the mode again (review, 07/12/2026). A large import
    /// may still not fit, and, refused, begins it again.
    static let freeBytesToRecover: Int64 = 8 << 20

    static func isFullDisk(_ error: any Error) -> Bool { (error as? DatabaseError)?.resultCode == .SQLITE_FULL }

    /// Enters degraded mode when a request's write failed for a reason of the store (`isStoreFailure`), not its own.
    func degradeIfStoreFailure(_ error: any Error) {
        if Daemon.isStoreFailure(error) { enterDegraded(error, now: clock.now()) }
    }

    /// Leaves degraded mode once a write went through.
    func leaveDegraded() {
        guard loopStatus.degraded != nil else { return }
        log.notice("Đã ghi lại được vào cơ sở dữ liệu; hết chế độ suy giảm", metadata: .event(.lifecycle))
        loopStatus.degraded = nil
        viewSource.report(problem: nil)
        statusDirty = true
    }

    /// Whether `error` says the store cannot be written (as opposed to a request's own fault).
    static func isStoreFailure(_ error: any Error) -> Bool {
        if error is StoreError { return true }
        guard let e = error as? DatabaseError else { return false }
        let failures: [ResultCode] = [
            .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_PERM,
        ]
        return failures.contains(e.resultCode)
    }
}
