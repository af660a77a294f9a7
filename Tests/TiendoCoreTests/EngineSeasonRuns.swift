import Foundation

@testable import TiendoCore

extension EngineSeason {
    /// The daemon's way: every instance of one workflow, advanced at its wake-ups in time order, with its operator
    /// events, downtimes and reloads. One section per instance. `events` collects what was sent, for `simulated`.
    static func live(_ w: Workload, events: inout [SimulatedEvent]) -> [Section] {
        let (def, rows, from, until) = (w.def, w.rows, w.from, w.until)
        let engine = Engine(def)
        let counter = ListCounter()
        var insts: [Instance?] = Array(repeating: nil, count: rows.count)
        var lines: [[String]] = Array(repeating: [], count: rows.count)
        var rngs = rows.indices.map { Rng("\(def.id)/\(rows[$0].key ?? String($0))") }
        var scheduled: [Instant?] = Array(repeating: nil, count: rows.count)
        var asleepUntil: [Instant?] = Array(repeating: nil, count: rows.count)
        // (time, kind: 0 start, 1 wake-up, 2 operator, row): a sorted agenda, small enough for a plain array.
        var agenda: [(Int64, Int, Int)] = []
        func add(_ t: Instant, _ kind: Int, _ i: Int) {
            let item = (t.seconds, kind, i)
            let at = agenda.firstIndex { ($0.0, $0.1, $0.2) > item } ?? agenda.count
            agenda.insert(item, at: at)
        }
        func schedule(_ i: Int) {
            scheduled[i] = insts[i].flatMap { wakeup(engine, $0) }
            if let t = scheduled[i], t <= until { add(t, 1, i) }
        }
        for (i, r) in rows.enumerated() {
            add(max(r.started ?? from, from), 0, i)
            let span = Int(until.seconds - from.seconds) / 60
            for _ in 0..<8 { add(from.adding(seconds: Int64(rngs[i].below(span)) * 60), 2, i) }
        }
        while !agenda.isEmpty {
            let (seconds, kind, i) = agenda.removeFirst()
            let t = Instant(seconds: seconds)
            let id = "\(def.id)/\(rows[i].key ?? String(i + 1))"
            switch kind {
            case 0:
                counter.instances = insts.compactMap { $0 }
                let r = rows[i]
                switch engine.start(instanceID: id, data: r.data, at: r.started ?? from, now: t, counter: counter) {
                case .success(let (inst, rs)):
                    insts[i] = inst
                    lines[i] += ["start @\(seconds)"] + rs.map(text)
                case .failure(let err):
                    lines[i] += ["start @\(seconds) ! \(err)"]
                }
            case 1:
                guard var inst = insts[i], scheduled[i] == t else { continue }
                if let sleep = asleepUntil[i], sleep > t {
                    scheduled[i] = sleep
                    add(sleep, 1, i)
                    continue
                }
                lines[i].append("advance @\(seconds)")
                lines[i] += engine.advance(&inst, to: t).map(text)
                insts[i] = inst
            default:
                guard var inst = insts[i] else { continue }
                let roll = rngs[i].below(100)
                if roll < 20 { inst = reloaded(inst) }
                if roll >= 90 {
                    let sleep = t.adding(seconds: Int64(1 + rngs[i].below(45)) * 86_400)
                    asleepUntil[i] = sleep
                    lines[i].append("down @\(seconds) until \(sleep.seconds)")
                    insts[i] = inst
                    continue
                }
                asleepUntil[i] = nil
                let (name, data) = event(def, engine, inst, now: t, &rngs[i])
                events.append(SimulatedEvent(at: t, instance: id, event: name, data: data, line: events.count + 1))
                lines[i].append("send @\(seconds) \(name) \(JSON.object(data).serialized())")
                counter.instances = insts.compactMap { $0 }
                lines[i] += outcome(engine.send(&inst, event: name, data: data, at: t, actor: 1000, counter: counter))
                insts[i] = inst
            }
            guard let inst = insts[i] else { continue }
            schedule(i)
            lines[i].append(snapshot(engine, inst, now: t, next: scheduled[i], full: kind != 1))
        }
        return rows.indices.map { i in Section(name: "live \(def.id)/\(rows[i].key ?? String(i + 1))", lines: lines[i]) }
    }

    /// `tiendoctl plan` for the first rows of each example file (and its defaults), two years from their start.
    static func plans(_ w: Workload) -> [Section] {
        var out: [Section] = []
        let def = w.def
        for (n, r) in w.rows.prefix(4).enumerated() {
            let start = r.started ?? w.from.adding(seconds: Int64(n) * 3_600)
            let records = Planner.plan(def, data: r.data, start: start, until: def.zone.date(of: start).adding(days: 730))
            out.append(Section(name: "plan \(def.id) #\(n)", lines: records.map(text)))
        }
        return out
    }

    /// `tiendoctl simulate` on every example instance with the events the live run sent.
    static func simulated(_ ws: [Workload], events: [SimulatedEvent], name: String) -> Section {
        var planned: [Simulator.Planned] = []
        for w in ws {
            for (i, r) in w.rows.enumerated() {
                planned.append(Simulator.Planned(workflow: w.def, key: r.key ?? String(i + 1), started: r.started ?? w.from, data: r.data))
            }
        }
        let ids = Set(ws.map(\.def.id))
        let mine = events.filter { ids.contains(String($0.instance.prefix { $0 != "/" })) }
        let (records, problems) = Simulator().run(from: ws[0].from, until: ws[0].until, planned: planned, events: mine)
        return Section(name: name, lines: records.map(text) + problems.map { "! \($0)" })
    }

    /// The shipped calendar with an illustrative official 2027 list in place of its projected one (format §10
    /// "Calendar changes"): the days the rules give (Tết 05/02, 08–11/02; Quốc khánh 01–02/09), not the precedent the
    /// file projects (04–05/02, 08–10/02; 02–03/09), so dues counted over 2027 move.
    static func calendarWith2027(_ shipped: WorkCalendar) -> WorkCalendar? {
        guard let bytes = FileManager.default.contents(atPath: shipped.file), var text = String(data: bytes, encoding: .utf8),
            let projected = text.range(of: "\n  2027:\n")
        else { return nil }
        // The projected year is the file's last entry.
        text = String(text[..<projected.lowerBound])
        text += """

              2027:
                source: "Thông báo lịch nghỉ năm 2027 (ví dụ minh họa)"
                off: [2027-01-01, 2027-02-05, 2027-02-08..2027-02-11, 2027-04-16, 2027-04-30, 2027-05-03, 2027-09-01, 2027-09-02]

            """
        return WorkCalendar.parse(bytes: Array(text.utf8), file: shipped.file, id: shipped.id).0
    }

    /// Two calendar changes while instances run: the 2027 list published on 25/01/2027, withdrawn on 15/03/2027.
    static func calendarChanges(_ w: Workload) -> [Section] {
        let (def, rows) = (w.def, w.rows)
        guard let with2027 = calendarWith2027(def.calendar) else { return [Section(name: "calendar \(def.id)", lines: ["! no calendar"])] }
        let before = Engine(def)
        let after = Engine(def.with(calendar: with2027))
        let changes: [(Instant, Engine, WorkCalendar)] = [
            (at("2027-01-25T10:00"), after, def.calendar), (at("2027-03-15T09:00"), before, with2027),
        ]
        var out: [Section] = []
        // Rows spread over the file (the examples are in date order): some dues fall over Tết 2027.
        let stride = max(1, rows.count / 6)
        for (k, n) in Swift.stride(from: 0, to: rows.count, by: stride).prefix(6).enumerated() {
            // Dates moved so that the dues they give are counted over Tết 2027, started in the season. A date in 2100
            // or later is an older file's "never" (an exemption not granted, `mien_*_tu`, now left empty): moved, it
            // would end the very series the calendar change is about.
            let data = rows[n].data.mapValues { v -> Value in
                guard case .date(let d) = v, d < CivilDate(2100, 1, 1) else { return v }
                return .date((d < CivilDate(2026, 6, 1) ? CivilDate(2025, 12, 23) : CivilDate(2026, 12, 20)).adding(days: 5 * k))
            }
            let start = from.adding(seconds: Int64(n) * 86_400)
            var lines: [String] = []
            let id = "\(def.id)/\(rows[n].key ?? String(n + 1))"
            guard case .success(let (started, rs)) = before.start(instanceID: id, data: data, at: start, now: start)
            else { continue }
            var inst = started
            lines += rs.map(text)
            var engine = before
            for (t, next, previous) in changes + [(at("2027-12-31T00:00"), after, with2027)] {
                while let w = wakeup(engine, inst), w < t {
                    lines += engine.advance(&inst, to: w).map(text)
                    lines.append(snapshot(engine, inst, now: w, next: wakeup(engine, inst), full: false))
                }
                lines += engine.advance(&inst, to: t).map(text)
                guard t < at("2027-12-31T00:00") else { break }
                engine = next
                lines.append("reschedule @\(t.seconds)")
                lines += engine.reschedule(&inst, previousCalendar: previous, at: t, actor: 0).map(text)
                lines.append(snapshot(engine, inst, now: t, next: wakeup(engine, inst), full: true))
            }
            lines.append(snapshot(engine, inst, now: at("2027-12-31T00:00"), next: wakeup(engine, inst), full: true))
            out.append(Section(name: "calendar \(id)", lines: lines))
        }
        return out
    }

    /// Every section of the season, in a fixed order.
    static func transcript() -> [Section] {
        var sections: [Section] = []
        var events: [SimulatedEvent] = []
        let all = workloads()
        for w in all {
            sections += live(w, events: &events)
            sections += plans(w)
            if w.from == from { sections += calendarChanges(w) }
        }
        sections.append(simulated(all.filter { $0.from == from }, events: events, name: "simulate"))
        sections.append(simulated(all.filter { $0.from != from }, events: events, name: "simulate archive"))
        return sections
    }
}
