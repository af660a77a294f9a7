import Hummingbird
import TiendoCore
import TiendoVarlink

/// `/ho-so/WORKFLOW/KEY` — one record: its data, every open deadline, its milestones with «Đã xong», the events its
/// state accepts (with the fields they need), and its history as a timeline. POSTed to itself to act.
struct RecordPage {
    let app: WebApp

    static func id(_ context: WebContext) throws(PageError) -> String {
        guard let w = context.parameters.get("workflow"), let k = context.parameters.get("key") else {
            throw PageError.badRequest("Địa chỉ hồ sơ không đúng.")
        }
        return "\(w)/\(k)"
    }

    /// The instance (with every open deadline and its next timed transition). A record outside the account's chi bộ
    /// is answered as one that does not exist (404, the same words): a 403 would tell a chi bộ's account which codes
    /// (card numbers, member codes) other chi bộ have, by trying them.
    /// To an account limited to some chi bộ both cases say what may have happened, in the same words.
    static func visible(_ app: WebApp, id: String, account: Account) async throws -> Extras.InstanceEntry {
        let entry: Extras.InstanceEntry
        do {
            entry = try await app.daemon.call(Extras.Instance(id: id)).entry
        } catch ManagerError.noSuchInstance where account.scope != nil {
            throw notFound(id, account: account)
        }
        guard account.sees(group: entry.group) else { throw notFound(id, account: account) }
        return entry
    }

    /// A reader's account sees records and changes none.
    static func mayChange(_ account: Account) throws(PageError) {
        guard account.role.mayAct else {
            throw PageError.forbidden("Tài khoản \(account.name) (\(account.role.title)) chỉ được xem, không được thay đổi hồ sơ.")
        }
    }

    /// The page of the history the address asks for (`?lich-su=2`), from 0; a value that is not a page number is
    /// said, not silently replaced by the first page.
    static func historyPage(_ query: String?) throws(PageError) -> Int {
        guard let text = Form(fields: Form.urlEncoded(query ?? "")).text("lich-su") else { return 0 }
        guard let n = Int(text), n >= 1 else {
            throw PageError.badRequest(
                "Trang lịch sử «\(String(text.prefix(20)).loggable)» trong địa chỉ trang không phải một số từ 1 trở lên.")
        }
        return min(n, 1_000_000) - 1
    }

    /// The key of a refused step's form (`WebSession.Flash.typed`) that names the field tiendod refused.
    static let refusedField = "_loi"

    static func notFound(_ id: String, account: Account) -> PageError {
        .notFound(
            "Không tìm thấy hồ sơ «\(id)» trong các chi bộ của tài khoản «\(account.name)»: mã có thể viết sai, hoặc hồ sơ thuộc chi bộ khác. Nếu cần xem, xin liên hệ người quản trị."
        )
    }

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        let id = try RecordPage.id(context)
        let historyPage = try RecordPage.historyPage(request.uri.query)
        async let catalogCall = app.daemon.workflows()
        async let historyCall = app.daemon.call(Manager.History(id: id))
        let entry = try await RecordPage.visible(app, id: id, account: account)
        let catalog = try await catalogCall.reading(entry.definition)
        let instance = entry.instance
        let history = try await historyCall
        let followUps = await FollowUpView.offers(app, instance: instance, catalog: catalog, account: account, logger: context.logger)
        let flash = await app.takeFlash(request, context)
        let view = RecordView(
            instance: instance, transition: entry.nextTransition, history: history, catalog: catalog, account: account, context: context,
            typed: flash?.typed ?? [:], followUps: followUps, undo: entry.undo, bases: entry.bases,
            // Names only: a file that cannot be read now shows the sign-in names, as for accounts without one.
            people: (try? app.accounts.named()) ?? [:], historyPage: historyPage, ownVersion: entry.definition != nil)
        return Layout.response(
            Layout.page(title: catalog.label(of: instance), active: "/ho-so", context: context, flash: flash, body: view.body))
    }

    func act(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        let id = try RecordPage.id(context)
        try RecordPage.mayChange(account)
        let entry = try await RecordPage.visible(app, id: id, account: account)
        let catalog = try await app.daemon.workflows().reading(entry.definition)
        let instance = entry.instance
        let form = context.form
        let back = DueTable.recordLink(id)
        do {
            switch form["hanh-dong"] {
            case "xong":
                guard let milestone = form.text("moc") else { throw PageError.badRequest("Thiếu mốc cần đánh dấu đã xong.") }
                let title = RecordPage.milestoneTitle(milestone, of: instance, due: form.text("han"), catalog: catalog)
                if try await RecordPage.complete(app, milestone, of: instance, account: account) {
                    try await app.flash("Đã ghi nhận hoàn thành «\(title)».", ok: true, request, context)
                } else {
                    try await app.flash(
                        "«\(title)» đã được ghi nhận hoàn thành trước đó; không có gì thay đổi.", ok: true, request, context)
                }
            case "su-kien":
                let (event, values) = try RecordPage.event(form, instance: instance, catalog: catalog, account: account)
                try await RecordPage.notStale(app, form, instance: instance, catalog: catalog, event: event)
                // Noted before it is sent: a second click arriving while the first is recorded is its repeat, not a
                // stale page (a refused form comes back with a new key).
                if let key = form.text("khoa") { await app.sentSteps.insert(key) }
                let sent = try await app.daemon.call(
                    Manager.SendEvent(
                        id: id, event: event, data: RecordPage.data(values), idempotencyKey: form.text("khoa"), actor: account.name))
                let after = sent.instance
                let state = catalog.stateTitle(after.workflow, after.state) ?? (after.completed ? "Hoàn thành" : after.state ?? "")
                // The same form sent again (a double click, the browser's «gửi lại»): recorded once, at the first.
                if sent.repeated {
                    try await app.flash(
                        "Bước này đã được ghi trước đó (cùng một lần bấm gửi); không ghi lại. Hồ sơ «\(catalog.label(of: after))» đang ở «\(state)».",
                        ok: true, request, context)
                    return .redirect(to: back)
                }
                // What was typed is said back with where the record went: a vote's counts beside «chưa đạt».
                let facts = Format.typed(values, in: catalog[instance.workflow]).map { " Đã ghi: \($0)." } ?? ""
                // A step back into the same state (a second failed vote, a day recorded again) did not move the record.
                let said =
                    after.state == instance.state && after.state != nil
                    ? "Đã ghi cho hồ sơ «\(catalog.label(of: after))»; hồ sơ vẫn ở «\(state)»."
                    : "Đã chuyển hồ sơ «\(catalog.label(of: after))» sang «\(state)»."
                try await app.flash(said + facts, ok: true, request, context)
            case "hoan-tac":
                let said = try await UndoView.undo(app, entry, form: form, catalog: catalog, account: account)
                try await app.flash(said, ok: true, request, context)
            default:
                throw PageError.badRequest("Không rõ thao tác cần làm.")
            }
        } catch let e as ManagerError {
            // Refused by tiendod (wrong state, missing requirement, bad value): nothing changed; say why on the page,
            // with the step's form as it was filled.
            if e.refusal, form["hanh-dong"] == "su-kien", let key = form.text("khoa") { await app.sentSteps.remove(key) }
            var typed = RecordPage.typed(form, catalog: catalog, instance: instance)
            // Which box tiendod refused, marked in the form shown again (no field is named `_…`).
            if case .invalidData(let field, _) = e { typed?[RecordPage.refusedField] = field }
            try await app.flash(
                RecordPage.refusal(e, workflow: catalog[instance.workflow]) + RecordPage.unchanged(e), ok: false, request, context,
                typed: typed)
        } catch let e as StaleStep {
            try await app.flash(e.message, ok: false, request, context, typed: RecordPage.typed(form, catalog: catalog, instance: instance))
        } catch let e as PageError where e.status == .badRequest {
            try await app.flash(e.message + " Không có gì thay đổi.", ok: false, request, context)
        } catch let e as NotYet {
            try await app.flash(PageError.sentence(e.reason) + " Không có gì thay đổi.", ok: false, request, context)
        }
        return .redirect(to: back)
    }

    /// A milestone (`id`, or `id@LABEL` for one period of a recurring one) as people read it, «Đóng đảng phí kỳ
    /// 11/2026». The period's due names it (`Messages.period`): the open one's, else `due`, the one the form was shown
    /// with (a period completed from a page left open is no longer open). Only words depend on it.
    static func milestoneTitle(_ milestone: String, of instance: Manager.Instance, due: String?, catalog: Catalog) -> String {
        let parts = milestone.split(separator: "@", maxSplits: 1).map(String.init)
        let base = parts.first ?? ""
        let due = instance.deadlines?.first { $0.milestone == base && $0.occurrence == parts.last }?.due ?? due
        return Messages.deadlineTitle(
            catalog[instance.workflow]?.milestone(base)?.title ?? String(base.prefix(64)).loggable,
            occurrence: parts.count == 2 ? String(parts[1].prefix(64)).loggable : nil, due: due)
    }

    /// Marks the milestone done in the account's name, from the record page's button or the agenda's ticked items.
    /// False when tiendod changed nothing: marked again from a page left open, the period was already done.
    /// A milestone refused because what it requires is not done is said in the titles people read, not in tiendod's
    /// words for operators, which name the milestones by their codes.
    static func complete(_ app: WebApp, _ milestone: String, of instance: Manager.Instance, account: Account) async throws -> Bool {
        let base = String(milestone.split(separator: "@", maxSplits: 1).first ?? "")
        // Checked on the record as read before tiendod is asked: tiendod keeps every refusal in the record's history,
        // and a name no button sends (a hand-made request) or a click the record cannot take yet is not history.
        guard let before = instance.milestones.first(where: { $0.id == base }) else {
            throw PageError.badRequest("Hồ sơ này không có việc «\(String(base.prefix(64)).loggable)».")
        }
        if let reason = waiting(base, of: instance) { throw NotYet(reason: reason) }
        do {
            let after = try await app.daemon.call(Manager.CompleteMilestone(id: instance.id, milestone: milestone, actor: account.name))
            return before != after.milestones.first { $0.id == base }
        } catch ManagerError.eventRejected(let id, let event, let state, let reason) {
            throw ManagerError.eventRejected(
                id: id, event: event, state: state, reason: waiting(base, of: instance) ?? reason)
        }
    }

    /// A milestone the record as read cannot take yet: what it requires is not done (`waiting`'s words).
    struct NotYet: Error {
        var reason: String
    }

    /// «việc này chỉ ghi nhận được sau khi «Xác minh lý lịch» đã hoàn thành», when some milestone `milestone` requires
    /// is not done on the record as read; nil when none is.
    static func waiting(_ milestone: String, of instance: Manager.Instance) -> String? {
        awaited(milestone, of: instance).map { "việc này chỉ ghi nhận được sau khi \($0) đã hoàn thành" }
    }

    /// The milestones `milestone` requires that are not done on the record as read, «A», «B» và «C»; nil for none.
    static func awaited(_ milestone: String, of instance: Manager.Instance) -> String? {
        let requires = instance.milestones.first { $0.id == milestone }?.requires ?? []
        let missing = requires.compactMap { r in instance.milestones.first { $0.id == r && !$0.done }.map { "«\($0.title)»" } }
        guard let last = missing.last else { return nil }
        return missing.count == 1 ? last : missing.dropLast().joined(separator: ", ") + " và " + last
    }

    /// What a refusal left: nothing, or — for an event the record's state refused, which tiendod keeps in the
    /// record's history (interfaces §1, `rejected`) — the record unchanged and that entry, which the page lists below.
    static func unchanged(_ e: ManagerError) -> String {
        if case .eventRejected = e { return " Hồ sơ không thay đổi (lần ghi bị từ chối này được lưu trong lịch sử của hồ sơ)." }
        return " Không có gì thay đổi."
    }

    /// Why tiendod refused, naming a bad value's field by the title its form shows («Điểm chấm»), not by the
    /// identifier the daemon's error carries (`diem`).
    static func refusal(_ e: ManagerError, workflow: Extras.WorkflowInfo?) -> String {
        // The record's code is no field of the workflow: tiendod's reason names it («mã hồ sơ 'm 1' không hợp lệ…»).
        if case .invalidData(let field, let reason) = e, field == "key" { return PageError.sentence(reason) }
        if case .invalidData(let field, let reason) = e, let title = workflow?.field(field)?.title {
            if reason == "thiếu trường bắt buộc" { return "Hãy nhập «\(title)»." }
            return PageError.sentence("giá trị ở trường «\(title)» không hợp lệ: \(reason)")
        }
        // The daemon's reason already names the fields by their titles; the record, the event and the state it adds
        // in identifiers are what this page shows anyway.
        if case .eventRejected(_, _, _, let reason) = e { return PageError.sentence(reason) }
        if case .nothingToUndo(_, let reason) = e { return PageError.sentence("không hoàn tác được: \(reason)") }
        return PageError.daemon(e).message
    }

    /// The event named in the form, accepted by the instance's state, with the values typed for its fields.
    static func event(_ form: Form, instance: Manager.Instance, catalog: Catalog, account: Account) throws(PageError) -> (
        String, [(field: String, value: String)]
    ) {
        guard let name = form.text("su-kien") else { throw PageError.badRequest("Thiếu tên sự kiện.") }
        guard let workflow = catalog[instance.workflow], let state = instance.state.flatMap(workflow.state),
            let info = state.events.first(where: { $0.name == name })
        else {
            // A name no state of the workflow has: the workflow was changed since the page was drawn (a form of this
            // site sends only names it had), or a hand-made request.
            if let workflow = catalog[instance.workflow], !workflow.states.contains(where: { $0.events.contains { $0.name == name } }) {
                let now = catalog.stateTitle(instance.workflow, instance.state).map { " Hồ sơ đang ở «\($0)»." } ?? ""
                throw PageError.badRequest(
                    "Quy trình «\(workflow.title)» không có bước «\(String(name.prefix(64)).loggable)»: quy trình có thể vừa được sửa sau khi trang này được mở; hãy xem lại hồ sơ bên dưới.\(now)"
                )
            }
            // Most often a form sent twice (a double click) or a page left open while someone else recorded the step.
            let now = catalog.stateTitle(instance.workflow, instance.state).map { "Hồ sơ đang ở «\($0)»" } ?? "Hồ sơ đã xong"
            throw PageError.badRequest(
                "\(now), nơi bước này không còn ghi được: có thể bước vừa được ghi (bấm gửi hai lần, hoặc người khác đã ghi); xem lịch sử của hồ sơ bên dưới."
            )
        }
        if !account.mayRecord(info) {
            throw PageError.forbidden(
                "«\(info.title ?? name)» là quyết định của cấp trên chi bộ, do văn phòng Đảng ủy ghi; tài khoản «\(account.name)» "
                    + "ghi các việc của chi bộ. Không có gì thay đổi.")
        }
        return (name, info.values(in: form) { "f-" + $0 })
    }

    /// A step's form as it was filled, to show it again after a refusal; nil for other forms.
    static func typed(_ form: Form, catalog: Catalog, instance: Manager.Instance) -> [String: String]? {
        guard form["hanh-dong"] == "su-kien", let event = form.text("su-kien") else { return nil }
        var typed = ["su-kien": event]
        for f in catalog[instance.workflow]?.fields ?? [] { if let v = form.text("f-" + f.name) { typed[f.name] = v } }
        return typed
    }

    /// Refuses a step whose form was shown before the record changed (`StepVersion`), unless this very form was sent
    /// already (a double click: tiendod then says it recorded it once).
    static func notStale(_ app: WebApp, _ form: Form, instance: Manager.Instance, catalog: Catalog, event: String) async throws(StaleStep) {
        guard let shown = form.text(StepVersion.field), shown != StepVersion.of(instance) else { return }
        if let key = form.text("khoa"), await app.sentSteps.contains(key) { return }
        let title = UndoView.event(event, in: catalog[instance.workflow], state: instance.state)?.title ?? event
        let now =
            instance.completed
            ? "đã hoàn thành" : catalog.stateTitle(instance.workflow, instance.state).map { "đang ở «\($0)»" } ?? "đã thay đổi"
        throw StaleStep(
            message:
                "Chưa ghi «\(title)»: hồ sơ «\(catalog.label(of: instance))» đã thay đổi sau khi trang này được mở (có người vừa ghi một bước hay sửa thông tin, hoặc hồ sơ tự chuyển bước); hồ sơ nay \(now). Hãy xem lại hồ sơ và lịch sử bên dưới rồi ghi lại nếu vẫn cần. Không có gì thay đổi."
        )
    }

    /// Values typed for a step as `SendEvent`'s data, each a text tiendod reads by its field's type; nil for none.
    static func data(_ values: [(field: String, value: String)]) -> JSON? {
        values.isEmpty ? nil : .object(values.map { ($0.field, .string($0.value)) })
    }
}

extension Extras.EventInfo {
    /// What a step's form gives for this event's fields, `input` naming each field's control (a record page's
    /// `f-FIELD`, a list's `f-EVENT.FIELD`); an empty box gives nothing.
    func values(in form: Form, input: (String) -> String) -> [(field: String, value: String)] {
        fields.compactMap { f in form.text(input(f)).map { (f, $0) } }
    }
}

extension Account {
    /// A chi bộ's account records the chi bộ's own steps, not a decision above it (`office_events`): the page offers
    /// only these and refuses the others.
    func mayRecord(_ event: Extras.EventInfo) -> Bool { !event.office || groups.isEmpty }
}

/// A step sent from a record page shown before the record changed (`RecordPage.notStale`).
struct StaleStep: Error {
    let message: String
}
