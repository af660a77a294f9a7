import Foundation

/// Reads one workflow file into a validated `WorkflowDefinition`, reporting every problem with its position.
struct WorkflowParser {
    let file: String
    let expectedID: String
    let sink: DiagnosticSink
    let calendarLookup: (String) -> Result<WorkCalendar, CalendarLookupError>

    var zone = Zone.vietnam
    var defaultRemind: [Offset] = []
    /// Optional fields without a default used by an expression (field, position, context, state); warned about
    /// unless every way into that state has a guard on the field (a guard on a missing value is false).
    final class OptionalUses { var items: [(String, Position, String, String?)] = [] }
    let optionalUses = OptionalUses()
    var fields: [FieldDefinition] = []
    var fieldIndex: [String: Int] = [:]
    var fieldPositions: [String: Position] = [:]
    /// `min: {field: OTHER}` of date fields, checked once every field is parsed: (field, OTHER, where OTHER is named).
    var fieldOrder: [(String, String, Position)] = []
    /// Where each derived default (`DerivedDefault`) is written, for errors found once every field is parsed.
    var derivedDefaultPositions: [String: Position] = [:]
    /// Fields whose default was refused: not warned about as fields without one.
    var malformedDefaults: Set<String> = []
    var stateNames = NameList()
    var milestoneNames = NameList()

    static let idPattern = try! NSRegularExpression(pattern: "^[a-z0-9][a-z0-9-]{0,62}$")
    static let fieldPattern = try! NSRegularExpression(pattern: "^[a-z][a-z0-9_]*$")
    static let eventPattern = try! NSRegularExpression(pattern: "^[a-z0-9][a-z0-9-]*$")
    static let statePattern = try! NSRegularExpression(pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    static let reservedFields: Set<String> = ["started", "entered", "started_at", "entered_at", "period"]
    static let priorities = ["emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7]
    static let escalatePriorities = ["notice", "warning", "err", "crit", "alert"]

    static func matches(_ re: NSRegularExpression, _ s: String) -> Bool {
        re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    init(file: String, expectedID: String, calendarLookup: @escaping (String) -> Result<WorkCalendar, CalendarLookupError>) {
        self.file = file
        self.expectedID = expectedID
        self.sink = DiagnosticSink(file: file)
        self.calendarLookup = calendarLookup
    }

    mutating func parse(bytes: [UInt8]) -> WorkflowDefinition? {
        let root: YNode
        do {
            root = try YAMLTree.load(bytes: bytes)
        } catch {
            if case .diagnostic(let p, let m) = error { sink.error(p, m) }
            return nil
        }
        let topKeys = [
            "tiendo", "id", "title", "description", "timezone", "calendar", "reminders", "fields", "group_by", "label", "initial",
            "states", "milestones", "limits", "event_titles", "office_events", "event_fields", "list_fields",
            "follow_ups",
        ]
        guard let top = MappingReader(root, sink: sink, context: "the workflow", allowed: topKeys) else { return nil }

        if let v = top.require("tiendo"), v.text != "1" {
            sink.error(v.position, "unsupported format version '\(v.text ?? v.kindName)': 'tiendo' must be 1")
        }
        if !WorkflowParser.matches(WorkflowParser.idPattern, expectedID) {
            sink.error(
                root.position,
                "workflow id '\(expectedID)' (the file name) must be lowercase ASCII letters, digits and '-', at most 63\(WorkflowParser.suggestedName(expectedID, separator: "-").map { ": name the file '\($0).yaml'" } ?? "")"
            )
        }
        if let idNode = top["id"], let id = idNode.text, id != expectedID {
            sink.error(idNode.position, "id '\(id)' must equal the file name '\(expectedID)'")
        }
        let title = top.title(required: true)
        let description = top.string("description")
        if let tzNode = top["timezone"], let tz = tzNode.text {
            if let z = Zone(identifier: tz) {
                zone = z
            } else {
                // Vietnam's zone is named after Hồ Chí Minh City in the tz database; the capital's name is not one.
                let vietnam = ["asia/hanoi", "asia/ha_noi", "asia/saigon", "vietnam", "ict", "utc+7", "gmt+7", "utc+07:00", "+07:00"]
                let hint = vietnam.contains(tz.lowercased()) ? " (Vietnam's is 'Asia/Ho_Chi_Minh')" : ""
                sink.error(tzNode.position, "unknown time zone '\(tz)'\(hint)")
            }
        }
        var calendar: WorkCalendar?
        let calNode = top["calendar"]
        let calID = calNode?.text ?? "vn"
        switch calendarLookup(calID) {
        case .success(let c): calendar = c
        case .failure(let e):
            let p = calNode?.position ?? root.position
            switch e {
            case .notFound(let known):
                // Where it was looked for: a file validated away from its tree has no `calendars/` beside it.
                sink.error(
                    p, "unknown calendar '\(calID)'\(didYouMean(calID, known)): no calendars/\(calID).yaml beside the workflow files")
            case .invalid(let path):
                sink.error(p, "calendar '\(calID)' has errors (see \(path))")
            }
        }

        // Reminders defaults.
        var remindAt = TimeOfDay(hour: 8, minute: 0)
        if let r = top["reminders"], let m = MappingReader(r, sink: sink, context: "'reminders'", allowed: ["at", "before"]) {
            if let at = m["at"] {
                if let t = at.text, let tod = TimeOfDay.parse(t) {
                    remindAt = tod
                } else {
                    sink.error(
                        at.position, "invalid time '\(at.text ?? at.kindName)' in 'reminders.at': expected HH:MM from 00:00 to 23:59")
                }
            }
            if let b = m["before"] { defaultRemind = parseRemind(b, context: "'reminders.before'") ?? [] }
        }

        // Fields.
        if let f = top["fields"] { parseFields(f) }
        var groupBy: String?
        if let g = top["group_by"], let name = g.text {
            if fieldPositions[name] == nil {
                sink.error(g.position, "unknown field '\(name)' in 'group_by'\(didYouMean(name, fields.map(\.name)))")
            } else {
                groupBy = name
            }
        }
        var label: String?
        if let l = top["label"], let name = l.text {
            if let f = fields.first(where: { $0.name == name }) {
                if f.type == .text {
                    label = name
                } else {
                    sink.error(l.position, "field '\(name)' in 'label' is \(f.type.rawValue), not text: a record is named by a text field")
                }
            } else {
                sink.error(l.position, "unknown field '\(name)' in 'label'\(didYouMean(name, fields.map(\.name)))")
            }
        }

        // Names first, so references can be checked in any order.
        let statesNode = top["states"]
        let milestonesNode = top["milestones"]
        if let s = statesNode { stateNames = NameList(s.namedEntries(sink: DiagnosticSink(file: file), context: "").map(\.name)) }
        if let m = milestonesNode {
            milestoneNames = NameList(m.namedEntries(sink: DiagnosticSink(file: file), context: "").map(\.name))
        }
        if statesNode == nil && milestonesNode == nil {
            sink.error(root.position, "missing 'states' or 'milestones': a workflow needs at least one of them")
        }

        var states: [StateDefinition] = []
        var initial: String?
        if let s = statesNode {
            states = parseStates(s)
            if let i = top["initial"] {
                if let name = i.text {
                    if stateNames.contains(name) {
                        initial = name
                    } else {
                        sink.error(i.position, "unknown state '\(name)' in 'initial'\(didYouMean(name, stateNames))")
                    }
                }
            } else if !states.isEmpty || stateNames.isEmpty {
                sink.error(root.position, "missing required key 'initial' (the first state)")
            }
        } else if let i = top["initial"] {
            sink.error(i.position, "'initial' needs 'states'")
        }
        var milestones: [MilestoneDefinition] = []
        if let m = milestonesNode { milestones = parseMilestones(m) }
        var limits: [LimitDefinition] = []
        if let l = top["limits"] { limits = parseLimits(l, groupBy: groupBy) }

        var eventTitles: [String: String] = [:]
        if let t = top["event_titles"] { eventTitles = parseEventTitles(t, states: states) }
        var officeEvents: Set<String> = []
        if let o = top["office_events"] { officeEvents = parseOfficeEvents(o, states: states) }
        var eventFields: [String: [String]] = [:]
        if let e = top["event_fields"] { eventFields = parseEventFields(e, states: states, fields: fields) }
        var listFields: [String] = []
        if let l = top["list_fields"] { listFields = parseListFields(l, fields: fields, groupBy: groupBy, label: label) }
        var followUps: [FollowUpDefinition] = []
        if let f = top["follow_ups"] { followUps = parseFollowUps(f, fields: fields, states: states) }

        // On a file with errors the graph is the one left after them (a refused transition, a misspelt state): its
        // warnings would report states unreachable or without a way out that the file, once mended, has.
        if let initial, !states.isEmpty, !sink.hasErrors { checkGraph(states: states, initial: initial, limits: limits) }
        warnOptionalUses(states: states, initial: initial)

        guard !sink.hasErrors, let title, let calendar else { return nil }
        return WorkflowDefinition(
            id: expectedID, title: title, description: description, file: file, zone: zone, calendar: calendar,
            remindAt: remindAt, defaultRemind: defaultRemind, fields: fields, groupBy: groupBy, initial: initial,
            states: states, milestones: milestones, limits: limits, eventTitles: eventTitles, officeEvents: officeEvents,
            eventFields: eventFields, listFields: listFields, labelOverride: label, followUps: followUps, digest: SHA256.hex(bytes))
    }

    /// The events some state accepts, in the order the states list them (for "did you mean" and error messages).
    static func acceptedEvents(_ states: [StateDefinition]) -> [String] {
        var accepted: [String] = []
        for s in states { for e in s.on.map(\.event) where !accepted.contains(e) { accepted.append(e) } }
        return accepted
    }

    /// `office_events` (an extension: README "Extensions"): events some state accepts that record a decision above
    /// the chi bộ, which only the ward's office may record.
    mutating func parseOfficeEvents(_ node: YNode, states: [StateDefinition]) -> Set<String> {
        let accepted = WorkflowParser.acceptedEvents(states)
        var out: Set<String> = []
        guard let list = node.scalarList(sink: sink, context: "'office_events'") else { return out }
        for (event, p) in list {
            guard accepted.contains(event) else {
                sink.error(p, "'\(event)' in 'office_events' is not an event any state accepts\(didYouMean(event, accepted))")
                continue
            }
            out.insert(event)
        }
        return out
    }

    /// `event_fields` (an extension: README "Extensions"): per event some state accepts, declared fields its form asks
    /// for besides those its guards read (a decision's number and date), each once, in the form's order.
    mutating func parseEventFields(_ node: YNode, states: [StateDefinition], fields: [FieldDefinition]) -> [String: [String]] {
        let accepted = WorkflowParser.acceptedEvents(states)
        let names = fields.map(\.name)
        var out: [String: [String]] = [:]
        for (event, key, value) in node.namedEntries(sink: sink, context: "'event_fields'") {
            guard accepted.contains(event) else {
                sink.error(key.position, "'\(event)' in 'event_fields' is not an event any state accepts\(didYouMean(event, accepted))")
                continue
            }
            guard let list = value.scalarList(sink: sink, context: "'event_fields' of event '\(event)'") else { continue }
            var asked: [String] = []
            for (name, p) in list {
                guard names.contains(name) else {
                    sink.error(p, "'\(name)' in 'event_fields' of event '\(event)' is not a declared field\(didYouMean(name, names))")
                    continue
                }
                guard !asked.contains(name) else {
                    sink.error(p, "'\(name)' appears twice in 'event_fields' of event '\(event)'")
                    continue
                }
                asked.append(name)
            }
            out[event] = asked
        }
        return out
    }

    /// `list_fields` (an extension: README "Extensions"): declared fields, each once, for the columns of lists. The
    /// group's field and the one that names a record are columns already: a warning.
    mutating func parseListFields(_ node: YNode, fields: [FieldDefinition], groupBy: String?, label: String?) -> [String] {
        var out: [String] = []
        guard let list = node.scalarList(sink: sink, context: "'list_fields'") else { return out }
        let names = fields.map(\.name)
        for (name, p) in list {
            guard names.contains(name) else {
                sink.error(p, "'\(name)' in 'list_fields' is not a declared field\(didYouMean(name, names))")
                continue
            }
            guard !out.contains(name) else {
                sink.error(p, "'\(name)' appears twice in 'list_fields'")
                continue
            }
            if name == groupBy || name == WorkflowDefinition.labelField(fields, groupBy: groupBy, label: label) {
                sink.warning(
                    p, "'\(name)' in 'list_fields' is already a column of the list (\(name == groupBy ? "the group" : "the record's name"))"
                )
            }
            out.append(name)
        }
        return out
    }

    /// `event_titles` (an extension: README "Extensions"): a title for events some state accepts.
    mutating func parseEventTitles(_ node: YNode, states: [StateDefinition]) -> [String: String] {
        let accepted = WorkflowParser.acceptedEvents(states)
        var titles: [String: String] = [:]
        for (event, key, title) in node.namedEntries(sink: sink, context: "'event_titles'") {
            guard accepted.contains(event) else {
                sink.error(key.position, "'\(event)' in 'event_titles' is not an event any state accepts\(didYouMean(event, accepted))")
                continue
            }
            guard let text = title.text.map(\.onOneLine), !text.isEmpty else {
                sink.error(title.position, "the title of event '\(event)' must be a non-empty string")
                continue
            }
            titles[event] = text
        }
        return titles
    }

    // MARK: Fields

    mutating func parseFields(_ node: YNode) {
        for (name, key, value) in node.namedEntries(sink: sink, context: "'fields'") {
            if !WorkflowParser.matches(WorkflowParser.fieldPattern, name) {
                sink.error(
                    key.position,
                    WorkflowParser.invalidName(
                        "field name", name, "use lowercase ASCII letters, digits and '_', starting with a letter", separator: "_")
                )
                continue
            }
            if WorkflowParser.reservedFields.contains(name) || name == "key" {
                sink.error(key.position, "field name '\(name)' is reserved")
                continue
            }
            guard
                let m = MappingReader(
                    value, sink: sink, context: "field '\(name)'",
                    allowed: ["type", "required", "title", "description", "min", "max", "values", "value_titles", "default"])
            else { continue }
            var type = FieldType.text
            if let t = m.require("type") {
                if let tt = t.text, let ft = FieldType(rawValue: tt) {
                    type = ft
                } else {
                    let tt = t.text ?? t.kindName
                    // A type named as other languages name it (`int`, `string`, `bool`) is said so, and the field stays
                    // declared with it: dropped, every guard naming it was an error of its own.
                    let meant = FieldType.alias(tt)
                    let hint = didYouMean(meant?.rawValue ?? closestName(tt, FieldType.allCases.map(\.rawValue)))
                    sink.error(t.position, "unknown type '\(tt)' for field '\(name)'\(hint)")
                    guard let meant else { continue }
                    type = meant
                }
            }
            var required = false
            if let r = m["required"] {
                switch r.text {
                case "true": required = true
                case "false": required = false
                default: sink.error(r.position, "'required' must be true or false, found '\(r.text ?? r.kindName)'")
                }
            }
            var def = FieldDefinition(
                name: name, type: type, required: required, title: m.title(required: false), min: nil, max: nil, values: [],
                defaultValue: nil)
            for bound in ["min", "max"] {
                guard let b = m[bound] else { continue }
                // `max: today` (README "Extensions"): a date that has already come; `min: {field: OTHER}`: a day not
                // before another field's (a decision after the meeting that asked for it), checked once every field
                // is known (`checkFieldOrder`).
                if type == .date || type == .datetime {
                    if bound == "max", b.text == "today" {
                        def.notAfterToday = true
                    } else if bound == "min", case .mapping = b {
                        // MappingReader and `require` report a wrong key or a missing `field` themselves.
                        if let other = MappingReader(b, sink: sink, context: "'min' of field '\(name)'", allowed: ["field"])?.require(
                            "field")
                        {
                            if let o = other.text {
                                def.notBefore = o
                                fieldOrder.append((name, o, other.position))
                            } else {
                                sink.error(
                                    other.position, "'field' in 'min' of field '\(name)' must be a field name, found \(other.kindName)")
                            }
                        }
                    } else {
                        sink.error(
                            b.position,
                            "'\(bound)' of \(type.rawValue) field '\(name)' may only be 'max: today' (a day that has already come) or 'min: {field: OTHER}' (not before another field's day), found '\(bound): \(b.text ?? b.kindName)'"
                        )
                    }
                    continue
                }
                guard type == .integer || type == .number else {
                    sink.error(
                        b.position,
                        "'\(bound)' applies to integer and number fields (and 'max: today', 'min: {field: OTHER}' to date and datetime fields) only"
                    )
                    continue
                }
                guard let t = b.text, let v = Double(t), type == .number || parseInt(t) != nil else {
                    sink.error(
                        b.position,
                        "'\(bound)' of field '\(name)' must be \(type == .integer ? "an integer" : "a number"), found '\(b.text ?? b.kindName)'"
                    )
                    continue
                }
                if bound == "min" { def.min = v } else { def.max = v }
            }
            if let lo = def.min, let hi = def.max, lo > hi, let b = m["max"] {
                sink.error(b.position, "'max' of field '\(name)' is below its 'min'")
            }
            if let v = m["values"] {
                if type != .enumeration {
                    sink.error(v.position, "'values' applies to enum fields only")
                } else if let list = v.scalarList(sink: sink, context: "'values'") {
                    var seen = Set<String>()
                    for (s, p) in list {
                        if !seen.insert(s).inserted { sink.error(p, "duplicate value '\(s)' in 'values'") }
                    }
                    def.values = list.map(\.0)
                    if list.isEmpty { sink.error(v.position, "enum field '\(name)' needs at least one value in 'values'") }
                }
            } else if type == .enumeration {
                sink.error(value.position, "enum field '\(name)' needs 'values'")
            }
            if let t = m["value_titles"] {
                if type != .enumeration {
                    sink.error(t.position, "'value_titles' applies to enum fields only")
                } else {
                    for (v, key, title) in t.namedEntries(sink: sink, context: "'value_titles'") {
                        guard def.values.contains(v) else {
                            sink.error(
                                key.position, "'\(v)' in 'value_titles' is not one of the field's values\(didYouMean(v, def.values))")
                            continue
                        }
                        guard let text = title.text.map(\.onOneLine), !text.isEmpty else {
                            sink.error(title.position, "the title of '\(v)' must be a non-empty string")
                            continue
                        }
                        // A title is also read back as its value (a CSV cell, a form): two values must not share one
                        // (letter case aside), and a title must not be another value's code.
                        if let other = def.valueTitles.first(where: { $0.value.lowercased() == text.lowercased() })?.key {
                            sink.error(title.position, "'\(v)' and '\(other)' have the same title '\(text)' in 'value_titles'")
                            continue
                        }
                        if let other = def.values.first(where: { $0 != v && $0.lowercased() == text.lowercased() }) {
                            sink.error(title.position, "the title of '\(v)' is the value '\(other)' in 'value_titles'")
                            continue
                        }
                        def.valueTitles[v] = text
                    }
                }
            }
            if let d = m["default"] {
                if let t = d.text {
                    switch def.parse(text: t, zone: zone, humanInput: false) {
                    case .success(let v): def.defaultValue = v
                    case .failure(let e):
                        // A date's default may count from other fields (README "Extensions"): written with a field's
                        // name or a year in braces, where a plain date has only digits and dashes.
                        // An integer's may be the year of a day (`year(started + 1mo)`, README "Extensions").
                        if (type == .date && t.contains(where: { $0.isLetter || $0 == "{" }))
                            || (type == .integer && t.trimmingCharactersInSet(" ").hasPrefix("year("))
                        {
                            switch type == .integer ? DerivedDefault.parseYear(t, zone: zone) : DerivedDefault.parse(t, zone: zone) {
                            case .success(let rule):
                                def.derivedDefault = rule
                                derivedDefaultPositions[name] = d.position
                            case .failure(let p):
                                sink.error(d.position, "invalid default for field '\(name)': \(p.reason)")
                                malformedDefaults.insert(name)
                            }
                        } else {
                            sink.error(d.position, "invalid default for field '\(name)': \(WorkflowParser.literalProblem(def, t, e))")
                            malformedDefaults.insert(name)
                        }
                    }
                } else {
                    // `default: {nam}-01-01` unquoted is a YAML mapping.
                    let hint = type == .date ? " (a year in braces is quoted: default: \"{nam}-01-01\")" : ""
                    sink.error(d.position, "'default' must be a scalar\(hint)")
                    malformedDefaults.insert(name)
                }
            }
            fieldIndex[name] = fields.count
            fields.append(def)
            fieldPositions[name] = key.position
        }
        checkFieldOrder()
        checkDerivedDefaults()
    }

    /// `min: {field: OTHER}`: OTHER is another declared field of the same type (a date before a date, a datetime
    /// before a datetime), so that «not before» compares like with like.
    mutating func checkFieldOrder() {
        for (name, otherName, position) in fieldOrder {
            guard let index = fieldIndex[name] else { continue }
            guard let other = field(otherName) else {
                sink.error(position, "unknown field '\(otherName)' in 'min' of field '\(name)'\(didYouMean(otherName, fields.map(\.name)))")
                fields[index].notBefore = nil
                continue
            }
            if otherName == name {
                sink.error(position, "field '\(name)' cannot be 'min' of itself")
                fields[index].notBefore = nil
            } else if other.type != fields[index].type {
                sink.error(
                    position,
                    "'min' of \(fields[index].type.rawValue) field '\(name)' must name a \(fields[index].type.rawValue) field; '\(otherName)' is \(other.type.rawValue)"
                )
                fields[index].notBefore = nil
            }
        }
        // A cycle (a not before b, b not before a) would force the days equal without saying so.
        for (name, _, position) in fieldOrder {
            if let seen = cycle(from: name, next: { field($0)?.notBefore }) {
                sink.error(position, "fields \(seen.map { "'\($0)'" }.joined(separator: ", ")) name each other in 'min' (a cycle)")
                if let index = fieldIndex[name] { fields[index].notBefore = nil }
            }
        }
    }

    /// The fields met from `name` following `next` (`min: {field}`, a derived default's base) when the walk comes back
    /// to `name`, in order; nil when it ends or loops elsewhere.
    func cycle(from name: String, next: (String) -> String?) -> [String]? {
        var seen = [name]
        var n = next(name)
        while let m = n, !seen.contains(m), seen.count <= fields.count {
            seen.append(m)
            n = next(m)
        }
        return n == name ? seen : nil
    }

    func field(_ name: String) -> FieldDefinition? { fieldIndex[name].map { fields[$0] } }

    // MARK: Expressions

    /// Parses and type-checks a date expression. `allowEntered` is false for milestones; `allowPeriod` is true only
    /// for a recurring milestone's `due`.
    func expression(
        _ node: YNode, context: String, allowEntered: Bool, allowPeriod: Bool = false, state: String? = nil
    ) -> (DateExpression, isInstant: Bool)? {
        guard case .scalar(let text, let plain, let p) = node else {
            sink.error(node.position, "\(context) must be a date expression, found \(node.kindName)")
            return nil
        }
        let expr: DateExpression
        do {
            expr = try DateExpression.parse(text, zone: zone)
        } catch {
            sink.error(Position(line: p.line, column: p.column + error.offset + (plain ? 0 : 1)), "\(error.message) in \(context)")
            return nil
        }
        var baseInstant = false
        switch expr.base {
        case .date: baseInstant = false
        case .instant: baseInstant = true
        case .started: baseInstant = false
        case .startedAt: baseInstant = true
        case .period:
            if !allowPeriod {
                sink.error(p, "'period' is allowed only in the 'due' of a recurring milestone (one with 'every'), not in \(context)")
                return nil
            }
            baseInstant = false
        case .entered, .enteredAt:
            if !allowEntered {
                sink.error(p, "'\(expr.base == .entered ? "entered" : "entered_at")' cannot be used in a milestone's due (\(context))")
                return nil
            }
            baseInstant = expr.base == .enteredAt
        case .field(let f):
            guard let fd = field(f) else {
                sink.error(p, "unknown field '\(f)' in \(context)\(didYouMean(f, fields.map(\.name) + ["started", "entered"]))")
                return nil
            }
            switch fd.type {
            case .date: baseInstant = false
            case .datetime: baseInstant = true
            default:
                sink.error(p, "field '\(f)' in \(context) is \(fd.type.rawValue), not date or datetime")
                return nil
            }
            if !alwaysSet(f) {
                optionalUses.items.append((f, p, context, state))
            }
        case .fieldOr(let f, let fallback):
            // Never inactive: the instance's own date stands in for an unset field, so no warning for an optional one.
            guard let fd = field(f) else {
                sink.error(p, "unknown field '\(f)' in \(context)\(didYouMean(f, fields.map(\.name)))")
                return nil
            }
            if (fallback == .entered || fallback == .enteredAt) && !allowEntered {
                sink.error(p, "'\(fallback.rawValue)' cannot be used in a milestone's due (\(context))")
                return nil
            }
            switch fd.type {
            case .date, .datetime:
                baseInstant = fd.type == .datetime
                if baseInstant != fallback.isInstant {
                    let other = fallback.isInstant ? String(fallback.rawValue.dropLast(3)) : fallback.rawValue + "_at"
                    sink.error(
                        p,
                        "field '\(f)' in \(context) is \(fd.type.rawValue) but '\(fallback.rawValue)' is \(fallback.isInstant ? "an instant" : "a date"): write '\(f) or \(other)'"
                    )
                    return nil
                }
            default:
                sink.error(p, "field '\(f)' in \(context) is \(fd.type.rawValue), not date or datetime")
                return nil
            }
        }
        let (isInstant, err) = expr.checkKinds(baseIsInstant: baseInstant)
        if let err {
            sink.error(p, "\(err) in \(context)")
            return nil
        }
        return (expr, isInstant)
    }

    func parseRemind(_ node: YNode, context: String) -> [Offset]? {
        guard let list = node.scalarList(sink: sink, context: context) else { return nil }
        var out: [Offset] = []
        for (t, p) in list {
            guard let o = Offset.parse(t) else {
                sink.error(p, "invalid reminder offset '\(t)' in \(context): expected a number and d, wd, w, h or min (e.g. 7d)")
                continue
            }
            if o.spanSeconds > Offset.maxSpanSeconds {
                sink.error(p, "reminder offset '\(t)' in \(context) is more than 200 years: a typing mistake")
                continue
            }
            switch o.unit {
            case .mo, .y: sink.error(p, "reminder offset '\(t)' in \(context): 'mo' and 'y' are not allowed; use d, wd, w, h or min")
            case .wd where o.amount == 0: sink.error(p, "'0wd' is not allowed in \(context)")
            default: out.append(o)
            }
        }
        return out.sorted { $0.approximateSeconds > $1.approximateSeconds }
    }

    /// `recurring` is nil for a state's deadline, else whether the milestone has `every`; `missed` receives its
    /// `overdue.missed` entries.
    func parseDeadline(
        _ m: MappingReader, dueNode: YNode, context: String, allowEntered: Bool, order: Int, state: String? = nil,
        recurring: Bool? = nil, missed: inout [MissedRule]
    ) -> Deadline? {
        let due = expression(
            dueNode, context: "'due' of \(context)", allowEntered: allowEntered, allowPeriod: recurring == true, state: state)
        var roll = Roll.none
        if let r = m["roll"] {
            if let t = r.text, let v = Roll(rawValue: t) {
                roll = v
            } else {
                sink.error(
                    r.position,
                    "'roll' must be forward, backward or none, found '\(r.text ?? r.kindName)'\(didYouMean(r.text ?? "", ["forward", "backward", "none"]))"
                )
            }
        }
        var remind: [Offset]? = nil
        if let r = m.values["remind"]?.value {
            remind = r.isNull ? [] : parseRemind(r, context: "'remind' of \(context)")
        }
        var repeatEvery = Repeat.every(Offset(1, .d))
        var escalate: [(Offset, Int)] = []
        if let o = m["overdue"],
            let om = MappingReader(o, sink: sink, context: "'overdue' of \(context)", allowed: ["repeat", "escalate", "missed"])
        {
            if let mn = om["missed"] {
                if recurring == true {
                    missed = parseMissed(mn, context: "'overdue.missed' of \(context)")
                } else {
                    sink.error(
                        om.keyNode("missed")!.position,
                        "'overdue.missed' applies to recurring milestones only (with 'every'), not to \(context)")
                }
            }
            if let r = om["repeat"] {
                if r.text == "never" {
                    repeatEvery = .never
                } else if let t = r.text, let off = Offset.parse(t), off.amount > 0, [.d, .w, .h, .min].contains(off.unit) {
                    repeatEvery = .every(off)
                } else {
                    sink.error(
                        r.position, "invalid 'repeat' '\(r.text ?? r.kindName)': expected a positive number with d, w, h or min, or 'never'"
                    )
                }
            }
            if let e = om["escalate"] {
                for (t, key, value) in e.namedEntries(sink: sink, context: "'escalate'") {
                    guard let off = Offset.parse(t), [.d, .w, .h, .min].contains(off.unit) else {
                        sink.error(key.position, "invalid threshold '\(t)' in 'escalate': expected a number with d, w, h or min")
                        continue
                    }
                    guard let pn = value.text, WorkflowParser.escalatePriorities.contains(pn), let pv = WorkflowParser.priorities[pn] else {
                        let pn = value.text ?? value.kindName
                        sink.error(
                            value.position,
                            "invalid priority '\(pn)' in 'escalate'\(didYouMean(pn, WorkflowParser.escalatePriorities)): use notice, warning, err, crit or alert"
                        )
                        continue
                    }
                    escalate.append((off, pv))
                }
            }
        }
        guard let (expr, _) = due else { return nil }
        if recurring == true, expr.base != .period {
            sink.error(dueNode.position, "the 'due' of recurring \(context) must be based on 'period' (e.g. 'period + 1mo - 1d')")
            return nil
        }
        return Deadline(
            due: expr, roll: roll, remind: remind ?? defaultRemind, repeatEvery: repeatEvery,
            escalate: escalate.sorted { $0.0.approximateSeconds < $1.0.approximateSeconds }, order: order)
    }

    // MARK: Guards

    func conditions(_ node: YNode?, context: String) -> [Condition] {
        guard let node else { return [] }
        var out: [Condition] = []
        for (name, key, value) in node.namedEntries(sink: sink, context: "'if' of \(context)") {
            guard let fd = field(name) else {
                sink.error(key.position, "unknown field '\(name)' in 'if' of \(context)\(didYouMean(name, fields.map(\.name)))")
                continue
            }
            func literal(_ n: YNode) -> Value? {
                guard let t = n.text else {
                    sink.error(n.position, "a value in 'if' must be a scalar, found \(n.kindName)")
                    return nil
                }
                if fd.type == .text || fd.type == .enumeration, n.isNull { return .text("") }
                switch fd.parse(text: t, zone: zone, humanInput: false) {
                case .success(let v): return v
                case .failure(let e):
                    sink.error(
                        n.position, "invalid value for field '\(name)' in 'if' of \(context): \(WorkflowParser.literalProblem(fd, t, e))")
                    return nil
                }
            }
            if case .mapping(let pairs, _) = value {
                for pair in pairs {
                    let (opKey, opValue) = (pair.key, pair.value)
                    let opName = opKey.text ?? ""
                    guard let op = Condition.Op(rawValue: opName) else {
                        sink.error(
                            opKey.position,
                            "unknown comparison '\(opName)'\(didYouMean(opName, Condition.Op.allCases.map(\.rawValue))): use eq, ne, lt, le, gt, ge or in"
                        )
                        continue
                    }
                    if [.lt, .le, .gt, .ge].contains(op), ![.integer, .number, .date, .datetime].contains(fd.type) {
                        sink.error(opKey.position, "'\(opName)' applies to numbers and dates only; field '\(name)' is \(fd.type.rawValue)")
                        continue
                    }
                    if op == .in {
                        guard let items = opValue.items else {
                            sink.error(opValue.position, "'in' needs a list")
                            continue
                        }
                        let vs = items.compactMap(literal)
                        if vs.count == items.count { out.append(Condition(field: name, op: .in, values: vs)) }
                    } else if case .mapping = opValue {
                        if let other = fieldOperand(opValue, op: op, of: fd, context: context) {
                            out.append(Condition(field: name, op: op, values: [], other: other))
                        }
                    } else if let v = literal(opValue) {
                        out.append(Condition(field: name, op: op, values: [v]))
                    }
                }
            } else if let v = literal(value) {
                out.append(Condition(field: name, op: .eq, values: [v]))
            }
        }
        return out
    }

    /// `{field: OTHER, times: P/Q}`: another field of a comparable type; `times` (numbers only) a positive fraction.
    func fieldOperand(_ node: YNode, op: Condition.Op, of fd: FieldDefinition, context: String) -> Condition.FieldOperand? {
        guard let m = MappingReader(node, sink: sink, context: "a comparison in 'if' of \(context)", allowed: ["field", "times"]),
            let nameNode = m.require("field")
        else { return nil }
        guard let otherName = nameNode.text, let other = field(otherName) else {
            let n = nameNode.text ?? ""
            sink.error(nameNode.position, "unknown field '\(n)' in 'if' of \(context)\(didYouMean(n, fields.map(\.name)))")
            return nil
        }
        let numeric: Set<FieldType> = [.integer, .number]
        let comparable = fd.type == other.type || (numeric.contains(fd.type) && numeric.contains(other.type))
        guard comparable else {
            sink.error(
                nameNode.position,
                "field '\(fd.name)' (\(fd.type.rawValue)) cannot be compared with field '\(otherName)' (\(other.type.rawValue))")
            return nil
        }
        var p = 1
        var q = 1
        if let t = m["times"] {
            let parts = (t.text ?? "").split(separator: "/", omittingEmptySubsequences: false).map {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard numeric.contains(fd.type), let first = parts.first, let a = first, a > 0, parts.count <= 2,
                parts.count == 1 || (parts[1].map { $0 > 0 } ?? false)
            else {
                sink.error(t.position, "'times' must be a positive whole number or fraction like 2/3, on number fields only")
                return nil
            }
            p = a
            q = parts.count == 2 ? parts[1]! : 1
        }
        return Condition.FieldOperand(field: otherName, numerator: p, denominator: q)
    }

    func target(_ node: YNode, context: String) -> String? {
        guard let name = node.text else {
            sink.error(node.position, "a target in \(context) must be a state name, found \(node.kindName)")
            return nil
        }
        guard stateNames.contains(name) else {
            sink.error(node.position, "unknown state '\(name)' in \(context)\(didYouMean(name, stateNames))")
            return nil
        }
        return name
    }

    func branch(_ node: YNode, context: String) -> Branch? {
        switch node {
        case .scalar:
            return target(node, context: context).map { Branch(to: $0, conditions: [], position: node.position) }
        case .mapping:
            guard let m = MappingReader(node, sink: sink, context: "a branch of \(context)", allowed: ["to", "if"]) else { return nil }
            let conds = conditions(m["if"], context: context)
            guard let t = m.require("to"), let to = target(t, context: context) else { return nil }
            return Branch(to: to, conditions: conds, position: node.position)
        case .sequence:
            sink.error(node.position, "a branch of \(context) must be a state name or {to, if}")
            return nil
        }
    }

    // MARK: States

    mutating func parseStates(_ node: YNode) -> [StateDefinition] {
        var out: [StateDefinition] = []
        var order = 0
        for (name, key, value) in node.namedEntries(sink: sink, context: "'states'") {
            order += 1
            if !WorkflowParser.matches(WorkflowParser.statePattern, name) {
                sink.error(
                    key.position, WorkflowParser.invalidName("state name", name, "use letters, digits, '-', '_' or '.'", separator: "-"))
            }
            guard
                let m = MappingReader(
                    value, sink: sink, context: "state '\(name)'",
                    allowed: ["title", "description", "on", "after", "deadline", "final"],
                    belongElsewhere: ["due": "'deadline'", "remind": "'deadline'", "overdue": "'deadline'", "roll": "'deadline'"])
            else { continue }
            var isFinal = false
            if let f = m["final"] {
                switch f.text {
                case "true": isFinal = true
                case "false": isFinal = false
                default: sink.error(f.position, "'final' must be true or false, found '\(f.text ?? f.kindName)'")
                }
            }
            if isFinal {
                for k in ["on", "after", "deadline"] {
                    if let kn = m.keyNode(k) { sink.error(kn.position, "final state '\(name)' cannot have '\(k)'") }
                }
            }
            var on: [(String, [Branch])] = []
            if let o = m["on"] {
                for (event, ekey, evalue) in o.namedEntries(sink: sink, context: "'on' of state '\(name)'") {
                    if event == "done" {
                        sink.error(ekey.position, "'done' is the built-in milestone event and cannot be used in 'on'")
                        continue
                    }
                    if !WorkflowParser.matches(WorkflowParser.eventPattern, event) {
                        sink.error(
                            ekey.position,
                            WorkflowParser.invalidName("event name", event, "use lowercase ASCII letters, digits and '-'", separator: "-")
                        )
                        continue
                    }
                    let ctx = "'on.\(event)'"
                    var branches: [Branch] = []
                    if let items = evalue.items {
                        if items.isEmpty { sink.error(evalue.position, "\(ctx) has no branches") }
                        for (i, item) in items.enumerated() {
                            if let b = branch(item, context: ctx) {
                                branches.append(b)
                                // An `if` written but refused (an error of its own) is not «no 'if'».
                                let writtenIf: Bool
                                if case .mapping(let pairs, _) = item {
                                    // `if: {}` or `if:` alone is no condition: the branches after it are never tried.
                                    writtenIf = pairs.contains { p in
                                        guard p.key.text == "if", !p.value.isNull else { return false }
                                        if case .mapping(let c, _) = p.value { return !c.isEmpty }
                                        return true
                                    }
                                } else {
                                    writtenIf = false
                                }
                                if b.conditions.isEmpty, !writtenIf, i < items.count - 1 {
                                    sink.warning(items[i + 1].position, "branch never tried: the one before it in \(ctx) has no 'if'")
                                }
                            }
                        }
                    } else if let b = branch(evalue, context: ctx) {
                        branches.append(b)
                    }
                    on.append((event, branches))
                }
            }
            var after: [AfterRule] = []
            if let a = m["after"] {
                let items = a.items ?? [a]
                for item in items {
                    guard let am = MappingReader(item, sink: sink, context: "'after' of state '\(name)'", allowed: ["at", "to", "if"])
                    else { continue }
                    let at = am.require("at").flatMap {
                        expression($0, context: "'after.at' of state '\(name)'", allowEntered: true, state: name)
                    }
                    let conds = conditions(am["if"], context: "'after' of state '\(name)'")
                    let to = am.require("to").flatMap { target($0, context: "'after' of state '\(name)'") }
                    if let (e, _) = at, let to { after.append(AfterRule(at: e, to: to, conditions: conds, position: item.position)) }
                }
            }
            var deadline: Deadline?
            var deadlineTitle: String?
            if let d = m["deadline"],
                let dm = MappingReader(
                    d, sink: sink, context: "'deadline' of state '\(name)'", allowed: ["title", "due", "roll", "remind", "overdue"])
            {
                deadlineTitle = dm.string("title").map(\.onOneLine)
                if let t = deadlineTitle, t.allSatisfy(\.isWhitespace) {
                    sink.error(
                        dm["title"]!.position,
                        "'title' of the deadline of state '\(name)' is empty: say what is to be done by it, or leave it out")
                    deadlineTitle = nil
                }
                if let due = dm.require("due") {
                    var ignored: [MissedRule] = []
                    deadline = parseDeadline(
                        dm, dueNode: due, context: "state '\(name)'", allowEntered: true, order: d.position.line, state: name,
                        missed: &ignored)
                }
            }
            out.append(
                StateDefinition(
                    name: name, title: m.title(required: false), description: m.string("description"), on: on, after: after,
                    deadline: deadline, deadlineTitle: deadlineTitle, isFinal: isFinal, position: key.position))
        }
        return out
    }

    // MARK: Milestones

    mutating func parseMilestones(_ node: YNode) -> [MilestoneDefinition] {
        var out: [MilestoneDefinition] = []
        var requiresPos: [String: [(String, Position)]] = [:]
        for (id, key, value) in node.namedEntries(sink: sink, context: "'milestones'") {
            if !WorkflowParser.matches(WorkflowParser.eventPattern, id) {
                sink.error(
                    key.position,
                    WorkflowParser.invalidName("milestone id", id, "use lowercase ASCII letters, digits and '-'", separator: "-")
                )
            }
            guard
                let m = MappingReader(
                    value, sink: sink, context: "milestone '\(id)'",
                    allowed: [
                        "title", "due", "roll", "remind", "overdue", "requires", "basis", "description", "every", "anchor",
                        "until", "count",
                    ])
            else { continue }
            let title = m.title(required: true)
            var (recurrence, isRecurring) = parseRecurrence(m, id: id)
            var deadline: Deadline?
            if let due = m.require("due") {
                var missed: [MissedRule] = []
                deadline = parseDeadline(
                    m, dueNode: due, context: "milestone '\(id)'", allowEntered: false, order: key.position.line,
                    recurring: isRecurring, missed: &missed)
                recurrence?.missed = missed
            }
            if isRecurring, let r = m.keyNode("requires") {
                sink.error(r.position, "recurring milestone '\(id)' cannot have 'requires'")
            }
            var requires: [String] = []
            if !isRecurring, let r = m["requires"], let list = r.scalarList(sink: sink, context: "'requires' of milestone '\(id)'") {
                for (name, p) in list {
                    if !milestoneNames.contains(name) {
                        sink.error(p, "unknown milestone '\(name)' in 'requires' of milestone '\(id)'\(didYouMean(name, milestoneNames))")
                    } else if name == id {
                        sink.error(p, "milestone '\(id)' requires itself")
                    } else {
                        requires.append(name)
                    }
                }
                requiresPos[id] = list
            }
            if let title, let deadline, recurrence != nil || !isRecurring {
                out.append(
                    MilestoneDefinition(
                        id: id, title: title, deadline: deadline, requires: requires, basis: m.string("basis"),
                        description: m.string("description"), position: key.position, recurrence: recurrence))
            }
        }
        // No milestone may require a recurring one (rule 1); reported at the name in the list.
        let recurringIDs = Set(out.filter(\.isRecurring).map(\.id))
        if !recurringIDs.isEmpty {
            for id in milestoneNames {
                for (name, p) in requiresPos[id] ?? [] where recurringIDs.contains(name) {
                    sink.error(p, "milestone '\(id)' cannot require recurring milestone '\(name)'")
                }
            }
            for i in out.indices { out[i].requires.removeAll { recurringIDs.contains($0) } }
        }
        // Cycles in `requires`: report at the first member in file order.
        let positions = Dictionary(out.map { ($0.id, $0.position) }, uniquingKeysWith: { a, _ in a })
        let requires = Dictionary(out.map { ($0.id, $0.requires) }, uniquingKeysWith: { a, _ in a })
        for cycle in Cycles.find(order: out.map(\.id), edges: requires) {
            sink.error(positions[cycle[0]]!, "'requires' cycle: \(Cycles.describe(cycle, noun: "milestones"))")
        }
        return out
    }

    // MARK: Limits

    func parseLimits(_ node: YNode, groupBy: String?) -> [LimitDefinition] {
        guard let items = node.items else {
            sink.error(node.position, "'limits' must be a list, found \(node.kindName)")
            return []
        }
        var out: [LimitDefinition] = []
        for item in items {
            guard let m = MappingReader(item, sink: sink, context: "a limit", allowed: ["state", "max", "of", "per"]) else { continue }
            let state = m.require("state").flatMap { target($0, context: "'limits.state'") }
            var max: LimitDefinition.Max?
            if let mx = m.require("max") {
                let t = mx.text ?? ""
                if t.hasSuffix("%"), let p = parseInt(String(t.dropLast())), (0...100).contains(p) {
                    max = .percent(p)
                } else if let n = parseInt(t), n >= 0 {
                    max = .count(n)
                } else {
                    sink.error(mx.position, "'max' must be a count (e.g. 5) or a percentage (e.g. 20%), found '\(t)'")
                }
            }
            var of: [String] = []
            if let o = m["of"], let list = o.scalarList(sink: sink, context: "'limits.of'") {
                for (name, p) in list {
                    if stateNames.contains(name) {
                        of.append(name)
                    } else {
                        sink.error(p, "unknown state '\(name)' in 'limits.of'\(didYouMean(name, stateNames))")
                    }
                }
            }
            if case .percent = max, m["of"] == nil {
                sink.error(item.position, "a percentage limit needs 'of' (the states it is a share of)")
            }
            var per = groupBy
            if let p = m["per"], let name = p.text {
                if field(name) == nil {
                    sink.error(p.position, "unknown field '\(name)' in 'limits.per'\(didYouMean(name, fields.map(\.name)))")
                } else {
                    per = name
                }
            }
            if let state, let max { out.append(LimitDefinition(state: state, max: max, of: of, per: per, position: item.position)) }
        }
        return out
    }

    /// Why a value written in the file does not fit its field: the field's own reason (written for people entering
    /// data), but a date written day first, as people write dates, is given back in the form a file needs.
    static func literalProblem(_ field: FieldDefinition, _ text: String, _ e: FieldError) -> String {
        if field.type == .date, let iso = HumanDate.isoSpelling(of: text) { return "'\(text)' is not YYYY-MM-DD: write '\(iso)'" }
        return e.reason
    }

    /// «invalid field name 'Họ tên': use …, starting with a letter ('ho_ten')»: what is wrong with a name, the rule,
    /// and the name as the file needs it when one can be made from it.
    static func invalidName(_ what: String, _ name: String, _ rule: String, separator: Character) -> String {
        "invalid \(what) '\(name)': \(rule)\(suggestedName(name, separator: separator).map { " ('\($0)')" } ?? "")"
    }

    /// A name as the file needs it, from one typed as people write: Vietnamese letters without their marks, lower
    /// case, spaces and other separators as `separator` (`Tiếp nhận đơn` → `tiep-nhan-don`); nil when nothing is left.
    static func suggestedName(_ name: String, separator: Character) -> String? {
        var out = ""
        for b in SearchText.fold(name) {
            let c = Character(Unicode.Scalar(b))
            if c.isASCII, c.isLetter || c.isNumber {
                out.append(c)
            } else if !out.isEmpty, out.last != separator {
                // Any other character parts words, a non-breaking space or an en dash pasted from a document too.
                out.append(separator)
            }
        }
        while out.last == separator { out.removeLast() }
        if separator == "_" { out = String(out.drop { !$0.isLetter }) }
        return out.isEmpty || out == name ? nil : String(out.prefix(63))
    }

    /// A cycle of `after` transitions among `states` (as the states it goes through, the first again at the end), nil
    /// for none.
    static func timedCycle(among states: Set<String>, _ byName: [String: StateDefinition]) -> [String]? {
        var done = Set<String>()
        for start in states.sorted() where !done.contains(start) {
            var path: [String] = []
            var onPath = Set<String>()
            func visit(_ s: String) -> [String]? {
                if onPath.contains(s) { return Array(path[path.firstIndex(of: s)!...]) + [s] }
                guard !done.contains(s), states.contains(s), let st = byName[s] else { return nil }
                path.append(s)
                onPath.insert(s)
                for a in st.after { if let c = visit(a.to) { return c } }
                path.removeLast()
                onPath.remove(s)
                done.insert(s)
                return nil
            }
            if let c = visit(start) { return c }
        }
        return nil
    }

    // MARK: Graph checks

    func checkGraph(states: [StateDefinition], initial: String, limits: [LimitDefinition]) {
        let byName = Dictionary(uniqueKeysWithValues: states.map { ($0.name, $0) })
        // Reachability.
        var seen: Set<String> = [initial]
        var queue = [initial]
        while let s = queue.popLast() {
            guard let st = byName[s] else { continue }
            let targets = st.on.flatMap { $0.branches.map(\.to) } + st.after.map(\.to)
            for t in targets where seen.insert(t).inserted { queue.append(t) }
        }
        // No final state to reach and a cycle of `after` rules among the states an instance reaches: it never
        // completes and writes a transition at each turn forever (two states switching every minute: 1,440 records a
        // day per instance). A workflow that waits in a state without a final one (a member's monthly dues) is not
        // warned about: nothing moves it by itself.
        if !seen.contains(where: { byName[$0]?.isFinal == true }), let first = byName[initial],
            let cycle = WorkflowParser.timedCycle(among: seen, byName)
        {
            sink.warning(
                first.position,
                "no final state can be reached from '\(initial)', and 'after' rules move an instance round \(cycle.map { "'\($0)'" }.joined(separator: " → ")) forever: it never completes (mark the last state 'final: true')"
            )
        }
        for st in states {
            if !seen.contains(st.name) { sink.warning(st.position, "state '\(st.name)' is unreachable from '\(initial)'") }
            if !st.isFinal, st.on.isEmpty, st.after.isEmpty {
                sink.warning(st.position, "state '\(st.name)' is not final and has no way out ('on' or 'after')")
            }
        }
        // `after` into a limited state.
        let limited = Set(limits.map(\.state))
        for st in states {
            for a in st.after where limited.contains(a.to) {
                sink.warning(
                    a.position, "'after' of state '\(st.name)' enters limited state '\(a.to)': limits do not apply to timed transitions")
            }
        }
        // Cycles of `after` transitions that could fire without time passing.
        var instantEdges: [String: [(String, Position)]] = [:]
        for st in states {
            for a in st.after where !WorkflowParser.needsTimeToPass(a.at) {
                instantEdges[st.name, default: []].append((a.to, a.position))
            }
        }
        let graph = instantEdges.mapValues { $0.map(\.0) }
        for cycle in Cycles.find(order: states.map(\.name).filter { instantEdges[$0] != nil }, edges: graph) {
            let members = Set(cycle)
            let pos = instantEdges[cycle[0]]!.first { members.contains($0.0) }?.1 ?? byName[cycle[0]]!.position
            sink.error(pos, "cycle of 'after' transitions that can fire without time passing: \(Cycles.describe(cycle, noun: "states"))")
        }
    }

    /// Warns about deadlines and timers that stay inactive while an optional field is unset, unless the field is
    /// always set in that state: every way into it is a branch whose guard reads the field, or leaves a state where
    /// the field is always set (data is kept from state to state: the date of a chi bộ's resolution, read by its
    /// vote's guards, still holds in the steps after the next one).
    func warnOptionalUses(states: [StateDefinition], initial: String?) {
        var ways: [String: [(from: String, guarded: Set<String>)]] = [:]
        for st in states {
            for (_, branches) in st.on { for b in branches { ways[b.to, default: []].append((st.name, Set(b.conditions.map(\.field)))) } }
            for a in st.after { ways[a.to, default: []].append((st.name, Set(a.conditions.map(\.field)))) }
        }
        // The greatest fixed point: start from every field everywhere but the initial state (nothing is known set
        // there), and narrow each state to what every way into it brings, until nothing changes.
        let everyField = Set(optionalUses.items.map(\.0))
        var alwaysSet: [String: Set<String>] = [:]
        for st in states { alwaysSet[st.name] = st.name == initial || ways[st.name] == nil ? [] : everyField }
        var changed = true
        while changed {
            changed = false
            for st in states where st.name != initial {
                guard let into = ways[st.name] else { continue }
                let set = into.reduce(everyField) { $0.intersection($1.guarded.union(alwaysSet[$1.from] ?? [])) }
                if set != alwaysSet[st.name] {
                    alwaysSet[st.name] = set
                    changed = true
                }
            }
        }
        for (field, pos, context, state) in optionalUses.items {
            if let state, alwaysSet[state]?.contains(field) == true { continue }
            sink.warning(pos, "optional field '\(field)' has no default: \(context) stays inactive while it is unset")
        }
    }

    /// True when an `after.at` is always later than the moment the state is entered.
    static func needsTimeToPass(_ e: DateExpression) -> Bool {
        switch e.base {
        case .entered:
            // A date is met at the end of the day: `entered + N` with N ≥ 0 days is always in the future.
            return e.steps.allSatisfy { $0.amount >= 0 } && (e.at == nil || e.steps.contains { $0.amount > 0 && !$0.unit.isTimeOfDay })
        case .enteredAt:
            return e.steps.allSatisfy { $0.amount >= 0 } && e.steps.contains { $0.amount > 0 }
        default:
            return false
        }
    }
}

public enum CalendarLookupError: Error, Sendable {
    case notFound(known: [String])
    /// The file found for it (`calendars/ID.yaml`, its path as looked up) has errors.
    case invalid(path: String)
}
