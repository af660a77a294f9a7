import Hummingbird
import TiendoCore
import TiendoVarlink

/// `POST /` — the agenda's ticked items marked done at once («Đánh dấu đã xong các việc đã chọn»): a chi bộ's
/// secretary records the month's Party fees of every member from one list, not from one record page each. Every item
/// is marked as the record page's button marks it (its record must be one the account sees; tiendod refuses a
/// milestone whose prerequisites are not done), one after another; the agenda then says what was recorded, what had
/// been already, and what was refused and why, each by its task and record.
struct AgendaDone {
    let app: WebApp

    /// At most a page of the agenda at once.
    static let maxItems = WebLimits.agendaPage

    /// One ticked item, as the agenda writes its box's value: `WORKFLOW/KEY|MILESTONE[@LABEL]|DUE` (the due names
    /// the period, as the record page's button sends it).
    struct Pick: Hashable {
        var id: String
        var milestone: String
        var due: String?

        init(id: String, milestone: String, due: String?) { (self.id, self.milestone, self.due) = (id, milestone, due) }

        init?(_ value: String) {
            let parts = value.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, parts[0].contains("/"), !parts[1].isEmpty else { return nil }
            (id, milestone, due) = (parts[0], parts[1], parts[2].isEmpty ? nil : parts[2])
        }

        var value: String { "\(id)|\(milestone)|\(due ?? "")" }
    }

    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        try RecordPage.mayChange(account)
        let form = context.form
        let back = BulkOutcome.back(to: "/", query: form["quay-lai"])
        guard form["hanh-dong"] == "xong-nhieu" else { throw PageError.badRequest("Không rõ thao tác cần làm.") }
        var picks: [Pick] = []
        var seen: Set<String> = []
        for (name, value) in form.fields where name == "xong" {
            guard let pick = Pick(value) else {
                throw PageError.badRequest("Việc đã chọn «\(value)» không đúng dạng của danh sách việc cần làm.")
            }
            // The same period ticked twice (a box copied by hand with another due) is marked once.
            if seen.insert(pick.id + "|" + pick.milestone).inserted { picks.append(pick) }
        }
        let none = "tích chọn ô ở đầu dòng các việc đã làm xong rồi bấm lại."
        if let refusal = BulkOutcome.refusal(count: picks.count, max: AgendaDone.maxItems, unit: "việc", none: none) {
            try await app.flash(refusal, ok: false, request, context)
            return .redirect(to: back)
        }
        let catalog = try await app.daemon.workflows()
        var outcome = BulkOutcome(
            unit: "việc", doneLead: "Đã ghi nhận hoàn thành", refusedLead: "Không ghi nhận được",
            alreadySaid: "đã được ghi nhận hoàn thành trước đó")
        // One task of two records of one name (the month's fees of two members called Mai Văn Ba) is told apart by
        // the records' codes, in what the page says of each (`BulkOutcome.name`).
        var bases: [Pick: String] = [:]
        // Reads the item's record (naming the item as people read it once it is read), marks it, and notes it done or
        // done before.
        func mark(_ pick: Pick, what: inout String) async throws {
            let instance = try await RecordPage.visible(app, id: pick.id, account: account).instance
            let base =
                "«\(RecordPage.milestoneTitle(pick.milestone, of: instance, due: pick.due, catalog: catalog))» của \(catalog.label(of: instance))"
            bases[pick] = base
            what = outcome.name(base, of: pick.id)
            if try await RecordPage.complete(app, pick.milestone, of: instance, account: account) {
                outcome.done.append(what)
            } else {
                outcome.already.append(what)
            }
        }
        // Refused in the page's order (by tiendod, or before asking it: what the item requires is not done on its
        // record as read), tried once more after the others: a report ticked with the check it waits for may come
        // first on the page.
        var retry: [(pick: Pick, what: String, reason: String)] = []
        var remaining = picks[...]
        while let pick = remaining.popFirst() {
            // Until its record is read: as the box sent it, within bounds (a hand-made box may send anything).
            var what = "«\(String(pick.milestone.prefix(64)).loggable)» (\(String(pick.id.prefix(140)).loggable))"
            do {
                try await mark(pick, what: &what)
            } catch let e as ManagerError {
                retry.append((pick, what, RecordPage.refusal(e, workflow: catalog[String(pick.id.prefix { $0 != "/" })])))
            } catch let e as RecordPage.NotYet {
                retry.append((pick, what, PageError.sentence(e.reason)))
            } catch let e as PageError where e.status == .badRequest {
                outcome.refused.append("\(what): \(e.message)")
            } catch {
                guard outcome.note(error, for: what, left: remaining.count) else { break }
            }
        }
        var again = retry[...]
        while let (pick, first, reason) = again.popFirst() {
            // Named again: a record of the same name may have come after it.
            var what = bases[pick].map { outcome.name($0, of: pick.id) } ?? first
            guard outcome.failure == nil, !outcome.done.isEmpty else {
                outcome.refused.append("\(what): \(reason)")
                continue
            }
            do {
                try await mark(pick, what: &what)
            } catch is ManagerError, is RecordPage.NotYet {
                outcome.refused.append("\(what): \(reason)")
            } catch {
                guard outcome.note(error, for: what, left: again.count) else { break }
            }
        }
        try await outcome.flash(app, request, context)
        return .redirect(to: back)
    }
}
