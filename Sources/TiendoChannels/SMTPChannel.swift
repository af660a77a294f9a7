public import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
public import TiendoCore
public import TiendoDelivery

/// Email through an SMTP relay. Connections are kept for the next message (one per worker at most) and opened
/// again when the relay closed them or after a minute of rest.
public final class SMTPChannel: DeliveryChannel {
    public let definition: ChannelDefinition
    let helo: String
    let tls: NIOSSLContext?
    let group: any EventLoopGroup
    let idle = Mutex<[SMTPSession]>([])
    static let maxIdleSeconds = 60.0

    /// `helo` is the name given in EHLO (the channel's `helo`, else the routing file's message host).
    public init(_ definition: ChannelDefinition, helo: String, group: any EventLoopGroup) throws {
        self.definition = definition
        self.helo = definition.helo ?? helo
        self.group = group
        if definition.security == .none {
            tls = nil
        } else {
            var config = TLSConfiguration.makeClientConfiguration()
            if let ca = definition.caFile { config.trustRoots = .file(ca) }
            tls = try NIOSSLContext(configuration: config)
        }
    }

    public func send(_ payload: Payload, now: Instant) async throws -> String? {
        guard case .email(let message) = payload else {
            throw DeliveryFailure(.permanent, "kênh SMTP chỉ gửi thư")
        }
        var session = try await checkOut()
        do {
            let reply: String
            do {
                reply = try await session.send(message)
            } catch is SMTPSession.Stale {
                // Closed by the relay while kept, before anything of this message went: once more on a new one.
                session.close()
                session = try await open()
                reply = try await session.send(message)
            }
            idle.withLock { $0.append(session) }
            return reply
        } catch let f as DeliveryFailure where f.scope == .message && session.isOpen {
            // The relay refused this message but the connection is fine: keep it for the next one.
            idle.withLock { $0.append(session) }
            throw f
        } catch {
            session.close()
            throw error
        }
    }

    /// A kept connection that is still open and fresh, or a new one.
    func checkOut() async throws -> SMTPSession {
        while let s = idle.withLock({ $0.popLast() }) {
            if s.isOpen, s.idleSeconds < SMTPChannel.maxIdleSeconds { return s }
            await s.quit()
        }
        return try await open()
    }

    /// A new connection, ready for mail.
    func open() async throws -> SMTPSession {
        let password = try definition.password.map { source throws(DeliveryFailure) in try Secrets.read(source) }
        return try await SMTPSession.open(definition, tls: tls, helo: helo, password: password, group: group)
    }

    public func shutdown() async {
        for s in idle.withLock({ sessions in
            defer { sessions = [] }; return sessions
        }) { await s.quit() }
    }
}
