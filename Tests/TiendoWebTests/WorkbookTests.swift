import Foundation
import Testing
import TiendoCore
import ZIPFoundation

@testable import TiendoVarlink
@testable import TiendoWeb

@Suite("Excel workbooks imported: the first sheet's cells, as people fill them in")
struct WorkbookTests {
    /// An .xlsx of the given parts, deflated as Excel writes them.
    static func workbook(_ parts: [(String, Data)]) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, data) in parts {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate,
                provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
        }
        return [UInt8](try #require(archive.data))
    }

    static func xml(_ s: String) -> Data { Data((#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + s).utf8) }

    static let main = #"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#
    static let rel = #"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#

    /// A member list as an office keeps it: a title above the header, an STT column, rich text, an inline string, dates
    /// in two formats (a custom `dd/mm/yyyy` and the built-in 14, with a time), an empty row, and its first sheet not
    /// named sheet1 (the workbook's order decides, not the file's name).
    static func memberList(sheetRows: String? = nil, epoch1904: Bool = false) throws -> [UInt8] {
        let rows =
            sheetRows
                ?? #"""
                <row r="1"><c r="A1" t="s"><v>0</v></c></row>
                <row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>2</v></c><c r="C3" t="s"><v>3</v></c><c r="D3" t="s"><v>4</v></c></row>
                <row r="4"><c r="A4"><v>1</v></c><c r="B4" t="s"><v>5</v></c><c r="C4" t="inlineStr"><is><t>Chi bộ 1</t></is></c><c r="D4" s="1"><v>46096</v></c></row>
                <row r="5"><c r="B5" s="1"/></row>
                <row r="7"><c r="A7"><v>2</v></c><c r="B7" t="s"><v>6</v></c><c r="C7" t="inlineStr"><is><t>Chi bộ 1</t></is></c><c r="D7" s="2"><v>46097.5</v></c></row>
                """#
        return try workbook([
            (
                "xl/workbook.xml",
                xml(
                    #"<workbook \#(main) \#(rel)><workbookPr\#(epoch1904 ? #" date1904="1""# : "")/><sheets><sheet name="Danh sách" sheetId="2" r:id="rId7"/><sheet name="Khác" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                )
            ),
            (
                "xl/_rels/workbook.xml.rels",
                xml(
                    #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="w" Target="worksheets/sheet1.xml"/><Relationship Id="rId7" Type="w" Target="/xl/worksheets/danh-sach.xml"/></Relationships>"#
                )
            ),
            (
                "xl/sharedStrings.xml",
                xml(
                    #"<sst \#(main)><si><t>DANH SÁCH ĐẢNG VIÊN</t></si><si><t>STT</t></si><si><t>Họ và tên</t></si><si><t>Chi bộ</t></si><si><t>Hạn</t></si><si><r><t xml:space="preserve">Trần </t></r><r><rPr><b/></rPr><t>Văn Bình</t></r><rPh sb="0" eb="1"><t>phiên âm</t></rPh></si><si><t>Lê Thị Cúc &amp; con</t></si></sst>"#
                )
            ),
            (
                "xl/styles.xml",
                xml(
                    #"<styleSheet \#(main)><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy;@"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs></styleSheet>"#
                )
            ),
            (
                "xl/worksheets/sheet1.xml",
                xml(
                    #"<worksheet \#(main)><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Không phải trang này</t></is></c></row></sheetData></worksheet>"#
                )
            ),
            ("xl/worksheets/danh-sach.xml", xml(#"<worksheet \#(main)><sheetData>\#(rows)</sheetData></worksheet>"#)),
        ])
    }

    static let member = Account(name: "admin", role: .quanTri, groups: [], passwordHash: "", created: "")

    /// kiem-tra's fields with their titles, as a template heads them.
    static let workflow: Extras.WorkflowInfo = {
        let json = try! JSON.parse(
            #"{"id":"kiem-tra","title":"Kiểm tra","digest":"d","timezone":"Asia/Ho_Chi_Minh","calendar":"vn","groupBy":"chi_bo","label":"ho_ten","#
                + #""fields":[{"name":"ho_ten","title":"Họ và tên","type":"text","required":true,"values":[]},"#
                + #"{"name":"chi_bo","title":"Chi bộ","type":"text","required":true,"values":[]},"#
                + #"{"name":"han","title":"Hạn","type":"date","required":true,"values":[]}],"states":[],"milestones":[]}"#)
        return try! Extras.WorkflowInfo(json: json, path: "")
    }()

    static func rows(_ bytes: [UInt8]) -> Result<[(line: Int, row: JSON)], ImportPage.Failures> {
        ImportPage.rows(bytes, workflow: workflow, account: member)
    }

    @Test("a member list from Excel: title and STT left out, rich and inline text, dates by their format, lines as Excel numbers them")
    func memberList() throws {
        let rows = try Self.rows(try Self.memberList()).get()
        #expect(rows.map(\.line) == [4, 7])
        #expect(rows[0].row["ho_ten"]?.stringValue == "Trần Văn Bình" && rows[0].row["chi_bo"]?.stringValue == "Chi bộ 1")
        #expect(rows[0].row["han"]?.stringValue == "15/03/2026")
        // A date with a time, for a date field: the day.
        #expect(rows[1].row["ho_ten"]?.stringValue == "Lê Thị Cúc & con" && rows[1].row["han"]?.stringValue == "16/03/2026")
        #expect(rows.allSatisfy { $0.row["STT"] == nil && $0.row.objectValue?.count == 3 })
        // The same serials in a workbook of the 1904 system are four years and a day later.
        let old = try Self.rows(try Self.memberList(epoch1904: true)).get()
        #expect(old[0].row["han"]?.stringValue == "16/03/2030")
    }

    @Test("what the page says of a sheet it cannot take: the header's own line, a value under no heading")
    func sheetProblems() throws {
        let unknown = #"""
            <row r="2"><c r="A2" t="inlineStr"><is><t>Họ và tên</t></is></c><c r="B2" t="inlineStr"><is><t>Quê quán</t></is></c></row>
            """#
        guard case .failure(let f) = Self.rows(try Self.memberList(sheetRows: unknown)) else { Issue.record("accepted"); return }
        #expect(f.problems.count == 1 && f.problems[0].hasPrefix("Dòng 2: cột «Quê quán» không phải trường của quy trình «Kiểm tra»"))
        let stray = #"""
            <row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>Lê Thị Cúc</t></is></c><c r="E2"><v>7</v></c></row>
            """#
        guard case .failure(let g) = Self.rows(try Self.memberList(sheetRows: stray)) else { Issue.record("accepted"); return }
        #expect(g.problems == ["Không nhập được tệp Excel: ô E2 có giá trị «7» nhưng cột không có tiêu đề ở dòng 1."])
    }

    @Test("hostile or foreign files are refused with a reason, never inflated without bound")
    func refused() throws {
        func refusal(_ bytes: [UInt8]) -> String? {
            guard case .failure(let f) = Self.rows(bytes) else { return nil }
            return f.problems.joined()
        }
        // A sheet of 70 MB of spaces deflates to some 70 KB: stopped at the budget, not read to the end.
        let big = Data(repeating: 0x20, count: Workbook.maxPartBytes + (6 << 20))
        let bomb = try Self.workbook([
            (
                "xl/workbook.xml",
                Self.xml(#"<workbook \#(Self.main) \#(Self.rel)><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>"#)
            ),
            ("xl/worksheets/sheet1.xml", big),
        ])
        #expect(bomb.count < 1 << 20)
        #expect(refusal(bomb) == "Không nhập được tệp Excel: tệp giải nén ra quá lớn (phần «xl/worksheets/sheet1.xml» vượt 64 MB).")
        // Entities declared in a DTD (a billion laughs) are not parsed at all.
        let laughs = try Self.workbook([
            (
                "xl/workbook.xml",
                Self.xml(
                    #"<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><workbook \#(Self.main)><sheets><sheet name="a" r:id="rId1"/></sheets></workbook>"#
                )
            )
        ])
        #expect(refusal(laughs)?.contains("có khai báo DTD") == true)
        #expect(
            refusal([0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 100))
                == "Không nhập được tệp Excel: tệp không đọc được như một bảng tính Excel (.xlsx).")
        #expect(
            refusal([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0])?.hasPrefix(
                "Tệp Excel dạng cũ (.xls) hoặc có đặt mật khẩu chưa đọc được") == true)
        // A shared string that is not there, a broken sheet.
        let missing = #"<row r="1"><c r="A1" t="s"><v>99</v></c></row>"#
        #expect(
            refusal(try Self.memberList(sheetRows: missing)) == "Không nhập được tệp Excel: ô «A1» trỏ tới một chuỗi không có trong tệp.")
        let broken = refusal(try Self.memberList(sheetRows: "<row><c>"))
        #expect(broken == "Không nhập được tệp Excel: trang tính đầu tiên của tệp bị hỏng, không đọc được.", "\(broken ?? "")")
    }

    @Test("a file tiendo-web wrote (the template, an export) reads back, its date cells as dates")
    func roundTrip() throws {
        var sheet = Sheet(name: "Mẫu nhập", columns: Self.workflow.importHeadings.map { Sheet.Column($0.heading) })
        let headings = sheet.columns.map(\.title)
        sheet.rows = [
            headings.map { h in
                h == "Hạn" || h == "han"
                    ? .date(CivilDate(2026, 3, 15)) : h == "Mã hồ sơ" ? .text("a-1") : h == "Ngày bắt đầu" ? .empty : .text("Bùi Thị Lan")
            }
        ]
        let bytes = try XLSXFile.encode(sheet)
        let rows = try Self.rows(bytes).get()
        #expect(rows.count == 1 && rows[0].line == 2)
        #expect(rows[0].row["han"]?.stringValue == "15/03/2026" && rows[0].row["key"]?.stringValue == "a-1")
    }

    @Test("serials as people write dates; columns by their letters")
    func serials() {
        #expect(Workbook.dateText(46096, epoch1904: false, time: false) == "15/03/2026")
        #expect(Workbook.dateText(46096.604166, epoch1904: false, time: true) == "15/03/2026 14:30")
        #expect(Workbook.dateText(46096.999999, epoch1904: false, time: true) == "16/03/2026 00:00")
        #expect(Workbook.dateText(0, epoch1904: true, time: false) == "01/01/1904")
        #expect(
            Workbook.dateText(-1, epoch1904: false, time: false) == nil && Workbook.dateText(.nan, epoch1904: false, time: false) == nil)
        #expect(
            Workbook.column("A1") == 0 && Workbook.column("AA10") == 26 && Workbook.column("1") == nil && Workbook.column("ZZZ1") == nil)
        #expect(Workbook.columnName(0) == "A" && Workbook.columnName(26) == "AA" && Workbook.columnName(51) == "AZ")
        #expect(
            Styles.isDate("dd/mm/yyyy;@") && Styles.isDate("h:mm") && !Styles.isDate("0.00") && !Styles.isDate("#,##0")
                && !Styles.isDate(#""ngày" 0"#))
        #expect(!Styles.isDate("[Red]0") && !Styles.isDate("@"))
        #expect(
            ImportTable.isRowNumber("STT") && ImportTable.isRowNumber("Số TT") && ImportTable.isRowNumber("số thứ tự")
                && !ImportTable.isRowNumber("Họ và tên"))
    }
}
