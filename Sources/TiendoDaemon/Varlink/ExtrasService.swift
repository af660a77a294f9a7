import Foundation
import TiendoCore
import TiendoStore
import TiendoVarlink

/// `vn.tiendo.Extras` (an extension, README "Extensions to the contract"): methods for front ends such as tiendo-web,
/// which never opens the store: the definitions in force (states, events and the fields they read), calendar days,
/// and paged, filtered agendas, lists and per-group counts computed in SQL; one change, `Undo`; and the database's
/// copies, `Backup` and `Backups`.
extension ControlService {
    static let extrasInterface = "vn.tiendo.Extras"

    static let extrasSchemas: [String: [(String, ParamType, Bool)]] = [
        "Workflows": [],
        "Calendar": [("workflow", .string, false), ("from", .string, false), ("until", .string, false)],
        "Due": [
            ("workflow", .string, true), ("groups", .stringList, true), ("state", .string, true), ("search", .string, true),
            ("days", .int, true), ("from", .string, true), ("until", .string, true), ("offset", .int, true), ("limit", .int, true),
        ],
        "DueDays": [
            ("workflow", .string, true), ("groups", .stringList, true), ("state", .string, true), ("from", .string, false),
            ("until", .string, false), ("tasks", .int, true),
        ],
        "Instances": [
            ("workflow", .string, true), ("groups", .stringList, true), ("state", .string, true), ("overdue", .bool, true),
            ("movesWithin", .int, true), ("search", .string, true), ("after", .string, true), ("limit", .int, true),
        ],
        "Groups": [("workflow", .string, true), ("groups", .stringList, true), ("limit", .int, true)],
        "Instance": [("id", .string, false)],
        "Undo": [("id", .string, false), ("token", .string, true), ("actor", .string, true)],
        "Backup": [("keep", .int, true)],
        "Backups": [],
    ]

    func handleExtras(_ name: String, _ parameters: [(String, JSON)], peer: Peer) -> Dispatch {
        guard let schema = ControlService.extrasSchemas[name] else {
            return .immediate(
                .error("org.varlink.service.MethodNotFound", [("method", .string(ControlService.extrasInterface + "." + name))]))
        }
        switch ControlService.check(schema: schema, parameters) {
        case .failure(let bad): return .immediate(.error("org.varlink.service.InvalidParameter", [("parameter", .string(bad.name))]))
        case .success(let p):
            if name == "Undo" { return undo(p, peer: peer) }
            if name == "Backup" { return backup(p, peer: peer) }
            return .deferred { [self] reply in
                readers.async(for: peer.uid) { reply(self.readExtras(name, p).encoded()) }
            }
        }
    }

    func readExtras(_ name: String, _ p: [String: JSON]) -> VarlinkReply {
        let v = views()
        let now = clock.now()
        let zone = v.catalog.current.values.first?.zone ?? .vietnam
        do {
            if let wf = p["workflow"]?.stringValue, v.catalog.current[wf] == nil { return ControlService.error(.noSuchWorkflow(wf)) }
            let scope = Store.Scope(
                workflow: p["workflow"]?.stringValue, groups: p["groups"]?.arrayValue?.compactMap(\.stringValue),
                state: p["state"]?.stringValue)
            let nowText: (String, JSON) = ("now", .string(zone.iso(now)))
            switch name {
            case "Workflows":
                let list = v.catalog.current.keys.sorted().compactMap { v.catalog.current[$0] }.map(ControlService.workflowInfo)
                return .ok([nowText, ("workflows", .array(list))])
            case "Calendar":
                return calendar(v, p)
            case "Due":
                return try due(v, p, scope: scope, now: now, nowText: nowText)
            case "DueDays":
                return try dueDays(v, p, scope: scope, now: now, nowText: nowText)
            case "Instances":
                return try instances(v, p, scope: scope, now: now, nowText: nowText)
            case "Instance":
                let id = p["id"]!.stringValue!
                guard let row = try v.store.instance(id, definition: v.catalog.definition) else {
                    return ControlService.error(.noSuchInstance(id))
                }
                var e = entry(v, row, now: now, transition: true)
                // What only `Instance` sends: how each deadline is counted, and the step an undo would take back.
                var extra: [(String, JSON)] = []
                if case let bases = v.dueBasesJSON(row), bases != .null { extra.append(("bases", bases)) }
                if let u = try v.store.undoStep(of: row.instance, now: now) {
                    var step: [(String, JSON)] = [
                        ("token", .string(u.token)), ("event", .string(u.step.event)), ("at", .string(zone.iso(u.step.at))),
                    ]
                    if let m = u.step.milestone { step.append(("milestone", .string(m))) }
                    if let a = u.actorName { step.append(("actor", .string(a))) }
                    if let s = u.before.state { step.append(("state", .string(s))) }
                    extra.append(("undo", .object(step)))
                }
                // On another version than the one in force: that version, so that a page offers the instance's own
                // states and steps (tiendod accepts them), not the current one's (multi-user audit, 07/12/2026).
                if let inForce = v.catalog.current[row.instance.workflow], inForce.digest != row.instance.digest,
                    let pinned = v.catalog.definition(row.instance.digest)
                {
                    extra.append(("definition", ControlService.workflowInfo(pinned)))
                }
                if case .object(let o) = e { e = .object(o + extra) }
                return .ok([nowText, ("instance", e)])
            case "Backups":
                let copies = v.store.backups().map { c in
                    JSON.object(
                        [("name", .string(c.name)), ("at", .string(Zone.vietnam.iso(c.taken))), ("bytes", .int(Int(c.bytes)))]
                            + (c.upgradedFrom.map { [("upgradedFrom", JSON.string($0))] } ?? []))
                }
                return .ok([nowText, ("directory", .string(v.store.backupDirectory)), ("copies", .array(copies))])
            case "Groups":
                let groups = try v.store.groupSummaries(scope: scope, now: now, soon: Views.weekAhead(of: now))
                guard let limit = p["limit"]?.intValue else { return ControlService.groupsReply(now: zone.iso(now), groups) }
                // The most pressing first, and what every group adds up to per workflow.
                return ControlService.groupsReply(
                    now: zone.iso(now), Store.mostPressing(max(1, limit), of: groups), totals: Store.totals(of: groups))
            default:
                return .error("org.varlink.service.MethodNotFound", [("method", .string(name))])
            }
        } catch let bad as BadParameter {
            return .error("org.varlink.service.InvalidParameter", [("parameter", .string(bad.name))])
        } catch {
            log(3, "varlink \(ControlService.extrasInterface).\(name): \(error)")
            return .error("org.varlink.service.InternalError")
        }
    }

    /// A folding matcher of (instance id, stored data text), or nil for no search: the record's code (the key, not
    /// its workflow's prefix) and the values of its fields, not the stored JSON's field names and punctuation, which
    /// made «Đặng», a common surname, find every record of `dang-vien-du-bi`, and «ten» every record with `ho_ten`.
    static func matcher(_ search: String?) -> ((String, String) -> Bool)? {
        guard let search, !search.allSatisfy(\.isWhitespace) else { return nil }
        let needle = SearchText.fold(search.trimmingCharacters(in: .whitespaces))
        // A whole id copied from a list or an address (`dang-vien-du-bi/dvdb-016`) is matched whole.
        let whole = needle.contains(UInt8(ascii: "/"))
        // Every value's text is in the stored JSON as it is (only a quote, a backslash and control characters, DEL and
        // the C1 controls among them, are escaped there), and folding goes character by character: a row whose whole text does not hold the needle
        // has no value that does, and is passed over without parsing it — nearly every row of a search. Over 120,000
        // records in a debug build (large-data audit, 07/12/2026) a search of the agenda took 2.5–2.7 s instead of
        // 2.7–3.6 s: reading and folding every row is the rest, which only a stored folded text would remove.
        let plain = !needle.contains { $0 == 0x22 || $0 == 0x5C || $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }
        return { id, data in
            let key = whole ? id[...] : id.firstIndex(of: "/").map { id[id.index(after: $0)...] } ?? id[...]
            if SearchText.contains(key, folded: needle) { return true }
            if plain, !SearchText.contains(data, folded: needle) { return false }
            guard let fields = (try? JSON.parse(data))?.objectValue else { return false }
            return fields.contains { _, v in SearchText.contains(v.stringValue ?? v.serialized(), folded: needle) }
        }
    }

    /// `from` and `until` (local due dates, at most 400 days apart), both or neither unless `required`.
    static func dueDates(_ p: [String: JSON], zone: Zone, required: Bool) throws(BadParameter) -> Store.DueDates? {
        let fromText = p["from"]?.stringValue
        let untilText = p["until"]?.stringValue
        if fromText == nil && untilText == nil && !required { return nil }
        guard let fromText, let from = CivilDate.parse(fromText) else { throw BadParameter(name: "from") }
        guard let untilText, let until = CivilDate.parse(untilText), until >= from, until.dayNumber - from.dayNumber <= 400 else {
            throw BadParameter(name: "until")
        }
        return Store.DueDates(from: from, until: until, zone: zone)
    }

    /// `Due`: the items of the scope due up to `days` (default 30, at most 366) after today, overdue ones included
    /// (or, with `from` and `until`, those due on these local dates), earliest first, one page of them (`limit`
    /// default 100, at most 1,000), with counts at fixed horizons.
    func due(_ v: Views, _ p: [String: JSON], scope: Store.Scope, now: Instant, nowText: (String, JSON)) throws -> VarlinkReply {
        let zone = scope.workflow.flatMap { v.catalog.current[$0]?.zone } ?? .vietnam
        let dates = try ControlService.dueDates(p, zone: zone, required: false)
        let days = max(0, min(p["days"]?.intValue ?? 30, 366))
        let horizons = [0, 7, 14, 30]
        let last = dates.map { zone.endOfDay($0.until) } ?? Views.endOfDay(days, after: now, zone: zone)
        let bounds = [now] + horizons.map { Views.endOfDay($0, after: now, zone: zone) } + [last]
        let page = try v.store.duePage(
            scope: scope, until: last, bounds: bounds, dates: dates, offset: max(0, p["offset"]?.intValue ?? 0),
            limit: max(1, min(p["limit"]?.intValue ?? 100, 1000)), matching: ControlService.matcher(p["search"]?.stringValue))
        func count(_ b: Instant) -> Int { page.countsByBound[bounds.firstIndex(of: b) ?? 0] }
        let overdue = count(now)
        // Items of the whole selection: every overdue one plus those due within `days`.
        let total = count(bounds.last!)
        let counts = JSON.object(
            [("overdue", .int(overdue))]
                + zip(["today", "week", "fortnight", "month"], bounds[1...4]).map { ($0.0, JSON.int(count($0.1) - overdue)) }
                + [("total", .int(total))])
        let items = page.entries.map { e in
            var item = v.dueItemJSON(e.row, now: now).objectValue ?? []
            if let label = v.catalog.current[e.row.workflow]?.label(ofStored: e.data) {
                item.append(("label", .string(label)))
            }
            return JSON.object(item)
        }
        return .ok([nowText, ("counts", counts), ("items", .array(items))])
    }

    /// `DueDays`: per local due date of `from`…`until`, the scope's items and how many are overdue; with `tasks`
    /// (extension, 1 to 10), at most that many of what they are about, each with its number of instances and, when
    /// that is one, the instance and its name.
    func dueDays(_ v: Views, _ p: [String: JSON], scope: Store.Scope, now: Instant, nowText: (String, JSON)) throws -> VarlinkReply {
        let zone = scope.workflow.flatMap { v.catalog.current[$0]?.zone } ?? .vietnam
        guard let dates = try ControlService.dueDates(p, zone: zone, required: true) else {
            return .error("org.varlink.service.InternalError")
        }
        func day(_ date: String, _ items: Int, _ overdue: Int) -> [(String, JSON)] {
            [("date", .string(date)), ("items", .int(items)), ("overdue", .int(overdue))]
        }
        guard let perDay = p["tasks"]?.intValue else {
            let days = try v.store.dueDays(scope: scope, dates: dates, now: now).map { JSON.object(day($0.date, $0.items, $0.overdue)) }
            return .ok([nowText, ("days", .array(days))])
        }
        guard (1...10).contains(perDay) else {
            return .error("org.varlink.service.InvalidParameter", [("parameter", .string("tasks"))])
        }
        // The counts come from the same statement as the tasks, so that they add up even while tiendod writes.
        let days = try v.store.dueTasks(scope: scope, dates: dates, now: now, perDay: perDay, definition: v.catalog.definition).map {
            JSON.object(day($0.date, $0.items, $0.overdue) + [("tasks", .array($0.tasks.map(dayTask)))])
        }
        return .ok([nowText, ("days", .array(days))])
    }

    /// A `DayTask` (the wire type writes it): with its one instance and that instance's name when it has one instance.
    func dayTask(_ t: Store.DueTask) -> JSON {
        var task = Extras.DayTask(
            workflow: t.workflow, title: t.title, occurrence: t.occurrence, items: t.items, overdue: t.overdue, records: t.records,
            provisional: t.provisional ? true : nil)
        if t.records == 1 {
            task.instance = t.firstInstance
            task.label = t.label
        }
        return task.json
    }

    /// `Instances`: one page of the scope's instances by id (`limit` default 50, at most 1,000), each with its
    /// group and label; `next` is the cursor for `after`; `total` unless a search or `movesWithin` would need every
    /// row read (the overdue ones are counted from their items).
    /// `movesWithin` (extension, 1 to 366 days): only those with no deadline open whose next timed transition comes
    /// within that many days (of 24 hours) from now, a probation ending for instance, so that the chi bộ prepares its
    /// review; with `overdue` (an item due, so a deadline open) none.
    func instances(_ v: Views, _ p: [String: JSON], scope: Store.Scope, now: Instant, nowText: (String, JSON)) throws -> VarlinkReply {
        let limit = max(1, min(p["limit"]?.intValue ?? 50, 1000))
        let overdue = p["overdue"]?.boolValue == true
        let search = ControlService.matcher(p["search"]?.stringValue)
        let rows: [StoredInstance]
        var upcoming: [String: UpcomingTransition] = [:]
        if let days = p["movesWithin"]?.intValue {
            guard (1...366).contains(days) else {
                return .error("org.varlink.service.InvalidParameter", [("parameter", .string("movesWithin"))])
            }
            let bound = now.adding(seconds: Int64(days) * 86_400)
            // The transition that kept a row is the one its entry shows: computed once (an advance of a copy each).
            let keep: (StoredInstance) -> Bool = { row in
                guard let t = v.upcomingTransition(row), t.at <= bound else { return false }
                upcoming[row.instance.id] = t
                return true
            }
            rows =
                overdue
                ? []
                : try v.store.movingInstancePage(
                    scope: scope, by: bound, after: p["after"]?.stringValue, limit: limit + 1, matching: search, keep: keep,
                    definition: v.catalog.definition)
        } else {
            rows = try v.store.instancePage(
                scope: scope, overdueAt: overdue ? now : nil, after: p["after"]?.stringValue, limit: limit + 1, matching: search,
                definition: v.catalog.definition)
        }
        let page = rows.prefix(limit)
        let entries = page.map { entry(v, $0, now: now, upcoming: upcoming[$0.instance.id]) }
        let next: JSON = rows.count > limit ? .string(page.last!.instance.id) : .null
        let total: JSON =
            search != nil || p["movesWithin"] != nil
            ? .null
            : .int(overdue ? try v.store.overdueInstanceCount(scope: scope, overdueAt: now) : try v.store.instanceCount(scope: scope))
        return .ok([nowText, ("instances", .array(entries)), ("next", next), ("total", total)])
    }

    /// An instance as `GetInstance` sends it (with every open deadline), with its group and label, and the timed
    /// transition it takes next: always with `transition` (`Instance`), else (a page of `Instances`) only for an
    /// instance with no deadline open, where it is what comes next (and a page of them costs no more than that).
    /// `upcoming`: that transition when the caller computed it already.
    func entry(_ v: Views, _ row: StoredInstance, now: Instant, transition: Bool = false, upcoming: UpcomingTransition? = nil) -> JSON {
        let def = v.catalog.byDigest[row.instance.digest]
        let instance = v.instanceJSON(row, now: now)
        var o: [(String, JSON)] = [
            ("instance", instance), ("group", def?.group(of: row.instance.data).map(JSON.string) ?? .null),
            ("label", def?.label(of: row.instance.data).map(JSON.string) ?? .null),
        ]
        let idle = !row.instance.completed && instance["deadlines"]?.arrayValue?.isEmpty == true
        if transition || idle { o.append(("nextTransition", v.upcomingTransitionJSON(row, known: upcoming))) }
        return .object(o)
    }

    /// `Calendar`: every weekend day, holiday, compensatory day and make-up working day of the workflow's calendar
    /// from `from` to `until` (dates, at most 400 days apart), with each year's status.
    func calendar(_ v: Views, _ p: [String: JSON]) -> VarlinkReply {
        let wf = p["workflow"]!.stringValue!
        guard let def = v.catalog.current[wf] else { return ControlService.error(.noSuchWorkflow(wf)) }
        guard let from = CivilDate.parse(p["from"]!.stringValue!) else {
            return .error("org.varlink.service.InvalidParameter", [("parameter", .string("from"))])
        }
        guard let until = CivilDate.parse(p["until"]!.stringValue!), until >= from, until.dayNumber - from.dayNumber <= 400 else {
            return .error("org.varlink.service.InvalidParameter", [("parameter", .string("until"))])
        }
        let cal = def.calendar
        var days: [JSON] = []
        for year in from.year...until.year {
            // A listed year that says `projected: true` is projected too (format §7).
            let status = cal.status(of: year).rawValue
            for d in cal.days(in: year, includeWeekends: true) where d.date >= from && d.date <= until {
                days.append(
                    .object([
                        ("date", .string(d.date.iso)), ("name", .string(d.name)), ("kind", .string(d.kind.rawValue)),
                        ("status", .string(status)),
                    ]))
            }
        }
        return .ok([("calendar", .string(cal.id)), ("title", .string(cal.title)), ("days", .array(days))])
    }

    /// A definition as front ends need it: fields, states with the events they accept (and the fields the events'
    /// guards read, which a form must ask for), milestones.
    static func workflowInfo(_ def: WorkflowDefinition) -> JSON {
        let fields: [JSON] = def.fields.map { f in
            var o: [(String, JSON)] = [("name", .string(f.name)), ("type", .string(f.type.rawValue)), ("required", .bool(f.required))]
            if let t = f.title { o.append(("title", .string(t))) }
            o.append(("values", .array(f.values.map(JSON.string))))
            if !f.valueTitles.isEmpty {
                o.append(("valueTitles", .object(f.values.compactMap { v in f.valueTitles[v].map { (v, JSON.string($0)) } })))
            }
            if let m = f.min { o.append(("min", .double(m))) }
            if let m = f.max { o.append(("max", .double(m))) }
            if f.notAfterToday { o.append(("notAfterToday", .bool(true))) }
            if let n = f.notBefore { o.append(("notBefore", .string(n))) }
            if let d = f.defaultValue { o.append(("default", .string(d.formText(zone: def.zone)))) }
            if let r = f.derivedDefault { o.append(("defaultRule", .string(r.words { def.field($0)?.title ?? $0 }))) }
            return .object(o)
        }
        let states: [JSON] = def.states.map { s in
            let events: [JSON] = s.on.map { on in
                // Both sides of a comparison: `so_tan_thanh ≥ 2/3 × so_dang_vien_chinh_thuc` needs both numbers.
                var read = on.branches.fieldsRead
                // In the order the file declares the fields, which is the order a form asks for them.
                let order = Dictionary(uniqueKeysWithValues: def.fields.enumerated().map { ($1.name, $0) })
                read.sort { (order[$0] ?? .max) < (order[$1] ?? .max) }
                // Then what the file asks with the event besides (`event_fields`: a decision's number and date), in its
                // order, optional unless a guard needs it.
                read += (def.eventFields[on.event] ?? []).filter { !read.contains($0) }
                let everywhere = Set(on.branches.fieldsEveryBranchReads)
                var o: [(String, JSON)] = [("name", .string(on.event))]
                if let title = def.eventTitles[on.event] { o.append(("title", .string(title))) }
                return .object(
                    o + [
                        ("fields", .array(read.map(JSON.string))), ("required", .array(read.filter(everywhere.contains).map(JSON.string))),
                        ("targets", .array(on.branches.map { JSON.string($0.to) })),
                    ] + (def.officeEvents.contains(on.event) ? [("office", JSON.bool(true))] : []))
            }
            var o: [(String, JSON)] = [("id", .string(s.name)), ("title", .string(s.displayTitle))]
            if let d = s.description { o.append(("description", .string(d))) }
            return .object(o + [("final", .bool(s.isFinal)), ("events", .array(events))])
        }
        let milestones: [JSON] = def.milestones.map { m in
            var o: [(String, JSON)] = [("id", .string(m.id)), ("title", .string(m.title))]
            if let b = m.basis { o.append(("basis", .string(b))) }
            o.append(("requires", .array(m.requires.map(JSON.string))))
            return .object(o)
        }
        var o: [(String, JSON)] = [("id", .string(def.id)), ("title", .string(def.title))]
        if let d = def.description { o.append(("description", .string(d))) }
        o += [("digest", .string(def.digest)), ("timezone", .string(def.zone.identifier)), ("calendar", .string(def.calendar.id))]
        if let g = def.groupBy { o.append(("groupBy", .string(g))) }
        if let i = def.initial { o.append(("initial", .string(i))) }
        if let l = def.labelField { o.append(("label", .string(l))) }
        if !def.listFields.isEmpty { o.append(("listFields", .array(def.listFields.map(JSON.string)))) }
        if !def.followUps.isEmpty {
            func fill(_ field: String, _ from: String) -> JSON { .object([("field", .string(field)), ("from", .string(from))]) }
            let followUps: [JSON] = def.followUps.map { f in
                .object(
                    [("workflow", .string(f.workflow))] + (f.title.map { [("title", JSON.string($0))] } ?? []) + [
                        ("when", .array(f.when.map(JSON.string))), ("copy", .array(f.copy.map { fill($0.target, $0.source) })),
                        ("set", .array(f.set.map { fill($0.field, $0.value) })),
                    ])
            }
            o.append(("followUps", .array(followUps)))
        }
        o += [("fields", .array(fields)), ("states", .array(states)), ("milestones", .array(milestones))]
        return .object(o)
    }
}

extension ControlService {
    /// `Extras.Groups`'s reply, `{"now": …, "groups": [{workflow, group, instances, active, overdue, dueSoon}]}` (and
    /// with `totals`, `"totals": [{workflow, groups, instances, active, overdue, dueSoon}]`), written straight into
    /// JSON text: an administrator's export of a province holds about 50,000 groups (6 MB), which as a JSON tree were
    /// some 300,000 values allocated one by one, then encoded.
    static func groupsReply(now: String, _ groups: [Store.GroupSummary], totals: [Store.WorkflowTotals]? = nil) -> VarlinkReply {
        .ok(sizeHint: 64 + groups.count * 160 + (totals?.count ?? 0) * 128) { w in
            // The four counts both lists carry, and the object's end.
            func counts(_ instances: Int, _ active: Int, _ overdue: Int, _ dueSoon: Int) {
                w.append(#","instances":"#)
                w.appendInt(instances)
                w.append(#","active":"#)
                w.appendInt(active)
                w.append(#","overdue":"#)
                w.appendInt(overdue)
                w.append(#","dueSoon":"#)
                w.appendInt(dueSoon)
                w.append("}")
            }
            w.append(#"{"now":"#)
            w.appendJSONString(now)
            w.append(#","groups":["#)
            for (i, g) in groups.enumerated() {
                w.append(i == 0 ? #"{"workflow":"# : #",{"workflow":"#)
                w.appendJSONString(g.workflow)
                w.append(#","group":"#)
                w.appendJSONString(g.group)
                counts(g.instances, g.active, g.overdue, g.dueSoon)
            }
            w.append("]")
            if let totals {
                w.append(#","totals":["#)
                for (i, t) in totals.enumerated() {
                    w.append(i == 0 ? #"{"workflow":"# : #",{"workflow":"#)
                    w.appendJSONString(t.workflow)
                    w.append(#","groups":"#)
                    w.appendInt(t.groups)
                    counts(t.instances, t.active, t.overdue, t.dueSoon)
                }
                w.append("]")
            }
            w.append("}")
        }
    }
}
