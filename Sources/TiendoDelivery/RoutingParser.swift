import Foundation
public import TiendoCore

/// Reads `delivery/routing.yaml` with the workflow files' YAML machinery and diagnostics (`FILE:LINE:COL`, unknown
/// keys with a did-you-mean), and checks it against the loaded workflows when they are given.
public enum RoutingParser {
    /// Where the file lives inside a workflow directory.
    public static let relativePath = "delivery/routing.yaml"

    /// The first `DIR/delivery/routing.yaml` of the search path (the first directory wins, as for workflows).
    public static func find(searchPath: [String]) -> String? {
        for dir in searchPath {
            let p = (dir as NSString).appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// Reads and checks a routing file. `definitions`, when given, checks workflow ids, fields and groups;
    /// `readFile` reads the file and the recipient lists it names (a snapshot keeps what it read).
    public static func load(
        file: String, definitions: DefinitionSet?,
        readFile: (String) -> [UInt8]? = RoutingParser.readFromDisk
    ) -> (Routing?, [Diagnostic]) {
        guard let bytes = readFile(file) else {
            return (
                nil, [Diagnostic(file: file, line: 1, column: 1, severity: .error, message: "cannot read file: \(whyUnreadable(file))")]
            )
        }
        return parse(bytes: bytes, file: file, definitions: definitions, readFile: readFile)
    }

    /// Why `path` cannot be read, in the operator's terms: «no file» sent one looking for a typo in a name that was
    /// right, when the file was a directory or this user's permission was missing (audit, 07/12/2026).
    public static func whyUnreadable(_ path: String) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { return errno == ENOENT ? "no such file" : ErrnoText.describe(errno) }
        if st.st_mode & S_IFMT == S_IFDIR { return "it is a directory" }
        if access(path, R_OK) != 0 {
            let mode = String(st.st_mode & 0o777, radix: 8)
            return "this user (uid \(geteuid())) may not read it (mode \(mode), owner uid \(st.st_uid)): "
                + "tiendod reads it as user tiendo, tiendo-deliver as tiendo-deliver (group tiendo)"
        }
        return "it could not be read"
    }

    /// A file's bytes, nil when it cannot be read.
    public static func readFromDisk(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

    /// Checks a routing file's bytes; `readFile` reads the recipient CSV files (paths relative to its directory).
    public static func parse(
        bytes: [UInt8], file: String, definitions: DefinitionSet?, readFile: (String) -> [UInt8]?
    ) -> (Routing?, [Diagnostic]) {
        let sink = DiagnosticSink(file: file)
        let root: YNode
        do {
            root = try YAMLTree.load(bytes: bytes)
        } catch {
            if case .diagnostic(let p, let m) = error { sink.error(p, m) }
            return (nil, sink.items)
        }
        let topKeys = [
            "tiendo", "from", "message_host", "web", "contact", "quiet_hours", "digest", "channels", "recipients", "routes",
        ]
        guard let top = MappingReader(root, sink: sink, context: "the routing file", allowed: topKeys) else {
            return (nil, sink.items)
        }
        if let v = top.require("tiendo"), v.text != "1" {
            sink.error(v.position, "unsupported format version '\(v.text ?? v.kindName)': 'tiendo' must be 1")
        }
        var sender: Mailbox?
        if let f = top.require("from") {
            if let t = f.text {
                switch Mailbox.parse(t) {
                case .success(let m): sender = m
                case .failure(let p): sink.error(f.position, "'from': \(p.reason)")
                }
            } else {
                sink.error(f.position, "'from' must be a string, found \(f.kindName)")
            }
        }
        var host = sender?.domain ?? "localhost"
        if let h = top["message_host"] {
            if let t = h.text, isHostName(t) {
                host = t
            } else {
                sink.error(h.position, "'message_host' must be a host name such as tiendo.example.vn")
            }
        }
        var web: String?
        if let w = top["web"] {
            if let t = w.text, let address = webAddress(t) {
                web = address
            } else {
                sink.error(w.position, "'web' must be tiendo-web's address as recipients reach it, such as https://tiendo.example.vn")
            }
        }
        var contact: String?
        if let c = top["contact"] {
            // One line of words: the footer's sentence ends with it.
            if let t = c.text?.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty, !t.contains("\n"), t.count <= 200 {
                contact = t
            } else {
                sink.error(
                    c.position,
                    "'contact' must be one line of at most 200 characters saying whom to ask, such as 'Văn phòng Đảng ủy phường, 024 3823 4567'"
                )
            }
        }
        let quiet = top["quiet_hours"].map { parseQuietHours($0, sink: sink) } ?? .standard
        let digest = top["digest"].map { parseDigest($0, sink: sink) } ?? .standard
        if digest.at.minutes < quiet.start.minutes || digest.at.minutes >= quiet.end.minutes {
            sink.warning(
                top["digest"]?.position ?? root.position,
                "digests at \(digest.at) fall outside the sending hours \(quiet.start)-\(quiet.end)")
        }
        var channels: [String: ChannelDefinition] = [:]
        var order: [String] = []
        var broken = Set<String>()
        if let c = top.require("channels") {
            for (name, key, value) in c.namedEntries(sink: sink, context: "'channels'") {
                guard isIdentifier(name) else {
                    sink.error(key.position, "invalid channel name '\(name)': must match ^[a-z0-9][a-z0-9-]*$")
                    continue
                }
                if let ch = ChannelParser.parse(name: name, node: value, key: key, sink: sink) {
                    channels[name] = ch
                    order.append(name)
                } else {
                    broken.insert("channel:" + name)
                }
            }
        }
        var lists: [String: RecipientList] = [:]
        var listProblems: [Diagnostic] = []
        if let r = top["recipients"] {
            let dir = (file as NSString).deletingLastPathComponent
            for (name, key, value) in r.namedEntries(sink: sink, context: "'recipients'") {
                guard isIdentifier(name) else {
                    sink.error(key.position, "invalid recipient list name '\(name)': must match ^[a-z0-9][a-z0-9-]*$")
                    continue
                }
                guard let rel = value.text else {
                    sink.error(value.position, "recipient list '\(name)' must name a CSV file, found \(value.kindName)")
                    continue
                }
                let path = rel.hasPrefix("/") ? rel : (dir as NSString).appendingPathComponent(rel)
                guard let csv = readFile(path) else {
                    sink.error(value.position, "cannot read recipient list '\(name)' \(path): \(whyUnreadable(path))")
                    broken.insert("list:" + name)
                    continue
                }
                let (list, problems) = RecipientsCSV.parse(bytes: csv, file: path, name: name)
                listProblems += problems
                if let list { lists[name] = list } else { broken.insert("list:" + name) }
            }
        }
        var routes: [Route] = []
        if let r = top.require("routes") {
            if let items = r.items {
                // `routes: []` passed check, validate and reload, and nothing was ever sent (audit, 07/12/2026).
                if items.isEmpty {
                    sink.warning(r.position, "'routes' is empty: no record is sent to anyone (add a route, or remove the routing file)")
                }
                let context = RouteParser(
                    sink: sink, channels: channels, broken: broken, lists: lists, definitions: definitions)
                for (i, item) in items.enumerated() {
                    guard let route = context.parse(item, index: i + 1) else { continue }
                    if let other = routes.first(where: { $0.name == route.name }) {
                        sink.error(route.position, "duplicate route name '\(route.name)' (first at line \(other.position.line))")
                        continue
                    }
                    routes.append(route)
                    // A digest made before the workflows' reminder time leaves each reminder for the next digest.
                    if route.mode == .digest, let defs = definitions {
                        let ids = route.workflows.map { Array($0) } ?? Array(defs.workflows.keys)
                        // At the same minute, the digest races the reminders written then (late ones go in a second
                        // message): a digest at the reminders' time is warned about too.
                        let later = ids.compactMap { defs.workflow($0) }.filter { $0.remindAt.minutes >= digest.at.minutes }
                        if let first = later.min(by: { $0.id < $1.id }) {
                            sink.warning(
                                route.position,
                                "route '\(route.name)' sends digests at \(digest.at), before the reminders of '\(first.id)' at "
                                    + "\(first.remindAt)\(later.count > 1 ? " (and \(later.count - 1) more workflows)" : ""): "
                                    + "each reminder reaches the next digest, \(route.digestSchedule(digest).every == .week ? "a week" : "a working day") later; "
                                    + "set digest.at later than \(later.map(\.remindAt).max(by: { $0.minutes < $1.minutes })!)")
                        }
                    }
                }
            } else {
                sink.error(r.position, "'routes' must be a list, found \(r.kindName)")
            }
        }
        let all = sink.items + listProblems
        guard !all.contains(where: { $0.severity == .error }), let sender else { return (nil, all) }
        let routing = Routing(
            file: file, sender: sender, messageHost: host, web: web, contact: contact, quietHours: quiet, digest: digest,
            channels: channels, channelOrder: order, lists: lists, routes: routes)
        return (routing, all)
    }

    static func parseQuietHours(_ node: YNode, sink: DiagnosticSink) -> QuietHours {
        var q = QuietHours.standard
        guard let m = MappingReader(node, sink: sink, context: "'quiet_hours'", allowed: ["send", "urgent"]) else { return q }
        if let s = m["send"] {
            let parts = (s.text ?? "").split(separator: "-").map { String($0).trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let a = TimeOfDay.parse(parts[0]), let b = TimeOfDay.parse(parts[1]), a.minutes < b.minutes {
                q.start = a
                q.end = b
            } else {
                sink.error(s.position, "'send' must be a window HH:MM-HH:MM with the start before the end, found '\(s.text ?? s.kindName)'")
            }
        }
        if let u = m["urgent"], let p = parsePriority(u, sink: sink, context: "'urgent'") { q.urgent = p }
        return q
    }

    static func parseDigest(_ node: YNode, sink: DiagnosticSink) -> DigestSchedule {
        var d = DigestSchedule.standard
        guard let m = MappingReader(node, sink: sink, context: "'digest'", allowed: ["at", "every"]) else { return d }
        if let a = m["at"] {
            if let t = a.text.flatMap(TimeOfDay.parse) {
                d.at = t
            } else {
                sink.error(a.position, "invalid time '\(a.text ?? a.kindName)' in 'digest.at': expected HH:MM from 00:00 to 23:59")
            }
        }
        if let e = m["every"] {
            let t = e.text ?? e.kindName
            if let p = DigestSchedule.Period(rawValue: t) {
                d.every = p
            } else {
                let names = DigestSchedule.Period.allCases.map(\.rawValue)
                sink.error(e.position, "'every' must be day or week, found '\(t)'\(didYouMean(t, names))")
            }
        }
        return d
    }

    static let priorityNames = ["emerg": 0, "alert": 1, "crit": 2, "err": 3, "warning": 4, "notice": 5, "info": 6, "debug": 7]

    /// A syslog priority by name (`warning`) or number (0–7).
    static func parsePriority(_ node: YNode, sink: DiagnosticSink, context: String) -> Int? {
        let t = node.text ?? node.kindName
        if let n = parseInt(t), (0...7).contains(n) { return n }
        if let n = priorityNames[t] { return n }
        let names = priorityNames.sorted { $0.value < $1.value }.map(\.key)
        sink.error(
            node.position,
            "\(context) must be a priority 0-7 or one of \(names.joined(separator: ", ")), found '\(t)'\(didYouMean(t, names))")
        return nil
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let f = s.utf8.first, (97...122).contains(f) || (48...57).contains(f) else { return false }
        return s.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
    }

    /// `http(s)://host[:port][/path]`, its trailing `/` dropped; nil for anything else. Checked by hand, narrowly:
    /// the address is written into every email's text and into an HTML `href`, so only a host name (or an IPv4
    /// address), a port 1–65535 and a path of letters, digits and `._~%-/` pass; no query, fragment, credentials,
    /// backslash, space or non-ASCII (an internationalised host in its `xn--` form).
    static func webAddress(_ s: String) -> String? {
        let lower = s.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lower.hasPrefix($0) }) else { return nil }
        let rest = s.dropFirst(scheme.count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...]
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let host = parts.first, isHostName(String(host)) else { return nil }
        if parts.count == 2 {
            guard let port = Int(parts[1]), (1...65535).contains(port), parts[1].allSatisfy(\.isASCII) else { return nil }
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~%-/")
        guard path.allSatisfy(allowed.contains) else { return nil }
        var out = s
        while out.hasSuffix("/") { out.removeLast() }
        return out
    }

    /// Letters, digits and hyphens in dot-separated labels (`localhost`, `smtp.hanoi.gov.vn`).
    static func isHostName(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { l in
            !l.isEmpty && l.utf8.count <= 63 && l.first != "-" && l.last != "-"
                && l.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 }
        }
    }
}
