import GRDB

extension Store {
    /// An error of the store in words a ward's operator can act on (SQLite's code and message otherwise). `place`:
    /// the directory the database is in, said after what went wrong and before what to do («đĩa đầy (SQLITE_FULL)
    /// trong /var/lib/tiendo: hãy giải phóng…»), not after the advice.
    public static func describe(_ error: any Error, place: String? = nil) -> String {
        if let e = error as? DatabaseError { return describe(e.resultCode, message: e.message, place: place) }
        return String(describing: error)
    }

    /// SQLite's primary result `code` in words (its `message` kept where it adds to them).
    static func describe(_ code: ResultCode, message: String?, place: String? = nil) -> String {
        let at = place.map { " trong \($0)" } ?? ""
        switch code {
        case .SQLITE_NOTADB: return "tệp không phải cơ sở dữ liệu SQLite (hỏng hoặc tệp lạ)\(at)"
        case .SQLITE_CORRUPT: return "cơ sở dữ liệu bị hỏng (SQLITE_CORRUPT)\(at)"
        case .SQLITE_READONLY:
            return "chỉ đọc (SQLITE_READONLY)\(at): kiểm tra quyền ghi của thư mục trạng thái và của các tệp tiendo.sqlite*"
        case .SQLITE_FULL:
            return "đĩa đầy (SQLITE_FULL)\(at): hãy giải phóng chỗ trống trên đĩa ấy (df -h\(place.map { " " + $0 } ?? "")) rồi làm lại;"
                + " những gì đã ghi trước đó không mất"
        case .SQLITE_CANTOPEN: return "không mở được tệp (SQLITE_CANTOPEN)\(at): thư mục có tồn tại và ghi được không?"
        case .SQLITE_IOERR:
            return
                "lỗi vào/ra (SQLITE_IOERR)\(at): \(message ?? "") — đĩa hỏng, đĩa đầy, hoặc tệp vượt giới hạn kích thước tệp của tiến trình"
                + " (ulimit -f, LimitFSIZE= của systemd)"
        case .SQLITE_PERM: return "không có quyền (SQLITE_PERM)\(at)"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "tệp đang bị khóa bởi một tiến trình khác (\(code))\(at)"
        default: return "\(code)\(at): \(message ?? "")"
        }
    }
}
