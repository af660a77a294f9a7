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
    /// Tasks named one by one in the message; the rest are counted.
    static let named = 10

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

    /// Back to the agenda as it was filtered. Only a query is taken from the form, so the redirect stays on this site.
    static func back(_ query: String?) -> String {
        guard let q = query, !q.isEmpty, q.allSatisfy({ $0.isASCII && !$0.isNewline && $0 != "#" }) else { return "/" }
        return "/?" + q
    }

    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        try RecordPage.mayChange(account)
        let form = context.form
        let back = AgendaDone.back(form["quay-lai"])
        guard form["hanh-dong"] == "xong-nhieu" else { throw PageError.badRequest("Không rõ thao tác cần làm.") }
        var picks: [Pick] = []
        for (name, value) in form.fields where name == "xong" {
            guard let pick = Pick(value) else {
                throw PageError.badRequest("Việc đã chọn «\(value)» không đúng dạng của danh sách việc cần làm.")
            }
            if !picks.contains(pick) { picks.append(pick) }
        }
        guard !picks.isEmpty else {
            try await app.flash(
                "Chưa chọn việc nào: đánh dấu ô ở đầu dòng các việc đã làm xong rồi bấm lại. Không có gì thay đổi.", ok: false, request, context
            )
            return .redirect(to: back)
        }
        guard picks.count <= AgendaDone.maxItems else {
            try await app.flash(
                "Đã chọn \(picks.count) việc, quá \(AgendaDone.maxItems) việc một lần: hãy chọn ít hơn. Không có gì thay đổi.", ok: false,
                request, context)
            return .redirect(to: back)
        }
        let catalog = try await app.daemon.workflows()
        var done: [String] = []
        var already: [String] = []
        var refused: [String] = []
        for pick in picks {
            var what = "«\(pick.milestone)» (\(pick.id))"
            do {
                let instance = try await RecordPage.visible(app, id: pick.id, account: account).instance
                what =
                    "«\(RecordPage.milestoneTitle(pick.milestone, of: instance, due: pick.due, catalog: catalog))» của \(catalog.label(of: instance))"
                if try await RecordPage.complete(app, pick.milestone, of: instance, account: account) {
                    done.append(what)
                } else {
                    already.append(what)
                }
            } catch let e as ManagerError {
                refused.append("\(what): \(RecordPage.refusal(e, workflow: catalog[String(pick.id.prefix { $0 != "/" })]))")
            } catch let e as PageError where e.status == .notFound {
                refused.append("\(what): \(e.message)")
            }
        }
        let (recorded, refusal) = AgendaDone.summary(done: done, already: already, refused: refused)
        if let refusal {
            try await app.flash(refusal, ok: false, request, context, done: recorded)
        } else {
            try await app.flash(recorded ?? "", ok: true, request, context)
        }
        return .redirect(to: back)
    }

    /// What happened to the ticked items, in sentences: what was recorded (now or before), and what was refused with
    /// the reason; nil for a part with nothing in it.
    static func summary(done: [String], already: [String], refused: [String]) -> (recorded: String?, refused: String?) {
        func listed(_ items: [String], separator: String = "; ") -> String {
            let shown = items.prefix(named).joined(separator: separator)
            return items.count > named ? "\(shown) và \(items.count - named) việc khác" : shown
        }
        var parts: [String] = []
        if !done.isEmpty { parts.append("Đã ghi nhận hoàn thành \(done.count) việc: \(listed(done)).") }
        if !already.isEmpty {
            parts.append("\(already.count) việc đã được ghi nhận hoàn thành trước đó, không có gì thay đổi: \(listed(already)).")
        }
        let refusal =
            refused.isEmpty
            ? nil : "Không ghi nhận được \(refused.count) việc, các việc này không có gì thay đổi: \(listed(refused, separator: " "))"
        return (parts.isEmpty ? nil : parts.joined(separator: " "), refusal)
    }
}
