/// Text inside URLs: tiendo-web's links and the e-mails that point to its pages.
public enum URLText {
    /// Percent-encodes everything but unreserved characters (RFC 3986): a chi bộ's name in a query, a path segment.
    /// Written out rather than Foundation's `addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)`, which keeps
    /// `&`, `=` and `+`, which a query value must not hold bare.
    public static func percentEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(b >> 4)]) + String(hex[Int(b & 15)])
            }
        }
        return out
    }

    /// A query value as a form writes it: `percentEncoded`, but a space as `+` (tiendo-web reads both). In a mail's
    /// plain text, where people read the address, `…s%E1%BB%91%203` could be read as «số 203»; `…s%E1%BB%91+3` cannot.
    public static func queryValue(_ s: String) -> String {
        s.split(separator: " ", omittingEmptySubsequences: false).map { percentEncoded(String($0)) }.joined(separator: "+")
    }
}
