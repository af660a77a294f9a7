#if canImport(Glibc)
    import Glibc
#endif

/// One client of the varlink server, owned by the server's I/O thread.
final class ServerConnection {
    let fd: Int32
    let peer: Peer
    /// Root, the daemon's uid or `tiendo-admin` (`PeerAuthority`), decided when the connection was accepted.
    let trusted: Bool
    let id: Int

    /// Bytes received and not yet consumed: `input[inputStart...]`; the first `scanned` of them hold no NUL.
    private var input: [UInt8] = []
    private var inputStart = 0
    private var scanned = 0
    /// Monotonic time the first byte of the message being received arrived, nil when none is pending.
    private(set) var messageStartedAt: Double?

    private var output: [UInt8] = []
    private var outputOffset = 0
    /// Monotonic time output last moved (or was queued on an empty buffer).
    private(set) var lastOutputProgress = 0.0

    /// A request of this connection is being answered; the next is taken only after its reply.
    var busy = false
    var watching = false
    /// The peer closed its side: close once the output is written.
    var closing = false

    init(fd: Int32, peer: Peer, trusted: Bool, id: Int) {
        self.fd = fd
        self.peer = peer
        self.trusted = trusted
        self.id = id
    }

    var pendingOutput: Int { output.count - outputOffset }
    var pendingInput: Int { input.count - inputStart }

    // MARK: Input

    /// Appends received bytes.
    func received(_ bytes: UnsafeRawBufferPointer, now: Double) {
        if pendingInput == 0 { messageStartedAt = now }
        input.append(contentsOf: bytes)
    }

    enum NextMessage {
        case message([UInt8])
        case incomplete
        case tooLarge
    }

    /// The next complete message (without its NUL). Every byte is searched once, however the message arrives.
    func nextMessage(maxBytes: Int, now: Double) -> NextMessage {
        let from = inputStart + scanned
        let nul: Int? = input.withUnsafeBufferPointer { buf in
            guard from < buf.count, let base = buf.baseAddress else { return nil }
            guard let hit = memchr(base + from, 0, buf.count - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        guard let nul else {
            scanned = pendingInput
            return pendingInput > maxBytes ? .tooLarge : .incomplete
        }
        if nul - inputStart > maxBytes { return .tooLarge }
        let message = Array(input[inputStart..<nul])
        inputStart = nul + 1
        scanned = 0
        if pendingInput == 0 {
            input.removeAll(keepingCapacity: input.capacity <= 1 << 16)
            inputStart = 0
            messageStartedAt = nil
        } else {
            // The rest has arrived already; move it to the front once it is more than half the buffer.
            if inputStart > input.count / 2 {
                input.removeSubrange(0..<inputStart)
                inputStart = 0
            }
            messageStartedAt = now
        }
        return .message(message)
    }

    /// Drops what a Watch stream sends (a streaming connection takes no further calls).
    func discardInput() {
        input.removeAll()
        inputStart = 0
        scanned = 0
        messageStartedAt = nil
    }

    // MARK: Output

    /// Queues bytes; returns how many were added to the pending output.
    func queue(_ bytes: [UInt8], now: Double) {
        if pendingOutput == 0 {
            output = bytes  // a large reply is not copied again
            outputOffset = 0
            lastOutputProgress = now
        } else {
            output.append(contentsOf: bytes)
        }
    }

    /// Writes what the socket takes. Returns false when the connection failed.
    func flush(now: Double) -> Bool {
        while pendingOutput > 0 {
            let n = output[outputOffset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                if n < 0 && (errno == EAGAIN || errno == EINTR) { break }
                return false
            }
            outputOffset += n
            lastOutputProgress = now
        }
        if pendingOutput == 0 {
            output.removeAll(keepingCapacity: output.capacity < 1 << 20)
            outputOffset = 0
        } else if outputOffset > 1 << 20 {
            output.removeSubrange(0..<outputOffset)
            outputOffset = 0
        }
        return true
    }
}
