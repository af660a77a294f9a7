import Foundation
import Testing
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where the package was built: the binaries the integration tests run.
enum Build {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func binary(_ name: String) -> String {
        if let dir = ProcessInfo.processInfo.environment["TIENDO_BIN_DIR"] { return (dir as NSString).appendingPathComponent(name) }
        // The test bundle sits beside the products it was built with.
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [exe, exe.deletingLastPathComponent(), URL(fileURLWithPath: root).appendingPathComponent(".build/debug")] {
            let p = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return (root as NSString).appendingPathComponent(".build/debug/\(name)")
    }

    static var workflows: String { (root as NSString).appendingPathComponent("Workflows") }
}

/// A temporary directory removed at the end.
final class TempDir {
    let path: String
    init(_ prefix: String = "tiendo-test") {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix)-XXXXXX")
        var bytes = Array(template.utf8CString)
        path = bytes.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func write(_ name: String, _ text: String) throws {
        let p = sub(name)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: p, atomically: true, encoding: .utf8)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

struct VarlinkError: Error, CustomStringConvertible {
    var name: String
    var parameters: JSON
    var description: String { "\(name) \(parameters.serialized())" }
}

/// A minimal varlink client for tests (NUL-terminated JSON over a Unix socket).
final class VarlinkConnection {
    let fd: Int32
    var buffer: [UInt8] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let r = withUnsafePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
        if r != 0 {
            let e = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .EIO)
        }
        var tv = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func sendRaw(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// The next message, or nil when the connection closed.
    func receive() -> JSON? {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let nul = buffer.firstIndex(of: 0) {
                var msg = Array(buffer[0..<nul])
                buffer.removeSubrange(0...nul)
                return try? JSON.parse(bytes: &msg)
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    func call(_ method: String, _ parameters: [(String, JSON)] = [], more: Bool = false) throws -> JSON {
        var o: [(String, JSON)] = [("method", .string(method)), ("parameters", .object(parameters))]
        if more { o.append(("more", .bool(true))) }
        var bytes = Array(JSON.object(o).serialized().utf8)
        bytes.append(0)
        sendRaw(bytes)
        guard let reply = receive() else { throw VarlinkError(name: "closed", parameters: .null) }
        if let e = reply["error"]?.stringValue { throw VarlinkError(name: e, parameters: reply["parameters"] ?? .null) }
        return reply["parameters"] ?? .object([])
    }
}

/// A running `tiendod` with its own state, runtime directory and socket.
final class DaemonProcess {
    let dir: TempDir
    let workflows: String
    var process: Process?
    let logPath: String
    var stateDir: String { dir.sub("state") }
    var runDir: String { dir.sub("run") }
    var socket: String { dir.sub("sock") }

    init(workflows: String, dir: TempDir = TempDir()) {
        self.dir = dir
        self.workflows = workflows
        logPath = dir.sub("daemon.log")
    }

    /// Starts the daemon and waits until its socket answers.
    @discardableResult
    func start(fakeTime: String?, rate: Double = 1, extra: [String] = [], env extraEnv: [String: String] = [:], waitReady: Bool = true) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Build.binary("tiendod"))
        var args = ["--workflows", workflows, "--state-dir", stateDir, "--runtime-dir", runDir, "--socket", socket]
        if let fakeTime { args += ["--fake-time", fakeTime, "--time-rate", String(rate)] }
        p.arguments = args + extra
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        p.standardError = log
        p.standardOutput = log
        var env = ProcessInfo.processInfo.environment
        env["JOURNAL_STREAM"] = nil
        env["NOTIFY_SOCKET"] = nil
        env.merge(extraEnv) { _, new in new }
        p.environment = env
        try p.run()
        process = p
        if waitReady {
            let ok = waitUntil(timeout: 60) { (try? self.connect()) != nil || !p.isRunning }
            guard ok, p.isRunning else { throw DaemonFailed(log: self.log) }
        }
        return p
    }

    struct DaemonFailed: Error, CustomStringConvertible {
        var log: String
        var description: String { "tiendod did not start:\n\(log)" }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func connect() throws -> VarlinkConnection { try VarlinkConnection(path: socket) }

    func call(_ method: String, _ parameters: [(String, JSON)] = []) throws -> JSON {
        try connect().call("vn.tiendo.Manager." + method, parameters)
    }

    func signal(_ sig: Int32) {
        if let p = process, p.isRunning { kill(p.processIdentifier, sig) }
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        guard let p = process else { return -1 }
        if p.isRunning { kill(p.processIdentifier, SIGTERM) }
        p.waitUntilExit()
        return p.terminationStatus
    }

    func kill9() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    deinit {
        if let p = process, p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
    }
}

/// Polls `condition` until true or the timeout (real seconds) passes.
@discardableResult
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// Runs a program and returns (status, stdout+stderr).
func run(_ exe: String, _ args: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The vn calendar plus the given workflow files in a fresh workflows directory.
func workflowsDir(_ dir: TempDir, _ files: [String: String]) throws -> String {
    let cal = try String(contentsOfFile: (Build.workflows as NSString).appendingPathComponent("calendars/vn.yaml"), encoding: .utf8)
    try dir.write("wf/calendars/vn.yaml", cal)
    for (name, text) in files { try dir.write("wf/\(name)", text) }
    return dir.sub("wf")
}
