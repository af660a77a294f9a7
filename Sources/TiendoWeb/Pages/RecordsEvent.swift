import Hummingbird
import TiendoCore
import TiendoVarlink

/// `POST /ho-so` — one step recorded for the records ticked in a list of one workflow's records in one state: the
/// office marks fifty printed cards «Đã in thẻ», a chi bộ the cards handed over at its meeting, the office one
/// decision recognising twelve members with its number and date typed once. Only a step whose facts are the same for
/// every record is offered (`offered`): one that needs each record's own facts (a vote's counts, a grade) is recorded
/// on each record's page. Every record is sent the event as its page's button sends it, with the facts typed once
/// (the account must see the record and may record the step; the record must still be in the state the list showed:
/// one this step already moved on is said recorded before), one after another, and the list then says for which
/// records it was recorded and for which it was refused and why. A fact tiendod refuses (an impossible date) is
/// refused for every record alike: the first refusal stops the rest, and the form comes back as it was filled.
struct RecordsEvent {
    let app: WebApp

    /// The form the list's boxes belong to, by its id.
    static let formID = "su-kien-nhieu"
    /// At most a page of the list at once.
    static let maxRecords = WebLimits.listPage

    /// The steps a list offers for its ticked records: with one workflow and one state chosen, the events of that
    /// state that the account records and that ask nothing of each record: no fields, or only optional ones (a
    /// decision's number and date, `event_fields`) with one state to go to whatever they hold. A step whose fields
    /// choose where the record goes (a vote's counts) or that cannot go without them is each record's own.
    static func offered(_ workflow: Extras.WorkflowInfo?, state: String?, account: Account) -> [Extras.EventInfo] {
        guard account.role.mayAct, let s = state.flatMap({ workflow?.state($0) }), !s.final else { return [] }
        return s.events.filter { e in
            account.mayRecord(e) && (e.fields.isEmpty || (e.required.isEmpty && Set(e.targets).count == 1))
        }
    }

    /// The name of the list form's control for `field` of `event`: each offered step has its own (two steps may ask
    /// for the same field, and only the chosen step's are read).
    static func input(_ event: String, _ field: String) -> String { "f-\(event).\(field)" }

    /// The facts typed once for the chosen step, from its own boxes.
    static func values(_ form: Form, _ info: Extras.EventInfo) -> [(field: String, value: String)] {
        info.values(in: form) { input(info.name, $0) }
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
        let values = RecordsEvent.values(form, info)
        let data = RecordPage.data(values)
        // What was typed once is said back with what was recorded: the clerk checks the decision's number there.
        let facts = Format.typed(values, in: workflow).map { " (\($0))" } ?? ""
        var outcome = BulkOutcome(
            unit: "hồ sơ", doneLead: "Đã ghi \(step)\(facts) cho", refusedLead: "Không ghi được \(step) cho",
            alreadySaid: "đã được ghi \(step) từ trước (hồ sơ đã sang bước đó)")
        var remaining = ids[...]
        // Two records of one name (two members called Mai Văn Ba in one chi bộ) are told apart by their codes.
        func name(_ instance: Manager.Instance) -> String { outcome.name(catalog.label(of: instance), of: instance.id) }
        while let id = remaining.popFirst() {
            var who = id
            // A record on an older version of the workflow («bản cũ») may refuse a value the current one takes: its
            // refusal is its own, not the batch's.
            var current = true
            do {
                let instance = try await RecordPage.visible(app, id: id, account: account).instance
                who = name(instance)
                current = !instance.stale
                guard instance.workflow == workflowID, instance.state == shown else {
                    if instance.workflow == workflowID, let now = instance.state, info.targets.contains(now) {
                        outcome.already.append(who)
                    } else {
                        let now = instance.state.flatMap { catalog.stateTitle(instance.workflow, $0) } ?? "đã hoàn thành"
                        outcome.refused.append("\(who): hồ sơ đã sang bước «\(now)», không còn ở bước ghi được \(step).")
                    }
                    continue
                }
                // A day typed once against this record's own (a decision before its chi bộ's meeting): its refusal,
                // not the batch's, which tiendod's InvalidData would otherwise read as a value wrong for all.
                if let clash = RecordsEvent.outOfOrder(values, instance: instance, workflow: workflow) {
                    outcome.refused.append("\(who): \(clash)")
                    continue
                }
                let sent = try await app.daemon.call(
                    Manager.SendEvent(id: id, event: event, data: data, idempotencyKey: form.text("khoa"), actor: account.name))
                // The same form sent again: recorded at the first sending, not now.
                if sent.repeated { outcome.already.append(who) } else { outcome.done.append(who) }
            } catch let e as ManagerError {
                // A value typed once is refused for every record alike: the rest are not tried, and with nothing recorded
                // the form comes back as it was filled, to be corrected.
                if case .invalidData(let field, _) = e, current, info.fields.contains(field) {
                    let reason = RecordPage.refusal(e, workflow: workflow)
                    guard outcome.done.isEmpty else {
                        outcome.halt("\(reason) Dừng lại ở \(who).", left: remaining.count + 1)
                        break
                    }
                    // Nothing recorded now: what the records already tried were found to be is said after the value.
                    let (before, refused) = outcome.sentences
                    let said = [reason + " Chưa ghi cho hồ sơ nào, không có gì thay đổi.", before, refused].compactMap { $0 }
                    try await app.flash(
                        said.joined(separator: " "), ok: false, request, context, typed: RecordsEvent.typed(info, values, ids: ids))
                    return .redirect(to: back)
                }
                // The server's clock refuses every record alike: said once, the rest not tried.
                if case .clockBehind = e {
                    outcome.halt("\(PageError.sentence(e.description)) Dừng lại ở \(who).", left: remaining.count + 1)
                    break
                }
                outcome.refused.append("\(who): \(RecordPage.refusal(e, workflow: catalog[String(id.prefix { $0 != "/" })]))")
            } catch {
                guard outcome.note(error, for: who, left: remaining.count) else { break }
            }
        }
        try await outcome.flash(app, request, context)
        return .redirect(to: back)
    }

    /// Why a day typed once for the ticked records comes before a day this record holds that the workflow says it may
    /// not precede (`min: {field: OTHER}`), or after one that may not precede it; nil when none does. As tiendod checks
    /// it (`WorkflowDefinition.outOfOrder`, mirrored here on the workflow as front ends read it): OTHER unset, its own
    /// bound up the chain. Not this record's: both days typed (the same for every record), a typed day that does not
    /// read (tiendod refuses it for all alike), and a record on an older version of the workflow (its refusal is
    /// tiendod's, by its own definition).
    static func outOfOrder(
        _ values: [(field: String, value: String)], instance: Manager.Instance, workflow: Extras.WorkflowInfo?
    ) -> String? {
        guard let workflow, !instance.stale else { return nil }
        let typed = Dictionary(values.map { ($0.field, $0.value) }, uniquingKeysWith: { a, _ in a })
        func title(_ name: String) -> String { "«" + (workflow.field(name)?.displayTitle ?? name) + "»" }
        /// A field's day (or instant) as the step would leave it, with the words that say it and whether it was typed.
        func value(_ name: String, _ type: String) -> (at: Instant, said: String, typed: Bool)? {
            if let text = typed[name] {
                switch type {
                case "date":
                    guard case .valid(let d) = HumanDate.date(text) else { return nil }
                    return (Format.zone.instant(d), d.vietnamese, true)
                default:
                    guard case .valid(let t) = HumanDate.instant(text, zone: Format.zone) else { return nil }
                    return (t, Format.zone.vietnamese(t), true)
                }
            }
            guard let text = instance.data[name]?.stringValue else { return nil }
            if type == "date" {
                return CivilDate.parse(text).map { (Format.zone.instant($0), $0.vietnamese, false) }
            }
            return Format.zone.parseInstant(text).map { ($0, Format.zone.vietnamese($0), false) }
        }
        for f in workflow.fields where f.notBefore != nil && (f.type == "date" || f.type == "datetime") {
            guard let later = value(f.name, f.type) else { continue }
            let bound = FieldDefinition.orderBound(
                of: f.name, limit: workflow.fields.count, notBefore: { workflow.field($0)?.notBefore }, isSet: { value($0, f.type) != nil })
            guard let o = bound, let earlier = value(o, f.type), later.typed != earlier.typed, later.at < earlier.at else { continue }
            // What to do said too: the day typed is checked against the one this record holds (the same form, another
            // record, may fit); the record's own page records it alone.
            return later.typed
                ? "\(title(f.name)) \(later.said) trước \(title(o)) của hồ sơ này (\(earlier.said)): chưa ghi; "
                    + "kiểm tra lại ngày rồi ghi riêng trên trang hồ sơ này."
                : "\(title(o)) \(earlier.said) sau \(title(f.name)) của hồ sơ này (\(later.said)): chưa ghi; "
                    + "kiểm tra lại ngày rồi ghi riêng trên trang hồ sơ này."
        }
        return nil
    }

    /// A record's code without its workflow: `qd-3` of `dang-vien-du-bi/qd-3`.
    static func key(_ id: String) -> String { id.split(separator: "/", maxSplits: 1).last.map(String.init) ?? id }

    /// What the list's form held, to fill it again after a refused value: the step, its typed facts and the ticked
    /// records (`chon`, one id a line).
    static func typed(_ info: Extras.EventInfo, _ values: [(field: String, value: String)], ids: [String]) -> [String: String] {
        var typed = ["su-kien": info.name, "chon": ids.joined(separator: "\n")]
        for v in values { typed[input(info.name, v.field)] = v.value }
        return typed
    }
}
