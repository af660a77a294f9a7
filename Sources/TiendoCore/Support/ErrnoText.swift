#if canImport(Glibc)
    import Glibc
#endif

/// A system error number as an operator reads it: «đĩa đầy», not «No space left on device».
public enum ErrnoText {
    /// The words for `code`, nil for one not listed.
    public static func words(_ code: Int32) -> String? {
        switch code {
        case EACCES, EPERM: return "không có quyền (kiểm tra chủ sở hữu và quyền của thư mục)"
        case ENOENT: return "không có tệp hoặc thư mục này"
        case ENOTDIR: return "một phần của đường dẫn không phải thư mục"
        case EISDIR: return "đó là một thư mục, không phải tệp"
        case ENOSPC: return "đĩa đầy"
        case EROFS: return "ổ đĩa chỉ đọc"
        case EIO: return "lỗi đọc ghi đĩa"
        case EXDEV: return "không cùng một ổ đĩa"
        case EADDRINUSE: return "địa chỉ đang được một chương trình khác dùng (chương trình này đã chạy ở đó rồi?)"
        case ENAMETOOLONG: return "đường dẫn quá dài (socket Unix: tối đa 107 byte)"
        case EEXIST: return "đã có một tệp cùng tên"
        case ECONNREFUSED: return "không có chương trình nào nhận kết nối ở đó"
        case ENOTSOCK: return "đó không phải một socket"
        case ETIMEDOUT: return "quá thời gian chờ kết nối"
        case ELOOP:
            // The programs open their own files with O_NOFOLLOW: a link there is refused, not followed.
            return
                "là một liên kết tượng trưng (symlink) hoặc một vòng liên kết, không phải tệp thật: tệp này không được mở qua liên kết; hãy xóa liên kết"
        default: return nil
        }
    }

    /// The words for `code`, or the system's own.
    public static func describe(_ code: Int32) -> String { words(code) ?? String(cString: strerror(code)) }
}
