import Foundation
import Testing
import TiendoCore
import TiendoVarlink

@testable import TiendoWeb

@Suite("Vietnamese order of names")
struct VietnameseOrderTests {
    static let names = [
        "Chi bộ Khu dân cư số 10", "Chi bộ Khu dân cư số 2", "Chi bộ Khu dân cư số 1", "Chi bộ Khu dân cư số 19",
        "Chi bộ Khu dân cư số 20", "Chi bộ Ấp Bắc", "Chi bộ Bình Minh", "Chi bộ Đông Ngạc", "Chi bộ Dương Nội",
        "Chi bộ Trường THCS", "Chi bộ An Phú", "Chi bộ Ủy ban", "Chi bộ Ung Văn", "chi bộ an hòa", "Chi bộ Ăn Uống",
        "Chi bộ Tổ 3", "Chi bộ Tổ 12", "Chi bộ Tô Hiến Thành", "Chi bộ Tò He", "Chi bộ Tó", "Chi bộ Tọ", "Chi bộ Tỏ",
        "Chi bộ Tõ", "Chi bộ Tơ Lụa", "Chi bộ Ơn", "Chi bộ Ông Ích Khiêm", "Chi bộ Ốc Eo", "Chi bộ Ưu Đàm", "Chi bộ Uy",
        "Chi bộ Ê Đê", "Chi bộ Em", "Chi bộ Yên Phụ", "Chi bộ Xuân La", "Chi bộ Quân sự", "Chi bộ Công an",
        "Chi bộ Cơ quan", "Chi bộ Cổ Nhuế 1", "Chi bộ Cổ Nhuế 2", "Chi bộ Cửa Nam", "Chi bộ Giáp Bát", "Chi bộ Gia Lâm",
        "Đảng bộ phường", "Dân quân", "Zeta", "Chi bộ 5", "Chi bộ 30", "Chi bộ 100",
    ]

    @Test("numbers by value, ă â đ ê ô ơ ư as letters of their own, tones after letters: ICU's vi order")
    func matchesICU() {
        // Foundation's comparison with the vi_VN locale is ICU's Vietnamese collation with numbers by value.
        let vi = Locale(identifier: "vi_VN")
        let icu = VietnameseOrderTests.names.sorted { $0.compare($1, options: [.numeric], range: nil, locale: vi) == .orderedAscending }
        #expect(VietnameseOrder.sorted(VietnameseOrderTests.names.shuffled()) == icu)
        #expect(VietnameseOrder.sorted(VietnameseOrderTests.names.reversed()) == icu)
    }

    @Test("what an officer looks for: số 2 before số 10, «Ấp» among the A's, đ after d")
    func officersOrder() {
        #expect(
            VietnameseOrder.sorted(["Chi bộ số 10", "Chi bộ số 2", "Chi bộ số 1", "Chi bộ Bình", "Chi bộ Ấp", "Chi bộ An"])
                == ["Chi bộ An", "Chi bộ Ấp", "Chi bộ Bình", "Chi bộ số 1", "Chi bộ số 2", "Chi bộ số 10"])
        #expect(VietnameseOrder.sorted(["Đông", "Dương", "Em"]) == ["Dương", "Đông", "Em"])
        // Leading zeros do not change a number's value; different texts never tie.
        #expect(VietnameseOrder.sorted(["Tổ 010", "Tổ 9", "Tổ 10"]) == ["Tổ 9", "Tổ 010", "Tổ 10"])
        #expect(VietnameseOrder.sorted(["b", "B", "a"]) == ["a", "b", "B"])
        // Marks typed apart from their letters read as the composed letters; texts equal for `String` but not in
        // bytes still have one order.
        #expect(VietnameseOrder.sorted(["Anh", "A\u{302}n", "U\u{31B}ng", "Uy"]) == ["Anh", "A\u{302}n", "Uy", "U\u{31B}ng"])
        let composed = VietnameseOrder.key("\u{E9}")
        let decomposed = VietnameseOrder.key("e\u{301}")
        #expect(composed != decomposed && (composed < decomposed) != (decomposed < composed))
    }

    @Test("items of equal names keep their order")
    func stable() {
        let items = [("Chi bộ 2", 1), ("Chi bộ 10", 2), ("Chi bộ 2", 3)]
        #expect(VietnameseOrder.sorted(items, by: \.0).map(\.1) == [1, 3, 2])
    }

    static func group(_ workflow: String, _ name: String, overdue: Int = 0, dueSoon: Int = 0) throws -> Extras.GroupSummary {
        let o: [(String, JSON)] = [
            ("workflow", .string(workflow)), ("group", .string(name)), ("instances", .int(1)), ("active", .int(1)),
            ("overdue", .int(overdue)), ("dueSoon", .int(dueSoon)),
        ]
        return try Extras.GroupSummary(json: .object(o), path: "")
    }

    @Test("the overview: most overdue first, most due soon next, then chi bộ by name in Vietnamese order, each chi bộ together")
    func overviewOrder() throws {
        // tiendod's order: counts, then bytes («số 1, 10, 2»).
        let reply = try [
            VietnameseOrderTests.group("a", "Chi bộ số 9", overdue: 2), VietnameseOrderTests.group("a", "Chi bộ số 1"),
            VietnameseOrderTests.group("a", "Chi bộ số 10"), VietnameseOrderTests.group("b", "Chi bộ số 10"),
            VietnameseOrderTests.group("a", "Chi bộ số 2"), VietnameseOrderTests.group("a", "Chi bộ Ấp"),
        ]
        #expect(
            OverviewPage.inOfficersOrder(reply).map { "\($0.workflow) \($0.group)" } == [
                "a Chi bộ số 9", "a Chi bộ Ấp", "a Chi bộ số 1", "a Chi bộ số 2", "a Chi bộ số 10", "b Chi bộ số 10",
            ])
        // The page: each chi bộ's rows together, the chi bộ ranked by their sums (số 10: 1 + 2 overdue before số 9's 2).
        let spread = try [
            VietnameseOrderTests.group("a", "Chi bộ số 9", overdue: 2), VietnameseOrderTests.group("b", "Chi bộ số 10", overdue: 2),
            VietnameseOrderTests.group("a", "Chi bộ số 2", dueSoon: 1), VietnameseOrderTests.group("a", "Chi bộ số 10", overdue: 1),
            VietnameseOrderTests.group("b", "Chi bộ số 2"), VietnameseOrderTests.group("a", "Chi bộ số 1"),
        ]
        #expect(
            OverviewPage.byChiBo(spread).map { $0.map { "\($0.workflow) \($0.group)" } } == [
                ["b Chi bộ số 10", "a Chi bộ số 10"], ["a Chi bộ số 9"], ["a Chi bộ số 2", "b Chi bộ số 2"], ["a Chi bộ số 1"],
            ])
        // A name typed decomposed is another chi bộ for tiendod (and another list), though Swift's == says equal.
        let composed = "Chi bộ Ấp", decomposed = "Chi bộ A\u{0302}\u{0301}p"
        #expect(composed == decomposed && Array(composed.utf8) != Array(decomposed.utf8))
        let twins = try [VietnameseOrderTests.group("a", composed), VietnameseOrderTests.group("b", decomposed)]
        let blocks = OverviewPage.byChiBo(twins)
        #expect(blocks.map(\.count) == [1, 1] && Set(blocks.map { Array($0[0].group.utf8) }).count == 2)
        // The exports: workflows as tiendod gives them, chi bộ in Vietnamese order within each.
        let all = try [
            VietnameseOrderTests.group("b", "Chi bộ số 10"), VietnameseOrderTests.group("b", "Chi bộ số 2"),
            VietnameseOrderTests.group("a", "Chi bộ số 10"), VietnameseOrderTests.group("a", "Chi bộ số 9", overdue: 3),
        ]
        #expect(
            OverviewPage.byWorkflowThenName(all).map { "\($0.workflow) \($0.group)" } == [
                "b Chi bộ số 2", "b Chi bộ số 10", "a Chi bộ số 9", "a Chi bộ số 10",
            ])
    }
}
