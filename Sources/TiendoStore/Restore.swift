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
/// deleted) and the new file renamed into place, the directory synced. A refusal changes nothing; a rename that fails
/// puts the files already moved back. A crash between the renames leaves a note (`RestoreJournal`): whoever next
/// holds the directory (tiendod starting, another restore) finishes the moves before anything else.
public struct RestoreResult: Sendable, Equatable {
    /// Instances in the restored database.
    public var instances: Int
    public var bytes: Int64
    /// Where the database that was there went, with its `-wal` and `-shm` (nil: there was none).
    public var setAside: String?
    /// How many deliveries the database set aside sent since the copy was taken, which the restored one will not
    /// send again (`carrySentKeys`); nil when that database could not be read (they may go out again) or is not the
    /// copy's (another ward's).
    public var sentKept: Int? = nil
    /// How many notices the restored database held unsent that the one set aside had replaced by a newer notice of
    /// the same deadline, sent: dropped, not sent after it.
    public var supersededKept = 0
    /// Why the directory could not be synced after the renames (the restore is done, but a power cut now could undo
    /// it); nil once synced.
    public var unsynced: String?
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

    /// Puts `copy` in place of `database`, whose directory no tiendod may be using (the caller holds its lock), as the
    /// user who owns that directory (the new file is the caller's, mode 640). `at` names the directory the old files
    /// go to (Việt Nam time); `progress` hears each long step.
    /// `critical(true)` comes before the first rename and `critical(false)` after the last (a caller blocks signals
    /// between them). A copy of another database than the one in place, which holds cases, is refused unless
    /// `otherDatabase` (`anotherDatabase`).
    public static func restore(
        copy: String, database: String, at: Instant, otherDatabase: Bool = false, progress: (String) -> Void = { _ in },
        critical: (Bool) -> Void = { _ in }
    ) throws(RestoreError) -> RestoreResult {
        let directory = (database as NSString).deletingLastPathComponent
        let copyPath = (copy as NSString).standardizingPath
        let incoming = RestoreJournal.incoming(forDatabase: database)
        var st = stat()
        guard stat(copyPath, &st) == 0, access(copyPath, R_OK) == 0 else {
            let why =
                errno == ENOENT
                ? "không có tệp này"
                : errno == EACCES
                    ? "người dùng \(userName) của tiendod không được đọc nó; hãy chép nó cho người dùng đó: "
                        + "sudo install -d -o \(userName) -g \(groupName) -m 750 \(directory)/backups && "
                        + "sudo install -o \(userName) -g \(groupName) -m 640 \(copy) \(directory)/backups/ rồi khôi phục từ bản trong đó"
                    : ErrnoText.describe(errno)
            throw RestoreError("không đọc được bản sao \(copy): \(why)")
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw RestoreError("\(copy) không phải một tệp") }
        // The copy must not be one of the files about to be moved aside, nor the one a restore cut short left (which
        // the next step replaces).
        var held = stat()
        for file in databaseFiles(database) + [incoming, incoming + "-journal"]
        where stat(file, &held) == 0 && held.st_dev == st.st_dev && held.st_ino == st.st_ino {
            throw RestoreError(
                "\(copy) là chính cơ sở dữ liệu đang dùng (hoặc tệp đi kèm nó, hoặc bản chép dở của một lần khôi phục trước), "
                    + "không phải một bản sao lưu; hãy khôi phục từ một tệp trong \(directory)/backups/")
        }
        progress("Đang kiểm tra bản sao \(copy)…")
        let copied: CopyContents
        do {
            // `inspect` also refuses a copy a newer tiendod migrated, as a start refuses such a database.
            guard case .ours = try Store.inspect(path: copyPath, checkBytes: .max) else {
                throw RestoreError("tệp trống, không phải bản sao cơ sở dữ liệu của tiendo")
            }
            guard let contents = try Store.copyContents(path: copyPath) else {
                throw RestoreError("không có dữ liệu hồ sơ nào của tiendo")
            }
            copied = contents
        } catch {
            throw RestoreError("không dùng bản sao \(copy): \(Store.refusal(error))\(Store.copyAdvice(error, copyPath: copyPath))")
        }
        // The database in place, through its -wal when it has one (SQLite may then rebuild the -shm index beside it,
        // which holds no data); nil when there is none, or a damaged one, which the restore may be meant to replace.
        // One that cannot be opened for another reason (a -shm only root may read, a failing read) is not compared
        // blindly: another ward's copy would then go in unchecked.
        var here: CopyContents?
        if FileManager.default.fileExists(atPath: database) {
            do { here = try copyContents(path: database) } catch StoreError.corrupt, StoreError.notSQLite {
                here = nil
            } catch {
                guard otherDatabase else {
                    throw RestoreError(
                        "không đọc được cơ sở dữ liệu đang có \(database) để so với bản sao (\(Store.refusal(error))). "
                            + "Hãy sửa lỗi ấy (quyền của tệp \((database as NSString).lastPathComponent)-wal, -shm) rồi chạy lại; chỉ khi chắc "
                            + "bản sao đúng là của đơn vị này mới thêm --restore-other-database để khôi phục mà không so")
                }
                here = nil
            }
        }
        if !otherDatabase, let here, let refusal = anotherDatabase(copy: copy, at: copyPath, copied, here: here, database: database) {
            throw refusal
        }
        // What goes back, said before anything moves: a copy picked from the wrong day of fourteen rolled two weeks
        // of a ward's work back, and the officer learnt it from the lists (operations audit, 07/12/2026).
        // The copy is of the database in place (not another ward's): its notices and history are this one's.
        let sameDatabase = here.map { copied.databaseID == nil || $0.databaseID == nil || copied.databaseID == $0.databaseID } ?? false
        if let here { progress(Store.rollback(copy: copied, here: here, sameDatabase: sameDatabase)) }
        // Written whole beside the database first: until it is, nothing there has moved.
        progress("Đang chép bản sao vào \(directory)…")
        removeIncoming(incoming)
        func discard(_ why: String) -> RestoreError {
            removeIncoming(incoming)
            return RestoreError(why)
        }
        do {
            try Store.readOnly(path: copyPath) { db in _ = try Store.column(db, "VACUUM INTO \(Store.quoted(incoming))", path: copyPath) }
        } catch {
            throw discard("không chép được \(copy) vào \(directory): \(Store.refusal(error))")
        }
        // A copy from before databases had an id takes the one in place's: the backups taken since stay its own.
        if copied.databaseID == nil, let id = here?.databaseID {
            do { try adopt(id, into: incoming) } catch {
                throw discard("không ghi được mã cơ sở dữ liệu vào bản chép \(incoming): \(Store.refusal(error))")
            }
        }
        // What the database in place sent since the copy was taken is not sent again: only from this database's own
        // copy (another ward's sent nothing of these), read when it could be.
        var sentKept: Int?
        var supersededKept = 0
        if sameDatabase {
            let carried = try? carrySentKeys(from: database, into: incoming, since: copied.lastRecord, at: at)
            sentKept = carried?.sent
            supersededKept = carried?.superseded ?? 0
        }
        let fd = open(incoming, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        let ready = fd >= 0 && fchmod(fd, 0o640) == 0 && fsync(fd) == 0
        let reason = ErrnoText.describe(errno)
        if fd >= 0 { close(fd) }
        guard ready else { throw discard("không ghi chắc được bản chép \(incoming) xuống đĩa: \(reason)") }
        progress("Đang kiểm tra bản chép…")
        do {
            guard case .ours = try Store.inspect(path: incoming, checkBytes: .max) else { throw RestoreError("bản chép ra trống") }
        } catch {
            throw discard("bản chép ra không qua được kiểm tra (\(Store.refusal(error)))")
        }
        let setAside: String?
        let present = databaseFiles(database).filter { FileManager.default.fileExists(atPath: $0) }
        critical(true)
        defer { critical(false) }
        if present.isEmpty {
            guard rename(incoming, database) == 0 else {
                throw discard("không đặt được bản chép vào chỗ \(database): \(ErrnoText.describe(errno))")
            }
            setAside = nil
        } else {
            let aside: String
            do { aside = try makeAsideDirectory(in: directory, at: at) } catch { throw discard(error.description) }
            do { try RestoreJournal.write(aside: aside, database: database) } catch {
                rmdir(aside)
                throw discard(error.description)
            }
            var moved: [String] = []
            for file in present {
                guard rename(file, inside(aside, file)) == 0 else {
                    let reason = ErrnoText.describe(errno)
                    throw putBack(moved, from: aside, database: database, "không chuyển được \(file) sang \(aside): \(reason)")
                }
                moved.append(file)
            }
            _ = LogSyncer.syncDirectory(of: inside(aside, "x"))
            guard rename(incoming, database) == 0 else {
                let reason = ErrnoText.describe(errno)
                throw putBack(moved, from: aside, database: database, "không đặt được bản chép vào chỗ \(database): \(reason)")
            }
            setAside = aside
        }
        var done = stat()
        let unsynced = LogSyncer.syncDirectory(of: database)
        // After the directory is synced: a note outliving a power cut only repeats what was done.
        if setAside != nil { RestoreJournal.remove(database: database) }
        return RestoreResult(
            instances: copied.instances, bytes: stat(database, &done) == 0 ? Int64(done.st_size) : 0, setAside: setAside,
            sentKept: sentKept, supersededKept: supersededKept, unsynced: unsynced)
    }

    /// What to do about a copy that cannot be used, after the reason: a copy with a `-wal` beside it is read through
    /// it, which needs its directory writable (SQLite makes its `-shm` there) and the `-wal` readable — a rescue copy on
    /// a read-only disk, or a `-wal` left root's, read only «SQLITE_CANTOPEN: thư mục có tồn tại và ghi được không?»
    /// (backup audit, 07/12/2026); a damaged copy, another one.
    static func copyAdvice(_ error: any Error, copyPath: String) -> String {
        let wal = copyPath + "-wal"
        if case StoreError.cannotOpen = error, FileManager.default.fileExists(atPath: wal) {
            let why =
                access(wal, R_OK) != 0
                ? "người dùng \(userName) không đọc được tệp \(wal) đi kèm nó"
                : "bản sao có tệp \(wal) đi kèm, mà SQLite chỉ đọc được khi ghi được thư mục của nó"
            return ". Có thể vì \(why): hãy chép CẢ HAI tệp \(copyPath) và \(wal) vào một thư mục ghi được mà người dùng "
                + "\(userName) đọc được (sudo install -o \(userName) -g \(groupName) -m 640 …), rồi khôi phục từ bản trong đó"
        }
        if case StoreError.corrupt = error {
            return ". Hãy khôi phục từ một bản sao khác, cũ hơn (tiendoctl backup --list liệt kê các bản)"
        }
        return ""
    }

    /// Removes the copy a restore writes beside the database, and the journal SQLite keeps while writing it.
    static func removeIncoming(_ incoming: String) {
        unlink(incoming)
        unlink(incoming + "-journal")
    }

    /// The effective user's name (its uid when it has none).
    static var userName: String {
        guard let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name else { return String(geteuid()) }
        return String(cString: name)
    }

    /// The effective group's name (its gid when it has none): a user's own group is not always named as it is
    /// (`nobody` is in `nogroup`).
    static var groupName: String {
        guard let gr = getgrgid(getegid()), let name = gr.pointee.gr_name else { return String(getegid()) }
        return String(cString: name)
    }

    /// `file`'s name inside `directory`.
    static func inside(_ directory: String, _ file: String) -> String {
        (directory as NSString).appendingPathComponent((file as NSString).lastPathComponent)
    }

    /// The files `moved` aside brought back, the copy written for them and the note removed: the error to throw, saying
    /// nothing changed. When one cannot go back, the note stays, and the copy: the next start finishes the restore
    /// instead (`finishInterruptedRestore`), which the error says.
    /// The database goes back last, and nothing after a file that cannot: it is never back without its `-wal`.
    static func putBack(_ moved: [String], from aside: String, database: String, _ why: String) -> RestoreError {
        let incoming = RestoreJournal.incoming(forDatabase: database)
        if let stuck = moved.reversed().first(where: { rename(inside(aside, $0), $0) != 0 }) {
            let reason = ErrnoText.describe(errno)
            return RestoreError(
                "\(why); không chuyển lại được \(stuck) từ \(aside) (\(reason)). Hãy khắc phục lỗi ấy rồi khởi động tiendod "
                    + "(hoặc chạy lại tiendod --restore): nó sẽ hoàn tất lần khôi phục này trước — chuyển nốt các tệp "
                    + "\((database as NSString).lastPathComponent)* sang \(aside) và đặt bản chép \(incoming) vào chỗ",
                changedNothing: false)
        }
        // The note first: a crash after it leaves the copy, which the next start removes as a copy cut short (the
        // other way round, that start said the copy had been put in place — review, 07/12/2026).
        RestoreJournal.remove(database: database)
        rmdir(aside)
        removeIncoming(incoming)
        _ = LogSyncer.syncDirectory(of: incoming)
        return RestoreError(why)
    }

    /// `truoc-khoi-phuc-2026-12-06-143000` beside the database (`-2`, `-3`… after one of the same second), for its
    /// owner and group alone.
    static func makeAsideDirectory(in directory: String, at: Instant) throws(RestoreError) -> String {
        let base = (directory as NSString).appendingPathComponent("truoc-khoi-phuc-\(stamp(at))")
        for n in 1...1000 {
            let path = n == 1 ? base : base + "-\(n)"
            if mkdir(path, 0o750) == 0 { return path }
            if errno != EEXIST { throw RestoreError("không tạo được thư mục \(path): \(ErrnoText.describe(errno))") }
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
        case StoreError.logMissing(let p):
            return
                "tệp chỉ là trang đầu của một cơ sở dữ liệu mà các thay đổi nằm trong tệp \((p as NSString).lastPathComponent)-wal đi kèm, và tệp ấy không có "
                + "cạnh nó (được chép riêng?): hãy chép cả hai tệp vào cùng một thư mục rồi khôi phục lại"
        case let e as RestoreError: return e.description
        default: return Store.describe(error)
        }
    }
}

extension Store {
    /// What a restore puts back, against what is in place: the copy's cases and newest record, the database's, and
    /// what is lost when the copy is older (it stays in the set-aside database, not in the one in use).
    static func rollback(copy: CopyContents, here: CopyContents, sameDatabase: Bool) -> String {
        func newest(_ c: CopyContents) -> String {
            c.lastRecord.map { ", bản ghi mới nhất lúc \(Zone.vietnam.vietnamese(Instant(seconds: $0)))" } ?? ""
        }
        var said =
            "Bản sao: \(Messages.count(copy.instances)) hồ sơ\(newest(copy)); cơ sở dữ liệu đang có: "
            + "\(Messages.count(here.instances)) hồ sơ\(newest(here))."
        // By sequence number: an import's or a catch-up's records are dated in the past, and the copy of this morning
        // may have a newer instant than today's import of old cases (review, 07/12/2026).
        if sameDatabase, let c = copy.lastSeq ?? (copy.lastRecord == nil ? 0 : nil), let h = here.lastSeq, h > c {
            said +=
                " \(Messages.count(Int(h - c))) bản ghi lịch sử ghi sau lúc sao lưu (hồ sơ thêm, bước ghi, việc đánh dấu đã xong) sẽ không còn"
                + " trong cơ sở dữ liệu dùng tiếp, chỉ còn trong bản được giữ lại (truoc-khoi-phuc-…)."
        }
        return said
    }
}
