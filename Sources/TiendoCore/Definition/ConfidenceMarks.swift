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
    /// run before a mark without words loses its final space, one before a mark with words gets one (`8.1[M]` reads
    /// `8.1 (…)`), and the text does not begin with a space a leading mark left.
    public static func pieces(_ text: String) -> [(text: String, mark: String?)] {
        func next(_ rest: Substring) -> (String, Range<Substring.Index>)? {
            words.keys.compactMap { m in rest.range(of: m).map { (m, $0) } }.min { $0.1.lowerBound < $1.1.lowerBound }
        }
        var out: [(String, String?)] = []
        var rest = Substring(text)
        var atStart = true
        func run(_ s: Substring) -> String { atStart ? String(s.drop { $0 == " " }) : String(s) }
        while let (mark, range) = next(rest) {
            var before = run(rest[..<range.lowerBound])
            if words[mark]!.short.isEmpty {
                if before.hasSuffix(" ") { before.removeLast() }
            } else if !before.isEmpty, !before.hasSuffix(" ") {
                before += " "
            }
            out.append((before, mark))
            atStart = atStart && before.isEmpty && words[mark]!.short.isEmpty
            rest = rest[range.upperBound...]
        }
        out.append((run(rest), nil))
        return out
    }

    /// Plain text with each mark in words: `… Điều 8 [M]` → `… Điều 8 (một nguồn, cần đối chiếu)`.
    public static func plain(_ text: String) -> String {
        pieces(text).map { p in p.text + (p.mark.flatMap { m in words[m].map { $0.short.isEmpty ? "" : "(\($0.short))" } } ?? "") }
            .joined()
    }
}
