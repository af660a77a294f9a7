import NIOPosix
import TiendoCore
import TiendoVarlink

/// tiendo-web's only way to tiendod: TiendoVarlink's synchronous client, each call on a thread of its own pool so
/// that no event loop ever waits for the daemon.
final class DaemonGateway: Sendable {
    let client: ManagerClient
    let pool: NIOThreadPool

    /// `threads` blocking calls at once (pages make one to three calls each).
    init(socketPath: String, timeout: Double = 30, threads: Int = 8) {
        client = ManagerClient(socketPath: socketPath, timeout: timeout)
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    func shutdown() async throws { try await pool.shutdownGracefully() }

    /// Calls `method`; daemon errors reach the caller as they are (`PageError.daemon` words them). `timeout`: how
    /// long to wait for this call's answer, when longer than the others' (a copy of the database).
    func call<M: ManagerMethod>(_ method: M, timeout: Double? = nil) async throws -> M.Reply {
        var client = self.client
        if let timeout { client.timeout = timeout }
        return try await pool.runIfActive { [client] in try client.call(method) }
    }

    /// Imports every row or none, through TiendoVarlink's one import entry point (`importAll`).
    func importAll(workflow: String, rows: [JSON], actor: String) async throws -> Int {
        let client = self.client
        return try await pool.runIfActive { try client.importAll(workflow: workflow, rows: rows, actor: actor) }
    }

    /// The definitions in force, in the alphabetical order of their titles (a bracketed tag before a title, such as
    /// «[Lưu trữ]», does not count: the archived election is found under B), and the daemon's now.
    func workflows() async throws -> Catalog {
        let reply = try await call(Extras.Workflows())
        return Catalog(now: reply.now, workflows: VietnameseOrder.sorted(reply.workflows) { Catalog.sortTitle($0.title) })
    }
}

/// The workflows in force as a page needs them, and the daemon's clock (its fake clock in tests and demos).
struct Catalog: Sendable {
    var now: String
    var workflows: [Extras.WorkflowInfo]

    subscript(_ id: String) -> Extras.WorkflowInfo? { workflows.first { $0.id == id } }

    /// This catalog with `version` (a record's own version of its workflow, `InstanceEntry.definition`) in place of
    /// the one in force: a record on an earlier version is read and stepped by that version's states and steps.
    func reading(_ version: Extras.WorkflowInfo?) -> Catalog {
        guard let version else { return self }
        var c = self
        c.workflows = workflows.map { $0.id == version.id ? version : $0 }
        return c
    }

    /// A title without the bracketed tag it may begin with: «[Lưu trữ] Bầu cử…» sorts as «Bầu cử…».
    static func sortTitle(_ title: String) -> String {
        guard title.hasPrefix("["), let close = title.firstIndex(of: "]") else { return title }
        return String(title[title.index(after: close)...].drop { $0 == " " })
    }

    /// Whether an instant has come by the daemon's clock: a timed transition still to be taken at it is late.
    func hasCome(_ instant: Instant) -> Bool { Format.zone.parseInstant(now).map { instant <= $0 } ?? false }

    /// Today in Asia/Ho_Chi_Minh by the daemon's clock.
    var today: CivilDate { Format.civilDate(now) ?? CivilDate(2026, 1, 1) }

    func title(_ workflow: String) -> String { self[workflow]?.title ?? workflow }

    func stateTitle(_ workflow: String, _ state: String?) -> String? {
        guard let state else { return nil }
        return self[workflow]?.state(state)?.title ?? state
    }

    /// What the groups of `workflows` are called in a column's heading: the title of their `group_by` field when they
    /// share one («Chi bộ»; «Tỉnh, thành phố» for an election's provinces; without what a title adds in brackets:
    /// «Cơ quan (Đảng ủy phường, UBND phường, …)» is «Cơ quan»), else «Chi bộ / đơn vị».
    func groupTitle(of workflows: some Sequence<String>) -> String {
        var titles = Set<String>()
        for w in Set(workflows) {
            guard let info = self[w], let field = info.groupBy else { continue }
            let title = info.field(field)?.displayTitle ?? field
            titles.insert(title.range(of: " (").map { String(title[..<$0.lowerBound]) } ?? title)
        }
        return titles.count == 1 ? titles.first! : "Chi bộ / đơn vị"
    }

    /// The name an instance goes by on pages (`ho_ten`, or the workflow's label field), else its key.
    func label(of instance: Manager.Instance) -> String {
        if let field = self[instance.workflow]?.label, let s = instance.data[field]?.stringValue, !s.isEmpty { return s }
        return instance.key
    }
}
