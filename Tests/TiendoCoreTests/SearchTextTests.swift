import Testing

@testable import TiendoCore

@Suite("Search text folding")
struct SearchTextTests {
    @Test("Vietnamese letters lose their marks and case; đ is d; other text stays")
    func fold() {
        #expect(String(decoding: SearchText.fold("Nguyễn Thị ĐẶNG Ứng"), as: UTF8.self) == "nguyen thi dang ung")
        #expect(String(decoding: SearchText.fold("Chi bộ 3 — Phường Ô Chợ Dừa"), as: UTF8.self) == "chi bo 3 — phuong o cho dua")
        // Decomposed input (a combining mark after the base letter) folds the same way.
        #expect(SearchText.fold("Nguye\u{302}\u{303}n") == SearchText.fold("nguyen"))
    }

    @Test("contains matches folded needles anywhere, and only there")
    func contains() {
        let needle = SearchText.fold("chi bo mot")
        #expect(SearchText.contains(#"{"ma":"Chi bộ Một"}"#, folded: needle))
        #expect(!SearchText.contains(#"{"ma":"Chi bộ Hai"}"#, folded: needle))
        #expect(SearchText.contains("anything", folded: []))
        #expect(!SearchText.contains("ab", folded: SearchText.fold("abc")))
    }
}
