import Foundation
import TiendoCore
import TiendoDelivery
import TiendoStore
import TiendoVarlink

/// The daemon's delivery state (`docs/delivery.md` §6): the routing file in force and the router built from it, and
/// the channels whose queue changed since the sender was last told. Loop thread only.
final class DeliveryState {
    var routing: Routing?
    var router: Router?
    /// Channels with new, retried or released deliveries, or claims: their next due instant may have changed.
    var changed = Set<String>()
    /// Told on the loop thread which channels changed (`vn.tiendo.Delivery.NextDue` streams).
    var onChanges: ((Set<String>) -> Void)?
}

extension Daemon {
    // MARK: The routing file

    /// Loads `delivery/routing.yaml` from the search path with the definitions just loaded (start, SIGHUP, Reload).
    /// A broken file keeps the last good routing in force, with its diagnostics in status and `Reload`'s reply; at a
    /// start (a reboot after the edit) that is the copy kept in the state directory (`RoutingSnapshot`): before, the
    /// records of that time were fanned out to no one and never delivered. No file means nothing is fanned out any
    /// more.
    func loadRouting(_ set: DefinitionSet, diagnostics: inout [Diagnostic]) {
        guard let file = RoutingParser.find(searchPath: options.workflowDirectories) else {
            if let gone = delivery.routing {
                // In the reload's reply and status too: the journal alone, and «0 cảnh báo» on the screen, left every
                // reminder after it unsent without a word the operator would read (audit, 07/12/2026).
                let message =
                    "không còn tệp định tuyến \(RoutingParser.relativePath) (đã bị xóa hoặc đổi tên?): từ nay không tạo "
                    + "thông báo gửi đi mới qua email, webhook; đặt lại tệp rồi nạp lại"
                log.warning("\(gone.file): \(message)")
                diagnostics.append(Diagnostic(file: gone.file, line: 1, column: 1, severity: .warning, message: message))
            }
            delivery.routing = nil
            delivery.router = nil
            return
        }
        // Workflows kept in force after a broken reload still route with their own calendar.
        var definitions = set
        for (id, def) in current where definitions.workflows[id] == nil {
            definitions.workflows[id] = def
            definitions.order.append(id)
        }
        let (loaded, found, snapshot) = RoutingSnapshot.load(file: file, definitions: definitions, now: clock.now())
        diagnostics += found
        let errors = found.filter { $0.severity == .error }.map(\.description).joined(separator: "; ")
        guard let routing = loaded else {
            let saved = delivery.routing == nil ? RoutingSnapshot.read(directory: options.stateDirectory) : nil
            if delivery.routing != nil {
                log.error(
                    "Tệp định tuyến \(file) bị từ chối, giữ phiên bản tốt trước đó: \(errors)",
                    metadata: .event(.definitionRejected, [("TIENDO_FILE", file)]))
            } else if let saved, let kept = saved.routing(of: file, definitions: definitions) {
                log.error(
                    "Tệp định tuyến \(file) bị từ chối, dùng bản tốt gần nhất lưu lúc \(Zone.vietnam.vietnamese(saved.savedAt)): \(errors)",
                    metadata: .event(.definitionRejected, [("TIENDO_FILE", file)]))
                install(kept, definitions: definitions)
            } else {
                let other = saved.map { " (bản tốt đã lưu là của tệp \($0.file))" } ?? ""
                log.error(
                    "Tệp định tuyến \(file) bị từ chối, chưa có phiên bản nào dùng được\(other): chưa tạo thông báo gửi đi nào: \(errors)",
                    metadata: .event(.definitionRejected, [("TIENDO_FILE", file)]))
            }
            return
        }
        if let snapshot {
            do { try snapshot.write(directory: options.stateDirectory) } catch {
                log.warning("Không lưu được bản định tuyến tốt gần nhất: \(error)")
            }
        }
        let before = delivery.routing
        install(routing, definitions: definitions)
        log.info(
            "Đã nạp tệp định tuyến \(file): \(routing.channelOrder.count) kênh, \(routing.routes.count) tuyến",
            metadata: .event(.definitionsLoaded, [("TIENDO_FILE", file)]))
        diagnostics += stranded(by: routing, file: file)
        if let before { diagnostics += senderBehind(before, routing, file: file) }
        diagnostics += unknownGroups(routing)
    }

    /// The groups of the recipient lists and of routes' `groups:` that name no group of the records held, however
    /// spelt (`GroupNames`): «KDC số 5» for «Khu dân cư số 5» reaches no one, and nothing said so (audit, 07/12/2026).
    /// Said at each load while records exist (a new ward's lists come before its records).
    func unknownGroups(_ routing: Routing) -> [Diagnostic] {
        guard let names = try? store.groupNames(), !names.isEmpty else { return [] }
        let known = GroupNames(names)
        var said: [Diagnostic] = []
        func warn(_ file: String, _ line: Int, _ what: String, _ group: String) {
            let message =
                "\(what): chi bộ «\(group)» không trùng chi bộ nào của các hồ sơ đang có (kiểm tra cách viết): "
                + "dòng này sẽ không nhận được thông báo nào"
            log.warning("\(file): \(message)")
            said.append(Diagnostic(file: file, line: line, column: 1, severity: .warning, message: message))
        }
        for name in routing.lists.keys.sorted() {
            guard let list = routing.lists[name] else { continue }
            for group in list.byGroup.keys.sorted() where known.meant(group) == nil {
                warn(list.file, 1, "danh sách người nhận '\(name)'", group)
            }
        }
        for route in routing.routes {
            for group in (route.groups ?? []).sorted() where known.meant(group) == nil {
                warn(routing.file, route.position.line, "tuyến '\(route.name)'", group)
            }
        }
        return said
    }

    /// The channels a reload added or changed: a sender started before sends with the channels it read at its start,
    /// so a new channel's messages waited «chờ gửi» without a reason while the reload said «0 cảnh báo» (audit,
    /// 07/12/2026). Said in `Reload`'s reply and the journal, at the channel's place.
    func senderBehind(_ before: Routing, _ after: Routing, file: String) -> [Diagnostic] {
        func same(_ a: ChannelDefinition, _ b: ChannelDefinition) -> Bool {
            var a = a
            a.position = b.position
            return a == b
        }
        return after.channelOrder.compactMap { name -> Diagnostic? in
            guard let now = after.channel(name) else { return nil }
            let old = before.channel(name)
            if let old, same(old, now) { return nil }
            let message =
                "kênh '\(name)' \(old == nil ? "mới có" : "đã thay đổi") trong tệp định tuyến: tiendo-deliver gửi với các kênh "
                + "đọc lúc nó khởi động; systemctl reload tiendod đã nạp lại nó nếu nó chạy dưới systemd, còn không thì "
                + "hãy nạp lại nó: sudo systemctl reload tiendo-deliver"
            log.warning("\(file): \(message)")
            return Diagnostic(file: file, line: now.position.line, column: now.position.column, severity: .warning, message: message)
        }
    }

    /// Messages waiting on a channel the routing file no longer has are sent by no one (a sender works the channels
    /// of the file): said at each load, in `Reload`'s reply, status and the journal, until the channel is back or they
    /// are gone. A renamed channel left them waiting without a word (audit, 07/12/2026).
    func stranded(by routing: Routing, file: String) -> [Diagnostic] {
        guard let counts = try? store.deliveryCounts() else { return [] }
        var said: [Diagnostic] = []
        for (channel, states) in counts.channels.sorted(by: { $0.key < $1.key }) where routing.channel(channel) == nil {
            let waiting = (states["pending"] ?? 0) + (states["inflight"] ?? 0)
            guard waiting > 0 else { continue }
            let message =
                "\(waiting) thông báo đang chờ gửi trên kênh '\(channel)', kênh này không còn trong tệp định tuyến: không có gì gửi"
                + " chúng đi. Đặt lại kênh '\(channel)' trong tệp, hoặc xem chúng: tiendoctl deliveries --channel \(channel)"
            log.warning("\(file): \(message)")
            said.append(Diagnostic(file: file, line: 1, column: 1, severity: .warning, message: message))
        }
        return said
    }

    /// Puts a routing in force, with a router on the calendars in force.
    func install(_ routing: Routing, definitions: DefinitionSet) {
        let calendar =
            calendarsInForce["vn"] ?? current.values.first?.calendar
            ?? WorkCalendar(id: "weekend", title: "Thứ Bảy, Chủ nhật", zone: .vietnam, weekend: [6, 7], rules: [], years: [:])
        delivery.routing = routing
        delivery.router = Router(routing: routing, definitions: definitions, fallbackCalendar: calendar)
    }

    // MARK: Fan-out in the record's transaction

    /// What `Store.commit` does for delivery: each record's deliveries, computed by the router from the routing file
    /// in force and the instance data of `changes`, at `now` (the commit's instant); the expiry of pending notices
    /// whose deadline closed.
    func deliveryCommit(now: Instant, changes: [InstanceChange]) -> DeliveryCommit {
        guard let router = delivery.router else { return DeliveryCommit(now: now, fanOut: nil) }
        var byID: [String: Int] = [:]
        for (i, c) in changes.enumerated() { byID[c.instance.id] = i }
        return DeliveryCommit(now: now) { [self] record, key in
            guard let notice = try? Notice(json: record.json) else { return ([], []) }
            var data: [String: String] = [:]
            if let id = record.instance, let i = byID[id] {
                let zone = current[record.workflow]?.zone ?? .vietnam
                data = changes[i].instance.data.mapValues { $0.display(zone: zone) }
            }
            let (fanOuts, unreachable) = router.fanOut(notice, recordKey: key, data: data, now: now)
            for u in unreachable {
                log.warning("Không gửi được thông báo cho một người nhận (giữ lại như thư chết): \(u.logLine)")
                delivery.changed.insert(u.channel)
            }
            for f in fanOuts { delivery.changed.insert(f.channel) }
            return (fanOuts, unreachable)
        }
    }

    // MARK: The queue (loop thread; vn.tiendo.Delivery)

    func claimDeliveries(channel: String, owner: String, now: Instant, limit: Int, lease: Int64) throws -> [DeliveryJob] {
        delivery.changed.insert(channel)
        return try transact {
            try $0.claimDeliveries(channel: channel, owner: owner, now: now, limit: limit, leaseUntil: now.adding(seconds: lease))
        }
    }

    func reportDeliveries(_ reports: [DeliveryReport], owner: String) throws -> Int {
        let (applied, channels) = try transact { try $0.reportDeliveries(reports, owner: owner) }
        delivery.changed.formUnion(channels)
        statusDirty = true
        return applied
    }

    func releaseDeliveries(_ ids: [Int64]?, owner: String) throws -> Int {
        let (released, channels) = try transact { try $0.releaseDeliveries(ids, owner: owner) }
        delivery.changed.formUnion(channels)
        return released
    }

    func discardDeliveries(_ ids: [Int64]?, actor: String?) throws -> Int {
        let (discarded, channels) = try transact { try $0.discardDeliveries(ids, now: clock.now(), by: actor) }
        delivery.changed.formUnion(channels)
        statusDirty = true
        return discarded
    }

    func retryDeliveries(_ ids: [Int64]?) throws -> Int {
        let (retried, channels) = try transact { try $0.retryDeliveries(ids, now: clock.now()) }
        delivery.changed.formUnion(channels)
        statusDirty = true
        return retried
    }

    /// Tells the NextDue streams which channels changed (after the loop's commits).
    public func flushDeliveryChanges() {
        guard !delivery.changed.isEmpty else { return }
        let changed = delivery.changed
        delivery.changed = []
        statusDirty = true
        delivery.onChanges?(changed)
    }
}
