import Testing
import TiendoVarlink

@testable import TiendoWeb

@Suite("The agenda's ticked items marked done together")
struct AgendaDoneTests {
    @Test("a box's value names the record, the milestone or its period, and the due; anything else is not a box's")
    func picks() throws {
        let fee = try #require(AgendaDone.Pick("nam-sau/c1|dong-dang-phi@2026-01|2026-01-31"))
        #expect(fee.id == "nam-sau/c1" && fee.milestone == "dong-dang-phi@2026-01" && fee.due == "2026-01-31")
        #expect(fee.value == "nam-sau/c1|dong-dang-phi@2026-01|2026-01-31")
        #expect(AgendaDone.Pick("kiem-tra/a1|xac-minh|")?.due == nil)
        for bad in ["", "kiem-tra/a1", "kiem-tra/a1|xac-minh", "a1|xac-minh|2026-03-10", "kiem-tra/a1||2026-03-10", "a/b|c|d|e"] {
            #expect(AgendaDone.Pick(bad) == nil, "\(bad)")
        }
    }

    @Test("a milestone's item has a box named for people; a state's deadline has none")
    func boxes() {
        let fee = Manager.DueItem(
            workflow: "nam-sau", instance: "nam-sau/c1", milestone: "dong-dang-phi", occurrence: "2026-01", title: "Đóng đảng phí",
            due: "2026-01-31", daysLeft: -30, overdue: true)
        #expect(
            DueTable.pickBox(fee, name: "Vũ Thị Mai").text
                == "<label><input type=\"checkbox\" name=\"xong\" value=\"nam-sau/c1|dong-dang-phi@2026-01|2026-01-31\" form=\"xong-nhieu\" aria-label=\"Chọn việc này: «Đóng đảng phí kỳ 01/2026» của Vũ Thị Mai\"><span class=\"on-phone\">Chọn việc này</span></label>"
        )
        let state = Manager.DueItem(
            workflow: "kiem-tra", instance: "kiem-tra/a1", state: "cho-nop", title: "Chờ nộp hồ sơ", due: "2026-02-25", daysLeft: -5,
            overdue: true)
        #expect(DueTable.pickBox(state, name: "Nguyễn Thị Hà").text.isEmpty)
    }

    @Test("back to the list as it was filtered, and never to another site")
    func back() {
        #expect(BulkOutcome.back(to: "/", query: nil) == "/")
        #expect(BulkOutcome.back(to: "/", query: "") == "/")
        #expect(BulkOutcome.back(to: "/", query: "ngay=30&chi-bo=Chi%20b%E1%BB%99%201") == "/?ngay=30&chi-bo=Chi%20b%E1%BB%99%201")
        #expect(BulkOutcome.back(to: "/ho-so", query: "quy-trinh=kiem-tra") == "/ho-so?quy-trinh=kiem-tra")
        #expect(BulkOutcome.back(to: "/", query: "//example.org") == "/?//example.org")
        #expect(BulkOutcome.back(to: "/", query: "ngay=7\r\nLocation: http://x") == "/")
        #expect(BulkOutcome.back(to: "/", query: "chi-bo=Chi bộ") == "/")
        #expect(BulkOutcome.back(to: "/", query: "ngay=7#x") == "/")
    }

    @Test("what was recorded and what was refused are said apart, the first ten by name and the rest counted")
    func summary() {
        var agenda = BulkOutcome(
            unit: "việc", doneLead: "Đã ghi nhận hoàn thành", refusedLead: "Không ghi nhận được",
            alreadySaid: "đã được ghi nhận hoàn thành trước đó")
        agenda.done = (1...12).map { "«Đóng đảng phí kỳ 11/2026» của Đảng viên \($0)" }
        agenda.already = ["«Xác minh lý lịch» của Lê Thị Cúc"]
        #expect(agenda.sentences.refused == nil)
        #expect(
            agenda.sentences.recorded
                == "Đã ghi nhận hoàn thành 12 việc: "
                + (1...10).map { "«Đóng đảng phí kỳ 11/2026» của Đảng viên \($0)" }.joined(separator: "; ")
                + " và 2 việc khác. 1 việc đã được ghi nhận hoàn thành trước đó, không có gì thay đổi: «Xác minh lý lịch» của Lê Thị Cúc.")
        var list = BulkOutcome(unit: "hồ sơ", doneLead: "Đã ghi «Đã in thẻ» cho", refusedLead: "Không ghi được «Đã in thẻ» cho")
        list.refused = ["Cao Văn Hùng: hồ sơ đang ở bước «Chờ trao thẻ», bước này không ghi được «Đã in thẻ» từ danh sách."]
        #expect(list.sentences.recorded == nil)
        // The lead a sentence of its own, then each record with its reason: never two colons in one clause.
        #expect(
            list.sentences.refused
                == "Không ghi được «Đã in thẻ» cho 1 hồ sơ (không có gì thay đổi). Cao Văn Hùng: hồ sơ đang ở bước «Chờ trao thẻ», bước này không ghi được «Đã in thẻ» từ danh sách."
        )
        // Past ten, the rest counted in a sentence of their own (not «… danh sách. và 2 hồ sơ khác»).
        var many = list
        many.refused = (1...12).map { "Người \($0): hồ sơ đã sang bước «Y»." }
        #expect(
            many.sentences.refused
                == "Không ghi được «Đã in thẻ» cho 12 hồ sơ (không có gì thay đổi). "
                + (1...10).map { "Người \($0): hồ sơ đã sang bước «Y»." }.joined(separator: " ")
                + " Còn 2 hồ sơ khác cũng không ghi được.")
        // tiendod stopped answering: what was recorded is said, the record it stopped at is to be checked (tiendod may
        // have recorded it before its answer was lost), and how many after it were left untouched.
        list.done = ["Lò Thị Năm"]
        list.refused = []
        let goesOn = list.note(PageError.notFound("x"), for: "Vi Văn Sáu", left: 3)
        let stops = !list.note(ManagerError.internalError(reason: "hết thời gian chờ"), for: "Hà Văn Bốn", left: 2)
        #expect(goesOn && stops)
        #expect(list.sentences.recorded == "Đã ghi «Đã in thẻ» cho 1 hồ sơ: Lò Thị Năm.")
        #expect(
            list.sentences.refused?.hasPrefix(
                "Không ghi được «Đã in thẻ» cho 1 hồ sơ (không có gì thay đổi). Vi Văn Sáu: không thấy hồ sơ này trong các chi bộ của tài khoản (có thể đã chuyển chi bộ hoặc bị xóa). "
                    + "Dừng lại ở Hà Văn Bốn: chưa rõ hồ sơ này đã được ghi hay chưa, hãy mở để kiểm tra. "
                    + "2 hồ sơ sau đó chưa được ghi, các hồ sơ này không có gì thay đổi. ")
                == true,
            "\(list.sentences.refused ?? "")")
    }

    @Test("an item named like another is renamed where it was said, refusals included")
    func rename() {
        var list = BulkOutcome(unit: "hồ sơ", doneLead: "Đã ghi «X» cho", refusedLead: "Không ghi được «X» cho")
        list.done = ["Mai Văn Ba", "Lê Văn An"]
        list.refused = ["Mai Văn Ba: hồ sơ đã sang bước «Y».", "Mai Văn Bao: khác"]
        list.rename("Mai Văn Ba", to: "Mai Văn Ba (qd-3)")
        #expect(list.done == ["Mai Văn Ba (qd-3)", "Lê Văn An"])
        #expect(list.refused == ["Mai Văn Ba (qd-3): hồ sơ đã sang bước «Y».", "Mai Văn Bao: khác"])
        #expect(RecordsEvent.key("dang-vien-du-bi/qd-3") == "qd-3" && RecordsEvent.key("x") == "x")
    }

    @Test("a form with nothing ticked, or more than a page, is refused whole")
    func counts() {
        #expect(BulkOutcome.refusal(count: 3, max: 200, unit: "việc", none: "x") == nil)
        #expect(
            BulkOutcome.refusal(count: 0, max: 200, unit: "việc", none: "đánh dấu ô ở đầu dòng rồi bấm lại.")
                == "Chưa chọn việc nào: đánh dấu ô ở đầu dòng rồi bấm lại. Không có gì thay đổi.")
        #expect(
            BulkOutcome.refusal(count: 51, max: 50, unit: "hồ sơ", none: "x")
                == "Đã chọn 51 hồ sơ, quá 50 hồ sơ một lần: hãy chọn ít hơn. Không có gì thay đổi.")
    }
}

@Suite("A step recorded for the records ticked in a list")
struct RecordsEventTests {
    static let card = #"""
        [{"id": "in-the", "title": "Đang in thẻ", "final": false, "events": [
           {"name": "in-xong", "title": "Đã in thẻ", "fields": [], "required": [], "targets": ["cho-trao"], "office": true},
           {"name": "huy", "fields": [], "required": [], "targets": ["da-huy"]},
           {"name": "bao-hong", "title": "Thẻ hỏng", "fields": ["ly_do"], "required": ["ly_do"], "targets": ["in-the"]},
           {"name": "ghi-so", "title": "Ghi số thẻ", "fields": ["so_the", "ngay_cap"], "required": [], "targets": ["cho-trao", "cho-trao"]},
           {"name": "phan-loai", "title": "Phân loại", "fields": ["loai"], "required": [], "targets": ["cho-trao", "da-huy"]}]},
         {"id": "cho-trao", "title": "Chờ trao thẻ", "final": false, "events": []},
         {"id": "da-huy", "title": "Đã hủy", "final": true, "events": []}]
        """#

    @Test("only a chosen state's steps that ask nothing of each record, those the account records; a reader gets none")
    func offered() throws {
        let w = try TextTests.workflow("the-dang-vien", fields: "[]", states: RecordsEventTests.card)
        let office = Account(name: "vp", role: .canBo, groups: [], passwordHash: "", created: "")
        let chiBo = Account(name: "ha", role: .canBo, groups: ["Chi bộ 1"], passwordHash: "", created: "")
        let reader = Account(name: "xem", role: .xem, groups: [], passwordHash: "", created: "")
        // «Thẻ hỏng» needs each card's reason; «Phân loại»'s value chooses where each record goes: neither is offered.
        // «Ghi số thẻ» asks only optional facts, typed once for all, and leads one way.
        #expect(RecordsEvent.offered(w, state: "in-the", account: office).map(\.name) == ["in-xong", "huy", "ghi-so"])
        #expect(RecordsEvent.offered(w, state: "in-the", account: chiBo).map(\.name) == ["huy", "ghi-so"])
        #expect(RecordsEvent.offered(w, state: "in-the", account: reader).isEmpty)
        #expect(RecordsEvent.offered(w, state: nil, account: office).isEmpty)
        #expect(RecordsEvent.offered(w, state: "da-huy", account: office).isEmpty)
        #expect(RecordsEvent.offered(nil, state: "in-the", account: office).isEmpty)
        let steps = RecordsEvent.offered(w, state: "in-the", account: office)
        #expect(steps.map { RecordsEvent.label($0, in: w) } == ["Đã in thẻ", "Chuyển sang «Đã hủy»", "Ghi số thẻ"])
        #expect(steps.map { RecordsEvent.said($0, in: w) } == ["«Đã in thẻ»", "việc chuyển sang «Đã hủy»", "«Ghi số thẻ»"])
    }

    @Test("the facts typed once are read from the chosen step's own boxes, and kept to fill the form again")
    func sharedFacts() throws {
        let w = try TextTests.workflow("the-dang-vien", fields: "[]", states: RecordsEventTests.card)
        let step = try #require(w.state("in-the")?.events.first { $0.name == "ghi-so" })
        let form = Form(fields: [
            ("su-kien", "ghi-so"), ("f-ghi-so.so_the", " 123-QĐ/ĐU "), ("f-ghi-so.ngay_cap", ""), ("f-phan-loai.loai", "x"),
            ("chon", "the-dang-vien/a1"), ("chon", "the-dang-vien/a2"),
        ])
        #expect(RecordsEvent.input("ghi-so", "so_the") == "f-ghi-so.so_the")
        // An empty box sends nothing; another step's box is not read.
        #expect(RecordPage.data(RecordsEvent.values(form, step)) == .object([("so_the", .string("123-QĐ/ĐU"))]))
        let bare = try #require(w.state("in-the")?.events.first { $0.name == "in-xong" })
        #expect(RecordPage.data(RecordsEvent.values(form, bare)) == nil)
        let typed = RecordsEvent.typed(step, RecordsEvent.values(form, step), ids: ["the-dang-vien/a1", "the-dang-vien/a2"])
        #expect(typed["su-kien"] == "ghi-so" && typed["chon"] == "the-dang-vien/a1\nthe-dang-vien/a2")
        #expect(typed["f-ghi-so.so_the"] == "123-QĐ/ĐU" && typed["f-ghi-so.ngay_cap"] == nil && typed["f-phan-loai.loai"] == nil)
        // The boxes are named and titled as the step's form on a record page; the script shows the chosen step's.
        let html = RecordsPage.sharedFields(step, in: w, typed: typed).description
        #expect(html.contains(#"<fieldset class="step-fields" data-step="ghi-so">"#))
        #expect(html.contains(#"name="f-ghi-so.so_the" value="123-QĐ/ĐU""#))
        #expect(html.contains("Thông tin của «Ghi số thẻ», dùng chung cho mọi hồ sơ đã chọn (không bắt buộc)"))
        #expect(Format.typed(RecordsEvent.values(form, step), in: w) == "so_the: 123-QĐ/ĐU")
        #expect(Format.typed(RecordsEvent.values(form, bare), in: w) == nil)
        // Said back as the form showed the choices: an enum's title, có/không, the date as typed.
        let typedFields = #"""
            [{"name": "so_the", "type": "enum", "required": false, "values": ["moi", "cap-lai"], "valueTitles": {"cap-lai": "Cấp lại"}},
             {"name": "ngay_cap", "type": "boolean", "required": false, "title": "Đã cấp", "values": []}]
            """#
        let typedWorkflow = try TextTests.workflow("the-dang-vien", fields: typedFields, states: RecordsEventTests.card)
        let chosen = Form(fields: [("f-ghi-so.so_the", "cap-lai"), ("f-ghi-so.ngay_cap", "false")])
        #expect(Format.typed(RecordsEvent.values(chosen, step), in: typedWorkflow) == "so_the: Cấp lại; Đã cấp: không")
    }

    @Test("the sentence of a stop for a value refused: what was recorded before it, and how many were not sent")
    func halted() {
        var list = BulkOutcome(unit: "hồ sơ", doneLead: "Đã ghi «Ghi số thẻ» cho", refusedLead: "Không ghi được «Ghi số thẻ» cho")
        list.done = ["Lò Thị Năm"]
        list.halt("Giá trị ở trường «Ngày cấp» không hợp lệ: không phải ngày. Dừng lại ở Hà Văn Bốn.", left: 2)
        #expect(list.sentences.recorded == "Đã ghi «Ghi số thẻ» cho 1 hồ sơ: Lò Thị Năm.")
        #expect(
            list.sentences.refused
                == "Giá trị ở trường «Ngày cấp» không hợp lệ: không phải ngày. Dừng lại ở Hà Văn Bốn. 2 hồ sơ chưa được ghi, các hồ sơ này không có gì thay đổi."
        )
    }
}

@Suite("A milestone refused for what it waits for")
struct MilestoneWaitingTests {
    @Test("said by the titles of the milestones not done, none when all are")
    func waiting() {
        func m(_ id: String, _ title: String, done: Bool, requires: [String] = []) -> Manager.Milestone {
            Manager.Milestone(id: id, title: title, due: "2026-03-20", done: done, overdue: false, requires: requires)
        }
        func record(_ milestones: [Manager.Milestone]) -> Manager.Instance {
            Manager.Instance(
                id: "kiem-tra/a1", workflow: "kiem-tra", state: nil, data: .object([]), startedAt: "", enteredAt: "", completed: false,
                stale: false, milestones: milestones, deadlines: [], next: nil)
        }
        let report = m("bao-cao", "Báo cáo chi ủy", done: false, requires: ["xac-minh", "nop", "ky"])
        let waits = record([
            report, m("xac-minh", "Xác minh lý lịch", done: false), m("nop", "Nộp hồ sơ", done: true), m("ky", "Ký", done: false),
        ])
        #expect(RecordPage.waiting("bao-cao", of: waits) == "việc này chỉ ghi nhận được sau khi «Xác minh lý lịch» và «Ký» đã hoàn thành")
        let one = record([
            report, m("xac-minh", "Xác minh lý lịch", done: false), m("nop", "Nộp hồ sơ", done: true), m("ky", "Ký", done: true),
        ])
        #expect(RecordPage.waiting("bao-cao", of: one) == "việc này chỉ ghi nhận được sau khi «Xác minh lý lịch» đã hoàn thành")
        let ready = record([report, m("xac-minh", "X", done: true), m("nop", "N", done: true), m("ky", "K", done: true)])
        #expect(RecordPage.waiting("bao-cao", of: ready) == nil)
        #expect(RecordPage.waiting("khac", of: ready) == nil)
    }
}
