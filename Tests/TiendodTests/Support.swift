import Foundation
import Testing
import TiendoCore
import TiendoVarlink

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
    func start(fakeTime: String?, rate: Double = 1, extra: [String] = [], env extraEnv: [String: String] = [:], waitReady: Bool = true)
        throws -> Process
    {
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

    func connect() throws -> VarlinkConnection { try VarlinkConnection(path: socket, timeout: 60) }

    /// A typed client of this daemon's socket.
    var client: ManagerClient { ManagerClient(socketPath: socket, timeout: 60) }

    /// `vn.tiendo.Manager.METHOD` on a fresh connection; an error reply throws `VarlinkError`.
    func call(_ method: String, _ parameters: [(String, JSON)] = []) throws -> JSON {
        try connect().call(Manager.interface + "." + method, parameters: parameters)
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
