import Foundation
import NIOSSL
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

    @Test("a TLS failure in words, with what to do: BoringSSL's dump only as its reason code")
    func tlsErrorsInWords() {
        struct Dump: Error, CustomStringConvertible {
            var description: String
        }
        let untrusted = ConnectionErrorText.tls(
            Dump(
                description:
                    "handshakeFailed(NIOSSL.BoringSSLError.sslError([Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at /x/handshake.cc:320]))"
            ))
        #expect(
            untrusted
                == "chứng chỉ TLS của máy chủ không được tin cậy (tự ký, hoặc do một nơi cấp riêng của cơ quan): đặt ca_file của kênh"
                + " trong tệp định tuyến là chứng chỉ của nơi cấp ấy [CERTIFICATE_VERIFY_FAILED]")
        #expect(
            ConnectionErrorText.describe(NIOSSLError.unableToValidateCertificate).hasPrefix("chứng chỉ TLS của máy chủ không được tin cậy"))
        #expect(ConnectionErrorText.describe(NIOSSLExtraError.failedToValidateHostname).contains("không mang tên đã đặt ở host"))
        #expect(ConnectionErrorText.describe(NIOSSLError.uncleanShutdown) == "máy chủ đóng kết nối TLS giữa chừng")
        let other = ConnectionErrorText.tls(Dump(description: "handshakeFailed(… OPENSSL_internal:WRONG_VERSION_NUMBER at …)"))
        #expect(other == "bắt tay TLS với máy chủ không thành công (phiên bản TLS, bộ mã hóa hoặc chứng chỉ) [WRONG_VERSION_NUMBER]")
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
