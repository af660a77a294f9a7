import Foundation
import Testing
import TiendoCore
import TiendoVarlink

@testable import TiendoWeb

@Suite("Export files and the import's own checks")
struct SpreadsheetTests {
    static var sheet: Sheet {
        var s = Sheet(name: "Việc cần làm", columns: [.init("Hạn"), .init("Hồ sơ"), .init("Số")])
        s.rows = [
            [.date(CivilDate(2026, 2, 25)), .text("Nguyễn Thị Hà, \"Chi bộ 1\""), .number(-3)],
            [.empty, .text("=HYPERLINK(\"http://x\")"), .number(7)],
            [.text("+84 912"), .text("@SUM(A1)"), .text("-2")],
        ]
        return s
    }

    @Test("CSV: BOM, CRLF, quoted fields, formulas neutralised, dates dd/mm/yyyy")
    func csv() {
        let bytes = CSVFile.encode(Self.sheet)
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
        #expect(
            text
                == "Hạn,Hồ sơ,Số\r\n25/02/2026,\"Nguyễn Thị Hà, \"\"Chi bộ 1\"\"\",-3\r\n,\"'=HYPERLINK(\"\"http://x\"\")\",7\r\n'+84 912,'@SUM(A1),'-2\r\n"
        )
        #expect(Sheet.neutralised("\tcmd") == "'\tcmd" && Sheet.neutralised("Chi bộ") == "Chi bộ" && Sheet.neutralised("") == "")
        #expect(
            Sheet.due("2026-03-10") == .date(CivilDate(2026, 3, 10)) && Sheet.due("2026-02-01T17:00:00+07:00") == .text("01/02/2026 17:00"))
    }

    @Test("a file cut at the row cap ends with a row saying how many it leaves out and what to do; a whole one does not")
    func leftOutSaid() {
        var cut = Self.sheet
        cut.leftOut = 20_193
        cut.sayLeftOut(noun: "việc")
        #expect(cut.rows.count == 4 && cut.rows[3].count == 3)
        #expect(
            cut.rows[3][0]
                == .text(
                    "… và 20.193 việc nữa không có trong tệp này (mỗi tệp xuất tối đa 50.000 dòng): hãy lọc theo chi bộ hoặc quy trình rồi tải từng phần."
                ))
        var whole = Self.sheet
        whole.sayLeftOut(noun: "việc")
        #expect(whole.rows.count == 3)
    }

    @Test("XLSX: libxlsxwriter writes a zip (read back with openpyxl in tests/web) and cleans up its temporary file")
    func xlsx() throws {
        let dir = TempDirectory()
        let bytes = try XLSXFile.encode(Self.sheet, directory: dir.path)
        #expect(Array(bytes.prefix(4)) == [0x50, 0x4B, 0x03, 0x04] && bytes.count > 1000)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        #expect(throws: XLSXFile.Failure.self) { try XLSXFile.encode(Self.sheet, directory: dir.path + "/khong-co") }
    }

    static let workflow: Extras.WorkflowInfo = {
        let json = try! JSON.parse(
            #"{"id":"kiem-tra","title":"Kiểm tra","digest":"d","timezone":"Asia/Ho_Chi_Minh","calendar":"vn","groupBy":"chi_bo","label":"ho_ten","#
                + #""fields":[{"name":"ho_ten","type":"text","required":true,"values":[]},{"name":"chi_bo","type":"text","required":true,"values":[]},"#
                + #"{"name":"han","type":"date","required":true,"values":[]}],"states":[],"milestones":[]}"#)
        return try! Extras.WorkflowInfo(json: json, path: "")
    }()

    @Test("an import is checked for columns, keys, duplicates and the account's groups before tiendod sees it")
    func importRows() throws {
        let admin = Account(name: "a", role: .quanTri, groups: [], passwordHash: "", created: "")
        let scoped = Account(name: "b", role: .quanTri, groups: ["Chi bộ 1"], passwordHash: "", created: "")
        let good = Array(
            "\u{FEFF}key;ho_ten;chi_bo;han\r\nk1;Hà;Chi bộ 1;2026-03-01\r\n;;;\r\nk2;\"Bình; con\";Chi bộ 2;2026-03-02\r\n".utf8)
        let rows = try ImportPage.rows(good, workflow: Self.workflow, account: admin).get().rows
        #expect(rows.map(\.line) == [2, 4])
        #expect(
            rows[1].row
                == .object([
                    ("key", .string("k2")), ("ho_ten", .string("Bình; con")), ("chi_bo", .string("Chi bộ 2")),
                    ("han", .string("2026-03-02")),
                ]))
        #expect(throws: ImportPage.Failures.self) { try ImportPage.rows(good, workflow: Self.workflow, account: scoped).get() }
        let bad = Array("key,ho_ten,chi_bo,han,tuoi\nk1,Hà,A,2026-03-01,3\n".utf8)
        guard case .failure(let f) = ImportPage.rows(bad, workflow: Self.workflow, account: admin) else { Issue.record("accepted"); return }
        #expect(f.problems.count == 1 && f.problems[0].hasPrefix("Dòng 1: cột «tuoi» không phải trường"))
        // Keys are tiendod's to judge, with every other cell, in the one pass that lists every bad row.
        let keys = Array("key,ho_ten,chi_bo,han\nk 1,Hà,A,2026-03-01\nk2,B,A,2026-03-01\nk2,C,A,2026-03-01\n".utf8)
        #expect(try ImportPage.rows(keys, workflow: Self.workflow, account: admin).get().rows.map(\.line) == [2, 3, 4])
        guard case .failure(let h) = ImportPage.rows(Array("key,ho_ten\n\"k1,Hà\n".utf8), workflow: Self.workflow, account: admin) else {
            Issue.record("accepted")
            return
        }
        #expect(h.problems == ["Dòng 2: dấu ngoặc kép chưa đóng"])
    }

    @Test("a chi bộ typed in another case, without diacritics or with other spaces is stored as records already spell it")
    func groupSpelling() throws {
        let names = GroupNames(["Chi bộ Khu dân cư số 2", "Chi bộ 1", ""])
        #expect(names.canonical("chi bo khu dan cu so 2") == "Chi bộ Khu dân cư số 2")
        #expect(names.canonical("  Chi bộ  Khu dân cư  số 2 ") == "Chi bộ Khu dân cư số 2")
        #expect(names.meant("Chi bộ 12") == nil && names.canonical(" Chi bộ  12") == "Chi bộ 12")
        #expect(Set(names.all) == ["Chi bộ Khu dân cư số 2", "Chi bộ 1"] && GroupNames().isEmpty)
        // The import stores the known spelling, and an account limited to that chi bộ may import the row.
        let scoped = Account(name: "b", role: .quanTri, groups: ["Chi bộ Khu dân cư số 2"], passwordHash: "", created: "")
        let file = Array("key,ho_ten,chi_bo,han\nk1,Hà,CHI BO KHU DAN CU SO 2,2026-03-01\n".utf8)
        let rows = try ImportPage.rows(file, workflow: Self.workflow, account: scoped, groups: names).get().rows
        #expect(rows.first?.row["chi_bo"]?.stringValue == "Chi bộ Khu dân cư số 2")
        // An account whose chi bộ older records spell otherwise: its own spelling wins (`GroupNames.load(for:)` puts
        // it first), so its rows are not refused as outside its scope.
        let own = Account(name: "c", role: .quanTri, groups: ["Chi bộ khu dân cư số 2"], passwordHash: "", created: "")
        let mine = try ImportPage.rows(file, workflow: Self.workflow, account: own, groups: GroupNames(own.groups + names.all)).get().rows
        #expect(mine.first?.row["chi_bo"]?.stringValue == "Chi bộ khu dân cư số 2")
        // A heading without the explanation its title ends with names the field, when only one field's does.
        let dated = try Extras.WorkflowInfo(
            json: try JSON.parse(
                #"{"id":"k","title":"K","digest":"d","timezone":"Asia/Ho_Chi_Minh","calendar":"vn","fields":["#
                    + #"{"name":"ngay_sinh","type":"date","required":false,"title":"Ngày sinh (đủ 18 tuổi)","values":[]},"#
                    + #"{"name":"a","type":"text","required":false,"title":"Số (một)","values":[]},"#
                    + #"{"name":"b","type":"text","required":false,"title":"Số (hai)","values":[]}],"states":[],"milestones":[]}"#),
            path: "")
        #expect(dated.importField(named: "ngày sinh") == "ngay_sinh" && dated.importField(named: "Số") == nil)
        #expect(dated.importField(named: "Số (hai)") == "b")
    }
}
