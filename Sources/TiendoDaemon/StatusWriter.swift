import Foundation
import TiendoCore

/// Writes the status files atomically (temporary file in the same directory, then rename: a reader sees the old file
/// or the new one, never half of one), mode 0640. No fsync: they live in the runtime directory (tmpfs under
/// systemd) and are written again from the store at every start, so a crash or power cut loses nothing they hold.
struct StatusWriter {
    let directory: String

    init(directory: String) { self.directory = directory }

    /// Makes the directory and its `workflows` (with their parents, like `mkdir -p`).
    func prepare() throws {
        var path = ""
        for part in ((directory as NSString).appendingPathComponent("workflows") as NSString).pathComponents {
            path = path.isEmpty ? part : (path as NSString).appendingPathComponent(part)
            if mkdir(path, 0o755) != 0 && errno != EEXIST { throw StatusWriteError(path: path, errno: errno) }
        }
    }

    /// status.json is written last: a reader that sees it updated finds the other files already updated. The
    /// directories are made again when missing (a runtime directory removed under the running daemon).
    func write(status: JSON, workflows: [(String, JSON)], prometheus: String) throws {
        let workflowDirectory = (directory as NSString).appendingPathComponent("workflows")
        var st = stat()
        if stat(workflowDirectory, &st) != 0 { try prepare() }
        var names = Set<String>()
        for (id, json) in workflows {
            let name = "\(id).json"
            names.insert(name)
            try atomicWrite(path: (workflowDirectory as NSString).appendingPathComponent(name), contents: json.bytes(pretty: true) + [10])
        }
        // Remove the files of workflows no longer loaded, those an earlier run left included (a runtime directory
        // that outlives the daemon, as under `make run`). Read from the directory at every write, so a file that
        // cannot be removed now is tried again next time; not an error of the write, whose files are all written. The
        // directory is this daemon's alone (two daemons sharing one would also overwrite each other's status.json).
        for old in (try? FileManager.default.contentsOfDirectory(atPath: workflowDirectory)) ?? []
        where old.hasSuffix(".json") && !names.contains(old) {
            unlink((workflowDirectory as NSString).appendingPathComponent(old))
        }
        try atomicWrite(path: (directory as NSString).appendingPathComponent("tiendo.prom"), contents: Array(prometheus.utf8))
        try atomicWrite(path: (directory as NSString).appendingPathComponent("status.json"), contents: status.bytes(pretty: true) + [10])
    }

    func atomicWrite(path: String, contents bytes: [UInt8]) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw StatusWriteError(path: tmp, errno: errno) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(tmp)
                throw StatusWriteError(path: tmp, errno: e)
            }
            written += n
        }
        fchmod(fd, 0o640)
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw StatusWriteError(path: path, errno: e)
        }
    }
}

/// A status file or directory that could not be written: which one, and the system's reason.
struct StatusWriteError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "\(path): \(ErrnoText.describe(errno))" }
}
