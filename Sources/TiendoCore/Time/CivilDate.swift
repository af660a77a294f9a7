/// A calendar date in the proleptic Gregorian calendar, without a time zone.
///
/// Arithmetic is civil: days are counted as calendar days, never as multiples of 86,400 seconds. Kept as a day
/// number: the engine steps, compares and converts dates far more often than it reads their year, month and day.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let dayNumber: Int

    /// Creates a date without checking it; use `init?(validYear:month:day:)` or `parse` for outside input. (An impossible
    /// date counts on: 2026-02-30 is 2026-03-02.)
    public init(_ year: Int, _ month: Int, _ day: Int) {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        dayNumber = era * 146_097 + doe - 719_468
    }

    /// Returns nil for impossible dates such as 2026-02-30.
    public init?(validYear year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysIn(year: year, month: month) else { return nil }
        self.init(year, month, day)
    }

    public init(dayNumber: Int) { self.dayNumber = dayNumber }

    /// Year, month and day (Howard Hinnant's civil_from_days).
    public var civil: (year: Int, month: Int, day: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    public var year: Int { civil.year }
    public var month: Int { civil.month }
    public var day: Int { civil.day }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        let w = (dayNumber + 3) % 7  // 1970-01-01 was a Thursday (ISO 4)
        return (w < 0 ? w + 7 : w) + 1
    }

    /// The weekdays as people name them, Monday first, as a heading or a sentence's start writes them.
    public static let weekdayNames = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]

    /// «Thứ Hai» … «Chủ nhật».
    public var weekdayName: String { CivilDate.weekdayNames[weekday - 1] }

    /// The weekday inside a sentence: «thứ Hai» … «chủ nhật».
    public var weekdayInSentence: String { weekdayName.prefix(1).lowercased() + weekdayName.dropFirst() }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        default: return isLeap(year) ? 29 : 28
        }
    }

    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    /// Calendar months with end-of-month clamping (2026-01-31 + 1 month = 2026-02-28).
    public func adding(months: Int) -> CivilDate {
        let (year, month, day) = civil
        let total = year * 12 + (month - 1) + months
        let y = total >= 0 ? total / 12 : (total - 11) / 12
        let m = total - y * 12 + 1
        return CivilDate(y, m, min(day, CivilDate.daysIn(year: y, month: m)))
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { a.dayNumber < b.dayNumber }

    /// `YYYY-MM-DD`.
    public var description: String { iso }

    public var iso: String {
        let (year, month, day) = civil
        guard (0...9999).contains(year) else { return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) }
        return DateText.write(capacity: 10) { $0.date(self, iso: true) }
    }

    /// `dd/mm/yyyy`, the Vietnamese everyday format.
    public var vietnamese: String {
        let (year, month, day) = civil
        guard (0...9999).contains(year) else { return pad(day, 2) + "/" + pad(month, 2) + "/" + pad(year, 4) }
        return DateText.write(capacity: 10) { $0.date(self, iso: false) }
    }

    /// Strict `YYYY-MM-DD`; nil when malformed. Use `parseStrict` to tell malformed from impossible.
    public static func parse(_ text: some StringProtocol) -> CivilDate? {
        if case .valid(let d) = parseStrict(text) { return d }
        return nil
    }

    public enum ParseResult: Equatable {
        case valid(CivilDate)
        case malformed
        case impossible
    }

    public static func parseStrict(_ text: some StringProtocol) -> ParseResult {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return .malformed }
        guard let y = digits(u, 0, 4), let m = digits(u, 5, 2), let d = digits(u, 8, 2) else { return .malformed }
        guard let date = CivilDate(validYear: y, month: m, day: d) else { return .impossible }
        return .valid(date)
    }
}

@inline(__always)
func digits(_ u: [UInt8], _ start: Int, _ count: Int) -> Int? {
    guard start + count <= u.count else { return nil }
    var v = 0
    for i in start..<(start + count) {
        let c = u[i]
        guard c >= 48, c <= 57 else { return nil }
        v = v * 10 + Int(c - 48)
    }
    return v
}

func pad(_ value: Int, _ width: Int) -> String {
    let s = String(abs(value))
    let padded = s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    return value < 0 ? "-" + padded : padded
}

/// A local time of day in minutes since midnight (`HH:MM`, 00:00–23:59).
public struct TimeOfDay: Hashable, Sendable, CustomStringConvertible {
    public let minutes: Int
    public init(hour: Int, minute: Int) { minutes = hour * 60 + minute }
    public var hour: Int { minutes / 60 }
    public var minute: Int { minutes % 60 }
    public var description: String { pad(hour, 2) + ":" + pad(minute, 2) }

    /// Strict `HH:MM` with 00:00–23:59.
    public static func parse(_ text: some StringProtocol) -> TimeOfDay? {
        let u = Array(text.utf8)
        guard u.count == 5, u[2] == UInt8(ascii: ":"), let h = digits(u, 0, 2), let m = digits(u, 3, 2),
            h < 24, m < 60
        else { return nil }
        return TimeOfDay(hour: h, minute: m)
    }
}
