import Foundation
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// One tiendod per state directory: an exclusive `flock` on `tiendod.lock` in it, taken before the database is
/// opened and held until the process ends (the kernel lets it go with the descriptor, after `kill -9` too). Two
/// daemons on one directory would each fire what the other already fired from their own stale schedules, and the
/// second one's start would throw away the first one's staged imports. The file holds the holder's pid, so that the
/// refusal can name it. The directory itself is locked too: a lock file deleted by hand (a clean-up with
/// `rm tiendo*`) would otherwise let a second daemon lock a new file of the same name beside the first one's.
final class StateLock {
    private var fd: Int32
    private var directoryFD: Int32 = -1

    struct Held: Error, CustomStringConvertible {
        let directory: String
        /// The holder's pid, as it wrote it.
        let holder: String?
        /// The holder is `tiendod --restore` (it writes `restore PID`).
        var restoring: Bool { holder?.hasPrefix(StateLock.restoreMark) == true }
        var pid: String? { holder.map { restoring ? String($0.dropFirst(StateLock.restoreMark.count)) : $0 } }
        var description: String {
            if restoring {
                return "đang khôi phục cơ sở dữ liệu trong \(directory) từ một bản sao lưu (tiendod --restore, pid \(pid ?? "?")); "
                    + "tiendod không mở cơ sở dữ liệu lúc này. Khởi động lại sau khi khôi phục xong"
            }
            return "thư mục trạng thái \(directory) đang được một tiendod khác dùng"
                + (pid.map { " (pid \($0))" } ?? "")
                + "; hai tiendod trên một thư mục sẽ gửi trùng nhắc hạn và làm hỏng việc nhập. Hãy dừng tiendod kia "
                + "(systemctl stop tiendod) hoặc dùng --state-dir khác"
        }
    }

    /// What `tiendod --restore` writes before its pid, so that a tiendod started meanwhile says why it cannot open.
    static let restoreMark = "restore "

    struct Failed: Error, CustomStringConvertible {
        let path: String
        let reason: String
        var description: String { "không khóa được \(path): \(reason)" }
    }

    /// `restoring`: held by `tiendod --restore`, which the lock file says.
    init(directory: String, restoring: Bool = false) throws {
        let path = (directory as NSString).appendingPathComponent("tiendod.lock")
        // Not through a symbolic link: whoever may write the directory would choose what root opens and truncates.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640)
        guard fd >= 0 else { throw Failed(path: path, reason: ErrnoText.describe(errno)) }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else {
            let err = errno
            close(fd)
            throw Failed(path: directory, reason: ErrnoText.describe(err))
        }
        guard flock(directoryFD, LOCK_EX | LOCK_NB) == 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let err = errno
            close(directoryFD)
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            guard err == EWOULDBLOCK else { throw Failed(path: path, reason: ErrnoText.describe(err)) }
            let pid = n > 0 ? String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            throw Held(directory: directory, holder: pid.isEmpty ? nil : pid)
        }
        let pid = Array("\(restoring ? StateLock.restoreMark : "")\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        self.fd = fd
        self.directoryFD = directoryFD
    }

    /// Lets the directory go before the process ends (a restart inside one process, as tests make).
    func release() {
        guard fd >= 0 else { return }
        close(fd)
        close(directoryFD)
        fd = -1
        directoryFD = -1
    }

    deinit { release() }
}
