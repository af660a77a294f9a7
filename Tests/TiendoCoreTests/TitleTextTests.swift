import Testing

@testable import TiendoCore

/// Titles are what every message, the journal and e-mails say: one line, whatever YAML form they were written in; so
/// are a record's chi bộ and name as people give them.
@Suite struct TitleTextTests {
    static let yaml = """
        tiendo: 1
        title: >
          Báo cáo
          quý của chi bộ
        fields:
          han: {type: date, title: "Hạn\\tnộp  "}
          loai: {type: enum, values: [a, b], value_titles: {a: "Loại\\nmột", b: Loại hai}}
        initial: cho
        event_titles: {nop: "Đã\\n nộp"}
        states:
          cho:
            title: |
              Chờ nộp
              báo cáo
            on: {nop: xong}
            deadline: {title: "Nộp\\r\\nbáo cáo", due: han}
          xong: {final: true}
        milestones:
          ky: {title: "  Ký   biên bản ", due: han}
        """

    @Test("a title written as a YAML block or with line breaks is one line; the plan's messages carry none")
    func oneLine() throws {
        let def = try Fixtures.workflow("bao-cao-quy", Self.yaml)
        #expect(def.title == "Báo cáo quý của chi bộ")
        #expect(def.state("cho")?.title == "Chờ nộp báo cáo")
        #expect(def.state("cho")?.deadlineTitle == "Nộp báo cáo")
        #expect(def.field("han")?.title == "Hạn nộp")
        #expect(def.field("loai")?.valueTitles["a"] == "Loại một")
        #expect(def.eventTitles["nop"] == "Đã nộp")
        #expect(def.milestones.first?.title == "Ký biên bản")
        let plan = Planner.plan(
            def, data: ["han": .date(CivilDate(2026, 12, 20)), "loai": .text("a")], start: Instant(seconds: 1_796_000_000),
            until: CivilDate(2027, 1, 31))
        #expect(!plan.isEmpty && plan.allSatisfy { !$0.message.contains("\n") && !$0.message.contains("\r") })
    }

    @Test("a chi bộ or a name pasted with a line break is one line; other text keeps its lines; stored data is left alone")
    func groupAndNameOnOneLine() throws {
        let def = try Fixtures.workflow(
            "nhom",
            """
            tiendo: 1
            title: Nhóm
            fields:
              ho_ten: {type: text, title: Họ và tên}
              chi_bo: {type: text, title: Chi bộ}
              ghi_chu: {type: text, title: Ghi chú}
            group_by: chi_bo
            milestones:
              m: {title: M, due: 2026-12-31}
            """)
        #expect(def.labelField == "ho_ten")
        let given: [(String, JSON)] = [
            ("ho_ten", .string("Vũ Thị\r\nMai")), ("chi_bo", .string("Chi bộ\nsố 2")), ("ghi_chu", .string("Dòng một\nDòng hai")),
        ]
        let data = try def.validate(data: given, partial: false, today: CivilDate(2026, 12, 7)).get()
        #expect(data["ho_ten"] == .text("Vũ Thị Mai") && data["chi_bo"] == .text("Chi bộ số 2"))
        #expect(data["ghi_chu"] == .text("Dòng một\nDòng hai"))
        let plain = try def.validate(data: [("chi_bo", .string("Chi bộ  số 2 "))], partial: true, today: CivilDate(2026, 12, 7)).get()
        #expect(plain["chi_bo"] == .text("Chi bộ  số 2 "))
        // Zero-width characters pasted from Zalo or Word are dropped: «Chi bộ 1» is one chi bộ, not two that look alike.
        let pasted = try def.validate(
            data: [("chi_bo", .string("Chi bộ 1\u{200B}")), ("ghi_chu", .string("\u{FEFF}Ghi\u{2060} chú"))], partial: true,
            today: CivilDate(2026, 12, 7)
        ).get()
        #expect(pasted["chi_bo"] == .text("Chi bộ 1") && pasted["ghi_chu"] == .text("Ghi chú"))
        let stored = try def.validate(data: given, partial: true, today: nil).get()
        #expect(stored["chi_bo"] == .text("Chi bộ\nsố 2"))
    }
}
