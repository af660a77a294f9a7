import CLinux
import Foundation
public import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// Who is calling, from SO_PEERCRED.
public struct Peer: Sendable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
}

/// A varlink reply: parameters, or an error name with parameters; `continues` for `more` streams.
public struct VarlinkReply: Sendable {
    public var parameters: JSON
    public var error: String?
    public var continues = false
    /// The whole message, already serialised (by `encoded()` on the thread that made the reply).
    var message: [UInt8]?

    public static func ok(_ p: [(String, JSON)]) -> VarlinkReply { VarlinkReply(parameters: .object(p), error: nil) }
    public static func error(_ name: String, _ p: [(String, JSON)] = []) -> VarlinkReply {
        VarlinkReply(parameters: .object(p), error: name)
    }

    /// A reply written by `body` straight into the message, between `{"parameters":` and `}` + NUL: no copy.
    public static func ok(writingParameters body: (inout [UInt8]) throws -> Void) rethrows -> VarlinkReply {
        var m: [UInt8] = []
        m.reserveCapacity(1 << 16)
        m.append(contentsOf: VarlinkReply.parametersPrefix)
        try body(&m)
        m.append(contentsOf: VarlinkReply.parametersSuffix)
        return VarlinkReply(parameters: .null, error: nil, message: m)
    }

    static let parametersPrefix: [UInt8] = Array(#"{"parameters":"#.utf8)
    static let parametersSuffix: [UInt8] = [UInt8(ascii: "}"), 0]

    /// This reply with its message serialised now: readers call it so the I/O thread only copies bytes.
    public func encoded() -> VarlinkReply {
        var r = self
        r.message = bytes
        return r
    }

    var bytes: [UInt8] {
        if let message { return message }
        var o: [(String, JSON)] = []
        if let error { o.append(("error", .string(error))) }
        o.append(("parameters", parameters))
        if continues { o.append(("continues", .bool(true))) }
        var b = JSON.object(o).bytes()
        b.append(0)
        return b
    }
}

/// How a request is answered.
public enum Dispatch {
    /// Answer on the I/O thread right away.
    case immediate(VarlinkReply)
    /// Answer later: the handler calls `reply` (possibly on another thread).
    case deferred((@escaping @Sendable (VarlinkReply) -> Void) -> Void)
    /// Start a `more` stream: the connection receives records until it closes.
    case watch
}

/// Answers one parsed call. Implemented by `ControlService`.
public protocol VarlinkHandler: AnyObject, Sendable {
    func handle(method: String, parameters: [(String, JSON)], more: Bool, oneway: Bool, peer: Peer) -> Dispatch
}

/// A varlink server on a listening Unix socket: NUL-terminated JSON messages, requests of one connection answered
/// in order, every connection multiplexed on one I/O thread so a slow or malicious client cannot stall others or
/// the scheduler. Limits: 8 MiB per message, a cap on connections, idle partial messages time out.
public final class VarlinkServer: @unchecked Sendable {
    public static let maxMessage = 8 * 1024 * 1024
    public static let maxConnections = 4096
    /// A connection with an incomplete message and no traffic for this long is closed.
    public static let stallTimeout = 30.0
    /// A watcher that does not read its records is dropped past this much queued output.
    public static let maxQueuedOutput = 32 * 1024 * 1024

    final class Connection {
        let fd: Int32
        let peer: Peer
        var input: [UInt8] = []
        var output: [UInt8] = []
        var outputOffset = 0
        var busy = false
        var watching = false
        var closing = false
        var lastActivity = DaemonClock.monotonic()
        let id: Int
        init(fd: Int32, peer: Peer, id: Int) {
            self.fd = fd
            self.peer = peer
            self.id = id
        }
        var pendingOutput: Int { output.count - outputOffset }
    }

    let listenFD: Int32
    let handler: any VarlinkHandler
    let log: @Sendable (Int, String) -> Void
    let wakeFD: Int32
    private let lock = NSLock()
    private var completions: [(Int, VarlinkReply)] = []
    private var broadcasts: [[UInt8]] = []
    /// Open `Watch` streams (read by `broadcast` from other threads).
    private var watchers = 0
    private var connections: [Int32: Connection] = [:]
    private var byID: [Int: Int32] = [:]
    private var nextID = 1
    private var thread: Thread?

    public init(listenFD: Int32, handler: any VarlinkHandler, log: @escaping @Sendable (Int, String) -> Void) {
        self.listenFD = listenFD
        self.handler = handler
        self.log = log
        wakeFD = tiendo_eventfd()
        let flags = fcntl(listenFD, F_GETFL)
        _ = fcntl(listenFD, F_SETFL, flags | O_NONBLOCK)
    }

    public func start() {
        let t = Thread { [self] in self.run() }
        t.name = "varlink"
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// Sends records to every `Watch` stream (any thread); free when nobody watches.
    public func broadcast(_ records: [Record]) {
        guard !records.isEmpty else { return }
        lock.lock()
        let watching = watchers > 0
        lock.unlock()
        guard watching else { return }
        let encoded = records.map { VarlinkReply(parameters: .object([("record", $0.json)]), error: nil, continues: true).bytes }
        lock.lock()
        broadcasts.append(contentsOf: encoded)
        lock.unlock()
        wake()
    }

    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    func complete(_ connectionID: Int, _ reply: VarlinkReply) {
        lock.lock()
        completions.append((connectionID, reply))
        lock.unlock()
        wake()
    }

    // MARK: I/O thread

    func run() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var fds: [pollfd] = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
            let conns = Array(connections.values)
            for c in conns {
                var ev = Int16(0)
                if !c.busy && !c.closing { ev |= Int16(POLLIN) }
                if c.pendingOutput > 0 { ev |= Int16(POLLOUT) }
                fds.append(pollfd(fd: c.fd, events: ev, revents: 0))
            }
            let stalled = conns.contains { !$0.input.isEmpty && !$0.busy }
            let n = poll(&fds, nfds_t(fds.count), stalled ? 1000 : -1)
            if n < 0 && errno != EINTR {
                log(3, "varlink poll: \(String(cString: strerror(errno)))")
                usleep(10000)
                continue
            }
            if fds[1].revents != 0 {
                var v: UInt64 = 0
                _ = read(wakeFD, &v, 8)
                deliver()
            }
            if fds[0].revents != 0 { acceptAll() }
            let now = DaemonClock.monotonic()
            for (i, c) in conns.enumerated() {
                let re = fds[i + 2].revents
                guard connections[c.fd] === c else { continue }
                if re & Int16(POLLOUT) != 0 { flush(c) }
                if re & Int16(POLLIN | POLLHUP | POLLERR) != 0 && !c.busy && !c.closing {
                    readInput(c, &buffer)
                } else if re & Int16(POLLHUP | POLLERR) != 0 && c.pendingOutput == 0 {
                    close(c)
                }
                if connections[c.fd] === c, !c.input.isEmpty, !c.busy, now - c.lastActivity > VarlinkServer.stallTimeout {
                    log(5, "varlink: đóng kết nối của pid \(c.peer.pid) (uid \(c.peer.uid)) gửi dở một thông điệp rồi im lặng")
                    close(c)
                }
            }
        }
    }

    func acceptAll() {
        while true {
            let fd = tiendo_accept(listenFD)
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE { log(3, "varlink: hết mô tả tệp khi nhận kết nối") }
                return
            }
            if connections.count >= VarlinkServer.maxConnections {
                Glibc.close(fd)
                continue
            }
            var pid: Int32 = 0
            var uid: UInt32 = UInt32.max
            var gid: UInt32 = UInt32.max
            _ = tiendo_peercred(fd, &pid, &uid, &gid)
            let c = Connection(fd: fd, peer: Peer(pid: pid, uid: uid, gid: gid), id: nextID)
            nextID += 1
            connections[fd] = c
            byID[c.id] = fd
        }
    }

    func close(_ c: Connection) {
        if c.watching {
            lock.lock()
            watchers -= 1
            lock.unlock()
            c.watching = false
        }
        connections[c.fd] = nil
        byID[c.id] = nil
        Glibc.close(c.fd)
    }

    func readInput(_ c: Connection, _ buffer: inout [UInt8]) {
        let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            if c.pendingOutput == 0 { close(c) } else { c.closing = true }
            return
        }
        guard n > 0 else { return }
        c.lastActivity = DaemonClock.monotonic()
        c.input.append(contentsOf: buffer[0..<n])
        processInput(c)
    }

    /// Parses complete messages one at a time: the next is taken only when the previous is answered.
    func processInput(_ c: Connection) {
        while !c.busy, !c.closing, connections[c.fd] === c {
            guard let nul = c.input.firstIndex(of: 0) else {
                if c.input.count > VarlinkServer.maxMessage {
                    log(4, "varlink: đóng kết nối của pid \(c.peer.pid) (uid \(c.peer.uid)): thông điệp vượt 8 MiB")
                    close(c)
                }
                return
            }
            if nul > VarlinkServer.maxMessage {
                log(4, "varlink: đóng kết nối của pid \(c.peer.pid) (uid \(c.peer.uid)): thông điệp vượt 8 MiB")
                close(c)
                return
            }
            var message = Array(c.input[0..<nul])
            c.input.removeSubrange(0...nul)
            let json: JSON
            do {
                json = try JSON.parse(bytes: &message)
            } catch {
                log(4, "varlink: đóng kết nối của pid \(c.peer.pid) (uid \(c.peer.uid)): JSON không hợp lệ (\(error.reason))")
                close(c)
                return
            }
            guard let method = json["method"]?.stringValue else {
                log(4, "varlink: đóng kết nối của pid \(c.peer.pid): thông điệp không có 'method'")
                close(c)
                return
            }
            var params: [(String, JSON)] = []
            if let p = json["parameters"] {
                guard let o = p.objectValue else {
                    send(c, .error("org.varlink.service.InvalidParameter", [("parameter", .string("parameters"))]))
                    continue
                }
                params = o
            }
            let more = json["more"]?.boolValue ?? false
            let oneway = json["oneway"]?.boolValue ?? false
            switch handler.handle(method: method, parameters: params, more: more, oneway: oneway, peer: c.peer) {
            case .immediate(let r):
                if !oneway { send(c, r) }
            case .watch:
                c.watching = true
                lock.lock()
                watchers += 1
                lock.unlock()
                c.busy = true  // a streaming connection takes no further calls
                var first = VarlinkReply.ok([])
                first.continues = true
                send(c, first)
            case .deferred(let start):
                c.busy = true
                let id = c.id
                start { [self] reply in
                    self.complete(id, oneway ? VarlinkReply(parameters: .null, error: "__oneway") : reply)
                }
            }
        }
    }

    func send(_ c: Connection, _ r: VarlinkReply) {
        if c.pendingOutput == 0 {
            c.output = r.bytes  // a large reply is not copied again
            c.outputOffset = 0
        } else {
            c.output.append(contentsOf: r.bytes)
        }
        flush(c)
    }

    func flush(_ c: Connection) {
        while c.pendingOutput > 0 {
            let n = c.output[c.outputOffset...].withUnsafeBytes { Glibc.send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                if n < 0 && (errno == EAGAIN || errno == EINTR) { break }
                close(c)
                return
            }
            c.outputOffset += n
        }
        if c.pendingOutput == 0 {
            c.output.removeAll(keepingCapacity: c.output.capacity < 1 << 20)
            c.outputOffset = 0
            if c.closing { close(c) }
        } else if c.outputOffset > 1 << 20 {
            c.output.removeSubrange(0..<c.outputOffset)
            c.outputOffset = 0
        }
    }

    /// Hands finished replies and watch records to their connections.
    func deliver() {
        lock.lock()
        let done = completions
        completions.removeAll()
        let records = broadcasts
        broadcasts.removeAll()
        lock.unlock()
        for (id, reply) in done {
            guard let fd = byID[id], let c = connections[fd] else { continue }
            c.busy = false
            if reply.error != "__oneway" { send(c, reply) }
            if connections[fd] === c { processInput(c) }
        }
        if !records.isEmpty {
            for c in connections.values where c.watching {
                for r in records { c.output.append(contentsOf: r) }
                if c.pendingOutput > VarlinkServer.maxQueuedOutput {
                    log(4, "varlink: bỏ luồng Watch của pid \(c.peer.pid): không đọc kịp")
                    close(c)
                } else {
                    flush(c)
                }
            }
        }
    }
}

/// The listening socket: adopted from systemd (`LISTEN_FDS` with name `varlink`) or bound at a path, mode 0660.
public enum ControlSocket {
    /// The listening socket passed by systemd socket activation under the name `varlink`, if any.
    public static func adopted(log: (String) -> Void = { _ in }) -> Int32? {
        ServiceManager.listeningSocket(named: "varlink", log: log)
    }

    /// Binds a Unix stream socket at `path` (removing a stale socket file), mode 0660.
    public static func bind(path: String) throws -> Int32 {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
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
