import TiendoCore
import TiendoVarlink

/// The records a ward opens next from this one (`follow_ups`: the probationary year after the admission, the Party
/// card after the recognition as full member), on the record's page in the states the file names. Each is either the
/// record already opened under this record's code (a link, with its step), or a button to the new record's form,
/// filled from this record: the office checks the values and saves; nothing starts by itself.
struct FollowUpView {
    struct Offer {
        var info: Extras.FollowUpInfo
        var target: Extras.WorkflowInfo
        /// The target workflow's record under this record's code, when there is one the account may see.
        var existing: Manager.Instance?
    }

    /// The follow-ups of `instance` in its state whose workflow is loaded, each with its record already opened (one
    /// call to tiendod each).
    static func offers(_ app: WebApp, instance: Manager.Instance, catalog: Catalog, account: Account) async throws -> [Offer] {
        guard let workflow = catalog[instance.workflow], let state = instance.state else { return [] }
        var out: [Offer] = []
        for info in workflow.followUps where info.when.contains(state) {
            guard let target = catalog[info.workflow] else { continue }
            var existing: Manager.Instance?
            if let key = key(for: info, of: instance) {
                do {
                    let entry = try await app.daemon.call(Extras.Instance(id: "\(target.id)/\(key)")).entry
                    existing = account.sees(group: entry.group) ? entry.instance : nil
                } catch ManagerError.noSuchInstance {
                    existing = nil
                }
            }
            out.append(Offer(info: info, target: target, existing: existing))
        }
        return out
    }

    /// The new record's code: this record's, so that the two are found together (`the-dang-vien/dv-0123` after
    /// `dang-vien-du-bi/dv-0123`); none for a record of the same workflow (a next year's), which gets a new one.
    static func key(for info: Extras.FollowUpInfo, of instance: Manager.Instance) -> String? {
        guard info.workflow != instance.workflow, let slash = instance.id.firstIndex(of: "/") else { return nil }
        return String(instance.id[instance.id.index(after: slash)...])
    }

    /// The new record's form, filled: `/ho-so/moi?quy-trinh=…&tu=…&f-key=…&f-FIELD=…` with the fields the target
    /// declares (a copied field this record has no value for is left empty).
    static func formLink(_ offer: Offer, instance: Manager.Instance) -> String {
        var query: [(String, String)] = [("quy-trinh", offer.target.id), ("tu", instance.id)]
        if let key = key(for: offer.info, of: instance) { query.append(("f-key", key)) }
        let data = instance.data.objectValue ?? []
        for fill in offer.info.copy where offer.target.field(fill.field) != nil {
            if let value = data.first(where: { $0.0 == fill.from }).flatMap({ formValue($0.1) }) {
                query.append(("f-" + fill.field, value))
            }
        }
        for fill in offer.info.set where offer.target.field(fill.field) != nil { query.append(("f-" + fill.field, fill.from)) }
        return NewRecordPage.path + "?" + query.map { "\($0)=\(Filters.percentEncoded($1))" }.joined(separator: "&")
    }

    /// A stored value as a form's control shows it (`FieldControls.control`'s `current`: dates `YYYY-MM-DD`).
    static func formValue(_ value: JSON) -> String? {
        switch value {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return nil
        default: return Format.value(value).replacingOccurrences(of: ",", with: ".")
        }
    }

    static func section(_ offers: [Offer], instance: Manager.Instance, catalog: Catalog, account: Account) -> HTML {
        let rows: [HTML] = offers.compactMap { offer in
            if let existing = offer.existing {
                let step =
                    existing.completed
                    ? "; đã hoàn thành"
                    : existing.state.flatMap { catalog.stateTitle(existing.workflow, $0) }.map { "; đang ở bước «\($0)»" } ?? ""
                return """
                    <p>Đã mở hồ sơ «\(offer.target.title)»: <a href="\(DueTable.recordLink(existing.id))">\(catalog.label(of: existing))</a> \
                    <span class="muted small">(\(existing.id)\(step))</span></p>
                    """
            }
            guard account.role.mayAct, NewRecordPage.offered(offer.target, to: account) else { return nil }
            let title = offer.info.title ?? "Mở hồ sơ «\(offer.target.title)»"
            let filled = (offer.info.copy.map(\.field) + offer.info.set.map(\.field)).compactMap { offer.target.field($0)?.displayTitle }
            let what = filled.isEmpty ? "" : ", điền sẵn \(filled.map { "«\($0)»" }.joined(separator: ", ")) từ hồ sơ này"
            return """
                <p><a class="button" href="\(formLink(offer, instance: instance))">\(title)</a> \
                <span class="muted small">Biểu mẫu thêm hồ sơ «\(offer.target.title)»\(what); kiểm tra rồi bấm «Thêm hồ sơ».</span></p>
                """
        }
        guard !rows.isEmpty else { return .empty }
        return "<section class=\"no-print follow-ups\"><h2>Hồ sơ tiếp theo</h2>\(HTML.join(rows))</section>"
    }
}
