/// Validation that a calendar always has working days. Without it, a `weekend` of all seven days, a listed year
/// whose `off` list covers every day, or rules long enough to fill a year made every working-day search (`wd`,
/// `roll`, compensatory days) run forever in `plan` and in the daemon. With it, every year of a valid calendar has
/// a working day, so the next one is always less than two years away (`WorkCalendar.searchLimitDays` bounds the
/// searches anyway, for calendars built in code).
extension CalendarParser {
    static func checkWorkingDays(
        weekend: Set<Int>, weekendNode: YNode?, rules: [HolidayRule], rulesNode: YNode?, years: [Int: OfficialYear],
        yearKeys: [Int: Position], sink: DiagnosticSink
    ) {
        if weekend.count >= 7 {
            sink.error(
                weekendNode?.position ?? Position(line: 1, column: 1),
                "'weekend' covers all seven days of the week: the calendar would have no working day")
            return
        }
        // A projected year loses at most one weekday per span day of the rules' projections that can reach it
        // (anchors of the year before, the year itself and, for a negative 'from', the year after): the day itself
        // or its compensatory day. Below the fewest weekdays a year can have, some day is always left.
        let fewestWeekdays = 52 * (7 - weekend.count)
        let spanDays = rules.reduce(0) { $0 + 3 * $1.days }
        if spanDays >= fewestWeekdays, let rulesNode {
            sink.error(
                rulesNode.position,
                "the rules' holiday spans (\(spanDays / 3) days, which spans from the neighbouring years can add to "
                    + "a year up to \(spanDays) days off with their compensatory days) could leave a year without a "
                    + "working day: a year has only \(fewestWeekdays) days outside the weekend")
        }
        for (year, schedule) in years.sorted(by: { $0.key < $1.key }) where !hasWorkingDay(year, schedule, weekend) {
            sink.error(
                yearKeys[year] ?? Position(line: 1, column: 1),
                "year \(year) has no working day: its 'off' list and the weekend cover every day")
        }
    }

    static func hasWorkingDay(_ year: Int, _ schedule: OfficialYear, _ weekend: Set<Int>) -> Bool {
        if schedule.work.contains(where: { $0.year == year }) { return true }
        let off = Set(schedule.off.lazy.filter { $0.year == year }.map(\.dayNumber))
        let first = CivilDate(year, 1, 1).dayNumber
        let last = CivilDate(year, 12, 31).dayNumber
        return (first...last).contains { !off.contains($0) && !weekend.contains(CivilDate(dayNumber: $0).weekday) }
    }
}
