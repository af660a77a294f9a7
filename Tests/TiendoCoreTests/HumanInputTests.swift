import Foundation
import Testing

@testable import TiendoCore

/// What people type and what terminals show: day-first dates (Excel in a Vietnamese locale) and control characters
/// from outside escaped in human output.
@Suite struct HumanInputTests {
    // MARK: Terminal text

    @Test(
        "control characters are shown escaped; Vietnamese text is untouched",
        arguments: [
            ("Tiêu đề \u{1B}]0;pwned\u{07}", #"Tiêu đề \e]0;pwned\x07"#),
            ("\u{1B}[2Jxóa màn hình", #"\e[2Jxóa màn hình"#),
            ("C1 \u{9B}31m CSI", #"C1 \x9b31m CSI"#),
            ("dòng 1\ndòng 2\r\tx\u{0}\u{7F}", #"dòng 1\ndòng 2\r\tx\x00\x7f"#),
            ("abc\u{202E}fdp.exe \u{2066}x\u{2069} \u{200F}\u{061C}", #"abc\u{202e}fdp.exe \u{2066}x\u{2069} \u{200f}\u{061c}"#),
            ("ngắt\u{2028}dòng", #"ngắt\u{2028}dòng"#),
            ("Đảng bộ phường Ba Đình — «ổn» – €", "Đảng bộ phường Ba Đình — «ổn» – €"),
            (#"C:\đường\dẫn"#, #"C:\đường\dẫn"#),
            ("Chi bộ 1 – Phường 3 🇻🇳\u{85}‑", "Chi bộ 1 – Phường 3 🇻🇳\\x85‑"),
        ])
    func terminalText(_ raw: String, _ shown: String) {
        #expect(TerminalText.escaped(raw) == shown)
        #expect(!TerminalText.escaped(raw).unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }

    @Test("JSON output escapes C0, DEL and C1 controls and still parses back to the same text")
    func jsonControls() throws {
        let raw = "a\u{1B}]0;x\u{07}b\u{9B}c\u{7F}d «Đ»"
        let text = JSON.string(raw).serialized()
        #expect(text == #""a\u001b]0;x\u0007b\u009bc\u007fd «Đ»""#)
        #expect(try JSON.parse(text).stringValue == raw)
    }

    // MARK: Dates from people

    @Test(
        "day-first and ISO dates are accepted",
        arguments: [
            ("15/03/2026", "2026-03-15"), ("1/4/2026", "2026-04-01"), ("01/04/2026", "2026-04-01"), ("29/02/2028", "2028-02-29"),
            ("2026-03-15", "2026-03-15"), ("31/12/2026", "2026-12-31"), ("15-03-2026", "2026-03-15"), ("1.4.2026", "2026-04-01"),
        ])
    func acceptedDates(_ text: String, _ iso: String) throws {
        guard case .valid(let d) = HumanDate.date(text) else { return #expect(Bool(false), "\(text) refused") }
        #expect(d.iso == iso)
    }

    @Test(
        "impossible, ambiguous and malformed dates are refused with a reason",
        arguments: [
            ("31/02/2026", "ngày '31/02/2026' không tồn tại"),
            ("29/02/2026", "ngày '29/02/2026' không tồn tại"),
            ("03/15/2026", "ngày '03/15/2026' không tồn tại: không có tháng 15 (ngày viết trước tháng: dd/mm/yyyy)"),
            ("15/03/26", "'15/03/26' không phải ngày: năm phải đủ bốn chữ số (dd/mm/yyyy)"),
            ("2026-02-30", "ngày '2026-02-30' không tồn tại"),
            ("15-03-26", "'15-03-26' không phải ngày (dd/mm/yyyy hoặc YYYY-MM-DD)"),
            ("15-03/2026", "'15-03/2026' không phải ngày (dd/mm/yyyy hoặc YYYY-MM-DD)"),
            ("2026-3-15", "'2026-3-15' không phải ngày (dd/mm/yyyy hoặc YYYY-MM-DD)"),
            ("03.15.2026", "ngày '03.15.2026' không tồn tại: không có tháng 15 (ngày viết trước tháng: dd/mm/yyyy)"),
            ("2026/03/15", "'2026/03/15' không phải ngày: ngày và tháng có một hoặc hai chữ số, ngày viết trước (dd/mm/yyyy)"),
            ("15/3/", "'15/3/' không phải ngày (dd/mm/yyyy hoặc YYYY-MM-DD)"),
            ("+1/03/2026", "'+1/03/2026' không phải ngày (dd/mm/yyyy hoặc YYYY-MM-DD)"),
            ("0/03/2026", "ngày '0/03/2026' không tồn tại"),
        ])
    func refusedDates(_ text: String, _ reason: String) {
        guard case .invalid(let r) = HumanDate.date(text) else { return #expect(Bool(false), "\(text) accepted") }
        #expect(r == reason)
    }

    @Test("a day-first date with «-» or «.» takes a time as one with «/» does")
    func dateTimesWithOtherSeparators() {
        for text in ["15-03-2026 08:00", "15.03.2026 08:00", "15/03/2026 08:00"] {
            guard case .valid(let t) = HumanDate.instant(text, zone: .vietnam) else { return #expect(Bool(false), "\(text) refused") }
            #expect(Zone.vietnam.iso(t) == "2026-03-15T08:00:00+07:00", "\(text)")
        }
    }

    @Test("date-times: ISO, or a day-first date with an optional local time in the workflow zone")
    func instants() {
        func iso(_ text: String) -> String? {
            if case .valid(let t) = HumanDate.instant(text, zone: .vietnam) { return Zone.vietnam.iso(t) }
            return nil
        }
        #expect(iso("15/03/2026 08:00") == "2026-03-15T08:00:00+07:00")
        #expect(iso("15/03/2026  8:05:09") == "2026-03-15T08:05:09+07:00")
        #expect(iso("15/03/2026") == "2026-03-15T00:00:00+07:00")
        #expect(iso("2026-03-15T08:00+07:00") == "2026-03-15T08:00:00+07:00")
        #expect(iso("15/03/2026 24:00") == nil)
        #expect(iso("15/03/2026 08:00 chiều") == nil)
        #expect(iso("31/02/2026 08:00") == nil)
    }

    static let fields = """
        tiendo: 1
        title: T
        fields:
          ngay_ket_nap: {type: date, required: true}
          hop_luc: {type: datetime}
        milestones:
          m: {title: M, due: ngay_ket_nap + 12mo}
        """

    @Test("a field parses day-first text from people; the same text in a workflow file is an error")
    func fieldsFromPeopleAndFiles() throws {
        let def = try Fixtures.workflow("ngay", Self.fields)
        let f = try #require(def.field("ngay_ket_nap"))
        #expect(f.parse(text: "10/02/2025", zone: .vietnam) == .success(.date(day("2025-02-10"))))
        #expect(f.parse(json: .string("10/02/2025"), zone: .vietnam) == .success(.date(day("2025-02-10"))))
        #expect(f.parse(text: "10/02/2025", zone: .vietnam, humanInput: false).isFailure)
        let (bad, diags) = Fixtures.load("ngay", Self.fields.replacingOccurrences(of: "required: true}", with: "default: 10/02/2025}"))
        #expect(bad == nil)
        #expect(diags.contains { $0.message.contains("invalid default for field 'ngay_ket_nap'") })
        let h = try #require(def.field("hop_luc"))
        #expect(h.parse(text: "15/03/2026 08:00", zone: .vietnam) == .success(.datetime(at("2026-03-15T08:00"))))
    }

    @Test("a date or date-time outside 1900–2199 is refused as a typing mistake, from people and from files")
    func datesOutOfRange() throws {
        let def = try Fixtures.workflow("ngay", Self.fields)
        let f = try #require(def.field("ngay_ket_nap"))
        let reason = "nằm ngoài khoảng cho phép (từ 01/01/1900 đến 31/12/2199): kiểm tra lại năm"
        #expect(
            f.parse(text: "01/01/0001", zone: .vietnam)
                == .failure(FieldError(field: "ngay_ket_nap", reason: "ngày 01/01/0001 " + reason)))
        #expect(
            f.parse(json: .string("9999-12-31"), zone: .vietnam)
                == .failure(FieldError(field: "ngay_ket_nap", reason: "ngày 31/12/9999 " + reason)))
        #expect(f.parse(text: "31/12/1899", zone: .vietnam).isFailure)
        #expect(f.parse(text: "01/01/2200", zone: .vietnam).isFailure)
        #expect(f.parse(text: "01/01/1900", zone: .vietnam) == .success(.date(day("1900-01-01"))))
        #expect(f.parse(text: "31/12/2199", zone: .vietnam) == .success(.date(day("2199-12-31"))))
        #expect(f.parse(text: "2100-12-31", zone: .vietnam, humanInput: false) == .success(.date(day("2100-12-31"))))
        let h = try #require(def.field("hop_luc"))
        #expect(h.parse(text: "15/03/2205 08:00", zone: .vietnam).isFailure)
        #expect(h.parse(text: "0002-01-02T00:00:00+07:00", zone: .vietnam).isFailure)
        // The `started` column and the plan's dates are people's dates too.
        guard case .invalid(let why) = HumanDate.instant("9999-12-31", zone: .vietnam) else {
            return #expect(Bool(false), "9999-12-31 accepted")
        }
        #expect(why == "ngày 31/12/9999 " + reason)
        let (bad, diags) = Fixtures.load("ngay", Self.fields.replacingOccurrences(of: "required: true}", with: "default: 0025-02-10}"))
        #expect(bad == nil)
        #expect(diags.contains { $0.message.contains("ngày 10/02/0025 " + reason) })
    }

    @Test("a text value longer than 2,000 characters is refused with its length; 2,000 are accepted")
    func textLimit() throws {
        let def = try Fixtures.workflow(
            "ngay",
            Self.fields.replacingOccurrences(
                of: "  hop_luc: {type: datetime}", with: "  hop_luc: {type: datetime}\n  ghi_chu: {type: text}"))
        let f = try #require(def.field("ghi_chu"))
        #expect(
            f.parse(text: String(repeating: "ạ", count: 2_000), zone: .vietnam) == .success(.text(String(repeating: "ạ", count: 2_000))))
        #expect(
            f.parse(json: .string(String(repeating: "x", count: 2_000_000)), zone: .vietnam)
                == .failure(FieldError(field: "ghi_chu", reason: "dài 2000000 ký tự, quá giới hạn 2000 ký tự của một ô; hãy rút gọn")))
    }

    @Test("a text given with a control or direction-changing character is refused, naming it; stored data is read back")
    func hiddenCharacters() throws {
        let def = try Fixtures.workflow(
            "ngay",
            Self.fields.replacingOccurrences(
                of: "  hop_luc: {type: datetime}", with: "  hop_luc: {type: datetime}\n  ghi_chu: {type: text}"))
        let today = CivilDate(2026, 12, 7)
        func given(_ text: String) -> String? {
            if case .failure(let e) = def.validate(data: [("ghi_chu", .string(text))], partial: true, today: today) { return e.reason }
            return nil
        }
        #expect(given("A\u{0}B") == "có ký tự điều khiển ẩn (U+0000) ở ký tự thứ 2: xóa ô này và gõ lại")
        #expect(given("Trần \u{202E}anhT\u{202C}") == "có ký tự đổi chiều chữ ẩn (U+202E) ở ký tự thứ 6: xóa ô này và gõ lại")
        #expect(given("x\u{1B}[31m") == "có ký tự điều khiển ẩn (U+001B) ở ký tự thứ 2: xóa ô này và gõ lại")
        #expect(given("x\u{85}") != nil && given("\u{2066}x") != nil)
        // A value of another JSON type is said in words, not JSON's type names.
        let refused = def.validate(data: [("ghi_chu", .bool(true))], partial: true, today: today)
        #expect(refused == .failure(FieldError(field: "ghi_chu", reason: "cần chữ (chuỗi), nhận được có/không (true/false)")))
        // A tab and line breaks (a pasted cell) and every Vietnamese letter stay.
        #expect(given("Dòng 1\r\nDòng 2\tỞ đây") == nil)
        // Data already stored is never refused when read back (it would be lost at the next write).
        #expect(try def.validate(data: [("ghi_chu", .string("A\u{0}B"))], partial: true, today: nil).get()["ghi_chu"] == .text("A\u{0}B"))
    }

    @Test("a CSV whose lines end in a lone CR (Excel for old Macs) reads as its lines; a CR in a CRLF file stays data")
    func csvLineEnds() throws {
        let mac = try CSV.parse(bytes: Array("key;ho_ten\ra1;Hà\ra2;\"Bình\rAn\"\r".utf8))
        #expect(mac.map(\.line) == [2, 3])
        #expect(mac.map { $0.values["ho_ten"] } == ["Hà", "Bình\nAn"])
        let windows = try CSV.parse(bytes: Array("key,ho_ten\r\na1,\"Hà\rX\"\r\n".utf8))
        #expect(windows.map { $0.values["ho_ten"] } == ["Hà\rX"])
    }

    @Test("a quoted cell followed by more than a separator or the line's end is refused at its line, not read run together")
    func csvTextAfterClosingQuote() throws {
        #expect(throws: CSV.ParseError.self) { try CSV.parse(bytes: Array("key,ho_ten\ny1,\"A\"B\n".utf8)) }
        let e = #expect(throws: CSV.ParseError.self) { try CSV.parse(bytes: Array("key,ho_ten\ny0,An\ny1,\"A\"B,\n".utf8)) }
        #expect(e?.line == 3 && e?.reason.hasPrefix("sau dấu ngoặc kép đóng một ô có chữ 'B'") == true, "\(String(describing: e))")
        // Spaces after the closing quote are passed over; a doubled quote inside is one quote.
        let rows = try CSV.parse(bytes: Array("key,ho_ten\ny1,\"Tổ \"\"A\"\"\"  \r\n".utf8))
        #expect(rows.map { $0.values["ho_ten"] } == ["Tổ \"A\""])
    }

    @Test("rows whose cells do not match the header: the first told what is extra or missing, the others by line")
    func csvCellCounts() throws {
        func reason(_ text: String) -> String {
            do {
                _ = try CSV.parse(bytes: Array(text.utf8))
                return "accepted"
            } catch { return error.description }
        }
        #expect(
            reason("key,ho_ten,chi_bo\na1,Nguyễn Văn An,Chi bộ 1\na2,Trần, Bình,Chi bộ 2\na3,C\na4,D,E,F,G\n")
                == "dòng 3: có 4 ô, tiêu đề có 3 cột; đọc được key «a2», ho_ten «Trần», chi_bo « Bình», thừa «Chi bộ 2»; "
                + "nếu trong một ô có dấu phẩy, hãy đặt cả ô trong ngoặc kép (như \"Trần, Bình\"); số ô cũng sai ở dòng 4, 5")
        #expect(
            reason("key;ho_ten;chi_bo\na1;An\n")
                == "dòng 2: có 2 ô, tiêu đề có 3 cột; đọc được key «a1», ho_ten «An»; thiếu ô của cột 'chi_bo'")
        let many = "key,ten\n" + (1...13).map { "k\($0),a,b\n" }.joined()
        #expect(reason(many).hasSuffix("số ô cũng sai ở dòng 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 và 2 dòng khác"))
        let long = "key,ten\nk1," + String(repeating: "x", count: 40) + ",1,2,3,4\n"
        #expect(reason(long).contains("ten «xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…», thừa «1», «2», «3» và 1 ô nữa"), "\(reason(long))")
        // Separators at the end of every line, as some programs write them, and a line of spaces or separators, are no
        // error (a row of empty cells is left to the importer, which counts it as blank).
        let rows = try CSV.parse(bytes: Array("key,ten,\nk1,An,\nk2,Bình\n   \n,,\nk3,Chi,\n".utf8))
        #expect(rows.map(\.line) == [2, 3, 5, 6] && rows.map { $0.values["ten"] } == ["An", "Bình", "", "Chi"], "\(rows.map(\.line))")
        #expect(rows.allSatisfy { $0.pairs.map(\.0) == ["key", "ten"] })
        // Without them in the header, an empty cell past the last column is a separator typed inside a cell: the row
        // is not read with its cells moved.
        #expect(
            reason("key,ho_ten,chi_bo\nk2,Trần, Bình,\n")
                == "dòng 2: có 4 ô, tiêu đề có 3 cột; đọc được key «k2», ho_ten «Trần», chi_bo « Bình», thừa «»; "
                + "nếu trong một ô có dấu phẩy, hãy đặt cả ô trong ngoặc kép (như \"Trần, Bình\")")
        // A value under an unnamed column of the header.
        #expect(
            reason("key,ten,\nk1,An,x\n")
                == "dòng 2: ô thứ 3 có giá trị «x» nhưng cột thứ 3 của dòng tiêu đề không có tên; hãy đặt tên cho cột đó hoặc xóa giá trị")
        #expect(reason("key,,ten\nk1,a,b\n") == "dòng 1: tiêu đề có cột không tên")
    }

    @Test("text typed with its marks apart from the letters is stored composed (NFC), as SQLite compares bytes")
    func textIsComposed() throws {
        let def = try Fixtures.workflow(
            "ngay",
            Self.fields.replacingOccurrences(of: "  hop_luc: {type: datetime}", with: "  hop_luc: {type: datetime}\n  chi_bo: {type: text}")
        )
        let f = try #require(def.field("chi_bo"))
        let decomposed = "Chi bo\u{0323}\u{0302} Khu da\u{0302}n cu\u{031B} so\u{0302}\u{0301} 2"
        guard case .success(.text(let stored)) = f.parse(text: decomposed, zone: .vietnam) else { return #expect(Bool(false)) }
        #expect(Array(stored.utf8) == Array("Chi bộ Khu dân cư số 2".utf8))
    }

    @Test("an import's summary line counts in thousands as people write them, and is read back")
    func importSummary() {
        #expect(ImportSummary.message(more: 2_000, listed: 10_000) == "và 2.000 dòng lỗi khác (chỉ báo 10.000 dòng đầu)")
        #expect(ImportSummary.more(in: ImportSummary.message(more: 11_900, listed: 10_000)) == 11_900)
        #expect(ImportSummary.more(in: "và đây là dòng lỗi") == nil)
    }

    @Test("CSV rows with day-first dates import; a bad date names its row and column")
    func csvRows() throws {
        let def = try Fixtures.workflow("ngay", Self.fields)
        let csv =
            "key;ngay_ket_nap;hop_luc;started\r\na1;15/03/2026;;\r\na2;1/4/2026;15/03/2026 08:00;02/01/2026\r\n"
            + "a3;31/02/2026;;\r\na4;03/15/2026;;\r\na5;15/03/26;;\r\na6;2026-03-15;;15/03/2026 25:00\r\n"
        let rows = try CSV.parse(bytes: Array(csv.utf8))
        guard case .failure(let list) = InstanceRows.convert(rows, def: def, file: "ds.csv") else {
            return #expect(Bool(false), "bad rows accepted")
        }
        #expect(
            list.items.map { "\($0.file):\($0.line): \($0.message)" } == [
                // The column is written day first (15/03/2026, 31/02/2026): 03/15/2026 is a slip of its own row, not a
                // column written month first.
                "ds.csv:4: cột 'ngay_ket_nap': ngày '31/02/2026' không tồn tại",
                "ds.csv:5: cột 'ngay_ket_nap': ngày '03/15/2026' không tồn tại: không có tháng 15 (ngày viết trước tháng: dd/mm/yyyy)",
                "ds.csv:6: cột 'ngay_ket_nap': '15/03/26' không phải ngày: năm phải đủ bốn chữ số (dd/mm/yyyy)",
                "ds.csv:7: cột 'started': giờ '25:00' không hợp lệ: cần HH:MM hoặc HH:MM:SS, từ 00:00 đến 23:59",
            ])
        guard case .success(let good) = InstanceRows.convert(Array(rows.prefix(2)), def: def, file: "ds.csv") else {
            return #expect(Bool(false), "good rows refused")
        }
        #expect(good[0].data["ngay_ket_nap"] == .date(day("2026-03-15")))
        #expect(good[1].data["ngay_ket_nap"] == .date(day("2026-04-01")))
        #expect(good[1].data["hop_luc"] == .datetime(at("2026-03-15T08:00")))
        #expect(good[1].started == at("2026-01-02T00:00"))
        // A date only month first is what tells a column apart; 12/01/2026 reads either way and tells nothing.
        let dates: [(line: Int, text: String)] = [(2, "12/01/2026"), (3, " 3/25/2026 08:00"), (4, "25/3/2026"), (5, "4/30/2026")]
        #expect(HumanDate.monthFirst(dates).map(\.line) == 3)
        // Dates day first with one slip (`05/13/2025`): the slip's row is refused, not the column.
        #expect(HumanDate.monthFirst([(line: 2, text: "25/11/2025"), (line: 3, text: "28/11/2025"), (line: 4, text: "05/13/2025")]) == nil)
        #expect(HumanDate.monthFirst([(line: 2, text: "3/25/2026"), (line: 3, text: "25/3/2026")]) == nil)
        #expect(HumanDate.monthFirst([(line: 2, text: "12/01/2026"), (line: 3, text: "25/3/2026"), (line: 4, text: "2026-03-25")]) == nil)
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
