/// Dates and times typed by people: CSV cells (a spreadsheet in a Vietnamese locale writes `15/03/2026`),
/// `--set FIELD=VALUE`, and the `data` of StartInstance/SendEvent (web forms). Besides ISO 8601 they may be day
/// first, `dd/mm/yyyy` or `d/m/yyyy` (or with `-` or `.` between the parts, `10-03-2026`, `10.03.2026`, as many type
/// them, and as a phone's keypad without «/» lets them), with an optional local time `HH:MM[:SS]` (`15/03/2026 08:00`). Impossible dates
/// (`31/02/2026`, `03/15/2026` read day first) and two-digit years are rejected with a Vietnamese reason.
/// Workflow files keep the contract's strict `YYYY-MM-DD`.
public enum HumanDate {
    public enum Parsed<T> {
        case valid(T)
        /// A Vietnamese reason naming the text.
        case invalid(String)
    }

    /// The forms a date may take, in words for people (error messages, the import page's list of columns).
    public static let forms = "dd/mm/yyyy hoặc YYYY-MM-DD"
    /// The forms `instant` reads, as people are told them.
    public static let instantForms = "dd/mm/yyyy HH:MM hoặc YYYY-MM-DDTHH:MM[±HH:MM]"

    /// The dates people may give (README "Extensions"): a year typed as 0025 or 2205 is a typing mistake, and dates
    /// far outside this range would be counted ("overdue by 739,535 days") and shown in forms no one reads.
    /// 31/12/2100, the "no end" date records of dang-vien-hang-thang stored before 05/12/2026, is inside.
    public static let range = CivilDate(1900, 1, 1)...CivilDate(2199, 12, 31)
    /// Why a date outside `range` is refused, after the date itself.
    public static let outOfRange = "nằm ngoài khoảng cho phép (từ 01/01/1900 đến 31/12/2199): kiểm tra lại năm"

    /// A date: `YYYY-MM-DD`, `dd/mm/yyyy` or `d/m/yyyy`, inside `range`.
    public static func date(_ text: String) -> Parsed<CivilDate> {
        let parsed = anyDate(text)
        if case .valid(let d) = parsed, !range.contains(d) { return .invalid("ngày \(d.vietnamese) \(outOfRange)") }
        return parsed
    }

    /// A date written day first (`10/03/2026`, `10-03-2026`, `10.03.2026`) as a workflow file must write it
    /// (`2026-03-10`), for the hint of an error; nil when the text is no such date.
    public static func isoSpelling(of text: String) -> String? {
        guard case .malformed = CivilDate.parseStrict(text), case .valid(let d) = date(text) else { return nil }
        return d.iso
    }

    private static func anyDate(_ text: String) -> Parsed<CivilDate> {
        switch CivilDate.parseStrict(text) {
        case .valid(let d): return .valid(d)
        case .impossible: return .invalid("ngày '\(text)' không tồn tại")
        case .malformed: break
        }
        let parts = dayFirstParts(text)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }) else {
            return .invalid("'\(text)' không phải ngày (\(forms))")
        }
        guard parts[0].count <= 2, parts[1].count <= 2 else {
            return .invalid("'\(text)' không phải ngày: ngày và tháng có một hoặc hai chữ số, ngày viết trước (dd/mm/yyyy)")
        }
        guard parts[2].count == 4 else {
            return .invalid("'\(text)' không phải ngày: năm phải đủ bốn chữ số (dd/mm/yyyy)")
        }
        let (day, month, year) = (Int(parts[0])!, Int(parts[1])!, Int(parts[2])!)
        guard let d = CivilDate(validYear: year, month: month, day: day) else {
            let hint = month > 12 ? ": không có tháng \(month) (ngày viết trước tháng: dd/mm/yyyy)" : ""
            return .invalid("ngày '\(text)' không tồn tại\(hint)")
        }
        return .valid(d)
    }

    /// The parts of a date written day first: split at «/», or at «-» or «.» when that one separator alone parts it
    /// in three with the year last (`10-03-2026`; `2026-3-10`, ISO written loosely, keeps its one part and its
    /// reason).
    static func dayFirstParts(_ text: some StringProtocol) -> [Substring] {
        let s = Substring(text)
        for separator in ["/", "-", "."] as [Character] where s.contains(separator) {
            let parts = s.split(separator: separator, omittingEmptySubsequences: false)
            if separator == "/" { return parts }
            let others = ["/", "-", "."].filter { $0 != separator } as [Character]
            guard parts.count == 3, parts[2].count == 4, !s.contains(where: others.contains) else { return [s] }
            return parts
        }
        return [s]
    }

    /// A column of dates written month first, as Excel set to English saves a CSV (`3/25/2026`): one of its values
    /// is a date only that way (a second number above 12, the first not), which the row's own check refuses — but
    /// its other values (`3/4/2026`) read as dates day first, swapped without a word. The first such value, or nil.
    /// Nil too when the column has at least as many values that are dates only day first (`25/11/2025`): it is
    /// written day first, and a value only month first there is a slip in one cell (`05/13/2025`), which its row's
    /// check refuses on its own.
    static func monthFirst(_ values: some Sequence<(line: Int, text: String)>) -> (line: Int, text: String)? {
        var found: (line: Int, text: String)?
        var monthFirst = 0
        var dayFirst = 0
        for v in values {
            let date = v.text.trimmingCharactersInSet(" ").split(separator: " ").first ?? ""
            let parts = dayFirstParts(date)
            guard parts.count == 3, let a = Int(parts[0]), let b = Int(parts[1]), parts[2].count == 4 else { continue }
            if (13...31).contains(a) && (1...12).contains(b) { dayFirst += 1 }
            if (1...12).contains(a) && (13...31).contains(b) {
                monthFirst += 1
                if found == nil { found = v }
            }
        }
        return monthFirst > dayFirst ? found : nil
    }

    /// The columns of a table (each row its line and its cells by column) that `isDate` says hold dates and that are
    /// written month first (`monthFirst`), in the order they first appear, each with the value that tells it: the
    /// same scan for the web's import page, `tiendoctl import` and `simulate --instances`.
    public static func monthFirstColumns(_ rows: [(line: Int, cells: [(String, String)])], isDate: (String) -> Bool) -> [(
        column: String, found: (line: Int, text: String)
    )] {
        var columns: [String] = []
        for r in rows { for (column, _) in r.cells where !columns.contains(column) { columns.append(column) } }
        return columns.filter(isDate).compactMap { column in
            let values = rows.lazy.flatMap { r in r.cells.lazy.filter { $0.0 == column }.map { (line: r.line, text: $0.1) } }
            return monthFirst(values).map { (column, $0) }
        }
    }

    /// What `monthFirst` found, said of the column `title`, for an import to refuse the whole file by (its line is
    /// the caller's to give).
    public static func monthFirstColumn(_ title: String, found: (line: Int, text: String)) -> String {
        "cột «\(title)» ghi ngày theo kiểu tháng/ngày/năm («\(found.text)»: không có tháng \(dayFirstParts(found.text.split(separator: " ").first ?? "")[1])), "
            + "nên mọi ngày khác của cột cũng bị đọc đảo, kể cả những ngày không báo lỗi (3/4/2026 thành 03/04/2026 thay vì "
            + "04/03/2026). Hãy đổi định dạng cả cột sang ngày/tháng/năm (dd/mm/yyyy) rồi lưu lại tệp"
    }

    /// An instant: ISO 8601 as `Zone.parseInstant` reads it, or a day-first date with an optional local time
    /// (`15/03/2026`, `15/03/2026 08:00`, `15/03/2026 8:00:30`) in `zone`; a date alone means 00:00.
    public static func instant(_ text: String, zone: Zone) -> Parsed<Instant> {
        if let t = zone.parseInstant(text) {
            let d = zone.date(of: t)
            return range.contains(d) ? .valid(t) : .invalid("ngày \(d.vietnamese) \(outOfRange)")
        }
        let pieces = text.split(separator: " ", omittingEmptySubsequences: true)
        guard (1...2).contains(pieces.count), dayFirstParts(pieces[0]).count == 3 || pieces.count == 1 else {
            return .invalid("'\(text)' không phải thời điểm (\(instantForms))")
        }
        let d: CivilDate
        switch date(String(pieces[0])) {
        case .valid(let v): d = v
        case .invalid(let reason): return .invalid(reason)
        }
        guard pieces.count == 2 else { return .valid(zone.instant(d)) }
        guard let (time, second) = timeOfDay(pieces[1]) else {
            return .invalid("giờ '\(pieces[1])' không hợp lệ: cần HH:MM hoặc HH:MM:SS, từ 00:00 đến 23:59")
        }
        return .valid(zone.instant(d, time, second: second))
    }

    /// `H:MM`, `HH:MM` or `HH:MM:SS`.
    static func timeOfDay(_ text: Substring) -> (TimeOfDay, Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), (1...2).contains(parts[0].count),
            parts.dropFirst().allSatisfy({ $0.count == 2 }),
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } })
        else { return nil }
        let (h, m, s) = (Int(parts[0])!, Int(parts[1])!, parts.count == 3 ? Int(parts[2])! : 0)
        guard h < 24, m < 60, s < 60 else { return nil }
        return (TimeOfDay(hour: h, minute: m), s)
    }
}
