/// The line an import's refusal ends with when it had more bad rows than it lists: «và 2000 dòng lỗi khác (chỉ báo
/// 10000 dòng đầu)». tiendod writes it; tiendoctl and tiendo-web read the count back from it, so that they say how
/// many rows are bad in all, not how many the refusal lists.
public enum ImportSummary {
    public static func message(more: Int, listed: Int) -> String {
        "và \(thousands(more)) dòng lỗi khác (chỉ báo \(thousands(listed)) dòng đầu)"
    }

    /// The number of rows a summary line says it leaves out; nil for any other message.
    public static func more(in message: String) -> Int? {
        guard message.hasPrefix("và "), message.hasSuffix(" dòng đầu)") else { return nil }
        return Int(String(message.dropFirst(3).prefix { $0.isNumber || $0 == "." }.filter(\.isNumber)))
    }

    /// `12.000`, as Vietnamese write counts.
    static func thousands(_ n: Int) -> String {
        var out = ""
        for (i, c) in String(n).reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(".") }
            out.append(c)
        }
        return String(out.reversed())
    }
}
