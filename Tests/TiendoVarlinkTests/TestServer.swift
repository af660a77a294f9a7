import Foundation
import TiendoCore
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// A tiny varlink server for client tests: a Unix socket in a temporary directory, one thread per connection, each
/// request answered by the test's `answer` closure with a list of actions. It reads with `VarlinkMessageReader`, as
/// a server would.
final class TestServer: @unchecked Sendable {
    enum Action {
        case reply(VarlinkResponse)
        /// Bytes written as they are (a message cut short, a partial frame).
        case raw([UInt8])
        case sleep(Double)
        case close
    }

    let directory: String
    let path: String
    private let listenFD: Int32
    private let answer: @Sendable (VarlinkRequest) -> [Action]
    private let lock = NSLock()
    private var seen: [VarlinkRequest] = []
    private var clients: [Int32] = []
    private var stopped = false

    init(_ answer: @escaping @Sendable (VarlinkRequest) -> [Action]) throws {
        var template = Array((NSTemporaryDirectory() + "/tiendo-varlink-XXXXXX").utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        path = directory + "/sock"
        self.answer = answer
        listenFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let b = Array(path.utf8)
            raw.copyBytes(from: b)
            raw[b.count] = 0
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, listen(listenFD, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    /// Every request received so far, in order of arrival.
    var requests: [VarlinkRequest] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }

    /// Stops accepting and ends every open connection. Only shuts descriptors down: each is closed by the thread
    /// that uses it, which first takes it off `clients` under the lock. Closing here (or shutting down a descriptor
    /// already closed) could hit a number another test's server reuses meanwhile: tests run in parallel.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        shutdown(listenFD, Int32(SHUT_RDWR))
        for fd in clients { shutdown(fd, Int32(SHUT_RDWR)) }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { stop() }

    /// Accepts until `stop` shuts the listening socket down, then closes it.
    private func acceptLoop() {
        defer { close(listenFD) }
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            lock.lock()
            if stopped {
                lock.unlock()
                close(fd)
                return
            }
            clients.append(fd)
            lock.unlock()
            Thread { [self] in serve(fd) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            lock.lock()
            clients.removeAll { $0 == fd }
            close(fd)
            lock.unlock()
        }
        var reader = VarlinkMessageReader()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            reader.append(chunk[0..<n])
            while let message = try? reader.nextMessage() {
                guard let request = try? VarlinkRequest(json: message) else { return }
                lock.lock()
                seen.append(request)
                lock.unlock()
                for action in answer(request) {
                    switch action {
                    case .reply(let r): write(fd, r.framed())
                    case .raw(let bytes): write(fd, bytes)
                    case .sleep(let s): usleep(UInt32(s * 1e6))
                    case .close: return
                    }
                }
            }
        }
    }

    /// Writes in pieces of at most 1 MiB, as a large reply arrives.
    private func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + (1 << 20), bytes.count)
            let n = bytes[offset..<end].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }
}
