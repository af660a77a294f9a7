import Foundation
import Synchronization
public import TiendoCore

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

    /// A reply whose parameters `body` writes as JSON text, between `{"parameters":` and `}` + NUL.
    public static func ok(sizeHint: Int, writingParameters body: (inout ByteWriter) throws -> Void) rethrows -> VarlinkReply {
        // Written in the message's own memory when `sizeHint` bytes hold the parameters (an Agenda read from SQLite,
        // 8 MB at 10^6 instances, is then not copied once more); else copied once from the writer's.
        var spilled: [UInt8]?
        let room = sizeHint + VarlinkReply.parametersPrefix.count + VarlinkReply.parametersSuffix.count
        let m = try [UInt8](unsafeUninitializedCapacity: room) { buffer, count in
            var w = ByteWriter(over: buffer)
            VarlinkReply.parametersPrefix.withUnsafeBufferPointer { w.append($0) }
            try body(&w)
            VarlinkReply.parametersSuffix.withUnsafeBufferPointer { w.append($0) }
            if w.isInPlace { count = w.count } else { spilled = w.withBytes { Array($0) } }
        }
        return VarlinkReply(parameters: .null, error: nil, message: spilled ?? m)
    }

    /// The rest of a message whose first bytes went out as parts (`Dispatch.deferredInParts`), NUL included.
    static func rest(_ bytes: [UInt8]) -> VarlinkReply { VarlinkReply(parameters: .null, error: nil, message: bytes) }

    /// Ends a reply sent in parts that cannot be finished: the I/O thread closes the connection (the client sees it
    /// close before the message's NUL).
    static let abort = VarlinkReply(parameters: .null, error: "__abort")

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
    /// Answer later, in parts: the handler hands the message's first bytes to `part` as it writes them (the I/O
    /// thread sends each while the next is being written) and then calls `reply` with `VarlinkReply.rest` — or with
    /// `VarlinkReply.abort`, which closes the connection, when it cannot finish what it began.
    case deferredInParts(
        (_ part: @escaping @Sendable ([UInt8]) -> Void, _ reply: @escaping @Sendable (VarlinkReply) -> Void) -> Void)
    /// Start a `more` stream: the connection receives records until it closes.
    case watch
    /// Start a `more` stream of the handler's own replies (`VarlinkStream`), until the connection closes.
    case stream((VarlinkStream) -> Void)
}

/// A `more` stream the handler writes to from any thread (`vn.tiendo.Delivery.NextDue`): each `send` is a reply with
/// `continues`, queued like Watch records; once the client has gone, `isOpen` is false and `send` does nothing.
public final class VarlinkStream: Sendable {
    let connectionID: Int
    unowned let server: VarlinkServer
    private let open = Mutex(true)

    init(connectionID: Int, server: VarlinkServer) {
        self.connectionID = connectionID
        self.server = server
    }

    public var isOpen: Bool { open.withLock { $0 } }

    public func send(_ parameters: [(String, JSON)]) {
        guard isOpen else { return }
        server.push(connectionID, VarlinkReply(parameters: .object(parameters), error: nil, continues: true).bytes)
    }

    func close() { open.withLock { $0 = false } }
}

/// Answers one parsed call. Implemented by `ControlService`.
public protocol VarlinkHandler: AnyObject, Sendable {
    func handle(method: String, parameters: [(String, JSON)], more: Bool, oneway: Bool, peer: Peer) -> Dispatch
}
