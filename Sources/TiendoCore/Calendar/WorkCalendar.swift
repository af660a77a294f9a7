import Foundation
import Synchronization

/// A holiday rule projected for years without an official schedule.
public struct HolidayRule: Sendable, Hashable {
    public enum Anchor: Sendable, Hashable {
        case solar(month: Int, day: Int)
        case lunar(month: Int, day: Int)
    }
    public var name: String
    public var anchor: Anchor
    /// The span starts `from` days after the anchor date and lasts `days` days.
    public var from: Int
    public var days: Int

    public init(name: String, anchor: Anchor, from: Int = 0, days: Int = 1) {
        self.name = name
        self.anchor = anchor
        self.from = from
        self.days = days
    }
}

/// A schedule listed under `years:` for one year: non-working weekdays and make-up working days.
public struct OfficialYear: Sendable, Hashable {
    public var off: [CivilDate]
    public var work: [CivilDate]
    /// The document that published the list (`source:`), when given.
    public var source: String?
    /// `projected: true`: a better guess than the rules (e.g. by precedent) before the official list is out; its
    /// lists are used and its dates stay provisional.
    public var projected: Bool
    public init(off: [CivilDate], work: [CivilDate], source: String? = nil, projected: Bool = false) {
        self.off = off
        self.work = work
        self.source = source
        self.projected = projected
    }
}

/// What a day is, for `tiendoctl calendar` and for counting working days.
public struct DayInfo: Sendable, Hashable {
    public enum Kind: String, Sendable { case holiday, compensatory, weekend, workday }
    public var date: CivilDate
    public var name: String
    public var kind: Kind
}

/// A working-day calendar: weekends, official yearly schedules, and rules (solar and Vietnamese lunar dates with
/// compensatory days) for the other years. Immutable; each year's table is computed on first use.
public final class WorkCalendar: Sendable {
    public let id: String
    public let title: String
    public let zone: Zone
    /// ISO weekdays (1 = Monday … 7 = Sunday) that are not working days.
    public let weekend: Set<Int>
    public let rules: [HolidayRule]
    public let years: [Int: OfficialYear]

    /// Content identity: SHA-256 (hex) of the parsed content, so the daemon can tell when a calendar changed
    /// (formatting and comments of the file do not count).
    public let digest: String
    /// The file it was read from (`""` when built in code), for diagnostics and for the daemon to store its bytes.
    public let file: String
    /// Official years as a flat table from `officialFirstYear`, so the provisional check of a working-day step is an
    /// array read, not a dictionary lookup (it runs for every `wd` step of the daemon's hot path).
    let officialFirstYear: Int
    let officialTable: [Bool]

    /// Per-year tables of working days, computed on first use (projecting lunar rules is not free).
    private let cache = YearCache()

    public init(
        id: String, title: String, zone: Zone, weekend: Set<Int>, rules: [HolidayRule], years: [Int: OfficialYear],
        file: String = ""
    ) {
        self.id = id
        self.file = file
        self.title = title
        self.zone = zone
        self.weekend = weekend
        self.rules = rules
        self.years = years
        let official = years.filter { !$0.value.projected }.keys
        officialFirstYear = official.min() ?? 0
        var table = [Bool](repeating: false, count: official.isEmpty ? 0 : official.max()! - officialFirstYear + 1)
        for y in official { table[y - officialFirstYear] = true }
        officialTable = table
        digest = WorkCalendar.contentDigest(id: id, title: title, zone: zone, weekend: weekend, rules: rules, years: years)
    }

    struct YearTable {
        let firstDay: Int
        let working: [Bool]
    }

    final class YearCache: Sendable {
        let tables = Mutex<[Int: YearTable]>([:])
    }

    func table(_ year: Int) -> YearTable {
        if let t = cache.tables.withLock({ $0[year] }) { return t }
        let first = CivilDate(year, 1, 1).dayNumber
        let count = CivilDate(year, 12, 31).dayNumber - first + 1
        var working = [Bool](repeating: true, count: count)
        for i in 0..<count { working[i] = !weekend.contains(CivilDate(dayNumber: first + i).weekday) }
        for info in WorkCalendar.specialDays(year: year, weekend: weekend, rules: rules, years: years) {
            working[info.date.dayNumber - first] = info.kind == .workday
        }
        let t = YearTable(firstDay: first, working: working)
        cache.tables.withLock { $0[year] = t }
        return t
    }

    /// True when `date` is a working day of this calendar.
    public func isWorkingDay(_ date: CivilDate) -> Bool {
        let t = table(date.year)
        return t.working[date.dayNumber - t.firstDay]
    }

    /// How far a search for a working day goes: ten years. A validated calendar has a working day in every year
    /// (`CalendarParser.checkWorkingDays`), so the next one is always found well within it; a calendar built in
    /// code without any stops there instead of searching forever.
    public static let searchLimitDays = 3_660

    /// Steps `count` working days from `date` in the sign's direction; the start day is not counted
    /// (Civil Code 2015, Art. 147) and the result is always a working day (unless no working day follows within
    /// `searchLimitDays`: then the day where the search stopped).
    public func adding(workingDays count: Int, to date: CivilDate) -> CivilDate {
        let step = count >= 0 ? 1 : -1
        var remaining = abs(count)
        var day = date.dayNumber
        var t = table(date.year)
        var idle = 0
        while remaining > 0, idle < WorkCalendar.searchLimitDays {
            day += step
            var i = day - t.firstDay
            if i < 0 || i >= t.working.count {
                t = table(CivilDate(dayNumber: day).year)
                i = day - t.firstDay
            }
            if t.working[i] {
                remaining -= 1
                idle = 0
            } else {
                idle += 1
            }
        }
        return CivilDate(dayNumber: day)
    }

    /// The nearest working day on or after (forward) or on or before (backward) `date`.
    public func roll(_ date: CivilDate, forward: Bool) -> CivilDate {
        var d = date
        var guardCount = 0
        while !isWorkingDay(d), guardCount < WorkCalendar.searchLimitDays {
            d = d.adding(days: forward ? 1 : -1)
            guardCount += 1
        }
        return d
    }

    /// The year's non-working days other than plain weekends, and make-up working days; with `all`, weekends too.
    public func days(in year: Int, includeWeekends all: Bool = false) -> [DayInfo] {
        var out = WorkCalendar.specialDays(year: year, weekend: weekend, rules: rules, years: years)
        if all {
            let taken = Set(out.map(\.date))
            var d = CivilDate(year, 1, 1)
            while d.year == year {
                if weekend.contains(d.weekday), !taken.contains(d) {
                    out.append(DayInfo(date: d, name: d.weekdayName, kind: .weekend))
                }
                d = d.adding(days: 1)
            }
        }
        return out.sorted { $0.date < $1.date }
    }

    /// Rules projected for a year: holiday spans and compensatory days, first rule in the file wins a date.
    static func projection(year: Int, weekend: Set<Int>, rules: [HolidayRule]) -> [Int: DayInfo] {
        struct Span {
            var rule: Int
            var days: [Int]
        }
        var spans: [Span] = []
        for (ri, rule) in rules.enumerated() {
            for y in (year - 1)...year {
                let anchor: CivilDate?
                switch rule.anchor {
                case .solar(let m, let d):
                    anchor =
                        CivilDate(validYear: y, month: m, day: d)
                        ?? (m == 2 && d == 29 ? nil : CivilDate(y, m, min(d, CivilDate.daysIn(year: y, month: m))))
                case .lunar(let m, let d):
                    anchor = VietnameseLunar.solarDate(year: y, month: m, day: d)
                }
                guard let a = anchor else { continue }
                let start = a.dayNumber + rule.from
                spans.append(Span(rule: ri, days: Array(start..<(start + max(1, rule.days)))))
            }
        }
        // Which rule owns each holiday date (first rule in the file).
        var owner: [Int: Int] = [:]
        var ownerSpanEnd: [Int: Int] = [:]
        for s in spans.sorted(by: { $0.rule < $1.rule }) {
            for d in s.days where owner[d] == nil {
                owner[d] = s.rule
                ownerSpanEnd[d] = s.days.last!
            }
        }
        var result: [Int: DayInfo] = [:]
        for (d, r) in owner {
            result[d] = DayInfo(date: CivilDate(dayNumber: d), name: rules[r].name, kind: .holiday)
        }
        // Compensatory days, in date order, each on the first working day after its span that is not already a
        // holiday or compensatory day.
        for d in owner.keys.sorted() where weekend.contains(CivilDate(dayNumber: d).weekday) {
            var c = ownerSpanEnd[d]! + 1
            let limit = c + searchLimitDays
            while weekend.contains(CivilDate(dayNumber: c).weekday) || result[c] != nil, c < limit { c += 1 }
            result[c] = DayInfo(date: CivilDate(dayNumber: c), name: rules[owner[d]!].name, kind: .compensatory)
        }
        return result
    }

    /// Special days whose date falls in `year`.
    static func specialDays(year: Int, weekend: Set<Int>, rules: [HolidayRule], years: [Int: OfficialYear]) -> [DayInfo] {
        var projected = projection(year: year, weekend: weekend, rules: rules)
        // Spans of the next year's rules can spill back? No: spans start at or after their anchor plus `from`,
        // which may be negative; include next year's projection for early-starting spans.
        if rules.contains(where: { $0.from < 0 }) {
            for (d, info) in projection(year: year + 1, weekend: weekend, rules: rules) where projected[d] == nil {
                projected[d] = info
            }
        }
        if let official = years[year] {
            var out: [Int: DayInfo] = [:]
            let work = Set(official.work)
            for d in official.off where d.year == year && !work.contains(d) {
                let p = projected[d.dayNumber]
                out[d.dayNumber] = DayInfo(date: d, name: p?.name ?? "Ngày nghỉ", kind: p?.kind ?? .holiday)
            }
            for d in official.work where d.year == year {
                out[d.dayNumber] = DayInfo(date: d, name: "Ngày làm bù", kind: .workday)
            }
            return out.values.sorted { $0.date < $1.date }
        }
        return projected.values.filter { $0.date.year == year }.sorted { $0.date < $1.date }
    }
}
