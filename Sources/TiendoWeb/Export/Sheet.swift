import TiendoCore

/// A table to export: the same rows go to CSV and to XLSX.
struct Sheet: Sendable {
    enum Cell: Sendable, Equatable {
        case text(String)
        case number(Int)
        case date(CivilDate)
        case empty
    }

    struct Column: Sendable {
        var title: String
        /// Width in characters (XLSX).
        var width: Double
        /// XLSX: the column formatted as text («@»), so that what is typed into it stays as typed. Excel reads
        /// `001087615538` or `01.234567` typed into a «General» column as a number and drops the leading zeros.
        var text = false

        init(_ title: String, width: Double = 14, text: Bool = false) {
            self.title = title
            self.width = width
            self.text = text
        }
    }

    /// The worksheet's name (at most 31 characters).
    var name: String
    var columns: [Column]
    var rows: [[Cell]] = []
    /// Rows left out above `WebLimits.exportRows` (the export page says so).
    var leftOut = 0

    init(name: String, columns: [Column]) {
        self.name = name
        self.columns = columns
    }

    /// Ends the table with a row saying what it leaves out, when it does: the header `X-Tiendo-Left-Out` is for
    /// programs, and the person who opens the file must read it there.
    mutating func sayLeftOut(noun: String) {
        guard leftOut > 0 else { return }
        let said =
            "… và \(Format.count(leftOut)) \(noun) nữa không có trong tệp này (mỗi tệp xuất tối đa \(Format.count(WebLimits.exportRows)) dòng): "
            + "hãy lọc theo chi bộ hoặc quy trình rồi tải từng phần."
        rows.append([.text(said)] + Array(repeating: .empty, count: max(0, columns.count - 1)))
    }

    /// Text that a spreadsheet would take for a formula (`= + - @`, or a tab or carriage return first, which some
    /// programs skip) gets a `'` in front, so opening an export never runs anything (OWASP, CSV injection).
    static func neutralised(_ text: String) -> String {
        guard let first = text.unicodeScalars.first else { return text }
        switch first {
        case "=", "+", "-", "@", "\t", "\r": return "'" + text
        default: return text
        }
    }

    /// A date or instant due as a cell: a date cell for a date, the text `dd/mm/yyyy HH:MM` for an instant.
    static func due(_ text: String) -> Cell {
        if text.count == 10, let d = CivilDate.parse(text) { return .date(d) }
        return text.isEmpty ? .empty : .text(Format.date(text))
    }
}
