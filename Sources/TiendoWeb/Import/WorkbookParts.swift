import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The XML parts of an .xlsx that `Workbook` reads, each by one `XMLParser` pass with its own delegate (namespaces not
/// processed: element names are SpreadsheetML's own, attribute names as written, `r:id`). Each class conforms to
/// `XMLParserDelegate` itself: a subclass's methods would not be called through a base class's conformance on Linux.
enum XMLPart {
    /// Parses `data` with `delegate`; whether no error was met (on Linux `parse()` answers true whatever happened, so
    /// `parserError` decides; a document cut short before its root closes is not an error there either: the sheet's
    /// parser checks that `</sheetData>` came).
    static func parse(_ data: Data, _ delegate: any XMLParserDelegate) -> Bool {
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        return parser.parse() && parser.parserError == nil
    }
}

/// `xl/workbook.xml`: the relationship id of the first sheet in the workbook's order, and its date system.
final class WorkbookParts: NSObject, XMLParserDelegate {
    init(_ data: Data) {
        super.init()
        _ = XMLPart.parse(data, self)
    }

    var firstSheet: String?
    var epoch1904 = false

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "sheet" where firstSheet == nil:
            firstSheet = attributes.first { $0.key == "r:id" || $0.key.hasSuffix(":id") }?.value
        case "workbookPr":
            epoch1904 = ["1", "true"].contains(attributes["date1904"] ?? "")
        default: break
        }
    }
}

/// `xl/_rels/workbook.xml.rels`: each relationship's target, by id.
final class Relationships: NSObject, XMLParserDelegate {
    init(_ data: Data) {
        super.init()
        _ = XMLPart.parse(data, self)
    }

    var targets: [String: String] = [:]

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if element == "Relationship", let id = attributes["Id"], let target = attributes["Target"] { targets[id] = target }
    }
}

/// `xl/sharedStrings.xml`: the workbook's strings in order, each the text of its `<t>` runs (a phonetic guide,
/// `<rPh>`, is not part of the text).
final class SharedStrings: NSObject, XMLParserDelegate {
    init(_ data: Data) {
        super.init()
        _ = XMLPart.parse(data, self)
    }

    var strings: [String] = []
    private var current: String?
    private var inText = false
    private var inPhonetic = false

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
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
        switch element {
        case "si":
            strings.append(current ?? "")
            current = nil
        case "rPh": inPhonetic = false
        case "t": inText = false
        default: break
        }
    }
}

/// `xl/styles.xml`: which cell formats (`<cellXfs>` by index, a cell's `s`) show a number as a date or a time.
final class Styles: NSObject, XMLParserDelegate {
    init(_ data: Data) {
        super.init()
        _ = XMLPart.parse(data, self)
    }

    var dateStyles: Set<Int> = []
    private var customDates: Set<Int> = []
    private var inCellFormats = false
    private var index = 0

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

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "numFmt":
            if let id = attributes["numFmtId"].flatMap({ Int($0) }), Styles.isDate(attributes["formatCode"] ?? "") {
                customDates.insert(id)
            }
        case "cellXfs": inCellFormats = true
        case "xf" where inCellFormats:
            if let id = attributes["numFmtId"].flatMap({ Int($0) }), Styles.builtinDates.contains(id) || customDates.contains(id) {
                dateStyles.insert(index)
            }
            index += 1
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        if element == "cellXfs" { inCellFormats = false }
    }
}

/// A worksheet's `<sheetData>`: its rows and cells (`Workbook.Cell`), at most `Workbook.maxRows` rows and
/// `Workbook.maxColumns` columns; the first problem stops the parse (`error`).
final class SheetParser: NSObject, XMLParserDelegate {
    var rows: [Workbook.Row] = []
    var error: Workbook.ReadError?
    private let strings: [String]
    private let dateStyles: Set<Int>
    private var row: Workbook.Row?
    private var column = -1
    private var reference = ""
    private var type = ""
    private var style = 0
    private var value = ""
    private var inline = ""
    private var inValue = false
    private var inInlineText = false
    private var ended = false

    init(_ data: Data, strings: [String], dateStyles: Set<Int>) {
        self.strings = strings
        self.dateStyles = dateStyles
        super.init()
        if !XMLPart.parse(data, self) || !ended, error == nil {
            error = Workbook.ReadError(reason: "trang tính đầu tiên của tệp bị hỏng, không đọc được")
        }
    }

    private func stop(_ parser: XMLParser, _ reason: String) {
        if error == nil { error = Workbook.ReadError(reason: reason) }
        parser.abortParsing()
    }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "row":
            let line = attributes["r"].flatMap { Int($0) } ?? ((rows.last?.line ?? 0) + 1)
            guard line <= Workbook.maxRows, rows.count < Workbook.maxRows else {
                return stop(parser, "trang tính có quá \(Workbook.maxRows) dòng")
            }
            row = Workbook.Row(line: line, cells: [])
            column = -1
        case "c":
            reference = attributes["r"] ?? ""
            let at = reference.isEmpty ? column + 1 : Workbook.column(reference)
            guard let at, at < Workbook.maxColumns else { return stop(parser, "ô «\(reference)» nằm ngoài \(Workbook.maxColumns) cột đầu") }
            column = at
            type = attributes["t"] ?? "n"
            style = attributes["s"].flatMap { Int($0) } ?? 0
            value = ""
            inline = ""
        case "v": inValue = true
        case "t": inInlineText = type == "inlineStr"
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { value += string } else if inInlineText { inline += string }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        switch element {
        case "v": inValue = false
        case "t": inInlineText = false
        case "c":
            guard let cell = cell(parser) else { return }
            if row!.cells.count <= column { row!.cells += Array(repeating: nil, count: column + 1 - row!.cells.count) }
            row!.cells[column] = cell
        case "row":
            if let row, row.cells.contains(where: { $0 != nil }) { rows.append(row) }
            row = nil
        case "sheetData": ended = true
        default: break
        }
    }

    private func cell(_ parser: XMLParser) -> Workbook.Cell? {
        guard row != nil else { return nil }
        switch type {
        case "s":
            guard let i = Int(value), strings.indices.contains(i) else {
                stop(parser, "ô «\(reference)» trỏ tới một chuỗi không có trong tệp")
                return nil
            }
            return .text(strings[i])
        case "inlineStr": return .text(inline)
        case "str", "e", "d": return value.isEmpty ? nil : .text(value)
        case "b": return .boolean(value == "1")
        default:
            guard !value.isEmpty else { return nil }
            if dateStyles.contains(style), let serial = Double(value) { return .date(serial) }
            return .number(value)
        }
    }
}
