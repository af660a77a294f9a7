import Hummingbird

/// `/mat-khau` — every signed-in person changes their own password: the current one (checked as at sign-in, with
/// the same throttle, so that an open session left on a shared computer cannot be used to guess it), the new one
/// twice. The account's other sessions end; this one goes on. An administrator sets others' on `/tai-khoan`.
struct PasswordPage {
    let app: WebApp

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        _ = try context.user
        let flash = await app.takeFlash(request, context)
        return Layout.response(
            Layout.page(title: "Đổi mật khẩu", active: nil, context: context, flash: flash, body: form(context)))
    }

    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let me = try context.user
        let f = context.form
        let current = f["hien-tai"] ?? ""
        let new = f["moi"] ?? ""
        let device = request.cookies[KnownDevices.cookieName]?.value
        switch try await app.checkPassword(current, of: me.name, from: context.clientAddress, deviceCookie: device) {
        case .wait(let seconds):
            let minutes = Int((seconds / 60).rounded(.up))
            return refuse(
                "Nhập sai mật khẩu hiện tại quá nhiều lần. Hãy thử lại sau \(minutes) phút.", context, at: ["hien-tai"],
                status: .tooManyRequests)
        case .checked(nil):
            context.logger.notice("tiendo-web: \(me.name) nhập sai mật khẩu hiện tại khi đổi mật khẩu, từ \(context.clientAddress)")
            return refuse("Mật khẩu hiện tại không đúng.", context, at: ["hien-tai"])
        case .locked:
            // Locked meanwhile: the session ends at its next request; nothing is changed.
            return refuse("Tài khoản này đã bị khóa; không đổi được mật khẩu.", context, status: .forbidden)
        case .checked:
            break
        }
        guard new == f["nhap-lai"] else { return refuse("Hai lần nhập mật khẩu mới không giống nhau.", context, at: ["moi", "nhap-lai"]) }
        guard new != current else { return refuse("Mật khẩu mới phải khác mật khẩu hiện tại.", context, at: ["moi"]) }
        let store = app.accounts
        let changed: Account
        do {
            changed = try await app.passwords.runIfActive { try AccountCommands.setPassword(store, name: me.name, password: new) }
        } catch let e as AccountStoreError {
            return refuse(PageError.sentence(e.description), context, at: ["moi"])
        }
        context.logger.notice("tiendo-web: \(me.name) đổi mật khẩu của mình")
        return try await app.renewSession(
            after: changed, request, context,
            flash: "Đã đổi mật khẩu. Lần đăng nhập sau hãy dùng mật khẩu mới; các phiên đăng nhập khác của tài khoản này đã kết thúc.",
            to: "/")
    }

    /// The form again with why it was refused, the boxes `at` fault marked; nothing typed is shown back (they are
    /// passwords).
    func refuse(
        _ message: String, _ context: WebContext, at boxes: Set<String> = [], status: HTTPResponse.Status = .unprocessableContent
    ) -> Response {
        let page = Layout.page(
            title: "Đổi mật khẩu", active: nil, context: context,
            flash: WebSession.Flash(ok: false, message: message + " Mật khẩu chưa được đổi."), body: form(context, refused: boxes))
        return Layout.response(page, status: status)
    }

    func form(_ context: WebContext, refused: Set<String> = []) -> HTML {
        let at = { (box: String) in FieldControls.refused(refused.contains(box)) }
        return """
            <h1>Đổi mật khẩu</h1>
            <form method="post" action="/mat-khau" class="stack">\(Layout.csrf(context))
            <p><label for="hien-tai">Mật khẩu hiện tại</label><br><input id="hien-tai" name="hien-tai" type="password" autocomplete="current-password" required\(at("hien-tai"))></p>
            <p><label for="moi">Mật khẩu mới (ít nhất \(Account.minimumPasswordLength) ký tự)</label><br><input id="moi" name="moi" type="password" minlength="\(Account.minimumPasswordLength)" autocomplete="new-password" required\(at("moi"))></p>
            <p><label for="nhap-lai">Nhập lại mật khẩu mới</label><br><input id="nhap-lai" name="nhap-lai" type="password" minlength="\(Account.minimumPasswordLength)" autocomplete="new-password" required\(at("nhap-lai"))></p>
            <p><button type="submit" class="primary">Đổi mật khẩu</button></p>
            </form>
            """
    }
}
