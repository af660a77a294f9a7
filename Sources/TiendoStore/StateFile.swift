import Foundation
import GRDB
import GRDBSQLite
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// What the state file is, found by reading it without writing a byte: before the store opens it read-write
/// (GRDB switches a database to WAL and rewrites its header when it opens a pool), so a file that is refused
/// stays exactly as it was.
public enum StateFileInspection: Equatable, Sendable {
    /// No file, or a file of zero bytes.
    case absent(zeroBytes: Bool)
    /// A tiendo database (or an empty SQLite database that has no tables yet).
    case ours
}

/// The state directory's marker: written beside the database the first time the daemon creates it, so that a
/// database that later vanishes or is emptied (a botched restore, a wrong volume) is noticed instead of silently
/// replaced by an empty one.
public enum StateDirectoryMarker {
    /// `.tiendo-state` for `tiendo.sqlite`: a dot file, so a backup or restore of `tiendo.sqlite*` leaves it alone.
    public static func fileName(forDatabase database: String) -> String {
        "." + ((database as NSString).lastPathComponent as NSString).deletingPathExtension + "-state"
    }

    public static func path(forDatabase database: String) -> String {
        ((database as NSString).deletingLastPathComponent as NSString).appendingPathComponent(fileName(forDatabase: database))
    }

    public static func exists(forDatabase database: String) -> Bool {
        FileManager.default.fileExists(atPath: path(forDatabase: database))
    }

    /// Writes the marker (durably: temporary file, fsync, rename) unless it is there already.
    public static func write(forDatabase database: String) throws {
        let p = path(forDatabase: database)
        guard !FileManager.default.fileExists(atPath: p) else { return }
        let text = """
            Thư mục trạng thái của tiendod (cơ sở dữ liệu \((database as NSString).lastPathComponent)), tạo lúc \(Zone.vietnam.vietnamese(Instant(seconds: Int64(Date().timeIntervalSince1970)))) (giờ Việt Nam).
            Tệp này cho tiendod biết nó đã từng chạy ở đây: nếu cơ sở dữ liệu biến mất hoặc trống, tiendod từ chối
            khởi động thay vì lặng lẽ tạo một cơ sở dữ liệu rỗng. Đừng xóa tệp này; xem tiendod(8).

            """
        do {
            try DurableFile.replace(path: p, bytes: Array(text.utf8), mode: 0o640)
        } catch {
            throw StoreError.cannotOpen(path: p, reason: error.reason)
        }
    }
}

extension Store {
    /// Looks at `path` without changing it: missing or empty, a tiendo database, or an error saying why it is not
    /// usable (not SQLite, another program's database, damaged). A file of at most `checkBytes` is fully checked
    /// (`PRAGMA quick_check`) on a read-only connection.
    public static func inspect(path: String, checkBytes: Int64) throws -> StateFileInspection {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return .absent(zeroBytes: false) }
            throw StoreError.cannotOpen(path: path, reason: ErrnoText.describe(errno))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            throw StoreError.cannotOpen(path: path, reason: ErrnoText.describe(errno))
        }
        if st.st_size == 0 {
            close(fd)
            return .absent(zeroBytes: true)
        }
        var header = [UInt8](repeating: 0, count: 20)
        let n = header.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 20) }
        close(fd)
        // The file format's magic string (sqlite.org/fileformat.html §1.3).
        guard n == 20, header.prefix(16).elementsEqual(Array("SQLite format 3\0".utf8)) else { throw StoreError.notSQLite(path: path) }
        // Bytes 18 and 19 are 2 in WAL mode (§1.3.3).
        let walMode = header[18] == 2 && header[19] == 2
        // The application id and the tables through SQLite, not from the header bytes: the newest page 1 may still
        // be in the -wal file.
        // With the migrations it lists (none: a new file), in the same read.
        let (appID, tables, applied) = try readOnly(path: path) { db in
            let tables = try column(db, "SELECT name FROM sqlite_master WHERE type = 'table'", path: path)
            return (
                Int32(try column(db, "PRAGMA application_id", path: path).first ?? "0") ?? 0, tables,
                tables.contains("grdb_migrations") ? try column(db, "SELECT identifier FROM grdb_migrations", path: path) : []
            )
        }
        if appID != applicationID {
            // Another program's database, unless it is an SQLite file with no table at all.
            guard appID == 0, tables.isEmpty else { throw StoreError.notOurs(path: path) }
            // A WAL-mode file with no table and no log beside it: the first page of a database whose every change
            // is in a `-wal` left behind (`tiendo.sqlite` copied alone), not a new one — taken as new, it would start
            // with no cases and send nothing that was recorded (operations audit, 07/12/2026).
            if walMode, !FileManager.default.fileExists(atPath: path + "-wal") { throw StoreError.logMissing(path: path) }
            return .ours
        }
        // A database a newer tiendod migrated is refused here, read-only, before anything opens it for writing
        // (which switched a copy to WAL and rewrote its header before `Store.init` refused it): a refused file stays
        // as it was, byte for byte. A restore's copy is refused by the same check.
        try refuseNewer(applied, path: path)
        if Int64(st.st_size) <= checkBytes { try quickCheck(path: path, beforeOpen: true) }
        return .ours
    }

    /// Refuses a database a newer tiendod migrated (`applied`: the migrations it lists): this version would write rows
    /// in a shape the newer one reads wrongly (an older tiendod given a v7 store sent every record again).
    static func refuseNewer(_ applied: some Sequence<String>, path: String) throws {
        let unknown = Set(applied).subtracting(Store.migrator.migrations).sorted()
        if !unknown.isEmpty { throw StoreError.tooNew(path: path, migrations: unknown) }
    }

    /// What a copy of the database holds (`copyContents`).
    struct CopyContents {
        var instances: Int
        /// Which database it is a copy of (`meta.database_id`, migration v17); nil in a copy from before.
        var databaseID: String?
        /// When its newest history record was written (Unix seconds); nil when it has none.
        var lastRecord: Int64?
        /// Its newest history row's sequence number: of the same database, the one with more has records the other
        /// lacks, whatever their (backdated) instants.
        var lastSeq: Int64? = nil
    }

    /// What a copy of the database holds, in one read-only open; nil when it has no `instances` table (no copy of a
    /// tiendo database). A backup reads its new copy so, a restore the copy it is given and the database it replaces.
    static func copyContents(path: String) throws -> CopyContents? {
        try readOnly(path: path) { db in
            let tables = try column(db, "SELECT name FROM sqlite_master WHERE type = 'table'", path: path)
            guard tables.contains("instances") else { return nil }
            let id = tables.contains("meta") ? try column(db, "SELECT value FROM meta WHERE key = 'database_id'", path: path).first : nil
            // By sequence number, not by `at`: the newest row is found without reading the table.
            let last =
                tables.contains("history")
                ? try column(db, "SELECT at || ' ' || seq FROM history ORDER BY seq DESC LIMIT 1", path: path).first : nil
            let parts = last?.split(separator: " ").compactMap { Int64($0) } ?? []
            return CopyContents(
                instances: Int(try column(db, "SELECT count(*) FROM instances", path: path).first ?? "") ?? 0,
                databaseID: id, lastRecord: parts.first, lastSeq: parts.count == 2 ? parts[1] : nil)
        }
    }

    /// Runs `body` on a read-only plain SQLite connection to `path`.
    /// Without a -wal file the main file holds everything, and `immutable` reads it without creating -wal or -shm
    /// files beside it; with one, SQLite must read through it (and may rebuild its -shm, an index of it).
    static func readOnly<T>(path: String, _ body: (OpaquePointer?) throws -> T) throws -> T {
        var db: OpaquePointer?
        defer { sqlite3_close_v2(db) }
        let hasWAL = FileManager.default.fileExists(atPath: path + "-wal")
        var uri = URLComponents()
        uri.scheme = "file"
        uri.path = path
        uri.queryItems = [URLQueryItem(name: hasWAL ? "mode" : "immutable", value: hasWAL ? "ro" : "1")]
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        guard let name = uri.string else { throw StoreError.cannotOpen(path: path, reason: "đường dẫn không dùng được") }
        let opened = sqlite3_open_v2(name, &db, flags, nil)
        guard opened == SQLITE_OK else {
            throw StoreError.cannotOpen(
                path: path,
                reason: Store.describe(ResultCode(rawValue: opened & 0xFF), message: db.map { String(cString: sqlite3_errmsg($0)) }))
        }
        sqlite3_busy_timeout(db, 5000)
        return try body(db)
    }

    /// The rows of a single-column query, as text. SQLite finding the file damaged (SQLITE_CORRUPT, SQLITE_NOTADB)
    /// becomes `StoreError.corrupt`, which only restoring a backup mends; any other error (busy, out of memory, a
    /// read that failed) `cannotOpen`, which a later start may not meet.
    static func column(_ db: OpaquePointer?, _ sql: String, path: String) throws -> [String] {
        func failure(_ rc: Int32) -> StoreError {
            let message = String(cString: sqlite3_errmsg(db))
            switch rc & 0xFF {
            case SQLITE_CORRUPT, SQLITE_NOTADB: return .corrupt(message)
            default: return .cannotOpen(path: path, reason: Store.describe(ResultCode(rawValue: rc & 0xFF), message: message))
            }
        }
        var statement: OpaquePointer?
        defer { sqlite3_finalize(statement) }
        let prepared = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        guard prepared == SQLITE_OK else { throw failure(prepared) }
        var lines: [String] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_ROW {
                lines.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "?")
            } else if rc == SQLITE_DONE {
                return lines
            } else {
                throw failure(rc)
            }
        }
    }

    /// `PRAGMA quick_check` on a read-only connection; throws `StoreError.corrupt` with SQLite's first findings.
    /// `beforeOpen`: at a start, before tiendod opens the file (a running daemon always has a -wal beside it).
    static func quickCheck(path: String, beforeOpen: Bool = false) throws {
        let lines: [String]
        do {
            lines = try readOnly(path: path) { db in try column(db, "PRAGMA quick_check(20)", path: path) }
        } catch StoreError.corrupt(let reason) {
            throw StoreError.corrupt("\(path): \(reason)")
        }
        guard lines != ["ok"] else { return }
        // SQLite's findings, up to 20, one row each or several lines in one: the first three said, the rest counted
        // (the whole list made one unreadable line of English with «\n» escapes in the journal).
        let findings = lines.flatMap { $0.split(separator: "\n").map(String.init) }.filter {
            !$0.isEmpty && !$0.hasPrefix("*** in database")
        }
        let more = findings.count > 3 ? " và \(findings.count - 3) chỗ khác\(lines.count >= 20 ? " (có thể hơn)" : "")" : ""
        // A -wal beside a file copied over by hand belongs to the file that was there before: one possible cause, said
        // at a start only (a stop without its checkpoint, a crash, leaves one too).
        let wal =
            beforeOpen && FileManager.default.fileExists(atPath: path + "-wal")
            ? ". Bên cạnh có tệp \((path as NSString).lastPathComponent)-wal: nếu tệp cơ sở dữ liệu vừa được chép đè bằng tay,"
                + " tệp -wal ấy có thể là của tệp cũ và làm hỏng tệp mới (khôi phục bằng tiendod --restore, không chép tay)"
            : ""
        throw StoreError.corrupt("\(path): SQLite thấy chỗ hỏng: \(findings.prefix(3).joined(separator: "; "))\(more)\(wal)")
    }
}
