import Foundation
import Testing
import TiendoDelivery

@testable import TiendoChannels

@Suite struct ChannelTests {
    @Test func smtpRepliesAcrossReadsAndLines() throws {
        var p = SMTPReplyParser()
        #expect(try p.feed(Array("220 mail.example.vn ESMTP re".utf8)).isEmpty)
        #expect(p.hasPendingBytes)
        let greeting = try p.feed(Array("ady\r\n250-mail.example.vn\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n".utf8))
        #expect(
            greeting == [
                SMTPReply(code: 220, lines: ["mail.example.vn ESMTP ready"]),
                SMTPReply(code: 250, lines: ["mail.example.vn", "STARTTLS", "AUTH PLAIN LOGIN", "8BITMIME"]),
            ])
        #expect(greeting[1].extensions == ["STARTTLS", "AUTH PLAIN LOGIN", "8BITMIME"])
        #expect(!p.hasPendingBytes)
        #expect(try p.feed(Array("354\n".utf8)) == [SMTPReply(code: 354, lines: [""])])
        #expect(throws: SMTPReplyParser.Problem.malformed("HTTP/1.1 400 Bad Request")) {
            try p.feed(Array("HTTP/1.1 400 Bad Request\r\n".utf8))
        }
        var q = SMTPReplyParser()
        #expect(throws: SMTPReplyParser.Problem.tooLong) { try q.feed([UInt8](repeating: 65, count: 5000)) }
    }

    @Test("a connection's system errors in words, the system's text kept for a search")
    func connectionErrorsInWords() {
        #expect(ConnectionErrorText.errno(ECONNREFUSED) == "máy chủ từ chối kết nối (không có dịch vụ nào ở cổng này) [Connection refused]")
        #expect(ConnectionErrorText.errno(EHOSTUNREACH).hasPrefix("không tới được máy chủ"))
    }

    @Test func dotStuffing() {
        let body = Array("Subject: x\r\n\r\n.hidden line\r\n..two\r\nend.\r\n.".utf8)
        #expect(
            String(decoding: SMTPSession.dotStuffed(body), as: UTF8.self)
                == "Subject: x\r\n\r\n..hidden line\r\n...two\r\nend.\r\n..\r\n.\r\n")
        #expect(String(decoding: SMTPSession.dotStuffed(Array(".a\r\n".utf8)), as: UTF8.self) == "..a\r\n.\r\n")
    }

    /// The Standard Webhooks specification's own example.
    @Test func webhookSignatureMatchesTheStandardWebhooksExample() {
        let sig = WebhookSignature.sign(
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSignature.key(fromSecret: "plain secret") == Array("plain secret".utf8))
    }

    @Test func secretsFromFilesAndCredentials() throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("tiendo-secrets-\(getpid())")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "mật khẩu\n".write(toFile: dir + "/smtp-password", atomically: true, encoding: .utf8)
        #expect(try Secrets.read(.file(dir + "/smtp-password")) == "mật khẩu")
        #expect(try Secrets.read(.credential("smtp-password"), environment: ["CREDENTIALS_DIRECTORY": dir]) == "mật khẩu")
        #expect(throws: DeliveryFailure.self) { try Secrets.read(.credential("smtp-password"), environment: [:]) }
        #expect(throws: DeliveryFailure.self) { try Secrets.read(.file(dir + "/missing")) }
    }
}
