import Hummingbird
import TiendoCore
import TiendoVarlink

/// `/ho-so` — Hồ sơ: the instances the filters select, 50 a page in id order, each with its overdue count and its
/// first open deadline (`Instance.deadlines`, as `tiendoctl list` shows it); `?in=1` prints it.
struct RecordsPage {
    let app: WebApp

    struct Data {
        var catalog: Catalog
        var filters: Filters
        var reply: Extras.Instances.Reply
    }

    static func load(_ app: WebApp, _ typed: Filters, account: Account, limit: Int) async throws -> Data {
        let filters = try await typed.resolvingGroup(app, for: account)
        let catalog = try await app.daemon.workflows()
        let selection = try filters.selection(for: account, catalog: catalog)
        var reply = try await app.daemon.call(
            Extras.Instances(
                selection: selection, overdue: filters.overdueOnly ? true : nil,
                movesWithin: filters.movesSoon ? Filters.movesSoonDays : nil, after: filters.after, limit: limit))
        // The records that move on soon, when one page holds them all: the first to move first (pages go by id).
        if filters.movesSoon, filters.after == nil, reply.next == nil {
            func at(_ e: Extras.InstanceEntry) -> Int64 {
                e.nextTransition.flatMap { Format.zone.parseInstant($0.at)?.seconds } ?? .max
            }
            let order = reply.instances.enumerated().sorted { (at($0.element), $0.offset) < (at($1.element), $1.offset) }
            reply.instances = order.map(\.element)
        }
        return Data(catalog: catalog, filters: filters, reply: reply)
    }

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        let filters = Filters(query: request.uri.query)
        let printing = Form(fields: Form.urlEncoded(request.uri.query ?? ""))["in"] == "1"
        let data = try await RecordsPage.load(app, filters, account: account, limit: printing ? 1000 : WebLimits.listPage)
        if printing { return Layout.response(PrintList.records(data, app.configuration, account: account)) }
        let f = filters
        let extra: HTML = """
            <label class="check"><span>Chỉ quá hạn</span><input type="checkbox" name="qua-han" value="1"\(HTML.flag("checked", f.overdueOnly))></label>
            <label class="check"><span>Sắp tự chuyển trạng thái (\(Filters.movesSoonDays) ngày tới)</span><input type="checkbox" name="sap-chuyen" value="1"\(HTML.flag("checked", f.movesSoon))></label>
            """
        let groups = VietnameseOrder.sorted(Set(data.reply.instances.compactMap(\.group)))
        // Pages go by a cursor (`sau`); `trang` only numbers them for the range shown.
        let page = f.after == nil ? 0 : f.page
        let shown = data.reply.instances.count
        let first = page * WebLimits.listPage + 1
        let range: String? =
            shown == 0 || (page == 0 && data.reply.next == nil) ? nil : "Hồ sơ \(Format.count(first))–\(Format.count(first + shown - 1))"
        let counted =
            data.reply.total.map { t in (range.map { $0 + " trên tổng số " } ?? "") + "\(Format.count(t)) hồ sơ." }
            ?? range.map { $0 + "." }
            // One page whose total tiendod does not count (a search, «Sắp tự chuyển trạng thái»): the page is the whole.
            ?? (shown > 0 ? "\(Format.count(shown)) hồ sơ." : nil)
        let total: HTML = counted.map { "<p class=\"muted\">\($0)</p>" } ?? .empty
        // Above the list too: on a phone «Trang sau» came after 50 cards, 13,000 px down (audit, 07/12/2026).
        let pager: HTML = """
            <p class="pager">\(f.after != nil ? "<a href=\"\(f.link("/ho-so"))\">← Trang đầu</a>" : HTML.empty)
            \(data.reply.next.map { "<a href=\"\(f.link("/ho-so", ["sau": $0, "trang": String(page + 1)]))\">Trang sau →</a>" } ?? HTML.empty)</p>
            """
        let empty: HTML = data.reply.instances.isEmpty ? "<p class=\"flash ok\">Không có hồ sơ nào với bộ lọc này.</p>" : .empty
        // One workflow and one state chosen: a step that asks nothing of each record is recorded for the ticked records
        // at once (`RecordsEvent`); the form stands apart, its boxes name it. After a refused value it comes back as it
        // was filled, its records ticked.
        let flash = await app.takeFlash(request, context)
        let typed = flash?.typed ?? [:]
        let ticked = Set((typed["chon"] ?? "").split(separator: "\n").map(String.init))
        let shownWorkflow = f.workflow.flatMap { data.catalog[$0] }
        let steps = data.reply.instances.isEmpty ? [] : RecordsEvent.offered(shownWorkflow, state: f.state, account: account)
        // Where no step is offered because the list is not of one workflow in one state, how to get one.
        let howToPick: HTML =
            account.role.mayAct && !data.reply.instances.isEmpty && (f.workflow == nil || f.state == nil)
            ? "<p class=\"muted small no-print\">Muốn ghi cùng lúc cho nhiều hồ sơ một việc đã làm không cần thông tin riêng của từng hồ sơ: chọn «Quy trình» và «Trạng thái» rồi bấm «Lọc».</p>"
            : .empty
        let stepForm: HTML =
            steps.isEmpty
            ? howToPick
            : """
            <form method="post" action="/ho-so" id="\(RecordsEvent.formID)" class="pick-bar no-print" data-bulk="chon" data-bulk-none="Chưa chọn hồ sơ nào: tích chọn ô ở đầu dòng các hồ sơ đã làm xong việc đó rồi bấm lại." data-bulk-confirm="Ghi {viec} cho {n} hồ sơ đã chọn?">\(Layout.csrf(context))
            <input type="hidden" name="hanh-dong" value="su-kien-nhieu"><input type="hidden" name="quay-lai" value="\(request.uri.query ?? "")">
            <input type="hidden" name="quy-trinh" value="\(f.workflow ?? "")"><input type="hidden" name="trang-thai" value="\(f.state ?? "")">
            <input type="hidden" name="khoa" value="\(Sessions.token())">
            <label>Việc đã làm <select name="su-kien" required><option value="">— chọn việc —</option>\(HTML.join(steps.map { e in
                // A step after which the record ends (cancelled, handed over) says so before it is recorded.
                let ends = e.targets.allSatisfy { shownWorkflow?.state($0)?.final == true }
                return "<option value=\"\(e.name)\" data-said=\"\(RecordsEvent.said(e, in: shownWorkflow))\"\(HTML.flag("data-ends", ends))\(HTML.flag("selected", typed["su-kien"] == e.name))>\(RecordsEvent.label(e, in: shownWorkflow))</option>"
            }))</select></label>
            \(HTML.join(steps.filter { !$0.fields.isEmpty }.map { RecordsPage.sharedFields($0, in: shownWorkflow, typed: typed) }))
            \(RecordsPage.stepButton)
            <label class="check"><span>Chọn tất cả hồ sơ trên trang</span><input type="checkbox" data-pick-form="\(RecordsEvent.formID)"></label>
            <span class="muted small pick-help">Tích chọn ô ở đầu dòng các hồ sơ đã làm xong việc này rồi bấm nút. Việc cần thông tin riêng của từng hồ sơ (biểu quyết, chấm điểm…) thì ghi trên trang hồ sơ đó.</span></form>
            """
        let body: HTML = """
            <h1>Hồ sơ</h1>\(account.role.mayAct ? HTML(unescaped: "<p class=\"no-print actions\"><a class=\"button\" href=\"\(NewRecordPage.path)\">+ Thêm hồ sơ</a></p>") : HTML.empty)
            \(f.form("/ho-so", catalog: data.catalog, account: account, groups: groups, extra: extra))
            <p class="no-print actions"><a href="\(f.link("/ho-so", ["in": "1", "sau": f.after]))">In danh sách (A4)</a> ·
            <a href="\(f.link("/xuat/ho-so.xlsx"))">Tải Excel</a> · <a href="\(f.link("/xuat/ho-so.csv"))">Tải CSV</a>\(ExportPage.capNote(data.reply.total ?? 0, noun: "hồ sơ"))</p>
            \(total)\(data.reply.next != nil || f.after != nil ? pager : HTML.empty)\(empty)\(stepForm)\(data.reply.instances.isEmpty ? HTML.empty : RecordsPage.table(data, printing: false, showGroup: PrintList.group(data.filters, account) == nil, pick: !steps.isEmpty, ticked: ticked))\(steps.isEmpty ? HTML.empty : "<p class=\"no-print\">\(RecordsPage.stepButton)</p>")\(pager)
            """
        return Layout.response(
            Layout.page(title: f.title("Hồ sơ", data.catalog), active: "/ho-so", context: context, flash: flash, body: body))
    }

    /// The facts a step asks, typed once for every ticked record (a decision's number and date), none required; the
    /// page's script shows only the chosen step's (without it, each step's are shown under its name).
    static func sharedFields(_ e: Extras.EventInfo, in workflow: Extras.WorkflowInfo?, typed: [String: String]) -> HTML {
        let inputs: [HTML] = e.fields.map { name in
            let f = workflow?.field(name)
            let id = RecordsEvent.input(e.name, name)
            let title = f?.displayTitle ?? name
            let control = FieldControls.control(f, id: id, current: typed[id] ?? "")
            return "<label for=\"\(id)\" data-title=\"\(title)\">\(title)\(RecordView.range(f, in: workflow))\(control)</label>"
        }
        return """
            <fieldset class="step-fields" data-step="\(e.name)"><legend>Thông tin của \(RecordsEvent.said(e, in: workflow)), dùng chung cho mọi hồ sơ đã chọn (không bắt buộc)</legend>\(inputs)</fieldset>
            """
    }

    /// The button of the list's ticked records (`RecordsEvent`), above the list and under it.
    static let stepButton: HTML =
        "<button type=\"submit\" class=\"done\" form=\"\(RecordsEvent.formID)\">Ghi cho các hồ sơ đã chọn</button>"

    /// A record with no deadline open that moves on by itself: «Tự chuyển sang «Chờ chi bộ xét…» ngày 11/02/2027»;
    /// one whose transition is due but not yet taken: «Chờ tự chuyển sang «…» (đến lúc từ ngày 11/02/2027)».
    static func transition(_ t: Extras.TimedTransition, workflow: String, catalog: Catalog) -> String {
        let to = catalog.stateTitle(workflow, t.to) ?? t.to
        let at = Format.zone.parseInstant(t.at)
        let day = at.map { Format.zone.date(of: $0).vietnamese } ?? t.at
        let provisional = t.provisional == true ? " (dự kiến)" : ""
        // The deadline that step brings (a probationary member's: the chi bộ's vote within 30 working days), which is
        // what a list of members read in advance is for; the record's page says the same in full.
        let due =
            t.due.map { "; " + Messages.upcomingDue(Format.due($0, provisional: t.dueProvisional), title: t.dueTitle, stateTitle: to) }
            ?? ""
        if let at, catalog.hasCome(at) {
            return "Chờ tự chuyển sang «\(to)» (đến lúc từ ngày \(day)\(provisional))\(due)"
        }
        return "Tự chuyển sang «\(to)» ngày \(day)\(provisional)\(due)"
    }

    /// `showGroup`: false for a list of one chi bộ (chosen, or the only one the account sees), whose name the filter
    /// or the letterhead gives; `pick`: a first column of boxes to tick records for `RecordsEvent`.
    static func table(_ data: Data, printing: Bool, showGroup: Bool, pick: Bool = false, ticked: Set<String> = []) -> HTML {
        // One workflow chosen: the filter above (or the printed heading) already names it.
        let showWorkflow = data.filters.workflow == nil
        // One workflow chosen: the fields its file names for lists (`list_fields`), a grading list's score and grade.
        let info = data.filters.workflow.flatMap { data.catalog[$0] }
        let columns: [Extras.FieldInfo] = info.map { w in w.listFields.compactMap { w.field($0) } } ?? []
        func numeric(_ f: Extras.FieldInfo) -> Bool { f.type == "integer" || f.type == "number" }
        let groupTitle = data.catalog.groupTitle(of: data.reply.instances.map(\.instance.workflow))
        let rows: [HTML] = data.reply.instances.enumerated().map { n, e in
            let i = e.instance
            let open = i.deadlines ?? []
            let overdue = open.filter(\.overdue).count
            let first: HTML =
                open.first.map { d in
                    "\(DueTable.due(d)) \(DueTable.daysBadge(d))<br><span class=\"small\">\(DueTable.what(d))</span>"
                }
                ?? (i.completed
                    ? "<span class=\"badge ok\">Hồ sơ đã hoàn thành</span>"
                    : e.nextTransition.map { t in
                        "<span class=\"small next-transition\">\(RecordsPage.transition(t, workflow: i.workflow, catalog: data.catalog))</span>"
                    } ?? "<span class=\"muted\">—</span>")
            let state = i.state.flatMap { data.catalog.stateTitle(i.workflow, $0) } ?? (i.completed ? "Hoàn thành" : "—")
            let values = HTML.join(
                columns.map { f in
                    let shown = i.data[f.name].map { Format.value($0, field: f) } ?? ""
                    let dated = f.type == "date" || f.type == "datetime"
                    let cell: HTML =
                        shown.isEmpty || shown == "—"
                        ? "<span class=\"muted\">—</span>" : dated ? "<span class=\"date\">\(shown)</span>" : "\(shown)"
                    return "<td\(numeric(f) ? " class=\"num\"" : HTML.empty) data-label=\"\(f.displayTitle)\">\(cell)</td>"
                })
            let name = e.label ?? data.catalog.label(of: i)
            let box: HTML =
                pick
                ? "<td class=\"pick\"><label><input type=\"checkbox\" name=\"chon\" value=\"\(i.id)\" form=\"\(RecordsEvent.formID)\"\(HTML.flag("checked", ticked.contains(i.id))) aria-label=\"Chọn hồ sơ này: \(name)\"><span class=\"on-phone\">Chọn hồ sơ này</span></label></td>"
                : .empty
            // Labels for the cards a phone shows (`data-label`, Assets.css); a desktop shows the table's heads.
            return """
                <tr class="\(overdue > 0 ? "overdue" : "")">\(box)\(printing ? PrintList.rowNumber(n) : .empty)<td class="record"><a href="\(DueTable.recordLink(i.id))">\(name)</a><br><span class="muted small id">\(DueTable.breakable(i.id))</span></td>
                \(showGroup ? "<td data-label=\"\(groupTitle)\">\(e.group ?? "—")</td>" : HTML.empty)\(showWorkflow ? "<td data-label=\"Quy trình\">\(data.catalog.title(i.workflow))</td>" : HTML.empty)<td data-label="Trạng thái">\(state)\(i.stale ? " <span class=\"badge warn\" title=\"Chạy theo phiên bản quy trình cũ\">bản cũ</span>" : HTML.empty)</td>\(values)
                <td class="started" data-label="Bắt đầu theo dõi"><span class="date">\(Format.date(String(i.startedAt.prefix(10))))</span></td><td class="num" data-label="Số việc quá hạn">\(overdue > 0 ? "<span class=\"badge bad\">\(overdue)</span>" : printing ? "0" : HTML.empty)</td><td data-label="Hạn sớm nhất (việc chưa xong)">\(first)</td></tr>
                """
        }
        return """
            <table class="records"><thead><tr>\(pick ? "<th class=\"pick\"><input type=\"checkbox\" data-pick-all aria-label=\"Chọn tất cả hồ sơ trong bảng này\" title=\"Chọn tất cả hồ sơ trong bảng này\"></th>" as HTML : .empty)\(printing ? PrintList.rowNumberHead : .empty)<th>Hồ sơ</th>\(showGroup ? "<th>\(groupTitle)</th>" : HTML.empty)\(showWorkflow ? "<th>Quy trình</th>" : HTML.empty)<th>Trạng thái</th>\(HTML.join(columns.map { f in "<th class=\"field\(numeric(f) ? " num" : "")\">\(f.displayTitle)</th>" }))<th class="started">Bắt đầu theo dõi</th><th class="num" title="Số việc quá hạn của hồ sơ">Số việc quá hạn</th><th>Hạn sớm nhất (việc chưa xong)</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
    }
}
