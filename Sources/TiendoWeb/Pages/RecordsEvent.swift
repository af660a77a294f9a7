import Hummingbird
import TiendoCore
import TiendoVarlink

/// `POST /ho-so` — one step recorded for the records ticked in a list of one workflow's records in one state: the
/// office marks fifty printed cards «Đã in thẻ», a chi bộ the cards handed over at its meeting. Only a step that asks
/// nothing is offered (`offered`): one that needs facts (a vote's counts, a decision's date) is recorded on each
/// record's page. Every record is sent the event as its page's button sends it (the account must see the record and
/// may record the step; the record must still be in the state the list showed: one this step already moved on is
/// said recorded before), one after another, and the list then says for which records it was recorded and for which
/// it was refused and why.
struct RecordsEvent {
    let app: WebApp

    /// The form the list's boxes belong to, by its id.
    static let formID = "su-kien-nhieu"
    /// At most a page of the list at once.
    static let maxRecords = WebLimits.listPage

    /// The steps a list offers for its ticked records: with one workflow and one state chosen, the events of that
    /// state that the account records and that ask for nothing.
    static func offered(_ workflow: Extras.WorkflowInfo?, state: String?, account: Account) -> [Extras.EventInfo] {
        guard account.role.mayAct, let s = state.flatMap({ workflow?.state($0) }), !s.final else { return [] }
        return s.events.filter { $0.fields.isEmpty && account.mayRecord($0) }
    }

    /// A step as the list's choice names it: its title, else where it leads, as a record page's button says it.
    static func label(_ e: Extras.EventInfo, in workflow: Extras.WorkflowInfo?) -> String {
        e.title ?? "Chuyển sang «\(target(e, in: workflow))»"
    }

    /// A step inside a sentence: «Đã in thẻ», or «việc chuyển sang «Đã nộp, chờ chấm»» for one without a title.
    static func said(_ e: Extras.EventInfo, in workflow: Extras.WorkflowInfo?) -> String {
        e.title.map { "«\($0)»" } ?? "việc chuyển sang «\(target(e, in: workflow))»"
    }

    static func target(_ e: Extras.EventInfo, in workflow: Extras.WorkflowInfo?) -> String {
        e.targets.first.flatMap { workflow?.state($0)?.title } ?? e.targets.first ?? e.name
    }

    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        try RecordPage.mayChange(account)
        let form = context.form
        let back = BulkOutcome.back(to: "/ho-so", query: form["quay-lai"])
        guard form["hanh-dong"] == "su-kien-nhieu", let event = form.text("su-kien") else {
            throw PageError.badRequest("Không rõ thao tác cần làm.")
        }
        var ids: [String] = []
        var seen: Set<String> = []
        for (name, value) in form.fields where name == "chon" {
            guard value.contains("/"), !value.contains("|") else {
                throw PageError.badRequest("Hồ sơ đã chọn «\(value)» không đúng dạng của danh sách hồ sơ.")
            }
            if seen.insert(value).inserted { ids.append(value) }
        }
        let none = "tích chọn ô ở đầu dòng các hồ sơ đã làm xong việc đó rồi bấm lại."
        if let refusal = BulkOutcome.refusal(count: ids.count, max: RecordsEvent.maxRecords, unit: "hồ sơ", none: none) {
            try await app.flash(refusal, ok: false, request, context)
            return .redirect(to: back)
        }
        // The list showed one workflow in one state: the step is that state's, and a record found elsewhere has moved
        // on since the page was shown (by this step, recorded by someone else or by a second click: already done).
        guard let workflowID = form.text("quy-trinh"), let shown = form.text("trang-thai") else {
            throw PageError.badRequest("Thiếu quy trình hoặc trạng thái của danh sách.")
        }
        let catalog = try await app.daemon.workflows()
        let workflow = catalog[workflowID]
        // Offered on that list, by the same rule that offered it.
        guard let info = RecordsEvent.offered(workflow, state: shown, account: account).first(where: { $0.name == event }) else {
            throw PageError.badRequest("Bước «\(catalog.stateTitle(workflowID, shown) ?? shown)» không ghi được «\(event)» từ danh sách.")
        }
        let step = RecordsEvent.said(info, in: workflow)
        var outcome = BulkOutcome(
            unit: "hồ sơ", doneLead: "Đã ghi \(step) cho", refusedLead: "Không ghi được \(step) cho",
            alreadySaid: "đã được ghi \(step) từ trước (hồ sơ đã sang bước đó)")
        var remaining = ids[...]
        while let id = remaining.popFirst() {
            var who = id
            do {
                let instance = try await RecordPage.visible(app, id: id, account: account).instance
                who = catalog.label(of: instance)
                guard instance.workflow == workflowID, instance.state == shown else {
                    if instance.workflow == workflowID, let now = instance.state, info.targets.contains(now) {
                        outcome.already.append(who)
                    } else {
                        let now = instance.state.flatMap { catalog.stateTitle(instance.workflow, $0) } ?? "đã hoàn tất"
                        outcome.refused.append("\(who): hồ sơ đã sang bước «\(now)», không còn ở bước ghi được \(step).")
                    }
                    continue
                }
                _ = try await app.daemon.call(
                    Manager.SendEvent(id: id, event: event, data: nil, idempotencyKey: form.text("khoa"), actor: account.name))
                outcome.done.append(who)
            } catch let e as ManagerError {
                outcome.refused.append("\(who): \(RecordPage.refusal(e, workflow: catalog[String(id.prefix { $0 != "/" })]))")
            } catch {
                guard outcome.note(error, for: who, left: remaining.count) else { break }
            }
        }
        try await outcome.flash(app, request, context)
        return .redirect(to: back)
    }
}
