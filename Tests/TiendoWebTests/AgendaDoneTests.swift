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
                == "<label><input type=\"checkbox\" name=\"xong\" value=\"nam-sau/c1|dong-dang-phi@2026-01|2026-01-31\" form=\"xong-nhieu\" aria-label=\"Chọn «Đóng đảng phí kỳ 01/2026» của Vũ Thị Mai\"><span class=\"on-phone\">Chọn để đánh dấu đã xong</span></label>"
        )
        let state = Manager.DueItem(
            workflow: "kiem-tra", instance: "kiem-tra/a1", state: "cho-nop", title: "Chờ nộp hồ sơ", due: "2026-02-25", daysLeft: -5,
            overdue: true)
        #expect(DueTable.pickBox(state, name: "Nguyễn Thị Hà").text.isEmpty)
    }

    @Test("back to the agenda as it was filtered, and never to another site")
    func back() {
        #expect(AgendaDone.back(nil) == "/")
        #expect(AgendaDone.back("") == "/")
        #expect(AgendaDone.back("ngay=30&chi-bo=Chi%20b%E1%BB%99%201") == "/?ngay=30&chi-bo=Chi%20b%E1%BB%99%201")
        #expect(AgendaDone.back("//example.org") == "/?//example.org")
        #expect(AgendaDone.back("ngay=7\r\nLocation: http://x") == "/")
        #expect(AgendaDone.back("chi-bo=Chi bộ") == "/")
        #expect(AgendaDone.back("ngay=7#x") == "/")
    }

    @Test("what was recorded and what was refused are said apart, the first ten by name and the rest counted")
    func summary() {
        let many = (1...12).map { "«Đóng đảng phí kỳ 11/2026» của Đảng viên \($0)" }
        let (recorded, refused) = AgendaDone.summary(done: many, already: ["«Xác minh lý lịch» của Lê Thị Cúc"], refused: [])
        #expect(refused == nil)
        #expect(
            recorded
                == "Đã ghi nhận hoàn thành 12 việc: "
                + (1...10).map { "«Đóng đảng phí kỳ 11/2026» của Đảng viên \($0)" }.joined(separator: "; ")
                + " và 2 việc khác. 1 việc đã được ghi nhận hoàn thành trước đó, không có gì thay đổi: «Xác minh lý lịch» của Lê Thị Cúc.")
        let only = AgendaDone.summary(done: [], already: [], refused: ["«Báo cáo chi ủy» của Cao Văn Hùng: Còn thiếu «Xác minh lý lịch»."])
        #expect(only.recorded == nil)
        #expect(
            only.refused
                == "Không ghi nhận được 1 việc, các việc này không có gì thay đổi: «Báo cáo chi ủy» của Cao Văn Hùng: Còn thiếu «Xác minh lý lịch»."
        )
    }
}
