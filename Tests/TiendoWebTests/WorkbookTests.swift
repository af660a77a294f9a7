import Foundation
import Testing
import TiendoCore

@testable import TiendoSheets
@testable import TiendoVarlink
@testable import TiendoWeb

@Suite("Excel workbooks imported: the cells of the sheet holding the list, as people fill them in")
struct WorkbookTests {
    /// An .xlsx of the given parts, deflated as Excel writes them.
    static func workbook(_ parts: [(String, Data)]) throws -> [UInt8] {
        ZipWriter.archive(parts.map { ($0.0, [UInt8]($0.1)) })
    }

    static func xml(_ s: String) -> Data { Data((#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + s).utf8) }

    static let main = #"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#
    static let rel = #"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#

    /// A member list as an office keeps it: a title above the header, an STT column, rich text, an inline string, dates
    /// in two formats (a custom `dd/mm/yyyy` and the built-in 14, with a time), an empty row, and its first sheet not
    /// named sheet1 (the workbook's order decides, not the file's name).
    static func memberListParts(sheetRows: String? = nil, epoch1904: Bool = false) -> [(String, Data)] {
        let rows =
            sheetRows
                ?? #"""
                <row r="1"><c r="A1" t="s"><v>0</v></c></row>
                <row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>2</v></c><c r="C3" t="s"><v>3</v></c><c r="D3" t="s"><v>4</v></c></row>
                <row r="4"><c r="A4"><v>1</v></c><c r="B4" t="s"><v>5</v></c><c r="C4" t="inlineStr"><is><t>Chi bộ 1</t></is></c><c r="D4" s="1"><v>46096</v></c></row>
                <row r="5"><c r="B5" s="1"/></row>
                <row r="7"><c r="A7"><v>2</v></c><c r="B7" t="s"><v>6</v></c><c r="C7" t="inlineStr"><is><t>Chi bộ 1</t></is></c><c r="D7" s="2"><v>46097.5</v></c></row>
                """#
        return [
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
        ]
    }

    static func memberList(sheetRows: String? = nil, epoch1904: Bool = false) throws -> [UInt8] {
        try workbook(memberListParts(sheetRows: sheetRows, epoch1904: epoch1904))
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
        ImportPage.rows(bytes, workflow: workflow, account: member).map(\.rows)
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

    @Test("a number shown with leading zeros by its column's format (a CCCD, a card number) is read as shown")
    func leadingZeros() throws {
        let rows = #"""
            <row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="s"><v>3</v></c><c r="C3" t="s"><v>4</v></c></row>
            <row r="4"><c r="A4" s="3"><v>1087615538</v></c><c r="B4" s="4"><v>1.01234</v></c><c r="C4" s="1"><v>46096</v></c></row>
            <row r="5"><c r="A5" s="3"><v>123456789012</v></c><c r="B5"><v>7</v></c><c r="C5" s="1"><v>46096</v></c></row>
            """#
        var parts = Self.memberListParts(sheetRows: rows)
        let i = try #require(parts.firstIndex { $0.0 == "xl/styles.xml" })
        parts[i].1 = Self.xml(
            #"<styleSheet \#(Self.main)><numFmts count="3"><numFmt numFmtId="164" formatCode="dd/mm/yyyy;@"/><numFmt numFmtId="165" formatCode="000000000000"/><numFmt numFmtId="166" formatCode="00.000000"/></numFmts><cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="165"/><xf numFmtId="166"/></cellXfs></styleSheet>"#
        )
        let read = try Self.rows(try Self.workbook(parts)).get()
        #expect(read.map { $0.row["ho_ten"]?.stringValue } == ["001087615538", "123456789012"])
        #expect(read.map { $0.row["chi_bo"]?.stringValue } == ["01.012340", "7"])
        #expect(Styles.ZeroPad(code: "0") == nil && Styles.ZeroPad(code: "0.00") == nil && Styles.ZeroPad(code: "#,##0") == nil)
    }

    @Test("a value merged down a column belongs to each row of the range; a title merged across the table stays one cell")
    func mergedCells() throws {
        let rows = #"""
            <row r="1"><c r="A1" t="s"><v>0</v></c></row>
            <row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" t="s"><v>3</v></c><c r="C3" t="s"><v>4</v></c></row>
            <row r="4"><c r="A4" t="inlineStr"><is><t>An</t></is></c><c r="B4" t="inlineStr"><is><t>Chi bộ 1</t></is></c><c r="C4" s="1"><v>46096</v></c></row>
            <row r="5"><c r="A5" t="inlineStr"><is><t>Bình</t></is></c><c r="B5" s="1"/><c r="C5" s="1"><v>46096</v></c></row>
            <row r="6"><c r="A6" t="inlineStr"><is><t>Cúc</t></is></c><c r="C6" s="1"><v>46096</v></c></row>
            <row r="7"><c r="A7" t="inlineStr"><is><t>Dũng</t></is></c><c r="B7" t="inlineStr"><is><t>Chi bộ 2</t></is></c><c r="C7" s="1"><v>46096</v></c></row>
            """#
        var parts = Self.memberListParts()
        let i = try #require(parts.firstIndex { $0.0 == "xl/worksheets/danh-sach.xml" })
        parts[i].1 = Self.xml(
            #"<worksheet \#(Self.main)><sheetData>\#(rows)</sheetData><mergeCells count="2"><mergeCell ref="A1:C1"/><mergeCell ref="B4:B6"/></mergeCells></worksheet>"#
        )
        let read = try Self.rows(try Self.workbook(parts)).get()
        #expect(read.map { $0.row["chi_bo"]?.stringValue } == ["Chi bộ 1", "Chi bộ 1", "Chi bộ 1", "Chi bộ 2"])
        #expect(read.map(\.line) == [4, 5, 6, 7])
    }

    @Test("what the page says of a sheet it cannot take: the header's own line, a value under no heading, a formula's error")
    func sheetProblems() throws {
        let unknown = #"""
            <row r="2"><c r="A2" t="inlineStr"><is><t>Họ và tên</t></is></c><c r="B2" t="inlineStr"><is><t>Quê quán</t></is></c></row>
            """#
        guard case .failure(let f) = Self.rows(try Self.memberList(sheetRows: unknown)) else { Issue.record("accepted"); return }
        #expect(
            f.problems.count == 1
                && f.problems[0].hasPrefix("Trang tính «Danh sách», dòng 2: cột «Quê quán» không phải trường của quy trình «Kiểm tra»"))
        let stray = #"""
            <row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>Lê Thị Cúc</t></is></c><c r="E2"><v>7</v></c></row>
            """#
        #expect(
            Self.refusal(try Self.memberList(sheetRows: stray))
                == "Không nhập được tệp Excel (trang tính «Danh sách»): ô «E2» có giá trị «7» nhưng cột của nó không có tên ở dòng 1; hãy đặt tên cột hoặc xóa giá trị."
        )
        // #N/A after a lookup that found nothing: the cell is named, nothing is imported.
        let lookup = #"""
            <row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c><c r="B1" t="inlineStr"><is><t>Chi bộ</t></is></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>Lê Thị Cúc</t></is></c><c r="B2" t="e"><f>VLOOKUP(A2,X!A:B,2,0)</f><v>#N/A</v></c></row>
            """#
        #expect(
            Self.refusal(try Self.memberList(sheetRows: lookup))
                == "Không nhập được tệp Excel (trang tính «Danh sách»): ô «B2» có lỗi công thức «#N/A»; hãy sửa ô đó trong Excel.")
        // A value far to the right is refused; an empty formatted cell there, or an empty formatted row far below, is not.
        let far = #"""
            <row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c><c r="GS1" s="1"/></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>Lê Thị Cúc</t></is></c></row><row r="300000" s="2" customFormat="1"/>
            """#
        #expect(try Self.rows(try Self.memberList(sheetRows: far)).get().map(\.line) == [2])
        let farValue = far.replacingOccurrences(of: #"<c r="GS1" s="1"/>"#, with: #"<c r="GS1"><v>1</v></c>"#)
        #expect(
            Self.refusal(try Self.memberList(sheetRows: farValue))
                == "Không nhập được tệp Excel (trang tính «Danh sách»): có giá trị ở cột sau cột GR; hãy xóa các cột thừa.")
    }

    /// A workbook of the given sheets, in order: each its name, whether hidden, and its rows' XML.
    static func sheets(_ list: [(name: String, hidden: Bool, rows: String)]) throws -> [UInt8] { try workbook(sheetParts(list)) }

    /// `sheets`' parts: the workbook, its relationships, then each sheet's.
    static func sheetParts(_ list: [(name: String, hidden: Bool, rows: String)]) -> [(String, Data)] {
        let entries = list.enumerated().map { i, sheet in
            #"<sheet name="\#(sheet.name)" sheetId="\#(i + 1)"\#(sheet.hidden ? #" state="hidden""# : "") r:id="rId\#(i + 1)"/>"#
        }
        let relations = list.indices.map { #"<Relationship Id="rId\#($0 + 1)" Target="worksheets/sheet\#($0 + 1).xml"/>"# }
        return
            [
                ("xl/workbook.xml", xml(#"<workbook \#(main) \#(rel)><sheets>\#(entries.joined())</sheets></workbook>"#)),
                (
                    "xl/_rels/workbook.xml.rels",
                    xml(
                        #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\#(relations.joined())</Relationships>"#
                    )
                ),
            ]
            + list.enumerated().map { i, sheet in
                ("xl/worksheets/sheet\(i + 1).xml", xml(#"<worksheet \#(main)><sheetData>\#(sheet.rows)</sheetData></worksheet>"#))
            }
    }

    /// A row of inline strings, from column A.
    static func row(_ line: Int, _ cells: String...) -> String {
        let c = cells.enumerated().map { i, t in #"<c r="\#(Workbook.columnName(i))\#(line)" t="inlineStr"><is><t>\#(t)</t></is></c>"# }
        return #"<row r="\#(line)">\#(c.joined())</row>"#
    }

    @Test("the list on another sheet than the first: the sheet whose heading row names most fields, named in every message")
    func listOnAnotherSheet() throws {
        let guide = Self.row(1, "Hướng dẫn: điền danh sách ở trang «Danh sách»") + Self.row(2, "Mỗi đảng viên một dòng")
        // A summary heads one field's column (a formula's error in it does not matter: it is not the list).
        let summary =
            Self.row(1, "Chi bộ", "Số đảng viên")
            + #"<row r="2"><c r="A2" t="inlineStr"><is><t>Chi bộ 1</t></is></c><c r="B2" t="e"><v>#REF!</v></c></row>"#
        let list =
            Self.row(1, "DANH SÁCH") + Self.row(3, "STT", "Họ và tên", "Chi bộ", "Hạn")
            + Self.row(4, "1", "Vàng Thị Mai", "Chi bộ 1", "15/03/2026") + Self.row(5, "2", "Hờ A Chứ", "Chi bộ 1", "16/03/2026")
        let book = try Self.sheets([
            ("Hướng dẫn", false, guide), ("Tổng hợp", false, summary), ("Cũ", true, list), ("Danh sách", false, list),
        ])
        guard case .success(let read) = ImportPage.rows(book, workflow: Self.workflow, account: Self.member) else {
            Issue.record("refused")
            return
        }
        #expect(read.sheet == "Danh sách" && read.rows.map(\.line) == [4, 5])
        #expect(read.rows.map { $0.row["ho_ten"]?.stringValue } == ["Vàng Thị Mai", "Hờ A Chứ"])
        // A bad row is named with its sheet.
        let scoped = Account(name: "b", role: .quanTri, groups: ["Chi bộ 2"], passwordHash: "", created: "")
        guard case .failure(let outside) = ImportPage.rows(book, workflow: Self.workflow, account: scoped) else {
            Issue.record("accepted")
            return
        }
        #expect(outside.problems.first == "Trang tính «Danh sách», dòng 4: chi bộ «Chi bộ 1» ngoài phạm vi của tài khoản b")
        // An empty chi bộ cell is said as empty, with what to do.
        let unnamed = list.replacingOccurrences(of: "<is><t>Chi bộ 1</t></is></c><c r=\"D4\"", with: "<is><t></t></is></c><c r=\"D4\"")
        guard
            case .failure(let empty) = ImportPage.rows(
                try Self.sheets([("Hướng dẫn", false, guide), ("Danh sách", false, unnamed)]), workflow: Self.workflow, account: scoped)
        else {
            Issue.record("accepted")
            return
        }
        #expect(
            empty.problems.first
                == "Trang tính «Danh sách», dòng 4: cột «Chi bộ» để trống; tài khoản b chỉ nhập hồ sơ thuộc phạm vi của mình, hãy ghi «Chi bộ»",
            "\(empty.problems)")
        // The list's own formula error is refused, with its sheet.
        let broken = list.replacingOccurrences(of: "<is><t>Hờ A Chứ</t></is>", with: "<v>#N/A</v>").replacingOccurrences(
            of: #"<c r="B5" t="inlineStr">"#, with: #"<c r="B5" t="e">"#)
        #expect(
            Self.refusal(try Self.sheets([("Hướng dẫn", false, guide), ("Danh sách", false, broken)]))
                == "Không nhập được tệp Excel (trang tính «Danh sách»): ô «B5» có lỗi công thức «#N/A»; hãy sửa ô đó trong Excel.")
        // Of two lists equally good, the first; one sheet shown of several: no sheet named.
        let first = try Self.sheets([("A", false, list), ("B", false, list.replacingOccurrences(of: "Mai", with: "Lan"))])
        #expect(
            try ImportPage.rows(first, workflow: Self.workflow, account: Self.member).get().rows.first?.row["ho_ten"]?.stringValue
                == "Vàng Thị Mai")
        let alone = try ImportPage.rows(
            try Self.sheets([("Ẩn", true, guide), ("Danh sách", false, list)]), workflow: Self.workflow, account: Self.member
        ).get()
        #expect(alone.sheet == nil && alone.rows.count == 2)
        // No sheet heads a field's column: the sheets looked at are named, and the first one's columns refused.
        guard
            case .failure(let none) = ImportPage.rows(
                try Self.sheets([("Trang 1", false, guide), ("Trang 2", false, Self.row(1, "Quê quán"))]), workflow: Self.workflow,
                account: Self.member)
        else {
            Issue.record("accepted")
            return
        }
        #expect(
            none.problems.first
                == "Không trang tính nào của tệp (2 trang: «Trang 1», «Trang 2») có dòng tên cột của quy trình «Kiểm tra»; đã đọc trang tính đầu, «Trang 1»."
        )
        #expect(
            none.problems.dropFirst().first?.hasPrefix(
                "Trang tính «Trang 1», dòng 1: cột «Hướng dẫn: điền danh sách ở trang «Danh sách»» không phải trường") == true)
        // The template kept beside its filled copy: the copy, whose heading row has rows under it.
        let template = Self.row(1, "Họ và tên", "Chi bộ", "Hạn")
        let filled = try Self.sheets([("Mẫu nhập", false, template), ("Danh sách", false, list)])
        #expect(try ImportPage.rows(filled, workflow: Self.workflow, account: Self.member).get().sheet == "Danh sách")
        // A sheet beside the list that cannot be read (damaged, or missing from the archive): the list is imported;
        // the first sheet unreadable and no list elsewhere: its problem is said.
        var parts = Self.sheetParts([("Danh sách", false, list), ("Hỏng", false, guide), ("Mất", false, guide)])
        parts[3].1 = Self.xml("<!DOCTYPE x><worksheet/>")
        parts.remove(at: 4)
        #expect(try ImportPage.rows(try Self.workbook(parts), workflow: Self.workflow, account: Self.member).get().rows.count == 2)
        var damagedFirst = Self.sheetParts([("Hỏng", false, guide), ("Danh sách", false, list)])
        damagedFirst[2].1 = Self.xml("<!DOCTYPE x><worksheet/>")
        #expect(
            try ImportPage.rows(try Self.workbook(damagedFirst), workflow: Self.workflow, account: Self.member).get().sheet == "Danh sách")
        var damagedAlone = Self.sheetParts([("Hỏng", false, guide), ("Hướng dẫn", false, guide)])
        damagedAlone[2].1 = Self.xml("<!DOCTYPE x><worksheet/>")
        #expect(Self.refusal(try Self.workbook(damagedAlone)) == "Không nhập được tệp Excel (trang tính «Hỏng»): \(Workbook.broken).")
    }

    static func refusal(_ bytes: [UInt8]) -> String? {
        guard case .failure(let f) = rows(bytes) else { return nil }
        return f.problems.joined()
    }

    /// A workbook of one sheet, `sheet` its whole XML (`workbook` the workbook part's).
    static func single(sheet: String, workbook: String? = nil) throws -> [UInt8] {
        try Self.workbook([
            (
                "xl/workbook.xml",
                xml(workbook ?? #"<workbook \#(main) \#(rel)><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>"#)
            ),
            ("xl/worksheets/sheet1.xml", xml(sheet)),
        ])
    }

    @Test("a CSV saved from a sheet with a title: the title's lines above the column names are left out, as a workbook's")
    func csvTitle() throws {
        let csv = "DANH SÁCH ĐẢNG VIÊN;;\r\n;;\r\nHọ và tên;Chi bộ;Hạn\r\nTrần Văn Bình;Chi bộ 1;15/03/2026\r\n"
        guard case .success(let table) = ImportTable.read(Array(csv.utf8), workflow: Self.workflow) else {
            return #expect(Bool(false), "refused")
        }
        #expect(table.headerLine == 3 && table.headings == ["Họ và tên", "Chi bộ", "Hạn"])
        #expect(table.rows.map(\.line) == [4] && table.rows[0].pairs.map(\.value) == ["Trần Văn Bình", "Chi bộ 1", "15/03/2026"])
        // A title with a comma, in a file written with `;` (Excel does not quote it): the separator is the header's.
        let comma = "Phường Tây Hồ, ngày 30/11/2026;;\r\nHọ và tên;Chi bộ;Hạn\r\nTrần Văn Bình;Chi bộ 1;15/03/2026\r\n"
        guard case .success(let titled) = ImportTable.read(Array(comma.utf8), workflow: Self.workflow) else {
            return #expect(Bool(false), "refused")
        }
        #expect(titled.headerLine == 2 && titled.rows.first?.pairs.map(\.value) == ["Trần Văn Bình", "Chi bộ 1", "15/03/2026"])
        // At most 200 columns, as a workbook's: 900,000 headings held a thread for five minutes.
        let wide = (0...CSV.maxColumns).map { "c\($0)" }.joined(separator: ",") + "\n"
        #expect(throws: CSV.ParseError.self) { try CSV.table(bytes: Array(wide.utf8)) }
        let fits = (1...CSV.maxColumns).map { "c\($0)" }.joined(separator: ",") + "\n" + String(repeating: "x,", count: 199) + "x\n"
        #expect(try CSV.table(bytes: Array(fits.utf8)).rows.count == 1)
        // Without a line naming a field, the first line is the header, as before.
        let plain = try CSV.table(bytes: Array("a,b\n1,2\n".utf8), isHeader: { _ in false })
        #expect(plain.headerLine == 1 && plain.rows.count == 1)
    }

    @Test("cells as Excel shows them: not a phonetic run, an escaped character undone, a formula without its result refused")
    func cellsAsShown() throws {
        func read(_ rows: String) throws -> Workbook.Sheet {
            try Workbook.read(try Self.single(sheet: #"<worksheet \#(Self.main)><sheetData>\#(rows)</sheetData></worksheet>"#))
        }
        func refusal(_ rows: String) -> String? {
            do {
                _ = try read(rows)
                return nil
            } catch { return (error as? Workbook.ReadError)?.reason }
        }
        let sheet = try read(
            #"<row r="1"><c r="A1" t="inlineStr"><is><r><t>00</t></r><r><t>77</t></r><rPh sb="0" eb="1"><t>X</t></rPh></is></c>"#
                + #"<c r="B1" t="str"><f>A1</f><v>a_x000D_b</v></c></row>"#)
        #expect(sheet.rows[0].cells.map(\.cell) == [.text("0077"), .text("a\rb")])
        let noResult = refusal(#"<row r="2"><c r="C2"><f>SUM(A1:B1)</f></c></row>"#)
        #expect(noResult?.hasPrefix("ô «C2» có công thức nhưng tệp không lưu kết quả") == true)
        let negative = refusal(#"<row r="-5"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>"#)
        #expect(negative?.hasPrefix("dòng đánh số «-5» không có") == true)
        // Too many digits for a row: past the limit, refused by its value as such a row is.
        let huge = refusal(#"<row r="99999999999999999999"><c t="inlineStr"><is><t>x</t></is></c></row>"#)
        #expect(huge?.contains("có giá trị ở dòng sau dòng") == true)
    }

    @Test("a cell of a time alone (h:mm) reads as the time shown, in a text field and in a date or datetime one")
    func timeOnly() {
        #expect(ImportTable.text(.date(0.375), type: nil, epoch1904: false) == "09:00")
        #expect(ImportTable.text(.date(0.375), type: "datetime", epoch1904: false) == "09:00")
        #expect(ImportTable.text(.date(0.375), type: "date", epoch1904: true) == "09:00")
        #expect(ImportTable.text(.date(46096.375), type: "datetime", epoch1904: false) == "15/03/2026 09:00")
    }

    @Test("hostile or foreign files are refused with a reason, never inflated without bound, never a crash")
    func refused() throws {
        let broken = "Không nhập được tệp Excel: \(Workbook.broken)."
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
        #expect(Self.refusal(bomb) == "Không nhập được tệp Excel: tệp giải nén ra quá lớn (hơn 64 MB một phần).")
        // Entities declared in a DTD (a billion laughs) are not parsed at all; nor is a part in UTF-16, which would
        // hide its DTD from that check.
        let laughs = try Self.single(
            sheet: "<worksheet/>",
            workbook:
                #"<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><workbook \#(Self.main)><sheets><sheet name="a" r:id="rId1"/></sheets></workbook>"#
        )
        #expect(Self.refusal(laughs) == broken)
        var utf16 = Data([0xFF, 0xFE])
        utf16.append(#"<workbook><sheets><sheet name="a" r:id="rId1"/></sheets></workbook>"#.data(using: .utf16LittleEndian)!)
        #expect(Self.refusal(try Self.workbook([("xl/workbook.xml", utf16)])) == broken)
        #expect(Self.refusal([0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 100)) == broken)
        // A DTD hidden from the byte search by the encoding the part declares (escapes of ISO-2022-JP inside the
        // keyword): only UTF-8 is read.
        #expect(Workbook.declaresUTF8(Data(#"<?xml version="1.0" encoding='utf-8'?><a/>"#.utf8)))
        #expect(Workbook.declaresUTF8(Data(#"<?xml version="1.0"?><a/>"#.utf8)) && Workbook.declaresUTF8(Data("<a/>".utf8)))
        var hidden = Data(#"<?xml version="1.0" encoding="ISO-2022-JP"?><!DOC"#.utf8)
        hidden.append(contentsOf: [0x1B, 0x28, 0x42])
        hidden.append(contentsOf: Array(#"TYPE w><workbook><sheets><sheet name="a" r:id="rId1"/></sheets></workbook>"#.utf8))
        #expect(Self.refusal(try Self.workbook([("xl/workbook.xml", hidden)])) == broken)
        // Sheets that all name one large part refused at its end (a NUL byte) are charged for it: 255 of them inflated
        // it once each and held a core for ten minutes. The first sheet's reading spends the workbook's budget, so
        // the list after them is not reached (it was, after inflating the part once per sheet).
        var nul = Data(repeating: 0x20, count: Workbook.maxPartBytes - 16)
        nul.append(0)
        let many = (1...3).map { #"<sheet name="s\#($0)" sheetId="\#($0)" r:id="rId1"/>"# }.joined()
        let listRows = Self.row(1, "Họ và tên", "Chi bộ", "Hạn") + Self.row(2, "Trần Văn Bình", "Chi bộ 1", "15/03/2026")
        let shared = try Self.workbook([
            (
                "xl/workbook.xml",
                Self.xml(
                    #"<workbook \#(Self.main) \#(Self.rel)><sheets>\#(many)<sheet name="DS" sheetId="9" r:id="rId2"/></sheets></workbook>"#
                )
            ),
            (
                "xl/_rels/workbook.xml.rels",
                Self.xml(
                    #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="w" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="w" Target="worksheets/ds.xml"/></Relationships>"#
                )
            ),
            ("xl/worksheets/sheet1.xml", nul),
            ("xl/worksheets/ds.xml", Self.xml(#"<worksheet \#(Self.main)><sheetData>\#(listRows)</sheetData></worksheet>"#)),
        ])
        #expect(Self.refusal(shared) == "Không nhập được tệp Excel (trang tính «s1»): \(Workbook.broken).")
        // A part refused before it is inflated (it declares more than the limit) costs nothing: the list after it is
        // read.
        var over = Self.sheetParts([("Lớn", false, Self.row(1, "x")), ("Danh sách", false, listRows)])
        over[2].1 = Data(repeating: 0x20, count: Workbook.maxPartBytes + 1)
        #expect(try ImportPage.rows(try Self.workbook(over), workflow: Self.workflow, account: Self.member).get().sheet == "Danh sách")
        // An element's or an attribute's name cut inside a character: Foundation's XMLParser on Linux traps on it (the
        // whole tiendo-web went down); no part that is not UTF-8 reaches it.
        for name in [Array("<x".utf8) + [0xC3] + Array("/>".utf8), Array("<x a".utf8) + [0xC3] + Array("=\"1\"/>".utf8)] {
            var part = Data(#"<?xml version="1.0" encoding="UTF-8"?><workbook><sheets>"#.utf8)
            part.append(contentsOf: name)
            part.append(contentsOf: Array("</sheets></workbook>".utf8))
            #expect(Self.refusal(try Self.workbook([("xl/workbook.xml", part)])) == broken)
        }
        #expect(Workbook.isUTF8(Array("Đảng viên ệ 𝄞".utf8)) && !Workbook.isUTF8([0x61, 0xC3]) && !Workbook.isUTF8([0xFF]))
        #expect(
            Self.refusal([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0])?.hasPrefix(
                "Tệp Excel dạng cũ (.xls) hoặc có đặt mật khẩu chưa đọc được") == true)
        // An entry whose table of contents points past the end of the file: ZIPFoundation's in-memory reader trapped
        // on it (the whole tiendo-web went down); read from a file, it is refused.
        var cut = try Self.memberList()
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let found = (0..<cut.count - 4).first { (at: Int) -> Bool in Array(cut[at..<at + 4]) == signature }
        let directory = try #require(found)
        cut.replaceSubrange((directory + 42)..<(directory + 46), with: [0x00, 0x00, 0x01, 0x00])
        #expect(Self.refusal(cut) == broken)
        // A shared string that is not there, a broken sheet, a sheet cut short before it ends.
        #expect(
            Self.refusal(try Self.memberList(sheetRows: #"<row r="1"><c r="A1" t="s"><v>99</v></c></row>"#))
                == "Không nhập được tệp Excel (trang tính «Danh sách»): ô «A1» trỏ tới một chữ không có trong tệp; \(Workbook.broken).")
        #expect(
            Self.refusal(try Self.memberList(sheetRows: "<row><c>"))
                == "Không nhập được tệp Excel (trang tính «Danh sách»): \(Workbook.broken).")
        #expect(Self.refusal(try Self.single(sheet: #"<worksheet \#(Self.main)><sheetData><row r="1">"#)) == broken)
    }

    @Test("archives that lie are refused at once: a stream without end, a wrong checksum or size, overflowing numbers")
    func lyingArchives() throws {
        let broken = "Không nhập được tệp Excel: \(Workbook.broken)."
        let good = try Self.memberList()
        let sheet = Array(Self.xml(#"<worksheet \#(Self.main)><sheetData></sheetData></worksheet>"#))
        let workbook = Array(
            Self.xml(#"<workbook \#(Self.main) \#(Self.rel)><sheets><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>"#))
        func with(_ sheetEntry: ZipWriter.Entry) -> [UInt8] {
            ZipWriter.archive(entries: [
                ZipWriter.Entry(
                    name: "xl/workbook.xml", data: ZipWriter.deflated(workbook), size: workbook.count, crc: ZipArchive.crc32(workbook)),
                sheetEntry,
            ])
        }
        // A deflate stream of one stored block that is not the last, and then nothing: ZIPFoundation's inflate spun on
        // it for good; zlib, given all of it at once, says it has no end.
        let endless = ZipWriter.Entry(name: "xl/worksheets/sheet1.xml", data: [0x00, 0xFF, 0xFF, 0x00, 0x00, 0x3C], size: 100, crc: 0)
        let started = Date()
        #expect(Self.refusal(with(endless)) == broken)
        #expect(Date().timeIntervalSince(started) < 5)
        // The right bytes under a wrong checksum, or a wrong size.
        let right = ZipWriter.deflated(sheet)
        #expect(Self.refusal(with(ZipWriter.Entry(name: "xl/worksheets/sheet1.xml", data: right, size: sheet.count, crc: 7))) == broken)
        #expect(
            Self.refusal(
                with(ZipWriter.Entry(name: "xl/worksheets/sheet1.xml", data: right, size: sheet.count + 1, crc: ZipArchive.crc32(sheet))))
                == broken)
        #expect(
            Self.refusal(
                with(ZipWriter.Entry(name: "xl/worksheets/sheet1.xml", data: right, size: sheet.count - 1, crc: ZipArchive.crc32(sheet))))
                == broken)
        // Stored (not deflated) parts are read as they are.
        let stored = with(
            ZipWriter.Entry(name: "xl/worksheets/sheet1.xml", data: sheet, method: 0, size: sheet.count, crc: ZipArchive.crc32(sheet)))
        #expect(Self.refusal(stored) == "Không nhập được tệp Excel: trang tính «a» không có dòng nào.")
        // Every prefix of a good file is refused, none crashes.
        for n in stride(from: 0, to: good.count, by: 7) { _ = Self.rows(Array(good.prefix(n))) }
        // A row numbered at the end of Int, then one numbered after it; an ISO date with an hour past Int's range.
        let overflow = #"""
            <row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c><c r="B1" t="inlineStr"><is><t>Hạn</t></is></c></row>
            <row r="2"><c r="A2" t="inlineStr"><is><t>Lê Thị Cúc_x000D_</t></is></c><c r="B2" t="d"><v>2026-03-15T999999999999999999:00</v></c></row>
            <row r="9223372036854775807"/><row><c><v>1</v></c></row>
            """#
        #expect(
            Self.refusal(try Self.memberList(sheetRows: overflow))
                == "Không nhập được tệp Excel (trang tính «Danh sách»): có giá trị ở dòng sau dòng 200.000; mỗi lần nhập tối đa chừng ấy dòng."
        )
        let escaped = try Workbook.read(
            try Self.memberList(sheetRows: String(overflow.prefix { $0 != "\n" }) + "\n" + overflow.split(separator: "\n")[1]))
        #expect(escaped.rows[1].cells.first?.cell == .text("Lê Thị Cúc\r") && escaped.rows[1].cells.last?.cell == .date(46096))
        #expect(XMLPart.unescaped("a_x005F_x0041_b_x41_c") == "a_x0041_b_x41_c")
    }

    @Test("random damage to a workbook's bytes: each read ends with rows or a reason, never a crash or a hang")
    func randomDamage() throws {
        // SplitMix64, seeded: a failure is reproduced run after run.
        var state: UInt64 = 20_261_206
        func next() -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
        }
        // Damage to the archive's bytes (caught by its offsets and checksums), and damage to a part's XML under a
        // right checksum, which reaches the parser.
        let parts = Self.memberListParts().map { ($0.0, [UInt8]($0.1)) }
        let archive = ZipWriter.archive(parts)
        var answered = 0
        for n in 0..<3000 {
            func damage(_ bytes: inout [UInt8]) {
                for _ in 0..<(1 + next() % 4) {
                    let at = next() % bytes.count
                    switch next() % 4 {
                    case 0: bytes[at] = UInt8(truncatingIfNeeded: next())
                    case 1: bytes[at] ^= 0x80
                    case 2: bytes.insert([0x3C, 0x3E, 0x22, 0x26, 0x2F, 0xC3, 0x00][next() % 7], at: at)
                    default: bytes.remove(at: at)
                    }
                }
            }
            var bytes: [UInt8]
            if n % 2 == 0 {
                bytes = archive
                damage(&bytes)
            } else {
                var damaged = parts
                let k = next() % damaged.count
                damage(&damaged[k].1)
                bytes = ZipWriter.archive(damaged)
            }
            if case .success = Self.rows(bytes) { answered += 1 }
        }
        // Some damage leaves a readable list (a changed letter in a name), most is refused.
        #expect(answered > 0 && answered < 3000, "\(answered)")
    }

    @Test("sheets as other programs write them: prefixed elements, ISO dates, a hidden sheet first, and more than 10 MB")
    func otherWriters() throws {
        // Some .NET tools write every element with a prefix.
        let prefixed = try Self.single(
            sheet: #"""
                <x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
                <x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Họ và tên</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>Hạn</x:t></x:is></x:c></x:row>
                <x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>Lò Văn Páo</x:t></x:is></x:c><x:c r="B2" t="d"><x:v>2026-03-15T00:00:00</x:v></x:c></x:row>
                </x:sheetData></x:worksheet>
                """#,
            workbook:
                #"<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \#(Self.rel)><x:sheets><x:sheet name="a" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>"#
        )
        let rows = try Self.rows(prefixed).get()
        #expect(rows.count == 1 && rows[0].row["ho_ten"]?.stringValue == "Lò Văn Páo" && rows[0].row["han"]?.stringValue == "15/03/2026")
        // A hidden first sheet (a lookup list) is passed over for the first one people see.
        let hidden = try Self.workbook([
            (
                "xl/workbook.xml",
                Self.xml(
                    #"<workbook \#(Self.main) \#(Self.rel)><sheets><sheet name="tra" sheetId="2" state="hidden" r:id="rId2"/><sheet name="a" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                )
            ),
            (
                "xl/_rels/workbook.xml.rels",
                Self.xml(
                    #"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Target="worksheets/sheet2.xml"/></Relationships>"#
                )
            ),
            (
                "xl/worksheets/sheet1.xml",
                Self.xml(
                    #"<worksheet \#(Self.main)><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>Mùa A Dính</t></is></c></row></sheetData></worksheet>"#
                )
            ),
            (
                "xl/worksheets/sheet2.xml",
                Self.xml(
                    #"<worksheet \#(Self.main)><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Chi bộ</t></is></c></row></sheetData></worksheet>"#
                )
            ),
        ])
        #expect(try Self.rows(hidden).get().map { $0.row["ho_ten"]?.stringValue } == ["Mùa A Dính"])
        // 70,000 members, some 12 MB of XML: past what libxml2 takes in one piece, read from a stream.
        var sheet =
            #"<worksheet \#(Self.main)><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c><c r="B1" t="inlineStr"><is><t>Chi bộ</t></is></c></row>"#
        for n in 2...70_001 {
            sheet +=
                #"<row r="\#(n)"><c r="A\#(n)" t="inlineStr"><is><t>Đảng viên số \#(n) của danh sách</t></is></c><c r="B\#(n)" t="inlineStr"><is><t>Chi bộ Khu dân cư số 1</t></is></c></row>"#
        }
        sheet += "</sheetData></worksheet>"
        #expect(sheet.utf8.count > 10_000_000)
        let large = try Workbook.read(try Self.single(sheet: sheet))
        #expect(large.rows.count == 70_001 && large.rows.last?.line == 70_001)
        // Numbers as people write them.
        #expect(SheetParser.shortest("8.0999999999999996") == "8.1" && SheetParser.shortest("1E+3") == "1000")
        #expect(SheetParser.shortest("82") == "82" && SheetParser.shortest("0.5") == "0.5" && SheetParser.shortest("007") == "007")
        // A formula's result as Excel shows it (15 significant digits): =0.1*120, =0.1+0.2, =1/3.
        #expect(SheetParser.shortest("12.000000000000002") == "12" && SheetParser.shortest("0.30000000000000004") == "0.3")
        #expect(SheetParser.shortest("0.33333333333333331") == "0.333333333333333" && SheetParser.shortest("-2.9999999999999996") == "-3")
    }

    @Test("a file tiendo-web wrote (the template, an export) reads back, its date cells as dates")
    func roundTrip() throws {
        var sheet = Sheet(name: "Mẫu nhập", columns: Self.workflow.importHeadings.map { Sheet.Column($0.heading) })
        let headings = sheet.columns.map(\.title)
        sheet.rows = [
            headings.map { h in
                h == "Hạn" || h == "han"
                    ? .date(CivilDate(2026, 3, 15))
                    : h == "Mã hồ sơ" ? .text("a-1") : h == "Bắt đầu theo dõi" ? .empty : .text("Bùi Thị Lan")
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
            ImportTable.isRowNumber("STT", of: Self.workflow) && ImportTable.isRowNumber("Số TT", of: Self.workflow)
                && ImportTable.isRowNumber("số thứ tự", of: Self.workflow) && !ImportTable.isRowNumber("Họ và tên", of: Self.workflow))
    }
}
