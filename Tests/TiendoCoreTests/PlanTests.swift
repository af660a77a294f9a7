import Testing

@testable import TiendoCore

/// Interfaces §2 `tiendoctl plan`: contents and order.
@Suite struct PlanTests {
    static let yaml = """
        tiendo: 1
        title: Kế hoạch
        reminders: {at: "00:00"}
        initial: a
        states:
          a:
            deadline:
              due: started + 3d
              remind: [1d]
              overdue: {repeat: 1d}
            after: {at: started + 4d, to: b}
          b:
            deadline:
              due: entered + 1d
              remind: [1d]
            after: {at: entered + 10d, to: c}
          c: {final: true}
        milestones:
          m1:
            title: M1
            due: 2026-03-09
            remind: [1wd, 3d]
          m2:
            title: M2
            due: 2026-03-09
            remind: [3d]
        """

    func line(_ r: Record) -> String {
        var s = "\(r.atText) \(r.kind.rawValue)"
        if let f = r.from, let t = r.to {
            s += " \(f)>\(t)"
        } else if let m = r.milestone {
            s += " \(m)"
        } else if let st = r.state {
            s += " \(st)"
        }
        if let d = r.daysLeft { s += " \(d)" }
        return s
    }

    @Test("order: by at, then transition before the new state's records, then declaration order, then larger offsets")
    func order() throws {
        let def = try Fixtures.workflow("ke-hoach", Self.yaml)
        let plan = Planner.plan(def, data: [:], start: at("2026-03-01T10:00"), until: day("2026-04-30"))
        #expect(
            plan.map(line) == [
                "2026-03-01T10:00:00+07:00 started a",
                "2026-03-03T00:00:00+07:00 reminder a 1",
                "2026-03-05T00:00:00+07:00 overdue a -1",  // only k = 0 although repeat is 1d
                "2026-03-06T00:00:00+07:00 transition a>b",
                "2026-03-06T00:00:00+07:00 reminder b 1",  // the new state's record, at its entry instant
                "2026-03-06T00:00:00+07:00 reminder m1 3",  // 3d (Friday)
                "2026-03-06T00:00:00+07:00 reminder m1 3",  // 1wd: also Friday, the smaller offset second
                "2026-03-06T00:00:00+07:00 reminder m2 3",
                "2026-03-08T00:00:00+07:00 overdue b -1",
                "2026-03-10T00:00:00+07:00 overdue m1 -1",
                "2026-03-10T00:00:00+07:00 overdue m2 -1",
                "2026-03-17T00:00:00+07:00 transition b>c",
            ])
        #expect(plan.allSatisfy { $0.instance == nil && $0.late == nil })
        #expect(
            plan[0].json.serialized()
                == #"{"at":"2026-03-01T10:00:00+07:00","kind":"started","workflow":"ke-hoach","state":"a","priority":6,"message":"Bắt đầu hồ sơ ke-hoach theo quy trình «Kế hoạch», trạng thái «a»"}"#
        )
        #expect(
            plan[5].json.serialized()
                == #"{"at":"2026-03-06T00:00:00+07:00","kind":"reminder","workflow":"ke-hoach","state":"b","milestone":"m1","due":"2026-03-09","daysLeft":3,"priority":5,"message":"Còn 3 ngày đến hạn «M1» (ke-hoach), hạn chót 09/03/2026"}"#
        )
        #expect(plan[3].json["instance"] == nil)
        // The two m1 reminders are told apart by their keys only; the 3d one comes first.
        #expect(plan[5].key?.contains("|r3d|") == true)
        #expect(plan[6].key?.contains("|r1wd|") == true)
    }

    @Test("--until D covers records before D+1 00:00 local")
    func until() throws {
        let def = try Fixtures.workflow("ke-hoach", Self.yaml)
        let start = at("2026-03-01T10:00")
        #expect(
            Planner.plan(def, data: [:], start: start, until: day("2026-03-16")).last.map(line) == "2026-03-10T00:00:00+07:00 overdue m2 -1"
        )
        #expect(
            Planner.plan(def, data: [:], start: start, until: day("2026-03-17")).last.map(line)
                == "2026-03-17T00:00:00+07:00 transition b>c")
        #expect(Planner.plan(def, data: [:], start: start, until: day("2026-03-05")).count == 3)
        #expect(Planner.plan(def, data: [:], start: start, until: day("2026-02-01")).map(\.kind) == [])
    }

    @Test("completed follows the transition into a final state at the same instant")
    func completedAfterTransition() throws {
        let def = try Fixtures.workflow(
            "ngan",
            """
            tiendo: 1
            title: Ngắn
            initial: a
            states:
              a:
                deadline: {due: started, remind: [2h]}
                after: {at: started + 1d, to: b}
              b:
                after: {at: entered_at, to: c}
              c: {final: true}
            """)
        let plan = Planner.plan(def, data: [:], start: at("2026-03-01T10:00"), until: day("2026-03-31"))
        #expect(
            plan.map(line) == [
                "2026-03-01T10:00:00+07:00 started a",
                "2026-03-01T22:00:00+07:00 reminder a 0",
                "2026-03-02T08:00:00+07:00 overdue a -1",
                "2026-03-03T00:00:00+07:00 transition a>b",
                "2026-03-03T00:00:00+07:00 transition b>c",
                "2026-03-03T00:00:00+07:00 completed c",
            ])
        #expect(plan[1].priority == 4)
        #expect(plan[5].priority == 6)
    }

    @Test("--set data: parsed by the declared type, defaults and required fields applied")
    func setData() throws {
        let def = try Fixtures.workflow(
            "du-lieu",
            """
            tiendo: 1
            title: Dữ liệu
            fields:
              ngay_bau_cu: {type: date, default: 2026-03-15}
              so: {type: integer, required: true}
            milestones:
              m: {title: M, due: ngay_bau_cu - 105d}
            """)
        let data = try Planner.data(def, assignments: ["so=3"]).get()
        #expect(data == ["so": .integer(3), "ngay_bau_cu": .date(day("2026-03-15"))])
        #expect(throws: FieldError.self) { try Planner.data(def, assignments: []).get() }
        #expect(throws: FieldError.self) { try Planner.data(def, assignments: ["so=ba"]).get() }
        #expect(throws: FieldError.self) { try Planner.data(def, assignments: ["khac=1", "so=1"]).get() }
        let plan = Planner.plan(def, data: data, start: at("2025-11-01T08:00"), until: day("2026-12-31"))
        #expect(plan.map(line) == ["2025-11-01T08:00:00+07:00 started", "2025-12-01T08:00:00+07:00 overdue m -1"])
        #expect(plan[1].due == "2025-11-30")  // T1
    }
}
