import Foundation
import TiendoCore

/// Reads one entry of `routes:` and checks it against the channels, the recipient lists and (when loaded) the
/// workflows it names.
struct RouteParser {
    let sink: DiagnosticSink
    let channels: [String: ChannelDefinition]
    /// `channel:NAME` and `list:NAME` of channels and lists with errors of their own: not reported again here.
    let broken: Set<String>
    let lists: [String: RecipientList]
    let definitions: DefinitionSet?

    static let kinds = [
        "started", "transition", "reminder", "overdue", "milestone-done", "completed", "rejected", "rescheduled", "undone",
    ]
    static let keys = ["name", "workflows", "groups", "kinds", "priority", "channel", "to", "mode", "every", "quiet_hours"]

    func parse(_ node: YNode, index: Int) -> Route? {
        guard let m = MappingReader(node, sink: sink, context: "route \(index)", allowed: RouteParser.keys) else { return nil }
        var ok = true
        var name = "route-\(index)"
        if let n = m["name"] {
            if let t = n.text, RoutingParser.isIdentifier(t) {
                name = t
            } else {
                sink.error(n.position, "invalid route name '\(n.text ?? n.kindName)': must match ^[a-z0-9][a-z0-9-]*$")
                ok = false
            }
        }
        let context = "route '\(name)'"
        let workflows = m["workflows"].flatMap { set($0, context: "'workflows' of \(context)") }
        if let workflows, let definitions {
            for (id, p) in workflows where definitions.workflow(id) == nil {
                sink.error(p, "unknown workflow '\(id)' in \(context)\(didYouMean(id, definitions.order))")
                ok = false
            }
        }
        let groups = m["groups"].flatMap { set($0, context: "'groups' of \(context)") }
        let kinds = m["kinds"].flatMap { set($0, context: "'kinds' of \(context)") }
        for (k, p) in kinds ?? [] where !RouteParser.kinds.contains(k) {
            sink.error(p, "unknown record kind '\(k)' in \(context)\(didYouMean(k, RouteParser.kinds))")
            ok = false
        }
        // Whoever is told of a step should be told when it is undone (an extension: README "Extensions").
        if let kinds, !kinds.contains(where: { $0.0 == "undone" }),
            let told = kinds.first(where: { ["transition", "milestone-done", "completed"].contains($0.0) })
        {
            sink.warning(
                told.1,
                "\(context) sends '\(told.0)' records but not 'undone': a step undone is not told to its recipients (add undone to its kinds)"
            )
        }
        var priority = 7
        if let p = m["priority"] {
            if let v = RoutingParser.parsePriority(p, sink: sink, context: "'priority' of \(context)") { priority = v } else { ok = false }
        }
        var mode = Route.Mode.immediate
        if let md = m["mode"] {
            let t = md.text ?? md.kindName
            if let v = Route.Mode(rawValue: t) {
                mode = v
            } else {
                sink.error(
                    md.position, "'mode' must be immediate or digest, found '\(t)'\(didYouMean(t, Route.Mode.allCases.map(\.rawValue)))")
                ok = false
            }
        }
        // A digest's own frequency; only a digest has one.
        var every: DigestSchedule.Period?
        if let e = m["every"] {
            let t = e.text ?? e.kindName
            if mode != .digest {
                sink.error(e.position, "\(context): 'every' is a digest's; this route sends each record at once (add 'mode: digest')")
                ok = false
            } else if let p = DigestSchedule.Period(rawValue: t) {
                every = p
            } else {
                let names = DigestSchedule.Period.allCases.map(\.rawValue)
                sink.error(e.position, "'every' of \(context) must be day or week, found '\(t)'\(didYouMean(t, names))")
                ok = false
            }
        }
        var quiet = true
        if let q = m["quiet_hours"] {
            switch q.text {
            case "true": quiet = true
            case "false": quiet = false
            default:
                sink.error(q.position, "'quiet_hours' must be true or false, found '\(q.text ?? q.kindName)'")
                ok = false
            }
        }
        var channel: ChannelDefinition?
        if let c = m.require("channel") {
            let t = c.text ?? c.kindName
            channel = channels[t]
            if channel == nil {
                ok = false
                if !broken.contains("channel:" + t) {
                    sink.error(c.position, "unknown channel '\(t)' in \(context)\(didYouMean(t, channels.keys.sorted()))")
                }
            }
        } else {
            ok = false
        }
        var to: [Route.Recipient] = []
        if let channel {
            let where_ = m["mode"]?.position ?? node.position
            if !channel.isEmail, mode == .digest {
                sink.error(where_, "\(context): digests are emails; channel '\(channel.name)' is a webhook")
                ok = false
            }
            if channel.isEmail {
                if let t = m.require("to") {
                    to = recipients(t, context: context, workflows: workflows?.map(\.0))
                    if to.isEmpty { ok = false }
                } else {
                    ok = false
                }
            } else if let t = m["to"] {
                sink.error(t.position, "\(context): a webhook route has no 'to' (the channel's url receives every record)")
                ok = false
            }
        }
        guard ok, let channel else { return nil }
        return Route(
            name: name, workflows: workflows.map { Set($0.map(\.0)) }, groups: groups.map { Set($0.map(\.0)) },
            kinds: kinds.map { Set($0.map(\.0)) }, priority: priority, channel: channel.name, to: to, mode: mode,
            quiet: quiet, every: every, position: node.position)
    }

    func set(_ node: YNode, context: String) -> [(String, Position)]? {
        guard let list = node.scalarList(sink: sink, context: context) else { return nil }
        if list.isEmpty { sink.error(node.position, "\(context) is empty; leave it out to match everything") }
        return list
    }

    /// `to:` — one entry or a list; each a plain address, `{list: NAME}`, `{field: F, name_field: G}` or
    /// `{address: "Name <a@b>"}`. Returns [] after reporting a problem.
    func recipients(_ node: YNode, context: String, workflows: [String]?) -> [Route.Recipient] {
        let items = node.items ?? [node]
        var out: [Route.Recipient] = []
        var bad = false
        for item in items {
            if let t = item.text {
                if let mb = mailbox(t, at: item.position, context: context) { out.append(.address(mb)) } else { bad = true }
                continue
            }
            guard
                let m = MappingReader(
                    item, sink: sink, context: "a recipient of \(context)", allowed: ["list", "field", "name_field", "address"])
            else {
                bad = true
                continue
            }
            let given = ["list", "field", "address"].filter { m[$0] != nil }
            guard given.count == 1 else {
                sink.error(item.position, "a recipient of \(context) needs exactly one of 'list', 'field' or 'address'")
                bad = true
                continue
            }
            if let l = m.string("list") {
                if lists[l] == nil {
                    if !broken.contains("list:" + l) {
                        sink.error(m["list"]!.position, "unknown recipient list '\(l)' in \(context)\(didYouMean(l, lists.keys.sorted()))")
                    }
                    bad = true
                } else {
                    checkGroups(at: m["list"]!.position, context: context, workflows: workflows)
                    out.append(.list(l))
                }
            } else if let f = m.string("field") {
                let nameField = m.string("name_field")
                var fieldOK = checkField(f, at: m["field"]!.position, context: context, workflows: workflows)
                if let nf = nameField {
                    fieldOK = checkField(nf, at: m["name_field"]!.position, context: context, workflows: workflows) && fieldOK
                }
                if fieldOK { out.append(.field(f, nameField: nameField)) } else { bad = true }
            } else if let a = m.string("address") {
                if let mb = mailbox(a, at: m["address"]!.position, context: context) { out.append(.address(mb)) } else { bad = true }
            } else {
                bad = true
            }
        }
        if items.isEmpty { sink.error(node.position, "'to' of \(context) is empty") }
        return bad ? [] : out
    }

    func mailbox(_ text: String, at p: Position, context: String) -> Mailbox? {
        switch Mailbox.parse(text) {
        case .success(let m): return m
        case .failure(let e):
            sink.error(p, "recipient of \(context): \(e.reason)")
            return nil
        }
    }

    /// The workflows a route can match, when they are known.
    func matched(_ workflows: [String]?) -> [WorkflowDefinition] {
        guard let definitions else { return [] }
        return (workflows ?? definitions.order).compactMap { definitions.workflow($0) }
    }

    /// A field recipient must be a field of every workflow the route names (of some workflow when it names none).
    func checkField(_ f: String, at p: Position, context: String, workflows: [String]?) -> Bool {
        let defs = matched(workflows)
        guard definitions != nil else { return true }
        if workflows != nil {
            for d in defs where d.field(f) == nil {
                sink.error(p, "'\(f)' in \(context) is not a field of workflow '\(d.id)'\(didYouMean(f, d.fields.map(\.name)))")
                return false
            }
            return true
        }
        if !defs.contains(where: { $0.field(f) != nil }) {
            sink.error(p, "'\(f)' in \(context) is not a field of any workflow\(didYouMean(f, defs.flatMap { $0.fields.map(\.name) }))")
            return false
        }
        return true
    }

    /// List recipients are picked by the record's group: warn when a named workflow has no `group_by`.
    func checkGroups(at p: Position, context: String, workflows: [String]?) {
        guard let workflows else { return }
        for d in matched(workflows) where d.groupBy == nil {
            sink.warning(p, "workflow '\(d.id)' has no group_by: the list recipients of \(context) never match its records")
        }
    }
}
