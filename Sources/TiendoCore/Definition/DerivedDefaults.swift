import Foundation

/// A date field's default computed from the record's other fields when it starts (README "Extensions"): a date
/// expression (format §4) whose base is another date field (`ngay_bat_dau - 1d`) or a day of the year an integer
/// field holds (`"{nam}-01-01"`, quoted in YAML: a bare `{` starts a mapping). A fixed date is right for one year:
/// a record of the emulation year 2028 typed with its date boxes left empty would get the 2027 deadlines the file
/// was written for, all of them past. Computed once, from the data the record starts with; a value typed wins.
public struct DerivedDefault: Sendable, Hashable {
    public enum Base: Sendable, Hashable {
        /// Another date field's day.
        case field(String)
        /// Day `day` of month `month` in the year an integer field holds.
        case dayOfYear(field: String, month: Int, day: Int)
        /// The day the record starts (only in a year's rule, `year(started + 1mo)`).
        case started

        /// The field the base reads; nil for the record's start.
        public var field: String? {
            switch self {
            case .field(let f), .dayOfYear(let f, _, _): return f
            case .started: return nil
            }
        }
    }

    /// As the file writes it.
    public var source: String
    public var base: Base
    /// An integer field's rule, `year(EXPRESSION)`: the year of the day the expression gives. A fixed year is right
    /// for one year: «Năm thi đua» defaulting to 2027 gave every record typed in late 2027 the year just ending.
    public var yearOnly = false
    /// The steps after the base (`- 1d`, `+ 1mo`): the expression with a stand-in base.
    var expression: DateExpression

    /// Why a default cannot be read or computed.
    struct Problem: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// `{…}` at the start, the braces' content captured; then `-MM-DD`.
    static let bracePattern = try! NSRegularExpression(pattern: "^\\{([^}]*)\\}")
    static let monthDayPattern = try! NSRegularExpression(pattern: "^-([0-9]{2})-([0-9]{2})(?![0-9T:])")

    /// Reads an integer field's `year(EXPRESSION)`: EXPRESSION a date expression from the record's start
    /// (`started`) or a date field, with steps (`year(started + 1mo)`: a record started at the December conference
    /// is the next year's).
    static func parseYear(_ text: String, zone: Zone) -> Result<DerivedDefault, Problem> {
        let trimmed = text.trimmingCharactersInSet(" ")
        guard trimmed.hasPrefix("year("), trimmed.hasSuffix(")") else {
            return .failure(Problem("an integer's default is a whole number, or the year of a day: 'year(started + 1mo)'"))
        }
        let inner = String(trimmed.dropFirst(5).dropLast())
        let expression: DateExpression
        do {
            expression = try DateExpression.parse(inner, zone: zone)
        } catch {
            return .failure(Problem("in 'year(…)': \(error.message)"))
        }
        if expression.at != nil { return .failure(Problem("in 'year(…)': 'at' makes an instant; a year needs a day")) }
        if expression.steps.contains(where: { $0.unit.isTimeOfDay || $0.unit == .wd }) {
            return .failure(Problem("in 'year(…)': steps of d, w, mo or y only (the year is stored as data)"))
        }
        let base: Base
        switch expression.base {
        case .started: base = .started
        case .field(let f): base = .field(f)
        default: return .failure(Problem("'year(…)' counts from 'started' or a date field: 'year(started + 1mo)'"))
        }
        var rule = DerivedDefault(source: trimmed, base: base, expression: expression)
        rule.yearOnly = true
        return .success(rule)
    }

    /// Reads a default that is not a plain date. Only the shape is checked here; the fields it names are checked once
    /// every field is known (`WorkflowParser.checkDerivedDefaults`). The reason when it cannot be one.
    static func parse(_ text: String, zone: Zone) -> Result<DerivedDefault, Problem> {
        let trimmed = text.trimmingCharactersInSet(" ")
        var parsedText = trimmed
        var year: (field: String, month: Int, day: Int)?
        let ns = trimmed as NSString
        if let m = bracePattern.firstMatch(in: trimmed, range: NSRange(location: 0, length: ns.length)) {
            let field = ns.substring(with: m.range(at: 1))
            guard WorkflowParser.matches(WorkflowParser.fieldPattern, field) else {
                return .failure(
                    Problem(
                        "'\(field)' in braces is not a field name (lowercase ASCII letters, digits and '_', as in '{nam}-01-01')"))
            }
            let rest = ns.substring(from: m.range.length)
            let restNS = rest as NSString
            guard let md = monthDayPattern.firstMatch(in: rest, range: NSRange(location: 0, length: restNS.length)) else {
                return .failure(
                    Problem("after '{\(field)}' come the month and the day, two digits each, and no time: '{\(field)}-01-01'"))
            }
            let month = Int(restNS.substring(with: md.range(at: 1)))!
            let day = Int(restNS.substring(with: md.range(at: 2)))!
            // A leap year stands in for the year, so that 02-29 is not refused here (it is refused for a year without it).
            guard CivilDate(validYear: 2000, month: month, day: day) != nil else {
                return .failure(Problem("'{\(field)}\(restNS.substring(with: md.range))' is not a day of any year"))
            }
            year = (field, month, day)
            parsedText = "2000" + rest
        } else if trimmed.contains("{") {
            return .failure(Problem("a field in braces must be the year of a day at the start, as in '{nam}-01-01'"))
        }
        let expression: DateExpression
        do {
            expression = try DateExpression.parse(parsedText, zone: zone)
        } catch {
            // Errors quote the text parsed: the year's stand-in is said as the file writes it.
            let message = year.map { error.message.replacingOccurrences(of: "'2000", with: "'{\($0.field)}") } ?? error.message
            return .failure(Problem(message))
        }
        if expression.at != nil { return .failure(Problem("'at' makes an instant, not a date")) }
        for s in expression.steps where s.unit.isTimeOfDay {
            return .failure(Problem("'\(s.unit.rawValue)' needs an instant; a date field's default is a date"))
        }
        // The day is stored as data, which no calendar change moves and which is never provisional: working days,
        // which a calendar's next edition may count otherwise, belong in a `due`.
        if expression.steps.contains(where: { $0.unit == .wd }) {
            return .failure(
                Problem(
                    "'wd' (working days) cannot be in a default: the day is stored as data, which calendar changes do not move; count working days in a 'due'"
                ))
        }
        let base: Base
        switch (year, expression.base) {
        case (let year?, .date): base = .dayOfYear(field: year.field, month: year.month, day: year.day)
        case (nil, .field(let f)): base = .field(f)
        case (nil, .fieldOr): return .failure(Problem("'or' cannot be in a default: it counts from one field, or is left unset"))
        default:
            return .failure(Problem("a default that is not a date must count from another field ('FIELD - 1d', '{FIELD}-01-01')"))
        }
        return .success(DerivedDefault(source: trimmed, base: base, expression: expression))
    }

    /// The default for `data`; nil when the field it counts from is not set (the field then stays unset). Fails when
    /// the year a field holds has no such day (29/02 of a year without it) or the day falls outside the years 1–9999,
    /// which a date typed or stored can have.
    func value(in data: InstanceData, started: CivilDate?, zone: Zone, calendar: WorkCalendar) -> Result<Value?, Problem> {
        var e = expression
        switch base {
        case .started:
            guard let started else { return .success(nil) }
            e.base = .date(started)
        case .field(let f):
            guard case .date(let d)? = data[f] else { return .success(nil) }
            e.base = .date(d)
        case .dayOfYear(let f, let month, let day):
            guard case .integer(let y)? = data[f] else { return .success(nil) }
            guard (1...9999).contains(y) else { return .failure(Problem("\(y) không phải một năm (từ 1 đến 9999)")) }
            guard let d = CivilDate(validYear: y, month: month, day: day) else {
                return .failure(Problem("năm \(y) không có ngày \(String(format: "%02d/%02d", day, month))"))
            }
            e.base = .date(d)
        }
        let none = Instant(seconds: 0)
        guard case .date(let d)? = e.evaluate(zone: zone, calendar: calendar, startedAt: none, enteredAt: none, fieldValue: { _ in nil })
        else { return .success(nil) }
        guard (1...9999).contains(d.civil.year) else { return .failure(Problem("ngày tính ra ngoài các năm 1–9999")) }
        return .success(yearOnly ? .integer(d.civil.year) : .date(d))
    }

    /// In words, for the forms' «(để trống: …)»: «ngày 01/01 của năm ghi ở «Năm thi đua»», «1 ngày trước «Ngày bắt đầu
    /// năm thi đua»».
    /// Titles are said without a closing explanation in brackets: «Ngày bắt đầu năm thi đua», not «… (các hạn trong
    /// năm tính từ ngày này)», which the form says beside that field's own box.
    public func words(titleOf: (String) -> String) -> String {
        func short(_ f: String) -> String { FieldDefinition.shortTitle(titleOf(f)) }
        let from: String
        switch base {
        case .field(let f): from = "«\(short(f))»"
        case .dayOfYear(let f, let month, let day): from = "ngày \(String(format: "%02d/%02d", day, month)) của năm ghi ở «\(short(f))»"
        case .started: from = "ngày bắt đầu theo dõi hồ sơ"
        }
        let day = Engine.counted(expression.steps, from: from) ?? from
        return yearOnly ? "năm của \(day)" : day
    }
}

extension WorkflowDefinition {
    /// Fills the fields whose default counts from other fields (`DerivedDefault`), each once the field it counts from
    /// has its value (typed, a fixed default, or derived itself: the parser refuses cycles).
    /// `started`: the day the record starts, which a year's rule (`year(started + 1mo)`) counts from; nil leaves
    /// such a field unset.
    func applyDerivedDefaults(_ data: inout InstanceData, started: CivilDate?) -> FieldError? {
        var pending = fields.filter { $0.derivedDefault != nil && data[$0.name] == nil }
        while !pending.isEmpty {
            // A field is ready when what it counts from is not itself waiting.
            guard let i = pending.firstIndex(where: { f in !pending.contains { $0.name == f.derivedDefault!.base.field } }) else {
                break
            }
            let f = pending.remove(at: i)
            let rule = f.derivedDefault!
            switch rule.value(in: data, started: started, zone: zone, calendar: calendar) {
            case .success(let v): data[f.name] = v
            case .failure(let p):
                return FieldError(
                    field: f.name,
                    reason: "để trống thì lấy \(rule.words { field($0)?.title ?? $0 }), nhưng \(p.reason): ghi ngày cho trường này")
            }
        }
        return nil
    }
}

extension WorkflowParser {
    /// A derived default names a declared field of the right type (a date for `FIELD - 1d`, an integer for
    /// `{FIELD}-01-01`), not its own field, and no chain of them comes back to where it started. A field with one
    /// takes no bound of its own (`max: today`, `min: {field: …}`): a day nobody typed could not be refused in words
    /// that make sense to the person who left the box empty.
    mutating func checkDerivedDefaults() {
        for f in fields {
            guard let rule = f.derivedDefault, let position = derivedDefaultPositions[f.name], let name = rule.base.field else {
                continue
            }
            let wanted: FieldType
            switch rule.base {
            case .field, .started: wanted = .date
            case .dayOfYear: wanted = .integer
            }
            if name == f.name {
                sink.error(position, "the default of field '\(f.name)' counts from the field itself")
            } else if let other = field(name) {
                if other.type != wanted {
                    sink.error(
                        position,
                        "the default of field '\(f.name)' counts from '\(name)', which is \(other.type.rawValue), not \(wanted.rawValue)"
                            + (wanted == .integer ? " (a year in braces is an integer field)" : ""))
                }
            } else {
                // A name typed with its diacritics (`ngày_bắt_đầu`) is suggested by its letters without them.
                let plain = name.replacingOccurrences(of: "đ", with: "d").folding(options: .diacriticInsensitive, locale: nil)
                sink.error(position, "unknown field '\(name)' in the default of field '\(f.name)'\(didYouMean(plain, fields.map(\.name)))")
            }
            if f.notAfterToday || f.notBefore != nil {
                sink.error(
                    position,
                    "field '\(f.name)' has '\(f.notAfterToday ? "max: today" : "min: {field: \(f.notBefore!)}")' and a default counted from another field: a day nobody typed would be refused; keep one of the two"
                )
            }
        }
        // The rule stays after an error: a file with an error is not loaded, and «has no default» warnings would only
        // repeat it.
        var inCycle = Set<String>()
        for f in fields where f.derivedDefault != nil && f.derivedDefault?.base.field != f.name && !inCycle.contains(f.name) {
            if let seen = cycle(from: f.name, next: { field($0)?.derivedDefault?.base.field }),
                let position = derivedDefaultPositions[f.name]
            {
                sink.error(
                    position, "the defaults of fields \(seen.map { "'\($0)'" }.joined(separator: ", ")) count from each other (a cycle)")
                inCycle.formUnion(seen)
            }
        }
    }

    /// Whether every record has the field: required, a fixed default, or a default counted from a field every record
    /// has (`{nam}-01-01` with `nam` defaulting to 2027). A default the parser refused counts as one (its error says
    /// enough; «has no default» warnings would only repeat it).
    func alwaysSet(_ name: String) -> Bool {
        var current = name
        for _ in 0...fields.count {
            guard let f = field(current) else { return false }
            if f.required || f.defaultValue != nil || malformedDefaults.contains(current) { return true }
            // A year counted from the record's start: every record has one.
            if f.derivedDefault?.base == .started { return true }
            guard let next = f.derivedDefault?.base.field, next != current else { return false }
            current = next
        }
        return false
    }
}
