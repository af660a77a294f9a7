public import TiendoCore

/// The `vn.tiendo.Manager` interface (interfaces §5): its types, errors and methods.
///
/// Dates and instants stay the text the daemon sends (`YYYY-MM-DD`, or ISO 8601 with the workflow zone's offset):
/// that is what both people's formatting and links need. Members the contract added after the current daemon are
/// optional here (nil until the daemon sends them): `DueItem.occurrence/provisional`,
/// `Milestone.every/occurrence/openCount/provisional`, `Instance.deadlines`, `Record.occurrence/previousDue/missed/
/// provisional`, `WorkflowSummary.provisional`, `DaemonStatus.provisional`.
public enum Manager {
    /// `vn.tiendo.Manager`.
    public static let interface = "vn.tiendo.Manager"

    /// `type Diagnostic`: one problem in a workflow file (or, for an import, in a row).
    public struct Diagnostic: ManagerValue {
        public var file: String
        public var line: Int
        public var column: Int
        /// `error` or `warning`.
        public var severity: String
        public var message: String

        public init(file: String, line: Int, column: Int, severity: String, message: String) {
            self.file = file
            self.line = line
            self.column = column
            self.severity = severity
            self.message = message
        }

        public var isError: Bool { severity == "error" }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            file = try m.string("file")
            line = try m.int("line")
            column = try m.int("column")
            severity = try m.string("severity")
            message = try m.string("message")
        }

        public var json: JSON {
            .object([
                ("file", .string(file)), ("line", .int(line)), ("column", .int(column)), ("severity", .string(severity)),
                ("message", .string(message)),
            ])
        }
    }

    /// `type DueItem`: one open deadline of an instance (its state's, a milestone's or an occurrence's).
    public struct DueItem: ManagerValue {
        public var workflow: String
        public var instance: String
        public var state: String?
        public var milestone: String?
        /// The occurrence label (`2027-03`) of a recurring milestone's item.
        public var occurrence: String?
        public var title: String
        /// `YYYY-MM-DD`, or an ISO instant for an instant due.
        public var due: String
        public var daysLeft: Int
        public var overdue: Bool
        /// True when the due depends on a projected calendar year; nil otherwise (never false on the wire).
        public var provisional: Bool?
        public var group: String?

        public init(
            workflow: String, instance: String, state: String? = nil, milestone: String? = nil, occurrence: String? = nil,
            title: String, due: String, daysLeft: Int, overdue: Bool, provisional: Bool? = nil, group: String? = nil
        ) {
            self.workflow = workflow
            self.instance = instance
            self.state = state
            self.milestone = milestone
            self.occurrence = occurrence
            self.title = title
            self.due = due
            self.daysLeft = daysLeft
            self.overdue = overdue
            self.provisional = provisional
            self.group = group
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            workflow = try m.string("workflow")
            instance = try m.string("instance")
            state = try m.optionalString("state")
            milestone = try m.optionalString("milestone")
            occurrence = try m.optionalString("occurrence")
            title = try m.string("title")
            due = try m.string("due")
            daysLeft = try m.int("daysLeft")
            overdue = try m.bool("overdue")
            provisional = try m.optionalBool("provisional")
            group = try m.optionalString("group")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("workflow", workflow)
            w.add("instance", instance)
            w.add("state", state)
            w.add("milestone", milestone)
            w.add("occurrence", occurrence)
            w.add("title", title)
            w.add("due", due)
            w.add("daysLeft", daysLeft)
            w.add("overdue", overdue)
            w.add("provisional", provisional)
            w.add("group", group)
            return w.json
        }
    }

    /// One entry of `WorkflowSummary.states`: how many instances are in a state.
    public struct StateCount: Sendable, Hashable {
        public var state: String
        public var count: Int

        public init(state: String, count: Int) {
            self.state = state
            self.count = count
        }
    }

    /// `type WorkflowSummary`: counts of one workflow.
    public struct WorkflowSummary: ManagerValue {
        public var id: String
        public var title: String
        public var digest: String
        public var instances: Int
        public var active: Int
        public var completed: Int
        /// Instances with at least one overdue item.
        public var overdue: Int
        /// Instances with an item due within 7 days.
        public var dueSoon: Int
        /// Open deadlines (items, not instances) whose due is provisional.
        public var provisional: Int?
        /// Instances per state, in the daemon's order (`[]` for a workflow without states).
        public var states: [StateCount]
        /// The earliest item not yet overdue.
        public var nextDue: DueItem?

        public init(
            id: String, title: String, digest: String, instances: Int, active: Int, completed: Int, overdue: Int,
            dueSoon: Int, provisional: Int? = nil, states: [StateCount] = [], nextDue: DueItem? = nil
        ) {
            self.id = id
            self.title = title
            self.digest = digest
            self.instances = instances
            self.active = active
            self.completed = completed
            self.overdue = overdue
            self.dueSoon = dueSoon
            self.provisional = provisional
            self.states = states
            self.nextDue = nextDue
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            id = try m.string("id")
            title = try m.string("title")
            digest = try m.string("digest")
            instances = try m.int("instances")
            active = try m.int("active")
            completed = try m.int("completed")
            overdue = try m.int("overdue")
            dueSoon = try m.int("dueSoon")
            provisional = try m.optionalInt("provisional")
            states = try m.counts("states").map { StateCount(state: $0.0, count: $0.1) }
            nextDue = try m.optionalValue("nextDue")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("id", id)
            w.add("title", title)
            w.add("digest", digest)
            w.add("instances", instances)
            w.add("active", active)
            w.add("completed", completed)
            w.add("overdue", overdue)
            w.add("dueSoon", dueSoon)
            w.add("provisional", provisional)
            w.add("states", .object(states.map { ($0.state, .int($0.count)) }))
            w.add("nextDue", nextDue)
            return w.json
        }
    }

    /// `type Milestone`: one milestone of an instance; a recurring one describes one of its occurrences.
    public struct Milestone: ManagerValue {
        public var id: String
        public var title: String
        /// In the form of `Record.due`; `""` while inactive (its due reads an unset field) or for an empty series.
        public var due: String
        public var done: Bool
        public var doneAt: String?
        public var overdue: Bool
        public var requires: [String]
        /// For a recurring milestone: its period as written (`1mo`).
        public var every: String?
        /// For a recurring milestone: the label of the occurrence described.
        public var occurrence: String?
        /// For a recurring milestone: how many occurrences are open.
        public var openCount: Int?
        public var provisional: Bool?

        public init(
            id: String, title: String, due: String, done: Bool, doneAt: String? = nil, overdue: Bool, requires: [String] = [],
            every: String? = nil, occurrence: String? = nil, openCount: Int? = nil, provisional: Bool? = nil
        ) {
            self.id = id
            self.title = title
            self.due = due
            self.done = done
            self.doneAt = doneAt
            self.overdue = overdue
            self.requires = requires
            self.every = every
            self.occurrence = occurrence
            self.openCount = openCount
            self.provisional = provisional
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            id = try m.string("id")
            title = try m.string("title")
            due = try m.string("due")
            done = try m.bool("done")
            doneAt = try m.optionalString("doneAt")
            overdue = try m.bool("overdue")
            requires = try m.strings("requires")
            every = try m.optionalString("every")
            occurrence = try m.optionalString("occurrence")
            openCount = try m.optionalInt("openCount")
            provisional = try m.optionalBool("provisional")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("id", id)
            w.add("title", title)
            w.add("due", due)
            w.add("done", done)
            w.add("doneAt", doneAt)
            w.add("overdue", overdue)
            w.add("requires", .array(requires.map(JSON.string)))
            w.add("every", every)
            w.add("occurrence", occurrence)
            w.add("openCount", openCount)
            w.add("provisional", provisional)
            return w.json
        }
    }
}
