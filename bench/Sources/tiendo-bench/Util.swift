import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// SplitMix64: a tiny, fast, deterministic generator, so the same seed gives the same data set on every machine.
struct Rng {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<n.
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    /// Uniform in the closed range.
    mutating func inRange(_ r: ClosedRange<Int>) -> Int { r.lowerBound + below(r.upperBound - r.lowerBound + 1) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}

enum Clock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// CPU time of the calling thread: on a machine shared with other work, the in-process rates per CPU second
    /// vary far less between runs than the wall-clock ones.
    static func threadCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Latency samples in seconds.
struct Samples {
    var values: [Double] = []
    mutating func add(_ v: Double) { values.append(v) }
    var count: Int { values.count }
    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let s = values.sorted()
        // Nearest rank: the smallest value with at least p of the samples at or below it.
        let rank = Int((p / 100 * Double(s.count)).rounded(.up))
        return s[min(max(rank, 1), s.count) - 1]
    }
    var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A scenario left out because it cannot finish within the run's time budget on this machine (not a failure).
struct Skipped: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The run's time budget: phases that would not fit are skipped, and waits never run past it.
final class Budget: @unchecked Sendable {
    let start = Clock.now()
    let deadline: Double
    init(seconds: Double) { deadline = start + seconds }
    var remaining: Double { deadline - Clock.now() }
    /// Throws `Skipped` unless `seconds` (plus `reserve` kept for later phases) fit in what is left.
    func require(_ seconds: Double, reserve: Double = 0, for what: String) throws {
        if seconds + reserve > remaining {
            throw Skipped(
                "\(what) needs about \(Int(seconds.rounded())) s by the rates just measured; \(Int(max(0, remaining - reserve))) s of the run's budget are left for it"
            )
        }
    }
}

/// Daemons the benchmark started and has not stopped yet, killed by pid if the benchmark is interrupted.
nonisolated(unsafe) var liveDaemons: Set<Int32> = []
let liveDaemonsLock = NSLock()

func installInterruptHandler() {
    let handler: @convention(c) (Int32) -> Void = { sig in
        liveDaemonsLock.lock()
        for pid in liveDaemons { kill(pid, SIGKILL) }
        liveDaemonsLock.unlock()
        _exit(128 + sig)
    }
    signal(SIGINT, handler)
    signal(SIGTERM, handler)
}

func log(_ s: String) {
    FileHandle.standardError.write(Data("[bench] \(s)\n".utf8))
}

/// Runs a program to completion, returning its exit status and standard output (stderr goes to `stderrPath`, else
/// is discarded).
@discardableResult
func runProcess(_ exe: String, _ args: [String], stdin: String? = nil, stdoutPath: String? = nil, env: [String: String]? = nil) throws
    -> (status: Int32, out: String)
{
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let env { p.environment = env }
    let outPipe = Pipe()
    if stdoutPath == "/dev/null" {
        // Never createFile here: Foundation writes a temporary file and renames it over the path, which would
        // replace the device node with a regular file for the whole machine.
        p.standardOutput = FileHandle.nullDevice
    } else if let stdoutPath {
        let fd = open(stdoutPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        p.standardOutput = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    } else {
        p.standardOutput = outPipe
    }
    p.standardError = FileHandle.nullDevice
    let inPipe = Pipe()
    if stdin != nil { p.standardInput = inPipe }
    try p.run()
    if let stdin {
        inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        try? inPipe.fileHandleForWriting.close()
    }
    var data = Data()
    if stdoutPath == nil { data = outPipe.fileHandleForReading.readDataToEndOfFile() }
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Finds a program on PATH.
func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    return nil
}

/// Reads `/proc/PID/status` fields (kB values converted to bytes for Vm*).
enum ProcStatus {
    static func fields(pid: Int32, task: String? = nil) -> [String: Int] {
        let path = task.map { "/proc/\(pid)/task/\($0)/status" } ?? "/proc/\(pid)/status"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let rest = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = rest.first, let v = Int(first) else { continue }
            out[key] = rest.count > 1 && rest[1] == "kB" ? v * 1024 : v
        }
        return out
    }

    static func rss(pid: Int32) -> Int { fields(pid: pid)["VmRSS"] ?? 0 }

    /// Bytes the process has passed to `write`-family system calls (`/proc/PID/io` `wchar`): the log frames SQLite
    /// writes and the replies sent on sockets. Unlike CPU time it does not depend on the host's speed or load.
    static func writtenBytes(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/io", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("wchar:") {
            return Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
    static func hwm(pid: Int32) -> Int { fields(pid: pid)["VmHWM"] ?? 0 }

    /// Voluntary context switches per thread, keyed by thread id, with the thread's name.
    /// Voluntary switches only: one per time a thread blocks, so one per wake-up (involuntary ones are preemptions
    /// while running, which a loaded 2-core machine adds to any busy thread).
    static func perThread(pid: Int32) -> [String: (name: String, switches: Int)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var out: [String: (String, Int)] = [:]
        for t in tasks {
            let name =
                (try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? t
            let f = fields(pid: pid, task: t)
            out[t] = (name, f["voluntary_ctxt_switches"] ?? 0)
        }
        return out
    }

    /// Context switches between two snapshots: threads present in both count their difference, new threads all of
    /// theirs (a thread that exited in between is lost, and reported).
    static func switches(from a: [String: (name: String, switches: Int)], to b: [String: (name: String, switches: Int)])
        -> (total: Int, byThread: [(String, Int)], exited: Int, started: Int)
    {
        var total = 0
        var by: [(String, Int)] = []
        var started = 0
        for (tid, v) in b.sorted(by: { $0.key < $1.key }) {
            let d = v.switches - (a[tid]?.switches ?? 0)
            if a[tid] == nil { started += 1 }
            total += d
            if d > 0 { by.append(("\(v.name) (tid \(tid))", d)) }
        }
        let exited = a.keys.filter { b[$0] == nil }.count
        return (total, by, exited, started)
    }

    /// Waits until the process has used no CPU for `quiet` seconds (at most `timeout`); returns the seconds waited.
    static func waitQuiet(pid: Int32, quiet: Double = 0.5, timeout: Double = 20) -> Double {
        let start = Clock.now()
        var last = cpuSeconds(pid: pid)
        var lastChange = start
        while Clock.now() - start < timeout {
            usleep(50_000)
            let cpu = cpuSeconds(pid: pid)
            if cpu > last + 0.005 {
                last = cpu
                lastChange = Clock.now()
            } else if Clock.now() - lastChange >= quiet {
                return lastChange - start
            }
        }
        return Clock.now() - start
    }

    /// The fields of /proc/PID/stat after the command: state is index 0, majflt 9, utime 11, stime 12 (fields 3,
    /// 12, 14 and 15 of proc(5)).
    static func stat(pid: Int32) -> [Substring] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return [] }
        return text[text.index(close, offsetBy: 2)...].split(separator: " ")
    }

    /// User + system CPU seconds of the process.
    static func cpuSeconds(pid: Int32) -> Double {
        let parts = stat(pid: pid)
        guard parts.count > 12, let u = Double(parts[11]), let s = Double(parts[12]) else { return 0 }
        return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Major page faults of the process (each one a read from disk the faulting thread blocks on: a voluntary
    /// switch that is not a wake-up of the daemon's own).
    static func majorFaults(pid: Int32) -> Int {
        let parts = stat(pid: pid)
        return parts.count > 9 ? Int(parts[9]) ?? 0 : 0
    }
}

func formatRate(_ v: Double) -> String {
    if v.isNaN { return "—" }
    if v >= 1e6 { return String(format: "%.2fM", v / 1e6) }
    if v >= 1e4 { return String(format: "%.0fk", v / 1e3) }
    if v >= 1e3 { return String(format: "%.1fk", v / 1e3) }
    if v < 10 && v != v.rounded() { return String(format: "%.2f", v) }
    return String(format: "%.0f", v)
}

func formatNumber(_ v: Double, unit: String) -> String {
    if v.isNaN { return "—" }
    switch unit {
    case "s":
        if v < 1e-3 { return String(format: "%.0f µs", v * 1e6) }
        if v < 1 { return String(format: "%.1f ms", v * 1e3) }
        return String(format: "%.2f s", v)
    case "B/instance", "B":
        if v >= Double(1 << 20) { return String(format: "%.1f MiB", v / Double(1 << 20)) }
        return String(format: "%.0f B", v)
    case "x": return String(format: v < 10 ? "%.2f×" : "%.0f×", v)  // as report.py: 0.04×, not 0.0×
    case "/min": return String(format: "%.1f/min", v)
    default: return formatRate(v) + (unit.isEmpty ? "" : " \(unit)")
    }
}

func sizeLabel(_ n: Int) -> String {
    switch n {
    case 1_000_000: return "10^6"
    case 100_000: return "10^5"
    case 300_000: return "3·10^5"
    case 10_000: return "10^4"
    case 1000: return "10^3"
    default: return String(n)
    }
}
