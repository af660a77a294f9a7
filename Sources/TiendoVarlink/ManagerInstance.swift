public import TiendoCore

extension Manager {
    /// `type Instance`: one running (or finished) instance of a workflow.
    public struct Instance: ManagerValue {
        /// `WORKFLOW/KEY`.
        public var id: String
        /// `KEY`, the part of `id` after the workflow (as `TiendoCore.Instance.key`).
        public var key: String { id.firstIndex(of: "/").map { String(id[id.index(after: $0)...]) } ?? id }
        public var workflow: String
        /// nil for a workflow without states.
        public var state: String?
        /// The instance's data, an object (dates as `YYYY-MM-DD`).
        public var data: JSON
        public var startedAt: String
        public var enteredAt: String
        public var completed: Bool
        /// The instance runs on a definition other than the one in force. When that definition is gone from the
        /// daemon, the daemon sends only `id`, `workflow` and `stale`: the other members then read as empty.
        public var stale: Bool
        public var milestones: [Milestone]
        /// Every open deadline at the reply's now, in order (interfaces §5, "Open deadlines"); nil from a daemon
        /// that does not send it yet.
        public var deadlines: [DueItem]?
        /// The first item of `deadlines` not overdue.
        public var next: DueItem?

        public init(
            id: String, workflow: String, state: String? = nil, data: JSON = .object([]), startedAt: String, enteredAt: String,
            completed: Bool = false, stale: Bool = false, milestones: [Milestone] = [], deadlines: [DueItem]? = nil,
            next: DueItem? = nil
        ) {
            self.id = id
            self.workflow = workflow
            self.state = state
            self.data = data
            self.startedAt = startedAt
            self.enteredAt = enteredAt
            self.completed = completed
            self.stale = stale
            self.milestones = milestones
            self.deadlines = deadlines
            self.next = next
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            id = try m.string("id")
            workflow = try m.string("workflow")
            stale = try m.bool("stale")
            state = try m.optionalString("state")
            // A stale instance whose definition is gone comes as {id, workflow, stale} only.
            let bare = stale && m.value("startedAt") == nil
            if bare {
                (data, startedAt, enteredAt, completed) = (.object([]), "", "", false)
            } else {
                data = try m.object("data")
                startedAt = try m.string("startedAt")
                enteredAt = try m.string("enteredAt")
                completed = try m.bool("completed")
            }
            milestones = try m.list("milestones", missing: bare ? [] : nil)
            deadlines = m.value("deadlines") == nil ? nil : try m.list("deadlines")
            next = try m.optionalValue("next")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("id", id)
            w.add("workflow", workflow)
            w.add("state", state)
            w.add("data", data)
            w.add("startedAt", startedAt)
            w.add("enteredAt", enteredAt)
            w.add("completed", completed)
            w.add("stale", stale)
            w.add("milestones", milestones)
            if let deadlines { w.add("deadlines", deadlines) }
            w.add("next", next)
            return w.json
        }
    }

    /// A record's `kind`: an open set (a newer daemon may add kinds), with the contract's kinds as constants.
    public struct RecordKind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let started = RecordKind(rawValue: "started")
        public static let transition = RecordKind(rawValue: "transition")
        public static let reminder = RecordKind(rawValue: "reminder")
        public static let overdue = RecordKind(rawValue: "overdue")
        public static let milestoneDone = RecordKind(rawValue: "milestone-done")
        public static let completed = RecordKind(rawValue: "completed")
        public static let rejected = RecordKind(rawValue: "rejected")
        public static let rescheduled = RecordKind(rawValue: "rescheduled")
        /// An extension (`vn.tiendo.Extras.Undo`): an operator's step undone.
        public static let undone = RecordKind(rawValue: "undone")

        public var description: String { rawValue }
    }

    /// `type Record` (interfaces §1): one thing that happened.
    public struct Record: ManagerValue {
        /// ISO 8601 with the workflow zone's offset.
        public var at: String
        public var kind: RecordKind
        public var workflow: String
        public var instance: String?
        public var state: String?
        public var from: String?
        public var to: String?
        public var event: String?
        public var milestone: String?
        public var occurrence: String?
        public var due: String?
        /// In `rescheduled` records: the due before the calendar change.
        public var previousDue: String?
        public var daysLeft: Int?
        /// In overdue notices of a recurring milestone: how many of its occurrences are open and past due.
        public var missed: Int?
        /// Syslog priority 0-7.
        public var priority: Int
        public var late: Int?
        public var provisional: Bool?
        /// Extension: `provisional` only for `at`; the due is known and is shown without « (dự kiến)».
        public var dueCertain: Bool?
        public var group: String?
        /// The operator's uid, for operator actions.
        public var actor: Int?
        /// Extension: the person a trusted front end (tiendo-web) or an administrator acted for.
        public var actorName: String?
        public var message: String

        public init(at: String, kind: RecordKind, workflow: String, priority: Int, message: String) {
            self.at = at
            self.kind = kind
            self.workflow = workflow
            self.priority = priority
            self.message = message
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            at = try m.string("at")
            kind = RecordKind(rawValue: try m.string("kind"))
            workflow = try m.string("workflow")
            instance = try m.optionalString("instance")
            state = try m.optionalString("state")
            from = try m.optionalString("from")
            to = try m.optionalString("to")
            event = try m.optionalString("event")
            milestone = try m.optionalString("milestone")
            occurrence = try m.optionalString("occurrence")
            due = try m.optionalString("due")
            previousDue = try m.optionalString("previousDue")
            daysLeft = try m.optionalInt("daysLeft")
            missed = try m.optionalInt("missed")
            priority = try m.int("priority")
            late = try m.optionalInt("late")
            provisional = try m.optionalBool("provisional")
            dueCertain = try m.optionalBool("dueCertain")
            group = try m.optionalString("group")
            actor = try m.optionalInt("actor")
            actorName = try m.optionalString("actorName")
            message = try m.string("message")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("at", at)
            w.add("kind", kind.rawValue)
            w.add("workflow", workflow)
            for (key, value) in [
                ("instance", instance), ("state", state), ("from", from), ("to", to), ("event", event),
                ("milestone", milestone), ("occurrence", occurrence), ("due", due), ("previousDue", previousDue),
            ] {
                w.add(key, value)
            }
            w.add("daysLeft", daysLeft)
            w.add("missed", missed)
            w.add("priority", priority)
            w.add("late", late)
            w.add("provisional", provisional)
            w.add("dueCertain", dueCertain)
            w.add("group", group)
            w.add("actor", actor)
            w.add("actorName", actorName)
            w.add("message", message)
            return w.json
        }
    }

    /// `type DaemonStatus`.
    public struct DaemonStatus: ManagerValue {
        public var version: String
        public var pid: Int
        public var startedAt: String
        public var now: String
        public var nextWakeup: String?
        public var workflows: Int
        public var instances: Int
        public var overdue: Int
        /// Open deadlines with a provisional due, over all workflows.
        public var provisional: Int?
        /// Problems of the workflow files in force (a broken file keeps its last good version).
        public var diagnostics: [Diagnostic]
        /// Why the daemon cannot write to its database, and since when (an extension; nil while it can).
        public var problem: Problem?
        /// While operators' changes are refused because the clock is more than a day behind the newest record
        /// written (an extension; nil otherwise).
        public var clockBehind: ClockBehind?

        public struct Problem: Sendable, Equatable {
            public var reason: String
            /// ISO 8601.
            public var since: String
        }

        public struct ClockBehind: Sendable, Equatable {
            /// ISO 8601, both.
            public var now: String
            public var newest: String
        }

        public init(
            version: String, pid: Int, startedAt: String, now: String, nextWakeup: String? = nil, workflows: Int,
            instances: Int, overdue: Int, provisional: Int? = nil, diagnostics: [Diagnostic] = []
        ) {
            self.version = version
            self.pid = pid
            self.startedAt = startedAt
            self.now = now
            self.nextWakeup = nextWakeup
            self.workflows = workflows
            self.instances = instances
            self.overdue = overdue
            self.provisional = provisional
            self.diagnostics = diagnostics
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            version = try m.string("version")
            pid = try m.int("pid")
            startedAt = try m.string("startedAt")
            now = try m.string("now")
            nextWakeup = try m.optionalString("nextWakeup")
            workflows = try m.int("workflows")
            instances = try m.int("instances")
            overdue = try m.int("overdue")
            provisional = try m.optionalInt("provisional")
            diagnostics = try m.list("diagnostics")
            if let p = m.value("problem") {
                let pm = try Members(p, path: path + ".problem")
                problem = Problem(reason: try pm.string("reason"), since: try pm.string("since"))
            }
            if let c = m.value("clockBehind") {
                let cm = try Members(c, path: path + ".clockBehind")
                clockBehind = ClockBehind(now: try cm.string("now"), newest: try cm.string("newest"))
            }
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("version", version)
            w.add("pid", pid)
            w.add("startedAt", startedAt)
            w.add("now", now)
            w.add("nextWakeup", nextWakeup)
            w.add("workflows", workflows)
            w.add("instances", instances)
            w.add("overdue", overdue)
            w.add("provisional", provisional)
            w.add("diagnostics", diagnostics)
            if let problem { w.add("problem", JSON.object([("reason", .string(problem.reason)), ("since", .string(problem.since))])) }
            if let clockBehind {
                w.add("clockBehind", JSON.object([("now", .string(clockBehind.now)), ("newest", .string(clockBehind.newest))]))
            }
            return w.json
        }
    }
}
