import NIOCore
import TiendoDelivery

/// One SMTP reply (RFC 5321 §4.2): a code and its lines (`250-…` continued, `250 …` last).
struct SMTPReply: Sendable, Hashable {
    var code: Int
    var lines: [String]

    var text: String { lines.joined(separator: " / ") }
    var isPositive: Bool { (200..<400).contains(code) }
    /// EHLO keywords, upper-cased (`STARTTLS`, `AUTH PLAIN LOGIN`, …): every line but the first.
    var extensions: [String] { lines.dropFirst().map { $0.uppercased() } }
}

/// Reads reply lines into replies. Hand-written: no SMTP library exists in the Swift package set, and swift-nio's
/// line decoders do not tell a reply apart from the bytes that follow it, which matters at STARTTLS (bytes sent
/// before the TLS handshake must not be taken as replies after it, CVE-2011-0411).
struct SMTPReplyParser {
    var pending: [UInt8] = []
    var lines: [String] = []

    enum Problem: Error, Equatable { case malformed(String), tooLong }

    /// Feeds bytes; returns the replies completed by them.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws(Problem) -> [SMTPReply] {
        pending.append(contentsOf: bytes)
        var out: [SMTPReply] = []
        while let nl = pending.firstIndex(of: 10) {
            var line = Array(pending[..<nl])
            pending.removeSubrange(...nl)
            if line.last == 13 { line.removeLast() }
            if let r = try take(line) { out.append(r) }
        }
        // RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; be lenient, but not unbounded.
        if pending.count > 4096 { throw .tooLong }
        return out
    }

    /// Unread bytes after the last complete reply.
    var hasPendingBytes: Bool { !pending.isEmpty || !lines.isEmpty }

    mutating func take(_ line: [UInt8]) throws(Problem) -> SMTPReply? {
        let text = String(decoding: line, as: UTF8.self)
        guard line.count >= 3, line[0...2].allSatisfy({ $0 >= 48 && $0 <= 57 }), let code = Int(String(text.prefix(3))),
            line.count == 3 || line[3] == 32 || line[3] == 45
        else { throw .malformed(String(text.prefix(80))) }
        lines.append(line.count > 4 ? String(text.dropFirst(4)) : "")
        if line.count > 3, line[3] == 45 { return nil }
        defer { lines = [] }
        return SMTPReply(code: code, lines: lines)
    }
}

/// The pipeline's last handler: turns bytes into replies and hands each to the oldest waiting request.
final class SMTPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var parser = SMTPReplyParser()
    var waiting = CircularBuffer<EventLoopPromise<SMTPReply>>()
    /// Replies no request waits for yet (the greeting can arrive before anyone asks for it).
    var early = CircularBuffer<SMTPReply>()
    var failure: (any Error)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            for reply in try parser.feed(buffer.readableBytesView) {
                if let p = waiting.popFirst() { p.succeed(reply) } else { early.append(reply) }
            }
        } catch {
            fail(DeliveryFailure.connection("máy chủ SMTP trả lời sai giao thức: \(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(DeliveryFailure.connection("máy chủ SMTP đóng kết nối"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(DeliveryFailure.connection("lỗi kết nối SMTP: \(ConnectionErrorText.describe(error))"))
        context.close(promise: nil)
    }

    func fail(_ error: any Error) {
        if failure == nil { failure = error }
        while let p = waiting.popFirst() { p.fail(error) }
    }

    /// The next reply, already received or still to come.
    func expect(on loop: any EventLoop) -> EventLoopFuture<SMTPReply> {
        if let r = early.popFirst() { return loop.makeSucceededFuture(r) }
        if let failure { return loop.makeFailedFuture(failure) }
        let p = loop.makePromise(of: SMTPReply.self)
        waiting.append(p)
        return p.futureResult
    }
}
