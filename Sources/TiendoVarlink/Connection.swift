public import TiendoCore

/// A synchronous varlink connection on a Unix stream socket: calls one after another, each waiting for its reply.
///
/// Not thread-safe and not `Sendable`: one thread uses a connection at a time. For calls from many threads, use
/// `ManagerClient`, which opens one connection per call (on a local socket that costs tens of microseconds).
///
/// Errors: an error reply throws `VarlinkError`; anything below varlink (connecting, I/O, framing, no reply within
/// `timeout`) throws `VarlinkTransportError`. After a timeout, or a stream abandoned before its last reply, the
/// connection is unusable (a late reply could be taken for the next call's) and further calls throw `.unusable`.
public final class VarlinkConnection {
    /// The socket path.
    public let path: String
    /// Seconds a call may take, from its first byte sent to its reply's last byte received (0: no limit). Also
    /// bounds `connect`. Streams (`stream`) wait without limit for their replies.
    public var timeout: Double
    /// The largest request sent (tiendod closes the connection above 8 MiB): a larger one fails before sending.
    public var maxRequestBytes = VarlinkFraming.maxMessageBytes
    /// The largest reply accepted. Replies are far larger than requests: a page of 10,000 instances or an agenda
    /// of 100,000 items is tens of MiB.
    public var maxReplyBytes: Int {
        get { reader.maxMessageBytes }
        set { reader.maxMessageBytes = newValue }
    }

    private let socket: UnixSocket
    /// Holds what arrives; `recv` writes straight into it. It keeps room for the largest reply so far (up to
    /// 64 MiB), so a client asking for an 8 MB agenda again and again allocates nothing and copies each reply once,
    /// into the array `callRaw` returns.
    private var reader: VarlinkMessageReader = {
        var r = VarlinkMessageReader(maxMessageBytes: 256 << 20)
        r.retainedBytes = 64 << 20
        return r
    }()
    private var broken = false

    /// Connects to `path`, waiting at most `timeout` seconds (0: no limit).
    public init(path: String, timeout: Double = 120) throws(VarlinkTransportError) {
        self.path = path
        self.timeout = timeout
        socket = try UnixSocket.connect(path: path, deadline: .after(timeout))
    }

    deinit { socket.close() }

    // MARK: Calls

    /// Calls `method` (fully qualified) and returns its reply's parameters (an object).
    public func call(_ method: String, parameters: [(String, JSON)] = []) throws -> JSON {
        try call(VarlinkRequest(method: method, parameters: parameters))
    }

    /// Sends `request` (without `more`/`oneway`) and returns its reply's parameters; an error reply throws
    /// `VarlinkError`.
    public func call(_ request: VarlinkRequest) throws -> JSON {
        let deadline = Deadline.after(timeout)
        try send(request.framed(), until: deadline)
        let reply = try receive(until: deadline)
        if let error = reply.varlinkError { throw error }
        return reply.parameters
    }

    /// Sends an already framed request (JSON text and NUL) and returns the reply's bytes without their NUL, unparsed
    /// and unchecked: for measuring a call up to its last byte, and for callers that parse replies themselves.
    public func callRaw(_ framedRequest: [UInt8]) throws(VarlinkTransportError) -> [UInt8] {
        let deadline = Deadline.after(timeout)
        try send(framedRequest, until: deadline)
        while true {
            do {
                if let bytes = try reader.nextMessageBytes() { return bytes }
            } catch {
                throw fail(.framing(error))
            }
            try fill(until: deadline)
        }
    }

    /// Calls `method` with `"more": true` and hands every reply's parameters to `handler` until a reply without
    /// `"continues": true` (then returns), or until `handler` returns false (the connection is then unusable: the
    /// service goes on sending). Replies are waited for without limit; an error reply throws `VarlinkError`.
    public func stream(_ method: String, parameters: [(String, JSON)] = [], handler: (JSON) throws -> Bool) throws {
        try send(VarlinkRequest(method: method, parameters: parameters, more: true).framed(), until: .after(timeout))
        while true {
            let reply = try receive(until: nil)
            if let error = reply.varlinkError { throw error }
            guard try handler(reply.parameters) else {
                if reply.continues { broken = true }
                return
            }
            if !reply.continues { return }
        }
    }

    /// Sends a call with `"oneway": true`: the service sends no reply.
    public func oneway(_ method: String, parameters: [(String, JSON)] = []) throws(VarlinkTransportError) {
        try send(VarlinkRequest(method: method, parameters: parameters, oneway: true).framed(), until: .after(timeout))
    }

    // MARK: Framing

    private func fail(_ reason: VarlinkTransportError.Reason) -> VarlinkTransportError {
        broken = true
        return socket.failure(reason)
    }

    private func send(_ framed: [UInt8], until deadline: Deadline?) throws(VarlinkTransportError) {
        guard !broken else { throw socket.failure(.unusable) }
        guard framed.count - 1 <= maxRequestBytes else {
            throw socket.failure(.requestTooLarge(bytes: framed.count - 1, limit: maxRequestBytes))
        }
        do { try socket.sendAll(framed, until: deadline) } catch {
            broken = true
            throw error
        }
    }

    /// The next reply (earlier reads may already hold it).
    private func receive(until deadline: Deadline?) throws(VarlinkTransportError) -> VarlinkResponse {
        while true {
            let message: JSON?
            do { message = try reader.nextMessage() } catch { throw fail(.framing(error)) }
            if let message {
                do { return try VarlinkResponse(json: message) } catch { throw fail(.envelope(error)) }
            }
            try fill(until: deadline)
        }
    }

    /// Reads whatever arrives next into the reader.
    private func fill(until deadline: Deadline?) throws(VarlinkTransportError) {
        let n: Int
        do {
            n = try reader.receive { raw throws(VarlinkTransportError) in try socket.receive(into: raw, until: deadline) }
        } catch {
            broken = true
            throw error
        }
        if n == 0 { throw fail(.closed(partial: reader.hasPartialMessage)) }
    }
}

@available(*, unavailable, message: "one thread at a time: open a connection per thread, or use ManagerClient")
extension VarlinkConnection: Sendable {}
