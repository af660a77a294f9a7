import Foundation
import GRDB
import GRDBSQLite

/// Whether the database file the store writes is still the one at its path. A file deleted or renamed while tiendod
/// runs (an operator's `rm`, a restore done by hand over a running daemon) goes on taking every write through the
/// file tiendod holds open, and the next start does not find them: every change acknowledged from then on would be
/// lost. SQLite tells it (`SQLITE_FCNTL_HAS_MOVED`, one `stat` of the path): each write transaction asks before it
/// begins (a moved file: its writes rolled back) and after its commit, and a moved file fails the write, so nothing more is acknowledged and the daemon
/// reports the problem. What was written before stays readable through the open file: a backup (`VACUUM INTO` on a
/// reader connection, also open on it) saves it.
///
/// The same holds for the log (`-wal`), which SQLite keeps open and never replaces while a connection is open: deleted,
/// the commits since the last checkpoint are only in the unlinked file, and the next start opens the database without
/// them. The log's identity is noted when the store opens (`LogIdentity`) and compared at the same two moments; when
/// it moved, the writer copies the log's frames into the database file, which is still in place (a `FULL`
/// checkpoint), so that every change acknowledged before is there at the next start.
extension Store {
    /// Why a write may not go on: the writer's file is no longer at `path`, or its log is no longer at `path-wal`
    /// (then its frames are checkpointed into the database file first); nil when both are in place.
    func moved(_ db: Database) -> StoreError? {
        var moved: Int32 = 0
        let rc = withUnsafeMutablePointer(to: &moved) { sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_HAS_MOVED, $0) }
        if rc == SQLITE_OK && moved != 0 { return .moved(path: path) }
        guard let log = logIdentity.withLock({ $0 }), !log.isAt(path + "-wal") else { return nil }
        // (busy, frames in the log, frames checkpointed): all of them copied, with no reader in the way.
        let copied = (try? Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(FULL)")).map { row -> Bool in
            let (busy, frames, done): (Int, Int, Int) = (row[0], row[1], row[2])
            return busy == 0 && frames == done
        }
        return .logMoved(path: path + "-wal", copied: copied ?? false)
    }

    /// One write transaction running `body`, unless the writer's file or its log has moved: then `body` still runs
    /// (a group's requests register their replies in it), its writes are rolled back rather than put into a file the
    /// next start will not find, and the `moved` error is thrown.
    func transactionInPlace(_ db: Database, _ body: () throws -> Void) throws {
        let moved = moved(db)
        try db.inTransaction {
            try body()
            return moved == nil ? .commit : .rollback
        }
        if let moved { throw moved }
    }

    /// Throws when the writer's file or its log is no longer at its path.
    func checkInPlace(_ db: Database) throws {
        if let moved = moved(db) { throw moved }
    }
}

/// A file's device and inode, as `stat` gives them: which file a path names.
struct LogIdentity: Sendable {
    let device: UInt64
    let inode: UInt64

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        (device, inode) = (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// Whether `path` still names this file.
    func isAt(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }
}
