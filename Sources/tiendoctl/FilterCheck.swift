import TiendoCore
import TiendoVarlink

/// Why a filtered list or agenda came back empty, when the filter names something that does not exist: a state or
/// field the workflow does not have, a group no record carries (with the group it likely means: «chi bo khu dan cu
/// so 1» for «Chi bộ Khu dân cư số 1»). An operator reading «Không có hồ sơ nào» would otherwise believe nothing is
/// due. Asked only after an empty answer, so a list that finds something costs no extra call.
enum FilterCheck {
    static func list(workflow: String?, state: String?, fields: [String], _ connection: ConnectionOptions) throws {
        guard state != nil || !fields.isEmpty else { return }
        let all = try connection.workflows()
        let scope = workflow.map { id in all.filter { $0.id == id } } ?? all
        guard !scope.isEmpty else { return }
        let whose = workflow.map { "quy trình '\($0)'" } ?? "quy trình nào"
        if let state {
            let known = Set(scope.flatMap { $0.states.map(\.id) }).sorted()
            if !known.contains(state) {
                throw fail(
                    "không có trạng thái '\(state)' trong \(whose)\(vietnameseSuggestion(state, known)); các trạng thái: \(known.joined(separator: ", "))"
                )
            }
        }
        let names = Set(scope.flatMap { $0.fields.map(\.name) }).sorted()
        for f in fields where !names.contains(f) {
            throw fail(
                "không có trường '\(f)' trong \(whose)\(vietnameseSuggestion(f, names)); các trường: \(names.joined(separator: ", "))")
        }
    }

    static func group(_ group: String?, workflow: String?, _ connection: ConnectionOptions) throws {
        guard let group else { return }
        let known = try connection.read(Extras.Groups.self, connection.parameters(Extras.Groups(workflow: workflow))).groups.map(\.group)
        guard !known.contains(group) else { return }
        let meant = GroupNames(known).meant(group)
        throw fail("không có hồ sơ nào thuộc nhóm «\(group)»" + (meant.map { "; có phải «\($0)»?" } ?? ""))
    }
}
