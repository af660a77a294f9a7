import Foundation
public import TiendoCore

/// The routing file (`delivery/routing.yaml` beside the workflows, `docs/delivery.md`): who receives which records,
/// through which channel, at once or in a digest, and when sending is allowed.
public struct Routing: Sendable {
    public var file: String
    /// `From:` of every email.
    public var sender: Mailbox
    /// The right-hand side of `Message-ID`s (default: the sender's domain).
    public var messageHost: String
    /// tiendo-web's address as the recipients reach it (`web:`, an extension), without a trailing slash: each email
    /// links to the record's page (`<web>/ho-so/<workflow>/<key>`). Nil: no links.
    public var web: String?
    /// Whom a recipient asks (`contact:`, an extension): the footer says it beside «Đề nghị không trả lời thư này»
    /// («cần hỏi, xin liên hệ: Văn phòng Đảng ủy phường, 024 3823 4567»). Nil: the footer names no one.
    public var contact: String? = nil
    public var quietHours: QuietHours
    public var digest: DigestSchedule
    /// Channels by name, in file order in `channelOrder`.
    public var channels: [String: ChannelDefinition]
    public var channelOrder: [String]
    /// Recipient lists (CSV files of group → people) by name.
    public var lists: [String: RecipientList]
    public var routes: [Route]

    public func channel(_ name: String) -> ChannelDefinition? { channels[name] }

    /// The address of a record's page on tiendo-web, when `web` is set: a record's id is `workflow/key`, both of
    /// letters, digits, `.`, `_` and `-`, so it needs no escaping.
    public func page(of instance: String?) -> String? {
        guard let web, let instance else { return nil }
        return web + "/ho-so/" + instance
    }

    /// The agenda page of one group on tiendo-web over 30 days (`/?chi-bo=…&ngay=30`, as the page's filters write
    /// it): a digest lists reminders further ahead than the page's default 7 days.
    public func agenda(of group: String) -> String? {
        web.map { $0 + "/?chi-bo=" + URLText.queryValue(group) + "&ngay=30" }
    }

    /// The agenda page of every group the reader may see, over 30 days: where an office's digest of many chi bộ
    /// sends its reader for the items past what one email lists.
    public var agendaOfAll: String? { web.map { $0 + "/?ngay=30" } }
}

/// An email address with an optional display name (`Nguyễn Văn A <a@example.vn>`).
public struct Mailbox: Sendable, Hashable, CustomStringConvertible {
    public var name: String?
    /// ASCII `local@domain`.
    public var address: String

    public init(name: String?, address: String) {
        self.name = name
        self.address = address
    }

    public var description: String { name.map { "\($0) <\(address)>" } ?? address }

    /// The domain after `@`.
    public var domain: String { address.split(separator: "@").last.map(String.init) ?? address }

    /// Parses `addr`, `Name <addr>` or `"Name" <addr>`; nil with a reason when malformed.
    public static func parse(_ text: String) -> Result<Mailbox, Problem> {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.contains("\n"), !t.contains("\r") else { return .failure(Problem("an address cannot span lines")) }
        var name: String?
        var address = t
        if t.hasSuffix(">"), let open = t.lastIndex(of: "<") {
            address = String(t[t.index(after: open)..<t.index(before: t.endIndex)])
            var n = String(t[..<open]).trimmingCharacters(in: .whitespaces)
            if n.hasPrefix("\""), n.hasSuffix("\""), n.count >= 2 { n = String(n.dropFirst().dropLast()) }
            if !n.isEmpty { name = n }
        }
        guard isValidAddress(address) else {
            return .failure(Problem("'\(address)' is not an email address (ASCII local@domain)"))
        }
        return .success(Mailbox(name: name, address: address))
    }

    /// An ASCII `local@domain`: the local part in RFC 5322 dot-atom characters, the domain in LDH labels with a dot.
    public static func isValidAddress(_ a: String) -> Bool {
        let parts = a.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64, a.utf8.count <= 254 else { return false }
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.".utf8)
        let local = parts[0].utf8
        guard local.allSatisfy(atext.contains), local.first != 46, local.last != 46, !parts[0].contains("..") else {
            return false
        }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { l in
            !l.isEmpty && l.utf8.count <= 63 && l.first != "-" && l.last != "-"
                && l.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 }
        }
    }

    public struct Problem: Error, Sendable {
        public var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

/// Sending is allowed on working days of the record's workflow calendar within `window` (local time); records of
/// priority `urgent` or more severe (a smaller number) are sent at any time.
public struct QuietHours: Sendable, Hashable {
    public var start: TimeOfDay
    public var end: TimeOfDay
    public var urgent: Int

    public init(start: TimeOfDay, end: TimeOfDay, urgent: Int) {
        self.start = start
        self.end = end
        self.urgent = urgent
    }

    public static let standard = QuietHours(
        start: TimeOfDay(hour: 7, minute: 0), end: TimeOfDay(hour: 18, minute: 0), urgent: 2)
}

/// When digests go out: at `at` on working days (`day`) or on the first working day of each ISO week (`week`).
public struct DigestSchedule: Sendable, Hashable {
    public enum Period: String, Sendable, Hashable, CaseIterable { case day, week }
    public var at: TimeOfDay
    public var every: Period

    public init(at: TimeOfDay, every: Period) {
        self.at = at
        self.every = every
    }

    public static let standard = DigestSchedule(at: TimeOfDay(hour: 7, minute: 30), every: .day)
}

/// Where a secret comes from: a file, or a systemd credential (`$CREDENTIALS_DIRECTORY/NAME`, `LoadCredential=`).
public enum SecretSource: Sendable, Hashable {
    case file(String)
    case credential(String)
}

/// A delivery channel and its settings.
public struct ChannelDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable { case smtp, sendmail, webhook }
    public enum Security: String, Sendable, Hashable, CaseIterable { case starttls, tls, none }

    public var name: String
    public var kind: Kind
    // smtp
    public var host: String?
    public var port: Int?
    public var security: Security
    public var username: String?
    public var password: SecretSource?
    /// PEM file of the CA that signs the relay's certificate (an office or provincial CA); default: the system's.
    public var caFile: String?
    /// The name given in EHLO (default: the message host).
    public var helo: String?
    // sendmail
    public var path: String?
    // webhook
    public var url: String?
    public var secret: SecretSource?
    /// Seconds allowed for each phase (connect, each SMTP reply, an HTTP request, a sendmail run).
    public var timeout: Int64
    public var rate: RateLimit?
    /// How many messages the channel sends at the same time.
    public var concurrency: Int
    public var position: Position

    /// Whether the channel carries email messages (SMTP and sendmail) rather than record JSON.
    public var isEmail: Bool { kind != .webhook }

    /// A literal IPv4 or IPv6 address (no TLS server name for those).
    public static func isIPAddress(_ s: String) -> Bool {
        let v4 = s.split(separator: ".", omittingEmptySubsequences: false)
        if v4.count == 4, v4.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) { return true }
        return s.contains(":") && s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }

    /// The hosts the channel connects to (for `IPAddressAllow=` and logs).
    public var remoteHost: String? {
        switch kind {
        case .smtp: return host
        case .webhook: return url.flatMap { URL(string: $0)?.host }
        case .sendmail: return nil
        }
    }
}

/// `count` messages per `seconds`, with bursts of up to `burst`.
public struct RateLimit: Sendable, Hashable {
    public var count: Int
    public var seconds: Int64
    public var burst: Int

    public init(count: Int, seconds: Int64, burst: Int) {
        self.count = count
        self.seconds = seconds
        self.burst = burst
    }
}

/// A recipient list read from a CSV file: per group value, the people to notify.
public struct RecipientList: Sendable, Hashable {
    public var name: String
    public var file: String
    /// As the file spells each group.
    public var byGroup: [String: [Mailbox]]
    /// By the group's `GroupNames.key`: a row written «Chi bộ khu dân cư số 5» (another letter case, without
    /// diacritics, two spaces) is the secretary of the records' «Chi bộ Khu dân cư số 5», as the web and tiendoctl
    /// read the name — matched exactly, that secretary got nothing and nothing said so (audit, 07/12/2026).
    let byKey: [[UInt8]: [Mailbox]]

    public init(name: String, file: String, byGroup: [String: [Mailbox]]) {
        self.name = name
        self.file = file
        self.byGroup = byGroup
        var byKey: [[UInt8]: [Mailbox]] = [:]
        for group in byGroup.keys.sorted() {
            let key = GroupNames.key(group)
            for m in byGroup[group] ?? [] where !(byKey[key] ?? []).contains(where: { $0.address.lowercased() == m.address.lowercased() }) {
                byKey[key, default: []].append(m)
            }
        }
        self.byKey = byKey
    }

    /// The people listed for a record's group, however the file spells it.
    public func recipients(group: String) -> [Mailbox] { byKey[GroupNames.key(group)] ?? [] }
}

/// One routing rule: which records (all filters must hold) go to whom, through which channel, and how.
public struct Route: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable { case immediate, digest }
    public enum Recipient: Sendable, Hashable {
        /// The rows of a recipient list whose group is the record's group.
        case list(String)
        /// An instance field holding an address (with another field for the name).
        case field(String, nameField: String?)
        case address(Mailbox)
    }

    public var name: String
    /// Nil: every workflow.
    public var workflows: Set<String>?
    public var groups: Set<String>?
    public var kinds: Set<String>?
    /// The least severe priority that matches (syslog numbers: 4 = warning matches 0–4).
    public var priority: Int
    public var channel: String
    public var to: [Recipient]
    public var mode: Mode
    /// False: this route ignores quiet hours.
    public var quiet: Bool
    /// A digest route's own `every` (the office's overdue notices each working day, the secretaries' weekly); nil:
    /// the file's `digest.every`.
    public var every: DigestSchedule.Period? = nil
    public var position: Position

    /// When this route's digests go: the file's `digest.at`, at the route's `every` or the file's.
    public func digestSchedule(_ file: DigestSchedule) -> DigestSchedule {
        DigestSchedule(at: file.at, every: every ?? file.every)
    }
}
