#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point in monotonic time by which an operation must finish; nil stands for "no limit".
struct Deadline {
    let at: Double
    let seconds: Double

    /// nil when `seconds` is 0 or less (wait forever).
    static func after(_ seconds: Double) -> Deadline? {
        seconds > 0 ? Deadline(at: now() + seconds, seconds: seconds) : nil
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Milliseconds left for `poll`, rounded up; 0 once passed.
    var remainingMilliseconds: Int32 {
        let left = at - Deadline.now()
        return left <= 0 ? 0 : Int32(min((left * 1000).rounded(.up), Double(Int32.max)))
    }
}

/// A connected, non-blocking AF_UNIX stream socket; every wait goes through `poll` with the caller's deadline, so no
/// operation blocks longer than allowed (a full send buffer, a silent peer, a full listen backlog).
struct UnixSocket {
    let fd: Int32
    let path: String

    func failure(_ reason: VarlinkTransportError.Reason) -> VarlinkTransportError {
        VarlinkTransportError(path: path, reason: reason)
    }

    static func connect(path: String, deadline: Deadline?) throws(VarlinkTransportError) -> UnixSocket {
        var addr = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw VarlinkTransportError(path: path, reason: .pathTooLong(limit: capacity - 1))
        }
        #if canImport(Darwin)
            let kind = SOCK_STREAM
        #else
            let kind = Int32(SOCK_STREAM.rawValue)
        #endif
        let fd = socket(AF_UNIX, kind, 0)
        guard fd >= 0 else { throw VarlinkTransportError(path: path, reason: .connect(errno: errno)) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        #if canImport(Darwin)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        let s = UnixSocket(fd: fd, path: path)
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let len = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + 1)
        while true {
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sysConnect(fd, $0, len) }
            }
            if rc == 0 { return s }
            let e = errno
            switch e {
            case EINTR:
                continue
            case EAGAIN:
                // The listen backlog is full (a daemon that stopped accepting): retry until the deadline.
                if let deadline, deadline.remainingMilliseconds == 0 {
                    _ = sysClose(fd)
                    throw s.failure(.timedOut(seconds: deadline.seconds))
                }
                usleep(5_000)
            case EINPROGRESS:
                do { try s.wait(for: Int16(POLLOUT), until: deadline) } catch {
                    _ = sysClose(fd)
                    throw error
                }
                var soError: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size)
                if soError == 0 { return s }
                _ = sysClose(fd)
                throw s.failure(.connect(errno: soError))
            default:
                _ = sysClose(fd)
                throw s.failure(.connect(errno: e))
            }
        }
    }

    func close() { _ = sysClose(fd) }

    /// Waits until the socket is ready for `events` (POLLIN or POLLOUT), or throws `timedOut` at the deadline.
    func wait(for events: Int16, until deadline: Deadline?) throws(VarlinkTransportError) {
        var p = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let rc = poll(&p, 1, deadline?.remainingMilliseconds ?? -1)
            if rc > 0 { return }  // readable, writable, or hung up: the next recv/send says which
            if rc == 0 {
                if let deadline, deadline.remainingMilliseconds == 0 { throw failure(.timedOut(seconds: deadline.seconds)) }
                continue
            }
            if errno == EINTR { continue }
            throw failure(.io(operation: "poll", errno: errno))
        }
    }

    /// Writes all of `bytes`, waiting for buffer space as needed.
    func sendAll(_ bytes: [UInt8], until deadline: Deadline?) throws(VarlinkTransportError) {
        #if canImport(Darwin)
            let flags: Int32 = 0
        #else
            let flags = Int32(MSG_NOSIGNAL)
        #endif
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in sysSend(fd, raw.baseAddress! + offset, raw.count - offset, flags) }
            if n >= 0 {
                offset += n
                continue
            }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK {
                try wait(for: Int16(POLLOUT), until: deadline)
                continue
            }
            throw failure(.io(operation: "send", errno: e))
        }
    }

    /// Reads what is available into `buffer` (waiting for something to arrive); 0 at end of stream.
    func receive(into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline?) throws(VarlinkTransportError) -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK {
                try wait(for: Int16(POLLIN), until: deadline)
                continue
            }
            throw failure(.io(operation: "recv", errno: e))
        }
    }
}

// The C functions under names that methods of the same name do not shadow.
@inline(__always) private func sysConnect(_ fd: Int32, _ a: UnsafePointer<sockaddr>, _ l: socklen_t) -> Int32 {
    connect(fd, a, l)
}
@inline(__always) private func sysClose(_ fd: Int32) -> Int32 { close(fd) }
@inline(__always) private func sysSend(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int, _ flags: Int32) -> Int {
    send(fd, p, n, flags)
}
