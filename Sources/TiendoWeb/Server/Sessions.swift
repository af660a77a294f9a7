import Foundation
import Hummingbird
import HummingbirdAuth

/// What a signed-in browser's session holds (server side; the cookie carries only its random id).
struct WebSession: Codable, Sendable {
    /// The account name.
    var account: String
    /// The CSRF token every form of this session carries in `_csrf`.
    var csrf: String
    /// A message for the next page (after a POST, the redirected GET shows it once).
    var flash: Flash?
    /// The account's `sessionMark` when the session began: once the password changes or the account is disabled, the
    /// session ends (the session that changed its own password is renewed with the new mark).
    var accountMark: String?

    struct Flash: Codable, Sendable {
        var ok: Bool
        var message: String
        /// What a refused step's form held (`su-kien`: the event; a field's name: its value), shown in it again so
        /// that a clerk corrects a number rather than types the vote again.
        var typed: [String: String]? = nil
        /// What was done alongside a refusal (the agenda's ticked items, some recorded, some refused): shown first,
        /// as done, so that nobody takes the refusal for the whole.
        var done: String? = nil
    }
}

/// Server-side sessions on hummingbird-auth's `SessionStorage` (32 random bytes per id, kept in memory: a restart
/// signs everyone out), with cookies tiendo-web writes itself: `HttpOnly`, `SameSite=Strict`, `Path=/`, and
/// `Secure` when the request came over TLS.
struct Sessions: Sendable {
    static let cookieName = "tiendo_phien"
    /// The login form's CSRF cookie (double submit: no session exists yet).
    static let loginCookieName = "tiendo_dang_nhap"
    /// How long a session lasts without signing in again.
    static let lifetime: Duration = .seconds(12 * 3600)

    let storage: SessionStorage<WebSession>

    init(driver: any PersistDriver) {
        storage = SessionStorage(driver, configuration: .init(sessionCookieParameters: .init(name: Sessions.cookieName)))
    }

    /// 32 random bytes, URL-safe base64.
    static func token() -> String {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
        return base64URL(Data(bytes))
    }

    /// URL-safe base64 without padding: fit for a cookie's value and an address.
    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func load(_ request: Request) async -> WebSession? {
        try? await storage.load(request: request)
    }

    /// A new session for `account` (a new id: signing in never keeps an id from before) and its cookie, with a
    /// message for its first page when given.
    func create(account: Account, secure: Bool, flash: WebSession.Flash? = nil) async throws -> Cookie {
        let session = WebSession(account: account.name, csrf: Sessions.token(), flash: flash, accountMark: account.sessionMark)
        let stored = try await storage.save(session: session, expiresIn: Sessions.lifetime)
        return Sessions.cookie(Sessions.cookieName, stored.value, maxAge: Int(Sessions.lifetime.components.seconds), secure: secure)
    }

    func update(_ session: WebSession, _ request: Request) async throws {
        try await storage.update(session: session, expiresIn: nil, request: request)
    }

    /// Ends the session; returns the cookie that clears it in the browser.
    func delete(_ request: Request, secure: Bool) async -> Cookie {
        _ = try? await storage.delete(request: request)
        return Sessions.cookie(Sessions.cookieName, "", maxAge: 0, secure: secure)
    }

    static func cookie(_ name: String, _ value: String, maxAge: Int?, secure: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
