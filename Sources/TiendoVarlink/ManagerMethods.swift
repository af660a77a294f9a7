public import TiendoCore

/// A method of `vn.tiendo.Manager` (or of tiendod's extension interfaces `vn.tiendo.Delivery` and
/// `vn.tiendo.Extras`): its parameters and how its reply reads.
public protocol ManagerMethod: Sendable {
    associatedtype Reply: Sendable
    /// The interface: `vn.tiendo.Manager` unless the method says otherwise.
    static var interface: String { get }
    /// The name in the interface, e.g. `GetStatus`.
    static var name: String { get }
    /// The call's parameters, absent optional ones left out.
    var parameters: [(String, JSON)] { get }
    /// Reads the reply's parameters.
    static func reply(from parameters: JSON) throws(ReplyDecodingError) -> Reply
}

extension ManagerMethod {
    public static var interface: String { Manager.interface }

    /// `INTERFACE.NAME`, e.g. `vn.tiendo.Manager.GetStatus`.
    public static var qualifiedName: String { interface + "." + name }

    /// The call as a varlink request.
    public var request: VarlinkRequest { VarlinkRequest(method: Self.qualifiedName, parameters: parameters) }
}

/// Parameter lists without their absent members.
func present(_ pairs: [(String, JSON?)]) -> [(String, JSON)] {
    pairs.compactMap { key, value in value.map { (key, $0) } }
}

/// `actor` of a mutating call: the name of the person a trusted front end (tiendo-web) acts for. Sent only when
/// set; the daemon honours it only from trusted peers.
func actorParameter(_ actor: String?) -> (String, JSON?) { ("actor", actor.map(JSON.string)) }

/// The `instance` member of a reply.
func instanceReply(_ p: JSON) throws(ReplyDecodingError) -> Manager.Instance {
    try Members(p, path: "").value("instance")
}

extension Manager {
    /// `GetStatus() -> (status, workflows)`.
    public struct GetStatus: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var status: DaemonStatus
            public var workflows: [WorkflowSummary]
        }
        public static let name = "GetStatus"
        public init() {}
        public var parameters: [(String, JSON)] { [] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(status: try m.value("status"), workflows: try m.list("workflows"))
        }
    }

    /// `ListInstances(...) -> (instances, next)`: one page, ordered by id; `next` is the cursor for `after`.
    public struct ListInstances: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var instances: [Instance]
            public var next: String?
        }
        public static let name = "ListInstances"
        public var workflow: String?
        public var state: String?
        /// Field filters, `FIELD = VALUE`, all of which must hold.
        public var filters: [(field: String, value: String)]
        public var overdue: Bool?
        /// Page size: the daemon's default is 100, its maximum 10,000.
        public var limit: Int?
        public var after: String?

        public init(
            workflow: String? = nil, state: String? = nil, where filters: [(field: String, value: String)] = [],
            overdue: Bool? = nil, limit: Int? = nil, after: String? = nil
        ) {
            self.workflow = workflow
            self.state = state
            self.filters = filters
            self.overdue = overdue
            self.limit = limit
            self.after = after
        }

        public var parameters: [(String, JSON)] {
            present([
                ("workflow", workflow.map(JSON.string)), ("state", state.map(JSON.string)),
                ("where", filters.isEmpty ? nil : .object(filters.map { ($0.field, .string($0.value)) })),
                ("overdue", overdue.map(JSON.bool)), ("limit", limit.map(JSON.int)), ("after", after.map(JSON.string)),
            ])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(instances: try m.list("instances"), next: try m.optionalString("next"))
        }
    }

    /// `GetInstance(id) -> (instance)`.
    public struct GetInstance: ManagerMethod {
        public static let name = "GetInstance"
        public var id: String
        public init(id: String) { self.id = id }
        public var parameters: [(String, JSON)] { [("id", .string(id))] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Instance { try instanceReply(p) }
    }

    /// `StartInstance(workflow, key, data) -> (instance)`.
    public struct StartInstance: ManagerMethod {
        public static let name = "StartInstance"
        public var workflow: String
        /// nil: the daemon picks one.
        public var key: String?
        /// An object of field values (strings are converted by the field's type).
        public var data: JSON?
        public var actor: String?

        public init(workflow: String, key: String? = nil, data: JSON? = nil, actor: String? = nil) {
            self.workflow = workflow
            self.key = key
            self.data = data
            self.actor = actor
        }

        public var parameters: [(String, JSON)] {
            present([("workflow", .string(workflow)), ("key", key.map(JSON.string)), ("data", data), actorParameter(actor)])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Instance { try instanceReply(p) }
    }

    /// `ImportInstances(workflow, rows) -> (imported)`: all rows or none. With `importID` (an extension, README) the
    /// rows are staged under that id and nothing is stored until the call with `final`; the reply to a staging call
    /// has `imported` 0 (the number `reply` returns) and `staged`, the rows staged so far.
    public struct ImportInstances: ManagerMethod {
        public static let name = "ImportInstances"
        public var workflow: String
        /// Objects of field values; `key` and `started` are reserved.
        public var rows: [JSON]
        public var importID: String?
        public var final: Bool?
        /// On the final call: how many rows were sent in all (a shortfall is refused, nothing stored).
        public var expected: Int?
        public var actor: String?

        public init(
            workflow: String, rows: [JSON], importID: String? = nil, final: Bool? = nil, expected: Int? = nil, actor: String? = nil
        ) {
            self.workflow = workflow
            self.rows = rows
            self.importID = importID
            self.final = final
            self.expected = expected
            self.actor = actor
        }

        public var parameters: [(String, JSON)] {
            present([
                ("workflow", .string(workflow)), ("rows", .array(rows)), ("importID", importID.map(JSON.string)),
                ("final", final.map(JSON.bool)), ("expected", expected.map(JSON.int)), actorParameter(actor),
            ])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Int { try Members(p, path: "").int("imported") }
    }

    /// `SendEvent(id, event, data, idempotencyKey) -> (instance)`.
    public struct SendEvent: ManagerMethod {
        public static let name = "SendEvent"
        public var id: String
        public var event: String
        public var data: JSON?
        /// Per instance and permanent: a repeat returns the first reply and changes nothing.
        public var idempotencyKey: String?
        public var actor: String?

        public init(id: String, event: String, data: JSON? = nil, idempotencyKey: String? = nil, actor: String? = nil) {
            self.id = id
            self.event = event
            self.data = data
            self.idempotencyKey = idempotencyKey
            self.actor = actor
        }

        public var parameters: [(String, JSON)] {
            present([
                ("id", .string(id)), ("event", .string(event)), ("data", data),
                ("idempotencyKey", idempotencyKey.map(JSON.string)), actorParameter(actor),
            ])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> SentEvent {
            let m = try Members(p, path: "")
            return SentEvent(
                instance: try m.value("instance"), repeated: try m.optionalBool("repeated") ?? false,
                repeatedEvent: try m.optionalString("repeatedEvent"))
        }
    }

    /// `SendEvent`'s reply: the instance, and whether the request repeated one already applied under its idempotency
    /// key (an extension: README "Extensions") — then nothing was recorded now, and `repeatedEvent` is the event that
    /// request applied (absent for keys recorded before 07/12/2026).
    public struct SentEvent: Sendable {
        public var instance: Instance
        public var repeated: Bool
        public var repeatedEvent: String?
    }

    /// `CompleteMilestone(id, milestone) -> (instance)`; `milestone` is `M` or `M@LABEL`.
    public struct CompleteMilestone: ManagerMethod {
        public static let name = "CompleteMilestone"
        public var id: String
        public var milestone: String
        public var actor: String?

        public init(id: String, milestone: String, actor: String? = nil) {
            self.id = id
            self.milestone = milestone
            self.actor = actor
        }

        public var parameters: [(String, JSON)] {
            present([("id", .string(id)), ("milestone", .string(milestone)), actorParameter(actor)])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Instance { try instanceReply(p) }
    }

    /// `Agenda(days, workflow, group) -> (items)`: every open overdue item, then those due within `days` (7).
    public struct Agenda: ManagerMethod {
        public static let name = "Agenda"
        public var days: Int?
        public var workflow: String?
        public var group: String?

        public init(days: Int? = nil, workflow: String? = nil, group: String? = nil) {
            self.days = days
            self.workflow = workflow
            self.group = group
        }

        public var parameters: [(String, JSON)] {
            present([("days", days.map(JSON.int)), ("workflow", workflow.map(JSON.string)), ("group", group.map(JSON.string))])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> [DueItem] { try Members(p, path: "").list("items") }
    }

    /// `History(id) -> (records)`.
    public struct History: ManagerMethod {
        public static let name = "History"
        public var id: String
        public init(id: String) { self.id = id }
        public var parameters: [(String, JSON)] { [("id", .string(id))] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> [Record] { try Members(p, path: "").list("records") }
    }

    /// `Reload() -> (workflows, diagnostics)`: per-file problems come in `diagnostics`.
    public struct Reload: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var workflows: [WorkflowSummary]
            public var diagnostics: [Diagnostic]
        }
        public static let name = "Reload"
        public var actor: String?
        public init(actor: String? = nil) { self.actor = actor }
        public var parameters: [(String, JSON)] { present([actorParameter(actor)]) }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(workflows: try m.list("workflows"), diagnostics: try m.list("diagnostics"))
        }
    }

    /// `Watch() -> (record)`, called with `more`: the first reply is empty, each later one carries a record.
    public struct Watch: ManagerMethod {
        public static let name = "Watch"
        public init() {}
        public var parameters: [(String, JSON)] { [] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Record? {
            try Members(p, path: "").optionalValue("record")
        }
    }
}
