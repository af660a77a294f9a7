import Testing
import TiendoCore

@testable import TiendoVarlink
@testable import TiendoWeb

@Suite("HTML, formatting and forms")
struct TextTests {
    @Test("a print view cut short says so on the screen, before «In», and not on paper")
    func printCut() {
        let said = PrintList.cut(shown: 1000, of: 70_193, noun: "việc")
        #expect(said.hasPrefix("Bản in này chỉ gồm 1.000 việc trên 70.193, "))
        func page(_ cut: String?) -> String {
            PrintList.frame(
                title: "DANH SÁCH", subtitle: "Các việc", asOf: "2026-03-02T09:00:00+07:00", table: "<table></table>", count: "",
                letterhead: .empty, group: nil, cut: cut
            ).description
        }
        let cut = page(said)
        #expect(cut.contains("<p class=\"no-print flash bad\" role=\"status\">Bản in này chỉ gồm 1.000 việc trên"))
        #expect(cut.range(of: "no-print flash bad")!.lowerBound < cut.range(of: "data-print")!.lowerBound)
        #expect(!page(nil).contains("Bản in này"))
        #expect(PrintList.cut(shown: 1000, of: nil, noun: "hồ sơ").hasPrefix("Bản in này chỉ gồm 1.000 hồ sơ, "))
    }

    @Test("interpolated text is escaped, interpolated HTML is not")
    func escaping() {
        let name = "<script>alert('x')</script> & \"Hà\""
        let html: HTML = "<p title=\"\(name)\">\(name)</p>\(HTML.flag("hidden", true))"
        #expect(
            html.text
                == "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Hà&quot;\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Hà&quot;</p> hidden"
        )
        let inner: HTML = "<b>\("Đảng ủy")</b>"
        #expect(("<i>\(inner)</i>" as HTML).text == "<i><b>Đảng ủy</b></i>")
        #expect(HTML.escape("Chi bộ số 3") == "Chi bộ số 3")
    }

    @Test("dates dd/mm/yyyy, instants 24 h in Asia/Ho_Chi_Minh, days left, counts")
    func formatting() {
        #expect(Format.date("2026-03-02") == "02/03/2026")
        #expect(Format.date("2026-02-01T17:00:00+07:00") == "01/02/2026 17:00")
        // An instant written in another offset is shown in Vietnamese time.
        #expect(Format.date("2026-02-01T10:30:00Z") == "01/02/2026 17:30")
        // A moment at 00:00 exactly (a timed transition, a date entered without an hour) is its day alone.
        #expect(Format.moment("2026-01-21T00:00:00+07:00") == "21/01/2026")
        #expect(Format.moment("2026-01-20T17:00:00Z") == "21/01/2026")
        #expect(Format.moment("2026-01-21T00:01:00+07:00") == "21/01/2026 00:01")
        #expect(Format.moment("2026-01-21") == "21/01/2026")
        #expect(Format.moment(nil) == "")
        #expect(Format.due("2027-02-04", provisional: true) == "04/02/2027 (dự kiến)")
        #expect(Format.days(3, overdue: false) == "còn 3 ngày")
        // Occurrences by the period people name: a month, or a first day; from that month or day on when the due
        // falls outside it (a quarter's report due 20/12 runs from 21/09: not «kỳ 09/2026», September's).
        #expect(Format.occurrence("2027-03", due: "2027-03-31") == "03/2027")
        #expect(Format.occurrence("2027-03", due: "2027-03-31T17:00:00+07:00") == "03/2027")
        #expect(Format.occurrence("2027-03", due: nil) == "03/2027")
        #expect(Format.occurrence("2026-09", due: "2026-12-20") == "từ tháng 09/2026")
        #expect(Format.occurrence("2025-11", due: "2026-11-20") == "từ tháng 11/2025")
        #expect(Format.occurrence("2027-03-15", due: "2027-03-15") == "15/03/2027")
        #expect(Format.occurrence("2027-03-15", due: "2027-03-21") == "từ ngày 15/03/2027")
        #expect(Format.occurrence("2027-02-30", due: "2027-03-31") == "2027-02-30")
        #expect(Format.occurrence("quy-1", due: "2027-03-31") == "quy-1")
        #expect(Format.days(0, overdue: false) == "hôm nay")
        #expect(Format.days(0, overdue: true) == "quá hạn hôm nay")
        #expect(Format.days(-5, overdue: true) == "quá 5 ngày")
        #expect(Format.count(1_083) == "1.083" && Format.count(1_000_000) == "1.000.000" && Format.count(12) == "12")
        #expect(
            Format.value(.bool(true)) == "có" && Format.value(.double(12.5)) == "12,5"
                && Format.value(.string("2025-02-10")) == "10/02/2025")
        #expect(Format.milestone("dang-phi", occurrence: "2027-03") == "dang-phi@2027-03")
        #expect(Format.every("1mo") == "hằng tháng" && Format.every("3mo") == "mỗi 3 tháng" && Format.every("1y") == "hằng năm")
        #expect(Format.every("2w") == "mỗi 2 tuần" && Format.every("1d") == "hằng ngày" && Format.every("x") == "x")
        #expect(CivilDate(2026, 3, 2).weekdayName == "Thứ Hai" && CivilDate(2026, 3, 8).weekdayName == "Chủ nhật")
        #expect(CivilDate(2026, 3, 8).weekdayInSentence == "chủ nhật" && CivilDate(2026, 3, 6).weekdayInSentence == "thứ Sáu")
    }

    @Test("a field's default as people read it beside the form's box: dd/mm/yyyy, a time, có/không, a title, a comma")
    func defaults() throws {
        func field(_ type: String, _ value: String?, values: [String] = []) throws -> Extras.FieldInfo {
            var o: [(String, JSON)] = [
                ("name", .string("f")), ("type", .string(type)), ("required", .bool(false)),
                ("values", .array(values.map(JSON.string))), ("valueTitles", .object([("cu", .string("Loại cũ"))])),
            ]
            if let value { o.append(("default", .string(value))) }
            return try Extras.FieldInfo(json: .object(o), path: "f")
        }
        #expect(Format.defaultText(try field("date", "2026-12-31")) == "31/12/2026")
        #expect(Format.defaultText(try field("datetime", "2026-12-31T17:00:00+07:00")) == "31/12/2026 17:00")
        #expect(Format.defaultText(try field("boolean", "false")) == "không")
        #expect(Format.defaultText(try field("enum", "cu", values: ["moi", "cu"])) == "Loại cũ")
        let number = try field("number", "7.5")
        let integer = try field("integer", "3")
        #expect(Format.defaultText(number) == "7,5" && Format.defaultText(integer) == "3")
        #expect(Format.defaultText(try field("text", nil)) == nil)
    }

    @Test("url-encoded forms and query strings, Vietnamese included")
    func urlEncoded() {
        let f = Form(fields: Form.urlEncoded("ten=Nguy%E1%BB%85n+H%C3%A0&chi-bo=Chi+b%E1%BB%99+1&x=&a=1&a=2&bad=%zz"))
        #expect(f["ten"] == "Nguyễn Hà" && f["chi-bo"] == "Chi bộ 1")
        #expect(f.text("x") == nil && f.fields.filter { $0.0 == "a" }.map(\.1) == ["1", "2"] && f["bad"] == "%zz")
        #expect(Filters.percentEncoded("Chi bộ số 2/a&b") == "Chi%20b%E1%BB%99%20s%E1%BB%91%202%2Fa%26b")
        // A mail's link to a chi bộ's agenda writes spaces as `+` (read «số 3», not «số 203»), and a `+` of the name
        // encoded: the page reads the name back as it was.
        #expect(URLText.queryValue("Chi bộ số 3") == "Chi+b%E1%BB%99+s%E1%BB%91+3")
        #expect(Form(fields: Form.urlEncoded("chi-bo=" + URLText.queryValue(" Tổ 1 + 2 "))).fields.first?.1 == " Tổ 1 + 2 ")
    }

    @Test("multipart bodies: fields and a file with its name, as browsers send them")
    func multipart() throws {
        let body = [
            "--XyZ", "Content-Disposition: form-data; name=\"_csrf\"", "", "tok", "--XyZ",
            "Content-Disposition: form-data; name=\"tep\"; filename=\"hồ sơ.csv\"", "Content-Type: text/csv", "", "key,ho_ten\r\na,Hà",
            "--XyZ--", "",
        ].joined(separator: "\r\n")
        let f = try Form.parse(contentType: "multipart/form-data; boundary=XyZ", body: .init(string: body))
        #expect(f["_csrf"] == "tok")
        let upload = try #require(f.upload("tep"))
        #expect(upload.filename == "hồ sơ.csv" && String(decoding: upload.bytes, as: UTF8.self) == "key,ho_ten\r\na,Hà")
        #expect(throws: Form.Malformed.self) { try Form.parse(contentType: "multipart/form-data", body: .init(string: body)) }
        #expect(throws: Form.Malformed.self) { try Form.parse(contentType: "application/json", body: .init(string: "{}")) }
        // Bytes that are not UTF-8 (a hand-made request) are refused, not stored as «Nguy�n».
        let form = "application/x-www-form-urlencoded"
        #expect(try Form.parse(contentType: form, body: .init(string: "f-ho_ten=Nguy%E1%BB%85n+V%C4%83n")).fields[0].1 == "Nguyễn Văn")
        for bad in ["f-ho_ten=Nguy%FFn", "f-ho_ten=V%C3", "f%FF=a"] {
            #expect(throws: Form.Malformed.self) { try Form.parse(contentType: form, body: .init(string: bad)) }
        }
        #expect(throws: Form.Malformed.self) { try Form.parse(contentType: form, body: .init(bytes: Array("a=Nguy".utf8) + [0xFF])) }
        let raw = [UInt8](body.utf8).split(separator: UInt8(ascii: "k"), maxSplits: 1)
        // The _csrf field's value made «to» and a byte 0xFF.
        #expect(throws: Form.Malformed.self) {
            try Form.parse(contentType: "multipart/form-data; boundary=XyZ", body: .init(bytes: Array(raw[0]) + [0xFF] + Array(raw[1])))
        }
    }

    @Test("filters read from the address, and links that keep them")
    func filters() {
        var f = Filters(query: "quy-trinh=kiem-tra&chi-bo=Chi+b%E1%BB%99+1&ngay=30&nhom=quy-trinh&tu=16/02/2026&trang=2&tim=%20H%C3%A0%20")
        #expect(f.workflow == "kiem-tra" && f.group == "Chi bộ 1" && f.days == 30 && f.groupBy == .workflow && f.page == 2)
        #expect(f.from == CivilDate(2026, 2, 16) && f.until == CivilDate(2026, 2, 16) && f.search == "Hà")
        #expect(Filters(query: "ngay=9&nhom=x").days == 7 && Filters(query: "nhom=x").groupBy == .group)
        f.page = 0
        #expect(f.link("/", ["tu": nil]) == "/?quy-trinh=kiem-tra&chi-bo=Chi%20b%E1%BB%99%201&tim=H%C3%A0&ngay=30&nhom=quy-trinh")
        #expect(Filters().link("/ho-so") == "/ho-so")
    }

    @Test("sign-in targets stay on this site; throttled addresses come from a local proxy only")
    func gatekeeping() {
        #expect(LoginPage.safeTarget("/ho-so?quy-trinh=a") == "/ho-so?quy-trinh=a")
        // A browser drops tabs and line breaks from an address and reads a backslash as a slash.
        for evil in ["//evil.example/", "https://evil.example/", "/\\evil", "/dang-nhap", nil, "/\t/evil.example/", "/\n/evil", "/a\\b"] {
            #expect(LoginPage.safeTarget(evil) == "/")
        }
        // A name typed at sign-in is logged on its line: a line break in it cannot start a forged entry.
        let forged = "zz\n2026-03-02T09:00:00+0700 notice tiendo-web : admin đăng nhập\u{202E}"
        #expect(forged.loggable == "zz\\u{A}2026-03-02T09:00:00+0700 notice tiendo-web : admin đăng nhập\\u{202E}")
        #expect("Nguyễn Thị Hà".loggable == "Nguyễn Thị Hà")
        #expect(Gatekeeper.clientAddress(peer: "127.0.0.1", forwardedFor: "10.0.0.9, 192.168.1.20") == "192.168.1.20")
        #expect(Gatekeeper.clientAddress(peer: nil, forwardedFor: "192.168.1.21") == "192.168.1.21")
        #expect(Gatekeeper.clientAddress(peer: "192.168.1.5", forwardedFor: "1.2.3.4") == "192.168.1.5")
        #expect(
            Gatekeeper.constantTimeEqual("abc", "abc") && !Gatekeeper.constantTimeEqual("abc", "abd")
                && !Gatekeeper.constantTimeEqual("a", "ab"))
        #expect(WebConfiguration.listen("127.0.0.1:8080") == .tcp(host: "127.0.0.1", port: 8080))
        #expect(WebConfiguration.listen("[::1]:9000") == .tcp(host: "::1", port: 9000))
        #expect(WebConfiguration.listen("unix:/run/tiendo-web/web.sock") == .unix(path: "/run/tiendo-web/web.sock"))
        for bad in ["8080", "host:0", ":80", "unix:", "a:b"] { #expect(WebConfiguration.listen(bad) == nil) }
    }

    @Test("a timed transition to come gives its day; one already due and not yet taken says it is waiting")
    func transitionSentences() throws {
        let workflow = try TextTests.workflow(
            "du-bi", states: #"[{"id": "cho-xet", "title": "Chờ chi bộ xét", "final": false, "events": []}]"#)
        let t = Extras.TimedTransition(to: "cho-xet", at: "2027-02-05T00:00:00+07:00", due: "2027-03-25", dueProvisional: true)
        let before = Catalog(now: "2026-12-04T09:00:00+07:00", workflows: [workflow])
        #expect(
            RecordView.transitionSentence(t, workflow: "du-bi", catalog: before)
                == "Ngày 05/02/2027 hồ sơ tự chuyển sang «Chờ chi bộ xét», hạn của trạng thái đó 25/03/2027 (dự kiến).")
        // The list says the deadline that step brings too: what a list of probationary members is read for.
        #expect(
            RecordsPage.transition(t, workflow: "du-bi", catalog: before)
                == "Tự chuyển sang «Chờ chi bộ xét» ngày 05/02/2027; hạn của trạng thái đó 25/03/2027 (dự kiến)")
        // A deadline with a title of its own is named by its task; one named as its state, as before.
        var task = t
        task.dueTitle = "Chi bộ họp xét, biểu quyết"
        #expect(
            RecordView.transitionSentence(task, workflow: "du-bi", catalog: before)
                == "Ngày 05/02/2027 hồ sơ tự chuyển sang «Chờ chi bộ xét», việc «Chi bộ họp xét, biểu quyết» có hạn chót 25/03/2027 (dự kiến)."
        )
        #expect(
            RecordsPage.transition(task, workflow: "du-bi", catalog: before)
                == "Tự chuyển sang «Chờ chi bộ xét» ngày 05/02/2027; việc «Chi bộ họp xét, biểu quyết» có hạn chót 25/03/2027 (dự kiến)")
        task.dueTitle = "Chờ chi bộ xét"
        #expect(
            RecordsPage.transition(task, workflow: "du-bi", catalog: before)
                == RecordsPage.transition(t, workflow: "du-bi", catalog: before))
        var atEight = t
        atEight.at = "2027-02-05T08:30:00+07:00"
        atEight.provisional = true
        #expect(
            RecordView.transitionSentence(atEight, workflow: "du-bi", catalog: before)
                == "Lúc 08:30 ngày 05/02/2027 (dự kiến) hồ sơ tự chuyển sang «Chờ chi bộ xét», hạn của trạng thái đó 25/03/2027 (dự kiến).")
        // The daemon still catching up: the instant is past, the record not yet moved.
        let after = Catalog(now: "2027-02-05T00:00:00+07:00", workflows: [workflow])
        #expect(
            RecordView.transitionSentence(t, workflow: "du-bi", catalog: after)
                == "Đã đến lúc hồ sơ tự chuyển sang «Chờ chi bộ xét» (từ ngày 05/02/2027) nhưng chưa chuyển: tiendod đang xử lý các việc "
                + "đến hạn, hãy tải lại trang sau ít phút. Sau khi chuyển, hạn của trạng thái đó 25/03/2027 (dự kiến).")
        #expect(
            RecordsPage.transition(t, workflow: "du-bi", catalog: after)
                == "Chờ tự chuyển sang «Chờ chi bộ xét» (đến lúc từ ngày 05/02/2027); hạn của trạng thái đó 25/03/2027 (dự kiến)")
    }

    @Test("a day typed once for ticked records is refused for the one record whose own day it may not precede")
    func bulkDayOrder() throws {
        let workflow = try TextTests.workflow(
            "du-bi",
            fields: """
                [{"name": "ngay_hop", "type": "date", "required": false, "title": "Ngày chi bộ họp", "values": []},
                 {"name": "ngay_ky", "type": "date", "required": false, "title": "Ngày ký quyết định", "values": [], "notBefore": "ngay_hop"}]
                """)
        func record(_ data: [(String, JSON)]) -> Manager.Instance {
            Manager.Instance(
                id: "du-bi/a", workflow: "du-bi", data: .object(data), startedAt: "2026-01-05T00:00:00+07:00",
                enteredAt: "2026-01-05T00:00:00+07:00")
        }
        let met = record([("ngay_hop", .string("2026-02-26")), ("ngay_ky", .string("2026-02-27"))])
        #expect(
            RecordsEvent.outOfOrder([("ngay_ky", "25/02/2026")], instance: met, workflow: workflow)
                == "«Ngày ký quyết định» 25/02/2026 trước «Ngày chi bộ họp» của hồ sơ này (26/02/2026): chưa ghi; kiểm tra lại ngày rồi ghi riêng trên trang hồ sơ này."
        )
        #expect(RecordsEvent.outOfOrder([("ngay_ky", "26/02/2026")], instance: met, workflow: workflow) == nil)
        #expect(
            RecordsEvent.outOfOrder([("ngay_hop", "28/02/2026")], instance: met, workflow: workflow)
                == "«Ngày chi bộ họp» 28/02/2026 sau «Ngày ký quyết định» của hồ sơ này (27/02/2026): chưa ghi; kiểm tra lại ngày rồi ghi riêng trên trang hồ sơ này."
        )
        // No meeting recorded, both typed (the same for every record), or a day that does not read: not this record's.
        #expect(RecordsEvent.outOfOrder([("ngay_ky", "25/02/2026")], instance: record([]), workflow: workflow) == nil)
        #expect(RecordsEvent.outOfOrder([("ngay_hop", "28/02/2026"), ("ngay_ky", "25/02/2026")], instance: met, workflow: workflow) == nil)
        #expect(RecordsEvent.outOfOrder([("ngay_ky", "31/02/2026")], instance: met, workflow: workflow) == nil)
        // A record on an older version of the workflow is tiendod's to judge.
        var old = met
        old.stale = true
        #expect(RecordsEvent.outOfOrder([("ngay_ky", "25/02/2026")], instance: old, workflow: workflow) == nil)
        // No meeting recorded: the admission bounds the decision, as tiendod reads the chain; datetimes by their instants.
        let chained = try TextTests.workflow(
            "du-bi",
            fields: """
                [{"name": "ngay_ket_nap", "type": "date", "required": false, "title": "Ngày kết nạp", "values": []},
                 {"name": "ngay_hop", "type": "date", "required": false, "title": "Ngày chi bộ họp", "values": [], "notBefore": "ngay_ket_nap"},
                 {"name": "ngay_ky", "type": "date", "required": false, "title": "Ngày ký quyết định", "values": [], "notBefore": "ngay_hop"},
                 {"name": "luc_mo", "type": "datetime", "required": false, "title": "Lúc mở", "values": []},
                 {"name": "luc_dong", "type": "datetime", "required": false, "title": "Lúc đóng", "values": [], "notBefore": "luc_mo"}]
                """)
        let admitted = record([("ngay_ket_nap", .string("2026-01-20")), ("luc_mo", .string("2026-03-02T08:00:00+07:00"))])
        #expect(
            RecordsEvent.outOfOrder([("ngay_ky", "05/03/2025")], instance: admitted, workflow: chained)
                == "«Ngày ký quyết định» 05/03/2025 trước «Ngày kết nạp» của hồ sơ này (20/01/2026): chưa ghi; kiểm tra lại ngày rồi ghi riêng trên trang hồ sơ này."
        )
        let closing = RecordsEvent.outOfOrder([("luc_dong", "02/03/2026 07:59")], instance: admitted, workflow: chained)
        #expect(
            closing?.hasPrefix("«Lúc đóng» ") == true && closing?.contains(" trước «Lúc mở» của hồ sơ này (") == true, "\(closing ?? "")")
        #expect(RecordsEvent.outOfOrder([("luc_dong", "02/03/2026 08:00")], instance: admitted, workflow: chained) == nil)
    }

    @Test("the undo names a step by its title, or as its button did where it has none, never by its code")
    func undoneStepNamed() throws {
        let workflow = try TextTests.workflow(
            "kiem-tra",
            states: """
                [{"id": "cho", "title": "Chờ nộp", "final": false, "events": [
                   {"name": "nop", "fields": [], "targets": ["da-nop"]},
                   {"name": "cham", "fields": [], "targets": ["dat", "khong-dat", "dat"]},
                   {"name": "huy", "title": "Hủy hồ sơ", "fields": [], "targets": ["huy"]}]},
                 {"id": "da-nop", "title": "Đã nộp, chờ chấm", "final": false, "events": []},
                 {"id": "dat", "title": "Đạt", "final": true, "events": []},
                 {"id": "khong-dat", "title": "Không đạt", "final": true, "events": []},
                 {"id": "huy", "title": "Đã hủy", "final": true, "events": []}]
                """)
        func step(_ event: String) throws -> Extras.UndoableStep {
            try Extras.UndoableStep(json: JSON.parse(#"{"token": "t", "event": "\#(event)", "at": "2026-03-02T09:00:00+07:00"}"#), path: "")
        }
        #expect(UndoView.named(try step("nop"), in: workflow) == "chuyển sang «Đã nộp, chờ chấm»")
        #expect(UndoView.named(try step("cham"), in: workflow) == "chuyển sang «Đạt» hoặc «Không đạt»")
        #expect(UndoView.named(try step("huy"), in: workflow) == "«Hủy hồ sơ»")
        #expect(UndoView.title(try step("nop"), in: workflow) == "bước chuyển sang «Đã nộp, chờ chấm»")
        #expect(UndoView.named(try step("da-xoa"), in: workflow) == "«da-xoa»")
    }

    @Test("an agenda section counts its items in all, from tiendod's counts, when a page holds part of it")
    func agendaSectionCounts() {
        let c = Extras.DueCounts(overdue: 450, today: 12, week: 26, fortnight: 52, month: 77, total: 527)
        #expect(
            DueTable.Bucket.allCases.map { AgendaPage.count($0, c) } == [450, 12, 14, 26, 25])
    }

    @Test("a history line of a step that left the record where it was is not headed «Chuyển trạng thái»")
    func stayedHeading() {
        var r = Manager.Record(at: "2026-03-02T09:01:00+07:00", kind: .transition, workflow: "w", priority: 6, message: "m")
        (r.from, r.to) = ("cho", "xong")
        #expect(Format.kind(of: r) == "Chuyển trạng thái")
        r.to = "cho"
        #expect(Format.kind(of: r) == "Ghi nhận")
        r.kind = .started
        #expect(Format.kind(of: r) == "Bắt đầu")
    }

    @Test("a step's form says what a box left empty does to the value the record holds")
    func heldValue() {
        #expect(RecordView.held("19", required: true).text == " <span class=\"muted small\">(đang ghi: 19)</span>")
        #expect(
            RecordView.held("27/02/2026", required: false).text
                == " <span class=\"muted small\">(đang ghi: 27/02/2026; để trống thì giữ nguyên)</span>")
    }

    @Test("a group column is headed by what the workflows' groups are: chi bộ, cơ quan, or both")
    func groupTitles() throws {
        func workflow(_ id: String, _ field: String, _ title: String) throws -> Extras.WorkflowInfo {
            let fields = #"[{"name": "\#(field)", "type": "text", "required": true, "title": "\#(title)", "values": []}]"#
            return try TextTests.workflow(id, groupBy: field, fields: fields)
        }
        let catalog = Catalog(
            now: "2026-03-02T09:00:00+07:00",
            workflows: [
                try workflow("the-dang-vien", "chi_bo", "Chi bộ"), try workflow("du-bi", "chi_bo", "Chi bộ"),
                try workflow("cong-chuc", "co_quan", "Cơ quan (Đảng ủy phường, UBND phường, Mặt trận và các đoàn thể…)"),
            ])
        #expect(catalog.groupTitle(of: ["the-dang-vien", "du-bi", "du-bi"]) == "Chi bộ")
        #expect(catalog.groupTitle(of: ["cong-chuc"]) == "Cơ quan")
        #expect(catalog.groupTitle(of: ["cong-chuc", "du-bi"]) == "Chi bộ / đơn vị")
        #expect(catalog.groupTitle(of: []) == "Chi bộ / đơn vị")
        // Headings of the agenda grouped by them.
        #expect(DueTable.groupHeading("Chi bộ Khu dân cư số 1", "Chi bộ") == "Chi bộ Khu dân cư số 1")
        #expect(DueTable.groupHeading("Hà Nội", "Tỉnh, thành phố") == "Tỉnh, thành phố: Hà Nội")
        #expect(DueTable.groupHeading("", "Chi bộ") == "Không thuộc chi bộ nào")
        #expect(DueTable.groupHeading("", "Cơ quan") == "Không thuộc cơ quan nào")
    }

    @Test("an import's columns are headed by a field's name or its title; two fields of one title keep their names")
    func importHeadings() throws {
        let workflow = try TextTests.workflow(
            "kt",
            fields: """
                [{"name": "ho_ten", "type": "text", "required": true, "title": "Họ và tên", "values": []},
                 {"name": "ngay_a", "type": "date", "required": false, "title": "Ngày", "values": []},
                 {"name": "ngay_b", "type": "date", "required": false, "title": "ngày", "values": []},
                 {"name": "ghi_chu", "type": "text", "required": false, "values": []}]
                """)
        #expect(
            workflow.importHeadings.map(\.heading) == ["Mã hồ sơ", "Bắt đầu theo dõi", "Họ và tên", "ngay_a", "ngay_b", "ghi_chu"])
        // As the record's page and the exports head it; a template of before 06/12/2026 still reads.
        #expect(workflow.importField(named: "Bắt đầu theo dõi") == "started" && workflow.importField(named: "Ngày bắt đầu") == "started")
        #expect(workflow.importField(named: " họ VÀ tên ") == "ho_ten")
        #expect(workflow.importField(named: "ho_ten") == "ho_ten")
        #expect(workflow.importField(named: "Mã hồ sơ") == "key")
        #expect(workflow.importField(named: "Ngày") == nil)
        #expect(workflow.importField(named: "Ho  va ten") == "ho_ten")  // as a keyboard without Vietnamese types it
        #expect(workflow.importField(named: "Họ và") == nil)
        // tiendod's refusals name the column by its title, where it has one of its own.
        #expect(ImportPage.titled("cột 'ho_ten': quá dài", workflow: workflow) == "cột «Họ và tên»: quá dài")
        #expect(ImportPage.titled("cột 'ngay_a': ngày sai", workflow: workflow) == "cột 'ngay_a': ngày sai")
        #expect(ImportPage.titled("mã hồ sơ 'x' bị lặp", workflow: workflow) == "mã hồ sơ 'x' bị lặp")
        let account = Account(name: "a", role: .quanTri, groups: [], passwordHash: "", created: "")
        let csv = Array("\u{FEFF}Mã hồ sơ,Họ và tên,ngay_a\r\nx1,Hà,01/02/2026\r\n".utf8)
        guard case .success(let rows) = ImportPage.rows(csv, workflow: workflow, account: account) else {
            Issue.record("the file was refused")
            return
        }
        #expect(rows.rows.map(\.row) == [.object([("key", .string("x1")), ("ho_ten", .string("Hà")), ("ngay_a", .string("01/02/2026"))])])
    }

    @Test("a printed list is headed as Party documents are: issuer on the left, the Party and the date on the right")
    func letterhead() {
        let full = PrintList.letterhead(
            organisation: "Đảng bộ phường Tây Hồ", group: "Chi bộ Khu dân cư số 2", place: "Tây Hồ", today: CivilDate(2026, 3, 2)
        ).text
        #expect(full.contains("ĐẢNG BỘ PHƯỜNG TÂY HỒ<br><b>CHI BỘ KHU DÂN CƯ SỐ 2</b><br>*"))
        #expect(full.contains("<b>ĐẢNG CỘNG SẢN VIỆT NAM</b><br><i>Tây Hồ, ngày 02 tháng 3 năm 2026</i>"))
        // Months 1 and 2 with a leading zero, the others without; without a place the date alone.
        let january = PrintList.letterhead(organisation: "Đảng bộ phường Tây Hồ", group: nil, place: nil, today: CivilDate(2027, 1, 5)).text
        #expect(january.contains("<b>ĐẢNG BỘ PHƯỜNG TÂY HỒ</b><br>*") && january.contains("<i>Ngày 05 tháng 01 năm 2027</i>"))
        let december = PrintList.letterhead(organisation: nil, group: nil, place: "Tây Hồ", today: CivilDate(2026, 12, 15)).text
        #expect(december.contains("<div class=\"issuer\"></div>") && december.contains("Tây Hồ, ngày 15 tháng 12 năm 2026"))
    }

    @Test("a refused value names its field by the title the form shows, a refused event gives the reason alone, others as tiendod says")
    func refusalNamesTheFieldTitle() throws {
        let workflow = try TextTests.workflow(
            "kiem-tra",
            fields: """
                [{"name": "diem", "type": "integer", "required": false, "title": "Điểm chấm", "values": []},
                 {"name": "ghi_chu", "type": "text", "required": false, "values": []}]
                """)
        let bad = ManagerError.invalidData(field: "diem", reason: "200 lớn hơn giá trị tối đa 100")
        #expect(RecordPage.refusal(bad, workflow: workflow) == "Giá trị ở trường «Điểm chấm» không hợp lệ: 200 lớn hơn giá trị tối đa 100.")
        // Without a title (or a workflow) the daemon's own words, which name the identifier.
        let untitled = ManagerError.invalidData(field: "ghi_chu", reason: "quá dài")
        #expect(RecordPage.refusal(untitled, workflow: workflow) == "Dữ liệu không hợp lệ ở trường 'ghi_chu': quá dài.")
        #expect(RecordPage.refusal(bad, workflow: nil) == "Dữ liệu không hợp lệ ở trường 'diem': 200 lớn hơn giá trị tối đa 100.")
        let state = ManagerError.eventRejected(id: "kiem-tra/a1", event: "nop", state: "da-nop", reason: "trạng thái không nhận sự kiện")
        // An event refused: the daemon's reason, which names fields by their titles, without the identifiers of the
        // record, the event and the state that the page shows anyway.
        #expect(RecordPage.refusal(state, workflow: workflow) == "Trạng thái không nhận sự kiện.")
        let limit = ManagerError.limitExceeded(limit: "xuat-sac", group: "Chi bộ 1", count: 3, max: 2)
        #expect(RecordPage.refusal(limit, workflow: workflow) == PageError.daemon(limit).message)
    }

    @Test("a notice written late says when: at the record's start, or later than planned; never «trễ» as if someone was late")
    func writtenLate() {
        var notice = Manager.Record(at: "2026-03-02T08:00:00+07:00", kind: .overdue, workflow: "w", priority: 4, message: "m")
        #expect(RecordView.written(notice, startWritten: nil).text.isEmpty)
        notice.late = 3_600
        let start = Format.zone.parseInstant("2026-03-02T09:00:00+07:00")
        #expect(
            RecordView.written(notice, startWritten: start).text
                == " <span class=\"muted small\">(ghi khi hồ sơ được đưa vào hệ thống, lúc 09:00 ngày 02/03/2026)</span>")
        notice.late = 3 * 86_400
        #expect(
            RecordView.written(notice, startWritten: start).text
                == " <span class=\"muted small\">(hệ thống ghi lúc 08:00 ngày 05/03/2026, chậm 3 ngày so với lịch)</span>")
        notice.late = 30
        #expect(RecordView.written(notice, startWritten: start).text.isEmpty)
        // A start dated before the day it was entered (an import of past records) says when it was entered.
        var started = Manager.Record(at: "2026-01-05T00:00:00+07:00", kind: .started, workflow: "w", priority: 6, message: "m")
        started.late = 56 * 86_400 + 9 * 3_600
        #expect(
            RecordView.written(started, startWritten: start).text
                == " <span class=\"muted small\">(ghi vào hệ thống lúc 09:00 ngày 02/03/2026)</span>")
    }

    @Test("a calendar day says what is due: a task with its number of records, or the record's name when it is alone")
    func calendarDayTasks() {
        let many = Extras.DayTask(workflow: "w", title: "Thành lập Ủy ban bầu cử", items: 12, records: 12)
        #expect(
            CalendarPage.line(many, on: CivilDate(2026, 3, 31)).text == "Thành lập Ủy ban bầu cử: <span class=\"muted\">12 hồ sơ</span>")
        let fee = Extras.DayTask(
            workflow: "w", title: "Đóng đảng phí", occurrence: "2026-03", items: 1, records: 1, instance: "w/c", label: "Lê Thị Cúc")
        #expect(
            CalendarPage.line(fee, on: CivilDate(2026, 3, 31)).text == "Đóng đảng phí kỳ 03/2026 — <span class=\"muted\">Lê Thị Cúc</span>")
        // Two items of one record (two occurrences' titles differ; one title twice is one record's two deadlines).
        let twice = Extras.DayTask(workflow: "w", title: "Nộp báo cáo <quý>", items: 2, records: 1, instance: "w/d")
        // An agenda row names the period the same way, with the label in its tooltip (what `tiendoctl done` takes).
        let quarter = Manager.DueItem(
            workflow: "bao-cao-dinh-ky", instance: "bao-cao-dinh-ky/cb01", milestone: "bao-cao-quy", occurrence: "2026-09",
            title: "Báo cáo quý", due: "2026-12-20", daysLeft: 7, overdue: false)
        #expect(
            DueTable.what(quarter).text
                == "Báo cáo quý <span class=\"badge\" title=\"bao-cao-quy@2026-09\">kỳ từ tháng 09/2026</span>")
        let report = Extras.DayTask(
            workflow: "w", title: "Báo cáo quý", occurrence: "2026-09", items: 1, records: 1, instance: "w/cb01", label: "Chi bộ 1")
        #expect(
            CalendarPage.line(report, on: CivilDate(2026, 12, 20)).text
                == "Báo cáo quý kỳ từ tháng 09/2026 — <span class=\"muted\">Chi bộ 1</span>")
        #expect(CalendarPage.line(twice, on: CivilDate(2026, 3, 31)).text == "Nộp báo cáo &lt;quý&gt; — <span class=\"muted\">w/d</span>")
        #expect(
            CalendarPage.line(Extras.DayTask(workflow: "w", title: "Họp", items: 1_083, records: 1_083), on: CivilDate(2026, 3, 31)).text
                == "Họp: <span class=\"muted\">1.083 hồ sơ</span>")
    }

    @Test("a number field's form says the bounds it accepts")
    func numberFieldBounds() throws {
        let workflow = try TextTests.workflow(
            "kiem-tra",
            fields: """
                [{"name": "diem", "type": "integer", "required": false, "title": "Điểm chấm", "values": [], "min": 0, "max": 100},
                 {"name": "ti_le", "type": "number", "required": false, "values": [], "min": 0.5},
                 {"name": "so_lan", "type": "integer", "required": false, "values": [], "max": 3},
                 {"name": "ghi_chu", "type": "text", "required": false, "values": []}]
                """)
        #expect(RecordView.range(workflow.field("diem"), in: workflow) == " (0–100)")
        #expect(RecordView.range(workflow.field("ti_le"), in: workflow) == " (từ 0,5 trở lên)")
        #expect(RecordView.range(workflow.field("so_lan"), in: workflow) == " (tối đa 3)")
        #expect(RecordView.range(workflow.field("ghi_chu"), in: workflow) == "" && RecordView.range(nil, in: workflow) == "")
    }

    @Test("a date field's form and the import page say the days it takes: not after today, not before another field's")
    func dateFieldBounds() throws {
        let workflow = try TextTests.workflow(
            "kiem-tra",
            fields: """
                [{"name": "ngay_hop", "type": "date", "required": false, "title": "Ngày chi bộ họp", "values": [], "notAfterToday": true},
                 {"name": "ngay_ky", "type": "date", "required": false, "title": "Ngày ký quyết định", "values": [],
                  "notAfterToday": true, "notBefore": "ngay_hop"},
                 {"name": "ngay_trao", "type": "date", "required": false, "values": [], "notBefore": "ngay_ky"},
                 {"name": "ngay_khac", "type": "date", "required": false, "values": []},
                 {"name": "luc_hop", "type": "datetime", "required": false, "values": []}]
                """)
        let typed = "ngày/tháng/năm, ví dụ 05/03/2026"
        #expect(RecordView.range(workflow.field("ngay_hop"), in: workflow) == " (\(typed); từ hôm nay trở về trước)")
        #expect(
            RecordView.range(workflow.field("ngay_ky"), in: workflow) == " (\(typed); không trước «Ngày chi bộ họp», không sau hôm nay)")
        #expect(RecordView.range(workflow.field("ngay_trao"), in: workflow) == " (\(typed); không trước «Ngày ký quyết định»)")
        #expect(RecordView.range(workflow.field("ngay_khac"), in: workflow) == " (\(typed))")
        #expect(RecordView.range(workflow.field("luc_hop"), in: workflow) == " (ngày/tháng/năm giờ:phút, ví dụ 05/03/2026 08:00)")
        let form = ImportPage.form(of: try #require(workflow.field("ngay_trao")), in: workflow)
        #expect(form.hasSuffix(", không trước «Ngày ký quyết định»") && form.hasPrefix(", ngày"), "\(form)")
    }

    @Test("workflows are listed by title, a bracketed tag aside")
    func workflowOrder() {
        #expect(Catalog.sortTitle("[Lưu trữ] Bầu cử đại biểu") == "Bầu cử đại biểu")
        #expect(Catalog.sortTitle("Kết nạp đảng viên") == "Kết nạp đảng viên" && Catalog.sortTitle("[không đóng") == "[không đóng")
        let titles = ["Xét công nhận", "[Lưu trữ] Bầu cử", "Báo cáo định kỳ", "Đánh giá", "Chuyển sinh hoạt"]
        #expect(
            VietnameseOrder.sorted(titles, by: Catalog.sortTitle)
                == ["Báo cáo định kỳ", "[Lưu trữ] Bầu cử", "Chuyển sinh hoạt", "Đánh giá", "Xét công nhận"])
    }

    @Test("a legal basis says its confidence marks in words, and escapes the rest")
    func basisMarks() {
        #expect(RecordView.basis("Điều lệ Đảng, Điều 8 [H]; QĐ 342").text == "Điều lệ Đảng, Điều 8; QĐ 342")
        let m = RecordView.basis("[Lưu trữ] Luật 85/2015/QH13, Điều 33 [M]: khiếu nại <30 ngày> [L]").text
        #expect(m.hasPrefix("[Lưu trữ] Luật 85/2015/QH13, Điều 33 <span class=\"provisional\""))
        #expect(m.contains("(một nguồn, cần đối chiếu)</span>: khiếu nại &lt;30 ngày&gt; <span"))
        #expect(m.hasSuffix("(chưa có văn bản xác nhận)</span>") && !m.contains("[M]") && !m.contains("[L]"))
        #expect(RecordView.basis("Không có dấu").text == "Không có dấu")
        let u = RecordView.basis("chưa có hạn chung [UNCONFIRMED]").text
        #expect(u.hasSuffix("(chưa xác nhận được)</span>") && !u.contains("UNCONFIRMED"))
    }

    /// A workflow as `Extras.Workflows` describes it: `fields` and `states` as JSON arrays.
    static func workflow(_ id: String, groupBy: String? = nil, fields: String = "[]", states: String = "[]") throws -> Extras.WorkflowInfo {
        let group = groupBy.map { #", "groupBy": "\#($0)""# } ?? ""
        return try Extras.WorkflowInfo(
            json: JSON.parse(
                #"{"id": "\#(id)", "title": "\#(id)", "digest": "d", "timezone": "Asia/Ho_Chi_Minh", "calendar": "vn"\#(group), "fields": \#(fields), "states": \#(states), "milestones": []}"#
            ), path: "")
    }

    @Test("the backups section: the latest copy, a warning when there is none or it is two days old, and why it cannot say")
    func backups() {
        func copy(_ at: String) -> Extras.Backups.Copy { Extras.Backups.Copy(name: "tiendo-x.sqlite", at: at, bytes: 409_600) }
        func said(_ now: String, _ copies: [Extras.Backups.Copy]) -> String {
            BackupView(reply: Extras.Backups.Reply(now: now, directory: "/var/lib/tiendo/backups", copies: copies), problem: nil).section
                .text
        }
        let fresh = said("2026-12-06T10:00:00+07:00", [copy("2026-12-06T02:31:00+07:00"), copy("2026-12-05T02:30:00+07:00")])
        #expect(fresh.contains("Bản sao gần nhất: 06/12/2026 02:31 (409,6 KB); có 2 bản, lưu trên máy chủ.") && !fresh.contains("warn"))
        let stale = said("2026-12-06T10:00:00+07:00", [copy("2026-12-04T02:30:00+07:00")])
        #expect(stale.contains("Bản sao gần nhất đã cách đây 2 ngày: việc tự sao lưu mỗi đêm có thể đã ngừng."))
        // A copy named in the future by a clock that was ahead does not hide that the nights' copies stopped.
        let ahead = said("2026-12-06T10:00:00+07:00", [copy("2027-06-01T02:30:00+07:00"), copy("2026-12-03T02:30:00+07:00")])
        #expect(ahead.contains("Bản sao gần nhất: 03/12/2026 02:30") && ahead.contains("đã cách đây 3 ngày"), "\(ahead)")
        #expect(said("2026-12-06T10:00:00+07:00", []).contains("Chưa có bản sao lưu nào."))
        let unreachable = BackupView(reply: nil, problem: "Không kết nối được tiendod.").section.text
        #expect(unreachable.contains("Không đọc được tình trạng sao lưu: Không kết nối được tiendod. Hãy báo cán bộ kỹ thuật"))
    }
}
