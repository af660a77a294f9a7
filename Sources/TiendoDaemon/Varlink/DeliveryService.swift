import Foundation
import Synchronization
import TiendoCore
import TiendoDelivery
import TiendoStore
import TiendoVarlink

/// `vn.tiendo.Delivery` (`vn.tiendo.Delivery.varlink`, docs/delivery.md §6): the queue for the sender and operators.
/// Claims, reports, releases and retries are writes of the daemon's loop, grouped with operators' changes into one
/// transaction, answered once durable; lists and counts are read on the reader threads. `NextDue` with `more`
/// keeps a stream per sender worker that hears of every change of the channel's next due instant, so the sender
/// sleeps until something is due instead of polling.
final class DeliveryService: Sendable {
    typealias Schema = [(String, ControlService.ParamType, Bool)]
    static let schemas: [String: Schema] = [
        "Claim": [
            ("channel", .string, false), ("owner", .string, false), ("limit", .int, false), ("lease", .int, false), ("now", .string, true),
        ],
        "Report": [("owner", .string, false), ("reports", .objectList, false)],
        "Release": [("owner", .string, false), ("ids", .intList, true)],
        "NextDue": [("channel", .string, false)],
        "List": [
            ("states", .stringList, true), ("channel", .string, true), ("limit", .int, true), ("after", .int, true),
            ("newest", .bool, true),
        ],
        "Retry": [("ids", .intList, true), ("allDead", .bool, true), ("actor", .string, true)],
        "Discard": [("ids", .intList, true), ("allDead", .bool, true), ("actor", .string, true)],
        "Counts": [],
    ]
    static let senderMethods: Set<String> = ["Claim", "Report", "Release", "NextDue"]

    let loop: EventLoop
    let views: @Sendable () -> Views
    let clock: DaemonClock
    let log: @Sendable (Int, String) -> Void
    let refusals: RefusalLog
    let authority: PeerAuthority
    let readers: ReaderPool

    /// A NextDue stream and what it was last told.
    final class Subscriber {
        let stream: VarlinkStream
        var told = false
        var announced: Instant?
        init(_ stream: VarlinkStream) { self.stream = stream }
    }
    /// Used on the loop thread only (so never contended); the Mutex lets the compiler check that it is shared safely.
    private let streams = Mutex<[String: [Subscriber]]>([:])
    /// The process that last claimed under each owner name. A second sender under the same name (the unit's, and
    /// one an operator starts by hand) took the other's claims back as orphans at each claim, and nearly every
    /// email went twice; it is refused while the first one runs. A successor after a crash or a restart is let in
    /// (the old process is gone) and gets the orphans back, as designed.
    private let claimants = Mutex<[String: Int32]>([:])

    init(
        loop: EventLoop, views: @escaping @Sendable () -> Views, clock: DaemonClock, log: @escaping @Sendable (Int, String) -> Void,
        refusals: RefusalLog, authority: PeerAuthority, readers: ReaderPool
    ) {
        self.loop = loop
        self.views = views
        self.clock = clock
        self.log = log
        self.refusals = refusals
        self.authority = authority
        self.readers = readers
        loop.withDaemon { d in
            let store = d.store
            d.delivery.onChanges = { [unowned self] channels in
                for c in channels { self.announce(c, store: store) }
            }
        }
    }

    func handle(_ name: String, _ parameters: [(String, JSON)], more: Bool, peer: Peer) -> Dispatch {
        let method = Deliveries.interface + "." + name
        guard let schema = DeliveryService.schemas[name] else {
            return .immediate(.error("org.varlink.service.MethodNotFound", [("method", .string(method))]))
        }
        let p: [String: JSON]
        switch ControlService.check(schema: schema, parameters) {
        case .success(let v): p = v
        case .failure(let bad): return .immediate(.error("org.varlink.service.InvalidParameter", [("parameter", .string(bad.name))]))
        }
        if DeliveryService.senderMethods.contains(name), !authority.isSender(peer) {
            refusals.refused(method, uid: peer.uid, pid: peer.pid, "chỉ root và người dùng tiendo-deliver")
            return .immediate(.error("org.varlink.service.PermissionDenied"))
        }
        // Changes as vn.tiendo.Manager's are: the web's «Thông báo gửi đi» acts for an administrator of its accounts.
        if name == "Retry" || name == "Discard", let refused = authority.refusal(toMutate: method, p, peer: peer, log: refusals) {
            return .immediate(refused)
        }
        if name == "Claim", let busy = otherSender(owner: p["owner"]!.stringValue!, peer: peer) {
            refusals.refused(method, uid: peer.uid, pid: peer.pid, "tiendo-deliver pid \(busy) đang gửi dưới cùng tên")
            return .immediate(.error(Deliveries.interface + ".SenderRunning", [("pid", .int(Int(busy)))]))
        }
        switch name {
        case "NextDue" where more:
            let channel = p["channel"]!.stringValue!
            return .stream { [self] stream in
                loop.enqueue { d in
                    self.streams.withLock { $0[channel, default: []].append(Subscriber(stream)) }
                    self.announce(channel, store: d.store)
                }
            }
        case "NextDue", "List", "Counts":
            return .deferred { [self] reply in readers.async(for: peer.uid) { reply(self.read(name, p).encoded()) } }
        default:
            return .deferred { [self] reply in
                loop.enqueue(groupable: true) { d in
                    let r = self.write(name, p, uid: peer.uid, daemon: d)
                    d.afterCommit { ok in
                        reply(
                            ok ? r : .error("org.varlink.service.InternalError", [("reason", .string("không ghi được vào cơ sở dữ liệu"))]))
                    }
                }
            }
        }
    }

    /// The pid of another live sender claiming under `owner`, or nil (and `peer` is recorded as the owner's sender).
    func otherSender(owner: String, peer: Peer) -> Int32? {
        guard peer.pid > 0 else { return nil }
        return claimants.withLock { claimants in
            if let known = claimants[owner], known != peer.pid, DeliveryService.isSender(pid: known) { return known }
            claimants[owner] = peer.pid
            return nil
        }
    }

    /// Whether `pid` is a live tiendo-deliver: by its command name where /proc shows it (so that a reused pid does
    /// not count); under tiendod.service's `ProtectProc=invisible` another user's process is hidden there, and
    /// whether it lives is asked with a null signal (EPERM: it exists, owned by another user; ESRCH: gone).
    static func isSender(pid: Int32) -> Bool {
        if let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) { return comm.hasPrefix("tiendo-deliver") }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Tells the channel's streams its next due instant when it changed (loop thread).
    func announce(_ channel: String, store: Store) {
        streams.withLock { streams in
            guard var subs = streams[channel] else { return }
            subs.removeAll { !$0.stream.isOpen }
            streams[channel] = subs.isEmpty ? nil : subs
            guard !subs.isEmpty else { return }
            let next: Instant?
            do { next = try store.nextDelivery(channel: channel) } catch {
                log(3, "NextDue \(channel): \(error)")
                return
            }
            for s in subs where !s.told || s.announced != next {
                s.told = true
                s.announced = next
                s.stream.send([("at", next.map { .string(Zone.vietnam.iso($0)) } ?? .null)])
            }
        }
    }

    static func ids(_ v: JSON?) -> [Int64]? { v?.arrayValue?.compactMap(\.intValue).map(Int64.init) }

    // MARK: Writes (loop thread)

    func write(_ name: String, _ p: [String: JSON], uid: uid_t, daemon d: Daemon) -> VarlinkReply {
        do {
            switch name {
            case "Claim":
                var now = d.clock.now()
                if let text = p["now"]?.stringValue {
                    guard let t = Zone.utc.parseInstant(text) else {
                        return .error("org.varlink.service.InvalidParameter", [("parameter", .string("now"))])
                    }
                    now = t
                }
                let jobs = try d.claimDeliveries(
                    channel: p["channel"]!.stringValue!, owner: p["owner"]!.stringValue!, now: now,
                    limit: max(1, min(p["limit"]!.intValue!, 1000)), lease: Int64(max(1, min(p["lease"]!.intValue!, 86_400))))
                return .ok([("jobs", .array(jobs.map(\.json)))])
            case "Report":
                var reports: [DeliveryReport] = []
                for (i, r) in p["reports"]!.arrayValue!.enumerated() {
                    do { reports.append(try DeliveryReport(json: r, path: "reports[\(i)]")) } catch {
                        log(4, "vn.tiendo.Delivery.Report: \(error)")
                        return .error("org.varlink.service.InvalidParameter", [("parameter", .string("reports"))])
                    }
                }
                let owner = p["owner"]!.stringValue!
                let applied = try d.reportDeliveries(reports, owner: owner)
                if applied < reports.count {
                    log(5, "Bỏ qua \(reports.count - applied) kết quả gửi của \(owner): việc không còn do nó giữ")
                }
                return .ok([("applied", .int(applied))])
            case "Release":
                let released = try d.releaseDeliveries(DeliveryService.ids(p["ids"]), owner: p["owner"]!.stringValue!)
                return .ok([("released", .int(released))])
            case "Retry", "Discard":
                let ids = DeliveryService.ids(p["ids"])
                guard (ids != nil) != (p["allDead"]?.boolValue == true) else {
                    return .error("org.varlink.service.InvalidParameter", [("parameter", .string(ids == nil ? "ids" : "allDead"))])
                }
                let actor = p["actor"]?.stringValue
                let by = "\(actor.map { " theo yêu cầu của \($0)" } ?? "") (uid \(uid))"
                if name == "Retry" {
                    let retried = try d.retryDeliveries(ids)
                    log(5, "Đưa lại \(retried) thư chết vào hàng đợi\(by)")
                    return .ok([("retried", .int(retried))])
                }
                let discarded = try d.discardDeliveries(ids, actor: actor ?? "uid \(uid)")
                log(5, "Bỏ qua \(discarded) thư chết (đã xử lý)\(by)")
                return .ok([("discarded", .int(discarded))])
            default:
                return .error("org.varlink.service.MethodNotFound", [("method", .string(name))])
            }
        } catch DeliveryStoreError.unknownDelivery(let id) {
            return .error(Deliveries.interface + ".NoSuchDelivery", [("id", .int(Int(id)))])
        } catch {
            log(3, "vn.tiendo.Delivery.\(name): \(error)")
            return .error("org.varlink.service.InternalError")
        }
    }

    // MARK: Reads (reader threads)

    func read(_ name: String, _ p: [String: JSON]) -> VarlinkReply {
        let store = views().store
        do {
            switch name {
            case "NextDue":
                let next = try store.nextDelivery(channel: p["channel"]!.stringValue!)
                return .ok([("at", next.map { .string(Zone.vietnam.iso($0)) } ?? .null)])
            case "Counts":
                var counts = try store.deliveryCounts()
                counts.routing = views().catalog.routingFile
                guard case .object(let o) = counts.json else { return .error("org.varlink.service.InternalError") }
                return .ok(o)
            case "List":
                let states = p["states"]?.arrayValue?.compactMap(\.stringValue)
                if let bad = states?.first(where: { !Deliveries.listStates.contains($0) }) {
                    log(5, "vn.tiendo.Delivery.List: trạng thái không có '\(bad)'")
                    return .error("org.varlink.service.InvalidParameter", [("parameter", .string("states"))])
                }
                let limit = max(1, min(p["limit"]?.intValue ?? 100, 10_000))
                var rows = try store.deliveryRows(
                    states: states, channel: p["channel"]?.stringValue, after: p["after"]?.intValue.map(Int64.init), limit: limit + 1,
                    newest: p["newest"]?.boolValue ?? false)
                let more = rows.count > limit
                if more { rows.removeLast() }
                return .ok([("rows", .array(rows.map(\.json))), ("next", more ? .int(Int(rows.last!.id)) : .null)])
            default:
                return .error("org.varlink.service.MethodNotFound", [("method", .string(name))])
            }
        } catch {
            log(3, "vn.tiendo.Delivery.\(name): \(error)")
            return .error("org.varlink.service.InternalError")
        }
    }
}
