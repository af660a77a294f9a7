import CXlsxWriter
import Foundation
import TiendoCore

#if canImport(Glibc)
    import Glibc
#endif

/// CSV as Excel opens it on a Vietnamese Windows: UTF-8 with a byte order mark (without it Excel reads the
/// diacritics as Windows-1258 mojibake), comma separated, CRLF line ends, fields quoted when needed.
enum CSVFile {
    static func encode(_ sheet: Sheet) -> [UInt8] {
        var out: [UInt8] = [0xEF, 0xBB, 0xBF]
        func line(_ cells: [String]) {
            out += Array(cells.map(field).joined(separator: ",").utf8)
            out += [13, 10]
        }
        line(sheet.columns.map { Sheet.neutralised($0.title) })
        for row in sheet.rows {
            line(
                row.map { cell in
                    switch cell {
                    case .text(let s): return Sheet.neutralised(s)
                    case .number(let n): return String(n)
                    case .date(let d): return d.vietnamese
                    case .empty: return ""
                    }
                })
        }
        return out
    }

    static func field(_ s: String) -> String {
        guard
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == ";" }) || s.hasPrefix(" ") || s.hasSuffix(" ")
        else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// XLSX through libxlsxwriter (Debian's `libxlsxwriter-dev`): a header row in bold, frozen, with a filter; dates as
/// real date cells shown `dd/mm/yyyy`; text as string cells, which a spreadsheet never reads as a formula (so,
/// unlike CSV, with no `'` in front: it would show). libxlsxwriter 1.1.4 writes to a file only, so
/// the workbook goes to a private temporary file that is read back and removed.
enum XLSXFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The workbook's bytes, by way of a temporary file in `directory` (default `$TMPDIR`, else `/tmp`).
    static func encode(_ sheet: Sheet, directory: String = temporaryDirectory) throws -> [UInt8] {
        var template = Array((directory + "/tiendo-web-XXXXXX.xlsx").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemps($0.baseAddress!, 5) }
        guard fd >= 0 else { throw Failure(description: "không tạo được tệp tạm trong \(directory): \(ErrnoText.describe(errno))") }
        close(fd)
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        try write(sheet, to: path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "không đọc lại được tệp Excel vừa tạo")
        }
        return [UInt8](data)
    }

    static var temporaryDirectory: String {
        ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }

    static func write(_ sheet: Sheet, to path: String) throws {
        guard let workbook = workbook_new(path) else { throw Failure(description: "libxlsxwriter không tạo được sổ tính") }
        let name = String(sheet.name.filter { !"[]:*?/\\".contains($0) }.prefix(31))
        guard let ws = workbook_add_worksheet(workbook, name.isEmpty ? nil : name) else {
            workbook_close(workbook)
            throw Failure(description: "libxlsxwriter không tạo được trang tính")
        }
        let header = workbook_add_format(workbook)
        format_set_bold(header)
        format_set_bg_color(header, 0xEEEEEE)
        format_set_text_wrap(header)
        let dateFormat = workbook_add_format(workbook)
        format_set_num_format(dateFormat, "dd/mm/yyyy")
        let textFormat = workbook_add_format(workbook)
        format_set_num_format(textFormat, "@")
        for (c, column) in sheet.columns.enumerated() {
            worksheet_set_column(ws, lxw_col_t(c), lxw_col_t(c), column.width, column.text ? textFormat : nil)
            worksheet_write_string(ws, 0, lxw_col_t(c), column.title, header)
        }
        for (r, row) in sheet.rows.enumerated() {
            let rowIndex = lxw_row_t(r + 1)
            for (c, cell) in row.enumerated() {
                let col = lxw_col_t(c)
                switch cell {
                case .text(let s): worksheet_write_string(ws, rowIndex, col, String(s.prefix(32_000)), nil)
                case .number(let n): worksheet_write_number(ws, rowIndex, col, Double(n), nil)
                case .date(let d):
                    var dt = lxw_datetime(year: Int32(d.year), month: Int32(d.month), day: Int32(d.day), hour: 0, min: 0, sec: 0)
                    worksheet_write_datetime(ws, rowIndex, col, &dt, dateFormat)
                case .empty: break
                }
            }
        }
        worksheet_freeze_panes(ws, 1, 0)
        if !sheet.columns.isEmpty {
            worksheet_autofilter(ws, 0, 0, lxw_row_t(max(sheet.rows.count, 1)), lxw_col_t(sheet.columns.count - 1))
        }
        let result = workbook_close(workbook)
        guard result == LXW_NO_ERROR else {
            throw Failure(description: "libxlsxwriter: \(String(cString: lxw_strerror(result)))")
        }
    }
}
