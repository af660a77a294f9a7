/// Whether a calendar year is official or projected (workflow format §7 and §10 "Calendar status").
public enum YearStatus: String, Sendable, Hashable {
    /// Listed under `years:` without `projected: true`.
    case official
    /// Not listed (its days come from the rules), or listed with `projected: true`.
    case projected
}

extension WorkCalendar {
    /// Rule 1: official when `years:` has the key (whatever its lists) and it does not say `projected: true`.
    public func status(of year: Int) -> YearStatus { isProjected(year) ? .projected : .official }

    /// The `source` of a year listed under `years:`, when it gives one.
    public func source(of year: Int) -> String? { years[year]?.source }

    /// A year's status for people (interfaces §2 `calendar`): `chính thức (SOURCE)` or `chính thức, không ghi nguồn`
    /// for a year under `years:`; `dự kiến (suy ra từ quy tắc)` for the others; a listed year with `projected: true`
    /// is `dự kiến (danh sách dự kiến: SOURCE)` or `dự kiến (danh sách dự kiến, không ghi nguồn)`.
    public func statusText(of year: Int) -> String {
        guard let listed = years[year] else { return WorkCalendar.otherYearsText }
        if listed.projected {
            return listed.source.map { "dự kiến (danh sách dự kiến: \($0))" } ?? "dự kiến (danh sách dự kiến, không ghi nguồn)"
        }
        return listed.source.map { "chính thức (\($0))" } ?? "chính thức, không ghi nguồn"
    }

    /// The status of every year not under `years:`.
    public static let otherYearsText = "dự kiến (suy ra từ quy tắc)"

    /// The years listed under `years:`, in order.
    public var listedYears: [Int] { years.keys.sorted() }

    /// The hot-path form of `status(of:)`: one array read.
    @inline(__always)
    func isProjected(_ year: Int) -> Bool {
        let i = year - officialFirstYear
        return i < 0 || i >= officialTable.count || !officialTable[i]
    }

    /// True when a day from `a` through `b` (either order) lies in a projected year. Years are contiguous ranges of
    /// days, so checking each year the span touches is exact.
    func spansProjected(_ a: CivilDate, _ b: CivilDate) -> Bool {
        let (lo, hi) = a.year <= b.year ? (a.year, b.year) : (b.year, a.year)
        for y in lo...hi where isProjected(y) { return true }
        return false
    }

    /// `adding(workingDays:to:)`, and whether it looked at a day of a projected year (rule 2: every day it steps
    /// onto, from the day next to the start through the result).
    func addingTracked(workingDays count: Int, to date: CivilDate) -> (date: CivilDate, provisional: Bool) {
        let result = adding(workingDays: count, to: date)
        if count == 0 { return (result, false) }
        return (result, spansProjected(date.adding(days: count > 0 ? 1 : -1), result))
    }

    /// `roll(_:forward:)`, and whether it looked at a day of a projected year (rule 2: the date itself and, when it
    /// is not a working day, each day it moves onto up to the result).
    func rollTracked(_ date: CivilDate, forward: Bool) -> (date: CivilDate, provisional: Bool) {
        let result = roll(date, forward: forward)
        return (result, spansProjected(date, result))
    }

    /// SHA-256 of a canonical text of everything parsed: equal calendars have equal digests whatever their
    /// formatting, and any change that can move a date (or a name, a status, a source) changes it.
    static func contentDigest(
        id: String, title: String, zone: Zone, weekend: Set<Int>, rules: [HolidayRule], years: [Int: OfficialYear]
    ) -> String {
        var text = "calendar\u{1F}\(id)\u{1F}\(title)\u{1F}\(zone.identifier)\u{1F}\(weekend.sorted())\n"
        for r in rules {
            let anchor: String
            switch r.anchor {
            case .solar(let m, let d): anchor = "solar \(m)-\(d)"
            case .lunar(let m, let d): anchor = "lunar \(m)-\(d)"
            }
            text += "rule\u{1F}\(r.name)\u{1F}\(anchor)\u{1F}\(r.from)\u{1F}\(r.days)\n"
        }
        for y in years.keys.sorted() {
            let o = years[y]!
            text += "year\u{1F}\(y)\u{1F}\(o.projected)\u{1F}\(o.source ?? "\u{0}")\u{1F}"
            text += o.off.map(\.iso).joined(separator: ",") + "\u{1F}" + o.work.map(\.iso).joined(separator: ",") + "\n"
        }
        return SHA256.hex(Array(text.utf8))
    }
}

extension WorkCalendar {
    /// Parses a calendar file's bytes: `calendars/ID.yaml` on disk, or the copy of the calendar in force that the
    /// daemon keeps with its state (format §10 "Calendar changes", rule 1). `id` is the expected calendar id.
    public static func parse(bytes: [UInt8], file: String, id: String) -> (WorkCalendar?, [Diagnostic]) {
        CalendarParser.parse(bytes: bytes, file: file, expectedID: id)
    }
}
