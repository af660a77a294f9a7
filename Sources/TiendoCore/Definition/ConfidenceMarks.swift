/// The confidence marks of the workflows' legal text (`[H]`, `[M]`, `[L]`, `[UNCONFIRMED]`, as in the domain
/// reference) in words for people: the web page's guidance and the e-mails say them the same way.
public enum ConfidenceMarks {
    /// Each mark's words (none for `[H]`, a fact confirmed by the text) and the longer reason behind them.
    public static let words: [String: (short: String, why: String)] = [
        "[H]": ("", ""),
        "[M]": ("một nguồn, cần đối chiếu", "Mới đối chiếu với một nguồn; nên kiểm tra lại với văn bản gốc"),
        "[L]": ("chưa có văn bản xác nhận", "Suy ra, chưa có văn bản xác nhận; nên kiểm tra lại"),
        "[UNCONFIRMED]": ("chưa xác nhận được", "Chưa tìm được văn bản xác nhận điều này; nên kiểm tra lại"),
    ]

    /// The text in pieces, in order: runs of text, each followed by the mark that ends it (nil for the last run). A
    /// run before a mark without words loses its final space.
    public static func pieces(_ text: String) -> [(text: String, mark: String?)] {
        func next(_ rest: Substring) -> (String, Range<Substring.Index>)? {
            words.keys.compactMap { m in rest.range(of: m).map { (m, $0) } }.min { $0.1.lowerBound < $1.1.lowerBound }
        }
        var out: [(String, String?)] = []
        var rest = Substring(text)
        while let (mark, range) = next(rest) {
            var before = rest[..<range.lowerBound]
            if words[mark]!.short.isEmpty, before.hasSuffix(" ") { before = before.dropLast() }
            out.append((String(before), mark))
            rest = rest[range.upperBound...]
        }
        out.append((String(rest), nil))
        return out
    }

    /// Plain text with each mark in words: `… Điều 8 [M]` → `… Điều 8 (một nguồn, cần đối chiếu)`.
    public static func plain(_ text: String) -> String {
        pieces(text).map { p in p.text + (p.mark.flatMap { m in words[m].map { $0.short.isEmpty ? "" : "(\($0.short))" } } ?? "") }
            .joined()
    }
}
