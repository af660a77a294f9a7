import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import TiendoCore
import TiendoDelivery

/// One SMTP connection to the relay (RFC 5321), open for several messages: greeting, EHLO, STARTTLS (RFC 3207) or
/// implicit TLS (RFC 8314), AUTH PLAIN or LOGIN (RFC 4954), then per message MAIL, RCPT, DATA. Every wait for the
/// server has the channel's timeout; a timeout closes the connection. Written on swift-nio and swift-nio-ssl
/// because no SMTP client exists in the Swift package set.
final class SMTPSession: Sendable {
    let channel: any Channel
    let timeout: Int64
    /// The reply handler, held here rather than looked up in the pipeline at each command: a relay that answers and
    /// closes at once empties the pipeline, and its reply (a message's 250) must still be read, not taken for a
    /// connection lost before the answer, which sent the message again.
    private let replies: NIOLoopBound<SMTPReplyHandler>
    /// Messages sent on this connection (a used connection is reset before the next message), and when.
    let usage = Mutex<(count: Int, last: ContinuousClock.Instant)>((0, .now))
    /// An exchange ended without a reply (the connection closed, reset or timed out).
    private let lost = Mutex(false)

    private init(channel: any Channel, replies: NIOLoopBound<SMTPReplyHandler>, timeout: Int64) {
        self.channel = channel
        self.replies = replies
        self.timeout = timeout
    }

    /// Seconds since the connection last carried a message.
    var idleSeconds: Double {
        let d = ContinuousClock.now - usage.withLock { $0.last }
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    var isOpen: Bool { channel.isActive }

    /// Connects and gets the session ready for mail: greeting, EHLO, TLS, login.
    static func open(
        _ def: ChannelDefinition, tls: NIOSSLContext?, helo: String, password: String?, group: any EventLoopGroup
    ) async throws -> SMTPSession {
        guard let host = def.host, let port = def.port else {
            throw DeliveryFailure(.transient, scope: .channel, "kênh \(def.name) thiếu máy chủ")
        }
        let sniHost = ChannelDefinition.isIPAddress(host) ? nil : host
        let implicit = def.security == .tls ? tls : nil
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(def.timeout))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    if let implicit {
                        try ch.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: implicit, serverHostname: sniHost))
                    }
                    try ch.pipeline.syncOperations.addHandler(SMTPReplyHandler())
                }
            }
        let ch: any Channel
        do {
            ch = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw DeliveryFailure.connection("không kết nối được \(host):\(port): \(ConnectionErrorText.describe(error))")
        }
        let replies: NIOLoopBound<SMTPReplyHandler>
        do {
            replies = try await ch.eventLoop.submit {
                NIOLoopBound(try ch.pipeline.syncOperations.handler(type: SMTPReplyHandler.self), eventLoop: ch.eventLoop)
            }.get()
        } catch {
            ch.close(promise: nil)
            throw SMTPSession.withSecurityHint(DeliveryFailure.connection("kết nối SMTP đã đóng"), def, port: port)
        }
        let s = SMTPSession(channel: ch, replies: replies, timeout: def.timeout)
        do {
            do { try await s.expect(.greeting, nil) } catch { throw SMTPSession.withSecurityHint(error, def, port: port) }
            var ehlo = try await s.hello(helo)
            if def.security == .starttls {
                guard ehlo.extensions.contains("STARTTLS") else {
                    throw DeliveryFailure(.transient, scope: .channel, "máy chủ \(host) không hỗ trợ STARTTLS")
                }
                try await s.expect(.starttls, "STARTTLS")
                guard let tls else { throw DeliveryFailure(.transient, scope: .channel, "thiếu cấu hình TLS") }
                try await s.startTLS(tls, serverHostname: sniHost)
                ehlo = try await s.hello(helo)
            }
            if let user = def.username, let password {
                try await s.login(user: user, password: password, extensions: ehlo.extensions)
            }
        } catch {
            s.close()
            throw error
        }
        return s
    }

    /// A connection that closes or stays silent before the greeting is, more often than not, `security` not matching
    /// the port: implicit TLS (465) spoken to a STARTTLS port (587) closes at once, STARTTLS waiting for a greeting on
    /// a TLS port times out. Said with the failure, the two commonest relay mistakes read «kết nối SMTP đã đóng» and
    /// «hết thời gian chờ (SMTP greeting)» alone (audit, 07/12/2026).
    static func withSecurityHint(_ error: any Error, _ def: ChannelDefinition, port: Int) -> any Error {
        // Not for a reply the relay gave («SMTP 554 …»): it spoke, so the security matched.
        guard var failure = error as? DeliveryFailure, failure.scope == .channel, !failure.reason.hasPrefix("SMTP ") else { return error }
        // Only the mismatch's own signs: a TLS record read as plain text (WRONG_VERSION_NUMBER) or a connection closed
        // at once for implicit TLS, a silent greeting for the others. Not an untrusted certificate: that is `ca_file`.
        let closed = failure.reason.contains("WRONG_VERSION_NUMBER") || failure.reason.contains("đã đóng")
        let silent = failure.reason.contains("(SMTP greeting)")
        switch def.security {
        case .tls:
            guard closed else { return error }
            failure.reason +=
                " — nếu cổng \(port) dùng STARTTLS (thường là cổng 587) thì đặt security: starttls cho kênh \(def.name)"
        case .starttls, .none:
            guard silent else { return error }
            failure.reason +=
                " — nếu cổng \(port) dùng TLS ngay từ đầu (thường là cổng 465) thì đặt security: tls cho kênh \(def.name)"
        }
        return failure
    }

    func hello(_ name: String) async throws -> SMTPReply {
        try await command("EHLO \(name)", phase: .ehlo)
    }

    /// Sends a command (or nothing, for the greeting) and waits for the reply; a reply that is not positive is
    /// a `DeliveryFailure` classified by its code and phase.
    @discardableResult
    func command(_ line: String?, phase: DeliveryFailure.SMTPPhase, timeout: Int64? = nil) async throws -> SMTPReply {
        try await exchange(line.map { ByteBuffer(string: $0 + "\r\n") }, phase: phase, timeout: timeout)
    }

    /// Writes `bytes` (a command, a message's data; nothing for the greeting) and waits for the reply, all within the
    /// timeout: the wait is registered before the write, so a reply that comes at once is never missed, and a relay
    /// that stops reading a long message's data is given up on like one that does not answer.
    @discardableResult
    func exchange(_ bytes: ByteBuffer?, phase: DeliveryFailure.SMTPPhase, timeout: Int64? = nil) async throws -> SMTPReply {
        let seconds = timeout ?? self.timeout
        let ch = channel
        let replies = self.replies
        let reply: SMTPReply
        do {
            reply = try await ch.eventLoop.flatSubmit { () -> EventLoopFuture<SMTPReply> in
                let promise = ch.eventLoop.makePromise(of: SMTPReply.self)
                replies.value.expect(on: ch.eventLoop).cascade(to: promise)
                if let bytes {
                    ch.writeAndFlush(bytes).whenFailure { error in
                        promise.fail(DeliveryFailure.connection("lỗi gửi tới máy chủ SMTP: \(ConnectionErrorText.describe(error))"))
                    }
                }
                let timer = ch.eventLoop.scheduleTask(in: .seconds(seconds)) {
                    promise.fail(DeliveryFailure.timeout("SMTP \(phase.rawValue)", seconds: seconds))
                    ch.close(promise: nil)
                }
                promise.futureResult.whenComplete { _ in timer.cancel() }
                return promise.futureResult
            }.get()
        } catch let f as DeliveryFailure {
            lost.withLock { $0 = true }
            throw f
        } catch {
            lost.withLock { $0 = true }
            throw DeliveryFailure.connection("lỗi kết nối SMTP (\(phase.rawValue)): \(ConnectionErrorText.describe(error))")
        }
        guard reply.isPositive else { throw DeliveryFailure.smtp(code: reply.code, text: reply.text, phase: phase) }
        return reply
    }

    func expect(_ phase: DeliveryFailure.SMTPPhase, _ line: String?) async throws { try await command(line, phase: phase) }

    /// Puts TLS under the reply handler, refusing if the server sent anything after its 220 (injection).
    func startTLS(_ context: NIOSSLContext, serverHostname: String?) async throws {
        let ch = channel
        do {
            let replies = self.replies
            try await ch.eventLoop.submit {
                let handler = replies.value
                guard !handler.parser.hasPendingBytes, handler.early.isEmpty else {
                    throw DeliveryFailure(.transient, scope: .channel, "máy chủ gửi dữ liệu trước khi bắt đầu TLS")
                }
                try ch.pipeline.syncOperations.addHandler(
                    try NIOSSLClientHandler(context: context, serverHostname: serverHostname), position: .first)
            }.get()
        } catch let f as DeliveryFailure {
            throw f
        } catch {
            throw DeliveryFailure.connection("không bắt đầu được TLS: \(error)")
        }
    }

    /// AUTH PLAIN when offered, else AUTH LOGIN (both only ever run over TLS: the routing file refuses a password
    /// with `security: none`).
    func login(user: String, password: String, extensions: [String]) async throws {
        let mechanisms = Set(
            extensions.filter { $0.hasPrefix("AUTH") }.flatMap {
                $0.split(whereSeparator: { $0 == " " || $0 == "=" }).dropFirst().map(String.init)
            })
        func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
        if mechanisms.contains("PLAIN") {
            try await command("AUTH PLAIN " + b64("\0\(user)\0\(password)"), phase: .auth)
        } else if mechanisms.contains("LOGIN") {
            try await command("AUTH LOGIN", phase: .auth)
            try await command(b64(user), phase: .auth)
            try await command(b64(password), phase: .auth)
        } else {
            throw DeliveryFailure(.transient, scope: .channel, "máy chủ không nhận đăng nhập PLAIN hay LOGIN")
        }
    }

    /// A kept connection found closed before the message's data went out (the relay closed it while it rested, or
    /// as it answered the last message): nothing of the message was sent, and it goes on a new connection rather than
    /// counting as the channel failing.
    struct Stale: Error {
        let failure: any Error
    }

    /// One message: MAIL, RCPT, DATA and the dot-stuffed body. Returns the relay's final reply (its queue id).
    func send(_ m: MailMessage) async throws -> String {
        let count = usage.withLock { u in
            defer { u = (u.count + 1, .now) }
            return u.count
        }
        do {
            if count > 0 { try await command("RSET", phase: .mail) }
            try await command("MAIL FROM:<\(m.envelopeFrom)>", phase: .mail)
            try await command("RCPT TO:<\(m.envelopeTo)>", phase: .rcpt)
            try await command("DATA", phase: .data)
        } catch {
            guard count > 0, lost.withLock({ $0 }) || !isOpen else { throw error }
            throw Stale(failure: error)
        }
        let reply = try await sendData(SMTPSession.dotStuffed(m.bytes))
        return "\(reply.code) \(reply.text)"
    }

    func sendData(_ bytes: [UInt8]) async throws -> SMTPReply {
        try await exchange(ByteBuffer(bytes: bytes), phase: .message)
    }

    /// RFC 5321 §4.5.2: a line starting with "." gets another; the data ends with CRLF.CRLF.
    static func dotStuffed(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var lineStart = true
        for b in bytes {
            if lineStart, b == UInt8(ascii: ".") { out.append(b) }
            out.append(b)
            lineStart = b == 10
        }
        if !lineStart { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return out
    }

    /// QUIT, politely, without waiting long.
    func quit() async {
        _ = try? await command("QUIT", phase: .quit, timeout: min(timeout, 5))
        close()
    }

    func close() { channel.close(promise: nil) }
}
