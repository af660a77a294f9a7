import Foundation
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// The note a restore keeps while it moves files (`.tiendo.sqlite.restore-moving` beside the database): the
/// directory the old files go to. The moves are several renames (the database, its `-wal`, its `-shm`, then the copy
/// into place) and a crash between two of them (kill -9, a power cut) left the database in `truoc-khoi-phuc-…/`
/// without its `-wal`, which stayed in the state directory — where the next start's advice (`--init`) had SQLite throw
/// it away with the last acknowledged changes (audit, 07/12/2026). The note is written and synced after the copy is
/// whole and checked, before the first rename, and removed after the last: whoever next holds the state directory's
/// lock (tiendod starting, or another `--restore`) finds it and finishes the moves (`finishInterruptedRestore`).
enum RestoreJournal {
    static func path(forDatabase database: String) -> String {
        let directory = (database as NSString).deletingLastPathComponent
        return (directory as NSString).appendingPathComponent("." + (database as NSString).lastPathComponent + ".restore-moving")
    }

    /// The copy a restore writes beside the database before it moves anything.
    static func incoming(forDatabase database: String) -> String {
        let directory = (database as NSString).deletingLastPathComponent
        return (directory as NSString).appendingPathComponent("." + (database as NSString).lastPathComponent + ".restoring")
    }

    /// Writes the note naming `aside` (by its name: the directory beside the database, however the path to it is
    /// spelt next time), whole or not at all — written under another name, synced, renamed into place: a power cut
    /// while it was written left an empty note, which then stopped every start (review, 07/12/2026).
    static func write(aside: String, database: String) throws(RestoreError) {
        let path = path(forDatabase: database)
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard fd >= 0 else { throw RestoreError("không ghi được tệp ghi chú \(temporary): \(ErrnoText.describe(errno))") }
        let bytes = Array(((aside as NSString).lastPathComponent + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let ok = written == bytes.count && fsync(fd) == 0
        let reason = ErrnoText.describe(errno)
        close(fd)
        guard ok, rename(temporary, path) == 0, LogSyncer.syncDirectory(of: path) == nil else {
            unlink(temporary)
            unlink(path)
            throw RestoreError("không ghi chắc được tệp ghi chú \(path) xuống đĩa: \(reason)")
        }
    }

    /// Removes the note once the moves are done (or undone), the directory synced.
    static func remove(database: String) {
        let path = path(forDatabase: database)
        if unlink(path) == 0 { _ = LogSyncer.syncDirectory(of: path) }
    }

    /// The directory the note names, when it is one a restore makes beside the database; nil without a note.
    static func read(database: String) throws(RestoreError) -> String? {
        let path = path(forDatabase: database)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let directory = (database as NSString).deletingLastPathComponent
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw RestoreError("không đọc được tệp ghi chú \(path) của một lần khôi phục bị ngắt giữa chừng")
        }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let aside = (directory as NSString).appendingPathComponent(name)
        guard !name.contains("/"), name.hasPrefix("truoc-khoi-phuc-") else {
            throw RestoreError(
                "tệp ghi chú \(path) của một lần khôi phục bị ngắt giữa chừng không chỉ tới thư mục truoc-khoi-phuc-… nào trong "
                    + "\(directory) (nó ghi «\(String(name.prefix(200)))»); hãy kiểm tra các tệp tiendo.sqlite* trong thư mục "
                    + "ấy và trong các thư mục truoc-khoi-phuc-… bằng tay rồi xóa tệp ghi chú")
        }
        return aside
    }
}

extension Store {
    /// Finishes what a restore cut short left in the database's directory, the caller holding its lock: the moves a
    /// crash interrupted are completed (the old files all go to the directory the note names, the copy into place:
    /// the copy was whole and checked before the first move), and a copy written by a restore stopped before it
    /// moved anything is removed (unless `removingCopyLeft` is false: a restore about to start, which replaces it and
    /// refuses it as the copy to restore from). What was done in words, or nil when nothing was done.
    public static func finishInterruptedRestore(database: String, removingCopyLeft: Bool = true) throws(RestoreError) -> String? {
        let incoming = RestoreJournal.incoming(forDatabase: database)
        let copyLeft = FileManager.default.fileExists(atPath: incoming)
        guard let aside = try RestoreJournal.read(database: database) else {
            guard copyLeft, removingCopyLeft else { return nil }
            removeIncoming(incoming)
            _ = LogSyncer.syncDirectory(of: incoming)
            return "Đã xóa bản chép dở \(incoming) của một lần khôi phục (tiendod --restore) bị ngắt trước khi chuyển tệp nào: "
                + "cơ sở dữ liệu không thay đổi"
        }
        guard copyLeft else {
            // The copy was already in place: only the note was left.
            RestoreJournal.remove(database: database)
            return "Một lần khôi phục (tiendod --restore) bị ngắt ngay sau khi đặt bản sao vào \(database); cơ sở dữ liệu "
                + "trước đó (cùng các tệp -wal, -shm nếu có) nằm trọn trong \(aside)"
        }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: aside, isDirectory: &isDirectory) {
            guard mkdir(aside, 0o750) == 0 else {
                throw RestoreError("không tạo được thư mục \(aside) để hoàn tất lần khôi phục bị ngắt: \(ErrnoText.describe(errno))")
            }
        } else if !isDirectory.boolValue {
            throw RestoreError("\(aside), nơi lần khôi phục bị ngắt đặt cơ sở dữ liệu cũ, không phải một thư mục")
        }
        let left = databaseFiles(database).filter { FileManager.default.fileExists(atPath: $0) }
        // Never over a file already moved: two files of one name would mean the note is not this directory's.
        if let clash = left.first(where: { FileManager.default.fileExists(atPath: inside(aside, $0)) }) {
            throw RestoreError(
                "lần khôi phục bị ngắt giữa chừng để lại \(clash), và trong \(aside) đã có một tệp cùng tên; hãy kiểm tra hai tệp "
                    + "bằng tay (tiendo.sqlite đi cùng tệp -wal của nó) rồi xóa tệp ghi chú \(RestoreJournal.path(forDatabase: database))")
        }
        for file in left {
            guard rename(file, inside(aside, file)) == 0 else {
                throw RestoreError(
                    "không chuyển được \(file) sang \(aside) để hoàn tất lần khôi phục bị ngắt: \(ErrnoText.describe(errno))")
            }
        }
        _ = LogSyncer.syncDirectory(of: inside(aside, "x"))
        guard rename(incoming, database) == 0 else {
            throw RestoreError(
                "không đặt được bản chép \(incoming) vào chỗ \(database) để hoàn tất lần khôi phục bị ngắt: \(ErrnoText.describe(errno))")
        }
        _ = LogSyncer.syncDirectory(of: database)
        RestoreJournal.remove(database: database)
        return "Một lần khôi phục (tiendod --restore) bị ngắt giữa chừng (máy tắt hoặc tiến trình bị dừng) đã được hoàn tất: "
            + "bản sao đã ở chỗ \(database); cơ sở dữ liệu trước đó (cùng các tệp -wal, -shm nếu có) nằm trọn trong \(aside)"
    }
}
