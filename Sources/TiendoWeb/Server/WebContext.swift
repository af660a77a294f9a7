import Hummingbird
import NIOCore

/// The per-request state of tiendo-web: who is signed in, the submitted form, and how the client reached us.
struct WebContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The TCP peer's address (nil over a Unix socket).
    var peerAddress: String?
    /// Where throttling counts the client: the peer, or the last `X-Forwarded-For` hop when the peer is a local
    /// reverse proxy (loopback or the Unix socket).
    var clientAddress = "?"
    /// The request came over TLS through a proxy (`X-Forwarded-Proto: https`): cookies get `Secure`.
    var secure = false
    var account: Account?
    var session: WebSession?
    /// A POST's fields and files, read and CSRF-checked by `Gatekeeper` before the handler runs.
    var form = Form()
    /// Whom to ask for help (`WebConfiguration.contact`), set by `Gatekeeper` for the page's foot.
    var contact: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The signed-in account; pages behind `Gatekeeper` always have one.
    var user: Account {
        get throws(PageError) {
            guard let account else { throw PageError(.unauthorized, "Cần đăng nhập", "Phiên làm việc đã hết; hãy đăng nhập lại.") }
            return account
        }
    }

    /// Uploads of up to 10 MiB (plus the form around them).
    var maxUploadSize: Int { WebLimits.maxUploadBytes + 64 * 1024 }
}

/// Sizes and counts pages keep to.
enum WebLimits {
    /// The largest CSV accepted by `/nhap` (also the largest POST body, with 64 KiB of form around it).
    static let maxUploadBytes = 10 << 20
    /// The largest body of any other POST.
    static let maxFormBytes = 256 << 10
    /// Rows per page of `/ho-so`.
    static let listPage = 50
    /// Items per page of `/`.
    static let agendaPage = 200
    /// Rows of an export file at most (the page says so when a selection is larger).
    static let exportRows = 50_000
}
