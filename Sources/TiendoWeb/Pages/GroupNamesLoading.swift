import TiendoVarlink

extension GroupNames {
    /// Every group some record carries (any workflow's).
    static func load(_ app: WebApp) async throws -> GroupNames {
        GroupNames(try await app.daemon.call(Extras.Groups()).groups.map(\.group))
    }
}
