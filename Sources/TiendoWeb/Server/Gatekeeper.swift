import HTTPTypes
import Hummingbird
import NIOCore

/// In front of every route: finds the session and its account (a deleted account, or one disabled or whose password
/// changed since the session began, is signed out at its next request), sends anyone not signed in to
/// `/dang-nhap`, reads and CSRF-checks every POST's form before a handler sees it, adds the security headers, and
/// turns errors into Vietnamese pages.
struct Gatekeeper: RouterMiddleware {
    typealias Context = WebContext
    let sessions: Sessions
    let accounts: AccountStore
    /// `WebConfiguration.contact`, for every page's foot.
    let contact: String?

    /// Paths served without signing in.
    static func isPublic(_ path: String) -> Bool { path == "/dang-nhap" || path.hasPrefix("/tai-nguyen/") }

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        context.secure = request.headers[.xForwardedProto]?.lowercased() == "https"
        context.contact = contact
        context.clientAddress = Gatekeeper.clientAddress(peer: context.peerAddress, forwardedFor: request.headers[.xForwardedFor])
        // Every page is read with GET and every form sent with POST: another method is refused as such (405, with
        // the methods taken), not answered «Không có trang» for a page that exists.
        guard request.method == .get || request.method == .post else {
            var refused = ErrorPage.response(
                PageError(
                    .methodNotAllowed, "Kiểu yêu cầu không được nhận",
                    "Trang này chỉ nhận yêu cầu GET (xem) và POST (gửi biểu mẫu), không nhận \(request.method.rawValue.loggable)."),
                context: context)
            refused.headers[.allow] = "GET, HEAD, POST"
            return Gatekeeper.secured(refused)
        }
        var clearCookie = false
        // Why the session ended, when its account says (a password changed, the account disabled or enabled again).
        var endedBy: String?
        do {
            if let session = await sessions.load(request) {
                let account = try accounts.account(named: session.account)
                if let account, !account.disabled, session.accountMark == account.sessionMark {
                    context.account = account
                    context.session = session
                } else {
                    if let account {
                        endedBy =
                            account.disabled
                            ? LoginPage.disabled
                            : account.passwordChanged(since: session.accountMark) ? LoginPage.passwordChanged : LoginPage.reenabled
                    }
                    _ = await sessions.delete(request, secure: context.secure)
                    clearCookie = true
                }
            }
            let path = request.uri.path
            if context.account == nil && !Gatekeeper.isPublic(path) {
                // A form sent after its session ended comes back to the page it was on (each form posts to the
                // address of its page), and the sign-in page says that nothing was done.
                let posted = request.method == .post && path != "/dang-xuat"
                let target = request.method == .get || posted ? request.uri.description : "/"
                let hadSession = clearCookie || request.cookies[Sessions.cookieName] != nil
                // A session ended by a password change or a lock says so on the sign-in page, and whether a form sent
                // was done (never).
                let why =
                    endedBy.map { "&" + LoginPage.endedBy + "=" + $0 + (posted ? "&" + LoginPage.unsentQuery : "") }
                    ?? (posted && hadSession ? "&" + LoginPage.expiredQuery : "")
                var r = Response.redirect(to: "/dang-nhap?tiep=" + Filters.percentEncoded(target) + why)
                if clearCookie { r.setCookie(Sessions.cookie(Sessions.cookieName, "", maxAge: 0, secure: context.secure)) }
                return Gatekeeper.secured(r)
            }
            if request.method == .post {
                let limit = path == "/nhap" ? WebLimits.maxUploadBytes + 64 * 1024 : WebLimits.maxFormBytes
                let body: ByteBuffer
                do { body = try await request.collectBody(upTo: limit) } catch {
                    throw PageError(
                        .contentTooLarge, "Dữ liệu gửi lên quá lớn",
                        path == "/nhap"
                            ? "Tệp lớn hơn \(WebLimits.maxUploadBytes >> 20) MB. Hãy chia thành nhiều tệp nhỏ hơn; chưa nhập gì."
                            : "Biểu mẫu lớn quá mức cho phép; không có gì thay đổi.")
                }
                do { context.form = try Form.parse(contentType: request.headers[.contentType], body: body) } catch {
                    throw PageError.badRequest("Biểu mẫu không đọc được (\(error.reason)); không có gì thay đổi.")
                }
                // The sign-in page left open past its token's hour (over lunch) is shown again, fresh, saying so,
                // rather than a page about an invalid form; the password is typed again either way.
                if path == "/dang-nhap", !Gatekeeper.passesCSRF(context.form["_csrf"], request: request, session: nil, path: path) {
                    let next = LoginPage.safeTarget(context.form["tiep"])
                    return Gatekeeper.secured(
                        .redirect(to: "/dang-nhap?" + LoginPage.staleQuery + "&tiep=" + Filters.percentEncoded(next)))
                }
                try Gatekeeper.checkCSRF(context.form["_csrf"], request: request, session: context.session, path: path)
            }
            return Gatekeeper.secured(try await next(request, context))
        } catch let e as PageError {
            return Gatekeeper.secured(ErrorPage.response(e, context: context))
        } catch let e as HTTPError where e.status == .notFound {
            return Gatekeeper.secured(ErrorPage.response(.notFound("Không có trang '\(request.uri.path)'."), context: context))
        } catch {
            context.logger.error("\(request.method) \(request.uri.path.loggable): \(error)")
            return Gatekeeper.secured(ErrorPage.response(PageError.daemon(error), context: context))
        }
    }

    /// Whether a POST carries the session's token (or, on the sign-in form, the token of its own cookie).
    static func passesCSRF(_ token: String?, request: Request, session: WebSession?, path: String) -> Bool {
        let expected = path == "/dang-nhap" ? request.cookies[Sessions.loginCookieName]?.value : session?.csrf
        guard let token, let expected, !expected.isEmpty else { return false }
        return constantTimeEqual(token, expected)
    }

    /// A POST must carry the session's token (or, on the sign-in form, the token of its own cookie).
    static func checkCSRF(_ token: String?, request: Request, session: WebSession?, path: String) throws(PageError) {
        guard passesCSRF(token, request: request, session: session, path: path) else {
            throw PageError(
                .forbidden, "Biểu mẫu không hợp lệ",
                "Trang đã mở quá lâu hoặc biểu mẫu không hợp lệ. Hãy tải lại trang (F5) rồi làm lại; chưa có gì được lưu.")
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var d: UInt8 = 0
        for i in 0..<x.count { d |= x[i] ^ y[i] }
        return d == 0
    }

    /// The address login throttling counts: the last `X-Forwarded-For` hop when a local proxy forwarded the
    /// request (the hop that proxy added), else the peer.
    static func clientAddress(peer: String?, forwardedFor: String?) -> String {
        let local = peer == nil || peer == "127.0.0.1" || peer == "::1"
        if local, let forwarded = forwardedFor?.split(separator: ",").last?.trimmingSpaces, !forwarded.isEmpty { return forwarded }
        return peer ?? "unix"
    }

    static func secured(_ response: Response) -> Response {
        var r = response
        r.headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        r.headers[.xContentTypeOptions] = "nosniff"
        r.headers[.xFrameOptions] = "DENY"
        r.headers[.referrerPolicy] = "same-origin"
        if r.headers[.cacheControl] == nil { r.headers[.cacheControl] = "no-store" }
        return r
    }
}

extension HTTPField.Name {
    static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
