/// `follow_ups` (an extension: README "Extensions"): the record a ward opens next once a record reaches some state —
/// an admitted member's probationary year after the admission, the Party card after the recognition as full member.
/// tiendo-web offers it on the record's page, with the new record's form filled from this record's fields; nothing
/// is started by itself (the office decides, and may correct the values before saving).
public struct FollowUpDefinition: Sendable {
    /// The workflow of the record to open.
    public var workflow: String
    /// What the page's button says; nil: «Mở hồ sơ "<the workflow's title>"».
    public var title: String?
    /// States of this workflow where it is offered.
    public var when: [String]
    /// Fields of the new record filled from this record's: (target field, source field), in the file's order.
    public var copy: [(target: String, source: String)]
    /// Fields of the new record given a fixed value: (target field, value as written), in the file's order.
    public var set: [(field: String, value: String)]
    /// Where the entry begins, and where its workflow, copied and set fields are named: for the checks against the
    /// other workflows (`FollowUpDefinition.check`), made once every file is loaded.
    public var position: Position
    var workflowPosition: Position
    var targetPositions: [String: Position]

    /// Whether a record in `state` is offered this follow-up.
    public func offered(in state: String?) -> Bool { state.map(when.contains) ?? false }

    /// Against the workflows loaded with it: the target workflow exists, the fields filled are its own, a copied
    /// field's type fits, a fixed value is one the field accepts. Warnings, not errors: a workflow loads on its own,
    /// and tiendo-web leaves out what does not fit (the button, or the one field).
    public static func check(_ workflows: [String: WorkflowDefinition]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (_, source) in workflows.sorted(by: { $0.key < $1.key }) {
            for f in source.followUps {
                func warn(_ p: Position, _ m: String) {
                    out.append(Diagnostic(file: source.file, line: p.line, column: p.column, severity: .warning, message: m))
                }
                guard let target = workflows[f.workflow] else {
                    warn(
                        f.workflowPosition,
                        "'follow_ups' names workflow '\(f.workflow)', which is not loaded\(didYouMean(f.workflow, workflows.keys.sorted())): its button is not shown"
                    )
                    continue
                }
                // A field the entry fills, with where it is named; a warning and nil when the target lacks it.
                func filled(_ name: String) -> (FieldDefinition, Position)? {
                    let p = f.targetPositions[name] ?? f.position
                    guard let t = target.field(name) else {
                        warn(
                            p,
                            "'\(name)' is not a field of workflow '\(target.id)'\(didYouMean(name, target.fields.map(\.name))): it is not filled"
                        )
                        return nil
                    }
                    return (t, p)
                }
                for (name, from) in f.copy {
                    guard let (t, p) = filled(name), let s = source.field(from) else { continue }
                    if s.type == .enumeration, t.type == .enumeration, let missing = s.values.first(where: { !t.values.contains($0) }) {
                        warn(
                            p,
                            "'\(from)' may be '\(missing)', which is not a value of '\(name)' in '\(target.id)': the form leaves it empty")
                    }
                    if s.type != t.type, t.type != .text {
                        warn(
                            p,
                            "'\(from)' (\(s.type.rawValue)) is copied into '\(name)' of '\(target.id)' (\(t.type.rawValue)): the form may refuse the value"
                        )
                    }
                }
                for (name, value) in f.set {
                    guard let (t, p) = filled(name) else { continue }
                    if case .failure(let e) = target.validate(data: [(name, .string(value))], partial: true, today: nil) {
                        warn(p, "'\(value)' is not a value of '\(name)' in '\(target.id)': \(e.reason)")
                    } else if t.type == .boolean, value != "true", value != "false" {
                        warn(p, "write '\(name)' as the form sends it, true or false, not '\(value)': the form leaves it empty")
                    } else if t.type == .enumeration, !t.values.contains(value) {
                        warn(
                            p,
                            "write '\(name)' as the form sends it, one of \(t.values.joined(separator: ", ")), not '\(value)': the form leaves it empty"
                        )
                    }
                }
            }
        }
        return out
    }
}

extension WorkflowParser {
    /// `follow_ups`: a list of entries {workflow, title?, when, copy?, set?}. `copy` is a list of fields named alike in
    /// both workflows, or a mapping from the new record's field to this record's.
    mutating func parseFollowUps(_ node: YNode, fields: [FieldDefinition], states: [StateDefinition]) -> [FollowUpDefinition] {
        guard case .sequence(let items, _) = node else {
            sink.error(node.position, "'follow_ups' must be a list, found \(node.kindName)")
            return []
        }
        if items.count > DefinitionLimits.followUps {
            sink.error(
                items[DefinitionLimits.followUps].position,
                "'follow_ups' has \(items.count) entries, more than the limit of \(DefinitionLimits.followUps)")
            return []
        }
        var out: [FollowUpDefinition] = []
        let fieldNames = fields.map(\.name)
        let stateNames = states.map(\.name)
        for item in items {
            guard
                let m = MappingReader(
                    item, sink: sink, context: "an entry of 'follow_ups'", allowed: ["workflow", "title", "when", "copy", "set"])
            else { continue }
            guard let workflowNode = m.require("workflow"), let workflow = m.string("workflow"), let whenNode = m.require("when") else {
                continue
            }
            var ok = true
            if !WorkflowParser.matches(WorkflowParser.idPattern, workflow) {
                sink.error(workflowNode.position, "'\(workflow)' in 'follow_ups' is not a workflow id (^[a-z0-9][a-z0-9-]{0,62}$)")
                ok = false
            }
            let title = m.string("title").map(\.onOneLine)
            if let t = title, t.isEmpty {
                sink.error(m["title"]!.position, "the title of a follow-up must not be empty")
                ok = false
            }
            var when: [String] = []
            let listed = whenNode.scalarList(sink: sink, context: "'when' in 'follow_ups'")
            if listed?.isEmpty == true {
                sink.error(whenNode.position, "'when' in 'follow_ups' names no state: the follow-up would never be offered")
            }
            if listed?.isEmpty ?? true { ok = false }
            for (state, p) in listed ?? [] {
                guard stateNames.contains(state) else {
                    sink.error(p, "'\(state)' in 'follow_ups' is not a declared state\(didYouMean(state, stateNames))")
                    ok = false
                    continue
                }
                if !when.contains(state) { when.append(state) }
            }
            var positions: [String: Position] = [:]
            var copy: [(target: String, source: String)] = []
            var set: [(field: String, value: String)] = []
            func claim(_ target: String, _ p: Position) -> Bool {
                guard positions[target] == nil else {
                    sink.error(p, "field '\(target)' of the follow-up is filled twice")
                    ok = false
                    return false
                }
                positions[target] = p
                return true
            }
            if let c = m["copy"] {
                var pairs: [(String, String, Position, Position)] = []
                if case .mapping = c {
                    for (target, key, value) in c.namedEntries(sink: sink, context: "'copy' in 'follow_ups'") {
                        guard let source = value.text else {
                            sink.error(
                                value.position, "'copy' in 'follow_ups' maps a field to a field of this workflow, found \(value.kindName)")
                            ok = false
                            continue
                        }
                        pairs.append((target, source, key.position, value.position))
                    }
                } else {
                    for (name, p) in c.scalarList(sink: sink, context: "'copy' in 'follow_ups'") ?? [] { pairs.append((name, name, p, p)) }
                }
                for (target, source, tp, sp) in pairs {
                    guard fieldNames.contains(source) else {
                        sink.error(sp, "'\(source)' in 'copy' is not a declared field\(didYouMean(source, fieldNames))")
                        ok = false
                        continue
                    }
                    if claim(target, tp) { copy.append((target, source)) }
                }
            }
            if let s = m["set"] {
                for (target, key, value) in s.namedEntries(sink: sink, context: "'set' in 'follow_ups'") {
                    guard let v = value.text else {
                        sink.error(value.position, "the value of '\(target)' in 'set' must be a scalar, found \(value.kindName)")
                        ok = false
                        continue
                    }
                    if claim(target, key.position) { set.append((target, v)) }
                }
            }
            if ok {
                out.append(
                    FollowUpDefinition(
                        workflow: workflow, title: title, when: when, copy: copy, set: set, position: item.position,
                        workflowPosition: workflowNode.position, targetPositions: positions))
            }
        }
        return out
    }
}
