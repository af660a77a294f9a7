import Foundation
import GRDB
public import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// Putting a copy back in place of the database (`tiendod --restore`), with tiendod stopped.
///
/// By hand it took moving every `tiendo.sqlite*` file aside (one left behind, the `-wal`, would be replayed into the
/// copy by SQLite and damage it) and installing the copy with the daemon's owner and mode. Here the copy is checked
/// first (an SQLite file of tiendo's that passes `PRAGMA quick_check`), written beside the database by `VACUUM INTO`
/// from a read-only connection (one consistent file even when the copy has a `-wal` of its own), synced and checked
/// again; only then are the database and its `-wal` and `-shm` moved together into `truoc-khoi-phuc-…/` (kept, never
/// deleted) and the new file renamed into place, the directory synced. A refusal changes nothing. Between the two
/// renames a crash leaves no database: tiendod then refuses to start (the state directory's marker), and the files
/// set aside are whole.
public struct RestoreResult: Sendable, Equatable {
    /// Instances in the restored database.
    public var instances: Int
    public var bytes: Int64
    /// Where the database that was there went, with its `-wal` and `-shm` (nil: there was none).
    public var setAside: String?
}

/// Why a restore was refused or did not finish, in words for the operator.
public struct RestoreError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    /// False only when the files had already moved (the description says where they are).
    public var changedNothing: Bool
    public init(_ description: String, changedNothing: Bool = true) {
        self.description = description
        self.changedNothing = changedNothing
    }
}

extension Store {
    /// The files SQLite keeps for a database: the database, then its write-ahead log and shared memory, and a
    /// rollback journal should one be there.
    static func databaseFiles(_ database: String) -> [String] {
        [database, database + "-wal", database + "-shm", database + "-journal"]
    }

    /// Puts `copy` in place of `database`, whose directory no tiendod may be using (the caller holds its lock).
    /// `owner`: the user and group the new files get (root restoring for the daemon's user), nil to keep the
    /// caller's. `at` names the directory the old files go to (Việt Nam time).
    public static func restore(copy: String, database: String, at: Instant, owner: (uid: UInt32, gid: UInt32)?) throws(RestoreError)
        -> RestoreResult
    {
        let directory = (database as NSString).deletingLastPathComponent
        let copyPath = (copy as NSString).standardizingPath
        var st = stat()
        guard stat(copyPath, &st) == 0 else { throw RestoreError("không đọc được bản sao \(copy): \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw RestoreError("\(copy) không phải một tệp") }
        // The copy must not be one of the files about to be moved aside.
        var held = stat()
        for file in databaseFiles(database) where stat(file, &held) == 0 && held.st_dev == st.st_dev && held.st_ino == st.st_ino {
            throw RestoreError("\(copy) là chính cơ sở dữ liệu đang dùng (hoặc tệp đi kèm nó), không phải một bản sao")
        }
        let instances: Int
        do {
            guard case .ours = try Store.inspect(path: copyPath, checkBytes: .max) else {
                throw RestoreError("tệp trống, không phải bản sao cơ sở dữ liệu của tiendo")
            }
            let (tables, applied) = try Store.readOnly(path: copyPath) { db in
                let tables = try Store.column(db, "SELECT name FROM sqlite_master WHERE type = 'table'", path: copyPath)
                let applied =
                    tables.contains("grdb_migrations")
                    ? try Store.column(db, "SELECT identifier FROM grdb_migrations", path: copyPath) : []
                return (tables, applied)
            }
            guard tables.contains("instances") else { throw RestoreError("không có dữ liệu hồ sơ nào của tiendo") }
            // As a start refuses a database a newer tiendod migrated: this one would write it in a shape the newer reads wrongly.
            let unknown = Set(applied).subtracting(Store.migrator.migrations).sorted()
            if !unknown.isEmpty { throw StoreError.tooNew(path: copyPath, migrations: unknown) }
            instances = try Store.readOnly(path: copyPath) { db in
                Int(try Store.column(db, "SELECT count(*) FROM instances", path: copyPath).first ?? "") ?? 0
            }
        } catch {
            throw RestoreError("không dùng bản sao \(copy): \(Store.refusal(error))")
        }
        // Written whole beside the database first: until it is, nothing there has moved.
        let incoming = (directory as NSString).appendingPathComponent("." + (database as NSString).lastPathComponent + ".restoring")
        for file in [incoming, incoming + "-journal"] { unlink(file) }
        func discard(_ why: String) -> RestoreError {
            unlink(incoming)
            unlink(incoming + "-journal")
            return RestoreError(why)
        }
        do {
            try Store.readOnly(path: copyPath) { db in _ = try Store.column(db, "VACUUM INTO \(Store.quoted(incoming))", path: copyPath) }
        } catch {
            throw discard("không chép được \(copy) vào \(directory): \(Store.refusal(error))")
        }
        let fd = open(incoming, O_RDONLY | O_CLOEXEC)
        var ready = fd >= 0 && fchmod(fd, 0o640) == 0
        if ready, let owner { ready = fchown(fd, owner.uid, owner.gid) == 0 }
        ready = ready && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        if fd >= 0 { close(fd) }
        guard ready else { throw discard("không ghi chắc được bản chép \(incoming) xuống đĩa: \(reason)") }
        do {
            guard case .ours = try Store.inspect(path: incoming, checkBytes: .max) else { throw RestoreError("bản chép ra trống") }
        } catch {
            throw discard("bản chép ra không qua được kiểm tra (\(Store.refusal(error)))")
        }
        let setAside: String?
        let present = databaseFiles(database).filter { FileManager.default.fileExists(atPath: $0) }
        if present.isEmpty {
            setAside = nil
        } else {
            let aside: String
            do { aside = try makeAsideDirectory(in: directory, at: at, owner: owner) } catch { throw discard(error.description) }
            for file in present {
                let target = (aside as NSString).appendingPathComponent((file as NSString).lastPathComponent)
                guard rename(file, target) == 0 else {
                    let reason = String(cString: strerror(errno))
                    // Those already moved go back: the database stays as it was.
                    for moved in present.prefix(while: { $0 != file }) {
                        rename((aside as NSString).appendingPathComponent((moved as NSString).lastPathComponent), moved)
                    }
                    rmdir(aside)
                    throw discard("không chuyển được \(file) sang \(aside): \(reason)")
                }
            }
            _ = LogSyncer.syncDirectory(of: (aside as NSString).appendingPathComponent("x"))
            setAside = aside
        }
        guard rename(incoming, database) == 0 else {
            let reason = String(cString: strerror(errno))
            throw RestoreError(
                "không đặt được bản chép \(incoming) vào chỗ \(database): \(reason). Cơ sở dữ liệu cũ ở \(setAside ?? "(không có)"); "
                    + "hãy chuyển nó về chỗ cũ trước khi khởi động tiendod", changedNothing: false)
        }
        if let reason = LogSyncer.syncDirectory(of: database) {
            throw RestoreError(
                "đã khôi phục vào \(database)\(setAside.map { " (cơ sở dữ liệu cũ ở \($0))" } ?? "") nhưng không ghi chắc được thư mục xuống đĩa: \(reason)",
                changedNothing: false)
        }
        var done = stat()
        return RestoreResult(instances: instances, bytes: stat(database, &done) == 0 ? Int64(done.st_size) : 0, setAside: setAside)
    }

    /// `truoc-khoi-phuc-2026-12-06-143000` beside the database (`-2`, `-3`… after one of the same second), owned by
    /// `owner`, readable by it alone.
    static func makeAsideDirectory(in directory: String, at: Instant, owner: (uid: UInt32, gid: UInt32)?) throws(RestoreError) -> String {
        let local = Zone.vietnam.iso(at).prefix(19)  // 2026-12-06T14:30:00
        let base = (directory as NSString).appendingPathComponent(
            "truoc-khoi-phuc-\(local.prefix(10))-\(local.dropFirst(11).filter { $0 != ":" })")
        for n in 1...1000 {
            let path = n == 1 ? base : base + "-\(n)"
            if mkdir(path, 0o750) == 0 {
                if let owner, chown(path, owner.uid, owner.gid) != 0 {
                    let reason = String(cString: strerror(errno))
                    rmdir(path)
                    throw RestoreError("không đặt được chủ của thư mục \(path): \(reason)")
                }
                return path
            }
            if errno != EEXIST { throw RestoreError("không tạo được thư mục \(path): \(String(cString: strerror(errno)))") }
        }
        throw RestoreError("đã có quá nhiều thư mục \(base)-…")
    }

    /// An SQL string literal.
    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// A reason a copy or its rewrite is refused, in the operator's words.
    static func refusal(_ error: any Error) -> String {
        switch error {
        case StoreError.notSQLite: return "không phải tệp SQLite"
        case StoreError.notOurs: return "là cơ sở dữ liệu của một chương trình khác, không phải của tiendo"
        case StoreError.corrupt(let message): return "tệp bị hỏng (\(message))"
        case StoreError.tooNew(_, let migrations):
            return
                "bản sao do một phiên bản tiendod mới hơn ghi (\(migrations.joined(separator: ", "))), phiên bản này không hiểu; hãy cài phiên bản đó trước"
        case StoreError.cannotOpen(_, let reason): return reason
        case let e as RestoreError: return e.description
        default: return Store.describe(error)
        }
    }
}
