import TiendoCore
import TiendoSheets
import TiendoVarlink

// MARK: import from Excel

extension Import {
    /// An Excel workbook's list as `tiendoctl import` sends it, read as tiendo-web's /nhap reads it (`ImportTable`): the
    /// sheet whose heading row names most of the workflow's fields, title rows above it left out, date cells as
    /// dates; each row with the row number Excel shows. A file it cannot take is refused with every reason.
    static func sheetRows(_ bytes: [UInt8], file: String, workflow: String, info: Extras.WorkflowInfo?) throws
        -> [(line: Int, pairs: [(String, String)])]
    {
        // The fields' titles and types say how a workbook's headings and cells read: without the workflow, nothing.
        guard let info else { throw fail("không có quy trình '\(workflow)'") }
        switch ImportTable.read(bytes, workflow: info) {
        case .failure(let failure):
            for problem in failure.problems { printErr("\(file): \(problem)") }
            throw fail("không đọc được tệp Excel; không nhập gì")
        case .success(let table):
            // On stderr: standard output stays the summary (or the JSON of --json).
            if let sheet = table.sheet { printErr("\(file): đọc trang tính «\(sheet)» (\(table.sheets.count) trang tính).") }
            return table.rows.map { row in (row.line, row.pairs.map { ($0.heading, $0.value) }) }
        }
    }
}
