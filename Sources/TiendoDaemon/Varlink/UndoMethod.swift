import TiendoCore
import TiendoVarlink

/// `vn.tiendo.Extras.Undo` (an extension, README "Extensions to the contract"): undoing an instance's latest step
/// (`Daemon.undoStep`).
extension ControlService {
    /// `Undo` (the only change in this interface): who may change anything may undo, on the loop thread like
    /// `SendEvent`, with the instance as the manager's methods answer it.
    func undo(_ p: [String: JSON], peer: Peer) -> Dispatch {
        guard authority.mayMutate(peer) else {
            log(
                4,
                "Từ chối \(ControlService.extrasInterface).Undo của uid \(peer.uid) (pid \(peer.pid)): cần root, uid của daemon hoặc nhóm tiendo-admin"
            )
            return .immediate(.error("org.varlink.service.PermissionDenied"))
        }
        let actorName = p["actor"]?.stringValue
        if let actorName, !ControlService.isValidActorName(actorName) {
            return .immediate(.error("org.varlink.service.InvalidParameter", [("parameter", .string("actor"))]))
        }
        let id = p["id"]!.stringValue!
        let expected = p["token"]?.stringValue
        return deferredMutation(groupable: true, peer: peer) { d, actor in
            do throws(RequestError) {
                let row = try d.undoRow(id: id, expecting: expected, actor: actor, actorName: actorName)
                return .ok([("instance", d.views.instanceJSON(row, now: d.clock.now()))])
            } catch {
                return ControlService.error(error)
            }
        }
    }
}
