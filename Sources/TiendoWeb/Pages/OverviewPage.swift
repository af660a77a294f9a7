import Hummingbird
import TiendoVarlink

/// `/tong-quan` — the numbers a Party committee reports: per workflow and per chi bộ, records, open ones, overdue
/// ones and those due within 7 days (instances, as tiendod counts them), limited to the account's groups.
struct OverviewPage {
    let app: WebApp
    static let shownGroups = 300
    /// What each row counts, in order: the tables' heads, each number's label on a phone's card, the export's columns.
    static let countTitles = ["Hồ sơ", "Chưa hoàn thành", "Hồ sơ có việc quá hạn", "Hồ sơ có việc đến hạn trong 7 ngày"]
    static let provisionalTitle = "Việc có hạn dự kiến"

    /// A row's numbers, each labelled with its title (`data-label`): on a phone the rows are cards, without the head.
    static func numbers(_ cells: [HTML], titles: [String] = countTitles) -> HTML {
        HTML.join(zip(titles, cells).map { "<td class=\"num\" data-label=\"\($0)\">\($1)</td>" })
    }

    /// The heads of the count columns.
    static func heads(_ titles: [String] = countTitles) -> HTML { HTML.join(titles.map { "<th class=\"num\">\($0)</th>" }) }

    /// The selection's groups (every one, for the exports; with `limit`, the most pressing and the totals per workflow).
    static func load(_ app: WebApp, _ filters: Filters, account: Account, limit: Int? = nil) async throws -> (
        Catalog, Extras.Groups.Reply
    ) {
        let catalog = try await app.daemon.workflows()
        let selection = try filters.selection(for: account, catalog: catalog)
        let reply = try await app.daemon.call(Extras.Groups(workflow: selection.workflow, groups: selection.groups, limit: limit))
        return (catalog, reply)
    }

    /// tiendod's order (most overdue first, then most due soon) with the chi bộ of equal rows by name in Vietnamese
    /// order (`VietnameseOrder`: số 2 before số 10) instead of tiendod's bytes, then by workflow.
    static func inOfficersOrder(_ groups: [Extras.GroupSummary]) -> [Extras.GroupSummary] {
        let keys = groups.map { VietnameseOrder.key($0.group) }
        return groups.indices.sorted { a, b in
            let (x, y) = (groups[a], groups[b])
            if x.overdue != y.overdue { return x.overdue > y.overdue }
            if x.dueSoon != y.dueSoon { return x.dueSoon > y.dueSoon }
            if keys[a] != keys[b] { return keys[a] < keys[b] }
            return a < b
        }.map { groups[$0] }
    }

    /// The rows of each chi bộ together (`inOfficersOrder` within it), the chi bộ ordered by their sums in the same
    /// way: an officer finds one chi bộ's workflows in one place instead of spread by rank. Subtotals need every row of
    /// a chi bộ, which a selection cut at `shownGroups` may not have: the page adds them only when nothing was cut.
    static func byChiBo(_ groups: [Extras.GroupSummary]) -> [[Extras.GroupSummary]] {
        // By bytes, as tiendod keeps groups: a name typed precomposed and the same typed decomposed are two chi bộ
        // there (and two lists), though Swift's `String` calls them equal.
        var buckets: [[Extras.GroupSummary]] = []
        var index: [[UInt8]: Int] = [:]
        for g in inOfficersOrder(groups) {
            let key = Array(g.group.utf8)
            if let i = index[key] {
                buckets[i].append(g)
            } else {
                index[key] = buckets.count
                buckets.append([g])
            }
        }
        let sums = buckets.map { $0.reduce((0, 0)) { ($0.0 + $1.overdue, $0.1 + $1.dueSoon) } }
        let keys = buckets.map { VietnameseOrder.key($0[0].group) }
        return buckets.indices.sorted { a, b in
            if sums[a].0 != sums[b].0 { return sums[a].0 > sums[b].0 }
            if sums[a].1 != sums[b].1 { return sums[a].1 > sums[b].1 }
            if keys[a] != keys[b] { return keys[a] < keys[b] }
            return a < b
        }.map { buckets[$0] }
    }

    /// Every group of the selection by workflow (tiendod's order), then chi bộ in Vietnamese order: the exports' rows.
    static func byWorkflowThenName(_ groups: [Extras.GroupSummary]) -> [Extras.GroupSummary] {
        var firstSeen: [String: Int] = [:]
        for (i, g) in groups.enumerated() where firstSeen[g.workflow] == nil { firstSeen[g.workflow] = i }
        let keys = groups.map { VietnameseOrder.key($0.group) }
        return groups.indices.sorted { a, b in
            let (x, y) = (firstSeen[groups[a].workflow]!, firstSeen[groups[b].workflow]!)
            if x != y { return x < y }
            return keys[a] != keys[b] ? keys[a] < keys[b] : a < b
        }.map { groups[$0] }
    }

    /// One chi bộ's rows: its name once (spanning its rows), each workflow's counts, and with `subtotal` a line
    /// adding them up (an instance belongs to one workflow, so the sums count no record twice).
    static func rows(of rows: [Extras.GroupSummary], subtotal: Bool, filters: Filters, catalog: Catalog) -> [HTML] {
        let group = rows[0].group
        let name = group.isEmpty ? "(không thuộc chi bộ nào)" : group
        let chiBo: String? = group.isEmpty ? nil : group
        let span = rows.count + (subtotal ? 1 : 0)
        func counts(_ instances: Int, _ active: Int, _ overdue: Int, _ dueSoon: Int) -> HTML {
            numbers([instances, active, overdue, dueSoon].map { "\(Format.count($0))" })
        }
        var out: [HTML] = rows.enumerated().map { i, g in
            let link = filters.link("/ho-so", ["quy-trinh": g.workflow, "chi-bo": chiBo])
            // Records without a chi bộ have no list of their own: their name is not a link.
            let label: HTML =
                chiBo == nil
                ? "\(name)"
                : "<a href=\"\(span > 1 ? filters.link("/ho-so", ["chi-bo": chiBo]) : link)\">\(name)</a>"
            // After the first row of a chi bộ, its name again for a phone's cards (hidden in the table, where the first
            // row's cell spans them): a card further down would otherwise be read as another chi bộ's.
            let first: HTML
            if i > 0 {
                first = "<td class=\"again\">\(name)</td>"
            } else {
                first = span > 1 ? "<td class=\"chi-bo\" rowspan=\"\(span)\">\(label)</td>" : "<td class=\"group\">\(label)</td>"
            }
            return """
                <tr class="\(g.overdue > 0 ? "overdue" : "")">\(first)<td class="name">\(span > 1 ? "<a href=\"\(link)\">\(catalog.title(g.workflow))</a>" as HTML : "\(catalog.title(g.workflow))")</td>\(counts(g.instances, g.active, g.overdue, g.dueSoon))</tr>
                """
        }
        if subtotal {
            let sum = rows.reduce(into: (0, 0, 0, 0)) { s, g in s = (s.0 + g.instances, s.1 + g.active, s.2 + g.overdue, s.3 + g.dueSoon) }
            out.append(
                "<tr class=\"subtotal\"><td class=\"name\">Cộng \(rows.count) quy trình</td>\(counts(sum.0, sum.1, sum.2, sum.3))</tr>")
        }
        return out
    }

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        let filters = Filters(query: request.uri.query)
        // tiendod picks the rows and adds up the rest: a province's 50,000 chi bộ do not travel for 300 rows.
        let (catalog, reply) = try await OverviewPage.load(app, filters, account: account, limit: OverviewPage.shownGroups)
        // Provisional dues are counted per workflow by GetStatus, for unlimited accounts only (it knows no groups).
        var provisional: [String: Int] = [:]
        if account.scope == nil, filters.group == nil {
            for w in try await app.daemon.call(Manager.GetStatus()).workflows { provisional[w.id] = w.provisional }
        }
        let totals = reply.totals ?? []
        let perWorkflow = Dictionary(totals.map { ($0.workflow, $0) }, uniquingKeysWith: { a, _ in a })
        let groupCount = totals.reduce(0) { $0 + $1.groups }
        let showProvisional = !provisional.isEmpty && provisional.values.contains { $0 > 0 }
        let workflowRows: [HTML] = catalog.workflows.compactMap { w in
            guard let t = perWorkflow[w.id] else { return nil }
            let link = filters.link("/ho-so", ["quy-trinh": w.id])
            let overdue: HTML =
                t.overdue > 0
                ? "<a href=\"\(filters.link("/ho-so", ["quy-trinh": w.id, "qua-han": "1"]))\">\(Format.count(t.overdue))</a>" : "0"
            let counts = OverviewPage.numbers([
                "\(Format.count(t.instances))", "\(Format.count(t.active))", overdue, "\(Format.count(t.dueSoon))",
            ])
            let dues: HTML =
                showProvisional
                ? OverviewPage.numbers(["\(Format.count(provisional[w.id] ?? 0))"], titles: [OverviewPage.provisionalTitle]) : .empty
            return
                "<tr class=\"\(t.overdue > 0 ? "overdue" : "")\"><td class=\"name\"><a href=\"\(link)\">\(w.title)</a></td>\(counts)\(dues)</tr>"
        }
        let complete = groupCount <= reply.groups.count
        let groupRows: [HTML] = OverviewPage.byChiBo(reply.groups).flatMap { rows in
            OverviewPage.rows(of: rows, subtotal: complete && rows.count > 1, filters: filters, catalog: catalog)
        }
        let more: HTML =
            groupCount > reply.groups.count
            ? "<p class=\"muted\">Hiện \(Format.count(reply.groups.count)) trên tổng số \(Format.count(groupCount)) dòng (chi bộ và quy trình có nhiều việc quá hạn nhất trước; chưa hiện đủ nên không có dòng cộng của từng chi bộ); tải tệp để xem đủ.</p>"
            : .empty
        let body: HTML = """
            <h1>Tổng quan</h1>
            \(filters.form("/tong-quan", catalog: catalog, account: account, groups: account.groups, search: false))
            <p class="no-print actions"><a href="\(filters.link("/xuat/tong-quan.xlsx"))">Tải Excel</a> · <a href="\(filters.link("/xuat/tong-quan.csv"))">Tải CSV</a>
            · <button type="button" data-print>In trang này</button></p>
            <h2>Theo quy trình</h2>
            <table class="summary"><thead><tr><th>Quy trình</th>\(OverviewPage.heads())\(showProvisional ? OverviewPage.heads([OverviewPage.provisionalTitle]) : HTML.empty)</tr></thead>
            <tbody>\(workflowRows)</tbody></table>
            <h2>Theo chi bộ</h2>
            <table class="groups summary"><thead><tr><th>\(catalog.groupTitle(of: reply.groups.map(\.workflow)))</th><th>Quy trình</th>\(OverviewPage.heads())</tr></thead>
            <tbody>\(groupRows)</tbody></table>\(more)
            <p class="muted small">Hai cột «Hồ sơ có việc…» đếm hồ sơ, không đếm việc: hồ sơ có ba việc quá hạn tính là một (trang Việc cần làm đếm từng việc)\(showProvisional ? "; «Việc có hạn dự kiến»: số việc đang phải làm có hạn tính qua năm chưa có lịch nghỉ chính thức, có thể đổi khi lịch được công bố (hạn của một bước chưa tới, như danh sách hồ sơ báo trước, không tính ở đây)" : ""). Số liệu tính đến \(Format.date(catalog.now)).</p>
            """
        return Layout.response(Layout.page(title: "Tổng quan", active: "/tong-quan", context: context, body: body))
    }
}
