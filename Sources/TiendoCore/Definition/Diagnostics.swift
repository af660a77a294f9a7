/// A problem found in a definition file, positioned like a compiler message.
public struct Diagnostic: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String

    public init(file: String, line: Int, column: Int, severity: Severity, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
    }

    /// `FILE:LINE:COLUMN: error|warning: message`
    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }

    public var json: JSON {
        .object([
            ("file", .string(file)), ("line", .int(line)), ("column", .int(column)),
            ("severity", .string(severity.rawValue)), ("message", .string(message)),
        ])
    }
}

/// Collects diagnostics for one file.
final class DiagnosticSink {
    let file: String
    private(set) var items: [Diagnostic] = []
    init(file: String) { self.file = file }

    var hasErrors: Bool { items.contains { $0.severity == .error } }

    func error(_ at: Position, _ message: String) {
        items.append(Diagnostic(file: file, line: at.line, column: at.column, severity: .error, message: message))
    }
    func warning(_ at: Position, _ message: String) {
        items.append(Diagnostic(file: file, line: at.line, column: at.column, severity: .warning, message: message))
    }
}

public struct Position: Hashable, Sendable, Comparable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public static func < (a: Position, b: Position) -> Bool { (a.line, a.column) < (b.line, b.column) }
}

/// " (did you mean 'x'?)" when a candidate is close to `name`, else "".
func didYouMean(_ name: String, _ candidates: some Sequence<String>) -> String {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(name, c)
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (c, d) = best else { return "" }
    let limit = max(1, min(3, (max(name.count, c.count) + 2) / 4))
    return d <= limit ? " (did you mean '\(c)'?)" : ""
}

/// Edit distance counting a swap of two adjacent characters as one edit (optimal string alignment), so that
/// the common typo `titel` is one edit from `title`.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars)
    let y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev2 = [Int](repeating: 0, count: y.count + 1)
    var prev = Array(0...y.count)
    var cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { cur[j] = min(cur[j], prev2[j - 2] + 1) }
        }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[y.count]
}

/// Several diagnostics as one error (import and event files: every bad row is reported).
public struct DiagnosticList: Error, Sendable {
    public var items: [Diagnostic]
    public init(items: [Diagnostic]) { self.items = items }
}
