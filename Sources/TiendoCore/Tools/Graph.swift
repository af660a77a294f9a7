/// `tiendoctl graph`: the state machine and milestone dependencies as Graphviz DOT or Mermaid.
public enum GraphRenderer {
    public enum Format: String, Sendable, CaseIterable { case dot, mermaid }

    public static func render(_ def: WorkflowDefinition, format: Format) -> String {
        switch format {
        case .dot: return dot(def)
        case .mermaid: return mermaid(def)
        }
    }

    static func guardText(_ conditions: [Condition], zone: Zone) -> String {
        conditions.map { $0.text(zone: zone, quoteText: true, symbols: true) }.joined(separator: " và ")
    }

    static func dotEscape(_ s: String) -> String {
        s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
    }

    static func dot(_ def: WorkflowDefinition) -> String {
        var out = "digraph \"\(dotEscape(def.id))\" {\n"
        out += "  label=\"\(dotEscape(def.title))\";\n  labelloc=t;\n  rankdir=LR;\n"
        out += "  node [shape=box, style=rounded, fontname=\"DejaVu Sans\"];\n  edge [fontname=\"DejaVu Sans\", fontsize=10];\n"
        if let initial = def.initial {
            out += "  \"__start\" [shape=point, width=0.15, label=\"\"];\n"
            out += "  \"__start\" -> \"s:\(dotEscape(initial))\";\n"
        }
        for s in def.states {
            var label = s.displayTitle == s.name ? s.name : "\(s.displayTitle)\\n(\(s.name))"
            if let d = s.deadline { label += "\\n\(deadlineLabel(s)): \(dotEscape(d.due.source))" }
            out +=
                "  \"s:\(dotEscape(s.name))\" [label=\"\(dotEscape(label).replacingAll("\\\\n", with: "\\n"))\"\(s.isFinal ? ", peripheries=2" : "")];\n"
        }
        for s in def.states {
            for (event, branches) in s.on {
                for b in branches {
                    var l = event
                    if !b.conditions.isEmpty { l += " [\(guardText(b.conditions, zone: def.zone))]" }
                    out += "  \"s:\(dotEscape(s.name))\" -> \"s:\(dotEscape(b.to))\" [label=\"\(dotEscape(l))\"];\n"
                }
            }
            for a in s.after {
                var l = "sau: \(a.at.source)"
                if !a.conditions.isEmpty { l += " [\(guardText(a.conditions, zone: def.zone))]" }
                out += "  \"s:\(dotEscape(s.name))\" -> \"s:\(dotEscape(a.to))\" [label=\"\(dotEscape(l))\", style=dashed];\n"
            }
        }
        if !def.milestones.isEmpty {
            out += "  subgraph cluster_milestones {\n    label=\"Các mốc\";\n    style=dashed;\n"
            for m in def.milestones {
                let label = "\(m.title)\\n(\(m.id))\(GraphRenderer.every(m, "\\n"))\\nhạn: \(dotEscape(m.deadline.due.source))"
                out += "    \"m:\(dotEscape(m.id))\" [shape=note, label=\"\(dotEscape(label).replacingAll("\\\\n", with: "\\n"))\"];\n"
            }
            for m in def.milestones {
                for r in m.requires { out += "    \"m:\(dotEscape(r))\" -> \"m:\(dotEscape(m.id))\";\n" }
            }
            out += "  }\n"
        }
        out += "}\n"
        return out
    }

    /// A node id Mermaid accepts, one per name: letters and digits as they are, `-` as `_d`, `_` as `_u`, anything
    /// else by its code. Both `-` and `_` once became `_`, so states `a-b` and `a_b` were drawn as one node with a
    /// false loop (audit, 07/12/2026).
    static func mermaidID(_ prefix: String, _ name: String) -> String {
        var out = prefix + "_"
        for u in name.unicodeScalars {
            if u == "-" {
                out += "_d"
            } else if u == "_" {
                out += "_u"
            } else if u.properties.isAlphabetic || ("0"..."9").contains(u) {
                out.unicodeScalars.append(u)
            } else {
                out += "_x" + String(u.value, radix: 16) + "_"
            }
        }
        return out
    }

    static func mermaidText(_ s: String) -> String {
        "\"" + s.replacingAll("\"", with: "#quot;") + "\""
    }

    /// «hạn», or with the task its deadline names (`deadline.title`): «hạn «Chi bộ tổ chức lễ kết nạp»».
    static func deadlineLabel(_ s: StateDefinition) -> String { s.deadlineTitle.map { "hạn «\($0)»" } ?? "hạn" }

    static func mermaid(_ def: WorkflowDefinition) -> String {
        // The front matter is YAML: the title quoted («[Lưu trữ] Bầu cử…» or a `: ` in it made it invalid).
        var out = "---\ntitle: \(JSON.string(def.title).serialized())\n---\nflowchart LR\n"
        if let initial = def.initial {
            out += "  start((\" \")) --> \(mermaidID("s", initial))\n"
        }
        for s in def.states {
            var label = s.displayTitle == s.name ? s.name : "\(s.displayTitle)<br/>(\(s.name))"
            if let d = s.deadline { label += "<br/>\(deadlineLabel(s)): \(d.due.source)" }
            let id = mermaidID("s", s.name)
            out += s.isFinal ? "  \(id)(((\(mermaidText(label)))))\n" : "  \(id)(\(mermaidText(label)))\n"
        }
        for s in def.states {
            for (event, branches) in s.on {
                for b in branches {
                    var l = event
                    if !b.conditions.isEmpty { l += " [\(guardText(b.conditions, zone: def.zone))]" }
                    out += "  \(mermaidID("s", s.name)) -->|\(mermaidText(l))| \(mermaidID("s", b.to))\n"
                }
            }
            for a in s.after {
                var l = "sau: \(a.at.source)"
                if !a.conditions.isEmpty { l += " [\(guardText(a.conditions, zone: def.zone))]" }
                out += "  \(mermaidID("s", s.name)) -.->|\(mermaidText(l))| \(mermaidID("s", a.to))\n"
            }
        }
        if !def.milestones.isEmpty {
            out += "  subgraph milestones [\"Các mốc\"]\n"
            for m in def.milestones {
                let every = GraphRenderer.every(m, "<br/>")
                out += "    \(mermaidID("m", m.id))[\(mermaidText("\(m.title)<br/>(\(m.id))\(every)<br/>hạn: \(m.deadline.due.source)"))]\n"
            }
            for m in def.milestones {
                for r in m.requires { out += "    \(mermaidID("m", r)) --> \(mermaidID("m", m.id))\n" }
            }
            out += "  end\n"
        }
        return out
    }

    /// A recurring milestone's period in a node label, as people say it: `hằng tháng từ 01/01/2027` after
    /// `separator` (an anchor counted from a field as written: `mỗi 3 tháng từ ngay_ket_nap`); "" for one-shot.
    static func every(_ m: MilestoneDefinition, _ separator: String) -> String {
        guard let r = m.recurrence else { return "" }
        let from: String
        if case .date(let d) = r.anchor.base, r.anchor.steps.isEmpty, r.anchor.at == nil {
            from = d.vietnamese
        } else {
            from = r.anchor.source
        }
        return "\(separator)\(Messages.every(r.everyText)) từ \(from)"
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
