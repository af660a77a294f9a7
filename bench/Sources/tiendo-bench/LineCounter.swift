import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a daemon's stderr (the record sink without journald: one line per record, starting with the record's
/// ISO instant; the daemon's own messages start with `tiendod <`) and timestamps the records as they are sent.
final class RecordLineCounter: @unchecked Sendable {
    let pipe = Pipe()
    private let lock = NSLock()
    private var records = 0
    private var firstAt: Double?
    /// Records seen in the first read that had any (the first batch, already sent when first seen).
    private var firstCount = 0
    private var lastAt: Double?
    private var tail: [String] = []
    private var partial: [UInt8] = []
    private var done = false

    func start() {
        let fd = pipe.fileHandleForReading.fileDescriptor
        let t = Thread { [self] in self.readLoop(fd) }
        t.name = "stderr-counter"
        t.start()
    }

    private func readLoop(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var atLineStart = true
        var lineIsRecord = false
        var other: [UInt8] = []
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var newRecords = 0
            for i in 0..<n {
                let b = buf[i]
                if atLineStart {
                    lineIsRecord = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
                    atLineStart = false
                }
                if !lineIsRecord && other.count < 65536 { other.append(b) }
                if b == UInt8(ascii: "\n") {
                    if lineIsRecord { newRecords += 1 }
                    atLineStart = true
                }
            }
            let now = Clock.now()
            lock.lock()
            if newRecords > 0 {
                if records == 0 {
                    firstAt = now
                    firstCount = newRecords
                }
                records += newRecords
                lastAt = now
            }
            // The daemon's own messages (not records), for error reports: the first 64 KiB.
            partial = other
            lock.unlock()
        }
        lock.lock()
        done = true
        lock.unlock()
    }

    var snapshot: (records: Int, first: Double?, firstCount: Int, last: Double?, finished: Bool) {
        lock.lock()
        defer { lock.unlock() }
        return (records, firstAt, firstCount, lastAt, done)
    }

    /// Why the daemon died (a Swift crash report's first lines), else its last messages.
    var lastOutput: String {
        lock.lock()
        let text = String(decoding: partial, as: UTF8.self)
        lock.unlock()
        let lines = text.split(separator: "\n")
        if let i = lines.firstIndex(where: { $0.contains("crashed:") }) {
            return lines[i..<min(lines.count, i + 4)].joined(separator: " | ")
        }
        return lines.suffix(3).joined(separator: " | ")
    }

    /// Waits until `target` records were sent; returns false on timeout or when the stream ended first.
    func wait(records target: Int, timeout: Double) -> Bool {
        let deadline = Clock.now() + timeout
        while Clock.now() < deadline {
            let s = snapshot
            if s.records >= target { return true }
            if s.finished { return false }
            usleep(2000)
        }
        return false
    }
}
