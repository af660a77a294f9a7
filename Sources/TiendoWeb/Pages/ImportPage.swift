import Hummingbird
import TiendoCore
import TiendoSheets
import TiendoVarlink

/// `/nhap` — import a CSV as Excel writes it (UTF-8 with or without BOM, `,` or `;`) or the sheet of an Excel
/// workbook that holds the list (`ImportTable`), for administrators: every bad row is shown with its line, and the
/// import is all-or-nothing (tiendod stores every row or none).
struct ImportPage {
    let app: WebApp

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try ImportPage.administrator(context)
        let catalog = try await app.daemon.workflows()
        let chosen = Form(fields: Form.urlEncoded(request.uri.query ?? "")).text("quy-trinh")
        let flash = await app.takeFlash(request, context)
        return page(context, catalog: catalog, account: account, workflow: chosen, problems: [], status: .ok, flash: flash)
    }

    static func administrator(_ context: WebContext) throws -> Account {
        let account = try context.user
        guard account.role.mayAdminister else {
            throw PageError.forbidden("Chỉ tài khoản quản trị được nhập hồ sơ; tài khoản \(account.name) là «\(account.role.title)».")
        }
        return account
    }

    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try ImportPage.administrator(context)
        let catalog = try await app.daemon.workflows()
        let form = context.form
        guard let workflowID = form.text("quy-trinh"), let workflow = catalog[workflowID] else {
            return page(
                context, catalog: catalog, account: account, workflow: nil, problems: ["Hãy chọn quy trình cần nhập."], status: .badRequest)
        }
        // As «Thêm hồ sơ» refuses it: an administrator of some chi bộ imported records of a ward-level workflow (the
        // ward's budget), which every chi bộ's lists and the ward's reminders then carried (security audit, 07/12/2026).
        guard NewRecordPage.offered(workflow, to: account) else { throw NewRecordPage.notOffered(workflow, "nhập") }
        guard let upload = form.upload("tep"), !upload.bytes.isEmpty else {
            return page(
                context, catalog: catalog, account: account, workflow: workflowID, problems: ["Hãy chọn tệp (CSV hoặc Excel) cần nhập."],
                status: .badRequest)
        }
        let read: ImportRows
        let groups = workflow.groupBy != nil ? try await GroupNames.load(app, for: account, like: workflow) : GroupNames()
        // Off the event loop: a workbook's sheet is inflated and parsed (a few seconds for the largest upload).
        let bytes = upload.bytes
        if let why = ImportTable.notAWorkbook(bytes, filename: upload.filename) {
            return page(
                context, catalog: catalog, account: account, workflow: workflowID, problems: [why], status: .unprocessableContent)
        }
        // The file's digest too (`RecentImports`): a SHA-256 of up to 10 MiB is no work for an event loop either.
        let (result, key) = try await app.files.runIfActive {
            (
                ImportPage.rows(bytes, workflow: workflow, account: account, groups: groups),
                RecentImports.key(workflow: workflowID, bytes: bytes)
            )
        }
        switch result {
        case .failure(let failures):
            return page(
                context, catalog: catalog, account: account, workflow: workflowID, problems: failures.problems,
                status: .unprocessableContent, file: upload.filename)
        case .success(let r): read = r
        }
        let rows = read.rows
        guard !rows.isEmpty else {
            return page(
                context, catalog: catalog, account: account, workflow: workflowID,
                problems: [read.sheet.map { "Trang tính «\($0)» của tệp không có dòng dữ liệu nào." } ?? "Tệp không có dòng dữ liệu nào."],
                status: .badRequest)
        }
        // The same file imported lately (or still being imported): asked about, not imported twice in silence.
        // Recorded as being imported unless it is known already; ticked «Vẫn nhập lại», a known file goes in all the same.
        let now = Format.zone.parseInstant(catalog.now) ?? Instant(seconds: 0)
        if let earlier = app.recentImports.begin(key, workflow: workflowID, file: upload.filename, account: account.name, now: now),
            form["nhap-lai"] != "1"
        {
            let when = Format.dateTime(earlier.at)
            let what =
                earlier.imported.map { "đã được nhập lúc \(when) (\(Format.count($0)) hồ sơ, tài khoản \(earlier.account))" }
                ?? "đang được nhập, hoặc chưa rõ đã nhập xong chưa (bắt đầu lúc \(when), tài khoản \(earlier.account)); hãy xem danh sách hồ sơ trước"
            return page(
                context, catalog: catalog, account: account, workflow: workflowID,
                problems: [
                    "Tệp này giống hệt tệp «\(earlier.file)» \(what). Nhập lại sẽ thêm một lần nữa các hồ sơ không có mã. "
                        + "Nếu thật sự cần nhập lại, tích «Vẫn nhập lại tệp này» rồi chọn tệp và bấm «Nhập»."
                ],
                status: .conflict, file: upload.filename, again: true)
        }
        do {
            let n: Int
            do {
                n = try await app.daemon.importAll(workflow: workflowID, rows: rows.map(\.row), actor: account.name)
            } catch let refused as ManagerError {
                // Refused: nothing was imported, the same file may come back corrected. An answer that never came
                // (a time-out) leaves the file known as being imported: it may have been.
                app.recentImports.end(key, imported: nil)
                throw refused
            }
            app.recentImports.end(key, imported: n)
            context.logger.notice("tiendo-web: \(account.name) nhập \(n) hồ sơ vào \(workflowID) từ '\(upload.filename.loggable)'")
            // Names no record had before: a typing slip shows here rather than as a chi bộ of its own found later.
            var fresh: [String] = []
            if let field = workflow.groupBy {
                for r in rows { if let g = r.row[field]?.stringValue, groups.meant(g) == nil, !fresh.contains(g) { fresh.append(g) } }
            }
            let title = workflow.groupBy.flatMap { workflow.field($0)?.displayTitle } ?? "Chi bộ"
            let note =
                fresh.isEmpty || groups.isEmpty
                ? ""
                : " Tên «\(title)» mới (trước lần nhập này chưa hồ sơ nào mang): \(VietnameseOrder.sorted(fresh).prefix(20).map { "«\($0)»" }.joined(separator: ", "))\(fresh.count > 20 ? " và \(fresh.count - 20) tên khác" : ""); nếu là gõ nhầm, hãy báo người quản trị."
            let sheet = read.sheet.map { " (trang tính «\($0)»)" } ?? ""
            try await app.flash(
                "Đã nhập \(Format.count(n)) hồ sơ từ tệp «\(upload.filename)»\(sheet) vào quy trình «\(workflow.title)».\(note)",
                ok: true, request, context)
            return .redirect(to: "/ho-so?" + Filters.query([("quy-trinh", workflowID)]))
        } catch ManagerError.importRejected(let errors) {
            let problems = errors.map { d in
                // The refusal's last line counts the bad rows it does not list: not a row of its own.
                if ImportSummary.more(in: d.message) != nil { return PageError.sentence(d.message) }
                let line = rows.indices.contains(d.line - 1) ? rows[d.line - 1].line : d.line
                return "\(ImportTable.place(line, sheet: read.sheet)): \(ImportPage.titled(d.message, workflow: workflow))"
            }
            // Bad rows in all: those listed, and those the refusal's last line counts without listing them.
            let count =
                errors.filter { ImportSummary.more(in: $0.message) == nil }.count
                + errors.compactMap { ImportSummary.more(in: $0.message) }.reduce(0, +)
            return page(
                context, catalog: catalog, account: account, workflow: workflowID, problems: problems, status: .unprocessableContent,
                file: upload.filename, count: count)
        }
    }

    /// What an upload gives to send: its rows, each with its line in the file, and the sheet they come from when the
    /// workbook shows several (`ImportTable.sheet`).
    struct ImportRows {
        var rows: [(line: Int, row: JSON)]
        var sheet: String?
    }

    /// The rows to send, or every problem found without tiendod (format, header, groups outside the account's).
    /// A group cell is stored as the records already spell that name (`GroupNames`).
    static func rows(_ bytes: [UInt8], workflow: Extras.WorkflowInfo, account: Account, groups: GroupNames = GroupNames())
        -> Result<ImportRows, Failures>
    {
        let table: ImportTable
        switch ImportTable.read(bytes, workflow: workflow) {
        case .success(let t): table = t
        case .failure(let failures): return .failure(failures)
        }
        // Each heading names a field by its name or by its title (the template's headings); a column numbering the
        // rows (STT) is left out.
        var names: [String: String] = [:]
        var headerProblems: [String] = []
        var headingOf: [String: String] = [:]
        for heading in table.headings where !ImportTable.isRowNumber(heading, of: workflow) {
            guard let name = workflow.importField(named: heading) else {
                let expected = workflow.importHeadings.map(\.heading).joined(separator: ", ")
                headerProblems.append(
                    "\(table.place(table.headerLine)): cột «\(heading)» không phải trường của quy trình «\(workflow.title)» (các cột dùng được: \(expected))"
                )
                continue
            }
            if let other = headingOf[name] {
                headerProblems.append(
                    "\(table.place(table.headerLine)): cột «\(heading)» và cột «\(other)» cùng là một trường; hãy bỏ bớt một cột")
            }
            headingOf[name] = heading
            names[heading] = name
        }
        if !headerProblems.isEmpty {
            if names.isEmpty, let sheet = table.sheet {
                // No sheet heads a column with a field: say which were looked at, not only the first one's columns.
                let all = table.sheets.prefix(10).map { "«\($0)»" }.joined(separator: ", ") + (table.sheets.count > 10 ? ", …" : "")
                headerProblems.insert(
                    "Không trang tính nào của tệp (\(table.sheets.count) trang: \(all)) có dòng tên cột của quy trình «\(workflow.title)»; đã đọc trang tính đầu, «\(sheet)».",
                    at: 0)
            }
            return .failure(Failures(headerProblems))
        }
        // Keys (valid, not repeated, not stored yet) are tiendod's to check, with every other cell, in one pass that
        // lists every bad row: refused here first, the file's other mistakes showed only after they were mended.
        var problems: [String] = []
        // A date column written month first is said once, first: its rows the check lets through are swapped.
        let dated = HumanDate.monthFirstColumns(table.rows.map { r in (r.line, r.pairs.map { ($0.heading, $0.value) }) }) { heading in
            let type = names[heading].map { $0 == "started" ? "datetime" : workflow.field($0)?.type }
            return type == "date" || type == "datetime"
        }
        for (heading, found) in dated {
            problems.append("\(table.place(found.line)): " + HumanDate.monthFirstColumn(heading, found: found))
        }
        var out: [(line: Int, row: JSON)] = []
        for r in table.rows {
            let values = r.pairs.compactMap { p in names[p.heading].map { ($0, p.value.trimmingSpaces) } }
                .filter { !$0.1.isEmpty }.map { name, value in
                    (name, name == workflow.groupBy ? groups.canonical(value) : value)
                }
            if values.isEmpty { continue }  // a row of empty cells, as spreadsheets leave below the data
            if let field = workflow.groupBy, account.scope != nil {
                let group = values.first { $0.0 == field }?.1
                if !account.sees(group: group) {
                    // Said with the column's own title («Nơi nhận báo cáo», not always «Chi bộ»), and an empty cell as empty.
                    let column = workflow.field(field).map { FieldDefinition.shortTitle($0.displayTitle) } ?? field
                    let lower = column.prefix(1).lowercased() + column.dropFirst()
                    problems.append(
                        group.map { "\(table.place(r.line)): \(lower) «\($0)» ngoài phạm vi của tài khoản \(account.name)" }
                            ?? "\(table.place(r.line)): cột «\(column)» để trống; tài khoản \(account.name) chỉ nhập hồ sơ thuộc phạm vi của mình, hãy ghi «\(column)»"
                    )
                }
            }
            out.append((r.line, .object(values.map { ($0.0, JSON.string($0.1)) })))
        }
        return problems.isEmpty ? .success(ImportRows(rows: out, sheet: table.sheet)) : .failure(Failures(problems))
    }

    /// tiendod's refusal of a cell, «cột 'han': ngày '31/02/2026' không tồn tại», with the column named as the
    /// template heads it: «cột «Hạn nộp hồ sơ»: …»; any other message as it is.
    static func titled(_ message: String, workflow: Extras.WorkflowInfo) -> String {
        guard message.hasPrefix("cột '"), let end = message.dropFirst(5).firstIndex(of: "'") else { return message }
        let name = String(message[message.index(message.startIndex, offsetBy: 5)..<end])
        guard let heading = workflow.importHeadings.first(where: { $0.name == name })?.heading, heading != name else { return message }
        return "cột «\(heading)»" + message[message.index(after: end)...]
    }

    /// `/nhap/mau.csv?quy-trinh=…` and `/nhap/mau.xlsx?…`: an empty file with the workflow's headings, as Excel opens
    /// it, to fill in.
    func template(_ request: Request, _ context: WebContext) async throws -> Response {
        _ = try ImportPage.administrator(context)
        let catalog = try await app.daemon.workflows()
        let chosen = Form(fields: Form.urlEncoded(request.uri.query ?? "")).text("quy-trinh")
        guard let chosen else {
            throw PageError.badRequest("Chưa chọn quy trình: chọn một quy trình ở trang «Nhập hồ sơ» rồi tải tệp mẫu của nó.")
        }
        guard let workflow = catalog[chosen] else { throw PageError.notFound("Không có quy trình «\(chosen)».") }
        // The code and the text fields as text: a card or ID number typed into them keeps its leading zeros (Excel
        // made «001087615538» the number 1087615538 in a «General» column, and the import stored that; audit
        // 07/12/2026).
        let sheet = Sheet(
            name: "Mẫu nhập",
            columns: workflow.importHeadings.map { h in
                Sheet.Column(h.heading, text: h.name == "key" || workflow.field(h.name)?.type == "text")
            })
        let excel = request.uri.path.hasSuffix(".xlsx")
        let bytes = excel ? try await app.files.runIfActive { try XLSXFile.encode(sheet) } : CSVFile.encode(sheet)
        let headers: HTTPFields = [
            .contentType: excel ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8",
            .contentDisposition: "attachment; filename=\"mau-nhap-\(workflow.id).\(excel ? "xlsx" : "csv")\"",
        ]
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// How a cell of a field is written, as an office writes it in a spreadsheet: «, số nguyên từ 0 đến 100», «, ngày
    /// dạng dd/mm/yyyy (ví dụ 05/03/2026)», an enum's values by their titles. (The other forms tiendod reads —
    /// `YYYY-MM-DD`, true/false, an enum's code — are still read; the page does not teach them.)
    static func form(of f: Extras.FieldInfo, in workflow: Extras.WorkflowInfo?) -> String {
        let days = RecordView.days(f, in: workflow).map { ", \($0)" } ?? ""
        switch f.type {
        case "date": return ", \(dateForm)" + days
        case "datetime": return ", \(dateTimeForm)" + days
        case "integer": return ", số nguyên" + bounds(f)
        case "number": return ", số, phần thập phân sau dấu chấm (7.5)" + bounds(f)
        case "boolean": return ", có hoặc không"
        default:
            return f.values.isEmpty ? "" : ", một trong: " + f.values.map { "«\(f.valueTitles[$0] ?? $0)»" }.joined(separator: ", ")
        }
    }

    static let dateForm = "ngày dạng dd/mm/yyyy (ví dụ 05/03/2026)"
    static let dateTimeForm = "ngày giờ dạng dd/mm/yyyy hh:mm (ví dụ 05/03/2026 14:30)"

    /// « từ 0 đến 100», « từ 1 trở lên», « đến 100», or nothing.
    static func bounds(_ f: Extras.FieldInfo) -> String {
        func number(_ d: Double) -> String { Value.number(d).display(zone: Format.zone) }
        switch (f.min, f.max) {
        case (let lo?, let hi?): return " từ \(number(lo)) đến \(number(hi))"
        case (let lo?, nil): return " từ \(number(lo)) trở lên"
        case (nil, let hi?): return " đến \(number(hi))"
        case (nil, nil): return ""
        }
    }

    typealias Failures = ImportTable.Failures

    func page(
        _ context: WebContext, catalog: Catalog, account: Account, workflow: String?, problems: [String], status: HTTPResponse.Status,
        flash: WebSession.Flash? = nil, file: String? = nil, count: Int? = nil, again: Bool = false
    ) -> Response {
        let options: [HTML] = catalog.workflows.filter { NewRecordPage.offered($0, to: account) }.map { w in
            "<option value=\"\(w.id)\"\(HTML.flag("selected", w.id == workflow))>\(w.title)</option>"
        }
        let columns: HTML =
            workflow.flatMap { catalog[$0] }.map { w in
                let headings = Dictionary(w.importHeadings.map { ($0.name, $0.heading) }, uniquingKeysWith: { a, _ in a })
                func item(_ name: String, _ text: String) -> HTML {
                    let heading = headings[name] ?? name
                    // The field's name is read as a heading too; it is said on hover, not taught to the office.
                    let also: HTML = heading == name ? .empty : " title=\"Có thể đặt tên cột là “\(name)”\""
                    return "<li><b\(also)>\(heading)</b>\(text)</li>"
                }
                let cols: [HTML] = w.fields.map { f -> HTML in
                    item(
                        f.name,
                        "\(f.required ? " — bắt buộc" : " — không bắt buộc")\(ImportPage.form(of: f, in: w))\(Format.defaultText(f).map { "; để trống: \($0)" } ?? "")"
                    )
                }
                let query = "?" + Filters.query([("quy-trinh", w.id)])
                return """
                    <h2>Các cột của «\(w.title)»</h2>
                    <p>Tải tệp mẫu của quy trình này: <a href="/nhap/mau.xlsx\(query)">Excel</a> · <a href="/nhap/mau.csv\(query)">CSV</a>. Dòng đầu đã có tên các cột; điền mỗi hồ sơ một dòng rồi lưu lại.</p>
                    <ul class="small">\(item("key", " — không bắt buộc: chữ cái không dấu, chữ số, '.', '_', '-'; để trống thì phần mềm tự đặt mã"))
                    \(item("started", " — không bắt buộc, \(ImportPage.dateForm), có thể kèm giờ (05/03/2026 14:30); để trống thì lấy thời điểm nhập tệp"))\(cols)</ul>
                    """
            } ?? """
                <h2>Các cột và tệp mẫu</h2>
                <p>Chọn quy trình để xem các cột cần có và tải tệp mẫu:</p>
                <ul>\(catalog.workflows.map { w -> HTML in "<li><a href=\"/nhap?\(Filters.query([("quy-trinh", w.id)]))\">\(w.title)</a></li>" })</ul>
                """
        let errors: HTML =
            problems.isEmpty
            ? .empty
            : """
            <section class="error" id="\(Layout.refusalID)" role="alert" tabindex="-1"><h2>Không nhập được — chưa có hồ sơ nào được nhập</h2>
            \(again ? HTML.empty : file.map { f -> HTML in "<p>Tệp «\(f)» có \(Format.count(count ?? problems.count)) lỗi. Hãy sửa tệp rồi nhập lại cả tệp.</p>" } ?? HTML.empty)
            <ul class="problems">\(problems.prefix(1000).map { p -> HTML in "<li>\(p)</li>" })</ul></section>
            """
        let body: HTML = """
            <h1>Nhập hồ sơ từ tệp Excel hoặc CSV</h1>
            \(errors)
            <form method="post" action="/nhap" enctype="multipart/form-data" class="filters">\(Layout.csrf(context))
            <label>Quy trình <select name="quy-trinh" id="nhap-quy-trinh" required><option value="">— chọn —</option>\(options)</select></label>
            <label>Tệp Excel (.xlsx) hoặc CSV (tối đa \(WebLimits.maxUploadBytes >> 20) MB) <input type="file" name="tep"\(problems.isEmpty ? HTML.empty : HTML(unescaped: " aria-describedby=\"\(Layout.refusalID)\"")) accept=".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required></label>
            \(again ? "<label class=\"check\"><input type=\"checkbox\" name=\"nhap-lai\" value=\"1\"> Vẫn nhập lại tệp này</label>" as HTML : .empty)
            <button type="submit" class="primary">Nhập</button>
            </form>
            <ul>
            <li>Dòng tên cột ghi tên các cột như trong tệp mẫu; các dòng tiêu đề phía trên nó và cột «STT» được bỏ qua.</li>
            <li>Tệp Excel có nhiều trang tính: phần mềm tự tìm trang tính có dòng tên cột giống tệp mẫu nhất.</li>
            <li>Tệp CSV: trong Excel chọn «Lưu Như» (Save As), dạng «CSV UTF-8».</li>
            <li>Nếu có dòng sai thì không nhập dòng nào: trang này liệt kê mọi dòng sai (theo số dòng trong tệp) để sửa.</li>
            </ul>
            \(columns)
            """
        return Layout.response(
            // Refused rows are said in the title too, and take the focus (`tiendo.js`), as a refused form is.
            Layout.page(
                title: problems.isEmpty ? "Nhập hồ sơ" : "Chưa nhập được — Nhập hồ sơ", active: "/nhap", context: context, flash: flash,
                body: body), status: status)
    }
}
