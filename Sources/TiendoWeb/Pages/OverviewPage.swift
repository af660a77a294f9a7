import Hummingbird
import TiendoVarlink

#if canImport(Glibc)
    import Glibc
#endif

/// `/tong-quan` — the numbers a Party committee reports: per workflow and per chi bộ, records, open ones, overdue
/// ones and those due within 7 days (instances, as tiendod counts them), limited to the account's groups.
struct OverviewPage {
    let app: WebApp
    static let shownGroups = 300

    static func load(_ app: WebApp, _ filters: Filters, account: Account) async throws -> (Catalog, [Extras.GroupSummary]) {
        let catalog = try await app.daemon.workflows()
        let selection = try filters.selection(for: account, catalog: catalog)
        let reply = try await app.daemon.call(Extras.Groups(workflow: selection.workflow, groups: selection.groups))
        return (catalog, reply.groups)
    }

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        let filters = Filters(query: request.uri.query)
        let (catalog, groups) = try await OverviewPage.load(app, filters, account: account)
        // Provisional dues are counted per workflow by GetStatus, for unlimited accounts only (it knows no groups).
        var provisional: [String: Int] = [:]
        if account.scope == nil, filters.group == nil {
            for w in try await app.daemon.call(Manager.GetStatus()).workflows { provisional[w.id] = w.provisional }
        }
        var perWorkflow: [String: (instances: Int, active: Int, overdue: Int, dueSoon: Int)] = [:]
        for g in groups {
            var t = perWorkflow[g.workflow] ?? (0, 0, 0, 0)
            t.instances += g.instances
            t.active += g.active
            t.overdue += g.overdue
            t.dueSoon += g.dueSoon
            perWorkflow[g.workflow] = t
        }
        let showProvisional = !provisional.isEmpty && provisional.values.contains { $0 > 0 }
        let workflowRows: [HTML] = catalog.workflows.compactMap { w in
            guard let t = perWorkflow[w.id] else { return nil }
            let link = filters.link("/ho-so", ["quy-trinh": w.id])
            return """
                <tr class="\(t.overdue > 0 ? "overdue" : "")"><td><a href="\(link)">\(w.title)</a></td><td class="num">\(Format.count(t.instances))</td>
                <td class="num">\(Format.count(t.active))</td><td class="num">\(t.overdue > 0 ? "<a href=\"\(filters.link("/ho-so", ["quy-trinh": w.id, "qua-han": "1"]))\">\(Format.count(t.overdue))</a>" : "0" as HTML)</td>
                <td class="num">\(Format.count(t.dueSoon))</td>\(showProvisional ? "<td class=\"num\">\(Format.count(provisional[w.id] ?? 0))</td>" : HTML.empty)</tr>
                """
        }
        let shown = OverviewPage.first(OverviewPage.shownGroups, of: groups)
        let groupRows: [HTML] = shown.map { g in
            let name = g.group.isEmpty ? "(không thuộc chi bộ nào)" : g.group
            let link = filters.link("/ho-so", ["quy-trinh": g.workflow, "chi-bo": g.group.isEmpty ? nil : g.group])
            return """
                <tr class="\(g.overdue > 0 ? "overdue" : "")"><td><a href="\(link)">\(name)</a></td><td>\(catalog.title(g.workflow))</td><td class="num">\(Format.count(g.instances))</td>
                <td class="num">\(Format.count(g.active))</td><td class="num">\(Format.count(g.overdue))</td><td class="num">\(Format.count(g.dueSoon))</td></tr>
                """
        }
        let more: HTML =
            groups.count > OverviewPage.shownGroups
            ? "<p class=\"muted\">Hiện \(OverviewPage.shownGroups) trên \(Format.count(groups.count)) chi bộ (nhiều việc quá hạn nhất trước); tải tệp để xem đủ.</p>"
            : .empty
        let body: HTML = """
            <h1>Tổng quan</h1>
            \(filters.form("/tong-quan", catalog: catalog, account: account, groups: account.groups))
            <p class="no-print actions"><a href="\(filters.link("/xuat/tong-quan.csv"))">Tải CSV</a> · <a href="\(filters.link("/xuat/tong-quan.xlsx"))">Tải Excel</a>
            · <button type="button" data-print>In</button></p>
            <h2>Theo quy trình</h2>
            <table><thead><tr><th>Quy trình</th><th class="num">Hồ sơ</th><th class="num">Đang mở</th><th class="num">Quá hạn</th><th class="num">Sắp đến hạn (7 ngày)</th>\(showProvisional ? "<th class=\"num\">Hạn dự kiến</th>" : HTML.empty)</tr></thead>
            <tbody>\(workflowRows)</tbody></table>
            <h2>Theo chi bộ</h2>
            <table><thead><tr><th>Chi bộ</th><th>Quy trình</th><th class="num">Hồ sơ</th><th class="num">Đang mở</th><th class="num">Quá hạn</th><th class="num">Sắp đến hạn (7 ngày)</th></tr></thead>
            <tbody>\(groupRows)</tbody></table>\(more)
            <p class="muted small">Quá hạn và sắp đến hạn đếm số hồ sơ có ít nhất một hạn như vậy. Số liệu tính đến \(Format.date(catalog.now)).</p>
            """
        return Layout.response(Layout.page(title: "Tổng quan", active: "/tong-quan", context: context, body: body))
    }

    /// The first `k` groups by most overdue, then most due soon, then name (UTF-8 bytes) and workflow, in that
    /// order. One pass keeping the best `k` in order instead of sorting them all: a province has 49,188 groups for
    /// 300 rows, and sorting moved every group (two strings) some sixteen times.
    static func first(_ k: Int, of groups: [Extras.GroupSummary]) -> [Extras.GroupSummary] {
        func before(_ a: Extras.GroupSummary, _ b: Extras.GroupSummary) -> Bool {
            if a.overdue != b.overdue { return a.overdue > b.overdue }
            if a.dueSoon != b.dueSoon { return a.dueSoon > b.dueSoon }
            let byGroup = compare(a.group, b.group)
            return byGroup != 0 ? byGroup < 0 : compare(a.workflow, b.workflow) < 0
        }
        var best: [Extras.GroupSummary] = []
        best.reserveCapacity(k + 1)
        for g in groups {
            if best.count == k, let last = best.last, !before(g, last) { continue }
            // Binary search for its place among the best so far.
            var lo = 0
            var hi = best.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if before(g, best[mid]) { hi = mid } else { lo = mid + 1 }
            }
            best.insert(g, at: lo)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// Negative, zero or positive as `a`'s UTF-8 bytes come before, equal or after `b`'s: the order tiendod lists
    /// groups in (SQLite's `BINARY`; for names in NFC, the order of their code points). `String`'s own `<` and `==`
    /// go through Unicode normalisation for every name with diacritics, at every comparison.
    static func compare(_ a: String, _ b: String) -> Int {
        var a = a
        var b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = min(pa.count, pb.count)
                let c = n == 0 ? 0 : Int(memcmp(pa.baseAddress!, pb.baseAddress!, n))
                return c != 0 ? c : pa.count - pb.count
            }
        }
    }
}
