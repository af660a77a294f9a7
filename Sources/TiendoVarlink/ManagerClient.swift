public import TiendoCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Something that can call `vn.tiendo.Manager` methods: a `VarlinkConnection` (calls in turn on one connection) or
/// a `ManagerClient` (a connection per call).
///
/// Every call throws `ManagerError` when tiendod answers with an error, `VarlinkTransportError` when it cannot be
/// talked to (unreachable, no reply within the timeout, a broken reply), and `ReplyDecodingError` when a reply does
/// not have the interface's shape.
public protocol ManagerCalling {
    /// Calls `method` and returns its reply's parameters unread (what `tiendoctl --json` prints).
    func parameters<M: ManagerMethod>(of method: M) throws -> JSON
    /// Calls `method` with `more` and hands each reply's parameters to `handler` until the last reply, or until
    /// `handler` returns false. Waits for replies without limit.
    func stream<M: ManagerMethod>(_ method: M, handler: (JSON) throws -> Bool) throws
}

extension ManagerCalling {
    /// Calls `method` and reads its reply.
    public func call<M: ManagerMethod>(_ method: M) throws -> M.Reply {
        try M.reply(from: parameters(of: method))
    }

    public func getStatus() throws -> Manager.GetStatus.Reply { try call(Manager.GetStatus()) }

    /// One page of instances; pass the reply's `next` as `after` for the next page.
    public func listInstances(
        workflow: String? = nil, state: String? = nil, where filters: [(field: String, value: String)] = [],
        overdue: Bool? = nil, limit: Int? = nil, after: String? = nil
    ) throws -> Manager.ListInstances.Reply {
        try call(Manager.ListInstances(workflow: workflow, state: state, where: filters, overdue: overdue, limit: limit, after: after))
    }

    public func getInstance(id: String) throws -> Manager.Instance { try call(Manager.GetInstance(id: id)) }

    public func startInstance(workflow: String, key: String? = nil, data: JSON? = nil, actor: String? = nil) throws -> Manager.Instance {
        try call(Manager.StartInstance(workflow: workflow, key: key, data: data, actor: actor))
    }

    /// Returns how many instances were imported (all rows, or none and `ManagerError.importRejected`).
    public func importInstances(workflow: String, rows: [JSON], actor: String? = nil) throws -> Int {
        try call(Manager.ImportInstances(workflow: workflow, rows: rows, actor: actor))
    }

    public func sendEvent(
        id: String, event: String, data: JSON? = nil, idempotencyKey: String? = nil, actor: String? = nil
    ) throws -> Manager.Instance {
        try call(Manager.SendEvent(id: id, event: event, data: data, idempotencyKey: idempotencyKey, actor: actor)).instance
    }

    public func completeMilestone(id: String, milestone: String, actor: String? = nil) throws -> Manager.Instance {
        try call(Manager.CompleteMilestone(id: id, milestone: milestone, actor: actor))
    }

    public func agenda(days: Int? = nil, workflow: String? = nil, group: String? = nil) throws -> [Manager.DueItem] {
        try call(Manager.Agenda(days: days, workflow: workflow, group: group))
    }

    public func history(id: String) throws -> [Manager.Record] { try call(Manager.History(id: id)) }

    public func reload(actor: String? = nil) throws -> Manager.Reload.Reply { try call(Manager.Reload(actor: actor)) }

    /// Hands every record to `handler` as it happens, until `handler` returns false or the daemon closes the
    /// connection (`VarlinkTransportError` with reason `.closed`). Blocks the calling thread meanwhile.
    public func watch(_ handler: (Manager.Record) throws -> Bool) throws {
        try stream(Manager.Watch()) { parameters in
            guard let record = try Manager.Watch.reply(from: parameters) else { return true }
            return try handler(record)
        }
    }
}

extension VarlinkConnection: ManagerCalling {
    public func parameters<M: ManagerMethod>(of method: M) throws -> JSON {
        do { return try call(method.request) } catch let e as VarlinkError { throw ManagerError(e) }
    }

    public func stream<M: ManagerMethod>(_ method: M, handler: (JSON) throws -> Bool) throws {
        do {
            try stream(M.qualifiedName, parameters: method.parameters, handler: handler)
        } catch let e as VarlinkError {
            throw ManagerError(e)
        }
    }
}

/// A client of tiendod for any number of threads: a value holding the socket path and the timeout, opening one
/// connection per call (or per stream) and closing it after. `Sendable`: share it freely, e.g. across the threads
/// of a web server's pool; no state is shared between calls. For many calls in a row on one thread (paging, import
/// batches), `connect()` and call on the returned connection.
public struct ManagerClient: ManagerCalling, Sendable {
    /// `/run/tiendo/vn.tiendo.Manager`, where the systemd socket unit listens.
    public static let defaultSocketPath = "/run/tiendo/vn.tiendo.Manager"

    public var socketPath: String
    /// Seconds each call may take, connecting included (0: no limit). Streams wait without limit.
    public var timeout: Double

    public init(socketPath: String = ManagerClient.resolveSocketPath(nil), timeout: Double = 120) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// The `--socket` option if given, else `$TIENDO_SOCKET` if set, else the system socket.
    public static func resolveSocketPath(_ option: String?) -> String {
        if let option, !option.isEmpty { return option }
        if let env = getenv("TIENDO_SOCKET") {
            let s = String(cString: env)
            if !s.isEmpty { return s }
        }
        return defaultSocketPath
    }

    /// A new connection with this client's timeout.
    public func connect() throws(VarlinkTransportError) -> VarlinkConnection {
        try VarlinkConnection(path: socketPath, timeout: timeout)
    }

    public func parameters<M: ManagerMethod>(of method: M) throws -> JSON {
        try connect().parameters(of: method)
    }

    public func stream<M: ManagerMethod>(_ method: M, handler: (JSON) throws -> Bool) throws {
        try connect().stream(method, handler: handler)
    }
}
