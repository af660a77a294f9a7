import Foundation
public import TiendoCore
import TiendoStore
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// `vn.tiendo.Manager` and `org.varlink.service` over the varlink server.
public final class ControlService: VarlinkHandler, Sendable {
    static let interface = "vn.tiendo.Manager"
    let loop: EventLoop
    let views: @Sendable () -> Views
    let clock: DaemonClock
    let log: @Sendable (Int, String) -> Void
    let refusals: RefusalLog
    let authority = PeerAuthority()
    /// Reading methods run here, off the loop thread. Own threads rather than a dispatch queue: libdispatch's
    /// Linux thread pool keeps a monitor waking every second once used, and an idle daemon must not wake.
    let readers = ReaderPool(threads: 4, name: "varlink-reader")
    /// The extension interface `vn.tiendo.Delivery` on the same socket.
    let deliveries: DeliveryService

    public init(loop: EventLoop, views: @escaping @Sendable () -> Views, clock: DaemonClock, log: @escaping @Sendable (Int, String) -> Void)
    {
        self.loop = loop
        self.views = views
        self.clock = clock
        self.log = log
        refusals = RefusalLog(log: log)
        deliveries = DeliveryService(
            loop: loop, views: views, clock: clock, log: log, refusals: refusals, authority: authority, readers: readers)
    }

    // MARK: Parameters

    enum ParamType {
        case string, int, bool, object, stringMap, objectList, intList, stringList
    }

    static let schemas: [String: [(String, ParamType, Bool)]] = [
        "GetStatus": [],
        "ListInstances": [
            ("workflow", .string, true), ("state", .string, true), ("where", .stringMap, true), ("overdue", .bool, true),
            ("limit", .int, true), ("after", .string, true),
        ],
        "GetInstance": [("id", .string, false)],
        "StartInstance": [("workflow", .string, false), ("key", .string, true), ("data", .object, true), ("actor", .string, true)],
        "ImportInstances": [
            ("workflow", .string, false), ("rows", .objectList, false), ("importID", .string, true), ("final", .bool, true),
            ("expected", .int, true), ("actor", .string, true),
        ],
        "SendEvent": [
            ("id", .string, false), ("event", .string, false), ("data", .object, true), ("idempotencyKey", .string, true),
            ("actor", .string, true),
        ],
        "CompleteMilestone": [("id", .string, false), ("milestone", .string, false), ("actor", .string, true)],
        "Agenda": [("days", .int, true), ("workflow", .string, true), ("group", .string, true)],
        "History": [("id", .string, false)],
        "Reload": [],
        "Watch": [],
    ]
    static let mutating: Set<String> = ["StartInstance", "ImportInstances", "SendEvent", "CompleteMilestone", "Reload"]

    /// Checks names and types; returns the parameters by name, or the offending parameter.
    struct BadParameter: Error { var name: String }

    static func check(_ method: String, _ params: [(String, JSON)]) -> Result<[String: JSON], BadParameter> {
        check(schema: schemas[method] ?? [], params)
    }

    static func check(schema: [(String, ParamType, Bool)], _ params: [(String, JSON)]) -> Result<[String: JSON], BadParameter> {
        var out: [String: JSON] = [:]
        for (k, v) in params {
            guard let (_, type, optional) = schema.first(where: { $0.0 == k }) else { return .failure(BadParameter(name: k)) }
            if v.isNull {
                if optional { continue }
                return .failure(BadParameter(name: k))
            }
            let ok: Bool
            switch type {
            case .string: ok = v.stringValue != nil
            case .int: ok = v.intValue != nil
            case .bool: ok = v.boolValue != nil
            case .object: ok = v.objectValue != nil
            case .stringMap: ok = v.objectValue?.allSatisfy { $0.1.stringValue != nil } ?? false
            case .objectList: ok = v.arrayValue?.allSatisfy { $0.objectValue != nil } ?? false
            case .intList: ok = v.arrayValue?.allSatisfy { $0.intValue != nil } ?? false
            case .stringList: ok = v.arrayValue?.allSatisfy { $0.stringValue != nil } ?? false
            }
            if !ok { return .failure(BadParameter(name: k)) }
            // A page of no rows, or of rows before the first, is a caller's mistake: refused, not read as 1 or 0.
            if (k == "limit" && v.intValue! < 1) || (k == "offset" && v.intValue! < 0) { return .failure(BadParameter(name: k)) }
            out[k] = v
        }
        for (name, _, optional) in schema where !optional && out[name] == nil { return .failure(BadParameter(name: name)) }
        return .success(out)
    }

    // MARK: Dispatch

    public func handle(method: String, parameters: [(String, JSON)], more: Bool, oneway: Bool, peer: Peer) -> Dispatch {
        if method == "org.varlink.service.GetInfo" {
            return .immediate(
                .ok([
                    ("vendor", .string("tiendo")), ("product", .string("tiendod")), ("version", .string(views().version)),
                    ("url", .string("https://tiendo.invalid/")),
                    (
                        "interfaces",
                        .array([
                            .string("org.varlink.service"), .string(ControlService.interface), .string(Deliveries.interface),
                            .string(ControlService.extrasInterface),
                        ])
                    ),
                ]))
        }
        if method == "org.varlink.service.GetInterfaceDescription" {
            switch parameters.first(where: { $0.0 == "interface" })?.1.stringValue {
            case ControlService.interface: return .immediate(.ok([("description", .string(VarlinkIDL.manager))]))
            case Deliveries.interface: return .immediate(.ok([("description", .string(VarlinkIDL.delivery))]))
            case ControlService.extrasInterface: return .immediate(.ok([("description", .string(VarlinkIDL.extras))]))
            case "org.varlink.service": return .immediate(.ok([("description", .string(VarlinkIDL.service))]))
            case let other?: return .immediate(.error("org.varlink.service.InterfaceNotFound", [("interface", .string(other))]))
            case nil: return .immediate(.error("org.varlink.service.InvalidParameter", [("parameter", .string("interface"))]))
            }
        }
        guard let dot = method.lastIndex(of: ".") else {
            return .immediate(.error("org.varlink.service.MethodNotFound", [("method", .string(method))]))
        }
        let iface = String(method[..<dot])
        let name = String(method[method.index(after: dot)...])
        if iface == Deliveries.interface { return deliveries.handle(name, parameters, more: more, peer: peer) }
        if iface == ControlService.extrasInterface { return handleExtras(name, parameters, peer: peer) }
        guard iface == ControlService.interface else {
            if iface == "org.varlink.service" {
                return .immediate(.error("org.varlink.service.MethodNotFound", [("method", .string(method))]))
            }
            return .immediate(.error("org.varlink.service.InterfaceNotFound", [("interface", .string(iface))]))
        }
        guard ControlService.schemas[name] != nil else {
            return .immediate(.error("org.varlink.service.MethodNotFound", [("method", .string(method))]))
        }
        let p: [String: JSON]
        switch ControlService.check(name, parameters) {
        case .success(let v): p = v
        case .failure(let bad): return .immediate(.error("org.varlink.service.InvalidParameter", [("parameter", .string(bad.name))]))
        }
        if name == "Watch" {
            return more ? .watch : .immediate(.error("org.varlink.service.ExpectedMore"))
        }
        if ControlService.mutating.contains(name) {
            if let refused = refusal(toMutate: method, p, peer: peer) { return refused }
            // Reload and imports (their own transaction, however many rows) run alone; other changes are grouped
            // into one transaction, and each reply waits for it.
            return deferredMutation(groupable: name != "Reload" && name != "ImportInstances", peer: peer) { d, actor in
                self.mutate(name, p, actor: actor, daemon: d)
            }
        }
        if name == "Agenda" {
            return .deferredInParts { [self] part, reply in
                readers.async(for: peer.uid) { reply(self.agenda(p, part: part)) }
            }
        }
        return .deferred { [self] reply in
            readers.async(for: peer.uid) { reply(self.read(name, p).encoded()) }
        }
    }

    /// Why `peer` may not call the changing `method` with `p`, or nil (`PeerAuthority.refusal`).
    func refusal(toMutate method: String, _ p: [String: JSON], peer: Peer) -> Dispatch? {
        authority.refusal(toMutate: method, p, peer: peer, log: refusals).map { .immediate($0) }
    }

    /// A change run on the loop thread by the peer's uid; its reply waits for the commit (of its group, when
    /// `groupable`).
    func deferredMutation(groupable: Bool, peer: Peer, _ body: @escaping @Sendable (Daemon, Int) -> VarlinkReply) -> Dispatch {
        let actor = Int(peer.uid)
        return .deferred { [self] reply in
            loop.enqueue(groupable: groupable) { d in
                let r = body(d, actor)
                d.afterCommit { [d] ok in
                    // Why, when known: «đĩa đầy (SQLITE_FULL) trong /var/lib/tiendo», not only that it failed.
                    let why = d.lastGroupFailure.map { ": \($0)" } ?? ""
                    let unchanged = d.lastGroupFailureSaysAll ? "" : "; chưa có gì thay đổi"
                    reply(
                        ok
                            ? r
                            : .error(
                                "org.varlink.service.InternalError",
                                [("reason", .string("không ghi được thay đổi vào cơ sở dữ liệu\(why)\(unchanged)"))])
                    )
                }
            }
        }
    }

    /// `Agenda`'s `days` at most: ten years.
    static let maxAgendaDays = 3660

    /// `Agenda`, its answer sent in parts as it is written (`Views.agendaReply`).
    func agenda(_ p: [String: JSON], part: @escaping @Sendable ([UInt8]) -> Void) -> VarlinkReply {
        let v = views()
        let now = clock.now()
        // Refused rather than quietly changed (−100 read as 0, 2^63 as 3660): the caller learns it asked for nothing sensible.
        let days = p["days"]?.intValue ?? 7
        guard (0...ControlService.maxAgendaDays).contains(days) else {
            return .error("org.varlink.service.InvalidParameter", [("parameter", .string("days"))]).encoded()
        }
        let wf = p["workflow"]?.stringValue
        if let wf, v.catalog.current[wf] == nil { return ControlService.error(.noSuchWorkflow(wf)).encoded() }
        let zone = wf.flatMap { v.catalog.current[$0]?.zone } ?? .vietnam
        let until = Views.endOfDay(days, after: now, zone: zone)
        var sent = false
        do {
            return try v.agendaReply(until: until, workflow: wf, group: p["group"]?.stringValue, now: now) { bytes in
                sent = true
                part(bytes)
            }
        } catch {
            log(3, "varlink Agenda: \(error)")
            return sent ? .abort : VarlinkReply.error("org.varlink.service.InternalError").encoded()
        }
    }

    // MARK: Reads (any thread)

    func read(_ name: String, _ p: [String: JSON]) -> VarlinkReply {
        let v = views()
        let now = clock.now()
        do {
            switch name {
            case "GetStatus":
                let s = try v.summaries(now: now, groups: false)
                return .ok([
                    ("status", v.statusJSON(now: now, summaries: s)),
                    ("workflows", .array(s.workflows)),
                ])
            case "GetInstance":
                let id = p["id"]!.stringValue!
                guard let row = try v.store.instance(id, definition: v.catalog.definition) else {
                    return ControlService.error(.noSuchInstance(id))
                }
                return .ok([("instance", v.instanceJSON(row, now: now))])
            case "History":
                let id = p["id"]!.stringValue!
                guard try v.store.exists(id) else { return ControlService.error(.noSuchInstance(id)) }
                return .ok([("records", .array(try v.store.history(id).map(\.json)))])
            case "ListInstances":
                return try list(v, p, now: now)
            default:
                return .error("org.varlink.service.MethodNotFound", [("method", .string(name))])
            }
        } catch {
            log(3, "varlink \(name): \(error)")
            return .error("org.varlink.service.InternalError")
        }
    }

    func list(_ v: Views, _ p: [String: JSON], now: Instant) throws -> VarlinkReply {
        let limit = max(1, min(p["limit"]?.intValue ?? 100, 10_000))
        let wf = p["workflow"]?.stringValue
        if let wf, v.catalog.current[wf] == nil { return ControlService.error(.noSuchWorkflow(wf)) }
        let state = p["state"]?.stringValue
        let wheres = (p["where"]?.objectValue ?? []).map { ($0.0, $0.1.stringValue ?? "") }
        let overdueOnly = p["overdue"]?.boolValue
        var after = p["after"]?.stringValue
        var out: [JSON] = []
        var more = false
        scan: while true {
            let page = try v.store.instances(workflow: wf, state: state, limit: 1000, after: after, definition: v.catalog.definition)
            if page.isEmpty { break }
            for row in page {
                after = row.instance.id
                if !wheres.isEmpty {
                    let def = v.catalog.definition(row.instance.digest)
                    let ok = wheres.allSatisfy { (f, want) in
                        guard let value = row.instance.data[f] else { return want.isEmpty }
                        let json = value.json(zone: def?.zone ?? .vietnam)
                        return (json.stringValue ?? json.serialized()) == want || value.display(zone: def?.zone ?? .vietnam) == want
                    }
                    if !ok { continue }
                }
                if let overdueOnly, v.hasOverdueDeadline(row, now: now) != overdueOnly { continue }
                if out.count == limit {
                    more = true
                    break scan
                }
                out.append(v.instanceJSON(row, now: now))
            }
            if page.count < 1000 { break }
        }
        let next: JSON = more ? (out.last?["id"] ?? .null) : .null
        return .ok([("instances", .array(out)), ("next", next)])
    }

    // MARK: Mutations (loop thread)

    /// `actor` (extension): the name of a person, as a front end shows it: 1 to 64 characters, none of them a
    /// control, format or line-breaking character, no leading or trailing space.
    static func isValidActorName(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 64, name.first?.isWhitespace == false, name.last?.isWhitespace == false else { return false }
        return name.unicodeScalars.allSatisfy { u in
            switch u.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: return false
            case .spaceSeparator: return u == " "
            default: return true
            }
        }
    }

    func mutate(_ name: String, _ p: [String: JSON], actor: Int, daemon d: Daemon) -> VarlinkReply {
        let now = d.clock.now()
        let actorName = p["actor"]?.stringValue
        do {
            switch name {
            case "StartInstance":
                let row = try d.startRow(
                    workflow: p["workflow"]!.stringValue!, key: p["key"]?.stringValue, data: p["data"]?.objectValue ?? [], actor: actor,
                    actorName: actorName)
                return .ok([("instance", d.views.instanceJSON(row, now: now))])
            case "SendEvent":
                let id = p["id"]!.stringValue!
                let (row, repeated) = try d.eventRow(
                    id: id, event: p["event"]!.stringValue!, data: p["data"]?.objectValue ?? [],
                    idempotencyKey: p["idempotencyKey"]?.stringValue, actor: actor, actorName: actorName)
                // A repeat under a key already used says so, and which event that request applied (README "Extensions").
                var reply: [(String, JSON)] = [("instance", d.views.instanceJSON(row, now: now))]
                if let repeated {
                    reply.append(("repeated", .bool(true)))
                    if let event = repeated.event { reply.append(("repeatedEvent", .string(event))) }
                }
                return .ok(reply)
            case "CompleteMilestone":
                let id = p["id"]!.stringValue!
                let row = try d.eventRow(
                    id: id, event: "done", data: [("milestone", p["milestone"]!)], idempotencyKey: nil, actor: actor,
                    actorName: actorName
                ).row
                return .ok([("instance", d.views.instanceJSON(row, now: now))])
            case "ImportInstances":
                let rows = p["rows"]!.arrayValue!.compactMap(\.objectValue)
                let outcome = try d.importInstances(
                    workflow: p["workflow"]!.stringValue!, rows: rows, actor: actor, actorName: actorName,
                    importID: p["importID"]?.stringValue, final: p["final"]?.boolValue ?? false, expected: p["expected"]?.intValue)
                switch outcome {
                case .staged(let n): return .ok([("imported", .int(0)), ("staged", .int(n))])
                case .imported(let n): return .ok([("imported", .int(n))])
                }
            case "Reload":
                loop.reload(d, actor: actor)
                let s = try d.summaries(now: now, groups: false)
                return .ok([("workflows", .array(s.workflows)), ("diagnostics", .array(d.diagnostics.map(\.json)))])
            default:
                return .error("org.varlink.service.MethodNotFound", [("method", .string(name))])
            }
        } catch let e as RequestError {
            return ControlService.error(e)
        } catch {
            log(3, "varlink \(name): \(error)")
            return .error("org.varlink.service.InternalError")
        }
    }

    static func error(_ e: RequestError) -> VarlinkReply {
        let i = "vn.tiendo.Manager."
        switch e {
        case .noSuchWorkflow(let w): return .error(i + "NoSuchWorkflow", [("workflow", .string(w))])
        case .noSuchInstance(let id): return .error(i + "NoSuchInstance", [("id", .string(id))])
        case .instanceExists(let id): return .error(i + "InstanceExists", [("id", .string(id))])
        case .invalidData(let f, let r): return .error(i + "InvalidData", [("field", .string(f)), ("reason", .string(r))])
        case .eventRejected(let id, let ev, let st, let r):
            return .error(
                i + "EventRejected",
                [("id", .string(id)), ("event", .string(ev)), ("state", st.map(JSON.string) ?? .null), ("reason", .string(r))])
        case .importRejected(let ds): return .error(i + "ImportRejected", [("errors", .array(ds.map(\.json)))])
        case .limitExceeded(let l, let g, let c, let m):
            return .error(
                i + "LimitExceeded", [("limit", .string(l)), ("group", g.map(JSON.string) ?? .null), ("count", .int(c)), ("max", .int(m))])
        case .nothingToUndo(let id, let r):
            return .error(ControlService.extrasInterface + ".NothingToUndo", [("id", .string(id)), ("reason", .string(r))])
        case .clockBehind(let now, let newest):
            return .error(
                ControlService.extrasInterface + ".ClockBehind",
                [("now", .string(Zone.vietnam.iso(now))), ("newest", .string(Zone.vietnam.iso(newest)))])
        case .internalError(let m): return .error("org.varlink.service.InternalError", [("reason", .string(m))])
        }
    }
}

extension PeerAuthority {
    /// Why `peer` may not call the changing `method` with `p`, or nil: only root, the daemon's user, `tiendo-admin`
    /// and the web front end change anything (a refusal is logged), and an `actor` must be a name a front end shows.
    /// vn.tiendo.Manager's, vn.tiendo.Extras' and vn.tiendo.Delivery's changes alike.
    func refusal(toMutate method: String, _ p: [String: JSON], peer: Peer, log refusals: RefusalLog) -> VarlinkReply? {
        guard mayMutate(peer) else {
            refusals.refused(method, uid: peer.uid, pid: peer.pid, "cần root, uid của daemon, nhóm tiendo-admin hoặc tiendo-web")
            return .error("org.varlink.service.PermissionDenied")
        }
        if let name = p["actor"]?.stringValue, !ControlService.isValidActorName(name) {
            return .error("org.varlink.service.InvalidParameter", [("parameter", .string("actor"))])
        }
        return nil
    }
}
