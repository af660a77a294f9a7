/// Why a send failed, and what to do about it.
///
/// - `transient`: try again later (SMTP 4xx, timeouts, refused or dropped connections, HTTP 5xx, 408 and 429).
/// - `permanent`: dead letter at once (SMTP 5xx to the mail transaction, other HTTP 4xx, sendmail's usage and
///   address errors).
///
/// `scope` says whether the channel or only this message is affected: when the relay is unreachable, refuses the
/// session or rejects the login, no message can pass, so the sender pauses the whole channel (with the same
/// backoff) instead of trying every queued message; the queue then drains in order when the relay is back.
public struct DeliveryFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Class: String, Sendable, Hashable { case transient, permanent }
    public enum Scope: String, Sendable, Hashable { case message, channel }

    public var errorClass: Class
    public var scope: Scope
    /// For operators: what happened, with the server's words (`SMTP 451 4.7.1 Try later (RCPT TO)`).
    public var reason: String
    /// The server asked for this many seconds before a new attempt (HTTP `Retry-After`).
    public var retryAfter: Int64?

    public init(_ errorClass: Class, scope: Scope = .message, _ reason: String, retryAfter: Int64? = nil) {
        self.errorClass = errorClass
        self.scope = scope
        self.reason = reason
        self.retryAfter = retryAfter
    }

    public var description: String { "\(errorClass.rawValue): \(reason)" }
    public var isTransient: Bool { errorClass == .transient }

    /// The phases of an SMTP session; failures before `mail` concern the channel, the rest the message.
    public enum SMTPPhase: String, Sendable, Hashable {
        case connect, greeting, ehlo, starttls, auth, mail = "MAIL FROM", rcpt = "RCPT TO", data = "DATA"
        case message = "end of data"
        case quit = "QUIT"

        var isSession: Bool {
            switch self {
            case .connect, .greeting, .ehlo, .starttls, .auth: true
            default: false
            }
        }
    }

    /// An SMTP reply that is not the expected success: 4xx transient, 5xx permanent (RFC 5321 §4.2.1). In the
    /// session phases (greeting, EHLO, STARTTLS, AUTH) the failure is the channel's: a relay that refuses the
    /// login rejects every message alike, and dead-lettering all of them for an expired password would lose them,
    /// so the channel waits and retries instead.
    ///
    /// The same holds past the session for what concerns the channel's setup rather than the message: every message
    /// goes from the one sender address, so a 5xx to MAIL FROM («Sender address rejected: not owned by user») is
    /// the channel's; and a 5xx to RCPT TO that says the relay will not relay («Relaying denied», «Relay access
    /// denied») rejects every recipient alike. Dead-lettering the queue for either lost it in seconds.
    public static func smtp(code: Int, text: String, phase: SMTPPhase) -> DeliveryFailure {
        let reason = "SMTP \(code) \(text) (\(phase.rawValue))"
        if phase.isSession { return DeliveryFailure(.transient, scope: .channel, reason) }
        let permanent = (500..<600).contains(code)
        if permanent, phase == .mail || (phase == .rcpt && refusesToRelay(text)) {
            return DeliveryFailure(.transient, scope: .channel, reason)
        }
        return DeliveryFailure(permanent ? .permanent : .transient, reason)
    }

    /// Whether a reply says the relay will not relay for this sender at all (its setup), in the words of the usual
    /// relays (Postfix «Relay access denied», Sendmail «Relaying denied», Exim «relay not permitted», Microsoft
    /// «Unable to relay», Google «Mail relay denied», «Relaying not allowed»): «relay» with a refusal. Not any reply
    /// with the word: Postfix's «User unknown in relay recipient table» is one recipient unknown, a message's
    /// failure, and pausing the channel on it held every email behind it.
    static func refusesToRelay(_ text: String) -> Bool {
        let t = text.lowercased()
        guard t.contains("relay"), !t.contains("recipient table") else { return false }
        return ["denied", "not permitted", "not allowed", "unable to relay", "prohibited"].contains { t.contains($0) }
    }

    /// A timeout waiting for the server.
    public static func timeout(_ what: String, seconds: Int64) -> DeliveryFailure {
        DeliveryFailure(.transient, scope: .channel, "hết thời gian chờ \(seconds) giây (\(what))")
    }

    /// Refused, reset or dropped connections, name resolution, TLS handshakes.
    public static func connection(_ reason: String) -> DeliveryFailure {
        DeliveryFailure(.transient, scope: .channel, reason)
    }

    /// An HTTP response: 2xx is success (nil); 408, 429 and 5xx are transient (honouring `Retry-After`), 3xx and
    /// other 4xx permanent (a webhook does not follow redirects: a moved endpoint is a configuration to fix).
    public static func http(status: Int, retryAfter: Int64?, body: String) -> DeliveryFailure? {
        if (200..<300).contains(status) { return nil }
        let reason = "HTTP \(status)" + (body.isEmpty ? "" : ": " + String(body.prefix(200)))
        // The receiver refuses the channel's signature or key: its configuration (a secret rotated on one side), the
        // same for every record, as a refused SMTP login is — dead-lettered at the first try, a whole queue was lost
        // with «HTTP 401: {}» as its only word (audit, 07/12/2026). The channel waits, its records kept.
        if status == 401 || status == 403 {
            return DeliveryFailure(
                .transient, scope: .channel,
                reason + " — bên nhận không chấp nhận chữ ký hoặc khóa của kênh: kiểm tra secret_file (hoặc secret_credential) "
                    + "khớp với khóa bên nhận; kênh tạm dừng, các bản ghi được giữ và gửi lại khi bên nhận chấp nhận",
                retryAfter: retryAfter)
        }
        if status == 408 || status == 429 || status >= 500 {
            // 503 and 429 speak for the whole endpoint; other 5xx may be about this request.
            let scope: Scope = status == 503 || status == 429 ? .channel : .message
            return DeliveryFailure(.transient, scope: scope, reason, retryAfter: retryAfter)
        }
        return DeliveryFailure(.permanent, reason)
    }

    /// A sendmail exit status (sysexits.h). Temporary conditions and a broken local mail setup (EX_UNAVAILABLE,
    /// EX_OSERR, EX_OSFILE, EX_CANTCREAT, EX_IOERR, EX_TEMPFAIL, EX_CONFIG, EX_SOFTWARE) are retried with the
    /// channel paused, and so are a refused login or a protocol error with the relay (EX_NOPERM, EX_PROTOCOL: msmtp's
    /// exits for a wrong password and a relay it cannot talk to, the same for every message); errors about the
    /// message or its address (EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_NOUSER, EX_NOHOST) are permanent. Unknown
    /// statuses are retried. (msmtp, for one, exits with EX_UNAVAILABLE for an SMTP 4xx and EX_DATAERR for a 5xx.)
    /// The reason keeps every line sendmail wrote (msmtp says why, «535 authentication failed», before its last
    /// line «could not send mail»), up to 400 characters.
    public static func sendmail(status: Int32, stderr: String) -> DeliveryFailure? {
        if status == 0 { return nil }
        let names: [Int32: String] = [
            64: "EX_USAGE", 65: "EX_DATAERR", 66: "EX_NOINPUT", 67: "EX_NOUSER", 68: "EX_NOHOST", 69: "EX_UNAVAILABLE",
            70: "EX_SOFTWARE", 71: "EX_OSERR", 72: "EX_OSFILE", 73: "EX_CANTCREAT", 74: "EX_IOERR", 75: "EX_TEMPFAIL",
            76: "EX_PROTOCOL", 77: "EX_NOPERM", 78: "EX_CONFIG",
        ]
        let lines = stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let text = String(lines.joined(separator: " — ").prefix(400))
        let reason = "sendmail thoát với mã \(status)" + (names[status].map { " (\($0))" } ?? "") + (text.isEmpty ? "" : ": " + text)
        switch status {
        case 64, 65, 66, 67, 68: return DeliveryFailure(.permanent, reason)
        default: return DeliveryFailure(.transient, scope: .channel, reason)
        }
    }
}
