import Foundation
import Yams

/// A YAML node with its source position. Scalars keep their source text: the contract's schema, not YAML 1.1
/// type guessing, decides what they mean (`on` is a key, `17:00` a time, `2026:` a year).
package struct YPair {
    package var key: YNode
    package var value: YNode
}

package indirect enum YNode {
    case scalar(String, plain: Bool, Position)
    case mapping([YPair], Position)
    case sequence([YNode], Position)

    package var position: Position {
        switch self {
        case .scalar(_, _, let p), .mapping(_, let p), .sequence(_, let p): return p
        }
    }

    package var kindName: String {
        switch self {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    package var text: String? { if case .scalar(let s, _, _) = self { return s } else { return nil } }

    /// A plain empty scalar, `~` or `null`.
    package var isNull: Bool {
        if case .scalar(let s, let plain, _) = self { return plain && (s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL") }
        return false
    }

    package var pairs: [YPair]? { if case .mapping(let p, _) = self { return p } else { return nil } }
    package var items: [YNode]? { if case .sequence(let i, _) = self { return i } else { return nil } }
}

package enum YAMLLoadError: Error {
    case diagnostic(Position, String)
}

package enum YAMLTree {
    /// Parses one YAML document from raw bytes. Non-UTF-8 input, empty files, syntax errors and duplicate keys
    /// are reported with their line and column; so are anchors, aliases and files beyond `DefinitionLimits`, before
    /// anything is composed.
    package static func load(bytes: [UInt8]) throws(YAMLLoadError) -> YNode {
        if bytes.count > DefinitionLimits.fileBytes { throw .diagnostic(Position(line: 1, column: 1), tooLarge) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .diagnostic(firstInvalidUTF8(bytes), "file is not valid UTF-8")
        }
        var body = text
        if body.hasPrefix("\u{FEFF}") { body.removeFirst() }
        if body.allSatisfy({ $0.isWhitespace }) { throw .diagnostic(Position(line: 1, column: 1), "file is empty") }
        let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        if let refused = YAMLGuard.check(utf8: bytes[bom...]) { throw refused }
        let node: Node?
        do {
            // No tag resolution: the contract's schema reads every scalar from its text, so YAML 1.1 guessing (a
            // regular expression per plain scalar) would only cost time, and `1` and "1" are the same key.
            node = try Yams.compose(yaml: body, .basic)
        } catch let e as YamlError {
            throw translate(e, body)
        } catch {
            throw .diagnostic(Position(line: 1, column: 1), "cannot parse YAML: \(error)")
        }
        guard let node else {
            throw .diagnostic(Position(line: 1, column: 1), "file has no YAML document (only comments?)")
        }
        return try convert(node)
    }

    static let tooLarge =
        "file is larger than \(DefinitionLimits.fileBytes >> 20) MiB (\(DefinitionLimits.fileBytes) bytes), the limit for a "
        + "workflow or calendar file"

    static func convert(_ node: Node) throws(YAMLLoadError) -> YNode {
        let pos = node.mark.map { Position(line: $0.line, column: $0.column) } ?? Position(line: 1, column: 1)
        switch node {
        case .scalar(let s):
            // In NFC, as data typed by people is stored: a title saved by an editor in decomposed form came out in
            // records that a search typed the usual way («Tiếp nhận») did not find (authoring audit, 07/12/2026).
            return .scalar(FieldDefinition.composed(s.string), plain: s.style == .plain, pos)
        case .mapping(let m):
            var out: [YPair] = []
            for (k, v) in m { out.append(YPair(key: try convert(k), value: try convert(v))) }
            return .mapping(out, pos)
        case .sequence(let s):
            var out: [YNode] = []
            for v in s { out.append(try convert(v)) }
            return .sequence(out, pos)
        case .alias:
            throw .diagnostic(pos, "YAML aliases are not supported in workflow files")
        }
    }

    /// A value that starts with `{` and goes on after its `}` (`default: {nam}-01-01`, a derived default left unquoted)
    /// is a YAML mapping followed by text, which YAML's own words do not explain.
    static func braceHint(line: Int, in text: String) -> String {
        guard line >= 1, let row = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(line - 1).first,
            row.range(of: #":\s*\{[^}]*\}[^\s,}]"#, options: .regularExpression) != nil
        else { return "" }
        return "; a value that starts with '{' is read as a mapping: quote it (default: \"{nam}-01-01\")"
    }

    /// What the commonest slips of someone writing YAML by hand look like, where the parser's words do not say it: a
    /// tab in an indentation, a value holding «: » (`title: Bước 2: nộp hồ sơ`), a value starting with `[`.
    static func syntaxHint(_ problem: String, line: Int, in text: String) -> String {
        guard line >= 1, let row = text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(line - 1).first else {
            return ""
        }
        if row.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") {
            return "; line \(line) is indented with a tab: indent with spaces only"
        }
        if problem.hasPrefix("mapping values are not allowed"),
            row.range(of: #"^\s*-?\s*[A-Za-z0-9_.-]+:\s+[^"'\s].*:(\s|$)"#, options: .regularExpression) != nil
        {
            return "; a value containing ': ' must be in quotes (title: \"Bước 2: nộp hồ sơ\")"
        }
        if row.range(of: #"^\s*-?\s*[A-Za-z0-9_.-]+:\s+[\[{][^\]}]*[\]}]\s*[^\s,\]}#]"#, options: .regularExpression) != nil {
            return "; a value starting with '[' or '{' is read as a list or a mapping: put it in quotes"
        }
        return ""
    }

    static func translate(_ e: YamlError, _ text: String) -> YAMLLoadError {
        func pos(_ m: Mark) -> Position { Position(line: max(1, m.line), column: max(1, m.column)) }
        switch e {
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _),
            .composer(let ctx, let problem, let mark, _):
            let where_ = ctx.map { pos($0.mark) } ?? pos(mark)
            var message = "invalid YAML: \(problem)"
            if let ctx { message += " (\(ctx.text) at line \(ctx.mark.line), column \(ctx.mark.column))" }
            if ctx != nil { message += "; the problem is at line \(mark.line), column \(mark.column)" }
            let brace = braceHint(line: mark.line, in: text)
            message += brace.isEmpty ? syntaxHint(problem, line: mark.line, in: text) : brace
            return .diagnostic(where_, message)
        case .duplicatedKeysInMapping(let dups, let ctx):
            let key = dups.first ?? "?"
            let first = pos(ctx.mark)
            let second = secondOccurrence(of: key, after: first, in: text) ?? flowOccurrence(of: key, after: first, in: text) ?? first
            return .diagnostic(second, "duplicate key '\(key)' (first at line \(first.line))")
        case .reader(let problem, let offset, _, _):
            return .diagnostic(position(ofUTF8Offset: offset ?? 0, in: text), "invalid input: \(problem)")
        default:
            return .diagnostic(Position(line: 1, column: 1), "invalid YAML: \(e)")
        }
    }

    /// Finds a later line where `key:` starts at the same column as the first occurrence (block mappings).
    static func secondOccurrence(of key: String, after first: Position, in text: String) -> Position? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line - 1 < lines.count else { return nil }
        let indent = first.column - 1
        var line = first.line
        while line < lines.count {
            let l = lines[line]
            let scalars = Array(l.unicodeScalars)
            let leading = scalars.prefix { $0 == " " }.count
            if leading < indent, !l.trimmingCharacters(in: .whitespaces).isEmpty,
                !l.trimmingCharacters(in: .whitespaces).hasPrefix("#"), !l.trimmingCharacters(in: .whitespaces).hasPrefix("-")
            {
                return nil
            }
            if leading == indent {
                let rest = String(String.UnicodeScalarView(scalars.dropFirst(indent)))
                for candidate in [key + ":", "\"" + key + "\":", "'" + key + "':"] where rest.hasPrefix(candidate) {
                    return Position(line: line + 1, column: indent + 1)
                }
            }
            line += 1
        }
        return nil
    }

    /// Finds the next `key:` after the first occurrence in flow style (`{a: 1, a: 2}`): the key follows `{`, `,`
    /// or the start of a line, and is followed by `:`.
    static func flowOccurrence(of key: String, after first: Position, in text: String) -> Position? {
        let s = Array(text.unicodeScalars)
        var line = 1
        var col = 1
        var i = 0
        while i < s.count, (line, col) < (first.line, first.column) {
            if s[i] == "\n" {
                line += 1
                col = 1
            } else {
                col += 1
            }
            i += 1
        }
        var boundary = false  // inside the first key: not a boundary
        while i < s.count {
            if boundary {
                for candidate in [key, "\"" + key + "\"", "'" + key + "'"] {
                    let c = Array(candidate.unicodeScalars)
                    guard i + c.count <= s.count, Array(s[i..<(i + c.count)]) == c else { continue }
                    var j = i + c.count
                    while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
                    if j < s.count, s[j] == ":" { return Position(line: line, column: col) }
                }
            }
            let ch = s[i]
            if ch == "{" || ch == "," || ch == "\n" {
                boundary = true
            } else if ch != " " && ch != "\t" {
                boundary = false
            }
            if ch == "\n" {
                line += 1
                col = 1
            } else {
                col += 1
            }
            i += 1
        }
        return nil
    }

    static func position(ofUTF8Offset offset: Int, in text: String) -> Position {
        var line = 1
        var col = 1
        var count = 0
        for s in text.unicodeScalars {
            if count >= offset { break }
            count += String(s).utf8.count
            if s == "\n" {
                line += 1
                col = 1
            } else {
                col += 1
            }
        }
        return Position(line: line, column: col)
    }

    package static func firstInvalidUTF8(_ bytes: [UInt8]) -> Position {
        var line = 1
        var lineStart = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let len: Int
            if b < 0x80 {
                len = 1
            } else if b & 0xE0 == 0xC0, b >= 0xC2 {
                len = 2
            } else if b & 0xF0 == 0xE0 {
                len = 3
            } else if b & 0xF8 == 0xF0, b <= 0xF4 {
                len = 4
            } else {
                break
            }
            if len > 1 {
                if i + len > bytes.count { break }
                let chunk = Array(bytes[i..<(i + len)])
                if String(validating: chunk, as: UTF8.self) == nil { break }
            }
            if b == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += len
        }
        let prefix = Array(bytes[lineStart..<min(i, bytes.count)])
        let col = (String(validating: prefix, as: UTF8.self)?.unicodeScalars.count ?? (i - lineStart)) + 1
        return Position(line: line, column: col)
    }
}

/// Reads a mapping against a set of allowed keys, reporting unknown keys (with a hint) and duplicates.
package struct MappingReader {
    let node: YNode
    let sink: DiagnosticSink
    let context: String
    private(set) var values: [String: YPair] = [:]
    private(set) var order: [String] = []

    /// `belongElsewhere`: keys that are not this mapping's but another's inside it (a state's `remind`, which is its
    /// deadline's), said where they go.
    package init?(_ node: YNode, sink: DiagnosticSink, context: String, allowed: [String], belongElsewhere: [String: String] = [:]) {
        self.node = node
        self.sink = sink
        self.context = context
        guard case .mapping(let pairs, _) = node else {
            sink.error(node.position, "\(context) must be a mapping, found \(node.kindName)")
            return nil
        }
        // A misspelt key (`field:`, `inital:`, `titel:`) is an error, and its value is then read as the key it
        // resembles when that one is absent, so that the diagnostics after it are about the file, not about the
        // typo: read as missing, `field:` made every field reference an error and every state unreachable (30
        // errors and 9 untrue warnings for one letter: authoring audit, 07/12/2026). The file stays refused.
        var misspelt: [(String, YPair)] = []
        var unknown = 0
        for pair in pairs {
            let (k, v) = (pair.key, pair.value)
            guard let name = k.text else {
                sink.error(k.position, "keys in \(context) must be scalars")
                continue
            }
            if name.hasPrefix("x-") { continue }
            if !allowed.contains(name), let home = belongElsewhere[name] {
                sink.error(k.position, "unknown key '\(name)' in \(context): it goes under \(home)")
                continue
            }
            if !allowed.contains(name) {
                // Looked for among the first unknown keys only: a mapping of a hundred thousand of them is not a
                // typo, and each look costs an edit distance per allowed key (the messages past the sink's limit are
                // never written, so their hints were never computed either).
                unknown += 1
                guard unknown <= DefinitionLimits.diagnosticsPerFile else {
                    sink.error(k.position, "unknown key '\(name)' in \(context)\(didYouMean(name, allowed))")
                    continue
                }
                let meant = closestName(name, allowed)
                sink.error(k.position, "unknown key '\(name)' in \(context)\(didYouMean(meant))")
                if let meant { misspelt.append((meant, YPair(key: k, value: v))) }
                continue
            }
            values[name] = YPair(key: k, value: v)
            order.append(name)
        }
        for (meant, pair) in misspelt where values[meant] == nil {
            values[meant] = pair
            order.append(meant)
        }
    }

    package subscript(_ key: String) -> YNode? {
        guard let v = values[key]?.value, !v.isNull else { return nil }
        return v
    }

    package func keyNode(_ key: String) -> YNode? { values[key]?.key }

    package func require(_ key: String) -> YNode? {
        if let v = self[key] { return v }
        if let present = values[key] {
            sink.error(present.value.position, "'\(key)' in \(context) must have a value")
        } else {
            sink.error(node.position, "missing required key '\(key)' in \(context)")
        }
        return nil
    }

    /// A `title` people read (of the workflow, a field, a state, a milestone): a string with more than spaces in it.
    /// `title: ""` made every message read «Quá hạn 1 ngày: «» (…)».
    package func title(required: Bool) -> String? {
        guard let text = required ? require("title").flatMap({ _ in string("title") }) : string("title") else { return nil }
        if text.allSatisfy(\.isWhitespace) {
            sink.error(
                self["title"]!.position,
                "'title' in \(context) is empty: it is what people read; write one\(required ? "" : " or leave it out")")
            return nil
        }
        // On one line: a title written as a YAML block (`title: >` or `|`) put its line breaks into every message, the
        // journal and e-mails (audit, 07/12/2026); a description keeps its lines.
        return text.onOneLine
    }

    package func string(_ key: String) -> String? {
        guard let v = self[key] else { return nil }
        guard let s = v.text else {
            sink.error(v.position, "'\(key)' in \(context) must be a string, found \(v.kindName)")
            return nil
        }
        return s
    }
}

extension YNode {
    /// The entries of a mapping whose keys are user names (states, fields, milestones, events), with duplicate and
    /// non-scalar key checks already done by Yams.
    package func namedEntries(sink: DiagnosticSink, context: String) -> [(name: String, key: YNode, value: YNode)] {
        guard case .mapping(let pairs, _) = self else {
            sink.error(position, "\(context) must be a mapping, found \(kindName)")
            return []
        }
        var out: [(String, YNode, YNode)] = []
        for pair in pairs {
            let (k, v) = (pair.key, pair.value)
            guard let name = k.text else {
                sink.error(k.position, "keys in \(context) must be scalars")
                continue
            }
            out.append((name, k, v))
        }
        return out
    }

    /// A scalar or a list of scalars, as a list.
    package func scalarList(sink: DiagnosticSink, context: String) -> [(String, Position)]? {
        switch self {
        case .scalar(let s, _, let p): return [(s, p)]
        case .sequence(let items, _):
            var out: [(String, Position)] = []
            for i in items {
                guard let t = i.text else {
                    sink.error(i.position, "items of \(context) must be scalars, found \(i.kindName)")
                    return nil
                }
                out.append((t, i.position))
            }
            return out
        case .mapping(_, let p):
            sink.error(p, "\(context) must be a list, found a mapping")
            return nil
        }
    }
}

package func parseInt(_ s: String) -> Int? {
    var digits = Substring(s)
    if digits.hasPrefix("-") || digits.hasPrefix("+") { digits = digits.dropFirst() }
    // Digits only after the sign (no `0x`, no `_`), and the sign kept for `Int`'s own parse, so that
    // -9223372036854775808 reads as the integer it is rather than overflowing as a negated positive.
    guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    return Int(s.hasPrefix("+") ? String(s.dropFirst()) : s)
}
