import Foundation
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
        #expect(
            lines.contains(
                #"{"date":"2026-01-10","name":"Ngày làm bù","kind":"workday","status":"official","source":"Công văn 12729/VPCP-KGVX ngày 25/12/2025"}"#
            ))
        #expect(
            lines.contains(
                #"{"date":"2026-08-31","name":"Ngày nghỉ","kind":"holiday","status":"official","source":"Công văn 12729/VPCP-KGVX ngày 25/12/2025"}"#
            ))
        let y2027 = (CorrectedCalendar.calendar.listingJSON(year: 2027).arrayValue ?? []).map { $0.serialized() }
        #expect(y2027.first == #"{"date":"2027-01-01","name":"Tết Dương lịch","kind":"holiday","status":"projected"}"#)
        #expect(y2027.contains(#"{"date":"2027-02-11","name":"Tết Nguyên đán","kind":"compensatory","status":"projected"}"#))
    }

    @Test("calendar --years --json: each listed year with its status and source, in order")
    func years() {
        #expect(
            Self.projected2027.yearsJSON.serialized()
                == #"[{"year":2025,"status":"official"},{"year":2026,"status":"official","source":"Công văn 12729/VPCP-KGVX ngày 25/12/2025"},{"year":2027,"status":"projected"}]"#
        )
        #expect(WorkCalendar.otherYearsText == "dự kiến (suy ra từ quy tắc)")
    }

    @Test("a calendar file gone or with errors: the calendar in force given to the loader keeps its workflows loading")
    func calendarsInForce() throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent(
            "tiendo-in-force-\(ProcessInfo.processInfo.processIdentifier)")
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir + "/calendars", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        try "tiendo: 1\ntitle: T\nmilestones:\n  m: {title: M, due: 2027-01-04 + 5wd}\n".write(
            toFile: dir + "/w.yaml", atomically: true, encoding: .utf8)
        // Gone: without a calendar in force the workflow is rejected; with one it loads and computes with it.
        #expect(Loader(searchPath: [dir]).loadAll().workflows["w"] == nil)
        let loader = Loader(searchPath: [dir])
        loader.calendarsInForce = ["vn": CorrectedCalendar.with2027]
        #expect(loader.loadAll().workflows["w"]?.calendar.digest == CorrectedCalendar.with2027.digest)
        // With errors: the same, and the file's error is still reported.
        try "tiendo: 1\ncalendar: vn\ntitle: T\nweekend: [someday]\n".write(
            toFile: dir + "/calendars/vn.yaml", atomically: true, encoding: .utf8)
        let broken = Loader(searchPath: [dir])
        broken.calendarsInForce = ["vn": CorrectedCalendar.with2027]
        let set = broken.loadAll()
        #expect(set.workflows["w"]?.calendar.digest == CorrectedCalendar.with2027.digest)
        #expect(set.errors.contains { $0.file.hasSuffix("calendars/vn.yaml") && $0.message.contains("unknown weekday 'someday'") })
    }
}
