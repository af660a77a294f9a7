import TiendoVarlink

extension GroupNames {
    /// Every group some record carries (any workflow's); for an account limited to some chi bộ, its own spellings
    /// first, so that a name typed for one of them is stored as the account sees it (else its own chi bộ, spelt
    /// another way by older records, would be refused as outside its scope).
    static func load(_ app: WebApp, for account: Account? = nil) async throws -> GroupNames {
        GroupNames((account?.scope ?? []) + (try await app.daemon.call(Extras.Groups()).groups.map(\.group)))
    }
}
