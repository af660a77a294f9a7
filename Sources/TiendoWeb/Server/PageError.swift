import HTTPTypes
import TiendoVarlink

/// Something a page cannot do, with the status and the Vietnamese words the person sees. Nothing was changed.
struct PageError: Error, Sendable, CustomStringConvertible {
    var status: HTTPResponse.Status
    var title: String
    var message: String
    /// Details under the message (the bad rows of an import).
    var details: [String] = []

    init(_ status: HTTPResponse.Status, _ title: String, _ message: String, details: [String] = []) {
        self.status = status
        self.title = title
        self.message = message
        self.details = details
    }

    var description: String { "\(status.code) \(title): \(message)" }

    static func forbidden(_ message: String = "Tài khoản của bạn không được xem hoặc thay đổi nội dung này.") -> PageError {
        PageError(.forbidden, "Không có quyền", message)
    }

    static func notFound(_ message: String) -> PageError { PageError(.notFound, "Không tìm thấy", message) }

    static func badRequest(_ message: String) -> PageError { PageError(.badRequest, "Yêu cầu không hợp lệ", message) }

    /// A failure talking to tiendod, in words for a ward officer.
    static func daemon(_ error: any Error) -> PageError {
        switch error {
        case let e as PageError: return e
        case let e as ManagerError:
            switch e {
            case .noSuchInstance, .noSuchWorkflow: return .notFound(sentence(e.description))
            case .permissionDenied:
                return PageError(
                    .serviceUnavailable, "tiendod từ chối",
                    "tiendod không cho tiendo-web thay đổi dữ liệu. Hãy báo quản trị viên: người dùng hệ thống của tiendo-web phải được tiendod tin cậy (TIENDO_WEB_USER)."
                )
            case .internalError(let reason) where reason?.contains("(SQLITE_") == true:
                // The store's own words are for the technical officer (a directory, df -h): a ward officer is told
                // what happened and whom to tell (review, 07/12/2026).
                let full = reason?.contains("(SQLITE_FULL)") == true
                return PageError(
                    .serviceUnavailable, "Máy chủ chưa ghi được",
                    (full ? "Máy chủ đã hết chỗ trống trên đĩa" : "Máy chủ không ghi được vào cơ sở dữ liệu")
                        + " nên việc vừa gửi chưa được ghi; không có gì thay đổi. Hãy báo cán bộ kỹ thuật (tiendoctl status cho biết lý do), rồi làm lại sau."
                )
            case .internalError:
                return PageError(.internalServerError, "Lỗi của tiendod", sentence(e.description))
            case .importRejected(let errors):
                return PageError(
                    .unprocessableContent, "Không nhập được", sentence(e.description),
                    details: errors.map { "Dòng \($0.line): \($0.message)" })
            default:
                return PageError(.conflict, "Không thực hiện được", sentence(e.description))
            }
        case let e as VarlinkTransportError:
            // No answer is not «nothing done»: a change sent may be recorded (a record added twice on a retry).
            let unanswered: String
            if case .timedOut = e.reason {
                unanswered =
                    " Nếu vừa gửi một thay đổi (thêm hồ sơ, nhập tệp, ghi một bước), thay đổi ấy có thể đã được ghi: hãy xem lại danh sách hoặc trang hồ sơ trước khi làm lại."
            } else {
                unanswered = ""
            }
            return PageError(
                .serviceUnavailable, "Hệ thống tạm thời không trả lời",
                "Trang web không liên lạc được với chương trình giữ hồ sơ (tiendod: \(e.reasonText)). Hãy thử lại sau ít phút; nếu vẫn vậy, báo cán bộ kỹ thuật (để kiểm tra: systemctl status tiendod)."
                    + unanswered
            )
        default:
            return PageError(.internalServerError, "Lỗi", "Đã có lỗi không mong đợi: \(error)")
        }
    }

    /// The one-liner with a capital first letter and a final full stop.
    static func sentence(_ s: String) -> String {
        guard let first = s.first else { return s }
        let body = first.uppercased() + s.dropFirst()
        return body.hasSuffix(".") ? body : body + "."
    }
}
