import Foundation
public import TiendoCore
public import TiendoStore

#if canImport(Glibc)
    import Glibc
#endif

/// `tiendod --restore COPY`: the state directory's database replaced by a copy (`Store.restore`), only while no
/// tiendod uses the directory — its lock is held for the whole restore, so a tiendod started meanwhile (a
/// connection to `tiendod.socket`) refuses to open the database instead of reading it half moved.
public enum StateRestore {
    public static func run(copy: String, stateDirectory: String, at: Instant) throws(RestoreError) -> RestoreResult {
        var dir = stat()
        guard stat(stateDirectory, &dir) == 0, dir.st_mode & S_IFMT == S_IFDIR else {
            throw RestoreError("không có thư mục trạng thái \(stateDirectory) (xem --state-dir)")
        }
        let lock: StateLock
        do {
            lock = try StateLock(directory: stateDirectory)
        } catch let held as StateLock.Held {
            throw RestoreError(
                "tiendod đang chạy trên \(stateDirectory)\(held.holder.map { " (pid \($0))" } ?? ""); hãy dừng nó trước: "
                    + "sudo systemctl stop tiendo-backup.timer tiendod.socket tiendod.service")
        } catch {
            throw RestoreError("\(error)")
        }
        defer { lock.release() }
        // Root restoring for the daemon's user: what it writes gets the state directory's owner (the lock file too,
        // when this made it), or tiendod could not open them.
        let owner: (uid: UInt32, gid: UInt32)? = geteuid() == 0 && dir.st_uid != 0 ? (dir.st_uid, dir.st_gid) : nil
        if let owner {
            let lockPath = (stateDirectory as NSString).appendingPathComponent("tiendod.lock")
            var st = stat()
            if stat(lockPath, &st) == 0, st.st_uid == 0 { _ = chown(lockPath, owner.uid, owner.gid) }
        }
        return try Store.restore(
            copy: copy, database: (stateDirectory as NSString).appendingPathComponent("tiendo.sqlite"), at: at, owner: owner)
    }
}
