import Testing

@testable import TiendoCore

/// Format §10 "Parsing": scalars are read by the contract's schema, never by YAML 1.1 guessing.
@Suite struct ParsingRuleTests {
    @Test("'on', 'off', 'yes' are names; 17:00 is a time; quoted and unquoted scalars mean the same")
    func noTypeGuessing() throws {
        let def = try Fixtures.workflow(
            "doan",
            """
            tiendo: "1"
            title: 'Đoàn'
            reminders: {at: 17:00}
            fields:
              ngay: {type: date, default: "2026-03-15"}
              so: {type: integer, default: '7', min: "0"}
            initial: on
            states:
              on:
                on:
                  yes: off
                  no: {to: "off", if: {so: {ge: '5'}}}
              off: {final: true}
            milestones:
              m: {title: M, due: "ngay - 1d", remind: ["1d"]}
            """)
        #expect(def.initial == "on")
        #expect(def.states.map(\.name) == ["on", "off"])
        #expect(def.state("on")?.on.map(\.event) == ["yes", "no"])
        #expect(def.remindAt == TimeOfDay(hour: 17, minute: 0))
        #expect(def.field("ngay")?.defaultValue == .date(day("2026-03-15")))
        #expect(def.field("so")?.defaultValue == .integer(7))
        let plan = Planner.plan(def, data: try def.data([]), start: at("2026-03-01T08:00"), until: day("2026-03-31"))
        #expect(plan.map(\.atText) == ["2026-03-01T08:00:00+07:00", "2026-03-13T17:00:00+07:00", "2026-03-15T17:00:00+07:00"])
    }

    @Test("a non-default zone: civil arithmetic across a DST change, never multiples of 86,400 s")
    func dstZone() throws {
        let def = try Fixtures.workflow(
            "berlin",
            """
            tiendo: 1
            title: Berlin
            timezone: Europe/Berlin
            fields:
              luc: {type: datetime, required: true}
            milestones:
              m:
                title: M
                due: luc + 1d
                remind: [1d, 2h]
                overdue: {repeat: never}
            """)
        let data = try def.data([("luc", .string("2026-03-28T09:00"))])
        #expect(data["luc"] == .datetime(Instant(seconds: at("2026-03-28T08:00+00:00").seconds)))
        let plan = Planner.plan(def, data: data, start: Instant(seconds: at("2026-03-01T00:00+00:00").seconds), until: day("2026-04-30"))
        // 29/03/2026 is the spring-forward day in Berlin: 09:00 local is +02:00, 23 hours after the field.
        #expect(plan.dropFirst().map(\.atText) == ["2026-03-28T08:00:00+01:00", "2026-03-29T07:00:00+02:00", "2026-03-29T09:00:00+02:00"])
        #expect(plan.last?.due == "2026-03-29T09:00:00+02:00")
    }
}

/// Format §5 `after` and §10 "Guards": timed transitions with guards and ties.
@Suite struct TimedTransitionTests {
    static func yaml(_ first: String) -> String {
        """
        tiendo: 1
        title: Hẹn giờ
        fields:
          uu_tien: {type: boolean, default: false}
        initial: cho
        states:
          cho:
            after:
              - {at: started + 5d, to: muon}
              - {at: \(first), to: nhanh, if: {uu_tien: true}}
              - {at: started + 1d, to: thuong}
          nhanh: {final: true}
          thuong:
            on: {tiep: muon}
          muon: {final: true}
        """
    }

    func run(_ first: String, uuTien: Bool) throws -> (Instance, [Record]) {
        let def = try Fixtures.workflow("hen-gio", Self.yaml(first))
        let engine = Engine(def)
        var (inst, rs) = try engine.started("x", data: try def.data([("uu_tien", .bool(uuTien))]), at: at("2026-03-02T10:00"))
        while let t = engine.nextWakeup(inst) { rs += engine.advance(&inst, to: t) }
        return (inst, rs)
    }

    @Test("the earliest eligible 'after' wins; ties go to list order")
    func earliestWins() throws {
        let (a, ra) = try run("started + 1d", uuTien: true)
        #expect(a.state == "nhanh")  // tie with 'thuong' at 04/03 00:00: list order
        #expect(ra.last?.kind == .completed)
        #expect(ra.first { $0.kind == .transition }?.atText == "2026-03-04T00:00:00+07:00")
        let (b, _) = try run("started_at + 2h", uuTien: true)
        #expect(b.state == "nhanh")
        #expect(b.enteredAt == at("2026-03-02T12:00"))
    }

    @Test("an 'after' whose guard is false when it falls due is skipped; the next earliest applies")
    func guardFalse() throws {
        let (a, ra) = try run("started_at + 2h", uuTien: false)
        #expect(a.state == "thuong")
        #expect(a.enteredAt == at("2026-03-04T00:00"))
        #expect(ra.filter { $0.kind == .transition }.count == 1)
        // 'muon' (started + 5d) belonged to 'cho' and is gone once the state is left.
        #expect(!a.completed)
    }
}
