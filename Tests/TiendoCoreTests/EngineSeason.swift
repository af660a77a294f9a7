import Foundation

@testable import TiendoCore

/// A season of the shipped workflows through the engine, as text: the differential test's transcript. Every
/// instance of `Workflows/examples/` (and the archived election) runs from 30/11/2026 to 01/03/2028 the way the
/// daemon runs it (advanced at its wake-ups, clamped after `checkedAt`), with pseudo-random operator events chosen
/// from its current state (accepted, rejected, invalid, data that moves dues, `done` by id and by label), downtimes
/// that end in catch-up, and instances rebuilt from their stored fields as after a restart. Each record is written
/// with its JSON and its key; after each step, the instance's stored fields, its wake-up, open deadlines, deadline
/// items and milestone views. Plans, `Simulator.run` on the same events, and two calendar changes have sections too.
struct EngineSeason {
    struct Section {
        var name: String
        var lines: [String]
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let from = at("2026-11-30T07:00")
    static let until = at("2028-03-01T00:00")

    /// A workflow with its example instances and the window they run in.
    struct Workload {
        var def: WorkflowDefinition
        var rows: [InstanceRows.Row]
        var from: Instant
        var until: Instant
    }

    /// The shipped workflows over the season, then the archived election over its own months (its directory reads
    /// alone, its calendar linked).
    static func workloads() -> [Workload] {
        let shipped = Loader(searchPath: [root.appendingPathComponent("Workflows").path]).loadAll()
        let archive = Loader(searchPath: [root.appendingPathComponent("Workflows/archive").path]).loadAll()
        var out: [Workload] = []
        for id in shipped.order {
            guard let def = shipped.workflows[id] else { continue }
            let rows = rows(def, csv: root.appendingPathComponent("Workflows/examples/\(id).csv").path)
            out.append(Workload(def: def, rows: rows, from: from, until: until))
        }
        for id in archive.order {
            guard let def = archive.workflows[id] else { continue }
            let rows = rows(def, csv: root.appendingPathComponent("Workflows/archive/\(id).csv").path)
            out.append(Workload(def: def, rows: rows, from: at("2025-11-01T08:00"), until: at("2026-05-01T00:00")))
        }
        return out
    }

    static func rows(_ def: WorkflowDefinition, csv: String) -> [InstanceRows.Row] {
        guard let bytes = FileManager.default.contents(atPath: csv), let rows = try? CSV.parse(bytes: [UInt8](bytes)),
            case .success(let out) = InstanceRows.convert(rows, def: def, file: csv)
        else { return [] }
        return out
    }

    /// SplitMix64, seeded from a name (FNV-1a), so each instance's choices do not depend on the others.
    struct Rng {
        var state: UInt64
        init(_ name: String) {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            state = h
        }
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
        mutating func pick<T>(_ a: [T]) -> T? { a.isEmpty ? nil : a[below(a.count)] }
    }

    /// Through `jsonText`, the bytes history stores: the golden, recorded from `json.serialized()`, checks them.
    static func text(_ r: Record) -> String { String(decoding: r.jsonText, as: UTF8.self) + " key=" + (r.key ?? "-") }

    static func text(_ t: Instant?) -> String { t.map { String($0.seconds) } ?? "-" }

    /// What the daemon stores of an instance and its wake-up; with `full`, also what it derives at `now` (open
    /// deadlines, the deadline items and milestone views of `GetInstance`).
    static func snapshot(_ e: Engine, _ inst: Instance, now: Instant, next: Instant?, full: Bool) -> String {
        let marks = inst.marks.keys.sorted().map { "\($0)=\(inst.marks[$0]!.seconds)" }.joined(separator: ",")
        let done = inst.done.keys.sorted().map { "\($0)=\(inst.done[$0]!.seconds)" }.joined(separator: ",")
        let stored =
            "  state=\(inst.state ?? "-") entered=\(inst.enteredAt.seconds) checked=\(inst.checkedAt.seconds) "
            + "completed=\(inst.completed) next=\(text(next)) marks={\(marks)} done={\(done)} series=\(SeriesState.encode(inst.series))"
        guard full else { return stored }
        let open = e.openDeadlines(inst).map { "\($0.key)|\($0.due)|\($0.end.seconds)|\($0.provisional)" }.joined(separator: ",")
        let (deadlines, nextItem) = e.deadlines(inst, now: now)
        let views = e.milestoneViews(inst, now: now).map { $0.json(zone: e.definition.zone) }
        return stored + " open=[\(open)] deadlines=\(JSON.array(deadlines).serialized()) nextItem=\(nextItem.serialized()) "
            + "milestones=\(JSON.array(views).serialized())"
    }

    /// The instance as the daemon reads it back from its row (nothing derived survives).
    static func reloaded(_ i: Instance) -> Instance {
        Instance(
            id: i.id, workflow: i.workflow, data: i.data, state: i.state, startedAt: i.startedAt, enteredAt: i.enteredAt,
            done: i.done, completed: i.completed, digest: i.digest, marks: i.marks, checkedAt: i.checkedAt,
            series: SeriesState.decode(SeriesState.encode(i.series)))
    }

    /// The daemon's schedule: the next wake-up, never at or before `checkedAt`.
    static func wakeup(_ e: Engine, _ inst: Instance) -> Instant? {
        guard var t = e.nextWakeup(inst) else { return nil }
        if t <= inst.checkedAt { t = inst.checkedAt.adding(seconds: 1) }
        return t
    }

    /// A value for a field, sometimes of the wrong type (an invalid event) when `wrong`. A field that takes a day
    /// already come (`max: today`) gets one on or before `today`, as an officer gives it: the same draw, mirrored.
    static func value(_ f: FieldDefinition, _ rng: inout Rng, wrong: Bool, today: CivilDate) -> JSON {
        if wrong { return f.type == .text || f.type == .enumeration ? .int(7) : .string("không phải giá trị") }
        switch f.type {
        case .integer:
            let lo = Int(f.min ?? 0)
            let hi = Int(f.max ?? Double(lo + 40))
            return .int(lo + rng.below(max(1, hi - lo + 1)))
        case .number: return .double(Double(rng.below(1000)) / 10)
        case .boolean: return .bool(rng.below(2) == 0)
        case .date:
            let d = CivilDate(2026, 10, 1).adding(days: rng.below(540))
            return .string((f.notAfterToday && d > today ? today.adding(days: today.dayNumber - d.dayNumber) : d).iso)
        case .datetime:
            let t = from.adding(seconds: Int64(rng.below(400 * 24)) * 3600)
            let day = Zone.vietnam.date(of: t)
            let past = f.notAfterToday && day > today ? t.adding(seconds: Int64(today.dayNumber - day.dayNumber) * 2 * 86_400) : t
            return .string(Zone.vietnam.iso(past))
        case .enumeration: return .string(rng.pick(f.values) ?? "")
        case .text: return .string(rng.pick(["", "Lý do: chuyển công tác", "Chi bộ số 2"]) ?? "")
        }
    }

    /// One operator event chosen from the instance's state: its event name and data.
    static func event(_ def: WorkflowDefinition, _ e: Engine, _ inst: Instance, now: Instant, _ rng: inout Rng) -> (
        String, [(String, JSON)]
    ) {
        let roll = rng.below(100)
        if roll < 30, !def.milestones.isEmpty {
            let m = rng.pick(def.milestones)!
            var spec = m.id
            if m.recurrence != nil {
                let open = e.openDeadlines(inst).compactMap { $0.milestone == m.id ? $0.occurrence : nil }
                switch rng.below(4) {
                case 0: spec = m.id + "@" + (rng.pick(open) ?? "2027-02")
                case 1: spec = m.id + "@" + ["2026-12", "2027-01-15", "1999-01", "2027-13", "x"][rng.below(5)]
                default: break
                }
            } else if rng.below(8) == 0 {
                spec = m.id + "@2027-01"
            }
            return ("done", [("milestone", .string(spec))])
        }
        if roll < 36 { return (rng.pick(["khong-co-su-kien", "done"])!, []) }
        guard let s = inst.state, let st = def.state(s), let (name, branches) = rng.pick(st.on) else {
            return (rng.pick(def.states.flatMap { $0.on.map(\.event) }) ?? "khong-co-su-kien", [])
        }
        var data: [(String, JSON)] = []
        var names: [String] = []
        for b in branches {
            for c in b.conditions {
                names.append(c.field)
                if let o = c.other { names.append(o.field) }
            }
        }
        let wrong = rng.below(12) == 0
        for n in names where !data.contains(where: { $0.0 == n }) {
            guard let f = def.field(n), rng.below(6) != 0 else { continue }
            data.append((n, value(f, &rng, wrong: wrong, today: def.zone.date(of: now))))
        }
        // Sometimes the event also changes a date field: the dues that read it move silently.
        if rng.below(5) == 0, let f = rng.pick(def.fields.filter { $0.type == .date }) {
            data.append((f.name, rng.below(6) == 0 ? .null : value(f, &rng, wrong: false, today: def.zone.date(of: now))))
        }
        return (name, data)
    }

    /// Records or the refusal of one operator action, as text.
    static func outcome(_ result: Result<[Record], EngineError>) -> [String] {
        switch result {
        case .success(let rs): return rs.map(text)
        case .failure(let err): return ["! \(err)"] + (err.record.map { [text($0)] } ?? [])
        }
    }
}
