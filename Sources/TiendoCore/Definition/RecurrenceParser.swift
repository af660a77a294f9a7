/// Recurring milestones: `every`, `anchor`, `until`, `count` and `overdue.missed` (format §6, §10 "Recurring
/// milestones", rule 1). Every error names the offending node.
extension WorkflowParser {
    /// The milestone's recurrence, and whether it has `every` at all (so that its `due` is checked for `period` even
    /// when another recurrence key is wrong).
    func parseRecurrence(_ m: MappingReader, id: String) -> (Recurrence?, isRecurring: Bool) {
        let context = "milestone '\(id)'"
        guard let everyNode = m["every"] else {
            if m.keyNode("every") != nil {
                _ = m.require("every")  // present without a value
                return (nil, true)
            }
            for k in ["anchor", "until", "count"] {
                if let kn = m.keyNode(k) { sink.error(kn.position, "'\(k)' needs 'every' (\(context) is not recurring)") }
            }
            return (nil, false)
        }
        var every: Offset?
        if let t = everyNode.text, let o = Offset.parse(t) {
            if [.wd, .h, .min].contains(o.unit) {
                sink.error(everyNode.position, "'every' of \(context) cannot use '\(o.unit.rawValue)': use d, w, mo or y")
            } else if o.amount < 1 {
                sink.error(everyNode.position, "'every' of \(context) must be at least 1\(o.unit.rawValue)")
            } else if o.spanSeconds > Offset.maxSpanSeconds {
                sink.error(everyNode.position, "'every' of \(context) is more than 200 years: a typing mistake")
            } else {
                every = o
            }
        } else {
            sink.error(
                everyNode.position,
                "invalid 'every' '\(everyNode.text ?? everyNode.kindName)' of \(context): expected a number and d, w, mo or y (e.g. 1mo)")
        }
        let anchor = m.require("anchor").flatMap { dateOnly($0, key: "anchor", context: context) }
        let until = m["until"].flatMap { dateOnly($0, key: "until", context: context) }
        var count: Int?
        if let c = m["count"] {
            if let t = c.text, let n = parseInt(t), n >= 1 {
                count = n
            } else {
                sink.error(c.position, "'count' of \(context) must be an integer of at least 1, found '\(c.text ?? c.kindName)'")
            }
        }
        guard let every, let anchor, m["until"] == nil || until != nil, m["count"] == nil || count != nil else {
            return (nil, true)
        }
        // Two written dates in the wrong order (a year slipped when copying): the series would never have an
        // occurrence, and the milestone would vanish from every plan without a word.
        if let until, case .date(let end) = until.base, until.steps.isEmpty, case .date(let start) = anchor.base, anchor.steps.isEmpty,
            end < start, let node = m["until"]
        {
            sink.warning(node.position, "'until' \(end.iso) is before 'anchor' \(start.iso) of \(context): the series has no occurrence")
        }
        return (Recurrence(every: every, everyText: everyNode.text ?? every.description, anchor: anchor, until: until, count: count), true)
    }

    /// `anchor` and `until`: date expressions that give a date and do not use `period` (nor `entered`).
    func dateOnly(_ node: YNode, key: String, context: String) -> DateExpression? {
        // An `until` that reads an optional field without a default is not warned about: while the field is unset
        // the series has no end (rule 2: "each when given"), which is how a file says "until it is set" (a member
        // not exempted from dues). An anchor that reads one does leave the series inactive, and is warned about.
        let uses = optionalUses.items.count
        defer { if key == "until" { optionalUses.items.removeSubrange(uses...) } }
        guard let (e, isInstant) = expression(node, context: "'\(key)' of \(context)", allowEntered: false) else { return nil }
        if case .fieldOr(let f, _) = e.base {
            // An anchor is evaluated once, when the series begins (rule 3): a day typed later could not move what the
            // fallback gave. In `until` an unset field already means "no end yet"; a fallback would end the series.
            sink.error(node.position, "'\(f) or …' cannot be used in '\(key)' of \(context): write '\(f)' alone")
            return nil
        }
        if isInstant {
            sink.error(node.position, "'\(key)' of \(context) must give a date, not an instant")
            return nil
        }
        return e
    }

    /// `overdue.missed`: one `{count, of?, priority}` or a list of them.
    func parseMissed(_ node: YNode, context: String) -> [MissedRule] {
        var out: [MissedRule] = []
        for item in node.items ?? [node] {
            guard let m = MappingReader(item, sink: sink, context: "an entry of \(context)", allowed: ["count", "of", "priority"])
            else { continue }
            var count: Int?
            if let c = m.require("count") {
                if let t = c.text, let n = parseInt(t), n >= 1 {
                    count = n
                } else {
                    sink.error(c.position, "'count' in \(context) must be an integer of at least 1, found '\(c.text ?? c.kindName)'")
                }
            }
            var of = count
            if let o = m["of"] {
                if let t = o.text, let n = parseInt(t), let count, n >= count {
                    of = n
                } else {
                    sink.error(o.position, "'of' in \(context) must be an integer not below 'count', found '\(o.text ?? o.kindName)'")
                    of = nil
                }
            }
            var priority: Int?
            if let p = m.require("priority") {
                if let pn = p.text, WorkflowParser.escalatePriorities.contains(pn), let pv = WorkflowParser.priorities[pn] {
                    priority = pv
                } else {
                    let pn = p.text ?? p.kindName
                    sink.error(
                        p.position,
                        "invalid priority '\(pn)' in \(context)\(didYouMean(pn, WorkflowParser.escalatePriorities)): use notice, warning, err, crit or alert"
                    )
                }
            }
            if let count, let of, let priority { out.append(MissedRule(count: count, of: of, priority: priority)) }
        }
        return out
    }
}
