import TiendoCore
import TiendoVarlink

/// Due items as the agenda, the calendar and their printed lists show them.
enum DueTable {
    /// The section an item belongs to on the agenda.
    enum Bucket: Int, CaseIterable {
        case overdue, today, week, fortnight, month

        /// The section's heading, its days as dates (dd/mm) where it has some: «7 ngày tới (từ 03/03 đến 09/03)».
        func title(today: CivilDate) -> String {
            func day(_ n: Int) -> String { Format.dayMonth(today.adding(days: n)) }
            switch self {
            case .overdue: return "Quá hạn"
            case .today: return "Đến hạn hôm nay"
            case .week: return "7 ngày tới (từ \(day(1)) đến \(day(7)))"
            case .fortnight: return "Từ \(day(8)) đến \(day(14))"
            case .month: return "Từ \(day(15)) trở đi"
            }
        }

        init(_ item: Manager.DueItem) {
            if item.overdue {
                self = .overdue
            } else if item.daysLeft <= 0 {
                self = .today
            } else if item.daysLeft <= 7 {
                self = .week
            } else if item.daysLeft <= 14 {
                self = .fortnight
            } else {
                self = .month
            }
        }
    }

    /// What the item is about: the title, with the occurrence of a recurring milestone (`kỳ 03/2027`).
    static func what(_ item: Manager.DueItem) -> HTML {
        let occurrence: HTML =
            item.occurrence.map {
                " <span class=\"badge\" title=\"\(item.milestone ?? "")@\($0)\">kỳ \(Format.occurrence($0, due: item.due))</span>"
            }
            ?? .empty
        return "\(item.title)\(occurrence)"
    }

    static func due(_ item: Manager.DueItem) -> HTML { due(item.due, provisional: item.provisional) }

    /// A due as a page shows it: the date in one piece, its hour (an instant due) in another that may go under it in
    /// a narrow column (it ran into the next column, «01/02/2026 17:0»), and «(dự kiến)» when it rests on a holiday
    /// list not yet published.
    static func due(_ text: String, provisional: Bool?) -> HTML {
        let mark: HTML =
            provisional == true
            ? " <span class=\"provisional\" title=\"Phụ thuộc lịch nghỉ năm chưa công bố chính thức\">(dự kiến)</span>" : .empty
        let pieces: [HTML] = Format.date(text).split(separator: " ").map { "<span class=\"date\">\(String($0))</span>" }
        return "\(HTML.join(pieces, separator: " "))\(mark)"
    }

    static func daysBadge(_ item: Manager.DueItem) -> HTML {
        let cls = item.overdue ? "bad" : (item.daysLeft <= 3 ? "warn" : "")
        return "<span class=\"badge \(cls)\">\(Format.days(item.daysLeft, overdue: item.overdue))</span>"
    }

    /// A record's id that may break after its «/» on a narrow screen (`span.id`), not set its column's width.
    static func breakable(_ id: String) -> HTML {
        HTML.join(id.split(separator: "/", omittingEmptySubsequences: false).map { "\(String($0))" }, separator: "/<wbr>")
    }

    static func recordLink(_ id: String) -> String {
        "/ho-so/" + id.split(separator: "/", maxSplits: 1).map { Filters.percentEncoded(String($0)) }.joined(separator: "/")
    }

    /// A record's milestone as `open` holds it: `kiem-tra/a1|xac-minh`.
    static func openKey(_ instance: String, _ milestone: String) -> String { instance + "|" + milestone }

    /// An item's, when it is a milestone's.
    static func openKey(_ item: Manager.DueItem) -> String? { item.milestone.map { openKey(item.instance, $0) } }

    /// What a milestone waits for, among the milestones of its record still open on the page: «Cần xong «Xác minh lý
    /// lịch» trước; chọn cả hai thì ghi được cả hai.» (ticked alone, it is refused; ticked together, both are recorded,
    /// in order; the second half only where there are boxes). Nothing when none of them is on the page.
    static func waiting(_ item: Manager.DueItem, open: Set<String>, catalog: Catalog, pick: Bool) -> HTML {
        guard let id = item.milestone, let workflow = catalog[item.workflow], let milestone = workflow.milestone(id) else { return .empty }
        let before = milestone.requires.filter { open.contains(openKey(item.instance, $0)) }
        guard !before.isEmpty else { return .empty }
        let titles = before.map { "«\(workflow.milestone($0)?.title ?? $0)»" }.joined(separator: ", ")
        let both = !pick ? "" : before.count == 1 ? "; chọn cả hai thì ghi được cả hai" : "; chọn cùng lúc thì ghi được tất cả"
        return "<br><span class=\"muted small waiting\">Cần xong \(titles) trước\(both).</span>"
    }

    /// The form the agenda's boxes belong to (`AgendaDone`), by its id: the boxes sit in the tables, the form apart.
    static let pickForm = "xong-nhieu"

    /// A box to tick a milestone's item for `AgendaDone` (a state's deadline is closed by an event on its record
    /// page, not ticked); on a phone's card it says what it is for, beside it.
    static func pickBox(_ i: Manager.DueItem, name: String) -> HTML {
        guard let milestone = Format.milestone(i.milestone, occurrence: i.occurrence) else { return .empty }
        let value = AgendaDone.Pick(id: i.instance, milestone: milestone, due: i.due).value
        let occurrence = i.occurrence.map { " kỳ " + Format.occurrence($0, due: i.due) } ?? ""
        return
            "<label><input type=\"checkbox\" name=\"xong\" value=\"\(value)\" form=\"\(pickForm)\" aria-label=\"Chọn việc này: «\(i.title)\(occurrence)» của \(name)\"><span class=\"on-phone\">Chọn việc này</span></label>"
    }

    /// One table of items; `showGroup`/`showWorkflow` leave out a column the heading above already says; `pick`
    /// adds a first column of boxes to mark milestones done together (the agenda, for an account that may act);
    /// `numbered`, a printed list's first column «STT» (the row's number, as every list of a Party document has);
    /// `open`, the page's milestones not yet done (`openKey`), to say which of them a milestone waits for.
    static func table(
        _ entries: [Extras.DueEntry], catalog: Catalog, showGroup: Bool = true, showWorkflow: Bool = true, pick: Bool = false,
        numbered: Bool = false, open: Set<String> = []
    ) -> HTML {
        let groupTitle = catalog.groupTitle(of: entries.map(\.item.workflow))
        let rows: [HTML] = entries.enumerated().map { n, e in
            let i = e.item
            let name = e.label ?? String(i.instance.split(separator: "/", maxSplits: 1).last ?? "")
            let state: HTML =
                i.state.flatMap { catalog.stateTitle(i.workflow, $0) }.map { "<br><span class=\"muted small\">\($0)</span>" } ?? .empty
            // A state's deadline has no box (an event on its record's page closes it): an arrow to that page instead,
            // which says so when hovered, and in words at the foot of its card on a phone.
            let box: HTML =
                !pick
                ? .empty
                : i.milestone == nil
                    ? "<td class=\"pick go\"><a class=\"to-record\" href=\"\(recordLink(i.instance))\" title=\"Bước này ghi trên trang hồ sơ\" aria-label=\"Ghi bước này trên trang hồ sơ của \(name)\">→<span class=\"on-phone\"> Mở hồ sơ để ghi bước này</span></a></td>"
                    : "<td class=\"pick\">\(pickBox(i, name: name))</td>"
            return """
                <tr class="\(i.overdue ? "overdue" : "")">\(box)\(numbered ? PrintList.rowNumber(n) : .empty)<td data-label="Hạn">\(due(i))</td><td class="left">\(daysBadge(i))</td><td class="what">\(what(i))\(waiting(i, open: open, catalog: catalog, pick: pick))</td>
                <td class="record"><a href="\(recordLink(i.instance))">\(name)</a><br><span class="muted small id">\(DueTable.breakable(i.instance))</span></td>\(showGroup ? "<td data-label=\"\(groupTitle)\">\(i.group ?? "—")</td>" : HTML.empty)\(showWorkflow ? "<td data-label=\"Quy trình\">\(catalog.title(i.workflow))\(state)</td>" : HTML.empty)</tr>
                """
        }
        // The same widths in every table of a page, so that the columns of one chi bộ's table line up with the next.
        let pickAll: HTML =
            entries.contains { $0.item.milestone != nil }
            ? "<input type=\"checkbox\" data-pick-all aria-label=\"Chọn tất cả việc trong bảng này\" title=\"Chọn tất cả việc trong bảng này\">"
            : .empty
        let widths: HTML =
            "<colgroup>\(pick ? "<col class=\"w-pick\">" as HTML : .empty)\(numbered ? "<col class=\"w-stt\">" as HTML : .empty)<col class=\"w-due\"><col class=\"w-left\"><col><col class=\"w-record\">\(showGroup ? "<col class=\"w-group\">" as HTML : .empty)\(showWorkflow ? "<col class=\"w-workflow\">" as HTML : .empty)</colgroup>"
        return """
            <table class="items">\(widths)<thead><tr>\(pick ? "<th class=\"pick\">\(pickAll)</th>" as HTML : .empty)\(numbered ? PrintList.rowNumberHead : .empty)<th>Hạn</th><th>Còn lại</th><th>Việc</th><th>Hồ sơ</th>\(showGroup ? "<th>\(groupTitle)</th>" : HTML.empty)\(showWorkflow ? "<th>Quy trình</th>" : HTML.empty)</tr></thead>
            <tbody>\(rows)</tbody></table>
            """
    }

    /// A group's heading: its name, after what the groups are called when the name does not say it («Tỉnh, thành
    /// phố: Hà Nội», but «Chi bộ Khu dân cư số 1»).
    static func groupHeading(_ name: String, _ title: String) -> String {
        if name.isEmpty { return title == "Chi bộ" ? "Không thuộc chi bộ nào" : "Không thuộc \(title.lowercased()) nào" }
        return name.lowercased().hasPrefix(title.lowercased()) ? name : "\(title): \(name)"
    }

    /// Items under headings by chi bộ or workflow (in Vietnamese alphabetical order, the same in every section of a
    /// page; items without a chi bộ last), or one table.
    /// `partial`: the entries are one page's part of their section, so each heading's count is this page's, and says
    /// so (a district's chi bộ «(2)» on every one of 350 pages read as its whole count).
    static func grouped(
        _ entries: [Extras.DueEntry], by key: Filters.GroupBy, catalog: Catalog, pick: Bool = false, open: Set<String> = [],
        partial: Bool = false
    ) -> HTML {
        switch key {
        case .none: return table(entries, catalog: catalog, pick: pick, open: open)
        case .group, .workflow:
            var order: [String] = []
            var parts: [String: [Extras.DueEntry]] = [:]
            for e in entries {
                let k = key == .group ? (e.item.group ?? "") : e.item.workflow
                if parts[k] == nil { order.append(k) }
                parts[k, default: []].append(e)
            }
            let titled = order.map { k in (key: k, name: key == .group ? k : catalog.title(k)) }
            let sorted = VietnameseOrder.sorted(titled.filter { !$0.key.isEmpty }, by: \.name) + titled.filter { $0.key.isEmpty }
            return HTML.join(
                sorted.map(\.key).map { k in
                    let list = parts[k]!
                    let heading = key == .group ? groupHeading(k, catalog.groupTitle(of: list.map(\.item.workflow))) : catalog.title(k)
                    return """
                        <h3>\(heading) <span class="muted small">(\(Format.count(list.count))\(partial ? " trên trang này" : ""))</span></h3>
                        \(table(list, catalog: catalog, showGroup: key != .group, showWorkflow: key != .workflow, pick: pick, open: open))
                        """
                })
        }
    }
}
