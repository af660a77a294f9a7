/// A problem found in a definition file, positioned like a compiler message.
public struct Diagnostic: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var file: String
    public var line: Int
    public var column: Int
    public var severity: Severity
    public var message: String
    /// The problems this one stands for when it is the «N more … not shown» line that ends a file's list (nil for a
    /// problem of its own): what a count of errors and warnings adds instead of one.
    public var omitted: Omitted?

    public struct Omitted: Hashable, Sendable, Codable {
        public var errors: Int
        public var warnings: Int
    }

    public init(file: String, line: Int, column: Int, severity: Severity, message: String, omitted: Omitted? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.omitted = omitted
    }

    /// How many errors and warnings `diagnostics` tell of, counting the problems a «not shown» line stands for.
    public static func counts(_ diagnostics: [Diagnostic]) -> (errors: Int, warnings: Int) {
        diagnostics.reduce(into: (errors: 0, warnings: 0)) { sum, d in
            if let o = d.omitted {
                sum.errors += o.errors
                sum.warnings += o.warnings
            } else if d.severity == .error {
                sum.errors += 1
            } else {
                sum.warnings += 1
            }
        }
    }

    /// `FILE:LINE:COLUMN: error|warning: message`
    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }

    /// The contract's `type Diagnostic` (varlink replies, status files): its five fields.
    public var json: JSON {
        .object([
            ("file", .string(file)), ("line", .int(line)), ("column", .int(column)),
            ("severity", .string(severity.rawValue)), ("message", .string(message)),
        ])
    }
}

/// Collects diagnostics for one file. Only the first `DefinitionLimits.diagnosticsPerFile` are kept (their messages
/// are built lazily, so a file of 100,000 unknown names costs no "did you mean" search beyond them); the others are
/// counted and summed up in one final diagnostic.
package final class DiagnosticSink {
    package let file: String
    private var kept: [Diagnostic] = []
    private var firstDropped: Position?
    private var droppedErrors = 0
    private var droppedWarnings = 0
    package init(file: String) { self.file = file }

    package var hasErrors: Bool { droppedErrors > 0 || kept.contains { $0.severity == .error } }

    /// The kept diagnostics, then "N more" at the first one that was dropped.
    package var items: [Diagnostic] {
        guard let at = firstDropped else { return kept }
        let n = droppedErrors + droppedWarnings
        let what = droppedErrors == 0 ? "warnings" : droppedWarnings == 0 ? "errors" : "problems (\(droppedErrors) errors)"
        return kept + [
            Diagnostic(
                file: file, line: at.line, column: at.column, severity: droppedErrors > 0 ? .error : .warning,
                message: "\(n) more \(what) in this file not shown (only the first \(kept.count) found are)",
                omitted: Diagnostic.Omitted(errors: droppedErrors, warnings: droppedWarnings))
        ]
    }

    package func error(_ at: Position, _ message: @autoclosure () -> String) { add(.error, at, message) }
    package func warning(_ at: Position, _ message: @autoclosure () -> String) { add(.warning, at, message) }

    private func add(_ severity: Diagnostic.Severity, _ at: Position, _ message: () -> String) {
        guard kept.count < DefinitionLimits.diagnosticsPerFile else {
            if firstDropped == nil { firstDropped = at }
            if severity == .error { droppedErrors += 1 } else { droppedWarnings += 1 }
            return
        }
        kept.append(Diagnostic(file: file, line: at.line, column: at.column, severity: severity, message: message()))
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

/// " (did you mean 'x'?)" when a candidate is close to `name`, else "". At most
/// `DefinitionLimits.suggestionCandidates` candidates are compared, each in time linear in the names' lengths.
package func didYouMean(_ name: String, _ candidates: some Sequence<String>) -> String {
    didYouMean(closestName(name, candidates))
}

/// " (did you mean 'x'?)" for a name already found, "" for none.
package func didYouMean(_ meant: String?) -> String {
    meant.map { " (did you mean '\($0)'?)" } ?? ""
}

/// `didYouMean` for messages people read in Vietnamese: « (có phải 'khong-dat'?)».
package func vietnameseSuggestion(_ name: String, _ candidates: some Sequence<String>) -> String {
    closestName(name, candidates).map { " (có phải '\($0)'?)" } ?? ""
}

/// The candidate closest to `name` within a few edits, nil for none.
package func closestName(_ name: String, _ candidates: some Sequence<String>) -> String? {
    let x = Array(name.unicodeScalars)
    var best: (String, Int)?
    for c in candidates.prefix(DefinitionLimits.suggestionCandidates) {
        let y = Array(c.unicodeScalars)
        // A hint needs at most 3 edits; fewer than the best so far to be better.
        let bound = min(best.map { $0.1 - 1 } ?? 3, max(1, min(3, (max(x.count, y.count) + 2) / 4)))
        guard bound >= 0, let d = editDistance(x, y, atMost: bound) else { continue }
        best = (c, d)
        if d == 0 { break }
    }
    return best?.0
}

/// Edit distance counting a swap of two adjacent characters as one edit (optimal string alignment), so that
/// the common typo `titel` is one edit from `title`.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars)
    let y = Array(b.unicodeScalars)
    return editDistance(x, y, atMost: max(x.count, y.count))!
}

/// The distance when it is at most `limit`, else nil; only cells within `limit` of the diagonal are computed, so the
/// cost is O(length × limit) and a long name against short candidates is rejected at once by the lengths.
func editDistance(_ x: [Unicode.Scalar], _ y: [Unicode.Scalar], atMost limit: Int) -> Int? {
    if abs(x.count - y.count) > limit { return nil }
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    let big = limit + 1
    var prev2 = [Int](repeating: big, count: y.count + 1)
    var prev = (0...y.count).map { $0 <= limit ? $0 : big }
    var cur = [Int](repeating: big, count: y.count + 1)
    for i in 1...x.count {
        let lo = max(1, i - limit)
        let hi = min(y.count, i + limit)
        cur[0] = i <= limit ? i : big
        if lo > 1 { cur[lo - 1] = big }
        var rowMin = cur[0]
        for j in lo...hi {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { v = min(v, prev2[j - 2] + 1) }
            cur[j] = min(v, big)
            rowMin = min(rowMin, cur[j])
        }
        if hi < y.count { cur[hi + 1] = big }
        if rowMin > limit { return nil }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[y.count] <= limit ? prev[y.count] : nil
}

/// Several diagnostics as one error (import and event files: every bad row is reported).
public struct DiagnosticList: Error, Sendable {
    public var items: [Diagnostic]
    public init(items: [Diagnostic]) { self.items = items }
}
