import TiendoCore
import TiendoVarlink

/// «Ghi nhầm?» on a record's page: its latest step (an event, or a milestone marked done), recorded within the last
/// 7 days, can be undone (`vn.tiendo.Extras.Undo`, an extension). The record goes back to what it was just before
/// the step; history keeps the step and says it was undone.
struct UndoView {
    var step: Extras.UndoableStep?
    var instance: Manager.Instance
    var catalog: Catalog
    var account: Account
    var context: WebContext

    var workflow: Extras.WorkflowInfo? { catalog[instance.workflow] }

    /// The event's info in any state of the workflow (the record has left the state that took it).
    static func event(_ name: String, in workflow: Extras.WorkflowInfo?) -> Extras.EventInfo? {
        workflow?.states.lazy.flatMap(\.events).first { $0.name == name }
    }

    /// What the step did, as its button or the milestone's row said it: «Ghi kết quả biểu quyết», «Đánh dấu xong
    /// «Đóng đảng phí» kỳ 11/2026».
    static func title(_ step: Extras.UndoableStep, in workflow: Extras.WorkflowInfo?) -> String {
        if step.event == "done", let m = step.milestone {
            let parts = m.split(separator: "@", maxSplits: 1).map(String.init)
            let title = workflow?.milestone(parts[0])?.title ?? parts[0]
            return "Đánh dấu xong «\(title)»" + (parts.count > 1 ? " kỳ \(Format.occurrence(parts[1], due: nil))" : "")
        }
        return "«" + (event(step.event, in: workflow)?.title ?? step.event) + "»"
    }

    /// Only who may record the step may undo it: a reader never, a chi bộ's account not the office's decisions.
    static func mayUndo(_ step: Extras.UndoableStep, in workflow: Extras.WorkflowInfo?, account: Account) -> Bool {
        guard account.role.mayAct else { return false }
        return step.event == "done" || event(step.event, in: workflow).map(account.mayRecord) ?? true
    }

    var section: HTML {
        guard let step, UndoView.mayUndo(step, in: workflow, account: account), let at = Format.zone.parseInstant(step.at) else {
            return .empty
        }
        let what = UndoView.title(step, in: workflow)
        let who = step.actor.map { ", do \($0) ghi" } ?? ""
        let until = Format.zone.vietnamese(at.adding(seconds: 7 * 86_400))
        let back = step.state.flatMap { catalog.stateTitle(instance.workflow, $0) }
        let goesBack = back.map { "hồ sơ trở lại «\($0)»" } ?? "hồ sơ trở lại như trước bước này"
        let confirm = "Hoàn tác bước \(what) ghi lúc \(Format.zone.vietnamese(at))? Sau đó \(goesBack); lịch sử vẫn giữ bước đã ghi."
        return """
            <section class="no-print undo"><h2>Ghi nhầm?</h2>
            <p>Bước ghi gần nhất: \(what) lúc \(Format.zone.vietnamese(at))\(who). Nếu ghi nhầm, có thể hoàn tác đến \(until): \(goesBack), \
            các hạn tính lại như chưa có bước này; lịch sử vẫn giữ bước đã ghi và việc hoàn tác.</p>
            <form method="post" class="inline" data-confirm="\(confirm)">\(Layout.csrf(context))
            <input type="hidden" name="hanh-dong" value="hoan-tac"><input type="hidden" name="buoc" value="\(step.at)">
            <button type="submit">Hoàn tác bước này</button></form></section>
            """
    }

    /// Undoes the step the page showed (`buoc`, its instant: a newer step recorded since is refused by tiendod) in
    /// the account's name; returns what to say.
    static func undo(_ app: WebApp, _ entry: Extras.InstanceEntry, form: Form, catalog: Catalog, account: Account) async throws -> String {
        guard let at = form.text("buoc") else { throw PageError.badRequest("Thiếu bước cần hoàn tác.") }
        let workflow = catalog[entry.instance.workflow]
        if let step = entry.undo, !mayUndo(step, in: workflow, account: account) {
            throw PageError.forbidden(
                "\(title(step, in: workflow)) là quyết định của cấp trên chi bộ, do văn phòng Đảng ủy ghi và hoàn tác; "
                    + "tài khoản «\(account.name)» không hoàn tác được. Không có gì thay đổi.")
        }
        let after = try await app.daemon.call(Extras.Undo(id: entry.instance.id, at: at, actor: account.name))
        let what = entry.undo.map { title($0, in: workflow) } ?? "bước ghi gần nhất"
        let state = catalog.stateTitle(after.workflow, after.state) ?? after.state
        return "Đã hoàn tác \(what) của hồ sơ «\(catalog.label(of: after))»" + (state.map { "; hồ sơ đang ở «\($0)»." } ?? ".")
    }
}
