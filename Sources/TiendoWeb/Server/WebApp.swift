import Foundation
import Hummingbird
import HummingbirdBcrypt
public import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// Where tiendo-web listens, which daemon it serves, where its accounts live (`tiendo-web serve`'s options).
public struct WebConfiguration: Sendable {
    public enum Listen: Sendable, Equatable {
        case tcp(host: String, port: Int)
        /// For a reverse proxy on the same machine (mode 0666: the sign-in, not the socket, guards the pages).
        case unix(path: String)
    }

    public var socketPath: String
    public var listen: Listen
    public var stateDirectory: String
    /// The Party organisation printed lists come from («Đảng bộ phường Tây Hồ»), at the head of each as Party
    /// documents have it; nil: the chi bộ alone when the list is of one.
    public var organisation: String?
    /// The place name of the printed date line («Tây Hồ, ngày 02 tháng 3 năm 2026»); nil: the date alone.
    public var place: String?
    /// Whom to ask for help, at the foot of every page, the sign-in page's too («Văn phòng Đảng ủy phường, 024 3823
    /// 4567»): a secretary who forgot a password or reads a refusal she does not understand knows whom to call.
    public var contact: String?

    public init(
        socketPath: String, listen: Listen, stateDirectory: String, organisation: String? = nil, place: String? = nil,
        contact: String? = nil
    ) {
        self.socketPath = socketPath
        self.listen = listen
        self.stateDirectory = stateDirectory
        self.organisation = organisation
        self.place = place
        self.contact = contact
    }

    /// `HOST:PORT` (`[::1]:8080` for IPv6) or `unix:PATH`.
    public static func listen(_ text: String) -> Listen? {
        if text.hasPrefix("unix:") { return text.count > 5 ? .unix(path: String(text.dropFirst(5))) : nil }
        if text.hasPrefix("/") { return .unix(path: text) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : .tcp(host: host, port: port)
    }
}

/// tiendo-web: the routes, the services they share, and the server.
public final class WebApp: Sendable {
    public let configuration: WebConfiguration
    let daemon: DaemonGateway
    /// Threads of their own for the files people send and fetch (a workbook inflated and parsed, an export or a
    /// template written): eight uploads at once held every thread of the daemon's pool, and every page that asks
    /// tiendod waited behind them (import audit, 07/12/2026). Two, one per core of a ward's server.
    let files: NIOThreadPool
    /// Threads of their own for bcrypt (a quarter of a second per check or hash, on purpose): a burst of sign-ins —
    /// twenty guesses under way from one address, as the throttle lets them start — held every thread of the daemon's
    /// pool, and every page waited behind them. Two, one per core; sign-ins queue behind each other instead.
    let passwords: NIOThreadPool
    public let accounts: AccountStore
    public let throttle: LoginThrottle
    /// Browsers that signed in before, told apart by the throttle.
    let devices: KnownDevices
    let sessions: Sessions
    let sessionDriver: MemoryPersistDriver<ContinuousClock>
    /// Checked against when a name does not exist, so that a wrong name costs what a wrong password costs.
    let dummyHash: String
    /// Files imported lately, so that the same one sent again is asked about (`ImportPage`).
    let recentImports = RecentImports()
    let sentForms = SentForms()
    let sentSteps = SentSteps()

    public convenience init(configuration: WebConfiguration) { self.init(configuration: configuration, throttle: LoginThrottle()) }

    init(configuration: WebConfiguration, throttle: LoginThrottle) {
        self.configuration = configuration
        daemon = DaemonGateway(socketPath: configuration.socketPath)
        files = NIOThreadPool(numberOfThreads: 2)
        files.start()
        passwords = NIOThreadPool(numberOfThreads: 2)
        passwords.start()
        accounts = AccountStore(directory: configuration.stateDirectory)
        self.throttle = throttle
        devices = KnownDevices(directory: configuration.stateDirectory)
        sessionDriver = MemoryPersistDriver()
        sessions = Sessions(driver: sessionDriver)
        dummyHash = Bcrypt.hash(Sessions.token(), cost: AccountCommands.bcryptCost)
    }

    func router() -> Router<WebContext> {
        let router = Router(context: WebContext.self)
        router.add(middleware: Gatekeeper(sessions: sessions, accounts: accounts, contact: configuration.contact))
        router.get("/tai-nguyen/tiendo.css") { _, _ in WebApp.asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/tai-nguyen/tiendo.js") { _, _ in WebApp.asset(Assets.js, type: "text/javascript; charset=utf-8") }
        let login = LoginPage(app: self)
        router.get("/dang-nhap", use: login.show)
        router.post("/dang-nhap", use: login.submit)
        router.post("/dang-xuat", use: login.signOut)
        router.get("/", use: AgendaPage(app: self).show)
        router.post("/", use: AgendaDone(app: self).submit)
        router.get("/ho-so", use: RecordsPage(app: self).show)
        router.post("/ho-so", use: RecordsEvent(app: self).submit)
        let record = RecordPage(app: self)
        let newRecord = NewRecordPage(app: self)
        router.get(RouterPath(NewRecordPage.path), use: newRecord.show)
        router.post(RouterPath(NewRecordPage.path), use: newRecord.submit)
        router.get("/ho-so/:workflow/:key", use: record.show)
        router.post("/ho-so/:workflow/:key", use: record.act)
        router.get("/lich", use: CalendarPage(app: self).show)
        let imports = ImportPage(app: self)
        router.get("/nhap", use: imports.show)
        router.post("/nhap", use: imports.submit)
        router.get("/nhap/mau.csv", use: imports.template)
        router.get("/nhap/mau.xlsx", use: imports.template)
        let exports = ExportPage(app: self)
        router.get("/xuat", use: exports.show)
        router.get("/xuat/:file", use: exports.download)
        router.get("/tong-quan", use: OverviewPage(app: self).show)
        let deliveries = DeliveriesPage(app: self)
        router.get(RouterPath(DeliveriesPage.path), use: deliveries.show)
        router.post(RouterPath(DeliveriesPage.path), use: deliveries.submit)
        let accountsPage = AccountsPage(app: self)
        router.get("/tai-khoan", use: accountsPage.show)
        let password = PasswordPage(app: self)
        router.get("/mat-khau", use: password.show)
        router.post("/mat-khau", use: password.submit)
        router.post("/tai-khoan", use: accountsPage.submit)
        return router
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Serves until SIGTERM or SIGINT.
    public func run(logger: Logger) async throws {
        try accounts.prepare()
        let address: BindAddress
        switch configuration.listen {
        case .tcp(let host, let port): address = .hostname(host, port: port)
        case .unix(let path):
            unlink(path)
            address = .unixDomainSocket(path: path)
        }
        let listen = configuration.listen
        let app = Application(
            responder: HeadAsGet(inner: router().buildResponder()), configuration: .init(address: address, serverName: "tiendo-web"),
            services: [sessionDriver],
            onServerRunning: { _ in
                if case .unix(let path) = listen { chmod(path, 0o666) }
                logger.notice("tiendo-web: đang phục vụ tại \(WebApp.describe(listen)); tiendod: \(self.configuration.socketPath)")
            }, logger: logger)
        do {
            try await app.runService()
        } catch let e as IOError {
            // NIO's «bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)» said with the address and what
            // to do.
            try? await daemon.shutdown()
            try? await files.shutdownGracefully()
            try? await passwords.shutdownGracefully()
            let why: String
            switch e.errnoCode {
            case EADDRINUSE: why = "địa chỉ đang được một chương trình khác dùng (một tiendo-web khác đang chạy?)"
            case EACCES: why = "không có quyền (cổng dưới 1024 cần quyền root)"
            case EADDRNOTAVAIL: why = "máy này không có địa chỉ đó"
            default: why = "\(e)"
            }
            throw StartError(
                description:
                    "không mở được \(WebApp.describe(listen)): \(why); chọn địa chỉ khác bằng --listen (make run: WEB_LISTEN=127.0.0.1:9090)"
            )
        }
        try await daemon.shutdown()
        try await files.shutdownGracefully()
        try await passwords.shutdownGracefully()
    }

    /// Why the server could not start, in words.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func describe(_ listen: WebConfiguration.Listen) -> String {
        switch listen {
        case .tcp(let host, let port): return host.contains(":") ? "http://[\(host)]:\(port)/" : "http://\(host):\(port)/"
        case .unix(let path): return "unix:\(path)"
        }
    }
}

extension WebApp {
    /// The session's one-time message, cleared as it is shown.
    func takeFlash(_ request: Request, _ context: WebContext) async -> WebSession.Flash? {
        guard var session = context.session, let flash = session.flash else { return nil }
        session.flash = nil
        try? await sessions.update(session, request)
        return flash
    }

    /// After this session's own account changed its password (`changed`, as written): the session is replaced by a
    /// new one, a new id and token with the new password's mark, so that neither the account's other sessions nor a
    /// copy of this one's cookie go on; `flash` is the new session's first message. Returns the redirect to `to`.
    func renewSession(after changed: Account, _ request: Request, _ context: WebContext, flash: String, to: String) async throws
        -> Response
    {
        var response = Response.redirect(to: to)
        _ = await sessions.delete(request, secure: context.secure)
        response.setCookie(
            try await sessions.create(account: changed, secure: context.secure, flash: WebSession.Flash(ok: true, message: flash)))
        // A new password makes the browser's entry worthless: it gets a fresh one, as at signing in.
        if let device = deviceCookie(for: changed, request, context) { response.setCookie(device) }
        return response
    }

    /// The `KnownDevices` cookie after `account` signed in on this browser, or nil (said in the log) when the key
    /// cannot be read or written: signing in goes on, the browser counted as any other.
    func deviceCookie(for account: Account, _ request: Request, _ context: WebContext) -> Cookie? {
        do {
            let value = try devices.renewed(
                request.cookies[KnownDevices.cookieName]?.value, name: account.name.lowercased(), mark: account.sessionMark,
                now: WebApp.unixNow())
            return Sessions.cookie(KnownDevices.cookieName, value, maxAge: KnownDevices.lifetime, secure: context.secure)
        } catch {
            context.logger.warning("tiendo-web: không ghi nhận được trình duyệt đã đăng nhập: \(error)")
            return nil
        }
    }

    /// Seconds since 1970, for the device cookies' dates.
    static func unixNow() -> Int { Int(Date().timeIntervalSince1970) }

    /// A message for the next page of this session (after a POST, the page it redirects to).
    func flash(
        _ message: String, ok: Bool, _ request: Request, _ context: WebContext, typed: [String: String]? = nil, done: String? = nil
    ) async throws {
        guard var session = context.session else { return }
        session.flash = WebSession.Flash(ok: ok, message: message, typed: typed, done: done)
        try await sessions.update(session, request)
    }
}
