import Foundation
import HTTPTypes
import Testing
import TiendoCore
import TiendoVarlink

@testable import TiendoWeb

/// The handlers in process against the real tiendod: sign-in, cookies, CSRF, scopes, an action and its record.
@Suite("tiendo-web's routes against the real daemon", .serialized)
struct RouterTests {
    let daemon: Daemon
    let app: WebApp

    init() throws {
        daemon = try Daemon()
        app = WebApp(
            configuration: WebConfiguration(
                socketPath: daemon.socket, listen: .tcp(host: "127.0.0.1", port: 1), stateDirectory: daemon.dir.path + "/web"),
            throttle: LoginThrottle(now: { 0 }))
        try AccountCommands.add(app.accounts, name: "admin", role: .quanTri, groups: [], password: "mat-khau-quan-tri")
        try AccountCommands.add(app.accounts, name: "ha", role: .canBo, groups: ["Chi bộ 1"], password: "mat-khau-can-bo")
    }

    @Test("pages need a session; signing in needs the form's CSRF cookie and sets a strict, HttpOnly session cookie")
    func signIn() async throws {
        let b = Browser(app)
        let home = try await b.get("/ho-so?quy-trinh=kt")
        #expect(home.status == .seeOther && home.location == "/dang-nhap?tiep=%2Fho-so%3Fquy-trinh%3Dkt")
        let form = try await b.get("/dang-nhap")
        #expect(form.status == .ok && form.body.contains("<html lang=\"vi\">") && form.csrf != nil)
        #expect(form.headers[values: .setCookie].first { $0.hasPrefix("tiendo_dang_nhap=") }?.contains("SameSite=Strict") == true)
        #expect(form.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
        // Without the form's token (a sign-in page left open past its hour): asked again, saying so; not signed in.
        let noToken = try await b.post("/dang-nhap", [("ten", "admin"), ("mat-khau", "mat-khau-quan-tri")])
        #expect(noToken.status == .seeOther && noToken.location == "/dang-nhap?het-phien=het-trang&tiep=%2F")
        let wrong = try await b.post("/dang-nhap", [("_csrf", form.csrf!), ("ten", "admin"), ("mat-khau", "sai-roi-nhe")])
        #expect(wrong.status == .unauthorized && wrong.body.contains("Tên đăng nhập hoặc mật khẩu không đúng."))
        let ok = try await b.post(
            "/dang-nhap", [("_csrf", form.csrf!), ("ten", "admin"), ("mat-khau", "mat-khau-quan-tri"), ("tiep", "/ho-so")])
        #expect(ok.status == .seeOther && ok.location == "/ho-so")
        let cookie = try #require(ok.headers[values: .setCookie].first { $0.hasPrefix("tiendo_phien=") })
        #expect(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/") && !cookie.contains("Secure"))
        // The browser is known from now on (`KnownDevices`): its cookie lasts 180 days, as strict as the session's.
        let known = try #require(ok.headers[values: .setCookie].first { $0.hasPrefix(KnownDevices.cookieName + "=") })
        #expect(known.contains("HttpOnly") && known.contains("SameSite=Strict") && known.contains("Max-Age=15552000"))
        let list = try await b.get("/ho-so?quy-trinh=kt")
        #expect(list.status == .ok && list.body.contains("Nguyễn Thị Hà") && list.body.contains("Lê Thị Cúc"))
        // Behind a TLS proxy the cookie is Secure.
        let tls = Browser(app)
        let form2 = try await tls.get("/dang-nhap", headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
        let secure = try await tls.post(
            "/dang-nhap", [("_csrf", form2.csrf!), ("ten", "admin"), ("mat-khau", "mat-khau-quan-tri")],
            headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
        #expect(secure.headers[values: .setCookie].first { $0.hasPrefix("tiendo_phien=") }?.contains("Secure") == true)
        // Signing out ends the session.
        let out = try await b.post("/dang-xuat", [("_csrf", list.csrf!)])
        let afterOut = try await b.get("/")
        #expect(out.status == .seeOther && afterOut.status == .seeOther)
    }

    @Test("the agenda shows the overdue item; a can-bo marks a milestone done, and history names the person")
    func agendaAndAction() async throws {
        let b = Browser(app)
        #expect((try await b.signIn("ha", "mat-khau-can-bo")).status == .seeOther)
        let agenda = try await b.get("/")
        #expect(agenda.status == .ok && agenda.body.contains("Chờ nộp") && agenda.body.contains("quá 5 ngày"))
        #expect(!agenda.body.contains("Lê Thị Cúc"))  // chi bộ 2 is outside this account's scope
        let page = try await b.get("/ho-so/kt/a1")
        #expect(page.status == .ok && page.body.contains("Xác minh lý lịch"))
        let done = try await b.post("/ho-so/kt/a1", [("_csrf", page.csrf!), ("hanh-dong", "xong"), ("moc", "xac-minh")])
        #expect(done.status == .seeOther && done.location == "/ho-so/kt/a1")
        let after = try await b.get("/ho-so/kt/a1")
        #expect(after.body.contains("Đã ghi nhận hoàn thành «Xác minh lý lịch»."))
        let records = try ManagerClient(socketPath: daemon.socket).history(id: "kt/a1")
        let record = try #require(records.last { $0.kind == .milestoneDone })
        #expect(record.actorName == "ha" && record.milestone == "xac-minh")
        // An event the workflow does not have: said so, and nothing changes.
        let refused = try await b.post("/ho-so/kt/a1", [("_csrf", page.csrf!), ("hanh-dong", "su-kien"), ("su-kien", "khong-co")])
        #expect(refused.status == .seeOther)
        let message = try await b.get("/ho-so/kt/a1")
        #expect(message.body.contains("không có bước «khong-co»: quy trình có thể vừa được sửa sau khi trang này được mở"))
    }

    @Test(
        "outside its chi bộ a can-bo finds no record (404, as for a code nobody has) and no list (403), with a valid token too; a POST without the token is refused"
    )
    func scopesAndCSRF() async throws {
        let b = Browser(app)
        _ = try await b.signIn("ha", "mat-khau-can-bo")
        let own = try await b.get("/ho-so/kt/a1")
        let other = try await b.get("/ho-so/kt/b1")
        let nobody = try await b.get("/ho-so/kt/b9")
        let otherList = try await b.get("/ho-so?chi-bo=" + Filters.percentEncoded("Chi bộ 2"))
        #expect(other.status == .notFound && nobody.status == .notFound && otherList.status == .forbidden)
        // The id as the page names it: the session's CSRF token in both pages is random text that may hold «b1» (one
        // run in a hundred), which a bare «b1» → «b9» would rewrite in one page only.
        #expect(other.body.replacingOccurrences(of: "kt/b1", with: "kt/b9") == nobody.body)
        let post = try await b.post("/ho-so/kt/b1", [("_csrf", own.csrf!), ("hanh-dong", "su-kien"), ("su-kien", "nop")])
        #expect(post.status == .notFound)
        let noToken = try await b.post("/ho-so/kt/a1", [("hanh-dong", "su-kien"), ("su-kien", "nop")])
        #expect(noToken.status == .forbidden)
        // Nor can a page elsewhere change the person's password through the session: the old one still signs in.
        let password = try await b.post(
            "/mat-khau", [("hien-tai", "mat-khau-can-bo"), ("moi", "mat-khau-moi-9"), ("nhap-lai", "mat-khau-moi-9")])
        #expect(password.status == .forbidden)
        #expect((try await Browser(app).signIn("ha", "mat-khau-can-bo")).status == .seeOther)
        #expect((try await Browser(app).get("/mat-khau")).status == .seeOther)
        let client = ManagerClient(socketPath: daemon.socket)
        #expect(try client.getInstance(id: "kt/b1").state == "cho" && client.getInstance(id: "kt/a1").state == "cho")
        let imports = try await b.get("/nhap")
        let accounts = try await b.get("/tai-khoan")
        #expect(imports.status == .forbidden && accounts.status == .forbidden)
        // A disabled account loses its session at its next request.
        try AccountCommands.setDisabled(app.accounts, name: "ha", true)
        let disabled = try await b.get("/ho-so/kt/a1")
        #expect(disabled.status == .seeOther)
        #expect(disabled.headers[.location]?.hasSuffix("&het-phien=khoa") == true, "\(disabled.headers)")
        // Disabled and enabled again before the session's next request: the session still ended, and the sign-in
        // page does not claim that the password changed.
        try AccountCommands.setDisabled(app.accounts, name: "ha", false)
        let again = Browser(app)
        _ = try await again.signIn("ha", "mat-khau-can-bo")
        #expect((try await again.get("/ho-so/kt/a1")).status == .ok)
        try AccountCommands.setDisabled(app.accounts, name: "ha", true)
        try AccountCommands.setDisabled(app.accounts, name: "ha", false)
        let ended = try await again.get("/ho-so/kt/a1")
        #expect(ended.status == .seeOther)
        #expect(ended.headers[.location]?.hasSuffix("&het-phien=mo-lai") == true, "\(ended.headers)")
        // A password set by an administrator (or `tiendo-web user passwd`) ends the person's open sessions.
        let before = Browser(app)
        _ = try await before.signIn("ha", "mat-khau-can-bo")
        #expect((try await before.get("/ho-so/kt/a1")).status == .ok)
        try AccountCommands.setPassword(app.accounts, name: "ha", password: "mat-khau-moi-2")
        #expect((try await before.get("/ho-so/kt/a1")).status == .seeOther)
    }

    @Test("an administrator's own password set on /tai-khoan renews the session: a copy of the old cookie is out")
    func ownPasswordRenewsTheSession() async throws {
        let b = Browser(app)
        _ = try await b.signIn("admin", "mat-khau-quan-tri")
        let page = try await b.get("/tai-khoan")
        let copy = Browser(app)
        copy.cookies = b.cookies
        let set = try await b.post(
            "/tai-khoan",
            [
                ("_csrf", page.csrf!), ("hanh-dong", "mat-khau"), ("ten", "admin"), ("mat-khau", "mat-khau-moi-3"),
                ("nhap-lai", "mat-khau-moi-3"),
            ])
        #expect(set.status == .seeOther && set.location == "/tai-khoan")
        #expect(b.cookies[Sessions.cookieName] != copy.cookies[Sessions.cookieName])
        let after = try await b.get("/tai-khoan")
        #expect(after.status == .ok && after.body.contains("Các phiên đăng nhập khác của tài khoản này đã kết thúc."))
        #expect((try await copy.get("/tai-khoan")).status == .seeOther)
        // Another's password: this session goes on, the message says who must sign in again.
        let other = try await b.post(
            "/tai-khoan",
            [
                ("_csrf", after.csrf!), ("hanh-dong", "mat-khau"), ("ten", "ha"), ("mat-khau", "mat-khau-moi-4"),
                ("nhap-lai", "mat-khau-moi-4"),
            ])
        let said = try await b.get("/tai-khoan")
        #expect(other.status == .seeOther && said.body.contains("phải đăng nhập lại bằng mật khẩu mới"))
    }

    @Test("exports are what the page shows: CSV with BOM, the account's groups only")
    func exports() async throws {
        let b = Browser(app)
        _ = try await b.signIn("admin", "mat-khau-quan-tri")
        let csv = try await b.get("/xuat/ho-so.csv?quy-trinh=kt")
        #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
        #expect(csv.headers[.contentDisposition] == "attachment; filename=\"ho-so-2026-03-02.csv\"")
        let lines = csv.body.dropFirst().split(separator: "\r\n")
        #expect(lines.count == 3 && csv.body.hasPrefix("\u{FEFF}Mã hồ sơ,Tên,Chi bộ"))
        #expect(lines[1].hasPrefix("kt/a1,Nguyễn Thị Hà,Chi bộ 1,Kiểm tra hồ sơ,Chờ nộp,02/03/2026,không,2,"))
        let missing = try await b.get("/xuat/khong-co.csv")
        #expect(missing.status == .notFound)
    }
}
