import Testing

@testable import TiendoCore

/// `advance` is bounded (1,000 transitions, 1,000 openings per series); a bounded advance stops where it got to and
/// leaves the rest due, so repeated wake-ups finish the catch-up and nothing is lost.
@Suite struct BoundedAdvanceTests {
    /// Cycles every hour between two states; in `a` a deadline half an hour in, overdue every 10 minutes.
    static let hourly = """
        tiendo: 1
        title: Chu kỳ từng giờ
        initial: a
        states:
          a:
            title: Trạng thái A
            after: {at: entered_at + 1h, to: b}
            deadline: {due: entered_at + 30min, remind: [], overdue: {repeat: 10min}}
            on: {dung: z}
          b:
            title: Trạng thái B
            after: {at: entered_at + 1h, to: a}
            on: {dung: z}
          z: {final: true}
        """

    static let daily = """
        tiendo: 1
        title: Việc hằng ngày
        initial: dang-lam
        states:
          dang-lam: {on: {xong: da-xong}}
          da-xong: {final: true}
        milestones:
          bao-cao:
            title: Báo cáo ngày
            every: 1d
            anchor: 2020-01-01
            due: period
            remind: []
        """

    /// The daemon's wake-ups in miniature: advance while something is due at or before `now`.
    func wakeUps(_ engine: Engine, _ inst: inout Instance, now: Instant) -> (records: [Record], steps: Int) {
        var out: [Record] = []
        var steps = 0
        while let w = engine.nextWakeup(inst), w <= now, steps < 100 {
            out += engine.advance(&inst, to: now)
            steps += 1
        }
        return (out, steps)
    }

    @Test("60 days of an hourly cycle: 1,000 transitions, then the other 440 at the next wake-up, nothing lost")
    func hourlyCycle() throws {
        let engine = Engine(try Fixtures.workflow("gio", Self.hourly))
        let t0 = at("2027-01-01T00:00")
        var (inst, _) = try engine.started("x", data: [:], at: t0)
        let now = t0.adding(seconds: 1440 * 3600 + 300)
        let first = engine.advance(&inst, to: now)
        #expect(first.filter { $0.kind == .transition }.count == 1000)
        // Stopped at the 1,000th transition: the state it entered has not been looked at beyond its entry.
        #expect(inst.checkedAt == t0.adding(seconds: 1000 * 3600))
        #expect(inst.state == "a" && inst.enteredAt == inst.checkedAt)
        #expect(first.last?.kind == .transition)
        // Next: the deadline of the state it entered (due half an hour in), already past: the rest follows at once.
        #expect(engine.nextWakeup(inst) == t0.adding(seconds: 1000 * 3600 + 1800))
        // One overdue notice per visit of `a` (its last before leaving), for the 500 visits before the stop.
        #expect(first.filter { $0.kind == .overdue }.count == 500)
        let (rest, steps) = wakeUps(engine, &inst, now: now)
        #expect(steps == 1)
        let all = first + rest
        let transitions = all.filter { $0.kind == .transition }
        #expect(transitions.count == 1440)
        #expect(transitions.enumerated().allSatisfy { $0.element.at == t0.adding(seconds: Int64($0.offset + 1) * 3600) })
        let overdue = all.filter { $0.kind == .overdue }
        #expect(overdue.count == 720)
        // Each visit's notice is its third (k = 2), 50 minutes after entering, never one of a state already left.
        #expect(overdue.enumerated().allSatisfy { $0.element.at == t0.adding(seconds: Int64($0.offset) * 7200 + 3000) })
        #expect(inst.state == "a" && inst.checkedAt == now)
        #expect(engine.nextWakeup(inst) == t0.adding(seconds: 1440 * 3600 + 1800))
    }

    @Test("an event on an instance still being caught up applies to the state it is in at that instant")
    func eventOnABehindInstance() throws {
        let engine = Engine(try Fixtures.workflow("gio", Self.hourly))
        let t0 = at("2027-01-01T00:00")
        var (inst, _) = try engine.started("x", data: [:], at: t0)
        let now = t0.adding(seconds: 1441 * 3600 + 300)
        let rs = try engine.send(&inst, event: "dung", data: [], at: now, actor: 0, counter: nil).get()
        #expect(rs.filter { $0.kind == .transition && $0.event == nil }.count == 1441)
        let last = try #require(rs.last { $0.kind == .transition })
        #expect(last.event == "dung" && last.from == "b" && last.to == "z")
    }

    @Test("a daily series 2,500 days behind opens 1,000 occurrences per advance and sends one overdue notice")
    func dailySeries() throws {
        let engine = Engine(try Fixtures.workflow("ngay", Self.daily))
        let start = at("2020-01-01T00:00")
        var (inst, _) = try engine.started("x", data: [:], at: start)
        let now = at("2020-01-01T09:00").adding(seconds: 2500 * 86_400)
        let (records, steps) = wakeUps(engine, &inst, now: now)
        #expect(steps == 3)
        let series = try #require(inst.series["bao-cao"])
        #expect(series.next == 2501 && series.open.count == 2501)
        #expect(inst.checkedAt == now)
        // Rule 7: after the downtime, one overdue notice, from the newest overdue occurrence.
        let overdue = records.filter { $0.kind == .overdue }
        #expect(overdue.map { "\($0.occurrence ?? "") \($0.missed ?? 0)" } == ["2026-11-04 2500"])
    }
}
