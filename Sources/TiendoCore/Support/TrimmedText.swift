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
}
