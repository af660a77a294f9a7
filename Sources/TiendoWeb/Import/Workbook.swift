import Foundation
import TiendoCore
import ZIPFoundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The first worksheet of an Excel workbook (.xlsx, Office Open XML SpreadsheetML), cell by cell, for the import: a
/// ward's list of members lives in Excel, and saving it as "CSV UTF-8" first was a step people got wrong (Excel's plain
/// "CSV" is not UTF-8 on Windows). ZIPFoundation opens the archive and Foundation's `XMLParser` reads its parts; what
/// is written here is only SpreadsheetML's handful of elements (no Swift library on this machine reads .xlsx).
///
/// Hostile files are refused with a reason, never expanded without bound: every part is read through a byte budget
/// (a small upload may inflate to gigabytes), and a part with a DTD (entity expansion) is not parsed at all.
enum Workbook {
    /// A cell's value as stored: text (shared, inline or a formula's string result), a number as Excel wrote it, a
    /// number in a date or time format (its serial: days since the workbook's epoch), a boolean.
    enum Cell: Equatable {
        case text(String)
        case number(String)
        case date(Double)
        case boolean(Bool)
    }

    /// A row as the sheet numbers it (`line`, from 1), its cells by column (A = 0); absent cells are nil.
    struct Row {
        var line: Int
        var cells: [Cell?]
    }

    struct Sheet {
        var rows: [Row]
        /// The workbook counts dates from 1904-01-01 (`date1904`, old Excel for Mac) instead of 1899-12-30.
        var epoch1904: Bool
    }

    struct ReadError: Error, Equatable {
        var reason: String
    }

    /// At most this many bytes are inflated from any one part (a sheet of 100,000 members is some 30 MB).
    static let maxPartBytes = 64 << 20
    /// At most this many rows and columns are read (a ward's list has a few thousand rows and a dozen columns).
    static let maxRows = 200_000
    static let maxColumns = 200

    /// Whether `bytes` begin as a ZIP archive does (an .xlsx), and as an OLE compound file does (the legacy binary
    /// .xls, and an .xlsx Excel saved with a password, which it encrypts into one).
    static func isZIP(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) }
    static func isLegacyExcel(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) }

    static func read(_ bytes: [UInt8]) throws(ReadError) -> Sheet {
        let notWorkbook = ReadError(reason: "tệp không đọc được như một bảng tính Excel (.xlsx)")
        let archive: Archive
        do { archive = try Archive(data: Data(bytes), accessMode: .read) } catch { throw notWorkbook }
        guard let workbookXML = try part(archive, "xl/workbook.xml") else { throw notWorkbook }
        let workbook = WorkbookParts(workbookXML)
        guard let sheetID = workbook.firstSheet else { throw ReadError(reason: "bảng tính không có trang tính nào") }
        let relations = try part(archive, "xl/_rels/workbook.xml.rels").map(Relationships.init) ?? Relationships(Data())
        let target = relations.targets[sheetID] ?? "worksheets/sheet1.xml"
        let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        guard let sheetXML = try part(archive, path) else {
            throw ReadError(reason: "không thấy trang tính đầu tiên («\(path)») trong tệp")
        }
        let strings = try part(archive, "xl/sharedStrings.xml").map(SharedStrings.init)?.strings ?? []
        let dateStyles = try part(archive, "xl/styles.xml").map(Styles.init)?.dateStyles ?? []
        let sheet = SheetParser(sheetXML, strings: strings, dateStyles: dateStyles)
        if let error = sheet.error { throw error }
        return Sheet(rows: sheet.rows, epoch1904: workbook.epoch1904)
    }

    /// A part's bytes, nil when the archive has no such part; inflated through `maxPartBytes`.
    static func part(_ archive: Archive, _ path: String) throws(ReadError) -> Data? {
        guard let entry = archive[path] else { return nil }
        var data = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard data.count + chunk.count <= maxPartBytes else { throw ReadError(reason: "") }
                data.append(chunk)
            }
        } catch {
            throw ReadError(
                reason: error is ReadError
                    ? "tệp giải nén ra quá lớn (phần «\(path)» vượt \(maxPartBytes >> 20) MB)"
                    : "phần «\(path)» của tệp bị hỏng, không đọc được")
        }
        // SpreadsheetML parts never declare a DTD: one that does could expand entities without bound.
        if data.range(of: Data("<!DOCTYPE".utf8)) != nil || data.range(of: Data("<!ENTITY".utf8)) != nil {
            throw ReadError(reason: "phần «\(path)» của tệp có khai báo DTD, không phải tệp Excel thông thường")
        }
        return data
    }

    /// The instant a date serial names, as people write it: `dd/mm/yyyy`, with `HH:MM` when `time` (the serial's
    /// fraction of a day, to the minute). Excel's 1900 system counts from 1899-12-30 (its serial 60 is the 29/02/1900
    /// that never was; dates before March 1900 are off by one, as in Excel, and irrelevant here).
    static func dateText(_ serial: Double, epoch1904: Bool, time: Bool) -> String? {
        guard serial.isFinite, serial >= 0, serial < 2_958_466 else { return nil }
        let minutes = time ? Int((serial * 1440).rounded()) : Int(serial.rounded(.down)) * 1440
        let day = (epoch1904 ? CivilDate(1904, 1, 1) : CivilDate(1899, 12, 30)).adding(days: minutes / 1440)
        guard time else { return day.vietnamese }
        return day.vietnamese + " " + Format.pad2((minutes % 1440) / 60) + ":" + Format.pad2(minutes % 60)
    }

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
