import Hummingbird

/// `/dang-nhap`: a plain form (user name, password, hidden CSRF field) posted to itself; `/dang-xuat` ends the
/// session.
struct LoginPage {
    let app: WebApp

    /// A form sent after the session ended: what it asked was not done.
    static let expired = "het-han"
    static let expiredQuery = endedBy + "=" + expired
    static let signedOut = "dang-xuat"
    /// A session ended because its account was disabled: it still is (`disabled`), or was enabled again since.
    static let disabled = "khoa"
    static let reenabled = "mo-lai"
    /// Beside another reason: the request that met the ended session was a form sent, so it was not done.
    static let unsentQuery = "chua-ghi=1"
    static let unsent = "việc vừa gửi CHƯA được ghi"
    /// The sign-in form sent after its token's hour.
    static let stale = "het-trang"
    static let staleQuery = endedBy + "=" + stale
    /// The query's name and value.
    static let endedBy = "het-phien"
    /// A session ended because its account's password changed.
    static let passwordChanged = "mat-khau"

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        let query = Form(fields: Form.urlEncoded(request.uri.query ?? ""))
        let next = LoginPage.safeTarget(query["tiep"])
        if context.account != nil { return .redirect(to: next) }
        var message: String?
        var notice: String?
        // A form was sent when the session had ended, whatever ended it: it was not done, and its page comes back.
        let unsent = query[LoginPage.endedBy] == LoginPage.expired || query["chua-ghi"] == "1"
        let refill = unsent
        let again =
            "trang vừa dùng sẽ mở lại, điền sẵn những gì đã nhập nếu trình duyệt còn giữ (trừ mật khẩu và tệp), để kiểm tra rồi gửi lại."
        switch query[LoginPage.endedBy] {
        case LoginPage.passwordChanged:
            let said = "Mật khẩu của tài khoản đã được đổi"
            if unsent {
                message = "\(said) nên \(LoginPage.unsent). Hãy đăng nhập lại bằng mật khẩu mới; \(again)"
            } else {
                notice = "\(said); hãy đăng nhập lại bằng mật khẩu mới."
            }
        case LoginPage.disabled:
            message =
                "Tài khoản đã bị khóa nên phiên đăng nhập đã kết thúc\(unsent ? " và \(LoginPage.unsent)" : ""); xin liên hệ người quản trị để mở lại."
        case LoginPage.reenabled:
            let said = "Tài khoản vừa bị khóa rồi được mở lại nên phiên đăng nhập cũ đã kết thúc"
            message = unsent ? "\(said) và \(LoginPage.unsent). Hãy đăng nhập lại; \(again)" : "\(said); hãy đăng nhập lại."
        case LoginPage.expired:
            message = "Phiên đăng nhập đã hết nên \(LoginPage.unsent). Hãy đăng nhập lại; \(again)"
        case LoginPage.signedOut: notice = "Đã đăng xuất."
        case LoginPage.stale: notice = "Trang đăng nhập đã mở quá lâu nên chưa đăng nhập được; hãy nhập lại tên và mật khẩu."
        default: break
        }
        return form(
            request, context, next: next, name: "", message: message, notice: notice, refill: refill, status: .ok, refused: false)
    }

    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let f = context.form
        let next = LoginPage.safeTarget(f["tiep"])
        // The page of a form sent after the session ended opens with what was typed put back (the page's script).
        let refill = f[LoginPage.refillField] == "1"
        let name = (f["ten"] ?? "").trimmingSpaces
        let password = f["mat-khau"] ?? ""
        let account: Account
        let device = request.cookies[KnownDevices.cookieName]?.value
        switch try await app.checkPassword(password, of: name, from: context.clientAddress, deviceCookie: device) {
        case .wait(let seconds):
            let minutes = Int((seconds / 60).rounded(.up))
            return form(
                request, context, next: next, name: name,
                message: "Đăng nhập sai quá nhiều lần. Hãy thử lại sau \(minutes) phút.", refill: refill, status: .tooManyRequests)
        case .locked(let who):
            context.logger.notice("tiendo-web: tài khoản đã khóa '\(who)' đăng nhập từ \(context.clientAddress)")
            return form(
                request, context, next: next, name: name,
                message: "Tài khoản «\(who)» đã bị khóa; xin liên hệ người quản trị để mở lại.", refill: refill, status: .forbidden)
        case .checked(nil):
            context.logger.notice("tiendo-web: đăng nhập thất bại cho '\(name.loggable)' từ \(context.clientAddress)")
            return form(
                request, context, next: next, name: name, message: "Tên đăng nhập hoặc mật khẩu không đúng.", refill: refill,
                status: .unauthorized)
        case .checked(let opened?):
            account = opened
        }
        context.logger.notice("tiendo-web: \(account.name) đăng nhập từ \(context.clientAddress)")
        var response = Response.redirect(to: next + (refill ? "#dien-lai" : ""))
        response.setCookie(try await app.sessions.create(account: account, secure: context.secure))
        response.setCookie(Sessions.cookie(Sessions.loginCookieName, "", maxAge: 0, secure: context.secure))
        if let known = app.deviceCookie(for: account, request, context) { response.setCookie(known) }
        return response
    }

    func signOut(_ request: Request, _ context: WebContext) async throws -> Response {
        var response = Response.redirect(to: "/dang-nhap?" + LoginPage.endedBy + "=" + LoginPage.signedOut)
        response.setCookie(await app.sessions.delete(request, secure: context.secure))
        return response
    }

    /// Only a path of this site (`/…`, not `//host`): the sign-in form never sends anyone elsewhere. A browser drops
    /// tabs and line breaks from an address and reads a backslash as `/`, so `/<TAB>/evil.example` and `/\evil.example`
    /// lead to another host: a target with a control character, a space or a backslash anywhere is not followed.
    static func safeTarget(_ target: String?) -> String {
        guard let t = target, t.hasPrefix("/"), !t.hasPrefix("//"), !t.hasPrefix("/dang-nhap"),
            !t.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "\\" })
        else { return "/" }
        return t
    }

    /// The sign-in form's field that says the page to open after it should put back what was typed there.
    static let refillField = "dien-lai"

    /// `refused`: `message` refuses a sign-in just tried (the boxes are marked and the title says so); a page saying
    /// why a session ended refuses nothing.
    func form(
        _ request: Request, _ context: WebContext, next: String, name: String, message: String?, notice: String? = nil,
        refill: Bool = false, status: HTTPResponse.Status, refused: Bool = true
    ) -> Response {
        let token = request.cookies[Sessions.loginCookieName]?.value ?? Sessions.token()
        let error: HTML =
            message.map { "<p class=\"flash bad\" id=\"\(Layout.refusalID)\" role=\"alert\">\($0)</p>" }
            ?? notice.map { "<p class=\"flash ok\" role=\"status\">\($0)</p>" } ?? .empty
        // A refusal is said where the cursor waits (the password, for the next try): the boxes point to it, and the
        // title says it — a screen reader announced only «Mật khẩu» (accessibility audit, 07/12/2026).
        let invalid: HTML =
            message == nil || !refused ? .empty : HTML(unescaped: " aria-invalid=\"true\" aria-describedby=\"\(Layout.refusalID)\"")
        let body: HTML = """
            <main class="narrow">
            <h1>Tiến độ — đăng nhập</h1>
            <p class="muted">Theo dõi thời hạn công tác Đảng của phường.</p>
            \(error)
            <form method="post" action="/dang-nhap" class="login">
            <input type="hidden" name="_csrf" value="\(token)">
            <input type="hidden" name="tiep" value="\(next)">
            \(refill ? HTML(unescaped: "<input type=\"hidden\" name=\"\(LoginPage.refillField)\" value=\"1\">") : .empty)
            <p><label for="ten">Tên đăng nhập</label><br><input id="ten" name="ten" value="\(name)" autocomplete="username" autocapitalize="none" autocorrect="off" spellcheck="false" required\(HTML.flag("autofocus", name.isEmpty))\(invalid)></p>
            <p><label for="mat-khau">Mật khẩu</label><br><input id="mat-khau" name="mat-khau" type="password" autocomplete="current-password" required\(HTML.flag("autofocus", !name.isEmpty))\(invalid)></p>
            <p><button type="submit" class="primary">Đăng nhập</button></p>
            </form>
            <p class="muted small">Quên mật khẩu: hãy liên hệ quản trị viên của hệ thống để được đặt lại mật khẩu.</p>
            </main>
            \(Layout.footer(context))
            """
        var response = Layout.response(
            Layout.document(title: message == nil || !refused ? "Đăng nhập" : "Chưa đăng nhập được — Đăng nhập", body: body), status: status
        )
        response.setCookie(Sessions.cookie(Sessions.loginCookieName, token, maxAge: 3600, secure: context.secure))
        return response
    }
}
