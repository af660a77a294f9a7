import Foundation
import TiendoCore

/// The worksheet of an Excel workbook (.xlsx, Office Open XML SpreadsheetML) that holds a list, cell by cell, for the
/// import: a ward's list of members lives in Excel, and saving it as "CSV UTF-8" first was a step people got wrong
/// (Excel's plain "CSV" is not UTF-8 on Windows). `ZipArchive` opens the archive and Foundation's `XMLParser` reads
/// its parts; what is written here is only SpreadsheetML's handful of elements (no Swift library on this machine reads
/// .xlsx).
///
/// Hostile files are refused with a reason, never expanded without bound: every part is inflated within a byte budget
/// (a small upload may inflate to gigabytes) and checked against its checksum, a part that is not UTF-8 XML without a
/// DTD (entity expansion) or with a NUL byte (UTF-16 without its mark) is not parsed, and at most so many cells and
/// strings are kept.
public enum Workbook {
    /// A cell's value as stored: text (shared, inline or a formula's string result), a number as Excel wrote it, a
    /// number in a date or time format (its serial: days since the workbook's epoch), a boolean.
    enum Cell: Equatable {
        case text(String)
        case number(String)
        case date(Double)
        case boolean(Bool)
    }

    /// A row as the sheet numbers it (`line`, from 1), its cells with a value by column (A = 0), left to right.
    struct Row {
        var line: Int
        var cells: [(column: Int, cell: Cell)]
    }

    struct Sheet {
        /// The name on its tab.
        var name: String
        var rows: [Row]
        /// The workbook counts dates from 1904-01-01 (`date1904`, old Excel for Mac) instead of 1899-12-30.
        var epoch1904: Bool
        /// The names of the workbook's sheets shown, in order, this one among them.
        var shown: [String] = []
    }

    struct ReadError: Error, Equatable {
        var reason: String
        /// The sheet the reason is about, when the workbook shows more than one.
        var sheet: String? = nil
    }

    /// At most this many bytes are inflated from any one part (a sheet of 100,000 members is some 30 MB).
    static let maxPartBytes = 64 << 20
    /// At most this many rows and columns hold values (a ward's list has a few thousand rows and a dozen columns),
    /// and at most this many cells and shared strings are kept in all.
    static let maxRows = 200_000
    static let maxColumns = 200
    static let maxCells = 2_000_000
    /// At most this many sheets are looked at, and the sheets after the first only while the parts inflated so far
    /// stay within `maxPartBytes`. A ward's workbook may hold a sheet per base organisation (42 in Tây Hồ) and the
    /// whole list after them: 32 left that list unread, in silence (audit, 07/12/2026).
    static let maxSheets = 256

    /// Whether `bytes` begin as a ZIP archive does (an .xlsx), and as an OLE compound file does (the legacy binary
    /// .xls, and an .xlsx Excel saved with a password, which it encrypts into one).
    public static func isZIP(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) }
    public static func isLegacyExcel(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) }

    /// Said of a file that is not a workbook as Excel saves one (broken, or made to harm): what to do about it.
    static let broken = "tệp bị hỏng hoặc không phải tệp Excel thông thường; hãy mở tệp bằng Excel, lưu lại rồi nhập lại"

    /// The sheet to import. A ward's workbook often opens on a sheet of instructions or a summary and keeps the list on
    /// another: of the sheets shown, the one `score` rates highest (the import's: how many of the workflow's fields its
    /// heading row names, then how many rows lie under it), the first of equals; the first sheet when none rates above
    /// 0. A sheet with a problem (a formula's error, a part too large or damaged) is refused only when it is the one
    /// chosen, rated on its rows before the problem: a list is not refused for a broken sheet beside it.
    static func read(_ bytes: [UInt8], score: (Sheet) -> Int = { _ in 0 }) throws(ReadError) -> Sheet {
        let archive: ZipArchive
        do { archive = try ZipArchive(bytes) } catch { throw ReadError(reason: broken) }
        guard let workbookXML = try part(archive, "xl/workbook.xml") else { throw ReadError(reason: broken) }
        let workbook = WorkbookParts(workbookXML)
        guard workbook.parsed else { throw ReadError(reason: broken) }
        guard !workbook.sheets.isEmpty else { throw ReadError(reason: "bảng tính không có trang tính nào đang hiện") }
        let relations = try part(archive, "xl/_rels/workbook.xml.rels").map(Relationships.init)
        if let relations, !relations.parsed { throw ReadError(reason: broken) }
        let strings = try part(archive, "xl/sharedStrings.xml").map(SharedStrings.init)
        let styles = try part(archive, "xl/styles.xml").map(Styles.init)
        if strings?.parsed == false || styles?.parsed == false { throw ReadError(reason: broken) }
        let shown = workbook.sheets.map(\.name)
        let named = shown.count > 1
        var best: (sheet: Sheet, score: Int, error: ReadError?)?
        // The first sheet's part when it could not be read: said when no other sheet holds a list.
        var firstError: ReadError?
        var inflated = 0
        for (i, (name, id)) in workbook.sheets.enumerated() {
            // The first sheet within a part's budget; the others within what the sheets read so far left of it.
            let budget = i == 0 ? maxPartBytes : maxPartBytes - inflated
            if budget <= 0 { break }
            let target = relations?.targets[id] ?? "worksheets/sheet\(i + 1).xml"
            let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            // What was inflated is charged, read or refused: 255 sheets naming one 64 MiB part that fails its checks
            // at the end cost 2.8 s each, and a 68 KB upload held a core for over ten minutes (import audit,
            // 07/12/2026). A part refused before inflating (too large, not deflated) costs nothing.
            let xml: Data
            do throws(ReadError) {
                guard let found = try part(archive, path, limit: budget, inflated: &inflated)
                else { throw ReadError(reason: "không thấy trang tính «\(name)» trong tệp; " + broken) }
                xml = found
            } catch {
                if i == 0 { firstError = ReadError(reason: error.reason, sheet: named ? name : nil) }
                continue
            }
            let parsed = SheetParser(
                xml, strings: strings?.strings ?? [], dateStyles: styles?.dateStyles ?? [], zeroPadded: styles?.zeroPadded ?? [:],
                epoch1904: workbook.epoch1904)
            let sheet = Sheet(name: name, rows: parsed.rows, epoch1904: workbook.epoch1904, shown: shown)
            let rating = score(sheet)
            if rating > best?.score ?? -1 {
                best = (sheet, rating, parsed.error.map { ReadError(reason: $0.reason, sheet: named ? name : nil) })
            }
        }
        guard let best, best.score > 0 || firstError == nil else { throw firstError ?? ReadError(reason: broken) }
        if let error = best.error { throw error }
        return best.sheet
    }

    /// A part's bytes, nil when the archive has no such part; inflated within `maxPartBytes`, and refused unless it
    /// is UTF-8 XML without a DTD (SpreadsheetML parts never declare one: one that does could expand entities without
    /// bound) and without a NUL byte (UTF-16, which libxml2 detects by itself, would hide a DTD from this check).
    static func part(_ archive: ZipArchive, _ path: String, limit: Int = maxPartBytes) throws(ReadError) -> Data? {
        var inflated = 0
        return try part(archive, path, limit: limit, inflated: &inflated)
    }

    /// `part`, adding to `inflated` what inflating it cost.
    static func part(_ archive: ZipArchive, _ path: String, limit: Int, inflated: inout Int) throws(ReadError) -> Data? {
        let bytes: [UInt8]
        do {
            guard let b = try archive.part(path, limit: limit, inflated: &inflated) else { return nil }
            bytes = b
        } catch {
            throw ReadError(reason: error == .tooLarge ? "tệp giải nén ra quá lớn (hơn \(maxPartBytes >> 20) MB một phần)" : broken)
        }
        let data = Data(bytes)
        let start = data.starts(with: [0xEF, 0xBB, 0xBF]) ? data.dropFirst(3) : data[...]
        guard start.first(where: { !" \t\r\n".utf8.contains($0) }) == UInt8(ascii: "<"), !bytes.contains(0),
            data.range(of: Data("<!DOCTYPE".utf8)) == nil, data.range(of: Data("<!ENTITY".utf8)) == nil, isUTF8(bytes),
            declaresUTF8(start)
        else { throw ReadError(reason: broken) }
        return data
    }

    /// Whether the part's XML declaration, if it has one, names no encoding or UTF-8. libxml2 decodes by the declared
    /// encoding: `encoding="ISO-2022-JP"` with escapes inside `<!DOC␛(BTYPE` (or UTF-7's `+ADw-!DOCTYPE`) passed the
    /// byte search above and reached the parser as a DTD (import audit, 07/12/2026). Excel writes UTF-8 only.
    static func declaresUTF8(_ xml: Data) -> Bool {
        let head = xml.prefix(256)
        guard head.starts(with: Data("<?xml".utf8)) else { return true }
        guard let end = head.range(of: Data("?>".utf8)) else { return false }
        let declaration = String(decoding: head[..<end.lowerBound], as: UTF8.self).lowercased()
        guard let at = declaration.range(of: "encoding") else { return true }
        let value = declaration[at.upperBound...].drop { " =\"'\t\r\n".contains($0) }.prefix { !"\"' \t\r\n?".contains($0) }
        return value == "utf-8" || value == "utf8"
    }

    /// Whether `data` is valid UTF-8 throughout. Checked before `XMLParser` sees a part: on Linux it traps (the whole
    /// tiendo-web down) on an element or attribute name that is not valid UTF-8, which libxml2 passes on as it is.
    /// The standard library's validation, without copying the part into a `String`.
    static func isUTF8(_ bytes: [UInt8]) -> Bool {
        do {
            _ = try UTF8Span(validating: bytes.span)
            return true
        } catch {
            return false
        }
    }

    /// The instant a date serial names, as people write it: `dd/mm/yyyy`, with `HH:MM` when `time` (the serial's
    /// fraction of a day, to the minute). Excel's 1900 system counts from 1899-12-30 (its serial 60 is the 29/02/1900
    /// that never was; dates before March 1900 are off by one, as in Excel, and irrelevant here).
    static func dateText(_ serial: Double, epoch1904: Bool, time: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }
        let minutes = time ? Int((serial * 1440).rounded()) : Int(serial.rounded(.down)) * 1440
        let day = epoch(epoch1904).adding(days: minutes / 1440)
        guard time else { return day.vietnamese }
        return day.vietnamese + " " + TimeOfDay(hour: (minutes % 1440) / 60, minute: minutes % 60).description
    }

    /// The day a workbook's serial 0 names: 1899-12-30 in Excel's 1900 system, 1904-01-01 in the 1904 one.
    static func epoch(_ epoch1904: Bool) -> CivilDate { epoch1904 ? CivilDate(1904, 1, 1) : CivilDate(1899, 12, 30) }

    /// A column's letters from its index (0 → `A`, 26 → `AA`), as Excel heads it.
    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var letters: [Character] = []
        while n > 0 {
            letters.insert(Character(Unicode.Scalar(UInt8(65 + (n - 1) % 26))), at: 0)
            n = (n - 1) / 26
        }
        return String(letters)
    }

    /// A column's index from a cell reference's letters (`B7` → 1, `AA3` → 26), nil past `maxColumns`.
    static func column(_ reference: String) -> Int? {
        var n = 0
        var letters = 0
        for u in reference.utf8 {
            guard (65...90).contains(u) else { break }
            n = n * 26 + Int(u - 64)
            letters += 1
            if n > maxColumns { return nil }
        }
        return letters == 0 ? nil : n - 1
    }
}
