import Foundation
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// The service manager's side of sd_notify for a daemon the benchmark starts: a datagram socket at `$NOTIFY_SOCKET`,
/// drained by its own thread (libsystemd sends blocking datagrams, so an undrained queue would stall the daemon).
final class NotifyListener: @unchecked Sendable {
    let path: String
    let fd: Int32
    private let cond = NSCondition()
    private var messages: [(time: Double, text: String)] = []
    private var closed = false

    init(path: String) throws {
        self.path = path
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("notify socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let r = withUnsafePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard r == 0 else { throw BenchError("bind \(path): \(String(cString: strerror(errno)))") }
        let t = Thread { [self] in self.drain() }
        t.name = "notify"
        t.start()
    }

    private func drain() {
        var buf = [UInt8](repeating: 0, count: 8192)
        while true {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let n = poll(&pfd, 1, 200)
            cond.lock()
            let stop = closed
            cond.unlock()
            if stop { return }
            if n <= 0 { continue }
            let got = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard got > 0 else { continue }
            let text = String(decoding: buf[0..<got], as: UTF8.self)
            let now = Clock.now()
            cond.lock()
            messages.append((now, text))
            cond.broadcast()
            cond.unlock()
        }
    }

    /// Waits for a message containing `needle` received after `since`; returns when it arrived.
    func wait(for needle: String, since: Double, timeout: Double) -> Double? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        cond.lock()
        defer { cond.unlock() }
        while true {
            if let m = messages.first(where: { $0.time >= since && $0.text.split(separator: "\n").contains { $0 == needle } }) {
                return m.time
            }
            if !cond.wait(until: deadline) { return nil }
        }
    }

    func count(containing needle: String, since: Double) -> Int {
        cond.lock()
        defer { cond.unlock() }
        return messages.filter { $0.time >= since && $0.text.contains(needle) }.count
    }

    /// The longest time between `from` and `to` in which no message told the service manager the daemon lives on
    /// (`WATCHDOG=1`, `EXTEND_TIMEOUT_USEC=`, `READY=1`): what a watchdog or a start timeout shorter than it would
    /// have killed.
    func longestSilence(from: Double, to: Double) -> Double {
        cond.lock()
        let times = messages.filter { m in
            m.time > from && m.time < to
                && m.text.split(separator: "\n").contains { $0 == "WATCHDOG=1" || $0 == "READY=1" || $0.hasPrefix("EXTEND_TIMEOUT_USEC=") }
        }.map(\.time)
        cond.unlock()
        var longest = 0.0
        var last = from
        for t in times + [to] {
            longest = max(longest, t - last)
            last = t
        }
        return longest
    }

    func close() {
        cond.lock()
        closed = true
        cond.unlock()
        usleep(250_000)
        Glibc.close(fd)
        unlink(path)
    }
}

/// A `tiendod` the benchmark started (and is the only one to stop: by its pid).
final class DaemonProcess {
    let process: Process
    let socketPath: String
    let stateDir: String
    let notify: NotifyListener
    let execTime: Double
    var pid: Int32 { process.processIdentifier }

    enum Stderr {
        case null
        case file(String)
        case pipe(Pipe)
    }

    struct Options {
        var tiendod: String
        var workflows: String
        var runDir: String
        var stateDir: String
        var fakeTime: String
        var stderr: Stderr = .null
        var watchdogUSec: Int?
        var extra: [String] = []
    }

    private init(process: Process, socketPath: String, stateDir: String, notify: NotifyListener, execTime: Double) {
        self.process = process
        self.socketPath = socketPath
        self.stateDir = stateDir
        self.notify = notify
        self.execTime = execTime
    }

    static func start(_ o: Options) throws -> DaemonProcess {
        let socketPath = "\(o.runDir)/tiendo.sock"
        let notifyPath = "\(o.runDir)/notify.sock"
        let notify = try NotifyListener(path: notifyPath)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: o.tiendod)
        p.arguments =
            [
                "--workflows", o.workflows, "--state-dir", o.stateDir, "--runtime-dir", "\(o.runDir)/status", "--socket", socketPath,
                "--fake-time", o.fakeTime,
            ] + o.extra
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notifyPath
        env.removeValue(forKey: "LISTEN_FDS")
        env.removeValue(forKey: "LISTEN_PID")
        env.removeValue(forKey: "JOURNAL_STREAM")
        if let w = o.watchdogUSec { env["WATCHDOG_USEC"] = String(w) } else { env.removeValue(forKey: "WATCHDOG_USEC") }
        env.removeValue(forKey: "WATCHDOG_PID")
        p.environment = env
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        switch o.stderr {
        case .null: p.standardError = FileHandle.nullDevice
        case .file(let path):
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            p.standardError = FileHandle(forWritingAtPath: path)
        case .pipe(let pipe): p.standardError = pipe
        }
        let t0 = Clock.now()
        try p.run()
        liveDaemonsLock.lock()
        liveDaemons.insert(p.processIdentifier)
        liveDaemonsLock.unlock()
        return DaemonProcess(process: p, socketPath: socketPath, stateDir: o.stateDir, notify: notify, execTime: t0)
    }

    /// Seconds from exec to `READY=1`; fails as soon as the daemon exits instead.
    func waitReady(timeout: Double) throws -> Double {
        let deadline = Clock.now() + timeout
        while true {
            if let t = notify.wait(for: "READY=1", since: execTime, timeout: 0.1) { return t - execTime }
            if !process.isRunning { throw BenchError("tiendod \(exitDescription) before READY=1") }
            if Clock.now() > deadline { throw BenchError("tiendod not READY after \(Int(timeout)) s") }
        }
    }

    /// "exited with status N" or "was killed by signal N (SIGILL: a Swift runtime trap)".
    var exitDescription: String {
        guard !process.isRunning else { return "is running" }
        if process.terminationReason == .uncaughtSignal {
            let name =
                [4: "SIGILL: a Swift runtime trap", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV"][Int(process.terminationStatus)] ?? "?"
            return "was killed by signal \(process.terminationStatus) (\(name))"
        }
        return "exited with status \(process.terminationStatus)"
    }

    func connect() throws -> VarlinkConnection { try Varlink.waitForSocket(socketPath, timeout: 30) }

    /// SIGTERM, then waits for the exit (SIGKILL after `timeout`). Returns seconds to exit.
    @discardableResult
    func stop(timeout: Double = 120) -> Double {
        let t0 = Clock.now()
        if process.isRunning {
            kill(pid, SIGTERM)
            let deadline = Clock.now() + timeout
            while process.isRunning && Clock.now() < deadline { usleep(5000) }
            if process.isRunning {
                log("tiendod pid \(pid) did not stop in \(timeout) s; SIGKILL")
                kill(pid, SIGKILL)
                process.waitUntilExit()
            }
        }
        liveDaemonsLock.lock()
        liveDaemons.remove(pid)
        liveDaemonsLock.unlock()
        notify.close()
        return Clock.now() - t0
    }

    var exitedAbnormally: Bool { !process.isRunning && (process.terminationStatus != 0 || process.terminationReason == .uncaughtSignal) }
}
