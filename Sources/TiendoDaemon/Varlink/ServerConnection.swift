import TiendoCore
import TiendoVarlink

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

    /// Framing of what this peer sends (linear in the bytes received, per-message budget).
    private var reader: VarlinkMessageReader
    /// Monotonic time the first byte of the message being received arrived, nil when none is pending.
    private(set) var messageStartedAt: Double?

    private var output: [UInt8] = []
    private var outputOffset = 0
    /// Monotonic time output last moved (or was queued on an empty buffer).
    private(set) var lastOutputProgress = 0.0

    /// A request of this connection is being answered; the next is taken only after its reply.
    var busy = false
    var watching = false
    /// A `more` stream of the handler's replies (`Dispatch.stream`): no further calls are read.
    var stream: VarlinkStream?
    /// The peer closed its side: close once the output is written.
    var closing = false

    init(fd: Int32, peer: Peer, trusted: Bool, id: Int, maxMessage: Int) {
        self.fd = fd
        self.peer = peer
        self.trusted = trusted
        self.id = id
        reader = VarlinkMessageReader(maxMessageBytes: maxMessage)
    }

    var pendingOutput: Int { output.count - outputOffset }
    /// Bytes held for output, sent ones included (at most a MiB more than `pendingOutput` once more is queued).
    var heldOutput: Int { output.count }
    var pendingInput: Int { reader.bufferedByteCount }

    // MARK: Input

    /// Appends received bytes.
    func received(_ bytes: UnsafeRawBufferPointer, now: Double) {
        if pendingInput == 0 { messageStartedAt = now }
        reader.append(bytes)
    }

    /// The next complete message, nil while incomplete; throws when the stream is not varlink (too large, not JSON).
    func nextMessage(now: Double) throws(VarlinkFramingError) -> JSON? {
        guard let m = try reader.nextMessage() else { return nil }
        // What remains has arrived already: it starts the next message.
        messageStartedAt = pendingInput > 0 ? now : nil
        return m
    }

    /// Drops what a Watch stream sends (a streaming connection takes no further calls).
    func discardInput() {
        reader = VarlinkMessageReader(maxMessageBytes: reader.maxMessageBytes)
        messageStartedAt = nil
    }

    // MARK: Output

    /// Queues bytes behind the pending output.
    func queue(_ bytes: [UInt8], now: Double) {
        if pendingOutput == 0 {
            output = bytes  // a large reply is not copied again
            outputOffset = 0
            lastOutputProgress = now
        } else {
            // What was sent is dropped here, when more is queued behind it (a Watch stream to a slow reader), rather
            // than in `flush`: moving the unsent rest of a large reply down after each MiB sent moved 28 MB of memory
            // for an 8 MB Agenda reply (10^6 instances) while its client waited.
            if outputOffset > 1 << 20 {
                output.removeSubrange(0..<outputOffset)
                outputOffset = 0
            }
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
        }
        return true
    }
}
