/// A time unit of date expressions and offsets.
public enum TimeUnit: String, Sendable, Hashable, CaseIterable {
    case d, wd, w, mo, y, h, min

    var isTimeOfDay: Bool { self == .h || self == .min }

    /// The unit as people name it: «ngày», «ngày làm việc», «tháng» (a deadline's basis, a series' period).
    public var vietnamese: String {
        switch self {
        case .d: return "ngày"
        case .wd: return "ngày làm việc"
        case .w: return "tuần"
        case .mo: return "tháng"
        case .y: return "năm"
        case .h: return "giờ"
        case .min: return "phút"
        }
    }
}

/// A signed amount of a unit, e.g. `-42d` or `10wd`.
public struct Offset: Sendable, Hashable, CustomStringConvertible {
    public var amount: Int
    public var unit: TimeUnit
    public init(_ amount: Int, _ unit: TimeUnit) {
        self.amount = amount
        self.unit = unit
    }
    public var description: String { "\(amount)\(unit.rawValue)" }

    /// The most a due may lie from its base, all steps together: 200 years. Fields' dates lie in 1900–2199, so every
    /// due lies in 1700–2399 and is written dd/mm/yyyy; `d - 2000y` or `d + 99999y` put dues in year −101 or 101899,
    /// printed garbled and counted in millions of days.
    static let maxSpanSeconds: Int64 = 200 * 31_556_952

    /// The calendar time an offset may span, for `maxSpanSeconds`: a working day counts as 7/5 of a day (five to a
    /// week), so that `d + 73000wd` — some 280 years — is not taken for 200.
    var spanSeconds: Int64 { unit == .wd ? Int64(amount) * 86_400 * 7 / 5 : approximateSeconds }

    /// Approximate length in seconds, for ordering offsets (larger first).
    var approximateSeconds: Int64 {
        switch unit {
        case .d, .wd: return Int64(amount) * 86_400
        case .w: return Int64(amount) * 604_800
        case .mo: return Int64(amount) * 2_629_746
        case .y: return Int64(amount) * 31_556_952
        case .h: return Int64(amount) * 3600
        case .min: return Int64(amount) * 60
        }
    }

    /// Parses `12d`, `3wd`, `1h` (no sign).
    static func parse(_ text: String) -> Offset? {
        let t = text.trimmingCharactersInSet(" ")
        let digitsPart = t.prefix { $0.isASCII && $0.isNumber }
        guard !digitsPart.isEmpty, digitsPart.count <= 6, let n = Int(digitsPart) else { return nil }
        guard let unit = TimeUnit(rawValue: String(t.dropFirst(digitsPart.count))) else { return nil }
        return Offset(n, unit)
    }
}

/// A value of a date expression: a calendar date or an instant.
public enum DateValue: Sendable, Hashable {
    case date(CivilDate)
    case instant(Instant)
}

/// A parsed date expression: `base { ('+' | '-') INT unit } [ 'at' HH:MM ]`.
public struct DateExpression: Sendable, Hashable, CustomStringConvertible {
    public enum Base: Sendable, Hashable {
        case date(CivilDate)
        case instant(Instant)
        case field(String)
        /// `FIELD or entered` (an extension: README "Extensions"): the field's value when it is set, else the
        /// instance's own date or instant — a date the law counts from that a person may type (the day of a chi bộ's
        /// resolution), which the day it was recorded stands in for until then.
        case fieldOr(String, Fallback)
        case started, entered, startedAt, enteredAt
        /// The start of an occurrence's period: only in a recurring milestone's `due` (format §4, §6).
        case period
    }
    /// What `FIELD or …` falls back to.
    public enum Fallback: String, Sendable, Hashable, CaseIterable {
        case started, entered
        case startedAt = "started_at"
        case enteredAt = "entered_at"

        public var isInstant: Bool { self == .startedAt || self == .enteredAt }
    }
    public var base: Base
    public var steps: [Offset]  // signed amounts
    public var at: TimeOfDay?
    /// How many steps come before `at` (the rest apply to the instant it makes: `ngay at 17:00 - 2h`).
    public var atIndex: Int?
    public var source: String

    public var description: String { source }

    /// Fields the expression reads.
    public var field: String? {
        switch base {
        case .field(let f), .fieldOr(let f, _): return f
        default: return nil
        }
    }

    public struct ParseError: Error {
        public var message: String
        /// Column offset (in characters) inside the expression text.
        public var offset: Int
    }

    /// Parses the text; `zone` interprets datetime literals without an offset.
    public static func parse(_ text: String, zone: Zone) throws(ParseError) -> DateExpression {
        let chars = Array(text)
        var i = 0
        func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        skipSpaces()
        guard i < chars.count else { throw ParseError(message: "empty date expression", offset: 0) }
        // Base
        let baseStart = i
        var base: Base
        if chars[i].isASCII, chars[i].isNumber {
            // Date or datetime literal.
            var j = i
            while j < chars.count, chars[j].isASCII, chars[j].isNumber || chars[j] == "-" {
                if chars[j] == "-", j - i >= 10 { break }
                j += 1
            }
            let dateText = String(chars[i..<min(j, i + 10)])
            j = i + dateText.count
            switch CivilDate.parseStrict(dateText) {
            case .impossible: throw ParseError(message: "impossible date '\(dateText)'", offset: i)
            case .malformed:
                // A day-first date (`01/01/2026`, as people write it) is named whole, with the form it needs.
                var k = i
                while k < chars.count, chars[k].isASCII, chars[k].isNumber || chars[k] == "/" || chars[k] == "." { k += 1 }
                let written = String(chars[i..<k])
                if let iso = HumanDate.isoSpelling(of: written) {
                    throw ParseError(message: "invalid date '\(written)': dates are written YYYY-MM-DD ('\(iso)')", offset: i)
                }
                throw ParseError(message: "invalid date '\(dateText)': expected YYYY-MM-DD", offset: i)
            case .valid(let d):
                if j < chars.count, chars[j] == "T" {
                    // datetime: THH:MM[:SS][Z|±HH:MM]
                    var k = j + 1
                    while k < chars.count, chars[k].isASCII, chars[k].isNumber || chars[k] == ":" { k += 1 }
                    if k < chars.count, chars[k] == "Z" {
                        k += 1
                    } else if k + 5 < chars.count + 0, k < chars.count, chars[k] == "+" || chars[k] == "-",
                        k + 6 <= chars.count, chars[k + 3] == ":", chars[k + 1].isNumber, chars[k + 2].isNumber
                    {
                        k += 6
                    }
                    let lit = String(chars[i..<k])
                    guard let inst = zone.parseInstant(lit) else {
                        throw ParseError(message: "invalid date-time '\(lit)': expected YYYY-MM-DDTHH:MM[:SS][±HH:MM]", offset: i)
                    }
                    base = .instant(inst)
                    i = k
                } else {
                    base = .date(d)
                    i = j
                }
            }
        } else if chars[i].isLetter || chars[i] == "_" {
            var j = i
            while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
            let name = String(chars[i..<j])
            switch name {
            case "started": base = .started
            case "entered": base = .entered
            case "started_at": base = .startedAt
            case "entered_at": base = .enteredAt
            case "period": base = .period
            default: base = .field(name)
            }
            i = j
            // `FIELD or entered`: a field, else one of the instance's own dates.
            var k = i
            while k < chars.count, chars[k] == " " || chars[k] == "\t" { k += 1 }
            if case .field(let f) = base, k > i, k + 2 < chars.count, chars[k] == "o", chars[k + 1] == "r",
                chars[k + 2] == " " || chars[k + 2] == "\t"
            {
                i = k + 2
                skipSpaces()
                var e = i
                while e < chars.count, chars[e].isLetter || chars[e].isNumber || chars[e] == "_" { e += 1 }
                guard let fallback = Fallback(rawValue: String(chars[i..<e])) else {
                    throw ParseError(message: "expected 'started', 'entered', 'started_at' or 'entered_at' after 'or'", offset: i)
                }
                base = .fieldOr(f, fallback)
                i = e
            }
        } else {
            throw ParseError(message: "expected a date, a field name, 'started' or 'entered' at '\(String(chars[i...]))'", offset: i)
        }
        _ = baseStart
        var steps: [Offset] = []
        var at: TimeOfDay?
        var atIndex: Int?
        while true {
            skipSpaces()
            if i >= chars.count { break }
            let c = chars[i]
            if c == "+" || c == "-" {
                let sign = c == "-" ? -1 : 1
                i += 1
                skipSpaces()
                let numStart = i
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
                guard i > numStart else { throw ParseError(message: "expected a number after '\(c)'", offset: numStart) }
                guard i - numStart <= 6, let n = Int(String(chars[numStart..<i])) else {
                    throw ParseError(message: "number too large", offset: numStart)
                }
                let unitStart = i
                while i < chars.count, chars[i].isLetter { i += 1 }
                let unitText = String(chars[unitStart..<i])
                guard let unit = TimeUnit(rawValue: unitText) else {
                    let hint = didYouMean(unitText, TimeUnit.allCases.map(\.rawValue))
                    // The unit after a space (`30 wd`), or a fraction (`1.5d`): say that, not «missing unit».
                    var after = i
                    while after < chars.count, chars[after] == " " { after += 1 }
                    var word = after
                    while word < chars.count, chars[word].isLetter { word += 1 }
                    let spaced = unitText.isEmpty && after > i ? String(chars[after..<word]) : ""
                    let message: String
                    if TimeUnit(rawValue: spaced) != nil {
                        message = "no space between a number and its unit: write '\(n)\(spaced)'"
                    } else if unitText.isEmpty, i < chars.count, chars[i] == "." || chars[i] == "," {
                        var end = i + 1
                        while end < chars.count, chars[end].isASCII, chars[end].isNumber || chars[end].isLetter { end += 1 }
                        message =
                            "whole numbers only: '\(String(chars[numStart..<end]))' has a fraction; count in a smaller unit (36h, not 1.5d)"
                    } else if unitText.isEmpty {
                        message = "missing unit after '\(n)': use d, wd, w, mo, y, h or min"
                    } else {
                        message = "unknown unit '\(unitText)'\(hint): use d, wd, w, mo, y, h or min"
                    }
                    throw ParseError(message: message, offset: unitStart)
                }
                if n == 0 && unit == .wd { throw ParseError(message: "'0wd' is not allowed", offset: numStart) }
                steps.append(Offset(sign * n, unit))
                if steps.reduce(Int64(0), { $0 + abs($1.spanSeconds) }) > Offset.maxSpanSeconds {
                    throw ParseError(
                        message: "the steps add up to more than 200 years: a due that far from its base is a typing mistake",
                        offset: numStart)
                }
            } else if c == "a", i + 1 < chars.count, chars[i + 1] == "t", i + 2 < chars.count, chars[i + 2] == " " || chars[i + 2] == "\t" {
                if at != nil { throw ParseError(message: "'at' given twice", offset: i) }
                i += 2
                skipSpaces()
                let tStart = i
                while i < chars.count, chars[i] != " " { i += 1 }
                let tText = String(chars[tStart..<i])
                guard let t = TimeOfDay.parse(tText) else {
                    throw ParseError(message: "invalid time '\(tText)': expected HH:MM from 00:00 to 23:59", offset: tStart)
                }
                at = t
                atIndex = steps.count
            } else {
                throw ParseError(
                    message: "unexpected '\(String(chars[i...]))': expected '+', '-' or 'at HH:MM'"
                        + (c == "a" ? " ('at' needs spaces)" : ""),
                    offset: i)
            }
        }
        return DateExpression(base: base, steps: steps, at: at, atIndex: atIndex, source: text)
    }

    /// The static kind of the result, given the kind of the base (true = instant).
    /// Returns an error message for type errors (h/min on a date, wd on an instant, at on an instant).
    public func checkKinds(baseIsInstant: Bool) -> (isInstant: Bool, error: String?) {
        var instant = baseIsInstant
        for (i, s) in steps.enumerated() {
            if i == atIndex {
                if instant { return (instant, "'at' applies to a date, not to an instant") }
                instant = true
            }
            if s.unit.isTimeOfDay && !instant {
                return (instant, "'\(s.unit.rawValue)' needs an instant: say 'at HH:MM' first, or use a datetime")
            }
            if s.unit == .wd && instant { return (instant, "'wd' cannot be applied to an instant") }
        }
        if at != nil && (atIndex ?? steps.count) >= steps.count {
            if instant { return (instant, "'at' applies to a date, not to an instant") }
            instant = true
        }
        return (instant, nil)
    }

    /// Evaluates strictly left to right. `fieldValue` returns nil for an unset field (the expression is then nil).
    public func evaluate(
        zone: Zone, calendar: WorkCalendar, startedAt: Instant, enteredAt: Instant, fieldValue: (String) -> DateValue?
    ) -> DateValue? {
        var provisional = false
        return evaluate(
            zone: zone, calendar: calendar, startedAt: startedAt, enteredAt: enteredAt, period: nil,
            provisional: &provisional, fieldValue: fieldValue)
    }

    /// Evaluates with `period` (an occurrence's period start; nil elsewhere, where `period` is a validation error)
    /// and sets `provisional` when a `wd` step looked at a day of a projected year (format §10 "Calendar status",
    /// rule 2; `d|w|mo|y|h|min` and `at` look at nothing). The base is an input: never provisional.
    func evaluate(
        zone: Zone, calendar: WorkCalendar, startedAt: Instant, enteredAt: Instant, period: CivilDate?,
        provisional: inout Bool, fieldValue: (String) -> DateValue?
    ) -> DateValue? {
        var v: DateValue
        switch base {
        case .date(let d): v = .date(d)
        case .instant(let i): v = .instant(i)
        case .field(let f):
            guard let fv = fieldValue(f) else { return nil }
            v = fv
        case .fieldOr(let f, let fallback):
            if let fv = fieldValue(f) {
                v = fv
            } else {
                switch fallback {
                case .started: v = .date(zone.date(of: startedAt))
                case .entered: v = .date(zone.date(of: enteredAt))
                case .startedAt: v = .instant(startedAt)
                case .enteredAt: v = .instant(enteredAt)
                }
            }
        case .started: v = .date(zone.date(of: startedAt))
        case .entered: v = .date(zone.date(of: enteredAt))
        case .startedAt: v = .instant(startedAt)
        case .enteredAt: v = .instant(enteredAt)
        case .period:
            guard let period else { return nil }
            v = .date(period)
        }
        for (i, s) in steps.enumerated() {
            if i == atIndex, let at, case .date(let d) = v { v = .instant(zone.instant(d, at)) }
            v = DateExpression.apply(s, to: v, zone: zone, calendar: calendar, provisional: &provisional)
        }
        if let at, (atIndex ?? steps.count) >= steps.count, case .date(let d) = v { v = .instant(zone.instant(d, at)) }
        return v
    }

    static func apply(_ s: Offset, to v: DateValue, zone: Zone, calendar: WorkCalendar, provisional: inout Bool) -> DateValue {
        switch (v, s.unit) {
        case (.date(let d), .h), (.date(let d), .min):  // rejected by validation; treat the date as its start
            return apply(s, to: .instant(zone.instant(d)), zone: zone, calendar: calendar, provisional: &provisional)
        case (.date(let d), .wd):
            let (r, p) = calendar.addingTracked(workingDays: s.amount, to: d)
            if p { provisional = true }
            return .date(r)
        case (.date(let d), _):
            return .date(applyCivil(s, to: d, calendar: calendar))
        case (.instant(let t), .h):
            return .instant(t.adding(seconds: Int64(s.amount) * 3600))
        case (.instant(let t), .min):
            return .instant(t.adding(seconds: Int64(s.amount) * 60))
        case (.instant(let t), _):
            let (date, sec) = zone.local(t)
            let nd = applyCivil(s, to: date, calendar: calendar)
            return .instant(zone.instant(nd, TimeOfDay(hour: sec / 3600, minute: (sec % 3600) / 60), second: sec % 60))
        }
    }

    /// Calendar arithmetic on a date for d, w, mo, y and wd.
    static func applyCivil(_ s: Offset, to d: CivilDate, calendar: WorkCalendar) -> CivilDate {
        switch s.unit {
        case .d: return d.adding(days: s.amount)
        case .w: return d.adding(days: 7 * s.amount)
        case .mo: return d.adding(months: s.amount)
        case .y: return d.adding(months: 12 * s.amount)
        case .wd: return calendar.adding(workingDays: s.amount, to: d)
        case .h, .min: return d
        }
    }
}

extension String {
    func trimmingCharactersInSet(_ c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
