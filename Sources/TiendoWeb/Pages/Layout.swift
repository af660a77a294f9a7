import Hummingbird
import NIOCore

/// The frame of every page: header with the sections, the signed-in account and its sign-out button, a one-time
/// message, the content, and a footer. `lang="vi"`, no external resources (offices may have no internet).
enum Layout {
    struct Section {
        var path: String
        var title: String
        var adminOnly = false
        /// For administrators not limited to chi bộ (the page names every chi bộ's members, or manages accounts).
        var unscoped = false
    }

    static let sections = [
        Section(path: "/", title: "Việc cần làm"), Section(path: "/ho-so", title: "Hồ sơ"), Section(path: "/lich", title: "Lịch"),
        Section(path: "/tong-quan", title: "Tổng quan"), Section(path: "/xuat", title: "Xuất"),
        Section(path: "/nhap", title: "Nhập", adminOnly: true),
        Section(path: "/thong-bao", title: "Thông báo gửi đi", adminOnly: true, unscoped: true),
        Section(path: "/tai-khoan", title: "Tài khoản", adminOnly: true, unscoped: true),
    ]

    static func document(title: String, body: HTML, bodyClass: String = "") -> HTML {
        """
        <!doctype html>
        <html lang="vi">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(title) — Tiến độ</title>
        <link rel="stylesheet" href="/tai-nguyen/tiendo.css">
        <script src="/tai-nguyen/tiendo.js" defer></script>
        </head>
        <body class="\(bodyClass)">
        \(body)
        </body>
        </html>
        """
    }

    /// The id of a refusal's message, which the refused field's `aria-describedby` names.
    static let refusalID = "thong-bao-loi"

    static func page(title: String, active: String?, context: WebContext, flash: WebSession.Flash? = nil, body: HTML) -> HTML {
        var nav: [HTML] = []
        if let account = context.account {
            for s in sections where (!s.adminOnly || account.role.mayAdminister) && (!s.unscoped || account.scope == nil) {
                let current = s.path == active
                nav.append("<a href=\"\(s.path)\"\(HTML.flag("aria-current=\"page\"", current))>\(s.title)</a>")
            }
        }
        let who: HTML =
            context.account.map { a in
                let scope = a.groupsText
                let account = a.fullName == nil ? "" : "Tài khoản \(a.name); "
                return """
                    <div class="who"><span title="\(account)\(scope)">\(a.displayName) · <span class="role">\(a.role.title)</span></span> <a href="/mat-khau">Đổi mật khẩu</a>
                    <form method="post" action="/dang-xuat"><input type="hidden" name="_csrf" value="\(context.session?.csrf ?? "")"><button class="link">Đăng xuất</button></form></div>
                    """
            } ?? .empty
        let message: HTML =
            flash.map { f in
                let done: HTML = f.done.map { "<p class=\"flash ok\" role=\"status\">\($0)</p>" } ?? .empty
                // A refusal is an alert, and takes the focus (`tiendo.js`): a status region present when the page
                // loads is not read out, and the focus stayed on the page's body (audit, 07/12/2026). What a change
                // did takes it too, or a screen reader's user could not tell the step was recorded.
                return f.ok
                    ? "\(done)<p class=\"flash ok\" id=\"thong-bao\" role=\"status\" tabindex=\"-1\">\(f.message)</p>"
                    : "\(done)<p class=\"flash bad\" id=\"\(refusalID)\" role=\"alert\" tabindex=\"-1\">\(f.message)</p>"
            } ?? .empty
        // A refused form says so in the title too, the first thing a screen reader reads of the page it comes back to
        // (the title was the form's as before, audit 07/12/2026).
        return document(
            // Not «Đã ghi»: some say nothing changed («đã được ghi trước đó»).
            title: flash.map { $0.ok ? "Thông báo — \(title)" : "Chưa thực hiện được — \(title)" } ?? title,
            body: """
                <a class="skip no-print" href="#noi-dung">Bỏ qua, tới nội dung chính</a>
                <header class="top no-print"><a class="brand" href="/">Tiến độ</a><nav>\(nav)</nav>\(who)</header>
                <main id="noi-dung" tabindex="-1">
                \(message)
                \(body)
                \(provisionalNote(body))
                </main>
                \(footer(context))
                """)
    }

    /// What «(dự kiến)» means, under any page that shows it: a tooltip on the agenda said it only to a mouse, not on
    /// a phone or on paper, and the record page and the list said it nowhere.
    static func provisionalNote(_ body: HTML) -> HTML {
        guard body.description.contains("(dự kiến)") else { return .empty }
        return
            "<p class=\"muted small provisional-note\"><span class=\"provisional\">(dự kiến)</span>: hạn tính qua một năm chưa có lịch nghỉ lễ chính thức; hạn có thể đổi khi lịch nghỉ năm đó được công bố.</p>"
    }

    /// The foot of every page: what the times are, and whom to ask for help when tiendo-web was told.
    static func footer(_ context: WebContext) -> HTML {
        "<footer class=\"no-print\">Tiến độ · ngày giờ theo giờ Việt Nam\(context.contact.map { " · Cần hỗ trợ, xin liên hệ: \($0)" } ?? "")</footer>"
    }

    /// An HTML response.
    static func response(_ html: HTML, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html.text)))
    }

    /// The hidden CSRF field of a form.
    static func csrf(_ context: WebContext) -> HTML { "<input type=\"hidden\" name=\"_csrf\" value=\"\(context.session?.csrf ?? "")\">" }
}

/// The page shown for a `PageError`: its title, message and details, in the frame when someone is signed in.
enum ErrorPage {
    static func response(_ e: PageError, context: WebContext) -> Response {
        let details: HTML =
            e.details.isEmpty ? .empty : "<ul class=\"problems\">\(e.details.prefix(500).map { d -> HTML in "<li>\(d)</li>" })</ul>"
        let more: HTML = e.details.count > 500 ? "<p>… và \(e.details.count - 500) lỗi nữa.</p>" : .empty
        let body: HTML = """
            <section class="error"><h1>\(e.title)</h1><p>\(e.message)</p>\(details)\(more)
            <p class="no-print"><a href="/" data-back>← Quay lại</a> · <a href="/">Về trang việc cần làm</a></p></section>
            """
        let html =
            context.account == nil
            ? Layout.document(title: e.title, body: "<main class=\"narrow\">\(body)</main>\(Layout.footer(context))")
            : Layout.page(title: e.title, active: nil, context: context, body: body)
        return Layout.response(html, status: e.status)
    }
}
