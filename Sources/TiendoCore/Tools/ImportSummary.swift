/// The line an import's refusal ends with when it had more bad rows than it lists: «và 2000 dòng lỗi khác (chỉ báo
/// 10000 dòng đầu)». tiendod writes it; tiendoctl and tiendo-web read the count back from it, so that they say how
/// many rows are bad in all, not how many the refusal lists.
public enum ImportSummary {
    public static func message(more: Int, listed: Int) -> String {
        "và \(Messages.count(more)) dòng lỗi khác (chỉ báo \(Messages.count(listed)) dòng đầu)"
    }

    /// The number of rows a summary line says it leaves out; nil for any other message.
    public static func more(in message: String) -> Int? {
        guard message.hasPrefix("và "), message.hasSuffix(" dòng đầu)") else { return nil }
        return Int(String(message.dropFirst(3).prefix { $0.isNumber || $0 == "." }.filter(\.isNumber)))
    }

}
