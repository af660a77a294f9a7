import Hummingbird
import TiendoCore
import TiendoVarlink

/// `/ho-so/moi` — start one record from a form (a newly admitted member, a card to issue), for every account that may
/// act: the workflow chosen first, then its fields, typed as it declares them. An account limited to some chi bộ
/// starts records in those only. tiendod checks every value; a refusal shows the form again with what was typed.
struct NewRecordPage {
    let app: WebApp

    static let path = "/ho-so/moi"
    /// Why a record without the field that names it is not added from the form.
    static func unnamed(_ title: String) -> String {
        "Hãy nhập «\(FieldDefinition.shortTitle(title))»: hồ sơ không có tên thì trong danh sách chỉ thấy mã, không ai nhận ra."
    }

    /// The hidden field with the form's token, drawn when it is shown (`SentForms`).
    static let sendingField = "lan-gui"

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try NewRecordPage.officer(context)
        let catalog = try await app.daemon.workflows()
        let query = Form(fields: Form.urlEncoded(request.uri.query ?? ""))
        let chosen = query.text("quy-trinh")
        if let chosen, catalog[chosen] == nil { throw PageError.notFound("Không có quy trình «\(chosen)».") }
        if let chosen, let w = catalog[chosen], !NewRecordPage.offered(w, to: account) {
            throw NewRecordPage.notOffered(w, "thêm")
        }
        let flash = await app.takeFlash(request, context)
        let shown = chosen.flatMap { catalog[$0] }
        let names =
            account.scope == nil && shown?.groupBy != nil ? try await GroupNames.load(app, like: shown) : GroupNames()
        // Opened from another record (`FollowUpView`): its values fill the form, and the page says where they came
        // from when the account may see that record.
        var values: [String: String] = [:]
        var source: Manager.Instance?
        if let shown {
            for name in ["key"] + shown.fields.map(\.name) {
                if let v = query.text("f-" + name)?.trimmingSpaces, !v.isEmpty { values[name] = v }
            }
            if let from = query.text(FollowUpView.sourceParameter), !values.isEmpty {
                source = try? await RecordPage.visible(app, id: from, account: account).instance
            }
        }
        return page(
            context, catalog: catalog, account: account, workflow: chosen, values: values, known: names.all, flash: flash,
            source: source)
    }

    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try NewRecordPage.officer(context)
        let catalog = try await app.daemon.workflows()
        let form = context.form
        guard let id = form.text("quy-trinh"), let workflow = catalog[id], NewRecordPage.offered(workflow, to: account) else {
            return refuse("Hãy chọn quy trình của hồ sơ.", context, catalog, account, workflow: nil, values: [:], status: .badRequest)
        }
        let names = workflow.groupBy != nil ? try await GroupNames.load(app, for: account, like: workflow) : GroupNames()
        func refused(_ message: String, values: [String: String]) -> Response {
            self.refuse(message, context, catalog, account, workflow: id, values: values, known: names.all)
        }
        var values: [String: String] = [:]
        for name in ["key"] + workflow.fields.map(\.name) {
            if let v = form.text("f-" + name)?.trimmingSpaces, !v.isEmpty { values[name] = v }
        }
        if form.text("nhom-moi") == "1" { values["nhom-moi"] = "1" }
        // The form's own token, kept when the form is shown again after a refusal (`SentForms`).
        // (At most 64 characters: the page draws 43; a longer one sent by hand is not kept in memory for a day.)
        let sending = form.text(NewRecordPage.sendingField).flatMap { $0.utf8.count <= 64 ? $0 : nil }
        if let sending { values[NewRecordPage.sendingField] = sending }
        // None typed: one in the workflow's manner, the day and a number («kndv-20261130-4821»), not tiendod's
        // «i1796004022-4130469274», which then shows in every list and printout.
        let key = values["key"] ?? NewRecordPage.generatedKey(workflow.id, today: catalog.today)
        if !InstanceRows.isValidKey(key) {
            return refused(
                "Mã hồ sơ «\(key)» không hợp lệ: \(Messages.keyRule).",
                values: values)
        }
        // The chi bộ as records already spell it (`GroupNames`); a name like no other starts a new one.
        if let field = workflow.groupBy, let typed = values[field] {
            values[field] = names.canonical(typed)
            // A name no record has yet is asked about once: a typing slip would start a chi bộ of its own.
            if account.scope == nil, names.meant(typed) == nil, !names.isEmpty, form.text("nhom-moi") != "1" {
                let title = workflow.field(field)?.displayTitle ?? field
                values["nhom-moi"] = "?"
                return refused(
                    "Chưa có hồ sơ nào có «\(title)» là «\(values[field]!)». Nếu đúng là tên mới, hãy đánh dấu «Tên mới» bên dưới rồi gửi lại; nếu không, hãy chọn tên trong danh sách gợi ý.",
                    values: values)
            }
        }
        if let field = workflow.groupBy, !account.sees(group: values[field]) {
            let title = workflow.field(field)?.displayTitle ?? field
            return refused(
                "Tài khoản \(account.name) chỉ thêm được hồ sơ của \(account.groups.map { "«\($0)»" }.joined(separator: ", ")); hãy chọn «\(title)» trong số đó.",
                values: values)
        }
        if let label = workflow.label, values[label] == nil, let f = workflow.field(label) {
            return refused(NewRecordPage.unnamed(f.displayTitle), values: values)
        }
        let data = workflow.fields.compactMap { f in values[f.name].map { (f.name, JSON.string($0)) } }
        if let sending {
            var first = await app.sentForms.begin(sending)
            if first == .running {
                first = await app.sentForms.outcome(sending)
                // The first sending added nothing (refused, failed): this one is the sending now.
                if first == nil { first = await app.sentForms.begin(sending) }
            }
            switch first {
            case nil: break
            case .added(let added):
                try await app.flash(
                    "Biểu mẫu này đã được gửi trước đó và đã thêm hồ sơ này (bấm gửi hai lần, hoặc trình duyệt gửi lại); không thêm lần nữa.",
                    ok: true, request, context)
                return .redirect(to: DueTable.recordLink(added))
            case .running:
                return refused(
                    "Biểu mẫu này đang được gửi ở một lần bấm trước mà chưa xong; hãy đợi một lát rồi xem danh sách hồ sơ trước khi gửi lại.",
                    values: values)
            }
        }
        var added: String?
        defer { if let sending { Task { [added] in await app.sentForms.finish(sending, added: added) } } }
        do {
            var started: Manager.Instance?
            var tried = key
            // A key the form generated that another record of the day has already drawn is drawn again.
            for attempt in 0..<5 where started == nil {
                do {
                    started = try await app.daemon.call(
                        Manager.StartInstance(workflow: id, key: tried, data: data.isEmpty ? nil : .object(data), actor: account.name))
                } catch ManagerError.instanceExists where values["key"] == nil && attempt < 4 {
                    tried = NewRecordPage.generatedKey(workflow.id, today: catalog.today)
                }
            }
            guard let started else { throw ManagerError.instanceExists(id: "\(id)/\(tried)") }
            added = started.id
            context.logger.notice("tiendo-web: \(account.name) thêm hồ sơ \(started.id)")
            try await app.flash(
                "Đã thêm hồ sơ «\(catalog.label(of: started))» vào quy trình «\(workflow.title)».", ok: true, request, context)
            return .redirect(to: DueTable.recordLink(started.id))
        } catch let e as ManagerError {
            let message: String
            switch e {
            case .instanceExists: message = "Mã hồ sơ «\(key)» đã có trong quy trình «\(workflow.title)»; hãy dùng mã khác."
            default: message = RecordPage.refusal(e, workflow: workflow)
            }
            var values = values
            if case .invalidData(let field, _) = e { values[RecordPage.refusedField] = field }
            if case .instanceExists = e { values[RecordPage.refusedField] = "key" }
            return refused(message, values: values)
        }
    }

    /// Whether `account` may start records of `workflow`: every workflow for an account not limited to some chi
    /// bộ; for one that is, the workflows whose records are grouped by a chi bộ (the group field's title begins
    /// with «Chi bộ»). A workflow grouped by a đảng bộ, an office or a recipient of reports is not a chi bộ's: its
    /// group field would have to be set to the account's chi bộ, which is not what it means.
    static func offered(_ workflow: Extras.WorkflowInfo, to account: Account) -> Bool {
        guard account.scope != nil else { return true }
        guard let field = workflow.groupBy, let title = workflow.field(field)?.displayTitle else { return false }
        return title.hasPrefix("Chi bộ")
    }

    /// Why a workflow not `offered` to an account limited to some chi bộ is refused it: `doing` is the verb (thêm,
    /// nhập). «Thêm hồ sơ» and the import refuse alike.
    static func notOffered(_ workflow: Extras.WorkflowInfo, _ doing: String) -> PageError {
        .forbidden(
            "Hồ sơ của quy trình «\(workflow.title)» không chia theo chi bộ nên chỉ tài khoản không giới hạn chi bộ mới \(doing) được.")
    }

    /// A key in the workflow's manner: its words' initials and a number, «dvdb-001» for `dang-vien-du-bi`.
    static func keyExample(_ workflow: String) -> String { initials(workflow) + "-001" }

    /// A key for a record whose form left it empty: the workflow's initials, the day, four random digits.
    static func generatedKey(_ workflow: String, today: CivilDate) -> String {
        let day = today.iso.replacingOccurrences(of: "-", with: "")
        return "\(initials(workflow))-\(day)-\(String(format: "%04d", Int.random(in: 0...9999)))"
    }

    static func initials(_ workflow: String) -> String { String(workflow.split(separator: "-").compactMap(\.first)) }

    /// Accounts that may act (not those that only read).
    static func officer(_ context: WebContext) throws -> Account {
        let account = try context.user
        guard account.role.mayAct else {
            throw PageError.forbidden("Tài khoản \(account.name) (\(account.role.title)) chỉ được xem, không được thêm hồ sơ.")
        }
        return account
    }

    func refuse(
        _ message: String, _ context: WebContext, _ catalog: Catalog, _ account: Account, workflow: String?, values: [String: String],
        known: [String] = [], status: HTTPResponse.Status = .unprocessableContent
    ) -> Response {
        let flash = WebSession.Flash(ok: false, message: message + " Hồ sơ chưa được thêm.")
        return page(
            context, catalog: catalog, account: account, workflow: workflow, values: values, known: known, flash: flash, status: status)
    }

    func page(
        _ context: WebContext, catalog: Catalog, account: Account, workflow chosen: String?, values: [String: String],
        known: [String] = [], flash: WebSession.Flash?, status: HTTPResponse.Status = .ok, source: Manager.Instance? = nil
    ) -> Response {
        let options = catalog.workflows.filter { NewRecordPage.offered($0, to: account) }.map { w -> HTML in
            "<option value=\"\(w.id)\"\(HTML.flag("selected", w.id == chosen))>\(w.title)</option>"
        }
        let choose: HTML = """
            <form method="get" action="\(NewRecordPage.path)" class="filters no-print">
            <label>Quy trình <select name="quy-trinh" id="chon-quy-trinh" data-autosubmit><option value="">— chọn quy trình —</option>\(options)</select></label>
            <button type="submit">Chọn</button></form>
            """
        var body: HTML = "<h1>Thêm hồ sơ</h1>\(choose)"
        if let chosen, let workflow = catalog[chosen] {
            if let source {
                body = HTML.join([
                    body,
                    "<p class=\"follow-up-source\">Các ô đã điền sẵn từ hồ sơ <a href=\"\(DueTable.recordLink(source.id))\">\(catalog.label(of: source))</a> <span class=\"muted small\">(\(source.id))</span>; kiểm tra lại trước khi bấm «Thêm hồ sơ».</p>",
                ])
            }
            body = HTML.join([body, fields(workflow, context: context, account: account, values: values, known: known)])
        } else {
            body = HTML.join([
                body,
                "<p class=\"muted\">Chọn quy trình để điền thông tin của hồ sơ.\(account.role.mayAdminister ? " Nhiều hồ sơ một lúc: trang Nhập (tệp CSV)." : "")\(account.scope == nil ? "" : " Tài khoản của chi bộ thêm được hồ sơ của các quy trình theo chi bộ; hồ sơ các quy trình khác do tài khoản không giới hạn chi bộ thêm.")</p>",
            ])
        }
        return Layout.response(
            Layout.page(title: "Thêm hồ sơ", active: "/ho-so", context: context, flash: flash, body: body), status: status)
    }

    /// The form of one workflow: every field in the file's order, required ones marked, then the record's key, which
    /// may be left empty (first, it was the box a secretary met before the member's name, with its rules for codes).
    func fields(_ workflow: Extras.WorkflowInfo, context: WebContext, account: Account, values: [String: String], known: [String]) -> HTML {
        var rows: [HTML] = []
        // What a later step asks when it is taken (a vote's counts) is not asked at the start: an optional field that
        // only events of later states read has its box in that event's form on the record page. One an event of the
        // first state reads (the kind of a card request, the reason for a lost card) is asked here too.
        let atStart = Set(workflow.states.filter { $0.id == workflow.initial }.flatMap { $0.events.flatMap(\.fields) })
        let askedLater = Set(workflow.states.filter { $0.id != workflow.initial }.flatMap { $0.events.flatMap(\.fields) })
            .subtracting(atStart)
        // A value already given (filled from another record) is shown, even for a field asked later: never dropped.
        for f in workflow.fields where f.required || f.name == workflow.groupBy || !askedLater.contains(f.name) || values[f.name] != nil {
            let id = "f-\(f.name)"
            // The field that names the record (a member's name) is asked for here even where the file leaves it
            // optional: a record without it reads «dvdb-20261207-4821» in every list (`NewRecordPage.unnamed`).
            let needed = f.required || f.name == workflow.label
            let mark: HTML = needed ? " <span class=\"required\">*</span>" : .empty
            let current = values[f.name] ?? ""
            // The box tiendod refused, marked as on a record's page (no field is named `_…`).
            let refusedHere = values[RecordPage.refusedField] == f.name
            let control: HTML
            var after: HTML = .empty
            if f.name == workflow.groupBy, account.scope == nil {
                // Free text, with the names records already carry offered as it is typed; a new name is confirmed once.
                let list = VietnameseOrder.sorted(known).prefix(2000).map { g -> HTML in "<option value=\"\(g)\">" }
                if values["nhom-moi"] != nil {
                    after =
                        "<label class=\"check\"><span>Tên mới (chưa có hồ sơ nào mang tên này)</span><input type=\"checkbox\" name=\"nhom-moi\" value=\"1\"\(HTML.flag("checked", values["nhom-moi"] == "1"))></label>"
                }
                control = HTML.join([
                    FieldControls.control(f, id: id, current: current, required: f.required, list: "\(id)-list", invalid: refusedHere),
                    "<datalist id=\"\(id)-list\">\(list)</datalist>",
                ])
            } else if f.name == workflow.groupBy, let groups = account.scope {
                // An account limited to some chi bộ picks among them.
                let options = VietnameseOrder.sorted(groups).map { g -> HTML in
                    "<option\(HTML.flag("selected", g == current || groups.count == 1))>\(g)</option>"
                }
                control = "<select id=\"\(id)\" name=\"\(id)\" required>\(options)</select>"
            } else {
                control = FieldControls.control(f, id: id, current: current, required: needed, invalid: refusedHere)
            }
            // What an empty box gives, said beside it: a thi-dua record of 2026 left «Hạn ký giao ước» at the file's
            // 31/12/2026 without anyone seeing it. (Its days now count from «Năm thi đua»: the box says how.)
            var empty: HTML = Format.defaultText(f).map { " <span class=\"muted small default\">(để trống: \($0))</span>" } ?? .empty
            if f.name == workflow.groupBy, !f.required, Format.defaultText(f) == nil, account.scope == nil {
                // A record left without a chi bộ is seen by the office alone: said before it is saved, not found out
                // when the chi bộ's secretary cannot find it.
                empty =
                    " <span class=\"muted small no-group\">(để trống thì chỉ văn phòng Đảng ủy thấy hồ sơ này; tài khoản của chi bộ không thấy)</span>"
            }
            rows.append(
                "<p><label for=\"\(id)\">\(f.displayTitle)\(mark)\(RecordView.range(f, in: workflow))\(empty)<br>\(control)</label>\(after)</p>"
            )
        }
        rows.append(
            """
            <p><label for="f-key">Mã hồ sơ <span class="muted small">(để trống thì phần mềm tự đặt mã theo ngày; nếu tự đặt: chữ cái không dấu, chữ số, '.', '_', '-', ví dụ \(NewRecordPage.keyExample(workflow.id)))</span><br>
            <input id="f-key" name="f-key" value="\(values["key"] ?? "")"\(FieldControls.refused(values[RecordPage.refusedField] == "key")) maxlength="128" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,127}"></label></p>
            """)
        return """
            <section><h2>\(workflow.title)</h2>
            \(workflow.description.map { "<p class=\"muted\">\($0)</p>" } ?? HTML.empty)
            <form method="post" action="\(NewRecordPage.path)?quy-trinh=\(workflow.id)" class="stack new-record">\(Layout.csrf(context))
            <input type="hidden" name="quy-trinh" value="\(workflow.id)">
            <input type="hidden" name="\(NewRecordPage.sendingField)" value="\(values[NewRecordPage.sendingField] ?? Sessions.token())">
            <p class="muted small"><span class="required">*</span> bắt buộc. Ô nào có ghi «(để trống: …)» cạnh tên, nếu bỏ trống sẽ lấy giá trị ghi trong ngoặc\(workflow.fields.contains { $0.defaultRule != nil } ? ", hoặc ngày tính theo cách ghi trong ngoặc" : "").\(askedLater.isEmpty ? "" : " Những thông tin chỉ cần khi chuyển bước (số biểu quyết, lý do…) được hỏi ở bước đó, trên trang hồ sơ.")</p>
            \(HTML.join(rows))
            <p><button type="submit" class="primary">Thêm hồ sơ</button></p>
            </form></section>
            """
    }
}
