import TiendoCore
public import TiendoVarlink

/// An uploaded file as the import reads it: a CSV as Excel writes it, or the sheet of an Excel workbook that holds the
/// list, as a header and rows of text cells, each row with its line (the file's line, or the sheet's row number as
/// Excel shows it).
public struct ImportTable: Sendable {
    public struct Row: Sendable {
        public var line: Int
        public var pairs: [(heading: String, value: String)]
    }

    /// Why a file cannot be imported, in the words people read: every problem found.
    public struct Failures: Error, Sendable {
        public var problems: [String]
        public init(_ problems: [String]) { self.problems = problems }
    }

    /// The header's line (1 in a CSV; in a sheet, the first row naming a field: a title above it is skipped).
    public var headerLine: Int
    public var headings: [String]
    public var rows: [Row]
    /// The sheet read, when the workbook shows more than one: people are told which, with each line.
    public var sheet: String?
    /// The names of the workbook's sheets shown (none for a CSV).
    public var sheets: [String] = []

    /// «Dòng 5», or «Trang tính «Danh sách», dòng 5» in a workbook of several sheets.
    public func place(_ line: Int) -> String { ImportTable.place(line, sheet: sheet) }

    public static func place(_ line: Int, sheet: String?) -> String {
        sheet.map { "Trang tính «\($0)», dòng \(line)" } ?? "Dòng \(line)"
    }

    /// A column numbering the rows, as every list of a Party document has (`STT`), when no field of `workflow` is
    /// headed so: not data.
    public static func isRowNumber(_ heading: String, of workflow: Extras.WorkflowInfo) -> Bool {
        workflow.importField(named: heading) == nil
            && ["stt", "tt", "so tt", "so thu tu"].contains(String(decoding: GroupNames.key(heading), as: UTF8.self))
    }

    /// Why a file named as a workbook (`filename`) is none: a web page (HTML) saved as «.xls», as some government
    /// portals export their tables, or bytes that are neither a workbook nor text (damaged, renamed). Nil when it is a
    /// workbook, text (read as a CSV is), or not named as one. They were told «not UTF-8, save as CSV» or «no data
    /// row», which pointed the wrong way (audit, 07/12/2026).
    public static func notAWorkbook(_ bytes: [UInt8], filename: String) -> String? {
        let name = filename.lowercased()
        guard [".xlsx", ".xlsm", ".xls"].contains(where: { name.hasSuffix($0) }), !Workbook.isZIP(bytes), !Workbook.isLegacyExcel(bytes)
        else { return nil }
        let start = bytes.drop { $0 == 0xEF || $0 == 0xBB || $0 == 0xBF || $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        if start.first == UInt8(ascii: "<") {
            return "Tệp «\(filename)» là một trang web (HTML) được đặt tên như tệp Excel, không phải tệp Excel thật: hãy mở nó "
                + "bằng Excel, chọn «Lưu Như» (Save As) dạng «Sổ làm việc Excel (.xlsx)» rồi nhập tệp mới."
        }
        // Text (tab-separated, as some systems export and name «.xls») is read as a CSV is.
        if String(validating: bytes, as: UTF8.self) != nil { return nil }
        return "Tệp «\(filename)» không phải tệp Excel hợp lệ (tệp hỏng, hoặc bị đổi tên đuôi): hãy mở và lưu lại bằng "
            + "Excel dạng .xlsx, hoặc lưu dưới dạng «CSV UTF-8», rồi nhập lại."
    }

    /// Reads `bytes` for `workflow`, or says why not, in the words the page shows. A cell longer than a field
    /// holds is refused here, by its place, before anything is sent: a workbook of 8 KB repeating one 2 MB text in
    /// every row made tiendod hold gigabytes (audit, 07/12/2026).
    public static func read(_ bytes: [UInt8], workflow: Extras.WorkflowInfo) -> Result<ImportTable, Failures> {
        readCells(bytes, workflow: workflow).flatMap { table in
            var long: [String] = []
            for row in table.rows {
                for (heading, value) in row.pairs where FieldDefinition.isTooLong(value) {
                    long.append("\(table.place(row.line)): cột «\(heading)» \(FieldDefinition.tooLong(value)); hãy rút gọn")
                }
                if long.count >= 20 { break }
            }
            return long.isEmpty ? .success(table) : .failure(Failures(long))
        }
    }

    static func readCells(_ bytes: [UInt8], workflow: Extras.WorkflowInfo) -> Result<ImportTable, Failures> {
        if Workbook.isLegacyExcel(bytes) {
            return .failure(
                Failures([
                    "Tệp Excel dạng cũ (.xls) hoặc có đặt mật khẩu chưa đọc được: hãy mở tệp bằng Excel, bỏ mật khẩu nếu có, chọn «Lưu Như» (Save As) dạng «Sổ làm việc Excel (.xlsx)» hoặc «CSV UTF-8» rồi nhập lại."
                ]))
        }
        if Workbook.isZIP(bytes) {
            do throws(Workbook.ReadError) {
                let read = try Workbook.read(bytes) { sheet in
                    // The fields its heading row names first, then the rows under it (at most `Workbook.maxRows`): of a
                    // template kept beside its filled copy, the copy.
                    header(of: sheet, workflow: workflow).map { $0.fields == 0 ? 0 : $0.fields * 1_000_000 + $0.rowsBelow } ?? 0
                }
                return .success(try sheet(read, workflow: workflow))
            } catch {
                let place = error.sheet.map { " (trang tính «\($0)»)" } ?? ""
                return .failure(Failures(["Không nhập được tệp Excel\(place): \(error.reason)."]))
            }
        }
        do {
            let (headerLine, parsed) = try CSV.table(bytes: bytes, isHeader: isHeader(workflow))
            return .success(
                ImportTable(
                    headerLine: headerLine, headings: parsed.first?.pairs.map(\.0) ?? [],
                    rows: parsed.map { Row(line: $0.line, pairs: $0.pairs.map { (heading: $0.0, value: $0.1) }) }))
        } catch {
            // Excel's plain «CSV» on Windows is not UTF-8: the workbook itself is the simpler way.
            let hint = error.reason.contains("UTF-8") ? "; hoặc nhập thẳng tệp Excel (.xlsx)" : ""
            return .failure(Failures(["Dòng \(error.line): \(error.reason)\(hint)"]))
        }
    }

    /// A CSV's header, as a sheet's: the first line that names a field of `workflow` (title lines above it are left out).
    public static func isHeader(_ workflow: Extras.WorkflowInfo) -> ([String]) -> Bool {
        { cells in cells.contains { !$0.isEmpty && workflow.importField(named: $0) != nil } }
    }

    /// A sheet's header: the first row that names a field (among its first `headerSearch` rows holding a value),
    /// with how many fields it names and how many rows holding a value lie below it; its first row, naming none, when
    /// no such row does; nil for a sheet without rows.
    static func header(of sheet: Workbook.Sheet, workflow: Extras.WorkflowInfo) -> (row: Workbook.Row, fields: Int, rowsBelow: Int)? {
        for (i, row) in sheet.rows.prefix(headerSearch).enumerated() {
            let fields = Set(row.cells.compactMap { workflow.importField(named: heading($0.cell)) })
            if !fields.isEmpty { return (row, fields.count, sheet.rows.count - i - 1) }
        }
        return sheet.rows.first.map { ($0, 0, sheet.rows.count - 1) }
    }

    /// Title rows above a list's headings are a few; looking further would only cost time on a sheet without them
    /// (each cell compared with every heading).
    static let headerSearch = 100

    /// A cell as a heading: its text, trimmed; "" for any other value.
    static func heading(_ cell: Workbook.Cell) -> String {
        guard case .text(let s) = cell else { return "" }
        return s.trimmingSpaces
    }

    /// A sheet's table: its header is the first row that names a field (or, when none does, its first row); each
    /// cell under a heading is written as the field's type reads it (a date cell `dd/mm/yyyy`, with the time for a
    /// datetime field; a checkbox «có»/«không»). A value under no heading is refused with its cell.
    static func sheet(_ sheet: Workbook.Sheet, workflow: Extras.WorkflowInfo) throws(Workbook.ReadError) -> ImportTable {
        let named = sheet.shown.count > 1 ? sheet.name : nil
        guard let header = header(of: sheet, workflow: workflow)?.row else {
            // Named once: by the message's place when the workbook shows several sheets, else here.
            throw Workbook.ReadError(
                reason: named == nil ? "trang tính «\(sheet.name)» không có dòng nào" : "trang tính không có dòng nào", sheet: named)
        }
        var headingOf: [Int: String] = [:]
        for (column, cell) in header.cells where !heading(cell).isEmpty { headingOf[column] = heading(cell) }
        let typeOf = headingOf.mapValues { heading -> String? in
            guard let name = workflow.importField(named: heading) else { return nil }
            return name == "started" ? "datetime" : workflow.field(name)?.type
        }
        var rows: [Row] = []
        for row in sheet.rows where row.line > header.line {
            var pairs: [(heading: String, value: String)] = []
            for (column, cell) in row.cells {
                let value = ImportTable.text(cell, type: typeOf[column] ?? nil, epoch1904: sheet.epoch1904)
                guard let heading = headingOf[column] else {
                    if value.trimmingSpaces.isEmpty { continue }
                    throw Workbook.ReadError(
                        reason:
                            "ô «\(Workbook.columnName(column))\(row.line)» có giá trị «\(value.count > 80 ? value.prefix(80) + "…" : value)» nhưng cột của nó không có tên ở dòng \(header.line); hãy đặt tên cột hoặc xóa giá trị",
                        sheet: named)
                }
                pairs.append((heading, value))
            }
            rows.append(Row(line: row.line, pairs: pairs))
        }
        return ImportTable(
            headerLine: header.line, headings: headingOf.sorted { $0.key < $1.key }.map(\.value), rows: rows, sheet: named,
            sheets: sheet.shown)
    }

    /// A cell as text for a field of `type` (nil: not a field's column, or a text field).
    static func text(_ cell: Workbook.Cell, type: String?, epoch1904: Bool) -> String {
        switch cell {
        case .text(let s): return s
        case .number(let n): return n
        case .boolean(let b): return type == "boolean" ? (b ? "có" : "không") : (b ? "TRUE" : "FALSE")
        case .date(let serial):
            // Under one day: a time of day alone (a cell formatted `h:mm` showing 9:00), said as shown, not as «30/12/1899
            // 09:00» (a note's text) or a day out of range (a date field's refusal named a year nobody typed).
            if serial >= 0 && serial < 1 {
                let minutes = Int((serial * 1440).rounded())
                return TimeOfDay(hour: (minutes / 60) % 24, minute: minutes % 60).description
            }
            let time = type == "datetime" || (type != "date" && serial.rounded(.down) != serial)
            return Workbook.dateText(serial, epoch1904: epoch1904, time: time) ?? String(serial)
        }
    }
}
