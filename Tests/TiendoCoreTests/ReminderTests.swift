import Testing

@testable import TiendoCore

/// Interfaces §1 timing rules and format §10 "Reminders and notices" / "Priorities".
@Suite struct ReminderTests {
    /// "kind at daysLeft priority" of records other than `started`.
    func lines(_ records: [Record]) -> [String] {
        records.filter { $0.kind != .started }.map {
            "\($0.kind.rawValue) \($0.atText) \($0.daysLeft.map(String.init) ?? "-") \($0.priority)"
        }
    }

    /// Drives an instance in live mode wake-up by wake-up until `until`, like the daemon with a punctual clock.
    func live(_ engine: Engine, data: InstanceData = [:], start: Instant, until: Instant) throws -> [Record] {
        var (inst, records) = try engine.started("x", data: data, at: start)
        while let t = engine.nextWakeup(inst), t <= until {
            let rs = engine.advance(&inst, to: t)
            #expect(!rs.isEmpty, "a wake-up at \(t) produced nothing")
            records += rs
        }
        return records
    }

    static let dateDue = """
        tiendo: 1
        title: Bầu cử
        reminders: {at: "07:30"}
        milestones:
          ubbc:
            title: Thành lập Ủy ban bầu cử ở xã, phường
            due: 2025-11-30
            remind: [7d, 2wd, 3h, 1d]
            overdue: {repeat: never}
        """

    @Test("d, wd and h offsets before a date due; the due-day reminder is a warning")
    func dateDueReminders() throws {
        let def = try Fixtures.workflow("bau-cu", Self.dateDue)
        let plan = Planner.plan(def, data: [:], start: at("2025-11-01T08:00"), until: day("2026-01-31"))
        #expect(
            lines(plan) == [
                "reminder 2025-11-23T07:30:00+07:00 7 5",
                "reminder 2025-11-27T07:30:00+07:00 3 5",  // 2wd before Sunday 30/11: Thu 27/11 (Fri 28 is the first)
                "reminder 2025-11-29T07:30:00+07:00 1 5",
                "reminder 2025-11-30T21:00:00+07:00 0 4",  // 3h before the end of the day
                "overdue 2025-12-01T07:30:00+07:00 -1 4",
            ])
        let r = try #require(plan.first { $0.kind == .reminder })
        #expect(r.due == "2025-11-30")
        #expect(r.milestone == "ubbc")
        #expect(r.instance == nil)
        #expect(r.message == "Còn 7 ngày đến hạn «Thành lập Ủy ban bầu cử ở xã, phường» (bau-cu), hạn chót 30/11/2025")
        // The live engine, woken punctually, produces the same records with nothing late.
        let rs = try live(Engine(def), start: at("2025-11-01T08:00"), until: at("2026-01-31T00:00"))
        #expect(lines(rs) == lines(plan))
        #expect(rs.allSatisfy { $0.late == nil })
    }

    @Test("d and h/min offsets before an instant due (T5: 17:00 on 01/02/2026)")
    func instantDueReminders() throws {
        let def = try Fixtures.workflow(
            "ho-so",
            """
            tiendo: 1
            title: Hồ sơ
            fields:
              ngay_bau_cu: {type: date, default: 2026-03-15}
            milestones:
              nop-ho-so:
                title: Nộp hồ sơ ứng cử
                due: ngay_bau_cu - 42d at 17:00
                remind: [1d, 30min, 2h, 1w]
            """)
        let data = try def.data([])
        let plan = Planner.plan(def, data: data, start: at("2026-01-01T08:00"), until: day("2026-03-31"))
        #expect(
            lines(plan) == [
                "reminder 2026-01-25T08:00:00+07:00 7 5",
                "reminder 2026-01-31T08:00:00+07:00 1 5",
                "reminder 2026-02-01T15:00:00+07:00 0 4",
                "reminder 2026-02-01T16:30:00+07:00 0 4",
                "overdue 2026-02-01T17:00:00+07:00 0 4",  // k = 0 at the due instant itself
            ])
        #expect(plan.dropFirst().allSatisfy { $0.due == "2026-02-01T17:00:00+07:00" })
        #expect(plan[3].message.contains("còn 2 giờ"))
    }

    @Test("reminders scheduled before the instance started are not sent")
    func beforeStartDropped() throws {
        let def = try Fixtures.workflow("bau-cu", Self.dateDue)
        let plan = Planner.plan(def, data: [:], start: at("2025-11-27T07:30"), until: day("2026-01-31"))
        // 7d is before the start; 2wd is exactly at the start and is kept.
        #expect(
            lines(plan).map { String($0.split(separator: " ")[1]) } == [
                "2025-11-27T07:30:00+07:00", "2025-11-29T07:30:00+07:00", "2025-11-30T21:00:00+07:00", "2025-12-01T07:30:00+07:00",
            ])
        let rs = try live(Engine(def), start: at("2025-11-27T07:31"), until: at("2026-01-31T00:00"))
        #expect(lines(rs).count == 3)
        #expect(rs.allSatisfy { $0.late == nil })
    }

    @Test("a state's reminders scheduled before it was entered are not sent")
    func beforeEnteredDropped() throws {
        let def = try Fixtures.workflow(
            "xet",
            """
            tiendo: 1
            title: Xét
            initial: cho
            states:
              cho:
                on: {nop: xet}
              xet:
                deadline:
                  due: 2026-03-10
                  remind: [10d, 1d]
                on: {xong: xong}
              xong: {final: true}
            """)
        let engine = Engine(def)
        var (inst, _) = try engine.started("x", data: [:], at: at("2026-02-01T09:00"))
        #expect(engine.nextWakeup(inst) == nil)
        guard case .success(let rs) = engine.send(&inst, event: "nop", data: [], at: at("2026-03-05T10:00"), actor: 1000, counter: nil)
        else {
            Issue.record("event refused")
            return
        }
        #expect(rs.map(\.kind) == [.transition])
        #expect(rs[0].actor == 1000)
        // 10d (28/02) was before the state was entered: skipped; 1d (09/03) is next.
        #expect(engine.nextWakeup(inst) == at("2026-03-09T08:00"))
        let later = engine.advance(&inst, to: at("2026-03-09T08:00"))
        #expect(lines(later) == ["reminder 2026-03-09T08:00:00+07:00 1 5"])
        #expect(later[0].state == "xet")
    }

    static func defaults(_ milestoneB: String) -> String {
        """
        tiendo: 1
        title: Mặc định
        reminders:
          at: "09:15"
          before: [1d, 3d]
        milestones:
          a:
            title: A
            due: 2026-03-10
          b:
            title: B
            due: 2026-03-10
        \(milestoneB)
        """
    }

    @Test("a missing 'remind' means reminders.before; a present 'remind: []' disables it")
    func defaultRemind() throws {
        let def = try Fixtures.workflow("mac-dinh", Self.defaults("    remind: []"))
        let plan = Planner.plan(def, data: [:], start: at("2026-03-01T00:00"), until: day("2026-03-31"))
        let reminders = plan.filter { $0.kind == .reminder }
        #expect(reminders.map { "\($0.milestone!) \($0.atText)" } == ["a 2026-03-07T09:15:00+07:00", "a 2026-03-09T09:15:00+07:00"])
        #expect(plan.filter { $0.kind == .overdue }.map(\.milestone) == ["a", "b"])
        let def2 = try Fixtures.workflow("mac-dinh", Self.defaults("    remind: [2h]"))
        let plan2 = Planner.plan(def2, data: [:], start: at("2026-03-01T00:00"), until: day("2026-03-31"))
        #expect(plan2.filter { $0.kind == .reminder && $0.milestone == "b" }.map(\.atText) == ["2026-03-10T22:00:00+07:00"])
    }

    @Test("daysLeft is the local date of the due minus the local date of the record")
    func daysLeft() throws {
        let def = try Fixtures.workflow(
            "ngay",
            """
            tiendo: 1
            title: Ngày
            reminders: {at: "23:30"}
            milestones:
              m:
                title: M
                due: 2026-03-10 at 01:00
                remind: [2d, 1h]
                overdue: {repeat: 1d}
            """)
        let plan = Planner.plan(def, data: [:], start: at("2026-03-01T00:00"), until: day("2026-03-31"))
        // 2d -> 08/03 23:30 (2 days left); 1h -> 10/03 00:00 (0); overdue k = 0 at 01:00 on the due day (0).
        #expect(
            lines(plan) == [
                "reminder 2026-03-08T23:30:00+07:00 2 5", "reminder 2026-03-10T00:00:00+07:00 0 4", "overdue 2026-03-10T01:00:00+07:00 0 4",
            ])
        #expect(plan[2].message == "Hôm nay đến hạn «M» (ngay), còn 1 giờ, hạn chót 01:00 ngày 10/03/2026")
        // The evening before an instant due just after midnight: a day by the dates, hours by the clock.
        #expect(
            Messages.reminder(title: "M", instance: "ngay", daysLeft: 1, dueText: "01:00 ngày 10/03/2026", secondsLeft: 3 * 3600)
                == "Ngày mai đến hạn «M» (ngay), còn 3 giờ, hạn chót 01:00 ngày 10/03/2026")
        #expect(
            Messages.reminder(title: "M", instance: "ngay", daysLeft: 1, dueText: "10/03/2026", secondsLeft: 90_000)
                == "Còn 1 ngày đến hạn «M» (ngay), hạn chót 10/03/2026")
    }
}

/// Interfaces §1 overdue notices, repeat and escalation.
@Suite struct OverdueTests {
    func workflow(due: String, overdue: String, at remindAt: String = "08:00") throws -> WorkflowDefinition {
        try Fixtures.workflow(
            "qua-han",
            """
            tiendo: 1
            title: Quá hạn
            reminders: {at: "\(remindAt)"}
            milestones:
              m:
                title: Việc
                due: \(due)
                remind: []
                overdue: \(overdue)
            """)
    }

    /// The overdue notices of a punctual live run: "at daysLeft priority".
    func notices(_ def: WorkflowDefinition, start: Instant = at("2026-01-01T00:00"), until: Instant) throws -> [String] {
        let engine = Engine(def)
        var (inst, _) = try engine.started("x", data: [:], at: start)
        var out: [String] = []
        while let t = engine.nextWakeup(inst), t <= until {
            for r in engine.advance(&inst, to: t) {
                #expect(r.kind == .overdue)
                #expect(r.late == nil)
                out.append("\(r.atText) \(r.daysLeft!) \(r.priority)")
            }
        }
        return out
    }

    @Test("date due: notice k at reminders.at on D + 1 + k days")
    func dateDueDaily() throws {
        let def = try workflow(due: "2026-03-10", overdue: "{repeat: 1d}", at: "07:45")
        #expect(
            try notices(def, until: at("2026-03-14T00:00")) == [
                "2026-03-11T07:45:00+07:00 -1 4", "2026-03-12T07:45:00+07:00 -2 4", "2026-03-13T07:45:00+07:00 -3 4",
            ])
    }

    @Test("the default repeat is one day; 'never' gives a single notice")
    func defaultAndNever() throws {
        let def = try workflow(due: "2026-03-10", overdue: "{}")
        #expect(try notices(def, until: at("2026-03-12T23:00")).count == 2)
        let never = try workflow(due: "2026-03-10", overdue: "{repeat: never}")
        #expect(try notices(never, until: at("2026-12-31T00:00")) == ["2026-03-11T08:00:00+07:00 -1 4"])
        let engine = Engine(never)
        var (inst, _) = try engine.started("x", data: [:], at: at("2026-01-01T00:00"))
        _ = engine.advance(&inst, to: at("2026-03-11T08:00"))
        #expect(engine.nextWakeup(inst) == nil)
    }

    @Test("instant due: k = 0 at T, k ≥ 1 at reminders.at on date(T) + k·R days")
    func instantDue() throws {
        let def = try workflow(due: "2026-02-01 at 17:00", overdue: "{repeat: 2d}")
        #expect(
            try notices(def, until: at("2026-02-06T00:00")) == [
                "2026-02-01T17:00:00+07:00 0 4", "2026-02-03T08:00:00+07:00 -2 4", "2026-02-05T08:00:00+07:00 -4 4",
            ])
        let weekly = try workflow(due: "2026-02-01 at 17:00", overdue: "{repeat: 1w}")
        #expect(
            try notices(weekly, until: at("2026-02-16T00:00")).map { String($0.prefix(25)) } == [
                "2026-02-01T17:00:00+07:00", "2026-02-08T08:00:00+07:00", "2026-02-15T08:00:00+07:00",
            ])
    }

    @Test("h and min repeats: notice k ≥ 1 at notice 0 + k·R")
    func hourRepeat() throws {
        let def = try workflow(due: "2026-03-10", overdue: "{repeat: 2h}")
        #expect(
            try notices(def, until: at("2026-03-11T13:00")) == [
                "2026-03-11T08:00:00+07:00 -1 4", "2026-03-11T10:00:00+07:00 -1 4", "2026-03-11T12:00:00+07:00 -1 4",
            ])
        let mins = try workflow(due: "2026-03-10 at 23:00", overdue: "{repeat: 45min}")
        #expect(
            try notices(mins, until: at("2026-03-11T00:30")).map { String($0.prefix(25)) } == [
                "2026-03-10T23:00:00+07:00", "2026-03-10T23:45:00+07:00", "2026-03-11T00:30:00+07:00",
            ])
    }

    @Test("escalation thresholds are measured from the deadline instant; the highest reached applies")
    func escalation() throws {
        // Deadline instant 2026-03-11T00:00. 3d is reached at 14/03 00:00 (notice k = 3 at 08:00), 10d on 21/03.
        let def = try workflow(due: "2026-03-10", overdue: "{repeat: 1d, escalate: {10d: crit, 3d: err, 1w: err}}")
        let n = try notices(def, until: at("2026-03-22T00:00"))
        #expect(n.count == 11)
        #expect(n.map { Int($0.split(separator: " ")[2])! } == [4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 2])
        #expect(n[3].hasPrefix("2026-03-14T08:00"))
        #expect(n[10].hasPrefix("2026-03-21T08:00"))
    }

    @Test("escalation in hours on an instant due; a larger threshold wins even with a lower priority")
    func escalationHours() throws {
        let def = try workflow(due: "2026-03-10 at 09:00", overdue: "{repeat: 3h, escalate: {6h: alert, 9h: notice}}")
        #expect(
            try notices(def, until: at("2026-03-10T21:00")) == [
                "2026-03-10T09:00:00+07:00 0 4", "2026-03-10T12:00:00+07:00 0 4", "2026-03-10T15:00:00+07:00 0 1",
                "2026-03-10T18:00:00+07:00 0 5", "2026-03-10T21:00:00+07:00 0 5",
            ])
    }

    @Test("notices stop when the milestone is done")
    func stopWhenDone() throws {
        let def = try workflow(due: "2026-03-10", overdue: "{repeat: 1d}")
        let engine = Engine(def)
        var (inst, _) = try engine.started("x", data: [:], at: at("2026-01-01T00:00"))
        _ = engine.advance(&inst, to: at("2026-03-12T09:00"))
        guard case .success(let rs) = engine.completeMilestone(&inst, milestone: "m", at: at("2026-03-12T10:00"), actor: nil) else {
            Issue.record("done refused")
            return
        }
        #expect(rs.map(\.kind) == [.milestoneDone, .completed])
        #expect(rs[0].due == "2026-03-10")
        #expect(engine.nextWakeup(inst) == nil)
        #expect(engine.advance(&inst, to: at("2026-04-01T00:00")).isEmpty)
    }
}
