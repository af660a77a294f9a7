import Testing

@testable import TiendoCore

/// Format §10 "Calendar status", rules 2–7, with 2026 official (corrected list) and 2027 projected from the rules.
@Suite struct ProvisionalTests {
    /// The review of a probationary member: due = ngay_ket_nap + 12mo + 30wd (format §5).
    static let probation = """
        tiendo: 1
        title: Đảng viên dự bị
        fields:
          ho_ten: {type: text, required: true}
          chi_bo: {type: text, required: true}
          ngay_ket_nap: {type: date, required: true}
        group_by: chi_bo
        initial: du-bi
        states:
          du-bi:
            title: Đảng viên dự bị
            after: {at: ngay_ket_nap + 12mo, to: cho-xet}
          cho-xet:
            title: Chờ chi bộ xét công nhận chính thức
            deadline:
              due: ngay_ket_nap + 12mo + 30wd
              remind: [10wd, 3wd, 1d]
              overdue: {repeat: 1d, escalate: {3d: err, 10d: crit}}
            on: {cong-nhan: chinh-thuc}
          chinh-thuc: {final: true}
        """

    static func member(_ def: WorkflowDefinition, admitted: String) throws -> InstanceData {
        try def.data([("ho_ten", .string("Nguyễn Văn A")), ("chi_bo", .string("Chi bộ 5")), ("ngay_ket_nap", .string(admitted))])
    }

    /// The state deadline's due once the instance is in `cho-xet`.
    static func reviewDue(_ def: WorkflowDefinition, admitted: String) throws -> OpenDeadline {
        let engine = Engine(def)
        let data = try member(def, admitted: admitted)
        let start = def.zone.instant(day(admitted))
        let entered = def.zone.endOfDay(day(admitted).adding(months: 12))
        let (inst, _) = try engine.started("x", data: data, at: start, now: entered)
        #expect(inst.state == "cho-xet")
        return try #require(engine.openDeadlines(inst).first)
    }

    /// Advances from one wake-up to the next up to `until`, as the daemon does (no catch-up).
    static func run(_ engine: Engine, _ inst: inout Instance, until: Instant) -> [Record] {
        var out: [Record] = []
        while let t = engine.nextWakeup(inst), t <= until { out += engine.advance(&inst, to: t) }
        return out
    }

    @Test(
        "the audit's worked examples with the corrected 2026 list: official, not provisional",
        arguments: [("2025-01-05", "2026-02-13"), ("2025-07-20", "2026-08-28")])
    func auditExamples(_ admitted: String, _ due: String) throws {
        let def = try CorrectedCalendar.workflow("dang-vien-du-bi", Self.probation)
        let d = try Self.reviewDue(def, admitted: admitted)
        #expect(d.due == due)
        #expect(!d.provisional)
    }

    @Test("a review crossing Tết 2027 (projected) is provisional: due, wd reminders and their records")
    func crossingTet2027() throws {
        let def = try CorrectedCalendar.workflow("dang-vien-du-bi", Self.probation)
        let engine = Engine(def)
        var (inst, _) = try engine.started(
            "dvdb-2025-050", data: try Self.member(def, admitted: "2025-12-23"), at: at("2025-12-23T00:00"),
            now: at("2026-12-24T00:00"))
        let d = try #require(engine.openDeadlines(inst).first)
        #expect(d.due == "2027-02-04" && d.provisional)
        let rs = Self.run(engine, &inst, until: at("2027-02-05T08:00"))
        let lines = rs.map { "\($0.kind.rawValue) \($0.atText.prefix(16)) \($0.provisional)" }
        #expect(
            lines == [
                "reminder 2027-01-21T08:00 true", "reminder 2027-02-01T08:00 true", "reminder 2027-02-03T08:00 true",
                "overdue 2027-02-05T08:00 true",
            ])
        #expect(rs[0].json["provisional"] == .bool(true))
        #expect(
            rs[0].message
                == "Còn 14 ngày đến hạn «Chờ chi bộ xét công nhận chính thức» (dang-vien-du-bi/dvdb-2025-050), hạn chót 04/02/2027 (dự kiến)"
        )
        let item = engine.deadlines(inst, now: at("2027-01-21T09:00")).deadlines[0]
        #expect(item["provisional"] == .bool(true))
    }

    static let units = """
        tiendo: 1
        title: Đơn vị
        reminders: {at: "08:00"}
        milestones:
          d: {title: D, due: 2026-12-20 + 30d, remind: [3d]}
          w: {title: W, due: 2026-12-20 + 5w, remind: [1w]}
          mo: {title: MO, due: 2026-12-20 + 2mo, remind: []}
          y: {title: Y, due: 2026-02-07 + 1y, remind: []}
          at: {title: AT, due: 2026-12-20 + 50d at 17:00, remind: [2h]}
          wd: {title: WD, due: 2026-12-20 + 10wd, remind: []}
          roll-none: {title: R0, due: 2027-02-06, roll: none}
          roll-fwd: {title: R1, due: 2027-02-06, roll: forward}
          roll-workday: {title: R2, due: 2027-03-02, roll: backward}
          roll-2026: {title: R3, due: 2026-02-15, roll: forward}
          remind-wd: {title: R4, due: 2026-01-06, remind: [3wd]}
        """

    @Test("wd steps and roll look at days; d, w, mo, y, h, min and at look at nothing")
    func whatIsLookedAt() throws {
        let engine = Engine(try CorrectedCalendar.workflow("don-vi", Self.units))
        let (inst, _) = try engine.started("x", data: [:], at: at("2025-11-01T08:00"))
        let flags = Dictionary(uniqueKeysWithValues: engine.openDeadlines(inst).map { ($0.key, "\($0.due) \($0.provisional)") })
        #expect(flags["d"] == "2027-01-19 false")
        #expect(flags["w"] == "2027-01-24 false")
        #expect(flags["mo"] == "2027-02-20 false")
        #expect(flags["y"] == "2027-02-07 false")
        #expect(flags["at"] == "2027-02-08T17:00:00+07:00 false")
        #expect(flags["wd"] == "2027-01-04 true")  // steps into 2027 (01/01 is off)
        #expect(flags["roll-none"] == "2027-02-06 false")
        #expect(flags["roll-fwd"] == "2027-02-12 true")  // Saturday in Tết 2027, rolled past it
        #expect(flags["roll-workday"] == "2027-03-02 true")  // a working day, but roll had to look at it
        #expect(flags["roll-2026"] == "2026-02-23 false")  // official 2026 only
        // A wd reminder of an official due that steps back into projected 2025 is provisional; the due is not.
        #expect(flags["remind-wd"] == "2026-01-06 false")
        var late = inst
        let rs = Self.run(engine, &late, until: at("2026-01-01T09:00"))
        let r = try #require(rs.first { $0.milestone == "remind-wd" })
        #expect(r.atText == "2025-12-30T08:00:00+07:00" && r.provisional)  // 05/01, then 02/01 and 01/01 are off
        // Provisional for its instant only: the due it names is known, and is not marked (nor in its JSON).
        #expect(r.dueCertain && !r.dueProvisional)
        #expect(r.message.hasSuffix("hạn chót 06/01/2026"))
        #expect(r.json["dueCertain"] == .bool(true) && Record(json: r.json)?.dueCertain == true)
        // An operator's `at` is never provisional; a milestone-done record is when its due is.
        let done = try engine.completeMilestone(&late, milestone: "wd", at: at("2026-01-02T10:00"), actor: 0).get()
        #expect(
            done.last?.json.serialized()
                == #"{"at":"2026-01-02T10:00:00+07:00","kind":"milestone-done","workflow":"don-vi","instance":"don-vi/x","event":"done","milestone":"wd","due":"2027-01-04","priority":6,"provisional":true,"actor":0,"message":"Đã hoàn thành «WD» (don-vi/x) (dự kiến)"}"#
        )
        let plain = try engine.completeMilestone(&late, milestone: "d", at: at("2026-01-02T10:00"), actor: 0).get()
        #expect(plain.last?.provisional == false && plain.last?.message == "Đã hoàn thành «D» (don-vi/x)")
    }

    @Test("an 'after' instant that stepped into a projected year is provisional; entered is a fact")
    func provisionalTransition() throws {
        let yaml = """
            tiendo: 1
            title: Chờ
            initial: a
            states:
              a:
                after: {at: 2026-12-28 + 5wd, to: b}
              b:
                deadline: {due: entered + 3d, remind: [1d]}
                after: {at: entered + 10d, to: c}
              c: {final: true}
            """
        let engine = Engine(try CorrectedCalendar.workflow("cho", yaml))
        var (inst, _) = try engine.started("x", data: [:], at: at("2026-12-01T08:00"))
        let rs = Self.run(engine, &inst, until: at("2027-01-31T00:00"))
        #expect(
            rs.map { "\($0.kind.rawValue) \($0.atText.prefix(10)) \($0.provisional)" } == [
                "transition 2027-01-06 true",  // 28/12 + 5wd = 05/01/2027 (01/01 off), fires at 06/01 00:00
                "reminder 2027-01-08 false", "overdue 2027-01-10 false", "overdue 2027-01-11 false",
                "overdue 2027-01-12 false", "overdue 2027-01-13 false", "overdue 2027-01-14 false", "overdue 2027-01-15 false",
                "overdue 2027-01-16 false", "transition 2027-01-17 false", "completed 2027-01-17 false",
            ])
        #expect(rs[0].message.hasSuffix(" (dự kiến)"))
    }

    @Test("a listed year with projected: true keeps its lists but stays provisional")
    func projectedListedYear() throws {
        let cal = CorrectedCalendar.parse(
            CorrectedCalendar.base + """
                  2027:
                    projected: true
                    source: "Theo tiền lệ năm 2020"
                    off: [2027-01-01, 2027-02-04..2027-02-05, 2027-02-08..2027-02-10]

                """)
        #expect(cal.status(of: 2027) == .projected && cal.status(of: 2026) == .official && cal.status(of: 2028) == .projected)
        let def = try CorrectedCalendar.workflow("dang-vien-du-bi", Self.probation, calendar: cal)
        let d = try Self.reviewDue(def, admitted: "2025-12-23")
        #expect(d.due == "2027-02-11" && d.provisional)
    }
}
