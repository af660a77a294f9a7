import Hummingbird
import TiendoCore
import TiendoVarlink

/// `/lich?thang=YYYY-MM` — a month: weekends, holidays and make-up Saturdays from the workflow's calendar, and the
/// items due each day (counts, what is due, a link to that day's list).
struct CalendarPage {
    let app: WebApp

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        let filters = Filters(query: request.uri.query)
        let query = Form(fields: Form.urlEncoded(request.uri.query ?? ""))
        let catalog = try await app.daemon.workflows()
        let selection = try filters.selection(for: account, catalog: catalog)
        let today = catalog.today
        var month = CivilDate(today.year, today.month, 1)
        if let text = query.text("thang") {
            guard let d = CivilDate.parse(text + "-01"), HumanDate.range.contains(d) else {
                throw PageError.badRequest(
                    "Tháng «\(text)» trong địa chỉ trang không đọc được (một tháng từ 01/1900 đến 12/2199, địa chỉ viết năm-tháng như 2026-03); hãy bấm «Lịch» ở đầu trang để về tháng này."
                )
            }
            month = d
        }
        let last = CivilDate(month.year, month.month, CivilDate.daysIn(year: month.year, month: month.month))
        // Whole weeks, Monday first.
        let gridStart = month.adding(days: -(month.weekday - 1))
        let gridEnd = last.adding(days: 7 - last.weekday)
        guard let calendarWorkflow = filters.workflow ?? catalog.workflows.first?.id else {
            throw PageError.notFound("tiendod chưa có quy trình nào.")
        }
        async let calendarCall = app.daemon.call(Extras.Calendar(workflow: calendarWorkflow, from: gridStart.iso, until: gridEnd.iso))
        async let countsCall = app.daemon.call(Extras.DueDays(selection: selection, from: month.iso, until: last.iso, tasks: 3))
        let calendar = try await calendarCall
        let counts = Dictionary(uniqueKeysWithValues: try await countsCall.days.map { ($0.date, $0) })
        let special = Dictionary(calendar.days.map { ($0.date, $0) }, uniquingKeysWith: { a, _ in a })

        var weeks: [HTML] = []
        var d = gridStart
        while d <= gridEnd {
            var cells: [HTML] = []
            for _ in 0..<7 {
                cells.append(
                    cell(
                        d, month: month, today: today, special: special[d.iso], count: counts[d.iso], filters: filters))
                d = d.adding(days: 1)
            }
            weeks.append("<tr>\(cells)</tr>")
        }
        let previous = month.adding(months: -1)
        let next = month.adding(months: 1)
        func monthLink(_ m: CivilDate) -> String { filters.link("/lich", ["thang": String(m.iso.prefix(7))]) }
        let projected = Set(calendar.days.filter { $0.status == "projected" }.compactMap { Int($0.date.prefix(4)) }).sorted()
        let note: HTML =
            projected.isEmpty
            ? .empty
            : "<p class=\"provisional\">Lịch nghỉ năm \(projected.map(String.init).joined(separator: ", ")) là dự kiến (chưa có lịch nghỉ chính thức; hạn tính qua năm đó có thể đổi khi lịch được công bố).</p>"
        // A later month lacks the periods of recurring duties not yet open (a month's Party fee, a monthly meeting, a
        // quarter's report): each appears when its period opens. Said, so that nobody plans January from a grid that
        // shows a tenth of December's work without a word why.
        let later: HTML =
            month > today
            ? "<p class=\"small muted\">Việc của các mốc định kỳ (đảng phí, sinh hoạt chi bộ hằng tháng, báo cáo tháng, quý…) chỉ hiện trên lịch khi kỳ của chúng mở, từ ngày đầu kỳ: tháng này có thể chưa hiện đủ các việc ấy.</p>"
            : .empty
        let total = counts.values.reduce(0) { $0 + $1.items }
        let body: HTML = """
            <h1>Lịch tháng \(month.month)/\(String(month.year))</h1>
            \(filters.form("/lich", catalog: catalog, account: account, groups: account.groups, search: false, extra: "<input type=\"hidden\" name=\"thang\" value=\"\(String(month.iso.prefix(7)))\">"))
            <p class="pager no-print"><a href="\(monthLink(previous))">← Tháng \(previous.month)/\(String(previous.year))</a>
            <a href="\(filters.link("/lich"))">Tháng này</a>
            <a href="\(monthLink(next))">Tháng \(next.month)/\(String(next.year)) →</a>
            <span class="muted">\(total == 0 ? "Không có việc nào đến hạn trong tháng này" : "\(Format.count(total)) việc có hạn trong tháng") · ngày nghỉ theo \(calendar.title)</span></p>
            \(note)\(later)
            <table class="month"><thead><tr>\(CivilDate.weekdayNames.map { w -> HTML in "<th>\(w)</th>" })</tr></thead>
            <tbody>\(weeks)</tbody></table>
            <p class="legend small"><span class="weekend">Cuối tuần</span><span class="holiday">Ngày nghỉ lễ, Tết, nghỉ bù</span><span class="workday">Ngày làm bù</span>
            <span class="badge bad">2 quá hạn</span> <span class="badge linked">3 việc</span> số việc đã quá hạn và số việc còn hạn của một ngày; bấm vào số để xem danh sách</p>
            """
        return Layout.response(Layout.page(title: "Lịch", active: "/lich", context: context, body: body))
    }

    func cell(
        _ d: CivilDate, month: CivilDate, today: CivilDate, special: Extras.CalendarDay?, count: Extras.DueDays.Day?,
        filters: Filters
    ) -> HTML {
        var classes: [String] = []
        if d.month != month.month { classes.append("other") }
        if d == today { classes.append("today") }
        var note: HTML = .empty
        if let s = special {
            switch s.kind {
            case "weekend": classes.append("weekend")
            case "workday":
                classes.append("workday")
                note = "<span class=\"note\">Ngày làm bù</span>"
            default:
                classes.append("holiday")
                note =
                    "<span class=\"note\">\(s.name)\(s.kind == "compensatory" ? " (nghỉ bù)" : "")\(s.status == "projected" ? " — dự kiến" : "")</span>"
            }
        }
        var content: HTML = .empty
        if d.month == month.month, let count, count.items > 0 {
            let link = filters.link("/", ["tu": d.iso, "den": nil, "trang": nil])
            let overdue: HTML = count.overdue > 0 ? "<span class=\"badge bad\">\(count.overdue) quá hạn</span> " : .empty
            let open = count.items - count.overdue
            let due: HTML = open > 0 ? "<span class=\"badge\">\(open) việc</span>" : .empty
            let shown = count.tasks.reduce(0) { $0 + $1.items }
            let more: HTML = count.items > shown ? "<li class=\"muted\">và \(Format.count(count.items - shown)) việc khác</li>" : .empty
            let titles = count.tasks.map { task -> HTML in "<li>\(Self.line(task, on: d))</li>" }
            content =
                "<a class=\"day-link\" href=\"\(link)\" title=\"Xem các việc có hạn ngày \(d.vietnamese)\">\(overdue)\(due)</a><ul>\(titles)\(more)</ul>"
        }
        // A phone lists the days instead of a grid of seven narrow columns (a word a line): each day with its weekday
        // and date, those with nothing to say (no task, not a holiday, not today) left out.
        if note.text.isEmpty && content.text.isEmpty && d != today { classes.append("quiet") }
        let day: HTML =
            "<span class=\"day\"><span class=\"on-wide\">\(d.day)</span><span class=\"on-phone\">\(d.weekdayName), \(d.vietnamese)</span></span>"
        // Today said, not only drawn (a red outline a screen reader does not read).
        let current: HTML = d == today ? " aria-current=\"date\"" : .empty
        let todayWord: HTML = d == today ? "<span class=\"sr-only\"> (hôm nay)</span>" : .empty
        return "<td class=\"\(classes.joined(separator: " "))\"\(current)>\(day)\(todayWord)\(note)\(content)</td>"
    }

    /// A task due on a day, for its cell: with its number of records, or the record's name when it is alone
    /// («Thành lập Ủy ban bầu cử: 12 hồ sơ», «Đóng đảng phí kỳ 03/2026 — Lê Thị Cúc»).
    static func line(_ t: Extras.DayTask, on day: CivilDate) -> HTML {
        let task = Messages.deadlineTitle(t.title, occurrence: t.occurrence, due: day.iso) + (t.provisional == true ? " (dự kiến)" : "")
        if t.records == 1, let one = t.label ?? t.instance {
            return "\(task) — <span class=\"muted\">\(one)</span>"
        }
        return "\(task): <span class=\"muted\">\(Format.count(t.records)) hồ sơ</span>"
    }
}
