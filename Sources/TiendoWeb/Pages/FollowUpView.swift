import Logging
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
        /// A record under this record's code exists in a chi bộ outside the account's (a member transferred): the
        /// form would only be refused, so the page says to ask the office instead.
        var elsewhere = false
    }

    /// The query parameter of the new record's form that names the record its values come from.
    static let sourceParameter = "tu-ho-so"

    /// The follow-ups of `instance` in its state whose workflow is loaded, each with its record already opened (one
    /// call to tiendod each).
    static func offers(
        _ app: WebApp, instance: Manager.Instance, catalog: Catalog, account: Account, logger: Logger
    ) async -> [Offer] {
        guard let workflow = catalog[instance.workflow], let state = instance.state else { return [] }
        var out: [Offer] = []
        for info in workflow.followUps where info.when.contains(state) {
            guard let target = catalog[info.workflow] else { continue }
            var offer = Offer(info: info, target: target)
            if let key = key(for: info, of: instance) {
                do {
                    let entry = try await app.daemon.call(Extras.Instance(id: "\(target.id)/\(key)")).entry
                    if account.sees(group: entry.group) { offer.existing = entry.instance } else { offer.elsewhere = true }
                } catch ManagerError.noSuchInstance {
                } catch {
                    // The section is optional: the record's page still shows without it (the target unloaded by a
                    // reload since the catalog was read, tiendod busy).
                    logger.warning("tiendo-web: hồ sơ tiếp theo của \(instance.id) không đọc được: \(error)")
                    continue
                }
            }
            out.append(offer)
        }
        return out
    }

    /// The new record's code: this record's, so that the two are found together (`the-dang-vien/dv-0123` after
    /// `dang-vien-du-bi/dv-0123`); none for a record of the same workflow (a next year's), which gets a new one.
    static func key(for info: Extras.FollowUpInfo, of instance: Manager.Instance) -> String? {
        info.workflow == instance.workflow ? nil : instance.key
    }

    /// The new record's fields and values as its form shows them: the copied ones this record has a value for, then
    /// the set ones, each a field the target declares.
    static func filled(_ offer: Offer, instance: Manager.Instance, catalog: Catalog) -> [(field: String, value: String)] {
        let data = instance.data.objectValue ?? []
        var out: [(field: String, value: String)] = []
        for fill in offer.info.copy {
            guard let target = offer.target.field(fill.field), let stored = data.first(where: { $0.0 == fill.from })?.1 else {
                continue
            }
            let source = catalog[instance.workflow]?.field(fill.from)
            if let value = formValue(stored, from: source, into: target) { out.append((fill.field, value)) }
        }
        for fill in offer.info.set where offer.target.field(fill.field) != nil { out.append((fill.field, fill.from)) }
        return out
    }

    /// The new record's form, filled: `/ho-so/moi?quy-trinh=…&tu-ho-so=…&f-key=…&f-FIELD=…`.
    static func formLink(_ offer: Offer, instance: Manager.Instance, catalog: Catalog) -> String {
        var query: [(String, String)] = [("quy-trinh", offer.target.id), (sourceParameter, instance.id)]
        if let key = key(for: offer.info, of: instance) { query.append(("f-key", key)) }
        query += filled(offer, instance: instance, catalog: catalog).map { ("f-" + $0.field, $0.value) }
        return NewRecordPage.path + "?" + Filters.query(query)
    }

    /// A stored value as the target's control shows it (`FieldControls.control`'s `current`: dates `YYYY-MM-DD`,
    /// booleans `true`/`false`); into a text field, as people read it (có/không, dd/mm/yyyy, an enum's title).
    static func formValue(_ value: JSON, from source: Extras.FieldInfo?, into target: Extras.FieldInfo) -> String? {
        if case .null = value { return nil }
        if target.type == "text", let source, source.type != "text" { return Format.value(value, field: source) }
        switch value {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return Value.number(d).formText(zone: Format.zone)
        default: return Format.value(value)
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
            if offer.elsewhere {
                return """
                    <p>Mã hồ sơ «\(key(for: offer.info, of: instance) ?? "")» đã có trong quy trình «\(offer.target.title)», ở chi bộ \
                    ngoài phạm vi tài khoản (đảng viên đã chuyển sinh hoạt?); nếu cần, xin liên hệ văn phòng Đảng ủy.</p>
                    """
            }
            let title = offer.info.title ?? "Mở hồ sơ «\(offer.target.title)»"
            let named = filled(offer, instance: instance, catalog: catalog).compactMap { offer.target.field($0.field)?.displayTitle }
            let what = named.isEmpty ? "" : ", điền sẵn \(named.map { "«\($0)»" }.joined(separator: ", ")) theo hồ sơ này"
            return """
                <p><a class="button" href="\(formLink(offer, instance: instance, catalog: catalog))">\(title)</a> \
                <span class="muted small">Biểu mẫu thêm hồ sơ «\(offer.target.title)»\(what); kiểm tra rồi bấm «Thêm hồ sơ».</span></p>
                """
        }
        guard !rows.isEmpty else { return .empty }
        return "<section class=\"no-print follow-ups\"><h2>Hồ sơ tiếp theo</h2>\(HTML.join(rows))</section>"
    }
}
