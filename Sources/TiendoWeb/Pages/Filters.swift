import Hummingbird
import TiendoCore
import TiendoVarlink

/// The filters of the agenda, the list, the calendar and the exports, read from the address (so a filtered view
/// is a bookmark that can be shared): `quy-trinh`, `chi-bo`, `trang-thai`, `tim`, `ngay` (7, 14 or 30), `nhom`
/// (`chi-bo` or `quy-trinh`), `qua-han`, `sap-chuyen` (records that move on by themselves within 30 days), `tu`/`den`
/// (one day or a span), `sau`/`trang` (paging).
struct Filters: Sendable {
    var workflow: String?
    var group: String?
    var state: String?
    var search: String?
    var days = 7
    var groupBy: GroupBy = .group
    var overdueOnly = false
    var movesSoon = false
    var from: CivilDate?
    var until: CivilDate?
    /// Why the address's filters cannot be used (a day that does not exist, a span that ends before it starts):
    /// `selection` refuses the page with it.
    var problem: String?
    var after: String?
    var page = 0

    enum GroupBy: String, Sendable {
        case group = "chi-bo"
        case workflow = "quy-trinh"
        case none = "khong"
    }

    static let horizons = [7, 14, 30]
    /// `sap-chuyen`: a timed transition within this many days (a probation ending, for the chi bộ to prepare).
    static let movesSoonDays = 30

    init() {}

    init(query: String?) {
        let q = Form(fields: Form.urlEncoded(query ?? ""))
        workflow = q.text("quy-trinh")
        group = q.text("chi-bo")
        state = q.text("trang-thai")
        search = q.text("tim").map { String($0.prefix(100)) }
        // A value in the address that cannot be used is said (an address edited by hand, a link cut short), not
        // silently replaced by the default, which showed another list than the one asked for without a word.
        if let text = q.text("ngay") {
            if let d = Int(text), Filters.horizons.contains(d) {
                days = d
            } else {
                problem = "Số ngày «\(String(text.prefix(20)).loggable)» trong địa chỉ trang không dùng được: chọn 7, 14 hoặc 30 ngày tới."
            }
        }
        if let text = q.text("nhom") {
            if let g = GroupBy(rawValue: text) {
                groupBy = g
            } else {
                problem =
                    problem ?? "Cách nhóm «\(String(text.prefix(20)).loggable)» trong địa chỉ trang không dùng được: "
                    + "nhóm theo chi bộ, theo quy trình hoặc không nhóm."
            }
        }
        overdueOnly = q.text("qua-han") == "1"
        movesSoon = q.text("sap-chuyen") == "1"
        // A day in the address that cannot be read is said, not silently dropped for the default page.
        func day(_ name: String, _ words: String) -> CivilDate? {
            guard let text = q.text(name) else { return nil }
            switch HumanDate.date(text) {
            case .valid(let d): return d
            case .invalid(let reason):
                problem = problem ?? "\(words) trong địa chỉ trang không đọc được: \(reason)."
                return nil
            }
        }
        from = day("tu", "Ngày «từ»")
        until = day("den", "Ngày «đến»") ?? from
        if from == nil { until = nil }
        if let from, let until, until < from {
            problem = problem ?? "Ngày «đến» (\(until.vietnamese)) trước ngày «từ» (\(from.vietnamese)) trong địa chỉ trang."
        }
        after = q.text("sau")
        if let text = q.text("trang"), Int(text) == nil {
            problem = problem ?? "Số trang «\(String(text.prefix(20)).loggable)» trong địa chỉ trang không phải một số."
        }
        page = max(0, min(q.text("trang").flatMap(Int.init) ?? 0, 10_000))
    }

    /// The daemon selection for `account`: its groups, narrowed to the chosen one. A chosen group outside the
    /// account's is refused (403), and so is a workflow that does not exist (404).
    func selection(for account: Account, catalog: Catalog) throws(PageError) -> ExtrasSelection {
        if let problem { throw PageError.badRequest(problem) }
        if let workflow, catalog[workflow] == nil { throw PageError.notFound("Không có quy trình «\(workflow)».") }
        if let workflow, let state, let w = catalog[workflow], w.state(state) == nil {
            throw PageError.notFound("Quy trình «\(w.title)» không có trạng thái «\(String(state.prefix(64)).loggable)».")
        }
        var groups = account.scope
        if let group {
            guard account.sees(group: group) else {
                throw PageError.forbidden("Tài khoản \(account.name) không được xem chi bộ «\(group)».")
            }
            groups = [group]
        }
        return ExtrasSelection(workflow: workflow, groups: groups, state: state, search: search)
    }

    /// The address of `path` with these filters and `changes` applied (nil removes a parameter).
    func link(_ path: String, _ changes: [String: String?] = [:]) -> String {
        var pairs: [(String, String?)] = [
            ("quy-trinh", workflow), ("chi-bo", group), ("trang-thai", state), ("tim", search),
            ("ngay", days == 7 ? nil : String(days)), ("nhom", groupBy == .group ? nil : groupBy.rawValue),
            ("qua-han", overdueOnly ? "1" : nil), ("sap-chuyen", movesSoon ? "1" : nil), ("tu", from?.iso),
            ("den", until == from ? nil : until?.iso),
        ]
        for (k, v) in changes {
            if let i = pairs.firstIndex(where: { $0.0 == k }) { pairs[i].1 = v } else { pairs.append((k, v)) }
        }
        let q = Filters.query(pairs)
        return q.isEmpty ? path : path + "?" + q
    }

    static func query(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { k, v in v.map { percentEncoded(k) + "=" + percentEncoded($0) } }.joined(separator: "&")
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986).
    static func percentEncoded(_ s: String) -> String { URLText.percentEncoded(s) }

    /// One line saying what is shown, for printed lists: `Quy trình: …; Chi bộ: …`.
    /// The filters in force in words, «Tất cả» for none: a printed list's subtitle.
    func summary(_ catalog: Catalog) -> String {
        let parts = conditions(catalog)
        return parts.isEmpty ? "Tất cả" : parts.joined(separator: "; ")
    }

    /// A list page's title with what it is filtered to and which page, as a browser's tab, its history and a screen
    /// reader say it: «Hồ sơ — Quy trình: …; Chi bộ Khu dân cư số 3 (trang 2)», not «Hồ sơ» for every list.
    func title(_ page: String, _ catalog: Catalog) -> String {
        let parts = conditions(catalog)
        return page + (parts.isEmpty ? "" : " — " + parts.joined(separator: "; ")) + (self.page > 0 ? " (trang \(self.page + 1))" : "")
    }

    /// Whether a group's name is a chi bộ's («Chi bộ Khu dân cư số 3», in any case).
    static func namesChiBo(_ group: String) -> Bool { group.lowercased().hasPrefix("chi bộ") }

    /// Each filter in force, in words (none: an empty list).
    func conditions(_ catalog: Catalog) -> [String] {
        var parts: [String] = []
        if let workflow { parts.append("Quy trình: \(catalog.title(workflow))") }
        if let group {
            // A chi bộ's name says what it is; another body is said with what its workflow calls it («Cấp trên: Thành ủy
            // Hà Nội»), or as a unit.
            parts.append(Filters.namesChiBo(group) ? group : "\(workflow.map { catalog.groupTitle(of: [$0]) } ?? "Đơn vị"): \(group)")
        }
        if let state, let workflow { parts.append("Trạng thái: \(catalog.stateTitle(workflow, state) ?? state)") }
        if let search { parts.append("Tìm: «\(search)»") }
        if overdueOnly { parts.append("chỉ hồ sơ quá hạn") }
        if movesSoon { parts.append("chỉ hồ sơ sẽ tự chuyển trạng thái trong \(Filters.movesSoonDays) ngày tới") }
        return parts
    }

    /// The filter form (GET, so the result is an address). `path` is the page; `extra` adds controls; `search` false
    /// on pages that count rather than list (the calendar, the overview), where a name to look for would change nothing.
    func form(_ path: String, catalog: Catalog, account: Account, groups: [String], search searchable: Bool = true, extra: HTML = .empty)
        -> HTML
    {
        let workflowOptions: [HTML] = catalog.workflows.map { w in
            "<option value=\"\(w.id)\"\(HTML.flag("selected", w.id == workflow))>\(w.title)</option>"
        }
        let states = workflow.flatMap { catalog[$0] }?.states ?? []
        // A long state's title is cut at the box's width («… chờ quyết định của cấp»): said whole on hover.
        let chosenTitle: HTML = states.first { $0.id == state }.map { s -> HTML in " title=\"\(s.title)\"" } ?? .empty
        let stateControl: HTML =
            states.isEmpty
            ? "<select name=\"trang-thai\" disabled title=\"Chọn quy trình trước\"><option>— chọn quy trình trước —</option></select>"
            : """
            <select name="trang-thai" id="f-trang-thai"\(chosenTitle)><option value="">Mọi trạng thái</option>\(states.map { s -> HTML in
                "<option value=\"\(s.id)\"\(HTML.flag("selected", s.id == state))>\(s.title)</option>"
            })</select>
            """
        let groupControl: HTML
        if !account.groups.isEmpty {
            groupControl = """
                <select name="chi-bo" id="f-chi-bo"><option value="">Mọi chi bộ của tôi</option>\(VietnameseOrder.sorted(account.groups).map { g -> HTML in
                    "<option\(HTML.flag("selected", g == group))>\(g)</option>"
                })</select>
                """
        } else {
            groupControl = """
                <input name="chi-bo" id="f-chi-bo" list="chi-bo-list" value="\(group ?? "")" placeholder="Mọi chi bộ" autocomplete="off">
                <datalist id="chi-bo-list">\(groups.prefix(500).map { g -> HTML in "<option value=\"\(g)\">" })</datalist>
                """
        }
        // On a phone the form folds under one line saying what is filtered (`tiendo.js` folds it there unless a filter
        // is in force): open, it filled the first screen before anything to do.
        let active = conditions(catalog)
        return """
            <details class="filter-box no-print" open\(HTML.flag("data-active", !active.isEmpty))><summary>Bộ lọc\(active.isEmpty ? "" : ": " + active.joined(separator: "; "))</summary>
            <form class="filters no-print" method="get" action="\(path)">
            <label>Quy trình <select name="quy-trinh" id="f-quy-trinh" data-autosubmit><option value="">Mọi quy trình</option>\(workflowOptions)</select></label>
            <label>Chi bộ \(groupControl)</label>
            <label>Trạng thái \(stateControl)</label>
            \(searchable ? "<label>Tìm <input type=\"search\" name=\"tim\" id=\"f-tim\" value=\"\(search ?? "")\" placeholder=\"Tên hoặc mã hồ sơ\"></label>" as HTML : .empty)
            \(extra)
            <button type="submit">Lọc</button> <a href="\(path)">Xóa lọc</a>
            </form></details>
            """
    }
}
