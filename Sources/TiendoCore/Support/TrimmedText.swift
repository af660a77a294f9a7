extension StringProtocol {
    /// The text without the white space (Unicode's, NBSP included: spreadsheets and browsers put them there) at
    /// either end, as a form's or a sheet's cell is read.
    public var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    /// The text on one line: runs of white space (spaces, tabs, line breaks) made one space, none at either end. A
    /// title written as a YAML block, a chi bộ pasted from a cell with a line break, a name typed with two spaces.
    public var onOneLine: String { split(whereSeparator: \.isWhitespace).joined(separator: " ") }

    /// Text someone typed, as a log line may quote it: control characters (a newline would start a line of its own
    /// that reads like another entry: «… đăng nhập thất bại cho 'x⏎… admin đăng nhập từ 10.0.0.5'») and invisible
    /// format characters (a right-to-left override reverses what follows) written as `\u{…}`, the rest as typed.
    public var loggable: String {
        var out = ""
        for u in unicodeScalars {
            switch u.value {
            case 0..<0x20, 0x7F..<0xA0, 0x200B...0x200F, 0x202A...0x202E, 0x2028, 0x2029, 0x2060...0x2069, 0xFEFF:
                out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
