public import Foundation
import TiendoCore

/// Reads one entry of `channels:`: its type decides which keys it takes.
enum ChannelParser {
    static let common = ["type", "timeout", "rate", "burst", "concurrency"]
    static let keys: [ChannelDefinition.Kind: [String]] = [
        .smtp: ["host", "port", "security", "username", "password_file", "password_credential", "ca_file", "helo"],
        .sendmail: ["path"],
        .webhook: ["url", "secret_file", "secret_credential", "ca_file"],
    ]

    static func parse(name: String, node: YNode, key: YNode, sink: DiagnosticSink) -> ChannelDefinition? {
        let context = "channel '\(name)'"
        // The type first, so that the keys can be checked against it.
        guard let pairs = node.pairs else {
            sink.error(node.position, "\(context) must be a mapping, found \(node.kindName)")
            return nil
        }
        guard let typeNode = pairs.first(where: { $0.key.text == "type" })?.value, let t = typeNode.text else {
            sink.error(node.position, "missing required key 'type' in \(context) (smtp, sendmail or webhook)")
            return nil
        }
        let names = ChannelDefinition.Kind.allCases.map(\.rawValue)
        guard let kind = ChannelDefinition.Kind(rawValue: t) else {
            sink.error(typeNode.position, "unknown channel type '\(t)' in \(context)\(didYouMean(t, names)); use smtp, sendmail or webhook")
            return nil
        }
        guard let m = MappingReader(node, sink: sink, context: "\(context) (type \(t))", allowed: common + keys[kind]!) else {
            return nil
        }
        let before = sink.items.count
        var ch = ChannelDefinition(
            name: name, kind: kind, host: nil, port: nil, security: .starttls, username: nil, password: nil, caFile: nil,
            helo: nil, path: nil, url: nil, secret: nil, timeout: 60, rate: nil, concurrency: 1, position: key.position)
        if let n = m["timeout"] {
            ch.timeout = duration(n, sink: sink, context: "'timeout' of \(context)") ?? ch.timeout
            // Each wait on a relay holds a worker, and a stop waits for the message in flight (TimeoutStopSec=150s): a
            // timeout of 1000d was taken (audit, 07/12/2026).
            if !(1...600).contains(ch.timeout) {
                sink.error(n.position, "'timeout' of \(context) must be between 1s and 10min, found '\(n.text ?? "")'")
            }
        }
        if let r = m["rate"] { ch.rate = rate(r, sink: sink, context: context) }
        if let b = m["burst"] {
            if ch.rate == nil { sink.error(b.position, "'burst' of \(context) needs 'rate'") }
            if let v = b.text.flatMap(parseInt), (1...10_000).contains(v) {
                ch.rate?.burst = v
            } else {
                sink.error(b.position, "'burst' of \(context) must be an integer from 1 to 10000")
            }
        }
        if let c = m["concurrency"] {
            if let v = c.text.flatMap(parseInt), (1...64).contains(v) {
                ch.concurrency = v
            } else {
                sink.error(c.position, "'concurrency' of \(context) must be an integer from 1 to 64")
            }
        }
        switch kind {
        case .smtp:
            ch.host = m.require("host").flatMap { h in
                guard let t = h.text, RoutingParser.isHostName(t) || ChannelDefinition.isIPAddress(t) else {
                    sink.error(h.position, "'host' of \(context) must be a host name or an IP address")
                    return nil
                }
                return t
            }
            if let s = m["security"] {
                let v = s.text ?? s.kindName
                if let sec = ChannelDefinition.Security(rawValue: v) {
                    ch.security = sec
                } else {
                    let all = ChannelDefinition.Security.allCases.map(\.rawValue)
                    sink.error(s.position, "'security' of \(context) must be starttls, tls or none, found '\(v)'\(didYouMean(v, all))")
                }
            }
            ch.port = ch.security == .tls ? 465 : 587
            if let p = m["port"] {
                if let v = p.text.flatMap(parseInt), (1...65_535).contains(v) {
                    ch.port = v
                } else {
                    sink.error(p.position, "'port' of \(context) must be an integer from 1 to 65535")
                }
            }
            ch.username = m.string("username")
            ch.password = secret(m, file: "password_file", credential: "password_credential", sink: sink, context: context)
            if ch.username != nil, ch.password == nil {
                sink.error(m.keyNode("username")!.position, "\(context) has a 'username' but no 'password_file' or 'password_credential'")
            }
            if ch.password != nil, ch.username == nil {
                sink.error(node.position, "\(context) has a password but no 'username'")
            }
            if ch.password != nil, ch.security == .none {
                sink.error(
                    m["security"]?.position ?? node.position,
                    "\(context) would send its password without TLS: use security starttls or tls")
            }
            ch.caFile = caFile(m, sink: sink, context: context)
            ch.helo = m.string("helo")
            // A host name (or an address literal): a line break in it wrote a command of its own into the SMTP session
            // (audit, 07/12/2026).
            if let helo = ch.helo, !RoutingParser.isHostName(helo), !(helo.hasPrefix("[") && helo.hasSuffix("]")) {
                sink.error(
                    m["helo"]?.position ?? node.position,
                    "'helo' of \(context) must be a host name such as mail.tayho.example.vn, found '\(helo.debugDescription.dropFirst().dropLast())'"
                )
                ch.helo = nil
            }
        case .sendmail:
            ch.path = m.string("path") ?? "/usr/sbin/sendmail"
            if let p = ch.path, !p.hasPrefix("/") {
                sink.error(m["path"]!.position, "'path' of \(context) must be an absolute path")
            }
        case .webhook:
            ch.url = m.require("url").flatMap { u in
                // Schemes are case-insensitive (RFC 3986): `HTTPS://…` is one.
                guard let t = u.text, let url = URL(string: t), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil
                else {
                    sink.error(u.position, "'url' of \(context) must be an http or https URL")
                    return nil
                }
                if let problem = WebhookURL.problem(t, url) {
                    sink.error(u.position, "'url' of \(context) \(problem)")
                    return nil
                }
                // The scheme as the HTTP client reads it.
                let scheme = url.scheme ?? ""
                return scheme.lowercased() + t.dropFirst(scheme.count)
            }
            ch.secret = secret(m, file: "secret_file", credential: "secret_credential", sink: sink, context: context)
            ch.caFile = caFile(m, sink: sink, context: context)
            if ch.secret == nil {
                sink.error(node.position, "\(context) needs 'secret_file' or 'secret_credential' to sign its requests")
            }
        }
        return sink.items[before...].contains { $0.severity == .error } ? nil : ch
    }

    /// `ca_file`, an absolute path to a file this user can read. It is read when the channel opens its first
    /// connection, where a missing file stopped every channel with a bare «noSuchFilesystemObject»: said here, at its
    /// place in the file, by `check` and at a reload.
    static func caFile(_ m: MappingReader, sink: DiagnosticSink, context: String) -> String? {
        guard let ca = m.string("ca_file"), let at = m["ca_file"]?.position else { return nil }
        if !ca.hasPrefix("/") {
            sink.error(at, "'ca_file' of \(context) must be an absolute path")
        } else if !FileManager.default.isReadableFile(atPath: ca) {
            let why = FileManager.default.fileExists(atPath: ca) ? "cannot be read by this user" : "does not exist"
            sink.error(at, "'ca_file' \(ca) of \(context) \(why)")
        } else if let head = FileManager.default.contents(atPath: ca)?.prefix(1 << 20),
            !String(decoding: head, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----")
        {
            sink.error(at, "'ca_file' \(ca) of \(context) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return ca
    }

    static func secret(_ m: MappingReader, file: String, credential: String, sink: DiagnosticSink, context: String) -> SecretSource? {
        let f = m.string(file)
        let c = m.string(credential)
        if f != nil, c != nil {
            sink.error(m[credential]!.position, "\(context) has both '\(file)' and '\(credential)'; keep one")
            return nil
        }
        if let f {
            guard f.hasPrefix("/") else {
                sink.error(m[file]!.position, "'\(file)' of \(context) must be an absolute path")
                return nil
            }
            return .file(f)
        }
        if let c {
            guard !c.isEmpty, !c.contains("/") else {
                sink.error(m[credential]!.position, "'\(credential)' of \(context) must be a credential name without '/'")
                return nil
            }
            return .credential(c)
        }
        return nil
    }

    /// A duration (`DurationText`), reported at its position when malformed.
    static func duration(_ node: YNode, sink: DiagnosticSink, context: String) -> Int64? {
        if let s = node.text.flatMap(DurationText.seconds) { return s }
        sink.error(node.position, "\(context) must be a duration such as 30s, 5min, 2h or 1d, found '\(node.text ?? node.kindName)'")
        return nil
    }

    /// `30/min`, `10/s`, `500/h`, `2000/d`; the burst defaults to the count.
    static func rate(_ node: YNode, sink: DiagnosticSink, context: String) -> RateLimit? {
        let parts = (node.text ?? "").split(separator: "/")
        if parts.count == 2, let n = Int(parts[0]), (1...1_000_000).contains(n), let u = DurationText.units[String(parts[1])] {
            return RateLimit(count: n, seconds: u, burst: n)
        }
        sink.error(
            node.position,
            "'rate' of \(context) must be COUNT/UNIT such as 30/min (units s, min, h, d), found '\(node.text ?? node.kindName)'")
        return nil
    }
}

/// A webhook's address beyond parsing as an http(s) URL. A port past 65535 passed `check` and a reload, then stopped
/// the whole sender at its first request (a trap in the HTTP client, every channel's mail with it, again at each
/// restart: audit, 07/12/2026); a user name or password in it was printed in every failure reason, log line and
/// delivery row; a space was sent as `%20` unsaid.
public enum WebhookURL {
    /// What is wrong with `text` (parsed as `url`), to follow "'url' of channel 'x' ", or nil.
    public static func problem(_ text: String, _ url: URL) -> String? {
        if let port = url.port, !(1...65535).contains(port) { return "has port \(port), which is not between 1 and 65535" }
        if url.user != nil || url.password != nil {
            return "must not carry a user name or password (it would be shown in every failure reason and log line); "
                + "the channel signs its requests with 'secret_file' or 'secret_credential'"
        }
        if text.contains(where: { $0.isWhitespace }) { return "contains a space; write it as %20 if the receiver's address has one" }
        return nil
    }
}
