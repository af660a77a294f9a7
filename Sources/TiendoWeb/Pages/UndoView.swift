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
    /// Accounts by sign-in name (`RecordView.people`).
    var people: [String: Account] = [:]

    var workflow: Extras.WorkflowInfo? { catalog[instance.workflow] }

    /// The event's info in the state that took it when known (the record has left it), else in any state.
    static func event(_ name: String, in workflow: Extras.WorkflowInfo?, state: String? = nil) -> Extras.EventInfo? {
        if let state, let e = workflow?.state(state)?.events.first(where: { $0.name == name }) { return e }
        return workflow?.states.lazy.flatMap(\.events).first { $0.name == name }
    }

    /// The milestone a `done` step completed, as its row names it: «Đóng đảng phí» kỳ 11/2026.
    static func milestone(_ step: Extras.UndoableStep, in workflow: Extras.WorkflowInfo?) -> String? {
        guard step.event == "done", let m = step.milestone else { return nil }
        let parts = m.split(separator: "@", maxSplits: 1).map(String.init)
        let title = workflow?.milestone(parts[0])?.title ?? parts[0]
        return "«\(title)»" + (parts.count > 1 ? " kỳ \(Format.occurrence(parts[1], due: nil))" : "")
    }

    /// What the step did: «Ghi kết quả biểu quyết» (the event's title, as its button said it), «chuyển sang «Đã nộp»»
    /// for an event without a title (its button said where it goes, not its code `nop`), or «đánh dấu xong «Đóng
    /// đảng phí» kỳ 11/2026».
    static func named(_ step: Extras.UndoableStep, in workflow: Extras.WorkflowInfo?) -> String {
        if let m = milestone(step, in: workflow) { return "đánh dấu xong \(m)" }
        guard let e = event(step.event, in: workflow, state: step.state) else { return "«\(step.event)»" }
        if let title = e.title { return "«\(title)»" }
        var seen: Set<String> = []
        let targets = e.targets.filter { seen.insert($0).inserted }.map { "«" + (workflow?.state($0)?.title ?? $0) + "»" }
        return targets.isEmpty ? "«\(step.event)»" : "chuyển sang \(RecordView.whither(targets))"
    }

    /// The step after «Hoàn tác», «Đã hoàn tác»: «bước «Ghi kết quả biểu quyết»», «việc đánh dấu xong «…»».
    static func title(_ step: Extras.UndoableStep, in workflow: Extras.WorkflowInfo?) -> String {
        (step.event == "done" ? "việc " : "bước ") + named(step, in: workflow)
    }

    /// Only who may record the step may undo it: a reader never, a chi bộ's account not the office's decisions (nor
    /// an event the workflow in force no longer has).
    static func mayUndo(_ step: Extras.UndoableStep, in workflow: Extras.WorkflowInfo?, account: Account) -> Bool {
        guard account.role.mayAct else { return false }
        return step.event == "done" || event(step.event, in: workflow).map(account.mayRecord) ?? account.groups.isEmpty
    }

    /// What the record goes back to: a state for an event, the milestone not done for a milestone.
    static func goesBack(_ step: Extras.UndoableStep, instance: Manager.Instance, catalog: Catalog) -> String {
        if let m = milestone(step, in: catalog[instance.workflow]) { return "\(m) trở lại chưa xong" }
        if let back = step.state.flatMap({ catalog.stateTitle(instance.workflow, $0) }) { return "hồ sơ trở lại «\(back)»" }
        return "hồ sơ trở lại như trước bước này"
    }

    var section: HTML {
        guard let step, UndoView.mayUndo(step, in: workflow, account: account), let at = Format.zone.parseInstant(step.at) else {
            return .empty
        }
        let what = UndoView.named(step, in: workflow)
        let who = step.actor.map { ", do \(people[$0]?.fullName(at: at) ?? $0) ghi" } ?? ""
        let until = Format.zone.vietnamese(at.adding(seconds: 7 * 86_400))
        let back = UndoView.goesBack(step, instance: instance, catalog: catalog)
        let confirm =
            "Hoàn tác \(UndoView.title(step, in: workflow)) ghi lúc \(Format.zone.vietnamese(at))? Sau đó \(back); lịch sử vẫn giữ bước đã ghi."
        return """
            <section class="no-print undo"><h2>Ghi nhầm?</h2>
            <p>Bước ghi gần nhất: \(what) lúc \(Format.zone.vietnamese(at))\(who). Nếu ghi nhầm, có thể hoàn tác bước này trước \(until): \(back), \
            các hạn tính lại như chưa có bước này; lịch sử vẫn giữ bước đã ghi và việc hoàn tác.</p>
            <form method="post" class="inline" data-confirm="\(confirm)">\(Layout.csrf(context))
            <input type="hidden" name="hanh-dong" value="hoan-tac"><input type="hidden" name="buoc" value="\(step.token)">
            <button type="submit">Hoàn tác bước này</button></form></section>
            """
    }

    /// Undoes the step the page showed (`buoc`, its token: a newer step recorded since, or the step already undone,
    /// is refused here, and by tiendod if it came in between) in the account's name; returns what to say.
    static func undo(_ app: WebApp, _ entry: Extras.InstanceEntry, form: Form, catalog: Catalog, account: Account) async throws -> String {
        guard let token = form.text("buoc") else { throw PageError.badRequest("Thiếu bước cần hoàn tác.") }
        let workflow = catalog[entry.instance.workflow]
        if let step = entry.undo, !mayUndo(step, in: workflow, account: account) {
            throw PageError.forbidden(
                "\(named(step, in: workflow)) là quyết định của cấp trên chi bộ, do văn phòng Đảng ủy ghi và hoàn tác; "
                    + "tài khoản «\(account.name)» không hoàn tác được. Không có gì thay đổi.")
        }
        guard let step = entry.undo, step.token == token else {
            throw PageError.badRequest(
                "Không hoàn tác được: bước định hoàn tác không còn là bước ghi gần nhất của hồ sơ (đã được hoàn tác, hoặc có người vừa "
                    + "ghi bước khác, hoặc đã quá 7 ngày). Hãy xem lại hồ sơ.")
        }
        let after = try await app.daemon.call(Extras.Undo(id: entry.instance.id, token: token, actor: account.name))
        let done = "Đã hoàn tác \(title(step, in: workflow)) của hồ sơ «\(catalog.label(of: after))»"
        if milestone(step, in: workflow) != nil { return done + "; việc đó trở lại chưa xong." }
        let state = catalog.stateTitle(after.workflow, after.state) ?? after.state
        return done + (state.map { "; hồ sơ đang ở «\($0)»." } ?? ".")
    }
}
