import CLinux
import Foundation
import TiendoCore
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// The varlink server's I/O thread and everything it owns: the connections, what each uid holds, the accept
/// back-off and the log limiter. Made on that thread by `VarlinkServer.start` and never handed to another (it is
/// not `Sendable`): other threads reach it only through the server's mailbox and wake-up.
final class ServerIO {
    let server: VarlinkServer
    let limits: ServerLimits
    private var connections: [Int32: ServerConnection] = [:]
    private var byID: [Int: Int32] = [:]
    private var accounts: [UInt32: PeerAccount] = [:]
    private var untrustedConnections = 0
    private var nextID = 1
    private var acceptPausedUntil = 0.0
    private var acceptPause = 0.05
    private var logLimiter = LogLimiter()

    init(server: VarlinkServer) {
        self.server = server
        limits = server.limits
    }

    /// A rate-limited log line: the same kind of fault from the same uid is logged at most a few times per window.
    func logLimited(_ priority: Int, _ key: String, _ message: @autoclosure () -> String) {
        if let line = logLimiter.line(key, message(), now: DaemonClock.monotonic()) { server.log(priority, line) }
    }

    func describe(_ c: ServerConnection) -> String { "pid \(c.peer.pid) (uid \(c.peer.uid))" }

    /// Whether the server takes the next request of `c` now: its previous reply is out, and its uid is within
    /// its limits.
    func mayTakeRequest(_ c: ServerConnection) -> Bool {
        guard !c.busy, c.pendingOutput == 0 else { return false }
        if c.trusted || c.watching || c.stream != nil { return true }
        let a = accounts[c.peer.uid] ?? PeerAccount()
        return a.inFlight < limits.perUIDInFlight && a.output <= limits.perUIDOutput
    }

    /// Whether to read more bytes from `c`: only when its buffered requests could be answered now.
    func mayRead(_ c: ServerConnection) -> Bool { !c.closing && mayTakeRequest(c) }

    func run() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var now = DaemonClock.monotonic()
            let accepting = now >= acceptPausedUntil
            var fds = [
                pollfd(fd: server.listenFD, events: accepting ? Int16(POLLIN) : 0, revents: 0),
                pollfd(fd: server.wakeFD, events: Int16(POLLIN), revents: 0),
            ]
            let conns = Array(connections.values)
            var deadline = accepting ? Double.infinity : acceptPausedUntil
            for c in conns {
                var ev = Int16(0)
                if mayRead(c) { ev |= Int16(POLLIN) }
                if c.pendingOutput > 0 {
                    ev |= Int16(POLLOUT)
                    deadline = min(deadline, c.lastOutputProgress + limits.writeStallTimeout)
                }
                if let started = c.messageStartedAt, !c.busy { deadline = min(deadline, started + limits.messageDeadline) }
                fds.append(pollfd(fd: c.fd, events: ev, revents: 0))
            }
            let timeout = deadline.isFinite ? Int32(max(0, min((deadline - now) * 1000 + 1, 60_000))) : -1
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 && errno != EINTR {
                logLimited(3, "poll", "varlink poll: \(String(cString: strerror(errno)))")
                usleep(10000)
                continue
            }
            now = DaemonClock.monotonic()
            if fds[1].revents != 0 {
                var v: UInt64 = 0
                _ = read(server.wakeFD, &v, 8)
                deliver()
            }
            for (i, c) in conns.enumerated() {
                guard connections[c.fd] === c else { continue }
                let re = fds[i + 2].revents
                if re & Int16(POLLOUT) != 0 {
                    flush(c)
                    // Its output is out: a request may be waiting in what was read already.
                    if connections[c.fd] === c, c.pendingInput > 0 { processInput(c) }
                }
                guard connections[c.fd] === c else { continue }
                if re & Int16(POLLIN) != 0 {
                    readInput(c, &buffer)
                } else if re & Int16(POLLHUP | POLLERR) != 0 {
                    if c.pendingOutput == 0 && !c.busy { close(c) } else { c.closing = true }
                }
                guard connections[c.fd] === c else { continue }
                if let started = c.messageStartedAt, !c.busy, now - started > limits.messageDeadline {
                    logLimited(
                        5, "deadline \(c.peer.uid)",
                        "varlink: đóng kết nối của \(describe(c)): một thông điệp không gửi xong trong \(Int(limits.messageDeadline)) giây")
                    close(c)
                } else if c.pendingOutput > 0, now - c.lastOutputProgress > limits.writeStallTimeout {
                    logLimited(
                        5, "stall \(c.peer.uid)",
                        "varlink: đóng kết nối của \(describe(c)): không đọc trả lời trong \(Int(limits.writeStallTimeout)) giây")
                    close(c)
                }
            }
            // After the connections: those that hung up in this round have left room for the new ones (a client
            // that closed its connections and opened another was refused with the table still counting them).
            if fds[0].revents != 0 { acceptAll() }
        }
    }

    func acceptAll() {
        while true {
            let fd = tiendo_accept(server.listenFD)
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // The file table is full: stop polling the listening socket for a while (clients wait in the
                    // backlog) instead of spinning on a socket that stays readable.
                    acceptPausedUntil = DaemonClock.monotonic() + acceptPause
                    logLimited(
                        3, "emfile",
                        "varlink: hết mô tả tệp khi nhận kết nối (\(ErrnoText.describe(errno))); tạm ngừng nhận \(Int(acceptPause * 1000)) ms"
                    )
                    acceptPause = min(acceptPause * 2, limits.maxAcceptPause)
                default: break
                }
                return
            }
            acceptPause = 0.05
            var pid: Int32 = 0
            var uid: UInt32 = UInt32.max
            var gid: UInt32 = UInt32.max
            _ = tiendo_peercred(fd, &pid, &uid, &gid)
            let peer = Peer(pid: pid, uid: uid, gid: gid)
            // The web front end serves many people through one uid: bounded by the totals, like administrators.
            let trusted = server.authority.mayMutate(peer)
            if let refusal = refusal(peer, trusted: trusted) {
                Glibc.close(fd)
                logLimited(4, "refused \(uid)", "varlink: từ chối kết nối của pid \(pid) (uid \(uid)): \(refusal)")
                continue
            }
            let c = ServerConnection(fd: fd, peer: peer, trusted: trusted, id: nextID, maxMessage: limits.maxMessage)
            nextID += 1
            connections[fd] = c
            byID[c.id] = fd
            if !trusted {
                untrustedConnections += 1
                accounts[uid, default: PeerAccount()].connections += 1
            }
        }
    }

    /// Why a new connection is refused, or nil.
    func refusal(_ peer: Peer, trusted: Bool) -> String? {
        if connections.count >= limits.maxConnections { return "đã đủ \(limits.maxConnections) kết nối" }
        if trusted { return nil }
        if untrustedConnections >= limits.maxConnections - limits.reservedForAdmins {
            return "chỉ còn chỗ cho quản trị viên"
        }
        if (accounts[peer.uid]?.connections ?? 0) >= limits.perUIDConnections {
            return "người dùng này đã có \(limits.perUIDConnections) kết nối"
        }
        return nil
    }

    func close(_ c: ServerConnection) {
        guard connections[c.fd] === c else { return }
        if c.watching {
            server.watchers(-1)
            c.watching = false
        }
        if !c.trusted {
            untrustedConnections -= 1
            var a = accounts[c.peer.uid] ?? PeerAccount()
            a.connections -= 1
            a.output -= c.pendingOutput
            if c.busy { a.inFlight -= 1 }
            accounts[c.peer.uid] = a.connections > 0 ? a : nil
        }
        c.stream?.close()
        connections[c.fd] = nil
        byID[c.id] = nil
        Glibc.close(c.fd)
    }

    func readInput(_ c: ServerConnection, _ buffer: inout [UInt8]) {
        let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
            if c.pendingOutput == 0 && !c.busy { close(c) } else { c.closing = true }
            return
        }
        guard n > 0 else { return }
        if c.watching || c.stream != nil {
            c.discardInput()
            return
        }
        buffer.withUnsafeBytes { c.received(UnsafeRawBufferPointer(rebasing: $0[0..<n]), now: DaemonClock.monotonic()) }
        processInput(c)
    }

    /// Answers complete messages one at a time: the next is taken only when the previous reply is written out.
    func processInput(_ c: ServerConnection) {
        while mayTakeRequest(c), connections[c.fd] === c {
            let json: JSON
            do {
                guard let m = try c.nextMessage(now: DaemonClock.monotonic()) else {
                    // A peer that closed its side after a partial message will never finish it.
                    if c.closing { close(c) }
                    return
                }
                json = m
            } catch .messageTooLarge {
                logLimited(
                    4, "large \(c.peer.uid)",
                    "varlink: đóng kết nối của \(describe(c)): thông điệp vượt \(limits.maxMessage / (1024 * 1024)) MiB")
                return close(c)
            } catch {
                logLimited(4, "json \(c.peer.uid)", "varlink: đóng kết nối của \(describe(c)): \(error)")
                return close(c)
            }
            let request: VarlinkRequest
            do {
                request = try VarlinkRequest(json: json)
            } catch .parametersNotAnObject {
                send(c, .error("org.varlink.service.InvalidParameter", [("parameter", .string("parameters"))]))
                continue
            } catch {
                logLimited(4, "json \(c.peer.uid)", "varlink: đóng kết nối của \(describe(c)): thông điệp không có 'method'")
                return close(c)
            }
            let (method, params, more, oneway) = (request.method, request.parameterList, request.more, request.oneway)
            switch server.handler.handle(method: method, parameters: params, more: more, oneway: oneway, peer: c.peer) {
            case .immediate(let r):
                if !oneway { send(c, r) }
            case .watch where oneway, .stream where oneway:
                // A stream nobody wants a reply of (varlink's `oneway`) is not started: the call is answered by
                // nothing, as any oneway call, and the connection takes the next one.
                continue
            case .watch:
                c.watching = true
                c.discardInput()
                server.watchers(1)
                var first = VarlinkReply.ok([])
                first.continues = true
                send(c, first)
                return
            case .stream(let start):
                // Like Watch: the connection takes no further calls; the handler sends the replies.
                let stream = VarlinkStream(connectionID: c.id, server: server)
                c.stream = stream
                c.discardInput()
                start(stream)
                return
            case .deferred(let start):
                start(begin(c, oneway: oneway))
            case .deferredInParts(let start):
                let id = c.id
                let done = begin(c, oneway: oneway)
                start({ [server] bytes in if !oneway { server.part(id, bytes) } }, done)
            }
        }
    }

    /// Marks `c` busy with a deferred call; the function that completes it (from any thread).
    func begin(_ c: ServerConnection, oneway: Bool) -> @Sendable (VarlinkReply) -> Void {
        c.busy = true
        if !c.trusted { accounts[c.peer.uid]?.inFlight += 1 }
        let id = c.id
        return { [server] reply in server.complete(id, oneway ? VarlinkReply(parameters: .null, error: "__oneway") : reply) }
    }

    func send(_ c: ServerConnection, _ r: VarlinkReply) {
        queue(c, r.bytes)
        flush(c)
    }

    /// Queues output on `c`, counted against its uid.
    func queue(_ c: ServerConnection, _ bytes: [UInt8]) {
        c.queue(bytes, now: DaemonClock.monotonic())
        if !c.trusted { accounts[c.peer.uid]?.output += bytes.count }
    }

    func flush(_ c: ServerConnection) {
        let before = c.pendingOutput
        let ok = c.flush(now: DaemonClock.monotonic())
        if !c.trusted { accounts[c.peer.uid]?.output -= before - c.pendingOutput }
        guard ok else { return close(c) }
        if c.pendingOutput == 0 && c.closing && !c.busy && c.pendingInput == 0 { close(c) }
    }

    /// Hands finished replies and watch records to their connections.
    func deliver() {
        let mail = server.takeMail()
        for (id, bytes) in mail.pushes {
            guard let fd = byID[id], let c = connections[fd] else { continue }
            queue(c, bytes)
            if c.pendingOutput > limits.watchBacklog { close(c) } else { flush(c) }
        }
        // Before the completions: a reply's parts go out before its rest.
        for (id, bytes) in mail.parts {
            guard let fd = byID[id], let c = connections[fd] else { continue }
            queue(c, bytes)
            flush(c)
        }
        for (id, reply) in mail.completions {
            guard let fd = byID[id], let c = connections[fd] else { continue }
            c.busy = false
            if !c.trusted { accounts[c.peer.uid]?.inFlight -= 1 }
            if reply.error == "__abort" {
                close(c)
            } else if reply.error != "__oneway" {
                send(c, reply)
            } else {
                flush(c)
            }
            if connections[fd] === c, c.pendingInput > 0 { processInput(c) }
        }
        if !mail.broadcasts.isEmpty {
            for c in connections.values where c.watching {
                for r in mail.broadcasts { queue(c, r) }
                let uidOver = !c.trusted && (accounts[c.peer.uid]?.output ?? 0) > limits.perUIDOutput
                if c.pendingOutput > limits.watchBacklog || uidOver {
                    logLimited(
                        4, "watch \(c.peer.uid)",
                        "varlink: bỏ luồng Watch của \(describe(c)): không đọc kịp (\(c.pendingOutput / 1024) KiB đang chờ)")
                    close(c)
                } else {
                    flush(c)
                }
            }
        }
    }
}
