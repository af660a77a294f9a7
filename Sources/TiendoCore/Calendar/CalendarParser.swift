import Foundation

/// Parses `calendars/ID.yaml` files (workflow format §7).
enum CalendarParser {
    static let weekdayNames = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]

    static func parse(bytes: [UInt8], file: String, expectedID: String) -> (WorkCalendar?, [Diagnostic]) {
        let sink = DiagnosticSink(file: file)
        let root: YNode
        do {
            root = try YAMLTree.load(bytes: bytes)
        } catch {
            if case .diagnostic(let p, let m) = error { sink.error(p, m) }
            return (nil, sink.items)
        }
        guard
            let top = MappingReader(
                root, sink: sink, context: "the calendar",
                allowed: ["tiendo", "calendar", "title", "description", "timezone", "weekend", "rules", "years"])
        else { return (nil, sink.items) }
        if let v = top.require("tiendo"), v.text != "1" {
            sink.error(v.position, "unsupported format version '\(v.text ?? v.kindName)': 'tiendo' must be 1")
        }
        var id = expectedID
        if let c = top.require("calendar"), let name = c.text {
            if name != expectedID {
                sink.error(c.position, "calendar id '\(name)' must equal the file name '\(expectedID)'")
            }
            id = name
        }
        let title = top.string("title") ?? id
        var zone = Zone.vietnam
        if let tzNode = top["timezone"], let tz = tzNode.text {
            if let z = Zone(identifier: tz) { zone = z } else { sink.error(tzNode.position, "unknown time zone '\(tz)'") }
        }
        var weekend: Set<Int> = [6, 7]
        if let w = top["weekend"], let list = w.scalarList(sink: sink, context: "'weekend'") {
            weekend = []
            for (name, p) in list {
                if let d = weekdayNames[name.lowercased()] {
                    weekend.insert(d)
                } else {
                    sink.error(
                        p,
                        "unknown weekday '\(name)'\(didYouMean(name.lowercased(), weekdayNames.keys.sorted())); use mon, tue, wed, thu, fri, sat, sun"
                    )
                }
            }
        }
        var rules: [HolidayRule] = []
        if let r = top["rules"] {
            if let items = r.items {
                for item in items {
                    if let rule = parseRule(item, sink: sink) { rules.append(rule) }
                }
            } else {
                sink.error(r.position, "'rules' must be a list, found \(r.kindName)")
            }
        }
        var years: [Int: OfficialYear] = [:]
        var yearKeys: [Int: Position] = [:]
        if let y = top["years"] {
            for (name, key, value) in y.namedEntries(sink: sink, context: "'years'") {
                guard let year = parseInt(name), (1...9999).contains(year), name.count == 4 else {
                    sink.error(key.position, "year key '\(name)' must be a four-digit year")
                    continue
                }
                guard
                    let m = MappingReader(
                        value, sink: sink, context: "year \(year)", allowed: ["source", "projected", "off", "work"])
                else { continue }
                let off = dates(m["off"], year: year, context: "'off' of \(year)", sink: sink)
                let work = dates(m["work"], year: year, context: "'work' of \(year)", sink: sink)
                let (source, projected) = status(m, year: year, key: key, sink: sink)
                years[year] = OfficialYear(off: off, work: work, source: source, projected: projected)
                yearKeys[year] = key.position
            }
        }
        if !sink.hasErrors {
            checkWorkingDays(
                weekend: weekend, weekendNode: top["weekend"], rules: rules, rulesNode: top["rules"], years: years,
                yearKeys: yearKeys, sink: sink)
        }
        if sink.hasErrors { return (nil, sink.items) }
        return (
            WorkCalendar(id: id, title: title, zone: zone, weekend: weekend, rules: rules, years: years, file: file),
            sink.items
        )
    }

    /// `source` (non-empty text; a listed year without one is warned about) and `projected` (true or false).
    static func status(_ m: MappingReader, year: Int, key: YNode, sink: DiagnosticSink) -> (String?, Bool) {
        var source: String?
        if let s = m["source"] {
            if let t = s.text, !s.isNull, !t.trimmingCharacters(in: .whitespaces).isEmpty {
                source = t
            } else {
                sink.error(s.position, "'source' of \(year) must be non-empty text citing the document that published the list")
            }
        } else {
            sink.warning(key.position, "year \(year) has no 'source': cite the document that published its list")
        }
        var projected = false
        if let p = m["projected"] {
            switch p.text {
            case "true": projected = true
            case "false": projected = false
            default: sink.error(p.position, "'projected' of \(year) must be true or false, found '\(p.text ?? p.kindName)'")
            }
        }
        return (source, projected)
    }

    static func parseRule(_ node: YNode, sink: DiagnosticSink) -> HolidayRule? {
        guard let m = MappingReader(node, sink: sink, context: "a calendar rule", allowed: ["name", "solar", "lunar", "from", "days"])
        else { return nil }
        let name = m.string("name")
        if m["name"] == nil { _ = m.require("name") }
        var anchor: HolidayRule.Anchor?
        let solar = m["solar"]
        let lunar = m["lunar"]
        if solar != nil && lunar != nil {
            sink.error(lunar!.position, "a rule has either 'solar' or 'lunar', not both")
        } else if solar == nil && lunar == nil {
            sink.error(node.position, "missing required key 'solar' or 'lunar' in a calendar rule")
        }
        if let s = solar ?? lunar {
            if let t = s.text, let (mm, dd) = monthDay(t), dd <= (solar != nil ? CivilDate.daysIn(year: 2024, month: mm) : 30) {
                anchor = solar != nil ? .solar(month: mm, day: dd) : .lunar(month: mm, day: dd)
            } else {
                sink.error(s.position, "invalid \(solar != nil ? "solar" : "lunar") date '\(s.text ?? s.kindName)': expected MM-DD")
            }
        }
        var from = 0
        if let f = m["from"] {
            if let t = f.text, let v = parseInt(t), abs(v) <= 366 {
                from = v
            } else {
                sink.error(f.position, "'from' must be an integer number of days, found '\(f.text ?? f.kindName)'")
            }
        }
        var days = 1
        if let d = m["days"] {
            if let t = d.text, let v = parseInt(t), (1...60).contains(v) {
                days = v
            } else {
                sink.error(d.position, "'days' must be an integer from 1 to 60, found '\(d.text ?? d.kindName)'")
            }
        }
        guard let name, let anchor else { return nil }
        return HolidayRule(name: name, anchor: anchor, from: from, days: days)
    }

    static func monthDay(_ t: String) -> (Int, Int)? {
        let u = Array(t.utf8)
        guard u.count == 5, u[2] == UInt8(ascii: "-"), let m = digits(u, 0, 2), let d = digits(u, 3, 2),
            (1...12).contains(m), d >= 1
        else { return nil }
        return (m, d)
    }

    /// Dates and `a..b` ranges, each date of `year` once (only those count, and a file of thousands of year-long
    /// ranges must not expand into millions of dates).
    static func dates(_ node: YNode?, year: Int, context: String, sink: DiagnosticSink) -> [CivilDate] {
        guard let node, let list = node.scalarList(sink: sink, context: context) else { return [] }
        var out: [CivilDate] = []
        let first = CivilDate(year, 1, 1).dayNumber
        var seen = [Bool](repeating: false, count: CivilDate(year, 12, 31).dayNumber - first + 1)
        func add(_ n: Int) {
            guard seen.indices.contains(n - first), !seen[n - first] else { return }
            seen[n - first] = true
            out.append(CivilDate(dayNumber: n))
        }
        for (text, p) in list {
            let parts = text.components(separatedBy: "..")
            guard parts.count <= 2 else {
                sink.error(p, "invalid date range '\(text)' in \(context): expected YYYY-MM-DD..YYYY-MM-DD")
                continue
            }
            var ds: [CivilDate] = []
            for part in parts {
                switch CivilDate.parseStrict(part.trimmingCharacters(in: .whitespaces)) {
                case .valid(let d): ds.append(d)
                case .impossible: sink.error(p, "impossible date '\(part)' in \(context)")
                case .malformed:
                    // Written day first, as people write dates: given back in the form it needs.
                    let iso = HumanDate.isoSpelling(of: String(part)).map { " ('\($0)')" } ?? ""
                    sink.error(p, "invalid date '\(part)' in \(context): expected YYYY-MM-DD\(iso)")
                }
            }
            guard ds.count == parts.count else { continue }
            if ds.count == 2 {
                guard ds[0] <= ds[1], ds[1].dayNumber - ds[0].dayNumber < 366 else {
                    sink.error(p, "invalid date range '\(text)' in \(context): the end is before the start or too far")
                    continue
                }
                let (lo, hi) = (max(ds[0].dayNumber, first), min(ds[1].dayNumber, first + seen.count - 1))
                if lo <= hi { for n in lo...hi { add(n) } }
            } else {
                add(ds[0].dayNumber)
            }
            if ds.contains(where: { $0.year != year }) {
                sink.warning(p, "date '\(text)' in \(context) is not in \(year) and is ignored")
            }
        }
        return out
    }
}
