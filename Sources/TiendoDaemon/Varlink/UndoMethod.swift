import TiendoCore
import TiendoVarlink

/// `vn.tiendo.Extras.Undo` (an extension, README "Extensions to the contract"): undoing an instance's latest step
/// (`Daemon.undoStep`).
extension ControlService {
    /// `Undo` (the only change in this interface): who may change anything may undo, on the loop thread like
    /// `SendEvent`, with the instance as the manager's methods answer it.
    func undo(_ p: [String: JSON], peer: Peer) -> Dispatch {
        if let refused = refusal(toMutate: ControlService.extrasInterface + ".Undo", p, peer: peer) { return refused }
        let actorName = p["actor"]?.stringValue
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
