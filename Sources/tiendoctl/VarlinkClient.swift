#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import TiendoCore

/// An error reply from the service: `{"error": NAME, "parameters": {...}}`.
struct VarlinkError: Error, CustomStringConvertible {
    /// Fully qualified, e.g. `vn.tiendo.Manager.NoSuchInstance`.
    var name: String
    var parameters: JSON

    /// The last component, e.g. `NoSuchInstance`.
    var shortName: String { name.split(separator: ".").last.map(String.init) ?? name }
    var interface: String {
        guard let dot = name.lastIndex(of: ".") else { return "" }
        return String(name[..<dot])
    }
    var description: String { name + " " + parameters.serialized() }

    subscript(_ key: String) -> JSON? { parameters[key] }
}

/// A failure below the varlink layer: connecting, reading, writing or framing.
enum VarlinkTransportError: Error, CustomStringConvertible {
    /// `connect(2)` (or `socket(2)`) failed.
    case connect(path: String, errno: Int32)
    case pathTooLong(path: String)
    case io(operation: String, errno: Int32)
    /// The peer closed the connection; `partial` when inside a message.
    case closed(partial: Bool)
    case messageTooLarge(limit: Int)
    case malformed(String)
    /// No reply within the client's timeout (`--timeout`).
    case timedOut(seconds: Double)

    var description: String {
        switch self {
        case .connect(let path, let e): return "connect \(path): \(strerrorText(e))"
        case .pathTooLong(let path): return "đường dẫn socket quá dài: \(path)"
        case .io(let op, let e): return "\(op): \(strerrorText(e))"
        case .closed(let partial):
            return partial ? "tiendod đóng kết nối giữa chừng một thông điệp" : "tiendod đóng kết nối trước khi trả lời"
        case .messageTooLarge(let limit): return "thông điệp từ tiendod lớn hơn \(limit / (1 << 20)) MiB"
        case .malformed(let why): return "tiendod trả lời không phải JSON hợp lệ: \(why)"
        case .timedOut(let seconds):
            return "tiendod không trả lời trong \(Int(seconds)) giây (đang bận hay bị treo? xem journalctl -u tiendod); "
                + "một thay đổi đã gửi có thể vẫn được ghi: kiểm tra lại trước khi gửi lại, hoặc gửi kèm --idempotency-key"
        }
    }
}

func strerrorText(_ e: Int32) -> String {
    guard let p = strerror(e) else { return "errno \(e)" }
    return String(cString: p)
}

/// A small synchronous varlink client on a Unix stream socket: every message is one JSON object followed by a NUL.
/// One connection carries calls one after another (varlink has no pipelining requirement, and we never need it).
final class VarlinkClient {
    static let defaultPath = "/run/tiendo/vn.tiendo.Manager"
    static let interface = "vn.tiendo.Manager"
    /// The largest message either side accepts (the daemon closes the connection above it).
    static let maxMessage = 8 << 20

    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Start of unconsumed bytes in `buffer` (avoids shifting on every message of a long stream).
    private var start = 0
    /// Seconds a call waits for its reply (0: forever). Streams (`watch`) always wait.
    var replyTimeout: Double = 120

    /// `--socket`, else `$TIENDO_SOCKET`, else the system socket.
    static func resolvePath(_ option: String?) -> String {
        if let option, !option.isEmpty { return option }
        if let env = getenv("TIENDO_SOCKET") {
            let s = String(cString: env)
            if !s.isEmpty { return s }
        }
        return defaultPath
    }

    init(path: String) throws {
        self.path = path
        #if canImport(Darwin)
        let kind = SOCK_STREAM
        #else
        let kind = Int32(SOCK_STREAM.rawValue)
        #endif
        let s = socket(AF_UNIX, kind, 0)
        guard s >= 0 else { throw VarlinkTransportError.connect(path: path, errno: errno) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            close(s)
            throw VarlinkTransportError.pathTooLong(path: path)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let len = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + 1)
        var rc: Int32
        repeat {
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, len) }
            }
        } while rc < 0 && errno == EINTR
        guard rc == 0 else {
            let e = errno
            close(s)
            throw VarlinkTransportError.connect(path: path, errno: e)
        }
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        fd = s
    }

    deinit { close(fd) }

    // MARK: Calls

    /// Calls `METHOD` (short names are qualified with `vn.tiendo.Manager`) and returns the reply's parameters.
    func call(_ method: String, parameters: JSON = .object([])) throws -> JSON {
        setReceiveTimeout(replyTimeout)
        try send(message(method, parameters, more: false))
        let reply = try receive()
        try Self.check(reply)
        return reply["parameters"] ?? .object([])
    }

    /// Calls with `"more": true` and hands every reply's parameters to `handler` until the service sends a reply
    /// without `"continues": true`, or `handler` returns false.
    func stream(_ method: String, parameters: JSON = .object([]), handler: (JSON) throws -> Bool) throws {
        setReceiveTimeout(0)
        try send(message(method, parameters, more: true))
        while true {
            let reply = try receive()
            try Self.check(reply)
            let more = reply["continues"]?.boolValue ?? false
            guard try handler(reply["parameters"] ?? .object([])) else { return }
            if !more { return }
        }
    }

    /// Fire-and-forget (`"oneway": true`): the service sends no reply.
    func oneway(_ method: String, parameters: JSON = .object([])) throws {
        var o = message(method, parameters, more: false).objectValue ?? []
        o.append(("oneway", .bool(true)))
        try send(.object(o))
    }

    private func message(_ method: String, _ parameters: JSON, more: Bool) -> JSON {
        let qualified = method.contains(".") ? method : Self.interface + "." + method
        var o: [(String, JSON)] = [("method", .string(qualified))]
        if case .object(let p) = parameters, !p.isEmpty { o.append(("parameters", parameters)) }
        if more { o.append(("more", .bool(true))) }
        return .object(o)
    }

    private static func check(_ reply: JSON) throws {
        guard case .object = reply else { throw VarlinkTransportError.malformed("thông điệp không phải một đối tượng") }
        if let name = reply["error"] {
            throw VarlinkError(name: name.stringValue ?? name.serialized(), parameters: reply["parameters"] ?? .object([]))
        }
    }

    // MARK: Framing

    /// Writes one message and its NUL terminator, however many `send` calls it takes.
    func send(_ value: JSON) throws {
        var bytes = Array(value.serialized().utf8)
        bytes.append(0)
        try writeAll(bytes)
    }

    func writeAll(_ bytes: [UInt8]) throws {
        #if canImport(Darwin)
        let flags: Int32 = 0
        #else
        let flags = Int32(MSG_NOSIGNAL)
        #endif
        var off = 0
        try bytes.withUnsafeBytes { raw in
            while off < raw.count {
                let n = sysSend(fd, raw.baseAddress! + off, raw.count - off, flags)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw VarlinkTransportError.io(operation: "send", errno: errno)
                }
                off += n
            }
        }
    }

    /// Reads the next NUL-terminated message (earlier reads may already hold it) and parses it.
    func receive() throws -> JSON {
        var scanFrom = start
        while true {
            if let nul = buffer[scanFrom...].firstIndex(of: 0) {
                let value: JSON
                do {
                    value = try buffer.withUnsafeBufferPointer { buf in
                        try JSON.parse(buffer: UnsafeBufferPointer(rebasing: buf[start..<nul]))
                    }
                } catch {
                    throw VarlinkTransportError.malformed("\(error)")
                }
                start = nul + 1
                if start == buffer.count {
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                }
                return value
            }
            scanFrom = buffer.count
            if buffer.count - start > Self.maxMessage { throw VarlinkTransportError.messageTooLarge(limit: Self.maxMessage) }
            if start > 0, start >= buffer.count / 2 {
                buffer.removeFirst(start)
                scanFrom -= start
                start = 0
            }
            try fill()
        }
    }

    /// SO_RCVTIMEO: a `recv` waiting longer fails with EAGAIN (0 disables it).
    private func setReceiveTimeout(_ seconds: Double) {
        let s = max(0, seconds)
        var tv = timeval(tv_sec: Int(s), tv_usec: Int((s - s.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        receiveTimeout = s
    }

    private var receiveTimeout: Double = 0

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw VarlinkTransportError.timedOut(seconds: receiveTimeout) }
                throw VarlinkTransportError.io(operation: "recv", errno: errno)
            }
            if n == 0 { throw VarlinkTransportError.closed(partial: buffer.count > start) }
            buffer.append(contentsOf: chunk[0..<n])
            return
        }
    }
}

/// `send(2)`; named apart from `VarlinkClient.send(_:)`.
@inline(__always)
private func sysSend(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int, _ flags: Int32) -> Int {
    #if canImport(Glibc)
    return Glibc.send(fd, p, n, flags)
    #elseif canImport(Musl)
    return Musl.send(fd, p, n, flags)
    #else
    return Darwin.send(fd, p, n, flags)
    #endif
}
