import Foundation
import TiendoCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The XML parts of an .xlsx that `Workbook` reads, each by one `XMLParser` pass with its own delegate. Each class
/// conforms to `XMLParserDelegate` itself: a subclass's methods would not be called through a base class's conformance
/// on Linux. Elements are compared by their local name (`x:row` is a `row`: some tools write a prefix), attributes as
/// written (`r:id`).
enum XMLPart {
    /// Parses `data` with `delegate`; whether no error was met. From a stream: libxml2 refuses a document of more than
    /// 10,000,000 bytes given in one piece, a sheet of some 20,000 members.
    static func parse(_ data: Data, _ delegate: any XMLParserDelegate) -> Bool {
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        return parser.parse() && parser.parserError == nil
    }

    /// Text as Excel escapes what XML cannot hold: `_x000D_` a carriage return, `_x005F_` an underscore (so that
    /// `_x005F_x0041_` is the text `_x0041_`). Pasted text often carries them.
    static func unescaped(_ text: String) -> String {
        guard text.contains("_x") else { return text }
        var out = ""
        var rest = text[...]
        while let open = rest.range(of: "_x") {
            let code = rest[open.upperBound...].prefix(5)
            guard code.count == 5, code.last == "_", let n = UInt32(code.dropLast(), radix: 16), let scalar = Unicode.Scalar(n)
            else {
                out += rest[..<open.upperBound]
                rest = rest[open.upperBound...]
                continue
            }
            out += rest[..<open.lowerBound]
            out.unicodeScalars.append(scalar)
            rest = rest[rest.index(open.upperBound, offsetBy: 5)...]
        }
        return out + rest
    }

    /// `row` for `row` and `x:row`.
    static func local(_ name: String) -> Substring {
        guard let colon = name.lastIndex(of: ":") else { return name[...] }
        return name[name.index(after: colon)...]
    }
}

/// `xl/workbook.xml`: the sheets shown (name and relationship id), in the workbook's order, and its date system.
final class WorkbookParts: NSObject, XMLParserDelegate {
    var sheets: [(name: String, id: String)] = []
    var epoch1904 = false
    var parsed = false

    init(_ data: Data) {
        super.init()
        parsed = XMLPart.parse(data, self)
    }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch XMLPart.local(element) {
        case "sheet" where sheets.count < Workbook.maxSheets:
            // A hidden sheet (a lookup list, say) is not one people see.
            guard (attributes["state"] ?? "visible") == "visible",
                let id = attributes.first(where: { XMLPart.local($0.key) == "id" && $0.key.contains(":") })?.value
            else { return }
            sheets.append((attributes["name"] ?? "", id))
        case "workbookPr":
            epoch1904 = ["1", "true"].contains(attributes["date1904"] ?? "")
        default: break
        }
    }
}

/// `xl/_rels/workbook.xml.rels`: each relationship's target, by id.
final class Relationships: NSObject, XMLParserDelegate {
    var targets: [String: String] = [:]
    var parsed = false

    init(_ data: Data) {
        super.init()
        parsed = XMLPart.parse(data, self)
    }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if XMLPart.local(element) == "Relationship", let id = attributes["Id"], let target = attributes["Target"] {
            targets[id] = target
        }
    }
}

/// `xl/sharedStrings.xml`: the workbook's strings in order, each the text of its `<t>` runs (a phonetic guide,
/// `<rPh>`, is not part of the text).
final class SharedStrings: NSObject, XMLParserDelegate {
    var strings: [String] = []
    var parsed = false
    private var current: String?
    private var inText = false
    private var inPhonetic = false

    init(_ data: Data) {
        super.init()
        parsed = XMLPart.parse(data, self)
    }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch XMLPart.local(element) {
        case "si": current = ""
        case "rPh": inPhonetic = true
        case "t": inText = !inPhonetic
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current? += string }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        switch XMLPart.local(element) {
        case "si":
            guard strings.count < Workbook.maxCells else { return parser.abortParsing() }
            strings.append(XMLPart.unescaped(current ?? ""))
            current = nil
        case "rPh": inPhonetic = false
        case "t": inText = false
        default: break
        }
    }
}

/// `xl/styles.xml`: which cell formats (`<cellXfs>` by index, a cell's `s`) show a number as a date or a time.
final class Styles: NSObject, XMLParserDelegate {
    var dateStyles: Set<Int> = []
    /// Cell formats that show a number with leading zeros (`000000000000`, `00.000000`): how.
    var zeroPadded: [Int: ZeroPad] = [:]
    var parsed = false
    private var customDates: Set<Int> = []
    private var customPads: [Int: ZeroPad] = [:]
    private var inCellFormats = false
    private var index = 0

    init(_ data: Data) {
        super.init()
        parsed = XMLPart.parse(data, self)
    }

    /// Excel's built-in date and time formats (ECMA-376 §18.8.30, with the East Asian ones).
    static let builtinDates: Set<Int> = Set(14...22).union(27...36).union(45...47).union(50...58)

    /// A format code shows a date or time when, outside quoted text, escapes and `[…]` sections, it has a day, year,
    /// hour or second part («dd/mm/yyyy», «h:mm»; «0.00», «#,##0», «@» do not).
    static func isDate(_ code: String) -> Bool {
        var quoted = false
        var bracket = false
        var escaped = false
        for c in code.lowercased() {
            if escaped {
                escaped = false
                continue
            }
            switch c {
            case "\"": quoted.toggle()
            case "\\" where !quoted: escaped = true
            case "[" where !quoted: bracket = true
            case "]" where !quoted: bracket = false
            case "d", "y", "h", "s": if !quoted && !bracket { return true }
            default: break
            }
        }
        return false
    }

    /// A number shown with leading zeros: at least `digits` before the point, exactly `decimals` after it.
    struct ZeroPad: Sendable, Equatable {
        var digits: Int
        var decimals: Int

        /// `000000000000` → 12 digits; `00.000000` → 2 and 6; anything else (`0`, `#,##0`, `0.00`) nil: only a format
        /// that pads with zeros changes what a number reads as.
        init?(code: String) {
            let parts = code.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0 == "0" } }) else { return nil }
            digits = parts[0].count
            decimals = parts.count == 2 ? parts[1].count : 0
            guard digits > 1, digits <= 30, decimals <= 15 else { return nil }
        }

        /// The number as Excel shows it (`1087615538` → `001087615538`); nil for one it would not pad (negative, huge).
        func text(_ stored: String) -> String? {
            guard let d = Double(stored), d.isFinite, d >= 0, d < 1e15 else { return nil }
            let body = decimals == 0 ? String(Int64(d.rounded())) : String(format: "%.\(decimals)f", d)
            let whole = body.prefix { $0 != "." }.count
            return String(repeating: "0", count: max(0, digits - whole)) + body
        }
    }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch XMLPart.local(element) {
        case "numFmt":
            if let id = attributes["numFmtId"].flatMap({ Int($0) }) {
                let code = attributes["formatCode"] ?? ""
                if Styles.isDate(code) { customDates.insert(id) }
                if let pad = ZeroPad(code: code) { customPads[id] = pad }
            }
        case "cellXfs": inCellFormats = true
        case "xf" where inCellFormats:
            if let id = attributes["numFmtId"].flatMap({ Int($0) }), Styles.builtinDates.contains(id) || customDates.contains(id) {
                dateStyles.insert(index)
            }
            if let id = attributes["numFmtId"].flatMap({ Int($0) }), let pad = customPads[id] { zeroPadded[index] = pad }
            index += 1
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        if XMLPart.local(element) == "cellXfs" { inCellFormats = false }
    }
}

/// A worksheet's `<sheetData>`: its rows and the cells that hold a value (`Workbook.Cell`), at most
/// `Workbook.maxRows` rows and `Workbook.maxColumns` columns of them (an empty formatted cell far away counts for
/// nothing); the first problem stops the parse (`error`).
final class SheetParser: NSObject, XMLParserDelegate {
    var rows: [Workbook.Row] = []
    var error: Workbook.ReadError?
    private let strings: [String]
    private let dateStyles: Set<Int>
    private let zeroPadded: [Int: Styles.ZeroPad]
    private let epoch: CivilDate
    private var row: Workbook.Row?
    /// The last row and column met, kept or not: a row or cell without its reference follows them.
    private var lastLine = 0
    private var column = -1
    private var type = ""
    private var style = 0
    private var value = ""
    private var inline = ""
    private var inValue = false
    private var inInlineText = false
    /// Inside a phonetic run (`<rPh>`, furigana), whose text is not the cell's.
    private var inPhonetic = false
    /// The cell has a formula (`<f>`) and a cached result (`<v>`).
    private var hasFormula = false
    private var hasValue = false
    private var ended = false
    private var kept = 0

    init(_ data: Data, strings: [String], dateStyles: Set<Int>, zeroPadded: [Int: Styles.ZeroPad] = [:], epoch1904: Bool = false) {
        self.strings = strings
        self.dateStyles = dateStyles
        self.zeroPadded = zeroPadded
        self.epoch = Workbook.epoch(epoch1904)
        super.init()
        if !XMLPart.parse(data, self) || !ended, error == nil { error = Workbook.ReadError(reason: Workbook.broken) }
        if error == nil { fillMerged() }
    }

    /// Cells merged down a column (`<mergeCell ref="D2:D4"/>`), ranges of one column over several rows.
    private var mergedDown: [(column: Int, first: Int, last: Int)] = []

    /// A value merged down a column belongs to every row of the range, as the sheet shows it: an office merges one
    /// «Chi bộ» or one decision's number over the rows it covers. Only its top cell holds it in the file, and the
    /// rows below were imported without it, in silence or as «thiếu trường bắt buộc» (audit, 07/12/2026). Merges
    /// across columns (a title over the table) are left as they are.
    private func fillMerged() {
        guard !mergedDown.isEmpty else { return }
        var index: [Int: Int] = [:]
        for (i, r) in rows.enumerated() { index[r.line] = i }
        // Bounded work whatever the file claims: at most as many rows looked at as cells are kept.
        var budget = Workbook.maxCells
        for m in mergedDown where budget > 0 {
            budget -= m.last - m.first
            guard let t = index[m.first], let top = rows[t].cells.first(where: { $0.column == m.column })?.cell else { continue }
            // A row that held nothing but the merge is not one of the list (left out, as an empty row is).
            for line in (m.first + 1)...m.last {
                guard let i = index[line], !rows[i].cells.contains(where: { $0.column == m.column }) else { continue }
                rows[i].cells.append((m.column, top))
                rows[i].cells.sort { $0.column < $1.column }
            }
        }
    }

    private func stop(_ parser: XMLParser, _ reason: String) {
        if error == nil { error = Workbook.ReadError(reason: reason) }
        parser.abortParsing()
    }

    /// The cell being read as Excel names it: «C5».
    private var reference: String { "«\(Workbook.columnName(column))\(lastLine)»" }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch XMLPart.local(element) {
        case "row":
            // Clamped: a row numbered past the limit (digits too many for an Int too) is refused only if it holds a
            // value. A number that is no row's (0, −5, not digits) is a file no spreadsheet wrote: row −5 read as row
            // 1 fell above the heading and was dropped without a word.
            var line = lastLine + 1
            if let r = attributes["r"] {
                let digits = !r.isEmpty && r.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
                guard digits, Int(r) ?? Int.max >= 1 else {
                    return stop(parser, "dòng đánh số «\(r.prefix(20))» không có trong bảng tính; " + Workbook.broken)
                }
                line = Int(r) ?? Int.max
            }
            lastLine = min(line, Workbook.maxRows + 1)
            row = Workbook.Row(line: lastLine, cells: [])
            column = -1
        case "c":
            // Past the columns read (or a reference that is no cell's): kept only if it holds a value, to be refused.
            column = attributes["r"].map { Workbook.column($0) ?? Workbook.maxColumns } ?? min(column + 1, Workbook.maxColumns)
            type = attributes["t"] ?? "n"
            style = attributes["s"].flatMap { Int($0) } ?? 0
            value = ""
            inline = ""
            hasFormula = false
            hasValue = false
        case "v":
            inValue = true
            hasValue = true
        case "f": hasFormula = true
        case "rPh": inPhonetic = true
        case "t": inInlineText = type == "inlineStr" && !inPhonetic
        case "mergeCell":
            // «D2:D4»: one column, several rows (at most the rows read; a range past them is clamped).
            let ends = (attributes["ref"] ?? "").split(separator: ":").map(String.init)
            guard ends.count == 2, let c1 = Workbook.column(ends[0]), let c2 = Workbook.column(ends[1]), c1 == c2,
                let r1 = Int(ends[0].drop { $0.isLetter }), let r2 = Int(ends[1].drop { $0.isLetter }), r1 >= 1, r2 > r1,
                mergedDown.count < 100_000
            else { break }
            mergedDown.append((c1, r1, min(r2, Workbook.maxRows)))
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { value += string } else if inInlineText { inline += string }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        switch XMLPart.local(element) {
        case "v": inValue = false
        case "t": inInlineText = false
        case "rPh": inPhonetic = false
        case "c":
            // A formula saved without its result (a file written by a program, not by Excel): its value is unknown
            // here, and was dropped without a word.
            if hasFormula && !hasValue && row != nil {
                return stop(
                    parser, "ô \(reference) có công thức nhưng tệp không lưu kết quả của nó; hãy mở tệp bằng Excel, lưu lại rồi nhập lại")
            }
            guard row != nil, let cell = cell(parser) else { return }
            guard column < Workbook.maxColumns else {
                return stop(parser, "có giá trị ở cột sau cột \(Workbook.columnName(Workbook.maxColumns - 1)); hãy xóa các cột thừa")
            }
            guard lastLine <= Workbook.maxRows else {
                return stop(parser, "có giá trị ở dòng sau dòng \(Messages.count(Workbook.maxRows)); mỗi lần nhập tối đa chừng ấy dòng")
            }
            kept += 1
            guard kept <= Workbook.maxCells else {
                return stop(parser, "trang tính có hơn \(Messages.count(Workbook.maxCells)) ô có giá trị; hãy chia thành nhiều tệp")
            }
            row?.cells.append((column, cell))
        case "row":
            if let row, !row.cells.isEmpty { rows.append(row) }
            row = nil
        case "sheetData": ended = true
        default: break
        }
    }

    /// The cell just read, nil when it holds nothing.
    private func cell(_ parser: XMLParser) -> Workbook.Cell? {
        switch type {
        case "s":
            guard !value.isEmpty else { return nil }
            guard let i = Int(value), strings.indices.contains(i) else {
                stop(parser, "ô \(reference) trỏ tới một chữ không có trong tệp; " + Workbook.broken)
                return nil
            }
            return strings[i].isEmpty ? nil : .text(strings[i])
        case "inlineStr": return inline.isEmpty ? nil : .text(XMLPart.unescaped(inline))
        case "str": return value.isEmpty ? nil : .text(XMLPart.unescaped(value))
        case "b": return value.isEmpty ? nil : .boolean(value == "1")
        case "e":
            // A formula's error (#N/A after a lookup that found nothing, #REF!): not a value to import.
            stop(parser, "ô \(reference) có lỗi công thức «\(value.prefix(20))»; hãy sửa ô đó trong Excel")
            return nil
        case "d":
            // A date written as text (ISO 8601), as a few programs save dates.
            guard let day = CivilDate.parse(value.prefix(10)) else { return value.isEmpty ? nil : .text(value) }
            var serial = Double(day.dayNumber - epoch.dayNumber)
            let time = value.dropFirst(11).split(separator: ":").prefix(2).compactMap { Int($0) }
            if time.count == 2, (0..<24).contains(time[0]), (0..<60).contains(time[1]) {
                serial += Double(time[0] * 60 + time[1]) / 1440
            }
            return .date(serial)
        default:
            guard !value.isEmpty else { return nil }
            if dateStyles.contains(style), let serial = Double(value) { return .date(serial) }
            // A CCCD or card number kept as a number, shown with its leading zeros by the column's format: read as
            // shown. Read as stored, «001087615538» became «1087615538» in silence (audit, 07/12/2026).
            if let pad = zeroPadded[style], let shown = pad.text(value) { return .text(shown) }
            return .number(SheetParser.shortest(value))
        }
    }

    /// A number as people see it in Excel: it stores `8.0999999999999996` for 8.1 computed, `1E+3`, and a formula's
    /// `12.000000000000002` (`=0.1*120`), and shows each with at most 15 significant digits (8.1, 1000, 12). The
    /// shortest text of that value, a whole number without `.0`: a count computed by a formula is then the whole
    /// number the sheet shows, not a fraction refused by an integer field.
    static func shortest(_ stored: String) -> String {
        guard stored.contains(where: { $0 == "." || $0 == "E" || $0 == "e" }), let raw = Double(stored), raw.isFinite else {
            return stored
        }
        let d = Double(String(format: "%.15g", raw)) ?? raw
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return String(d)
    }
}
