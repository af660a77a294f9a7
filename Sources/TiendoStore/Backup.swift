import Foundation
import GRDB
public import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// A copy of the database taken while the daemon runs (`tiendoctl backup`, the daily `tiendo-backup.timer`).
///
/// SQLite's `VACUUM INTO` on a reader connection writes one consistent moment of the database to a new file (the
/// loop goes on committing meanwhile: a reader does not block the WAL's writer); the file is synced, checked
/// (`PRAGMA quick_check`, the tables counted) and only then renamed to its name and the directory synced. So a
/// `tiendo-….sqlite` in `backups/` is always a whole copy that opens, and a copy cut short by a crash or a full disk
/// is left as a `.partial` file that the next backup removes. Copies are kept beside the database (`backups/`,
/// which the daemon's sandbox lets it write), owned by its user: an operator copies them elsewhere from there.
public struct BackupResult: Sendable, Equatable {
    /// The new copy.
    public var path: String
    public var bytes: Int64
    /// Instances in the copy.
    public var instances: Int
    /// The older copies removed to keep the number asked for (file names).
    public var removed: [String]
}

/// Why a backup was not made, in words for the operator; nothing was left behind but, at worst, a `.partial` file.
public struct BackupError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension Store {
    /// Where copies go: `backups/` beside the database.
    public var backupDirectory: String {
        ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("backups")
    }

    /// A copy's file name for the instant `at`: `tiendo-2026-12-06-090012.sqlite` in `zone`'s local time (names sort
    /// as the instants do, within a zone without daylight saving time, as Việt Nam's).
    public static func backupName(at: Instant, zone: Zone) -> String {
        let (date, second) = zone.local(at)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "tiendo-\(date.iso)-\(two(second / 3600))\(two(second / 60 % 60))\(two(second % 60)).sqlite"
    }

    /// Whether `name` is a copy's (what `keep` counts and may remove).
    static func isBackupName(_ name: String) -> Bool { name.hasPrefix("tiendo-") && name.hasSuffix(".sqlite") }

    /// Copies the database into `backupDirectory` under `backupName(at:zone:)` and, when `keep` is given (at least
    /// 1), removes the oldest copies beyond that number (never the new one). Runs for as long as the copy takes: call
    /// it off the loop thread.
    public func backup(at: Instant, zone: Zone, keep: Int?) throws(BackupError) -> BackupResult {
        let started = backupRunning.withLock { running -> Bool in
            if running { return false }
            running = true
            return true
        }
        guard started else { throw BackupError("đang có một lần sao lưu khác chạy; hãy đợi nó xong") }
        defer { backupRunning.withLock { $0 = false } }
        let directory = backupDirectory
        if mkdir(directory, 0o750) != 0, errno != EEXIST {
            throw BackupError("không tạo được thư mục \(directory): \(String(cString: strerror(errno)))")
        }
        // Left by a copy that did not finish (a crash, a full disk): never a copy, only space taken.
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for stale in entries where stale.hasSuffix(".partial") { unlink((directory as NSString).appendingPathComponent(stale)) }
        let base = Store.backupName(at: at, zone: zone)
        var name = base
        var n = 1
        while FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(name)) {
            n += 1
            name = String(base.dropLast(".sqlite".count)) + "-\(n).sqlite"
        }
        let final = (directory as NSString).appendingPathComponent(name)
        let partial = (directory as NSString).appendingPathComponent("." + name + ".partial")
        do {
            try readers.withoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [partial]) }
        } catch {
            unlink(partial)
            throw BackupError("không chép được cơ sở dữ liệu vào \(directory): \(Store.describe(error))")
        }
        let instances: Int
        do {
            try Store.syncFile(partial)
            guard case .ours = try Store.inspect(path: partial, checkBytes: .max) else {
                throw BackupError("bản chép ra trống")
            }
            instances = try Store.readOnly(path: partial) { db in
                Int(try Store.column(db, "SELECT count(*) FROM instances", path: partial).first ?? "") ?? 0
            }
        } catch {
            unlink(partial)
            throw BackupError("bản chép không đọc lại được (\(error)); không giữ lại bản này")
        }
        guard rename(partial, final) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            throw BackupError("không đặt được tên \(name): \(reason)")
        }
        if let reason = LogSyncer.syncDirectory(of: final) {
            throw BackupError("đã chép vào \(final) nhưng không ghi chắc được thư mục xuống đĩa: \(reason)")
        }
        var st = stat()
        let bytes = stat(final, &st) == 0 ? Int64(st.st_size) : 0
        var removed: [String] = []
        if let keep, keep >= 1 {
            let older = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { Store.isBackupName($0) && $0 != name }.sorted()
            for old in older.prefix(max(0, older.count - (keep - 1)))
            where unlink((directory as NSString).appendingPathComponent(old)) == 0 {
                removed.append(old)
            }
        }
        return BackupResult(path: final, bytes: bytes, instances: instances, removed: removed)
    }

    /// `fsync` of the file at `path`.
    static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
    }
}
