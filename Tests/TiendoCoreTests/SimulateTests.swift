import Testing

@testable import TiendoCore

/// `tiendoctl simulate` runs the real step function: its records equal driving `Engine` by hand.
@Suite struct SimulateTests {
    static let yaml = """
        tiendo: 1
        title: Mùa xét duyệt
        fields:
          chi_bo: {type: text, required: true}
          ngay: {type: date, required: true}
          diem: {type: integer, min: 0, max: 100}
        group_by: chi_bo
        reminders:
          at: "07:30"
          before: [7d, 1d]
        initial: cho
        states:
          cho:
            deadline:
              due: ngay + 30wd
              remind: [10wd, 3wd, 1d, 4h]
              overdue: {repeat: 3d, escalate: {5d: err, 15d: crit}}
            after:
              - {at: ngay + 3mo, to: het-han}
            on:
              cham:
                - {if: {diem: {ge: 50}}, to: dat}
                - to: khong-dat
          khong-dat:
            deadline:
              due: entered_at + 36h
              remind: [12h]
              overdue: {repeat: 6h}
            after: {at: entered + 10d, to: cho}
            on: {cham: {to: dat, if: {diem: {ge: 50}}}}
          dat: {final: true}
          het-han: {final: true}
        milestones:
          ho-so:
            title: Nộp hồ sơ
            due: ngay + 14d at 17:00
            roll: forward
            overdue: {repeat: 1w}
          ky:
            title: Ký biên bản
            due: ngay + 1mo
            requires: [ho-so]
            overdue: {repeat: 5d}
        limits:
          - {state: dat, max: 50%, of: [dat, khong-dat]}
        """

    struct Season {
        var def: WorkflowDefinition
        var planned: [Simulator.Planned]
        var events: [SimulatedEvent]
    }

    static func season() throws -> Season {
        let def = try Fixtures.workflow("mua", yaml)
        var planned: [Simulator.Planned] = []
        var events: [SimulatedEvent] = []
        for i in 0..<30 {
            let ngay = day("2026-01-05").adding(days: i * 12)
            let started = def.zone.instant(ngay.adding(days: -20), TimeOfDay(hour: 8, minute: i))
            let data = try def.data([("chi_bo", .string(["A", "B", "C"][i % 3])), ("ngay", .string(ngay.iso))])
            let key = "hs-\(i)"
            planned.append(Simulator.Planned(workflow: def, key: key, started: started, data: data))
            func ev(_ d: Int, _ hour: Int, _ event: String, _ data: [(String, JSON)]) {
                let t = def.zone.instant(ngay.adding(days: d), TimeOfDay(hour: hour, minute: 0))
                events.append(SimulatedEvent(at: t, instance: "mua/\(key)", event: event, data: data, line: events.count + 1))
            }
            if i % 5 == 0 { ev(2, 9, "done", [("milestone", .string("ky"))]) }  // before ho-so: rejected
            if i % 4 == 0 { ev(10, 10, "done", [("milestone", .string("ho-so"))]) }
            if i % 8 == 0 { ev(20, 11, "done", [("milestone", .string("ky"))]) }
            if i % 3 == 0 { ev(5, 14, "cham", [("diem", .int((i * 17) % 100))]) }
            if i % 3 == 1 { ev(25, 15, "cham", [("diem", .int(90))]) }
            if i % 6 == 0 { ev(40, 9, "cham", [("diem", .int(75))]) }  // rejected in a final state, or accepted from khong-dat
        }
        return Season(def: def, planned: planned, events: events)
    }

    /// Drives the engine directly: global time order; at one instant starts, then wake-ups in start order, then
    /// events in file order.
    static func drive(_ s: Season, from: Instant, until: Instant) -> [Record] {
        let engine = Engine(s.def)
        let counter = ListCounter()
        let starts = s.planned.sorted { $0.started < $1.started }
        let events = s.events.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        var index: [String: Int] = [:]
        var wake: [Instant?] = []  // nextWakeup of each instance, refreshed whenever it changes
        var si = 0
        var ei = 0
        var out: [Record] = []
        while true {
            var next = Instant.distantFuture
            if si < starts.count { next = min(next, max(starts[si].started, from)) }
            if ei < events.count { next = min(next, max(events[ei].at, from)) }
            for t in wake { if let t { next = min(next, t) } }
            guard next <= until else { break }
            while si < starts.count, max(starts[si].started, from) <= next {
                let p = starts[si]
                si += 1
                if case .success(let (inst, rs)) = engine.start(
                    instanceID: "mua/\(p.key)", data: p.data, at: p.started, now: next, counter: counter)
                {
                    index[inst.id] = counter.instances.count
                    counter.instances.append(inst)
                    wake.append(engine.nextWakeup(inst))
                    out += rs
                }
            }
            for i in counter.instances.indices {
                if let t = wake[i], t <= next {
                    out += engine.advance(&counter.instances[i], to: next)
                    wake[i] = engine.nextWakeup(counter.instances[i])
                }
            }
            while ei < events.count, max(events[ei].at, from) <= next {
                let e = events[ei]
                ei += 1
                guard let i = index[e.instance] else { continue }
                var inst = counter.instances[i]
                switch engine.send(&inst, event: e.event, data: e.data, at: next, actor: nil, counter: counter) {
                case .success(let rs): out += rs
                case .failure(let err): if let r = err.record { out.append(r) }
                }
                counter.instances[i] = inst
                wake[i] = engine.nextWakeup(inst)
            }
        }
        return out
    }

    @Test("Simulator.run produces exactly the records of the step function driven by hand")
    func simulateEqualsEngine() throws {
        let s = try Self.season()
        let from = at("2025-12-01T00:00")
        let until = at("2027-06-30T23:59")
        let (records, problems) = Simulator().run(from: from, until: until, planned: s.planned, events: s.events)
        #expect(problems.isEmpty, "\(problems)")
        let expected = Self.drive(s, from: from, until: until)
        let a = records.map { $0.json.serialized() }
        let b = expected.map { $0.json.serialized() }
        #expect(a.count == b.count)
        if let i = a.indices.first(where: { $0 < b.count && a[$0] != b[$0] }) {
            Issue.record("first difference at record \(i):\n simulate: \(a[i])\n engine:   \(b[i])")
        }
        // The season exercises every kind of record simulate can produce (never `rescheduled`: format §10
        // "Calendar changes", rule 6; never `undone`, an operator's undo in the daemon).
        let kinds = Dictionary(grouping: records, by: \.kind).mapValues(\.count)
        for k in Record.Kind.allCases where k != .rescheduled && k != .undone { #expect((kinds[k] ?? 0) > 0, "no \(k.rawValue) record") }
        #expect(kinds[.rescheduled] == nil)
        #expect(records.filter { $0.kind == .started }.count == 30)
        #expect(records.contains { $0.kind == .rejected && $0.message.contains("vượt giới hạn") })
        #expect(records.contains { $0.kind == .overdue && $0.priority == 2 })
        // Nothing is late on a virtual clock that jumps from one due instant to the next.
        #expect(records.allSatisfy { $0.late == nil })
        // Every record reads back from its JSON (history, watch) to the same JSON.
        #expect(records.allSatisfy { Record(json: $0.json)?.json == $0.json })
    }

    @Test("Simulator starting after the instances' start dates catches up like the engine")
    func simulateLateStart() throws {
        let s = try Self.season()
        let from = at("2026-06-01T00:00")
        let until = at("2026-12-31T00:00")
        let (records, _) = Simulator().run(from: from, until: until, planned: s.planned, events: s.events)
        let expected = Self.drive(s, from: from, until: until)
        #expect(records.map { $0.json.serialized() } == expected.map { $0.json.serialized() })
        #expect(records.contains { ($0.late ?? 0) > 0 })
    }

    @Test("simulate event lines: both forms parse, bad lines are reported with their line numbers")
    func eventLines() {
        let text = """
            {"at": "2026-03-01T08:00", "instance": "mua/hs-1", "event": "cham", "data": {"diem": 60}}

            {"at": "2026-03-02T08:00+07:00", "instance": "mua/hs-1", "milestone": "ho-so"}
            {"at": "hôm qua", "instance": "mua/hs-1", "event": "cham"}
            {"at": "2026-03-02T08:00", "instance": "mua/hs-1"}
            not json
            """
        switch SimulatedEvent.parse(jsonLines: text, file: "ev.jsonl", zone: .vietnam) {
        case .success: Issue.record("bad lines accepted")
        case .failure(let list): #expect(list.items.map(\.line) == [4, 5, 6])
        }
        let good = SimulatedEvent.parse(
            jsonLines: text.split(separator: "\n").prefix(2).joined(separator: "\n"), file: "ev.jsonl", zone: .vietnam)
        guard case .success(let evs) = good else {
            Issue.record("good lines refused")
            return
        }
        #expect(evs.map(\.event) == ["cham", "done"])
        #expect(evs[1].at == at("2026-03-02T08:00"))
        #expect(evs[1].data.first?.1 == .string("ho-so"))
    }
}
