import GRDB
import GRDBSQLite

/// Whether the database file the store writes is still the one at its path. A file deleted or renamed while tiendod
/// runs (an operator's `rm`, a restore done by hand over a running daemon) goes on taking every write through the
/// file tiendod holds open, and the next start does not find them: every change acknowledged from then on would be
/// lost. SQLite tells it (`SQLITE_FCNTL_HAS_MOVED`, one `stat` of the path): each write transaction asks before it
/// begins (a moved file: its writes rolled back) and after its commit, and a moved file fails the write, so nothing more is acknowledged and the daemon
/// reports the problem. What was written before stays readable through the open file: a backup (`VACUUM INTO` on a
/// reader connection, also open on it) saves it.
extension Store {
    /// Whether the writer's file is no longer at `path`.
    func hasMoved(_ db: Database) -> Bool {
        var moved: Int32 = 0
        let rc = withUnsafeMutablePointer(to: &moved) { sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_HAS_MOVED, $0) }
        return rc == SQLITE_OK && moved != 0
    }

    /// One write transaction running `body`, unless the writer's file has moved: then `body` still runs (a group's
    /// requests register their replies in it), its writes are rolled back rather than put into a file the next start
    /// will not find, and `StoreError.moved` is thrown.
    func transactionInPlace(_ db: Database, _ body: () throws -> Void) throws {
        let moved = hasMoved(db)
        try db.inTransaction {
            try body()
            return moved ? .rollback : .commit
        }
        if moved { throw StoreError.moved(path: path) }
    }

    /// Throws `StoreError.moved` when the writer's file is no longer at `path`.
    func checkInPlace(_ db: Database) throws {
        if hasMoved(db) { throw StoreError.moved(path: path) }
    }
}
