import TiendoCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure below the varlink layer: connecting, reading, writing, framing, or no reply in time. Its description is
/// the one line an operator reads (`không kết nối được tiendod tại PATH: …`).
public struct VarlinkTransportError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        /// `socket(2)` or `connect(2)` failed.
        case connect(errno: Int32)
        /// The path does not fit in `sockaddr_un`.
        case pathTooLong(limit: Int)
        /// `send`, `recv` or `poll` failed.
        case io(operation: String, errno: Int32)
        /// The peer closed the connection; `partial` when inside a message.
        case closed(partial: Bool)
        /// The bytes received are not varlink messages (too large, not JSON, cut short).
        case framing(VarlinkFramingError)
        /// A message is JSON but not a varlink reply.
        case envelope(VarlinkEnvelopeError)
        /// The request is larger than the service accepts; nothing was sent.
        case requestTooLarge(bytes: Int, limit: Int)
        /// No complete reply within the connection's timeout.
        case timedOut(seconds: Double)
        /// An earlier call on this connection failed half-way (timed out, or a stream was left unread), so its
        /// replies can no longer be told apart: open a new connection.
        case unusable
    }

    /// The socket the connection was for.
    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// Whether the daemon could not be reached at all (nothing was sent).
    public var isUnreachable: Bool {
        switch reason {
        case .connect, .pathTooLong: return true
        default: return false
        }
    }

    public var description: String {
        switch reason {
        case .connect(let e) where e == EACCES || e == EPERM:
            return "không kết nối được tiendod tại \(path): \(errnoText(e)) (cần root hoặc thuộc nhóm tiendo)"
        case .connect(let e) where e == ENOENT:
            // The socket file gone while tiendod runs (deleted by hand, a /run cleaned) reads the same as a stopped
            // daemon: both are said, with what to do for each.
            return "không kết nối được tiendod tại \(path): \(errnoText(e)) (tiendod có đang chạy không? Nếu đang chạy thì tệp socket "
                + "đã bị xóa: systemctl restart tiendod.socket tiendod)"
        case .connect(let e):
            return "không kết nối được tiendod tại \(path): \(errnoText(e)) (tiendod có đang chạy không?)"
        case .pathTooLong(let limit):
            return "không kết nối được tiendod tại \(path): đường dẫn socket quá dài (tối đa \(limit) byte)"
        default:
            return "lỗi khi nói chuyện với tiendod tại \(path): \(reasonText)"
        }
    }

    /// The reason alone, without the socket path.
    public var reasonText: String {
        switch reason {
        case .connect(let e): return "connect: \(errnoText(e))"
        case .pathTooLong(let limit): return "đường dẫn socket quá dài (tối đa \(limit) byte)"
        case .io(let op, let e): return "\(op): \(errnoText(e))"
        case .closed(let partial):
            return partial ? "tiendod đóng kết nối giữa chừng một thông điệp" : "tiendod đóng kết nối trước khi trả lời"
        case .framing(.messageTooLarge(let limit)): return "thông điệp từ tiendod lớn hơn \(VarlinkFraming.sizeText(limit))"
        case .framing(.invalidJSON(let e)): return "tiendod trả lời không phải JSON hợp lệ: \(e)"
        case .framing(let e): return "\(e)"
        case .envelope(let e): return "tiendod trả lời sai giao thức varlink: \(e)"
        case .requestTooLarge(let bytes, let limit):
            return "yêu cầu \(bytes) byte, lớn hơn mức \(VarlinkFraming.sizeText(limit)) tiendod nhận; không gửi gì"
        case .timedOut(let seconds):
            // What a change sent meanwhile means is the caller's to say: a read changed nothing.
            return "tiendod không trả lời trong \(secondsText(seconds)) giây (đang bận hay bị treo? xem journalctl -u tiendod)"
        case .unusable:
            return "kết nối đã hỏng sau một lời gọi dở dang; cần kết nối lại"
        }
    }
}

/// `120`, `0,5`: seconds for people (Vietnamese decimal comma).
private func secondsText(_ s: Double) -> String {
    s == s.rounded() && abs(s) < 1e15 ? String(Int(s)) : String(String(s).map { $0 == "." ? "," : $0 })
}

/// An errno value in words (`ErrnoText`), else `strerror(3)`'s; a permission refused in plain words, since the caller
/// says who may (a socket's group) or which file.
public func errnoText(_ e: Int32) -> String {
    e == EACCES || e == EPERM ? "không có quyền" : ErrnoText.describe(e)
}
