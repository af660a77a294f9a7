import TiendoCore
import TiendoVarlink

/// The tables behind `/xuat/…`: exactly what the agenda, the list or the overview shows with the same filters, every
/// page of it up to `WebLimits.exportRows` rows.
enum Exports {
    static func agenda(_ app: WebApp, _ filters: Filters, account: Account) async throws -> (Sheet, Catalog) {
        var sheet = Sheet(
            name: "Việc cần làm",
            columns: [
                .init("Hạn", width: 12), .init("Dự kiến", width: 8), .init("Còn lại", width: 14), .init("Việc", width: 40),
                .init("Kỳ", width: 9),
                .init("Hồ sơ", width: 26), .init("Mã hồ sơ", width: 28), .init("Chi bộ", width: 20), .init("Quy trình", width: 30),
                .init("Trạng thái", width: 26),
            ])
        var catalog: Catalog?
        var offset = 0
        var total = 0
        while sheet.rows.count < WebLimits.exportRows {
            let data = try await AgendaPage.load(app, filters, account: account, offset: offset, limit: 1000)
            catalog = data.catalog
            for e in data.reply.items where sheet.rows.count < WebLimits.exportRows {
                let i = e.item
                sheet.rows.append([
                    Sheet.due(i.due), i.provisional == true ? .text("dự kiến") : .empty, .text(Format.days(i.daysLeft, overdue: i.overdue)),
                    .text(i.title), i.occurrence.map { .text(Format.occurrence($0, due: i.due)) } ?? .empty, .text(e.label ?? ""),
                    .text(i.instance),
                    i.group.map(Sheet.Cell.text) ?? .empty, .text(data.catalog.title(i.workflow)),
                    i.state.flatMap { data.catalog.stateTitle(i.workflow, $0) }.map(Sheet.Cell.text) ?? .empty,
                ])
            }
            offset += data.reply.items.count
            total = data.reply.counts.total
            if data.reply.items.isEmpty || offset >= total { break }
        }
        // Set when the row cap ended the loop too: the file of a district's 70,000 items stopped at 50,000 — the
        // latest dues, today's among them — and said nothing (large-data audit, 07/12/2026).
        sheet.leftOut = max(0, total - sheet.rows.count)
        sheet.sayLeftOut(noun: "việc")
        guard let catalog else { throw PageError.notFound("Không đọc được danh sách quy trình.") }
        return (sheet, catalog)
    }

    static func records(_ app: WebApp, _ filters: Filters, account: Account) async throws -> (Sheet, Catalog) {
        let catalog = try await app.daemon.workflows()
        let fields = filters.workflow.flatMap { catalog[$0] }?.fields.filter { $0.name != catalog[filters.workflow ?? ""]?.groupBy } ?? []
        var sheet = Sheet(
            name: "Hồ sơ",
            columns: [
                .init("Mã hồ sơ", width: 28), .init("Tên", width: 26), .init("Chi bộ", width: 20), .init("Quy trình", width: 30),
                .init("Trạng thái", width: 26), .init("Bắt đầu theo dõi", width: 14), .init("Hoàn thành", width: 11),
                .init("Số hạn quá hạn", width: 10),
                .init("Hạn sớm nhất (việc chưa xong)", width: 13), .init("Dự kiến", width: 8), .init("Còn lại", width: 14),
                .init("Việc", width: 40),
            ] + fields.map { .init($0.displayTitle, width: 18) })
        var f = filters
        f.after = nil
        while sheet.rows.count < WebLimits.exportRows {
            let data = try await RecordsPage.load(app, f, account: account, limit: 1000)
            for e in data.reply.instances where sheet.rows.count < WebLimits.exportRows {
                let i = e.instance
                let open = i.deadlines ?? []
                let first = open.first
                var row: [Sheet.Cell] = [
                    .text(i.id), .text(e.label ?? catalog.label(of: i)), e.group.map(Sheet.Cell.text) ?? .empty,
                    .text(catalog.title(i.workflow)),
                    i.state.flatMap { catalog.stateTitle(i.workflow, $0) }.map(Sheet.Cell.text) ?? .empty,
                    Format.civilDate(i.startedAt).map(Sheet.Cell.date) ?? .empty, .text(i.completed ? "có" : "không"),
                    .number(open.filter(\.overdue).count), first.map { Sheet.due($0.due) } ?? .empty,
                    // As on the agenda's export: a due counted through a projected holiday calendar says so.
                    first?.provisional == true ? .text("dự kiến") : .empty,
                    first.map { .text(Format.days($0.daysLeft, overdue: $0.overdue)) } ?? .empty,
                    // With no deadline open, what comes next by itself (the list page says the same).
                    first.map { .text(Messages.deadlineTitle($0.title, occurrence: $0.occurrence, due: $0.due)) }
                        ?? e.nextTransition.map { .text(RecordsPage.transition($0, workflow: i.workflow, catalog: catalog)) } ?? .empty,
                ]
                for field in fields {
                    let v = i.data[field.name] ?? .null
                    if field.type == "date", let s = v.stringValue, let d = CivilDate.parse(s) {
                        row.append(.date(d))
                    } else if case .int(let n) = v {
                        row.append(.number(n))
                    } else {
                        // An enum as the page shows it (its title); typed in a CSV cell, that title is read as its value.
                        row.append(v.isNull ? .empty : .text(Format.value(v, field: field)))
                    }
                }
                sheet.rows.append(row)
            }
            guard let next = data.reply.next else { break }
            if sheet.rows.count >= WebLimits.exportRows {
                sheet.leftOut = max(1, (data.reply.total ?? sheet.rows.count + 1) - sheet.rows.count)
                break
            }
            f.after = next
        }
        sheet.sayLeftOut(noun: "hồ sơ")
        return (sheet, catalog)
    }

    static func overview(_ app: WebApp, _ filters: Filters, account: Account) async throws -> (Sheet, Catalog) {
        let (catalog, reply) = try await OverviewPage.load(app, filters, account: account)
        let groups = OverviewPage.byWorkflowThenName(reply.groups)
        var sheet = Sheet(
            name: "Tổng quan",
            columns: [
                .init("Quy trình", width: 32), .init("Chi bộ", width: 24),
            ] + zip(OverviewPage.countTitles, [9, 12, 12, 14]).map { .init($0, width: $1) })
        for g in groups.prefix(WebLimits.exportRows) {
            sheet.rows.append([
                .text(catalog.title(g.workflow)), .text(g.group.isEmpty ? "(không thuộc chi bộ nào)" : g.group), .number(g.instances),
                .number(g.active), .number(g.overdue), .number(g.dueSoon),
            ])
        }
        sheet.leftOut = max(0, groups.count - WebLimits.exportRows)
        sheet.sayLeftOut(noun: "dòng")
        return (sheet, catalog)
    }
}
