import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The listening socket: adopted from systemd (`LISTEN_FDS` with name `varlink`) or bound at a path, mode 0660.
public enum ControlSocket {
    /// The listening socket passed by systemd socket activation under the name `varlink`, if any.
    public static func adopted(log: (String) -> Void = { _ in }) -> Int32? {
        ServiceManager.listeningSocket(named: "varlink", log: log)
    }

    /// Binds a Unix stream socket at `path` (removing a stale socket file), mode 0660. Its directory is created when
    /// only it is missing (`/run/tiendo` outside systemd), not a whole path: a typo in `--socket` is refused instead
    /// of making directories, as root, where nobody will look for the socket.
    public static func bind(path: String) throws -> Int32 {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { _ = mkdir(dir, 0o755) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(fd)
            throw POSIXError(.ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        // A leftover socket file from a crash: remove it when nobody listens there.
        if FileManager.default.fileExists(atPath: path) {
            let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            let inUse = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, len) == 0 }
            }
            Glibc.close(probe)
            if inUse {
                Glibc.close(fd)
                throw POSIXError(.EADDRINUSE)
            }
            unlink(path)
        }
        let r = withUnsafePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) } }
        guard r == 0 else {
            let e = errno
            Glibc.close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .EIO)
        }
        chmod(path, 0o660)
        guard listen(fd, 1024) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .EIO)
        }
        return fd
    }
}
