import Foundation
import GRDB
import GRDBSQLite
import TiendoCore

/// Which database a copy belongs to, for `tiendod --restore`: every database has a random id (`meta.database_id`,
/// migration v17) that its backups carry, so that another ward's backup picked by mistake is not put in place of
/// this ward's cases (and their reminders sent) without being asked for.
extension Store {
    /// Why `copy` (as the operator named it; its path `copyPath`, holding `contents`) must not replace `database`
    /// (holding `here`) without being told to: it is a copy of another database, and the one in place holds cases. Nil when it may: the same
    /// database, an empty one, or either from before databases had an id. (A database that cannot be read is not
    /// compared: the reason to restore may be that it is damaged.)
    static func anotherDatabase(
        copy: String, at copyPath: String, _ contents: CopyContents, here: CopyContents, database: String
    ) -> RestoreError? {
        guard let copyID = contents.databaseID, let hereID = here.databaseID, hereID != copyID, here.instances > 0 else { return nil }
        func described(_ c: CopyContents, path: String) -> String {
            var text = "\(Messages.count(c.instances)) hồ sơ"
            // The newest record's own time (a notice's is when it fell due), not when it was written.
            if let last = c.lastRecord { text += ", bản ghi mới nhất lúc \(Zone.vietnam.vietnamese(Instant(seconds: last)))" }
            let groups = (try? largestGroups(path: path)) ?? []
            if !groups.isEmpty { text += ", đơn vị nhiều hồ sơ nhất " + groups.map { "«\($0)»" }.joined(separator: ", ") }
            return text
        }
        let directory = (database as NSString).deletingLastPathComponent
        return RestoreError(
            "\(copy) là bản sao của một cơ sở dữ liệu khác (mã \(copyID): \(described(contents, path: copyPath))), "
                + "không phải của cơ sở dữ liệu đang có ở \(database) (mã \(hereID): "
                + "\(described(here, path: database))); nếu đúng là muốn thay dữ liệu ở đây bằng dữ liệu đó, "
                + "chạy lại với --restore-other-database: cơ sở dữ liệu đang có sẽ được giữ trong \(directory)/truoc-khoi-phuc-…")
    }

    /// The (at most two) groups with the most instances in the database at `path`, which name whose it is.
    static func largestGroups(path: String) throws -> [String] {
        try readOnly(path: path) { db in
            try column(
                db, "SELECT grp FROM instances WHERE grp IS NOT NULL AND grp <> '' GROUP BY grp ORDER BY count(*) DESC, grp LIMIT 2",
                path: path)
        }
    }

    /// Writes `id` as the database id of the copy at `path` (a file `VACUUM INTO` wrote, in rollback-journal mode:
    /// the write is in the file itself once the connection closes).
    static func adopt(_ id: String, into path: String) throws {
        try readWrite(path: path) { db in
            _ = try column(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('database_id', \(quoted(id)))", path: path)
        }
    }

    /// Runs `body` on a read-write connection to the file at `path` (a copy a restore wrote, in rollback-journal mode:
    /// what `body` writes is in the file itself once the connection closes).
    static func readWrite<T>(path: String, _ body: (OpaquePointer?) throws -> T) throws -> T {
        var db: OpaquePointer?
        defer { sqlite3_close_v2(db) }
        let opened = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard opened == SQLITE_OK else {
            throw StoreError.cannotOpen(
                path: path,
                reason: Store.describe(ResultCode(rawValue: opened & 0xFF), message: db.map { String(cString: sqlite3_errmsg($0)) }))
        }
        return try body(db)
    }
}
