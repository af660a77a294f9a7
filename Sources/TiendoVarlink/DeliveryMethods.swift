public import TiendoCore
public import TiendoDelivery

/// The methods of `vn.tiendo.Delivery`. `Claim`, `Report`, `Release` and `NextDue` answer only root and the sender's
/// user (`tiendo-deliver`), `Retry` the administrators of `vn.tiendo.Manager`, `List` and `Counts` every reader.
extension Deliveries {
    /// `Claim(channel, owner, limit, lease, now) -> (jobs)`: up to `limit` due messages of the channel, leased to
    /// `owner` for `lease` seconds; the owner's earlier claims go back to the queue first. `now` (a sender on
    /// virtual time, tests) replaces the daemon's clock.
    public struct Claim: ManagerMethod {
        public static let interface = Deliveries.interface
        public static let name = "Claim"
        public var channel: String
        public var owner: String
        public var limit: Int
        public var lease: Int
        public var now: Instant?

        public init(channel: String, owner: String, limit: Int, lease: Int, now: Instant? = nil) {
            self.channel = channel
            self.owner = owner
            self.limit = limit
            self.lease = lease
            self.now = now
        }

        public var parameters: [(String, JSON)] {
            var p: [(String, JSON)] = [
                ("channel", .string(channel)), ("owner", .string(owner)), ("limit", .int(limit)), ("lease", .int(lease)),
            ]
            if let now { p.append(("now", Deliveries.instant(now))) }
            return p
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> [DeliveryJob] { try Members(p, path: "").list("jobs") }
    }

    /// `Report(owner, reports) -> (applied)`: outcomes of claims the owner holds (others are ignored).
    public struct Report: ManagerMethod {
        public static let interface = Deliveries.interface
        public static let name = "Report"
        public var owner: String
        public var reports: [DeliveryReport]

        public init(owner: String, reports: [DeliveryReport]) {
            self.owner = owner
            self.reports = reports
        }

        public var parameters: [(String, JSON)] { [("owner", .string(owner)), ("reports", .array(reports.map(\.json)))] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Int { try Members(p, path: "").int("applied") }
    }

    /// `Release(owner, ids) -> (released)`: claims back unsent, without counting an attempt; every claim of the
    /// owner when `ids` is nil.
    public struct Release: ManagerMethod {
        public static let interface = Deliveries.interface
        public static let name = "Release"
        public var owner: String
        public var ids: [Int64]?

        public init(owner: String, ids: [Int64]?) {
            self.owner = owner
            self.ids = ids
        }

        public var parameters: [(String, JSON)] {
            [("owner", .string(owner))] + (ids.map { [("ids", JSON.array($0.map { .int(Int($0)) }))] } ?? [])
        }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Int { try Members(p, path: "").int("released") }
    }

    /// `NextDue(channel) -> (at)`: when the channel next has something to do. Called with `more` (`stream`), the
    /// first reply is the current value and each later one comes when it changes.
    public struct NextDue: ManagerMethod {
        public static let interface = Deliveries.interface
        public static let name = "NextDue"
        public var channel: String
        public init(channel: String) { self.channel = channel }
        public var parameters: [(String, JSON)] { [("channel", .string(channel))] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Instant? { try Members(p, path: "").optionalInstant("at") }
    }

    /// `List(states, channel, limit, after) -> (rows, next)`: deliveries in queue order; `next` is the cursor for
    /// `after` when more follow.
    public struct List: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var rows: [DeliveryRow]
            public var next: Int64?
        }
        public static let interface = Deliveries.interface
        public static let name = "List"
        /// `pending`, `inflight`, `failed`, `sent`, `dead`, `expired`; nil: every state.
        public var states: [String]?
        public var channel: String?
        /// Default 100, at most 10,000.
        public var limit: Int?
        public var after: Int64?
        /// The latest first; `after` then goes back.
        public var newest: Bool

        public init(states: [String]? = nil, channel: String? = nil, limit: Int? = nil, after: Int64? = nil, newest: Bool = false) {
            self.states = states
            self.channel = channel
            self.limit = limit
            self.after = after
            self.newest = newest
        }

        public var parameters: [(String, JSON)] {
            var p: [(String, JSON)] = []
            if let states { p.append(("states", .array(states.map(JSON.string)))) }
            if let channel { p.append(("channel", .string(channel))) }
            if let limit { p.append(("limit", .int(limit))) }
            if let after { p.append(("after", .int(Int(after)))) }
            if newest { p.append(("newest", .bool(true))) }
            return p
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(rows: try m.list("rows"), next: try m.optionalInt("next").map(Int64.init))
        }
    }

    /// `Retry(ids, allDead, actor) -> (retried)`: dead letters back to the queue at once, with their message keys.
    public struct Retry: DeadLetterMethod {
        public static let name = "Retry"
        public static let count = "retried"
        public var ids: [Int64]?
        public var allDead: Bool?
        public var actor: String?
        public init(ids: [Int64]? = nil, allDead: Bool? = nil, actor: String? = nil) {
            (self.ids, self.allDead, self.actor) = (ids, allDead, actor)
        }
    }

    /// `Discard(ids, allDead, actor) -> (discarded)`: dead letters set aside as dealt with (kept, as expired).
    public struct Discard: DeadLetterMethod {
        public static let name = "Discard"
        public static let count = "discarded"
        public var ids: [Int64]?
        public var allDead: Bool?
        public var actor: String?
        public init(ids: [Int64]? = nil, allDead: Bool? = nil, actor: String? = nil) {
            (self.ids, self.allDead, self.actor) = (ids, allDead, actor)
        }
    }

    /// `Counts() -> (states, channels, oldestPending)`.
    public struct Counts: ManagerMethod {
        public static let interface = Deliveries.interface
        public static let name = "Counts"
        public init() {}
        public var parameters: [(String, JSON)] { [] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> DeliveryCounts { try DeliveryCounts(json: p, path: "") }
    }
}

extension ManagerCalling {
    /// One page of deliveries (`tiendoctl deliveries`, the web page).
    public func deliveries(states: [String]? = nil, channel: String? = nil, limit: Int? = nil, after: Int64? = nil) throws
        -> Deliveries.List.Reply
    {
        try call(Deliveries.List(states: states, channel: channel, limit: limit, after: after))
    }

    /// Dead letters back to the queue: `ids`, or every one with `allDead`. Returns how many were dead.
    public func retryDeliveries(ids: [Int64]? = nil, allDead: Bool? = nil, actor: String? = nil) throws -> Int {
        try call(Deliveries.Retry(ids: ids, allDead: allDead, actor: actor))
    }

    public func deliveryCounts() throws -> DeliveryCounts { try call(Deliveries.Counts()) }
}

/// A call on dead letters (`Retry`, `Discard`): `ids`, or every one with `allDead`, for `actor`; answered by how many.
public protocol DeadLetterMethod: ManagerMethod where Reply == Int {
    /// The reply's count parameter.
    static var count: String { get }
    var ids: [Int64]? { get }
    var allDead: Bool? { get }
    var actor: String? { get }
}

extension DeadLetterMethod {
    public static var interface: String { Deliveries.interface }

    public var parameters: [(String, JSON)] {
        var p: [(String, JSON)] = []
        if let ids { p.append(("ids", .array(ids.map { .int(Int($0)) }))) }
        if let allDead { p.append(("allDead", .bool(allDead))) }
        if let actor { p.append(("actor", .string(actor))) }
        return p
    }

    public static func reply(from p: JSON) throws(ReplyDecodingError) -> Int { try Members(p, path: "").int(count) }
}
