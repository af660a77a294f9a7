import Testing

@testable import TiendoCore

/// Workflow format §4 and §10 "Expressions": date algebra, working days, `at`, the end-of-day rule and `roll`.
@Suite struct DateAlgebraTests {
    static let zone = Zone.vietnam

    /// Evaluates an expression with no fields; `started`/`entered` are given instants.
    func eval(
        _ text: String, started: Instant = at("2026-01-05T09:30"), entered: Instant = at("2026-01-05T09:30"),
        fields: [String: DateValue] = [:]
    ) throws -> DateValue {
        let e = try DateExpression.parse(text, zone: Self.zone)
        return try #require(
            e.evaluate(zone: Self.zone, calendar: Fixtures.vn, startedAt: started, enteredAt: entered) { fields[$0] })
    }

    func date(_ text: String) throws -> String {
        guard case .date(let d) = try eval(text) else {
            Issue.record("'\(text)' is not a date")
            return ""
        }
        return d.iso
    }

    func instant(_ text: String, started: Instant = at("2026-01-05T09:30")) throws -> String {
        guard case .instant(let t) = try eval(text, started: started, entered: started) else {
            Issue.record("'\(text)' is not an instant")
            return ""
        }
        return Self.zone.iso(t)
    }

    @Test("months and years clamp to the end of the month")
    func monthClamping() throws {
        #expect(try date("2026-01-31 + 1mo") == "2026-02-28")
        #expect(try date("2024-01-31 + 1mo") == "2024-02-29")
        #expect(try date("2024-02-29 + 1y") == "2025-02-28")
        #expect(try date("2024-02-29 + 4y") == "2028-02-29")
        #expect(try date("2026-03-31 - 1mo") == "2026-02-28")
        #expect(try date("2026-01-15 - 13mo") == "2024-12-15")
    }

    @Test("evaluation is strictly left to right")
    func leftToRight() throws {
        #expect(try date("2026-01-31 + 1mo + 1mo") == "2026-03-28")
        #expect(try date("2026-01-31 + 2mo") == "2026-03-31")
        #expect(try date("2026-03-15 - 105d") == "2025-11-30")  // T1
        #expect(try date("2026-03-15 - 43d") == "2026-01-31")  // T4
        #expect(try date("2026-03-15 + 2w") == "2026-03-29")
        #expect(try date("2026-03-15+10d") == "2026-03-25")  // spaces optional around '+'
        #expect(try date("2026-03-15 + 10d - 1w") == "2026-03-18")
    }

    @Test(
        "working days skip weekends and the vn holidays; the start day is not counted",
        arguments: [
            ("2026-02-10 + 30wd", "2026-03-31"),  // T15: skips Tết 16-20/02
            ("2025-12-22 + 30wd", "2026-02-03"),  // T16: skips 01/01/2026
            ("2026-04-20 + 30wd", "2026-06-04"),  // skips 27/04, 30/04, 01/05
            ("2026-02-13 + 1wd", "2026-02-23"),  // Friday before Tết -> Monday after it
            ("2026-02-14 + 1wd", "2026-02-23"),  // from a Saturday
            ("2026-02-23 - 1wd", "2026-02-13"),  // negative: back across Tết
            ("2026-03-31 - 30wd", "2026-02-10"),
            ("2026-02-22 - 1wd", "2026-02-13"),  // the result is always a working day
            ("2026-01-02 - 1wd", "2025-12-31"),  // across 01/01
        ])
    func workingDays(_ expr: String, _ expected: String) throws {
        #expect(try date(expr) == expected)
    }

    @Test("'at HH:MM' first, then h and min on the instant it makes")
    func atThenHours() throws {
        #expect(try instant("2026-02-01 at 17:00 - 2h") == "2026-02-01T15:00:00+07:00")
        #expect(try instant("2026-03-15 - 42d at 17:00 + 30min") == "2026-02-01T17:30:00+07:00")
        let e = try DateExpression.parse("2026-03-15 at 08:00 + 1d + 1h", zone: Self.zone)
        #expect(e.checkKinds(baseIsInstant: false).error == nil)
        #expect(try instant("2026-03-15 at 08:00 + 1d + 1h") == "2026-03-16T09:00:00+07:00")
        // Still refused: 'at' twice, 'at' on an instant, wd after 'at'.
        #expect(throws: DateExpression.ParseError.self) { try DateExpression.parse("2026-03-15 at 08:00 at 09:00", zone: Self.zone) }
        #expect(try DateExpression.parse("2026-03-15 at 08:00 + 1wd", zone: Self.zone).checkKinds(baseIsInstant: false).error != nil)
        #expect(try DateExpression.parse("2026-03-15T08:00 at 09:00", zone: Self.zone).checkKinds(baseIsInstant: true).error != nil)
    }

    @Test("'at HH:MM' turns a date into a local instant")
    func atTime() throws {
        #expect(try instant("2026-03-15 - 42d at 17:00") == "2026-02-01T17:00:00+07:00")  // T5
        #expect(try instant("2026-03-15 at 00:00") == "2026-03-15T00:00:00+07:00")
        #expect(try instant("2026-03-15 at 23:59") == "2026-03-15T23:59:00+07:00")
        #expect(try instant("2026-02-10 + 1wd at 07:00") == "2026-02-11T07:00:00+07:00")
    }

    @Test("instant + d|w|mo|y keeps the local time of day; h and min are exact")
    func instantArithmetic() throws {
        let s = at("2026-01-31T09:30")
        #expect(try instant("started_at + 1d", started: s) == "2026-02-01T09:30:00+07:00")
        #expect(try instant("started_at + 1mo", started: s) == "2026-02-28T09:30:00+07:00")
        #expect(try instant("started_at + 1y", started: s) == "2027-01-31T09:30:00+07:00")
        #expect(try instant("started_at - 2w", started: s) == "2026-01-17T09:30:00+07:00")
        #expect(try instant("started_at + 20h", started: s) == "2026-02-01T05:30:00+07:00")
        #expect(try instant("started_at - 45min", started: s) == "2026-01-31T08:45:00+07:00")
        #expect(try instant("2026-03-15T07:00+07:00 - 24h") == "2026-03-14T07:00:00+07:00")  // T9
        #expect(try instant("2026-03-15T00:00:00Z + 1d") == "2026-03-16T07:00:00+07:00")
        #expect(try instant("2026-03-14T07:00 + 1d - 30min") == "2026-03-15T06:30:00+07:00")
    }

    @Test("'started' and 'entered' are local dates, '_at' the instants")
    func startedEntered() throws {
        // 2026-01-05T23:30+07:00 is still 5 January locally although it is 16:30 UTC.
        let s = at("2026-01-05T23:30")
        let e = at("2026-02-02T00:10")
        #expect(try eval("started + 1d", started: s, entered: e) == .date(day("2026-01-06")))
        #expect(try eval("entered", started: s, entered: e) == .date(day("2026-02-02")))
        #expect(try eval("entered_at", started: s, entered: e) == .instant(e))
        #expect(try eval("started_at + 30min", started: s, entered: e) == .instant(at("2026-01-06T00:00")))
    }

    @Test("field bases: a date field gives a date, a datetime field an instant, an unset field nothing")
    func fieldBases() throws {
        let fields: [String: DateValue] = ["ngay": .date(day("2026-03-15")), "luc": .instant(at("2026-03-15T07:00"))]
        #expect(try eval("ngay - 95d", fields: fields) == .date(day("2025-12-10")))  // T2
        #expect(try eval("luc - 24h", fields: fields) == .instant(at("2026-03-14T07:00")))
        let e = try DateExpression.parse("khong_co + 1d", zone: Self.zone)
        #expect(
            e.evaluate(zone: Self.zone, calendar: Fixtures.vn, startedAt: at("2026-01-01"), enteredAt: at("2026-01-01")) { _ in nil } == nil
        )
    }

    @Test("'FIELD or entered': the field when set, else the instance's own date or instant (an extension)")
    func fieldOrEntered() throws {
        let s = at("2026-01-05T23:30")
        let e = at("2026-03-09T10:15")
        let fields: [String: DateValue] = ["ngay_bieu_quyet": .date(day("2026-03-02"))]
        // The resolution's day, typed: 30 working days from it (as QĐ 29 mục 4.3.1 counts), not from the day recorded.
        #expect(try eval("ngay_bieu_quyet or entered + 30wd", started: s, entered: e, fields: fields) == .date(day("2026-04-13")))
        #expect(try eval("ngay_bieu_quyet or entered + 30wd", started: s, entered: e) == .date(day("2026-04-20")))
        #expect(try eval("ngay_bieu_quyet  or\tstarted", started: s, entered: e) == .date(day("2026-01-05")))
        #expect(try eval("luc or entered_at + 2h", started: s, entered: e) == .instant(at("2026-03-09T12:15")))
        #expect(try eval("luc or started_at + 1h", started: s, entered: e) == .instant(at("2026-01-06T00:30")))
        let parsed = try DateExpression.parse("ngay_bieu_quyet or entered + 30wd", zone: Self.zone)
        #expect(
            parsed.base == .fieldOr("ngay_bieu_quyet", .entered) && parsed.field == "ngay_bieu_quyet" && parsed.steps == [Offset(30, .wd)])
        // Only the instance's own dates come after 'or'; a field named 'order' is a field, not 'or'.
        #expect(throws: DateExpression.ParseError.self) { try DateExpression.parse("ngay or ngay_khac", zone: Self.zone) }
        #expect(throws: DateExpression.ParseError.self) { try DateExpression.parse("ngay or", zone: Self.zone) }
        #expect(throws: DateExpression.ParseError.self) { try DateExpression.parse("entered or started", zone: Self.zone) }
        #expect(try DateExpression.parse("order + 1d", zone: Self.zone).base == .field("order"))
        #expect(throws: DateExpression.ParseError.self) { try DateExpression.parse("ngay orentered", zone: Self.zone) }
    }

    @Test("kind checks: h/min need an instant, wd and at need a date")
    func kindChecks() throws {
        #expect(try DateExpression.parse("2026-03-15 + 1h", zone: Self.zone).checkKinds(baseIsInstant: false).error != nil)
        #expect(try DateExpression.parse("2026-03-15T08:00 + 1h", zone: Self.zone).checkKinds(baseIsInstant: true).error == nil)
        #expect(try DateExpression.parse("started_at at 08:00", zone: Self.zone).checkKinds(baseIsInstant: true).error != nil)
        #expect(try DateExpression.parse("started_at + 1wd", zone: Self.zone).checkKinds(baseIsInstant: true).error != nil)
        #expect(try DateExpression.parse("started_at + 1d", zone: Self.zone).checkKinds(baseIsInstant: true) == (true, nil))
        #expect(try DateExpression.parse("2026-03-15 + 1wd", zone: Self.zone).checkKinds(baseIsInstant: false) == (false, nil))
    }

    @Test(
        "bad expressions are refused",
        arguments: ["2026-02-30", "2026-03-15 + 0wd", "2026-03-15 at 25:00", "2026-03-15 + 3x", "2026-03-15 at08:00", "2026-03-15 + d", ""])
    func badExpressions(_ text: String) {
        #expect(throws: DateExpression.ParseError.self) { try DateExpression.parse(text, zone: Self.zone) }
    }

    // MARK: End of day

    static let duBi = """
        tiendo: 1
        title: Kết nạp đảng viên
        fields:
          ngay_ket_nap: {type: date, required: true}
        initial: du-bi
        states:
          du-bi:
            after:
              - at: ngay_ket_nap + 12mo
                to: cho-xet
          cho-xet:
            deadline:
              due: ngay_ket_nap + 12mo + 30wd
              remind: []
            on: {cong-nhan: chinh-thuc}
          chinh-thuc: {final: true}
        """

    @Test("'after.at' with a date fires at the start of the next day (the dự bị example)")
    func afterDateFiresNextDay() throws {
        let def = try Fixtures.workflow("du-bi", Self.duBi)
        let engine = Engine(def)
        let data = try def.data([("ngay_ket_nap", .string("2025-02-10"))])
        var (inst, _) = try engine.started("a", data: data, at: at("2025-02-10T10:00"))
        #expect(engine.nextWakeup(inst) == at("2026-02-11T00:00+07:00"))
        #expect(engine.advance(&inst, to: at("2026-02-10T23:59:59")).isEmpty)
        let rs = engine.advance(&inst, to: at("2026-02-11T00:00"))
        let tr = try #require(rs.first)
        #expect(tr.kind == .transition)
        #expect(tr.atText == "2026-02-11T00:00:00+07:00")
        #expect(tr.late == nil)
        #expect(inst.state == "cho-xet")
        #expect(inst.enteredAt == at("2026-02-11T00:00"))
        // The deadline counted from the anchor: 2026-02-10 + 30wd = 2026-03-31, overdue from 2026-04-01.
        let next = engine.advance(&inst, to: at("2026-04-01T08:00"))
        #expect(next.map(\.kind) == [.overdue])
        #expect(next.first?.due == "2026-03-31")
    }

    @Test("a date due ends at the start of the next local day")
    func dateDueEndsAtMidnight() throws {
        let def = try Fixtures.workflow(
            "han",
            """
            tiendo: 1
            title: Hạn
            milestones:
              ubbc:
                title: Thành lập UBBC
                due: 2025-11-30
                remind: [1h]
            """)
        let engine = Engine(def)
        let (inst, _) = try engine.started("x", data: [:], at: at("2025-11-01T08:00"), mode: .plan)
        let a = try #require(engine.activeDeadlines(inst).first)
        #expect(def.zone.iso(a.end) == "2025-12-01T00:00:00+07:00")
        let plan = Planner.plan(def, data: [:], start: at("2025-11-01T08:00"), until: day("2025-12-31"))
        #expect(plan.map(\.atText) == ["2025-11-01T08:00:00+07:00", "2025-11-30T23:00:00+07:00", "2025-12-01T08:00:00+07:00"])
    }

    // MARK: Roll

    func rollWorkflow(_ roll: String, due: String = "2026-02-14") -> String {
        """
        tiendo: 1
        title: Roll
        reminders: {at: "08:00"}
        milestones:
          nop:
            title: Nộp
            due: \(due)
            roll: \(roll)
            remind: [1d, 1wd, 2h]
            overdue: {repeat: never}
        """
    }

    @Test("roll forward moves a Saturday due across Tết to the next working day; reminders count from it")
    func rollForward() throws {
        let def = try Fixtures.workflow("roll", rollWorkflow("forward"))
        let plan = Planner.plan(def, data: [:], start: at("2026-02-01T08:00"), until: day("2026-03-31"))
        let notices = plan.filter { $0.kind != .started }
        #expect(notices.allSatisfy { $0.due == "2026-02-23" })
        #expect(
            notices.map { "\($0.kind.rawValue) \($0.atText) \($0.daysLeft ?? 99)" } == [
                "reminder 2026-02-13T08:00:00+07:00 10",  // 1wd before Monday 23/02 is Friday 13/02
                "reminder 2026-02-22T08:00:00+07:00 1",
                "reminder 2026-02-23T22:00:00+07:00 0",
                "overdue 2026-02-24T08:00:00+07:00 -1",
            ])
    }

    @Test("roll backward moves the Saturday due to Friday 13/02")
    func rollBackward() throws {
        let def = try Fixtures.workflow("roll", rollWorkflow("backward"))
        let plan = Planner.plan(def, data: [:], start: at("2026-02-01T08:00"), until: day("2026-03-31"))
        let notices = plan.filter { $0.kind != .started }
        #expect(notices.allSatisfy { $0.due == "2026-02-13" })
        #expect(
            notices.map(\.atText) == [
                "2026-02-12T08:00:00+07:00", "2026-02-12T08:00:00+07:00", "2026-02-13T22:00:00+07:00",
                "2026-02-14T08:00:00+07:00",
            ])
    }

    @Test("roll none keeps the weekend due; a working-day due never moves")
    func rollNone() throws {
        for (roll, due, expected) in [
            ("none", "2026-02-14", "2026-02-14"), ("forward", "2026-02-12", "2026-02-12"), ("backward", "2026-02-12", "2026-02-12"),
        ] {
            let def = try Fixtures.workflow("roll", rollWorkflow(roll, due: due))
            let plan = Planner.plan(def, data: [:], start: at("2026-02-01T08:00"), until: day("2026-03-31"))
            #expect(plan.dropFirst().allSatisfy { $0.due == expected }, "\(roll) \(due)")
        }
    }

    @Test("roll on an instant moves the date and keeps the time")
    func rollInstant() throws {
        let def = try Fixtures.workflow("roll", rollWorkflow("forward", due: "2026-02-14 at 17:00"))
        let plan = Planner.plan(def, data: [:], start: at("2026-02-01T08:00"), until: day("2026-03-31"))
        #expect(plan.dropFirst().allSatisfy { $0.due == "2026-02-23T17:00:00+07:00" })
        #expect(plan.last?.kind == .overdue)
        #expect(plan.last?.atText == "2026-02-23T17:00:00+07:00")
    }
}
