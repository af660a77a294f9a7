public import TiendoCore

/// What an account may do. Every role reads (and exports) what its groups allow.
public enum Role: String, Codable, CaseIterable, Sendable {
    /// Reads.
    case xem
    /// Also marks milestones done and sends events.
    case canBo = "can-bo"
    /// Also imports and manages accounts.
    case quanTri = "quan-tri"

    public var title: String {
        switch self {
        case .xem: return "Xem"
        case .canBo: return "Cán bộ"
        case .quanTri: return "Quản trị"
        }
    }

    /// May mark milestones done and send events.
    public var mayAct: Bool { self != .xem }
    /// May import and manage accounts.
    public var mayAdminister: Bool { self == .quanTri }
}

/// A person who signs in to tiendo-web. Passwords are kept only as bcrypt hashes.
public struct Account: Codable, Sendable, Equatable {
    /// The sign-in name, also what tiendod records as `actorName` for this person's changes.
    public var name: String
    /// The person's full names over time, oldest first (absent for an account never given one, and in files
    /// written before they were kept): the page head shows the latest, a record's history the one in force when the
    /// step was recorded, so that an account handed on to the next secretary does not credit her with her
    /// predecessor's steps.
    public var names: [FullName]?

    /// A full name from an instant on.
    public struct FullName: Codable, Sendable, Equatable {
        /// The name; nil from when it was removed (pages then show the sign-in name).
        public var name: String?
        /// ISO 8601: from when; nil from the start (the first name an account is given: it was that person's all
        /// along).
        public var since: String?
    }

    /// The person's full name now («Nguyễn Thị Hà»).
    public var fullName: String? { names?.last?.name }

    /// The full name in force at `t`, nil when there was none then.
    public func fullName(at t: Instant) -> String? {
        guard let names else { return nil }
        return names.last { n in n.since.map { Zone.vietnam.parseInstant($0).map { $0 <= t } ?? false } ?? true }?.name
    }
    public var role: Role
    /// The groups (chi bộ) the account is limited to; empty: every group.
    public var groups: [String]
    /// Its groups as pages and `tiendo-web user` say them: «mọi chi bộ», or the chi bộ in Vietnamese order.
    public var groupsText: String { groups.isEmpty ? "mọi chi bộ" : VietnameseOrder.sorted(groups).joined(separator: ", ") }
    public var passwordHash: String
    public var disabled: Bool
    /// How many times the account was disabled (absent in files written before it was kept): a session begun before
    /// the last time ends, even when the account was enabled again before that session's next request.
    public var timesDisabled: Int?
    /// ISO 8601, for `user list`.
    public var created: String
    public var changed: String

    public init(name: String, role: Role, groups: [String], passwordHash: String, created: String) {
        self.name = name
        self.role = role
        self.groups = groups
        self.passwordHash = passwordHash
        self.disabled = false
        self.created = created
        self.changed = created
    }

    /// The role and chi bộ as a form shows them (`AccountCommands.setScope`'s `shown`).
    public var scopeMark: String { String(SHA256.hex(Array(([role.rawValue] + groups).joined(separator: "\n").utf8)).prefix(16)) }

    /// What pages call the person: the full name, else the sign-in name.
    public var displayName: String { fullName ?? name }

    /// Whether the account may see an instance of `group` (nil: the instance has no group, which only unlimited
    /// accounts see).
    public func sees(group: String?) -> Bool {
        if groups.isEmpty { return true }
        guard let group else { return false }
        return groups.contains(group)
    }

    /// The groups a daemon query is limited to: nil for every group.
    public var scope: [String]? { groups.isEmpty ? nil : groups.map(FieldDefinition.composed) }

    /// A sign-in name: 1 to 64 letters, digits, `.`, `_`, `-` or `@`, starting with a letter or digit. tiendod
    /// accepts any such name as `actor`.
    /// Latin-1's letters, Latin Extended-A and -B, the combining marks (a name typed decomposed) and Latin Extended
    /// Additional (Vietnamese «ạ», «ế», «ữ»…).
    static let latinLetters: [ClosedRange<UInt32>] = [0x00C0...0x024F, 0x0300...0x036F, 0x1E00...0x1EFF]

    public static func validName(_ name: String) -> String? {
        guard !name.isEmpty, name.count <= 64 else { return "tên tài khoản phải có từ 1 đến 64 ký tự" }
        guard let first = name.first, first.isLetter || first.isNumber else { return "tên tài khoản phải bắt đầu bằng chữ hoặc số" }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" || $0 == "@" }) else {
            let space = name.contains { $0.isWhitespace } ? ", không có dấu cách (ví dụ ha.nguyen)" : ""
            return "tên tài khoản chỉ gồm chữ, số và các dấu . _ - @\(space)"
        }
        // Letters of the Latin script only (Vietnamese ones included): a Cyrillic «а» makes «аdmin» an account that
        // reads as «admin» in every history.
        guard name.unicodeScalars.allSatisfy({ u in u.isASCII || Account.latinLetters.contains(where: { $0.contains(u.value) }) }) else {
            return "tên tài khoản chỉ dùng chữ cái La-tinh (có dấu tiếng Việt được), chữ số và các dấu . _ - @"
        }
        return nil
    }

    /// What a session remembers of the account it began with: the end of the password's bcrypt hash (the
    /// digest's), and how many times the account was disabled. A session whose mark no longer matches ends.
    public var sessionMark: String {
        let password = String(passwordHash.suffix(16))
        guard let n = timesDisabled, n > 0 else { return password }
        return password + "#" + String(n)
    }

    /// Whether a session with `mark` began under another password (rather than before the account was disabled).
    public func passwordChanged(since mark: String?) -> Bool {
        guard let mark else { return true }
        return mark.prefix(while: { $0 != "#" }) != passwordHash.suffix(16)
    }

    /// The fewest characters a password may have.
    public static let minimumPasswordLength = 8

    /// bcrypt reads at most 72 bytes: a longer password would be cut without a word.
    public static func validPassword(_ password: String) -> String? {
        if password.count < minimumPasswordLength { return "mật khẩu phải có ít nhất \(minimumPasswordLength) ký tự" }
        if password.allSatisfy(\.isWhitespace) { return "mật khẩu không được chỉ gồm dấu cách" }
        if password.utf8.count > 72 {
            return "mật khẩu dài quá: tối đa 72 chữ không dấu (mỗi chữ có dấu tính như 2 đến 3 chữ); "
                + "mật khẩu này tương đương \(password.utf8.count) chữ không dấu"
        }
        if password.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "mật khẩu không được chứa ký tự điều khiển"
        }
        return nil
    }

    /// A full name as given on the command line or in a form, trimmed and composed (NFC): at most 100 characters
    /// (and 200 code points: a letter with a thousand marks on it is one character), no control or invisible
    /// character (a direction mark or a zero-width space would make the history's «who» read otherwise than it is),
    /// and some letter.
    public static func validFullName(_ name: String) -> String? {
        if name.count > 100 || name.unicodeScalars.count > 200 { return "họ và tên dài quá 100 ký tự" }
        let hidden = name.unicodeScalars.contains { u in
            switch u.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: return true
            default: return false
            }
        }
        if hidden { return "họ và tên chứa ký tự điều khiển hoặc ký tự ẩn" }
        if !name.contains(where: \.isLetter) { return "họ và tên phải có chữ" }
        return nil
    }

    /// A full name as typed, trimmed and composed; nil when nothing was typed.
    public static func fullName(_ typed: String?) -> String? {
        let name = FieldDefinition.composed(typed?.trimmingSpaces ?? "")
        return name.isEmpty ? nil : name
    }

    /// A group name as given on the command line or in a form: trimmed, not empty, at most 200 characters.
    public static func validGroup(_ group: String) -> String? {
        if group.isEmpty { return "tên chi bộ không được để trống" }
        if group.count > 200 { return "tên chi bộ dài quá 200 ký tự" }
        if group.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            return "tên chi bộ chứa ký tự điều khiển"
        }
        // As a record's fields refuse them: a right-to-left override makes «Chi bộ 1» show as another name, and an
        // invisible character makes a name that reads the same as a record's match none of them.
        if group.unicodeScalars.contains(where: { (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) }) {
            return "tên chi bộ chứa ký tự đổi chiều chữ ẩn: xóa và gõ lại"
        }
        if group.unicodeScalars.contains(where: { (0x200B...0x200F).contains($0.value) || $0.value == 0x2060 || $0.value == 0xFEFF }) {
            return "tên chi bộ chứa ký tự vô hình: xóa và gõ lại"
        }
        return nil
    }
}
