import Testing

@testable import TiendoCore

/// Workflow format §7 and §10 "Calendars": the Vietnamese lunar calendar, holiday rules, compensatory days and
/// official yearly schedules.
@Suite struct CalendarTests {
    @Test(
        "Tết (lunar 01-01) is computed for the Vietnamese, not the Chinese, calendar",
        arguments: [
            (1985, "1985-01-21"),  // China: 1985-02-20
            (2007, "2007-02-17"),  // China: 2007-02-18
            (2025, "2025-01-29"),
            (2026, "2026-02-17"),
            (2027, "2027-02-06"),
            (2028, "2028-01-26"),
        ])
    func tet(_ year: Int, _ expected: String) {
        #expect(VietnameseLunar.solarDate(year: year, month: 1, day: 1)?.iso == expected)
    }

    @Test(
        "Giỗ Tổ Hùng Vương (lunar 03-10)",
        arguments: [(2025, "2025-04-07"), (2026, "2026-04-26"), (2027, "2027-04-16"), (2028, "2028-04-04")])
    func gioTo(_ year: Int, _ expected: String) {
        #expect(VietnameseLunar.solarDate(year: year, month: 3, day: 10)?.iso == expected)
    }

    @Test("lunar date of a solar date round-trips")
    func lunarOfSolar() {
        let l = VietnameseLunar.lunarDate(of: day("2026-02-17"))
        #expect(l.day == 1 && l.month == 1 && l.year == 2026 && !l.leap)
        let g = VietnameseLunar.lunarDate(of: day("2026-04-26"))
        #expect(g.day == 10 && g.month == 3 && g.year == 2026)
        let c = VietnameseLunar.lunarDate(of: day("2026-02-16"))  // 29 tháng Chạp Ất Tỵ
        #expect(c.day == 29 && c.month == 12 && c.year == 2025)
    }

    static func rulesOnly(_ rules: [HolidayRule]) -> WorkCalendar {
        WorkCalendar(id: "t", title: "t", zone: .vietnam, weekend: [6, 7], rules: rules, years: [:])
    }

    func listing(_ cal: WorkCalendar, _ year: Int) -> [String] {
        cal.days(in: year).map { "\($0.date.iso) \($0.kind.rawValue) \($0.name)" }
    }

    @Test(
        "a lunar rule projected from rules alone lands on the Vietnamese date",
        arguments: [(1985, "1985-01-21"), (2007, "2007-02-17"), (2026, "2026-02-17"), (2027, "2027-02-06")])
    func lunarRuleProjection(_ year: Int, _ expected: String) {
        let cal = Self.rulesOnly([HolidayRule(name: "Tết", anchor: .lunar(month: 1, day: 1))])
        let holidays = cal.days(in: year).filter { $0.kind == .holiday }.map(\.date.iso)
        #expect(holidays == [expected])
    }

    @Test("a weekend span day gives a compensatory day on the next working day after the span")
    func compensatoryDays() {
        // Giỗ Tổ 2026 is Sunday 26/04 -> nghỉ bù Monday 27/04, named after the rule.
        let cal = Self.rulesOnly([HolidayRule(name: "Giỗ Tổ Hùng Vương", anchor: .lunar(month: 3, day: 10))])
        #expect(listing(cal, 2026) == ["2026-04-26 holiday Giỗ Tổ Hùng Vương", "2026-04-27 compensatory Giỗ Tổ Hùng Vương"])
        #expect(!cal.isWorkingDay(day("2026-04-27")))
        #expect(cal.isWorkingDay(day("2026-04-28")))
        // 2025: Monday, no compensatory day.
        #expect(listing(cal, 2025) == ["2025-04-07 holiday Giỗ Tổ Hùng Vương"])
    }

    @Test("compensatory days come after the whole span and skip other holidays")
    func compensatoryAfterSpan() {
        // 2027 (rules only): Tết span 05/02 (Fri) – 09/02 (Tue); 06 and 07 are Sat/Sun -> 10/02 and 11/02.
        let cal = Self.rulesOnly([HolidayRule(name: "Tết Nguyên đán", anchor: .lunar(month: 1, day: 1), from: -1, days: 5)])
        #expect(
            listing(cal, 2027) == [
                "2027-02-05 holiday Tết Nguyên đán", "2027-02-06 holiday Tết Nguyên đán", "2027-02-07 holiday Tết Nguyên đán",
                "2027-02-08 holiday Tết Nguyên đán", "2027-02-09 holiday Tết Nguyên đán", "2027-02-10 compensatory Tết Nguyên đán",
                "2027-02-11 compensatory Tết Nguyên đán",
            ])
        // 30/04 + 01/05 2027: Friday and Saturday -> Monday 03/05; two rules, a date of both belongs to the first.
        let may = Self.rulesOnly([
            HolidayRule(name: "Ngày Chiến thắng", anchor: .solar(month: 4, day: 30)),
            HolidayRule(name: "Quốc tế Lao động", anchor: .solar(month: 5, day: 1)),
            HolidayRule(name: "Trùng", anchor: .solar(month: 5, day: 1)),
        ])
        #expect(
            listing(may, 2027) == [
                "2027-04-30 holiday Ngày Chiến thắng", "2027-05-01 holiday Quốc tế Lao động", "2027-05-03 compensatory Quốc tế Lao động",
            ])
    }

    @Test("the vn calendar of 2026 is exactly its official schedule, named after the rules")
    func vn2026() {
        #expect(
            listing(Fixtures.vn, 2026) == [
                "2026-01-01 holiday Tết Dương lịch",
                "2026-02-16 holiday Tết Nguyên đán",
                "2026-02-17 holiday Tết Nguyên đán",
                "2026-02-18 holiday Tết Nguyên đán",
                "2026-02-19 holiday Tết Nguyên đán",
                "2026-02-20 holiday Tết Nguyên đán",
                "2026-04-27 compensatory Giỗ Tổ Hùng Vương",
                "2026-04-30 holiday Ngày Chiến thắng",
                "2026-05-01 holiday Quốc tế Lao động",
                "2026-09-01 holiday Quốc khánh",
                "2026-09-02 holiday Quốc khánh",
            ])
        // Sunday 26/04 is a plain weekend day in the official year: it is not listed.
        #expect(!Fixtures.vn.days(in: 2026).contains { $0.date == day("2026-04-26") })
    }

    @Test("a year without an official schedule uses the rules (vn 2027)")
    func vn2027() {
        let days = Fixtures.vn.days(in: 2027).map(\.date.iso)
        #expect(days.contains("2027-02-06"))
        #expect(days.contains("2027-04-16"))
        #expect(days.contains("2027-05-03"))  // 01/05 Saturday -> Monday 03/05
        #expect(!Fixtures.vn.isWorkingDay(day("2027-04-16")))
        #expect(Fixtures.vn.isWorkingDay(day("2027-04-15")))
    }

    @Test("lunar rules of the previous lunar year spill into January (Tết 2025 span starts 28/01/2025)")
    func lunarRuleEarlyInYear() {
        let cal = Self.rulesOnly([HolidayRule(name: "Tết", anchor: .lunar(month: 1, day: 1), from: -1, days: 5)])
        let holidays = cal.days(in: 2025).filter { $0.kind == .holiday }.map(\.date.iso)
        #expect(holidays == ["2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-01"])
        // A rule of lunar 12-30 (29-day month: day 29) in lunar year 2025 falls in solar 2026.
        let eve = Self.rulesOnly([HolidayRule(name: "Giao thừa", anchor: .lunar(month: 12, day: 30))])
        #expect(eve.days(in: 2026).filter { $0.kind == .holiday }.map(\.date.iso) == ["2026-02-16"])
    }

    static func parse(_ yaml: String) -> (WorkCalendar?, [Diagnostic]) {
        CalendarParser.parse(bytes: Array(yaml.utf8), file: "calendars/t.yaml", expectedID: "t")
    }

    @Test("official years: ranges, 'work' make-up days, a date in both lists is a working day")
    func officialYears() throws {
        let (c, diags) = Self.parse(
            """
            tiendo: 1
            calendar: t
            title: T
            rules:
              - {name: "Giỗ Tổ Hùng Vương", lunar: "03-10"}
            years:
              2025:
                off: [2025-04-07, 2025-05-02..2025-05-05, 2025-06-10]
                work: [2025-04-26, 2025-06-10]
            """)
        #expect(diags.filter { $0.severity == .error }.isEmpty)
        let cal = try #require(c)
        #expect(
            listing(cal, 2025) == [
                "2025-04-07 holiday Giỗ Tổ Hùng Vương", "2025-04-26 workday Ngày làm bù", "2025-05-02 holiday Ngày nghỉ",
                "2025-05-03 holiday Ngày nghỉ", "2025-05-04 holiday Ngày nghỉ", "2025-05-05 holiday Ngày nghỉ",
                "2025-06-10 workday Ngày làm bù",
            ])
        #expect(cal.isWorkingDay(day("2025-04-26")))  // a make-up Saturday
        #expect(cal.isWorkingDay(day("2025-06-10")))  // in both off and work
        #expect(!cal.isWorkingDay(day("2025-05-05")))
        // The official list replaces the rules for that year: no projection elsewhere in 2025.
        #expect(cal.adding(workingDays: 1, to: day("2025-04-25")) == day("2025-04-26"))
    }

    @Test("weekend defaults to Saturday and Sunday; a custom weekend is honoured")
    func weekend() throws {
        let (c, _) = Self.parse("tiendo: 1\ncalendar: t\ntitle: T\nweekend: [sun]\n")
        let cal = try #require(c)
        #expect(cal.isWorkingDay(day("2026-03-14")))  // Saturday
        #expect(!cal.isWorkingDay(day("2026-03-15")))
        let (d, _) = Self.parse("tiendo: 1\ncalendar: t\ntitle: T\n")
        #expect(try #require(d).weekend == [6, 7])
    }

    @Test("calendar id must equal the file stem; bad dates are reported")
    func calendarDiagnostics() {
        let (_, d1) = Self.parse("tiendo: 1\ncalendar: vn\ntitle: T\n")
        #expect(d1.contains { $0.line == 2 && $0.column == 11 && $0.message.contains("must equal the file name 't'") })
        let (_, d2) = Self.parse("tiendo: 1\ncalendar: t\ntitle: T\nyears:\n  2026:\n    off: [2026-02-30]\n")
        #expect(d2.contains { $0.line == 6 && $0.column == 11 && $0.message.contains("impossible date '2026-02-30'") })
    }
}

/// Interfaces §2 `tiendoctl calendar --all`: weekends added, one entry per date, a holiday wins over a weekend.
@Suite struct CalendarListingTests {
    @Test("--all adds the remaining weekend days")
    func allDays() {
        let all = Fixtures.vn.days(in: 2026, includeWeekends: true)
        #expect(all.count == 11 + 104)
        #expect(Set(all.map(\.date)).count == all.count)
        #expect(all.contains { $0.date == day("2026-04-26") && $0.kind == .weekend && $0.name == "Chủ nhật" })
        #expect(all.map(\.date) == all.map(\.date).sorted())
        let cal = WorkCalendar(
            id: "t", title: "t", zone: .vietnam, weekend: [6, 7],
            rules: [HolidayRule(name: "Tết", anchor: .lunar(month: 1, day: 1), from: -1, days: 5)], years: [:])
        let feb = cal.days(in: 2027, includeWeekends: true).filter { $0.date.month == 2 && $0.date.day <= 11 }
        #expect(
            feb.map { "\($0.date.day) \($0.kind.rawValue)" } == [
                "5 holiday", "6 holiday", "7 holiday", "8 holiday", "9 holiday", "10 compensatory", "11 compensatory",
            ])
    }
}
