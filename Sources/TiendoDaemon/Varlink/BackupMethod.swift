import TiendoCore
import TiendoStore

/// `vn.tiendo.Extras.Backup` (an extension, README "Extensions to the contract"): a copy of the state database taken
/// while the daemon runs (`Store.backup`), for `tiendoctl backup` and the daily `tiendo-backup.timer`.
extension ControlService {
    /// Who may change anything may take a copy (it writes files beside the database); it runs on a reader thread, as
    /// long as the copy takes, while the loop goes on.
    func backup(_ p: [String: JSON], peer: Peer) -> Dispatch {
        if let refused = refusal(toMutate: ControlService.extrasInterface + ".Backup", p, peer: peer) { return refused }
        let keep = p["keep"]?.intValue
        if let keep, keep < 1 { return .immediate(.error("org.varlink.service.InvalidParameter", [("parameter", .string("keep"))])) }
        return .deferred { [self] reply in
            readers.async(for: peer.uid) { reply(self.takeBackup(keep: keep, uid: peer.uid).encoded()) }
        }
    }

    func takeBackup(keep: Int?, uid: UInt32) -> VarlinkReply {
        let v = views()
        // In Việt Nam's time, whatever the workflows' zones, as the copy's name says it.
        let zone = Zone.vietnam
        let at = clock.now()
        do throws(BackupError) {
            let r = try v.store.backup(at: at, keep: keep)
            let removed = r.removed.isEmpty ? "" : "; đã xóa \(r.removed.count) bản cũ"
            log(
                5,
                "Đã sao lưu cơ sở dữ liệu vào \(r.path) (\(Messages.size(r.bytes)), \(Messages.count(r.instances)) hồ sơ; yêu cầu của uid \(uid))\(removed)"
            )
            return .ok([
                ("path", .string(r.path)), ("at", .string(zone.iso(at))), ("bytes", .int(Int(r.bytes))), ("instances", .int(r.instances)),
                ("removed", .array(r.removed.map(JSON.string))),
            ])
        } catch {
            log(3, "Không sao lưu được cơ sở dữ liệu: \(error)")
            return .error(ControlService.extrasInterface + ".BackupFailed", [("reason", .string(error.description))])
        }
    }
}
