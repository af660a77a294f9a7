import CLinux
import HTTPTypes
import Hummingbird
import NIOCore

/// `/xuat` — the exports: the agenda, the list and the overview, each as CSV (UTF-8 with BOM) and XLSX, with the
/// filters of the page they come from; and the A4 print views.
struct ExportPage {
    let app: WebApp

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        let catalog = try await app.daemon.workflows()
        let f = Filters(query: request.uri.query)
        _ = try f.selection(for: account, catalog: catalog)
        func pair(_ name: String) -> HTML {
            "<a href=\"\(f.link("/xuat/\(name).xlsx"))\">Excel (XLSX)</a> · <a href=\"\(f.link("/xuat/\(name).csv"))\">CSV</a>"
        }
        let body: HTML = """
            <h1>Xuất dữ liệu</h1>
            <p>Tệp xuất gồm đúng những gì trang tương ứng hiển thị với cùng bộ lọc (tối đa \(Format.count(WebLimits.exportRows)) dòng).
            Nên tải tệp Excel (XLSX): mở được ngay, giữ nguyên số định danh cá nhân, số thẻ đảng viên, số điện thoại (tệp CSV mở
            bằng Excel thì các dãy số đó mất số 0 ở đầu, 099184600496 thành 99184600496). Tệp CSV chỉ dùng khi một phần mềm khác cần
            nó; trong đó, ô nào bắt đầu bằng dấu = + - @ có thêm dấu ' ở đầu để Excel không coi là công thức.</p>
            \(f.form("/xuat", catalog: catalog, account: account, groups: account.groups,
                extra: "<label>Trong <select name=\"ngay\">\(Filters.horizons.map { d -> HTML in "<option value=\"\(d)\"\(HTML.flag("selected", d == f.days))>\(d) ngày tới</option>" })</select></label>"))
            <table><thead><tr><th>Nội dung</th><th>Tải về</th><th>In (A4)</th></tr></thead><tbody>
            <tr><td>Việc cần làm: quá hạn và đến hạn trong \(f.days) ngày tới</td><td>\(pair("viec-can-lam"))</td><td><a href="\(f.link("/", ["in": "1"]))">Bản in</a></td></tr>
            <tr><td>Danh sách hồ sơ\(f.workflow != nil ? " (kèm mọi trường dữ liệu của quy trình)" : "")</td><td>\(pair("ho-so"))</td><td><a href="\(f.link("/ho-so", ["in": "1"]))">Bản in</a></td></tr>
            <tr><td>Tổng quan theo chi bộ: hồ sơ, chưa hoàn thành, có việc quá hạn, có việc đến hạn trong 7 ngày</td><td>\(pair("tong-quan"))</td><td></td></tr>
            </tbody></table>
            """
        return Layout.response(Layout.page(title: "Xuất dữ liệu", active: "/xuat", context: context, body: body))
    }

    func download(_ request: Request, _ context: WebContext) async throws -> Response {
        let account = try context.user
        guard let file = context.parameters.get("file"), let dot = file.lastIndex(of: ".") else {
            throw PageError.notFound("Không có tệp này.")
        }
        let name = String(file[..<dot])
        let format = String(file[file.index(after: dot)...])
        guard format == "csv" || format == "xlsx" else { throw PageError.notFound("Chỉ xuất được CSV hoặc XLSX.") }
        let made = try await encoded(name, format: format, filters: Filters(query: request.uri.query), account: account)
        // The rows, their cells and tiendod's replies are freed by now; glibc keeps freed memory in its arenas for
        // good: tiendo-web stayed at 400 MB after a few exports of 120,000 records (large-data audit, 07/12/2026).
        tiendo_give_back_memory()
        context.logger.info("tiendo-web: \(account.name) xuất \(file) (\(made.rows) dòng)")
        var headers: HTTPFields = [
            .contentType: made.type, .contentDisposition: "attachment; filename=\"\(name)-\(made.today).\(format)\"",
        ]
        if made.leftOut > 0 { headers[HTTPField.Name("X-Tiendo-Left-Out")!] = String(made.leftOut) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: made.bytes)))
    }

    /// The file of the table `name` in `format` (csv or xlsx), with what its headers say; the table itself is gone
    /// when this returns.
    func encoded(_ name: String, format: String, filters: Filters, account: Account) async throws -> (
        bytes: [UInt8], type: String, rows: Int, leftOut: Int, today: String
    ) {
        let sheet: Sheet
        let catalog: Catalog
        switch name {
        case "viec-can-lam": (sheet, catalog) = try await Exports.agenda(app, filters, account: account)
        case "ho-so": (sheet, catalog) = try await Exports.records(app, filters, account: account)
        case "tong-quan": (sheet, catalog) = try await Exports.overview(app, filters, account: account)
        default: throw PageError.notFound("Không có bảng '\(name)' để xuất.")
        }
        if format == "csv" {
            return (CSVFile.encode(sheet), "text/csv; charset=utf-8", sheet.rows.count, sheet.leftOut, catalog.today.iso)
        }
        let bytes = try await app.files.runIfActive { try XLSXFile.encode(sheet) }
        return (
            bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", sheet.rows.count, sheet.leftOut,
            catalog.today.iso
        )
    }

    /// Beside a page's download links when its list is longer than a file holds: which part the file has.
    static func capNote(_ total: Int, noun: String) -> HTML {
        guard total > WebLimits.exportRows else { return .empty }
        return
            " <span class=\"muted small\">(tệp tải về chỉ gồm \(Format.count(WebLimits.exportRows)) \(noun) đầu trên \(Format.count(total)); lọc theo chi bộ hoặc quy trình để tải đủ)</span>"
    }
}
