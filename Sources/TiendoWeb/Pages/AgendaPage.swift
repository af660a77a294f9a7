import Hummingbird
import TiendoCore
import TiendoVarlink

/// `/` — Việc cần làm: every overdue item and those due in the next 7, 14 or 30 days, in sections, grouped by chi bộ
/// or workflow; counts in the header; `?in=1` is the list for printing; `tu`/`den` show the items of given days.
struct AgendaPage {
    let app: WebApp

    struct Data {
        var catalog: Catalog
        var filters: Filters
        var reply: Extras.Due.Reply
    }

    /// The page of items the filters select, for this page and its exports.
    static func load(_ app: WebApp, _ typed: Filters, account: Account, offset: Int, limit: Int) async throws -> Data {
        let filters = try await typed.resolvingGroup(app, for: account)
        let catalog = try await app.daemon.workflows()
        let selection = try filters.selection(for: account, catalog: catalog)
        let dates = filters.from.map { (from: $0.iso, until: (filters.until ?? $0).iso) }
        let reply = try await app.daemon.call(
            Extras.Due(selection: selection, days: filters.days, dates: dates, offset: offset, limit: limit))
        return Data(catalog: catalog, filters: filters, reply: reply)
    }

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        let filters = Filters(query: request.uri.query)
        let printing = Form(fields: Form.urlEncoded(request.uri.query ?? ""))["in"] == "1"
        let limit = printing ? 1000 : WebLimits.agendaPage
        let data = try await AgendaPage.load(app, filters, account: account, offset: filters.page * limit, limit: limit)
        if printing { return Layout.response(PrintList.agenda(data, app.configuration, account: account)) }
        let flash = await app.takeFlash(request, context)
        let undelivered = await DeliveriesPage.notice(app, account: account)
        return Layout.response(
            Layout.page(
                title: filters.title("Việc cần làm", data.catalog), active: "/", context: context, flash: flash,
                body: body(data, account: account, context: context, query: request.uri.query, notice: undelivered)))
    }

    /// How many items a section of the agenda holds in all, from tiendod's counts (each up to the end of a day, today's
    /// included, overdue ones apart): what the page's section shows when the list runs over several pages. The last
    /// section holds everything after the fortnight: up to the horizon, or to the last day chosen («tu», «den»),
    /// which may lie months ahead.
    static func count(_ bucket: DueTable.Bucket, _ c: Extras.DueCounts) -> Int {
        switch bucket {
        case .overdue: return c.overdue
        case .today: return c.today
        case .week: return c.week - c.today
        case .fortnight: return c.fortnight - c.week
        case .month: return c.total - c.overdue - c.fortnight
        }
    }

    /// The days chosen («tu», «den»: a day opened from the calendar) as people say them: «ngày 26/03/2026», «từ
    /// 01/03/2026 đến 05/03/2026»; nil when none is.
    static func chosenDays(_ f: Filters) -> String? {
        guard let from = f.from else { return nil }
        let until = f.until ?? from
        return until == from ? "ngày \(from.vietnamese)" : "từ \(from.vietnamese) đến \(until.vietnamese)"
    }

    /// The boxes of the agenda's header: overdue, today, and the coming 7, 14 and 30 days, each a link to that view.
    static func comingCounts(_ c: Extras.DueCounts, filters f: Filters, today: CivilDate) -> HTML {
        """
        <ul class="counts" aria-label="Số việc">
        <li class="bad"><span><b>\(Format.count(c.overdue))</b> quá hạn</span></li>
        <li class="warn"><span><b>\(Format.count(c.today))</b> hôm nay</span></li>
        \(Filters.horizons.map { d -> HTML in
            // tiendod's counts include today's, which has its box: each of these counts from tomorrow, as the
            // week's section does («7 ngày tới (từ 03/03 đến 09/03)»), and says both days (a box that included
            // today's read as a different count from the section under it; the longer ones cover the later
            // sections too, which their last day says).
            let n = (d == 7 ? c.week : (d == 14 ? c.fortnight : c.month)) - c.today
            let (start, end) = (today.adding(days: 1), today.adding(days: d))
            let days = "từ \(Format.dayMonth(start)) đến \(Format.dayMonth(end))"
            return "<li data-days=\"\(d)\"><a href=\"\(f.link("/", ["ngay": d == 7 ? nil : String(d), "tu": nil, "den": nil, "trang": nil]))\" title=\"Các việc đến hạn từ ngày mai \(start.vietnamese) đến hết ngày \(end.vietnamese) (\(d) ngày tới), không kể việc hôm nay\"\(HTML.flag("aria-current=\"true\"", f.days == d))><b>\(Format.count(n))</b> \(days)</a></li>"
        })
        </ul>
        """
    }

    func body(_ data: Data, account: Account, context: WebContext, query: String?, notice: HTML = .empty) -> HTML {
        let f = data.filters
        let c = data.reply.counts
        let today = data.catalog.today
        // The items of chosen days (a day opened from the calendar): their number, not the coming days' boxes, which
        // counted only those days under the coming weeks' names («118.799 từ 09/12 đến 07/01» for 31/12 alone).
        // «Trong … ngày tới» does not apply then: not shown; the days go with the form, so that a chi bộ or a grouping
        // chosen keeps them.
        let counts: HTML
        let horizon: HTML
        if let from = f.from, let days = AgendaPage.chosenDays(f) {
            let until = f.until ?? from
            let late = c.overdue > 0 ? ", trong đó \(Format.count(c.overdue)) quá hạn" : ""
            counts =
                "<ul class=\"counts\" aria-label=\"Số việc\"><li><span><b>\(Format.count(c.total))</b> việc có hạn \(days)\(late)</span></li></ul>"
            horizon =
                "<input type=\"hidden\" name=\"tu\" value=\"\(from.iso)\"><input type=\"hidden\" name=\"den\" value=\"\(until.iso)\">"
        } else {
            counts = AgendaPage.comingCounts(c, filters: f, today: today)
            horizon = """
                <label>Trong <select name="ngay" id="f-ngay">\(Filters.horizons.map { d -> HTML in
                    "<option value=\"\(d)\"\(HTML.flag("selected", d == f.days))>\(d) ngày tới</option>"
                })</select></label>
                """
        }
        let extra: HTML = """
            \(horizon)
            <label>Nhóm theo <select name="nhom" id="f-nhom">
            <option value="chi-bo"\(HTML.flag("selected", f.groupBy == .group))>Chi bộ</option>
            <option value="quy-trinh"\(HTML.flag("selected", f.groupBy == .workflow))>Quy trình</option>
            <option value="khong"\(HTML.flag("selected", f.groupBy == .none))>Không nhóm</option></select></label>
            """
        let groups = VietnameseOrder.sorted(Set(data.reply.items.compactMap(\.item.group)))
        let span: HTML =
            f.from.map { from in
                let until = f.until ?? from
                let text = until == from ? from.vietnamese : "\(from.vietnamese) đến \(until.vietnamese)"
                return
                    "<p>Đang xem các việc có hạn \(until == from ? "ngày" : "từ") <b>\(text)</b>. <a href=\"\(f.link("/", ["tu": nil, "den": nil]))\">Xem tất cả việc cần làm</a></p>"
            } ?? .empty
        // Milestones done (a month's Party fees, a meeting held) are ticked in the tables and recorded together
        // (`AgendaDone`); the form stands apart, its boxes and second button name it.
        let pick = account.role.mayAct && data.reply.items.contains { $0.item.milestone != nil }
        let button: HTML = "<button type=\"submit\" class=\"done\" form=\"\(DueTable.pickForm)\">Đánh dấu đã xong các việc đã chọn</button>"
        let pickForm: HTML =
            pick
            ? """
            <form method="post" action="/" id="\(DueTable.pickForm)" class="pick-bar no-print" data-bulk="xong" data-bulk-none="Chưa chọn việc nào: tích chọn ô ở đầu dòng các việc đã làm xong rồi bấm lại." data-bulk-confirm="Ghi nhận {n} việc đã chọn là đã xong?">\(Layout.csrf(context))
            <input type="hidden" name="hanh-dong" value="xong-nhieu"><input type="hidden" name="quay-lai" value="\(query ?? "")">
            \(button) <label class="check"><span>Chọn tất cả việc trên trang</span><input type="checkbox" data-pick-form="\(DueTable.pickForm)"></label>
            <span class="muted small pick-help">Tích chọn ô ở đầu dòng các việc đã làm xong (đóng đảng phí, họp chi bộ, nộp báo cáo…) rồi bấm nút này. Bước nào cần ghi thông tin (biểu quyết, quyết định), dòng có dấu →, thì ghi trên trang hồ sơ.</span></form>
            """ : .empty
        var sections: [HTML] = []
        let open = Set(data.reply.items.compactMap { DueTable.openKey($0.item) })
        for bucket in DueTable.Bucket.allCases {
            let entries = data.reply.items.filter { DueTable.Bucket($0.item) == bucket }
            guard !entries.isEmpty else { continue }
            // A page of 200 may hold part of a section: its count then says how many the section has in all.
            let all = AgendaPage.count(bucket, c)
            let count = all > entries.count ? "\(Format.count(entries.count)) trên \(Format.count(all)) việc" : Format.count(entries.count)
            sections.append(
                """
                <section class="bucket \(bucket == .overdue ? "overdue" : "")"><h2>\(bucket.title(today: today)) <span class="muted small">(\(count))</span></h2>
                \(DueTable.grouped(entries, by: f.groupBy, catalog: data.catalog, pick: pick, open: open, partial: all > entries.count))</section>
                """)
        }
        let shown = f.page * WebLimits.agendaPage + data.reply.items.count
        // A page past the end (the list shortened since it was opened: items marked done) says where the list ends,
        // not that there is nothing to do, nor «Đang xem 72.001–72.000» (large-data audit, 07/12/2026).
        let pastTheEnd = data.reply.items.isEmpty && f.page > 0 && c.total > 0
        let pager: HTML =
            (c.total > shown || f.page > 0) && !pastTheEnd
            ? """
            <p class="pager">Đang xem \(Format.count(f.page * WebLimits.agendaPage + 1))–\(Format.count(shown)) trên tổng số \(Format.count(c.total)) việc.
            \(f.page > 0 ? "<a href=\"\(f.link("/", ["trang": f.page > 1 ? String(f.page - 1) : nil]))\">← Trang trước</a>" : HTML.empty)
            \(c.total > shown ? "<a href=\"\(f.link("/", ["trang": String(f.page + 1)]))\">Trang sau →</a>" : HTML.empty)</p>
            """ : .empty
        let lastPage = max(0, (c.total - 1) / WebLimits.agendaPage)
        let empty: HTML =
            pastTheEnd
            ? "<p class=\"flash ok\">Trang \(f.page + 1) không còn việc nào: danh sách nay có \(Format.count(c.total)) việc, trên \(lastPage + 1) trang. <a href=\"\(f.link("/", ["trang": lastPage > 0 ? String(lastPage) : nil]))\">Về trang cuối</a></p>"
            : data.reply.items.isEmpty
                ? "<p class=\"flash ok\">Không có việc nào \(AgendaPage.chosenDays(f).map { "có hạn " + $0 } ?? "quá hạn hoặc đến hạn trong \(f.days) ngày tới") với bộ lọc này.</p>"
                : .empty
        // Records with no deadline open that move on by themselves (a probation ending) have no item here.
        let movesSoon = "/ho-so?" + Filters.query([("quy-trinh", f.workflow), ("chi-bo", f.group), ("sap-chuyen", "1")])
        return """
            <h1>Việc cần làm <span class="muted small">— hôm nay \(today.weekdayName), \(today.vietnamese)</span></h1>
            \(notice)\(counts)
            \(f.form("/", catalog: data.catalog, account: account, groups: groups, extra: extra))
            <p class="no-print actions"><a href="\(f.link("/", ["in": "1", "trang": nil]))">In danh sách (A4)</a> ·
            <a href="\(f.link("/xuat/viec-can-lam.xlsx"))">Tải Excel</a> · <a href="\(f.link("/xuat/viec-can-lam.csv"))">Tải CSV</a>\(ExportPage.capNote(c.total, noun: "việc")) ·
            <a href="\(movesSoon)">Hồ sơ sẽ tự chuyển trạng thái trong \(Filters.movesSoonDays) ngày tới</a></p>
            \(span)\(empty)\(pickForm)\(sections)\(pick ? "<p class=\"no-print\">\(button)</p>" as HTML : .empty)\(pager)
            """
    }
}
