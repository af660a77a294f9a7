extension StringProtocol {
    /// The text without the white space (Unicode's, NBSP included: spreadsheets and browsers put them there) at
    /// either end, as a form's or a sheet's cell is read.
    public var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
