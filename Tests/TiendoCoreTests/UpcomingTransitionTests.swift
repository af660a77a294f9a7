import Testing

@testable import TiendoCore

/// `Engine.upcomingTransition`: what a record's page says will happen by itself («Ngày … hồ sơ tự chuyển sang …»).
@Suite struct UpcomingTransitionTests {
    /// Two `after` rules, the earlier guarded; a state whose rule lands in 2027 (projected in this calendar).
    static let yaml = """
        tiendo: 1
        title: Thử chuyển trạng thái theo thời gian
        fields:
          han: {type: date, required: true}
          khan: {type: boolean}
        initial: cho
        states:
          cho:
            title: Chờ
            after:
              - {at: han + 5wd, to: gap, if: {khan: true}}
              - {at: han + 10wd, to: het-han}
          het-han:
            title: Hết hạn
            after: {at: han + 10wd + 40wd, to: xong}
            deadline: {due: han + 20wd}
          gap: {final: true}
          xong: {final: true}
        """

    static func instance(khan: Bool, until now: String) throws -> (Engine, Instance) {
        let def = try CorrectedCalendar.workflow("chuyen", Self.yaml)
        let engine = Engine(def)
        let data = try def.data([("han", .string("2026-11-02")), ("khan", .bool(khan))])
        let (inst, _) = try engine.started("x", data: data, at: at("2026-11-02T08:00"), now: at(now))
        return (engine, inst)
    }

    @Test("the earliest rule whose guard holds on the data as it is; after its instant, the next state's rule")
    func earliestEligible() throws {
        // 2026-11-02 + 5 working days = 2026-11-09: from 00:00 on the 10th when `khan`.
        var (engine, inst) = try Self.instance(khan: true, until: "2026-11-03T09:00")
        var t = try #require(engine.upcomingTransition(inst))
        #expect(t.to == "gap" && t.at == at("2026-11-10T00:00") && !t.provisional)
        // Without `khan` the guarded rule is skipped: 2026-11-02 + 10 working days = 2026-11-16.
        (engine, inst) = try Self.instance(khan: false, until: "2026-11-03T09:00")
        t = try #require(engine.upcomingTransition(inst))
        #expect(t.to == "het-han" && t.at == at("2026-11-17T00:00") && !t.provisional)
        // With the deadline of the state it enters: 2026-11-02 + 20 working days.
        #expect(t.deadline?.due == "2026-11-30" && t.deadline?.provisional == false)
        // Once in het-han: 40 more working days run into January 2027, projected here.
        _ = engine.advance(&inst, to: at("2026-11-20T09:00"))
        #expect(inst.state == "het-han")
        t = try #require(engine.upcomingTransition(inst))
        #expect(t.to == "xong" && t.provisional && t.deadline == nil)
        #expect(t.at > at("2027-01-01T00:00"))
    }

    @Test("nothing in a final state, or once completed")
    func none() throws {
        var (engine, inst) = try Self.instance(khan: true, until: "2026-11-03T09:00")
        _ = engine.advance(&inst, to: at("2026-11-10T09:00"))
        #expect(inst.state == "gap")
        #expect(engine.upcomingTransition(inst) == nil)
    }
}
