public import TiendoCore

/// `vn.tiendo.Extras` (`vn.tiendo.Extras.varlink`): tiendod's methods for front ends (all but `Undo` read-only). An
/// extension of tiendo, not part of its contract.
public enum Extras {
    public static let interface = "vn.tiendo.Extras"

    /// A field of a workflow: what a form asks for and how it checks it.
    public struct FieldInfo: ManagerValue {
        public var name: String
        /// `text`, `integer`, `number`, `boolean`, `date`, `datetime`, `enum`.
        public var type: String
        public var required: Bool
        public var title: String?
        public var values: [String]
        /// An enum's values as people read them (`value_titles`); absent from a daemon before 05/12/2026.
        public var valueTitles: [String: String]
        public var min: Double?
        public var max: Double?
        /// A date or datetime that takes no day after today (`max: today`); false from a daemon before 05/12/2026.
        public var notAfterToday: Bool
        /// The field whose day this one's may not be before (`min: {field: OTHER}`); nil from a daemon before 06/12/2026.
        public var notBefore: String?
        /// The value a record gets when the field is left empty at its start (the file's `default`), as a form writes
        /// it: dates `YYYY-MM-DD`, booleans `true`/`false`, an enum's value; nil when there is none.
        public var defaultValue: String?
        /// How a date field's default is counted from other fields when the record starts, in words («1 ngày trước
        /// «Ngày bắt đầu năm thi đua»»); nil when it has a fixed one or none, and from a daemon before 07/12/2026.
        public var defaultRule: String?

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            name = try m.string("name")
            type = try m.string("type")
            required = try m.bool("required")
            title = try m.optionalString("title")
            values = try m.strings("values")
            var titles: [String: String] = [:]
            if let o = m.value("valueTitles") {
                guard let pairs = o.objectValue else { throw ReplyDecodingError(path: path + ".valueTitles", reason: "cần đối tượng") }
                for (k, v) in pairs { titles[k] = v.stringValue }
            }
            valueTitles = titles
            min = try m.optionalNumber("min")
            max = try m.optionalNumber("max")
            notAfterToday = try m.optionalBool("notAfterToday") ?? false
            notBefore = try m.optionalString("notBefore")
            defaultValue = try m.optionalString("default")
            defaultRule = try m.optionalString("defaultRule")
        }

        /// An enum value as people read it: its title, or the value itself.
        public func title(ofValue v: String) -> String { valueTitles[v] ?? v }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("name", name)
            w.add("type", type)
            w.add("required", required)
            w.add("title", title)
            w.add("values", .array(values.map(JSON.string)))
            if !valueTitles.isEmpty {
                w.add("valueTitles", .object(values.compactMap { v in valueTitles[v].map { (v, JSON.string($0)) } }))
            }
            if let min { w.add("min", .double(min)) }
            if let max { w.add("max", .double(max)) }
            if notAfterToday { w.add("notAfterToday", true) }
            w.add("notBefore", notBefore)
            w.add("default", defaultValue)
            w.add("defaultRule", defaultRule)
            return w.json
        }

        /// The title people read, else the name.
        public var displayTitle: String { title ?? name }
    }

    /// An event a state accepts: the fields its guards read and those its form asks besides (`event_fields`), the
    /// states it may lead to.
    public struct EventInfo: ManagerValue {
        public var name: String
        /// As people read it (`event_titles`); nil when the file gives none.
        public var title: String?
        public var fields: [String]
        /// The fields every branch of the event reads: a form cannot leave them empty (absent from a daemon
        /// before 05/12/2026: none).
        public var required: [String]
        public var targets: [String]
        /// It records a decision above the chi bộ (`office_events`): only the ward's office records it.
        public var office: Bool

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            name = try m.string("name")
            title = try m.optionalString("title")
            fields = try m.strings("fields")
            required = m.value("required") == nil ? [] : try m.strings("required")
            targets = try m.strings("targets")
            office = try m.optionalBool("office") ?? false
        }

        public var json: JSON {
            .object(
                [("name", .string(name))] + (title.map { [("title", JSON.string($0))] } ?? []) + [
                    ("fields", .array(fields.map(JSON.string))), ("required", .array(required.map(JSON.string))),
                    ("targets", .array(targets.map(JSON.string))),
                ] + (office ? [("office", JSON.bool(true))] : []))
        }
    }

    /// A record to open next from one in some states (`follow_ups`): its workflow, the button's title, the states,
    /// and the new record's fields filled from this record's (`copy`: field ← field of this record) or given (`set`).
    public struct FollowUpInfo: ManagerValue {
        public struct Filled: ManagerValue {
            public var field: String
            /// `copy`: the field of this record it is filled from; `set`: the value as the file writes it.
            public var from: String

            public init(field: String, from: String) {
                self.field = field
                self.from = from
            }

            public init(json: JSON, path: String) throws(ReplyDecodingError) {
                let m = try Members(json, path: path)
                field = try m.string("field")
                from = try m.string("from")
            }

            public var json: JSON { .object([("field", .string(field)), ("from", .string(from))]) }
        }

        public var workflow: String
        public var title: String?
        public var when: [String]
        public var copy: [Filled]
        public var set: [Filled]

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            workflow = try m.string("workflow")
            title = try m.optionalString("title")
            when = try m.strings("when")
            copy = try m.list("copy")
            set = try m.list("set")
        }

        public var json: JSON {
            .object(
                [("workflow", .string(workflow))] + (title.map { [("title", JSON.string($0))] } ?? []) + [
                    ("when", .array(when.map(JSON.string))), ("copy", .array(copy.map(\.json))), ("set", .array(set.map(\.json))),
                ])
        }
    }

    public struct StateInfo: ManagerValue {
        public var id: String
        public var title: String
        /// What to do in the state and its legal basis, from the file (`states.X.description`).
        public var description: String?
        public var final: Bool
        public var events: [EventInfo]

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            id = try m.string("id")
            title = try m.string("title")
            description = try m.optionalString("description")
            final = try m.bool("final")
            events = try m.list("events")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("id", id)
            w.add("title", title)
            w.add("description", description)
            w.add("final", final)
            w.add("events", .array(events.map(\.json)))
            return w.json
        }
    }

    public struct MilestoneInfo: ManagerValue {
        public var id: String
        public var title: String
        /// The legal basis, shown to operators.
        public var basis: String?
        public var requires: [String]

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            id = try m.string("id")
            title = try m.string("title")
            basis = try m.optionalString("basis")
            requires = try m.strings("requires")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("id", id)
            w.add("title", title)
            w.add("basis", basis)
            w.add("requires", .array(requires.map(JSON.string)))
            return w.json
        }
    }

    /// A workflow definition in force, as front ends need it.
    public struct WorkflowInfo: ManagerValue {
        public var id: String
        public var title: String
        public var description: String?
        public var digest: String
        /// IANA zone, e.g. `Asia/Ho_Chi_Minh`.
        public var timezone: String
        public var calendar: String
        public var groupBy: String?
        public var initial: String?
        /// The field that names an instance on a page.
        public var label: String?
        /// Fields a list of the workflow's records shows as columns (`list_fields`); empty when the file names none.
        public var listFields: [String]
        /// Records to open next from one of this workflow (`follow_ups`); empty when the file names none.
        public var followUps: [FollowUpInfo]
        public var fields: [FieldInfo]
        public var states: [StateInfo]
        public var milestones: [MilestoneInfo]

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            id = try m.string("id")
            title = try m.string("title")
            description = try m.optionalString("description")
            digest = try m.string("digest")
            timezone = try m.string("timezone")
            calendar = try m.string("calendar")
            groupBy = try m.optionalString("groupBy")
            initial = try m.optionalString("initial")
            label = try m.optionalString("label")
            listFields = m.value("listFields") == nil ? [] : try m.strings("listFields")
            followUps = try m.list("followUps", missing: [])
            fields = try m.list("fields")
            states = try m.list("states")
            milestones = try m.list("milestones")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("id", id)
            w.add("title", title)
            w.add("description", description)
            w.add("digest", digest)
            w.add("timezone", timezone)
            w.add("calendar", calendar)
            w.add("groupBy", groupBy)
            w.add("initial", initial)
            w.add("label", label)
            if !listFields.isEmpty { w.add("listFields", .array(listFields.map(JSON.string))) }
            if !followUps.isEmpty { w.add("followUps", .array(followUps.map(\.json))) }
            w.add("fields", fields)
            w.add("states", states)
            w.add("milestones", milestones)
            return w.json
        }

        public func state(_ id: String) -> StateInfo? { states.first { $0.id == id } }
        public func field(_ name: String) -> FieldInfo? { fields.first { $0.name == name } }

        /// The columns an import file may have, with the heading a template gives each: the field's title («Họ và
        /// tên»), or its name where two fields share a title; «Mã hồ sơ» and «Bắt đầu theo dõi» for `key` and
        /// `started` (as the record's page and the exports head them, so that an exported list reads back).
        /// tiendo-web's import page and `tiendoctl import` read the same headings.
        public var importHeadings: [(heading: String, name: String)] {
            let all = [("Mã hồ sơ", "key"), ("Bắt đầu theo dõi", "started")] + fields.map { ($0.displayTitle, $0.name) }
            var uses: [[UInt8]: Int] = [:]
            for (title, _) in all { uses[GroupNames.key(title), default: 0] += 1 }
            return all.map { title, name in (uses[GroupNames.key(title)] == 1 ? title : name, name) }
        }

        /// The field a column's heading names: a field's name as it is, or the heading `importHeadings` gives it,
        /// in any letter case, with or without diacritics, with other spaces, or without the explanation in
        /// brackets at its end («Ngày sinh» for «Ngày sinh (đủ 18 đến 60 tuổi khi chi bộ xét)») when that names one
        /// field only; nil for none.
        public func importField(named heading: String) -> String? {
            if heading == "key" || heading == "started" || field(heading) != nil { return heading }
            let key = GroupNames.key
            let wanted = key(heading)
            if let exact = importHeadings.first(where: { key($0.heading) == wanted }) { return exact.name }
            // Templates before 06/12/2026 headed `started` «Ngày bắt đầu»: files filled from them still read (as
            // before, a field titled so exactly is matched first).
            if wanted == key("Ngày bắt đầu") { return "started" }
            let shortened = importHeadings.filter { key(FieldDefinition.shortTitle($0.heading)) == wanted }
            return shortened.count == 1 ? shortened[0].name : nil
        }
        public func milestone(_ id: String) -> MilestoneInfo? { milestones.first { $0.id == id } }
    }

    /// One day of a calendar other than a plain working day.
    public struct CalendarDay: ManagerValue {
        /// `YYYY-MM-DD`.
        public var date: String
        public var name: String
        /// `holiday`, `compensatory`, `weekend` or `workday` (a make-up working day).
        public var kind: String
        /// `official` or `projected`.
        public var status: String

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            date = try m.string("date")
            name = try m.string("name")
            kind = try m.string("kind")
            status = try m.string("status")
        }

        public var json: JSON {
            .object([("date", .string(date)), ("name", .string(name)), ("kind", .string(kind)), ("status", .string(status))])
        }
    }

    /// An instance with its group and the name it goes by.
    public struct InstanceEntry: ManagerValue {
        public var instance: Manager.Instance
        public var group: String?
        public var label: String?
        /// The timed transition it takes next if nothing else happens first (`Instance` sends it; `Instances` only for
        /// an instance with no deadline open).
        public var nextTransition: TimedTransition?
        /// The latest step `Undo` would undo (`Instance` sends it when there is one).
        public var undo: UndoableStep?
        /// How each open deadline's due is counted, in words, by its key (`""` for the state's, a milestone's id);
        /// `Instance` sends it when some deadline has a basis.
        public var bases: [String: String]
        /// The version of the workflow the instance runs, when it is not the one in force (`Instance` sends it).
        public var definition: WorkflowInfo?

        /// `bases`' words for an item of `instance.deadlines`, by its key: `""` for the state's deadline, the
        /// milestone's id for a one-shot one; none for an occurrence.
        public static func basis(_ bases: [String: String], of item: Manager.DueItem) -> String? {
            item.occurrence == nil ? bases[item.milestone ?? ""] : nil
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            instance = try m.value("instance")
            group = try m.optionalString("group")
            label = try m.optionalString("label")
            nextTransition = try m.optionalValue("nextTransition")
            undo = try m.optionalValue("undo")
            definition = try m.optionalValue("definition")
            var bases: [String: String] = [:]
            if let b = m.value("bases") {
                guard let pairs = b.objectValue else { throw m.wrongType("bases", "đối tượng", b) }
                for (key, value) in pairs {
                    guard let text = value.stringValue else { throw m.wrongType("bases.\(key)", "chuỗi", value) }
                    bases[key] = text
                }
            }
            self.bases = bases
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("instance", instance)
            w.add("group", group)
            w.add("label", label)
            w.add("nextTransition", nextTransition)
            w.add("undo", undo)
            if !bases.isEmpty { w.add("bases", JSON.object(bases.keys.sorted().map { ($0, .string(bases[$0]!)) })) }
            return w.json
        }
    }

    /// An instance's latest step that can be undone: its event (`done` with `milestone`, `M` or `M@LABEL`, for a
    /// milestone marked done), when it was applied (ISO 8601), the person a front end named (`actor`) and the state
    /// the instance was in before it.
    public struct UndoableStep: ManagerValue {
        /// Names this step for `Undo`.
        public var token: String
        public var event: String
        public var milestone: String?
        public var at: String
        public var actor: String?
        public var state: String?

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            token = try m.string("token")
            event = try m.string("event")
            milestone = try m.optionalString("milestone")
            at = try m.string("at")
            actor = try m.optionalString("actor")
            state = try m.optionalString("state")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("token", token)
            w.add("event", event)
            w.add("milestone", milestone)
            w.add("at", at)
            w.add("actor", actor)
            w.add("state", state)
            return w.json
        }
    }

    /// A timed transition (`after` in the instance's state): to state `to` at `at` (ISO 8601), `provisional` when
    /// `at` was computed through a calendar year not yet published; `due`: the deadline of the state it enters, as it
    /// will be then (`dueProvisional` likewise), and `dueTitle` what is to be done by it (`deadline.title`, else the
    /// state's title).
    public struct TimedTransition: ManagerValue {
        public var to: String
        public var at: String
        public var provisional: Bool?
        public var due: String?
        public var dueProvisional: Bool?
        public var dueTitle: String?

        public init(
            to: String, at: String, provisional: Bool? = nil, due: String? = nil, dueProvisional: Bool? = nil, dueTitle: String? = nil
        ) {
            self.to = to
            self.at = at
            self.provisional = provisional
            self.due = due
            self.dueProvisional = dueProvisional
            self.dueTitle = dueTitle
        }

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            to = try m.string("to")
            at = try m.string("at")
            provisional = try m.optionalBool("provisional")
            due = try m.optionalString("due")
            dueProvisional = try m.optionalBool("dueProvisional")
            dueTitle = try m.optionalString("dueTitle")
        }

        public var json: JSON {
            var w = ObjectWriter()
            w.add("to", to)
            w.add("at", at)
            w.add("provisional", provisional)
            w.add("due", due)
            w.add("dueProvisional", dueProvisional)
            w.add("dueTitle", dueTitle)
            return w.json
        }
    }

    /// Per workflow, what the groups of a selection add up to (`Groups` with `limit`).
    public struct WorkflowTotals: ManagerValue {
        public var workflow: String
        public var groups: Int
        public var instances: Int
        public var active: Int
        public var overdue: Int
        public var dueSoon: Int

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            workflow = try m.string("workflow")
            groups = try m.int("groups")
            instances = try m.int("instances")
            active = try m.int("active")
            overdue = try m.int("overdue")
            dueSoon = try m.int("dueSoon")
        }

        public var json: JSON {
            .object([
                ("workflow", .string(workflow)), ("groups", .int(groups)), ("instances", .int(instances)), ("active", .int(active)),
                ("overdue", .int(overdue)), ("dueSoon", .int(dueSoon)),
            ])
        }
    }

    /// Counts of one group of one workflow (`group` `""`: instances without a group).
    public struct GroupSummary: ManagerValue {
        public var workflow: String
        public var group: String
        public var instances: Int
        public var active: Int
        public var overdue: Int
        public var dueSoon: Int

        public init(json: JSON, path: String) throws(ReplyDecodingError) {
            let m = try Members(json, path: path)
            workflow = try m.string("workflow")
            group = try m.string("group")
            instances = try m.int("instances")
            active = try m.int("active")
            overdue = try m.int("overdue")
            dueSoon = try m.int("dueSoon")
        }

        public var json: JSON {
            .object([
                ("workflow", .string(workflow)), ("group", .string(group)), ("instances", .int(instances)), ("active", .int(active)),
                ("overdue", .int(overdue)), ("dueSoon", .int(dueSoon)),
            ])
        }
    }
}

extension Members {
    /// A `?float` member (an integer reads as its value).
    func optionalNumber(_ key: String) throws(ReplyDecodingError) -> Double? {
        switch value(key) {
        case nil: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        case let v?: throw wrongType(key, "số", v)
        }
    }
}
