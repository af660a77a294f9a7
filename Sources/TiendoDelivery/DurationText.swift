/// Durations as people write them in the routing file and on the command line: `30s`, `5min`, `2h`, `1d`.
public enum DurationText {
    static let units: [String: Int64] = ["s": 1, "min": 60, "h": 3600, "d": 86_400]

    /// Whole seconds, at least one; nil when malformed.
    public static func seconds(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard let n = Int64(digits), n > 0, let u = units[String(text.dropFirst(digits.count))] else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: u)
        return overflow ? nil : v
    }
}
