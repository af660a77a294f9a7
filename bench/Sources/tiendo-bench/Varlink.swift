import Foundation
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal synchronous varlink client for the benchmark: NUL-terminated JSON over an AF_UNIX stream socket, one
/// call at a time per connection. Replies are returned as raw bytes so latency is measured up to the last byte,
/// before any client-side parsing.
final class VarlinkConnection {
    let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes of `buffer` before this index hold no NUL: each read only searches what it added (a multi-megabyte
    /// reply is not rescanned from its start at every chunk).
    private var scanned = 0
    private var chunk = [UInt8](repeating: 0, count: 1 << 20)

    /// `timeout`: seconds a reply may take before the call fails (SO_RCVTIMEO), so a stuck daemon cannot hang the run.
    init(path: String, timeout: Double = 900) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(fd)
            throw BenchError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
        let r = withUnsafePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, len) } }
        guard r == 0 else {
            let e = errno
            Glibc.close(fd)
            throw BenchError("connect \(path): \(String(cString: strerror(e)))")
        }
        setTimeout(timeout)
    }

    /// Seconds a reply may take from now on.
    func setTimeout(_ seconds: Double) {
        let s = max(1, seconds)
        var tv = timeval(tv_sec: Int(s), tv_usec: Int((s - s.rounded(.down)) * 1e6))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(fd) }

    /// Sends one message (the NUL is appended here).
    func send(_ message: [UInt8]) throws {
        var m = message
        m.append(0)
        var off = 0
        while off < m.count {
            let n = m[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BenchError("send: \(String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// Reads one reply (without its NUL).
    func receive() throws -> [UInt8] {
        while true {
            if let nul = buffer[max(start, scanned)...].firstIndex(of: 0) {
                let reply = Array(buffer[start..<nul])
                start = nul + 1
                scanned = start
                if start == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                    scanned = 0
                }
                return reply
            }
            scanned = buffer.count
            if start > 0 {
                buffer.removeSubrange(0..<start)
                scanned -= start
                start = 0
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { throw BenchError("tiendod closed the connection") }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw Skipped("no reply from tiendod within the run's remaining budget") }
                throw BenchError("recv: \(String(cString: strerror(errno)))")
            }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// One call; returns the raw reply.
    func callRaw(_ message: [UInt8]) throws -> [UInt8] {
        try send(message)
        return try receive()
    }

    /// One call with parameters; throws on a varlink error reply; returns the parsed reply parameters.
    func call(_ method: String, _ parameters: [(String, JSON)] = []) throws -> JSON {
        let raw = try callRaw(Varlink.message(method, parameters))
        return try Varlink.check(raw, method: method)
    }
}

enum Varlink {
    static let interface = "vn.tiendo.Manager"

    static func message(_ method: String, _ parameters: [(String, JSON)]) -> [UInt8] {
        let full = method.contains(".") ? method : "\(interface).\(method)"
        return Array(JSON.object([("method", .string(full)), ("parameters", .object(parameters))]).serialized().utf8)
    }

    /// Parses a reply and turns a varlink error into a thrown error.
    static func check(_ raw: [UInt8], method: String) throws -> JSON {
        var bytes = raw
        let json: JSON
        do {
            json = try JSON.parse(bytes: &bytes)
        } catch {
            throw BenchError("\(method): reply is not JSON: \(error)")
        }
        if let e = json["error"]?.stringValue {
            let p = json["parameters"].map { $0.serialized() } ?? "{}"
            throw BenchError("\(method): \(e) \(p.prefix(600))")
        }
        return json["parameters"] ?? .object([])
    }

    /// Fast check for an error reply without parsing a large body: errors start with `{"error"`.
    static func isError(_ raw: [UInt8]) -> Bool {
        let prefix = Array("{\"error\"".utf8)
        return raw.count >= prefix.count && Array(raw[0..<prefix.count]) == prefix
    }

    /// Waits until a connection to `path` succeeds (the daemon binds its socket before READY).
    static func waitForSocket(_ path: String, timeout: Double) throws -> VarlinkConnection {
        let deadline = Clock.now() + timeout
        while true {
            if let c = try? VarlinkConnection(path: path) { return c }
            if Clock.now() > deadline { throw BenchError("no socket at \(path) after \(timeout) s") }
            usleep(2000)
        }
    }
}
