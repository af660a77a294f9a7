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

/// A copy in `backups/`, as `Store.backups` lists it.
public struct BackupCopy: Sendable, Equatable {
    public var name: String
    public var bytes: Int64
    /// When it was taken, as its name says (tiendod's clock, Việt Nam time).
    public var taken: Instant
    /// For the copy the package took before an upgrade (`tiendo-truoc-nang-cap-VERSION-…`): the version upgraded
    /// from, which this copy goes back to.
    public var upgradedFrom: String? = nil
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

    /// A copy's file name for the instant `at`: `tiendo-2026-12-06-090012.sqlite` in Việt Nam's time (which has no
    /// daylight saving time: the names sort as the instants do, and say them as people here read them).
    public static func backupName(at: Instant) -> String { "tiendo-\(stamp(at)).sqlite" }

    /// `2026-12-06-090012`: the instant in Việt Nam's time, as the names of copies and of a restore's set-aside
    /// directory carry it.
    static func stamp(_ at: Instant) -> String {
        let local = Zone.vietnam.iso(at).prefix(19)  // 2026-12-06T09:00:12
        return "\(local.prefix(10))-\(local.dropFirst(11).filter { $0 != ":" })"
    }

    /// When a copy was taken, as its file name says, and its number within that second:
    /// `tiendo-2026-12-06-090012-2.sqlite` → (09:00:12 on 06/12/2026, 2); nil for any other name (an operator's own
    /// `tiendo-truoc-nang-cap.sqlite` is neither counted nor removed by `keep`).
    static func backupOrder(_ name: String) -> (taken: Instant, n: Int)? {
        guard name.hasPrefix("tiendo-"), name.hasSuffix(".sqlite") else { return nil }
        let parts = name.dropFirst("tiendo-".count).dropLast(".sqlite".count).split(separator: "-", omittingEmptySubsequences: false)
        let digits = [4, 2, 2, 6]
        guard parts.count == 4 || parts.count == 5,
            zip(parts, digits).allSatisfy({ $0.count == $1 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            // A day that exists and a time of it: the name says an instant.
            let day = CivilDate(validYear: Int(parts[0]) ?? 0, month: Int(parts[1]) ?? 0, day: Int(parts[2]) ?? 0),
            let hms = Int(parts[3]), hms / 10_000 < 24, hms / 100 % 100 < 60, hms % 100 < 60
        else { return nil }
        let taken = Zone.vietnam.instant(day, TimeOfDay(hour: hms / 10_000, minute: hms / 100 % 100), second: hms % 100)
        if parts.count == 4 { return (taken, 1) }
        guard let n = Int(parts[4]), (2...999_999).contains(n), String(n) == parts[4] else { return nil }
        return (taken, n)
    }

    /// The copies `keep` removes beside the new one, oldest first: every copy of the days beyond the `keep` latest days
    /// that have one (the new copy's day first). A day counts once, however many copies it has: fourteen presses of
    /// «Sao lưu ngay» in a morning took the fourteen nights before away when copies were counted (audit, 07/12/2026).
    /// Days named after the new copy (a clock that was ahead, or this one behind: a machine without a clock battery
    /// taking the timer's missed copy at boot) have no date to trust: they rank after every earlier day, newest-named
    /// first, and are kept while `keep` allows, rather than each new copy removing the one before it, or all of them.
    static func beyondKeep(_ keep: Int, new name: String, at: Instant, in files: [String]) -> [String] {
        let others = files.compactMap { file in Store.backupOrder(file).map { (file, $0) } }.filter { $0.0 != name }
        let day = { (t: Instant) in Zone.vietnam.date(of: t) }
        let newDay = day(at)
        func days(_ named: (Instant) -> Bool) -> [CivilDate] {
            Set(others.filter { named($0.1.taken) }.map { day($0.1.taken) }).subtracting([newDay]).sorted(by: >)
        }
        let ranked = days { $0 <= at } + days { $0 > at }
        let keptDays = Set(ranked.prefix(keep - 1)).union([newDay])
        // By when each was taken (`-2` after the copy of the same second, `-10` after `-9`), not by the names' bytes;
        // those named after the new copy as the oldest.
        return others.filter { !keptDays.contains(day($0.1.taken)) }
            .sorted { ($0.1.taken <= at ? 1 : 0, $0.1.taken, $0.1.n) < ($1.1.taken <= at ? 1 : 0, $1.1.taken, $1.1.n) }.map(\.0)
    }

    /// Whether `name` is a copy's (what `keep` counts and may remove).
    static func isBackupName(_ name: String) -> Bool { backupOrder(name) != nil }

    /// The copy the package's preinst takes before an upgrade, `tiendo-truoc-nang-cap-OLDVERSION-<a copy's stamp>.sqlite`
    /// (its nightly copy renamed): the version and when. Never counted nor removed by `keep`; listed, since the README
    /// sends an operator to it to go back to the earlier version, and `backup --list` hid it (audit, 07/12/2026).
    static func upgradeCopyOrder(_ name: String) -> (version: String, taken: Instant, n: Int)? {
        let prefix = "tiendo-truoc-nang-cap-"
        guard name.hasPrefix(prefix), name.hasSuffix(".sqlite") else { return nil }
        let parts = name.dropFirst(prefix.count).dropLast(".sqlite".count).split(separator: "-", omittingEmptySubsequences: false)
        // A version may hold «-» (a Debian revision): the stamp is the last four parts, or five with a copy's number.
        for stampParts in [5, 4] where parts.count > stampParts {
            let version = parts.dropLast(stampParts).joined(separator: "-")
            if !version.isEmpty, let order = backupOrder("tiendo-" + parts.suffix(stampParts).joined(separator: "-") + ".sqlite") {
                return (version, order.taken, order.n)
            }
        }
        return nil
    }

    /// The copies in `backupDirectory`, newest first (none when there is no such directory).
    public func backups() -> [BackupCopy] {
        let directory = backupDirectory
        let copies = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { file -> (String, (taken: Instant, n: Int), String?)? in
                if let order = Store.backupOrder(file) { return (file, order, nil) }
                return Store.upgradeCopyOrder(file).map { (file, ($0.taken, $0.n), $0.version) }
            }
            .sorted { ($0.1.taken, $0.1.n) > ($1.1.taken, $1.1.n) }
        return copies.compactMap { name, order, version in
            var st = stat()
            // A file: a directory named like a copy was listed as a copy of 4 KB.
            guard stat((directory as NSString).appendingPathComponent(name), &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
            return BackupCopy(name: name, bytes: Int64(st.st_size), taken: order.taken, upgradedFrom: version)
        }
    }

    /// Copies the database into `backupDirectory` under `backupName(at:)` and, when `keep` is given (at least
    /// 1), removes the copies beyond that many latest days (`beyondKeep`; never the new one). Runs for as long as the copy takes: call
    /// it off the loop thread.
    public func backup(at: Instant, keep: Int?) throws(BackupError) -> BackupResult {
        let started = backupRunning.withLock { running -> Bool in
            if running { return false }
            running = true
            return true
        }
        guard started else { throw BackupError("đang có một lần sao lưu khác chạy; hãy đợi nó xong") }
        defer { backupRunning.withLock { $0 = false } }
        let directory = backupDirectory
        if mkdir(directory, 0o750) != 0, errno != EEXIST {
            throw BackupError("không tạo được thư mục \(directory): \(ErrnoText.describe(errno))")
        }
        // Left by a copy that did not finish (a crash, a full disk): never a copy, only space taken (the copy and the
        // journal SQLite kept beside it while writing).
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for stale in entries where stale.hasPrefix(".tiendo-") && stale.contains(".sqlite.partial") {
            unlink((directory as NSString).appendingPathComponent(stale))
        }
        // After the copies of the same second (`-2`, `-3`…), even when older ones of it were removed since: the names
        // keep the order the copies were taken in.
        let base = Store.backupName(at: at)
        let second = Store.backupOrder(base)?.taken
        let lastOfSecond = entries.compactMap { Store.backupOrder($0) }.filter { $0.taken == second }.map(\.n).max()
        let name = lastOfSecond.map { String(base.dropLast(".sqlite".count)) + "-\($0 + 1).sqlite" } ?? base
        let final = (directory as NSString).appendingPathComponent(name)
        let partial = (directory as NSString).appendingPathComponent("." + name + ".partial")
        do {
            try readers.withoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [partial]) }
        } catch {
            unlink(partial)
            throw BackupError("không chép được cơ sở dữ liệu vào \(directory): \(Store.describe(error))")
        }
        let instances: Int
        let fd = open(partial, O_RDONLY | O_CLOEXEC)
        let synced = fd >= 0 && fsync(fd) == 0
        let reason = ErrnoText.describe(errno)
        if fd >= 0 { close(fd) }
        guard synced else {
            unlink(partial)
            throw BackupError("không ghi chắc được bản chép xuống đĩa: \(reason)")
        }
        do {
            guard case .ours = try Store.inspect(path: partial, checkBytes: .max) else {
                throw BackupError("bản chép ra trống")
            }
            guard let contents = try Store.copyContents(path: partial) else { throw BackupError("bản chép ra không có dữ liệu hồ sơ") }
            instances = contents.instances
        } catch {
            unlink(partial)
            let why: String
            switch error {
            case StoreError.corrupt(let message): why = "bản chép không qua được kiểm tra (\(message))"
            case let e as BackupError: why = e.description
            default: why = "bản chép không đọc lại được (\(Store.describe(error)))"
            }
            throw BackupError(why + "; không giữ lại bản này")
        }
        guard rename(partial, final) == 0 else {
            let reason = ErrnoText.describe(errno)
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
            for old in Store.beyondKeep(
                keep, new: name, at: at, in: (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            where unlink((directory as NSString).appendingPathComponent(old)) == 0 {
                removed.append(old)
            }
        }
        return BackupResult(path: final, bytes: bytes, instances: instances, removed: removed)
    }
}
