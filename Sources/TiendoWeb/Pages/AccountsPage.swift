import Hummingbird
import TiendoCore
import TiendoVarlink

/// `/tai-khoan` — accounts, for administrators not limited to groups (one limited to some chi bộ could otherwise
/// create an account that is not): add, set a password or the person's full name, disable and enable. The same checks
/// as `tiendo-web user`.
struct AccountsPage {
    let app: WebApp

    static func administrator(_ context: WebContext) throws -> Account {
        let account = try context.user
        guard account.role.mayAdminister, account.scope == nil else {
            throw PageError.forbidden("Chỉ tài khoản quản trị không giới hạn chi bộ được quản lý tài khoản.")
        }
        return account
    }

    func show(_ request: Request, _ context: WebContext) async throws -> Response {
        _ = try AccountsPage.administrator(context)
        let flash = await app.takeFlash(request, context)
        let backups = await BackupView.load(app)
        return Layout.response(
            Layout.page(
                title: "Tài khoản", active: "/tai-khoan", context: context, flash: flash, body: try body(context, backups: backups)))
    }

    func submit(_ request: Request, _ context: WebContext) async throws -> Response {
        let me = try AccountsPage.administrator(context)
        let f = context.form
        let store = app.accounts
        let name = f.text("ten") ?? ""
        do {
            switch f["hanh-dong"] {
            case "them":
                let role = try AccountsPage.role(f)
                let password = f["mat-khau"] ?? ""
                guard password == f["nhap-lai"] else { throw AccountStoreError("hai lần nhập mật khẩu không giống nhau") }
                let groups = try await checkedGroups(f)
                let fullName = f["ho-ten"]
                let made = try await app.passwords.runIfActive {
                    try AccountCommands.add(store, name: name, fullName: fullName, role: role, groups: groups, password: password)
                }
                let of = made.fullName.map { " của \($0)" } ?? ""
                try await app.flash("Đã tạo tài khoản «\(name)»\(of) (\(role.title)).", ok: true, request, context)
            case "pham-vi":
                let role = try AccountsPage.role(f)
                let groups = try await checkedGroups(f)
                let changed = try AccountCommands.setScope(store, name: name, role: role, groups: groups, shown: f["truoc"])
                try await app.flash(
                    "Đã đặt tài khoản «\(changed.name)»: \(changed.role.title), \(changed.groupsText); có hiệu lực từ lần bấm kế tiếp của người dùng.",
                    ok: true, request, context)
            case "ho-ten":
                let changed = try AccountCommands.setFullName(store, name: name, fullName: f["ho-ten"])
                try await app.flash(
                    changed.fullName.map { "Đã ghi họ và tên của tài khoản «\(changed.name)»: \($0)." }
                        ?? "Đã bỏ họ và tên của tài khoản «\(changed.name)»; các trang ghi tên đăng nhập.", ok: true, request, context)
            case "mat-khau":
                let password = f["mat-khau"] ?? ""
                // Typed twice, as on /mat-khau: a slip in a box that hides what is typed would lock the person out.
                guard password == f["nhap-lai"] else {
                    throw AccountStoreError("hai lần nhập mật khẩu mới của «\(name)» không giống nhau")
                }
                let changed = try await app.passwords.runIfActive {
                    try AccountCommands.setPassword(store, name: name, password: password)
                }
                if name == me.name {
                    context.logger.notice("tiendo-web: \(me.name) mat-khau tài khoản '\(name.loggable)'")
                    return try await app.renewSession(
                        after: changed, request, context,
                        flash: "Đã đổi mật khẩu của «\(name)». Các phiên đăng nhập khác của tài khoản này đã kết thúc.", to: "/tai-khoan")
                }
                try await app.flash(
                    "Đã đổi mật khẩu của «\(name)»; người dùng tài khoản đó phải đăng nhập lại bằng mật khẩu mới.", ok: true, request,
                    context)
            case "sao-luu":
                let (ok, message) = try await BackupView.take(app)
                context.logger.notice("tiendo-web: \(me.name) sao lưu dữ liệu: \(message)")
                try await app.flash(message, ok: ok, request, context)
                return .redirect(to: "/tai-khoan")
            case "khoa", "mo-khoa":
                let disable = f["hanh-dong"] == "khoa"
                if disable && name == me.name { throw AccountStoreError("không tự khóa tài khoản đang dùng") }
                try AccountCommands.setDisabled(store, name: name, disable)
                try await app.flash(
                    disable ? "Đã khóa tài khoản «\(name)»." : "Đã mở khóa tài khoản «\(name)».", ok: true, request, context)
            default:
                throw AccountStoreError("không rõ thao tác")
            }
            context.logger.notice("tiendo-web: \(me.name) \((f["hanh-dong"] ?? "").loggable) tài khoản '\(name.loggable)'")
        } catch let e as AccountStoreError {
            let message = PageError.sentence(e.description) + " Không có gì thay đổi."
            if f["hanh-dong"] == "them" {
                // The form again with what was typed (the passwords aside), so that one fix does not mean typing it all.
                let draft = Draft(
                    name: name, fullName: f["ho-ten"] ?? "", role: f.text("vai-tro"), groups: f["chi-bo"] ?? "",
                    anyway: f["chua-co-ho-so"] == "1", passwords: f["mat-khau"] != f["nhap-lai"] || e.description.contains("mật khẩu"))
                let page = Layout.page(
                    title: "Tài khoản", active: "/tai-khoan", context: context, flash: WebSession.Flash(ok: false, message: message),
                    body: try body(context, draft: draft, backups: await BackupView.load(app)))
                return Layout.response(page, status: .unprocessableContent)
            }
            try await app.flash(message, ok: false, request, context)
        }
        return .redirect(to: "/tai-khoan")
    }

    /// The role chosen in a form (adding an account, changing one).
    static func role(_ f: Form) throws -> Role {
        guard let role = f.text("vai-tro").flatMap(Role.init(rawValue:)) else { throw AccountStoreError("hãy chọn vai trò") }
        return role
    }

    /// The chi bộ typed in a form (adding an account, changing one), each a valid name. An account limited to a chi bộ
    /// sees the records of exactly that name: a typo would show it nothing, so a chi bộ no record belongs to is
    /// refused unless «… dù chi bộ chưa có hồ sơ» is ticked. Advice only: with tiendod unreachable the names are taken
    /// as typed, as `tiendo-web user add` takes them.
    func checkedGroups(_ f: Form) async throws -> [String] {
        let groups = AccountsPage.groups(f["chi-bo"])
        if let bad = groups.lazy.compactMap(Account.validGroup).first { throw AccountStoreError(bad) }
        let unknown = (try? await AccountsPage.unknownGroups(app, groups)) ?? []
        if !unknown.isEmpty, f["chua-co-ho-so"] != "1" {
            throw AccountStoreError(AccountsPage.unknownGroupsMessage(unknown))
        }
        return groups
    }

    /// The chi bộ typed in a form's box, one a line or separated by commas. A browser sends a textarea's line breaks
    /// as CR LF, one `Character`: `isNewline`, not "\n". In NFC, as tiendod stores the records' chi bộ (a name typed
    /// with its marks apart is the same name).
    static func groups(_ typed: String?) -> [String] {
        (typed ?? "").split(whereSeparator: { $0.isNewline || $0 == "," }).map { FieldDefinition.composed($0.trimmingSpaces) }
            .filter { !$0.isEmpty }
    }

    /// What an officer typed in the form to add an account, shown again after a refusal.
    struct Draft {
        var name = ""
        var fullName = ""
        var role: String?
        var groups = ""
        var anyway = false
        /// The refusal is about the passwords (not the same twice, too short): their boxes are marked.
        var passwords = false
    }

    /// The chi bộ among `names` that no record belongs to, each with the chi bộ of records it may have meant: the
    /// same name in another letter case, without diacritics or with other spaces («Chi bo Khu dan cu so 1»).
    static func unknownGroups(_ app: WebApp, _ names: [String]) async throws -> [(name: String, meant: String?)] {
        guard !names.isEmpty else { return [] }
        let known = Set(try await app.daemon.call(Extras.Groups(groups: names)).groups.map(\.group))
        let missing = names.filter { !known.contains($0) }
        guard !missing.isEmpty else { return [] }
        let names = try await GroupNames.load(app)
        return missing.map { ($0, names.meant($0)) }
    }

    static func unknownGroupsMessage(_ unknown: [(name: String, meant: String?)]) -> String {
        let list = unknown.map { u in "«\(u.name)»" + (u.meant.map { " (có phải «\($0)»?)" } ?? "") }.joined(separator: ", ")
        return "chưa có hồ sơ nào thuộc \(list); tài khoản chỉ thấy hồ sơ của đúng tên chi bộ đã ghi. "
            + "Hãy sửa tên, hoặc đánh dấu «Vẫn tạo dù chi bộ chưa có hồ sơ» nếu chi bộ chưa có hồ sơ nào"
    }

    func body(_ context: WebContext, draft: Draft = Draft(), backups: BackupView) throws -> HTML {
        let accounts = VietnameseOrder.sorted(try app.accounts.accounts(), by: \.name)
        let me = try context.user
        let rows: [HTML] = accounts.map { a in
            let state: HTML = a.disabled ? "<span class=\"badge bad\">đã khóa</span>" : "<span class=\"badge ok\">đang dùng</span>"
            // No button to lock the account in use: it would be refused.
            let lock: HTML =
                a.name == me.name
                ? .empty
                : """
                <form method="post" class="inline" data-confirm="\(a.disabled ? "Mở khóa" : "Khóa") tài khoản «\(a.name)»?\(a.disabled ? "" : " Người dùng tài khoản này sẽ bị đăng xuất ngay.")">\(Layout.csrf(context))<input type="hidden" name="ten" value="\(a.name)">
                <input type="hidden" name="hanh-dong" value="\(a.disabled ? "mo-khoa" : "khoa")"><button aria-label="\(a.disabled ? "Mở khóa" : "Khóa") tài khoản \(a.name)">\(a.disabled ? "Mở khóa" : "Khóa")</button></form>
                """
            // Role and chi bộ changed in place (a secretary moved to another chi bộ keeps her account and its history).
            let scope: HTML = """
                <details class="scope"><summary>Đổi vai trò, chi bộ…</summary><form method="post" class="inline" data-confirm="Đổi vai trò, chi bộ của tài khoản «\(a.name)»?">\(Layout.csrf(context))<input type="hidden" name="ten" value="\(a.name)">
                <input type="hidden" name="hanh-dong" value="pham-vi"><input type="hidden" name="truoc" value="\(a.scopeMark)"><select name="vai-tro" aria-label="Vai trò của \(a.name)">\(Role.allCases.map { r -> HTML in
                    "<option value=\"\(r.rawValue)\"\(HTML.flag("selected", r == a.role))>\(r.title)</option>"
                })</select>
                <textarea name="chi-bo" rows="2" aria-label="Chi bộ của \(a.name), mỗi dòng một chi bộ; để trống: mọi chi bộ" placeholder="Mỗi dòng một chi bộ; để trống: mọi chi bộ">\(VietnameseOrder.sorted(a.groups).joined(separator: "\n"))</textarea>
                <label class="check"><span>Vẫn đổi dù chi bộ chưa có hồ sơ</span><input type="checkbox" name="chua-co-ho-so" value="1"></label>
                <button aria-label="Lưu vai trò, chi bộ của \(a.name)">Lưu vai trò, chi bộ</button></form></details>
                """
            return """
                <tr><td><b>\(a.name)</b></td><td data-label="Họ và tên"><form method="post" class="inline">\(Layout.csrf(context))<input type="hidden" name="ten" value="\(a.name)">
                <input type="hidden" name="hanh-dong" value="ho-ten"><input name="ho-ten" value="\(a.fullName ?? "")" maxlength="100" aria-label="Họ và tên của \(a.name)" autocomplete="off">
                <button aria-label="Lưu họ và tên của \(a.name)">Lưu</button></form></td><td data-label="Vai trò">\(a.role.title)</td><td data-label="Chi bộ">\(a.groupsText)</td><td>\(state)</td>
                <td class="small">Tạo: \(Format.date(a.created))<br>Sửa: \(Format.date(a.changed))</td>
                <td><details class="password"><summary>Đổi mật khẩu…</summary><form method="post" class="inline">\(Layout.csrf(context))<input type="hidden" name="ten" value="\(a.name)">
                <input type="hidden" name="hanh-dong" value="mat-khau"><input type="password" name="mat-khau" placeholder="Mật khẩu mới" autocomplete="new-password" minlength="8" required aria-label="Mật khẩu mới của \(a.name)">
                <input type="password" name="nhap-lai" placeholder="Nhập lại" autocomplete="new-password" minlength="8" required aria-label="Nhập lại mật khẩu mới của \(a.name)">
                <button aria-label="Đổi mật khẩu của \(a.name)">Đổi mật khẩu</button></form></details>\(scope)\(lock)</td></tr>
                """
        }
        return """
            <h1>Tài khoản</h1>
            <table class="accounts"><thead><tr><th>Tên đăng nhập</th><th>Họ và tên</th><th>Vai trò</th><th>Chi bộ</th><th>Tình trạng</th><th>Ngày tạo / sửa</th><th><span class="sr-only">Thao tác</span></th></tr></thead><tbody>\(rows)</tbody></table>
            <h2>Thêm tài khoản</h2>
            <form method="post" class="filters">\(Layout.csrf(context))<input type="hidden" name="hanh-dong" value="them">
            <label>Tên đăng nhập <input name="ten" required maxlength="64" autocomplete="off" value="\(draft.name)"></label>
            <label>Họ và tên (không bắt buộc) <input name="ho-ten" maxlength="100" autocomplete="off" placeholder="ví dụ: Nguyễn Văn An" value="\(draft.fullName)"></label>
            <label>Vai trò <select name="vai-tro">\(Role.allCases.map { r -> HTML in
                "<option value=\"\(r.rawValue)\"\(HTML.flag("selected", r.rawValue == draft.role))>\(r.title)</option>"
            })</select></label>
            <label>Chi bộ (mỗi dòng một chi bộ; để trống: mọi chi bộ) <textarea name="chi-bo" rows="2">\(draft.groups)</textarea></label>
            <label class="check"><span>Vẫn tạo dù chi bộ chưa có hồ sơ</span><input type="checkbox" name="chua-co-ho-so" value="1"\(HTML.flag("checked", draft.anyway))></label>
            <label>Mật khẩu (ít nhất 8 ký tự) <input type="password" name="mat-khau" minlength="8" required autocomplete="new-password"\(FieldControls.refused(draft.passwords))></label>
            <label>Nhập lại mật khẩu <input type="password" name="nhap-lai" minlength="8" required autocomplete="new-password"\(FieldControls.refused(draft.passwords))></label>
            <button type="submit" class="primary">Thêm</button></form>
            <p class="muted small">Họ và tên sẽ hiện ở đầu trang và trong lịch sử hồ sơ (ai đã ghi việc gì) thay cho tên đăng nhập.</p>
            <p class="muted small">Vai trò: Xem — chỉ xem và tải danh sách; Cán bộ — như Xem, và được đánh dấu việc đã xong, chuyển bước hồ sơ; Quản trị — như Cán bộ, và được nhập hồ sơ từ tệp. Chỉ tài khoản Quản trị phụ trách mọi chi bộ mới được thêm, sửa, khóa tài khoản; Quản trị của một chi bộ thì không.</p>
            \(backups.section)
            <div>\(BackupView.button(context))</div>
            """
    }
}
