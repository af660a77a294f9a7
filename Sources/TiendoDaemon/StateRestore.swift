import Foundation
public import TiendoCore
public import TiendoStore

#if canImport(Glibc)
    import Glibc
#endif

/// `tiendod --restore COPY`: the state directory's database replaced by a copy (`Store.restore`), only while no
/// tiendod uses the directory — its lock is held for the whole restore, marked as a restore's, so a tiendod started
/// meanwhile (a connection to `tiendod.socket`) says a restore is running and exits with the status systemd does not
/// restart on, instead of reading the database half moved.
public enum StateRestore {
    /// Restores; `progress` hears each long step, `critical` brackets the renames, `otherDatabase` lets a copy of
    /// another database replace one that holds cases (`Store.restore`).
    public static func run(
        copy: String, stateDirectory: String, at: Instant, otherDatabase: Bool = false, progress: (String) -> Void = { _ in },
        critical: (Bool) -> Void = { _ in }
    ) throws(RestoreError) -> RestoreResult {
        var dir = stat()
        guard stat(stateDirectory, &dir) == 0, dir.st_mode & S_IFMT == S_IFDIR else {
            throw RestoreError("không có thư mục trạng thái \(stateDirectory) (xem --state-dir)")
        }
        // Root restoring for the daemon's user works as that user: everything in the directory is then made as the
        // daemon makes it, and a link planted there by whoever may write it (the lock, the copy's temporary name)
        // reaches nothing that user could not already change.
        if geteuid() == 0, dir.st_uid != 0 {
            try become(uid: dir.st_uid, for: stateDirectory)
        } else if geteuid() != dir.st_uid {
            // Another user who may write the directory would leave a database the daemon's user may not read.
            throw RestoreError(
                "\(stateDirectory) thuộc người dùng khác (uid \(dir.st_uid)); hãy chạy bằng người dùng đó hoặc với sudo")
        }
        let lock: StateLock
        do {
            lock = try StateLock(directory: stateDirectory, restoring: true)
        } catch let held as StateLock.Held {
            throw RestoreError(
                held.restoring
                    ? "một lần khôi phục khác đang chạy trên \(stateDirectory) (pid \(held.pid ?? "?"))"
                    : "tiendod đang chạy trên \(stateDirectory)\(held.pid.map { " (pid \($0))" } ?? ""); hãy dừng nó trước: "
                        + "sudo systemctl stop tiendo-backup.timer tiendod.socket tiendod.service tiendo-web tiendo-deliver")
        } catch {
            throw RestoreError("\(error)")
        }
        defer { lock.release() }
        let database = (stateDirectory as NSString).appendingPathComponent("tiendo.sqlite")
        // One cut short before is finished first: this one then sets aside what it put in place.
        if let said = try Store.finishInterruptedRestore(database: database, removingCopyLeft: false) { progress(said + ".") }
        return try Store.restore(
            copy: copy, database: database, at: at, otherDatabase: otherDatabase, progress: progress, critical: critical)
    }

    /// Whether a daemon's start failed because `tiendod --restore` holds the state directory.
    public static func inProgress(_ error: any Error) -> Bool { (error as? StateLock.Held)?.restoring == true }

    /// Drops root for the state directory's owner: its own groups (`initgroups`), never root's group.
    static func become(uid: uid_t, for directory: String) throws(RestoreError) {
        guard let pw = getpwuid(uid), let name = pw.pointee.pw_name, pw.pointee.pw_gid != 0 else {
            throw RestoreError(
                "người sở hữu \(directory) (uid \(uid)) không có trong danh sách người dùng, hoặc thuộc nhóm root; không khôi phục với quyền root"
            )
        }
        let gid = pw.pointee.pw_gid
        guard initgroups(name, gid) == 0, setgid(gid) == 0, setuid(uid) == 0 else {
            throw RestoreError("không chuyển được sang người dùng sở hữu \(directory) (uid \(uid)): \(ErrnoText.describe(errno))")
        }
    }
}
