import TiendoCore
import TiendoVarlink

/// How pages write things for ward officers: dates `dd/mm/yyyy`, times 24 h in Asia/Ho_Chi_Minh, counts with `.`
/// between thousands, Vietnamese words for kinds, roles and days left (as `tiendoctl` prints them).
enum Format {
    static let zone = Zone.vietnam

    /// `YYYY-MM-DD` → `dd/mm/yyyy`; an ISO instant → `dd/mm/yyyy HH:MM` in Asia/Ho_Chi_Minh; anything else as is.
    static func date(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        if text.count == 10, let d = CivilDate.parse(text) { return d.vietnamese }
        if let t = zone.parseInstant(text) { return dateTime(t) }
        return text
    }

    static func dateTime(_ t: Instant) -> String { zone.dateAndTime(t) }

    /// When something happened, as `date` writes it, but the day alone at 00:00 exactly: a timed transition fires at
    /// midnight, and a date entered without an hour («Ngày kết nạp») is stored as that midnight; «21/01/2026 00:00»
    /// reads as a time nobody chose.
    static func moment(_ text: String?) -> String {
        guard let text, text.count > 10, let t = zone.parseInstant(text), zone.local(t).1 == 0 else { return date(text) }
        return zone.date(of: t).vietnamese
    }

    /// The local date of an ISO date or instant.
    static func civilDate(_ text: String) -> CivilDate? {
        if let d = CivilDate.parse(text.prefix(10)), text.count == 10 { return d }
        return zone.parseInstant(text).map { zone.date(of: $0) }
    }

    static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }

    /// A day without its year, `dd/mm`, where the year goes without saying (the agenda's next 30 days).
    static func dayMonth(_ d: CivilDate) -> String { String(d.vietnamese.prefix(5)) }

    /// A due as people read it, with ` (dự kiến)` when it depends on a projected calendar year.
    static func due(_ text: String, provisional: Bool?) -> String {
        date(text) + (provisional == true ? " (dự kiến)" : "")
    }

    /// `còn 3 ngày`, `hôm nay`, `quá hạn hôm nay`, `quá 2 ngày`.
    static func days(_ left: Int, overdue: Bool) -> String {
        if left > 0 { return overdue ? "quá hạn" : "còn \(left) ngày" }
        if left == 0 { return overdue ? "quá hạn hôm nay" : "hôm nay" }
        return "quá \(-left) ngày"
    }

    /// `1.083`.
    static func count(_ n: Int) -> String { Messages.count(n) }

    /// A data value: dates as dd/mm/yyyy, booleans as có/không, decimals with a comma.
    static func value(_ v: JSON) -> String {
        switch v {
        case .null: return "—"
        case .bool(let b): return b ? "có" : "không"
        case .int(let i): return String(i)
        case .double(let d): return (d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)).replacingDot()
        case .string(let s):
            if s.count == 10, CivilDate.parse(s) != nil { return date(s) }
            if s.count >= 19, s.dropFirst(10).first == "T", zone.parseInstant(s) != nil { return date(s) }
            return s
        case .array(let a): return a.map(value).joined(separator: ", ")
        case .object: return v.serialized()
        }
    }

    /// A field's default as people read it (dd/mm/yyyy, dd/mm/yyyy HH:MM, có/không, an enum's title, 7,5; for one
    /// counted from other fields, how: «1 ngày trước «Ngày bắt đầu năm thi đua»»), nil when it has none.
    static func defaultText(_ f: Extras.FieldInfo) -> String? {
        f.defaultValue.map { formValue($0, field: f) } ?? f.defaultRule
    }

    /// A value as a form sends it (or a file gives it: `YYYY-MM-DD`, `true`, an enum's value) as people read it; a
    /// date typed day first stays as typed.
    static func formValue(_ d: String, field f: Extras.FieldInfo?) -> String {
        guard let f else { return d }
        switch f.type {
        case "boolean": return d == "true" ? "có" : "không"
        case "enum": return f.title(ofValue: d)
        case "date", "datetime": return date(d)
        case "number": return Double(d).map { value(.double($0)) } ?? d
        default: return d
        }
    }

    /// What a step's form was given, said back: «Số quyết định: 15-QĐ/ĐU; Ngày ký quyết định: 20/02/2026» (fields
    /// by their titles, values by `formValue`); nil for nothing.
    static func typed(_ values: [(field: String, value: String)], in workflow: Extras.WorkflowInfo?) -> String? {
        let said = values.map { v in
            let f = workflow?.field(v.field)
            return "\(f?.displayTitle ?? v.field): \(formValue(v.value, field: f))"
        }
        return said.isEmpty ? nil : said.joined(separator: "; ")
    }

    /// A value of a field: an enum's value by its title, others as `value` shows them.
    static func value(_ v: JSON, field f: Extras.FieldInfo?) -> String {
        if let f, f.type == "enum", let s = v.stringValue { return f.title(ofValue: s) }
        return value(v)
    }

    /// A history line's heading: a step that left the record where it was (a meeting's day recorded afterwards, a
    /// second vote that failed again) is not headed «Chuyển trạng thái» above «… vẫn ở …»; «Ghi nhận», as it recorded
    /// something, which the line names (not «Cập nhật thông tin», which would hide a vote).
    static func kind(of r: Manager.Record) -> String {
        if r.kind == .transition, let from = r.from, from == r.to { return "Ghi nhận" }
        return kind(r.kind)
    }

    static func kind(_ kind: Manager.RecordKind) -> String {
        switch kind {
        case .started: return "Bắt đầu"
        case .transition: return "Chuyển trạng thái"
        case .reminder: return "Nhắc hạn"
        case .overdue: return "Quá hạn"
        case .milestoneDone: return "Xong mốc"
        case .completed: return "Hoàn thành"
        case .rejected: return "Không thực hiện được"
        case .rescheduled: return "Đổi hạn"
        case .undone: return "Hoàn tác"
        default: return kind.rawValue
        }
    }

    /// A recurring milestone's period as written in its workflow (`1mo`, `3mo`, `1y`, `2w`): `hằng tháng`,
    /// `mỗi 3 tháng`, `hằng năm`, `mỗi 2 tuần`; anything else as it is.
    static func every(_ text: String) -> String { Messages.every(text) }

    /// An occurrence's label as people write its period (`Messages.period`): `2027-03` due 31/03/2027 → `03/2027`, due
    /// 20/12/2026 → `từ tháng 09/2026`.
    static func occurrence(_ label: String, due: String?) -> String { Messages.period(label, due: due) }

    /// The milestone, or the occurrence of a recurring one, an item is about: `dang-phi@2027-03`.
    static func milestone(_ id: String?, occurrence: String?) -> String? {
        guard let id else { return nil }
        return occurrence.map { "\(id)@\($0)" } ?? id
    }
}

extension String {
    fileprivate func replacingDot() -> String { String(map { $0 == "." ? "," : $0 }) }
}
