import Foundation

/// A typed value of instance data.
public enum Value: Sendable, Hashable {
    case text(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case date(CivilDate)
    case datetime(Instant)

    /// As JSON: dates as `YYYY-MM-DD`, datetimes as ISO 8601 in `zone`.
    public func json(zone: Zone) -> JSON {
        switch self {
        case .text(let s): return .string(s)
        case .integer(let i): return .int(i)
        case .number(let d): return .double(d)
        case .boolean(let b): return .bool(b)
        case .date(let d): return .string(d.iso)
        case .datetime(let t): return .string(zone.iso(t))
        }
    }

    /// As a form or a CSV cell gives it back to tiendod: dates `YYYY-MM-DD`, datetimes ISO 8601 in `zone`, booleans
    /// `true`/`false`, numbers with a decimal point.
    public func formText(zone: Zone) -> String {
        switch self {
        case .date(let d): return d.iso
        case .datetime(let t): return zone.iso(t)
        default: return display(zone: zone)
        }
    }

    /// Text for people and CSV.
    public func display(zone: Zone) -> String {
        switch self {
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .boolean(let b): return b ? "true" : "false"
        case .date(let d): return d.vietnamese
        case .datetime(let t): return zone.timeThenDate(t)
        }
    }

    var asBoolean: Bool? { if case .boolean(let b) = self { b } else { nil } }

    var asDouble: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        case .date(let d): return Double(d.dayNumber)
        case .datetime(let t): return Double(t.seconds)
        default: return nil
        }
    }
}

public enum FieldType: String, Sendable, Hashable, CaseIterable {
    case text, integer, number, boolean, date, datetime
    case enumeration = "enum"

    /// The type an author meant by another language's name for it (`int`, `string`, `bool`, `float`, `ngày`).
    package static func alias(_ name: String) -> FieldType? {
        switch name.lowercased() {
        case "int", "integer", "long", "số nguyên", "so-nguyen": return .integer
        case "string", "str", "chuỗi", "chữ", "varchar": return .text
        case "bool", "boolean", "yes/no": return .boolean
        case "float", "double", "decimal", "real", "số", "so": return .number
        case "ngày", "ngay", "day": return .date
        case "time", "timestamp", "date-time", "date_time", "thời điểm": return .datetime
        case "enumeration", "choice", "select", "list": return .enumeration
        default: return nil
        }
    }

    /// What a value of this type is, in the words of a refusal («cần một số nguyên, nhận được chữ»).
    public var vietnamese: String {
        switch self {
        case .text: return "chữ (chuỗi)"
        case .integer: return "một số nguyên"
        case .number: return "một số"
        case .boolean: return "có/không (true/false)"
        case .date: return "một ngày (chuỗi)"
        case .datetime: return "một thời điểm (chuỗi)"
        case .enumeration: return "một lựa chọn (chuỗi)"
        }
    }

    /// What a JSON value given for a field is, in the same words.
    static func vietnamese(_ json: JSON) -> String {
        switch json {
        case .null: return "giá trị rỗng (null)"
        case .bool: return "có/không (true/false)"
        case .int: return "một số"
        case .double(let d): return d == d.rounded() ? "một số" : "một số thập phân"
        case .string: return "chữ (chuỗi)"
        case .array: return "một danh sách"
        case .object: return "một đối tượng JSON"
        }
    }
}

/// A declared field of instance data.
public struct FieldDefinition: Sendable, Hashable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var title: String?
    public var min: Double?
    public var max: Double?
    public var values: [String]
    public var defaultValue: Value?
    /// An enum's values as people read them (`value_titles`, README "Extensions"): `tam-thoi` → «Tạm thời».
    public var valueTitles: [String: String] = [:]
    /// `max: today` on a date or datetime field (README "Extensions"): a day that has already come, such as the date
    /// of a decision or of a ceremony. A later one (2062 typed for 2026) is refused when the data is given.
    public var notAfterToday = false
    /// `min: {field: OTHER}` on a date or datetime field (README "Extensions"): the name of a field of the same type
    /// whose day this one's may not be before (a decision is not signed before the meeting that asked for it). Checked
    /// when data that sets either is given, both being set (`outOfOrder`).
    public var notBefore: String?
    /// A date field's default counted from other fields when the record starts (`"{nam}-01-01"`, `ngay_bat_dau - 1d`;
    /// README "Extensions"), in place of a fixed `defaultValue`.
    public var derivedDefault: DerivedDefault?

    /// A title without the explanation in brackets that closes it: «Ngày bắt đầu năm thi đua» for «Ngày bắt đầu năm thi
    /// đua (các hạn trong năm tính từ ngày này)», as a sentence naming the field, or a heading matched to it, says it.
    public static func shortTitle(_ title: String) -> String {
        guard title.hasSuffix(")"), let open = title.range(of: " (", options: .backwards), open.lowerBound > title.startIndex else {
            return title
        }
        return String(title[..<open.lowerBound])
    }

    /// An enum value's title, or the value itself.
    public func title(ofValue v: String) -> String { valueTitles[v] ?? v }

    /// The value whose title `text` is (spaces around and letter case aside), when exactly one has it.
    func value(titled text: String) -> String? {
        let wanted = text.trimmingCharactersInSet(" ").lowercased()
        let matches = values.filter { valueTitles[$0]?.lowercased() == wanted }
        return matches.count == 1 ? matches[0] : nil
    }

    /// An enum's values as a file or a form takes them, each with its title where it has one: `chinh-thuc,
    /// tam-thoi («Tạm thời»)`. The refusal of a value and the web's import page list them alike.
    public static func listing(_ values: [String], titles: [String: String]) -> String {
        values.map { v in titles[v].map { "\(v) («\($0)»)" } ?? v }.joined(separator: ", ")
    }

    /// Parses a value from text (CSV cells, `--set F=V`, YAML scalars), by the declared type.
    /// Returns the reason when the text does not fit. Text typed by people (`humanInput`) may give dates day first
    /// (`HumanDate`); workflow files pass false and keep the contract's `YYYY-MM-DD`.
    public func parse(text: String, zone: Zone, humanInput: Bool = true) -> Result<Value, FieldError> {
        let v: Value
        switch type {
        case .text, .enumeration:
            // In NFC, as SQLite compares bytes: «Chi bộ số 2» typed with a tone mark apart from its letter (some
            // Vietnamese keyboards) is the same chi bộ, not a second one in every count and list.
            let composed = FieldDefinition.composed(text)
            // An enum's value may be given by its title, as the web and the exports show it («Chuyển sinh hoạt tạm
            // thời» for tam-thoi): a clerk may type in a CSV cell or a form what the page shows.
            if type == .enumeration, humanInput, !values.contains(composed), let byTitle = value(titled: composed) {
                v = .text(byTitle)
            } else {
                v = .text(composed)
            }
        case .integer:
            let digits = text.trimmingCharactersInSet(" ")
            guard let i = parseInt(digits) else {
                // Only digits after a sign, yet not an Int: a number beyond ±9,223,372,036,854,775,807.
                let body = digits.hasPrefix("-") || digits.hasPrefix("+") ? digits.dropFirst() : Substring(digits)
                let tooLarge = !body.isEmpty && body.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
                return .failure(FieldError(field: name, reason: tooLarge ? "số '\(text)' quá lớn" : "'\(text)' không phải số nguyên"))
            }
            v = .integer(i)
        case .number:
            guard let d = Double(text.trimmingCharactersInSet(" ")), d.isFinite else {
                return .failure(FieldError(field: name, reason: "'\(text)' không phải số"))
            }
            v = .number(d)
        case .boolean:
            switch text.lowercased() {
            case "true", "1", "yes", "có", "co": v = .boolean(true)
            case "false", "0", "no", "không", "khong": v = .boolean(false)
            default: return .failure(FieldError(field: name, reason: "'\(text)' không phải có/không"))
            }
        case .date where humanInput:
            switch HumanDate.date(text.trimmingCharactersInSet(" ")) {
            case .valid(let d): v = .date(d)
            case .invalid(let reason): return .failure(FieldError(field: name, reason: reason))
            }
        case .datetime where humanInput:
            switch HumanDate.instant(text.trimmingCharactersInSet(" "), zone: zone) {
            case .valid(let t): v = .datetime(t)
            case .invalid(let reason): return .failure(FieldError(field: name, reason: reason))
            }
        case .date:
            switch CivilDate.parseStrict(text.trimmingCharactersInSet(" ")) {
            case .valid(let d): v = .date(d)
            case .impossible: return .failure(FieldError(field: name, reason: "ngày '\(text)' không tồn tại"))
            case .malformed:
                return .failure(FieldError(field: name, reason: "'\(text)' không phải ngày dạng YYYY-MM-DD"))
            }
        case .datetime:
            guard let t = zone.parseInstant(text.trimmingCharactersInSet(" ")) else {
                return .failure(FieldError(field: name, reason: "'\(text)' không phải thời điểm ISO 8601 (YYYY-MM-DDTHH:MM[±HH:MM])"))
            }
            v = .datetime(t)
        }
        return check(v, zone: zone)
    }

    /// Converts a JSON value by the declared type (numbers for integer/number, strings for dates, which may be day
    /// first: the data of StartInstance/SendEvent comes from people, through tiendoctl or a web form).
    public func parse(json: JSON, zone: Zone) -> Result<Value, FieldError> {
        switch (type, json) {
        case (.integer, .int(let i)): return check(.integer(i), zone: zone)
        case (.integer, .double(let d)) where d == d.rounded() && abs(d) < 9e15: return check(.integer(Int(d)), zone: zone)
        case (.number, .int(let i)): return check(.number(Double(i)), zone: zone)
        case (.number, .double(let d)): return check(.number(d), zone: zone)
        case (.boolean, .bool(let b)): return check(.boolean(b), zone: zone)
        case (.text, .string(let s)), (.enumeration, .string(let s)), (.date, .string(let s)), (.datetime, .string(let s)):
            return parse(text: s, zone: zone)
        case (.integer, .string(let s)), (.number, .string(let s)), (.boolean, .string(let s)):
            return parse(text: s, zone: zone)
        default:
            return .failure(FieldError(field: name, reason: "cần \(type.vietnamese), nhận được \(FieldType.vietnamese(json))"))
        }
    }

    /// `text` in Unicode normalization form C; `text` itself when it has no combining mark (almost always).
    public static func composed(_ text: String) -> String {
        text.unicodeScalars.contains { (0x300...0x36F).contains($0.value) } ? text.precomposedStringWithCanonicalMapping : text
    }

    /// The characters a text or enum value may have (README "Extensions"): a name, an address or a reason of a few
    /// paragraphs fits; a pasted file does not, and would make every page that lists the record megabytes long.
    public static let textLimit = 2_000

    /// Whether `text` is longer than a text value may be: its bytes first, which nearly always answer.
    public static func isTooLong(_ text: String) -> Bool { text.utf8.count > textLimit && text.count > textLimit }

    /// «dài 3.000 ký tự, quá giới hạn 2.000 ký tự của một ô», said of a file's cell before it is sent (an import
    /// refuses such a cell by its place, not only at the commit).
    public static func tooLong(_ text: String) -> String {
        "dài \(Messages.count(text.count)) ký tự, quá giới hạn \(Messages.count(textLimit)) ký tự của một ô"
    }

    /// Why a text value given by people is refused for a character nobody can see or type on purpose: a control
    /// character (NUL, escape; a tab and line breaks stay, a pasted cell may have them) or one that turns the
    /// direction of the text around (U+202A–U+202E, U+2066–U+2069), which makes «Trần Văn An» display as another
    /// name in every list and print. Nil when there is none.
    func hiddenCharacter(_ v: Value) -> FieldError? {
        guard case .text(let s) = v else { return nil }
        for (i, u) in s.unicodeScalars.enumerated() {
            let c = u.value
            let control = (c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D) || (0x7F...0x9F).contains(c)
            let direction = (0x202A...0x202E).contains(c) || (0x2066...0x2069).contains(c)
            guard control || direction else { continue }
            let code = String(format: "U+%04X", c)
            return FieldError(
                field: name,
                reason: "có \(control ? "ký tự điều khiển" : "ký tự đổi chiều chữ") ẩn (\(code)) ở ký tự thứ \(i + 1): xóa ô này và gõ lại")
        }
        return nil
    }

    func check(_ v: Value, zone: Zone) -> Result<Value, FieldError> {
        if case .text(let s) = v, FieldDefinition.isTooLong(s) {
            return .failure(
                FieldError(
                    field: name,
                    reason: "dài \(s.count) ký tự, quá giới hạn \(FieldDefinition.textLimit) ký tự của một ô; hãy rút gọn"))
        }
        if type == .enumeration, case .text(let s) = v, !values.contains(s) {
            return .failure(
                FieldError(
                    field: name,
                    reason: "'\(s)' không thuộc các giá trị cho phép: " + FieldDefinition.listing(values, titles: valueTitles)))
        }
        // People's text is checked by `HumanDate`; this covers workflow files' defaults and JSON numbers' paths.
        if case .date(let d) = v, !HumanDate.range.contains(d) {
            return .failure(FieldError(field: name, reason: "ngày \(d.vietnamese) \(HumanDate.outOfRange)"))
        }
        // The local date, as `HumanDate.instant` checks it: «01/01/1900 00:00» in the workflow's zone is inside.
        if case .datetime(let t) = v, !HumanDate.range.contains(zone.date(of: t)) {
            return .failure(FieldError(field: name, reason: "ngày \(zone.date(of: t).vietnamese) \(HumanDate.outOfRange)"))
        }
        if let d = v.asDouble, type == .integer || type == .number {
            if let lo = min, d < lo {
                return .failure(
                    FieldError(
                        field: name, reason: "\(v.display(zone: .utc)) nhỏ hơn giá trị tối thiểu \(Value.number(lo).display(zone: .utc))"))
            }
            if let hi = max, d > hi {
                return .failure(
                    FieldError(
                        field: name, reason: "\(v.display(zone: .utc)) lớn hơn giá trị tối đa \(Value.number(hi).display(zone: .utc))"))
            }
        }
        return .success(v)
    }
}

extension FieldDefinition {
    /// Why `value` breaks `max: today` when the data is given on `today` (the workflow zone's date), nil when it does
    /// not. A date must not be after today; a datetime's local date neither.
    func afterToday(_ value: Value, today: CivilDate, zone: Zone) -> FieldError? {
        guard notAfterToday else { return nil }
        let day: CivilDate
        switch value {
        case .date(let d): day = d
        case .datetime(let t): day = zone.date(of: t)
        default: return nil
        }
        guard day > today else { return nil }
        return FieldError(
            field: name,
            reason:
                "ngày \(day.vietnamese) chưa tới (hôm nay là \(today.vietnamese)): trường này chỉ nhận ngày \(Messages.notAfterToday); kiểm tra lại ngày, tháng, năm"
        )
    }
}

extension FieldDefinition {
    /// The field whose day bounds `name`'s (`min: {field: OTHER}`, README "Extensions") in data where `isSet` says
    /// which fields hold a value: OTHER when set, else OTHER's own bound, up the chain (a decision recorded before any
    /// meeting is still not before the admission); an unset one or nil when none is set. tiendod's check
    /// (`WorkflowDefinition.outOfOrder`) and tiendo-web's list, which checks ahead on the workflow as front ends read
    /// it, walk the chain alike. At most `limit` steps: the parser refuses cycles, a definition built otherwise cannot loop.
    public static func orderBound(of name: String, limit: Int, notBefore: (String) -> String?, isSet: (String) -> Bool) -> String? {
        var bound = notBefore(name)
        var steps = 0
        while let b = bound, !isSet(b), steps < limit {
            bound = notBefore(b)
            steps += 1
        }
        return bound
    }
}

/// Why a field value was rejected (varlink `InvalidData`).
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var reason: String
    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }
    public var description: String { "trường '\(field)': \(reason)" }
}

/// Instance data: field name to value.
public typealias InstanceData = [String: Value]
