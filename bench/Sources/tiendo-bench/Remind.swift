import Foundation
import TiendoCore

/// Remind (Debian package `remind`) asked "what is due on day D" for the same deadlines as the daemon holds, with
/// the same working-day calendar: one REM line per deadline of every instance (dang-vien-du-bi: the chi bộ's
/// consideration deadline, warned 10 working days ahead like the workflow's first reminder; thi-dua: its current
/// state's deadline; bau-cu-xvi-2026: every milestone; those two warned 14 calendar days ahead), and one OMIT line per
/// non-working day of the `vn` calendar (weekends, holidays and compensatory days off, but not the make-up working
/// Saturdays), so `+10` counts exactly the working days the engine counts.
final class RemindComparison {
    static let day = CivilDate(2025, 11, 3)
    static let dayText = "03/11/2025"
    let remind: String
    let definitions: [String: WorkflowDefinition]

    init(remind: String, definitions: [String: WorkflowDefinition]) {
        self.remind = remind
        self.definitions = definitions
    }

    static func remDate(_ d: CivilDate) -> String { d.iso }

    /// Deadlines of one instance known from its data: (due date, warning, title).
    static func deadlines(_ def: WorkflowDefinition, _ data: InstanceData, started: Instant) -> [(CivilDate, String, String)] {
        let field: (String) -> DateValue? = { name in
            switch data[name] {
            case .date(let d): return .date(d)
            case .datetime(let t): return .instant(t)
            default: return nil
            }
        }
        func date(_ dl: Deadline) -> CivilDate? {
            guard let v = dl.due.evaluate(zone: def.zone, calendar: def.calendar, startedAt: started, enteredAt: started, fieldValue: field)
            else { return nil }
            switch v {
            case .date(let d): return dl.roll == .none ? d : def.calendar.roll(d, forward: dl.roll == .forward)
            case .instant(let t): return def.zone.date(of: t)
            }
        }
        func warning(_ dl: Deadline) -> String {
            // The largest reminder offset: working days count only working days (Remind's "+"), calendar days all ("++").
            let offsets = dl.remind.isEmpty ? def.defaultRemind : dl.remind
            guard let o = offsets.first else { return "" }
            switch o.unit {
            case .wd: return "+\(o.amount)"
            case .w: return "++\(7 * o.amount)"
            default: return "++\(o.amount)"
            }
        }
        var out: [(CivilDate, String, String)] = []
        if !def.milestones.isEmpty {
            for m in def.milestones { if let d = date(m.deadline) { out.append((d, warning(m.deadline), m.title)) } }
        }
        // The first state in declaration order that has a deadline (thi-dua: the pledge, where the data set's records,
        // their «Theo dõi từ bước» left at its default, go at their start).
        if let st = def.states.first(where: { $0.deadline != nil }), let dl = st.deadline, let d = date(dl) {
            out.append((d, warning(dl), st.displayTitle))
        }
        return out
    }

    /// Writes the .rem file; returns (path, deadlines, bytes).
    func write(n: Int, dir: String) throws -> (String, Int, Int) {
        let path = "\(dir)/deadlines.rem"
        var text = "# tiendo benchmark: the deadlines of the province data set, N = \(n)\n"
        // Non-working days of the vn calendar, 2023–2028, one OMIT each (make-up Saturdays are not omitted).
        if let cal = definitions["dang-vien-du-bi"]?.calendar {
            for y in 2023...2028 {
                let days = cal.days(in: y, includeWeekends: true)
                for d in days where d.kind != .workday { text += "OMIT \(RemindComparison.remDate(d.date))\n" }
            }
        }
        let now = Dataset.t0Date
        let zone = Zone.vietnam
        var count = 0
        let typed = Dataset.typed(.province, n: n, definitions: definitions, now: zone.instant(now, TimeOfDay(hour: 9, minute: 0)))
        text.reserveCapacity(typed.count * 110)
        for t in typed {
            for (d, warn, title) in RemindComparison.deadlines(t.definition, t.data, started: t.started) {
                text += "REM \(RemindComparison.remDate(d)) \(warn) MSG \(title) (\(t.key))\n"
                count += 1
            }
        }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return (path, count, text.utf8.count)
    }

    struct Result {
        var seconds: Double
        var runs: Int
        var deadlines: Int
        var triggered: Int
        var fileBytes: Int
        var version: String
    }

    func run(n: Int, dir: String, runs: Int) throws -> Result {
        let (path, deadlines, bytes) = try write(n: n, dir: dir)
        // remind -q: do not queue timed reminders; -h: quiet; the date to ask about.
        let args = ["-q", "-h", path, "3", "Nov", "2025"]
        let count = try runProcess(remind, args)
        guard count.status == 0 else { throw BenchError("remind exited with \(count.status)") }
        let triggered = count.out.split(separator: "\n", omittingEmptySubsequences: true).filter { $0.contains("(") }.count
        var times = Samples()
        for _ in 0..<runs {
            let t = Clock.now()
            let r = try runProcess(remind, args, stdoutPath: "/dev/null")
            times.add(Clock.now() - t)
            guard r.status == 0 else { throw BenchError("remind exited with \(r.status)") }
        }
        let ver = (try? runProcess("/usr/bin/dpkg-query", ["-W", "-f", "${Version}", "remind"]).out) ?? ""
        return Result(seconds: times.percentile(50), runs: runs, deadlines: deadlines, triggered: triggered, fileBytes: bytes, version: ver)
    }
}
