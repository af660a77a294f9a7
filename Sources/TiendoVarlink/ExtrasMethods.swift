public import TiendoCore

/// What a front end's page is limited to: one workflow, some groups (`""` is "no group"; an empty list allows
/// nothing), one state, a search (folded: `nguyen` finds `Nguyễn`).
public struct ExtrasSelection: Sendable, Equatable {
    public var workflow: String?
    public var groups: [String]?
    public var state: String?
    public var search: String?

    public init(workflow: String? = nil, groups: [String]? = nil, state: String? = nil, search: String? = nil) {
        self.workflow = workflow
        self.groups = groups
        self.state = state
        self.search = search
    }

    var parameters: [(String, JSON?)] {
        [
            ("workflow", workflow.map(JSON.string)), ("groups", groups.map { .array($0.map(JSON.string)) }),
            ("state", state.map(JSON.string)), ("search", search.map(JSON.string)),
        ]
    }
}

extension Extras {
    /// `Workflows() -> (now, workflows)`.
    public struct Workflows: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            /// The daemon's now (its fake clock in tests), ISO 8601.
            public var now: String
            public var workflows: [WorkflowInfo]
        }
        public static let interface = Extras.interface
        public static let name = "Workflows"
        public init() {}
        public var parameters: [(String, JSON)] { [] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(now: try m.string("now"), workflows: try m.list("workflows"))
        }
    }

    /// `Calendar(workflow, from, until) -> (calendar, title, days)`: the days of the workflow's calendar that are
    /// not plain working days (weekends, holidays, compensatory days) and make-up working days.
    public struct Calendar: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var calendar: String
            public var title: String
            public var days: [CalendarDay]
        }
        public static let interface = Extras.interface
        public static let name = "Calendar"
        public var workflow: String
        public var from: String
        public var until: String

        public init(workflow: String, from: String, until: String) {
            self.workflow = workflow
            self.from = from
            self.until = until
        }

        public var parameters: [(String, JSON)] { [("workflow", .string(workflow)), ("from", .string(from)), ("until", .string(until))] }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(calendar: try m.string("calendar"), title: try m.string("title"), days: try m.list("days"))
        }
    }

    /// `Due(...) -> (now, counts, items)`: one page of the selection's due items (overdue ones, then those due within
    /// `days`), earliest first, with counts of the whole selection.
    public struct Due: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var now: String
            public var counts: DueCounts
            public var items: [DueEntry]
        }
        public static let interface = Extras.interface
        public static let name = "Due"
        public var selection: ExtrasSelection
        /// Horizon in days after today (default 30).
        public var days: Int?
        /// Instead of overdue items and a horizon: the items due on these local dates (`YYYY-MM-DD`, both given).
        public var dates: (from: String, until: String)?
        public var offset: Int?
        public var limit: Int?

        public init(
            selection: ExtrasSelection, days: Int? = nil, dates: (from: String, until: String)? = nil, offset: Int? = nil, limit: Int? = nil
        ) {
            self.selection = selection
            self.days = days
            self.dates = dates
            self.offset = offset
            self.limit = limit
        }

        public var parameters: [(String, JSON)] {
            present(
                selection.parameters + [
                    ("days", days.map(JSON.int)), ("from", dates.map { .string($0.from) }), ("until", dates.map { .string($0.until) }),
                    ("offset", offset.map(JSON.int)), ("limit", limit.map(JSON.int)),
                ])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(now: try m.string("now"), counts: try m.value("counts"), items: try m.list("items"))
        }
    }

    /// `DueDays(..., from, until, tasks) -> (now, days)`: per local due date, the selection's items and overdue ones;
    /// with `tasks`, at most that many of what they are about (`DayTask`), for a month view.
    public struct DueDays: ManagerMethod {
        public struct Day: Sendable, Equatable {
            public var date: String
            public var items: Int
            public var overdue: Int
            /// Present when `tasks` was asked (empty on no day).
            public var tasks: [DayTask] = []

            public init(date: String, items: Int, overdue: Int, tasks: [DayTask] = []) {
                self.date = date
                self.items = items
                self.overdue = overdue
                self.tasks = tasks
            }
        }
        public struct Reply: Sendable, Equatable {
            public var now: String
            public var days: [Day]
        }
        public static let interface = Extras.interface
        public static let name = "DueDays"
        public var selection: ExtrasSelection
        public var from: String
        public var until: String
        /// How many tasks to describe per day (1 to 10), none when nil.
        public var tasks: Int?

        public init(selection: ExtrasSelection, from: String, until: String, tasks: Int? = nil) {
            self.selection = selection
            self.from = from
            self.until = until
            self.tasks = tasks
        }

        public var parameters: [(String, JSON)] {
            var s = selection
            s.search = nil
            return present(s.parameters + [("from", .string(from)), ("until", .string(until)), ("tasks", tasks.map(JSON.int))])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            guard case .array(let list)? = m.value("days") else { throw ReplyDecodingError(path: "days", reason: "thiếu") }
            var days: [Day] = []
            for (i, d) in list.enumerated() {
                let dm = try Members(d, path: "days[\(i)]")
                days.append(
                    Day(
                        date: try dm.string("date"), items: try dm.int("items"), overdue: try dm.int("overdue"),
                        tasks: try dm.list("tasks", missing: [])))
            }
            return Reply(now: try m.string("now"), days: days)
        }
    }

    /// `Instances(...) -> (now, instances, next, total)`: one page of the selection's instances by id.
    public struct Instances: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var now: String
            public var instances: [InstanceEntry]
            /// The cursor for the next page (`after`), nil on the last.
            public var next: String?
            /// How many instances the selection holds, when known without a search or the overdue filter.
            public var total: Int?
        }
        public static let interface = Extras.interface
        public static let name = "Instances"
        public var selection: ExtrasSelection
        public var overdue: Bool?
        /// Only those that move on by themselves within this many days (and have no deadline open).
        public var movesWithin: Int?
        public var after: String?
        public var limit: Int?

        public init(selection: ExtrasSelection, overdue: Bool? = nil, movesWithin: Int? = nil, after: String? = nil, limit: Int? = nil) {
            self.selection = selection
            self.overdue = overdue
            self.movesWithin = movesWithin
            self.after = after
            self.limit = limit
        }

        public var parameters: [(String, JSON)] {
            present(
                selection.parameters + [
                    ("overdue", overdue.map(JSON.bool)), ("movesWithin", movesWithin.map(JSON.int)), ("after", after.map(JSON.string)),
                    ("limit", limit.map(JSON.int)),
                ])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(
                now: try m.string("now"), instances: try m.list("instances"), next: try m.optionalString("next"),
                total: try m.optionalInt("total"))
        }
    }

    /// `Instance(id) -> (now, instance)`: `GetInstance` with the group and label, `deadlines` always present.
    public struct Instance: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var now: String
            public var entry: InstanceEntry
        }
        public static let interface = Extras.interface
        public static let name = "Instance"
        public var id: String
        public init(id: String) { self.id = id }
        public var parameters: [(String, JSON)] { [("id", .string(id))] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(now: try m.string("now"), entry: try m.value("instance"))
        }
    }

    /// `Undo(id, token, actor) -> (instance)`: undoes the instance's latest step, the one `token` names when given (an
    /// extension; refused with `ManagerError.nothingToUndo`).
    public struct Undo: ManagerMethod {
        public typealias Reply = Manager.Instance
        public static let interface = Extras.interface
        public static let name = "Undo"
        public var id: String
        /// The step as `Instance` named it (`UndoableStep.token`): another step is refused.
        public var token: String?
        /// The person a front end acts for (as `SendEvent`'s `actor`).
        public var actor: String?
        public init(id: String, token: String? = nil, actor: String? = nil) {
            self.id = id
            self.token = token
            self.actor = actor
        }
        public var parameters: [(String, JSON)] {
            present([("id", .string(id)), ("token", token.map(JSON.string)), actorParameter(actor)])
        }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply { try instanceReply(p) }
    }

    /// `Backup(keep) -> (path, at, bytes, instances, removed)`: a copy of the state database in `backups/` beside it
    /// (an extension; refused with `ManagerError.backupFailed`).
    public struct Backup: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var path: String
            public var at: String
            public var bytes: Int
            public var instances: Int
            /// The file names of the older copies removed to keep `keep`.
            public var removed: [String]
        }
        public static let interface = Extras.interface
        public static let name = "Backup"
        /// How many copies to keep, the new one included (nil: remove none).
        public var keep: Int?
        public init(keep: Int? = nil) { self.keep = keep }
        public var parameters: [(String, JSON)] { present([("keep", keep.map(JSON.int))]) }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            guard case .array(let removed)? = m.value("removed") else { throw ReplyDecodingError(path: "removed", reason: "thiếu") }
            return Reply(
                path: try m.string("path"), at: try m.string("at"), bytes: try m.int("bytes"), instances: try m.int("instances"),
                removed: removed.compactMap(\.stringValue))
        }
    }

    /// `Backups() -> (directory, copies)`: the copies `Backup` made, newest first (an extension).
    public struct Backups: ManagerMethod {
        public struct Copy: Sendable, Equatable {
            public var name: String
            /// When it was written (ISO 8601).
            public var at: String
            public var bytes: Int
            /// The version a copy taken before a package upgrade goes back to (nil for the others).
            public var upgradedFrom: String? = nil
        }
        public struct Reply: Sendable, Equatable {
            /// tiendod's clock (ISO 8601).
            public var now: String
            public var directory: String
            public var copies: [Copy]
        }
        public static let interface = Extras.interface
        public static let name = "Backups"
        public init() {}
        public var parameters: [(String, JSON)] { [] }
        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            guard case .array(let list)? = m.value("copies") else { throw ReplyDecodingError(path: "copies", reason: "thiếu") }
            var copies: [Copy] = []
            for (i, item) in list.enumerated() {
                let c = try Members(item, path: "copies[\(i)]")
                copies.append(
                    Copy(
                        name: try c.string("name"), at: try c.string("at"), bytes: try c.int("bytes"),
                        upgradedFrom: try c.optionalString("upgradedFrom")))
            }
            return Reply(now: try m.string("now"), directory: try m.string("directory"), copies: copies)
        }
    }

    /// `Groups(workflow, groups) -> (now, groups)`: per workflow and group, instances, active, overdue, due soon.
    public struct Groups: ManagerMethod {
        public struct Reply: Sendable, Equatable {
            public var now: String
            public var groups: [GroupSummary]
            /// With `limit`: per workflow, what all the selection's groups add up to.
            public var totals: [WorkflowTotals]?
        }
        public static let interface = Extras.interface
        public static let name = "Groups"
        public var workflow: String?
        public var groups: [String]?
        /// Only the first `limit` groups by most overdue, then most due soon, then name and workflow (with `totals`).
        public var limit: Int?

        public init(workflow: String? = nil, groups: [String]? = nil, limit: Int? = nil) {
            self.workflow = workflow
            self.groups = groups
            self.limit = limit
        }

        public var parameters: [(String, JSON)] {
            present([
                ("workflow", workflow.map(JSON.string)), ("groups", groups.map { .array($0.map(JSON.string)) }),
                ("limit", limit.map(JSON.int)),
            ])
        }

        public static func reply(from p: JSON) throws(ReplyDecodingError) -> Reply {
            let m = try Members(p, path: "")
            return Reply(
                now: try m.string("now"), groups: try m.list("groups"),
                totals: m.value("totals") == nil ? nil : try m.list("totals"))
        }
    }
}
