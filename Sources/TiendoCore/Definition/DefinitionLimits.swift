internal import CYaml

/// Bounds on what one workflow or calendar file may contain, so that reading a hostile or broken file takes bounded
/// time and memory (README, "Limits"). The shipped files are at most 20 KB with fewer than 1,000 YAML nodes and a
/// nesting depth of 10; each limit is hundreds of times what a province's largest workflow needs.
public enum DefinitionLimits {
    /// Bytes in one file: 200 times the largest shipped workflow. Checked before the file is read further.
    public static let fileBytes = 4 << 20
    /// YAML nodes (scalars, lists, mappings) in one file: room for 12,500 states or milestones of 20 nodes each
    /// (the largest shipped workflow has 40). A file at the limit validates in about 2 s in a debug build.
    public static let nodes = 250_000
    /// Nesting of lists and mappings: the format needs about 12 (a guard's `in` list inside a branch of an event).
    public static let depth = 64
    /// Bytes in one scalar (a key, a title, a description, a legal citation): about 30 pages of text.
    public static let scalarBytes = 64 << 10
    /// Diagnostics reported for one file; the rest are counted in one final line ("… N more").
    public static let diagnosticsPerFile = 200
    /// Names compared for a "did you mean" hint: enough for any real misspelling, bounded for a file of thousands of
    /// unknown names.
    public static let suggestionCandidates = 2_000
    /// Entries of `follow_ups` in one workflow: the web's record page reads one record from tiendod for each the
    /// record's state offers. The shipped workflows have one each.
    public static let followUps = 16
}

/// Checks a YAML text with libyaml's event parser before anything composes it: refuses anchors and aliases (an
/// "alias bomb" of nested aliases expands exponentially in every composer, Yams included, which also hashes
/// shared nodes when it checks mapping keys for duplicates) and enforces `DefinitionLimits` on nodes, depth and
/// scalar length, with the position of the offending node. Memory stays constant: one event at a time.
///
/// Yams does not expose libyaml's events; its bundled copy (the `CYaml` module Yams builds and links) is the same
/// libyaml that Yams' own `compose` runs afterwards, so both passes read the text identically. A syntax error is
/// left to `compose`, whose message and position the rest of the loader already reports.
enum YAMLGuard {
    static func check(utf8 bytes: ArraySlice<UInt8>) -> YAMLLoadError? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .diagnostic(Position(line: 1, column: 1), "cannot parse YAML: out of memory")
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        return bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var nodes = 0
            var depth = 0
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                let at = Position(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                var anchor: UnsafeMutablePointer<yaml_char_t>?
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_ALIAS_EVENT:
                    return .diagnostic(at, "YAML alias '*\(name(event.data.alias.anchor))' is not supported: \(writeOut)")
                case YAML_SCALAR_EVENT:
                    anchor = event.data.scalar.anchor
                    if event.data.scalar.length > DefinitionLimits.scalarBytes {
                        return .diagnostic(
                            at,
                            "value of \(event.data.scalar.length) bytes is longer than the limit of "
                                + "\(DefinitionLimits.scalarBytes) bytes for one value")
                    }
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    anchor =
                        event.type == YAML_SEQUENCE_START_EVENT
                        ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    depth += 1
                    if depth > DefinitionLimits.depth { return .diagnostic(at, tooDeep) }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                    continue
                default:
                    continue
                }
                if let anchor {
                    return .diagnostic(at, "YAML anchor '&\(name(anchor))' is not supported: \(writeOut)")
                }
                nodes += 1
                if nodes > DefinitionLimits.nodes {
                    return .diagnostic(at, "more than \(DefinitionLimits.nodes) YAML nodes, the limit for one file")
                }
            }
            // libyaml's own nesting bound (1,000 levels, counted while it scans ahead) can stop it before ours.
            if let problem = parser.problem, String(cString: problem).hasPrefix("Maximum nesting level") {
                let at = parser.context_mark
                return .diagnostic(Position(line: Int(at.line) + 1, column: Int(at.column) + 1), tooDeep)
            }
            return nil  // a syntax error: `compose` reports it
        }
    }

    static let tooDeep = "lists and mappings nested deeper than the limit of \(DefinitionLimits.depth) levels"
    static let writeOut = "anchors and aliases are refused in workflow and calendar files; write the value out in full"

    /// An anchor's name for a message, shortened.
    static func name(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String {
        guard let p else { return "" }
        let s = String(cString: p)
        return s.count > 40 ? String(s.prefix(40)) + "…" : s
    }
}
