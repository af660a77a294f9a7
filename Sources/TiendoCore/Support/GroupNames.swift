/// The group names (chi bộ) records already carry, and which of them a typed name means. An account limited to some
/// chi bộ sees the records of exactly its chi bộ's name, so a record saved under «chi bo khu dan cu so 2» or «Chi bộ
/// Khu dân cư số 2» with two spaces would be hidden from that chi bộ's secretary, and a filter typed so finds nothing:
/// a name that differs from a known one only in letter case, diacritics or spaces is that known one. A name like no
/// other is a new group, kept as typed (its spaces tidied). Used by tiendo-web's forms and import, and by tiendoctl's
/// suggestions.
public struct GroupNames: Sendable {
    private let byKey: [[UInt8]: String]
    /// The known names, one per group.
    public var all: [String] { Array(byKey.values) }
    public var isEmpty: Bool { byKey.isEmpty }

    public init(_ names: some Sequence<String> = []) {
        var byKey: [[UInt8]: String] = [:]
        for name in names where !name.isEmpty && byKey[GroupNames.key(name)] == nil { byKey[GroupNames.key(name)] = name }
        self.byKey = byKey
    }

    /// What names the same group: letters without case or diacritics, runs of spaces as one.
    public static func key(_ name: String) -> [UInt8] { SearchText.fold(tidy(name)) }

    /// Spaces at the ends dropped and runs of them made one.
    public static func tidy(_ name: String) -> String { name.onOneLine }

    /// The known name `typed` means, nil for a name like no known one.
    public func meant(_ typed: String) -> String? { byKey[GroupNames.key(typed)] }

    /// The name to store for `typed`: the known one it means, or `typed` with its spaces tidied.
    public func canonical(_ typed: String) -> String { meant(typed) ?? GroupNames.tidy(typed) }
}
