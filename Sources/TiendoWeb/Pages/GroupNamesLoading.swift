import TiendoCore
import TiendoVarlink

extension GroupNames {
    /// The groups records carry, for an account limited to some chi bộ its own spellings first (so that a name typed
    /// for one of them is stored as the account sees it; else its own chi bộ, spelt another way by older records,
    /// would be refused as outside its scope). With `like`, only the groups of workflows whose group field has the
    /// same title («Chi bộ»): a recipient of reports («Thành ủy Hà Nội») or a đảng bộ is no chi bộ to suggest.
    static func load(_ app: WebApp, for account: Account? = nil, like workflow: Extras.WorkflowInfo? = nil) async throws -> GroupNames {
        var groups = try await app.daemon.call(Extras.Groups()).groups
        if let workflow, let title = workflow.groupBy.flatMap({ workflow.field($0)?.displayTitle }) {
            let catalog = try await app.daemon.workflows()
            let alike = Set(catalog.workflows.filter { w in w.groupBy.flatMap { w.field($0)?.displayTitle } == title }.map(\.id))
            groups = groups.filter { alike.contains($0.workflow) }
        }
        return GroupNames((account?.scope ?? []) + groups.map(\.group))
    }
}

extension Filters {
    /// The group chosen in the address as records spell it: «chi bo khu dan cu so 1» finds «Chi bộ Khu dân cư số 1»
    /// (an exact name costs one small call; only a name no record has looks at them all).
    /// An account limited to some chi bộ resolves among its own alone: resolved among every record's, the refusal
    /// of another chi bộ named it as records spell it, and so told whether that chi bộ had any (security audit,
    /// 07/12/2026).
    func resolvingGroup(_ app: WebApp, for account: Account) async throws -> Filters {
        guard let typed = group else { return self }
        if let scope = account.scope {
            var resolved = self
            resolved.group = GroupNames(scope).meant(typed) ?? typed
            return resolved
        }
        if try await !app.daemon.call(Extras.Groups(groups: [typed])).groups.isEmpty { return self }
        var resolved = self
        resolved.group = try await GroupNames.load(app, for: account).meant(typed) ?? typed
        return resolved
    }
}
