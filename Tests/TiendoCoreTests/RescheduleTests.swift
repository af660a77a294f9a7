import Testing

@testable import TiendoCore

/// Format §10 "Calendar changes", rules 2–4, and its worked example.
@Suite struct RescheduleTests {
    /// `dang-vien-du-bi/dvdb-2025-050` (ngay_ket_nap 2025-12-23) advanced wake-up by wake-up to `until` with the
    /// calendar where 2027 is projected.
    func probation(until: String) throws -> (old: Engine, new: Engine, inst: Instance, records: [Record]) {
        let old = Engine(try CorrectedCalendar.workflow("dang-vien-du-bi", ProvisionalTests.probation))
        let new = Engine(old.definition.with(calendar: CorrectedCalendar.with2027))
        var (inst, started) = try old.started(
            "dvdb-2025-050", data: try ProvisionalTests.member(old.definition, admitted: "2025-12-23"),
            at: at("2025-12-23T00:00"))
        let rs = ProvisionalTests.run(old, &inst, until: at(until))
        return (old, new, inst, started + rs)
    }

    @Test("the contract's example: 04/02/2027 (dự kiến) becomes 11/02/2027 after the 2027 list is added on 25/01")
    func contractExample() throws {
        var (old, new, inst, before) = try probation(until: "2027-01-25T10:00")
        #expect(before.map(\.kind) == [.started, .transition, .reminder])
        #expect(before[2].atText == "2027-01-21T08:00:00+07:00" && before[2].provisional)
        let t = at("2027-01-25T10:00")
        let rs = new.reschedule(&inst, previousCalendar: old.definition.calendar, at: t)
        #expect(rs.count == 1)
        #expect(
            rs.first?.json.serialized()
                == #"{"at":"2027-01-25T10:00:00+07:00","kind":"rescheduled","workflow":"dang-vien-du-bi","instance":"dang-vien-du-bi/dvdb-2025-050","state":"cho-xet","due":"2027-02-11","previousDue":"2027-02-04","daysLeft":17,"priority":5,"group":"Chi bộ 5","message":"Đổi hạn «Chờ chi bộ xét công nhận chính thức» (dang-vien-du-bi/dvdb-2025-050) từ 04/02/2027 sang 11/02/2027 theo lịch nghỉ chính thức"}"#
        )
        #expect(Record(json: rs[0].json)?.json == rs[0].json)
        // The 10wd reminder (still 21/01) is not repeated; 3wd 01/02, 1d 10/02, overdue 0 on 12/02; none provisional.
        let after = ProvisionalTests.run(new, &inst, until: at("2027-02-12T23:00"))
        #expect(
            after.map { "\($0.kind.rawValue) \($0.atText.prefix(16)) \($0.daysLeft ?? 99) \($0.provisional)" } == [
                "reminder 2027-02-01T08:00 10 false", "reminder 2027-02-10T08:00 1 false", "overdue 2027-02-12T08:00 -1 false",
            ])
        #expect(after[2].due == "2027-02-11" && after[2].key?.hasSuffix("|k0|2027-02-11") == true)
        #expect(new.openDeadlines(inst).first.map { "\($0.due) \($0.provisional)" } == "2027-02-11 false")
        // Nothing moves again with the same calendar.
        var again = inst
        #expect(new.reschedule(&again, previousCalendar: new.definition.calendar, at: at("2027-02-12T23:00")).isEmpty)
        #expect(again == inst)
    }

    @Test("a due moved earlier: warning; notices already past on the new schedule count as handled")
    func movedEarlier() throws {
        // The reverse change: the official 2027 list withdrawn on 08/02, the due goes back from 11/02 to 04/02.
        var (old, new, inst, _) = try probation(until: "2027-01-25T10:00")
        _ = new.reschedule(&inst, previousCalendar: old.definition.calendar, at: at("2027-01-25T10:00"))
        _ = ProvisionalTests.run(new, &inst, until: at("2027-02-08T09:00"))
        let back = new.definition.calendar
        (old, new) = (new, old)
        let rs = new.reschedule(&inst, previousCalendar: back, at: at("2027-02-08T09:00"))
        #expect(rs.count == 1)
        let r = try #require(rs.first)
        #expect(r.priority == 4 && r.due == "2027-02-04" && r.previousDue == "2027-02-11" && r.daysLeft == -4 && r.provisional)
        #expect(
            r.message
                == "Đổi hạn «Chờ chi bộ xét công nhận chính thức» (dang-vien-du-bi/dvdb-2025-050) từ 11/02/2027 sang 04/02/2027 (dự kiến) do lịch nghỉ thay đổi"
        )
        // Overdue notices 0..3 (05/02–08/02 08:00) are at or before T: handled; the next is k = 4 on 09/02.
        let after = ProvisionalTests.run(new, &inst, until: at("2027-02-09T23:00"))
        #expect(after.map { "\($0.kind.rawValue) \($0.atText.prefix(16)) \($0.priority)" } == ["overdue 2027-02-09T08:00 3"])
        #expect(after.first?.key?.hasSuffix("|k4|2027-02-04") == true)
    }

    @Test("a timed transition moved before T fires at the next advance, late; open occurrences are rescheduled too")
    func pendingTransitionAndOccurrences() throws {
        let yaml = """
            tiendo: 1
            title: Hai lịch
            initial: a
            states:
              a:
                after: {at: 2027-02-03 + 1wd, to: b}
              b:
                on: {xong: c}
              c: {final: true}
            milestones:
              bc:
                title: Báo cáo
                every: 1mo
                anchor: 2027-01-01
                due: period + 1mo + 3wd
                remind: []
            """
        // The reverse change: from the official 2027 list back to the rules (04–05/02 and 08–10/02 off, then 05/02
        // and 08–11/02 off).
        let old = Engine(try CorrectedCalendar.workflow("hai-lich", yaml, calendar: CorrectedCalendar.with2027))
        let new = Engine(old.definition.with(calendar: CorrectedCalendar.calendar))
        let t = at("2027-02-08T09:00")
        var (inst, _) = try old.started("x", data: [:], at: at("2027-01-20T08:00"), now: t)
        #expect(inst.state == "a")  // 03/02 + 1wd = 11/02 with the official list
        #expect(old.openDeadlines(inst).map { "\($0.key) \($0.due)" } == ["bc@2027-01 2027-02-11", "bc@2027-02 2027-03-04"])
        let rs = new.reschedule(&inst, previousCalendar: old.definition.calendar, at: t)
        #expect(
            rs.map {
                "\($0.milestone ?? "-") \($0.occurrence ?? "-") \($0.previousDue ?? "") \($0.due ?? "") \($0.priority) \($0.provisional)"
            }
                == ["bc 2027-01 2027-02-11 2027-02-04 4 true"])
        #expect(
            rs.first?.message
                == "Đổi hạn «Báo cáo kỳ từ tháng 01/2027» (hai-lich/x) từ 11/02/2027 sang 04/02/2027 (dự kiến) do lịch nghỉ thay đổi")
        // With the rules 03/02 + 1wd = 04/02: the transition is now past; it is the next wake-up and fires late.
        #expect(new.nextWakeup(inst) == at("2027-02-05T00:00"))
        let fired = new.advance(&inst, to: t.adding(seconds: 1))
        let tr = try #require(fired.first { $0.kind == .transition })
        #expect(tr.atText == "2027-02-05T00:00:00+07:00" && tr.late == 291_601 && tr.provisional && inst.state == "b")
        // Overdue notices of 2027-01 at or before T were handled by the record: none is sent late.
        #expect(!fired.contains { $0.kind == .overdue })
    }
}
