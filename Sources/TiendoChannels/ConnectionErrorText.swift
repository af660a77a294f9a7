import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// What went wrong with a connection, in the words an operator reads in `tiendoctl deliveries` and the journal.
/// SwiftNIO's own descriptions («Connection errors: SingleConnectionFailure(target: [IPv4]…, error: connection reset
/// (error set): Connection refused) (errno: 111))») said «reset» for a refused connection, in English, on every
/// retry; the system's error is kept at the end, in brackets, for a search.
enum ConnectionErrorText {
    static func describe(_ error: any Error) -> String {
        if let e = error as? NIOConnectionError {
            // Each address tried, once per distinct cause: an IPv6 address the sandbox refuses must not hide the
            // IPv4 one's refusal (and send the operator to IPAddressAllow= for nothing).
            var said: [String] = []
            for failure in e.connectionErrors {
                let text = "\(failure.target.ipAddress ?? "?"): \(describe(failure.error))"
                if !said.contains(text) { said.append(text) }
            }
            if !said.isEmpty { return said.count == 1 ? describe(e.connectionErrors[0].error) : said.joined(separator: "; ") }
            if e.dnsAError != nil || e.dnsAAAAError != nil { return "không tìm được địa chỉ của máy chủ (tên miền, DNS)" }
            return "không kết nối được"
        }
        if let e = error as? IOError { return errno(e.errnoCode) }
        if let e = error as? ChannelError {
            switch e {
            case .connectTimeout(let t): return "quá \(t.nanoseconds / 1_000_000_000) giây mà chưa kết nối được"
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed: return "máy chủ đã đóng kết nối"
            default: return "lỗi kết nối (\(e))"
            }
        }
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout: return "quá thời gian chờ kết nối"
            case .remoteConnectionClosed: return "máy nhận đã đóng kết nối trước khi trả lời"
            case .readTimeout, .deadlineExceeded: return "quá thời gian chờ trả lời"
            default: return "lỗi HTTP (\(e))"
            }
        }
        if error is NIOSSLError || error is NIOSSLExtraError { return tls(error) }
        return String(describing: error)
    }

    /// A TLS failure: BoringSSL's own text («handshakeFailed(… error:1000007d:SSL routines:OPENSSL_internal:
    /// CERTIFICATE_VERIFY_FAILED at …/handshake.cc:320)») said what to do about it, with its reason code kept.
    static func tls(_ error: any Error) -> String {
        let text = String(describing: error)
        // BoringSSL's reason, the last `:`-separated word of its `error:…` item: CERTIFICATE_VERIFY_FAILED.
        let reason = text.components(separatedBy: "OPENSSL_internal:").dropFirst().first?
            .prefix { $0.isUppercase || $0.isNumber || $0 == "_" }.description
        let code = reason.map { " [\($0)]" } ?? ""
        if text.contains("CERTIFICATE_VERIFY_FAILED") || (error as? NIOSSLError) == .unableToValidateCertificate {
            return "chứng chỉ TLS của máy chủ không được tin cậy (tự ký, hoặc do một nơi cấp riêng của cơ quan): đặt ca_file"
                + " của kênh trong tệp định tuyến là chứng chỉ của nơi cấp ấy\(code)"
        }
        if let e = error as? NIOSSLExtraError, e == .failedToValidateHostname {
            return "chứng chỉ TLS của máy chủ không mang tên đã đặt ở host của kênh: đặt host đúng tên ghi trên chứng chỉ"
        }
        if let e = error as? NIOSSLError, e == .uncleanShutdown { return "máy chủ đóng kết nối TLS giữa chừng" }
        return "bắt tay TLS với máy chủ không thành công (phiên bản TLS, bộ mã hóa hoặc chứng chỉ)\(code)"
    }

    /// A system error of a connection.
    static func errno(_ code: Int32) -> String {
        let said: String
        switch code {
        case ECONNREFUSED: said = "máy chủ từ chối kết nối (không có dịch vụ nào ở cổng này)"
        case ECONNRESET: said = "máy chủ cắt kết nối"
        case ETIMEDOUT: said = "quá thời gian chờ kết nối"
        case EHOSTUNREACH, ENETUNREACH: said = "không tới được máy chủ (mạng, tường lửa)"
        case ECONNABORTED, EPIPE: said = "kết nối bị ngắt"
        case EACCES, EPERM: said = "hệ thống không cho kết nối (tường lửa của dịch vụ, IPAddressAllow)"
        default: said = "lỗi kết nối"
        }
        return "\(said) [\(String(cString: strerror(code)))]"
    }
}
