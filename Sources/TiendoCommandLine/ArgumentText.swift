/// swift-argument-parser's own words (its errors, its help's headings and built-in flags) in Vietnamese, for the
/// command-line programs: the library has no localisation, and an operator who reads Vietnamese everywhere else
/// met «Error: Missing expected argument '<id>'». Plain replacements of the library's fixed phrases (1.x); anything
/// else passes unchanged.
public enum ArgumentText {
    /// Phrases in the order they are replaced (longer ones first where one contains another). «  See '» comes
    /// before the subcommand line's own ending, which it begins.
    static let phrases: [(String, String)] = [
        ("Error: ", "Lỗi: "),
        ("Missing expected argument ", "Thiếu tham số "),
        ("Missing value for ", "Thiếu giá trị cho "),
        ("Unexpected argument ", "Không hiểu tham số "),
        ("Unexpected arguments ", "Không hiểu các tham số "),
        ("Unknown option ", "Không có tùy chọn "),
        ("The value ", "Giá trị "),
        (" is invalid for ", " không hợp lệ cho "),
        ("Did you mean ", "Có phải "),
        ("Help:  ", "Trợ giúp:  "),
        ("Usage: ", "Cách dùng: "),
        ("  See '", "  Xem '"),
        ("' for more information.", "' để biết thêm."),
        ("<subcommand>' for detailed help.", "<lệnh>' để biết chi tiết từng lệnh."),
        ("<subcommand>", "<lệnh>"),
        ("OVERVIEW:", "TỔNG QUAN:"),
        ("USAGE:", "CÁCH DÙNG:"),
        ("ARGUMENTS:", "THAM SỐ:"),
        ("OPTIONS:", "TÙY CHỌN:"),
        ("SUBCOMMANDS:", "LỆNH:"),
        ("(default)", "(mặc định)"),
        // Also where the help wraps its line right after the colon.
        ("(default:", "(mặc định:"),
        ("Show the version.", "In phiên bản."),
        ("Show help information.", "In trợ giúp này."),
    ]

    public static func vietnamese(_ text: String) -> String {
        var out = text
        for (english, vietnamese) in phrases { out = out.replacingOccurrences(of: english, with: vietnamese) }
        return out
    }
}
