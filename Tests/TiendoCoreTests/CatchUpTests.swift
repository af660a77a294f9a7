import Testing

@testable import TiendoCore

/// Interfaces §1 "Catch-up after downtime or a clock jump" and format §10 "Starting late".
@Suite struct CatchUpTests {
    static let chain = """
        tiendo: 1
        title: Chuỗi
        initial: a
        states:
          a:
            after: {at: started + 10d, to: b}
          b:
            deadline:
              due: entered + 5d
              remind: [3d, 1d]
              overdue: {repeat: 1d}
            after: {at: entered + 20d, to: c}
          c:
            deadline:
              due: entered + 2d
              remind: [1d]
            after: {at: entered_at + 3d, to: d}
          d: {final: true}
        """

    func summary(_ r: Record) -> String {
        var s = "\(r.kind.rawValue) \(r.atText)"
        if let f = r.from, let t = r.to { s += " \(f)>\(t)" }
        if let d = r.daysLeft { s += " \(d)" }
        s += " late=\(r.late.map(String.init) ?? "-")"
        return s
    }

    @Test("after downtime: timed transitions all fire in order with entered = scheduled; per deadline only the latest notice")
    func downtime() throws {
        let def = try Fixtures.workflow("chuoi", Self.chain)
        let engine = Engine(def)
        var (inst, started) = try engine.started("x", data: [:], at: at("2026-03-01T09:00"))
        #expect(started.map(\.kind) == [.started])
        let now = at("2026-05-01T12:00")
        let late = { (t: String) in Int(now.seconds - at(t).seconds) }
        let rs = engine.advance(&inst, to: now)
        #expect(
            rs.map(summary) == [
                "transition 2026-03-12T00:00:00+07:00 a>b late=\(late("2026-03-12T00:00"))",
                // b: due 17/03; its notices up to 02/04 00:00 are 3d, 1d and overdue k = 0…14: only k = 14 is sent.
                "overdue 2026-04-01T08:00:00+07:00 -15 late=\(late("2026-04-01T08:00"))",
                "transition 2026-04-02T00:00:00+07:00 b>c late=\(late("2026-04-02T00:00"))",
                // c entered 02/04 00:00 (scheduled), due 04/04: the 1d reminder on 03/04 is its only notice before leaving.
                "reminder 2026-04-03T08:00:00+07:00 1 late=\(late("2026-04-03T08:00"))",
                "transition 2026-04-05T00:00:00+07:00 c>d late=\(late("2026-04-05T00:00"))",
                "completed 2026-04-05T00:00:00+07:00 late=-",
            ])
        #expect(rs[1].due == "2026-03-17")
        #expect(rs[1].state == "b")
        #expect(rs[3].due == "2026-04-04")
        #expect(inst.state == "d")
        #expect(inst.completed)
        #expect(inst.enteredAt == at("2026-04-05T00:00"))
        // Never twice: the same instant, an earlier one (clock backwards), then later again.
        #expect(engine.advance(&inst, to: now).isEmpty)
        #expect(engine.advance(&inst, to: at("2026-03-20T00:00")).isEmpty)
        #expect(engine.advance(&inst, to: at("2027-01-01T00:00")).isEmpty)
        #expect(engine.nextWakeup(inst) == nil)
    }

    @Test("a partial catch-up stops in the middle state; the next one continues without repeats")
    func partialCatchUp() throws {
        let def = try Fixtures.workflow("chuoi", Self.chain)
        let engine = Engine(def)
        var (inst, _) = try engine.started("x", data: [:], at: at("2026-03-01T09:00"))
        let first = engine.advance(&inst, to: at("2026-03-16T09:00"))
        #expect(
            first.map(summary) == [
                "transition 2026-03-12T00:00:00+07:00 a>b late=\(4 * 86400 + 9 * 3600)",
                "reminder 2026-03-16T08:00:00+07:00 1 late=3600",  // 3d (14/03) and 1d (16/03) missed: only 1d
            ])
        #expect(inst.state == "b" && inst.enteredAt == at("2026-03-12T00:00"))
        // Clock goes back a week, then forward to the same instant: nothing new.
        #expect(engine.advance(&inst, to: at("2026-03-09T00:00")).isEmpty)
        #expect(engine.advance(&inst, to: at("2026-03-16T09:00")).isEmpty)
        #expect(engine.nextWakeup(inst) == at("2026-03-18T08:00"))
        let second = engine.advance(&inst, to: at("2026-03-18T08:00"))
        #expect(second.map(summary) == ["overdue 2026-03-18T08:00:00+07:00 -1 late=-"])
    }

    @Test("a milestone's missed reminders and notices: only the latest, with late = now − scheduled")
    func milestoneCatchUp() throws {
        let def = try Fixtures.workflow(
            "moc",
            """
            tiendo: 1
            title: Mốc
            milestones:
              m:
                title: M
                due: 2026-03-10
                remind: [7d, 3d, 1d]
                overdue: {repeat: 1d, escalate: {5d: err}}
            """)
        let engine = Engine(def)
        var (inst, _) = try engine.started("x", data: [:], at: at("2026-03-01T00:00"))
        let a = engine.advance(&inst, to: at("2026-03-08T12:00"))
        #expect(a.map(summary) == ["reminder 2026-03-07T08:00:00+07:00 3 late=\(28 * 3600)"])
        let b = engine.advance(&inst, to: at("2026-03-20T09:00"))
        #expect(b.map(summary) == ["overdue 2026-03-20T08:00:00+07:00 -10 late=3600"])
        #expect(b[0].priority == 3)  // escalated: overdue for at least 5 days
        #expect(engine.advance(&inst, to: at("2026-03-20T09:00")).isEmpty)
        #expect(engine.advance(&inst, to: at("2026-03-15T00:00")).isEmpty)
        #expect(engine.advance(&inst, to: at("2026-03-20T09:30")).isEmpty)
        let c = engine.advance(&inst, to: at("2026-03-21T08:00"))
        #expect(c.map(summary) == ["overdue 2026-03-21T08:00:00+07:00 -11 late=-"])
    }

    @Test("starting late: past timers fire with late and entered = scheduled; reminders before the start are dropped")
    func startingLate() throws {
        let def = try Fixtures.workflow(
            "du-bi",
            """
            tiendo: 1
            title: Kết nạp
            fields:
              ngay_ket_nap: {type: date, required: true}
            initial: du-bi
            states:
              du-bi:
                after: {at: ngay_ket_nap + 12mo, to: cho-xet}
              cho-xet:
                deadline:
                  due: ngay_ket_nap + 12mo + 30wd
                  remind: [10wd, 3wd, 1d]
                on: {cong-nhan: chinh-thuc}
              chinh-thuc: {final: true}
            """)
        let engine = Engine(def)
        let data = try def.data([("ngay_ket_nap", .string("2025-02-10"))])
        let now = at("2026-03-20T09:00")
        let (inst, rs) = try engine.started("x", data: data, at: now)
        // 10wd before 31/03 is 17/03, before the start: not sent.
        #expect(
            rs.map(summary) == [
                "started 2026-03-20T09:00:00+07:00 late=-",
                "transition 2026-02-11T00:00:00+07:00 du-bi>cho-xet late=\(now.seconds - at("2026-02-11T00:00").seconds)",
            ])
        #expect(inst.enteredAt == at("2026-02-11T00:00"))
        #expect(engine.nextWakeup(inst) == at("2026-03-26T08:00"))  // 3wd before 31/03

        // Started after the due: of the overdue notices already past, only the latest.
        let (_, rs2) = try engine.started("y", data: data, at: at("2026-04-03T09:00"))
        #expect(rs2.map(summary).dropFirst(2) == ["overdue 2026-04-03T08:00:00+07:00 -3 late=3600"])
    }

    @Test("an instance started in the past by import catches up against now")
    func startedInThePast() throws {
        let def = try Fixtures.workflow(
            "moc",
            """
            tiendo: 1
            title: Mốc
            milestones:
              m:
                title: M
                due: 2026-03-10
                remind: [7d, 3d]
            """)
        let engine = Engine(def)
        let (_, rs) = try engine.started("x", data: [:], at: at("2026-03-01T00:00"), now: at("2026-03-09T00:00"))
        // The start itself is written 8 days after its instant, and says so; the reminder is written with it.
        #expect(
            rs.map(summary) == [
                "started 2026-03-01T00:00:00+07:00 late=\(8 * 86_400)", "reminder 2026-03-07T08:00:00+07:00 3 late=\(40 * 3600)",
            ])
        // Started at `now`: not late.
        let (_, now) = try engine.started("y", data: [:], at: at("2026-03-09T00:00"), now: at("2026-03-09T00:00"))
        #expect(now.map(summary).first == "started 2026-03-09T00:00:00+07:00 late=-")
    }
}
