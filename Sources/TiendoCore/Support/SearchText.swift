/// Text folded for searching as ward officers type: lower case, Vietnamese letters without their marks
/// (`Nguyễn Đức` and `nguyen duc` match), everything else kept as it is.
///
/// Written out rather than through Foundation's diacritic folding: `đ`/`Đ` have no decomposition (Unicode keeps
/// them as letters of their own), so a general folding leaves them, and a table over the 134 Vietnamese letters is
/// small and fast enough to fold every stored record while searching.
public enum SearchText {
    static let table: [UInt32: UInt8] = {
        let groups: [(UInt8, String)] = [
            (UInt8(ascii: "a"), "àáảãạăằắẳẵặâầấẩẫậ"), (UInt8(ascii: "e"), "èéẻẽẹêềếểễệ"),
            (UInt8(ascii: "i"), "ìíỉĩị"), (UInt8(ascii: "o"), "òóỏõọôồốổỗộơờớởỡợ"),
            (UInt8(ascii: "u"), "ùúủũụưừứửữự"), (UInt8(ascii: "y"), "ỳýỷỹỵ"), (UInt8(ascii: "d"), "đ"),
        ]
        var t: [UInt32: UInt8] = [:]
        for (base, letters) in groups {
            for scalar in letters.unicodeScalars { t[scalar.value] = base }
            for scalar in letters.uppercased().unicodeScalars { t[scalar.value] = base }
        }
        return t
    }()

    /// The folded form of `text`, as UTF-8 bytes.
    public static func fold(_ text: some StringProtocol) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                out.append(v >= 65 && v <= 90 ? UInt8(v + 32) : UInt8(v))
            } else if let base = table[v] {
                out.append(base)
            } else {
                // Combining marks (text typed in decomposed form) disappear; other letters are kept, lower-cased.
                if (0x300...0x36F).contains(v) { continue }
                out.append(contentsOf: String(Character(scalar)).lowercased().utf8)
            }
        }
        return out
    }

    /// Whether the folded `needle` occurs in `haystack` folded.
    public static func contains(_ haystack: some StringProtocol, folded needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        let h = fold(haystack)
        guard h.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = h.count - needle.count
        while i <= last {
            if h[i] == first && h[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
