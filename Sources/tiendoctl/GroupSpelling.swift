import TiendoCore
import TiendoVarlink

/// A group (chi bộ) typed in another letter case, without diacritics or with other spaces than the records already
/// have is sent as they spell it (`GroupNames`), as tiendo-web does: an account of that chi bộ on the web sees the
/// records of exactly its name. What was respelt is said on stderr.
enum GroupSpelling {
    /// The rows (objects of field values) with `field`'s values respelt; each respelling said once.
    static func respell(_ rows: [JSON], field: String?, _ connection: ConnectionOptions) throws -> [JSON] {
        guard let field, rows.contains(where: { $0[field]?.stringValue != nil }) else { return rows }
        let known = try connection.read(Extras.Groups.self, connection.parameters(Extras.Groups())).groups.map(\.group)
        let names = GroupNames(known)
        var said = Set<String>()
        return rows.map { row in
            guard case .object(let pairs) = row else { return row }
            return .object(
                pairs.map { name, value in
                    guard name == field, let typed = value.stringValue, let meant = names.meant(typed), meant != typed else {
                        return (name, value)
                    }
                    if said.insert(typed).inserted { printErr("«\(typed)» được ghi theo tên đã có «\(meant)»") }
                    return (name, .string(meant))
                })
        }
    }
}
