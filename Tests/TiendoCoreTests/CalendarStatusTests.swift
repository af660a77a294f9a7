import Testing

@testable import TiendoCore

/// Format §10 "Calendar status" rule 1 and interfaces §2 `tiendoctl calendar` (status, source, `--years`).
@Suite struct CalendarStatusTests {
    static let projected2027 = CorrectedCalendar.parse(
        CorrectedCalendar.base + """
              2025:
                off: [2025-01-01]
              2027:
                projected: true
                off: [2027-01-01]

            """)

    @Test("status text of the heading: official with its source or without one; projected from rules or from a list")
    func statusText() {
        let c = Self.projected2027
        #expect(c.statusText(of: 2026) == "chính thức (Công văn 12729/VPCP-KGVX ngày 25/12/2025)")
        #expect(c.statusText(of: 2025) == "chính thức, không ghi nguồn")
        #expect(c.statusText(of: 2027) == "dự kiến (danh sách dự kiến, không ghi nguồn)")
        #expect(c.statusText(of: 2028) == "dự kiến (suy ra từ quy tắc)")
        #expect([2024, 2025, 2026, 2027, 2028].map { c.status(of: $0) } == [.projected, .official, .official, .projected, .projected])
    }

    @Test("calendar --json: every entry carries its year's status and source; make-up days are workday")
    func listing() {
        let y2026 = CorrectedCalendar.calendar.listingJSON(year: 2026)
        let lines = (y2026.arrayValue ?? []).map { $0.serialized() }
        #expect(lines.count == 15)
        #expect(lines.contains(#"{"date":"2026-01-10","name":"Ngày làm bù","kind":"workday","status":"official","source":"Công văn 12729/VPCP-KGVX ngày 25/12/2025"}"#))
        #expect(lines.contains(#"{"date":"2026-08-31","name":"Ngày nghỉ","kind":"holiday","status":"official","source":"Công văn 12729/VPCP-KGVX ngày 25/12/2025"}"#))
        let y2027 = (CorrectedCalendar.calendar.listingJSON(year: 2027).arrayValue ?? []).map { $0.serialized() }
        #expect(y2027.first == #"{"date":"2027-01-01","name":"Tết Dương lịch","kind":"holiday","status":"projected"}"#)
        #expect(y2027.contains(#"{"date":"2027-02-11","name":"Tết Nguyên Đán","kind":"compensatory","status":"projected"}"#))
    }

    @Test("calendar --years --json: each listed year with its status and source, in order")
    func years() {
        #expect(
            Self.projected2027.yearsJSON.serialized()
                == #"[{"year":2025,"status":"official"},{"year":2026,"status":"official","source":"Công văn 12729/VPCP-KGVX ngày 25/12/2025"},{"year":2027,"status":"projected"}]"#
        )
        #expect(WorkCalendar.otherYearsText == "dự kiến (suy ra từ quy tắc)")
    }
}
