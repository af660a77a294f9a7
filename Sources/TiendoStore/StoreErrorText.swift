import GRDB

extension Store {
    /// An error of the store in words a ward's operator can act on (SQLite's code and message otherwise).
    public static func describe(_ error: any Error) -> String {
        if let e = error as? DatabaseError { return describe(e.resultCode, message: e.message) }
        return String(describing: error)
    }

    /// SQLite's primary result `code` in words (its `message` kept where it adds to them).
    static func describe(_ code: ResultCode, message: String?) -> String {
        switch code {
        case .SQLITE_NOTADB: return "tệp không phải cơ sở dữ liệu SQLite (hỏng hoặc tệp lạ)"
        case .SQLITE_CORRUPT: return "cơ sở dữ liệu bị hỏng (SQLITE_CORRUPT)"
        case .SQLITE_READONLY: return "chỉ đọc (SQLITE_READONLY): kiểm tra quyền ghi của thư mục trạng thái"
        case .SQLITE_FULL: return "đĩa đầy (SQLITE_FULL)"
        case .SQLITE_CANTOPEN: return "không mở được tệp (SQLITE_CANTOPEN): thư mục có tồn tại và ghi được không?"
        case .SQLITE_IOERR:
            return "lỗi vào/ra (SQLITE_IOERR): \(message ?? "") — đĩa hỏng, hoặc tệp vượt giới hạn kích thước tệp của tiến trình"
                + " (ulimit -f, LimitFSIZE= của systemd)"
        case .SQLITE_PERM: return "không có quyền (SQLITE_PERM)"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "tệp đang bị khóa bởi một tiến trình khác (\(code))"
        default: return "\(code): \(message ?? "")"
        }
    }
}
