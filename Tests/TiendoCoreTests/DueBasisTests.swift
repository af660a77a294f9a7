import Testing

@testable import TiendoCore

/// `Engine.dueBases`: how each open deadline's due is counted, in the words a record's page shows under it.
@Suite struct DueBasisTests {
    static let yaml = """
        tiendo: 1
        title: Cách tính hạn
        calendar: vn
        fields:
          ngay_ket_nap: {type: date, required: true, title: Ngày kết nạp}
          ngay_hop: {type: date, title: Ngày họp}
          ngay_bau_cu: {type: date, title: Ngày bầu cử}
        initial: xet
        states:
          xet:
            deadline: {due: ngay_ket_nap + 12mo + 30wd}
            on: {dat: cho}
          cho:
            deadline: {due: ngay_hop or entered + 30wd}
            on: {xong: het}
          het: {final: true}
        milestones:
          danh-sach:
            title: Niêm yết danh sách cử tri
            due: ngay_bau_cu - 40d at 17:00
          nop:
            title: Nộp hồ sơ
            due: started + 10d
            roll: forward
          co-dinh:
            title: Báo cáo năm
            due: 2026-12-15
          dang-phi:
            title: Đóng đảng phí
            every: 1mo
            anchor: started
            due: period + 9d
        """

    @Test("a state's due and one-shot milestones, each in words with the day it counts from; a fixed day and occurrences have none")
    func words() throws {
        let def = try Fixtures.workflow("cach-tinh", Self.yaml)
        let engine = Engine(def)
        let data = try def.data([("ngay_ket_nap", .string("2025-01-20")), ("ngay_bau_cu", .string("2026-03-15"))])
        var (inst, _) = try engine.started("a", data: data, at: at("2026-01-05T09:30"))
        var bases = Dictionary(uniqueKeysWithValues: engine.dueBases(inst).map { ($0.key, $0.text) })
        #expect(bases[""] == "12 tháng sau «Ngày kết nạp» (20/01/2025), rồi thêm 30 ngày làm việc")
        #expect(bases["danh-sach"] == "40 ngày trước «Ngày bầu cử» (15/03/2026), lúc 17:00")
        #expect(
            bases["nop"] == "10 ngày sau ngày bắt đầu theo dõi (05/01/2026); nếu hạn rơi vào ngày nghỉ thì dời sang ngày làm việc kế tiếp")
        #expect(bases["co-dinh"] == nil && bases["dang-phi"] == nil && bases.count == 3, "\(bases)")
        #expect(engine.openDeadlines(inst).contains { $0.milestone == "dang-phi" })

        // The fallback says what it stands in for; once the day is typed, the day.
        _ = try engine.send(&inst, event: "dat", data: [], at: at("2026-03-09T10:00"), actor: nil, counter: nil).get()
        bases = Dictionary(uniqueKeysWithValues: engine.dueBases(inst).map { ($0.key, $0.text) })
        #expect(
            bases[""]
                == "30 ngày làm việc sau ngày vào trạng thái này (09/03/2026); chưa ghi «Ngày họp» nên tính từ ngày vào trạng thái này")
        inst.data["ngay_hop"] = .date(day("2026-03-02"))
        bases = Dictionary(uniqueKeysWithValues: engine.dueBases(inst).map { ($0.key, $0.text) })
        #expect(bases[""] == "30 ngày làm việc sau «Ngày họp» (02/03/2026)")
        #expect(engine.openDeadlines(inst).first { $0.key == "" }?.due == "2026-04-13")
    }

    @Test("steps of both signs, an instant base, 'at' in the middle")
    func mixed() throws {
        let def = try Fixtures.workflow("cach-tinh", Self.yaml)
        let engine = Engine(def)
        let (inst, _) = try engine.started(
            "b", data: try def.data([("ngay_ket_nap", .string("2025-01-20"))]), at: at("2026-01-05T09:30"))
        func words(_ text: String, roll: Roll = .none) throws -> String? {
            engine.basis(try DateExpression.parse(text, zone: .vietnam), roll: roll, inst)
        }
        #expect(try words("ngay_ket_nap + 1mo - 2d") == "1 tháng sau «Ngày kết nạp» (20/01/2025), rồi trừ 2 ngày")
        // In the order they apply: 30 working days and then 12 months is another day than 12 months and then 30.
        #expect(try words("ngay_ket_nap + 30wd + 12mo") == "30 ngày làm việc sau «Ngày kết nạp» (20/01/2025), rồi thêm 12 tháng")
        #expect(try words("ngay_ket_nap + 0d + 5d") == "5 ngày sau «Ngày kết nạp» (20/01/2025)")
        #expect(try words("started_at + 2h") == "2 giờ sau thời điểm bắt đầu theo dõi (09:30 ngày 05/01/2026)")
        #expect(try words("ngay_ket_nap at 08:00 - 30min") == "đúng «Ngày kết nạp» (20/01/2025), lúc 08:00, rồi trừ 30 phút")
        // The reason of a fallback comes last, after the hour.
        #expect(
            try words("ngay_hop or entered + 3wd at 17:00")
                == "3 ngày làm việc sau ngày vào trạng thái này (05/01/2026), lúc 17:00; chưa ghi «Ngày họp» nên tính từ ngày vào trạng thái này"
        )
        #expect(
            try words("entered - 1w", roll: .backward)
                == "1 tuần trước ngày vào trạng thái này (05/01/2026); nếu hạn rơi vào ngày nghỉ thì lùi về ngày làm việc liền trước")
        #expect(try words("ngay_hop + 3d") == nil)  // unset: no due, no basis
        // A day written with steps says what it adds; written alone, it says itself.
        #expect(try words("2027-02-01 + 5wd") == "5 ngày làm việc sau ngày 01/02/2027")
        #expect(try words("2026-12-15T08:00 - 2h") == "2 giờ trước 08:00 ngày 15/12/2026")
        #expect(try words("2026-12-15 at 17:00") == nil)
    }
}
