#if canImport(Glibc)
    import Glibc
#endif

/// Replaces a small file so that a crash or a power loss leaves either the old content or the new, never a part:
/// a temporary file beside it, written whole, synced, renamed over the old one, then the directory synced (so that
/// the rename itself survives). Foundation's `.atomic` write renames but does not sync, which is not enough after a
/// power loss. Used for the state directory's marker, tiendo-web's accounts and the last good routing; `create`
/// writes a file only when none is there (tiendo-web's `device.key`).
public enum DurableFile {
    /// Why a replacement failed: the path and the system's reason.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Writes `bytes` to `path` (mode `mode`). `prepare` runs on the temporary file's descriptor before the sync (an
    /// owner or mode to set).
    public static func replace(path: String, bytes: [UInt8], mode: UInt32, prepare: (Int32) -> Bool = { _ in true }) throws(Failure) {
        let temporary = path + ".tmp"
        try write(temporary, bytes: bytes, mode: mode, prepare: prepare)
        guard rename(temporary, path) == 0 else {
            let reason = ErrnoText.describe(errno)
            unlink(temporary)
            throw Failure(path: path, reason: reason)
        }
        syncDirectory(of: path)
    }

    /// Writes `bytes` to `path` (mode `mode`) unless a file is there already, which is kept: false then. Linked into
    /// place rather than renamed, so that of two processes creating it at once the first one's content stays.
    public static func create(path: String, bytes: [UInt8], mode: UInt32) throws(Failure) -> Bool {
        let temporary = path + ".\(getpid()).tmp"
        try write(temporary, bytes: bytes, mode: mode, prepare: { _ in true })
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return false }
            throw Failure(path: path, reason: ErrnoText.describe(errno))
        }
        syncDirectory(of: path)
        return true
    }

    /// `bytes` written whole to `temporary` (created or emptied) and synced; removed again when that fails.
    static func write(_ temporary: String, bytes: [UInt8], mode: UInt32, prepare: (Int32) -> Bool) throws(Failure) {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw Failure(path: temporary, reason: ErrnoText.describe(errno)) }
        var offset = 0
        var ok = true
        while ok, offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { ok = false } else { offset += n }
        }
        ok = ok && prepare(fd) && fsync(fd) == 0
        let reason = ok ? "" : ErrnoText.describe(errno)
        close(fd)
        guard ok else {
            unlink(temporary)
            throw Failure(path: temporary, reason: reason)
        }
    }

    /// Syncs the directory holding `path`, so that a rename or link into it survives a power loss.
    static func syncDirectory(of path: String) {
        var directory = path
        while let last = directory.last, last != "/" { directory.removeLast() }
        let dir = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            close(dir)
        }
    }
}
