import Testing

@testable import TiendoCore

/// Format §10 "Recurring milestones", rule 1, and "Calendar status", rule 1: every error at its exact position.
@Suite struct RecurringValidationTests {
    typealias Case = BrokenWorkflowTests.Case

    /// A milestone block after a fixed header (lines 1–3), so positions read from line 4 on.
    static func ms(_ body: String) -> String { "tiendo: 1\ntitle: T\nmilestones:\n" + body }

    static let errors: [Case] = [
        Case(
            name: "every without anchor: at the milestone's mapping",
            yaml: ms("  m:\n    title: M\n    every: 1mo\n    due: period + 9d\n"),
            line: 5, column: 5, fragment: "missing required key 'anchor' in milestone 'm'"),
        Case(
            name: "every with a due not based on period: at the due",
            yaml: ms("  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    due: 2027-01-10\n"),
            line: 8, column: 10, fragment: "must be based on 'period'"),
        Case(
            name: "anchor without every: at the key",
            yaml: ms("  m:\n    title: M\n    anchor: 2027-01-01\n    due: 2027-01-10\n"),
            line: 6, column: 5, fragment: "'anchor' needs 'every'"),
        Case(
            name: "until without every",
            yaml: ms("  m:\n    title: M\n    due: 2027-01-10\n    until: 2027-12-31\n"),
            line: 7, column: 5, fragment: "'until' needs 'every'"),
        Case(
            name: "count without every",
            yaml: ms("  m:\n    title: M\n    due: 2027-01-10\n    count: 3\n"),
            line: 7, column: 5, fragment: "'count' needs 'every'"),
        Case(
            name: "overdue.missed without every: at the key",
            yaml: ms("  m:\n    title: M\n    due: 2027-01-10\n    overdue: {repeat: 7d, missed: {count: 2, priority: crit}}\n"),
            line: 7, column: 27, fragment: "'overdue.missed' applies to recurring milestones only"),
        Case(
            name: "overdue.missed on a state's deadline",
            yaml:
                "tiendo: 1\ntitle: T\ninitial: a\nstates:\n  a:\n    deadline:\n      due: started + 3d\n      overdue:\n        missed: {count: 2, priority: crit}\n    on: {x: b}\n  b: {final: true}\n",
            line: 9, column: 9, fragment: "'overdue.missed' applies to recurring milestones only"),
        Case(
            name: "wd in every: at the value",
            yaml: ms("  m:\n    title: M\n    every: 5wd\n    anchor: 2027-01-01\n    due: period + 1d\n"),
            line: 6, column: 12, fragment: "'every' of milestone 'm' cannot use 'wd'"),
        Case(
            name: "h in every",
            yaml: ms("  m:\n    title: M\n    every: 12h\n    anchor: 2027-01-01\n    due: period + 1d\n"),
            line: 6, column: 12, fragment: "cannot use 'h'"),
        Case(
            name: "min in every",
            yaml: ms("  m:\n    title: M\n    every: 30min\n    anchor: 2027-01-01\n    due: period + 1d\n"),
            line: 6, column: 12, fragment: "cannot use 'min'"),
        Case(
            name: "every of zero",
            yaml: ms("  m:\n    title: M\n    every: 0mo\n    anchor: 2027-01-01\n    due: period + 1d\n"),
            line: 6, column: 12, fragment: "must be at least 1"),
        Case(
            name: "every that is not an offset",
            yaml: ms("  m:\n    title: M\n    every: monthly\n    anchor: 2027-01-01\n    due: period + 1d\n"),
            line: 6, column: 12, fragment: "invalid 'every' 'monthly'"),
        Case(
            name: "period in a one-shot milestone's due",
            yaml: ms("  m:\n    title: M\n    due: period + 1d\n"),
            line: 6, column: 10, fragment: "'period' is allowed only in the 'due' of a recurring milestone"),
        Case(
            name: "period in an after.at",
            yaml: "tiendo: 1\ntitle: T\ninitial: a\nstates:\n  a:\n    after: {at: period + 1d, to: b}\n  b: {final: true}\n",
            line: 6, column: 17, fragment: "'period' is allowed only in the 'due' of a recurring milestone"),
        Case(
            name: "period in a state's deadline",
            yaml: "tiendo: 1\ntitle: T\ninitial: a\nstates:\n  a:\n    deadline: {due: period + 3d}\n    on: {x: b}\n  b: {final: true}\n",
            line: 6, column: 21, fragment: "'period' is allowed only"),
        Case(
            name: "an anchor that uses period",
            yaml: ms("  m:\n    title: M\n    every: 1mo\n    anchor: period\n    due: period + 1d\n"),
            line: 7, column: 13, fragment: "not in 'anchor' of milestone 'm'"),
        Case(
            name: "an anchor that gives an instant",
            yaml: ms("  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01 at 08:00\n    due: period + 1d\n"),
            line: 7, column: 13, fragment: "'anchor' of milestone 'm' must give a date, not an instant"),
        Case(
            name: "an until that uses period",
            yaml: ms("  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    until: period + 1y\n    due: period + 1d\n"),
            line: 8, column: 12, fragment: "not in 'until' of milestone 'm'"),
        Case(
            name: "an until that gives an instant",
            yaml: ms("  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    until: 2027-12-31T17:00\n    due: period + 1d\n"),
            line: 8, column: 12, fragment: "'until' of milestone 'm' must give a date"),
        Case(
            name: "count below 1",
            yaml: ms("  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    count: 0\n    due: period + 1d\n"),
            line: 8, column: 12, fragment: "'count' of milestone 'm' must be an integer of at least 1"),
        Case(
            name: "requires on a recurring milestone: at the key",
            yaml: ms(
                "  a: {title: A, due: 2027-01-01}\n  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    due: period + 1d\n    requires: [a]\n"
            ),
            line: 10, column: 5, fragment: "recurring milestone 'm' cannot have 'requires'"),
        Case(
            name: "requires naming a recurring milestone: at the name",
            yaml: ms(
                "  a: {title: A, due: 2027-01-01, requires: [b, m]}\n  b: {title: B, due: 2027-01-01}\n  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    due: period + 1d\n"
            ),
            line: 4, column: 48, fragment: "milestone 'a' cannot require recurring milestone 'm'"),
        Case(
            name: "a missed entry with count below 1",
            yaml: ms(
                "  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    due: period + 1d\n    overdue:\n      missed: {count: 0, priority: crit}\n"
            ),
            line: 10, column: 23, fragment: "'count' in 'overdue.missed' of milestone 'm' must be an integer of at least 1"),
        Case(
            name: "a missed entry with of below count",
            yaml: ms(
                "  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    due: period + 1d\n    overdue:\n      missed:\n        - {count: 2, priority: err}\n        - {count: 3, of: 2, priority: crit}\n"
            ),
            line: 12, column: 26, fragment: "'of' in 'overdue.missed' of milestone 'm' must be an integer not below 'count'"),
        Case(
            name: "a missed entry with a priority escalate does not allow",
            yaml: ms(
                "  m:\n    title: M\n    every: 1mo\n    anchor: 2027-01-01\n    due: period + 1d\n    overdue: {missed: {count: 3, priority: emerg}}\n"
            ),
            line: 9, column: 44, fragment: "invalid priority 'emerg' in 'overdue.missed' of milestone 'm'"),
        Case(
            name: "a field may not be named period",
            yaml: "tiendo: 1\ntitle: T\nfields:\n  period: {type: date}\nmilestones:\n  m: {title: M, due: 2027-01-01}\n",
            line: 4, column: 3, fragment: "field name 'period' is reserved"),
    ]

    @Test("recurring milestones: every error of rule 1 at its node", arguments: errors)
    func error(_ c: Case) { BrokenWorkflowTests.check(c) }

    @Test("a valid recurring milestone loads without diagnostics; missed as one entry or a list")
    func valid() throws {
        let yaml = Self.ms(
            "  m:\n    title: M\n    every: 3mo\n    anchor: 2027-01-01\n    until: 2030-12-31\n    due: period + 3mo + 9d\n    roll: forward\n"
                + "    overdue:\n      repeat: 7d\n      escalate: {14d: err}\n      missed: [{count: 2, priority: err}, {count: 3, of: 4, priority: crit}]\n"
                + "  n:\n    title: N\n    every: 2w\n    anchor: 2027-01-04\n    count: 26\n    due: period + 13d\n")
        let (def, diags) = BrokenWorkflowTests.diagnostics("dinh-ky", Array(yaml.utf8))
        #expect(diags.isEmpty, "\(diags)")
        let m = try #require(def?.milestone("m"))
        #expect(m.recurrence?.every == Offset(3, .mo) && m.recurrence?.everyText == "3mo" && m.recurrence?.until != nil)
        #expect(m.recurrence?.missed == [MissedRule(count: 2, of: 2, priority: 3), MissedRule(count: 3, of: 4, priority: 2)])
        #expect(def?.milestone("n")?.recurrence?.count == 26)
    }

    static func calendarDiagnostics(_ years: String) -> (WorkCalendar?, [Diagnostic]) {
        WorkCalendar.parse(bytes: Array("tiendo: 1\ncalendar: vn\ntitle: T\nyears:\n\(years)".utf8), file: "calendars/vn.yaml", id: "vn")
    }

    @Test("calendar years: a listed year without source is a warning at its key; bad source and projected are errors")
    func calendarYearStatus() {
        let (cal, warn) = Self.calendarDiagnostics("  2026:\n    off: [2026-01-01]\n  2027: {}\n")
        #expect(
            warn.map(\.description) == [
                "calendars/vn.yaml:5:3: warning: year 2026 has no 'source': cite the document that published its list",
                "calendars/vn.yaml:7:3: warning: year 2027 has no 'source': cite the document that published its list",
            ])
        #expect(cal?.status(of: 2027) == .official)  // listed, even with empty lists
        let (bad, errs) = Self.calendarDiagnostics("  2026:\n    source: \"\"\n    projected: maybe\n")
        #expect(bad == nil)
        #expect(
            errs.map(\.description) == [
                "calendars/vn.yaml:6:13: error: 'source' of 2026 must be non-empty text citing the document that published the list",
                "calendars/vn.yaml:7:16: error: 'projected' of 2026 must be true or false, found 'maybe'",
            ])
    }

    @Test("the calendar's content digest ignores formatting and follows every parsed value")
    func calendarDigest() {
        let a = CorrectedCalendar.calendar
        let reformatted = CorrectedCalendar.parse(
            "# comment\n" + CorrectedCalendar.base.replacingOccurrences(of: "weekend: [sat, sun]", with: "weekend: [sun, sat]"))
        #expect(a.digest == reformatted.digest && a.digest.count == 64)
        #expect(a.digest != CorrectedCalendar.with2027.digest)
        let resourced = CorrectedCalendar.parse(CorrectedCalendar.base.replacingOccurrences(of: "ngày 25/12/2025", with: "25/12/2025"))
        #expect(a.digest != resourced.digest)
    }
}
