import TiendoCore
import TiendoVarlink

/// The chi bộ names records already carry, and which of them a typed name means. An account limited to some chi bộ
/// sees the records of exactly its chi bộ's name, so a record saved under «chi bo khu dan cu so 2» or «Chi bộ  Khu
/// dân cư số 2» would be hidden from that chi bộ's secretary: a name that differs from a known one only in letter
/// case, diacritics or spaces is that known one. A name like no other is a new chi bộ, kept as typed (its spaces
/// tidied).
struct GroupNames {
    private let byKey: [[UInt8]: String]
    /// The known names, one per chi bộ.
    var all: [String] { Array(byKey.values) }
    var isEmpty: Bool { byKey.isEmpty }

    init(_ names: some Sequence<String> = []) {
        var byKey: [[UInt8]: String] = [:]
        for name in names where !name.isEmpty && byKey[GroupNames.key(name)] == nil { byKey[GroupNames.key(name)] = name }
        self.byKey = byKey
    }

    /// Every group some record carries (any workflow's).
    static func load(_ app: WebApp) async throws -> GroupNames {
        GroupNames(try await app.daemon.call(Extras.Groups()).groups.map(\.group))
    }

    /// What names the same chi bộ: letters without case or diacritics, runs of spaces as one.
    static func key(_ name: String) -> [UInt8] { SearchText.fold(tidy(name)) }

    /// Spaces at the ends dropped and runs of them made one.
    static func tidy(_ name: String) -> String { name.split(whereSeparator: \.isWhitespace).joined(separator: " ") }

    /// The known name `typed` means, nil for a name like no known one.
    func meant(_ typed: String) -> String? { byKey[GroupNames.key(typed)] }

    /// The name to store for `typed`: the known one it means, or `typed` with its spaces tidied.
    func canonical(_ typed: String) -> String { meant(typed) ?? GroupNames.tidy(typed) }
}
